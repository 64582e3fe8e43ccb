"""Expanding workloads into the pods their controllers would create.

Names are deterministic: ``<workload>-<i>`` for Deployments, ReplicaSets,
ReplicationControllers, Jobs and CronJobs, ``<statefulset>-<ordinal>`` for StatefulSets.
Pods the inputs already hold count toward their controller's replicas (found through
their controller ``ownerReferences``, a ReplicaSet's Deployment through the
``pod-template-hash`` label), so a cluster dump next to the manifests that made it does
not double the pods. DaemonSets give one pod spec each: overhead on every node they match.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spotwise.kubernetes.manifests.fields import Fields
from spotwise.kubernetes.manifests.manifests import Manifest
from spotwise.kubernetes.manifests.namespaces import Namespaces
from spotwise.kubernetes.manifests.pods import PodTemplate, parse_template
from spotwise.kubernetes.manifests.volumes import ClaimUse, VolumeIndex, VolumePin, combine
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.scheduling_terms import TaintEffect, Toleration, TolerationOperator

REPLICATED = ("Deployment", "ReplicaSet", "ReplicationController")
WORKLOAD_KINDS = (*REPLICATED, "StatefulSet", "Job", "CronJob", "DaemonSet")
TEMPLATE_HASH = "pod-template-hash"
TERMINAL_PHASES = ("Succeeded", "Failed")
# Kubernetes' scalability limit for a whole cluster; a workload asking more is a typo.
MAX_PODS = 150_000

# The DaemonSet controller adds these to every daemon pod (AddOrUpdateDaemonPodTolerations).
_DAEMON_TOLERATIONS = (
    ("node.kubernetes.io/not-ready", TaintEffect.NO_EXECUTE),
    ("node.kubernetes.io/unreachable", TaintEffect.NO_EXECUTE),
    ("node.kubernetes.io/disk-pressure", TaintEffect.NO_SCHEDULE),
    ("node.kubernetes.io/memory-pressure", TaintEffect.NO_SCHEDULE),
    ("node.kubernetes.io/pid-pressure", TaintEffect.NO_SCHEDULE),
    ("node.kubernetes.io/unschedulable", TaintEffect.NO_SCHEDULE),
)
_HOST_NETWORK_TOLERATION = ("node.kubernetes.io/network-unavailable", TaintEffect.NO_SCHEDULE)


@dataclass(frozen=True, slots=True)
class PlacedPod:
    """A pod and the node it is bound to (empty when pending).

    Attributes:
        pod: The pod.
        node_name: ``spec.nodeName``; empty for a pending pod.
        where: The input that defines it, for errors about its node.
        pins: The volume pins that shaped its zones and node.
    """

    pod: Pod
    node_name: str
    where: str
    pins: tuple[VolumePin, ...] = ()


@dataclass(frozen=True, slots=True)
class DaemonSet:
    """A DaemonSet's pod spec and its owner string (``DaemonSet/name``)."""

    owner: str
    spec: PodSpec


@dataclass(frozen=True, slots=True)
class Expansion:
    """Every pod the inputs define or imply, and the DaemonSets."""

    pods: tuple[PlacedPod, ...]
    daemonsets: tuple[DaemonSet, ...]


Key = tuple[str, str, str]  # namespace, kind, name


class _Owners:
    """Which workload of the inputs a pod or a child workload belongs to."""

    def __init__(self, workloads: Sequence[Manifest]) -> None:
        self.present: set[Key] = set()
        self.parents: dict[Key, Key] = {}
        for manifest in workloads:
            key = (manifest.namespace, manifest.kind, manifest.name)
            self.present.add(key)
            ref = _controller(manifest)
            if ref is not None:
                self.parents[key] = (manifest.namespace, *ref)

    def top(self, manifest: Manifest) -> Key | None:
        """The outermost workload in the inputs that controls ``manifest``, if any."""
        ref = _controller(manifest)
        if ref is None:
            return None
        labels = manifest.metadata.string_map("labels")
        key: Key | None = (manifest.namespace, *ref)
        found: Key | None = None
        # Pod -> ReplicaSet -> Deployment (or Job -> CronJob) is the longest chain.
        for _ in range(3):
            if key is None:
                break
            if key in self.present:
                found = key
            key = self.parents.get(key) or self._by_name(key, labels)
        return found

    def _by_name(self, key: Key, labels: dict[str, str]) -> Key | None:
        """The Deployment (CronJob) of a ReplicaSet (Job) missing from the inputs, by name.

        Upstream names a Deployment's ReplicaSet ``<deployment>-<pod-template-hash>`` and a
        CronJob's Job ``<cronjob>-<scheduled minute>``.
        """
        namespace, kind, name = key
        if kind == "ReplicaSet":
            template_hash = labels.get(TEMPLATE_HASH, "")
            if template_hash and name.endswith(f"-{template_hash}"):
                return (namespace, "Deployment", name[: -len(template_hash) - 1])
        if kind == "Job":
            stem, _, suffix = name.rpartition("-")
            if stem and suffix.isdigit():
                return (namespace, "CronJob", stem)
        return None

    def owner_string(self, manifest: Manifest) -> str:
        """``Kind/name`` of the pod's controller, the Deployment for a ReplicaSet's pods."""
        top = self.top(manifest)
        if top is not None:
            return f"{top[1]}/{top[2]}"
        ref = _controller(manifest)
        if ref is None:
            return ""
        kind, name = ref
        template_hash = manifest.metadata.string_map("labels").get(TEMPLATE_HASH, "")
        if kind == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
            return f"Deployment/{name[: -len(template_hash) - 1]}"
        return f"{kind}/{name}"


def _controller(manifest: Manifest) -> tuple[str, str] | None:
    for ref in manifest.metadata.objects("ownerReferences"):
        if ref.boolean("controller"):
            return ref.string("kind"), ref.string("name")
    return None


def expand(
    manifests: Sequence[Manifest], namespaces: Namespaces, volumes: VolumeIndex
) -> Expansion:
    """The pods and DaemonSets the manifests define.

    Raises:
        UserError: Naming the field of the first malformed value.
    """
    workloads = [m for m in manifests if m.kind in WORKLOAD_KINDS]
    owners = _Owners(workloads)
    pods: list[PlacedPod] = []
    existing: dict[Key, list[str]] = {}
    generated: dict[tuple[str, str], int] = {}
    for manifest in manifests:
        if manifest.kind != "Pod" or _terminal(manifest):
            continue
        name = manifest.name or _generated_name(manifest, generated, "pod")
        pod = _pod(manifest, name, owners.owner_string(manifest), namespaces, volumes)
        pods.append(pod)
        top = owners.top(manifest)
        if top is not None:
            existing.setdefault(top, []).append(pod.pod.name)
    daemonsets: list[DaemonSet] = []
    for manifest in workloads:
        key = (manifest.namespace, manifest.kind, manifest.name)
        if owners.top(manifest) is not None:
            continue  # a ReplicaSet of a Deployment, a Job of a CronJob: the owner expands
        if not manifest.name:  # a Helm hook's Job, say: named by its generateName
            name = _generated_name(manifest, generated, "workload")
            manifest = dataclasses.replace(manifest, name=name)
        if manifest.kind == "DaemonSet":
            daemonsets.append(_daemonset(manifest, namespaces))
            continue
        pods.extend(_workload_pods(manifest, existing.get(key, []), namespaces, volumes))
    return Expansion(tuple(pods), tuple(daemonsets))


def _generated_name(manifest: Manifest, generated: dict[tuple[str, str], int], what: str) -> str:
    """The name of an object with ``generateName`` only: the prefix and a counter.

    The API server appends random characters; a counter keeps names stable.

    Raises:
        UserError: If it has neither ``name`` nor ``generateName``.
    """
    prefix = manifest.metadata.string("generateName")
    if not prefix:
        raise manifest.metadata.error(
            "name", "is required", f"name the {what}, or give it generateName"
        )
    count = generated.get((manifest.namespace, prefix), 0)
    generated[(manifest.namespace, prefix)] = count + 1
    return f"{prefix}{count}"


def existing_pod(manifest: Manifest, namespaces: Namespaces, volumes: VolumeIndex) -> PlacedPod:
    """One Pod object as it is, for a reader of a live cluster that converts pods one by one.

    Its owner is named from its controller reference alone (a ReplicaSet's pods by their
    Deployment), as no other workload is looked at.

    Raises:
        UserError: Naming the field of the first malformed value.
    """
    if not manifest.name:
        raise manifest.metadata.error("name", "is required", "name the pod")
    owner = _Owners(()).owner_string(manifest)
    return _pod(manifest, manifest.name, owner, namespaces, volumes)


def daemonset(manifest: Manifest, namespaces: Namespaces) -> DaemonSet:
    """One DaemonSet's pod spec, with the tolerations its controller adds to every pod.

    Raises:
        UserError: Naming the field of the first malformed value.
    """
    return _daemonset(manifest, namespaces)


def _terminal(manifest: Manifest) -> bool:
    status = manifest.fields.mapping("status")
    # kube-scheduler does not see terminated pods: they hold no resources.
    return status is not None and status.string("phase") in TERMINAL_PHASES


def _pod(
    manifest: Manifest, name: str, owner: str, namespaces: Namespaces, volumes: VolumeIndex
) -> PlacedPod:
    template = parse_template(manifest.fields, manifest.namespace, namespaces)
    return _placed(name, template, owner, template.claim_uses(name), manifest.where, volumes)


def _placed(
    name: str,
    template: PodTemplate,
    owner: str,
    claims: Sequence[ClaimUse],
    where: str,
    volumes: VolumeIndex,
) -> PlacedPod:
    spec = template.spec
    pins = volumes.pins(spec.namespace, claims)
    if pins:
        zones, node = combine(pins)
        spec = dataclasses.replace(spec, zones=zones, node=node)
    pod = Pod(name, spec, owner, tuple(c.name for c in claims), hints=template.hints)
    return PlacedPod(pod, template.node_name, where, pins)


def _free_names(prefix: str, count: int, taken: Iterable[str]) -> list[str]:
    used = set(taken)
    names: list[str] = []
    index = 0
    while len(names) < count:
        name = f"{prefix}-{index}"
        if name not in used:
            names.append(name)
        index += 1
    return names


def _workload_pods(
    manifest: Manifest, existing: Sequence[str], namespaces: Namespaces, volumes: VolumeIndex
) -> list[PlacedPod]:
    owner = f"{manifest.kind}/{manifest.name}"
    spec = manifest.spec
    if manifest.kind == "StatefulSet":
        return _statefulset_pods(manifest, existing, namespaces, volumes)
    pod_source = spec
    if manifest.kind == "CronJob":
        if spec.boolean("suspend"):
            return []
        job_template = spec.mapping("jobTemplate")
        if job_template is None:
            raise spec.error("jobTemplate", "is required", "add the job template")
        job = job_template.mapping("spec")
        if job is None:
            raise job_template.error("spec", "is required", "add the job spec")
        # One run of the schedule: the pods one Job of it starts at once.
        count, labels = _job(job, manifest.name, None)
        pod_source = job
    elif manifest.kind == "Job":
        count, labels = _job(spec, manifest.name, manifest.fields.mapping("status"))
    else:
        count, labels = spec.integer("replicas", 1, maximum=MAX_PODS), {}
    template_fields = _template(pod_source)
    template = parse_template(template_fields, manifest.namespace, namespaces, labels)
    result: list[PlacedPod] = []
    for name in _free_names(manifest.name, max(0, count - len(existing)), existing):
        result.append(
            _placed(name, template, owner, template.claim_uses(name), manifest.where, volumes)
        )
    return result


def _template(spec: Fields) -> Fields:
    template = spec.mapping("template")
    if template is None:
        raise spec.error("template", "is required", "add the pod template")
    return template


def _job(spec: Fields, name: str, status: Fields | None) -> tuple[int, dict[str, str]]:
    """How many pods one run of a Job starts at once, and the labels the controller adds."""
    labels = {"batch.kubernetes.io/job-name": name, "job-name": name}
    if spec.boolean("suspend"):
        return 0, labels
    parallelism = spec.integer("parallelism", 1, maximum=MAX_PODS)
    if spec.has("completions"):
        remaining = spec.integer("completions", 1)
        if status is not None:
            remaining -= status.integer("succeeded", 0)
        parallelism = min(parallelism, max(0, remaining))
    if status is not None and any(
        c.string("type") in ("Complete", "Failed") and c.string("status") == "True"
        for c in status.objects("conditions")
    ):
        return 0, labels
    return parallelism, labels


def _statefulset_pods(
    manifest: Manifest, existing: Sequence[str], namespaces: Namespaces, volumes: VolumeIndex
) -> list[PlacedPod]:
    spec = manifest.spec
    replicas = spec.integer("replicas", 1, maximum=MAX_PODS)
    ordinals = spec.mapping("ordinals")
    start = ordinals.integer("start", 0) if ordinals is not None else 0
    templates: list[tuple[str, str | None]] = []
    for claim in spec.objects("volumeClaimTemplates"):
        claim_meta = claim.mapping("metadata")
        if claim_meta is None:
            raise claim.error("metadata", "is required", "name the claim template")
        claim_spec = claim.mapping("spec")
        storage_class = None
        if claim_spec is not None and claim_spec.has("storageClassName"):
            storage_class = claim_spec.string("storageClassName")
        templates.append((claim_meta.required_string("name"), storage_class))
    template_fields = _template(spec)
    taken = set(existing)
    result: list[PlacedPod] = []
    for ordinal in range(start, start + replicas):
        name = f"{manifest.name}-{ordinal}"
        if name in taken:
            continue
        # The controller labels each pod with its name and ordinal, so each differs.
        labels = {
            "statefulset.kubernetes.io/pod-name": name,
            "apps.kubernetes.io/pod-index": str(ordinal),
        }
        template = parse_template(template_fields, manifest.namespace, namespaces, labels)
        claims = [
            ClaimUse(f"{claim}-{manifest.name}-{ordinal}", storage_class, created=True)
            for claim, storage_class in templates
        ]
        claims.extend(template.claim_uses(name))
        result.append(
            _placed(name, template, f"StatefulSet/{manifest.name}", claims, manifest.where, volumes)
        )
    return result


def _daemonset(manifest: Manifest, namespaces: Namespaces) -> DaemonSet:
    template = parse_template(_template(manifest.spec), manifest.namespace, namespaces)
    added = list(_DAEMON_TOLERATIONS)
    if template.host_network:
        added.append(_HOST_NETWORK_TOLERATION)
    tolerations = list(template.spec.tolerations)
    for key, effect in added:
        toleration = Toleration(key, TolerationOperator.EXISTS, "", effect)
        if toleration not in tolerations:
            tolerations.append(toleration)
    spec = dataclasses.replace(template.spec, tolerations=tuple(tolerations))
    return DaemonSet(f"DaemonSet/{manifest.name}", spec)
