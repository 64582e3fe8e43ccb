"""HTTP routing: the Kubernetes REST paths over the store, on the standard library's server.

Paths: ``/api/v1/...`` and ``/apis/<group>/<version>/...``, namespaced as
``.../namespaces/<ns>/<plural>[/<name>[/<subresource>]]``. GET lists (``labelSelector``,
``fieldSelector``, ``limit`` and ``continue``) or watches (``watch=true``: chunked JSON lines
of ``{"type", "object"}`` from ``resourceVersion``, ``ERROR`` with a 410 Expired Status when
it is older than the event log, ``BOOKMARK`` when ``allowWatchBookmarks=true``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from spotwise.testing.kubeapi import discovery, patch
from spotwise.testing.kubeapi.binding import bind
from spotwise.testing.kubeapi.eviction import evict
from spotwise.testing.kubeapi.resources import Resource, find
from spotwise.testing.kubeapi.selectors import Predicate, selector
from spotwise.testing.kubeapi.store import ApiError, Event, Store

Obj = dict[str, Any]
log = logging.getLogger(__name__)

# How often (seconds) a quiet watch checks whether its client hung up.
_HANGUP_CHECK = 1.0


class KubeApiServer:
    """The test API server on a loopback port (0 picks a free one); a context manager."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_size: int = 1000,
        bookmark_interval: float = 1.0,
        watch_timeout: float = 1800.0,
        pod_termination: float = 0.0,
        load: Path | None = None,
    ) -> None:
        self.store = Store(log_size, pod_termination)
        if load is not None:
            self.store.load(read_objects(load))
        self.bookmark_interval = bookmark_interval
        self.watch_timeout = watch_timeout
        self._httpd = _HTTPServer((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """``host:port`` the server listens on."""
        host, port = self._httpd.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://{self.address}"

    def kubeconfig(self) -> str:
        """A kubeconfig (YAML, which JSON is) whose current context is this server."""
        name = "spotwise-test"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": {"server": self.url}}],
            "users": [{"name": name, "user": {}}],
            "contexts": [
                {"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}
            ],
            "current-context": name,
        }
        return json.dumps(config, indent=2) + "\n"

    def write_kubeconfig(self, path: Path) -> None:
        """Write :meth:`kubeconfig` to ``path`` (whole or not at all: a reader may be polling)."""
        partial = path.with_name(path.name + ".partial")
        partial.write_text(self.kubeconfig())
        partial.replace(path)

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop`."""
        self._httpd.serve_forever(poll_interval=0.1)

    def start(self) -> KubeApiServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="kubeapi", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """End every watch and stop serving."""
        self.store.close()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> KubeApiServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def read_objects(path: Path) -> list[Obj]:
    """The objects of a JSON or YAML file: a list of them, or a ``List`` with ``items``.

    YAML (``.yaml``, ``.yml``) may also hold one object per document.
    """
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
        data: Any = documents[0] if len(documents) == 1 else documents
    else:
        data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(o, dict) for o in data):
        raise ValueError(f"{path}: expected a list of objects or a List with items")
    return data


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], api: KubeApiServer
    ) -> None:
        self.api = api
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- plumbing ------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        try:
            body = self._read_body()
            code, answer = self._route(method, url.path, query, body)
        except ApiError as e:
            code, answer = e.code, e.status()
        except Exception as e:
            log.exception("kubeapi: %s %s", method, self.path)
            code, answer = 500, ApiError(500, "InternalError", f"{type(e).__name__}: {e}").status()
        if answer is not None:
            self._send(code, answer)

    def _read_body(self) -> Any:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not raw:
            return None
        content_type = self.headers.get("Content-Type", "")
        if "protobuf" in content_type:
            raise ApiError(415, "UnsupportedMediaType", "this test server takes JSON only")
        try:
            return json.loads(raw)
        except ValueError as e:
            raise ApiError.bad_request(f"the request body is not JSON: {e}") from e

    def _send(self, code: int, answer: Obj | str) -> None:
        if isinstance(answer, str):
            data, content_type = answer.encode(), "text/plain; charset=utf-8"
        else:
            data, content_type = json.dumps(answer).encode(), "application/json"
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- routing -------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Obj | str | None]:
        parts = [p for p in path.split("/") if p]
        path = "/" + "/".join(parts)
        if path in ("/healthz", "/livez", "/readyz"):
            return 200, "ok"
        if path == "/version":
            return 200, discovery.VERSION
        if parts[:2] == ["openapi", "v3"]:
            if len(parts) == 2:
                return 200, discovery.openapi_v3_root()
            return _found(discovery.openapi_v3("/".join(parts[2:])), path)
        if parts[:1] == ["api"] and len(parts) <= 2:
            found = (
                discovery.core_versions(self.server.api.address)
                if len(parts) == 1
                else (discovery.resource_list(parts[1]))
            )
            return _found(found, path)
        if parts[:1] == ["apis"] and len(parts) <= 3:
            if len(parts) == 1:
                return 200, discovery.group_list()
            if len(parts) == 2:
                return _found(discovery.group(parts[1]), path)
            return _found(discovery.resource_list(f"{parts[1]}/{parts[2]}"), path)
        if parts[:1] == ["api"]:
            group_version, rest = parts[1], parts[2:]
        elif parts[:1] == ["apis"]:
            group_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            raise _page_not_found(path)
        if group_version == "v1" and len(rest) == 3 and rest[::2] == ["namespaces", "bindings"]:
            return self._bindings(method, rest[1], body)
        namespace = ""
        if rest[0] == "namespaces" and len(rest) >= 3:
            inner = find(group_version, rest[2])
            if inner is not None and inner.namespaced:
                namespace, rest = rest[1], rest[2:]
        resource = find(group_version, rest[0])
        if resource is None or len(rest) > 3:
            raise _page_not_found(path)
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and sub not in resource.subresources:
            raise _page_not_found(path)
        if resource.namespaced and name and not namespace:
            raise _page_not_found(path)
        return self._serve(method, resource, namespace, name, sub, query, body)

    def _serve(
        self,
        method: str,
        resource: Resource,
        namespace: str,
        name: str,
        sub: str | None,
        query: dict[str, str],
        body: Any,
    ) -> tuple[int, Obj | str | None]:
        store = self.server.api.store
        if method == "DELETE":
            body = _delete_options(body, query)
        if not name:
            matches = selector(query.get("labelSelector"), query.get("fieldSelector"), resource)
            if method == "GET" and query.get("watch") in ("true", "1"):
                self._watch(resource, namespace, matches, query)
                return 200, None
            if method == "GET":
                return 200, _list(store, resource, namespace, matches, query)
            if method == "POST":
                return 201, store.create(resource, namespace, _object(body))
            if method == "DELETE":
                items, _ = store.list_objects(resource, namespace, matches)
                for item in items:
                    meta = item["metadata"]
                    store.delete(resource, meta.get("namespace", ""), meta["name"], body)
                return 200, _list(store, resource, namespace, lambda _: False, {})
        elif sub == "eviction":
            if method == "POST":
                return 201, evict(store, resource, namespace, name, _object(body))
        elif sub == "binding":
            if method == "POST":
                return 201, bind(store, resource, namespace, name, _object(body))
        elif method == "GET":
            return 200, store.get(resource, namespace, name)
        elif method == "PUT":
            new = _object(body)
            return 200, store.update(resource, namespace, name, lambda _: new, sub)
        elif method == "PATCH":
            content_type = self.headers.get("Content-Type", "")
            return 200, store.update(
                resource, namespace, name, lambda cur: patch.apply(content_type, cur, body), sub
            )
        elif method == "DELETE" and sub is None:
            obj, gone = store.delete(resource, namespace, name, body)
            if not gone or resource.plural == "pods":
                return 200, obj
            details = {"name": name, "kind": resource.plural, "uid": obj["metadata"]["uid"]}
            if resource.group:
                details["group"] = resource.group
            return 200, {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": details,
            }
        raise ApiError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )

    def _bindings(self, method: str, namespace: str, body: Any) -> tuple[int, Obj]:
        """``POST .../namespaces/<ns>/bindings``: a Binding naming its pod, as pods/binding."""
        if method != "POST":
            raise ApiError(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        binding = _object(body)
        name = (binding.get("metadata") or {}).get("name") or ""
        if not name:
            raise ApiError.bad_request("name is required in the Binding object")
        pods = find("v1", "pods")
        assert pods is not None
        return 201, bind(self.server.api.store, pods, namespace, name, binding)

    # -- watch ---------------------------------------------------------------------------

    def _watch(
        self, resource: Resource, namespace: str, matches: Predicate, query: dict[str, str]
    ) -> None:
        api = self.server.api
        start = query.get("resourceVersion") or "0"
        cursor = 0 if start == "0" else _resource_version(start)
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        timeout = float(query.get("timeoutSeconds") or api.watch_timeout)
        deadline = time.monotonic() + timeout
        last_bookmark = time.monotonic()
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            if start == "0":
                items, cursor = api.store.list_objects(resource, namespace, matches)
                for item in items:
                    self._chunk({"type": "ADDED", "object": item})
            while not api.store.closed and (left := deadline - time.monotonic()) > 0:
                wait = min(left, _HANGUP_CHECK)
                if bookmarks:
                    wait = min(wait, api.bookmark_interval)
                try:
                    events, cursor_now = api.store.events_after(cursor, wait)
                except ApiError as e:
                    self._chunk({"type": "ERROR", "object": e.status()})
                    break
                for event in events:
                    seen = _seen(event, resource, namespace, matches)
                    if seen is not None:
                        self._chunk(seen)
                cursor = cursor_now
                if self._client_gone():
                    return
                if bookmarks and time.monotonic() - last_bookmark >= api.bookmark_interval:
                    self._chunk({"type": "BOOKMARK", "object": _bookmark(resource, cursor)})
                    last_bookmark = time.monotonic()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _client_gone(self) -> bool:
        """Whether the watcher hung up (its socket reads as closed), so the watch can end."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True
        return peeked == b""

    def _chunk(self, event: Obj) -> None:
        data = json.dumps(event).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def _found(found: Obj | None, path: str) -> tuple[int, Obj]:
    if found is None:
        raise _page_not_found(path)
    return 200, found


def _page_not_found(path: str) -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def _object(body: Any) -> Obj:
    if not isinstance(body, dict):
        raise ApiError.bad_request("the request body must be a JSON object")
    return body


def _delete_options(body: Any, query: dict[str, str]) -> Obj:
    """DeleteOptions from the body, with the query's gracePeriodSeconds taking over."""
    options: Obj = dict(body) if isinstance(body, dict) else {}
    if query.get("gracePeriodSeconds"):
        try:
            options["gracePeriodSeconds"] = int(query["gracePeriodSeconds"])
        except ValueError as e:
            raise ApiError.bad_request("gracePeriodSeconds must be an integer") from e
    return options


def _resource_version(text: str) -> int:
    try:
        return int(text)
    except ValueError as e:
        raise ApiError.bad_request(f'invalid resource version "{text}"') from e


def _list(
    store: Store, resource: Resource, namespace: str, matches: Predicate, query: dict[str, str]
) -> Obj:
    """A list answer; with ``limit``, one page of it and a ``continue`` token for the next.

    As from the API server, ``remainingItemCount`` comes only with lists without selectors.
    """
    meta: Obj = {}
    after: tuple[str, str] | None = None
    token = query.get("continue")
    if token:
        try:
            state = json.loads(base64.b64decode(token))
            list_rv, start = int(state["rv"]), state["start"]
            after = (str(start[0]), str(start[1]))
        except (ValueError, KeyError, TypeError, IndexError, binascii.Error) as e:
            raise ApiError.bad_request("invalid continue token") from e
        store.check_not_expired(list_rv)
    limit = int(query.get("limit") or 0)
    items, rv, rest = store.list_page(resource, namespace, matches, after, limit)
    if limit and len(items) == limit and rest:
        last = _order(items[-1])
        more = store.list_page(resource, namespace, matches, last, 1)[0]
        if more:
            state = {"rv": rv, "start": list(last)}
            meta["continue"] = base64.b64encode(json.dumps(state).encode()).decode()
            if not query.get("labelSelector") and not query.get("fieldSelector"):
                meta["remainingItemCount"] = rest
    meta["resourceVersion"] = str(rv)
    for item in items:
        item.pop("kind", None)
        item.pop("apiVersion", None)
    return {
        "kind": f"{resource.kind}List",
        "apiVersion": resource.group_version,
        "metadata": meta,
        "items": items,
    }


def _order(item: Obj) -> tuple[str, str]:
    return item["metadata"].get("namespace", ""), item["metadata"]["name"]


def _seen(event: Event, resource: Resource, namespace: str, matches: Predicate) -> Obj | None:
    """The event a watcher with these selectors sees, if any.

    Objects moving in or out of the selection are ADDED or DELETED for the watcher, as the
    API server's watch cache has it.
    """
    if event.resource != resource:
        return None
    if namespace and event.obj["metadata"].get("namespace") != namespace:
        return None
    now_in = matches(event.obj)
    was_in = event.old is not None and matches(event.old)
    if event.type == "ADDED":
        kind = "ADDED" if now_in else None
    elif event.type == "DELETED":
        kind = "DELETED" if now_in or was_in else None
    elif now_in:
        kind = "MODIFIED" if was_in else "ADDED"
    else:
        kind = "DELETED" if was_in else None
    return None if kind is None else {"type": kind, "object": event.obj}


def _bookmark(resource: Resource, cursor: int) -> Obj:
    return {
        "kind": resource.kind,
        "apiVersion": resource.group_version,
        "metadata": {"resourceVersion": str(cursor)},
    }
