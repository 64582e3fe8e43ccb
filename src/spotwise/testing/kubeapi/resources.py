"""The resources the test server serves: one table, read by the router and discovery."""

from __future__ import annotations

from dataclasses import dataclass

CRUD = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

# Field selectors every resource takes; the API server answers 400 for any other field.
COMMON_FIELDS = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True, slots=True)
class Resource:
    """One API resource: where it lives, its kind, and what its field selectors accept."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        """``v1`` for the core group, ``group/version`` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        """The singular name, as discovery spells it (the kind in lower case)."""
        return self.kind.lower()

    @property
    def has_status(self) -> bool:
        """Whether writes to the resource itself leave its status alone."""
        return "status" in self.subresources

    def selectable(self, field: str) -> bool:
        """Whether a field selector may name this field."""
        return field in COMMON_FIELDS or field in self.fields


RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "namespaces", "Namespace", False, ("ns",), ("status",), ("status.phase",)),
    Resource(
        "",
        "v1",
        "nodes",
        "Node",
        False,
        ("no",),
        ("status",),
        ("spec.unschedulable",),
    ),
    Resource(
        "",
        "v1",
        "pods",
        "Pod",
        True,
        ("po",),
        ("status", "eviction", "binding"),
        (
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ),
    ),
    Resource(
        "",
        "v1",
        "events",
        "Event",
        True,
        ("ev",),
        (),
        (
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ),
    ),
    Resource("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("status",)),
    Resource("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("status",)),
    Resource("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("status",)),
    Resource("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("status",)),
    Resource(
        "policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",), ("status",)
    ),
    Resource("coordination.k8s.io", "v1", "leases", "Lease", True),
    # spotwise's own custom resource, as if its CRD (deploy/crd/) were installed.
    Resource("spotwise.io", "v1alpha1", "nodepools", "NodePool", False, ("np",), ("status",)),
    # Storage: what pins pods to zones and nodes (claims, volumes, classes, attachments).
    Resource(
        "", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",), ("status",)
    ),
    Resource("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",), ("status",)),
    Resource("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",)),
    Resource(
        "storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", False, (), ("status",)
    ),
    Resource("events.k8s.io", "v1", "events", "Event", True, ("ev",)),
    # metrics-server's pod usage; tests write it as metrics-server would report it.
    Resource("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True),
)


def find(group_version: str, plural: str) -> Resource | None:
    """The resource served at ``group_version`` under ``plural``, if any."""
    for resource in RESOURCES:
        if resource.group_version == group_version and resource.plural == plural:
            return resource
    return None


def of_kind(api_version: str, kind: str) -> Resource | None:
    """The resource whose objects have this ``apiVersion`` and ``kind``, if any."""
    for resource in RESOURCES:
        if resource.group_version == api_version and resource.kind == kind:
            return resource
    return None


def groups() -> dict[str, list[str]]:
    """Every named group (not the core one) and its versions, in table order."""
    result: dict[str, list[str]] = {}
    for resource in RESOURCES:
        if resource.group and resource.version not in result.setdefault(resource.group, []):
            result[resource.group].append(resource.version)
    return result
