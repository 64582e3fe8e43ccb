"""What consolidation did over a simulated run, and what kept the other nodes, from its trace.

The simulator traces each consolidation pass: the moves it started (``consolidation``)
and why it kept every other node (``consolidation-kept``: counts by reason, and each
blocked node with its blockers and what its move would have saved per hour). Summed over
the run, a blocker's dollars are what the nodes it held would have saved over the passes
it held them (each pass standing for its interval); a node held by two rules counts for
both.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spotwise.errors import UserError
from spotwise.simulator.trace_file import trace_events


@dataclass(frozen=True, slots=True)
class MoveTotals:
    """One kind of move over the run.

    Attributes:
        kind: ``empty``, ``delete``, ``replace``, ``expired`` or ``drifted``.
        moves: How many moves were made.
        nodes: How many nodes they took.
        saving_per_hour: What they saved per hour, summed as each was made.
    """

    kind: str
    moves: int
    nodes: int
    saving_per_hour: float


@dataclass(frozen=True, slots=True)
class BlockerTotals:
    """One blocking rule over the run.

    Attributes:
        rule: The rule (``do-not-disrupt``, ``pdb``...).
        node_passes: How many times a pass kept a node for it.
        dollars: What the moves of those nodes would have saved, over the run.
        subjects: The pods or nodes it came from most often, with their counts.
    """

    rule: str
    node_passes: int
    dollars: float
    subjects: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class DisruptionHistory:
    """Consolidation over one strategy's run.

    Attributes:
        strategy: Whose run.
        passes: How many passes kept at least one node.
        moves: The moves made, by kind.
        kept: Reason -> how many times a pass kept a node for it.
        blockers: The blocking rules, dearest first.
    """

    strategy: str
    passes: int
    moves: tuple[MoveTotals, ...]
    kept: dict[str, int]
    blockers: tuple[BlockerTotals, ...]


def disruption_history(path: Path, strategy: str) -> DisruptionHistory:
    """Read what ``strategy``'s consolidation did from the trace at ``path``.

    Raises:
        UserError: If the file cannot be read, a line is not JSON, an event is not as
            this version writes it, or the trace holds no consolidation pass of
            ``strategy``.
    """
    totals = _Totals()
    for event in trace_events(path, strategy):
        try:
            totals.add(event)
        except (KeyError, TypeError, ValueError):
            raise UserError(
                f"{path}: the {event.get('event')!r} event at t={event.get('t')}",
                "is not as this version of spotwise writes it",
                "trace the run again with this version",
            ) from None
    if not totals.passes and not totals.made:
        raise UserError(
            str(path),
            f"has no consolidation pass of strategy {strategy!r}",
            "pass --strategy with a name the trace holds, from a trace of this version",
        )
    return totals.history(strategy)


@dataclass
class _Totals:
    """What the trace's consolidation events add up to."""

    passes: int = 0
    made: Counter[str] = field(default_factory=Counter)
    taken: Counter[str] = field(default_factory=Counter)
    saved: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    kept: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    dollars: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    subjects: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, event: dict[str, Any]) -> None:
        """Count one event of the measured run (the warm-up's are left out)."""
        if float(event.get("t", 0.0)) < 0:
            return
        kind = event.get("event")
        if kind == "consolidation":
            move = str(event["kind"])
            self.made[move] += 1
            self.taken[move] += len(event["nodes"])
            self.saved[move] += float(event["saving_per_hour"])
        elif kind == "consolidation-kept":
            self.passes += 1
            self.kept.update({str(k): int(v) for k, v in event["reasons"].items()})
            hours = float(event["interval_seconds"]) / 3600
            for node in event["blocked"]:
                rules: dict[str, list[str]] = defaultdict(list)
                for rule, subject in node["blockers"]:
                    rules[str(rule)].append(str(subject))
                for rule, named in rules.items():
                    self.held[rule] += 1
                    self.dollars[rule] += float(node["cost_per_hour"]) * hours
                    self.subjects[rule].update(named)

    def history(self, strategy: str) -> DisruptionHistory:
        """The totals, dearest first."""
        saved, dollars, held = self.saved, self.dollars, self.held
        return DisruptionHistory(
            strategy,
            self.passes,
            tuple(
                MoveTotals(k, self.made[k], self.taken[k], saved[k])
                for k in sorted(self.made, key=lambda k: (-saved[k], k))
            ),
            dict(self.kept.most_common()),
            tuple(
                BlockerTotals(
                    rule, held[rule], dollars[rule], tuple(self.subjects[rule].most_common(3))
                )
                for rule in sorted(held, key=lambda r: (-dollars[r], -held[r], r))
            ),
        )
