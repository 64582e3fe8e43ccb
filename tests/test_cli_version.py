"""`spotwise --version`: the version alone, on its own or before a command."""

from __future__ import annotations

import subprocess
import sys

from spotwise import __version__
from spotwise.cli.app import main


def test_version_alone_prints_the_version_and_exits_0(capsys) -> None:
    assert main(["--version"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (f"{__version__}\n", "")


def test_the_installed_command_answers_version_too() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spotwise.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, __version__)
