"""What came of a node's launch attempts: launched, fell back, retry later, or failed."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from spotwise.model.instance_type import CapacityType
from spotwise.ports.cloud import ErrorKind, Instance, LaunchRequest, LaunchResult, OfferingError
from spotwise.provisioning.launcher.intent import LaunchIntent
from spotwise.provisioning.launcher.request import SkipReason
from spotwise.provisioning.metrics import AttemptResult
from spotwise.provisioning.unavailable import UnavailableSnapshot


class FailureCause(enum.Enum):
    """Why a node could not be launched and retrying as is will not help."""

    NOT_ALLOWED = "not-allowed"  # the pods accept no capacity type the plan may use
    NO_OFFERINGS = "no-offerings"
    NO_IMAGE = "no-image"  # the pool has no image for the architecture of any type
    MISCONFIGURED = "misconfigured"  # EC2 called the request wrong (template, subnet...)
    REJECTED = "rejected"  # refused for a reason that is not capacity
    CLOUD_ERROR = "cloud-error"  # the call itself failed (credentials, throttling)


class RetryReason(enum.Enum):
    """Why a launch is put off."""

    SPOT_UNAVAILABLE = "spot-unavailable"  # the pods run only on spot, and there is none
    CAPACITY_UNAVAILABLE = "capacity-unavailable"  # no allowed capacity type has any


@dataclass(frozen=True, slots=True)
class Launched:
    """The node launched as planned, or from the pool's capacity reservations.

    ``reserved`` says the instance came from the reserved attempt (on-demand, into one of
    the pool's capacity reservations: the attempt is reservations-only).
    """

    instance: Instance
    capacity_type: CapacityType
    errors: tuple[OfferingError, ...] = ()
    reserved: bool = False


@dataclass(frozen=True, slots=True)
class FellBack:
    """The node launched as another capacity type than planned.

    Attributes:
        instance: The instance launched.
        planned: The capacity type planned (spot).
        launched: The capacity type launched (on-demand).
        tried_types: The instance types tried, or skipped as unavailable, as planned.
        errors: Every refusal on the way.
    """

    instance: Instance
    planned: CapacityType
    launched: CapacityType
    tried_types: tuple[str, ...]
    errors: tuple[OfferingError, ...] = ()


@dataclass(frozen=True, slots=True)
class Retry:
    """Nothing launched; try again after ``after_seconds``, as attempt ``next_attempt``."""

    after_seconds: float
    reason: RetryReason
    capacity_types: tuple[CapacityType, ...]
    next_attempt: int
    errors: tuple[OfferingError, ...] = ()


@dataclass(frozen=True, slots=True)
class Failed:
    """Nothing launched, and retrying the same request will not help."""

    cause: FailureCause
    detail: str
    errors: tuple[OfferingError, ...] = ()


LaunchOutcome = Launched | FellBack | Retry | Failed


@dataclass(frozen=True, slots=True)
class Attempt:
    """One capacity type tried for a node.

    Attributes:
        capacity_type: The capacity type.
        result: What came of it.
        request: The request made; None when skipped.
        response: The cloud's answer; None when skipped or the call failed.
        skipped: Why no request was made, if none was.
        detail: The cloud error, when the call failed.
        reserved: Whether this was the reserved attempt (on-demand into the pool's
            capacity reservations first).
    """

    capacity_type: CapacityType
    result: AttemptResult
    request: LaunchRequest | None = None
    response: LaunchResult | None = None
    skipped: SkipReason | None = None
    detail: str = ""
    reserved: bool = False

    @property
    def errors(self) -> tuple[OfferingError, ...]:
        """The per-override refusals."""
        return () if self.response is None else self.response.errors


# Attempts after which the next capacity type is tried: the capacity is not there.
_FALLS_THROUGH = frozenset({AttemptResult.UNAVAILABLE, AttemptResult.SKIPPED})


def judge(result: LaunchResult) -> AttemptResult:
    """What one launch's answer means: launched, no capacity, or a refusal of another kind."""
    if result.instance is not None:
        return AttemptResult.LAUNCHED
    kinds = {e.kind for e in result.errors}
    if ErrorKind.CONFIGURATION in kinds:
        return AttemptResult.MISCONFIGURED
    if kinds and kinds <= {ErrorKind.UNAVAILABLE, ErrorKind.QUOTA}:
        return AttemptResult.UNAVAILABLE
    return AttemptResult.REJECTED


def falls_through(result: AttemptResult) -> bool:
    """Whether the next capacity type should be tried after an attempt with ``result``."""
    return result in _FALLS_THROUGH


def _tried_types(intent: LaunchIntent, attempt: Attempt) -> tuple[str, ...]:
    if attempt.request is None:
        return intent.node.instance_types
    return tuple(dict.fromkeys(o.instance_type for o in attempt.request.overrides))


def _retry_after(
    intent: LaunchIntent,
    capacity_types: Sequence[CapacityType],
    snapshot: UnavailableSnapshot,
    default: float,
) -> float:
    """Seconds until the first of the node's offerings becomes available again."""
    node = intent.node
    ends = [
        end
        for ct in capacity_types
        for t in node.instance_types
        for z in node.zones
        if (end := snapshot.until(t, z, ct)) is not None
    ]
    return max(min(ends) - snapshot.now, 0.0) if ends else default


def conclude(
    intent: LaunchIntent,
    attempts: Sequence[Attempt],
    snapshot: UnavailableSnapshot,
    *,
    default_wait: float,
) -> LaunchOutcome:
    """The outcome of a node's attempts, given the marks in force after them.

    Args:
        intent: The node and what its pods accept.
        attempts: The attempts made, in order.
        snapshot: The unavailable marks after the attempts, to time a retry.
        default_wait: The retry delay when no mark says better.
    """
    errors = tuple(e for a in attempts for e in a.errors)
    if not attempts:
        return Failed(
            FailureCause.NOT_ALLOWED,
            f"the pods of {intent.node.name} accept no capacity type it may be launched as",
        )
    last = attempts[-1]
    instance = None if last.response is None else last.response.instance
    # The reserved attempt is a preface: falling back is judged from the planned attempts.
    planned = [a for a in attempts if not a.reserved]
    if instance is not None:
        if last.reserved or len(planned) == 1:
            return Launched(instance, last.capacity_type, errors, reserved=last.reserved)
        first = planned[0]
        return FellBack(
            instance,
            first.capacity_type,
            last.capacity_type,
            _tried_types(intent, first),
            errors,
        )
    if not falls_through(last.result):
        cause = {
            AttemptResult.MISCONFIGURED: FailureCause.MISCONFIGURED,
            AttemptResult.CLOUD_ERROR: FailureCause.CLOUD_ERROR,
        }.get(last.result, FailureCause.REJECTED)
        codes = ", ".join(sorted({f"{e.code}: {e.message}" for e in last.errors}))
        return Failed(cause, last.detail or codes or "no instance and no error", errors)
    if all(a.skipped is SkipReason.NO_OFFERINGS for a in attempts):
        return Failed(
            FailureCause.NO_OFFERINGS,
            f"{intent.node.name} has no instance type x zone with a subnet to launch in",
            errors,
        )
    if all(a.skipped is SkipReason.NO_IMAGE for a in attempts):
        return Failed(
            FailureCause.NO_IMAGE,
            f"none of the instance types of {intent.node.name}"
            f" ({', '.join(intent.node.instance_types)}) runs an architecture its pool has an"
            " image for; add one to spec.launch.amiByArchitecture",
            errors,
        )
    tried = tuple(dict.fromkeys(a.capacity_type for a in [*planned, *attempts]))
    reason = (
        RetryReason.SPOT_UNAVAILABLE
        if tried == (CapacityType.SPOT,)
        else RetryReason.CAPACITY_UNAVAILABLE
    )
    after = _retry_after(intent, tried, snapshot, default_wait)
    return Retry(after, reason, tried, intent.attempt + 1, errors)
