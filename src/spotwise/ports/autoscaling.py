"""The Auto Scaling port: the groups an instance belongs to, and their lifecycle actions.

The interruption handler needs it for nodes it did not launch: in ``--interruptions-only``
mode it handles only instances of groups that carry a managed tag, and an Auto Scaling
termination held by a lifecycle hook is kept alive (heartbeats) while the node drains,
then released (CompleteLifecycleAction, CONTINUE) once its pods and volumes are gone.

Assumptions every implementation honours:

* ``groups`` answers for the instances it knows; an instance of no group is left out.
* ``complete`` is idempotent: an action that is no longer waiting (completed earlier, or
  timed out) is not an error, since the instance goes either way.
* Failures other than that raise `spotwise.ports.cloud.CloudError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class LifecycleAction:
    """A lifecycle hook holding an instance in ``Terminating:Wait``.

    Attributes:
        group: The Auto Scaling group's name.
        hook: The lifecycle hook's name.
        instance_id: The instance being terminated.
        token: The action's token, when the notice carried it (the instance id suffices).
    """

    group: str
    hook: str
    instance_id: str
    token: str | None = None


class AutoScaling(Protocol):
    """Auto Scaling, as the interruption handler uses it."""

    def groups(self, instance_ids: Iterable[str]) -> Mapping[str, str]:
        """The Auto Scaling group of each instance that belongs to one."""
        ...

    def tags(self, groups: Iterable[str]) -> Mapping[str, Mapping[str, str]]:
        """Each group's tags (key to value)."""
        ...

    def heartbeat_timeout(self, group: str, hook: str) -> float | None:
        """The hook's heartbeat timeout in seconds; None if there is no such hook."""
        ...

    def record_heartbeat(self, action: LifecycleAction) -> None:
        """Restart the hook's timeout: the instance waits that long again."""
        ...

    def complete(self, action: LifecycleAction) -> None:
        """Let the termination continue (CONTINUE)."""
        ...
