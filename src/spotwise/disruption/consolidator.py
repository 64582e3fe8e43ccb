"""The consolidation loop: decide, decide again after a delay, then hand nodes to the drain.

Each pass reads the cluster through the Cluster port and asks the pure decision
(`spotwise.decisions.disruption.consolidation.consolidate`) what to remove or replace.
A move is acted on only when a later pass, at least `VALIDATION_SECONDS` after it was
first proposed, proposes it again (the same kind, the same nodes): a spike of pending
pods or a node that just joined changes the answer, and then nothing happens.

Acting is marking: each node of the move gets the ``spotwise.io/disrupted`` taint, a cordon
and the drain's annotations (`spotwise.decisions.interruption.node_state.mark`, voluntary).
From there the controller's other loops carry it as they carry an interruption, replacement
first: the provisioner plans the node's pods as pending and launches their replacements,
and the drain loop evicts each pod once it has a Ready place to go, within its budgets,
then terminates spotwise's instance and deletes the Node. The drain has no deadline
unless the pool sets ``terminationGracePeriod``: then pods still there when it ends are
deleted, budgets aside, as an interruption's are at its deadline.

The same loop replaces nodes older than their pool's ``expireAfter`` and nodes that
drifted from it (`spotwise.decisions.disruption.drift`), within the budgets.

The loop keeps one memory of its own, when each node's pods last changed (for
``consolidateAfter``); a controller that restarts waits ``consolidateAfter`` again.
The same class runs in the controller and, over the simulated ports, in the simulator.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from spotwise.config.disruption import Disruption, Reason
from spotwise.config.nodepool import NodePool
from spotwise.decisions.disruption.budgets import refused_pods
from spotwise.decisions.disruption.consolidation import (
    ConsolidationInput,
    Kept,
    KeptWhy,
    Move,
    MoveKind,
    consolidate,
)
from spotwise.decisions.disruption.drift import Template, drift
from spotwise.decisions.interruption.node_state import in_progress, mark
from spotwise.decisions.scheduling.commitments import covered_shares
from spotwise.disruption.metrics import ConsolidationMetrics
from spotwise.model.labels import NODE_POOL
from spotwise.model.node import Node
from spotwise.ports.clock import Clock
from spotwise.ports.cluster import Cluster, ClusterEvent, ClusterSnapshot
from spotwise.provisioning.provisioner import Provisioner

log = logging.getLogger(__name__)

VALIDATION_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class ConsolidationReport:
    """What one pass did.

    Attributes:
        proposed: Moves found this pass, waiting to be confirmed.
        started: Moves confirmed and acted on (their nodes marked).
        kept: Why every other node of a consolidating pool stays.
    """

    proposed: tuple[Move, ...] = ()
    started: tuple[Move, ...] = ()
    kept: tuple[Kept, ...] = ()


def disruption_of(nodepools: Iterable[NodePool]) -> dict[str, Disruption]:
    """Each pool's ``disruption`` block, by pool name."""
    return {p.name: p.spec.disruption for p in nodepools}


def templates_of(nodepools: Iterable[NodePool]) -> dict[str, Template]:
    """What each pool launches today (to tell drifted nodes), by pool name."""
    return {p.name: p.template() for p in nodepools}


def drifted_nodes(nodes: Iterable[Node], templates: Mapping[str, Template]) -> dict[str, str]:
    """Node -> why it drifted from its pool, for the nodes of ``templates``' pools."""
    found = {}
    for n in nodes:
        template = templates.get(n.labels.get(NODE_POOL) or "")
        why = drift(n, template) if template is not None else None
        if why is not None:
            found[n.name] = why
    return found


class Consolidator:
    """Removes and replaces nodes when that saves money, through the Cluster port.

    Args:
        cluster: The cluster.
        provisioner: The provisioner, for its pools (priced as it plans) and memo.
        clock: Time.
        disruption: Pool name -> its ``disruption`` block; other pools' nodes stay.
        templates: Pool name -> what it launches today; a pool not named never drifts.
        dry_run: Decide and log, change nothing.
        validation_seconds: How long a move waits to be proposed again before it is made.
        metrics: Where moves and kept nodes are counted; None counts nothing.
        explain: Also price what each blocked node's move would save (a packing run
            each): `Kept.cost_per_hour`, for a trace or a person to read.
    """

    def __init__(
        self,
        cluster: Cluster,
        provisioner: Provisioner,
        clock: Clock,
        disruption: Mapping[str, Disruption],
        *,
        templates: Mapping[str, Template] | None = None,
        dry_run: bool = False,
        validation_seconds: float = VALIDATION_SECONDS,
        metrics: ConsolidationMetrics | None = None,
        explain: bool = False,
    ) -> None:
        self.cluster = cluster
        self.provisioner = provisioner
        self.clock = clock
        self.disruption = dict(disruption)
        self.templates = dict(templates or {})
        self.dry_run = dry_run
        self.validation_seconds = validation_seconds
        self.metrics = metrics
        self.explain = explain
        self._pods_seen: dict[str, tuple[frozenset[str], float]] = {}
        self._proposed: dict[tuple[MoveKind, tuple[str, ...]], float] = {}

    def reconfigure(
        self, disruption: Mapping[str, Disruption], templates: Mapping[str, Template]
    ) -> None:
        """Use other pools' blocks and templates from the next pass on (NodePools edited)."""
        self.disruption = dict(disruption)
        self.templates = dict(templates)

    def run(self, snapshot: ClusterSnapshot | None = None) -> ConsolidationReport:
        """One pass: decide, confirm what was proposed long enough ago, act on it."""
        now = self.clock.now()
        snapshot = snapshot if snapshot is not None else self.cluster.snapshot()
        quiet = self._quiet_since(snapshot.nodes, now)
        decision = consolidate(self._request(snapshot, now, quiet))
        started, proposed = [], []
        waiting: dict[tuple[MoveKind, tuple[str, ...]], float] = {}
        for move in decision.moves:
            key = (move.kind, move.nodes)
            since = self._proposed.get(key, now)
            if now - since >= self.validation_seconds:
                self._act(move, snapshot.nodes, now)
                started.append(move)
            else:
                waiting[key] = since
                proposed.append(move)
        self._proposed = waiting  # what was not proposed again is dropped
        if self.metrics is not None:
            self._count(started, decision.kept)
        return ConsolidationReport(tuple(proposed), tuple(started), decision.kept)

    def _count(self, started: list[Move], kept: tuple[Kept, ...]) -> None:
        assert self.metrics is not None
        for move in started:
            kind = move.kind.value
            self.metrics.moves.labels(kind).inc()
            self.metrics.nodes.labels(kind).inc(len(move.nodes))
            self.metrics.savings.labels(kind).inc(max(move.saving_per_hour, 0.0))
        reasons = Counter(k.why.value for k in kept)
        for why in KeptWhy:
            self.metrics.kept.labels(why.value).set(reasons.get(why.value, 0))

    def _request(
        self, snapshot: ClusterSnapshot, now: float, quiet: Mapping[str, float]
    ) -> ConsolidationInput:
        nodes = snapshot.nodes
        pools, memo = self.provisioner.planning_pools(nodes, now)
        return ConsolidationInput(
            nodes,
            pools,
            {name: d.rules() for name, d in self.disruption.items()},
            now,
            created={n.name: n.created_at for n in nodes if n.created_at is not None},
            quiet_since=quiet,
            budget_blocked=refused_pods(snapshot.budgets, (p for n in nodes for p in n.pods)),
            allowed=self._allowed(nodes, now),
            drifted=drifted_nodes(nodes, self.templates),
            pending=len(snapshot.pending),
            daemonsets=snapshot.daemonsets,
            explain=self.explain,
            covered=covered_shares(pools, nodes, self.provisioner.commitments),
            memo=memo,
        )

    def _allowed(self, nodes: tuple[Node, ...], now: float) -> dict[Reason, dict[str, int]]:
        """Per reason, per pool, how many more nodes its budgets let go at ``now``."""
        size: Counter[str] = Counter()
        going: Counter[str] = Counter()
        for n in nodes:  # counted once for every reason
            pool = n.labels.get(NODE_POOL)
            if pool in self.disruption:
                size[pool] += 1
                # Any node on its way out counts, interrupted ones too.
                going[pool] += in_progress(n) is not None
        return {
            reason: {
                pool: max(0, d.allowed(size[pool], reason, now) - going[pool])
                for pool, d in self.disruption.items()
            }
            for reason in Reason
        }

    def _drain_seconds(self, node: Node) -> float | None:
        """How long its pool lets the node's drain last (``terminationGracePeriod``)."""
        settings = self.disruption.get(node.labels.get(NODE_POOL) or "")
        return None if settings is None else settings.drain_seconds

    def _quiet_since(self, nodes: tuple[Node, ...], now: float) -> dict[str, float]:
        """When each node's pods last changed, as this loop has seen them."""
        seen: dict[str, tuple[frozenset[str], float]] = {}
        for n in nodes:
            pods = frozenset(p.key for p in n.pods if not p.per_node)
            before = self._pods_seen.get(n.name)
            # First seen (new, or this loop just started): its quiet time starts now.
            since = before[1] if before is not None and before[0] == pods else now
            seen[n.name] = (pods, since)
        self._pods_seen = seen
        return {name: since for name, (_, since) in seen.items()}

    def _act(self, move: Move, nodes: tuple[Node, ...], now: float) -> None:
        """Mark the move's nodes for the drain, and say why in an Event and the log."""
        by_name = {n.name: n for n in nodes}
        saving = f"saves ${move.saving_per_hour:.3f}/h"
        log.info("consolidation: %s (%s): %s", move.reason, saving, ", ".join(move.nodes))
        if self.dry_run:
            return
        for name in move.nodes:
            node = by_name.get(name)
            if node is None:
                continue
            bound = self._drain_seconds(node)
            deadline = None if bound is None else now + bound
            patch = mark(
                node, move.kind.value, f"consolidation-{now:.0f}", deadline, now, voluntary=True
            )
            self.cluster.patch_node(name, patch)
            self.cluster.emit(
                ClusterEvent("Node", name, "Consolidating", f"{move.reason}; {saving}")
            )
