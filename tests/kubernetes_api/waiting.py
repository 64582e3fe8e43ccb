"""Waiting for something that happens in another thread, without timing it."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

# A bound on waiting, not a measure: a healthy run takes a fraction of it.
PATIENCE = 20.0


def until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` if it never does."""
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)
