"""An IMDS test server on the standard library's HTTP server, with a control API.

Metadata paths answer as EC2's instance metadata service does (see :mod:`.state`). Paths
under ``/spotwise/``, which IMDS never uses, control it and need no token:

- ``PUT /spotwise/events/<name>`` with an optional JSON object ``{"answer": ..., "at": ...,
  "in": ...}``: serve event ``name`` (spot, rebalance, maintenance, lifecycle); ``at`` is
  seconds since the epoch or ISO 8601, ``in`` seconds from now. ``DELETE`` clears it.
- ``PUT /spotwise/faults/token`` and ``/spotwise/faults/metadata`` with ``{"count": N,
  "status": S}``: fail the next N token PUTs or GETs with S.
- ``POST /spotwise/revoke-tokens``; ``GET`` (or ``DELETE``) ``/spotwise/requests``: the
  request log as JSON (or empty it).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from spotwise.ports.clock import Clock
from spotwise.testing.imds.events import parse_time
from spotwise.testing.imds.state import ImdsState, LoggedRequest

log = logging.getLogger(__name__)

CONTROL = "/spotwise/"


class ImdsServer:
    """The IMDS test server on a loopback port (0 picks a free one); a context manager.

    The keyword arguments are those of :class:`ImdsState`, which holds what is served;
    the control methods here act on it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        instance_id: str = "i-0123456789abcdef0",
        zone: str = "us-east-1a",
        instance_type: str = "m5.large",
        local_hostname: str = "ip-10-0-0-1.ec2.internal",
        clock: Clock | None = None,
        allow_imdsv1: bool = False,
    ) -> None:
        self.state = ImdsState(
            instance_id=instance_id,
            zone=zone,
            instance_type=instance_type,
            local_hostname=local_hostname,
            clock=clock,
            allow_imdsv1=allow_imdsv1,
        )
        self._httpd = _HTTPServer((host, port), _Handler, self.state)
        self._thread: threading.Thread | None = None
        self._serving = False

    @property
    def clock(self) -> Clock:
        """The clock that decides token expiry and when events start."""
        return self.state.clock

    @property
    def url(self) -> str:
        """The base URL, what ``ImdsClient(base_url=...)`` takes."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def set_event(self, name: str, answer: object = None, *, at: float | None = None) -> str:
        """Serve an event from ``at`` on; see :meth:`ImdsState.set_event`."""
        return self.state.set_event(name, answer, at=at)

    def clear_event(self, name: str) -> None:
        """Stop serving an event."""
        self.state.clear_event(name)

    def fail_token_requests(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` token PUTs with ``status``."""
        self.state.fail_token_requests(count, status)

    def fail_metadata_requests(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` authorised GETs with ``status``."""
        self.state.fail_metadata_requests(count, status)

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far."""
        self.state.revoke_tokens()

    def requests(self) -> list[LoggedRequest]:
        """The metadata requests served so far."""
        return self.state.requests()

    def serve_forever(self) -> None:
        """Serve in this thread until :meth:`stop`."""
        self._serving = True
        self._httpd.serve_forever(poll_interval=0.1)

    def start(self) -> ImdsServer:
        """Serve in a background thread."""
        self._serving = True  # before the thread runs, so that an early stop() waits for it
        self._thread = threading.Thread(target=self.serve_forever, name="imds", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        # shutdown() waits for serve_forever() to return, forever if it never ran.
        if self._serving:
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ImdsServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def apply_event(state: ImdsState, name: str, spec: Any) -> str:
    """Set event ``name`` from a control body ``{"answer", "at", "in"}`` (all optional).

    Raises:
        ValueError: the body is not such an object, or names an unknown event.
    """
    spec = {} if spec is None else spec
    if not isinstance(spec, dict) or set(spec) - {"answer", "at", "in"}:
        raise ValueError('an event is a JSON object with "answer", "at" or "in"')
    if "at" in spec and "in" in spec:
        raise ValueError('give "at" or "in", not both')
    at = parse_time(spec["at"]) if spec.get("at") is not None else None
    if spec.get("in") is not None:
        at = state.clock.now() + parse_time(spec["in"])
    return state.set_event(name, spec.get("answer"), at=at)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[_Handler], state: ImdsState) -> None:
        self.state = state
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path.startswith(CONTROL):
            try:
                status, answer = self._control(method, path[len(CONTROL) :], raw)
            except ValueError as e:
                status, answer = 400, {"error": str(e)}
            self._send(status, json.dumps(answer), "application/json", ())
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.state.handle(method, path, headers)
        content_type = "text/html" if reply.status >= 400 else "text/plain"
        self._send(reply.status, reply.body, content_type, reply.headers)

    def _control(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        state = self.server.state
        body = json.loads(raw) if raw.strip() else None
        parts = path.strip("/").split("/")
        if parts[0] == "events" and len(parts) == 2:
            if method == "PUT":
                return 200, {"body": apply_event(state, parts[1], body)}
            if method == "DELETE":
                state.clear_event(parts[1])
                return 200, {}
        if parts[0] == "faults" and len(parts) == 2 and method == "PUT":
            if not isinstance(body, dict) or not isinstance(body.get("count"), int):
                raise ValueError('a fault is a JSON object with an integer "count"')
            status = int(body.get("status", 503))
            if parts[1] == "token":
                state.fail_token_requests(body["count"], status)
                return 200, {}
            if parts[1] == "metadata":
                state.fail_metadata_requests(body["count"], status)
                return 200, {}
        if parts == ["revoke-tokens"] and method == "POST":
            state.revoke_tokens()
            return 200, {}
        if parts == ["requests"] and method == "GET":
            return 200, [asdict(r) for r in state.requests()]
        if parts == ["requests"] and method == "DELETE":
            state.clear_requests()
            return 200, {}
        return 404, {"error": f"no control endpoint {method} {CONTROL}{path}"}

    def _send(
        self, status: int, body: str, content_type: str, headers: tuple[tuple[str, str], ...]
    ) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
