"""How diverse `spotwise plan`'s launch lists are, with the diversity rules and without.

    .venv/bin/python benchmarks/launch_lists.py [--pods 2000] [--seed 11]

Plans two inputs with ``python -m spotwise.cli plan -o json``, as a user would: the
realistic mix of Deployments of benchmarks/plan_startup.py (web and APIs spread over
zones, workers, caches one per node, JVM services, batch) with ``--pods`` replicas, and
one Deployment of 5,000 pods of 100m and 1Gi. Each is planned on spotwise's default pool
(the NodePool defaults: ``minInstanceTypes`` 10, ``maxTypeShare`` 25) and on the same pool
without the rules (``minInstanceTypes: 1``, ``maxTypeShare: 100``: lists within the price
ceiling only, as spotwise planned before them). Prints, per run: the spot nodes; their
list sizes (minimum, median, maximum) and how many lists hold one type or fewer than ten;
the share of spot nodes expected to launch as the commonest type; how many are expected in
a pool of the advisor's >20% bucket; and the plan's expected cost per hour. Figures only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from plan_startup import deployment, environment, write_manifests
from spotwise.catalog.bundled import load_bundled

NARROW_POOL = {
    "apiVersion": "spotwise.io/v1alpha1",
    "kind": "NodePool",
    "metadata": {"name": "default"},
    "spec": {"minInstanceTypes": 1, "maxTypeShare": 100},
}


def plan(folder: Path, pool: Path | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "spotwise.cli", "plan", "-f", str(folder), "-o", "json"]
    if pool is not None:
        command += ["--pool", str(pool)]
    done = subprocess.run(command, capture_output=True, env=environment(), check=True, text=True)
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def report(name: str, document: dict[str, Any], stormy: set[str]) -> None:
    spot = [n for n in document["nodes"] if n["capacity_type"] == "spot"]
    sizes = sorted(len(n["instance_types"]) for n in spot)
    expected = Counter(n["expected_instance_type"] for n in spot)
    top, top_count = expected.most_common(1)[0]
    print(f"  {name}")
    print(
        f"    spot nodes {len(spot)}; list sizes {sizes[0]} / {statistics.median(sizes):g} /"
        f" {sizes[-1]} (min / median / max); one type: {sizes.count(1)};"
        f" under ten: {sum(1 for s in sizes if s < 10)}"
    )
    print(
        f"    commonest expected type {top}: {100 * top_count / len(spot):.0f}% of spot nodes;"
        f" expected in a >20% pool: {sum(expected[t] for t in stormy)}"
    )
    print(f"    expected cost ${document['cost_per_hour']:.2f}/h")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    catalog = load_bundled()
    stormy = {
        o.instance_type
        for t in catalog.instance_types
        for o in catalog.offerings_of(t)
        if o.interruption is not None and o.interruption.index == 4
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        mix, one = root / "mix", root / "one"
        write_manifests(mix, args.pods, args.seed)
        one.mkdir()
        only = deployment("web", 5000, 100, 1024, None)
        (one / "web.yaml").write_text(yaml.safe_dump(only, sort_keys=False))
        narrow = root / "narrow.yaml"
        narrow.write_text(yaml.safe_dump(NARROW_POOL, sort_keys=False))
        for title, folder in ((f"a mix of {args.pods} pods", mix), ("5,000 pods of 100m/1Gi", one)):
            print(title)
            report("spotwise (default pool)", plan(folder, None), stormy)
            report(
                "without the rules (minInstanceTypes 1, maxTypeShare 100)",
                plan(folder, narrow),
                stormy,
            )


if __name__ == "__main__":
    main()
