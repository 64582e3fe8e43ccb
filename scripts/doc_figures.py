r"""Rewrite the command outputs quoted in the docs by running the commands.

    .venv/bin/python scripts/doc_figures.py [--check]

A quoted output is a fenced block right after a marker line naming its command:

    <!-- output: spotwise simulate --compare --report out/report.html -->
    ```console
    $ spotwise simulate --compare --report out/report.html
    ...
    ```

Each such block in README.md and docs/*.md is replaced by ``$ COMMAND`` and what the
command prints now (stdout, then stderr), so that figures in the docs are the code's,
never typed by hand. A long command may go on over lines ending in `` \``, in the marker
and the block alike. ``--check`` rewrites no doc and exits 1 when a block is stale (the
commands still write what they write, such as ``make demo``'s ``out/report.html``).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(<!-- output: (?P<command>.+?) -->\n```(?P<lang>\w*)\n)(?P<body>.*?)(```)", re.S
)


def run(command: str) -> str:
    """What ``command`` (a spotwise command line) prints, run from the project's root."""
    argv = shlex.split(command.replace("\\\n", " "))
    binary = Path(sys.executable).parent / argv[0]
    done = subprocess.run(
        [str(binary), *argv[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    lines = (done.stdout + done.stderr).splitlines()
    return "".join(f"{line.rstrip()}\n" for line in lines)


def refresh(text: str) -> str:
    """``text`` with every marked block rewritten from its command."""

    def block(match: re.Match[str]) -> str:
        command = match["command"]
        print(f"running: {command}", file=sys.stderr)
        return f"{match[1]}$ {command}\n{run(command)}{match[5]}"

    return BLOCK.sub(block, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale blocks only")
    args = parser.parse_args()
    stale = []
    (ROOT / "out").mkdir(exist_ok=True)  # where make demo's report goes
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        if not BLOCK.search(text):
            continue
        fresh = refresh(text)
        if fresh != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(fresh, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'rewrote'}: {path}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
