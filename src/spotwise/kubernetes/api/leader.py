"""Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection does.

Replicas of the controller run side by side; the one holding the Lease acts, the others
wait. The holder renews the Lease every ``retry_seconds``; a standby takes it once the
holder has not renewed for ``lease_seconds`` (or at once after :meth:`release`). Every
write names the resourceVersion it read, so when two candidates race for an expired
Lease the API server lets one write through and answers 409 to the other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from spotwise.kubernetes.api import raw
from spotwise.kubernetes.api.informer import LEASES
from spotwise.ports.clock import Clock, WallClock

log = logging.getLogger(__name__)

Obj = dict[str, Any]


def micro_time(seconds: float) -> str:
    """A MicroTime (RFC 3339 with microseconds, UTC), as Lease times are written."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> float | None:
    """Seconds since the epoch of a MicroTime or a Time; None if unreadable."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class LeaderElector:
    """One candidate for a Lease.

    Args:
        api: The API client.
        namespace: The Lease's namespace.
        name: The Lease's name (one per controller).
        identity: This candidate's name, unique among the replicas (the pod name).
        lease_seconds: How long a Lease not renewed stays its holder's.
        renew_seconds: How long the leader may fail to renew before it stops leading;
            shorter than ``lease_seconds`` so that it stops before a standby can start.
        retry_seconds: How often to try to acquire or renew.
        clock: Now and sleep; a manual clock in tests.
    """

    def __init__(
        self,
        api: client.ApiClient,
        namespace: str,
        name: str,
        identity: str,
        lease_seconds: int = 15,
        renew_seconds: float = 10,
        retry_seconds: float = 2,
        clock: Clock | None = None,
    ) -> None:
        if not renew_seconds < lease_seconds:
            raise ValueError("renew_seconds must be shorter than lease_seconds")
        if not identity:
            raise ValueError("identity must not be empty")
        self.api = api
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.lease_seconds = lease_seconds
        self.renew_seconds = renew_seconds
        self.retry_seconds = retry_seconds
        self.clock: Clock = clock or WallClock()
        self._renewed: float | None = None  # when this candidate last wrote the Lease as holder

    @property
    def path(self) -> str:
        """The Lease's API path."""
        return LEASES.object_path(self.namespace, self.name)

    @property
    def is_leader(self) -> bool:
        """Whether this candidate holds the Lease, renewed within ``renew_seconds``."""
        return self._renewed is not None and self.clock.now() - self._renewed < self.renew_seconds

    def try_acquire_or_renew(self) -> bool:
        """Take the Lease if it is free or expired, renew it if held; whether we lead now.

        Raises nothing for a lost race (409) or an unreachable server: that is "not the
        leader" this round; the caller tries again after ``retry_seconds``.
        """
        try:
            return self._try()
        except (ApiException, OSError) as error:
            log.warning("lease %s/%s: %s", self.namespace, self.name, error)
            return self.is_leader

    def _try(self) -> bool:
        now = self.clock.now()
        try:
            lease = raw.call(self.api, "GET", self.path)
        except ApiException as error:
            if error.status != 404:
                raise
            return self._create(now)
        spec: Obj = lease.get("spec") or {}
        holder = str(spec.get("holderIdentity") or "")
        if holder and holder != self.identity and not self._expired(spec, now):
            self._renewed = None
            return False
        held = holder == self.identity
        new_spec: Obj = {
            **spec,
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self.lease_seconds,
            "renewTime": micro_time(now),
            "acquireTime": spec.get("acquireTime") if held else micro_time(now),
            "leaseTransitions": int(spec.get("leaseTransitions") or 0) + (0 if held else 1),
        }
        if not new_spec["acquireTime"]:
            new_spec["acquireTime"] = micro_time(now)
        # The resourceVersion read: another candidate's write in between makes this a 409.
        updated = {**lease, "spec": new_spec}
        try:
            raw.call(self.api, "PUT", self.path, body=updated)
        except ApiException as error:
            if error.status == 409:
                self._renewed = None
                return False
            raise
        if not held:
            log.info("lease %s/%s: %s is the leader now", self.namespace, self.name, self.identity)
        self._renewed = now
        return True

    def _create(self, now: float) -> bool:
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": self.lease_seconds,
                "acquireTime": micro_time(now),
                "renewTime": micro_time(now),
                "leaseTransitions": 0,
            },
        }
        try:
            raw.call(
                self.api,
                "POST",
                f"/apis/{LEASES.group_version}/namespaces/{self.namespace}/leases",
                body=body,
            )
        except ApiException as error:
            if error.status == 409:  # another candidate created it first
                self._renewed = None
                return False
            raise
        self._renewed = now
        return True

    def _expired(self, spec: Obj, now: float) -> bool:
        renewed = parse_time(str(spec.get("renewTime") or spec.get("acquireTime") or ""))
        duration = spec.get("leaseDurationSeconds")
        if renewed is None or not isinstance(duration, int):
            return True  # a Lease nobody could read the expiry of is nobody's
        return renewed + duration < now

    def release(self) -> bool:
        """Give the Lease up, so that a standby takes over at once; whether it was ours."""
        if self._renewed is None:
            return False
        self._renewed = None
        try:
            lease = raw.call(self.api, "GET", self.path)
            spec: Obj = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.identity:
                return False
            now = micro_time(self.clock.now())
            # As client-go: no holder, a one-second duration, the transitions kept.
            spec = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1, "renewTime": now}
            raw.call(self.api, "PUT", self.path, body={**lease, "spec": spec})
        except (ApiException, OSError) as error:
            log.warning("lease %s/%s: release failed: %s", self.namespace, self.name, error)
            return False
        return True

    def run(
        self,
        stop: threading.Event,
        on_started: Callable[[], None] = lambda: None,
        on_stopped: Callable[[], None] = lambda: None,
    ) -> None:
        """Try every ``retry_seconds`` until ``stop``; call back when leading starts and ends.

        The Lease is released on ``stop`` when held.
        """
        leading = False
        while not stop.is_set():
            now_leading = self.try_acquire_or_renew()
            if now_leading and not leading:
                on_started()
            elif leading and not now_leading:
                on_stopped()
            leading = now_leading
            stop.wait(self.retry_seconds)
        if leading:
            self.release()
            on_stopped()
