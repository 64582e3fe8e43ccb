"""``load_workload``: manifests in, the scheduler's inputs out.

The nodes file and the ``-f`` inputs are read alike (a cluster dump may hold any kind);
an object defined in both is taken from ``-f``, the desired state. The same object twice
in one of them is an error, as it most often is a stale copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from spotwise.errors import UserError
from spotwise.kubernetes.manifests.manifests import Manifest, expand_paths, read_manifests
from spotwise.kubernetes.manifests.namespaces import Namespaces
from spotwise.kubernetes.manifests.nodes import bind, parse_node
from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget, parse_pdb
from spotwise.kubernetes.manifests.volumes import VolumeIndex, VolumePin
from spotwise.kubernetes.manifests.workloads import WORKLOAD_KINDS, expand
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec

# The API groups each kind is read from; a custom resource of the same kind is not ours.
_GROUPS: dict[str, tuple[str, ...]] = {
    "Pod": ("",),
    "Node": ("",),
    "Namespace": ("",),
    "PersistentVolume": ("",),
    "PersistentVolumeClaim": ("",),
    "ReplicationController": ("",),
    "Deployment": ("apps", "extensions"),
    "ReplicaSet": ("apps", "extensions"),
    "StatefulSet": ("apps",),
    "DaemonSet": ("apps", "extensions"),
    "Job": ("batch",),
    "CronJob": ("batch",),
    "PodDisruptionBudget": ("policy",),
    "StorageClass": ("storage.k8s.io",),
}
NODES_FILE, INPUTS = 0, 1


@dataclass(frozen=True, slots=True)
class Workload:
    """What the manifests ask for and what the cluster already has.

    Attributes:
        pods: Pending pods to place, in input order.
        daemonsets: Each DaemonSet's pod spec: overhead on every node it matches.
        daemonset_owners: ``DaemonSet/name`` of each entry of ``daemonsets`` (same order),
            matching the ``owner`` of its pods already bound to nodes.
        pdbs: PodDisruptionBudgets.
        nodes: Existing nodes, each with the pods bound to it (``spec.nodeName``).
        volumes: The claims that pin pods to zones or nodes, for explanations.
        notes: Files of other YAML that were skipped, each with what to do.
    """

    pods: tuple[Pod, ...] = ()
    daemonsets: tuple[PodSpec, ...] = ()
    daemonset_owners: tuple[str, ...] = ()
    pdbs: tuple[PodDisruptionBudget, ...] = ()
    nodes: tuple[Node, ...] = ()
    volumes: tuple[VolumePin, ...] = ()
    notes: tuple[str, ...] = ()


def load_workload(paths: Sequence[Path], nodes_file: Path | None = None) -> Workload:
    """Read manifests (files or folders) and an optional nodes file into a :class:`Workload`.

    Args:
        paths: Files or folders (searched recursively for ``*.yaml``, ``*.yml``,
            ``*.json``) of Kubernetes manifests; multi-document YAML and ``kind: List``.
        nodes_file: The cluster's Node objects, possibly with its Pods
            (``kubectl get nodes,pods -A -o yaml``).

    Returns:
        Pending pods, DaemonSets, PDBs, existing nodes with their pods, volume pins.

    Raises:
        UserError: One line naming the file, the document (from 1) and the field path of
            the first problem: a missing file, bad YAML or JSON, a malformed field, a pod
            bound to a node no Node manifest defines, a nodes file without a Node.
    """
    manifests: list[Manifest] = []
    if nodes_file is not None:
        found = read_manifests(_unique(expand_paths([nodes_file])), NODES_FILE)
        if not any(m.kind == "Node" for m in found):
            raise UserError(
                str(nodes_file),
                "holds no Node object",
                "pass the cluster's nodes (kubectl get nodes,pods -A -o yaml)",
            )
        manifests.extend(found)
    skipped: list[str] = []
    inputs = read_manifests(_unique(expand_paths(paths)), INPUTS, skipped)
    manifests.extend(inputs)
    notes = (*skipped, *_unread(inputs))
    return dataclasses.replace(workload_from_manifests(manifests), notes=notes)


def _unread(manifests: Sequence[Manifest]) -> list[str]:
    """A note for each object that looks like it makes pods or nodes but is not read here."""
    notes = []
    for m in manifests:
        if m.kind in _POOL_KINDS:
            notes.append(
                f"{m.where}: {m.kind} {m.name} describes nodes, not pods: pass it with --pool"
            )
        elif m.kind not in (*WORKLOAD_KINDS, "Pod") and _has_pod_template(m):
            notes.append(
                f"{m.where}: {m.kind} {m.name} has a pod template, but spotwise reads the pods"
                " of Pods, Deployments, ReplicaSets, StatefulSets, Jobs, CronJobs and DaemonSets"
                " only: its pods are not planned (plan the Deployment it stands for)"
            )
    return notes


def _has_pod_template(m: Manifest) -> bool:
    # Raw values: an object spotwise does not read may have any shape, and is no error.
    spec = m.fields.data.get("spec")
    template = spec.get("template") if isinstance(spec, Mapping) else None
    pod = template.get("spec") if isinstance(template, Mapping) else None
    return isinstance(pod, Mapping) and "containers" in pod


def workload_from_manifests(manifests: Sequence[Manifest]) -> Workload:
    """The :class:`Workload` of objects already read (files, or a cluster's API).

    Args:
        manifests: Every object, the nodes file's (source 0) before the inputs' (source 1).

    Returns:
        Pending pods, DaemonSets, PDBs, existing nodes with their pods, volume pins.

    Raises:
        UserError: As :func:`load_workload`.
    """
    # Every namespaced object names a namespace that exists, a Service as well as a Pod.
    namespaces = Namespaces(
        (m.namespace for m in manifests if m.kind not in _CLUSTER_SCOPED),
        {m.name: m.metadata.string_map("labels") for m in manifests if m.kind == "Namespace"},
    )
    ours = _deduplicated([m for m in manifests if _ours(m)])

    nodes = [parse_node(m) for m in ours if m.kind == "Node"]
    volumes = VolumeIndex(ours, {node.hostname: node.name for node in nodes})
    expansion = expand(ours, namespaces, volumes)
    pins: dict[tuple[str, str], VolumePin] = {}
    for placed in expansion.pods:
        for pin in placed.pins:
            pins.setdefault((pin.namespace, pin.claim), pin)
    return Workload(
        pods=tuple(p.pod for p in expansion.pods if not p.node_name),
        daemonsets=tuple(d.spec for d in expansion.daemonsets),
        daemonset_owners=tuple(d.owner for d in expansion.daemonsets),
        pdbs=tuple(parse_pdb(m) for m in ours if m.kind == "PodDisruptionBudget"),
        nodes=bind(nodes, expansion.pods),
        volumes=tuple(pins.values()),
    )


# NodePools (spotwise's, Karpenter's) and Karpenter's EC2NodeClass: what --pool reads.
_POOL_KINDS = ("NodePool", "EC2NodeClass")

_CLUSTER_SCOPED = (
    "Node",
    "Namespace",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
)


def _unique(files: Sequence[Path]) -> list[Path]:
    """Each file once, even when named directly and through its folder."""
    seen: set[Path] = set()
    result: list[Path] = []
    for path in files:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            result.append(path)
    return result


def _ours(manifest: Manifest) -> bool:
    groups = _GROUPS.get(manifest.kind)
    if groups is None:
        return False  # Services, ConfigMaps, custom resources: nothing to schedule
    api_version = manifest.fields.raw("apiVersion")
    if not isinstance(api_version, str):
        return True  # hand-written snippets often leave it out; the kind is enough
    group = api_version.rpartition("/")[0]
    return group in groups


def _deduplicated(manifests: Sequence[Manifest]) -> list[Manifest]:
    chosen: dict[tuple[str, str, str], int] = {}
    result: list[Manifest | None] = []
    for manifest in manifests:
        if not manifest.name:
            result.append(manifest)  # a generateName pod: every copy is another pod
            continue
        namespace = "" if manifest.kind in _CLUSTER_SCOPED else manifest.namespace
        key = (manifest.kind, namespace, manifest.name)
        index = chosen.get(key)
        if index is None:
            chosen[key] = len(result)
            result.append(manifest)
            continue
        earlier = result[index]
        assert earlier is not None
        if earlier.source == manifest.source:
            shown = f"{namespace}/{manifest.name}" if namespace else manifest.name
            raise UserError(
                manifest.where,
                f"{manifest.kind} {shown} is defined again (first in {earlier.where})",
                "keep one definition of each object",
            )
        # The -f inputs come after the nodes file: the desired state replaces the dump.
        result[index] = None
        chosen[key] = len(result)
        result.append(manifest)
    return [m for m in result if m is not None]
