"""What a node pool does on an EC2 rebalance recommendation."""

from __future__ import annotations

import enum


class RebalancePolicy(enum.StrEnum):
    """A pool's response to a rebalance recommendation (elevated risk, no deadline yet).

    ``replace`` launches replacement capacity from other pools and drains the node once
    it is Ready; ``cordon`` only cordons it; ``ignore`` does nothing.
    """

    IGNORE = "ignore"
    CORDON = "cordon"
    REPLACE = "replace"
