"""The outputs the README and docs quote are what the commands print today.

`scripts/doc_figures.py --check` reruns every command behind an `<!-- output: ... -->`
marker (the default day's simulation among them) and fails on any block that differs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_quoted_output_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "doc_figures.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    stale = [line for line in done.stdout.splitlines() if line.startswith("stale:")]
    assert done.returncode == 0, f"{stale or done.stderr[-2000:]}: run `make figures`"


def test_the_readme_quotes_its_examples_through_markers() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # Every console block of the README's examples has its command's marker above it.
    assert readme.count("```console") == readme.count("<!-- output: spotwise ")
