"""The provisioning loop: pending pods in, launches out, over the Cluster and Cloud ports.

One `Provisioner.reconcile` is what the controller runs after each batching window and
what the simulator runs every tick, over its simulated Cluster and Cloud: the simulator
has no planning or launching of its own. A round reads the cluster, plans the pending
pods over the existing and in-flight nodes with the packer, launches the planned nodes
through the Launcher, and records them as in-flight so that their pods are not planned
again while the nodes boot. A refused launch marks its offerings; the round plans again
at once without them (other spot pools first, on-demand only when none is left), which
beats relaunching the same spot-sized types on-demand.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spotwise.decisions.interruption.node_state import in_progress
from spotwise.decisions.scheduling.bins import minus
from spotwise.decisions.scheduling.commitments import Commitments, committed_pools
from spotwise.decisions.scheduling.daemons import daemonset_overhead
from spotwise.decisions.scheduling.packer import PackInput, PackMemo, pack
from spotwise.decisions.scheduling.plan import NewNode, Unschedulable
from spotwise.decisions.scheduling.pool import Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.provider_id import instance_id
from spotwise.ports.clock import Clock
from spotwise.ports.cloud import (
    REGISTRATION_TIMEOUT_CODE,
    TAG_NODE,
    TAG_POOL,
    Instance,
    OfferingError,
)
from spotwise.ports.cluster import Cluster, ClusterSnapshot
from spotwise.provisioning.available_pools import AvailablePools
from spotwise.provisioning.inflight import InFlight, InFlightNode
from spotwise.provisioning.launcher import (
    Failed,
    FellBack,
    Launched,
    Launcher,
    LaunchIntent,
    LaunchOutcome,
    LaunchSettings,
    Retry,
)
from spotwise.provisioning.observed import ObservedInterruptions

# Plans per round when launches are refused: each plans again without what was refused.
REPLANS = 3
# Karpenter's registration TTL: an instance whose Node has not appeared by then is
# terminated and its offering marked unavailable.
REGISTRATION_TIMEOUT_SECONDS = 900.0
# Taints a node carries only while it starts: the planner counts such a node as capacity
# for the pods that will land on it once they are gone.
EPHEMERAL_TAINTS = frozenset(
    {
        "node.kubernetes.io/not-ready",
        "node.cloudprovider.kubernetes.io/uninitialized",
    }
)
# Planned node names whose attempts are remembered; older ones are forgotten (their pods
# are long placed).
MAX_REMEMBERED_NAMES = 10_000


@dataclass(frozen=True, slots=True)
class LaunchRecord:
    """One planned node and what came of launching it.

    Attributes:
        node: The planned node, named as launched.
        outcome: The Launcher's outcome; None in a dry run, which launches nothing.
    """

    node: NewNode
    outcome: LaunchOutcome | None


@dataclass(frozen=True, slots=True)
class Round:
    """What one reconcile saw and did.

    Attributes:
        pending: Pods pending in the cluster.
        planned: Pending pods planned this round (the others wait for in-flight nodes).
        launches: Every planned node with its outcome, in launch order.
        unschedulable: Pods no pool can take, with reasons (from the last plan).
        registered: In-flight nodes whose Node appeared.
        timed_out: In-flight nodes that did not register in time (their instances
            were terminated and their offerings marked).
        plans: How many times the packer ran.
        displaced: Pods of nodes going away (interrupted), planned as if pending.
    """

    pending: int = 0
    planned: int = 0
    launches: tuple[LaunchRecord, ...] = ()
    unschedulable: tuple[Unschedulable, ...] = ()
    registered: tuple[InFlightNode, ...] = ()
    timed_out: tuple[InFlightNode, ...] = ()
    plans: int = 0
    displaced: int = 0


class Provisioner:
    """Launches nodes for pending pods; the same code in the controller and the simulator.

    Args:
        cluster: The cluster (real or simulated).
        launcher: Launches through the Cloud port and remembers refused offerings.
        pools: The pools, minus the offerings refused lately.
        settings: Each pool's launch settings, by pool name.
        clock: Time.
        registration_timeout: Seconds a launched instance has to register its Node.
        dry_run: Decide, record and report, but launch and terminate nothing.
        replans: Plans per round when launches are refused.
        observed: The memory of spot interruptions the interruption handler records
            into (``provisioner.observed.record``); plans price a pool seen interrupted
            as stormier for a few hours. A new, empty one when None.
        commitments: Reserved instances and Savings Plans: what they leave free is
            filled before anything is bought (`spotwise.decisions.scheduling.commitments`).
    """

    def __init__(
        self,
        cluster: Cluster,
        launcher: Launcher,
        pools: AvailablePools,
        settings: Mapping[str, LaunchSettings],
        clock: Clock,
        *,
        registration_timeout: float = REGISTRATION_TIMEOUT_SECONDS,
        dry_run: bool = False,
        replans: int = REPLANS,
        observed: ObservedInterruptions | None = None,
        commitments: Commitments | None = None,
    ) -> None:
        self.cluster = cluster
        self.commitments = commitments if commitments is not None else Commitments("")
        # Packing memos for each set of commitment views, valid while the pools' is.
        self._memos: dict[tuple[str, ...], PackMemo] = {}
        self._memos_of: PackMemo | None = None
        # Kept across `reconfigure`, as the launcher's memory of refused offerings is.
        self.observed = observed if observed is not None else ObservedInterruptions()
        self.launcher = launcher
        self.pools = pools
        self.settings = settings
        self.clock = clock
        self.registration_timeout = registration_timeout
        self.dry_run = dry_run
        self.replans = replans
        self.inflight = InFlight()
        # The next attempt of each planned node name, since a reused client token is
        # answered with its first answer, failure included.
        self._attempts: dict[str, int] = {}
        self._registered: set[str] = set()

    def reconcile(self, snapshot: ClusterSnapshot | None = None) -> Round:
        """Plan the pending pods and launch what they need; see the module's docstring.

        Args:
            snapshot: The cluster as just read; read from the Cluster port when None.
        """
        now = self.clock.now()
        snapshot = snapshot if snapshot is not None else self.cluster.snapshot()
        pending = {p.key: p for p in snapshot.pending}
        # Replacement first: the pods of a node going away need capacity from now on.
        displaced = [p for p in displaced_pods(snapshot.nodes) if p.key not in pending]
        pending.update((p.key, p) for p in displaced)
        self._registered = {instance_id(n.provider_id) for n in snapshot.nodes if n.provider_id}
        registered = self.inflight.settle(self._registered, pending)
        self._forget_lost()
        timed_out = self._expire(now)
        existing = tuple(_settled(_vacated(n)) for n in snapshot.nodes)
        launches: list[LaunchRecord] = []
        unschedulable: tuple[Unschedulable, ...] = ()
        planned = plans = 0
        for _ in range(self.replans):
            nominated = self.inflight.nominated()
            todo = tuple(p for k, p in pending.items() if k not in nominated)
            if not todo:
                break
            planned = max(planned, len(todo))
            nodes = (*existing, *self.inflight.nodes())
            pools, memo = self.planning_pools(nodes, now)
            plan = pack(PackInput(todo, nodes, pools, snapshot.daemonsets, memo))
            plans += 1
            unschedulable = plan.unschedulable
            refused = False
            for node in plan.nodes:
                record = self._launch(node, pending, snapshot.daemonsets, now)
                launches.append(record)
                refused = refused or isinstance(record.outcome, Retry)
            if not refused:
                break
        return Round(
            len(pending) - len(displaced),
            planned,
            tuple(launches),
            unschedulable,
            registered,
            timed_out,
            plans,
            len(displaced),
        )

    def planning_pools(
        self, nodes: Sequence[Node], now: float
    ) -> tuple[tuple[Pool, ...], PackMemo]:
        """The pools to plan with now over ``nodes``, free commitments first, and a memo.

        Args:
            nodes: The nodes that run or are being launched (they use the commitments).
            now: The time.
        """
        pools = self.pools.at(now, self.observed)
        views = committed_pools(pools, nodes, self.commitments)
        if not views:
            return pools, self.pools.memo
        if self._memos_of is not self.pools.memo:
            self._memos, self._memos_of = {}, self.pools.memo
        key = tuple(v.name for v in views)
        memo = self._memos.get(key)
        if memo is None:
            memo = self._memos[key] = PackMemo()
        return (*views, *pools), memo

    def reconfigure(self, pools: AvailablePools, settings: Mapping[str, LaunchSettings]) -> None:
        """Plan with other pools from the next round on (NodePools edited).

        In-flight nodes and the memories of refused offerings and of interruptions are
        kept; a node in flight
        from a pool that is gone still counts as capacity until it registers.
        """
        self.pools = pools
        self.settings = settings

    def adopt(self, instances: Sequence[Instance], registered: Sequence[Node]) -> int:
        """Take up instances launched earlier (by this replica or another) as in-flight.

        A controller that starts, or takes over as leader, finds the instances still
        booting from the cloud's tags: counting them as capacity keeps it from launching
        a second time for the same pods. Instances that registered, or are older than
        the registration timeout (garbage collection's), are left alone.

        Returns:
            How many were adopted.
        """
        now = self.clock.now()
        joined = {instance_id(n.provider_id) for n in registered if n.provider_id}
        adopted = 0
        for instance in instances:
            young = now - instance.launch_time < self.registration_timeout
            if instance.instance_id in joined or instance.instance_id in self.inflight or not young:
                continue
            pool = instance.tags.get(TAG_POOL, "")
            name = instance.tags.get(TAG_NODE, instance.instance_id)
            node = self._node_of(name, pool, instance, (), ())
            self.inflight.add(InFlightNode(name, pool, instance.launch_time, instance, node))
            adopted += 1
        return adopted

    def _launch(
        self,
        planned: NewNode,
        pending: Mapping[str, Pod],
        daemonsets: Sequence[PodSpec],
        now: float,
    ) -> LaunchRecord:
        node = dataclasses.replace(planned, name=planned_name(planned))
        pods = tuple(pending[k] for k in node.pods if k in pending)
        if self.dry_run:
            self.inflight.add(InFlightNode(node.name, node.pool, now, None, None, pods))
            return LaunchRecord(node, None)
        outcome = self._launch_fresh(node)
        if isinstance(outcome, Launched | FellBack):
            instance = outcome.instance
            virtual = self._node_of(node.name, node.pool, instance, pods, daemonsets)
            self.inflight.add(InFlightNode(node.name, node.pool, now, instance, virtual, pods))
        return LaunchRecord(node, outcome)

    def _launch_fresh(self, node: NewNode) -> LaunchOutcome:
        """Launch, never taking a dead instance that a reused client token answers with."""
        while True:
            attempt = self._attempts.get(node.name, 0)
            intent = LaunchIntent(
                node,
                # Re-planning does the fallback (see reconcile), so a spot node is not
                # bought on-demand with the types it was sized for on spot.
                allows_on_demand=node.capacity_type is CapacityType.ON_DEMAND,
                # The packer plans a spot node only with spot offers its pods all accept
                # (required affinity is never relaxed), and this plan is this round's.
                allows_spot=node.capacity_type is CapacityType.SPOT,
                attempt=attempt,
            )
            outcome = self.launcher.launch(intent, self.settings[node.pool])
            match outcome:
                case Launched() | FellBack() if self._seen(outcome.instance):
                    # A token used before, answered with its first instance: go on.
                    self._attempts[node.name] = attempt + 1
                    continue
                case Launched() | FellBack():
                    # The same pods planned again by this replica need a node of their
                    # own: the one launched did not serve them (taken, or too small).
                    self._attempts[node.name] = attempt + 1
                case Retry():
                    self._attempts[node.name] = outcome.next_attempt
                case Failed():
                    self._attempts[node.name] = attempt + 1
            while len(self._attempts) > MAX_REMEMBERED_NAMES:
                del self._attempts[next(iter(self._attempts))]  # the oldest first
            return outcome

    def _forget_lost(self) -> None:
        """Forget in-flight instances that are gone (reclaimed, or terminated by someone).

        Their pods would otherwise wait for a node that never comes, until the timeout.
        """
        live = [r.instance.instance_id for r in self.inflight.records() if r.instance]
        if not live or self.dry_run:
            return
        found = {i.instance_id: i for i in self.launcher.cloud.describe(live)}
        lost = [i for i in live if i not in found or found[i].state.gone]
        for record in self.inflight.drop(lost):
            self._retire(record)

    def _retire(self, record: InFlightNode) -> None:
        """A node that will not come: the next launch for its pods needs a fresh token."""
        self._attempts[record.name] = self._attempts.get(record.name, 0) + 1

    def _seen(self, instance: Instance) -> bool:
        """Whether a launch answered with an instance that is gone, joined or in flight."""
        i = instance.instance_id
        return instance.state.gone or i in self._registered or i in self.inflight

    def _expire(self, now: float) -> tuple[InFlightNode, ...]:
        """Terminate the instances that did not register in time and mark their offerings."""
        expired = self.inflight.expire(now, self.registration_timeout)
        for record in expired:
            self._retire(record)
        gone = [r.instance for r in expired if r.instance is not None]
        if gone and not self.dry_run:
            self.launcher.cloud.terminate([i.instance_id for i in gone])
            for i in gone:
                error = OfferingError(
                    i.instance_type, i.zone, i.capacity_type, REGISTRATION_TIMEOUT_CODE
                )
                self.launcher.unavailable.mark(error, now)
        return expired

    def _node_of(
        self,
        name: str,
        pool_name: str,
        instance: Instance,
        pods: tuple[Pod, ...],
        daemonsets: Sequence[PodSpec],
    ) -> Node | None:
        """The node ``instance`` will register as, as the scheduler will see it."""
        pool = self.pools.pool(pool_name)
        shape = None if pool is None else pool.shape(instance.instance_type)
        if pool is None or shape is None:
            return None  # launched under another configuration: capacity we cannot describe
        offer = next(
            (
                o
                for o in shape.offers
                if o.zone == instance.zone and o.capacity_type is instance.capacity_type
            ),
            None,
        )
        if offer is None:
            return None
        # Its hostname is unknown until it registers; the plan's name stands in.
        labels = offer.labels.merged({HOSTNAME: name})
        free = minus(shape.allocatable, daemonset_overhead(daemonsets, labels, pool.taints))
        return Node(
            name,
            labels,
            pool.taints,
            free,
            pods,
            instance.capacity_type,
            offer.price,
            provider_id=instance.provider_id,
        )


def planned_name(node: NewNode) -> str:
    """A name for a planned node that any replica planning the same pods arrives at.

    The launch's client token derives from it: a leader that takes over and plans the
    same pods as the one before gets the instance already launched, not a second one.
    The plan's own name (its place in the plan) is in it too, so that nodes planned
    for no pod (headroom) differ.
    """
    text = "\n".join((node.pool, node.capacity_type.value, node.name, *sorted(node.pods)))
    return f"{node.pool}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def displaced_pods(nodes: Sequence[Node]) -> list[Pod]:
    """The pods that must leave nodes marked as interrupted (DaemonSet pods stay)."""
    return [
        p
        for n in nodes
        if in_progress(n) is not None
        for p in n.pods
        if not p.per_node and not p.terminating
    ]


def _vacated(node: Node) -> Node:
    """A node going away as it will be once drained: without the pods that must leave it.

    Its displaced pods are planned as pending; left on it too, they would count twice, and
    in topology spread where they will not be (kube-scheduler skips terminating pods), so
    that the replacements of zone-spread pods were planned into other zones than the ones
    they will be bound to, and a rebalance-marked node waited for them until its warning.
    """
    if in_progress(node) is None:
        return node
    staying = tuple(p for p in node.pods if p.per_node or p.terminating)
    return node if len(staying) == len(node.pods) else dataclasses.replace(node, pods=staying)


def _settled(node: Node) -> Node:
    """The node as it will be once it has started: without its start-up taints."""
    if not any(t.key in EPHEMERAL_TAINTS for t in node.taints):
        return node
    taints = tuple(t for t in node.taints if t.key not in EPHEMERAL_TAINTS)
    return dataclasses.replace(node, taints=taints)
