"""What a simulation run measured: the summary figures and the timeline behind the plots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spotwise.simulator.billing import Bill
from spotwise.simulator.interruption_log import InterruptionStory


@dataclass(slots=True)
class Sample:
    """The cluster at one moment, for the report's plots."""

    hours: float
    cost_per_hour: float
    spot_nodes: int
    on_demand_nodes: int
    pending_pods: int
    running_pods: int
    nodes_by_type: dict[str, int]


@dataclass(slots=True)
class TimelineEvent:
    """Something worth a mark on the interruption timeline."""

    hours: float
    kind: str
    node: str
    detail: str


@dataclass(slots=True)
class Totals:
    """Running totals of one strategy's run."""

    cost: float = 0.0
    on_demand_cost: float = 0.0
    node_seconds_spot: float = 0.0
    node_seconds_on_demand: float = 0.0
    interruptions: dict[str, int] = field(
        default_factory=lambda: {
            "rebalance-recommendation": 0,
            "interruption-warning": 0,
            "termination": 0,
        }
    )
    pods_created: int = 0
    pods_evicted: int = 0
    pods_force_deleted: int = 0
    pods_lost: int = 0
    # Pods the handler deleted because their grace period would outlast the deadline.
    pods_deleted_at_deadline: int = 0
    # Pods whose replacement was Ready before they went; None until something measures
    # it (the interruption handler will), so that no constant passes for a figure.
    replaced_ready: int | None = None
    pending_pod_seconds: float = 0.0
    launches: int = 0
    fallbacks: int = 0
    launch_failures: int = 0
    nodes_removed_empty: int = 0
    nodes_disrupted: int = 0
    pods_consolidated: int = 0
    below_pdb_seconds: dict[str, float] = field(default_factory=dict)
    # The same, for the stretches in which an interruption took one of its pods away.
    below_pdb_interrupted_seconds: dict[str, float] = field(default_factory=dict)
    # The same, for the stretches in which a voluntary drain moved one of its pods.
    below_pdb_consolidated_seconds: dict[str, float] = field(default_factory=dict)
    # Spot node-seconds per (instance type, zone) pool.
    spot_seconds_by_pool: dict[tuple[str, str], float] = field(default_factory=dict)
    # The bill with the scenario's commitments; None when it has none.
    bill: Bill | None = None
    # Node-seconds and cost (list prices) per (instance type, capacity type), measured run.
    usage_by_type: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    # Launches by why they were planned (pending pods, pods displaced by an interruption or
    # by consolidation, headroom).
    launch_reasons: dict[str, int] = field(default_factory=dict)
    # USD at list prices by namespace and by workload (``__idle__`` apart), sampled.
    cost_by_namespace: dict[str, float] = field(default_factory=dict)
    cost_by_workload: dict[str, float] = field(default_factory=dict)

    @property
    def billed(self) -> float:
        """What the run was billed: the cost, or with commitments their bill."""
        return self.cost if self.bill is None else self.bill.total

    def concentration(self) -> tuple[int, float | None, float | None]:
        """Spot pools used, and the shares of spot node-hours in the busiest pool and type.

        Shares are percentages; None when the run had no spot node.
        """
        pools = {p: s for p, s in self.spot_seconds_by_pool.items() if s > 0}
        total = sum(pools.values())
        if not total:
            return 0, None, None
        by_type: dict[str, float] = {}
        for (instance_type, _), seconds in pools.items():
            by_type[instance_type] = by_type.get(instance_type, 0.0) + seconds
        return len(pools), 100 * max(pools.values()) / total, 100 * max(by_type.values()) / total


@dataclass(slots=True)
class RunResult:
    """One strategy's run: totals, timeline, and the pods' end states."""

    strategy: str
    totals: Totals
    samples: list[Sample]
    events: list[TimelineEvent]
    end_states: dict[str, int]
    simulated_hours: float
    handler: bool = True
    interruptions: tuple[InterruptionStory, ...] = ()
    description: str = ""

    def summary(self) -> dict[str, Any]:
        """The figures of ``--json`` for this strategy."""
        t = self.totals
        disrupted = t.pods_evicted + t.pods_deleted_at_deadline
        savings = 100 * (1 - t.cost / t.on_demand_cost) if t.on_demand_cost else None
        pools, largest_pool, largest_type = t.concentration()
        node_days = (t.node_seconds_spot + t.node_seconds_on_demand) / 86400
        per_node_day = round(t.nodes_disrupted / node_days, 4) if node_days else None
        ready = None
        if t.replaced_ready is not None and disrupted:
            ready = round(100 * t.replaced_ready / disrupted, 1)
        acted = sum(1 for s in self.interruptions if s.action is not None)
        return {
            "name": self.strategy,
            "description": self.description,
            "interruption_handler": self.handler,
            "cost": round(t.cost, 4),
            "billed_cost": round(t.billed, 4),
            "commitment_fees": None if t.bill is None else round(t.bill.fees, 4),
            "commitments": []
            if t.bill is None
            else [
                {
                    "id": u.id,
                    "kind": u.kind,
                    "unit": u.unit,
                    "used": round(u.used, 4),
                    "offered": round(u.total, 4),
                    "utilization_percent": u.percent,
                }
                for u in t.bill.uses
            ],
            "cost_by_namespace": _dearest(t.cost_by_namespace),
            "cost_by_workload": _dearest(t.cost_by_workload),
            "on_demand_cost": round(t.on_demand_cost, 4),
            "savings_vs_own_on_demand_price_percent": None
            if savings is None
            else round(savings, 2),
            "node_hours_spot": round(t.node_seconds_spot / 3600, 3),
            "node_hours_on_demand": round(t.node_seconds_on_demand / 3600, 3),
            "spot_pools_used": pools,
            "largest_pool_share": None if largest_pool is None else round(largest_pool, 1),
            "largest_type_share": None if largest_type is None else round(largest_type, 1),
            "interruptions": dict(t.interruptions),
            "nodes_noticed": len(self.interruptions),
            "nodes_noticed_acted_on": acted if self.handler else None,
            "pods_created": t.pods_created,
            "pods_evicted": t.pods_evicted,
            "pods_deleted_at_deadline": t.pods_deleted_at_deadline,
            "pods_force_deleted": t.pods_force_deleted,
            "pods_lost": t.pods_lost,
            "pending_pod_seconds": round(t.pending_pod_seconds, 1),
            "replacement_ready_percent": ready,
            "longest_below_pdb_seconds": round(max(t.below_pdb_seconds.values(), default=0.0), 1),
            "longest_below_pdb_after_interruption_seconds": round(
                max(t.below_pdb_interrupted_seconds.values(), default=0.0), 1
            ),
            "longest_below_pdb_after_consolidation_seconds": round(
                max(t.below_pdb_consolidated_seconds.values(), default=0.0), 1
            ),
            "launches": t.launches,
            "launches_by_reason": dict(sorted(t.launch_reasons.items())),
            "on_demand_fallbacks": t.fallbacks,
            "launch_failures": t.launch_failures,
            "nodes_removed_empty": t.nodes_removed_empty,
            "nodes_disrupted": t.nodes_disrupted,
            "pods_moved_by_consolidation": t.pods_consolidated,
            "disruptions_per_node_day": per_node_day,
            "end_states": dict(sorted(self.end_states.items())),
        }


def _dearest(dollars: dict[str, float]) -> dict[str, float]:
    """USD by name, dearest first, to the cent."""
    return {k: round(v, 2) for k, v in sorted(dollars.items(), key=lambda kv: (-kv[1], kv[0]))}
