"""Parsing of command-line values into criteria, with one-line errors naming the flag."""

from __future__ import annotations

import re
from fractions import Fraction

from spotwise.errors import UserError
from spotwise.model.quantity import QuantityError, parse_quantity
from spotwise.selector.criteria import Range

_PLAIN_NUMBER = re.compile(r"^\s*\d+(\.\d+)?\s*$")
# instance-selector's byte units (gb means GiB there) next to Kubernetes quantities.
_HUMAN_UNITS = {"b": Fraction(1, 2**20), "kb": Fraction(1, 1024), "kib": Fraction(1, 1024)}
_HUMAN_UNITS |= {"mb": Fraction(1), "mib": Fraction(1), "gb": Fraction(1024)}
_HUMAN_UNITS |= {"gib": Fraction(1024), "tb": Fraction(1024**2), "tib": Fraction(1024**2)}
_HUMAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]+)\s*$")


def memory_mib(flag: str, text: str) -> float:
    """A memory size in MiB. A plain number is GiB, as in amazon-ec2-instance-selector.

    Accepts ``8`` (GiB), ``8gb``/``8GiB`` (GiB), ``512mb``, and Kubernetes quantities
    (``512Mi``, ``1.5Gi``, ``8G``).

    Raises:
        UserError: Naming ``flag`` when the text is not a size.
    """
    if _PLAIN_NUMBER.match(text):
        return float(Fraction(text.strip()) * 1024)
    human = _HUMAN.match(text)
    if human and human[2].lower() in _HUMAN_UNITS:
        return float(Fraction(human[1]) * _HUMAN_UNITS[human[2].lower()])
    try:
        value = parse_quantity(text)
    except QuantityError:
        raise UserError(
            flag, f"{text!r} is not a memory size", "write it as 8 (GiB), 8GiB, 512Mi or 1.5Gi"
        ) from None
    if value < 0:
        raise UserError(flag, f"{text!r} is negative", "give a size of zero or more")
    return float(value / 2**20)


def number_range(
    flag: str,
    exact: float | None,
    low: float | None,
    high: float | None,
) -> Range | None:
    """The range of ``--X``, ``--X-min`` and ``--X-max``; None when none is given.

    Raises:
        UserError: If ``--X`` is combined with a bound, or the minimum exceeds the maximum.
    """
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
    for name, bound in ((f"--{flag}-min", low), (f"--{flag}-max", high)):
        if bound is not None and bound < 0:
            raise UserError(name, f"{bound:g} is negative", "give zero or more")
    return Range(low, high)


def ratio(flag: str, text: str) -> float:
    """GiB per vCPU from a ratio ``a:b`` (vCPUs : GiB), as ``1:4`` -> 4.0.

    Raises:
        UserError: If the text is not two positive numbers separated by a colon.
    """
    parts = text.split(":")
    try:
        vcpus, memory = (Fraction(p.strip()) for p in parts)
    except ValueError:
        raise UserError(
            flag, f"{text!r} is not a ratio", "write it as vCPUs:GiB, e.g. 1:4"
        ) from None
    if vcpus <= 0 or memory <= 0:
        raise UserError(flag, f"{text!r} has a part that is not positive", "e.g. 1:4")
    return float(memory / vcpus)


def regex(flag: str, text: str) -> re.Pattern[str]:
    """A compiled regular expression.

    Raises:
        UserError: If the expression does not compile.
    """
    try:
        return re.compile(text)
    except re.error as err:
        raise UserError(
            flag, f"{text!r} is not a valid regular expression ({err})", "e.g. '^m[5-7]'"
        ) from None
