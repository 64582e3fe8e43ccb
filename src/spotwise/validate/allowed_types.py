"""The instance types a cluster allows: a list of names, or a regular expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spotwise.errors import UserError

_FLAG = "--allowed-types"
# A type name holds only these; anything else means the value is a regular expression.
_NAME = re.compile(r"^[a-z0-9.\-]+$")


@dataclass(frozen=True, slots=True)
class AllowedTypes:
    """Which instance types a cluster's pools may use.

    Exactly one of ``names`` and ``pattern`` is set.

    Attributes:
        names: The allowed type names, when given as a list.
        pattern: A regular expression a type's whole name must match, when given as one.
    """

    names: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None

    def allows(self, instance_type: str) -> bool:
        """Whether ``instance_type`` is allowed."""
        if self.pattern is not None:
            return self.pattern.fullmatch(instance_type) is not None
        return instance_type in self.names

    def describe(self) -> str:
        """The allowed set as a user wrote it, for messages."""
        if self.pattern is not None:
            return f"/{self.pattern.pattern}/"
        return ", ".join(sorted(self.names))


def parse_allowed_types(text: str) -> AllowedTypes:
    r"""Read ``--allowed-types``: ``m6i.large,m5.large``, or a regex such as ``(m|c)6i\..*``.

    A value made only of type names and commas is a list; any other value
    is a regular expression matched against the whole type name.

    Raises:
        UserError: If the value is empty or not a valid regular expression.
    """
    value = text.strip()
    if not value:
        raise UserError(_FLAG, "is empty", "give type names (m6i.large,m5.large) or a regex")
    parts = [part.strip() for part in value.split(",")]
    if all(_NAME.match(part) for part in parts):
        return AllowedTypes(names=frozenset(parts))
    try:
        return AllowedTypes(pattern=re.compile(value))
    except re.error as problem:
        raise UserError(
            _FLAG,
            f"{value!r} is neither a comma-separated list of type names nor a valid regular"
            f" expression ({problem})",
            "write m6i.large,m5.large or a regex such as 'm6i\\..*'",
        ) from None
