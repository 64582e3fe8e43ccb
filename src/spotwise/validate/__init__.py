"""Preflight validation of NodePools: the failures spot users hit, caught before a launch.

Checks are pure functions over a pool, the catalog and, for the online ones, facts
gathered from AWS by `gather_facts`; each returns `Finding` values with a fix.
"""

from spotwise.validate.allowed_types import AllowedTypes, parse_allowed_types
from spotwise.validate.facts import PoolFacts
from spotwise.validate.finding import Finding, Severity, has_errors
from spotwise.validate.gather import VALIDATE_CALLS, AwsFacts, gather_facts
from spotwise.validate.run import offline_findings, online_findings, validate

__all__ = [
    "VALIDATE_CALLS",
    "AllowedTypes",
    "AwsFacts",
    "Finding",
    "PoolFacts",
    "Severity",
    "gather_facts",
    "has_errors",
    "offline_findings",
    "online_findings",
    "parse_allowed_types",
    "validate",
]
