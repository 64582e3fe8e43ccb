"""The four event paths of instance metadata, their answers as EC2 writes them, and times.

EC2 serves a spot interruption as ``{"action": "terminate", "time": "2026-12-04T16:02:00Z"}``,
a rebalance recommendation as ``{"noticeTime": "..."}``, scheduled maintenance as a list of
objects whose times read ``21 Jan 2019 09:00:43 GMT`` (``[]`` when there is none), and the
Auto Scaling target lifecycle state as plain text (``InService``, ``Terminated``).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

META = "/latest/meta-data"

#: Event name (as the control API spells it) -> the metadata path that serves it.
EVENT_PATHS: dict[str, str] = {
    "spot": f"{META}/spot/instance-action",
    "rebalance": f"{META}/events/recommendations/rebalance",
    "maintenance": f"{META}/events/maintenance/scheduled",
    "lifecycle": f"{META}/autoscaling/target-lifecycle-state",
}

#: The one event path that answers an empty list, not 404, when nothing is scheduled.
MAINTENANCE_NONE = "[]"

# The spot warning comes two minutes before the action.
_SPOT_NOTICE = 120.0
# Scheduled maintenance is announced days ahead; a day and a two-hour window will do.
_MAINTENANCE_LEAD = 86400.0
_MAINTENANCE_WINDOW = 7200.0


def iso_time(t: float) -> str:
    """``2026-12-04T16:02:00Z``: how spot and rebalance notices write a time."""
    return datetime.fromtimestamp(math.floor(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def maintenance_time(t: float) -> str:
    """``21 Jan 2019 09:00:43 GMT``: how scheduled maintenance writes a time."""
    return datetime.fromtimestamp(math.floor(t), UTC).strftime("%d %b %Y %H:%M:%S GMT")


def spot_action(action: str, when: float) -> dict[str, str]:
    """A spot interruption notice: ``action`` (terminate, stop, hibernate) at ``when``."""
    return {"action": action, "time": iso_time(when)}


def rebalance(notice: float) -> dict[str, str]:
    """A rebalance recommendation noticed at ``notice``."""
    return {"noticeTime": iso_time(notice)}


def scheduled_event(
    not_before: float,
    not_after: float,
    *,
    code: str = "system-reboot",
    description: str = "scheduled reboot",
    state: str = "active",
    event_id: str = "instance-event-0d59937288b749b32",
) -> dict[str, str]:
    """One scheduled maintenance event (state active, completed or canceled)."""
    return {
        "NotBefore": maintenance_time(not_before),
        "Code": code,
        "Description": description,
        "EventId": event_id,
        "NotAfter": maintenance_time(not_after),
        "State": state,
    }


def default_answer(name: str, start: float) -> object:
    """What an event says when it is set without an answer, as if it came at ``start``."""
    if name == "spot":
        return spot_action("terminate", start + _SPOT_NOTICE)
    if name == "rebalance":
        return rebalance(start)
    if name == "maintenance":
        not_before = start + _MAINTENANCE_LEAD
        return [scheduled_event(not_before, not_before + _MAINTENANCE_WINDOW)]
    return "Terminated"


def render(answer: object) -> str:
    """The body served for ``answer``: text as it is, anything else as JSON."""
    return answer if isinstance(answer, str) else json.dumps(answer)


def parse_time(value: Any) -> float:
    """Seconds since the epoch from a number or an ISO 8601 text (``Z`` or an offset).

    Raises:
        ValueError: ``value`` is neither, or the text has no time zone.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; end it with Z")
        return parsed.timestamp()
    raise ValueError(f"{value!r} is not a time: give seconds since the epoch or ISO 8601")
