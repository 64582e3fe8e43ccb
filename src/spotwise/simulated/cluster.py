"""The simulated cluster: pods and nodes and what happens to them, in virtual time.

This is the simulator's stand-in for the Kubernetes API: it keeps each pod's phase and
node, builds the scheduler's `Node` values from it, and records what a person would want
to know afterwards (evictions, force deletions, time pending). Scheduling decisions are
not made here: the binder and the provisioner are the packer, called by the engine.
"""

from __future__ import annotations

import dataclasses
import enum
import heapq
from collections import Counter
from dataclasses import dataclass, field

from spotwise.model.instance_type import CapacityType
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.pod import Pod
from spotwise.model.provider_id import provider_id
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint, TaintEffect

NOT_READY = Taint("node.kubernetes.io/not-ready", "", TaintEffect.NO_SCHEDULE)


class Phase(enum.Enum):
    """Where a pod is in its life."""

    PENDING = "pending"
    STARTING = "starting"  # bound, containers starting
    RUNNING = "running"
    TERMINATING = "terminating"
    SUCCEEDED = "succeeded"
    GONE = "gone"  # deleted (scaled down, or replaced after its node vanished)


@dataclass(slots=True)
class SimPod:
    """A pod's life in the simulation."""

    pod: Pod
    created_at: float
    owner: str
    phase: Phase = Phase.PENDING
    node: str | None = None
    ready_at: float | None = None
    ends_at: float | None = None  # jobs: when the work is done; terminating: when gone
    work_seconds: float | None = None  # jobs: how long the work takes once running
    pending_reason: str = ""


@dataclass(slots=True)
class SimNode:
    """A node: its instance, its labels and capacity, and the pods bound to it."""

    name: str
    instance_id: str
    instance_type: str
    zone: str
    capacity_type: CapacityType
    pool: str
    labels: LabelSet
    allocatable: Resources
    price: float
    on_demand_price: float
    launched_at: float
    registered_at: float
    ready_at: float
    taints: tuple[Taint, ...] = ()
    unschedulable: bool = False
    pods: set[str] = field(default_factory=set)
    warned_at: float | None = None
    rebalance_at: float | None = None
    annotations: dict[str, str] = field(default_factory=dict)

    def is_registered(self, now: float) -> bool:
        """Whether the kubelet has registered the Node: before, the API knows nothing of it."""
        return now >= self.registered_at

    def is_ready(self, now: float) -> bool:
        """Whether the kubelet has joined and the node takes pods."""
        return now >= self.ready_at


class SimCluster:
    """Pods and nodes by name, with the indexes the loop needs every tick.

    Finished pods stay in ``pods`` for the end-of-run accounting. The indexes keep the
    per-tick work proportional to what changes: live and pending pods, the active
    (not terminating) and running pods of each owner, a timer heap of phase changes,
    and ``Node`` values rebuilt only for nodes whose pods changed.
    """

    def __init__(self) -> None:
        self.pods: dict[str, SimPod] = {}
        self.nodes: dict[str, SimNode] = {}
        self.live: set[str] = set()
        self.pending_keys: set[str] = set()
        self.active: dict[str, set[str]] = {}
        self.running: Counter[str] = Counter()
        self.timers: list[tuple[float, int, str, Phase]] = []
        self._serial = 0
        self._node_values: dict[str, Node] = {}
        self._by_name: list[SimNode] | None = None
        # Running totals over the nodes, so that accounting each tick does not walk them.
        self.price_per_hour = 0.0
        self.on_demand_price_per_hour = 0.0
        self.spot_nodes = 0
        # Spot nodes per (instance type, zone) pool, for the concentration figures.
        self.spot_nodes_by_pool: Counter[tuple[str, str]] = Counter()

    def add_node(self, node: SimNode) -> None:
        """A node whose instance was launched."""
        self.nodes[node.name] = node
        self._by_name = None
        self._count(node, 1)

    def _count(self, node: SimNode, sign: int) -> None:
        self.price_per_hour += sign * node.price
        self.on_demand_price_per_hour += sign * node.on_demand_price
        if node.capacity_type is CapacityType.SPOT:
            self.spot_nodes += sign
            pool = (node.instance_type, node.zone)
            self.spot_nodes_by_pool[pool] += sign
            if not self.spot_nodes_by_pool[pool]:
                del self.spot_nodes_by_pool[pool]  # only pools that run nodes, for each tick

    def add_pod(self, pod: SimPod) -> None:
        """Create a pod (pending)."""
        key = pod.pod.key
        self.pods[key] = pod
        self.live.add(key)
        self.pending_keys.add(key)
        self.active.setdefault(pod.owner, set()).add(key)

    def active_pods(self, owner: str) -> list[SimPod]:
        """The pods of one workload that are not terminating."""
        return [self.pods[k] for k in self.active.get(owner, ())]

    def active_count(self, owner: str) -> int:
        """How many pods of one workload are not terminating."""
        return len(self.active.get(owner, ()))

    def pending(self) -> list[SimPod]:
        """Pods waiting for a node, oldest first."""
        found = [self.pods[k] for k in self.pending_keys]
        found.sort(key=lambda p: (p.created_at, p.pod.key))
        return found

    def at(self, when: float, key: str, phase: Phase) -> None:
        """Look at pod ``key`` again at ``when``, if it is still in ``phase`` then."""
        self._serial += 1
        heapq.heappush(self.timers, (when, self._serial, key, phase))

    def due(self, now: float) -> list[tuple[str, Phase]]:
        """The timers that are due, in time order."""
        found = []
        while self.timers and self.timers[0][0] <= now:
            _, _, key, phase = heapq.heappop(self.timers)
            found.append((key, phase))
        return found

    def bind(self, key: str, node: str, ready_at: float) -> None:
        """Bind a pending pod to a node; it is ready at ``ready_at``."""
        pod = self.pods[key]
        pod.phase, pod.node, pod.ready_at = Phase.STARTING, node, ready_at
        self.pending_keys.discard(key)
        self.nodes[node].pods.add(key)
        self._node_values.pop(node, None)
        self.at(ready_at, key, Phase.STARTING)

    def set_running(self, key: str) -> None:
        """The pod's containers are ready."""
        pod = self.pods[key]
        pod.phase = Phase.RUNNING
        self.running[pod.owner] += 1

    def set_terminating(self, key: str, until: float) -> None:
        """The pod was deleted; it stops at ``until`` (its grace period)."""
        pod = self.pods[key]
        if pod.phase is Phase.RUNNING:
            self.running[pod.owner] -= 1
        pod.phase, pod.ends_at = Phase.TERMINATING, until
        pod.pod = dataclasses.replace(pod.pod, terminating=True)
        if pod.node is not None:
            self._node_values.pop(pod.node, None)
        self.active.get(pod.owner, set()).discard(key)
        self.at(until, key, Phase.TERMINATING)

    def delete_pending(self, key: str) -> None:
        """Delete a pod that never got a node."""
        self._finish(key, Phase.GONE)

    def release(self, key: str, phase: Phase, now: float) -> None:
        """Take a pod off its node into ``phase`` (gone, succeeded)."""
        pod = self.pods[key]
        if pod.node is not None and pod.node in self.nodes:
            node = self.nodes[pod.node]
            node.pods.discard(key)
            self._node_values.pop(node.name, None)
        pod.node = None
        self._finish(key, phase)

    def forget_finished(self) -> None:
        """Drop the pods that are gone or succeeded, as if they had never been."""
        for key in [k for k, p in self.pods.items() if p.phase in (Phase.GONE, Phase.SUCCEEDED)]:
            del self.pods[key]

    def node_changed(self, name: str) -> None:
        """A node's labels, taints or cordon changed: rebuild its scheduler value."""
        self._node_values.pop(name, None)

    def remove_node(self, name: str) -> None:
        """Forget a node (its pods must have been released)."""
        self._count(self.nodes.pop(name), -1)
        self._by_name = None
        self._node_values.pop(name, None)

    def _finish(self, key: str, phase: Phase) -> None:
        pod = self.pods[key]
        if pod.phase is Phase.RUNNING:
            self.running[pod.owner] -= 1
        pod.phase = phase
        pod.ends_at = None
        self.live.discard(key)
        self.pending_keys.discard(key)
        self.active.get(pod.owner, set()).discard(key)

    def scheduler_nodes(self, now: float) -> tuple[Node, ...]:
        """The registered nodes as the API shows them, ready ones first, with their pods.

        Instances still booting have no Node yet (the provisioner counts them as
        in-flight); registered nodes that are not ready yet come last.
        """
        if self._by_name is None:
            self._by_name = [self.nodes[name] for name in sorted(self.nodes)]
        ready = [self._node_value(n) for n in self._by_name if n.is_ready(now)]
        # The node lifecycle controller taints a registered node until its kubelet is Ready.
        joining = [
            dataclasses.replace(self._node_value(n), taints=(*n.taints, NOT_READY))
            for n in self._by_name
            if n.is_registered(now) and not n.is_ready(now)
        ]
        return (*ready, *joining)

    def ready_nodes(self, now: float) -> tuple[Node, ...]:
        """The nodes kube-scheduler binds to: ready ones."""
        if self._by_name is None:
            self._by_name = [self.nodes[name] for name in sorted(self.nodes)]
        return tuple(self._node_value(n) for n in self._by_name if n.is_ready(now))

    def _node_value(self, node: SimNode) -> Node:
        value = self._node_values.get(node.name)
        if value is None:
            bound = tuple(self.pods[k].pod for k in sorted(node.pods))
            value = Node(
                node.name,
                node.labels,
                node.taints,
                node.allocatable,
                bound,
                node.capacity_type,
                node.price,
                node.unschedulable,
                provider_id(node.zone, node.instance_id),
                dict(node.annotations),
                created_at=node.registered_at,
            )
            self._node_values[node.name] = value
        return value
