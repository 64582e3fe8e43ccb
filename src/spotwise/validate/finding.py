"""What a check reports: a problem of one pool, where it is, and how to fix it."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.StrEnum):
    """How bad a finding is: an error will make launches fail; a warning may hurt later."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a pool.

    Attributes:
        severity: Error (the setup will fail) or warning (it works, with a risk).
        pool: The pool's ``metadata.name``.
        field: The field path in the pool, as in the file (``spec.launch.ami.id``).
        message: What is wrong, with the values involved.
        fix: What to change.
    """

    severity: Severity
    pool: str
    field: str
    message: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        """The finding as a JSON object."""
        return {
            "severity": self.severity.value,
            "pool": self.pool,
            "field": self.field,
            "message": self.message,
            "fix": self.fix,
        }


def error(pool: str, field: str, message: str, fix: str) -> Finding:
    """An error finding."""
    return Finding(Severity.ERROR, pool, field, message, fix)


def warning(pool: str, field: str, message: str, fix: str) -> Finding:
    """A warning finding."""
    return Finding(Severity.WARNING, pool, field, message, fix)


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error."""
    return any(f.severity is Severity.ERROR for f in findings)


def names(values: Iterable[str]) -> str:
    """Values as a short comma-separated list for messages."""
    return ", ".join(values)
