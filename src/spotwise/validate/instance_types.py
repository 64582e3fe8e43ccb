"""Checks of a pool's instance types against the cluster's allowed set and the catalog."""

from __future__ import annotations

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.validate.allowed_types import AllowedTypes
from spotwise.validate.finding import Finding, error

_FIELD = "spec.instanceTypes"


def check_allowed_types(pool: NodePool, allowed: AllowedTypes) -> list[Finding]:
    """Every type of the pool must be in the cluster's allowed set.

    A pool without ``instanceTypes`` may launch any type, so it is not a subset either.
    """
    types = pool.spec.instance_types
    if not types:
        return [
            error(
                pool.name,
                _FIELD,
                f"is empty, so the pool may launch any type, not only the allowed"
                f" {allowed.describe()}",
                "list the pool's types from the allowed set",
            )
        ]
    return [
        error(
            pool.name,
            f"{_FIELD}[{index}]",
            f"{name} is not allowed in this cluster (allowed: {allowed.describe()})",
            "drop it, or pick an allowed type of similar size",
        )
        for index, name in enumerate(types)
        if not allowed.allows(name)
    ]


def check_known_types(pool: NodePool, catalog: Catalog) -> list[Finding]:
    """Every type of the pool must exist in the catalog's region.

    A misspelt or retired type is never launched; with only such types the pool
    launches nothing.
    """
    return [
        error(
            pool.name,
            f"{_FIELD}[{index}]",
            f"{name} is not an instance type offered in {catalog.region}",
            "check the spelling (such as m6i.large) or drop it; 'spotwise select' lists"
            " the region's types",
        )
        for index, name in enumerate(pool.spec.instance_types)
        if name not in catalog.instance_types
    ]
