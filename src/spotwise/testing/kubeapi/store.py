"""The object store: one global resourceVersion, every write in an event log for watches.

It keeps the API server's rules for writes: the server owns uid, creationTimestamp,
resourceVersion and generation; an update naming a stale resourceVersion is a 409; a write
to a resource with a status subresource leaves its status alone (and a write to the status
leaves the rest); a no-op update changes nothing; an object with finalizers is only marked
for deletion. The log keeps the last ``log_size`` events: a watch from an older
resourceVersion is told 410 Expired, as the API server does after compaction.
"""

from __future__ import annotations

import bisect
import copy
import datetime
import secrets
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from spotwise.testing.kubeapi.resources import Resource, find, of_kind

Obj = dict[str, Any]
Key = tuple[str, str, str, str]  # group/version, plural, namespace ('' if cluster-wide), name

SERVER_OWNED = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class ApiError(Exception):
    """An error the server answers with a Status object, shaped as the API server's."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> Obj:
        """The Status object of this error."""
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body

    @classmethod
    def not_found(cls, resource: Resource, name: str) -> ApiError:
        """404: the named object does not exist."""
        return cls(
            404,
            "NotFound",
            f'{_qualified(resource)} "{name}" not found',
            _details(resource, name),
        )

    @classmethod
    def already_exists(cls, resource: Resource, name: str) -> ApiError:
        """409: create of a name that is taken."""
        return cls(
            409,
            "AlreadyExists",
            f'{_qualified(resource)} "{name}" already exists',
            _details(resource, name),
        )

    @classmethod
    def conflict(cls, resource: Resource, name: str, why: str) -> ApiError:
        """409: a write against a stale resourceVersion or a failed precondition."""
        return cls(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {_qualified(resource)} "{name}": {why}',
            _details(resource, name),
        )

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        """400: a malformed request."""
        return cls(400, "BadRequest", message)

    @classmethod
    def invalid(cls, resource: Resource, name: str, message: str) -> ApiError:
        """422: an object the server refuses to store."""
        return cls(
            422,
            "Invalid",
            f'{resource.kind} "{name}" is invalid: {message}',
            _details(resource, name),
        )

    @classmethod
    def expired(cls, requested: int, oldest: int) -> ApiError:
        """410: a resourceVersion older than the event log keeps."""
        return cls(410, "Expired", f"too old resource version: {requested} ({oldest})")


def _qualified(resource: Resource) -> str:
    return f"{resource.plural}.{resource.group}" if resource.group else resource.plural


def _details(resource: Resource, name: str) -> Obj:
    details: Obj = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    return details


def now() -> str:
    """The current time as the API server writes it (RFC 3339, seconds, UTC)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Event:
    """One write as watchers see it; ``old`` is the object before, to judge selectors."""

    rv: int
    resource: Resource
    type: str
    obj: Obj
    old: Obj | None


class Store:
    """Every object of the test cluster, thread-safe, with the event log of its writes."""

    def __init__(self, log_size: int = 1000, pod_termination: float = 0.0) -> None:
        """Keep ``log_size`` events; pods take ``pod_termination`` s to stop (or their grace)."""
        self._cond = threading.Condition()
        self._pod_termination = pod_termination
        self._terminating: dict[Key, threading.Timer] = {}  # pods their kubelet is stopping
        self._rv = 0
        self._objects: dict[Key, Obj] = {}
        # Each resource's keys in list order, made when a list needs them after a create or
        # a delete: a paged list of 100,000 pods then costs a page per request, not a sort.
        self._sorted: dict[tuple[str, str], list[Key]] = {}
        self._log: deque[Event] = deque()
        self._log_size = log_size
        self._compacted = 0  # events at or below this resourceVersion may be gone
        self._closed = False
        namespaces = _resource("v1", "namespaces")
        for name in DEFAULT_NAMESPACES:
            self.create(namespaces, "", {"metadata": {"name": name}})

    # -- reading -------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The resourceVersion of the last write."""
        with self._cond:
            return self._rv

    def get(self, resource: Resource, namespace: str, name: str) -> Obj:
        """One object (a copy); 404 if absent."""
        with self._cond:
            return copy.deepcopy(self._current(resource, namespace, name))

    def list_objects(
        self, resource: Resource, namespace: str, matches: Callable[[Obj], bool]
    ) -> tuple[list[Obj], int]:
        """Every matching object (copies), ordered by namespace and name, and the list's RV.

        ``namespace`` '' lists every namespace.
        """
        items, rv, _ = self.list_page(resource, namespace, matches)
        return items, rv

    def list_page(
        self,
        resource: Resource,
        namespace: str,
        matches: Callable[[Obj], bool],
        after: tuple[str, str] | None = None,
        limit: int = 0,
    ) -> tuple[list[Obj], int, int]:
        """A page of :meth:`list_objects`: at most ``limit`` (0: all) matching objects.

        Starts after the (namespace, name) ``after``; only the page's objects are copied.
        Also returns how many objects of the resource (in ``namespace``, whether they
        match or not) come after the page.
        """
        with self._cond:
            keys = self._keys(resource)
            gv, plural = resource.group_version, resource.plural
            low = (gv, plural, namespace) if namespace else (gv, plural)
            high = (gv, plural, namespace + "\0") if namespace else (gv, plural + "\0")
            start = bisect.bisect_left(keys, low)
            if after is not None:
                start = max(start, bisect.bisect_right(keys, (gv, plural, *after)))
            end = bisect.bisect_left(keys, high)
            items: list[Obj] = []
            index = start
            while index < end and not (limit and len(items) >= limit):
                obj = self._objects[keys[index]]
                index += 1
                if matches(obj):
                    items.append(copy.deepcopy(obj))
            return items, self._rv, end - index

    def events_after(self, cursor: int, timeout: float) -> tuple[list[Event], int]:
        """The events after ``cursor``, waiting up to ``timeout`` s for one; 410 if too old.

        Also returns the resourceVersion every returned event list is complete up to.
        """
        with self._cond:
            self._check_not_expired(cursor)
            if self._rv <= cursor and not self._closed:
                self._cond.wait(timeout)
            self._check_not_expired(cursor)
            return [event for event in self._log if event.rv > cursor], self._rv

    def check_not_expired(self, cursor: int) -> None:
        """Raise 410 Expired if events after ``cursor`` are no longer in the log."""
        with self._cond:
            self._check_not_expired(cursor)

    @property
    def lock(self) -> threading.Condition:
        """The store's (reentrant) lock, for a check and a write that must be atomic."""
        return self._cond

    @property
    def closed(self) -> bool:
        """Whether the server is shutting down (watches end)."""
        return self._closed

    # -- writing -------------------------------------------------------------------------

    def create(self, resource: Resource, namespace: str, body: Obj) -> Obj:
        """Store a new object; the server sets uid, creationTimestamp and resourceVersion."""
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = meta["generateName"] + secrets.token_hex(3)[:5]
        if not name:
            raise ApiError.invalid(
                resource, "", "metadata.name: Required value: name or generateName is required"
            )
        if resource.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise ApiError.bad_request(
                    "the namespace of the provided object does not match "
                    "the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if meta.get("resourceVersion"):
            raise ApiError.bad_request("resourceVersion should not be set on objects to be created")
        with self._cond:
            if resource.namespaced:
                self._current(_resource("v1", "namespaces"), "", namespace)
            key = _key(resource, namespace, name)
            if key in self._objects:
                raise ApiError.already_exists(resource, name)
            for field in SERVER_OWNED:
                meta.pop(field, None)
            meta.update(name=name, uid=str(uuid.uuid4()), creationTimestamp=now(), generation=1)
            obj["kind"] = resource.kind
            obj["apiVersion"] = resource.group_version
            _on_create(resource, obj)
            meta["resourceVersion"] = str(self._bump())
            self._objects[key] = obj
            self._sorted.pop((resource.group_version, resource.plural), None)
            self._record(resource, "ADDED", obj, None)
            return copy.deepcopy(obj)

    def load(self, objects: Iterable[Obj]) -> int:
        """Store objects as a cluster that already exists has them; returns how many.

        Each object names its ``apiVersion`` and ``kind``; its ``status`` is kept (a pod
        can be loaded Running and bound), the server sets the rest as on create. Missing
        namespaces are created; a default one in ``objects`` replaces the server's. No
        watch sees these writes: the event log is compacted to the last of them, as if
        they were old. The objects are kept, not copied.

        Raises:
            ApiError: For an object of no served kind, or whose name is taken.
        """
        namespaces = _resource("v1", "namespaces")
        count = 0
        with self._cond:
            for obj in objects:
                resource = of_kind(str(obj.get("apiVersion")), str(obj.get("kind")))
                if resource is None:
                    raise ApiError.bad_request(
                        f"no resource of kind {obj.get('kind')} in {obj.get('apiVersion')}"
                    )
                meta = obj.setdefault("metadata", {})
                name = str(meta.get("name") or "")
                namespace = str(meta.get("namespace") or "default") if resource.namespaced else ""
                if namespace and _key(namespaces, "", namespace) not in self._objects:
                    self.create(namespaces, "", {"metadata": {"name": namespace}})
                key = _key(resource, namespace, name)
                if not name:
                    raise ApiError.invalid(resource, "", "metadata.name: Required value")
                if resource == namespaces and name in DEFAULT_NAMESPACES:
                    self._objects.pop(key, None)  # the file's own replaces the server's
                if key in self._objects:
                    raise ApiError.already_exists(resource, name)
                status = obj.get("status")
                for field in SERVER_OWNED:
                    meta.pop(field, None)
                meta.update(name=name, uid=str(uuid.uuid4()), creationTimestamp=now(), generation=1)
                if resource.namespaced:
                    meta["namespace"] = namespace
                _on_create(resource, obj)
                if status is not None:
                    obj["status"] = status
                meta["resourceVersion"] = str(self._bump())
                self._objects[key] = obj
                self._sorted.pop((resource.group_version, resource.plural), None)
                count += 1
            self._log.clear()
            self._compacted = self._rv
        return count

    def update(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        change: Callable[[Obj], Obj],
        subresource: str | None = None,
    ) -> Obj:
        """Replace an object by ``change(current copy)``: PUT and PATCH both come here.

        A resourceVersion in the new object must be the current one (409 otherwise).
        """
        with self._cond:
            current = self._current(resource, namespace, name)
            new = change(copy.deepcopy(current))
            meta = new.setdefault("metadata", {})
            if meta.get("name", name) != name:
                raise ApiError.bad_request(
                    f"the name of the object ({meta.get('name')}) does not match "
                    f"the name on the URL ({name})"
                )
            wanted = meta.get("resourceVersion")
            if wanted and wanted != current["metadata"]["resourceVersion"]:
                raise ApiError.conflict(
                    resource,
                    name,
                    "the object has been modified; please apply your changes "
                    "to the latest version and try again",
                )
            if subresource == "status":
                status = new.get("status")
                new = copy.deepcopy(current)
                new["status"] = status
            elif resource.has_status and subresource != "binding":  # binding sets both
                new["status"] = copy.deepcopy(current.get("status"))
                if new["status"] is None:
                    del new["status"]
            meta = new.setdefault("metadata", {})
            for field in ("name", "uid", "creationTimestamp", "generation", *SERVER_OWNED):
                if field in current["metadata"]:
                    meta[field] = current["metadata"][field]
                else:
                    meta.pop(field, None)
            if resource.namespaced:
                meta["namespace"] = namespace
            new["kind"] = resource.kind
            new["apiVersion"] = resource.group_version
            meta["resourceVersion"] = current["metadata"]["resourceVersion"]
            if new == current:
                return copy.deepcopy(current)  # a no-op write is not a write
            if new.get("spec") != current.get("spec"):
                meta["generation"] = current["metadata"].get("generation", 1) + 1
            key = _key(resource, namespace, name)
            stopping = key in self._terminating
            if meta.get("deletionTimestamp") and not meta.get("finalizers") and not stopping:
                self._remove(resource, namespace, name, new, current)
                return copy.deepcopy(new)
            meta["resourceVersion"] = str(self._bump())
            self._objects[_key(resource, namespace, name)] = new
            self._record(resource, "MODIFIED", new, current)
            return copy.deepcopy(new)

    def delete(
        self, resource: Resource, namespace: str, name: str, options: Obj | None = None
    ) -> tuple[Obj, bool]:
        """Delete an object; returns it and whether it is gone (not held by finalizers)."""
        options = options or {}
        with self._cond:
            current = self._current(resource, namespace, name)
            meta = current["metadata"]
            preconditions = options.get("preconditions") or {}
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                wanted = preconditions.get(field)
                if wanted and wanted != meta.get(field):
                    raise ApiError.conflict(
                        resource,
                        name,
                        f"Precondition failed: {label} in precondition: {wanted}, "
                        f"{label} in object meta: {meta.get(field)}",
                    )
            key = _key(resource, namespace, name)
            grace = options.get("gracePeriodSeconds")
            if meta.get("deletionTimestamp"):
                if grace == 0 and key in self._terminating:  # a forced delete
                    self._terminating.pop(key).cancel()
                    return self._kubelet_stopped(resource, namespace, name, current)
                return copy.deepcopy(current), False
            if grace is None:
                grace = _default_grace(resource, current)
            graceful = (
                resource.plural == "pods" and grace > 0 and current.get("spec", {}).get("nodeName")
            )
            if meta.get("finalizers") or graceful:
                marked = copy.deepcopy(current)
                marked["metadata"].update(deletionTimestamp=now(), deletionGracePeriodSeconds=grace)
                marked["metadata"]["resourceVersion"] = str(self._bump())
                self._objects[_key(resource, namespace, name)] = marked
                self._record(resource, "MODIFIED", marked, current)
                if graceful and self._pod_termination > 0:
                    # The stand-in kubelet stops the pod, then deletes it with grace 0.
                    timer = threading.Timer(
                        min(grace, self._pod_termination),
                        self._kubelet_confirms,
                        (resource, namespace, name, meta["uid"]),
                    )
                    timer.daemon = True
                    self._terminating[key] = timer
                    timer.start()
                    return copy.deepcopy(marked), False
                if graceful:  # the stand-in kubelet confirms the pod stopped at once
                    return self._kubelet_stopped(resource, namespace, name, marked)
                return copy.deepcopy(marked), False
            return self._remove(resource, namespace, name, copy.deepcopy(current), current), True

    def _kubelet_confirms(self, resource: Resource, namespace: str, name: str, uid: str) -> None:
        with self._cond:
            key = _key(resource, namespace, name)
            current = self._objects.get(key)
            if self._terminating.pop(key, None) is None or current is None:
                return
            if current["metadata"]["uid"] == uid:
                self._kubelet_stopped(resource, namespace, name, current)

    def _kubelet_stopped(
        self, resource: Resource, namespace: str, name: str, current: Obj
    ) -> tuple[Obj, bool]:
        """The kubelet's delete with grace 0: the pod goes, or waits for its finalizers."""
        if current["metadata"].get("finalizers"):
            held = copy.deepcopy(current)
            held["metadata"]["deletionGracePeriodSeconds"] = 0
            held["metadata"]["resourceVersion"] = str(self._bump())
            self._objects[_key(resource, namespace, name)] = held
            self._record(resource, "MODIFIED", held, current)
            return copy.deepcopy(held), False
        return self._remove(resource, namespace, name, copy.deepcopy(current), current), True

    def compact(self) -> None:
        """Forget every event so far, as the API server's compaction does (tests use it)."""
        with self._cond:
            self._log.clear()
            self._compacted = self._rv

    def close(self) -> None:
        """Wake every watcher so that it ends."""
        with self._cond:
            self._closed = True
            for timer in self._terminating.values():
                timer.cancel()
            self._cond.notify_all()

    # -- internals -----------------------------------------------------------------------

    def _current(self, resource: Resource, namespace: str, name: str) -> Obj:
        obj = self._objects.get(_key(resource, namespace, name))
        if obj is None:
            raise ApiError.not_found(resource, name)
        return obj

    def _keys(self, resource: Resource) -> list[Key]:
        """The resource's keys, sorted (namespace, then name)."""
        which = (resource.group_version, resource.plural)
        keys = self._sorted.get(which)
        if keys is None:
            keys = self._sorted[which] = sorted(k for k in self._objects if k[:2] == which)
        return keys

    def _check_not_expired(self, cursor: int) -> None:
        if cursor < self._compacted:
            oldest = self._log[0].rv if self._log else self._rv + 1
            raise ApiError.expired(cursor, oldest)

    def _bump(self) -> int:
        self._rv += 1
        return self._rv

    def _remove(self, resource: Resource, namespace: str, name: str, final: Obj, old: Obj) -> Obj:
        """Remove an object, recording its final state; returns a copy of that state."""
        final["metadata"]["resourceVersion"] = str(self._bump())
        del self._objects[_key(resource, namespace, name)]
        self._sorted.pop((resource.group_version, resource.plural), None)
        self._record(resource, "DELETED", final, old)
        return copy.deepcopy(final)

    def _record(self, resource: Resource, kind: str, obj: Obj, old: Obj | None) -> None:
        self._log.append(Event(self._rv, resource, kind, copy.deepcopy(obj), old))
        while len(self._log) > self._log_size:
            self._compacted = self._log.popleft().rv
        self._cond.notify_all()


def _resource(group_version: str, plural: str) -> Resource:
    resource = find(group_version, plural)
    assert resource is not None
    return resource


def _key(resource: Resource, namespace: str, name: str) -> Key:
    return (resource.group_version, resource.plural, namespace if resource.namespaced else "", name)


def _default_grace(resource: Resource, obj: Obj) -> int:
    if resource.plural != "pods":
        return 0
    grace = obj.get("spec", {}).get("terminationGracePeriodSeconds")
    return 30 if grace is None else int(grace)


def _on_create(resource: Resource, obj: Obj) -> None:
    """What the API server's create strategies set: a new pod is Pending, a namespace Active."""
    if resource.group_version == "v1" and resource.plural == "pods":
        obj["status"] = {"phase": "Pending"}
        obj.setdefault("spec", {}).setdefault("terminationGracePeriodSeconds", 30)
    elif resource.group_version == "v1" and resource.plural == "namespaces":
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"][
            "name"
        ]
        obj["spec"] = {"finalizers": ["kubernetes"]}
        obj["status"] = {"phase": "Active"}
