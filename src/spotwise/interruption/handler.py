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

Messages of one receive are handled by a bounded pool of workers, so a burst of
warnings is marked in parallel (within the API client's rate limits) and one slow
patch does not hold up the others. In ``--interruptions-only`` mode a scope
(`spotwise.interruption.scope.ManagedGroups`) limits the handler to nodes of Auto
Scaling groups that carry a managed tag.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from spotwise.config.nodepool import NodePool
from spotwise.decisions.interruption.events import Interruption, InterruptionKind, utc_text
from spotwise.decisions.interruption.node_state import (
    InProgress,
    held,
    in_progress,
    mark,
    unmark,
)
from spotwise.decisions.interruption.parse import MessageError, parse_message
from spotwise.decisions.interruption.response import Action, RebalancePolicy, Response, respond
from spotwise.interruption.metrics import InterruptionMetrics
from spotwise.interruption.scope import ManagedGroups
from spotwise.interruption.webhook import Notice, Webhook
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.provider_id import instance_id
from spotwise.ports.autoscaling import LifecycleAction
from spotwise.ports.clock import Clock
from spotwise.ports.cloud import OfferingError
from spotwise.ports.cluster import Cluster, ClusterEvent, NodePatch
from spotwise.ports.interruptions import InterruptionSource, RawMessage
from spotwise.provisioning.observed import ObservedInterruptions
from spotwise.provisioning.unavailable import UnavailableOfferings

log = logging.getLogger(__name__)

# How long an id acted on is remembered, against duplicates.
RECENT_SECONDS = 600.0
# The code an interrupted spot offering is marked with (treated as no capacity).
INTERRUPTED_CODE = "InsufficientInstanceCapacity"
# Scheduled maintenance that only reboots: the node comes back.
REBOOT_CODES = frozenset({"system-reboot", "instance-reboot"})


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

    def add(self, other: IntakeReport) -> None:
        """Count ``other`` (one message's report) in this one."""
        self.received += other.received
        self.acked += other.acked
        self.malformed += other.malformed
        self.actions.extend(other.actions)
        self.skipped.extend(other.skipped)


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
        scope: Limits the handler to nodes of Auto Scaling groups with a managed tag
            (``--interruptions-only``); None acts on every node of the cluster.
        workers: How many messages are handled at once (1: one after another).
        observed: The provisioner's memory of spot interruptions: each warning acted on
            raises its pool's expected interruption cost for a few hours.
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
        scope: ManagedGroups | None = None,
        workers: int = 1,
        observed: ObservedInterruptions | None = None,
    ) -> None:
        self.observed = observed
        self.scope = scope
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, "intake") if workers > 1 else None
        self._lock = threading.Lock()
        self._node_locks: dict[str, threading.Lock] = {}
        self._written: dict[str, InProgress | None] = {}
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

    def close(self) -> None:
        """Let the work in flight end and cancel what has not started (on shutdown)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self) -> IntakeReport:
        """Receive, handle and acknowledge what is there now."""
        report = IntakeReport()
        messages = self.source.receive()
        report.received = len(messages)
        if not messages:
            return report
        nodes = {instance_id(n.provider_id): n for n in self.cluster.snapshot().nodes}
        # What this run wrote to each node: its notices see the node as it is now, not as
        # the snapshot read it (a warning and a rebalance recommendation often come in
        # the same receive, and the sooner deadline must win whichever is handled last).
        self._written = {}
        if self.scope is not None:
            self.scope.managed(i for i in nodes if i)  # one lookup for the batch
        if self._pool is None:
            parts = [self._one(m, nodes) for m in messages]
        else:
            parts = list(self._pool.map(lambda m: self._one(m, nodes), messages))
        for part in parts:
            report.add(part)
        return report

    def _one(self, message: RawMessage, nodes: dict[str, Node]) -> IntakeReport:
        """Handle one message and acknowledge it when done; its own report."""
        report = IntakeReport()
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
        if node is None or not self._in_scope(node):
            if i.actionable:
                report.skipped.append(i.id)
                log.info("%s: instance %s is not a node this handler serves", i.id, i.instance_id)
            return
        now = self.clock.now()
        pool = node.labels.get(NODE_POOL) or ""
        response = respond(i, datetime.fromtimestamp(now, UTC), self.rebalance_policy(pool))
        # By id and action: a maintenance and its cancellation share an id.
        recent_key = f"{i.id}#{response.action.value}"
        with self._lock:  # two workers with the same notice: one acts
            self._recent = {k: t for k, t in self._recent.items() if now - t < RECENT_SECONDS}
            if recent_key in self._recent:
                return
            if not self.dry_run:
                self._recent[recent_key] = now
        try:
            with self._node_lock(node.name):  # one node's notices one after another
                self._carry_out(i, node, response, now, report)
        except Exception:
            with self._lock:  # not done: the message comes back and acts again
                self._recent.pop(recent_key, None)
            raise

    def _node_lock(self, name: str) -> threading.Lock:
        with self._lock:
            return self._node_locks.setdefault(name, threading.Lock())

    def _record_lifecycle(
        self, node: Node, current: InProgress, action: LifecycleAction | None
    ) -> None:
        """Record the lifecycle action on a node whose drain started without it."""
        if action is None or current.lifecycle is not None or self.dry_run:
            return
        self.cluster.patch_node(node.name, held(action))
        self._written[node.name] = replace(current, lifecycle=action)
        log.info("%s: held by lifecycle hook %s of %s", node.name, action.hook, action.group)

    def _in_scope(self, node: Node) -> bool:
        """Whether this handler serves ``node`` (every node, unless scoped)."""
        if self.scope is None:
            return True
        instance = instance_id(node.provider_id)
        return bool(instance) and instance in self.scope.managed([instance])

    def _carry_out(
        self, i: Interruption, node: Node, response: Response, now: float, report: IntakeReport
    ) -> None:
        current = self._written[node.name] if node.name in self._written else in_progress(node)
        written: InProgress | None = current
        patch: NodePatch | None = None
        match response.action:
            case Action.NOTHING:
                return
            case Action.DRAIN:
                if current is not None and (
                    current.interruption_id == i.id
                    or _no_later(current.deadline, response.deadline)
                ):
                    # Already being handled, by the same notice or a sooner one; a
                    # lifecycle hook it names (the agent marked first) is released later.
                    self._record_lifecycle(node, current, _lifecycle_action(i))
                    return
                deadline = response.deadline.timestamp() if response.deadline else None
                lifecycle = _lifecycle_action(i)
                patch = mark(
                    node,
                    i.kind.value,
                    i.id,
                    deadline,
                    now,
                    lifecycle=lifecycle,
                    reboot=i.code in REBOOT_CODES,
                )
                kept = lifecycle or (current.lifecycle if current is not None else None)
                written = InProgress(i.kind.value, i.id, deadline, now, lifecycle=kept)
            case Action.CORDON:
                if node.unschedulable:
                    return
                patch = NodePatch(unschedulable=True)
            case Action.UNDO:
                # Only the maintenance's own marks (its cancellation shares its id): another
                # interruption, or another maintenance, keeps the node.
                if current is None or current.interruption_id != i.id:
                    return
                patch = unmark(node)
                written = None
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
        self._written[node.name] = written
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
        if i.kind is InterruptionKind.SPOT_INTERRUPTION:
            self._learn(node, now)

    def _mark_offering(self, node: Node, now: float) -> None:
        """The interrupted spot pool is skipped for a while: replacements go elsewhere."""
        if node.instance_type is None or node.zone is None or node.capacity_type is None:
            return
        self.unavailable.mark(
            OfferingError(node.instance_type, node.zone, node.capacity_type, INTERRUPTED_CODE), now
        )

    def _learn(self, node: Node, now: float) -> None:
        """A reclaimed spot pool looks stormier to planning for a few hours.

        Only warnings count: a rebalance recommendation is a risk, not an interruption.
        """
        if self.observed is None or node.instance_type is None or node.zone is None:
            return
        if node.capacity_type is CapacityType.SPOT:
            self.observed.record(
                node.instance_type, node.zone, now, instance_id=instance_id(node.provider_id)
            )


def _lifecycle_action(i: Interruption) -> LifecycleAction | None:
    """The lifecycle action an Auto Scaling termination notice names, if it names one."""
    if i.asg and i.hook and i.instance_id:
        return LifecycleAction(i.asg, i.hook, i.instance_id, i.token)
    return None


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
