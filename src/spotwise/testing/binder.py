"""A stand-in kube-scheduler: binds pending pods to Ready nodes by spotwise's own rules.

:meth:`TestBinder.bind_pending` reads the cluster from the API server, turns its Nodes and
Pods into the scheduler's model through the same manifest parsers the command line uses
(`spotwise.kubernetes.manifests`), and runs the packer with no pools
(`spotwise.decisions.scheduling.packer.pack`), which places pods on existing nodes only:
resources, node selectors and affinity, taints and tolerations, cordons, host ports, pod
(anti-)affinity, topology spread and volume pins all judged as spotwise judges them.

Each placement is POSTed as a Binding, as kube-scheduler does. A pod that fits nowhere
stays pending with the condition kube-scheduler writes: PodScheduled False, reason
Unschedulable, and a message in its words (`unschedulable_message`).

Only Ready nodes are candidates (kube-scheduler keeps pods off NotReady nodes through the
``node.kubernetes.io/not-ready`` taint); only pods for the default scheduler, not being
deleted, are bound.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from spotwise.decisions.scheduling.constraints import Constraints
from spotwise.decisions.scheduling.packer import PackInput, pack
from spotwise.errors import UserError
from spotwise.kubernetes.manifests.fields import Fields
from spotwise.kubernetes.manifests.manifests import Manifest
from spotwise.kubernetes.manifests.namespaces import Namespaces
from spotwise.kubernetes.manifests.nodes import bind, parse_node
from spotwise.kubernetes.manifests.volumes import VolumeIndex
from spotwise.kubernetes.manifests.workloads import PlacedPod, expand
from spotwise.model.labels import ZONE
from spotwise.model.node import Node
from spotwise.model.pod import PodSpec
from spotwise.testing.kubeapi.store import now

Obj = dict[str, Any]
log = logging.getLogger(__name__)

DEFAULT_SCHEDULER = "default-scheduler"


@dataclass(frozen=True, slots=True)
class BindResult:
    """What one :meth:`TestBinder.bind_pending` did.

    Attributes:
        bound: ``(namespace/name, node)`` of each pod it bound.
        unschedulable: ``(namespace/name, message)`` of each pod that fits no node.
    """

    bound: tuple[tuple[str, str], ...] = ()
    unschedulable: tuple[tuple[str, str], ...] = ()


class TestBinder:
    """Plays kube-scheduler for the pending pods of a cluster, one pass at a time.

    Args:
        core: The official client's ``CoreV1Api`` for the cluster.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, core: client.CoreV1Api) -> None:
        self.core = core
        self.storage = client.StorageV1Api(core.api_client)

    def bind_pending(self) -> BindResult:
        """Bind every pending pod that fits a Ready node; mark the others Unschedulable."""
        pods = [p for p in _items(self.core.list_pod_for_all_namespaces(_preload_content=False))]
        pending = [p for p in pods if _wants_scheduling(p)]
        if not pending:
            return BindResult()
        node_objects = _items(self.core.list_node(_preload_content=False))
        namespace_objects = _items(self.core.list_namespace(_preload_content=False))
        volumes = VolumeIndex(self._volume_manifests(), _hostnames(node_objects))
        namespaces = Namespaces(
            (p["metadata"]["namespace"] for p in pods),
            {
                n["metadata"]["name"]: dict(n["metadata"].get("labels") or {})
                for n in namespace_objects
            },
        )
        nodes = _ready_nodes(node_objects)
        names = {node.name for node in nodes}
        placed = [
            found
            for p in pods
            if (p.get("spec") or {}).get("nodeName") in names
            and (found := _placed(p, namespaces, volumes)) is not None
        ]
        waiting = {}
        for p in pending:
            found = _placed(p, namespaces, volumes)
            if found is not None:
                waiting[found.pod.key] = found
        bound_nodes = bind(nodes, placed)
        plan = pack(PackInput(tuple(w.pod for w in waiting.values()), bound_nodes))
        bound: list[tuple[str, str]] = []
        for placement in plan.existing:
            if self._bind(placement.pod, placement.node):
                bound.append((placement.pod, placement.node))
        unschedulable: list[tuple[str, str]] = []
        by_key = {f"{p['metadata']['namespace']}/{p['metadata']['name']}": p for p in pending}
        for refused in plan.unschedulable:
            pod = by_key.get(refused.pod)
            if pod is None:
                continue
            message = unschedulable_message(waiting[refused.pod].pod.spec, bound_nodes)
            self._mark_unschedulable(pod, message)
            unschedulable.append((refused.pod, message))
        return BindResult(tuple(bound), tuple(unschedulable))

    def _bind(self, key: str, node: str) -> bool:
        namespace, name = key.split("/", 1)
        body = client.V1Binding(
            metadata=client.V1ObjectMeta(name=name),
            target=client.V1ObjectReference(api_version="v1", kind="Node", name=node),
        )
        try:
            # The API server answers a Status, which the client cannot read as a Binding.
            self.core.create_namespaced_binding(namespace, body, _preload_content=False)
        except client.ApiException as error:
            if error.status in (404, 409):  # deleted, or bound by someone else meanwhile
                log.info("binder: %s not bound to %s: %s", key, node, error.reason)
                return False
            raise
        log.info("binder: bound %s to %s", key, node)
        return True

    def _mark_unschedulable(self, pod: Obj, message: str) -> None:
        meta = pod["metadata"]
        conditions = (pod.get("status") or {}).get("conditions") or []
        old = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
        if (
            old is not None
            and old.get("status") == "False"
            and old.get("reason") == "Unschedulable"
            and old.get("message") == message
        ):
            return  # written already; kube-scheduler does not rewrite the same condition
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": None,
            "lastTransitionTime": now(),
        }
        self.core.patch_namespaced_pod_status(
            meta["name"],
            meta["namespace"],
            {"status": {"conditions": [condition]}},  # merged by type (strategic merge)
            _preload_content=False,
        )

    def _volume_manifests(self) -> list[Manifest]:
        """Claims, volumes and storage classes, when the API server serves them."""
        found: list[Manifest] = []
        for kind, lister in (
            (
                "PersistentVolumeClaim",
                self.core.list_persistent_volume_claim_for_all_namespaces,
            ),
            ("PersistentVolume", self.core.list_persistent_volume),
            ("StorageClass", self.storage.list_storage_class),
        ):
            try:
                objects = _items(lister(_preload_content=False))
            except client.ApiException as error:
                if error.status != 404:
                    raise
                continue  # not served (the test server may not have them)
            found.extend(_manifest(o, kind) for o in objects)
        return found


def unschedulable_message(spec: PodSpec, nodes: Sequence[Node]) -> str:
    """kube-scheduler's message for a pod no node takes: how many nodes refuse it, and why.

    Each node is judged by spotwise's static predicates in kube-scheduler's order
    (cordon, taints, node selector and affinity, volume pins, room); a node that passes
    them all is refused by what depends on other pods (affinity, spread, host ports).
    """
    if not nodes:
        return "no nodes available to schedule pods"
    cons = dataclasses.replace(
        Constraints.strict(spec), preferred_node_term=None, avoid_prefer_no_schedule=False
    )
    counts: Counter[str] = Counter()
    for node in nodes:
        counts.update(_refusals(cons, node))
    reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(counts.items()))
    return f"0/{len(nodes)} nodes are available: {reasons}."


def _refusals(cons: Constraints, node: Node) -> list[str]:
    spec = cons.spec
    if node.unschedulable:
        return ["node(s) were unschedulable"]
    taints = cons.untolerated(node.taints)
    if taints:
        shown = taints[0].key + (f": {taints[0].value}" if taints[0].value else "")
        return [f"node(s) had untolerated taint {{{shown}}}"]
    if not spec.matches_node_affinity(node.labels):
        return ["node(s) didn't match Pod's node affinity/selector"]
    if (spec.node is not None and spec.node != node.name) or (
        spec.zones is not None and node.labels.get(ZONE) not in spec.zones
    ):
        return ["node(s) had volume node affinity conflict"]
    free, wanted = node.free, spec.requests
    short = [
        f"Insufficient {name}"
        for name, need, left in (
            ("cpu", wanted.cpu_milli, free.cpu_milli),
            ("memory", wanted.memory_bytes, free.memory_bytes),
            ("ephemeral-storage", wanted.ephemeral_bytes, free.ephemeral_bytes),
        )
        if need and need > left
    ]
    if wanted.pods > free.pods:
        short.insert(0, "Too many pods")
    short += [f"Insufficient {name}" for name, count in wanted.extended if count > free.get(name)]
    return short or ["node(s) didn't satisfy the pod's affinity, spread or host-port rules"]


def _wants_scheduling(pod: Obj) -> bool:
    spec = pod.get("spec") or {}
    phase = (pod.get("status") or {}).get("phase")
    return (
        not spec.get("nodeName")
        and spec.get("schedulerName", DEFAULT_SCHEDULER) == DEFAULT_SCHEDULER
        and not pod["metadata"].get("deletionTimestamp")
        and phase not in ("Succeeded", "Failed")
    )


def _is_ready(node: Obj) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _ready_nodes(objects: Iterable[Obj]) -> tuple[Node, ...]:
    nodes: list[Node] = []
    for obj in objects:
        if not _is_ready(obj):
            continue
        try:
            nodes.append(parse_node(_manifest(obj, "Node")))
        except UserError as error:
            log.warning("binder: node %s left out: %s", obj["metadata"]["name"], error)
    return tuple(nodes)


def _hostnames(objects: Iterable[Obj]) -> dict[str, str]:
    return {
        (o["metadata"].get("labels") or {}).get("kubernetes.io/hostname", o["metadata"]["name"]): o[
            "metadata"
        ]["name"]
        for o in objects
    }


def _placed(pod: Obj, namespaces: Namespaces, volumes: VolumeIndex) -> PlacedPod | None:
    """The pod in the scheduler's model; None (logged) if its spec cannot be read."""
    try:
        expansion = expand([_manifest(pod, "Pod")], namespaces, volumes)
    except UserError as error:
        log.warning("binder: pod %s left out: %s", pod["metadata"]["name"], error)
        return None
    return expansion.pods[0] if expansion.pods else None


def _manifest(obj: Obj, kind: str) -> Manifest:
    """An API object (list items carry no kind) as the manifest parsers take it."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    where = f"{kind} {meta.get('namespace')}/{name}" if meta.get("namespace") else f"{kind} {name}"
    return Manifest(
        Fields({**obj, "kind": kind}, where),
        kind,
        str(meta.get("namespace") or "default"),
        name,
        1,
    )


def _items(response: object) -> list[Obj]:
    data = getattr(response, "data", b"")
    items: list[Obj] = json.loads(data).get("items") or []
    return items
