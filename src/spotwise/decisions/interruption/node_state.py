"""What an interruption in progress looks like on its node, so any replica can carry it on.

State lives in the cluster: the handler taints the node ``spotwise.io/interruption=<kind>``
(NoSchedule), cordons it, labels it out of external load balancers, and writes the
deadline and the interruption's id in annotations. A controller that restarts, or a
standby that takes the lease, reads them back (`in_progress`) and resumes the drain; a
canceled event takes them off again (`unmark`), leaving what others put there.

Three more annotations carry a drain past its pods: when the pods were all gone
(``drained-at``, so the drain's end is counted once and a volume wait is bounded), the
Auto Scaling lifecycle action holding the instance (released once drained), and, for a
reboot-only maintenance, the boot the drain began in (a new boot id means the node is
back, and the marks come off).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from spotwise.model.node import Node
from spotwise.model.provider_id import instance_id
from spotwise.model.scheduling_terms import Taint, TaintEffect
from spotwise.ports.autoscaling import LifecycleAction
from spotwise.ports.cluster import NodePatch

TAINT_KEY = "spotwise.io/interruption"
# The taint of a node disrupted voluntarily (consolidation): drained the same way, replacement
# first, but with no deadline and always within the budgets.
DISRUPTED_TAINT_KEY = "spotwise.io/disrupted"
DEADLINE_ANNOTATION = "spotwise.io/interruption-deadline"
ID_ANNOTATION = "spotwise.io/interruption-id"
MARKED_AT_ANNOTATION = "spotwise.io/interruption-marked-at"
DRAINED_AT_ANNOTATION = "spotwise.io/interruption-drained-at"
# JSON {"group", "hook", "token"}: the lifecycle hook that holds the instance.
LIFECYCLE_ANNOTATION = "spotwise.io/interruption-lifecycle-action"
# For a reboot-only maintenance: the node's boot id when it was marked.
REBOOT_ANNOTATION = "spotwise.io/interruption-reboot-from-boot"
# Kubernetes' own label: service controllers take the node out of load balancers, so new
# connections stop before its pods do.
EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
# Set when spotwise added the label (not the user), so that undoing removes only ours.
EXCLUDED_BY_US = "spotwise.io/excluded-from-load-balancers"
# Set when spotwise cordoned the node, so that undoing does not uncordon a user's cordon.
CORDONED_BY_US = "spotwise.io/cordoned"
# When a voluntary drain of the node was last given up (none of its pods could leave):
# consolidation leaves the node alone for a while instead of trying again at once.
ABANDONED_ANNOTATION = "spotwise.io/disruption-abandoned-at"


@dataclass(frozen=True, slots=True)
class InProgress:
    """An interruption being handled on a node, as read back from the node.

    Attributes:
        kind: The interruption's kind (the taint's value).
        interruption_id: Its de-duplication id.
        deadline: When the instance goes away, seconds since the epoch; None if it does not.
        marked_at: When the node was marked, if known.
        drained_at: When its last pod that had to leave was gone; None while draining.
        lifecycle: The Auto Scaling lifecycle action holding the instance, until released.
        reboot_from: For a reboot-only maintenance, the boot id the node had when marked.
        voluntary: Disrupted by spotwise's choice (consolidation), not by an interruption.
    """

    kind: str
    interruption_id: str
    deadline: float | None
    marked_at: float | None = None
    drained_at: float | None = None
    lifecycle: LifecycleAction | None = None
    reboot_from: str | None = None
    voluntary: bool = False


def taint(kind: str, voluntary: bool = False) -> Taint:
    """The taint an interrupted (or voluntarily disrupted) node carries."""
    return Taint(DISRUPTED_TAINT_KEY if voluntary else TAINT_KEY, kind, TaintEffect.NO_SCHEDULE)


def mark(
    node: Node,
    kind: str,
    interruption_id: str,
    deadline: float | None,
    now: float | None = None,
    *,
    lifecycle: LifecycleAction | None = None,
    reboot: bool = False,
    voluntary: bool = False,
) -> NodePatch:
    """The patch that marks ``node`` as interrupted: taint, label, cordon, annotations.

    Args:
        node: The node.
        kind: The interruption's kind (the taint's value).
        interruption_id: Its de-duplication id.
        deadline: When the instance goes away; None if it does not.
        now: When it is marked.
        lifecycle: The lifecycle action holding the instance, to release once drained.
        reboot: A reboot-only maintenance: the node comes back, and the marks come off.
        voluntary: Spotwise disrupts it by choice (consolidation): `DISRUPTED_TAINT_KEY`.
    """
    annotations: dict[str, str | None] = {
        ID_ANNOTATION: interruption_id,
        DEADLINE_ANNOTATION: "" if deadline is None else iso(deadline),
        # A newer notice restarts the drain's bookkeeping.
        DRAINED_AT_ANNOTATION: None,
        REBOOT_ANNOTATION: node.boot_id if reboot and node.boot_id else None,
    }
    if lifecycle is not None:  # one held already stays: it is released once drained
        annotations[LIFECYCLE_ANNOTATION] = _lifecycle_text(lifecycle)
    if now is not None:
        annotations[MARKED_AT_ANNOTATION] = iso(now)
    labels: dict[str, str | None] = {}
    if EXCLUDE_LB_LABEL not in node.labels:
        labels[EXCLUDE_LB_LABEL] = "true"
        annotations[EXCLUDED_BY_US] = "true"
    if not node.unschedulable:
        annotations[CORDONED_BY_US] = "true"
    return NodePatch(
        labels=labels,
        annotations=annotations,
        add_taints=(taint(kind, voluntary),),
        unschedulable=True,
    )


def unmark(node: Node) -> NodePatch:
    """The patch that undoes `mark`, leaving the label and cordon others set.

    A canceled interruption of a node that consolidation is taking anyway takes off the
    interruption's taint and deadline only: the node still goes, with no deadline.
    """
    if any(t.key == DISRUPTED_TAINT_KEY for t in node.taints) and any(
        t.key == TAINT_KEY for t in node.taints
    ):
        return NodePatch(
            annotations=dict.fromkeys(
                (DEADLINE_ANNOTATION, LIFECYCLE_ANNOTATION, REBOOT_ANNOTATION)
            ),
            remove_taints=tuple(t for t in node.taints if t.key == TAINT_KEY),
        )
    ours = [t for t in node.taints if t.key in (TAINT_KEY, DISRUPTED_TAINT_KEY)]
    labels: dict[str, str | None] = {}
    if node.annotations.get(EXCLUDED_BY_US):
        labels[EXCLUDE_LB_LABEL] = None
    cordoned_by_us = bool(node.annotations.get(CORDONED_BY_US))
    return NodePatch(
        labels=labels,
        annotations=dict.fromkeys(
            (
                ID_ANNOTATION,
                DEADLINE_ANNOTATION,
                MARKED_AT_ANNOTATION,
                DRAINED_AT_ANNOTATION,
                LIFECYCLE_ANNOTATION,
                REBOOT_ANNOTATION,
                EXCLUDED_BY_US,
                CORDONED_BY_US,
            )
        ),
        remove_taints=tuple(ours),
        unschedulable=False if cordoned_by_us else None,
    )


def in_progress(node: Node) -> InProgress | None:
    """The interruption (or voluntary disruption) being handled on ``node``, or None.

    An interruption wins over a voluntary disruption of the same node: its deadline is real.
    """
    found = _marking(node.taints)
    if found is None:
        return None
    voluntary = found.key == DISRUPTED_TAINT_KEY
    annotations = node.annotations
    return InProgress(
        found.value,
        annotations.get(ID_ANNOTATION, ""),
        parse_iso(annotations.get(DEADLINE_ANNOTATION, "")),
        parse_iso(annotations.get(MARKED_AT_ANNOTATION, "")),
        parse_iso(annotations.get(DRAINED_AT_ANNOTATION, "")),
        _lifecycle(annotations.get(LIFECYCLE_ANNOTATION, ""), node.provider_id),
        annotations.get(REBOOT_ANNOTATION) or None,
        voluntary,
    )


def voluntary_kind(taints: Sequence[Taint]) -> str | None:
    """The kind of the voluntary disruption these taints mark (``empty``, ``delete``...).

    None when there is none, or when an interruption took the node over (see `in_progress`).
    """
    found = _marking(taints)
    return found.value if found is not None and found.key == DISRUPTED_TAINT_KEY else None


def _marking(taints: Sequence[Taint]) -> Taint | None:
    """The taint that says what is being done to a node: an interruption's first."""
    found = next((t for t in taints if t.key == TAINT_KEY), None)
    return found or next((t for t in taints if t.key == DISRUPTED_TAINT_KEY), None)


def drained(now: float) -> NodePatch:
    """The patch that records that the node's pods are all gone."""
    return NodePatch(annotations={DRAINED_AT_ANNOTATION: iso(now)})


def held(lifecycle: LifecycleAction) -> NodePatch:
    """The patch that records a lifecycle action holding a node already being drained."""
    return NodePatch(annotations={LIFECYCLE_ANNOTATION: _lifecycle_text(lifecycle)})


def released() -> NodePatch:
    """The patch that records that the lifecycle action was released."""
    return NodePatch(annotations={LIFECYCLE_ANNOTATION: None})


def _lifecycle_text(action: LifecycleAction) -> str:
    return json.dumps({"group": action.group, "hook": action.hook, "token": action.token})


def _lifecycle(text: str, provider_id: str) -> LifecycleAction | None:
    """The lifecycle action of the annotation; None when absent or unreadable."""
    if not text:
        return None
    try:
        found = json.loads(text)
        group, hook, token = found["group"], found["hook"], found.get("token")
    except (ValueError, TypeError, KeyError):
        return None
    instance = instance_id(provider_id)
    if not (isinstance(group, str) and isinstance(hook, str) and instance):
        return None
    return LifecycleAction(group, hook, instance, token if isinstance(token, str) else None)


def iso(seconds: float) -> str:
    """Seconds since the epoch as ISO 8601 UTC (``2026-12-04T17:00:00Z``)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float | None:
    """`iso`'s inverse; None for an empty or unreadable value."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
