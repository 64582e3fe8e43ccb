"""What to do about an interruption (pure): drain, replace, cordon, undo, or nothing.

NTH's and Karpenter's rules, with the rebalance policy Karpenter users have asked for:

* A spot interruption warning and a capacity-reservation interruption: drain before the
  deadline (replacement first).
* An Auto Scaling termination: its lifecycle hook holds the instance for as long as the
  handler keeps it alive, so no deadline is imposed; the drain works to one of its own,
  `LIFECYCLE_DRAIN_SECONDS` after the notice (or its intake, if later), so that waiting
  for replacement capacity ends and the group's termination (a scale-in, an instance
  refresh) is not held for long.
* A state change to stopping, stopped, shutting-down or terminated: the instance is
  going now; drain at once (deadline: now).
* A rebalance recommendation, by the pool's policy: ``replace`` (the default) launches
  replacement capacity and drains the node once it is Ready; ``cordon`` only cordons;
  ``ignore`` does nothing.
* Scheduled maintenance: drain before it starts; a canceled or completed event undoes
  what was done.
* A notice that is not actionable (test notifications, launches, informational states)
  needs nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from spotwise.decisions.interruption.events import Interruption, InterruptionKind
from spotwise.model.rebalance import RebalancePolicy

__all__ = ["Action", "RebalancePolicy", "Response", "respond"]

# How long an Auto Scaling termination's drain may take, from the notice.
LIFECYCLE_DRAIN_SECONDS = 300.0
GOING_STATES = frozenset({"stopping", "stopped", "shutting-down", "terminated"})


class Action(enum.Enum):
    """The handler's response."""

    NOTHING = "nothing"
    DRAIN = "drain"  # mark (taint, cordon): replacement first, then drain by the deadline
    CORDON = "cordon"  # cordon only
    UNDO = "undo"  # take spotwise's marks off again


@dataclass(frozen=True, slots=True)
class Response:
    """An action, with the deadline a drain works to.

    Attributes:
        action: What to do.
        deadline: When the instance goes (None: no deadline, replace then drain).
        reason: One sentence for logs and Events.
    """

    action: Action
    deadline: datetime | None = None
    reason: str = ""


def respond(
    interruption: Interruption,
    now: datetime,
    rebalance: RebalancePolicy = RebalancePolicy.REPLACE,
) -> Response:
    """The response to one interruption (see the module's rules)."""
    i = interruption
    if not i.actionable:
        if i.kind is InterruptionKind.SCHEDULED_MAINTENANCE and (i.canceled or i.completed):
            return Response(Action.UNDO, reason=f"maintenance {i.event_id or ''} is over".strip())
        return Response(Action.NOTHING, reason="not actionable")
    match i.kind:
        case (
            InterruptionKind.SPOT_INTERRUPTION | InterruptionKind.CAPACITY_RESERVATION_INTERRUPTION
        ):
            return Response(Action.DRAIN, i.deadline, i.detail)
        case InterruptionKind.ASG_TERMINATION:
            # From intake at the soonest: a backlog must not leave the drain no time.
            start = max(i.time, now) if i.time is not None else now
            return Response(
                Action.DRAIN, start + timedelta(seconds=LIFECYCLE_DRAIN_SECONDS), i.detail
            )
        case InterruptionKind.STATE_CHANGE:
            if i.state in GOING_STATES:
                return Response(Action.DRAIN, now, i.detail)
            return Response(Action.NOTHING, reason=f"state {i.state}")
        case InterruptionKind.REBALANCE_RECOMMENDATION:
            match rebalance:
                case RebalancePolicy.REPLACE:
                    return Response(Action.DRAIN, None, i.detail)
                case RebalancePolicy.CORDON:
                    return Response(Action.CORDON, reason=i.detail)
                case RebalancePolicy.IGNORE:
                    return Response(Action.NOTHING, reason="rebalance policy ignore")
        case InterruptionKind.SCHEDULED_MAINTENANCE:
            if i.canceled or i.completed:
                return Response(Action.UNDO, reason="maintenance is over")
            return Response(Action.DRAIN, i.not_before or i.deadline, i.detail)
