"""PodDisruptionBudget arithmetic, as the disruption controller and the eviction API do it.

Pure functions: a budget, how many pods it expects and how many are healthy, in; how many
may go, out. The Kubernetes rules (pkg/controller/disruption, the eviction subresource):

* ``minAvailable`` as a count is the desired healthy count; as a percentage it is scaled
  by the expected count and rounded up.
* ``maxUnavailable`` (count, or percentage rounded up) is taken from the expected count.
* Disruptions allowed = healthy - desired healthy, never below zero, and zero when the
  expected count is zero (no scale found, or a budget with neither bound).
* The eviction API lets a pod go without asking the budget when it is not running yet
  (Pending: bound pods whose containers are still starting included), has finished, or
  is already terminating; a running pod that is not ready may go while a positive budget
  is met (``unhealthyPodEvictionPolicy: IfHealthyBudget``, the default; ``AlwaysAllow`` is
  not modelled); a pod covered by more than one budget cannot be evicted at all.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget
from spotwise.model.pod import Pod


def _scaled(bound: int | str, expected: int) -> int:
    if isinstance(bound, int):
        return bound
    return -(-int(bound.removesuffix("%")) * expected // 100)


def desired_healthy(pdb: PodDisruptionBudget, expected: int) -> int:
    """How many of the ``expected`` pods the budget keeps healthy."""
    if pdb.min_available is not None:
        return _scaled(pdb.min_available, expected)
    if pdb.max_unavailable is not None:
        return max(0, expected - _scaled(pdb.max_unavailable, expected))
    return 0


def disruptions_allowed(pdb: PodDisruptionBudget, expected: int, healthy: int) -> int:
    """How many healthy pods may be disrupted now (``status.disruptionsAllowed``)."""
    bounded = pdb.min_available is not None or pdb.max_unavailable is not None
    if expected <= 0 or not bounded:
        return 0
    return max(0, healthy - desired_healthy(pdb, expected))


class PodState(enum.Enum):
    """What the eviction API looks at in a pod."""

    PENDING = "pending"  # not bound, or bound with containers still being created
    STARTING = "starting"  # running, not ready yet: unhealthy
    READY = "ready"  # running and ready: healthy
    TERMINATING = "terminating"
    FINISHED = "finished"


class Verdict(enum.Enum):
    """The eviction API's answer."""

    ALLOWED = "allowed"
    BLOCKED = "blocked"  # HTTP 429: the budget allows no disruption now; retry later
    MULTIPLE_BUDGETS = "multiple-budgets"  # HTTP 500: the API refuses such pods outright


@dataclass(frozen=True, slots=True)
class Coverage:
    """A budget covering the pod, with its expected and healthy counts right now."""

    pdb: PodDisruptionBudget
    expected: int
    healthy: int


def eviction_verdict(state: PodState, budgets: Sequence[Coverage]) -> Verdict:
    """Whether the eviction API would let a pod in ``state`` go.

    Args:
        state: The pod's state.
        budgets: Every budget whose selector matches the pod, in its namespace.

    Returns:
        ALLOWED, BLOCKED (retry later) or MULTIPLE_BUDGETS (never).
    """
    if state in (PodState.PENDING, PodState.TERMINATING, PodState.FINISHED) or not budgets:
        return Verdict.ALLOWED
    if len(budgets) > 1:
        return Verdict.MULTIPLE_BUDGETS
    (cover,) = budgets
    if state is PodState.STARTING:
        desired = desired_healthy(cover.pdb, cover.expected)
        if desired > 0 and cover.healthy >= desired:
            return Verdict.ALLOWED
    allowed = disruptions_allowed(cover.pdb, cover.expected, cover.healthy)
    return Verdict.ALLOWED if allowed > 0 else Verdict.BLOCKED


def refused_pods(budgets: Sequence[PodDisruptionBudget], pods: Iterable[Pod]) -> frozenset[str]:
    """The pods whose eviction the API would refuse now, by the budgets' status.

    A pod is refused when a budget covering it allows no disruption (or has no status yet:
    the disruption controller has not counted it), or when more than one budget covers
    it. Pods that live with their node, or are terminating, are never asked about.

    Args:
        budgets: Every budget, with ``disruptions_allowed`` from its status.
        pods: The pods that would be evicted.
    """
    verdicts: dict[tuple[str, object], bool] = {}
    found = set()
    for pod in pods:
        if pod.per_node or pod.terminating:
            continue
        spec = pod.spec
        key = (spec.namespace, spec.labels)
        refused = verdicts.get(key)
        if refused is None:
            covering = [
                b
                for b in budgets
                if b.namespace == spec.namespace and b.selector.matches(spec.labels)
            ]
            refused = len(covering) > 1 or any(not b.disruptions_allowed for b in covering)
            verdicts[key] = refused
        if refused:
            found.add(pod.key)
    return frozenset(found)
