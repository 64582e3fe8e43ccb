"""List-and-watch caches of API objects, one thread per resource, as client-go's informers.

An informer lists its resource (in pages), then watches from the list's
``resourceVersion`` with bookmarks, so it sees every later change in order. When the
watch ends (its timeout, a dropped connection) it watches again from the last
``resourceVersion`` it saw; only when the server answers 410 Gone (that version has been
compacted away) does it list again. Objects are kept as plain dicts keyed by
``namespace/name`` (``name`` for cluster-scoped kinds), without ``managedFields``, which
are most of a pod's bytes and of no use here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from spotwise.kubernetes.api import raw

log = logging.getLogger(__name__)

Obj = dict[str, Any]

# Annotations as large as the object and never read here.
_DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


@dataclass(frozen=True, slots=True)
class Kind:
    """A resource to list and watch.

    Attributes:
        group_version: ``v1`` or ``group/version``.
        plural: The resource's plural name (``pods``).
        kind: The object's kind (``Pod``); list items come without it, so it is set back.
        namespaced: Whether objects live in namespaces.
    """

    group_version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def path(self) -> str:
        """The collection's path across every namespace."""
        root = "/api" if "/" not in self.group_version else "/apis"
        return f"{root}/{self.group_version}/{self.plural}"

    def object_path(self, namespace: str, name: str) -> str:
        """The path of one object."""
        root = "/api" if "/" not in self.group_version else "/apis"
        where = f"/namespaces/{namespace}" if self.namespaced else ""
        return f"{root}/{self.group_version}{where}/{self.plural}/{name}"


PODS = Kind("v1", "pods", "Pod", True)
NODES = Kind("v1", "nodes", "Node", False)
NAMESPACES = Kind("v1", "namespaces", "Namespace", False)
PVCS = Kind("v1", "persistentvolumeclaims", "PersistentVolumeClaim", True)
PVS = Kind("v1", "persistentvolumes", "PersistentVolume", False)
PDBS = Kind("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", True)
DAEMONSETS = Kind("apps/v1", "daemonsets", "DaemonSet", True)
STORAGE_CLASSES = Kind("storage.k8s.io/v1", "storageclasses", "StorageClass", False)
VOLUME_ATTACHMENTS = Kind("storage.k8s.io/v1", "volumeattachments", "VolumeAttachment", False)
EVENTS = Kind("v1", "events", "Event", True)
LEASES = Kind("coordination.k8s.io/v1", "leases", "Lease", True)

WATCHED = (
    PODS,
    NODES,
    NAMESPACES,
    PVCS,
    PVS,
    PDBS,
    DAEMONSETS,
    STORAGE_CLASSES,
    VOLUME_ATTACHMENTS,
)


def object_key(obj: Obj) -> str:
    """``namespace/name``, or ``name`` for a cluster-scoped object."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name', '')}" if namespace else str(meta.get("name", ""))


class Gone(Exception):
    """The resourceVersion asked for is older than the server keeps: list again."""


class Informer:
    """A cache of one resource kept current by list and watch, in its own thread.

    Args:
        api: The API client.
        kind: What to list and watch.
        page_size: Objects per list page (large lists in pages keep memory flat).
        watch_seconds: How long the server keeps one watch open before it ends it.
        retry_seconds: The wait after a failed list or watch before trying again.
        on_change: Called (in the informer's thread) with each object's key when it
            changes, so a cache built over the informer can drop what it derived.
        transform: Applied to each object before it is kept (client-go's SetTransform):
            drops the fields nobody reads, to keep the memory of a large cluster small.
    """

    def __init__(
        self,
        api: client.ApiClient,
        kind: Kind,
        *,
        page_size: int = 500,
        watch_seconds: int = 300,
        retry_seconds: float = 1.0,
        on_change: Callable[[str], None] | None = None,
        transform: Callable[[Obj], Obj] | None = None,
    ) -> None:
        self.api = api
        self.kind = kind
        self.page_size = page_size
        self.watch_seconds = watch_seconds
        self.retry_seconds = retry_seconds
        self.on_change = on_change
        self.transform = transform
        self.lists = 0  # full lists made, the first included
        self.watches = 0  # watches opened
        self.resource_version = ""  # the last one seen, where a new watch starts
        self.version = 0  # bumped on every change to the cache, for derived caches
        self._objects: dict[str, Obj] = {}
        self._lock = threading.Lock()
        self._synced = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._response: Any = None

    # -- reading -------------------------------------------------------------------------

    def items(self) -> list[Obj]:
        """Every object now (the dicts themselves: callers must not change them)."""
        with self._lock:
            return list(self._objects.values())

    def get(self, key: str) -> Obj | None:
        """The object at ``namespace/name`` (``name`` when cluster-scoped), if cached."""
        with self._lock:
            return self._objects.get(key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._objects)

    @property
    def synced(self) -> bool:
        """Whether the first list is in."""
        return self._synced.is_set()

    def wait_synced(self, timeout: float | None = None) -> bool:
        """Wait for the first list; whether it came within ``timeout`` seconds."""
        return self._synced.wait(timeout)

    # -- running -------------------------------------------------------------------------

    def start(self) -> Informer:
        """List and watch in a background thread.

        After :meth:`stop` it starts again from the last resourceVersion seen.
        """
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"informer-{self.kind.plural}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching and wait for the thread; the cache is kept."""
        self._stopping.set()
        response = self._response
        if response is not None:
            # Unblocks the thread's read of the watch stream at once.
            _close(response)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self.resource_version:
                    self._list()
                self._watch()
            except Gone:
                log.info(
                    "%s: resourceVersion %s is gone, listing again",
                    self.kind.plural,
                    self.resource_version,
                )
                self.resource_version = ""
            except Exception as error:  # a dropped connection, a server error: try again
                if self._stopping.is_set():
                    break
                log.warning("%s: list or watch failed (%s), retrying", self.kind.plural, error)
                self._stopping.wait(self.retry_seconds)

    def _list(self) -> None:
        """List every object (in pages) and replace the cache with them."""
        objects: dict[str, Obj] = {}
        token = ""
        while True:
            query: dict[str, str | int | bool] = {"limit": self.page_size}
            if token:
                query["continue"] = token
            try:
                page = raw.call(self.api, "GET", self.kind.path, query=query)
            except ApiException as error:
                if error.status == 410 and token:
                    # The continue token expired mid-list: start the list again.
                    objects, token = {}, ""
                    continue
                raise
            for item in page.get("items") or []:
                obj = self._trimmed(item)
                objects[object_key(obj)] = obj
            meta = page.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                break
        with self._lock:
            changed = set(self._objects) | set(objects)
            self._objects = objects
            self.version += 1
        # Before the resourceVersion moves: whoever waits for it finds the change told.
        if self.on_change is not None:
            for key in changed:
                self.on_change(key)
        self.resource_version = str(meta.get("resourceVersion") or "")
        self.lists += 1
        self._synced.set()

    def _watch(self) -> None:
        """Watch from the last resourceVersion until the server ends the watch."""
        query: dict[str, str | int | bool] = {
            "watch": "true",
            "resourceVersion": self.resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": self.watch_seconds,
        }
        response = raw.send(
            self.api, "GET", self.kind.path, query=query, timeout=(10.0, self.watch_seconds + 30)
        )
        self._response = response
        try:
            if response.status == 410:
                raise Gone
            if not 200 <= response.status <= 299:
                raise ApiException(
                    status=response.status, reason=response.reason, body=response.read()
                )
            self.watches += 1
            for event in raw.lines(response):
                if self._stopping.is_set():
                    return
                self._apply(event)
        finally:
            self._response = None
            _close(response)

    def _apply(self, event: Obj) -> None:
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Gone
            raise ApiException(status=obj.get("code") or 500, reason=obj.get("message"))
        version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if kind == "BOOKMARK":
            self.resource_version = version or self.resource_version
            return
        obj = self._trimmed(obj)
        key = object_key(obj)
        with self._lock:
            if kind == "DELETED":
                self._objects.pop(key, None)
            else:
                self._objects[key] = obj
            self.version += 1
        if self.on_change is not None:
            self.on_change(key)
        self.resource_version = version or self.resource_version

    def _trimmed(self, obj: Obj) -> Obj:
        meta = obj.get("metadata") or {}
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if annotations:
            for name in _DROPPED_ANNOTATIONS:
                annotations.pop(name, None)
        obj.setdefault("kind", self.kind.kind)
        obj.setdefault("apiVersion", self.kind.group_version)
        return self.transform(obj) if self.transform is not None else obj


def _close(response: Any) -> None:
    inner = getattr(response, "response", response)
    try:
        shutdown = getattr(inner, "shutdown", None)
        if shutdown is not None:
            shutdown()  # urllib3 2.3+: wakes a thread blocked reading the socket
        inner.close()
    except Exception:  # closing a connection that is already gone
        log.debug("closing a watch", exc_info=True)
