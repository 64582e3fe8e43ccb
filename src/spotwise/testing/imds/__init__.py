"""An instance metadata (IMDSv2) test server that serves spot and maintenance events.

Run it with ``python -m spotwise.testing.imds --port PORT``, or in a test with
:class:`ImdsServer`. See docs/testing.md for what it serves and how to control it.
"""

from spotwise.testing.imds.events import (
    EVENT_PATHS,
    iso_time,
    maintenance_time,
    rebalance,
    scheduled_event,
    spot_action,
)
from spotwise.testing.imds.server import ImdsServer
from spotwise.testing.imds.state import ImdsState, LoggedRequest

__all__ = [
    "EVENT_PATHS",
    "ImdsServer",
    "ImdsState",
    "LoggedRequest",
    "iso_time",
    "maintenance_time",
    "rebalance",
    "scheduled_event",
    "spot_action",
]
