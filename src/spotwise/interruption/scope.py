"""Which nodes the interruption handler acts on when it did not launch them.

In ``--interruptions-only`` mode spotwise handles the notices of nodes that Auto Scaling
groups (managed node groups, kops instance groups, groups of one's own) launched, and
only of groups that carry a managed tag, as NTH does: a group is opted in by a tag, so a
shared account's other groups are left alone. NTH's own tag
(``aws-node-termination-handler/managed``) works as it is, so a kops cluster that used
NTH's addon keeps its tags. Answers are cached: an instance's group for its life, a
group's tags for five minutes (tags rarely change), and the handler asks for a whole
batch of instances at once, so a burst of notices makes a few calls, not one each.
Calls are one at a time (a lock): the intake's workers share the cache.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from spotwise.ports.autoscaling import AutoScaling
from spotwise.ports.clock import Clock

MANAGED_TAGS: tuple[str, ...] = ("spotwise.io/managed", "aws-node-termination-handler/managed")
TAGS_TTL_SECONDS = 300.0


class ManagedGroups:
    """The instances of Auto Scaling groups that carry a managed tag (any value).

    Args:
        autoscaling: Auto Scaling.
        clock: Time, for the tags' cache.
        tags: The tag keys that opt a group in.
    """

    def __init__(
        self, autoscaling: AutoScaling, clock: Clock, tags: Sequence[str] = MANAGED_TAGS
    ) -> None:
        self.autoscaling = autoscaling
        self.clock = clock
        self.tags = tuple(tags)
        self._groups: dict[str, str | None] = {}  # instance -> its group (None: none)
        self._managed: dict[str, tuple[bool, float]] = {}  # group -> (managed, read at)
        self._lock = threading.Lock()

    def managed(self, instance_ids: Iterable[str]) -> set[str]:
        """Those of ``instance_ids`` whose group carries a managed tag.

        Raises:
            CloudError: If Auto Scaling cannot be asked (the notice then comes back).
        """
        with self._lock:
            return self._managed_now(set(instance_ids))

    def _managed_now(self, ids: set[str]) -> set[str]:
        unknown = ids - self._groups.keys()
        if unknown:
            found = self.autoscaling.groups(unknown)
            for instance in unknown:
                self._groups[instance] = found.get(instance)
        groups = {g for i in ids if (g := self._groups[i]) is not None}
        now = self.clock.now()
        stale = {
            g for g in groups if now - self._managed.get(g, (False, -1e18))[1] > TAGS_TTL_SECONDS
        }
        if stale:
            tags = self.autoscaling.tags(stale)
            for group in stale:
                carried = tags.get(group, {})
                self._managed[group] = (any(t in carried for t in self.tags), now)
        return {i for i in ids if (g := self._groups[i]) is not None and self._managed[g][0]}
