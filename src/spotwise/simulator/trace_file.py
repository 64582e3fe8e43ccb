"""Reading back a simulation trace: one JSON object per line, each naming its strategy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spotwise.errors import UserError


def trace_events(path: Path, strategy: str) -> Iterator[dict[str, Any]]:
    """The events of ``strategy`` in the trace at ``path``, in order.

    Raises:
        UserError: If the file cannot be read or a line is not JSON.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(str(path), f"cannot be read ({error})", "pass a --trace file") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            raise UserError(
                f"{path}: line {number}", "is not JSON", "pass a trace of spotwise simulate"
            ) from None
        if isinstance(event, dict) and event.get("strategy") == strategy:
            yield event
