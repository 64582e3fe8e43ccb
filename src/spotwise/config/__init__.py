"""Configuration files spotwise reads: validated at the edge, then plain values inside."""

from spotwise.config.nodepool import (
    NodePool,
    NodePoolSpec,
    dump_nodepool,
    load_nodepools,
)

__all__ = ["NodePool", "NodePoolSpec", "dump_nodepool", "load_nodepools"]
