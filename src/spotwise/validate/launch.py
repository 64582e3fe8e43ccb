"""Whether a pool can be launched at all: it needs ``spec.launch``."""

from __future__ import annotations

from spotwise.config.nodepool import NodePool
from spotwise.validate.finding import Finding, warning


def check_launch_given(pool: NodePool) -> list[Finding]:
    """A pool without ``spec.launch`` plans but never launches: a warning, not an error.

    ``spotwise plan`` needs no launch settings, so such a pool is valid; the controller
    cannot launch its nodes, and none of the launch checks apply to it.
    """
    if pool.spec.launch is not None:
        return []
    return [
        warning(
            pool.name,
            "spec.launch",
            "is missing: spotwise can plan this pool but the controller cannot launch its nodes",
            "add spec.launch with ami and instanceProfile (see docs/nodepool.md)",
        )
    ]
