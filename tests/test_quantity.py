from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotwise.model.quantity import (
    QuantityError,
    parse_bytes,
    parse_count,
    parse_cpu_millicores,
    parse_quantity,
)
from spotwise.model.resources import Resources


@pytest.mark.parametrize(
    ("text", "millicores"),
    [
        ("250m", 250),
        ("1.5", 1500),
        ("2", 2000),
        (2, 2000),
        ("0.1", 100),
        ("100u", 1),
        ("1e3", 10**6),
        ("0.0001", 1),
        (".5", 500),
        ("1k", 10**6),
        (0.25, 250),
    ],
)
def test_cpu_to_millicores(text, millicores):
    assert parse_cpu_millicores(text) == millicores


@pytest.mark.parametrize(
    ("text", "nbytes"),
    [
        ("512Mi", 512 * 2**20),
        ("1Gi", 2**30),
        ("1G", 10**9),
        ("1e9", 10**9),
        ("100k", 100_000),
        ("1.5Gi", 1610612736),
        ("128974848", 128974848),
        ("129e6", 129_000_000),
        ("123Mi", 128974848),
        ("1Ki", 1024),
        ("0.5", 1),
        ("1E3", 1000),
        ("+1Ki", 1024),
    ],
)
def test_memory_to_bytes(text, nbytes):
    assert parse_bytes(text) == nbytes


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "1.2.3", "Mi", "12 Mi", "1mi", "1KiB", "1e", "--1", "1Gb", "0x10", "1,5", True],
)
def test_garbage_is_rejected_with_a_clear_error(garbage):
    with pytest.raises(QuantityError, match="not a"):
        parse_quantity(garbage)


def test_negative_resources_are_rejected():
    with pytest.raises(QuantityError, match="negative"):
        parse_cpu_millicores("-1")
    with pytest.raises(QuantityError, match="negative"):
        parse_bytes("-1Gi")


def test_counts_must_be_whole():
    assert parse_count("4") == 4
    with pytest.raises(QuantityError, match="whole"):
        parse_count("1.5")


SUFFIXES = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "": 1,
}


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(SUFFIXES)))
def test_integer_with_suffix_is_exact(number, suffix):
    assert parse_bytes(f"{number}{suffix}") == number * SUFFIXES[suffix]


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=999))
def test_decimal_cpu_is_exact_and_rounds_up(whole, thousandths):
    text = f"{whole}.{thousandths:03d}5"
    # One more digit than millicores hold: always rounds up, like resource.Quantity.MilliValue.
    assert parse_cpu_millicores(text) == whole * 1000 + thousandths + 1
    assert parse_quantity(text) == Fraction(text)


def test_resources_parse_and_add():
    a = Resources.parse(
        {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": "1", "ephemeral-storage": "1Gi"}
    )
    b = Resources.parse({"cpu": 1, "memory": "512Mi", "nvidia.com/gpu": 2})
    total = a + b
    assert (total.cpu_milli, total.memory_bytes, total.get("nvidia.com/gpu")) == (
        1500,
        1536 * 2**20,
        3,
    )
    assert a.fits_in(total) and not total.fits_in(a)
    assert hash(total) == hash(a + b)


def test_huge_exponents_are_refused_quickly():
    with pytest.raises(QuantityError, match="exponent"):
        parse_quantity("1e99999999")
    assert parse_bytes("1e30") == 10**30
