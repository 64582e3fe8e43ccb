"""The controller: the loops over the ports, leader election, probes and metrics.

Worlds are passed in (the Kubernetes adapter or any Cluster port, EC2 or any Cloud port),
so the same class runs against a real cluster, against the test servers in the suite,
and in the benchmark.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.controller.batching import Batcher
from spotwise.controller.events import ClusterEventSink
from spotwise.controller.garbage import GarbageCollector
from spotwise.controller.health import HealthServer
from spotwise.controller.loops import Loop, LoopRunner
from spotwise.controller.metrics import ControllerMetrics
from spotwise.controller.provisioning_loop import ProvisioningLoop
from spotwise.controller.settings import ControllerSettings
from spotwise.decisions.cost.attribution import ReservedInstance, SavingsPlan
from spotwise.decisions.interruption.response import RebalancePolicy
from spotwise.decisions.scheduling.commitments import Commitments
from spotwise.disruption.consolidator import Consolidator, disruption_of, templates_of
from spotwise.disruption.metrics import ConsolidationMetrics
from spotwise.interruption.drainer import Drainer
from spotwise.interruption.handler import Handler, pool_policies
from spotwise.interruption.metrics import InterruptionMetrics
from spotwise.interruption.scope import ManagedGroups
from spotwise.interruption.webhook import Webhook
from spotwise.ports.autoscaling import AutoScaling
from spotwise.ports.clock import Clock
from spotwise.ports.cloud import Cloud
from spotwise.ports.cluster import Cluster
from spotwise.ports.interruptions import InterruptionSource
from spotwise.provisioning.assembly import build_provisioner, pool_config
from spotwise.provisioning.events import NullEventSink

log = logging.getLogger(__name__)


class LiveCluster(Cluster, Protocol):
    """A Cluster port backed by caches that fill after start (the Kubernetes adapter)."""

    def start(self) -> object:
        """Start listing and watching."""
        ...

    def wait_synced(self, timeout: float) -> bool:
        """Wait until every cache has listed once; False on timeout."""
        ...

    def stop(self) -> None:
        """Stop watching."""
        ...


class Leadership(Protocol):
    """Lease leader election (`spotwise.kubernetes.api.leader.LeaderElector`)."""

    def try_acquire_or_renew(self) -> bool:
        """Take or renew the lease; True while this replica leads."""
        ...

    def release(self) -> object:
        """Give the lease up so that a standby takes over at once."""
        ...


class NodePoolsUpdate(Protocol):
    """NodePools as read (`spotwise.kubernetes.api.nodepools.NodePoolsRead`)."""

    @property
    def nodepools(self) -> tuple[NodePool, ...]:
        """The valid NodePools."""
        ...


class NodePoolsChanged(Protocol):
    """NodePools that may change while the controller runs (custom resources)."""

    def changed(self) -> NodePoolsUpdate | None:
        """The NodePools if they changed since the last call; None if not."""
        ...


class Controller:
    """Runs the provisioning, garbage-collection and interruption loops while leading.

    With ``settings.interruptions_only`` it runs the interruption loops alone (intake and
    drain), for the nodes of Auto Scaling groups that carry a managed tag.

    Args:
        settings: How it runs.
        cluster: The cluster.
        cloud: The cloud.
        nodepools: The NodePools.
        catalog: Instance types, offerings and prices.
        clock: Time.
        leadership: The lease; None acts without election (one replica only).
        registry: The Prometheus registry served at /metrics.
        on_leading: Called with the NodePools each time this replica starts to lead,
            before any loop acts, and when the NodePools change while it leads (the EC2
            world keeps the launch templates in step there).
        nodepool_source: Where changed NodePools come from (custom resources); None:
            ``nodepools`` for good.
        interruptions: Where interruption notices come from (the cluster's SQS queue);
            None runs no intake (the drain loop still carries on marked nodes, such as
            those the node agent marked).
        webhook: Where interruptions acted on are announced.
        autoscaling: Auto Scaling, to keep and release the lifecycle actions of groups'
            nodes (and, interruptions only, to tell which groups are managed); None
            leaves lifecycle actions to their hooks' timeouts.
        commitments: Reserved instances and Savings Plans: their free part is filled
            before anything is bought, and they count in the savings and utilization
            gauges.
    """

    def __init__(
        self,
        settings: ControllerSettings,
        cluster: LiveCluster,
        cloud: Cloud,
        nodepools: Sequence[NodePool],
        catalog: Catalog,
        clock: Clock,
        *,
        leadership: Leadership | None = None,
        registry: CollectorRegistry | None = None,
        on_leading: Callable[[Sequence[NodePool]], None] | None = None,
        nodepool_source: NodePoolsChanged | None = None,
        interruptions: InterruptionSource | None = None,
        webhook: Webhook | None = None,
        autoscaling: AutoScaling | None = None,
        commitments: tuple[tuple[ReservedInstance, ...], tuple[SavingsPlan, ...]] = ((), ()),
    ) -> None:
        self.settings = settings
        self.cluster = cluster
        self.cloud = cloud
        self.clock = clock
        self.leadership = leadership
        self.on_leading = on_leading
        self.catalog = catalog
        self.nodepools = tuple(nodepools)
        self.nodepool_source = nodepool_source
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = ControllerMetrics(self.registry)
        self.provisioner = build_provisioner(
            cluster,
            cloud,
            nodepools,
            catalog,
            clock,
            cluster_name=settings.cluster_name,
            # A dry run writes nothing to the cluster, Events included.
            events=NullEventSink() if settings.dry_run else ClusterEventSink(cluster),
            registry=self.registry,
            registration_timeout=settings.registration_timeout_seconds,
            dry_run=settings.dry_run,
            commitments=Commitments(catalog.region, *commitments),
        )
        batcher = Batcher(
            settings.batch_idle_seconds, settings.batch_max_seconds, settings.resync_seconds
        )
        self.provisioning = ProvisioningLoop(
            self.provisioner, batcher, self.metrics, clock, catalog, *commitments
        )
        self.garbage = GarbageCollector(
            cluster,
            cloud,
            self.provisioner,
            clock,
            cluster_name=settings.cluster_name,
            metrics=self.metrics,
            dry_run=settings.dry_run,
        )
        self.interruption_metrics = InterruptionMetrics(self.registry)
        self.handler = (
            Handler(
                cluster,
                interruptions,
                self.provisioner.launcher.unavailable,
                clock,
                rebalance_policy=self._rebalance_policy,
                dry_run=settings.dry_run,
                metrics=self.interruption_metrics,
                webhook=webhook,
                cluster_name=settings.cluster_name,
                scope=self._scope(autoscaling, clock),
                workers=settings.intake_workers,
                observed=self.provisioner.observed,
            )
            if interruptions is not None
            else None
        )
        self.drainer = Drainer(
            cluster,
            cloud,
            clock,
            dry_run=settings.dry_run,
            metrics=self.interruption_metrics,
            autoscaling=autoscaling,
            workers=settings.drain_workers,
        )
        self.consolidator = Consolidator(
            cluster,
            self.provisioner,
            clock,
            disruption_of(self.nodepools),
            templates=templates_of(self.nodepools),
            dry_run=settings.dry_run,
            metrics=ConsolidationMetrics(self.registry),
        )
        self.stop = threading.Event()
        self.synced = False
        self._acting = leadership is None
        self._started_leading = False
        self.runner = LoopRunner(
            [
                Loop("leader-election", settings.retry_seconds, self.elect, leader_only=False),
                *(
                    []
                    if settings.interruptions_only
                    else [
                        Loop(
                            "provisioning", settings.provisioning_interval_seconds, self.provision
                        ),
                        Loop(
                            "garbage-collection",
                            settings.garbage_interval_seconds,
                            self.garbage.run,
                        ),
                        *(
                            [
                                Loop(
                                    "consolidation",
                                    settings.consolidation_interval_seconds,
                                    self.consolidator.run,
                                )
                            ]
                            if settings.consolidation_interval_seconds > 0
                            else []
                        ),
                    ]
                ),
                Loop("drain", settings.drain_interval_seconds, self.drainer.run),
                *(
                    # The queue's long poll paces the intake: no pause of its own.
                    [Loop("interruption-intake", 0.0, self.handler.run)]
                    if self.handler is not None
                    else []
                ),
            ],
            self.metrics,
            self.is_acting,
            self.stop,
        )
        self.server = HealthServer(settings.port, self.registry, self.healthy, self.ready)

    def _scope(self, autoscaling: AutoScaling | None, clock: Clock) -> ManagedGroups | None:
        """The managed groups the handler keeps to, in interruptions-only mode."""
        if not self.settings.interruptions_only:
            return None
        if autoscaling is None:
            raise ValueError("interruptions-only mode needs the Auto Scaling port")
        return ManagedGroups(autoscaling, clock, self.settings.managed_tags)

    def _rebalance_policy(self, pool: str) -> RebalancePolicy:
        # Nothing launches replacements in interruptions-only mode: cordon, as NTH does,
        # rather than drain a node no one replaces.
        if self.settings.interruptions_only:
            return RebalancePolicy.CORDON
        # The pools may change while running (custom resources): read them each time.
        return pool_policies(self.nodepools)(pool)

    def provision(self) -> None:
        """Take up edited NodePools, then run the provisioning loop once."""
        found = self.nodepool_source.changed() if self.nodepool_source is not None else None
        if found is not None and found.nodepools != self.nodepools:
            self.nodepools = found.nodepools
            unavailable = self.provisioner.launcher.unavailable
            self.provisioner.reconfigure(*pool_config(self.nodepools, self.catalog, unavailable))
            self.consolidator.reconfigure(
                disruption_of(self.nodepools), templates_of(self.nodepools)
            )
            log.info(
                "node pools: %s",
                ", ".join(p.name for p in self.nodepools) or "none",
                extra={"fields": {"nodepools": [p.name for p in self.nodepools]}},
            )
            if self.on_leading is not None and self._started_leading:
                self.on_leading(self.nodepools)
        self.provisioning.run()

    def is_acting(self) -> bool:
        """Whether this replica leads and has taken up the capacity in flight."""
        return self._acting and self.synced

    def healthy(self) -> bool:
        """Liveness: the loops have not stopped."""
        return not self.stop.is_set()

    def ready(self) -> bool:
        """Readiness: the caches are filled."""
        return self.synced

    def elect(self) -> None:
        """Take or renew the lease; on taking it, adopt the instances in flight first."""
        leading = self.leadership is None or self.leadership.try_acquire_or_renew()
        self.metrics.leader.set(1 if leading else 0)
        if not leading:
            if self._acting:
                log.warning("lost the lease; standing by")
                # A standby reports no cost: summing replicas must not count it twice.
                self.provisioning.forget_costs()
            self._acting = self._started_leading = False
            return
        if not self._started_leading and self.synced:
            log.info("leading", extra={"fields": {"identity": self.settings.identity}})
            if not self.settings.interruptions_only:
                self._take_up_provisioning()
            self._started_leading = True
        self._acting = self._started_leading

    def _take_up_provisioning(self) -> None:
        """Launch templates in step, then the instances in flight adopted."""
        if self.on_leading is not None:
            self.on_leading(self.nodepools)
        # Instances the last leader launched are capacity, not a reason to launch.
        adopted = self.provisioner.adopt(
            self.cloud.owned_instances(self.settings.cluster_name),
            self.cluster.snapshot().nodes,
        )
        log.info("adopted %d instances in flight", adopted)

    def run(self) -> int:
        """Serve until `stop` is set (SIGTERM); then release the lease. Returns 0."""
        self.server.start()
        log.info(
            "serving probes and metrics on port %d",
            self.server.port,
            extra={"fields": {"dry_run": self.settings.dry_run}},
        )
        self.cluster.start()
        try:
            self.synced = self.cluster.wait_synced(self.settings.sync_timeout_seconds)
            if not self.synced:
                log.error("the caches did not fill in time; stopping")
                return 1
            self.runner.start()
            self.stop.wait()
            self.runner.join(timeout=30)
            return 0
        finally:
            # Work in flight ends (or is cancelled) before a standby may take over.
            self.drainer.close()
            if self.handler is not None:
                self.handler.close()
            if self.leadership is not None and self._started_leading:
                self.leadership.release()
                log.info("released the lease")
            self.cluster.stop()
            self.server.stop()
