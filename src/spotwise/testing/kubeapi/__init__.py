"""A Kubernetes API test server that real clients (the official client, kubectl) accept.

Run it with ``python -m spotwise.testing.kubeapi --port PORT --kubeconfig FILE``, or in a
test with :class:`KubeApiServer`. See docs/testing.md for what it serves.
"""

from spotwise.testing.kubeapi.server import KubeApiServer
from spotwise.testing.kubeapi.store import ApiError, Store

__all__ = ["ApiError", "KubeApiServer", "Store"]
