"""Why nodes are disrupted voluntarily, as disruption budgets name it."""

from __future__ import annotations

import enum


class Reason(enum.StrEnum):
    """A reason a budget may name (Karpenter's words, and one of spotwise's)."""

    EMPTY = "Empty"
    UNDERUTILIZED = "Underutilized"
    DRIFTED = "Drifted"
    # spotwise's own: Karpenter expires nodes whatever its budgets say.
    EXPIRED = "Expired"
