"""Durations as Kubernetes and Karpenter write them: Go's ``time.ParseDuration`` format."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """Seconds of a Go duration (``90s``, ``1h30m``, ``0.5h``); None if it is not one.

    Like Go, a bare ``0`` is zero, every other number needs a unit, and days are not a
    unit (``24h``). A sign is refused: no duration here may be negative.
    """
    text = text.strip()
    if text == "0":
        return 0.0
    if not text:
        return None
    total, at = 0.0, 0
    for match in _PART.finditer(text):
        if match.start() != at:
            return None
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        at = match.end()
    return total if at == len(text) else None
