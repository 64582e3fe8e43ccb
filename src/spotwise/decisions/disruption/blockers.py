"""What keeps a node from being disrupted voluntarily (consolidation, expiry, drift).

Pure functions over a node, its pods and the budgets' answers. A blocker names the rule,
the pod or node it comes from, and the words a person reads in ``disruption explain``.
None of these stops an interruption: the instance goes away regardless.

Pods that live and die with the node (DaemonSet and static pods), finished pods and pods
already terminating never block. Cluster-autoscaler's ``safe-to-evict: "true"`` lets a pod
with local storage or without a controller go, as it does there; it does not override a
do-not-disrupt annotation or a budget.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from spotwise.model.duration import parse_duration
from spotwise.model.node import Node
from spotwise.model.pod import Pod

# Spot Ocean's pod label: the pod's node is not scaled down.
RESTRICT_SCALE_DOWN_LABEL = "spotinst.io/restrict-scale-down"
# Cluster-autoscaler's node annotation: the node is never scaled down.
SCALE_DOWN_DISABLED = "cluster-autoscaler.kubernetes.io/scale-down-disabled"


class Blocker(enum.Enum):
    """The rule that keeps a node."""

    DO_NOT_DISRUPT = "do-not-disrupt"
    RESTRICT_SCALE_DOWN = "restrict-scale-down"
    NOT_SAFE_TO_EVICT = "not-safe-to-evict"
    LOCAL_STORAGE = "local-storage"
    NO_CONTROLLER = "no-controller"
    BUDGET = "pod-disruption-budget"
    NODE_SCALE_DOWN_DISABLED = "node-scale-down-disabled"
    POOL_RESTRICTS_SCALE_DOWN = "pool-restricts-scale-down"


@dataclass(frozen=True, slots=True)
class Blocked:
    """One reason a node is kept.

    Attributes:
        blocker: The rule.
        subject: The pod (``namespace/name``) or node it comes from.
        detail: What a person reads.
    """

    blocker: Blocker
    subject: str
    detail: str


def pod_blockers(pod: Pod, now: float, budget_blocked: bool = False) -> list[Blocked]:
    """What keeps ``pod``, and so its node, from being disrupted voluntarily now.

    Args:
        pod: A pod on the node.
        now: Seconds since the epoch (a do-not-disrupt duration runs from its start).
        budget_blocked: Whether its budgets would refuse its eviction now.
    """
    if pod.per_node or pod.terminating:
        return []
    key, hints = pod.key, pod.hints
    found: list[Blocked] = []
    protected = _protected_until(hints.do_not_disrupt, pod.started_at)
    if protected is not None and now < protected:
        value = hints.do_not_disrupt
        when = "" if value == "true" else f" ({value} from its start)"
        found.append(Blocked(Blocker.DO_NOT_DISRUPT, key, f"annotated do-not-disrupt{when}"))
    if pod.spec.labels.get(RESTRICT_SCALE_DOWN_LABEL) == "true":
        found.append(
            Blocked(Blocker.RESTRICT_SCALE_DOWN, key, f"labelled {RESTRICT_SCALE_DOWN_LABEL}")
        )
    if hints.safe_to_evict is False:
        found.append(Blocked(Blocker.NOT_SAFE_TO_EVICT, key, 'annotated safe-to-evict: "false"'))
    if hints.safe_to_evict is not True:
        lost = [v for v in hints.local_volumes if v not in hints.safe_local_volumes]
        if lost:
            found.append(
                Blocked(
                    Blocker.LOCAL_STORAGE,
                    key,
                    f"has local storage ({', '.join(lost)}) not listed as safe to evict",
                )
            )
        if not pod.owner or pod.owner.startswith("Pod/"):
            found.append(Blocked(Blocker.NO_CONTROLLER, key, "has no controller to recreate it"))
    if budget_blocked:
        found.append(Blocked(Blocker.BUDGET, key, "its PodDisruptionBudget allows no eviction now"))
    return found


def node_blockers(
    node: Node, now: float, pool_restricts: bool, budget_blocked: Collection[str] = ()
) -> list[Blocked]:
    """What keeps ``node`` from being disrupted voluntarily now: its own and its pods'.

    Args:
        node: The node, with its pods.
        now: Seconds since the epoch.
        pool_restricts: Its pool's ``restrictScaleDown``.
        budget_blocked: Keys of the pods whose budgets would refuse their eviction now.
    """
    found: list[Blocked] = []
    if node.annotations.get(SCALE_DOWN_DISABLED) == "true":
        detail = f"annotated {SCALE_DOWN_DISABLED}"
        found.append(Blocked(Blocker.NODE_SCALE_DOWN_DISABLED, node.name, detail))
    if pool_restricts:
        detail = "its pool sets restrictScaleDown"
        found.append(Blocked(Blocker.POOL_RESTRICTS_SCALE_DOWN, node.name, detail))
    for pod in node.pods:
        found += pod_blockers(pod, now, pod.key in budget_blocked)
    return found


def _protected_until(value: str | None, started_at: float | None) -> float | None:
    """Until when a do-not-disrupt annotation holds; None when it does not hold at all.

    ``"true"`` holds for ever; a duration from the pod's start (from now on when the start
    is unknown, the safe side). Any other value (``"false"``, a typo) does not hold, as in
    Karpenter.
    """
    if value is None:
        return None
    if value == "true":
        return float("inf")
    seconds = parse_duration(value)
    if seconds is None:
        return None
    return float("inf") if started_at is None else started_at + seconds
