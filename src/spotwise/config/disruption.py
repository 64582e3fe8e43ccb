"""A NodePool's ``disruption`` block: how its nodes are consolidated, and how many at once.

Karpenter's fields keep their names and meaning (``consolidationPolicy``,
``consolidateAfter``, ``budgets`` with ``nodes`` and ``reasons``), so that a Karpenter
NodePool's block carries over; the rest are spotwise's churn controls.
"""

from __future__ import annotations

import enum
import math
import re
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StrictFloat

from spotwise.config.documents import DocumentModel, matches
from spotwise.decisions.disruption.consolidation import Policy, Rules
from spotwise.model.duration import parse_duration

_PERCENT_OR_COUNT = re.compile(r"^(\d+%?)$")


def _duration(value: str) -> str:
    if value != "Never" and parse_duration(value) is None:
        raise ValueError(f"{value!r} is not a duration such as 30s, 10m or 1h30m")
    return value


Duration = Annotated[str, AfterValidator(_duration)]
NodesBudget = Annotated[
    str, AfterValidator(matches(_PERCENT_OR_COUNT, "a count or a percentage such as 10%"))
]


class Reason(enum.StrEnum):
    """Why nodes are disrupted voluntarily, as budgets name it (Karpenter's words)."""

    EMPTY = "Empty"
    UNDERUTILIZED = "Underutilized"
    DRIFTED = "Drifted"


class Budget(DocumentModel):
    """At most this many of the pool's nodes are disrupted at once, for these reasons."""

    nodes: NodesBudget = "10%"
    reasons: tuple[Reason, ...] = ()


class Disruption(DocumentModel):
    """The ``disruption`` block of a NodePool spec."""

    consolidation_policy: Policy = Policy.WHEN_EMPTY_OR_UNDERUTILIZED
    consolidate_after: Duration = "30s"
    budgets: tuple[Budget, ...] = (Budget(),)
    min_node_age: Duration = "10m"
    min_savings_percent: StrictFloat = Field(default=10, ge=0, le=100)
    min_savings_per_hour: StrictFloat = Field(default=0.01, ge=0)
    restrict_scale_down: StrictBool = False

    def rules(self) -> Rules:
        """The consolidation rules this block sets."""
        return Rules(
            self.consolidation_policy,
            _seconds(self.consolidate_after),
            _seconds(self.min_node_age),
            float(self.min_savings_percent),
            float(self.min_savings_per_hour),
            self.restrict_scale_down,
        )

    def allowed(self, nodes: int, reason: Reason) -> int:
        """How many of a pool's ``nodes`` may be disrupted at once for ``reason``.

        The most restrictive budget that applies wins; a percentage is of the pool's
        nodes, rounded up (as Karpenter rounds it), so 10% of five nodes is one.
        """
        found = [
            _count(b.nodes, nodes) for b in self.budgets if not b.reasons or reason in b.reasons
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
