"""How long loading the bundled catalog takes (target: under 150 ms).

    .venv/bin/python benchmarks/catalog_load.py [--repeat N]

Prints the median and best time of (a) reading and decoding the snapshot in a warm
process and (b) a fresh interpreter importing spotwise and loading the catalog, which
is what every CLI call pays, next to the interpreter's own start-up for reference.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from spotwise.catalog import snapshot
from spotwise.catalog.bundled import bundled_path

TARGET_MS = 150.0
COLD = (
    "import time; t = time.perf_counter(); "
    "from spotwise.catalog.bundled import load_bundled; c = load_bundled(); "
    "print((time.perf_counter() - t) * 1000)"
)


def warm_ms(repeat: int) -> list[float]:
    path = bundled_path("us-east-1")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        snapshot.read(path)
        times.append((time.perf_counter() - start) * 1000)
    return times


def cold_ms(repeat: int) -> tuple[list[float], list[float]]:
    inside, whole = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD], capture_output=True, text=True, check=True
        )
        whole.append((time.perf_counter() - start) * 1000)
        inside.append(float(out.stdout))
    return inside, whole


def bare_interpreter_ms(repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    n = parser.parse_args().repeat
    warm = warm_ms(n)
    inside, whole = cold_ms(n)
    bare = bare_interpreter_ms(n)
    print(f"catalog load, bundled us-east-1, {n} runs (target {TARGET_MS:.0f} ms)")
    rows = [
        ("decode snapshot, warm process", warm),
        ("import spotwise + load, fresh process", inside),
        ("whole 'python -c' incl. interpreter", whole),
        ("bare interpreter start (reference)", bare),
    ]
    for label, times in rows:
        median = statistics.median(times)
        print(
            f"  {label:<40} median {median:7.1f} ms  best {min(times):7.1f} ms"
            f"  ratio to target {median / TARGET_MS:.2f}"
        )


if __name__ == "__main__":
    main()
