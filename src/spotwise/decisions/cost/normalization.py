"""Normalization factors: how regional reserved instances flex across sizes of a family.

A regional Linux reserved instance with default tenancy covers any size of its family:
its size is worth units (large 4, xlarge 8, 2xlarge 16...), and the units cover instances
of other sizes, the smallest first. The factors are AWS's published table. Metal sizes
are left out: their factor depends on the family, so a metal reservation covers only
its own type here. So are the families AWS keeps out of size flexibility (G4ad, G4dn,
G5, G5g, Inf1): their reservations cover their own type only.
"""

from __future__ import annotations

import re

_NAMED: dict[str, float] = {
    "nano": 0.25,
    "micro": 0.5,
    "small": 1.0,
    "medium": 2.0,
    "large": 4.0,
    "xlarge": 8.0,
}
_MULTIPLE = re.compile(r"^(\d+)xlarge$")
# Families whose regional RIs are not size-flexible (AWS's documentation).
NOT_FLEXIBLE = frozenset({"g4ad", "g4dn", "g5", "g5g", "inf1"})


def size_of(instance_type: str) -> str:
    """The size part of a type's name (``2xlarge`` for ``m5.2xlarge``)."""
    return instance_type.partition(".")[2]


def factor(instance_type: str) -> float | None:
    """The type's normalization factor; None where sizes do not flex.

    That is metal and unknown sizes, and the families of `NOT_FLEXIBLE`.
    """
    if instance_type.partition(".")[0] in NOT_FLEXIBLE:
        return None
    size = size_of(instance_type)
    if size in _NAMED:
        return _NAMED[size]
    found = _MULTIPLE.match(size)
    return 8.0 * int(found.group(1)) if found else None
