"""Print the mutation score of the last `mutmut run`, per file and in total.

mutmut 3 keeps one verdict per mutant, as an exit code, in ``mutants/<source>.py.meta``;
its own output has counts but no score. This reads those files, maps the exit codes the way
mutmut does (``mutmut.stats.status_by_exit_code`` in mutmut 3.8), and prints for each file
and in total: mutants, killed, survived, timeout, no tests, other and not checked, and the
kill rate.

Kill rate = killed / checked, where "checked" is every mutant with a verdict (so a mutant
no selected test reaches counts against the score, and a timeout is not counted as
killed); mutants not yet checked (an interrupted or filtered run) are left out of it.

Usage: python scripts/mutation_score.py [--survivors] [--fail-under PERCENT] [MUTANTS_DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

KILLED = "killed"
SURVIVED = "survived"
TIMEOUT = "timeout"
NO_TESTS = "no tests"
OTHER = "other"  # suspicious, segfault, skipped, interrupted
NOT_CHECKED = "not checked"
COLUMNS = (KILLED, SURVIVED, TIMEOUT, NO_TESTS, OTHER, NOT_CHECKED)

# mutmut's exit codes: 1 failed tests, 3 pytest internal error, 37 caught by the type
# checker; 0 tests passed; 5/33 no tests; 36 and the SIGXCPU codes are timeouts.
_STATUS_BY_EXIT_CODE: dict[int | None, str] = {
    1: KILLED,
    3: KILLED,
    37: KILLED,
    0: SURVIVED,
    5: NO_TESTS,
    33: NO_TESTS,
    36: TIMEOUT,
    24: TIMEOUT,
    -24: TIMEOUT,
    152: TIMEOUT,
    255: TIMEOUT,
    None: NOT_CHECKED,
}


def status(exit_code: int | None) -> str:
    """The verdict mutmut gives a mutant that ended with ``exit_code``."""
    return _STATUS_BY_EXIT_CODE.get(exit_code, OTHER)


def load(mutants_dir: Path) -> dict[str, dict[str, int | None]]:
    """Exit code by mutant name, by source file, from every ``.meta`` file."""
    verdicts: dict[str, dict[str, int | None]] = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes: dict[str, int | None] = data["exit_code_by_key"]
        if codes:
            verdicts[str(meta.relative_to(mutants_dir))[: -len(".meta")]] = codes
    return verdicts


def kill_rate(counts: Counter[str]) -> float | None:
    """Killed over checked, in percent; None when nothing was checked."""
    checked = sum(counts.values()) - counts[NOT_CHECKED]
    return 100.0 * counts[KILLED] / checked if checked else None


def _row(name: str, counts: Counter[str], width: int) -> str:
    rate = kill_rate(counts)
    cells = "".join(f"{counts[c]:>{len(c) + 2}}" for c in COLUMNS)
    shown = "-" if rate is None else f"{rate:.1f}%"
    return f"{name:<{width}}{sum(counts.values()):>9}{cells}{shown:>11}"


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 if the total kill rate is below ``--fail-under``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mutants_dir", nargs="?", type=Path, default=Path("mutants"))
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument("--fail-under", type=float, help="minimum total kill rate, percent")
    args = parser.parse_args(argv)

    verdicts = load(args.mutants_dir)
    if not verdicts:
        print(f"no mutmut results under {args.mutants_dir}/ (run `make mutation` first)")
        return 1
    width = max(len(path) for path in verdicts) + 2
    header = "".join(f"{c:>{len(c) + 2}}" for c in COLUMNS)
    print(f"{'file':<{width}}{'mutants':>9}{header}{'kill rate':>11}")
    total: Counter[str] = Counter()
    for path, codes in verdicts.items():
        counts = Counter(status(code) for code in codes.values())
        total.update(counts)
        print(_row(path, counts, width))
    print(_row("TOTAL", total, width))

    if args.survivors:
        for path, codes in verdicts.items():
            names = sorted(n for n, code in codes.items() if status(code) == SURVIVED)
            if names:
                print(f"\n{path}:")
                print("\n".join(f"  {name}" for name in names))

    rate = kill_rate(total)
    if args.fail_under is not None and (rate is None or rate < args.fail_under):
        print(f"kill rate below {args.fail_under}%")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
