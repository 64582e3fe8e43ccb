"""Kubernetes resource quantities, parsed exactly.

The grammar is the one of k8s.io/apimachinery `resource.Quantity`: a signed decimal
number followed by a binary suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal suffix
(n, u, m, k, M, G, T, P, E) or a decimal exponent (e3, E-2). Arithmetic uses
`fractions.Fraction`, so `0.1` stays a tenth and `1.5Gi` is exactly 1610612736 bytes.
Like Kubernetes, a value that is not a whole number of the target unit rounds up.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))"
    r"(?:(?P<binary>Ki|Mi|Gi|Ti|Pi|Ei)|[eE](?P<exp>[+-]?\d+)|(?P<decimal>[numkMGTPE]?))$"
)


MAX_EXPONENT = 30


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity, or a negative one."""


def parse_quantity(text: str | int | float) -> Fraction:
    """Parse a Kubernetes quantity into an exact fraction of its base unit.

    Args:
        text: A quantity such as ``"250m"``, ``"1.5"``, ``"512Mi"``, ``"1e9"``. Integers
            are accepted as they are; floats only when they come from YAML numbers.

    Returns:
        The exact value in base units (cores for CPU, bytes for memory).

    Raises:
        QuantityError: If the text does not follow the quantity grammar.
    """
    if isinstance(text, bool):
        raise QuantityError(f"{text!r} is not a quantity")
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, float):
        if not math.isfinite(text):
            raise QuantityError(f"{text!r} is not a quantity")
        return Fraction(repr(text))
    match = _QUANTITY.match(text.strip())
    if match is None:
        raise QuantityError(
            f"{text!r} is not a Kubernetes quantity (examples: 250m, 1.5, 2, 512Mi, 1Gi, 1G, 1e9)"
        )
    number = Fraction(match["number"])
    if match["binary"]:
        return number * _BINARY[match["binary"]]
    if match["exp"] is not None:
        exponent = int(match["exp"])
        # Exact powers of ten this large would take minutes and mean nothing for a resource.
        if abs(exponent) > MAX_EXPONENT:
            raise QuantityError(f"{text!r} has an exponent beyond ±{MAX_EXPONENT}")
        return number * Fraction(10) ** exponent
    return number * _DECIMAL[match["decimal"] or ""]


def _non_negative(value: Fraction, text: str | int | float) -> Fraction:
    if value < 0:
        raise QuantityError(f"{text!r} is negative; resource quantities must be zero or more")
    return value


def parse_cpu_millicores(text: str | int | float) -> int:
    """Parse a CPU quantity into millicores, rounding up as Kubernetes does.

    Args:
        text: A CPU quantity such as ``"250m"``, ``"1.5"`` or ``2``.

    Returns:
        The number of millicores (``"250m"`` -> 250, ``"1.5"`` -> 1500).

    Raises:
        QuantityError: If the text is not a quantity or is negative.
    """
    value = _non_negative(parse_quantity(text), text)
    return math.ceil(value * 1000)


def parse_bytes(text: str | int | float) -> int:
    """Parse a memory or storage quantity into bytes, rounding up as Kubernetes does.

    Args:
        text: A quantity such as ``"512Mi"``, ``"1G"`` or ``"1e9"``.

    Returns:
        The number of bytes.

    Raises:
        QuantityError: If the text is not a quantity or is negative.
    """
    value = _non_negative(parse_quantity(text), text)
    return math.ceil(value)


def parse_count(text: str | int | float) -> int:
    """Parse a countable quantity (GPUs, pods, extended resources) into a whole number.

    Raises:
        QuantityError: If the text is not a quantity, is negative or is not whole.
    """
    value = _non_negative(parse_quantity(text), text)
    if value.denominator != 1:
        raise QuantityError(f"{text!r} is not a whole number")
    return int(value)


GIB = 2**30
MIB = 2**20


def format_bytes(value: int) -> str:
    """Format bytes the way people read instance memory: ``8 GiB``, ``512 MiB``."""
    if value % GIB == 0:
        return f"{value // GIB} GiB"
    if value >= GIB:
        return f"{value / GIB:.3g} GiB"
    return f"{value / MIB:.4g} MiB"
