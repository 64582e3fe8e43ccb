"""The simulation loop: a cluster on a modelled spot market, in virtual time.

Every tick (15 virtual seconds) the loop does what the cluster and the controller would:
workloads create and delete pods; the market sends notices and takes instances back;
the binder (the packer with no pools: kube-scheduler's predicates over ready nodes) binds
pending pods; then the controller's own provisioning loop
(`spotwise.provisioning.provisioner.Provisioner`, the same code `spotwise controller`
runs) plans and launches nodes for what is still pending, over the simulated Cluster and
Cloud ports. A launched instance's Node registers once it has booted, and takes pods once
it has joined (the kubelet's part). The controller's interruption handler, drain loop and
consolidation loop run over the same ports as in production (`spotwise.interruption`,
`spotwise.disruption`); a strategy without the handler lets an interrupted instance
vanish at its deadline, its pods recreated by their controllers.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry

from spotwise.catalog.catalog import Catalog
from spotwise.config.commitments import commitments_of
from spotwise.decisions.cost.showback import GroupBy, PricedNode, showback
from spotwise.decisions.disruption.consolidation import Kept, KeptWhy, MoveKind
from spotwise.decisions.interruption.node_state import voluntary_kind
from spotwise.decisions.scheduling.bins import minus
from spotwise.decisions.scheduling.commitments import Commitments
from spotwise.decisions.scheduling.overhead import allocatable
from spotwise.decisions.scheduling.plan import NewNode
from spotwise.disruption.consolidator import Consolidator, disruption_of, templates_of
from spotwise.interruption.drainer import Drainer
from spotwise.interruption.handler import Handler, pool_policies
from spotwise.model.instance_type import CapacityType
from spotwise.model.labels import HOSTNAME
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.ports.clock import ManualClock
from spotwise.provisioning.assembly import build_provisioner
from spotwise.provisioning.events import RecordingEventSink
from spotwise.provisioning.launcher import (
    Failed,
    FellBack,
    Launched,
    LaunchOutcome,
    Retry,
)
from spotwise.provisioning.node_labels import node_labels, type_labels
from spotwise.provisioning.provisioner import Round
from spotwise.simulated.cloud import SimulatedCloud
from spotwise.simulated.cluster import Phase, SimCluster, SimNode, SimPod
from spotwise.simulated.cluster_port import SimulatedCluster
from spotwise.simulated.market import MarketParameters, NoticeKind, SpotMarket
from spotwise.simulated.queue import SimulatedQueue, rebalance_recommendation, spot_warning
from spotwise.simulated.scheduler import SimScheduler
from spotwise.simulator.billing import Billing
from spotwise.simulator.interruption_log import InterruptionLog
from spotwise.simulator.results import RunResult, Sample, TimelineEvent, Totals
from spotwise.simulator.scenario import Scenario
from spotwise.simulator.strategies import Strategy
from spotwise.simulator.workloads import job_runs

TICK_SECONDS = 15.0
SAMPLE_SECONDS = 300.0
# How often the consolidation loop runs; a move it proposes is made on the next pass
# that proposes it again (Karpenter validates after 15 s; a pass here is 5 minutes, which
# keeps a simulated day quick and asks a move to hold for 5 minutes).
CONSOLIDATION_SECONDS = 300.0

Trace = Callable[[dict[str, Any]], None]
Progress = Callable[[float], None]


class Simulation:
    """One strategy's run of one scenario."""

    def __init__(
        self, scenario: Scenario, strategy: Strategy, catalog: Catalog, trace: Trace | None = None
    ) -> None:
        self.scenario = scenario
        self.strategy = strategy
        self.catalog = catalog
        self.trace = trace
        market = scenario.market
        # The run is measured from 0; the warm-up before it provisions for the load at the
        # start (whole ticks, so that a tick falls on 0).
        self.warm_up_seconds = math.ceil(scenario.warm_up_seconds / TICK_SECONDS) * TICK_SECONDS
        self.clock = ManualClock(-self.warm_up_seconds)
        self.cloud = SimulatedCloud(
            catalog, seed=scenario.seed, clock=self.clock, boot_seconds=market.boot_seconds
        )
        self.market = SpotMarket(_parameters(scenario), scenario.seed, self.cloud.spot_pools)
        self.cluster = SimCluster()
        self.totals = Totals()
        self.samples: list[Sample] = []
        self.timeline: list[TimelineEvent] = []
        self.interruption_log = InterruptionLog()
        self.notices: list[tuple[float, int, str, str]] = []
        self.shortages: list[tuple[float, float, str, str]] = []
        self._shortage_pools: set[tuple[str, str]] = set()
        self._root_volumes = {p.name: p.spec.root_volume_bytes for p in strategy.nodepools}
        self._serial: Counter[str] = Counter()
        self._jobs = sorted(
            (run.start_seconds, spec.name, i, run)
            for spec in scenario.jobs
            for i, run in enumerate(job_runs(spec, scenario.seed, scenario.hours))
        )
        self._job_specs = {spec.name: spec for spec in scenario.jobs}
        self._daemon_overhead = Resources()
        for ds in scenario.base.daemonsets if scenario.base else ():
            self._daemon_overhead = self._daemon_overhead + ds.requests
        self._below_pdb_since: dict[str, float] = {}
        # Per owner, when an interruption last took one of its pods away (moved by the
        # handler, or killed with a reclaimed instance).
        self._interrupted_at: dict[str, float] = {}
        # Per owner, when a voluntary drain (consolidation, expiry, drift) last moved a pod.
        self._consolidated_at: dict[str, float] = {}
        self._notice_serial = 0
        self._deployments = {d.owner: d for d in scenario.deployments}
        self._base_scale: Counter[str] = Counter(
            p.owner
            for p in (scenario.base.pods if scenario.base else ())
            if p.owner and not p.owner.startswith(("Job/", "Pod/"))
        )
        budgets = [d.pdb for d in scenario.deployments if d.pdb is not None]
        budgets += scenario.base.pdbs if scenario.base else ()
        # The same port as on a real cluster: the provisioner reads it, and the
        # interruption handler and consolidation will drive it.
        self.port = SimulatedCluster(
            self.cluster, self, self._drop_node, budgets, self._daemonsets()
        )
        self.events = RecordingEventSink()
        commitments = Commitments(
            catalog.region,
            *commitments_of(
                scenario.commitments, catalog, f"scenario {scenario.name}: spec.commitments"
            ),
        )
        # Every strategy is billed with the commitments; those that fill them plan with them.
        self.billing = Billing(commitments) if commitments else None
        self.provisioner = build_provisioner(
            self.port,
            self.cloud,
            strategy.nodepools,
            catalog,
            self.clock,
            cluster_name=scenario.name,
            events=self.events,
            registry=CollectorRegistry(),
            commitments=commitments if strategy.fill_commitments else None,
        )
        self.scheduler = SimScheduler(self.cluster, self._startup_seconds)
        # The interruption handler and the drain loop the controller runs: the market's
        # notices reach them as the queue messages EC2 would send.
        self.queue = SimulatedQueue()
        self.handler = (
            Handler(
                self.port,
                self.queue,
                self.provisioner.launcher.unavailable,
                self.clock,
                rebalance_policy=pool_policies(strategy.nodepools),
                observed=self.provisioner.observed,
            )
            if strategy.handler
            else None
        )
        self.drainer = Drainer(self.port, self.cloud, self.clock)
        self.consolidator = Consolidator(
            self.port,
            self.provisioner,
            self.clock,
            disruption_of(strategy.nodepools),
            templates=templates_of(strategy.nodepools),
            # A trace says what each blocked node's move would have saved; the decisions
            # are the same either way.
            explain=trace is not None,
        )
        self._next_consolidation = -math.inf

    # -- what the cluster port asks of the engine (simulation.cluster_port.Workloads) --------

    def now(self) -> float:
        """The virtual time, in seconds since the run began."""
        return self.clock.now()

    def grace_seconds(self, owner: str) -> float:
        """The owner's ``terminationGracePeriodSeconds`` (Kubernetes' 30 s if unknown)."""
        deployment = self._deployments.get(owner)
        return deployment.grace_seconds if deployment is not None else 30.0

    def expected(self, owner: str) -> int | None:
        """The replicas the owner wants now; None for Jobs and bare pods.

        A scenario Deployment follows its curve; the manifests' controllers keep the count
        the manifests give them.
        """
        deployment = self._deployments.get(owner)
        if deployment is not None:
            return deployment.replicas.at(self.scenario.clock_hour(self.now()))
        return self._base_scale.get(owner)

    # -- the loop --------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> RunResult:
        """Warm the cluster up, run the whole scenario, and return what was measured."""
        horizon = self.scenario.hours * 3600.0
        self._start_base_load()
        self._warm_up()
        next_sample = 0.0
        while self.clock.now() < horizon:
            now = self.clock.now()
            self._step(now)
            if now >= next_sample:
                self._sample(now)
                next_sample += SAMPLE_SECONDS
            if progress is not None:
                progress(TICK_SECONDS / 3600.0)
            self.clock.advance(TICK_SECONDS)
        for story in self.interruption_log.open():
            self._trace(horizon, "interruption", **story.document())
        for node in self.cluster.nodes.values():
            self._count_usage(node, horizon)
        self._trace(horizon, "run-end")  # the run's length, for readers of the trace
        if self.billing is not None:
            self.totals.bill = self.billing.bill
        ends = Counter(p.phase.value for p in self.cluster.pods.values())
        for pod in self.cluster.pending():
            ends[f"pending: {pod.pending_reason or 'waiting for a node'}"] += 1
            ends["pending"] -= 1
        return RunResult(
            self.strategy.name,
            self.totals,
            self.samples,
            self.timeline,
            {k: v for k, v in ends.items() if v},
            self.scenario.hours,
            self.handler is not None,
            self.interruption_log.stories(),
            self.strategy.description,
        )

    def _warm_up(self) -> None:
        """Provision for the load of the start hour, then start measuring from zero.

        A cold start (every pod pending at once, every node booting) would dominate the
        day's pending time and time below a budget, and tell strategies apart by nothing
        they do later. The warm-up runs the same loop with a quiet market (no notices, no
        shortages: their windows start at 0) and the load held at the start hour; then
        every total is reset, finished pods are forgotten, and the pods alive at the start
        count as created by the run. Its launches are traced, at negative times.
        """
        while self.clock.now() < 0:
            now = self.clock.now()
            self._advance_pods(now)
            self._workloads(now)
            self._provision(now)
            self._drain(now)
            self._consolidate(now)
            self.clock.advance(TICK_SECONDS)
        self.cluster.forget_finished()
        self.totals = Totals(pods_created=len(self.cluster.pods))
        self.interruption_log = InterruptionLog()
        self._below_pdb_since.clear()
        self._interrupted_at.clear()
        self._consolidated_at.clear()

    def _step(self, now: float) -> None:
        self._advance_pods(now)
        self._workloads(now)
        self._market(now)
        self._handle_interruptions(now)
        self._drain(now)
        self._provision(now)
        self._consolidate(now)
        self._account(now)

    def _provision(self, now: float) -> None:
        self.scheduler.bind_pending(now, self._daemonsets())
        self._provisioned(now, self.provisioner.reconcile())

    # -- workloads -------------------------------------------------------------------------

    def _start_base_load(self) -> None:
        for pod in self.scenario.base.pods if self.scenario.base else ():
            self._create(pod, pod.owner or f"Pod/{pod.name}", self.clock.now())

    def _create(self, pod: Pod, owner: str, now: float, work: float | None = None) -> None:
        pod = dataclasses.replace(pod, grace_seconds=self.grace_seconds(owner))
        self.cluster.add_pod(SimPod(pod, now, owner, work_seconds=work))
        self.totals.pods_created += 1

    def _workloads(self, now: float) -> None:
        hours = self.scenario.clock_hour(now)
        for deployment in self.scenario.deployments:
            owner = f"Deployment/{deployment.name}"
            have = self.cluster.active_count(owner)
            wanted = deployment.replicas.at(hours)
            for _ in range(wanted - have):
                self._serial[owner] += 1
                name = f"{deployment.name}-{self._serial[owner]}"
                self._create(Pod(name, deployment.pod, owner=owner), owner, now)
            if have > wanted:
                # Scale-down removes the newest pods first, pending ones before running ones.
                mine = self.cluster.active_pods(owner)
                # The key breaks ties: sets iterate in hash order, which varies per process.
                mine.sort(
                    key=lambda p: (p.phase is Phase.PENDING, p.created_at, p.pod.key), reverse=True
                )
                for pod in mine[: have - wanted]:
                    self.port.delete_pod(pod.pod.key)
        while self._jobs and self._jobs[0][0] <= now:
            _, name, index, run = heapq.heappop(self._jobs)
            spec = self._job_specs[name]
            for k in range(run.pods):
                job_pod = Pod(f"{name}-{index}-{k}", spec.pod, owner=f"Job/{name}-{index}")
                self._create(job_pod, f"Job/{name}-{index}", now, work=run.duration_seconds)

    def _advance_pods(self, now: float) -> None:
        """Apply the phase changes that are due: containers ready, work done, grace over."""
        cluster = self.cluster
        for key, expected in cluster.due(now):
            pod = cluster.pods[key]
            if pod.phase is not expected:
                continue  # the pod moved on (deleted, or its node vanished) meanwhile
            if expected is Phase.STARTING:
                cluster.set_running(key)
                if pod.work_seconds is not None:
                    pod.ends_at = now + pod.work_seconds
                    cluster.at(pod.ends_at, key, Phase.RUNNING)
            elif expected is Phase.RUNNING:
                cluster.release(key, Phase.SUCCEEDED, now)
            elif expected is Phase.TERMINATING:
                cluster.release(key, Phase.GONE, now)

    # -- the market ------------------------------------------------------------------------

    def _market(self, now: float) -> None:
        while self.shortages and self.shortages[0][0] <= now:
            _, end, instance_type, zone = heapq.heappop(self.shortages)
            self.cloud.inject(
                instance_type, zone, CapacityType.SPOT, "InsufficientInstanceCapacity", until=end
            )
            self._trace(now, "shortage", pool=f"{instance_type}/{zone}", until=end)
        by_pool: dict[tuple[str, str], list[str]] = defaultdict(list)
        for node in self.cluster.nodes.values():
            if node.capacity_type is CapacityType.SPOT and node.warned_at is None:
                by_pool[(node.instance_type, node.zone)].append(node.instance_id)
        for pool, ids in sorted(by_pool.items()):
            for notice in self.market.reclaims(pool, sorted(ids), now, TICK_SECONDS):
                self._notice_serial += 1
                heapq.heappush(
                    self.notices,
                    (notice.at, self._notice_serial, notice.kind.value, notice.instance_id),
                )
                if notice.kind is NoticeKind.WARNING:
                    self._node_by_instance(notice.instance_id).warned_at = notice.at
        while self.notices and self.notices[0][0] <= now:
            at, _, kind, instance_id = heapq.heappop(self.notices)
            self._notice(now, NoticeKind(kind), instance_id, at)

    def _handle_interruptions(self, now: float) -> None:
        """The controller's interruption intake, when the strategy runs the handler."""
        if self.handler is None or not len(self.queue):
            return
        for interruption_id, action, node in self.handler.run().actions:
            self.interruption_log.marked(now / 3600, node, action)
            self._trace(now, "interruption-handled", id=interruption_id, action=action, node=node)

    def _drain(self, now: float) -> None:
        """One pass of the drain loop: interrupted nodes, and nodes consolidation took."""
        # Nodes consolidation took, with the move's kind and their type (gone once retired).
        chosen = {
            n.name: (kind, n.instance_type)
            for n in self.cluster.nodes.values()
            if (kind := voluntary_kind(n.taints)) is not None
        }
        report = self.drainer.run()
        t = self.totals
        # Pods consolidation moves are counted apart: the interruption figures stay its own.
        evicted = self._voluntary(report.evicted, chosen)
        deleted = self._voluntary(report.deleted, chosen)
        t.pods_consolidated += len(evicted[True]) + len(deleted[True])
        t.pods_evicted += len(evicted[False])
        t.pods_deleted_at_deadline += len(deleted[False])
        for key, _ in (*evicted[True], *deleted[True]):
            self._consolidated_at[self.cluster.pods[key].owner] = now
        moved = (*evicted[False], *deleted[False])
        t.replaced_ready = (t.replaced_ready or 0) + sum(1 for _, ready in moved if ready)
        for key, ready in moved:
            pod = self.cluster.pods[key]
            self._interrupted_at[pod.owner] = now
            if pod.node is not None:
                self.interruption_log.moved(now / 3600, pod.node, ready)
        if report.evicted or report.deleted:
            self._trace(now, "pods-moved", evicted=len(report.evicted), deleted=len(report.deleted))
        for name in report.finished:
            if name not in chosen:  # a noticed node consolidation took is not its drain
                self.interruption_log.drained(now / 3600, name)
            kind, instance_type = chosen.get(name, ("", ""))
            if kind == MoveKind.EMPTY.value:
                self._trace(now, "node-removed-empty", node=name, instance_type=instance_type)
            else:
                self._trace(now, "node-drained", node=name)
        for name in report.retired:
            story = self.interruption_log.gone(now / 3600, name, reclaimed=False)
            if story is not None:
                self._trace(now, "interruption", **story.document())

    def _voluntary(
        self, pods: list[tuple[str, bool]], chosen: Mapping[str, object]
    ) -> dict[bool, list[tuple[str, bool]]]:
        """``pods`` split by whether they left a node taken voluntarily (True) or not."""
        split: dict[bool, list[tuple[str, bool]]] = {True: [], False: []}
        for entry in pods:
            split[self.cluster.pods[entry[0]].node in chosen].append(entry)
        return split

    def _node_by_instance(self, instance_id: str) -> SimNode:
        return self.cluster.nodes[_node_name(instance_id)]

    def _notice(self, now: float, kind: NoticeKind, instance_id: str, at: float) -> None:
        name = _node_name(instance_id)
        node = self.cluster.nodes.get(name)
        if node is None:
            if kind is NoticeKind.TERMINATION and self.handler is not None:
                # Drained and terminated before EC2 took it: the interruption still was.
                self.totals.interruptions[kind.value] += 1
            return
        self.totals.interruptions[kind.value] += 1
        self.interruption_log.notice(
            at / 3600, kind.value, name, node.instance_type, len(node.pods)
        )
        if self.handler is not None and kind is not NoticeKind.TERMINATION:
            message = rebalance_recommendation if kind is NoticeKind.REBALANCE else spot_warning
            # Sent when EC2 issued it: the deadline counts from then, not from this tick.
            self.queue.put(message(instance_id, node.zone, self.catalog.region, at))
        self.timeline.append(TimelineEvent(now / 3600, kind.value, name, node.instance_type))
        self._trace(now, kind.value, node=name, instance_type=node.instance_type, zone=node.zone)
        if kind is NoticeKind.TERMINATION:
            self._lose_node(node, now)

    def _lose_node(self, node: SimNode, now: float) -> None:
        """The instance is gone: its pods die with it and their controllers replace them."""
        running = 0
        for key in node.pods:
            pod = self.cluster.pods[key]
            self._interrupted_at[pod.owner] = now
            running += pod.phase in (Phase.RUNNING, Phase.TERMINATING)
        self.cloud.terminate([node.instance_id])
        self._drop_node(node, now)
        self._trace(now, "node-lost", node=node.name, instance_type=node.instance_type)
        story = self.interruption_log.gone(now / 3600, node.name, reclaimed=True, lost=running)
        if story is not None:
            self._trace(now, "interruption", **story.document())

    def _drop_node(self, node: SimNode, now: float) -> None:
        """The Node is gone: its pods are force-deleted and their owners replace them."""
        for key in sorted(node.pods):
            pod = self.cluster.pods[key]
            was_running = pod.phase in (Phase.RUNNING, Phase.TERMINATING)
            self.cluster.release(key, Phase.GONE, now)
            self.totals.pods_force_deleted += 1
            if was_running:
                self.totals.pods_lost += 1
            if not pod.owner.startswith("Deployment/"):
                # Jobs recreate a failed pod and its work starts over; bare pods of the
                # base load are recreated too, as their (unmodelled) owners would.
                self._serial[pod.owner] += 1
                again = Pod(
                    f"{pod.pod.name}-r{self._serial[pod.owner]}", pod.pod.spec, owner=pod.owner
                )
                self._create(again, pod.owner, now, work=pod.work_seconds)
        self._count_usage(node, now)
        self.cluster.remove_node(node.name)

    def _count_usage(self, node: SimNode, now: float) -> None:
        """Add the node's measured time and cost to its type's and capacity type's line."""
        seconds = now - max(node.launched_at, 0.0)
        if seconds > 0:
            key = (node.instance_type, node.capacity_type.value)
            used = self.totals.usage_by_type.setdefault(key, [0.0, 0.0])
            used[0] += seconds
            used[1] += seconds * node.price / 3600

    # -- binding and provisioning -----------------------------------------------------------

    def _startup_seconds(self, owner: str) -> float:
        deployment = self._deployments.get(owner)
        return deployment.startup_seconds if deployment is not None else 10.0

    def _provisioned(self, now: float, round_: Round) -> None:
        """Record what the provisioner did: its launches boot as instances of the world."""
        reasons = {u.pod: u.reason for u in round_.unschedulable}
        for pod in self.cluster.pending():
            pod.pending_reason = reasons.get(pod.pod.key, "")
        for record in round_.launches:
            assert record.outcome is not None  # the simulator never runs dry
            self._launched(now, record.node, record.outcome)

    def _launch_reasons(self, planned: NewNode) -> Counter[str]:
        """Why a node was planned: its pods by where they come from, and its headroom."""
        reasons: Counter[str] = Counter()
        for key in planned.pods:
            pod = self.cluster.pods.get(key)
            node = None if pod is None or pod.node is None else self.cluster.nodes.get(pod.node)
            if node is None:
                reasons["pending"] += 1
            elif voluntary_kind(node.taints) is not None:
                reasons["moved-by-consolidation"] += 1
            else:
                reasons["moved-by-interruption"] += 1
        if planned.headroom:
            reasons["headroom"] += planned.headroom
        return reasons

    def _launched(self, now: float, planned: NewNode, outcome: LaunchOutcome) -> None:
        pool = planned.pool
        if isinstance(outcome, Launched | FellBack):
            instance = outcome.instance
            self.totals.launches += 1
            if isinstance(outcome, FellBack):
                self.totals.fallbacks += 1
            self._add_node(
                now,
                pool,
                instance.instance_id,
                instance.instance_type,
                instance.zone,
                instance.capacity_type,
            )
            reasons = self._launch_reasons(planned)
            # Named by where most of its pods came from (moved pods first on a tie);
            # a node planned for headroom alone is named so.
            pods = {r: n for r, n in reasons.items() if r != "headroom"}
            first = max(pods, key=lambda r: (pods[r], r != "pending")) if pods else "headroom"
            self.totals.launch_reasons[first] = self.totals.launch_reasons.get(first, 0) + 1
            if self.trace is not None:
                self._trace(
                    now,
                    "launch",
                    pool=pool,
                    node=_node_name(instance.instance_id),
                    instance_type=instance.instance_type,
                    zone=instance.zone,
                    capacity_type=instance.capacity_type.value,
                    fell_back=isinstance(outcome, FellBack),
                    price_per_hour=self.cloud.price(
                        instance.instance_type, instance.zone, instance.capacity_type
                    ),
                    expected_instance_type=planned.expected_instance_type,
                    expected_price_per_hour=round(planned.price_per_hour, 6),
                    on_demand_price_per_hour=round(planned.on_demand_price_per_hour, 6),
                    launch_list=list(planned.instance_types),
                    zones=list(planned.zones),
                    why=dict(reasons),
                    workloads=dict(self._owners(planned.pods).most_common(5)),
                )
        elif isinstance(outcome, Retry):
            self._trace(
                now,
                "launch-retry",
                pool=pool,
                after=outcome.after_seconds,
                reason=outcome.reason.value,
            )
        elif isinstance(outcome, Failed):
            self.totals.launch_failures += 1
            self._trace(
                now, "launch-failed", pool=pool, cause=outcome.cause.value, detail=outcome.detail
            )

    def _owners(self, keys: Sequence[str]) -> Counter[str]:
        return Counter(p.owner for k in keys if (p := self.cluster.pods.get(k)) is not None)

    def _add_node(
        self,
        now: float,
        pool: str,
        instance_id: str,
        instance_type: str,
        zone: str,
        capacity_type: CapacityType,
    ) -> None:
        t = self.catalog.instance_type(instance_type)
        settings = self.provisioner.settings[pool]
        name = _node_name(instance_id)
        labels = node_labels(
            pool, settings.labels, type_labels(t), self.catalog.region, zone, capacity_type
        )
        price = self.cloud.price(instance_type, zone, capacity_type)
        on_demand = self.catalog.economics[instance_type].on_demand_price
        if price is None or on_demand is None:
            # A node nobody can price would cost nothing and flatter every figure.
            raise LookupError(
                f"{instance_type} in {zone} was launched as {capacity_type.value} but the "
                f"catalog has no {'price' if price is None else 'on-demand price'} for it"
            )
        market = self.scenario.market
        self.cluster.add_node(
            SimNode(
                name=name,
                instance_id=instance_id,
                instance_type=instance_type,
                zone=zone,
                capacity_type=capacity_type,
                pool=pool,
                labels=labels.merged({HOSTNAME: name}),
                allocatable=minus(allocatable(t, self._root_volumes[pool]), self._daemon_overhead),
                price=price,
                on_demand_price=on_demand,
                launched_at=now,
                registered_at=now + market.boot_seconds,
                ready_at=now + market.boot_seconds + market.join_seconds,
                taints=settings.taints,
            )
        )
        self._watch_shortages((instance_type, zone))

    def _daemonsets(self) -> tuple[PodSpec, ...]:
        return self.scenario.base.daemonsets if self.scenario.base else ()

    def _watch_shortages(self, pool: tuple[str, str]) -> None:
        if pool in self._shortage_pools:
            return
        self._shortage_pools.add(pool)
        for start, end in self.market.shortages(pool, self.scenario.hours):
            heapq.heappush(self.shortages, (start, end, pool[0], pool[1]))

    def _consolidate(self, now: float) -> None:
        """One pass of the controller's consolidation loop, once a minute."""
        if now < self._next_consolidation:
            return
        self._next_consolidation = now + CONSOLIDATION_SECONDS
        report = self.consolidator.run()
        if report.kept and now >= 0:  # the warm-up is not the measured run
            self._trace_kept(now, report.kept)
        for move in report.started:
            if move.kind is MoveKind.EMPTY:
                self.totals.nodes_removed_empty += len(move.nodes)
            else:
                self.totals.nodes_disrupted += len(move.nodes)
            self._trace(
                now,
                "consolidation",
                kind=move.kind.value,
                nodes=list(move.nodes),
                replacements=[n.expected_instance_type for n in move.replacements],
                saving_per_hour=round(move.saving_per_hour, 6),
                reason=move.reason,
            )

    def _trace_kept(self, now: float, kept: Sequence[Kept]) -> None:
        """Why the pass kept its nodes: counts by reason, and each blocked node priced."""
        if self.trace is None:
            return
        self._trace(
            now,
            "consolidation-kept",
            interval_seconds=CONSOLIDATION_SECONDS,
            reasons=dict(Counter(k.why.value for k in kept)),
            blocked=[
                {
                    "node": k.node,
                    "blockers": [[b.blocker.value, b.subject] for b in k.blockers],
                    "cost_per_hour": round(k.cost_per_hour, 6),
                }
                for k in kept
                if k.why is KeptWhy.BLOCKED
            ],
        )

    # -- measuring -----------------------------------------------------------------------

    def _account(self, now: float) -> None:
        t = self.totals
        cluster = self.cluster
        t.cost += cluster.price_per_hour * TICK_SECONDS / 3600
        t.on_demand_cost += cluster.on_demand_price_per_hour * TICK_SECONDS / 3600
        t.node_seconds_spot += TICK_SECONDS * cluster.spot_nodes
        for pool, count in cluster.spot_nodes_by_pool.items():
            seconds = t.spot_seconds_by_pool.get(pool, 0.0)
            t.spot_seconds_by_pool[pool] = seconds + TICK_SECONDS * count
        t.node_seconds_on_demand += TICK_SECONDS * (len(cluster.nodes) - cluster.spot_nodes)
        t.pending_pod_seconds += TICK_SECONDS * len(self.cluster.pending_keys)
        if self.billing is not None:
            self.billing.tick(cluster.nodes.values(), TICK_SECONDS)
        self._account_pdbs(now)

    def _account_pdbs(self, now: float) -> None:
        ready = self.cluster.running
        for deployment in self.scenario.deployments:
            minimum = deployment.min_available(
                deployment.replicas.at(self.scenario.clock_hour(now))
            )
            if minimum is None:
                continue
            name, owner = deployment.name, f"Deployment/{deployment.name}"
            if ready[owner] < minimum:
                since = self._below_pdb_since.setdefault(name, now)
                stretch = now - since + TICK_SECONDS
                below = self.totals.below_pdb_seconds
                below[name] = max(below.get(name, 0.0), stretch)
                # An interruption in the stretch (or the tick before it) may have caused it.
                if self._interrupted_at.get(owner, -math.inf) >= since - TICK_SECONDS:
                    after = self.totals.below_pdb_interrupted_seconds
                    after[name] = max(after.get(name, 0.0), stretch)
                if self._consolidated_at.get(owner, -math.inf) >= since - TICK_SECONDS:
                    moved = self.totals.below_pdb_consolidated_seconds
                    moved[name] = max(moved.get(name, 0.0), stretch)
            else:
                self._below_pdb_since.pop(name, None)

    def _showback(self) -> None:
        """Split the nodes' list price among their pods' workloads, for the next sample.

        OpenCost's rule (`spotwise.decisions.cost.showback`) on the cluster as it is now,
        standing for the `SAMPLE_SECONDS` until the next sample: cost by namespace and
        workload, idle as its own line, adding up to the list cost to within sampling.
        """
        cluster = self.cluster
        priced = [
            PricedNode(n.name, n.price, n.allocatable, tuple(cluster.pods[k].pod for k in n.pods))
            for n in cluster.nodes.values()
        ]
        hours = SAMPLE_SECONDS / 3600
        t = self.totals
        for line in showback(priced, GroupBy.WORKLOAD):
            dollars = line.total * hours
            namespace = line.name.split("/", 1)[0]
            t.cost_by_workload[line.name] = t.cost_by_workload.get(line.name, 0.0) + dollars
            t.cost_by_namespace[namespace] = t.cost_by_namespace.get(namespace, 0.0) + dollars

    def _sample(self, now: float) -> None:
        self._showback()
        nodes = list(self.cluster.nodes.values())
        self.samples.append(
            Sample(
                hours=now / 3600,
                cost_per_hour=sum(n.price for n in nodes),
                spot_nodes=sum(1 for n in nodes if n.capacity_type is CapacityType.SPOT),
                on_demand_nodes=sum(1 for n in nodes if n.capacity_type is CapacityType.ON_DEMAND),
                pending_pods=len(self.cluster.pending_keys),
                running_pods=sum(self.cluster.running.values()),
                nodes_by_type=dict(Counter(n.instance_type for n in nodes)),
            )
        )

    def _trace(self, now: float, event: str, **fields: Any) -> None:
        if self.trace is not None:
            self.trace(
                {"t": round(now, 1), "strategy": self.strategy.name, "event": event, **fields}
            )


def _node_name(instance_id: str) -> str:
    return f"node-{instance_id}"


def _parameters(scenario: Scenario) -> MarketParameters:
    m = scenario.market
    return MarketParameters(
        interruption_scale=m.interruption_scale,
        rebalance_share=m.rebalance_share,
        rebalance_lead=(m.rebalance_lead_minutes[0] * 60, m.rebalance_lead_minutes[1] * 60),
        correlation=m.correlation,
        shortages_per_pool_per_day=m.shortages_per_pool_per_day,
        shortage_seconds=(m.shortage_minutes[0] * 60, m.shortage_minutes[1] * 60),
    )


def trace_writer(handle: Any) -> Trace:
    """A trace sink writing JSON lines to an open text file."""

    def write(record: dict[str, Any]) -> None:
        handle.write(json.dumps(record, sort_keys=True) + "\n")

    return write
