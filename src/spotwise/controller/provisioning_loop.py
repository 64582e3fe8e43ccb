"""The controller's provisioning loop: batch pending pods, then run one provisioning round."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from spotwise.catalog.catalog import Catalog
from spotwise.controller.batching import Batcher
from spotwise.controller.cost import cost_figures
from spotwise.controller.metrics import ControllerMetrics
from spotwise.decisions.cost.attribution import ReservedInstance, SavingsPlan
from spotwise.model.node import Node
from spotwise.ports.clock import Clock
from spotwise.provisioning.launcher import FellBack, Launched
from spotwise.provisioning.provisioner import Provisioner, Round, displaced_pods

log = logging.getLogger(__name__)

# How often the cost gauges are computed: prices and commitments change slowly, and the
# loop reads the cluster every half second.
COST_INTERVAL_SECONDS = 10.0


class ProvisioningLoop:
    """One run reads the cluster, and plans and launches once the batch window closes.

    Args:
        provisioner: The provisioning loop's reconcile code (the simulator runs the same).
        batcher: When a round runs.
        metrics: The controller's metrics.
        clock: Time.
        catalog: Prices for the cost gauges.
        reserved: Reserved instances, for the savings and utilization gauges.
        plans: Savings Plans, likewise.
    """

    def __init__(
        self,
        provisioner: Provisioner,
        batcher: Batcher,
        metrics: ControllerMetrics,
        clock: Clock,
        catalog: Catalog,
        reserved: tuple[ReservedInstance, ...] = (),
        plans: tuple[SavingsPlan, ...] = (),
    ) -> None:
        self.reserved = reserved
        self.plans = plans
        self._costed_at: float | None = None
        self.provisioner = provisioner
        self.batcher = batcher
        self.metrics = metrics
        self.clock = clock
        self.catalog = catalog

    def run(self) -> Round | None:
        """Observe the pending pods; run a round when the window has closed."""
        snapshot = self.provisioner.cluster.snapshot()
        now = self.clock.now()
        self.metrics.pending_pods.set(len(snapshot.pending))
        self.metrics.inflight_nodes.set(len(self.provisioner.inflight))
        if self._costed_at is None or now - self._costed_at >= COST_INTERVAL_SECONDS:
            self._cost(snapshot.nodes)
            self._costed_at = now
        # Pods of a node marked as interrupted wait for capacity as pending pods do; a pod
        # that was pending a moment ago and is displaced now is new to the batch.
        waiting = [p.key for p in snapshot.pending]
        waiting += [f"displaced:{p.key}" for p in displaced_pods(snapshot.nodes)]
        if not self.batcher.observe(now, waiting):
            return None
        round_ = self.provisioner.reconcile(snapshot)
        self.batcher.ran(now)
        self._report(round_)
        return round_

    def forget_costs(self) -> None:
        """Clear the cost gauges (this replica no longer leads)."""
        m = self.metrics
        for gauge in (m.cost_per_hour, m.savings_per_hour, m.commitment_utilization):
            gauge.clear()
        self._costed_at = None

    def _cost(self, nodes: Sequence[Node]) -> None:
        """Set the cost, savings and commitment gauges from the nodes now."""
        figures = cost_figures(nodes, self.catalog, self.reserved, self.plans)
        m = self.metrics
        self.forget_costs()
        for (pool, capacity_type), dollars in figures.cost.items():
            m.cost_per_hour.labels(pool, capacity_type.value).set(dollars)
        for (pool, capacity_type), dollars in figures.savings.items():
            m.savings_per_hour.labels(pool, capacity_type.value).set(dollars)
        for use in figures.utilization:
            m.commitment_utilization.labels(use.id, use.kind.value).set(use.percent / 100)

    def _report(self, round_: Round) -> None:
        dry_run = self.provisioner.dry_run
        for record in round_.launches:
            node, outcome = record.node, record.outcome
            fields: dict[str, object] = {
                "node": node.name,
                "pool": node.pool,
                "capacity_type": node.capacity_type.value,
                "pods": len(node.pods),
                "instance_types": list(node.instance_types),
                "zones": list(node.zones),
                "expected_price_per_hour": round(node.price_per_hour, 4),
                "dry_run": dry_run,
            }
            if outcome is None:
                self.metrics.decisions.labels("provisioning", "dry-run-launch").inc()
                log.info(
                    "would launch %s for %d pods",
                    node.name,
                    len(node.pods),
                    extra={"fields": fields},
                )
                continue
            self.metrics.decisions.labels("provisioning", "launch").inc()
            if isinstance(outcome, Launched | FellBack):
                i = outcome.instance
                fields.update(instance=i.instance_id, instance_type=i.instance_type, zone=i.zone)
                log.info("launched %s as %s", node.name, i.instance_id, extra={"fields": fields})
            else:
                fields["outcome"] = type(outcome).__name__.lower()
                log.warning("could not launch %s", node.name, extra={"fields": fields})
        for late in round_.timed_out:
            self.metrics.decisions.labels("provisioning", "registration-timeout").inc()
            log.warning(
                "node %s did not register in time; its instance was terminated",
                late.name,
                extra={"fields": {"node": late.name, "pool": late.pool}},
            )
        for pod in round_.unschedulable:
            log.info(
                "pod %s cannot be placed: %s",
                pod.pod,
                pod.reason,
                extra={"fields": {"pod": pod.pod, "reason": pod.reason}},
            )
