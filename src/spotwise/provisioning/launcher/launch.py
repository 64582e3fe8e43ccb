"""Launcher: carries a node's launch decisions out through the Cloud port."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry

from spotwise.ports.clock import Clock
from spotwise.ports.cloud import Cloud, CloudError
from spotwise.provisioning.events import EventSink, NullEventSink
from spotwise.provisioning.launcher.intent import LaunchIntent, LaunchSettings
from spotwise.provisioning.launcher.outcome import (
    Attempt,
    LaunchOutcome,
    conclude,
    falls_through,
    judge,
)
from spotwise.provisioning.launcher.report import record_unavailable, report
from spotwise.provisioning.launcher.request import (
    CapacityStep,
    SkipReason,
    capacity_order,
    launch_request,
)
from spotwise.provisioning.metrics import AttemptResult, launch_metrics
from spotwise.provisioning.unavailable import UnavailableOfferings


class Launcher:
    """Launches planned nodes through the Cloud port, remembering what EC2 refused.

    Args:
        cloud: The cloud to launch in.
        cluster: The cluster's name.
        unavailable: The memory of refused offerings (shared with the planner, which
            leaves them out of pools).
        clock: Time, for the marks and Events.
        events: Where Events go; dropped by default.
        subnets: Subnet id by zone; None lets the cloud choose.
        registry: The Prometheus registry; the global one by default.
    """

    def __init__(
        self,
        cloud: Cloud,
        *,
        cluster: str,
        unavailable: UnavailableOfferings,
        clock: Clock,
        events: EventSink | None = None,
        subnets: Mapping[str, str] | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.cloud = cloud
        self.cluster = cluster
        self.unavailable = unavailable
        self.clock = clock
        self.events: EventSink = events if events is not None else NullEventSink()
        self.subnets = subnets
        self.metrics = launch_metrics(registry)

    def launch(self, intent: LaunchIntent, settings: LaunchSettings) -> LaunchOutcome:
        """Launch one node: the planned capacity type, then the fallback if allowed."""
        attempts = []
        for step in capacity_order(intent, settings):
            attempt = self._attempt(intent, step, settings)
            attempts.append(attempt)
            # The reserved attempt is counted under the capacity_type label "reserved".
            self.metrics.launches.labels(intent.node.pool, step.label, attempt.result.value).inc()
            if not falls_through(attempt.result):
                break
        now = self.clock.now()
        snapshot = self.unavailable.snapshot(now)
        outcome = conclude(
            intent, attempts, snapshot, default_wait=self.unavailable.policy.ttl_seconds
        )
        report(intent, outcome, attempts, now, events=self.events, metrics=self.metrics)
        record_unavailable(snapshot, self.metrics)
        return outcome

    def _attempt(
        self, intent: LaunchIntent, step: CapacityStep, settings: LaunchSettings
    ) -> Attempt:
        capacity_type, reserved = step.capacity_type, step.reserved
        request = launch_request(
            intent,
            capacity_type,
            reserved=reserved,
            cluster=self.cluster,
            settings=settings,
            subnets=self.subnets,
            unavailable=self.unavailable.snapshot(self.clock.now()),
        )
        if isinstance(request, SkipReason):
            return Attempt(capacity_type, AttemptResult.SKIPPED, skipped=request, reserved=reserved)
        try:
            response = self.cloud.launch(request)
        except CloudError as error:
            return Attempt(
                capacity_type,
                AttemptResult.CLOUD_ERROR,
                request,
                detail=str(error),
                reserved=reserved,
            )
        now = self.clock.now()
        if not reserved:
            # A full or mismatched reservation says nothing about the on-demand pools.
            self.unavailable.mark_all(response.errors, now)
        if response.instance is not None:
            i = response.instance
            self.unavailable.mark_launched(i.instance_type, i.zone, i.capacity_type, now)
        result = judge(response)
        if reserved and result is not AttemptResult.LAUNCHED:
            # Whatever a reservation refuses with (full, another type or zone), the node
            # can still be bought on spot or on-demand: the reserved step never ends a launch.
            result = AttemptResult.UNAVAILABLE
        return Attempt(capacity_type, result, request, response, reserved=reserved)
