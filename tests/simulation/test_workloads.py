from __future__ import annotations

import itertools
import math

import pytest

from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget
from spotwise.model.labels import HOSTNAME, KARPENTER_CAPACITY_TYPE, ZONE
from spotwise.model.resources import NVIDIA_GPU, Resources
from spotwise.model.scheduling_terms import LabelSelector, WhenUnsatisfiable
from spotwise.simulator.workloads import (
    DURATION_SIGMA,
    Constant,
    DeploymentSpec,
    Diurnal,
    JobRun,
    JobSpec,
    Spike,
    Spread,
    Steps,
    app_selector,
    job_pods,
    job_runs,
    pdb_for,
    pod_name,
    pod_spec_for,
    stream_seed,
)

SMALL = Resources(cpu_milli=250, memory_bytes=512 * 2**20)


# -- curves ----------------------------------------------------------------------------------


def test_constant_is_the_same_at_every_hour() -> None:
    curve = Constant(7)
    assert [curve.at(h) for h in (0, 5.5, 23.99, 48)] == [7, 7, 7, 7]
    assert curve.peak == 7


@pytest.mark.parametrize(
    ("hours", "replicas"),
    [
        (14, 100),  # the peak
        (38, 100),  # the peak a day later
        (2, 10),  # twelve hours before
        (26, 10),  # twelve hours after
        (8, 55),  # a quarter day away: halfway, 10 + 90 * 0.5
        (20, 55),
        (11, 87),  # 10 + 90 * (1 + cos(pi/4)) / 2 = 86.82
        (17, 87),  # symmetric around the peak
        (5, 23),  # 10 + 90 * (1 + cos(3pi/4)) / 2 = 23.18
    ],
)
def test_diurnal_is_a_cosine_between_min_and_max(hours: float, replicas: int) -> None:
    assert Diurnal(10, 100, 14).at(hours) == replicas


def test_diurnal_rounds_half_up_and_peaks_at_max() -> None:
    # 0 + 1 * 0.5 = 0.5 at a quarter day from the peak: rounds up to 1, not to even 0.
    assert Diurnal(0, 1, 0).at(6) == 1
    assert Diurnal(3, 3, 5).at(17) == 3
    assert Diurnal(10, 100, 14).peak == 100


def test_diurnal_peak_hour_may_be_fractional() -> None:
    curve = Diurnal(0, 240, 23.5)
    assert curve.at(23.5) == 240
    assert curve.at(11.5) == 0
    assert curve.at(-0.5) == 240  # the previous day's peak


@pytest.mark.parametrize(
    ("hours", "replicas"),
    [(0, 5), (2, 5), (3.99, 5), (4, 20), (12, 20), (17.5, 8), (30, 8)],
)
def test_steps_hold_each_count_until_the_next(hours: float, replicas: int) -> None:
    # Before the first step (hour 2), its count already holds.
    assert Steps(((2, 5), (4, 20), (17.5, 8))).at(hours) == replicas


def test_steps_peak_is_the_largest_step() -> None:
    assert Steps(((0, 3), (6, 12), (20, 1))).peak == 12


@pytest.mark.parametrize(
    ("hours", "replicas"),
    [(0, 50), (16.99, 50), (17, 400), (18, 400), (18.49, 400), (18.5, 50), (23, 50)],
)
def test_spike_is_a_burst_of_peak_replicas(hours: float, replicas: int) -> None:
    assert Spike(50, 400, 17, 1.5).at(hours) == replicas


def test_spike_peak_and_a_burst_on_the_second_day() -> None:
    curve = Spike(10, 30, 30, 2)  # 6 am on the second day
    assert curve.at(6) == 10
    assert curve.at(31) == 30
    assert curve.peak == 30


# -- pods --------------------------------------------------------------------------------------


def test_pod_spec_carries_app_label_and_one_pod() -> None:
    spec = pod_spec_for("web", "shop", SMALL)
    assert spec.namespace == "shop"
    assert dict(spec.labels) == {"app": "web"}
    assert spec.requests == Resources(250, 512 * 2**20, 1)
    assert not spec.node_selector
    assert spec.spread == ()
    assert spec.anti_affinity == ()


def test_pod_spec_on_demand_selects_on_demand_nodes() -> None:
    spec = pod_spec_for("db", "pay", SMALL, on_demand=True)
    assert dict(spec.node_selector) == {KARPENTER_CAPACITY_TYPE: "on-demand"}


@pytest.mark.parametrize(("spread", "key"), [(Spread.ZONE, ZONE), (Spread.HOSTNAME, HOSTNAME)])
def test_pod_spec_spread_is_max_skew_1_do_not_schedule(spread: Spread, key: str) -> None:
    (constraint,) = pod_spec_for("web", "shop", SMALL, spread=spread).spread
    assert constraint.max_skew == 1
    assert constraint.topology_key == key
    assert constraint.when_unsatisfiable is WhenUnsatisfiable.DO_NOT_SCHEDULE
    assert constraint.selector == LabelSelector(match_labels=(("app", "web"),))
    assert constraint.selector.matches({"app": "web"})


def test_pod_spec_anti_affinity_is_on_hostname() -> None:
    (term,) = pod_spec_for("cache", "shop", SMALL, anti_affinity=True).anti_affinity
    assert term.topology_key == HOSTNAME
    assert term.selector == app_selector("cache")
    assert term.namespaces == ()  # the pod's own namespace


def test_pod_spec_keeps_gpus() -> None:
    gpu = Resources(4000, 16 * 2**30, 0, ((NVIDIA_GPU, 1),))
    assert pod_spec_for("train", "ml", gpu).requests.get(NVIDIA_GPU) == 1


def test_equal_workload_options_give_equal_specs() -> None:
    # The packer groups pods by spec; every replica must share one.
    assert pod_spec_for("web", "shop", SMALL) == pod_spec_for("web", "shop", SMALL)
    assert hash(pod_spec_for("web", "shop", SMALL)) == hash(pod_spec_for("web", "shop", SMALL))


def _deployment(pdb: PodDisruptionBudget | None = None) -> DeploymentSpec:
    return DeploymentSpec("web", "shop", pod_spec_for("web", "shop", SMALL), Constant(3), pdb)


def test_deployment_replicas_are_named_and_owned() -> None:
    deployment = _deployment()
    pod = deployment.replica(12)
    assert pod.name == "web-12" == pod_name("web", 12)
    assert pod.owner == deployment.owner == "Deployment/web"
    assert pod.key == "shop/web-12"
    assert pod.spec is deployment.pod
    assert not deployment.on_demand


@pytest.mark.parametrize(
    ("min_available", "max_unavailable", "replicas", "expected"),
    [
        (2, None, 10, 2),
        (2, None, 1, 1),  # never more than there are
        ("50%", None, 5, 3),  # percentages round up
        ("100%", None, 7, 7),
        (None, 1, 10, 9),
        (None, 3, 2, 0),
        (None, "10%", 25, 22),  # 2.5 may be down, rounded up to 3
        (None, "0%", 4, 4),
    ],
)
def test_min_available_from_the_pdb(
    min_available: int | str | None, max_unavailable: int | str | None, replicas: int, expected: int
) -> None:
    pdb = pdb_for("web", "shop", min_available, max_unavailable)
    assert pdb.selector.matches({"app": "web"})
    assert pdb.key == "shop/web"
    assert _deployment(pdb).min_available(replicas) == expected


def test_min_available_without_a_pdb_is_none() -> None:
    assert _deployment().min_available(10) is None


# -- jobs ----------------------------------------------------------------------------------


def _stream(rate: float = 6.0, minutes: float = 20.0, parallelism: int = 1) -> JobSpec:
    return JobSpec(
        "reports", "data", pod_spec_for("reports", "data", SMALL), rate, minutes, parallelism
    )


def test_job_runs_are_deterministic_for_a_seed() -> None:
    assert job_runs(_stream(), 7, 24) == job_runs(_stream(), 7, 24)


def test_job_runs_differ_with_the_seed_and_the_stream() -> None:
    runs = job_runs(_stream(), 7, 24)
    assert job_runs(_stream(), 8, 24) != runs
    other = JobSpec("exports", "data", _stream().pod, 6.0, 20.0)
    assert [r.start_seconds for r in job_runs(other, 7, 24)] != [r.start_seconds for r in runs]
    assert stream_seed(7, "data", "reports") != stream_seed(7, "data", "exports")


def test_job_runs_are_ordered_within_the_horizon() -> None:
    runs = job_runs(_stream(rate=20, parallelism=3), 1, 5)
    starts = [r.start_seconds for r in runs]
    assert starts == sorted(starts)
    assert all(0 <= s < 5 * 3600 for s in starts)
    assert all(r.duration_seconds >= 1 for r in runs)
    assert [r.name for r in runs[:3]] == ["reports-0", "reports-1", "reports-2"]
    assert {r.pods for r in runs} == {3}


def test_job_pods_are_named_after_their_job() -> None:
    stream = _stream(parallelism=2)
    run = JobRun(10.0, 60.0, 2, "reports-4")
    pods = job_pods(stream, run)
    assert [p.name for p in pods] == ["reports-4-0", "reports-4-1"]
    assert {p.owner for p in pods} == {"Job/reports-4"}
    assert {p.spec for p in pods} == {stream.pod}


def test_no_arrivals_without_a_rate_or_time() -> None:
    assert job_runs(_stream(rate=0), 1, 24) == ()
    assert job_runs(_stream(), 1, 0) == ()


def test_arrivals_are_poisson_with_the_mean_rate() -> None:
    rate, hours = 30.0, 400.0
    runs = job_runs(_stream(rate=rate), 3, hours)
    expected = rate * hours
    # A Poisson count has standard deviation sqrt(mean); five of them is far outside
    # chance, yet catches a rate off by a few percent (12,000 +- 548).
    assert abs(len(runs) - expected) < 5 * math.sqrt(expected)
    # The gaps are exponential: their coefficient of variation is 1.
    gaps = [b.start_seconds - a.start_seconds for a, b in itertools.pairwise(runs)]
    mean_gap = sum(gaps) / len(gaps)
    sd_gap = math.sqrt(sum((g - mean_gap) ** 2 for g in gaps) / len(gaps))
    assert abs(sd_gap / mean_gap - 1) < 0.05


def test_durations_are_lognormal_with_the_mean_given() -> None:
    minutes = 20.0
    runs = job_runs(_stream(rate=60, minutes=minutes), 5, 200)
    durations = [r.duration_seconds / 60 for r in runs]
    mean = sum(durations) / len(durations)
    # The sample mean's standard error for a lognormal: mean * sqrt(e^(sigma^2) - 1) / sqrt(n).
    error = minutes * math.sqrt(math.exp(DURATION_SIGMA**2) - 1) / math.sqrt(len(durations))
    assert abs(mean - minutes) < 5 * error
    # Lognormal, not exponential: few runs under a tenth of the mean.
    assert sum(d < minutes / 10 for d in durations) / len(durations) < 0.001
