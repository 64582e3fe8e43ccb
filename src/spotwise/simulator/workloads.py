"""The simulated workloads: Deployments whose replicas follow a curve, and streams of Jobs.

Everything here is a frozen value and every draw is deterministic for a seed, so that two
runs of one scenario see the same load and differ only by the decisions under test.

Time has two scales. Replica curves read the *clock hour*: hours since midnight of the
first simulated day (the scenario's ``start`` plus the hours elapsed), so a diurnal peak at
14 means 2 pm whenever the run starts. Job arrivals are in *seconds since the run began*,
as the engine's virtual clock counts them.
"""

from __future__ import annotations

import enum
import math
import random
import zlib
from dataclasses import dataclass
from typing import Protocol

from spotwise.decisions.disruption.budgets import desired_healthy
from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget
from spotwise.model.labels import HOSTNAME, KARPENTER_CAPACITY_TYPE, ZONE
from spotwise.model.labelset import EMPTY_LABELS, LabelSet
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import (
    LabelSelector,
    PodAffinityTerm,
    TopologySpreadConstraint,
    WhenUnsatisfiable,
    with_extended_resource_tolerations,
)

APP_LABEL = "app"
DAY_HOURS = 24.0
# Batch run times have a long right tail; a lognormal with this shape keeps most runs
# within a factor of about 2.7 of the median, without the many near-zero runs an
# exponential would draw.
DURATION_SIGMA = 0.5
MIN_DURATION_SECONDS = 1.0


def _round(value: float) -> int:
    """Half up, so that a curve's values never depend on banker's rounding."""
    return math.floor(value + 0.5)


class ReplicaCurve(Protocol):
    """How many replicas a Deployment wants at a clock hour."""

    def at(self, hours: float) -> int:
        """The desired replicas at ``hours`` since midnight of the first day."""
        ...

    @property
    def peak(self) -> int:
        """The most replicas the curve ever asks for."""
        ...


@dataclass(frozen=True, slots=True)
class Constant:
    """The same replica count all day."""

    replicas: int

    def at(self, hours: float) -> int:
        """The replica count, whatever the hour."""
        return self.replicas

    @property
    def peak(self) -> int:
        """The replica count."""
        return self.replicas


@dataclass(frozen=True, slots=True)
class Diurnal:
    """A daily cosine: ``maximum`` at ``peak_hour``, ``minimum`` twelve hours away.

    Attributes:
        minimum: Replicas at the trough (``peak_hour`` ± 12 h).
        maximum: Replicas at the peak.
        peak_hour: Hour of day of the peak, in [0, 24).
    """

    minimum: int
    maximum: int
    peak_hour: float

    def at(self, hours: float) -> int:
        """The replicas at ``hours``, repeating every 24 hours."""
        phase = 2 * math.pi * (hours - self.peak_hour) / DAY_HOURS
        share = (1 + math.cos(phase)) / 2
        return _round(self.minimum + (self.maximum - self.minimum) * share)

    @property
    def peak(self) -> int:
        """``maximum``."""
        return self.maximum


@dataclass(frozen=True, slots=True)
class Steps:
    """Replica counts that change at given hours, as a scheduled scaler sets them.

    Attributes:
        steps: ``(at_hour, replicas)`` pairs by increasing hour. Each count holds from its
            hour until the next step; before the first step, the first count holds.
    """

    steps: tuple[tuple[float, int], ...]

    def at(self, hours: float) -> int:
        """The count of the last step at or before ``hours``."""
        replicas = self.steps[0][1]
        for at_hour, count in self.steps:
            if at_hour > hours:
                break
            replicas = count
        return replicas

    @property
    def peak(self) -> int:
        """The largest step."""
        return max(count for _, count in self.steps)


@dataclass(frozen=True, slots=True)
class Spike:
    """A flat load with one burst, such as a launch or a marketing e-mail.

    Attributes:
        base: Replicas outside the burst.
        peak_replicas: Replicas during the burst.
        at_hour: Clock hour the burst starts.
        duration_hours: How long it lasts.
    """

    base: int
    peak_replicas: int
    at_hour: float
    duration_hours: float

    def at(self, hours: float) -> int:
        """``peak_replicas`` in [at_hour, at_hour + duration_hours), else ``base``."""
        if self.at_hour <= hours < self.at_hour + self.duration_hours:
            return self.peak_replicas
        return self.base

    @property
    def peak(self) -> int:
        """The larger of base and burst."""
        return max(self.base, self.peak_replicas)


class Spread(enum.StrEnum):
    """How a Deployment's replicas are spread: a DoNotSchedule constraint, maxSkew 1."""

    ZONE = "zone"
    HOSTNAME = "hostname"
    NONE = "none"


def app_selector(name: str) -> LabelSelector:
    """The selector of a workload's pods: ``app=<name>``."""
    return LabelSelector(match_labels=((APP_LABEL, name),))


def pod_spec_for(
    name: str,
    namespace: str,
    requests: Resources,
    *,
    on_demand: bool = False,
    spread: Spread = Spread.NONE,
    anti_affinity: bool = False,
) -> PodSpec:
    """The pod spec of a simulated workload's pods.

    Args:
        name: The workload's name; its pods carry ``app=<name>``.
        namespace: Their namespace.
        requests: What each pod requests (``pods`` is set to 1).
        on_demand: Require on-demand nodes (``karpenter.sh/capacity-type: on-demand``).
        spread: Spread the pods over zones or nodes (maxSkew 1, DoNotSchedule).
        anti_affinity: At most one of the pods per node (required anti-affinity on hostname).

    Returns:
        The spec; every pod of the workload shares it, so the packer groups them.
    """
    selector = app_selector(name)
    constraints: tuple[TopologySpreadConstraint, ...] = ()
    if spread is not Spread.NONE:
        key = ZONE if spread is Spread.ZONE else HOSTNAME
        constraints = (
            TopologySpreadConstraint(1, key, WhenUnsatisfiable.DO_NOT_SCHEDULE, selector),
        )
    return PodSpec(
        namespace=namespace,
        labels=LabelSet({APP_LABEL: name}),
        requests=Resources(
            requests.cpu_milli,
            requests.memory_bytes,
            1,
            requests.extended,
            requests.ephemeral_bytes,
        ),
        node_selector=LabelSet({KARPENTER_CAPACITY_TYPE: "on-demand"})
        if on_demand
        else EMPTY_LABELS,
        tolerations=with_extended_resource_tolerations((), (n for n, _ in requests.extended)),
        anti_affinity=(PodAffinityTerm(selector, HOSTNAME),) if anti_affinity else (),
        spread=constraints,
    )


def pod_name(workload: str, serial: int) -> str:
    """The name of a workload's pod number ``serial``: ``<workload>-<serial>``."""
    return f"{workload}-{serial}"


@dataclass(frozen=True, slots=True)
class DeploymentSpec:
    """A Deployment of the scenario.

    Attributes:
        name: Its name (and its pods' ``app`` label).
        namespace: Its namespace.
        pod: The pod spec every replica shares.
        replicas: Desired replicas by clock hour.
        pdb: Its PodDisruptionBudget (selecting ``app=<name>``), if any.
        grace_seconds: How long a pod takes to stop once deleted or evicted
            (``terminationGracePeriodSeconds``).
        startup_seconds: How long a pod takes from bound to ready.
    """

    name: str
    namespace: str
    pod: PodSpec
    replicas: ReplicaCurve
    pdb: PodDisruptionBudget | None = None
    grace_seconds: float = 30.0
    startup_seconds: float = 10.0

    @property
    def owner(self) -> str:
        """``Deployment/<name>``, the ``owner`` of its pods."""
        return f"Deployment/{self.name}"

    @property
    def on_demand(self) -> bool:
        """Whether its pods require on-demand nodes."""
        return self.pod.node_selector.get(KARPENTER_CAPACITY_TYPE) == "on-demand"

    def replica(self, serial: int) -> Pod:
        """Replica number ``serial`` (the engine numbers replicas as it creates them)."""
        return Pod(pod_name(self.name, serial), self.pod, self.owner)

    def min_available(self, replicas: int) -> int | None:
        """How many of ``replicas`` pods the PDB keeps available; None without a PDB.

        Percentages round up for both bounds, as the disruption controller rounds them.
        """
        if self.pdb is None:
            return None
        return min(replicas, desired_healthy(self.pdb, replicas))


def pdb_for(
    name: str, namespace: str, min_available: int | str | None, max_unavailable: int | str | None
) -> PodDisruptionBudget:
    """The PodDisruptionBudget named like a workload, over its ``app=<name>`` pods."""
    return PodDisruptionBudget(namespace, name, app_selector(name), min_available, max_unavailable)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A stream of Jobs arriving at random, such as reports or training runs.

    Attributes:
        name: The stream's name; run ``n`` is the Job ``<name>-<n>``.
        namespace: Its namespace.
        pod: The pod spec every pod of every run shares.
        arrivals_per_hour: The mean rate of a Poisson arrival process.
        duration_minutes: The mean run time (lognormal, shape :data:`DURATION_SIGMA`).
        parallelism: Pods per run; they start and finish together.
    """

    name: str
    namespace: str
    pod: PodSpec
    arrivals_per_hour: float
    duration_minutes: float
    parallelism: int = 1

    @property
    def on_demand(self) -> bool:
        """Whether its pods require on-demand nodes."""
        return self.pod.node_selector.get(KARPENTER_CAPACITY_TYPE) == "on-demand"


@dataclass(frozen=True, slots=True)
class JobRun:
    """One Job of a stream.

    Attributes:
        start_seconds: When it is created, in seconds since the run began.
        duration_seconds: How long its pods run once started.
        pods: How many pods it runs (the stream's ``parallelism``); :func:`job_pods`
            makes them.
        name: The Job's name, ``<stream>-<n>`` for the stream's run ``n`` (from 0).
    """

    start_seconds: float
    duration_seconds: float
    pods: int
    name: str


def job_pods(spec: JobSpec, run: JobRun) -> tuple[Pod, ...]:
    """The pods of one run: ``<job>-<k>``, owned by ``Job/<job>``."""
    return tuple(Pod(pod_name(run.name, k), spec.pod, f"Job/{run.name}") for k in range(run.pods))


def stream_seed(seed: int, namespace: str, name: str) -> int:
    """The seed of one stream: the scenario's seed mixed with a stable hash of its name.

    ``hash()`` of a string changes with every interpreter (PYTHONHASHSEED), so a CRC is used:
    streams stay independent of one another and of their order in the file.
    """
    return seed ^ zlib.crc32(f"{namespace}/{name}".encode())


def job_runs(spec: JobSpec, seed: int, hours: float) -> tuple[JobRun, ...]:
    """The Jobs of a stream that arrive within the first ``hours`` of a run.

    Arrivals are a Poisson process (exponential gaps at ``arrivals_per_hour``); run times
    are lognormal with mean ``duration_minutes``, at least a second.

    Args:
        spec: The stream.
        seed: The scenario's seed; equal seeds give equal runs.
        hours: The length of the simulated run.

    Returns:
        The runs by start time.
    """
    rate = spec.arrivals_per_hour / 3600.0
    if rate <= 0 or hours <= 0:
        return ()
    rng = random.Random(stream_seed(seed, spec.namespace, spec.name))
    # Mean-preserving: E[lognormal(mu, sigma)] = exp(mu + sigma^2 / 2).
    mu = math.log(spec.duration_minutes * 60.0) - DURATION_SIGMA**2 / 2
    horizon = hours * 3600.0
    runs: list[JobRun] = []
    start = rng.expovariate(rate)
    while start < horizon:
        duration = max(MIN_DURATION_SECONDS, rng.lognormvariate(mu, DURATION_SIGMA))
        runs.append(JobRun(start, duration, spec.parallelism, pod_name(spec.name, len(runs))))
        start += rng.expovariate(rate)
    return tuple(runs)
