"""NodePools from custom resources (``nodepools.spotwise.io``, the CRD in deploy/crd/).

The controller reads them through an informer, so that editing a NodePool with kubectl
reaches the next provisioning round. A NodePool that breaks the schema is left out with
one line naming it, the field and the fix; the others keep working, and a pool is never
launched from a document that did not validate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kubernetes import client
from pydantic import ValidationError

from spotwise.config.nodepool import NodePool, first_error, parse_nodepool
from spotwise.kubernetes.api.informer import Informer, Kind

NODEPOOLS = Kind("spotwise.io/v1alpha1", "nodepools", "NodePool", False)
# What the API server adds to every object and the NodePool schema does not know.
_SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NodePoolsRead:
    """The NodePools as read at one version of the cache.

    Attributes:
        version: The cache's version: a new one means something changed.
        nodepools: The valid NodePools, by name.
        errors: One line per NodePool left out.
    """

    version: int
    nodepools: tuple[NodePool, ...]
    errors: tuple[str, ...]


def parse_custom_resources(
    objects: Sequence[dict[str, object]],
) -> tuple[list[NodePool], list[str]]:
    """The valid NodePools of some custom resources, and one error line per invalid one."""
    pools: list[NodePool] = []
    errors: list[str] = []
    for obj in sorted(objects, key=_name):
        document = {k: v for k, v in obj.items() if k != "status"}
        metadata = document.get("metadata")
        if isinstance(metadata, dict):
            document["metadata"] = {k: v for k, v in metadata.items() if k not in _SERVER_FIELDS}
        try:
            pools.append(parse_nodepool(document))
        except ValidationError as error:
            field, problem, fix = first_error(error)
            errors.append(f"NodePool {_name(obj)}: {field}: {problem}; {fix}".rstrip("; "))
    return pools, errors


class NodePoolSource:
    """The cluster's NodePool custom resources, watched.

    Args:
        api: A client from `spotwise.kubernetes.api.client.connect`.
        check: Extra checks of a parsed pool (the catalog's); returns an error line or None.
    """

    def __init__(
        self, api: client.ApiClient, check: Callable[[NodePool], str | None] | None = None
    ) -> None:
        self.informer = Informer(api, NODEPOOLS)
        self.check = check
        self._seen = -1

    def start(self) -> NodePoolSource:
        """Start listing and watching."""
        self.informer.start()
        return self

    def wait_synced(self, timeout: float) -> bool:
        """Wait for the first list; False on timeout (the CRD not installed, say)."""
        return self.informer.wait_synced(timeout)

    def stop(self) -> None:
        """Stop watching."""
        self.informer.stop()

    def read(self) -> NodePoolsRead:
        """The NodePools now, with the errors of those left out."""
        version = self.informer.version
        pools, errors = parse_custom_resources(self.informer.items())
        kept = []
        for pool in pools:
            problem = self.check(pool) if self.check is not None else None
            if problem is None:
                kept.append(pool)
            else:
                errors.append(problem)
        return NodePoolsRead(version, tuple(kept), tuple(errors))

    def changed(self) -> NodePoolsRead | None:
        """The NodePools if they changed since the last call (the first call: always)."""
        if self.informer.version == self._seen:
            return None
        found = self.read()
        self._seen = found.version
        for error in found.errors:
            log.error("%s (the pool is left out)", error)
        return found


def _name(obj: dict[str, object]) -> str:
    metadata = obj.get("metadata")
    return str(metadata.get("name", "")) if isinstance(metadata, dict) else ""
