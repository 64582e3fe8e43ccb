"""A NodePool's ``disruption`` block: how its nodes are consolidated, and how many at once.

Karpenter's fields keep their names and meaning (``consolidationPolicy``,
``consolidateAfter``, ``budgets`` with ``nodes`` and ``reasons``), so that a Karpenter
NodePool's block carries over; the rest are spotwise's churn controls.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import AfterValidator, Field, StrictBool, StrictFloat, model_validator

from spotwise.config.documents import DocumentModel, matches
from spotwise.decisions.disruption.consolidation import Policy, Rules
from spotwise.decisions.disruption.reasons import Reason
from spotwise.model.duration import parse_duration

__all__ = ["Budget", "Disruption", "Reason"]

_PERCENT_OR_COUNT = re.compile(r"^(\d+%?)$")


def _duration(value: str) -> str:
    if value != "Never" and parse_duration(value) is None:
        raise ValueError(f"{value!r} is not a duration such as 30s, 10m or 1h30m")
    return value


_MACROS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def _schedule(value: str) -> str:
    # Five fields or a macro, as Karpenter reads them: croniter would also take seconds
    # and years, which a Karpenter NodePool never holds.
    fields = value.split()
    standard = len(fields) == 5 or (len(fields) == 1 and fields[0] in _MACROS)
    if not (standard and croniter.is_valid(value)):
        raise ValueError(f"{value!r} is not a cron schedule such as '0 9 * * mon-fri' or @daily")
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone such as UTC or Europe/Berlin") from None
    return value


Duration = Annotated[str, AfterValidator(_duration)]
Schedule = Annotated[str, AfterValidator(_schedule)]
TimeZone = Annotated[str, AfterValidator(_time_zone)]
NodesBudget = Annotated[
    str, AfterValidator(matches(_PERCENT_OR_COUNT, "a count or a percentage such as 10%"))
]


class Budget(DocumentModel):
    """At most this many of the pool's nodes are disrupted at once, for these reasons.

    With a ``schedule`` (cron) and a ``duration``, the budget holds only from each time
    the schedule fires until the duration has passed, read in ``timeZone`` (Karpenter
    reads schedules in UTC only; UTC is the default here too).
    """

    nodes: NodesBudget = "10%"
    reasons: tuple[Reason, ...] = ()
    schedule: Schedule | None = None
    duration: Duration | None = None
    time_zone: TimeZone = "UTC"

    @model_validator(mode="after")
    def _schedule_has_duration(self) -> Self:
        if (self.schedule is None) != (self.duration is None):
            raise ValueError("schedule and duration go together: set both or neither")
        if self.duration == "Never":
            raise ValueError("duration 'Never' never ends; give a duration such as 8h")
        return self

    def active(self, now: float) -> bool:
        """Whether the budget holds at ``now`` (seconds since the epoch).

        As Karpenter decides it: the first time the schedule fires after ``now`` less
        the duration is not later than ``now``.
        """
        if self.schedule is None or self.duration is None:
            return True
        # The window is real elapsed time, also across a change to or from summer time.
        start = datetime.fromtimestamp(now - _seconds(self.duration), ZoneInfo(self.time_zone))
        fired = croniter(self.schedule, start).get_next(datetime)
        return bool(fired.timestamp() <= now)


class Disruption(DocumentModel):
    """The ``disruption`` block of a NodePool spec."""

    consolidation_policy: Policy = Policy.WHEN_EMPTY_OR_UNDERUTILIZED
    consolidate_after: Duration = "30s"
    budgets: tuple[Budget, ...] = (Budget(),)
    min_node_age: Duration = "10m"
    min_savings_percent: StrictFloat = Field(default=10, ge=0, le=100)
    min_savings_per_hour: StrictFloat = Field(default=0.01, ge=0)
    restrict_scale_down: StrictBool = False
    expire_after: Duration = "Never"
    termination_grace_period: Duration | None = None

    @property
    def drain_seconds(self) -> float | None:
        """How long a voluntary drain may last before pods are deleted; None: no bound."""
        if self.termination_grace_period is None:
            return None
        seconds = _seconds(self.termination_grace_period)
        return None if math.isinf(seconds) else seconds

    def rules(self) -> Rules:
        """The consolidation rules this block sets."""
        return Rules(
            self.consolidation_policy,
            _seconds(self.consolidate_after),
            _seconds(self.min_node_age),
            float(self.min_savings_percent),
            float(self.min_savings_per_hour),
            self.restrict_scale_down,
            _seconds(self.expire_after),
        )

    def allowed(self, nodes: int, reason: Reason, now: float) -> int:
        """How many of a pool's ``nodes`` may be disrupted at once for ``reason`` at ``now``.

        The most restrictive budget that applies (to the reason, and at ``now`` when it
        has a schedule) wins; a percentage is of the pool's nodes, rounded up (as
        Karpenter rounds it), so 10% of five nodes is one. With none, every node may go.
        """
        found = [
            _count(b.nodes, nodes)
            for b in self.budgets
            if (not b.reasons or reason in b.reasons) and b.active(now)
        ]
        return min(found, default=nodes)


def _seconds(value: str) -> float:
    if value == "Never":
        return math.inf
    seconds = parse_duration(value)
    assert seconds is not None  # validated
    return seconds


def _count(budget: str, nodes: int) -> int:
    if budget.endswith("%"):
        return math.ceil(int(budget[:-1]) * nodes / 100)
    return int(budget)
