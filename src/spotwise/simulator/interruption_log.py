"""What was done for each interrupted node, and when: the story behind every notice.

The engine tells the log what it sees (a notice, the handler's mark, pods leaving, the
drain finished, the node gone); the log keeps one story per node that got a notice, for
the trace and the report's timeline. It decides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The handler's actions that mark a node, weakest first (`Action` of the decisions).
MARKS = ("cordon", "drain")


@dataclass(slots=True)
class InterruptionStory:
    """One interrupted node, from its first notice to its end.

    Times are simulated hours; None where the step never happened (a node EC2 reclaimed
    before it was drained has no ``drained``, a rebalance-only node that stayed has no
    ``gone``).

    Attributes:
        node: The node's name.
        instance_type: Its instance type.
        kind: Its first notice: rebalance-recommendation, interruption-warning, or
            termination (the instance went with no warning seen).
        notice: When that notice was issued.
        pods: Pods on the node at the notice.
        marked: When the interruption handler first marked it (cordoned, and tainted to
            drain).
        action: The most the handler did: drain (a cordon followed by a drain counts as
            drain), or cordon; None when it did nothing (no handler, or a policy that
            ignores the notice).
        drain_started: When its first pod was evicted.
        first_ready: Whether that first pod left with its replacement capacity Ready.
        replacement_ready: Whether every pod left with its replacement capacity Ready.
        drained: When its last pod was gone.
        gone: When the node went: reclaimed by EC2, or retired by spotwise.
        reclaimed: Whether EC2 took it (rather than spotwise retiring it after the drain).
        pods_moved: Pods evicted or deleted by the drain.
        pods_lost: Pods still running when the instance went.
    """

    node: str
    instance_type: str
    kind: str
    notice: float
    pods: int
    marked: float | None = None
    action: str | None = None
    drain_started: float | None = None
    first_ready: bool | None = None
    replacement_ready: bool | None = None
    drained: float | None = None
    gone: float | None = None
    reclaimed: bool = False
    pods_moved: int = 0
    pods_lost: int = 0

    def document(self) -> dict[str, Any]:
        """The story as JSON (the trace's ``interruption`` event), times in seconds."""

        def seconds(hours: float | None) -> float | None:
            return None if hours is None else round(hours * 3600, 3)

        return {
            "node": self.node,
            "instance_type": self.instance_type,
            "notice": self.kind,
            "notice_at": seconds(self.notice),
            "pods": self.pods,
            "marked_at": seconds(self.marked),
            "action": self.action,
            "drain_started_at": seconds(self.drain_started),
            "first_replacement_ready": self.first_ready,
            "replacement_ready": self.replacement_ready,
            "drained_at": seconds(self.drained),
            "gone_at": seconds(self.gone),
            "reclaimed": self.reclaimed,
            "pods_moved": self.pods_moved,
            "pods_lost": self.pods_lost,
        }


class InterruptionLog:
    """The stories of a run's interrupted nodes, by node name."""

    def __init__(self) -> None:
        self._stories: dict[str, InterruptionStory] = {}

    def notice(self, hours: float, kind: str, node: str, instance_type: str, pods: int) -> None:
        """A notice for ``node``: the first one opens its story."""
        if node not in self._stories:
            self._stories[node] = InterruptionStory(node, instance_type, kind, hours, pods)

    def marked(self, hours: float, node: str, action: str) -> None:
        """The handler acted on the node: its first mark's time, and its strongest action."""
        story = self._stories.get(node)
        if story is None or action not in MARKS:
            return
        if story.marked is None:
            story.marked = hours
        if story.action is None or MARKS.index(action) > MARKS.index(story.action):
            story.action = action

    def moved(self, hours: float, node: str, ready: bool) -> None:
        """A pod left ``node``, with or without its replacement capacity Ready."""
        story = self._stories.get(node)
        if story is None:
            return
        if story.drain_started is None:
            story.drain_started, story.first_ready = hours, ready
        story.pods_moved += 1
        story.replacement_ready = ready and story.replacement_ready is not False

    def drained(self, hours: float, node: str) -> None:
        """The node's last pod is gone."""
        story = self._stories.get(node)
        if story is not None and story.drained is None:
            story.drained = hours

    def gone(
        self, hours: float, node: str, *, reclaimed: bool, lost: int = 0
    ) -> InterruptionStory | None:
        """The node went; its story is complete and returned (None: no notice came for it)."""
        story = self._stories.get(node)
        if story is None or story.gone is not None:
            return None
        story.gone, story.reclaimed, story.pods_lost = hours, reclaimed, lost
        return story

    def open(self) -> list[InterruptionStory]:
        """Stories whose node is still there (at the end of the run)."""
        return [s for s in self._stories.values() if s.gone is None]

    def stories(self) -> tuple[InterruptionStory, ...]:
        """Every story, in the order of the notices."""
        return tuple(sorted(self._stories.values(), key=lambda s: (s.notice, s.node)))
