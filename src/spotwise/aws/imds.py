"""The instance metadata service (IMDSv2) as the node agent reads it.

A session token comes from ``PUT /latest/api/token`` and goes with every GET; it is kept
and fetched again before it expires (at 80% of its TTL, by the injected clock). A GET that
is refused (401: the token was revoked, say after a stop and start) is tried once more with
a fresh token; a 5xx once more as it is. 404 is an answer ("nothing here"), not an error.
Everything else that goes wrong raises :class:`ImdsError` with one sentence.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass

from spotwise.ports.clock import Clock, WallClock

META = "/latest/meta-data"
SPOT_INSTANCE_ACTION = f"{META}/spot/instance-action"
REBALANCE_RECOMMENDATION = f"{META}/events/recommendations/rebalance"
SCHEDULED_MAINTENANCE = f"{META}/events/maintenance/scheduled"
TARGET_LIFECYCLE_STATE = f"{META}/autoscaling/target-lifecycle-state"
#: The paths :meth:`ImdsClient.poll_events` reads, in this order.
EVENT_PATHS = (
    SPOT_INSTANCE_ACTION,
    REBALANCE_RECOMMENDATION,
    SCHEDULED_MAINTENANCE,
    TARGET_LIFECYCLE_STATE,
)

_TOKEN_PATH = "/latest/api/token"
_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
_TOKEN_HEADER = "X-aws-ec2-metadata-token"
# Refresh at 80% of the TTL: a token used right up to its end could expire in flight.
_REFRESH_AT = 0.8


class ImdsError(Exception):
    """Instance metadata could not be read: unreachable, refused or failing."""


@dataclass(frozen=True, slots=True)
class InstanceIdentity:
    """Which instance this is and where."""

    instance_id: str
    zone: str


class ImdsClient:
    """An IMDSv2 client; safe to share between threads.

    Args:
        base_url: where IMDS answers (a test server's URL in tests).
        token_ttl: seconds a session token lives, 1 to 21600.
        timeout: seconds to wait on the socket (to connect, then for each read) per call.
        clock: measures token age; the wall clock by default.
    """

    def __init__(
        self,
        base_url: str = "http://169.254.169.254",
        token_ttl: int = 21600,
        timeout: float = 2.0,
        clock: Clock | None = None,
    ) -> None:
        if not 1 <= token_ttl <= 21600:
            raise ValueError(f"token_ttl {token_ttl} is outside 1-21600 seconds")
        self.base_url = base_url.rstrip("/")
        self.token_ttl = token_ttl
        self.timeout = timeout
        self.clock: Clock = clock or WallClock()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_after = 0.0
        # IMDS is link-local: a proxy from the environment must never see these calls.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str) -> str | None:
        """The body at ``path`` (``/latest/meta-data/...``), or None when IMDS says 404.

        Raises:
            ImdsError: IMDS is unreachable, too slow, refuses a fresh token or fails twice.
        """
        status, body = self._get_once(path, self._current_token())
        if status == 401:
            # The token may have been revoked; a fresh one settles whether we are refused.
            status, body = self._get_once(path, self._current_token(after_refusal=True))
        elif status >= 500:
            status, body = self._get_once(path, self._current_token())
        if status == 200:
            return body
        if status == 404:
            return None
        raise ImdsError(f"IMDS answered GET {path} with HTTP {status} after one retry")

    def poll_events(self) -> dict[str, str]:
        """The raw answer of each event path that has one now: path -> body.

        An empty maintenance list (``[]``, what IMDS serves when nothing is scheduled)
        counts as no answer. The bodies are left for the event parsers to judge.

        Raises:
            ImdsError: any of the four reads failed (the caller polls again soon).
        """
        found: dict[str, str] = {}
        for path in EVENT_PATHS:
            body = self.get(path)
            if body is None or (path == SCHEDULED_MAINTENANCE and _empty_list(body)):
                continue
            found[path] = body
        return found

    def instance_identity(self) -> InstanceIdentity:
        """This instance's id and availability zone.

        Raises:
            ImdsError: IMDS cannot be read or does not know them.
        """
        instance_id = self.get(f"{META}/instance-id")
        zone = self.get(f"{META}/placement/availability-zone")
        if not instance_id or not zone:
            raise ImdsError("IMDS serves no instance-id or availability zone: not an EC2 instance")
        return InstanceIdentity(instance_id.strip(), zone.strip())

    # -- tokens ----------------------------------------------------------------------------

    def _current_token(self, *, after_refusal: bool = False) -> str:
        with self._lock:
            if after_refusal or self._token is None or self.clock.now() >= self._refresh_after:
                self._token = None
                fetched_at = self.clock.now()
                self._token = self._fetch_token()
                self._refresh_after = fetched_at + self.token_ttl * _REFRESH_AT
            return self._token

    def _fetch_token(self) -> str:
        headers = {_TTL_HEADER: str(self.token_ttl)}
        status, body = self._call("PUT", _TOKEN_PATH, headers)
        if status != 200:
            # A token endpoint that stumbles once (throttled, restarting) gets a second try.
            status, body = self._call("PUT", _TOKEN_PATH, headers)
        if status != 200 or not body:
            raise ImdsError(f"IMDS refused a session token with HTTP {status} after one retry")
        return body

    # -- HTTP ------------------------------------------------------------------------------

    def _get_once(self, path: str, token: str) -> tuple[int, str]:
        return self._call("GET", path, {_TOKEN_HEADER: token})

    def _call(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
        url = self.base_url + path
        request = urllib.request.Request(url, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            with e:
                return e.code, e.read().decode(errors="replace")
        except (OSError, ValueError) as e:
            # URLError, timeouts and refused connections are all OSErrors.
            reason = getattr(e, "reason", e)
            raise ImdsError(f"IMDS at {self.base_url} could not be reached ({reason})") from e


def _empty_list(body: str) -> bool:
    try:
        return bool(json.loads(body) == [])
    except ValueError:
        return False
