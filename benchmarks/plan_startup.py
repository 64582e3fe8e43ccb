"""How long `spotwise plan` takes end to end, start-up included, on 1,000 and 10,000 pods.

    .venv/bin/python benchmarks/plan_startup.py [--sizes 1000 10000] [--runs 5] [--keep DIR]

Writes manifests of a realistic mix of Deployments (web front ends and APIs spread over
zones, queue workers, caches with one replica per node, JVM services, batch workers;
1 to 60 replicas each) to a temporary folder, one folder per size, and runs
``python -m spotwise.cli plan -f DIR -o json`` on each as a fresh process, as a user
would: the interpreter's start, the imports, reading the manifests, loading the bundled
catalog, packing and printing. Prints the median wall time over --runs runs (after one
warm-up) and the time a process takes that only imports the planner
(``spotwise.decisions.scheduling.packer``), with ``python -X importtime``'s heaviest top-level
imports. Target: 1,000 pods in 0.7 s or less end to end. Figures only, no asserts:
machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

TARGET_1K_SECONDS = 0.7
SRC = Path(__file__).resolve().parents[1] / "src"
ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"

# name, CPU (m), memory (Mi), share of the Deployments, how its replicas are placed
KINDS = (
    ("web", (100, 250, 500), (128, 256, 512), 0.25, "zone-spread"),
    ("api", (250, 500, 1000), (512, 1024, 2048), 0.25, "zone-spread"),
    ("worker", (500, 1000, 2000), (1024, 2048, 4096), 0.2, None),
    ("cache", (500, 1000), (4096, 8192), 0.05, "host-anti"),
    ("jvm", (1000, 2000), (4096, 8192, 16384), 0.15, None),
    ("batch", (2000, 4000), (2048, 8192), 0.1, None),
)


def deployment(name: str, replicas: int, cpu: int, memory: int, placement: str | None) -> Any:
    labels = {"app.kubernetes.io/name": name}
    spec: dict[str, Any] = {
        "containers": [
            {
                "name": "main",
                "image": f"registry.example/{name}:1.0",
                "resources": {"requests": {"cpu": f"{cpu}m", "memory": f"{memory}Mi"}},
            }
        ]
    }
    if placement == "zone-spread":
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": 1,
                "topologyKey": ZONE,
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": labels},
            }
        ]
    elif placement == "host-anti":
        spec["affinity"] = {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": labels}, "topologyKey": HOSTNAME}
                ]
            }
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "bench", "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": spec},
        },
    }


def write_manifests(folder: Path, pods: int, seed: int = 11) -> int:
    """Deployments adding up to exactly ``pods`` replicas; returns how many Deployments."""
    rng = random.Random(seed)
    docs = []
    left = pods
    weights = [k[3] for k in KINDS]
    while left:
        kind, cpus, memories, _, placement = rng.choices(KINDS, weights)[0]
        most = 6 if placement == "host-anti" else 60
        replicas = min(left, rng.randint(1, most))
        name = f"{kind}-{len(docs)}"
        docs.append(deployment(name, replicas, rng.choice(cpus), rng.choice(memories), placement))
        left -= replicas
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deployments.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return len(docs)


def environment() -> dict[str, str]:
    """This checkout's src first, so the figures are of the code beside this file."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH")) if p)
    return env


def wall_times(command: list[str], runs: int) -> tuple[list[float], str]:
    """Wall seconds of each of ``runs`` runs after one warm-up, and the last run's stdout."""
    env = environment()
    subprocess.run(command, capture_output=True, env=env, check=True)
    times, out = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        times.append(time.perf_counter() - start)
        out = done.stdout
    return times, out


def heaviest_imports(module: str, top: int = 4) -> tuple[float, list[tuple[str, float]]]:
    """``-X importtime`` of importing ``module``: total seconds and the top-level heaviest."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=environment(),
        check=True,
    )
    total, packages = 0, []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        total += int(own)
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        if depth <= 1:  # the module itself and what it imports directly
            packages.append((name.strip(), int(cumulative) / 1e6))
    packages.sort(key=lambda p: -p[1])
    return total / 1e6, packages[:top]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="write the manifests here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        print(f"spotwise plan -o json end to end, median of {args.runs} runs after a warm-up")
        cli = [sys.executable, "-m", "spotwise.cli"]
        for n in args.sizes:
            folder = root / f"pods-{n}"
            deployments = write_manifests(folder, n)
            times, out = wall_times([*cli, "plan", "-f", str(folder), "-o", "json"], args.runs)
            plan = json.loads(out)
            median = statistics.median(times)
            line = (
                f"  {n:>6} pods ({deployments} Deployments): {median:.2f} s"
                f" (min {min(times):.2f}, max {max(times):.2f}); {len(plan['nodes'])} nodes"
            )
            if n == 1000:
                line += f"; {median / TARGET_1K_SECONDS:.2f}x the {TARGET_1K_SECONDS} s target"
            print(line)
    module = "spotwise.decisions.scheduling.packer"
    times, _ = wall_times([sys.executable, "-c", f"import {module}"], args.runs)
    bare, _ = wall_times([sys.executable, "-c", "pass"], args.runs)
    total, heaviest = heaviest_imports(module)
    print(
        f"  a process that imports {module}: {statistics.median(times):.2f} s"
        f" (an empty one: {statistics.median(bare):.2f} s)"
    )
    print(f"  -X importtime: {total:.2f} s in all; heaviest:")
    for name, seconds in heaviest:
        print(f"    {name:40s} {seconds:.3f} s")


if __name__ == "__main__":
    main()
