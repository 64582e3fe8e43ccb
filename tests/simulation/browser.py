"""Headless Debian Chromium for tests that must see a page the way a reader does.

The project promises that CI installs Chromium (``make browser``, a prerequisite of
``make unit``), so a missing browser fails the test instead of skipping it: a skipped
browser test would let a broken report through unnoticed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_SECONDS = 120

# This machine's network is closed: without the background-networking flags Chromium keeps
# trying to reach Google's hosts; --no-sandbox because tests may run as root.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium() -> str:
    """The Chromium executable, or a test failure that says how to install it."""
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if found is None:
        pytest.fail(
            f"Chromium is not installed ({CHROMIUM} is missing): run `make browser`, which "
            "installs Debian's chromium package (`make unit` does it first).",
            pytrace=False,
        )
    return found


def _run(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # A fresh profile per call: no state from an earlier run, nothing written to $HOME.
    command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )
    if result.returncode != 0:
        shown = " ".join(command)
        raise AssertionError(
            f"chromium exited with {result.returncode}: {shown}\n{result.stderr[-4000:]}"
        )
    return result


def screenshot(page: Path, png: Path, profile: Path, *, width: int, height: int) -> None:
    """Render ``page`` in a ``width`` x ``height`` window and save what shows to ``png``."""
    _run(page, profile, f"--window-size={width},{height}", f"--screenshot={png}")
    if not png.exists():
        raise AssertionError(f"chromium reported success but wrote no screenshot to {png}")


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM of ``page`` once Chromium has parsed and laid it out, serialised as HTML."""
    return _run(page, profile, "--dump-dom").stdout


# Appended to a copy of the page (the report itself has no script): how far the laid-out
# page reaches past the window, and the widest element that does, written into the DOM.
_MEASURE = """<script>
const root = document.documentElement;
const wide = [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''));
document.body.setAttribute('data-overflow', String(root.scrollWidth - root.clientWidth));
document.body.setAttribute('data-too-wide', wide.slice(0, 5).join(' '));
</script>"""


def sideways_overflow(page: Path, profile: Path, *, width: int) -> tuple[int, str]:
    """Pixels the page overflows a ``width``-wide window by, and the first elements that do."""
    measured = profile.parent / f"{page.stem}-measured-{width}.html"
    measured.write_text(
        page.read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>"),
        encoding="utf-8",
    )
    dom = _run(measured, profile, f"--window-size={width},1000", "--dump-dom").stdout
    found = re.search(r'data-overflow="(-?\d+)" data-too-wide="([^"]*)"', dom)
    if found is None:
        raise AssertionError("the measuring script did not run")
    return int(found.group(1)), found.group(2)
