"""The controller's Prometheus metrics (the launch metrics are the Launcher's own)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ControllerMetrics:
    """Loops, decisions, pending pods, in-flight nodes, leadership and cost.

    Args:
        registry: Where the metrics are registered.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.loop_seconds = Histogram(
            "spotwise_loop_duration_seconds",
            "How long one run of a controller loop took.",
            ["loop"],
            registry=registry,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.loop_errors = Counter(
            "spotwise_loop_errors_total",
            "Runs of a controller loop that ended in an error (the loop goes on).",
            ["loop"],
            registry=registry,
        )
        self.decisions = Counter(
            "spotwise_decisions_total",
            "Decisions made, by loop and kind (launch, dry-run-launch, registration-timeout, "
            "terminate-orphan, delete-node).",
            ["loop", "decision"],
            registry=registry,
        )
        self.pending_pods = Gauge(
            "spotwise_pending_pods", "Pods waiting for a node.", registry=registry
        )
        self.inflight_nodes = Gauge(
            "spotwise_inflight_nodes",
            "Nodes launched whose Node has not registered yet.",
            registry=registry,
        )
        self.leader = Gauge(
            "spotwise_leader", "1 while this replica holds the lease.", registry=registry
        )
        self.cost_per_hour = Gauge(
            "spotwise_cost_per_hour_dollars",
            "What the cluster's nodes cost per hour at the catalog's prices, by node pool "
            "and capacity type (spot at the catalog's spot price of the node's pool).",
            ["node_pool", "capacity_type"],
            registry=registry,
        )
        self.savings_per_hour = Gauge(
            "spotwise_savings_per_hour_dollars",
            "What the cluster's nodes save per hour against the same nodes on-demand: spot "
            "prices, and commitments (--commitments) at their amortized cost, counted; by "
            "node pool and capacity type.",
            ["node_pool", "capacity_type"],
            registry=registry,
        )
        self.commitment_utilization = Gauge(
            "spotwise_commitment_utilization_ratio",
            "How much of each reserved instance or savings plan (--commitments) the "
            "cluster's on-demand nodes use, 0 to 1.",
            ["commitment", "kind"],
            registry=registry,
        )
