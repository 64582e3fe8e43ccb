"""What a pod says about being moved voluntarily: the annotations and volumes that matter.

Consolidation and other voluntary disruption read these (interruptions never do: the
instance goes away regardless). The annotations are the ones users of the anchors
already set, so that a cluster moved to spotwise keeps its protections:

* ``karpenter.sh/do-not-disrupt`` and ``spotwise.io/do-not-disrupt``: ``"true"``, or a
  duration (``30m``, ``1h30m``) counted from the pod's start;
* ``cluster-autoscaler.kubernetes.io/safe-to-evict``: ``"false"`` blocks; ``"true"`` lets
  a pod with local storage or without a controller go;
* ``cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes``: the names of local
  volumes whose data may be lost, comma-separated.

Local storage is a ``hostPath`` volume or an ``emptyDir`` not kept in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DO_NOT_DISRUPT = ("karpenter.sh/do-not-disrupt", "spotwise.io/do-not-disrupt")
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
SAFE_LOCAL_VOLUMES = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"


@dataclass(frozen=True, slots=True)
class DisruptionHints:
    """A pod's say on voluntary disruption.

    Attributes:
        do_not_disrupt: The value of a do-not-disrupt annotation (``"true"`` or a
            duration), None without one.
        safe_to_evict: Cluster-autoscaler's ``safe-to-evict``: True, False, or None unset.
        safe_local_volumes: Local volumes listed as safe to lose.
        local_volumes: Its ``hostPath`` volumes and ``emptyDir`` volumes on disk, by name.
    """

    do_not_disrupt: str | None = None
    safe_to_evict: bool | None = None
    safe_local_volumes: tuple[str, ...] = ()
    local_volumes: tuple[str, ...] = ()


NO_HINTS = DisruptionHints()


def hints_of(annotations: Mapping[str, str], volumes: Iterable[tuple[str, str]]) -> DisruptionHints:
    """The hints of a pod with these annotations and volumes.

    Args:
        annotations: The pod's annotations.
        volumes: (name, kind) of each volume: ``hostPath``, ``emptyDir`` (on disk),
            ``emptyDir-memory`` or anything else.

    Returns:
        `NO_HINTS` when nothing applies, so that pods share one value.
    """
    do_not_disrupt = next((annotations[k] for k in DO_NOT_DISRUPT if k in annotations), None)
    safe = annotations.get(SAFE_TO_EVICT)
    listed = annotations.get(SAFE_LOCAL_VOLUMES, "")
    found = DisruptionHints(
        do_not_disrupt.strip() if do_not_disrupt is not None else None,
        None if safe is None else safe.strip().lower() == "true",
        tuple(v.strip() for v in listed.split(",") if v.strip()),
        tuple(name for name, kind in volumes if kind in ("hostPath", "emptyDir")),
    )
    return NO_HINTS if found == NO_HINTS else found
