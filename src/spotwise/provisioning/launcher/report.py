"""Saying what a launch did: a structured log line, an Event, and metrics.

Log lines carry JSON-friendly fields in ``extra`` (``event``, ``node``, ``pool`` and the
outcome's own), so the controller's JSON formatter can emit them as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from spotwise.decisions.scheduling.plan import NewNode
from spotwise.model.instance_type import CapacityType
from spotwise.ports.cloud import Instance
from spotwise.provisioning.events import (
    Event,
    EventReason,
    EventSink,
    EventType,
    ObjectRef,
    pod_ref,
)
from spotwise.provisioning.launcher.intent import LaunchIntent
from spotwise.provisioning.launcher.outcome import (
    Attempt,
    Failed,
    FellBack,
    Launched,
    LaunchOutcome,
    Retry,
    RetryReason,
)
from spotwise.provisioning.metrics import LaunchMetrics, MarkScope
from spotwise.provisioning.unavailable import UnavailableSnapshot

logger = logging.getLogger("spotwise.provisioning.launcher")


def report(
    intent: LaunchIntent,
    outcome: LaunchOutcome,
    attempts: Sequence[Attempt],
    now: float,
    *,
    events: EventSink,
    metrics: LaunchMetrics,
) -> None:
    """Log an outcome; emit an Event and count a fallback when a person should know."""
    node = intent.node
    fields: dict[str, object] = {"node": node.name, "pool": node.pool}
    codes = sorted({e.code for a in attempts for e in a.errors})
    match outcome:
        case Launched(instance=instance, reserved=reserved):
            fields |= _instance_fields(instance) | {"event": "launched", "reserved": reserved}
            logger.info("launched %s for node %s", instance.instance_id, node.name, extra=fields)
        case FellBack(instance, planned, launched, tried):
            metrics.fallback(node.pool, planned, launched)
            refused = ", ".join(codes) or "every offering marked unavailable"
            message = (
                f"No {planned} capacity for node {node.name}: tried {', '.join(tried)} in "
                f"{', '.join(node.zones)} ({refused}); launched {launched} "
                f"{instance.instance_type} in {instance.zone} ({instance.instance_id})"
            )
            fields |= _instance_fields(instance) | {
                "event": "launch_fallback",
                "from_capacity_type": planned.value,
                "to_capacity_type": launched.value,
                "instance_types": list(tried),
                "codes": codes,
            }
            logger.warning(message, extra=fields)
            events.emit(_event(EventReason.SPOT_UNAVAILABLE_FALLBACK, message, node, now))
        case Retry(after, reason, capacity_types):
            types = " or ".join(ct.value for ct in capacity_types)
            why = " (its pods run only on spot)" if reason is RetryReason.SPOT_UNAVAILABLE else ""
            message = (
                f"No {types} capacity for node {node.name} among "
                f"{', '.join(node.instance_types)} in {', '.join(node.zones)}{why}; "
                f"retrying in {after:.0f}s"
            )
            fields |= {
                "event": "launch_retry",
                "reason": reason.value,
                "after_seconds": after,
                "capacity_types": [ct.value for ct in capacity_types],
                "codes": codes,
            }
            logger.warning(message, extra=fields)
            events.emit(_event(EventReason.CAPACITY_UNAVAILABLE, message, node, now))
        case Failed(cause, detail):
            message = f"Cannot launch node {node.name}: {detail}"
            fields |= {"event": "launch_failed", "cause": cause.value, "codes": codes}
            logger.error(message, extra=fields)
            events.emit(_event(EventReason.LAUNCH_FAILED, message, node, now))


def record_unavailable(snapshot: UnavailableSnapshot, metrics: LaunchMetrics) -> None:
    """Set the unavailable-offerings gauge from the marks in force."""
    for ct in CapacityType:
        offerings = sum(1 for key in snapshot.offerings if key[2] is ct)
        metrics.set_unavailable(ct, MarkScope.OFFERING, offerings)
        metrics.set_unavailable(ct, MarkScope.CAPACITY_TYPE, int(ct in snapshot.capacity_types))


def _event(reason: EventReason, message: str, node: NewNode, now: float) -> Event:
    # The node does not exist yet: the Event is about its pool, and names the waiting pods.
    return Event(
        EventType.WARNING,
        reason,
        message,
        ObjectRef("NodePool", node.pool, api_version="spotwise.io/v1alpha1"),
        tuple(pod_ref(p) for p in node.pods),
        now,
    )


def _instance_fields(instance: Instance) -> dict[str, object]:
    return {
        "instance_id": instance.instance_id,
        "instance_type": instance.instance_type,
        "zone": instance.zone,
        "capacity_type": instance.capacity_type.value,
    }
