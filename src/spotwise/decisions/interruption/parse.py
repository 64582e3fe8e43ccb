"""Raw notices -> ``Interruption`` values, recognised by their shape.

Two inputs:
- ``parse_message``: an SQS message body: an EventBridge event (it has ``detail-type``),
  a direct Auto Scaling lifecycle hook notification (``LifecycleTransition``, or
  ``Event: autoscaling:TEST_NOTIFICATION``), either possibly wrapped by SNS in
  ``{"Message": "<json>"}``.
- ``parse_imds``: the answer of one instance metadata path (spot/instance-action,
  events/recommendations/rebalance, events/maintenance/scheduled,
  autoscaling/target-lifecycle-state) for an instance named by the caller.
- ``parse_notice``: either, told apart by shape (``imds_path_of``), as
  ``spotwise events parse`` reads files.

Anything else raises a ``MessageError`` whose text is one sentence naming what is wrong;
no other exception escapes (the fuzz tests hold the parsers to that).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from spotwise.decisions.interruption.events import (
    Interruption,
    InterruptionKind,
    interruption_id,
    utc_text,
)

Kind = InterruptionKind

SPOT_WARNING = "EC2 Spot Instance Interruption Warning"
REBALANCE = "EC2 Instance Rebalance Recommendation"
STATE_CHANGE = "EC2 Instance State-change Notification"
HEALTH = "AWS Health Event"
TERMINATE_ACTION = "EC2 Instance-terminate Lifecycle Action"
LAUNCH_ACTION = "EC2 Instance-launch Lifecycle Action"
CAPACITY_RESERVATION = "EC2 Capacity Reservation Instance Interruption Warning"

TEST_NOTIFICATION = "autoscaling:TEST_NOTIFICATION"
TERMINATING = "autoscaling:EC2_INSTANCE_TERMINATING"
LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"

# The two minutes between a spot (or capacity-reservation) notice and the action.
NOTICE = timedelta(minutes=2)
SPOT_ACTIONS = ("terminate", "stop", "hibernate")
# States after which the instance is gone or going: the ones to act on.
LEAVING_STATES = ("stopping", "stopped", "shutting-down", "terminated")
MAINTENANCE_STATES = ("active", "canceled", "completed")
MAINTENANCE_CODES = (
    "system-reboot",
    "instance-reboot",
    "system-maintenance",
    "instance-retirement",
    "instance-stop",
)
# Health event type codes (AWS_EC2_..._SCHEDULED) -> the metadata maintenance codes.
HEALTH_CODES = (
    ("SYSTEM_REBOOT", "system-reboot"),
    ("INSTANCE_REBOOT", "instance-reboot"),
    ("RETIREMENT", "instance-retirement"),
    ("INSTANCE_STOP", "instance-stop"),
    ("MAINTENANCE", "system-maintenance"),
)
LIFECYCLE_STATES = (
    "Pending",
    "InService",
    "Standby",
    "Detached",
    "Terminated",
    "Warmed:Pending",
    "Warmed:Stopped",
    "Warmed:Running",
    "Warmed:Hibernated",
    "Warmed:Terminated",
)

IMDS_SPOT = "spot/instance-action"
IMDS_REBALANCE = "events/recommendations/rebalance"
IMDS_MAINTENANCE = "events/maintenance/scheduled"
IMDS_LIFECYCLE = "autoscaling/target-lifecycle-state"
IMDS_PATHS = (IMDS_SPOT, IMDS_REBALANCE, IMDS_MAINTENANCE, IMDS_LIFECYCLE)

_INSTANCE = re.compile(r"i-[0-9A-Za-z]+")
_MAX_WRAPPING = 3


class MessageError(Exception):
    """A message spotwise cannot turn into interruptions; the text is one sentence."""


class UnrecognizedMessage(MessageError):
    """Well-formed input of a shape spotwise does not know (not one of its notices)."""


class MalformedMessage(MessageError):
    """Input of a known shape with a field missing or wrong, or not JSON at all."""


def parse_message(body: str, source: str = "sqs") -> list[Interruption]:
    """Parse one SQS message body (EventBridge event or Auto Scaling notification).

    Returns:
        One interruption per instance the message names (a Health event may name
        several); not actionable ones included.

    Raises:
        UnrecognizedMessage: The message is not a notice spotwise knows.
        MalformedMessage: It is not JSON, or a field is missing or wrong.
    """
    return _message(_json(body, "the message"), source, 0)


def parse_imds(path: str, body: str, instance_id: str, source: str = "imds") -> list[Interruption]:
    """Parse the answer of one instance metadata path for ``instance_id``.

    ``path`` may be given in full (``/latest/meta-data/spot/instance-action``) or from
    below ``meta-data/``.

    Returns:
        The interruptions the answer announces (an empty maintenance list gives none).

    Raises:
        UnrecognizedMessage: The path is not one spotwise reads.
        MalformedMessage: The answer does not have the path's shape.
    """
    key = _imds_key(path)
    if key == IMDS_LIFECYCLE:
        return [_target_lifecycle_state(body, instance_id, source)]
    data = _json(body, f"the {key} answer")
    if key == IMDS_SPOT:
        return [_imds_spot(_object(data, f"the {key} answer"), instance_id, source)]
    if key == IMDS_REBALANCE:
        return [_imds_rebalance(_object(data, f"the {key} answer"), instance_id, source)]
    entries = data if isinstance(data, list) else [data]
    return [_imds_maintenance(entry, instance_id, source) for entry in entries]


def parse_notice(body: str, instance_id: str, source: str) -> list[Interruption]:
    """Parse a queue message or a metadata answer, told apart by its shape.

    ``instance_id`` names the instance of a metadata answer (they do not say);
    queue messages name their own.

    Raises:
        MessageError: The notice is not one spotwise knows, or is malformed.
    """
    path = imds_path_of(body)
    if path is not None:
        return parse_imds(path, body, instance_id, source)
    return parse_message(body, source)


def imds_path_of(body: str) -> str | None:
    """Which metadata path an answer comes from, judged by its shape, or None.

    Plain text that is a target lifecycle state; ``{"action", "time"}``;
    ``{"noticeTime"}``; a maintenance event object or a list of them (``[]`` too).
    """
    text = body.strip()
    if text in LIFECYCLE_STATES:
        return IMDS_LIFECYCLE
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict):
        if "detail-type" in data:
            return None
        if "action" in data and "time" in data:
            return IMDS_SPOT
        if "noticeTime" in data:
            return IMDS_REBALANCE
        if "NotBefore" in data or "EventId" in data:
            return IMDS_MAINTENANCE
        return None
    if isinstance(data, list) and all(
        isinstance(e, dict) and ("NotBefore" in e or "EventId" in e) for e in data
    ):
        return IMDS_MAINTENANCE
    return None


# --- the queue -------------------------------------------------------------------------


def _message(data: Any, source: str, depth: int) -> list[Interruption]:
    if not isinstance(data, dict):
        raise UnrecognizedMessage(f"the message is a JSON {_type(data)}, not an object")
    if "detail-type" in data:
        return _eventbridge(data, source)
    if "LifecycleTransition" in data or "Event" in data:
        return _autoscaling(data, source)
    message = data.get("Message")
    if isinstance(message, str) and depth < _MAX_WRAPPING:
        return _message(_json(message, "the wrapped Message"), source, depth + 1)
    raise UnrecognizedMessage(
        "the message is neither an EventBridge event (no detail-type) nor an Auto Scaling"
        " notification (no LifecycleTransition or Event)"
    )


def _eventbridge(event: dict[str, Any], source: str) -> list[Interruption]:
    detail_type = _text(event, "detail-type", "the event")
    parse = _EVENTS.get(detail_type)
    if parse is None:
        raise UnrecognizedMessage(
            f"detail-type {detail_type!r} is not an event spotwise handles"
            f" (it handles: {', '.join(_EVENTS)})"
        )
    detail = _object(event.get("detail"), "the event's detail")
    time = _iso(event.get("time"), "the event's time")
    return parse(event, detail, time, source)


def _spot_warning(
    event: dict[str, Any], detail: dict[str, Any], time: datetime, source: str
) -> list[Interruption]:
    instance = _instance(detail, "instance-id")
    action = _choice(detail, "instance-action", SPOT_ACTIONS)
    # Hibernation starts at once; stop and terminate come two minutes after the notice.
    deadline = time if action == "hibernate" else _add(time, NOTICE)
    kind = Kind.SPOT_INTERRUPTION
    return [
        Interruption(
            id=interruption_id(kind, instance, action),
            kind=kind,
            instance_id=instance,
            deadline=deadline,
            source=source,
            actionable=True,
            detail=f"EC2 will {action} spot instance {instance} at {_when(deadline)}.",
            time=time,
            action=action,
        )
    ]


def _rebalance(
    event: dict[str, Any], detail: dict[str, Any], time: datetime, source: str
) -> list[Interruption]:
    instance = _instance(detail, "instance-id")
    return [_rebalance_of(instance, time, source)]


def _rebalance_of(instance: str, time: datetime | None, source: str) -> Interruption:
    kind = Kind.REBALANCE_RECOMMENDATION
    return Interruption(
        id=interruption_id(kind, instance),
        kind=kind,
        instance_id=instance,
        deadline=None,
        source=source,
        actionable=True,
        detail=f"Instance {instance} is at elevated risk of interruption; no deadline yet.",
        time=time,
    )


def _state_change(
    event: dict[str, Any], detail: dict[str, Any], time: datetime, source: str
) -> list[Interruption]:
    instance = _instance(detail, "instance-id")
    state = _text(detail, "state", "the event's detail")
    leaving = state in LEAVING_STATES
    kind = Kind.STATE_CHANGE
    return [
        Interruption(
            id=interruption_id(kind, instance, state, _stamp(time)),
            kind=kind,
            instance_id=instance,
            deadline=None,
            source=source,
            actionable=leaving,
            detail=(
                f"Instance {instance} is {state}."
                if leaving
                else f"Instance {instance} is {state}; nothing to do."
            ),
            time=time,
            state=state,
        )
    ]


def _health(
    event: dict[str, Any], detail: dict[str, Any], time: datetime, source: str
) -> list[Interruption]:
    where = "the Health event's detail"
    service = _text(detail, "service", where)
    category = _text(detail, "eventTypeCategory", where)
    type_code = _text(detail, "eventTypeCode", where)
    event_arn = _optional_text(detail, "eventArn", where)
    start = _optional_time(detail, "startTime", where)
    end = _optional_time(detail, "endTime", where)
    status = _optional_text(detail, "statusCode", where)
    instances = _health_instances(detail, event)
    ours = service == "EC2" and category == "scheduledChange"
    if ours and not instances:
        raise MalformedMessage("the Health event names no instance in affectedEntities")
    completed = status == "closed"
    code = next((c for marker, c in HEALTH_CODES if marker in type_code), None)
    kind = Kind.SCHEDULED_MAINTENANCE
    targets: list[str | None] = [*instances] or [None]
    out = []
    for instance in targets:
        if not ours:
            text = (
                f"Health event {type_code} ({service}, {category}) is not a scheduled change"
                " of EC2 instances; nothing to do."
            )
        elif completed:
            text = f"Scheduled {type_code} of {instance} has completed; nothing to do."
        else:
            text = f"{type_code} scheduled for {instance} from {_when(start)}."
        discriminator = _stamp(start) if start is not None else (event_arn or _stamp(time))
        out.append(
            Interruption(
                id=interruption_id(kind, instance, discriminator),
                kind=kind,
                instance_id=instance,
                deadline=start if ours and not completed else None,
                source=source,
                actionable=ours and not completed,
                detail=text,
                time=time,
                event_id=event_arn,
                code=code,
                not_before=start,
                not_after=end,
                completed=completed,
            )
        )
    return out


def _health_instances(detail: dict[str, Any], event: dict[str, Any]) -> list[str]:
    entities = detail.get("affectedEntities", [])
    if not isinstance(entities, list):
        raise MalformedMessage("the Health event's affectedEntities is not a list")
    values: list[Any] = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise MalformedMessage("an affectedEntities entry of the Health event is not an object")
        values.append(entity.get("entityValue"))
    if not values and isinstance(event.get("resources"), list):
        values = list(event["resources"])
    found = [v for v in values if isinstance(v, str) and _INSTANCE.fullmatch(v)]
    return list(dict.fromkeys(found))


def _lifecycle_event(
    event: dict[str, Any], detail: dict[str, Any], time: datetime, source: str
) -> list[Interruption]:
    return [_lifecycle(detail, time, source, "the event's detail")]


def _capacity_reservation(
    event: dict[str, Any], detail: dict[str, Any], time: datetime, source: str
) -> list[Interruption]:
    instance = _instance(detail, "instance-id")
    action = _optional_text(detail, "instance-action", "the event's detail") or "terminate"
    at = _optional_time(detail, "instance-termination-time", "the event's detail")
    deadline = at if at is not None else _add(time, NOTICE)
    kind = Kind.CAPACITY_RESERVATION_INTERRUPTION
    return [
        Interruption(
            id=interruption_id(kind, instance),
            kind=kind,
            instance_id=instance,
            deadline=deadline,
            source=source,
            actionable=True,
            detail=(
                f"The interruptible capacity reservation of {instance} is reclaimed;"
                f" EC2 will {action} it at {_when(deadline)}."
            ),
            time=time,
            action=action,
        )
    ]


_EVENTS = {
    SPOT_WARNING: _spot_warning,
    REBALANCE: _rebalance,
    STATE_CHANGE: _state_change,
    HEALTH: _health,
    TERMINATE_ACTION: _lifecycle_event,
    LAUNCH_ACTION: _lifecycle_event,
    CAPACITY_RESERVATION: _capacity_reservation,
}


def _autoscaling(message: dict[str, Any], source: str) -> list[Interruption]:
    where = "the Auto Scaling notification"
    time = _optional_time(message, "Time", where)
    if "LifecycleTransition" in message:
        return [_lifecycle(message, time, source, where)]
    event = _text(message, "Event", where)
    asg = _optional_text(message, "AutoScalingGroupName", where)
    kind = Kind.ASG_TERMINATION
    if event == TEST_NOTIFICATION:
        request = _optional_text(message, "RequestId", where) or "-"
        return [
            Interruption(
                id=interruption_id(kind, None, "test", request),
                kind=kind,
                instance_id=None,
                deadline=None,
                source=source,
                actionable=False,
                detail=f"An Auto Scaling test notification for {asg or 'a group'}; nothing to do.",
                time=time,
                asg=asg,
                transition=event,
            )
        ]
    if not event.startswith("autoscaling:"):
        raise UnrecognizedMessage(f"Event {event!r} is not an Auto Scaling notification")
    # Scaling activity notifications (EC2_INSTANCE_TERMINATE...) report what happened;
    # only lifecycle actions ask for something.
    instance = _optional_instance(message, "EC2InstanceId")
    return [
        Interruption(
            id=interruption_id(kind, instance, "notification", event),
            kind=kind,
            instance_id=instance,
            deadline=None,
            source=source,
            actionable=False,
            detail=f"An Auto Scaling {event} notification, not a lifecycle action; nothing to do.",
            time=time,
            asg=asg,
            transition=event,
        )
    ]


def _lifecycle(
    data: dict[str, Any], time: datetime | None, source: str, where: str
) -> Interruption:
    transition = _text(data, "LifecycleTransition", where)
    if transition not in (TERMINATING, LAUNCHING):
        raise MalformedMessage(
            f"LifecycleTransition {transition!r} is neither {TERMINATING} nor {LAUNCHING}"
        )
    instance = _instance(data, "EC2InstanceId")
    asg = _text(data, "AutoScalingGroupName", where)
    hook = _text(data, "LifecycleHookName", where)
    token = _text(data, "LifecycleActionToken", where)
    terminating = transition == TERMINATING
    kind = Kind.ASG_TERMINATION
    return Interruption(
        id=interruption_id(kind, instance)
        if terminating
        else interruption_id(kind, instance, "launching"),
        kind=kind,
        instance_id=instance,
        deadline=None,
        source=source,
        actionable=terminating,
        detail=(
            f"Auto Scaling group {asg} terminates {instance}; hook {hook} waits for"
            " CompleteLifecycleAction."
            if terminating
            else f"Auto Scaling group {asg} launches {instance}; nothing to do."
        ),
        time=time,
        asg=asg,
        hook=hook,
        token=token,
        transition=transition,
    )


# --- instance metadata -----------------------------------------------------------------


def _imds_key(path: str) -> str:
    key = path.strip().strip("/")
    for prefix in ("latest/", "meta-data/"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    if key not in IMDS_PATHS:
        raise UnrecognizedMessage(
            f"{path!r} is not a metadata path spotwise reads (it reads: {', '.join(IMDS_PATHS)})"
        )
    return key


def _imds_spot(data: dict[str, Any], instance: str, source: str) -> Interruption:
    where = f"the {IMDS_SPOT} answer"
    action = _choice(data, "action", SPOT_ACTIONS, where)
    deadline = _iso(data.get("time"), f"{where}'s time")
    kind = Kind.SPOT_INTERRUPTION
    return Interruption(
        id=interruption_id(kind, instance, action),
        kind=kind,
        instance_id=instance,
        deadline=deadline,
        source=source,
        actionable=True,
        detail=f"EC2 will {action} spot instance {instance} at {_when(deadline)}.",
        action=action,
    )


def _imds_rebalance(data: dict[str, Any], instance: str, source: str) -> Interruption:
    notice = _iso(data.get("noticeTime"), f"the {IMDS_REBALANCE} answer's noticeTime")
    return _rebalance_of(instance, notice, source)


def _imds_maintenance(entry: Any, instance: str, source: str) -> Interruption:
    where = "a scheduled maintenance event"
    data = _object(entry, where)
    start = _rfc(data.get("NotBefore"), f"{where}'s NotBefore")
    end = _optional_time(data, "NotAfter", where)
    code = _text(data, "Code", where)
    event_id = _text(data, "EventId", where)
    state = _optional_text(data, "State", where) or "active"
    if state not in MAINTENANCE_STATES:
        raise MalformedMessage(
            f"{where}'s State {state!r} is not one of {', '.join(MAINTENANCE_STATES)}"
        )
    active = state == "active"
    kind = Kind.SCHEDULED_MAINTENANCE
    return Interruption(
        id=interruption_id(kind, instance, _stamp(start)),
        kind=kind,
        instance_id=instance,
        deadline=start if active else None,
        source=source,
        actionable=active,
        detail=(
            f"{code} scheduled for {instance} from {_when(start)}."
            if active
            else f"The {code} of {instance} scheduled for {_when(start)} was {state};"
            " nothing to do."
        ),
        event_id=event_id,
        code=code,
        not_before=start,
        not_after=end,
        canceled=state == "canceled",
        completed=state == "completed",
    )


def _target_lifecycle_state(body: str, instance: str, source: str) -> Interruption:
    state = body.strip()
    if state not in LIFECYCLE_STATES:
        shown = state if len(state) <= 40 else state[:40] + "..."
        raise MalformedMessage(
            f"the {IMDS_LIFECYCLE} answer {shown!r} is not a lifecycle state"
            " (InService, Terminated...)"
        )
    terminated = state == "Terminated"
    kind = Kind.ASG_TERMINATION
    return Interruption(
        id=interruption_id(kind, instance)
        if terminated
        else interruption_id(kind, instance, state),
        kind=kind,
        instance_id=instance,
        deadline=None,
        source=source,
        actionable=terminated,
        detail=(
            f"Auto Scaling is terminating {instance}."
            if terminated
            else f"Auto Scaling's target state for {instance} is {state}; nothing to do."
        ),
        state=state,
    )


# --- fields ----------------------------------------------------------------------------


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise MalformedMessage(f"{what} is nested too deeply to read") from None
    except ValueError as error:
        reason = getattr(error, "msg", None) or "invalid"
        raise MalformedMessage(f"{what} is not JSON ({reason})") from None


def _type(value: Any) -> str:
    names = {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedMessage(f"{what} is a JSON {_type(value)}, not an object")
    return value


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        problem = "missing" if value is None else f"a {_type(value)}, not a non-empty string"
        raise MalformedMessage(f"{key} in {where} is {problem}")
    return value


def _optional_text(data: dict[str, Any], key: str, where: str) -> str | None:
    return None if data.get(key) is None else _text(data, key, where)


def _choice(
    data: dict[str, Any], key: str, values: tuple[str, ...], where: str = "the event's detail"
) -> str:
    value = _text(data, key, where)
    if value not in values:
        raise MalformedMessage(f"{key} {value!r} in {where} is not one of {', '.join(values)}")
    return value


def _instance(data: dict[str, Any], key: str) -> str:
    value = _optional_instance(data, key)
    if value is None:
        raise MalformedMessage(f"{key} is missing")
    return value


def _optional_instance(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not _INSTANCE.fullmatch(value):
        raise MalformedMessage(f"{key} {_short(value)} is not an EC2 instance id (i-...)")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _iso(value: Any, what: str) -> datetime:
    """An ISO 8601 time (``2026-12-04T16:00:00Z``), as an aware UTC datetime."""
    if not isinstance(value, str):
        problem = "missing" if value is None else f"a {_type(value)}, not a time"
        raise MalformedMessage(f"{what} is {problem}")
    try:
        parsed = datetime.fromisoformat(value)
        return _utc(parsed)
    except (ValueError, OverflowError):
        raise MalformedMessage(f"{what} {_short(value)} is not an ISO 8601 time") from None


def _rfc(value: Any, what: str) -> datetime:
    """An RFC 1123/2822 time (``Fri, 4 Dec 2026 16:00:00 GMT``, or without the weekday)."""
    if not isinstance(value, str):
        problem = "missing" if value is None else f"a {_type(value)}, not a time"
        raise MalformedMessage(f"{what} is {problem}")
    try:
        return _utc(parsedate_to_datetime(value))
    except (ValueError, TypeError, OverflowError, IndexError):
        raise MalformedMessage(
            f"{what} {_short(value)} is not a time like 'Fri, 4 Dec 2026 16:00:00 GMT'"
        ) from None


def _optional_time(data: dict[str, Any], key: str, where: str) -> datetime | None:
    """A time in either form (Health and metadata use RFC 1123, the rest ISO 8601)."""
    value = data.get(key)
    if value is None:
        return None
    what = f"{key} in {where}"
    try:
        return _iso(value, what)
    except MalformedMessage:
        if not isinstance(value, str):
            raise
        return _rfc(value, what)


def _utc(value: datetime) -> datetime:
    """Aware UTC; a time without a zone is taken as UTC (AWS writes UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _add(time: datetime, delta: timedelta) -> datetime:
    try:
        return time + delta
    except OverflowError:
        raise MalformedMessage(f"the time {_stamp(time)} is out of range") from None


def _stamp(value: datetime) -> str:
    return utc_text(value)


def _when(value: datetime | None) -> str:
    return "an unknown time" if value is None else _stamp(value)
