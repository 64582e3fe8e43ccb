"""From a notice to a marked node: the interruption handler's intake, over the ports.

Each message is parsed into interruptions, each interruption gets its response
(`spotwise.decisions.interruption.response`), and a response to drain marks the node
(taint, cordon, load-balancer label, deadline): from then on the drain loop and the
provisioner carry the interruption on from the node's state, so the message is
acknowledged once the mark is written. A mark that fails leaves the message to come back
(NTH #1279: a handler that acknowledged before tainting lost the event). Notices for
instances that are not this cluster's nodes are acknowledged and skipped: one queue per
cluster. A message that cannot be parsed is logged and left: after the queue's
maxReceiveCount it moves to the dead-letter queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spotwise.config.nodepool import NodePool
from spotwise.decisions.interruption.events import Interruption, InterruptionKind, utc_text
from spotwise.decisions.interruption.node_state import in_progress, mark, unmark
from spotwise.decisions.interruption.parse import MessageError, parse_message
from spotwise.decisions.interruption.response import Action, RebalancePolicy, respond
from spotwise.interruption.metrics import InterruptionMetrics
from spotwise.interruption.webhook import Notice, Webhook
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.provider_id import instance_id
from spotwise.ports.clock import Clock
from spotwise.ports.cloud import OfferingError
from spotwise.ports.cluster import Cluster, ClusterEvent, NodePatch
from spotwise.ports.interruptions import InterruptionSource, RawMessage
from spotwise.provisioning.unavailable import UnavailableOfferings

log = logging.getLogger(__name__)

# How long an id acted on is remembered, against duplicates.
RECENT_SECONDS = 600.0
# The code an interrupted spot offering is marked with (treated as no capacity).
INTERRUPTED_CODE = "InsufficientInstanceCapacity"


@dataclass(slots=True)
class IntakeReport:
    """What one intake run did.

    Attributes:
        received: Messages received.
        acked: Messages acknowledged (handled, duplicates, or not ours).
        malformed: Messages that could not be parsed (left for the dead-letter queue).
        actions: (interruption id, action, node) for each interruption acted on.
        skipped: Interruptions for instances that are not this cluster's nodes.
    """

    received: int = 0
    acked: int = 0
    malformed: int = 0
    actions: list[tuple[str, str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def pool_policies(nodepools: Sequence[NodePool]) -> Callable[[str], RebalancePolicy]:
    """Each pool's rebalance policy by name (``replace`` for a node of no known pool)."""
    policies = {p.name: p.spec.rebalance_policy for p in nodepools}
    return lambda pool: policies.get(pool, RebalancePolicy.REPLACE)


class Handler:
    """Turns notices into marked nodes (see the module's docstring).

    Args:
        cluster: The cluster.
        source: Where notices come from.
        unavailable: The offerings memory the provisioner plans with: an interrupted
            spot offering is skipped for a while.
        clock: Time.
        rebalance_policy: A pool's rebalance policy, by pool name.
        dry_run: Decide and log, change and acknowledge nothing.
        parse: Turns a message body into interruptions (queue messages by default; the
            node agent reads metadata answers).
        metrics: Where notices and marking latency are counted; None counts nothing.
        webhook: Where each interruption acted on is announced; None announces nothing.
        cluster_name: The cluster's name, in announcements.
    """

    def __init__(
        self,
        cluster: Cluster,
        source: InterruptionSource,
        unavailable: UnavailableOfferings,
        clock: Clock,
        *,
        rebalance_policy: Callable[[str], RebalancePolicy] = lambda _: RebalancePolicy.REPLACE,
        dry_run: bool = False,
        parse: Callable[[str], list[Interruption]] = parse_message,
        metrics: InterruptionMetrics | None = None,
        webhook: Webhook | None = None,
        cluster_name: str = "",
    ) -> None:
        self.metrics = metrics
        self.webhook = webhook
        self.cluster_name = cluster_name
        self.cluster = cluster
        self.parse = parse
        self.source = source
        self.unavailable = unavailable
        self.clock = clock
        self.rebalance_policy = rebalance_policy
        self.dry_run = dry_run
        # Ids acted on lately: a duplicate in the same batch, or read before the cache
        # shows the mark, acts once. Bounded by age (the notices' deadlines are minutes).
        self._recent: dict[str, float] = {}

    def run(self) -> IntakeReport:
        """Receive, handle and acknowledge what is there now."""
        report = IntakeReport()
        messages = self.source.receive()
        report.received = len(messages)
        if not messages:
            return report
        nodes = {instance_id(n.provider_id): n for n in self.cluster.snapshot().nodes}
        for message in messages:
            if self._handle(message, nodes, report) and not self.dry_run:
                self.source.ack(message)
                report.acked += 1
        return report

    def _handle(self, message: RawMessage, nodes: dict[str, Node], report: IntakeReport) -> bool:
        """Handle one message; True when it may be acknowledged."""
        try:
            interruptions = self.parse(message.body)
        except MessageError as error:
            report.malformed += 1
            log.error(
                "message %s cannot be handled (receive %d): %s",
                message.message_id,
                message.receive_count,
                error,
            )
            return False
        done = True
        for interruption in interruptions:
            try:
                self._act(interruption, nodes, report)
            except Exception:  # the API away: the message comes back and is handled again
                log.exception("handling %s failed; the message comes back", interruption.id)
                done = False
        return done

    def _act(self, i: Interruption, nodes: dict[str, Node], report: IntakeReport) -> None:
        node = nodes.get(i.instance_id or "")
        if node is None:
            if i.actionable:
                report.skipped.append(i.id)
                log.info("%s: instance %s is not a node of this cluster", i.id, i.instance_id)
            return
        now = self.clock.now()
        pool = node.labels.get(NODE_POOL) or ""
        response = respond(i, datetime.fromtimestamp(now, UTC), self.rebalance_policy(pool))
        current = in_progress(node)
        self._recent = {k: t for k, t in self._recent.items() if now - t < RECENT_SECONDS}
        # By id and action: a maintenance and its cancellation share an id.
        recent_key = f"{i.id}#{response.action.value}"
        if recent_key in self._recent:
            return
        patch: NodePatch | None = None
        match response.action:
            case Action.NOTHING:
                return
            case Action.DRAIN:
                if current is not None and (
                    current.interruption_id == i.id
                    or _no_later(current.deadline, response.deadline)
                ):
                    return  # already being handled, by the same notice or a sooner one
                deadline = response.deadline.timestamp() if response.deadline else None
                patch = mark(node, i.kind.value, i.id, deadline, now)
            case Action.CORDON:
                if node.unschedulable:
                    return
                patch = NodePatch(unschedulable=True)
            case Action.UNDO:
                # Only the maintenance's own marks: another interruption keeps the node.
                if current is None or current.kind != i.kind.value:
                    return
                patch = unmark(node)
        report.actions.append((i.id, response.action.value, node.name))
        fields = {"interruption": i.id, "node": node.name, "action": response.action.value}
        if self.dry_run:
            log.info(
                "would %s %s: %s",
                response.action.value,
                node.name,
                response.reason,
                extra={"fields": fields},
            )
            return
        self.cluster.patch_node(node.name, patch)  # raising leaves the message to come back
        self._recent[recent_key] = now
        if self.metrics is not None:
            self.metrics.events.labels(i.kind.value, response.action.value).inc()
            if response.action is Action.DRAIN and i.time is not None:
                self.metrics.mark_latency.observe(max(0.0, now - i.time.timestamp()))
        log.info(
            "%s %s: %s", response.action.value, node.name, response.reason, extra={"fields": fields}
        )
        self.cluster.emit(
            ClusterEvent(
                "Node",
                node.name,
                _REASONS[response.action],
                response.reason or i.detail,
                warning=response.action is Action.DRAIN,
            )
        )
        if self.webhook is not None:
            self.webhook.send(
                Notice(
                    self.cluster_name,
                    i.kind.value,
                    node.name,
                    i.instance_id or "",
                    response.action.value,
                    utc_text(response.deadline) if response.deadline else "none",
                    response.reason or i.detail,
                )
            )
        if i.kind in (
            InterruptionKind.SPOT_INTERRUPTION,
            InterruptionKind.REBALANCE_RECOMMENDATION,
        ):
            self._mark_offering(node, now)

    def _mark_offering(self, node: Node, now: float) -> None:
        """The interrupted spot pool is skipped for a while: replacements go elsewhere."""
        if node.instance_type is None or node.zone is None or node.capacity_type is None:
            return
        self.unavailable.mark(
            OfferingError(node.instance_type, node.zone, node.capacity_type, INTERRUPTED_CODE), now
        )


def _no_later(current: float | None, new: datetime | None) -> bool:
    """Whether a drain in progress already works to a deadline no later than ``new``."""
    if current is None:
        return new is None
    return new is None or current <= new.timestamp()


_REASONS = {
    Action.DRAIN: "InterruptionDraining",
    Action.CORDON: "InterruptionCordoned",
    Action.UNDO: "InterruptionCanceled",
    Action.NOTHING: "",
}
