"""What an IMDS test server knows and how it answers: tokens, identity, events, faults.

Pure of HTTP: :meth:`ImdsState.handle` takes a method, a path and the request headers and
gives the status, body and headers EC2's instance metadata service would answer, so the
rules can be read (and tested) apart from the socket plumbing.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from spotwise.ports.clock import Clock, WallClock
from spotwise.testing.imds.events import (
    EVENT_PATHS,
    MAINTENANCE_NONE,
    META,
    default_answer,
    render,
)

TOKEN_PATH = "/latest/api/token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TTL = 21600

# IMDS answers errors with a small HTML page; clients look at the status only.
_PAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
}


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status, body and extra headers."""

    status: int
    body: str
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One metadata request as the server saw it (control requests are not logged)."""

    time: float
    method: str
    path: str
    status: int
    with_token: bool


@dataclass(frozen=True, slots=True)
class _Event:
    body: str
    at: float | None


def _error(status: int) -> Answer:
    reason = _PAGES.get(status, "Error")
    return Answer(status, f"<html><body><h1>{status} - {reason}</h1></body></html>\n")


class ImdsState:
    """Instance metadata of one instance, with IMDSv2 sessions; thread-safe.

    Args:
        instance_id: served at ``instance-id``.
        zone: served at ``placement/availability-zone``.
        instance_type: served at ``instance-type``.
        local_hostname: served at ``local-hostname``.
        clock: decides token expiry and when a scheduled event starts being served.
        allow_imdsv1: serve GETs without a token (an instance with ``HttpTokens=optional``).
    """

    def __init__(
        self,
        *,
        instance_id: str = "i-0123456789abcdef0",
        zone: str = "us-east-1a",
        instance_type: str = "m5.large",
        local_hostname: str = "ip-10-0-0-1.ec2.internal",
        clock: Clock | None = None,
        allow_imdsv1: bool = False,
    ) -> None:
        self.clock: Clock = clock or WallClock()
        self.allow_imdsv1 = allow_imdsv1
        self._static = {
            f"{META}/instance-id": instance_id,
            f"{META}/instance-type": instance_type,
            f"{META}/local-hostname": local_hostname,
            f"{META}/placement/availability-zone": zone,
            f"{META}/instance-life-cycle": "spot",
        }
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # token -> expiry
        self._events: dict[str, _Event] = {}
        self._token_faults: deque[int] = deque()
        self._metadata_faults: deque[int] = deque()
        self._log: list[LoggedRequest] = []

    # -- control ---------------------------------------------------------------------------

    def set_event(self, name: str, answer: object = None, *, at: float | None = None) -> str:
        """Serve event ``name`` (spot, rebalance, maintenance, lifecycle) from ``at`` on.

        Args:
            name: which event path.
            answer: the body: text as it is, anything else as JSON; None for a typical one
                (a terminate two minutes on, a notice now, a reboot tomorrow, Terminated).
            at: seconds since the epoch by the server's clock; None: now. Before it the
                path answers as if nothing were set.

        Returns:
            The body that will be served.

        Raises:
            ValueError: an unknown event name.
        """
        _path(name)
        with self._lock:
            start = self.clock.now() if at is None else at
            body = render(default_answer(name, start) if answer is None else answer)
            self._events[name] = _Event(body, at)
            return body

    def clear_event(self, name: str) -> None:
        """Stop serving event ``name`` (404 again; ``[]`` for maintenance)."""
        _path(name)
        with self._lock:
            self._events.pop(name, None)

    def fail_token_requests(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` token PUTs with ``status`` (for retry tests)."""
        with self._lock:
            self._token_faults.extend([status] * count)

    def fail_metadata_requests(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` authorised GETs with ``status`` (for retry tests)."""
        with self._lock:
            self._metadata_faults.extend([status] * count)

    def revoke_tokens(self) -> None:
        """Forget every token, as when the instance stops: the next GETs are 401."""
        with self._lock:
            self._tokens.clear()

    def requests(self) -> list[LoggedRequest]:
        """The metadata requests served so far, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()

    # -- serving ---------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str]) -> Answer:
        """Answer one request as IMDS would; ``headers`` keys are lower case."""
        with self._lock:
            answer = self._answer(method, path, headers)
            self._log.append(
                LoggedRequest(
                    self.clock.now(),
                    method,
                    path,
                    answer.status,
                    TOKEN_HEADER.lower() in headers,
                )
            )
            return answer

    def _answer(self, method: str, path: str, headers: Mapping[str, str]) -> Answer:
        if path == TOKEN_PATH:
            return self._mint(headers) if method == "PUT" else _error(405)
        if method != "GET":
            return _error(405)
        token = headers.get(TOKEN_HEADER.lower())
        if token is None:
            if not self.allow_imdsv1:
                return _error(401)
            extra: tuple[tuple[str, str], ...] = ()
        else:
            expiry = self._tokens.get(token)
            now = self.clock.now()
            if expiry is None or now >= expiry:
                return _error(401)
            # IMDS tells the caller how long its token has left on every answer.
            extra = ((TTL_HEADER, str(int(expiry - now))),)
        if self._metadata_faults:
            return _error(self._metadata_faults.popleft())
        body = self._lookup(path.rstrip("/") or "/")
        if body is None:
            return _error(404)
        return Answer(200, body, extra)

    def _mint(self, headers: Mapping[str, str]) -> Answer:
        # IMDS refuses tokens to requests that came through a proxy.
        if "x-forwarded-for" in headers:
            return _error(403)
        if self._token_faults:
            return _error(self._token_faults.popleft())
        raw = headers.get(TTL_HEADER.lower(), "").strip()
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_TTL:
            return _error(400)
        ttl = int(raw)
        now = self.clock.now()
        # Expired tokens go now so that a long run does not grow the table.
        self._tokens = {t: e for t, e in self._tokens.items() if e > now}
        token = secrets.token_urlsafe(42)
        self._tokens[token] = now + ttl
        return Answer(200, token, ((TTL_HEADER, str(ttl)),))

    def _lookup(self, path: str) -> str | None:
        if path in self._static:
            return self._static[path]
        for name, event_path in EVENT_PATHS.items():
            if path == event_path:
                event = self._events.get(name)
                if event is not None and (event.at is None or self.clock.now() >= event.at):
                    return event.body
                return MAINTENANCE_NONE if name == "maintenance" else None
        return None


def _path(name: str) -> str:
    try:
        return EVENT_PATHS[name]
    except KeyError:
        known = ", ".join(EVENT_PATHS)
        raise ValueError(f"unknown event {name!r}; known: {known}") from None
