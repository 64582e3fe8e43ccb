"""Parsing of command-line values into criteria, with one-line errors naming the flag."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction

from spotwise.decisions.selector.criteria import Range
from spotwise.errors import UserError
from spotwise.model.quantity import QuantityError, parse_quantity

_PLAIN_NUMBER = re.compile(r"^\s*\d+(\.\d+)?\s*$")
# instance-selector's byte units (gb means GiB there) next to Kubernetes quantities.
_HUMAN_UNITS = {"b": Fraction(1, 2**20), "kb": Fraction(1, 1024), "kib": Fraction(1, 1024)}
_HUMAN_UNITS |= {"mb": Fraction(1), "mib": Fraction(1), "gb": Fraction(1024)}
_HUMAN_UNITS |= {"gib": Fraction(1024), "tb": Fraction(1024**2), "tib": Fraction(1024**2)}
_HUMAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$")
# No instance has 1e30 bytes; a larger exponent is a typo, and an exact power of ten of
# millions of digits would take the parser minutes.
_EXPONENT = re.compile(r"[eE][+-]?(\d+)\s*$")
_MAX_EXPONENT = 30
_MAX_DIGITS = 100
_SIZE_FIX = "write it as 8 (GiB), 8GiB, 512Mi or 1.5Gi"


def _too_long(text: str) -> bool:
    """Whether a number has more digits, or a larger exponent, than any real size could."""
    exponent = _EXPONENT.search(text)
    return len(text) > _MAX_DIGITS or (exponent is not None and int(exponent[1]) > _MAX_EXPONENT)


def _finite(flag: str, text: str, value: Fraction) -> float:
    try:
        result = float(value)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        raise UserError(flag, f"{text!r} is too large", _SIZE_FIX)
    return result


def memory_mib(flag: str, text: str) -> float:
    """A memory size in MiB. A plain number is GiB, as in amazon-ec2-instance-selector.

    Accepts ``8`` (GiB), ``8gb``/``8GiB`` (GiB), ``512mb``, and Kubernetes quantities
    (``512Mi``, ``1.5Gi``, ``8G``).

    Raises:
        UserError: Naming ``flag`` when the text is not a size, is negative or too large.
    """
    if _too_long(text):
        raise UserError(flag, f"{text!r} is out of range", _SIZE_FIX)
    if _PLAIN_NUMBER.match(text):
        return _finite(flag, text, Fraction(text.strip()) * 1024)
    human = _HUMAN.match(text)
    if human and human[2].lower() in _HUMAN_UNITS:
        return _finite(flag, text, Fraction(human[1]) * _HUMAN_UNITS[human[2].lower()])
    try:
        value = parse_quantity(text)
    except QuantityError:
        raise UserError(flag, f"{text!r} is not a memory size", _SIZE_FIX) from None
    if value < 0:
        raise UserError(flag, f"{text!r} is negative", "give a size of zero or more")
    return _finite(flag, text, value / 2**20)


def number_range(
    flag: str,
    exact: float | None,
    low: float | None,
    high: float | None,
) -> Range | None:
    """The range of ``--X``, ``--X-min`` and ``--X-max``; None when none is given.

    Raises:
        UserError: If ``--X`` is combined with a bound, a value is negative or not a
            finite number (``nan``, ``inf``), or the minimum exceeds the maximum.
    """
    given = ((f"--{flag}", exact), (f"--{flag}-min", low), (f"--{flag}-max", high))
    for name, value in given:
        if value is None:
            continue
        if not math.isfinite(value):
            raise UserError(name, f"{value} is not a number", "give a finite number, e.g. 4")
        if value < 0:
            raise UserError(name, f"{value:g} is negative", "give zero or more")
    if exact is not None:
        if low is not None or high is not None:
            raise UserError(
                f"--{flag}",
                f"cannot be combined with --{flag}-min/--{flag}-max",
                f"use --{flag} N for exactly N, or the bounds for a range",
            )
        return Range.exactly(exact)
    if low is None and high is None:
        return None
    if low is not None and high is not None and low > high:
        raise UserError(
            f"--{flag}-min",
            f"{low:g} is greater than --{flag}-max {high:g}",
            "swap the bounds or widen the range",
        )
    return Range(low, high)


def ratio(flag: str, text: str) -> float:
    """Whole GiB per vCPU from a ratio ``a:b`` (vCPUs : GiB), as ``1:4`` -> 4.0.

    The filter compares with a type's GiB per vCPU rounded up (instance-selector's
    rule), which is always a whole number; a ratio that is not (``2:1``, ``1:1.5``)
    could never match, so it is refused rather than silently matching nothing.

    Raises:
        UserError: If the text is not two positive numbers separated by a colon, or
            their quotient is not a whole number.
    """
    parts = text.split(":")
    if any(_too_long(p) for p in parts):
        raise UserError(flag, f"{text!r} is out of range", "e.g. 1:4")
    try:
        vcpus, memory = (Fraction(p.strip()) for p in parts)
        value = memory / vcpus
    except (ValueError, ZeroDivisionError):
        raise UserError(
            flag, f"{text!r} is not a ratio", "write it as vCPUs:GiB, e.g. 1:4"
        ) from None
    if vcpus <= 0 or memory <= 0:
        raise UserError(flag, f"{text!r} has a part that is not positive", "e.g. 1:4")
    if value.denominator != 1:
        raise UserError(
            flag,
            f"{text!r} is {float(value):g} GiB per vCPU, but types are compared on their "
            "GiB per vCPU rounded up to a whole number, so it can never match",
            "give a whole number of GiB per vCPU, e.g. 1:1, 1:2 or 1:4",
        )
    if value > 2**20:
        raise UserError(flag, f"{text!r} is out of range", "e.g. 1:4")
    return float(value)


def choice(
    flag: str, text: str, values: Sequence[str], aliases: Mapping[str, str] | None = None
) -> str:
    """One of ``values``, ignoring case; an alias stands for the value it maps to.

    Raises:
        UserError: Listing the values (and aliases) when the text is none of them.
    """
    key = text.strip().lower()
    key = (aliases or {}).get(key, key)
    if key not in values:
        also = f" ({', '.join(f'{a} = {v}' for a, v in (aliases or {}).items())})"
        raise UserError(
            flag,
            f"{text!r} is not one of {', '.join(values)}",
            f"use one of {', '.join(values)}{also if aliases else ''}",
        )
    return key


def text(flag: str, value: str) -> str:
    """A non-blank string value, stripped.

    Raises:
        UserError: If the value is empty or blank.
    """
    if not value.strip():
        raise UserError(flag, "is empty", "give a value, or leave the flag out")
    return value.strip()


def regex(flag: str, pattern: str) -> re.Pattern[str]:
    """A compiled regular expression.

    Raises:
        UserError: If the expression does not compile.
    """
    try:
        return re.compile(pattern)
    except re.error as err:
        raise UserError(
            flag, f"{pattern!r} is not a valid regular expression ({err})", "e.g. '^m[5-7]'"
        ) from None
