"""Each filter of `spotwise select`, against the bundled us-east-1 catalog.

Every test checks both sides: what a filter keeps satisfies it, and what it drops
does not (the filtered set equals the types of the region that satisfy it).
"""

import math
import re

import pytest

from spotwise.catalog.bundled import load_bundled
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.selector import aggregates
from spotwise.selector.criteria import Criteria, Range
from spotwise.selector.select import select
from spotwise.selector.sorting import SortKey, sort_candidates


@pytest.fixture(scope="module")
def catalog():
    return load_bundled()


def names(catalog, **criteria):
    return {c.name for c in select(catalog, Criteria(**criteria))}


def types_where(catalog, predicate):
    return {t.name for t in catalog.instance_types.values() if predicate(t)}


def test_no_filter_keeps_every_type(catalog):
    assert names(catalog) == set(catalog.instance_types)


def test_vcpus_exact_and_range(catalog):
    assert names(catalog, vcpus=Range.exactly(2)) == types_where(catalog, lambda t: t.vcpus == 2)
    kept = names(catalog, vcpus=Range(4, 8))
    assert kept == types_where(catalog, lambda t: 4 <= t.vcpus <= 8)
    assert {"m5.xlarge", "m5.2xlarge"} <= kept and "m5.large" not in kept


def test_memory_range_in_mib(catalog):
    kept = names(catalog, memory_mib=Range(16 * 1024, 32 * 1024))
    assert "m5.xlarge" in kept and "m5.large" not in kept and "m5.4xlarge" not in kept
    assert kept == types_where(catalog, lambda t: 16384 <= t.memory_mib <= 32768)


def test_gpus_and_gpu_memory(catalog):
    kept = names(catalog, gpus=Range(4, 4), gpu_memory_total_mib=Range(64 * 1024, None))
    assert "g4dn.12xlarge" in kept
    assert all(
        catalog.instance_types[n].gpu_count == 4
        and catalog.instance_types[n].gpu_memory_total_mib >= 65536
        for n in kept
    )
    no_gpu = names(catalog, gpus=Range.exactly(0))
    assert "m5.large" in no_gpu and "g4dn.xlarge" not in no_gpu


def test_gpu_manufacturer_and_model_ignore_case(catalog):
    t4 = names(catalog, gpu_model="t4")
    assert t4 == types_where(catalog, lambda t: any(g.model == "T4" for g in t.gpus))
    assert "g4dn.xlarge" in t4
    nvidia = names(catalog, gpu_manufacturer="nvidia")
    assert t4 <= nvidia and "m5.large" not in nvidia


def test_network_performance_uses_peak_gbps(catalog):
    kept = names(catalog, network_gbps=Range(100, None))
    assert kept == types_where(
        catalog, lambda t: t.network_gbps is not None and t.network_gbps >= 100
    )
    assert "c5n.18xlarge" in kept and "m5.large" not in kept


def test_price_per_hour_uses_spot_price_with_spot_usage_class(catalog):
    on_demand = list(select(catalog, Criteria(price_per_hour=Range(None, 0.05))))
    assert on_demand and all(c.on_demand_price <= 0.05 for c in on_demand)
    spot = list(
        select(catalog, Criteria(price_per_hour=Range(None, 0.05), usage_class=CapacityType.SPOT))
    )
    assert all(c.spot_price <= 0.05 for c in spot)
    # Spot is cheaper, so the spot reading of the same ceiling admits more (and larger) types.
    assert len(spot) > len(on_demand)
    assert any(c.on_demand_price > 0.05 for c in spot)


def test_generation(catalog):
    kept = names(catalog, generation=Range(7, 7))
    assert "c7i.xlarge" in kept and "m7g.large" in kept and "c6i.large" not in kept


def test_vcpus_to_memory_ratio_rounds_gib_per_vcpu_up(catalog):
    kept = names(catalog, vcpus_to_memory_ratio=4.0)
    assert {"m5.large", "m6i.xlarge"} <= kept and "c5.large" not in kept
    assert kept == types_where(catalog, lambda t: math.ceil(t.memory_mib / (t.vcpus * 1024)) == 4)
    # t3.small: 2 GiB / 2 vCPUs = 1:1; c5.large: 4 GiB / 2 = 1:2
    assert "c5.large" in names(catalog, vcpus_to_memory_ratio=2.0)


def test_architecture_and_usage_class(catalog):
    arm = names(catalog, architecture=Architecture.ARM64)
    assert "m7g.large" in arm and "m5.large" not in arm
    spot = names(catalog, usage_class=CapacityType.SPOT)
    assert all(catalog.offerings_of(n, CapacityType.SPOT) for n in spot)
    assert spot < set(catalog.instance_types)


def test_burst_current_generation_and_metal(catalog):
    assert names(catalog, burstable=True) == types_where(catalog, lambda t: t.burstable)
    assert "t3.micro" in names(catalog, burstable=True)
    current = names(catalog, current_generation=True)
    assert current == types_where(catalog, lambda t: t.current_generation)
    assert "m1.small" not in current
    assert "m5.metal" not in names(catalog, bare_metal=False)


def test_allow_and_deny_lists_search_the_name(catalog):
    kept = names(catalog, allow=re.compile(r"^m[67]i\."), deny=re.compile(r"metal"))
    assert "m6i.large" in kept and "m7i.large" in kept
    assert not any("metal" in n or not re.match(r"m[67]i\.", n) for n in kept)


def test_availability_zones_must_all_offer_the_type(catalog):
    both = names(catalog, zones=("us-east-1a", "us-east-1e"))
    only_a = names(catalog, zones=("us-east-1a",))
    assert both < only_a
    for name in both:
        assert {"us-east-1a", "us-east-1e"} <= set(catalog.economics[name].zones)
    row = next(select(catalog, Criteria(zones=("us-east-1a",), allow=re.compile("^m6i.large$"))))
    assert set(row.spot_price_by_zone) == {"us-east-1a"}


def test_max_interruption_keeps_buckets_at_or_under(catalog):
    calm = list(select(catalog, Criteria(max_interruption=10)))
    assert calm and {c.interruption.label for c in calm} == {"<5%", "5-10%"}
    calmest = {c.name for c in select(catalog, Criteria(max_interruption=5))}
    assert {c.interruption.label for c in select(catalog, Criteria(max_interruption=5))} == {"<5%"}
    assert calmest < {c.name for c in calm}
    # 7% cannot admit the 5-10% bucket: some of its pools may lose more than 7%.
    assert {c.name for c in select(catalog, Criteria(max_interruption=7))} == calmest


def test_base_instance_type_finds_similar_types(catalog):
    base = catalog.instance_type("m5.xlarge")  # 4 vCPUs, 16 GiB
    kept = {c.name for c in select(catalog, aggregates.like_base_type(Criteria(), base))}
    assert {"m5.xlarge", "m6i.xlarge", "m5a.xlarge"} <= kept
    for name in kept:
        t = catalog.instance_types[name]
        assert 3 <= t.vcpus <= 4 and 14745 <= t.memory_mib <= 19660
        assert t.architecture is Architecture.X86_64 and t.gpu_count == 0
    assert "m7g.xlarge" not in kept  # arm64


def test_explicit_filters_win_over_the_base_type(catalog):
    base = catalog.instance_type("m5.xlarge")
    criteria = aggregates.like_base_type(Criteria(architecture=Architecture.ARM64), base)
    assert "m7g.xlarge" in {c.name for c in select(catalog, criteria)}


def test_flexible_is_a_general_purpose_4_vcpu_set(catalog):
    kept = {c.name for c in select(catalog, aggregates.flexible(Criteria()))}
    assert {"m5.xlarge", "c5.xlarge", "r5.xlarge"} <= kept
    assert all(catalog.instance_types[n].vcpus == 4 for n in kept)
    assert not any(n.startswith(("g", "p", "i")) for n in kept)


def test_sort_by_spot_price_puts_unknown_prices_last(catalog):
    rows = sort_candidates(select(catalog, Criteria(vcpus=Range.exactly(2))), SortKey.SPOT_PRICE)
    prices = [c.spot_price for c in rows]
    known = [p for p in prices if p is not None]
    assert known == sorted(known)
    assert prices[: len(known)] == known


def test_sort_descending_by_savings_and_by_interruption(catalog):
    rows = sort_candidates(
        select(catalog, Criteria(vcpus=Range.exactly(4))), SortKey.SAVINGS, descending=True
    )
    savings = [c.savings_percent for c in rows if c.savings_percent is not None]
    assert savings == sorted(savings, reverse=True)
    rows = sort_candidates(select(catalog, Criteria(vcpus=Range.exactly(4))), SortKey.INTERRUPTION)
    buckets = [c.interruption.index for c in rows if c.interruption]
    assert buckets == sorted(buckets)


def test_price_per_vcpu(catalog):
    rows = sort_candidates(
        select(catalog, Criteria(vcpus=Range(2, 16), usage_class=CapacityType.SPOT)),
        SortKey.PRICE_PER_VCPU,
        usage_class=CapacityType.SPOT,
    )
    per_vcpu = [c.spot_price / c.instance_type.vcpus for c in rows]
    assert per_vcpu == sorted(per_vcpu)
