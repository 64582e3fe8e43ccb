"""Standard input, read at most once: `-` may stand for it in one argument only.

Two arguments given `-` (`plan -f - --pool -`) would have the second read an empty stream
and fail with a misleading error, or read the first's text as its own; the second is
refused instead.
"""

from __future__ import annotations

import sys
from typing import TextIO

from spotwise.errors import UserError

_consumed: list[TextIO] = []  # the streams read so far (tests swap sys.stdin)


def read_standard_input() -> str:
    """The whole of standard input.

    Raises:
        UserError: If standard input was read already in this run.
    """
    stream = sys.stdin
    if any(stream is seen for seen in _consumed):
        raise UserError(
            "-",
            "standard input was read already, for another argument",
            "give '-' to one argument only and files to the others",
        )
    _consumed.append(stream)
    return stream.read()
