"""The consoles commands print to."""

from __future__ import annotations

from rich.console import Console


def stdout() -> Console:
    """A console on standard output; tables keep their width when piped."""
    return Console(highlight=False, width=None if Console().is_terminal else 200)


def stderr() -> Console:
    """A console on standard error for progress and notes."""
    return Console(stderr=True, highlight=False)
