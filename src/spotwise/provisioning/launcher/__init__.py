"""Launching a planned node: which requests to make, in what order, and what the answers mean.

A node of a pool with capacity reservations whose pods run on on-demand is first launched
into the reservations (an on-demand request that uses them first). Otherwise, or when that
finds no capacity, a node is launched as its planned capacity type first. A spot node
whose pods also run on on-demand falls back to on-demand at once when every spot offering
it may use is unavailable (refused now, or remembered as refused), and says so in a log
line, an Event and a metric. A node whose pods run only on spot is not fallen back: the
launch is retried when the first unavailable mark lapses. An on-demand node never falls
back to spot, which would break the pool's on-demand base.

The decisions are pure functions over values (`capacity_order`, `launch_request`, `judge`,
`conclude`); `Launcher` only carries them out through the Cloud port, and `report` says
what happened. Each concept has its own module: intent, request, outcome, report, launch.
"""

from spotwise.provisioning.launcher.intent import LaunchIntent, LaunchSettings, settings_for
from spotwise.provisioning.launcher.launch import Launcher
from spotwise.provisioning.launcher.outcome import (
    Attempt,
    Failed,
    FailureCause,
    FellBack,
    Launched,
    LaunchOutcome,
    Retry,
    RetryReason,
    conclude,
    falls_through,
    judge,
)
from spotwise.provisioning.launcher.request import (
    RESERVED,
    CapacityStep,
    SkipReason,
    candidate_overrides,
    capacity_order,
    client_token,
    launch_request,
)

__all__ = [
    "RESERVED",
    "Attempt",
    "CapacityStep",
    "Failed",
    "FailureCause",
    "FellBack",
    "LaunchIntent",
    "LaunchOutcome",
    "LaunchSettings",
    "Launched",
    "Launcher",
    "Retry",
    "RetryReason",
    "SkipReason",
    "candidate_overrides",
    "capacity_order",
    "client_token",
    "conclude",
    "falls_through",
    "judge",
    "launch_request",
    "settings_for",
]
