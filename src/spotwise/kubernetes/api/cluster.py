"""`KubernetesCluster`: the Cluster port over a real API server.

Reads come from informers (list and watch caches), never from a request per decision;
writes go straight to the API server. Each object is converted to the model once per
``resourceVersion`` (a pod also once per change of the volumes or namespaces it reads).
The informers name the objects that changed, so a snapshot converts those only, and
walks a whole cache only when what its objects read (namespaces, volumes) changed: a
snapshot of 100,000 pods costs the changes since the last one and the assembly of nodes.

A snapshot is as of one moment per resource: the informers are independent watches, so
a pod may be seen bound to a node the node informer has not seen yet. Such a pod is left
out until both agree; the next snapshot, a few seconds later, has it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from spotwise.errors import UserError
from spotwise.kubernetes.api import objects, raw
from spotwise.kubernetes.api.informer import (
    DAEMONSETS,
    EVENTS,
    NAMESPACES,
    NODES,
    PDBS,
    PODS,
    PVCS,
    PVS,
    STORAGE_CLASSES,
    VOLUME_ATTACHMENTS,
    WATCHED,
    Informer,
    Kind,
    object_key,
)
from spotwise.kubernetes.api.objects import LivePod, Obj
from spotwise.kubernetes.manifests.nodes import parse_node
from spotwise.kubernetes.manifests.pdbs import PodDisruptionBudget, parse_pdb
from spotwise.kubernetes.manifests.volumes import VolumeIndex
from spotwise.kubernetes.manifests.workloads import daemonset
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.scheduling_terms import Taint
from spotwise.ports.cluster import ClusterEvent, ClusterSnapshot, Eviction, NodePatch

log = logging.getLogger(__name__)

COMPONENT = "spotwise"
# The eviction API's answer when more than one budget covers the pod: it never evicts it.
_MULTIPLE_BUDGETS = "more than one PodDisruptionBudget"
# Patches that name a resourceVersion are retried this often when someone else wrote first.
_CONFLICT_RETRIES = 5


@dataclasses.dataclass(frozen=True, slots=True)
class _Converted:
    """One object's model, valid for the resourceVersion and context it was made from.

    Attributes:
        version: The object's resourceVersion.
        reads: What of the rest of the cluster its conversion reads (same version, same
            answer: kept so that it is not worked out again on every snapshot).
        context: The state of what it reads when it was converted.
        value: The model; None for an object that could not be converted.
    """

    version: str
    reads: object
    context: object
    value: Any


class KubernetesCluster:
    """`spotwise.ports.cluster.Cluster` over the Kubernetes API.

    Args:
        api: A client from `spotwise.kubernetes.api.client.connect`.
        schedulers: ``spec.schedulerName`` values of the pods spotwise provisions for.
        informer_options: Keyword arguments for every `Informer` (page size, watch length).
        reporting_instance: This controller's name in Events (the pod's hostname by default).
        event_cache_size: Distinct Events remembered to count repeats instead of re-creating.
        now: The wall clock, for Event timestamps.
    """

    def __init__(
        self,
        api: client.ApiClient,
        *,
        schedulers: Iterable[str] = (objects.DEFAULT_SCHEDULER,),
        informer_options: dict[str, Any] | None = None,
        reporting_instance: str = "",
        event_cache_size: int = 4096,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.api = api
        self.schedulers = frozenset(schedulers)
        self.reporting_instance = reporting_instance or socket.gethostname()
        self.informers: dict[Kind, Informer] = {
            kind: Informer(
                api,
                kind,
                transform=objects.trim_pod if kind is PODS else None,
                on_change=functools.partial(self._changed, kind),
                **(informer_options or {}),
            )
            for kind in WATCHED
        }
        self._now = now
        self._cache: dict[Kind, dict[str, _Converted]] = {kind: {} for kind in WATCHED}
        # The keys each informer changed since the last snapshot took them.
        self._dirty: dict[Kind, set[str]] = {kind: set() for kind in WATCHED}
        self._dirty_lock = threading.Lock()
        # The last snapshot's models per kind, and the state of what they read then.
        self._results: dict[Kind, tuple[object, dict[str, Any]]] = {}
        self._snapshot_lock = threading.Lock()
        self._nodes: dict[str, tuple[Node, tuple[Pod, ...], Node]] = {}
        self._events: OrderedDict[tuple[str, ...], tuple[str, str, int]] = OrderedDict()
        self._event_cache_size = event_cache_size
        self._events_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> KubernetesCluster:
        """Start every informer."""
        for informer in self.informers.values():
            informer.start()
        return self

    def wait_synced(self, timeout: float) -> bool:
        """Wait until every informer has listed once; whether they did within ``timeout``."""
        deadline = time.monotonic() + timeout
        return all(
            informer.wait_synced(max(0.0, deadline - time.monotonic()))
            for informer in self.informers.values()
        )

    def stop(self) -> None:
        """Stop every informer."""
        for informer in self.informers.values():
            informer.stop()

    # -- reads ---------------------------------------------------------------------------

    def snapshot(self) -> ClusterSnapshot:
        """Nodes with their bound pods, pending pods, budgets and DaemonSets, from the caches.

        Pending pods are unbound, in phase Pending, not being deleted, not DaemonSet pods,
        and meant for one of ``schedulers``; oldest first. Finished pods are left out of
        nodes as they hold nothing. Malformed objects are logged and skipped.
        """
        with self._snapshot_lock:
            names = objects.namespaces(self.informers[NAMESPACES].items())
            names_context = self.informers[NAMESPACES].version
            nodes = self._convert(NODES, lambda obj: parse_node(objects.manifest(obj)))
            hostnames = {n.hostname: n.name for n in nodes.values()}
            volumes_context = (
                self.informers[PVCS].version,
                self.informers[PVS].version,
                self.informers[STORAGE_CLASSES].version,
                tuple(sorted(hostnames.items())),
            )
            volume_index: list[VolumeIndex] = []

            def volumes() -> VolumeIndex:
                # Built only when some pod that mounts claims must be converted again.
                if not volume_index:
                    kinds = (PVCS, PVS, STORAGE_CLASSES)
                    found = [objects.manifest(o) for k in kinds for o in self.informers[k].items()]
                    volume_index.append(VolumeIndex(found, hostnames))
                return volume_index[0]

            def pod_context(reads: object) -> object:
                assert isinstance(reads, tuple)
                reads_volumes, reads_names = reads
                return (
                    volumes_context if reads_volumes else None,
                    names_context if reads_names else None,
                )

            pods = self._convert(
                PODS,
                lambda obj: objects.live_pod(obj, names, volumes()),
                objects.pod_dependencies,
                pod_context,
                state=(volumes_context, names_context),
            )
            budgets = self._convert(PDBS, lambda obj: parse_pdb(objects.manifest(obj)))
            daemonsets = self._convert(
                DAEMONSETS,
                lambda obj: daemonset(objects.manifest(obj), names).spec,
                context=lambda _: names_context,
                state=names_context,
            )
            return self._assemble(nodes, pods, budgets, daemonsets)

    def node_by_provider_id(self, provider_id: str) -> Node | None:
        """The node (without its pods) whose ``spec.providerID`` is ``provider_id``."""
        for obj in self.informers[NODES].items():
            if (obj.get("spec") or {}).get("providerID") == provider_id:
                try:
                    return parse_node(objects.manifest(obj))
                except UserError as error:
                    log.warning("skipping a malformed node: %s", error)
        return None

    def attached_volumes(self, node: str) -> tuple[str, ...]:
        """The PersistentVolumes attached to ``node`` (VolumeAttachments), sorted."""
        found = []
        for obj in self.informers[VOLUME_ATTACHMENTS].items():
            spec = obj.get("spec") or {}
            if spec.get("nodeName") == node and (obj.get("status") or {}).get("attached"):
                volume = (spec.get("source") or {}).get("persistentVolumeName")
                if volume:
                    found.append(str(volume))
        return tuple(sorted(found))

    def _changed(self, kind: Kind, key: str) -> None:
        """An informer's object changed (its thread calls this): the next snapshot reads it."""
        with self._dirty_lock:
            self._dirty[kind].add(key)

    def _convert(
        self,
        kind: Kind,
        convert: Callable[[Obj], Any],
        reads: Callable[[Obj], object] = lambda _: None,
        context: Callable[[object], object] = lambda _: None,
        state: object = None,
    ) -> dict[str, Any]:
        """Every object of ``kind`` as the model, converted only when it changed.

        ``state`` is what ``context`` answers from: while it is the same as at the last
        snapshot, only the objects the informer changed since are looked at.
        """
        with self._dirty_lock:
            dirty, self._dirty[kind] = self._dirty[kind], set()
        informer = self.informers[kind]
        cache = self._cache[kind]
        last = self._results.get(kind)
        if last is not None and last[0] == state:
            result = last[1]
            for key in dirty:
                obj = informer.get(key)
                if obj is None:  # deleted
                    cache.pop(key, None)
                    result.pop(key, None)
                    continue
                entry = self._converted(kind, obj, cache.get(key), convert, reads, context)
                cache[key] = entry
                if entry.value is not None:
                    result[key] = entry.value
                else:
                    result.pop(key, None)
            return result
        new: dict[str, _Converted] = {}
        result = {}
        for obj in informer.items():
            key = object_key(obj)
            entry = self._converted(kind, obj, cache.get(key), convert, reads, context)
            new[key] = entry
            if entry.value is not None:
                result[key] = entry.value
        # Replaced whole: objects deleted since the last snapshot leave the cache.
        self._cache[kind] = new
        self._results[kind] = (state, result)
        return result

    @staticmethod
    def _converted(
        kind: Kind,
        obj: Obj,
        entry: _Converted | None,
        convert: Callable[[Obj], Any],
        reads: Callable[[Obj], object],
        context: Callable[[object], object],
    ) -> _Converted:
        """``obj``'s cache entry: ``entry`` if still valid, else a new conversion."""
        version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        # What it reads is worked out once per version, not on every snapshot.
        needs = reads(obj) if entry is None or entry.version != version else entry.reads
        wanted = context(needs)
        if entry is not None and entry.version == version and entry.context == wanted:
            return entry
        try:
            value = convert(obj)
        except UserError as error:
            log.warning("skipping a malformed %s: %s", kind.kind, error)
            value = None  # remembered, so it is reported once per version
        return _Converted(version, needs, wanted, value)

    def _assemble(
        self,
        nodes: dict[str, Node],
        pods: dict[str, LivePod],
        budgets: dict[str, PodDisruptionBudget],
        daemonsets: dict[str, PodSpec],
    ) -> ClusterSnapshot:
        by_name = {node.name: node for node in nodes.values()}
        bound: dict[str, list[Pod]] = {name: [] for name in by_name}
        pending: list[LivePod] = []
        for live in pods.values():
            if live.node_name:
                if not live.finished and live.node_name in bound:
                    bound[live.node_name].append(live.pod)
            elif live.pending(self.schedulers):
                pending.append(live)
        pending.sort(key=lambda p: (p.created, p.pod.key))
        # A node's totals are summed over its pods when it is made: a node whose object and
        # pods are the same objects as last time is the same node, not summed again.
        made: dict[str, tuple[Node, tuple[Pod, ...], Node]] = {}
        result: list[Node] = []
        for name in sorted(by_name):
            # Compared as found (the caches keep their order), sorted only when changed.
            node, its_pods = by_name[name], tuple(bound[name])
            last = self._nodes.get(name)
            if last is not None and last[0] is node and _same(last[1], its_pods):
                full = last[2]
            else:
                full = dataclasses.replace(node, pods=tuple(sorted(its_pods, key=_pod_key)))
            made[name] = (node, its_pods, full)
            result.append(full)
        self._nodes = made
        return ClusterSnapshot(
            nodes=tuple(result),
            pending=tuple(p.pod for p in pending),
            budgets=tuple(budgets[k] for k in sorted(budgets)),
            daemonsets=tuple(daemonsets[k] for k in sorted(daemonsets)),
        )

    # -- writes --------------------------------------------------------------------------

    def patch_node(self, name: str, patch: NodePatch) -> None:
        """Change a node's labels, annotations, taints or cordon; other fields and taints stay.

        Labels, annotations and the cordon go in a merge patch. Taints are a list the API replaces
        whole, so the node is read, the taints edited by key and effect, and the patch
        names the resourceVersion read: a concurrent writer makes it fail (409) and it
        is done again from a fresh read. A node that is gone is ignored.
        """
        path = NODES.object_path("", name)
        for _ in range(_CONFLICT_RETRIES):
            body: Obj = {}
            if patch.labels:
                body["metadata"] = {"labels": dict(patch.labels)}
            if patch.annotations:
                body.setdefault("metadata", {})["annotations"] = dict(patch.annotations)
            spec: Obj = {}
            if patch.unschedulable is not None:
                spec["unschedulable"] = patch.unschedulable
            if patch.add_taints or patch.remove_taints:
                try:
                    current = raw.call(self.api, "GET", path)
                except ApiException as error:
                    if error.status == 404:
                        return
                    raise
                spec["taints"] = _edited_taints(
                    (current.get("spec") or {}).get("taints") or [], patch
                )
                resource_version = current["metadata"]["resourceVersion"]
                body.setdefault("metadata", {})["resourceVersion"] = resource_version
            if spec:
                body["spec"] = spec
            if not body:
                return
            try:
                raw.call(self.api, "PATCH", path, body=body, content_type=raw.MERGE_PATCH)
                return
            except ApiException as error:
                if error.status == 404:
                    return
                if error.status != 409:
                    raise
                log.info("node %s changed while patching it: patching again", name)
        raise ApiException(status=409, reason=f"node {name} kept changing while patching it")

    def evict(self, pod: str) -> Eviction:
        """Evict ``namespace/name`` through the eviction subresource (policy/v1)."""
        namespace, name = _split(pod)
        body = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": name, "namespace": namespace},
        }
        response = raw.send(
            self.api, "POST", PODS.object_path(namespace, name) + "/eviction", body=body
        )
        data = response.read()
        status = int(response.status)
        if 200 <= status <= 299:
            return Eviction.EVICTED
        if status == 429:
            return Eviction.BLOCKED
        if status == 404:
            return Eviction.GONE
        error = ApiException(status=status, reason=response.reason, body=data)
        if status == 500 and _MULTIPLE_BUDGETS in raw.message(error):
            return Eviction.REFUSED
        if 400 <= status <= 499:
            log.warning("eviction of %s refused (%d): %s", pod, status, raw.message(error))
            return Eviction.REFUSED
        raise error

    def delete_pod(self, pod: str) -> None:
        """Delete ``namespace/name`` with its own grace period; a missing pod is fine."""
        namespace, name = _split(pod)
        self._delete(PODS.object_path(namespace, name))

    def delete_node(self, name: str) -> None:
        """Delete the Node object; a missing node is fine."""
        self._delete(NODES.object_path("", name))

    def _delete(self, path: str) -> None:
        try:
            raw.call(self.api, "DELETE", path)
        except ApiException as error:
            if error.status != 404:
                raise

    def emit(self, event: ClusterEvent) -> None:
        """Record a core/v1 Event; a repeat of the same one counts up instead. Never raises."""
        try:
            self._emit(event)
        except Exception:  # an Event is worth less than the work it describes
            log.warning(
                "dropping event %s %s: %s", event.kind, event.name, event.reason, exc_info=True
            )

    def _emit(self, event: ClusterEvent) -> None:
        if event.kind == "Pod":
            namespace, name = _split(event.name)
        else:
            namespace, name = "", event.name
        kind_type = "Warning" if event.warning else "Normal"
        key = (event.kind, namespace, name, event.reason, event.message, kind_type)
        stamp = self._now().strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._events_lock:
            known = self._events.get(key)
            if known is not None:
                event_namespace, event_name, count = known
                try:
                    raw.call(
                        self.api,
                        "PATCH",
                        EVENTS.object_path(event_namespace, event_name),
                        body={"count": count + 1, "lastTimestamp": stamp},
                        content_type=raw.MERGE_PATCH,
                    )
                    self._events[key] = (event_namespace, event_name, count + 1)
                    self._events.move_to_end(key)
                    return
                except ApiException as error:
                    if error.status != 404:
                        raise
                    # The Event expired (its TTL) or was deleted: write a new one.
            event_namespace = namespace or "default"
            event_name = f"{name}.{time.time_ns():x}"
            involved: Obj = {"kind": event.kind, "name": name, "apiVersion": "v1"}
            if namespace:
                involved["namespace"] = namespace
            uid = self._uid(PODS if event.kind == "Pod" else NODES, event.name)
            if uid:
                involved["uid"] = uid
            raw.call(
                self.api,
                "POST",
                f"/api/v1/namespaces/{event_namespace}/events",
                body={
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": {"name": event_name, "namespace": event_namespace},
                    "involvedObject": involved,
                    "reason": event.reason,
                    "message": event.message,
                    "type": kind_type,
                    "count": 1,
                    "firstTimestamp": stamp,
                    "lastTimestamp": stamp,
                    "source": {"component": COMPONENT},
                    "reportingComponent": COMPONENT,
                    "reportingInstance": self.reporting_instance,
                },
            )
            self._events[key] = (event_namespace, event_name, 1)
            while len(self._events) > self._event_cache_size:
                self._events.popitem(last=False)

    def _uid(self, kind: Kind, key: str) -> str:
        obj = self.informers[kind].get(key)
        return str((obj or {}).get("metadata", {}).get("uid") or "")


def _split(pod: str) -> tuple[str, str]:
    namespace, _, name = pod.partition("/")
    if not name:
        raise ValueError(f"pod {pod!r} is not namespace/name")
    return namespace, name


def _edited_taints(current: list[Obj], patch: NodePatch) -> list[Obj]:
    """``current`` without the taints the patch removes or replaces, then the added ones."""
    dropped = {(t.key, t.effect.value) for t in (*patch.remove_taints, *patch.add_taints)}
    kept = [t for t in current if (t.get("key"), t.get("effect")) not in dropped]
    return [*kept, *(_taint(t) for t in patch.add_taints)]


def _taint(taint: Taint) -> Obj:
    found: Obj = {"key": taint.key, "effect": taint.effect.value}
    if taint.value:
        found["value"] = taint.value
    return found


def _pod_key(pod: Pod) -> str:
    return pod.key


def _same(a: tuple[Pod, ...], b: tuple[Pod, ...]) -> bool:
    """The same pod objects in the same order (identity: a converted pod is never rebuilt)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
