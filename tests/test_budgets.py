"""PodDisruptionBudget arithmetic and the eviction API's verdicts, as Kubernetes has them."""

import pytest

from spotwise.decisions.disruption.budgets import (
    Coverage,
    PodState,
    Verdict,
    desired_healthy,
    disruptions_allowed,
    eviction_verdict,
)
from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget
from spotwise.model.scheduling_terms import LabelSelector

WEB = LabelSelector((("app", "web"),))


def pdb(min_available=None, max_unavailable=None) -> PodDisruptionBudget:
    return PodDisruptionBudget("shop", "web", WEB, min_available, max_unavailable)


@pytest.mark.parametrize(
    ("budget", "expected", "desired"),
    [
        (pdb(min_available=2), 5, 2),
        (pdb(min_available="50%"), 5, 3),  # 2.5 rounds up
        (pdb(min_available="80%"), 12, 10),  # 9.6 rounds up
        (pdb(max_unavailable=1), 5, 4),
        (pdb(max_unavailable="25%"), 10, 7),  # 2.5 unavailable rounds up to 3
        (pdb(max_unavailable="10%"), 3, 2),  # 0.3 rounds up to 1
        (pdb(max_unavailable=9), 5, 0),
    ],
)
def test_desired_healthy_rounds_percentages_up(budget, expected, desired) -> None:
    assert desired_healthy(budget, expected) == desired


def test_disruptions_allowed_never_go_below_zero() -> None:
    assert disruptions_allowed(pdb(max_unavailable=1), 5, 5) == 1
    assert disruptions_allowed(pdb(max_unavailable=1), 5, 4) == 0
    assert disruptions_allowed(pdb(max_unavailable=1), 5, 2) == 0


def test_ready_pods_go_only_while_the_budget_allows() -> None:
    allowed = [Coverage(pdb(min_available=2), 3, 3)]
    at_minimum = [Coverage(pdb(min_available=2), 3, 2)]
    assert eviction_verdict(PodState.READY, allowed) is Verdict.ALLOWED
    assert eviction_verdict(PodState.READY, at_minimum) is Verdict.BLOCKED
    assert eviction_verdict(PodState.READY, []) is Verdict.ALLOWED


def test_pods_not_running_yet_finished_or_terminating_ignore_the_budget() -> None:
    at_minimum = [Coverage(pdb(min_available=2), 3, 2)]
    for state in (PodState.PENDING, PodState.TERMINATING, PodState.FINISHED):
        assert eviction_verdict(state, at_minimum) is Verdict.ALLOWED


def test_unready_pods_go_while_the_budget_is_met_if_healthy_budget() -> None:
    met = [Coverage(pdb(min_available=2), 3, 2)]
    short = [Coverage(pdb(min_available=2), 3, 1)]
    assert eviction_verdict(PodState.STARTING, met) is Verdict.ALLOWED
    assert eviction_verdict(PodState.STARTING, short) is Verdict.BLOCKED


def test_a_pod_under_two_budgets_cannot_be_evicted() -> None:
    two = [Coverage(pdb(min_available=0), 3, 3), Coverage(pdb(max_unavailable=3), 3, 3)]
    assert eviction_verdict(PodState.READY, two) is Verdict.MULTIPLE_BUDGETS


def test_no_expected_pods_or_no_bound_allows_no_disruption() -> None:
    assert disruptions_allowed(pdb(max_unavailable=1), 0, 1) == 0
    assert disruptions_allowed(pdb(), 3, 3) == 0
    assert eviction_verdict(PodState.READY, [Coverage(pdb(), 3, 3)]) is Verdict.BLOCKED


def test_unready_pods_under_a_zero_budget_ask_like_ready_ones() -> None:
    everything_may_go = [Coverage(pdb(max_unavailable="100%"), 3, 0)]
    assert eviction_verdict(PodState.STARTING, everything_may_go) is Verdict.BLOCKED
    some_ready = [Coverage(pdb(max_unavailable="100%"), 3, 2)]
    assert eviction_verdict(PodState.STARTING, some_ready) is Verdict.ALLOWED


def test_a_single_pod_may_go_when_its_budget_allows_one() -> None:
    assert disruptions_allowed(pdb(max_unavailable=1), 1, 1) == 1
    assert disruptions_allowed(pdb(min_available=0), 1, 1) == 1
    assert disruptions_allowed(pdb(min_available=1), 1, 1) == 0


def test_a_budget_with_no_bound_keeps_nothing_healthy() -> None:
    assert desired_healthy(pdb(), 5) == 0
