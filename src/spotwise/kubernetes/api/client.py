"""Connecting to the API server: credentials, a client-side rate limit, retries.

Every request of an :class:`kubernetes.client.ApiClient` goes through its REST client's
``request``; :func:`connect` wraps that one method, so the generated API classes, our raw
calls and the informers' lists and watches are all throttled and retried alike, as
client-go's rest client does for Go controllers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

# Requests whose 429 or 500 is an answer, not overload: retrying would repeat the verdict
# (a PodDisruptionBudget that allows nothing now) and hide it from the caller.
_NOT_RETRIED = ("/eviction",)


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How hard spotwise may press on the API server.

    Attributes:
        qps: Requests per second, on average (client-go's ``--kube-api-qps``).
        burst: Requests allowed at once above the average (``--kube-api-burst``).
        request_timeout: Seconds a request (not a watch) may take.
        max_retries: Retries of a request answered 429 or 5xx before the answer is kept.
        backoff_seconds: The first retry's wait; it doubles on each retry.
        max_backoff_seconds: The longest wait between retries, ``Retry-After`` included.
    """

    qps: float = 50.0
    burst: int = 100
    request_timeout: float = 30.0
    max_retries: int = 5
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 30.0


class TokenBucket:
    """A token bucket: ``burst`` requests at once, then ``qps`` a second.

    Args:
        qps: Tokens added per second.
        burst: The bucket's size (and its content at first).
        clock: Monotonic seconds.
        sleep: Waits; tests pass a fake clock's so that no test waits for real.
    """

    def __init__(
        self,
        qps: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("qps must be positive and burst at least 1")
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token, waiting for it if the bucket is empty; returns the wait."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
            self._last = now
            # Taken now, paid for by waiting: later callers queue behind this one's debt.
            self._tokens -= 1.0
            wait = -self._tokens / self.qps if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


class ThrottledRest:
    """The REST client of an ApiClient, behind a token bucket and with retries.

    A response of 429 or 5xx is retried (except eviction answers) up to
    ``settings.max_retries`` times, waiting ``Retry-After`` when the server sends it,
    else an exponential backoff. The last response is returned as it came, so the
    generated API classes raise their usual ``ApiException``.

    Args:
        inner: The ``RESTClientObject`` the ApiClient made.
        settings: Limits and retries.
        bucket: The token bucket (one per client).
        sleep: Waits between retries.
    """

    def __init__(
        self,
        inner: Any,
        settings: ClientSettings,
        bucket: TokenBucket,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner
        self.settings = settings
        self.bucket = bucket
        self._sleep = sleep
        self.retries = 0  # how many requests were sent again, for metrics and tests

    def request(
        self,
        method: str,
        url: str,
        headers: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        """Send one request, throttled, retried on overload; the RESTResponse."""
        if _request_timeout is None and "watch=" not in url:
            _request_timeout = self.settings.request_timeout
        retried = not any(part in url.split("?", 1)[0] for part in _NOT_RETRIED)
        attempt = 0
        while True:
            self.bucket.take()
            response = self.inner.request(
                method,
                url,
                headers=dict(headers) if headers else headers,
                body=body,
                post_params=post_params,
                _request_timeout=_request_timeout,
            )
            status = int(response.status)
            if not retried or attempt >= self.settings.max_retries or not _overload(status):
                return response
            wait = self._wait(attempt, response)
            log.info("%s %s answered %d: retrying in %.1fs", method, url, status, wait)
            # Read the body so that the connection goes back to the pool.
            response.read()
            attempt += 1
            self.retries += 1
            self._sleep(wait)

    def _wait(self, attempt: int, response: Any) -> float:
        backoff = self.settings.backoff_seconds * 2**attempt
        after = retry_after(response.getheader("Retry-After"))
        chosen = after if after is not None else backoff
        return min(chosen, self.settings.max_backoff_seconds)

    def close(self) -> None:
        """Close the pooled connections."""
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        # The generated client reads attributes such as pool_manager through the REST client.
        return getattr(self.inner, name)


def _overload(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def connect(
    kubeconfig: Path | None,
    settings: ClientSettings | None = None,
    *,
    context: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> client.ApiClient:
    """An API client for the cluster, throttled and retried.

    Credentials come from ``kubeconfig`` when given, else the pod's service account
    (in-cluster), else ``$KUBECONFIG`` or ``~/.kube/config``.

    Args:
        kubeconfig: A kubeconfig file, or None to find the credentials.
        settings: Rate limit, timeouts and retries; the defaults when None.
        context: The kubeconfig's context to use; its current context when None.
        clock: Monotonic seconds, for the rate limiter.
        sleep: Waits of the rate limiter and of retries.

    Raises:
        ConfigException: If no credentials are found or the kubeconfig is unreadable.
    """
    settings = settings or ClientSettings()
    configuration = client.Configuration()
    if kubeconfig is not None:
        config.load_kube_config(  # type: ignore[no-untyped-call]  # no hints upstream
            config_file=str(kubeconfig), context=context, client_configuration=configuration
        )
    else:
        try:
            config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
        except ConfigException:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
    # urllib3 would retry a 429 or 503 with Retry-After itself, sleeping where no rate
    # limiter or test clock sees it: statuses are retried by ThrottledRest alone.
    configuration.retries = Retry(3, respect_retry_after_header=False, raise_on_status=False)
    # One connection per informer's watch, plus room for the controller's writes.
    configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize or 0, 32)
    api = client.ApiClient(configuration)
    throttle(api, settings, clock=clock, sleep=sleep)
    return api


def throttle(
    api: client.ApiClient,
    settings: ClientSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ThrottledRest:
    """Put ``api``'s requests behind a token bucket and retries (once; again is a no-op)."""
    rest = api.rest_client
    if isinstance(rest, ThrottledRest):
        return rest
    wrapped = ThrottledRest(
        rest, settings, TokenBucket(settings.qps, settings.burst, clock, sleep), sleep
    )
    api.rest_client = wrapped  # type: ignore[assignment]  # same interface: request()
    return wrapped
