"""API objects (plain dicts from the informers) into the scheduler's model.

The manifest parsers of `spotwise.kubernetes.manifests` read files and API objects
alike: an object from the API is a :class:`Manifest` whose ``where`` names it
(``Pod shop/web-0``), so a malformed object is reported as a file's would be.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spotwise.kubernetes.api.leader import parse_time
from spotwise.kubernetes.manifests.fields import Fields
from spotwise.kubernetes.manifests.load import INPUTS
from spotwise.kubernetes.manifests.manifests import Manifest
from spotwise.kubernetes.manifests.namespaces import Namespaces
from spotwise.kubernetes.manifests.volumes import VolumeIndex
from spotwise.kubernetes.manifests.workloads import TERMINAL_PHASES, existing_pod
from spotwise.model.pod import Pod

Obj = dict[str, Any]

DEFAULT_SCHEDULER = "default-scheduler"


def manifest(obj: Obj) -> Manifest:
    """An API object as the manifest parsers take it."""
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind") or "")
    namespace = str(meta.get("namespace") or "")
    name = str(meta.get("name") or "")
    where = f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
    return Manifest(Fields(obj, where), kind, namespace or "default", name, INPUTS)


def namespaces(objects: Iterable[Obj]) -> Namespaces:
    """The cluster's namespaces and their labels, for ``namespaceSelector``."""
    labels = {str(o["metadata"]["name"]): dict(o["metadata"].get("labels") or {}) for o in objects}
    return Namespaces((), labels)


@dataclass(frozen=True, slots=True)
class LivePod:
    """A pod of the cluster as the snapshot needs it.

    Attributes:
        pod: The scheduler's pod.
        node_name: ``spec.nodeName``; empty while unbound.
        phase: ``status.phase`` (empty for a pod just created).
        deleting: It has a ``deletionTimestamp``.
        daemon: Its controller is a DaemonSet (it never waits for a new node).
        scheduler: ``spec.schedulerName``.
        created: ``metadata.creationTimestamp``, to list pending pods oldest first.
    """

    pod: Pod
    node_name: str
    phase: str
    deleting: bool
    daemon: bool
    scheduler: str
    created: str

    @property
    def finished(self) -> bool:
        """Succeeded or Failed: it holds no resources."""
        return self.phase in TERMINAL_PHASES

    def pending(self, schedulers: frozenset[str]) -> bool:
        """Waiting for a node that spotwise may provide."""
        return (
            not self.node_name
            and self.phase in ("", "Pending")
            and not self.deleting
            and not self.daemon
            and self.scheduler in schedulers
        )


# Priority classes Kubernetes reserves for what a node or the cluster cannot run without.
CRITICAL_PRIORITY_CLASSES = frozenset({"system-cluster-critical", "system-node-critical"})
# The annotation the kubelet puts on the API's mirror of a static pod.
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


def live_pod(obj: Obj, names: Namespaces, volumes: VolumeIndex) -> LivePod:
    """Convert one Pod object.

    Raises:
        UserError: If a field is malformed.
    """
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    placed = existing_pod(manifest(obj), names, volumes)
    daemon = any(
        ref.get("controller") and ref.get("kind") == "DaemonSet"
        for ref in meta.get("ownerReferences") or ()
    )
    critical = spec.get("priorityClassName") in CRITICAL_PRIORITY_CLASSES
    mirror = MIRROR_ANNOTATION in (meta.get("annotations") or {})
    grace = spec.get("terminationGracePeriodSeconds")
    pod = dataclasses.replace(
        placed.pod,
        grace_seconds=float(grace) if isinstance(grace, int | float) else 30.0,
        critical=critical,
        per_node=daemon or mirror,
        terminating=bool(meta.get("deletionTimestamp")),
        started_at=parse_time(str(status.get("startTime") or "")),
    )
    return LivePod(
        pod=pod,
        node_name=str(spec.get("nodeName") or ""),
        phase=str(status.get("phase") or ""),
        deleting=bool(meta.get("deletionTimestamp")),
        daemon=daemon,
        scheduler=str(spec.get("schedulerName") or DEFAULT_SCHEDULER),
        created=str(meta.get("creationTimestamp") or ""),
    )


# What scheduling and draining read of a pod; the rest (env, probes, images, container
# statuses...) is most of a pod's bytes, and 100,000 pods must fit in the controller.
_POD_SPEC = frozenset(
    {
        "affinity",
        "containers",
        "hostNetwork",
        "initContainers",
        "nodeName",
        "nodeSelector",
        "overhead",
        "preemptionPolicy",
        "priority",
        "priorityClassName",
        "restartPolicy",
        "runtimeClassName",
        "schedulerName",
        "terminationGracePeriodSeconds",
        "tolerations",
        "topologySpreadConstraints",
        "volumes",
    }
)
_CONTAINER = frozenset({"name", "ports", "resources", "restartPolicy"})
# Local volumes (hostPath, emptyDir) are kept too: they keep a pod from being consolidated.
_VOLUME = frozenset({"name", "persistentVolumeClaim", "ephemeral", "hostPath", "emptyDir"})


def trim_pod(obj: Obj) -> Obj:
    """A Pod with only the fields scheduling and draining read (the informer's transform)."""
    spec = obj.get("spec")
    if isinstance(spec, dict):
        trimmed = {k: v for k, v in spec.items() if k in _POD_SPEC}
        for key in ("containers", "initContainers"):
            if isinstance(trimmed.get(key), list):
                trimmed[key] = [_only(c, _CONTAINER) for c in trimmed[key]]
        if isinstance(trimmed.get("volumes"), list):
            volumes = [_only(v, _VOLUME) for v in trimmed["volumes"]]
            trimmed["volumes"] = [v for v in volumes if not isinstance(v, dict) or len(v) > 1]
        obj["spec"] = trimmed
    status = obj.get("status")
    if isinstance(status, dict):
        kept: Obj = {"phase": status.get("phase")} if status.get("phase") else {}
        if status.get("startTime"):
            kept["startTime"] = status["startTime"]
        conditions = status.get("conditions")
        if isinstance(conditions, list):
            kept["conditions"] = [_only(c, frozenset({"type", "status"})) for c in conditions]
        obj["status"] = _shared(kept)
    if isinstance(spec, dict):
        obj["spec"] = _shared(obj["spec"])
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        for key in ("namespace", "labels", "ownerReferences"):
            if key in meta:
                meta[key] = _shared(meta[key])
    return obj


def _shared(value: Any) -> Any:
    """``value`` with its strings interned (``sys.intern``).

    Label values, quantities, node names, owners and the like repeat over thousands of
    pods, each parsed into its own string: one copy of each keeps 100,000 pods smaller.
    Unique strings (name, uid, resourceVersion) are left alone.
    """
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        return {sys.intern(k) if isinstance(k, str) else k: _shared(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shared(v) for v in value]
    return value


def _only(value: Any, keys: frozenset[str]) -> Any:
    return {k: v for k, v in value.items() if k in keys} if isinstance(value, dict) else value


def pod_dependencies(obj: Obj) -> tuple[bool, bool]:
    """Whether a pod's conversion reads the cluster's volumes, and its namespaces.

    Most pods read neither, so their conversion stays valid when claims or namespaces
    change; only the others are converted again.
    """
    spec = obj.get("spec") or {}
    volumes = any(
        isinstance(v, dict) and ("persistentVolumeClaim" in v or "ephemeral" in v)
        for v in spec.get("volumes") or ()
    )
    affinity = spec.get("affinity")
    names = bool(affinity) and "namespaceSelector" in json.dumps(affinity)
    return volumes, names
