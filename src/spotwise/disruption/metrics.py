"""The consolidation loop's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ConsolidationMetrics:
    """Moves made, the nodes they took, what they save, and why the other nodes stay.

    Args:
        registry: Where the metrics are registered.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.moves = Counter(
            "spotwise_consolidation_moves_total",
            "Consolidation moves started, by kind (empty, delete, replace).",
            ["kind"],
            registry=registry,
        )
        self.nodes = Counter(
            "spotwise_consolidation_nodes_total",
            "Nodes consolidation took away, by the kind of move.",
            ["kind"],
            registry=registry,
        )
        self.savings = Counter(
            "spotwise_consolidation_savings_dollars_per_hour_total",
            "What the moves started save, USD per hour (price and expected interruption"
            " cost before, less after), summed over moves.",
            ["kind"],
            registry=registry,
        )
        self.kept = Gauge(
            "spotwise_consolidation_kept_nodes",
            "Nodes of consolidating pools that stay, by reason, as of the last pass.",
            ["reason"],
            registry=registry,
        )
