"""Cost-optimal packing of pending pods onto existing nodes and new ones.

`pack` is a pure function: frozen inputs in, a `Plan` out. Inside, equivalent pods (equal
`PodSpec`) are placed as one group, so the work grows with the number of distinct pod
shapes rather than pods. Groups go largest first (first-fit decreasing); each group
fills existing nodes, then the new nodes already opened, then opens new ones from the
highest-weight pool that can take it. A new node keeps every shape that could still
hold its pods; the cheapest is chosen at the end, so a half-empty node shrinks to the
smallest type that fits. Before the greedy, every group fills existing nodes, and an
assignment LP over the pods left guides which types new nodes open as; pods no topology
rule looks at may first be cut into nodes along the LP's columns (see `pack`).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from spotwise.decisions.scheduling import compat, guidance, slicing
from spotwise.decisions.scheduling.bins import (
    Claim,
    ExistingBin,
    Placement,
    fit_count,
    minus,
    times,
)
from spotwise.decisions.scheduling.constraints import Constraints
from spotwise.decisions.scheduling.daemons import daemonset_overhead
from spotwise.decisions.scheduling.diversity import Reach, reach
from spotwise.decisions.scheduling.explain import explain
from spotwise.decisions.scheduling.finalize import finalize
from spotwise.decisions.scheduling.headroom import headroom_pods
from spotwise.decisions.scheduling.options import (
    agreed_labels,
    cheapest,
    dominant_shapes,
    grows_on_spot,
    intersect,
    label_values,
    require,
    room_left,
)
from spotwise.decisions.scheduling.plan import ExistingPlacement, Plan, Unschedulable
from spotwise.decisions.scheduling.pool import NodeShape, Pool, PoolLimits
from spotwise.decisions.scheduling.pricing import SizePrices, size_prices
from spotwise.decisions.scheduling.topology import (
    HOSTNAME_KEY,
    CounterKey,
    TopologyCounts,
    domain_of,
)
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.labelset import LabelSet
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import HostPort

# A new node's shapes are those within this factor of the best price per unit of demand;
# tighter packs denser, looser gives the final choice more types to pick the cheapest from.
EFFICIENCY_SLACK = 0.15
UNLIMITED = 10**9
MAX_PACKING_SHAPES = 60
# Below this many pods the greedy choice is as good and the LP costs more than it saves.
GUIDANCE_MIN_PODS = 50
# Nodes cut from the LP's columns mix workloads, and a node that several Deployments share
# empties less often when one of them scales in; so the cut plan is taken only when it
# saves this share of the greedy plan's hourly cost. On the default simulated day, the
# on-demand strategy's first plan cut 0.5% cheaper cost 3.5% more over the day, and
# spotwise-narrow's cut 3.8% cheaper cost 8% more (it also crowded one pool).
SLICING_MIN_SAVING = 0.05


@dataclass(frozen=True, slots=True)
class PackInput:
    """Everything `pack` decides from.

    Attributes:
        pods: Pending pods.
        nodes: Existing nodes, with the pods bound to them.
        pools: Node pools new nodes may come from.
        daemonsets: DaemonSet pod specs: overhead on every new node they would run on.
    """

    pods: tuple[Pod, ...]
    nodes: tuple[Node, ...] = ()
    pools: tuple[Pool, ...] = ()
    daemonsets: tuple[PodSpec, ...] = ()
    memo: PackMemo | None = field(default=None, compare=False, repr=False)


class PackMemo:
    """Answers that depend only on the pools and DaemonSets, kept between `pack` calls.

    A controller or simulator that plans every few seconds over the same pools passes one
    memo to every call and a new one when its pools or DaemonSets change; decisions are
    the same with or without it, only faster.
    """

    def __init__(self, allocatable: dict[str, tuple[Resources, ...]] | None = None) -> None:
        self.allocatable: dict[str, tuple[Resources, ...]] = allocatable or {}
        self.placements: dict[compat.NodeKey, dict[str, dict[int, frozenset[Placement]]]] = {}
        self.fitting: dict[object, dict[str, dict[int, frozenset[Placement]]]] = {}
        self.efficient: dict[object, dict[int, frozenset[Placement]]] = {}
        self.required: dict[object, dict[int, frozenset[Placement]]] = {}
        self.domains: dict[object, frozenset[str]] = {}
        self.accepts: dict[object, bool] = {}
        self.spot: dict[object, bool] = {}
        self.by_price: dict[str, dict[CapacityType, list[tuple[float, int]]]] = {}
        self.reach: dict[object, Reach | None] = {}
        self.size_prices: dict[object, SizePrices] = {}


def pack(request: PackInput) -> Plan:
    """Decide where every pending pod goes and which nodes to launch, at the least cost.

    Where nodes can be cut from the LP's columns (`spotwise.decisions.scheduling.slicing`),
    the plan is made both ways, cut and greedy, and the cut one is kept when it places as
    many pods and saves at least `SLICING_MIN_SAVING` of the greedy one's hourly cost.

    Returns:
        The plan: new nodes with their pods and launch lists, placements on existing
        nodes, and every pod that cannot be placed with its reason.
    """
    if request.memo is None:  # the runs below share what depends on the pools only
        request = dataclasses.replace(request, memo=PackMemo())
    first = _Packer(request, slicing=False)
    greedy = first.run()
    # No cut costs less than the LP's optimum: skip it when that cannot save enough.
    if first.bound is None or first.bound >= _hourly(greedy) * (1 - SLICING_MIN_SAVING):
        return greedy
    sliced = _Packer(request, slicing=True, solved=first.solved)
    plan = sliced.run()
    if not sliced.sliced:
        return greedy
    if len(greedy.unschedulable) != len(plan.unschedulable):
        return min(plan, greedy, key=lambda p: len(p.unschedulable))
    saves = _hourly(plan) <= _hourly(greedy) * (1 - SLICING_MIN_SAVING)
    return plan if saves else greedy


def pack_greedy(request: PackInput) -> Plan:
    """`pack` by the greedy alone: the LP guides where nodes open, no node is cut from it."""
    return _Packer(request, slicing=False).run()


def pack_sliced(request: PackInput) -> Plan:
    """`pack` with nodes cut from the LP's columns wherever it can, however little it saves."""
    return _Packer(request, slicing=True).run()


def _hourly(plan: Plan) -> float:
    """What the packer minimizes: the new nodes' expected price and interruption cost."""
    return sum(n.price_per_hour + n.interruption_cost_per_hour for n in plan.nodes)


def group_pods(pods: Iterable[Pod]) -> dict[PodSpec, list[Pod]]:
    """Equivalent pods together, in order of first appearance."""
    groups: dict[PodSpec, list[Pod]] = defaultdict(list)
    for pod in pods:
        groups[pod.spec].append(pod)
    return groups


def _size(spec: PodSpec, scale: Resources) -> float:
    """A pod's size as its largest share of the cluster's total demand (for FFD order)."""
    r = spec.requests
    shares = [r.cpu_milli / max(scale.cpu_milli, 1), r.memory_bytes / max(scale.memory_bytes, 1)]
    shares.append(r.ephemeral_bytes / max(scale.ephemeral_bytes, 1))
    shares += [count for _, count in r.extended]
    return max(shares)


class _Packer:
    """One packing run. Mutable working state lives here and dies with the run."""

    def __init__(
        self,
        request: PackInput,
        slicing: bool,
        solved: dict[str, guidance.Guidance | None] | None = None,
    ) -> None:
        """Set up a run.

        Args:
            request: What to pack.
            slicing: Whether to cut nodes from the LP's columns.
            solved: Pool -> the LP's answer, from a run of the same request (the LPs of
                both runs are the same: existing nodes are filled the same way first).
        """
        self.request = request
        self.slicing = slicing
        self.solved: dict[str, guidance.Guidance | None] = dict(solved or {})
        self.sliced = False  # whether any node was cut from the LP's columns
        # The LP's optimum over the pools nodes may be cut in (None: no LP solved there).
        self.bound: float | None = None
        self.pools = sorted(request.pools, key=lambda p: (-p.weight, p.name))
        self.memo = request.memo if request.memo is not None else PackMemo()
        self.allocatable = self.memo.allocatable
        for pool in self.pools:
            if pool.name not in self.allocatable:
                self.allocatable[pool.name] = _daemon_adjusted(pool, request.daemonsets)
        self.exotic = {p.name: tuple(s.instance_type.exotic for s in p.shapes) for p in self.pools}
        smallest = _smallest_request(request.pods)
        # A node without room for the smallest pending pod can take none of them; leaving
        # full nodes out keeps each plan proportional to the nodes that matter.
        self.existing = [_existing_bin(n) for n in request.nodes if smallest.fits_in(n.free)]
        self.claims: list[Claim] = []
        self.claim_serial: dict[str, int] = defaultdict(int)
        self.topology = TopologyCounts()
        self.groups = group_pods(request.pods)
        self.demand = Resources()
        for spec, pods in self.groups.items():
            self.demand = self.demand + times(spec.requests, len(pods))
        self._register_counters()
        self.topology_keys = sorted(
            {k.topology_key for k in self.topology.keys}
            | {k.topology_key for k in self.topology.holders}
        )
        self.unschedulable: list[Unschedulable] = []
        self.notes: list[str] = []
        self._placements = self.memo.placements
        self._efficient_cache = self.memo.efficient
        self._fitting = self.memo.fitting
        self._guidance: dict[tuple[str, PodSpec], tuple[int, ...]] = {}
        self._counted_specs: dict[PodSpec, bool] = {}
        # Each group's pods not yet placed, as the passes of `run` place them.
        self.left: dict[PodSpec, list[Pod]] = {}
        self._shapes_by_name: dict[str, dict[str, NodeShape]] = {}

    # -- set-up ----------------------------------------------------------------------

    def _register_counters(self) -> None:
        bound = {spec for n in self.request.nodes for spec, _ in n.pod_specs}
        for spec in self.groups:
            strict = Constraints.strict(spec)
            for term in strict.affinity + strict.anti_affinity:
                self.topology.register(CounterKey.of_term(term, spec.namespace))
            for constraint in spec.spread:
                self.topology.register(CounterKey.of_spread(constraint, spec.namespace))
        for spec in [*self.groups, *bound]:
            for term in spec.anti_affinity:
                self.topology.register_holder(CounterKey.of_term(term, spec.namespace))
        if not (any(True for _ in self.topology.keys) or self.topology.holders):
            return  # nothing counts pods: no need to look at the bound ones
        counted = {spec for spec in bound if self.topology.counters_of(spec) or spec.anti_affinity}
        for node in self.request.nodes:
            for spec, count in node.pod_specs:
                if spec in counted:
                    self.topology.add(spec, node.labels, count, node.hostname)

    # -- the run ---------------------------------------------------------------------

    def run(self) -> Plan:
        order = sorted(
            self.groups.items(),
            # Pods that need other pods (required affinity) go after the pods they need.
            key=lambda item: (bool(item[0].affinity), -_size(item[0], self.demand)),
        )
        # Existing nodes first, every group in order: their room is paid for already.
        for spec, pods in order:
            self.left[spec] = self._place(Constraints.strict(spec), pods, open_new=False)
        self._guide()
        for spec, pods in order:
            self._place_group(spec, self.left[spec], len(pods))
        for pool in self.pools:
            if not (pool.headroom.units or pool.headroom.percent):
                continue
            spare = headroom_pods(pool, self._requested_in(pool))
            if spare:
                before = len(self.unschedulable)
                self._place_group(spare[0].spec, spare, len(spare))
                missing = len(self.unschedulable) - before
                if missing:
                    # Headroom is a wish, not a workload: say so instead of listing pods.
                    del self.unschedulable[before:]
                    self.notes.append(f"pool {pool.name}: {missing} headroom units do not fit")
        nodes, split_notes = finalize(
            self.claims, self.pools, self.request.nodes, self.allocatable, self.memo.by_price
        )
        existing = tuple(
            ExistingPlacement(pod.key, b.node.name) for b in self.existing for pod in b.placed
        )
        return Plan(nodes, existing, tuple(self.unschedulable), tuple(self.notes + split_notes))

    def _guide(self) -> None:
        """Ask the assignment LP where the pods left should go, per pool, and follow it.

        Each group is a row of the LP of the first pool (by weight) that takes it, as
        that is where its new nodes open. Groups that request the same and accept the
        same offerings are one row (their labels matter to topology, not to cost), which
        keeps it small. The LP's types guide where the greedy opens nodes; in a pool
        without limits, the pods no topology rule looks at are first cut into nodes along
        the LP's columns (`spotwise.decisions.scheduling.slicing`).
        """
        if sum(len(pods) for pods in self.left.values()) < GUIDANCE_MIN_PODS:
            return
        rows_of: dict[str, dict[tuple[Resources, int], list[PodSpec]]] = {}
        options_of: dict[tuple[Resources, int], dict[int, frozenset[Placement]]] = {}
        for spec in self.groups:  # in order of first appearance, as the LP's rows
            fitting = self._fitting_options(Constraints.strict(spec)) if self.left[spec] else {}
            pool = next((p for p in self.pools if fitting.get(p.name)), None)
            if pool is not None:
                options = fitting[pool.name]
                key = (spec.requests, id(options))
                rows_of.setdefault(pool.name, {}).setdefault(key, []).append(spec)
                options_of[key] = options
        for pool in self.pools:
            rows = rows_of.get(pool.name, {})
            if len(rows) < 2:
                continue
            keys = list(rows)
            counts = [sum(len(self.left[s]) for s in rows[k]) for k in keys]
            if pool.name not in self.solved:
                prices = [
                    _lp_prices(
                        self._size_prices(pool, Constraints.strict(rows[k][0])), options_of[k]
                    )
                    for k in keys
                ]
                self.solved[pool.name] = guidance.solve(
                    [request for request, _ in keys], counts, prices, self.allocatable[pool.name]
                )
            found = self.solved[pool.name]
            if found is None:
                continue
            for index, key in enumerate(keys):
                types = found.types_by_group.get(index, ())
                for spec in rows[key] if types else ():
                    self._guidance[(pool.name, spec)] = types
            if pool.limits != PoolLimits():
                continue
            self.bound = (self.bound or 0.0) + found.bound
            if self.slicing:
                self._slice(pool, found, [rows[k] for k in keys], counts)

    def _slice(
        self,
        pool: Pool,
        found: guidance.Guidance,
        rows: list[list[PodSpec]],
        counts: list[int],
    ) -> None:
        """Open nodes along the LP's columns for the pods no topology rule looks at.

        Args:
            pool: The pool the LP was solved for.
            found: Its answer.
            rows: The groups of each LP row.
            counts: Each row's pods, as the LP was given them.
        """
        plain = [[s for s in specs if self._plain(s)] for specs in rows]
        requests = [specs[0].requests for specs in rows]
        allocatable = self.allocatable[pool.name]
        # Columns of one price and allocatable are one (types of a size share a price),
        # and cutting them apart would leave a partial node for each.
        merged: dict[tuple[float, Resources], tuple[int, dict[int, int]]] = {}
        for column, wanted in slicing.round_assignment(found.assigned, counts).items():
            shape, price = found.columns[column]
            _, into = merged.setdefault((price, allocatable[shape]), (shape, {}))
            for row, n in wanted.items():
                into[row] = into.get(row, 0) + n
        for shape, wanted in sorted(
            merged.values(),
            key=lambda item: -slicing.nodes_needed(item[1], requests, allocatable[item[0]]),
        ):
            for row in wanted:
                wanted[row] = min(wanted[row], sum(len(self.left[s]) for s in plain[row]))
            order = sorted(wanted, key=lambda r: -_size(rows[r][0], self.demand))
            while any(wanted.values()):
                # Opened for the node rules of the largest pods still wanted here.
                first = next(r for r in order if wanted[r])
                claim = self._open_slice(pool, plain[first][0], shape)
                if claim is None:
                    break
                quotas = slicing.slice_quotas(wanted, requests, allocatable[shape])
                for row in order:
                    wanted[row] -= self._take(claim, plain[row], quotas[row])
                topping = True
                while topping:
                    topping = False
                    for row in order:
                        if wanted[row] and self._take(claim, plain[row], 1):
                            wanted[row] -= 1
                            topping = True
                if not claim.pods:
                    break  # what is left of this column goes to the greedy
                self.claims.append(claim)
                self.claim_serial[pool.name] += 1
                self.sliced = True

    def _plain(self, spec: PodSpec) -> bool:
        """Whether no topology rule or host port looks at where pods of ``spec`` go."""
        return not (spec.host_ports or self._topology_matters(Constraints.strict(spec)))

    def _take(self, claim: Claim, specs: list[PodSpec], n: int) -> int:
        """Put up to ``n`` pods of ``specs`` (one LP row) on ``claim``; return how many."""
        placed = 0
        for spec in specs:
            pods = self.left[spec]
            if placed == n or not pods:
                continue
            cons = Constraints.strict(spec)
            options = self._fitting_options(cons)
            k = self._try_claim(claim, cons, pods[: n - placed], None, options)
            del pods[:k]
            placed += k
        return placed

    def _open_slice(self, pool: Pool, spec: PodSpec, shape: int) -> Claim | None:
        """A new node of ``pool`` sized as ``shape``, for pods with ``spec``'s node rules."""
        cons = Constraints.strict(spec)
        options = self._fitting_options(cons)[pool.name]
        if shape not in options:
            return None
        return self._new_claim(pool, cons, {shape: options[shape]})

    def _requested_in(self, pool: Pool) -> Resources:
        """What the pods on a pool's nodes (existing and new) request."""
        total = Resources()
        for claim in self.claims:
            if claim.pool is pool:
                total = total + claim.used
        placed = {id(b.node): b for b in self.existing}
        for node in self.request.nodes:
            if node.labels.get(NODE_POOL) == pool.name:
                ebin = placed.get(id(node))
                free = ebin.free if ebin is not None else node.free
                total = total + minus(node.allocatable, free)
        return total

    def _place_group(self, spec: PodSpec, pods: list[Pod], size: int) -> None:
        """Place what is left of a group (``size`` pods in all), relaxing preferences."""
        if not pods:
            return
        cons: Constraints | None = Constraints.strict(spec)
        remaining = pods
        last = Constraints.strict(spec)
        while cons is not None and remaining:
            remaining = self._place(cons, remaining)
            last = cons
            if remaining:
                cons = cons.relax()
        if last.relaxed and len(remaining) < len(pods):
            owner = pods[0].owner or pods[0].key
            self.notes.append(f"{owner}: placed after relaxing {', '.join(last.relaxed)}")
        if spec.host_ports and size > 1:
            ports = ", ".join(f"{p.port}/{p.protocol}" for p in spec.host_ports)
            owner = pods[0].owner or pods[0].key
            self.notes.append(f"{owner}: hostPort {ports} allows one pod per node")
        if remaining:
            free = {b.node.name: b.free for b in self.existing}
            nodes = {n.name: free.get(n.name, n.free) for n in self.request.nodes}
            reason = explain(
                Constraints.strict(spec), remaining[0], self.pools, self.allocatable, nodes
            )
            self.unschedulable.extend(Unschedulable(p.key, reason) for p in remaining)

    def _could_be_spot(
        self,
        pool: Pool,
        fitting: dict[int, frozenset[Placement]],
        requirement: tuple[str, str] | None,
    ) -> bool:
        """Whether pods with these (memoized) fitting options could run on spot in ``pool``."""
        key = ("spot", pool.name, id(fitting), requirement)
        found = self.memo.spot.get(key)
        if found is None:
            narrowed = require(pool, fitting, *requirement) if requirement else fitting
            found = self.memo.spot[key] = grows_on_spot(narrowed)
        return found

    def _acceptance(self, cons: Constraints) -> Callable[[Node], bool]:
        """`compat.node_accepts` for these pods, memoized on what it reads of a node."""
        pods_key = compat.node_key(cons)
        memo = self.memo.accepts

        def accepts(node: Node) -> bool:
            key = (node.name, node.labels, node.taints, node.unschedulable, pods_key)
            found = memo.get(key)
            if found is None:
                found = memo[key] = compat.node_accepts(cons, node)
            return found

        return accepts

    def _placements_for(self, cons: Constraints) -> dict[str, dict[int, frozenset[Placement]]]:
        """Pool -> shape -> placements these pods' node predicates accept (cached by key).

        Groups with the same node constraints share one answer object, which lets claims
        skip re-intersecting their options with it.
        """
        key = compat.node_key(cons)
        found = self._placements.get(key)
        if found is None:
            found = {p.name: compat.pool_placements(cons, p) for p in self.pools}
            self._placements[key] = found
        return found

    def _fitting_options(self, cons: Constraints) -> dict[str, dict[int, frozenset[Placement]]]:
        """Pool -> shape -> placements that accept these pods and hold at least one."""
        key = (compat.node_key(cons), cons.spec.requests)
        found = self._fitting.get(key)
        if found is None:
            found = {
                name: compat.that_fit(
                    placements, self.allocatable[name], self.exotic[name], cons.spec.requests
                )
                for name, placements in self._placements_for(cons).items()
            }
            self._fitting[key] = found
        return found

    def _place(self, cons: Constraints, pods: list[Pod], open_new: bool = True) -> list[Pod]:
        """Place as many pods as ``cons`` allows; return the ones left over.

        Args:
            cons: The pods' constraints.
            pods: The pods, all of one group.
            open_new: Whether new nodes may be planned (False: existing nodes only).
        """
        accepts = self._acceptance(cons)
        existing = [b for b in self.existing if accepts(b.node)]
        options = self._fitting_options(cons)
        left: list[Pod] = []
        start = 0
        for requirement, quota in self._batches(cons, len(pods), existing, options):
            batch = pods[start : start + quota]
            start += quota
            left += self._fill(cons, batch, requirement, existing, options, open_new)
        return left + pods[start:]

    # -- batches: spreading over a topology key ----------------------------------------

    def _batches(
        self,
        cons: Constraints,
        n: int,
        existing: list[ExistingBin],
        options: dict[str, dict[int, frozenset[Placement]]],
    ) -> list[tuple[tuple[str, str] | None, int]]:
        """Split ``n`` pods over domains: (label requirement, count) per batch.

        A spread constraint over a node label (zone, capacity type) that counts the
        group's own pods is met by water-filling its domains up front, most balanced
        first, which satisfies every maxSkew; the rest of the constraints are checked
        per node.
        """
        spec = cons.spec
        for constraint in cons.spread:
            key = CounterKey.of_spread(constraint, spec.namespace)
            if key.topology_key == HOSTNAME_KEY or not self.topology.counted_by(key, spec):
                continue
            accepts = self._acceptance(cons)
            eligible = [n for n in self.request.nodes if accepts(n)]
            domains = self._domains(key.topology_key, eligible, options)
            if not domains:
                return [(None, n)]
            counts = {d: self.topology.count(key, d) for d in domains}
            quotas = _water_fill(counts, n)
            return [((key.topology_key, d), q) for d, q in quotas.items() if q]
        return [(None, n)]

    def _domains(
        self,
        topology_key: str,
        eligible: list[Node],
        options: dict[str, dict[int, frozenset[Placement]]],
    ) -> list[str]:
        """The values ``topology_key`` takes on nodes these pods could use, sorted."""
        values = {n.labels.get(topology_key) for n in eligible}
        for pool in self.pools:
            pool_options = options[pool.name]
            key = (pool.name, id(pool_options), topology_key)
            found = self.memo.domains.get(key)
            if found is None:
                found = self.memo.domains[key] = frozenset(
                    label_values(pool, pool_options, topology_key)
                )
            values |= found
        return sorted(v for v in values if v is not None)

    # -- filling bins --------------------------------------------------------------------

    def _fill(
        self,
        cons: Constraints,
        pods: list[Pod],
        requirement: tuple[str, str] | None,
        existing: list[ExistingBin],
        options: dict[str, dict[int, frozenset[Placement]]],
        open_new: bool = True,
    ) -> list[Pod]:
        spec = cons.spec
        request = spec.requests
        batched = requirement[0] if requirement else None
        i = 0
        for ebin in existing:
            if i == len(pods):
                return []
            if requirement and ebin.labels.get(requirement[0]) != requirement[1]:
                continue
            k = min(len(pods) - i, fit_count(ebin.free, request))
            if k and spec.host_ports:
                k = 0 if _port_conflict(spec, ebin.ports) else min(k, 1)
            if k:
                k = min(k, self._topology_cap(cons, ebin.labels, ebin.hostname, batched))
            if k:
                self._bind_existing(ebin, pods[i : i + k], spec)
                i += k
        if not open_new:
            return pods[i:]
        for claim in self.claims:
            if i == len(pods):
                return []
            i += self._try_claim(claim, cons, pods[i:], requirement, options)
        while i < len(pods):
            new = self._open_claim(cons, requirement, options)
            if new is None:
                break
            placed = self._try_claim(new, cons, pods[i:], requirement, options)
            if not placed:
                break
            self.claims.append(new)
            self.claim_serial[new.pool.name] += 1
            i += placed
        return pods[i:]

    def _bind_existing(self, ebin: ExistingBin, pods: Sequence[Pod], spec: PodSpec) -> None:
        ebin.free = minus(ebin.free, times(spec.requests, len(pods)))
        ebin.placed.extend(pods)
        ebin.ports.extend(spec.host_ports)
        self.topology.add(spec, ebin.labels, len(pods), ebin.hostname)

    def _try_claim(
        self,
        claim: Claim,
        cons: Constraints,
        pods: Sequence[Pod],
        requirement: tuple[str, str] | None,
        options: dict[str, dict[int, frozenset[Placement]]],
    ) -> int:
        """Put as many of ``pods`` on ``claim`` as fit; return how many."""
        spec = cons.spec
        request = spec.requests
        room = claim.room
        if request.cpu_milli > room.cpu_milli or request.memory_bytes > room.memory_bytes:
            return 0
        if not options[claim.pool.name]:
            return 0
        if spec.host_ports and _port_conflict(spec, claim.ports):
            return 0
        placements = self._placements_for(cons)[claim.pool.name]
        if not grows_on_spot(claim.options) and self._could_be_spot(
            claim.pool, options[claim.pool.name], requirement
        ):
            # A node that must be on-demand would grow at on-demand prices for pods that
            # could run on spot for a third of it: they get a spot node instead.
            return 0
        seen = any(placements is done for done in claim.intersected)
        narrowed = claim.options if seen else intersect(claim.options, placements)
        if requirement:
            narrowed = require(claim.pool, narrowed, *requirement)
        topology_matters = self._topology_matters(cons)
        if topology_matters:
            narrowed = self._fix_domains(claim, cons, narrowed)
        if not narrowed:
            return 0
        if claim.pods and grows_on_spot(claim.options) and not grows_on_spot(narrowed):
            # A spot node stays spot once it holds pods: pods that need on-demand, or a
            # zone where only on-demand is offered, must not turn it (and the spot pods
            # on it) on-demand. An empty claim is what its first pods make it.
            return 0
        allocatable = self.allocatable[claim.pool.name]
        frontier = (
            claim.frontier if narrowed is claim.options else dominant_shapes(narrowed, allocatable)
        )
        k = max(fit_count(minus(allocatable[i], claim.used), request) for i in frontier)
        if claim.reach is not None:
            k = min(k, claim.reach.room_for(claim.used, request))
        k = min(k, len(pods))
        if spec.host_ports:
            k = min(k, 1)
        if k and topology_matters:
            labels = self._claim_labels(claim, narrowed)
            batched = requirement[0] if requirement else None
            k = min(k, self._topology_cap(cons, labels, claim.hostname, batched))
        if not k:
            return 0
        claim.used = claim.used + times(request, k)
        if narrowed is not claim.options:
            claim.options, claim.frontier = narrowed, frontier
        if not seen:
            claim.compatible = intersect(claim.compatible, placements)
            claim.intersected.append(placements)
        claim.room = room_left(allocatable, claim.frontier, claim.used)
        claim.pods.extend(pods[:k])
        claim.ports.extend(spec.host_ports)
        labels = self._claim_labels(claim, claim.options) if self._counted(spec) else _NO_LABELS
        self.topology.add(spec, labels, k, claim.hostname)
        return k

    def _claim_labels(self, claim: Claim, options: dict[int, frozenset[Placement]]) -> LabelSet:
        """The topology labels a claim's node will have, cached while its options stand."""
        if options is not claim.options:
            return agreed_labels(claim.pool, options, self.topology_keys)
        if claim.agreed is None or claim.agreed[0] is not options:
            claim.agreed = (options, agreed_labels(claim.pool, options, self.topology_keys))
        return claim.agreed[1]

    def _topology_matters(self, cons: Constraints) -> bool:
        """Whether any topology rule looks at where these pods go."""
        spec = cons.spec
        return bool(cons.affinity or cons.anti_affinity or cons.spread) or self._counted(spec)

    def _counted(self, spec: PodSpec) -> bool:
        """Whether some counter or anti-affinity holder counts pods of ``spec``."""
        found = self._counted_specs.get(spec)
        if found is None:  # counters are all registered before placing starts
            topology = self.topology
            found = self._counted_specs[spec] = (
                any(topology.counted_by(k, spec) for k in topology.keys)
                or any(topology.counted_by(k, spec) for k in topology.holders)
                or bool(spec.anti_affinity)
            )
        return found

    def _fix_domains(
        self, claim: Claim, cons: Constraints, narrowed: dict[int, frozenset[Placement]]
    ) -> dict[int, frozenset[Placement]]:
        """Narrow a claim so that every label topology counts these pods by has one value.

        A new node may still be launchable in several zones; once it holds a pod that a
        zonal constraint or counter cares about, its zone must be decided. The value
        chosen is the one the constraints like best: the least crowded domain for a
        spread, one with matching pods for an affinity, one without for anti-affinity.
        """
        spec = cons.spec
        keys = {k.topology_key for k in self.topology.counters_of(spec)}
        keys |= {c.topology_key for c in cons.spread}
        keys |= {t.topology_key for t in cons.affinity + cons.anti_affinity}
        keys.discard(HOSTNAME_KEY)
        for key in sorted(keys):
            values = label_values(claim.pool, narrowed, key)
            if len(values) <= 1:
                continue
            best = min(values, key=lambda v: (-self._domain_score(cons, key, v), v))
            narrowed = require(claim.pool, narrowed, key, best)
        return narrowed

    def _domain_score(self, cons: Constraints, key: str, value: str) -> float:
        spec = cons.spec
        score = 0.0
        for term in cons.affinity:
            if term.topology_key == key:
                score += self.topology.count(CounterKey.of_term(term, spec.namespace), value) > 0
        for term in cons.anti_affinity:
            if term.topology_key == key:
                score -= self.topology.count(CounterKey.of_term(term, spec.namespace), value) > 0
        for holder in self.topology.holder_terms_against(spec):
            # Other pods' anti-affinity keeps these pods out of the domains they hold.
            if holder.topology_key == key:
                score -= self.topology.holders[holder].get(value, 0) > 0
        for constraint in cons.spread:
            if constraint.topology_key == key:
                counter = CounterKey.of_spread(constraint, spec.namespace)
                score -= self.topology.count(counter, value) / 1e6
        return score

    def _open_claim(
        self,
        cons: Constraints,
        requirement: tuple[str, str] | None,
        options: dict[str, dict[int, frozenset[Placement]]],
    ) -> Claim | None:
        """A new node from the first pool (by weight) that can take one of these pods."""
        for pool in self.pools:
            pool_options = options[pool.name]
            if requirement:
                # Memoized by the identity of the (memoized) options: same map, same answer.
                key = (pool.name, id(pool_options), requirement)
                narrowed = self.memo.required.get(key)
                if narrowed is None:
                    narrowed = self.memo.required[key] = require(pool, pool_options, *requirement)
                pool_options = narrowed
            pool_options = self._within_limits(pool, pool_options)
            if not pool_options:
                continue
            cache_key = (pool.name, compat.node_key(cons), cons.spec.requests, requirement)
            guided = self._guidance.get((pool.name, cons.spec), ())
            efficient = {i: pool_options[i] for i in guided if i in pool_options}
            prices = self._size_prices(pool, cons)
            if not efficient:
                efficient = self._efficient(
                    pool, pool_options, cache_key, cons.spec.requests, prices
                )
            if not grows_on_spot(efficient) and grows_on_spot(pool_options):
                # The most efficient shapes here are on-demand only, yet spot is on offer:
                # such a claim would refuse these pods (see _try_claim), so size among the
                # shapes spot can buy instead.
                spot = {i: p for i, p in pool_options.items() if grows_on_spot({i: p})}
                efficient = self._efficient(
                    pool, spot, (cache_key, "spot"), cons.spec.requests, prices
                )
            return self._new_claim(pool, cons, efficient)
        return None

    def _new_claim(
        self, pool: Pool, cons: Constraints, efficient: dict[int, frozenset[Placement]]
    ) -> Claim:
        """An empty new node of ``pool`` sized among ``efficient``, for pods with ``cons``."""
        placements = self._placements_for(cons)[pool.name]
        frontier = dominant_shapes(efficient, self.allocatable[pool.name])
        # Numbered when kept (see _fill), so that discarded tries leave no gaps.
        return Claim(
            id=f"new-{pool.name}-{self.claim_serial[pool.name] + 1}",
            pool=pool,
            options=efficient,
            compatible=placements,
            frontier=frontier,
            room=room_left(self.allocatable[pool.name], frontier, Resources()),
            intersected=[placements],
            reach=self._reach(pool, efficient, placements, cons.spec.requests),
        )

    def _reach(
        self,
        pool: Pool,
        efficient: dict[int, frozenset[Placement]],
        placements: dict[int, frozenset[Placement]],
        request: Resources,
    ) -> Reach | None:
        """The types a new spot node sized by ``efficient`` keeps in its list's reach."""
        if not grows_on_spot(efficient):
            return None
        target = next(iter(efficient))  # the most efficient (or the LP's busiest) shape
        key = (pool.name, id(placements), target, request)
        if key not in self.memo.reach:
            self.memo.reach[key] = reach(
                pool, self.allocatable[pool.name], placements, target, request
            )
        return self.memo.reach[key]

    def _efficient(
        self,
        pool: Pool,
        pool_options: dict[int, frozenset[Placement]],
        cache_key: object,
        request: Resources,
        prices: SizePrices,
    ) -> dict[int, frozenset[Placement]]:
        """The shapes whose price per pod of the opening group is near the best.

        A node opened for a group is sized for that group: the types that host its pods
        most cheaply (price / pods that fit, pod slots included). Other groups then fill
        what room is left, and the final choice shrinks each node to the cheapest type
        that holds what it got. (Sizing by the whole demand's CPU:memory ratio instead
        cost 5% more on benchmarks/packing_cost.py.)
        """
        # Limits shrink the options as the pool grows, so only unlimited pools can reuse.
        cacheable = pool.limits == PoolLimits()
        cached = self._efficient_cache.get(cache_key) if cacheable else None
        if cached is not None:
            return cached
        allocatable = self.allocatable[pool.name]
        sized = list(_lp_prices(prices, pool_options))
        costs: dict[int, float] = {}
        for index in sized:
            costs[index] = prices.price[index] / max(fit_count(allocatable[index], request), 1)
        best = min(costs.values())
        near = sorted(
            (c, -allocatable[i].cpu_milli, i)
            for i, c in costs.items()
            if c <= best * (1 + EFFICIENCY_SLACK)
        )
        # Capped like Karpenter's 60 types: packing needs the big efficient shapes, and the
        # final choice still ranges over every compatible shape.
        efficient = {i: pool_options[i] for _, _, i in near[:MAX_PACKING_SHAPES]}
        if cacheable:
            self._efficient_cache[cache_key] = efficient
        return efficient

    def _within_limits(
        self, pool: Pool, pool_options: dict[int, frozenset[Placement]]
    ) -> dict[int, frozenset[Placement]]:
        """The options a new node of ``pool`` may have without breaking the pool's limits."""
        limits = pool.limits
        if limits == PoolLimits():
            return pool_options
        # A view of a pool (a commitment's capacity) counts with it against its caps.
        claims = [c for c in self.claims if c.pool.nodes_of == pool.nodes_of]
        nodes = [n for n in self.request.nodes if n.labels.get(NODE_POOL) == pool.nodes_of]
        if limits.nodes is not None and len(claims) + len(nodes) >= limits.nodes:
            return {}
        # One commitment's views (one per pool) spend one free part.
        used_units = sum(
            c.pool.units.get(_smallest(c).name, 0.0)
            for c in self.claims
            if c.pool is pool or (pool.commitment and c.pool.commitment == pool.commitment)
        )
        used_cpu = sum(_smallest(c).instance_type.vcpus * 1000 for c in claims)
        used_memory = sum(_smallest(c).instance_type.memory_mib * 2**20 for c in claims)
        used_price = sum(cheapest(c.pool, *_cheapest_option(c)) for c in claims)
        shapes = self._shapes_by_type(pool)
        for n in nodes:
            # The caps are on what the nodes are, as a new node counts by its type, not on
            # what pods may use of them; a type the pool no longer has counts as allocatable.
            shape = shapes.get(n.instance_type or "")
            t = shape.instance_type if shape is not None else None
            used_cpu += t.vcpus * 1000 if t is not None else n.allocatable.cpu_milli
            used_memory += t.memory_mib * 2**20 if t is not None else n.allocatable.memory_bytes
            used_price += _running_price(n, shape)
        allowed = {}
        for index, placements in pool_options.items():
            t = pool.shapes[index].instance_type
            if limits.cpu_milli is not None and used_cpu + t.vcpus * 1000 > limits.cpu_milli:
                continue
            memory = t.memory_mib * 2**20
            if limits.memory_bytes is not None and used_memory + memory > limits.memory_bytes:
                continue
            price = cheapest(pool, index, placements)
            if limits.price_per_hour is not None and used_price + price > limits.price_per_hour:
                continue
            units = pool.units.get(t.name, math.inf)
            if limits.units is not None and used_units + units > limits.units + 1e-9:
                continue
            allowed[index] = placements
        return allowed

    def _size_prices(self, pool: Pool, cons: Constraints) -> SizePrices:
        """What a node of each size is expected to cost for pods with these node rules.

        Priced over every placement the pods' node rules accept (memoized with them):
        a size's price does not depend on which of its types one pod fits.
        """
        placements = self._placements_for(cons)[pool.name]
        key = (pool.name, id(placements))
        found = self.memo.size_prices.get(key)
        if found is None:
            found = self.memo.size_prices[key] = size_prices(pool, placements)
        return found

    def _shapes_by_type(self, pool: Pool) -> dict[str, NodeShape]:
        """``pool``'s shapes by instance type name (kept for the run)."""
        found = self._shapes_by_name.get(pool.name)
        if found is None:
            found = self._shapes_by_name[pool.name] = {s.name: s for s in pool.shapes}
        return found

    # -- topology ------------------------------------------------------------------------

    def _topology_cap(
        self, cons: Constraints, labels: LabelSet, hostname: str, batched: str | None
    ) -> int:
        """How many more of these pods the topology rules allow on one node."""
        spec = cons.spec
        topology = self.topology
        cap = UNLIMITED
        for term in cons.anti_affinity:
            key = CounterKey.of_term(term, spec.namespace)
            domain = domain_of(key.topology_key, labels, hostname)
            if domain is None:
                continue
            if topology.count(key, domain):
                return 0
            if topology.counted_by(key, spec):
                cap = 1
        for term in cons.affinity:
            key = CounterKey.of_term(term, spec.namespace)
            domain = domain_of(key.topology_key, labels, hostname)
            if domain is None:
                return 0
            if topology.count(key, domain):
                continue
            # The first pod of a group that matches its own affinity may go anywhere.
            if not (topology.total(key) == 0 and topology.counted_by(key, spec)):
                return 0
        for key in topology.holder_terms_against(spec):
            domain = domain_of(key.topology_key, labels, hostname)
            if domain is not None and topology.holders[key].get(domain):
                return 0
        for constraint in cons.spread:
            if constraint.topology_key == batched:
                continue
            key = CounterKey.of_spread(constraint, spec.namespace)
            domain = domain_of(key.topology_key, labels, hostname)
            if domain is None:
                return 0
            lowest = self._lowest_count(key)
            allowed = constraint.max_skew + lowest - topology.count(key, domain)
            if not topology.counted_by(key, spec):
                if allowed < 0:
                    return 0
                continue
            cap = min(cap, max(allowed, 0))
        return cap

    def _lowest_count(self, key: CounterKey) -> int:
        """The least populated domain's count; a new node is an empty hostname domain."""
        if key.topology_key == HOSTNAME_KEY:
            return 0
        values = {n.labels.get(key.topology_key) for n in self.request.nodes}
        for pool in self.pools:
            for shape in pool.shapes:
                values.update(o.labels.get(key.topology_key) for o in shape.offers)
        return min((self.topology.count(key, v) for v in values if v is not None), default=0)


_NO_LABELS = LabelSet()


def _running_price(node: Node, shape: NodeShape | None) -> float:
    """What a running node costs per hour, for the pool's price cap.

    The price it was bought at when known; else its offer in the pool (same zone and
    capacity type), else its type's on-demand price, the most it can cost. A node of a type
    the pool does not know, with no price, has nothing to be counted by: 0.
    """
    if node.price is not None:
        return node.price
    if shape is None:
        return 0.0
    for offer in shape.offers:
        if offer.zone == node.zone and offer.capacity_type is node.capacity_type:
            return offer.price
    return shape.on_demand_price or 0.0


def _lp_prices(prices: SizePrices, options: dict[int, frozenset[Placement]]) -> dict[int, float]:
    """Each of ``options``' shapes at its size's expected price, for sizing nodes.

    Sizes too thin for the pool's diversity rules are left out while others remain: the
    LP's columns, and the shapes `_Packer._efficient` sizes new nodes among.
    """
    kept = {i: prices.price[i] for i in options if i not in prices.thin}
    return kept or {i: prices.price[i] for i in options}


def _smallest_request(pods: Sequence[Pod]) -> Resources:
    """The least CPU and the least memory any of ``pods`` requests (one pod slot)."""
    if not pods:
        return Resources(pods=1)
    return Resources(
        min(p.spec.requests.cpu_milli for p in pods),
        min(p.spec.requests.memory_bytes for p in pods),
        1,
    )


def _existing_bin(node: Node) -> ExistingBin:
    free = node.free
    ports = [port for spec, _ in node.pod_specs for port in spec.host_ports]
    return ExistingBin(node, free, ports)


def _daemon_adjusted(pool: Pool, daemonsets: Sequence[PodSpec]) -> tuple[Resources, ...]:
    """Each shape's allocatable minus the DaemonSets that would run on its nodes."""
    return tuple(
        minus(
            shape.allocatable,
            daemonset_overhead(
                daemonsets, shape.offers[0].labels if shape.offers else LabelSet(), pool.taints
            ),
        )
        for shape in pool.shapes
    )


def _port_conflict(spec: PodSpec, ports: Sequence[HostPort]) -> bool:
    return any(mine.conflicts(theirs) for mine in spec.host_ports for theirs in ports)


def _cheapest_option(claim: Claim) -> tuple[int, frozenset[Placement]]:
    return min(claim.options.items(), key=lambda item: cheapest(claim.pool, *item))


def _smallest(claim: Claim) -> NodeShape:
    index, _ = _cheapest_option(claim)
    return claim.pool.shapes[index]


def _water_fill(counts: dict[str, int], n: int) -> dict[str, int]:
    """Add ``n`` pods to the domains, always to the least populated (ties by name)."""
    quotas = dict.fromkeys(counts, 0)
    current = dict(counts)
    for _ in range(n):
        domain = min(current, key=lambda d: (current[d], d))
        current[domain] += 1
        quotas[domain] += 1
    return quotas
