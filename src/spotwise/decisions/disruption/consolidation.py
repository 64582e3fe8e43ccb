"""Consolidation: which nodes to remove or replace to save money, and why the others stay.

`consolidate` is pure: the cluster, the pools and each pool's rules in, a decision out.
Every move is checked by the packer (`spotwise.decisions.scheduling.packer.pack`) with
the candidates' pods pending over the other nodes and the pools, so it follows the same
scheduling semantics as provisioning: a pod that could not be placed again keeps its node.

Moves are looked for in Karpenter's order, and at most one consolidation besides the
empty, expired and drifted nodes is returned per call (the loop acts on it, then asks
again):

1. Empty nodes (no pod but DaemonSet and static pods) go, all at once: nothing moves.
   Expired nodes (older than the pool's ``expireAfter``) and drifted ones
   (`spotwise.decisions.disruption.drift`) go too, each its own move, as the budgets
   allow; the provisioner plans their pods' new home as they are drained, replacement
   first, whatever the consolidation policy says.
2. Several nodes at once: the longest run of candidates, least disruptive first, whose
   pods fit the rest of the cluster and at most one new node, found by bisection.
3. One node: deleted when its pods fit elsewhere; replaced by one cheaper node; or,
   which no anchor does, by several smaller nodes when together they cost less.

A move is made only when it pays: its saving per hour (price and expected interruption
cost before, less after) is at least the pool's ``minSavingsPerHour`` and
``minSavingsPercent`` of what the nodes cost, and it earns back its own cost (both nodes
running while pods move, and the pods' restart) within `PAYBACK_HOURS`. A spot node is
replaced by spot only when the new list keeps ``minInstanceTypes`` types and its
expected interruption cost does not rise, so the cluster never walks down to the one
cheapest, most interrupted pool; a node is never replaced by its own type.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from spotwise.decisions.capacity.expected import PoolQuote, interruption_cost_per_hour
from spotwise.decisions.disruption.blockers import Blocked, node_blockers
from spotwise.decisions.disruption.reasons import Reason
from spotwise.decisions.interruption.node_state import (
    ABANDONED_ANNOTATION,
    DISRUPTED_TAINT_KEY,
    TAINT_KEY,
    parse_iso,
)
from spotwise.decisions.scheduling.packer import PackInput, PackMemo, pack
from spotwise.decisions.scheduling.plan import NewNode, Plan
from spotwise.decisions.scheduling.pool import NodeShape, Pool
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec

# A move's own cost: the new nodes run beside the old ones while pods move (boot, join,
# drain), and the moved pods' share of capacity is idle while they restart.
OVERLAP_HOURS = 5 / 60
RESTART_HOURS = 2 / 60
# A move must earn its own cost back within this time.
PAYBACK_HOURS = 1.0
# At most this many candidates are tried together, and this many alone, per call: each
# try is a packing run.
MULTI_NODE_CANDIDATES = 30
SINGLE_NODE_TRIES = 20
# A node whose voluntary drain was given up is left alone this long.
ABANDONED_BACKOFF_SECONDS = 3600.0


class Policy(enum.Enum):
    """Which nodes a pool consolidates (Karpenter's ``consolidationPolicy``)."""

    WHEN_EMPTY = "WhenEmpty"
    WHEN_EMPTY_OR_UNDERUTILIZED = "WhenEmptyOrUnderutilized"


@dataclass(frozen=True, slots=True)
class Rules:
    """A pool's consolidation rules.

    Attributes:
        policy: Empty nodes only, or underutilized ones too.
        consolidate_after: Seconds since a pod last came to or left a node before it is
            a candidate.
        min_node_age: Seconds after its creation before a node is a candidate.
        min_savings_percent: A move saves at least this share of what its nodes cost.
        min_savings_per_hour: A move saves at least this many USD per hour.
        restrict_scale_down: The pool's nodes are never consolidated (Spot Ocean's
            ``restrictScaleDown``).
        expire_after: Seconds after its creation a node is replaced (inf: never).
    """

    policy: Policy = Policy.WHEN_EMPTY_OR_UNDERUTILIZED
    consolidate_after: float = 30.0
    min_node_age: float = 600.0
    min_savings_percent: float = 10.0
    min_savings_per_hour: float = 0.01
    restrict_scale_down: bool = False
    expire_after: float = math.inf


class MoveKind(enum.Enum):
    """What a move does."""

    EMPTY = "empty"  # nodes without pods go
    DELETE = "delete"  # their pods fit on the other nodes
    REPLACE = "replace"  # their pods go to new, cheaper nodes
    EXPIRED = "expired"  # older than the pool's expireAfter: replaced
    DRIFTED = "drifted"  # no longer what the pool launches: replaced

    @property
    def reason(self) -> Reason:
        """The reason its nodes are counted against in the budgets."""
        return _BUDGET_REASON[self]


_BUDGET_REASON = {
    MoveKind.EMPTY: Reason.EMPTY,
    MoveKind.DELETE: Reason.UNDERUTILIZED,
    MoveKind.REPLACE: Reason.UNDERUTILIZED,
    MoveKind.EXPIRED: Reason.EXPIRED,
    MoveKind.DRIFTED: Reason.DRIFTED,
}


@dataclass(frozen=True, slots=True)
class Move:
    """One consolidation decision.

    Attributes:
        kind: What it does.
        nodes: The nodes that go.
        replacements: The nodes launched for their pods (REPLACE only; expired and
            drifted nodes' pods are planned by the provisioner as they leave).
        saving_per_hour: Price and expected interruption cost per hour, before less after
            (0.0 for expired and drifted nodes: they are replaced for what they are).
        reason: What a person reads.
    """

    kind: MoveKind
    nodes: tuple[str, ...]
    replacements: tuple[NewNode, ...]
    saving_per_hour: float
    reason: str


class KeptWhy(enum.Enum):
    """Why a node of a consolidating pool stays."""

    DISRUPTING = "being-disrupted"
    BLOCKED = "blocked"
    BUDGET = "budget"
    TOO_YOUNG = "too-young"
    NOT_QUIET = "pods-changed-lately"
    PRICE_UNKNOWN = "price-unknown"
    WHEN_EMPTY = "policy-when-empty"
    PENDING_PODS = "pods-pending"
    PODS_DO_NOT_FIT = "pods-do-not-fit"
    NOT_CHEAPER = "no-cheaper-move"
    SAVES_TOO_LITTLE = "saves-too-little"
    SAME_TYPE = "same-type"
    LESS_DIVERSE = "replacement-less-diverse"
    RISKIER = "replacement-riskier"
    NOT_TRIED = "not-tried"
    BACKING_OFF = "disruption-given-up-lately"


@dataclass(frozen=True, slots=True)
class Kept:
    """A node that stays, and why.

    Attributes:
        node: Its name.
        why: The reason.
        detail: What a person reads.
        blockers: What blocks it (BLOCKED only).
        cost_per_hour: What keeping it costs: the saving of the move found for it
            without the rule that keeps it (0.0 when no move was looked for or found).
    """

    node: str
    why: KeptWhy
    detail: str
    blockers: tuple[Blocked, ...] = ()
    cost_per_hour: float = 0.0


@dataclass(frozen=True, slots=True)
class ConsolidationInput:
    """What `consolidate` decides from.

    Attributes:
        nodes: Every node, with its pods.
        pools: The pools replacements may come from, priced as the provisioner sees them.
        rules: Pool name -> its rules; nodes of other pools are never candidates.
        now: Seconds since the epoch.
        created: Node -> when it was created.
        quiet_since: Node -> when a pod last came to or left it (its creation if unknown).
        budget_blocked: Pods whose budgets would refuse their eviction now.
        allowed: Per reason, pool -> how many of its nodes may be disrupted now for it
            (its budget less what is being disrupted); a pool not named: no limit.
        drifted: Node -> why it drifted from its pool.
        pending: How many pods are pending: while any are, only empty nodes go.
        daemonsets: DaemonSet pod specs, for new nodes' overhead.
        explain: Also price what each blocked node would save (a packing run each).
        covered: Node -> the share of its price commitments pay (`spotwise.decisions.
            scheduling.commitments.covered_shares`): a node under a reserved instance
            adds nothing to the bill, so moving its pods saves nothing.
        memo: The provisioner's packing memo, shared for speed.
    """

    nodes: tuple[Node, ...]
    pools: tuple[Pool, ...]
    rules: Mapping[str, Rules]
    now: float
    created: Mapping[str, float] = field(default_factory=dict)
    quiet_since: Mapping[str, float] = field(default_factory=dict)
    budget_blocked: frozenset[str] = frozenset()
    allowed: Mapping[Reason, Mapping[str, int]] = field(default_factory=dict)
    drifted: Mapping[str, str] = field(default_factory=dict)
    pending: int = 0
    daemonsets: tuple[PodSpec, ...] = ()
    explain: bool = False
    covered: Mapping[str, float] = field(default_factory=dict)
    memo: PackMemo | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Consolidation:
    """What `consolidate` decided.

    Attributes:
        moves: The empty nodes' deletion (if any), the expired and drifted nodes' (one
            move each), then at most one consolidation.
        kept: Every other node of a consolidating pool, with why it stays.
    """

    moves: tuple[Move, ...]
    kept: tuple[Kept, ...]

    @property
    def saving_per_hour(self) -> float:
        """What the moves save per hour, together."""
        return sum(m.saving_per_hour for m in self.moves)


@dataclass(frozen=True, slots=True)
class _NoMove:
    """Why a try found no move, and what the move would have saved (or lost)."""

    why: KeptWhy
    detail: str
    saving: float = 0.0


@dataclass(frozen=True, slots=True)
class _Candidate:
    node: Node
    pool: str
    rules: Rules
    price: float  # USD per hour
    risk: float  # expected interruption cost, USD per hour
    movable: tuple[Pod, ...]
    spot: bool

    @property
    def cost(self) -> float:
        return self.price + self.risk


def consolidate(request: ConsolidationInput) -> Consolidation:
    """Decide which nodes to remove or replace now, and why the others stay.

    Returns:
        The moves (empty nodes first) and the nodes kept, with their reasons.
    """
    return _Consolidator(request).run()


class _Consolidator:
    def __init__(self, request: ConsolidationInput) -> None:
        self.request = request
        self.kept: dict[str, Kept] = {}
        # Nodes this call takes per pool, against each reason's allowance: a budget that
        # names no reason is one allowance for empty and underutilized nodes alike.
        self.spent: dict[str, int] = {}
        self.pools = {p.name: p for p in request.pools}
        self.going: set[str] = set()  # nodes a move already takes away
        self._shapes: dict[str, dict[str, NodeShape]] = {}
        self._free: tuple[int, int] | None = None
        # A node being drained (interrupted or consolidated) has pods looking for room.
        self._draining = any(
            t.key in (TAINT_KEY, DISRUPTED_TAINT_KEY)
            for n in request.nodes
            if any(not (p.per_node or p.terminating) for p in n.pods)
            for t in n.taints
        )
        self._rates: tuple[float, float] | None = None
        self.stale: list[tuple[_Candidate, MoveKind, str]] = []  # expired or drifted

    def run(self) -> Consolidation:
        candidates, blocked = self._candidates()
        moves: list[Move] = []
        empty = [c for c in candidates if not c.movable]
        if self._draining:
            # The drain's pods may be planned onto an empty node: keep it for them.
            for c in empty:
                self._keep(c, KeptWhy.PENDING_PODS, "a drain is under way: its pods come first")
            empty = []
        taken = self._within_budgets(empty, MoveKind.EMPTY)
        if taken:
            saving = sum(c.cost for c in taken)
            names = tuple(c.node.name for c in taken)
            self.going.update(names)
            moves.append(Move(MoveKind.EMPTY, names, (), saving, _empty_reason(len(taken))))
        moves.extend(self._stale_moves())
        busy = [c for c in candidates if c.movable]
        for c in busy:
            if c.rules.policy is Policy.WHEN_EMPTY:
                self._keep(c, KeptWhy.WHEN_EMPTY, "its pool consolidates empty nodes only")
        busy = [c for c in busy if c.rules.policy is Policy.WHEN_EMPTY_OR_UNDERUTILIZED]
        if busy and self._draining:
            for c in busy:
                self._keep(c, KeptWhy.PENDING_PODS, "a drain is under way: its pods come first")
            busy = []
        if busy and self.request.pending:
            for c in busy:
                self._keep(c, KeptWhy.PENDING_PODS, "pods are pending: provisioning comes first")
            busy = []
        # Least disruptive first: fewest pods to move, then the dearest (most to save).
        busy.sort(key=lambda c: (len(c.movable), -c.cost, c.node.name))
        move = self._multi(busy) or self._single(busy)
        if move is not None:
            moves.append(move)
            for name in move.nodes:
                self.kept.pop(name, None)
            for c in busy:
                if c.node.name not in move.nodes and c.node.name not in self.kept:
                    self._keep(c, KeptWhy.NOT_TRIED, "another move was made this pass")
        if self.request.explain:
            self._price_blocked(blocked)
        return Consolidation(tuple(moves), tuple(self.kept[k] for k in sorted(self.kept)))

    # -- candidates -----------------------------------------------------------------------

    def _candidates(self) -> tuple[list[_Candidate], list[_Candidate]]:
        """The nodes that may go now, and those only their blockers keep."""
        request = self.request
        found: list[_Candidate] = []
        blocked: list[_Candidate] = []
        for node in request.nodes:
            pool = node.labels.get(NODE_POOL)
            rules = request.rules.get(pool or "")
            if pool is None or rules is None:
                continue
            name = node.name
            if any(t.key in (TAINT_KEY, DISRUPTED_TAINT_KEY) for t in node.taints):
                self._keep_node(name, KeptWhy.DISRUPTING, "it is being drained already")
                continue
            abandoned = parse_iso(node.annotations.get(ABANDONED_ANNOTATION, ""))
            if abandoned is not None and request.now - abandoned < ABANDONED_BACKOFF_SECONDS:
                detail = f"its last drain was given up {request.now - abandoned:.0f} s ago"
                self._keep_node(name, KeptWhy.BACKING_OFF, detail)
                continue
            created = request.created.get(name)
            age = request.now - created if created is not None else None
            stale = _stale(rules, age, request.drifted.get(name))
            priced = self._price(node, pool)
            if priced is None and stale is None:
                self._keep_node(name, KeptWhy.PRICE_UNKNOWN, "its price is not known")
                continue
            movable = tuple(p for p in node.pods if not (p.per_node or p.terminating))
            spot = node.capacity_type is CapacityType.SPOT
            candidate = _Candidate(node, pool, rules, *(priced or (0.0, 0.0)), movable, spot)
            if stale is not None:
                # Replaced for what it is, not for its price (which its pool may no longer
                # list): neither its age, its quiet time nor the pool's
                # restrictScaleDown hold it; its pods' blockers do.
                blockers = node_blockers(node, request.now, False, request.budget_blocked)
                if blockers:
                    self._keep_blocked(candidate, blockers, f"{stale[1]}; ")
                else:
                    self.stale.append((candidate, *stale))
                continue
            age = float("inf") if age is None else age
            if age < rules.min_node_age:
                detail = f"launched {age:.0f} s ago, under the pool's {rules.min_node_age:.0f} s"
                self._keep(candidate, KeptWhy.TOO_YOUNG, detail)
                continue
            quiet = request.now - request.quiet_since.get(name, created or float("-inf"))
            if quiet < rules.consolidate_after:
                detail = f"a pod came or went {quiet:.0f} s ago"
                self._keep(candidate, KeptWhy.NOT_QUIET, detail)
                continue
            blockers = node_blockers(
                node, request.now, rules.restrict_scale_down, request.budget_blocked
            )
            if blockers:
                self._keep_blocked(candidate, blockers)
                blocked.append(candidate)
                continue
            found.append(candidate)
        return found, blocked

    def _price(self, node: Node, pool: str) -> tuple[float, float] | None:
        """What the node adds to the bill per hour, and its expected interruption cost.

        Priced at its pool's offer, less the share commitments pay; a node whose offer
        the pool no longer lists (a type taken out, an offering refused lately) is
        priced as it was bought, when known, without a risk.
        """
        found = self._listed_price(node, pool)
        if found is None:
            return None
        paid = 1.0 - self.request.covered.get(node.name, 0.0)
        return found[0] * paid, found[1]

    def _listed_price(self, node: Node, pool: str) -> tuple[float, float] | None:
        shape = self._shape(pool, node.instance_type or "")
        if shape is not None:
            for offer in shape.offers:
                if offer.zone != node.zone or offer.capacity_type is not node.capacity_type:
                    continue
                if offer.capacity_type is not CapacityType.SPOT:
                    return offer.price, 0.0
                quote = PoolQuote(
                    shape.name, offer.zone, offer.price, offer.interruption, offer.observed
                )
                return offer.price, interruption_cost_per_hour(quote)
        return (node.price, 0.0) if node.price is not None else None

    def _shape(self, pool: str, instance_type: str) -> NodeShape | None:
        """The pool's shape of ``instance_type`` (indexed once per call)."""
        by_name = self._shapes.get(pool)
        if by_name is None:
            shapes = self.pools[pool].shapes if pool in self.pools else ()
            by_name = self._shapes[pool] = {s.name: s for s in shapes}
        return by_name.get(instance_type)

    def _stale_moves(self) -> list[Move]:
        """Expired nodes, oldest first, then drifted ones, as the budgets allow."""
        moves = []
        created = self.request.created
        self.stale.sort(key=lambda s: (s[1] is MoveKind.DRIFTED, created.get(s[0].node.name, 0.0)))
        for c, kind, why in self.stale:
            if c.movable:
                # Its pods must have a home, or the drain would stall and be given up.
                plan = self._simulate([c])
                if plan.unschedulable:
                    first = plan.unschedulable[0]
                    self._keep(c, KeptWhy.PODS_DO_NOT_FIT, f"{why}; {first.pod}: {first.reason}")
                    continue
            if self._within_budgets([c], kind):
                self.going.add(c.node.name)
                moves.append(Move(kind, (c.node.name,), (), 0.0, why))
        if moves:
            # Their pods look for room from now on: consolidation waits for them.
            self._draining = True
        return moves

    def _within_budgets(self, candidates: Sequence[_Candidate], kind: MoveKind) -> list[_Candidate]:
        """As many ``candidates`` as their pools' budgets for ``kind`` allow; spends them."""
        allowed = self.request.allowed.get(kind.reason, {})
        taken = []
        for c in candidates:
            if not self._may_take(c.pool, allowed):
                self._keep(c, KeptWhy.BUDGET, "its pool's disruption budget is spent")
                continue
            self.spent[c.pool] = self.spent.get(c.pool, 0) + 1
            taken.append(c)
        return taken

    @property
    def _underutilized(self) -> Mapping[str, int]:
        return self.request.allowed.get(Reason.UNDERUTILIZED, {})

    def _may_take(self, pool: str, allowed: Mapping[str, int], more: int = 0) -> bool:
        """Whether ``pool``'s budget for one reason lets one more node go (beyond ``more``)."""
        limit = allowed.get(pool)
        return limit is None or self.spent.get(pool, 0) + more < limit

    # -- moves ---------------------------------------------------------------------------

    def _multi(self, candidates: list[_Candidate]) -> Move | None:
        """The longest run of candidates that one node (or none) can replace, if it pays."""
        run = candidates[:MULTI_NODE_CANDIDATES]
        run = self._budgeted(run)
        if len(run) < 2:
            return None
        best: Move | None = None
        low, high = 2, len(run)
        while low <= high:
            mid = (low + high) // 2
            found = self._evaluate(run[:mid], multi=True)
            if isinstance(found, Move):
                best, low = found, mid + 1
            else:
                high = mid - 1
        return best

    def _single(self, candidates: list[_Candidate]) -> Move | None:
        """The first candidate that can go alone, deleted or replaced, if it pays."""
        tries = 0
        for c in candidates:
            if not self._may_take(c.pool, self._underutilized):
                self._keep(c, KeptWhy.BUDGET, "its pool's disruption budget is spent")
                continue
            if tries == SINGLE_NODE_TRIES:
                self._keep(c, KeptWhy.NOT_TRIED, "not tried this time (too many candidates)")
                continue
            best = self._best_case(c)
            if best is not None:
                self._keep(c, KeptWhy.SAVES_TOO_LITTLE, best)
                continue
            tries += 1
            found = self._evaluate([c], multi=False)
            if isinstance(found, Move):
                return found
            self._keep(c, found.why, found.detail, found.saving)
        return None

    def _best_case(self, c: _Candidate) -> str | None:
        """Why ``c`` cannot pay whatever the packer finds, or None when it might.

        At best, its pods fill the other nodes' free room and what is left of them goes
        to new capacity at the pools' cheapest price per CPU and per GiB. When even that
        cannot save what its pool asks, no packing run is spent on it.
        """
        need = _demand(c.movable)
        free = self._free_elsewhere()
        own = _room(c.node) if c.node.name not in self.going else (0, 0)
        cpu = max(0, need[0] - (free[0] - own[0]))  # what no other node's room can take
        memory = max(0, need[1] - (free[1] - own[1]))
        if not (cpu or memory):
            return None  # its pods might all fit elsewhere: a deletion
        per_cpu, per_byte = self._cheapest_rates()
        floor = max(cpu * per_cpu, memory * per_byte)
        wanted = max(c.rules.min_savings_per_hour, c.rules.min_savings_percent / 100 * c.price)
        if c.cost - floor >= wanted:
            return None
        return (
            f"at best saves ${c.cost - floor:.4f}/h (its pods at the cheapest CPU and memory"
            f" on offer); the pool asks ${wanted:.4f}/h"
        )

    def _free_elsewhere(self) -> tuple[int, int]:
        """CPU and memory free on the nodes that take pods, summed (once per call)."""
        if self._free is None:
            cpu = memory = 0
            for n in self.request.nodes:
                if n.name not in self.going:
                    room = _room(n)
                    cpu, memory = cpu + room[0], memory + room[1]
            self._free = (cpu, memory)
        return self._free

    def _cheapest_rates(self) -> tuple[float, float]:
        """The lowest price per millicore and per byte of any offer of the pools."""
        if self._rates is None:
            per_cpu = per_byte = math.inf
            # Commitments' views count too: their free part may really take the pods at
            # next to nothing, and a floor above that would refuse a move that pays.
            for pool in self.request.pools:
                for shape in pool.shapes:
                    a = shape.allocatable
                    low = min((o.price for o in shape.offers), default=math.inf)
                    if a.cpu_milli > 0:
                        per_cpu = min(per_cpu, low / a.cpu_milli)
                    if a.memory_bytes > 0:
                        per_byte = min(per_byte, low / a.memory_bytes)
            self._rates = (
                0.0 if per_cpu == math.inf else per_cpu,
                0.0 if per_byte == math.inf else per_byte,
            )
        return self._rates

    def _budgeted(self, candidates: list[_Candidate]) -> list[_Candidate]:
        """A prefix-preserving selection of candidates that fits every pool's budget."""
        taking: dict[str, int] = {}
        out = []
        for c in candidates:
            if not self._may_take(c.pool, self._underutilized, taking.get(c.pool, 0)):
                continue
            taking[c.pool] = taking.get(c.pool, 0) + 1
            out.append(c)
        return out

    def _evaluate(self, candidates: Sequence[_Candidate], multi: bool) -> Move | _NoMove:
        """The move that removes ``candidates``, or why there is none."""
        plan = self._simulate(candidates)
        if plan.unschedulable:
            first = plan.unschedulable[0]
            return _NoMove(KeptWhy.PODS_DO_NOT_FIT, f"{first.pod}: {first.reason}")
        new = plan.nodes
        if multi and len(new) > 1:
            return _NoMove(KeptWhy.NOT_CHEAPER, "their pods need more than one new node")
        before = sum(c.cost for c in candidates)
        saving = before - sum(n.price_per_hour + n.interruption_cost_per_hour for n in new)
        min_types = max(
            (self.pools[c.pool].min_instance_types for c in candidates if c.pool in self.pools),
            default=1,
        )
        refused = _refusal(candidates, new, min_types)
        if refused is not None:
            return _NoMove(*refused, saving)
        if saving <= 0:
            return _NoMove(KeptWhy.NOT_CHEAPER, "no cheaper home for its pods", saving)
        rules = [c.rules for c in candidates]
        wanted = max(
            max(r.min_savings_per_hour for r in rules),
            max(r.min_savings_percent for r in rules) / 100 * sum(c.price for c in candidates),
        )
        one_time = sum(n.price_per_hour for n in new) * OVERLAP_HOURS + before * RESTART_HOURS
        if saving < wanted or saving * PAYBACK_HOURS < one_time:
            detail = (
                f"saves ${saving:.4f}/h; the pool asks ${wanted:.4f}/h and the move costs"
                f" ${one_time:.4f} once"
            )
            return _NoMove(KeptWhy.SAVES_TOO_LITTLE, detail, saving)
        kind = MoveKind.REPLACE if new else MoveKind.DELETE
        names = tuple(c.node.name for c in candidates)
        return Move(kind, names, new, saving, _reason(candidates, new))

    def _simulate(self, candidates: Sequence[_Candidate]) -> Plan:
        """Plan the candidates' pods over the other nodes and the pools."""
        gone = self.going | {c.node.name for c in candidates}
        pods = tuple(p for c in candidates for p in c.movable)
        others = tuple(n for n in self.request.nodes if n.name not in gone)
        request = self.request
        return pack(PackInput(pods, others, request.pools, request.daemonsets, request.memo))

    def _price_blocked(self, blocked: list[_Candidate]) -> None:
        """Put on each blocked node what its move would save were it not blocked."""
        for c in blocked:
            found = self._evaluate([c], multi=False)
            saving = found.saving_per_hour if isinstance(found, Move) else found.saving
            kept = self.kept[c.node.name]
            self.kept[c.node.name] = Kept(
                kept.node, kept.why, kept.detail, kept.blockers, max(saving, 0.0)
            )

    # -- bookkeeping -----------------------------------------------------------------------

    def _keep(self, c: _Candidate, why: KeptWhy, detail: str, saving: float = 0.0) -> None:
        self.kept[c.node.name] = Kept(c.node.name, why, detail, (), max(saving, 0.0))

    def _keep_node(self, name: str, why: KeptWhy, detail: str) -> None:
        self.kept[name] = Kept(name, why, detail)

    def _keep_blocked(self, c: _Candidate, blockers: Sequence[Blocked], prefix: str = "") -> None:
        detail = prefix + "; ".join(f"{b.subject}: {b.detail}" for b in blockers)
        self.kept[c.node.name] = Kept(c.node.name, KeptWhy.BLOCKED, detail, tuple(blockers))


def _stale(rules: Rules, age: float | None, drifted: str | None) -> tuple[MoveKind, str] | None:
    """Whether a node is replaced for its age (None: unknown) or its drift, and why."""
    if age is not None and age >= rules.expire_after:
        return MoveKind.EXPIRED, (
            f"expired: {_hours(age)} old, past its pool's expireAfter of"
            f" {_hours(rules.expire_after)}"
        )
    if drifted is not None:
        return MoveKind.DRIFTED, f"drifted: {drifted}"
    return None


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def _refusal(
    candidates: Sequence[_Candidate], new: Sequence[NewNode], min_types: int
) -> tuple[KeptWhy, str] | None:
    """Why replacing ``candidates`` by ``new`` is refused whatever it saves; None if not.

    Args:
        candidates: The nodes that would go.
        new: The nodes that would replace them.
        min_types: The types a spot replacement's list must keep (the pools' rule).
    """
    if len(candidates) == 1 and len(new) == 1:
        (c,), (n,) = candidates, new
        same_capacity = (n.capacity_type is CapacityType.SPOT) == c.spot
        if same_capacity and n.expected_instance_type == c.node.instance_type:
            return KeptWhy.SAME_TYPE, f"its replacement would be {n.expected_instance_type} again"
    if (
        new
        and all(c.spot for c in candidates)
        and all(n.capacity_type is CapacityType.SPOT for n in new)
    ):
        short = [n for n in new if len(n.instance_types) < min_types]
        if short:
            n = short[0]
            return KeptWhy.LESS_DIVERSE, (
                f"its spot replacement could launch as {len(n.instance_types)} types only"
            )
        before = sum(c.risk for c in candidates)
        after = sum(n.interruption_cost_per_hour for n in new)
        if after > before + 1e-12:
            return KeptWhy.RISKIER, (
                f"its spot replacement's expected interruption cost ${after:.6f}/h is above"
                f" today's ${before:.6f}/h"
            )
    return None


def _reason(candidates: Sequence[_Candidate], new: Sequence[NewNode]) -> str:
    """What a person reads about a move."""
    count = len(candidates)
    nodes = f"{count} node{'' if count == 1 else 's'}"
    if not new:
        return f"the pods of {nodes} fit on the other nodes"
    back_to_spot = any(not c.spot for c in candidates) and all(
        n.capacity_type is CapacityType.SPOT for n in new
    )
    into = f"{len(new)} cheaper node{'' if len(new) == 1 else 's'}"
    if back_to_spot:
        return f"on-demand back to spot: {nodes} replaced by {into}"
    return f"{nodes} replaced by {into}"


def _room(node: Node) -> tuple[int, int]:
    """The CPU and memory others' pods could still take on ``node`` (0 when cordoned)."""
    if node.unschedulable:
        return 0, 0
    return max(node.free.cpu_milli, 0), max(node.free.memory_bytes, 0)


def _demand(pods: Sequence[Pod]) -> tuple[int, int]:
    """The CPU (millicores) and memory (bytes) ``pods`` request."""
    return (
        sum(p.spec.requests.cpu_milli for p in pods),
        sum(p.spec.requests.memory_bytes for p in pods),
    )


def _empty_reason(count: int) -> str:
    return f"{count} empty node{'' if count == 1 else 's'}"
