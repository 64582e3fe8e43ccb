"""What DaemonSets take from a node before any other pod lands on it."""

from __future__ import annotations

from collections.abc import Sequence

from spotwise.decisions.scheduling.constraints import Constraints
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import PodSpec
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint


def daemonset_overhead(
    daemonsets: Sequence[PodSpec], labels: LabelSet, taints: tuple[Taint, ...]
) -> Resources:
    """The requests of the DaemonSets that would run on a node with these labels and taints.

    A DaemonSet runs where its pods tolerate every taint and its node affinity matches,
    as the DaemonSet controller decides.
    """
    overhead = Resources()
    for ds in daemonsets:
        if not Constraints.strict(ds).untolerated(taints) and ds.matches_node_affinity(labels):
            overhead = overhead + ds.requests
    return overhead
