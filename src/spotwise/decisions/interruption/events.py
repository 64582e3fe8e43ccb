"""The normalized interruption: one shape for every notice, whatever carried it.

Raw notices come from an SQS queue (EventBridge events, Auto Scaling lifecycle hook
notifications) or from instance metadata; ``parse.py`` turns each into ``Interruption``
values. Everything after intake (taint, drain, replacement) reads only this shape.

The id rule (de-duplication). An id is ``<kind>/<instance>[/<discriminator>]`` and is
the same whichever path brought the notice, and however often it was received:

- spot-interruption: ``spot-interruption/<instance>/<action>`` (terminate, stop or
  hibernate). EC2 warns an instance once per run; the queue gives the notice time and
  metadata the action time, so no time goes into the id. An instance that was stopped,
  restarted and warned again gets the same id: a de-duplication memory must forget an
  id once its deadline has passed.
- rebalance-recommendation: ``rebalance-recommendation/<instance>`` (one per run too;
  the queue's event time and metadata's ``noticeTime`` need not agree to the second).
- capacity-reservation-interruption: ``capacity-reservation-interruption/<instance>``
  (it ends in termination, which happens once).
- asg-termination: ``asg-termination/<instance>`` (an instance is terminated once; the
  EventBridge form, the direct Auto Scaling form and metadata's ``Terminated`` agree).
  Lifecycle notices without an instance (test notifications) use the request id.
- state-change: ``state-change/<instance>/<state>/<event time>``.
- scheduled-maintenance: ``scheduled-maintenance/<instance>/<NotBefore>``, so that an
  AWS Health event and the metadata entry of the same maintenance, and its active and
  canceled forms, share one id (the state is in ``canceled``/``completed``); without a
  start time, the event's own id stands in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


class InterruptionKind(StrEnum):
    """What kind of notice an interruption came from."""

    SPOT_INTERRUPTION = "spot-interruption"
    REBALANCE_RECOMMENDATION = "rebalance-recommendation"
    STATE_CHANGE = "state-change"
    SCHEDULED_MAINTENANCE = "scheduled-maintenance"
    ASG_TERMINATION = "asg-termination"
    CAPACITY_RESERVATION_INTERRUPTION = "capacity-reservation-interruption"


@dataclass(frozen=True, slots=True)
class Interruption:
    """One instance's notice, normalized.

    Attributes:
        id: Stable across sources and receipts (the module docstring gives the rule).
        kind: The kind of notice.
        instance_id: The EC2 instance, or None when the notice names none (an Auto
            Scaling test notification); such notices are never actionable.
        deadline: When the instance is expected to go (timezone-aware UTC), or None
            when no deadline is known (act now).
        source: Where it was read: "sqs", "imds", "file"...
        actionable: False for notices that need no action: test notifications, launch
            transitions, informational state changes, canceled or completed
            maintenance, well-formed events that are not about our instances.
        detail: One sentence saying what the notice means.
        time: When the notice was issued, if the notice says.
        action: For spot and capacity-reservation warnings: terminate, stop, hibernate.
        asg: For lifecycle actions: the Auto Scaling group.
        hook: For lifecycle actions: the lifecycle hook.
        token: For lifecycle actions: the token CompleteLifecycleAction takes.
        transition: For lifecycle actions: e.g. ``autoscaling:EC2_INSTANCE_TERMINATING``.
        state: For state changes the instance state; for metadata's target lifecycle
            state, that state.
        event_id: For scheduled maintenance: the event's id (metadata ``EventId`` or the
            Health ``eventArn``).
        code: For scheduled maintenance: system-reboot, instance-reboot,
            system-maintenance, instance-retirement, instance-stop (None if unknown).
        not_before: For scheduled maintenance: the start of its window.
        not_after: For scheduled maintenance: the end of its window, if given.
        canceled: For scheduled maintenance: the event was canceled.
        completed: For scheduled maintenance: the event has completed.
    """

    id: str
    kind: InterruptionKind
    instance_id: str | None
    deadline: datetime | None
    source: str
    actionable: bool
    detail: str
    time: datetime | None = None
    action: str | None = None
    asg: str | None = None
    hook: str | None = None
    token: str | None = None
    transition: str | None = None
    state: str | None = None
    event_id: str | None = None
    code: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    canceled: bool = False
    completed: bool = False


def interruption_id(kind: InterruptionKind, instance_id: str | None, *parts: str) -> str:
    """The de-duplication id: ``<kind>/<instance>[/<part>...]`` (see the module docstring)."""
    return "/".join([kind.value, instance_id or "-", *parts])


def utc_text(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: seconds, or milliseconds when the time has them."""
    value = value.astimezone(UTC)
    spec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    return value.isoformat(timespec=spec if value.microsecond else "seconds").replace("+00:00", "Z")


def _time_text(value: datetime | None) -> str | None:
    return None if value is None else utc_text(value)


def to_json(interruption: Interruption) -> dict[str, object]:
    """The JSON form of an interruption (times in ISO 8601 UTC with ``Z``, or null)."""
    i = interruption
    return {
        "id": i.id,
        "kind": i.kind.value,
        "instance_id": i.instance_id,
        "deadline": _time_text(i.deadline),
        "actionable": i.actionable,
        "source": i.source,
        "detail": i.detail,
        "time": _time_text(i.time),
        "action": i.action,
        "asg": i.asg,
        "hook": i.hook,
        "token": i.token,
        "transition": i.transition,
        "state": i.state,
        "event_id": i.event_id,
        "code": i.code,
        "not_before": _time_text(i.not_before),
        "not_after": _time_text(i.not_after),
        "canceled": i.canceled,
        "completed": i.completed,
    }
