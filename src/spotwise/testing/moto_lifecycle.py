"""Lifecycle actions for moto's Auto Scaling, which keeps hooks but not their actions.

moto stores lifecycle hooks (PutLifecycleHook, DescribeLifecycleHooks) but answers
CompleteLifecycleAction and RecordLifecycleActionHeartbeat as not implemented. `install`
teaches moto both calls, over the same Query protocol boto3 speaks, with AWS's
answers: an instance held by a terminate hook is in ``Terminating:Wait``; a heartbeat is
accepted while it waits (the hook's timeout itself is not modelled, nor are tokens
checked); CONTINUE or ABANDON lets the termination go on (the instance leaves the group
and EC2 terminates it); an action that is not waiting answers ``ValidationError`` "No
active Lifecycle Action found", a hook that does not exist another ``ValidationError``.
`hold` puts an instance in ``Terminating:Wait``, as AWS does when a scale-in meets a
terminate hook (moto would terminate it at once).

The calls are recorded (`calls`), so a test can tell when a lifecycle action ended.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend, InstanceState, autoscaling_backends
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import EmptyResult

WAITING = "Terminating:Wait"
PROCEEDING = "Terminating:Proceed"


@dataclass(frozen=True, slots=True)
class LifecycleCall:
    """One lifecycle call moto answered.

    Attributes:
        action: ``CompleteLifecycleAction`` or ``RecordLifecycleActionHeartbeat``.
        group: The group named.
        hook: The hook named.
        instance_id: The instance named.
        result: CONTINUE or ABANDON for a completion; "" for a heartbeat.
        at: When it was answered (time.time()).
    """

    action: str
    group: str
    hook: str
    instance_id: str
    result: str
    at: float


calls: list[LifecycleCall] = []
_lock = threading.Lock()


def install() -> None:
    """Add the two calls to moto's Auto Scaling service (calling it again changes nothing)."""
    AutoScalingResponse.complete_lifecycle_action = _complete  # type: ignore[attr-defined]
    AutoScalingResponse.record_lifecycle_action_heartbeat = _heartbeat  # type: ignore[attr-defined]


def hold(group: str, instance_id: str, *, account: str = "123456789012", region: str) -> None:
    """Put ``instance_id`` of ``group`` in ``Terminating:Wait``, as a terminate hook does.

    Raises:
        KeyError: If the group or the instance is not there.
    """
    backend = autoscaling_backends[account][region]
    _state(backend, group, instance_id).lifecycle_state = WAITING


def reset() -> None:
    """Forget the recorded calls."""
    with _lock:
        calls.clear()


def _state(backend: AutoScalingBackend, group: str, instance_id: str) -> InstanceState:
    found = backend.autoscaling_groups[group]
    return next(s for s in found.instance_states if s.instance.id == instance_id)


def _waiting(response: AutoScalingResponse) -> tuple[str, str, str]:
    """The group, hook and instance of a call about a waiting action, or ValidationError."""
    group = response._get_param("AutoScalingGroupName")
    hook = response._get_param("LifecycleHookName")
    instance_id = response._get_param("InstanceId")
    backend = response.autoscaling_backend
    if f"{group}_{hook}" not in backend.lifecycle_hooks:
        raise ValidationError(f"No Lifecycle Hook named {hook} for group {group}")
    try:
        state = _state(backend, group, instance_id)
    except (KeyError, StopIteration):
        state = None
    if state is None or getattr(state, "lifecycle_state", "") != WAITING:
        raise ValidationError(f"No active Lifecycle Action found with instance ID {instance_id}")
    return group, hook, instance_id


def _record(action: str, group: str, hook: str, instance_id: str, result: str) -> None:
    with _lock:
        calls.append(LifecycleCall(action, group, hook, instance_id, result, time.time()))


def _heartbeat(self: AutoScalingResponse) -> EmptyResult:
    group, hook, instance_id = _waiting(self)
    _record("RecordLifecycleActionHeartbeat", group, hook, instance_id, "")
    return EmptyResult()


def _complete(self: AutoScalingResponse) -> EmptyResult:
    group, hook, instance_id = _waiting(self)
    result = self._get_param("LifecycleActionResult")
    if result not in ("CONTINUE", "ABANDON"):
        raise ValidationError(f"LifecycleActionResult {result!r} is not CONTINUE or ABANDON")
    _record("CompleteLifecycleAction", group, hook, instance_id, result)
    backend = self.autoscaling_backend
    # Either result ends a terminate hook's wait: the instance leaves and is terminated.
    _state(backend, group, instance_id).lifecycle_state = PROCEEDING
    backend.detach_instances(group, [instance_id], should_decrement=False)
    backend.ec2_backend.terminate_instances([instance_id])
    return EmptyResult()
