"""Each filter of `spotwise select`, against the bundled us-east-1 catalog.

Every test checks both sides: what a filter keeps satisfies it, and what it drops
does not (the filtered set equals the types of the region that satisfy it, computed
from the InstanceType fields). Each filter must also keep some types and drop some,
so that a filter that does nothing cannot pass.
"""

import gzip
import json
import math
import re
from importlib import resources

import pytest

from spotwise.catalog.bundled import load_bundled
from spotwise.decisions.selector import aggregates
from spotwise.decisions.selector.criteria import Criteria, Range
from spotwise.decisions.selector.select import select
from spotwise.decisions.selector.sorting import SortKey, sort_candidates
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.offering import BUCKETS

GIB = 1024


@pytest.fixture(scope="module")
def catalog():
    return load_bundled()


def names(catalog, **criteria):
    return {c.name for c in select(catalog, Criteria(**criteria))}


def types_where(catalog, predicate):
    return {t.name for t in catalog.instance_types.values() if predicate(t)}


def assert_filters(catalog, expected, **criteria):
    """The filter keeps exactly ``expected``, which is neither empty nor everything."""
    kept = names(catalog, **criteria)
    assert kept == expected
    assert kept, f"{criteria} keeps nothing: the test proves nothing"
    assert kept != set(catalog.instance_types), f"{criteria} drops nothing"
    return kept


def lowest_spot(catalog, name):
    prices = [o.price for o in catalog.offerings_of(name, CapacityType.SPOT)]
    return min(prices) if prices else None


def test_no_filter_keeps_every_type(catalog):
    assert names(catalog) == set(catalog.instance_types)


def test_vcpus_exact_and_range(catalog):
    assert_filters(catalog, types_where(catalog, lambda t: t.vcpus == 2), vcpus=Range.exactly(2))
    kept = assert_filters(
        catalog, types_where(catalog, lambda t: 4 <= t.vcpus <= 8), vcpus=Range(4, 8)
    )
    assert {"m5.xlarge", "m5.2xlarge"} <= kept and "m5.large" not in kept


def test_memory_range_in_mib(catalog):
    kept = assert_filters(
        catalog,
        types_where(catalog, lambda t: 16384 <= t.memory_mib <= 32768),
        memory_mib=Range(16 * GIB, 32 * GIB),
    )
    assert "m5.xlarge" in kept and "m5.large" not in kept and "m5.4xlarge" not in kept


def test_gpus_and_gpu_memory(catalog):
    kept = assert_filters(
        catalog,
        types_where(catalog, lambda t: t.gpu_count == 4 and t.gpu_memory_total_mib >= 65536),
        gpus=Range(4, 4),
        gpu_memory_total_mib=Range(64 * GIB, None),
    )
    assert "g4dn.12xlarge" in kept
    no_gpu = assert_filters(
        catalog, types_where(catalog, lambda t: t.gpu_count == 0), gpus=Range.exactly(0)
    )
    assert "m5.large" in no_gpu and "g4dn.xlarge" not in no_gpu


def test_gpu_memory_total_alone(catalog):
    kept = assert_filters(
        catalog,
        types_where(catalog, lambda t: 16 * GIB <= t.gpu_memory_total_mib <= 32 * GIB),
        gpu_memory_total_mib=Range(16 * GIB, 32 * GIB),
    )
    assert "g4dn.xlarge" in kept  # one 16 GiB T4


def test_gpu_manufacturer_and_model_ignore_case(catalog):
    t4 = assert_filters(
        catalog,
        types_where(catalog, lambda t: any(g.model == "T4" for g in t.gpus)),
        gpu_model="t4",
    )
    assert "g4dn.xlarge" in t4
    nvidia = types_where(catalog, lambda t: any(g.manufacturer == "NVIDIA" for g in t.gpus))
    assert nvidia == types_where(
        catalog, lambda t: any(g.manufacturer.lower() == "nvidia" for g in t.gpus)
    )
    assert_filters(catalog, nvidia, gpu_manufacturer="nvidia")
    assert_filters(catalog, nvidia, gpu_manufacturer="NVIDIA")
    assert t4 < nvidia


def test_network_performance_uses_peak_gbps(catalog):
    kept = assert_filters(
        catalog,
        types_where(catalog, lambda t: t.network_gbps is not None and t.network_gbps >= 100),
        network_gbps=Range(100, None),
    )
    assert "c5n.18xlarge" in kept and "m5.large" not in kept


def test_price_per_hour_is_on_demand_unless_spot_is_asked(catalog):
    ceiling = Range(None, 0.05)
    on_demand = assert_filters(
        catalog,
        {n for n, e in catalog.economics.items() if e.on_demand_price is not None}
        & {n for n, e in catalog.economics.items() if (e.on_demand_price or 1) <= 0.05},
        price_per_hour=ceiling,
    )
    spot = assert_filters(
        catalog,
        types_where(
            catalog,
            lambda t: (
                t.supports(CapacityType.SPOT) and (lowest_spot(catalog, t.name) or math.inf) <= 0.05
            ),
        ),
        price_per_hour=ceiling,
        usage_class=CapacityType.SPOT,
    )
    # Spot is cheaper, so the spot reading of the same ceiling admits more (and larger) types.
    assert len(spot) > len(on_demand)
    assert any(catalog.economics[n].on_demand_price > 0.05 for n in spot)


def test_generation(catalog):
    kept = assert_filters(
        catalog, types_where(catalog, lambda t: t.generation == 7), generation=Range(7, 7)
    )
    assert "c7i.xlarge" in kept and "m7g.large" in kept and "c6i.large" not in kept
    assert "u7i-12tb.224xlarge" in kept  # the digits after the family letters
    assert_filters(
        catalog, types_where(catalog, lambda t: t.generation <= 3), generation=Range(None, 3)
    )


def test_vcpus_to_memory_ratio_rounds_gib_per_vcpu_up(catalog):
    kept = assert_filters(
        catalog,
        types_where(catalog, lambda t: math.ceil(t.memory_mib / (t.vcpus * 1024)) == 4),
        vcpus_to_memory_ratio=4.0,
    )
    assert {"m5.large", "m6i.xlarge"} <= kept and "c5.large" not in kept
    # c5.large: 4 GiB / 2 vCPUs = 1:2; c5n.large: 5.25 GiB / 2 rounds up to 3.
    assert "c5.large" in names(catalog, vcpus_to_memory_ratio=2.0)
    assert "c5n.large" in names(catalog, vcpus_to_memory_ratio=3.0)


def test_architecture(catalog):
    arm = assert_filters(
        catalog,
        types_where(catalog, lambda t: Architecture.ARM64 in t.architectures),
        architecture=Architecture.ARM64,
    )
    assert "m7g.large" in arm and "m5.large" not in arm
    # A type that runs i386 and x86_64 counts for both.
    x86 = assert_filters(
        catalog,
        types_where(catalog, lambda t: Architecture.X86_64 in t.architectures),
        architecture=Architecture.X86_64,
    )
    i386 = names(catalog, architecture=Architecture.I386)
    assert i386 and i386 < x86


def test_usage_class_spot_does_not_need_a_spot_price(catalog):
    spot = assert_filters(
        catalog,
        types_where(catalog, lambda t: CapacityType.SPOT in t.usage_classes),
        usage_class=CapacityType.SPOT,
    )
    # c8a.large supports spot, but no spot price is known for it: kept, shown without one.
    assert "c8a.large" in spot and lowest_spot(catalog, "c8a.large") is None
    assert "t2.nano" not in spot  # on-demand only
    row = next(select(catalog, Criteria(usage_class=CapacityType.SPOT, allow=re.compile("^c8a"))))
    assert row.spot_price is None
    on_demand = names(catalog, usage_class=CapacityType.ON_DEMAND)
    assert on_demand == types_where(catalog, lambda t: CapacityType.ON_DEMAND in t.usage_classes)


@pytest.mark.parametrize("value", [True, False])
def test_burst_current_generation_and_metal_both_ways(catalog, value):
    assert_filters(catalog, types_where(catalog, lambda t: t.burstable == value), burstable=value)
    assert_filters(
        catalog,
        types_where(catalog, lambda t: t.current_generation == value),
        current_generation=value,
    )
    metal = assert_filters(
        catalog, types_where(catalog, lambda t: t.bare_metal == value), bare_metal=value
    )
    assert ("m5.metal" in metal) == value and ("m5.large" in metal) != value


def test_allow_and_deny_lists_search_the_name(catalog):
    kept = assert_filters(
        catalog,
        {n for n in catalog.instance_types if re.match(r"m[67]i\.", n) and "metal" not in n},
        allow=re.compile(r"^m[67]i\."),
        deny=re.compile(r"metal"),
    )
    assert "m6i.large" in kept and "m7i.large" in kept


def test_availability_zones_must_all_offer_the_type(catalog):
    both = assert_filters(
        catalog,
        {n for n, e in catalog.economics.items() if {"us-east-1a", "us-east-1e"} <= set(e.zones)},
        zones=("us-east-1a", "us-east-1e"),
    )
    assert both < names(catalog, zones=("us-east-1a",))
    row = next(select(catalog, Criteria(zones=("us-east-1a",), allow=re.compile("^m6i.large$"))))
    assert set(row.spot_price_by_zone) == {"us-east-1a"}


@pytest.mark.parametrize(
    ("percent", "labels"), [(5, {"<5%"}), (7, {"<5%"}), (10, {"<5%", "5-10%"})]
)
def test_max_interruption_keeps_buckets_at_or_under(catalog, percent, labels):
    allowed = {b for b in BUCKETS if b.label in labels}
    kept = assert_filters(
        catalog,
        {
            n
            for n, e in catalog.economics.items()
            if e.interruption in allowed and catalog.instance_types[n].supports(CapacityType.SPOT)
        },
        max_interruption=percent,
    )
    assert {catalog.economics[n].interruption.label for n in kept} == labels


def test_bucket_upper_bound_is_the_label_figure():
    assert [b.upper_percent for b in BUCKETS] == [5, 10, 15, 20, 100]
    assert all(b.upper_percent <= b.max_percent for b in BUCKETS)


def test_base_instance_type_finds_similar_types(catalog):
    base = catalog.instance_type("m5.xlarge")  # 4 vCPUs, 16 GiB
    kept = {c.name for c in select(catalog, aggregates.like_base_type(Criteria(), base))}
    expected = types_where(
        catalog,
        lambda t: (
            3 <= t.vcpus <= 4
            and int(16384 * 0.9) <= t.memory_mib <= int(16384 * 1.2)
            and t.gpu_count == 0
            and Architecture.X86_64 in t.architectures
            and not t.bare_metal
        ),
    )
    assert kept == expected
    assert {"m5.xlarge", "m6i.xlarge", "m5a.xlarge"} <= kept
    assert "m7g.xlarge" not in kept  # arm64


def test_explicit_filters_win_over_the_base_type(catalog):
    base = catalog.instance_type("m5.xlarge")
    criteria = aggregates.like_base_type(Criteria(architecture=Architecture.ARM64), base)
    assert "m7g.xlarge" in {c.name for c in select(catalog, criteria)}


def test_flexible_is_a_general_purpose_4_vcpu_x86_set(catalog):
    kept = {c.name for c in select(catalog, aggregates.flexible(Criteria()))}
    expected = types_where(
        catalog,
        lambda t: (
            t.vcpus == 4
            and Architecture.X86_64 in t.architectures
            and not t.bare_metal
            and aggregates.FLEXIBLE_ALLOW.search(t.name) is not None
        ),
    )
    assert kept == expected
    assert {"m5.xlarge", "c5.xlarge", "r5.xlarge", "t3.xlarge"} <= kept
    assert "m7g.xlarge" not in kept and "g4dn.xlarge" not in kept
    # Memory given instead of vCPUs: the 4-vCPU default steps aside.
    sixteen = {
        c.name
        for c in select(catalog, aggregates.flexible(Criteria(memory_mib=Range(16384, 16384))))
    }
    assert "m5.xlarge" in sixteen and "r5.large" in sixteen


# The filters that came with the instance-selector flags the data supports: each keeps
# exactly the types whose field says so.
NEW_FILTERS = [
    ({"cpu_manufacturer": "intel"}, lambda t: t.cpu_manufacturer == "intel"),
    ({"cpu_manufacturer": "AMD"}, lambda t: t.cpu_manufacturer == "amd"),
    ({"cpu_manufacturer": "aws"}, lambda t: t.cpu_manufacturer == "aws"),
    ({"hypervisor": "nitro"}, lambda t: t.hypervisor == "nitro"),
    ({"hypervisor": "xen"}, lambda t: t.hypervisor == "xen"),
    ({"ena_support": True}, lambda t: t.ena_support),
    ({"ena_support": False}, lambda t: not t.ena_support),
    ({"efa_support": True}, lambda t: t.efa_support),
    ({"efa_support": False}, lambda t: not t.efa_support),
    ({"ipv6": True}, lambda t: t.ipv6),
    ({"ipv6": False}, lambda t: not t.ipv6),
    ({"network_encryption": True}, lambda t: t.network_encryption),
    ({"network_interfaces": Range(8, 15)}, lambda t: 8 <= t.max_network_interfaces <= 15),
    ({"network_interfaces": Range.exactly(2)}, lambda t: t.max_network_interfaces == 2),
    (
        {"instance_storage_mib": Range(1000 * GIB, 2000 * GIB)},
        lambda t: 1000 <= t.instance_storage_gb <= 2000,
    ),
    ({"instance_storage_mib": Range.exactly(0)}, lambda t: t.instance_storage_gb == 0),
    ({"disk_type": "ssd"}, lambda t: t.disk_type == "ssd"),
    ({"disk_type": "hdd"}, lambda t: t.disk_type == "hdd"),
    ({"nvme": True}, lambda t: t.nvme),
    ({"nvme": False}, lambda t: not t.nvme),
    ({"disk_encryption": False}, lambda t: not t.disk_encryption),
    ({"ebs_optimized": False}, lambda t: not t.ebs_optimized),
    (
        {"ebs_baseline_bandwidth_mbps": Range(10000, None)},
        lambda t: (t.ebs_baseline_bandwidth_mbps or 0) >= 10000,
    ),
    (
        {"ebs_baseline_throughput_mbps": Range(None, 100)},
        lambda t: (
            t.ebs_baseline_throughput_mbps is not None and t.ebs_baseline_throughput_mbps <= 100
        ),
    ),
    (
        {"ebs_baseline_iops": Range(40000, 80000)},
        lambda t: 40000 <= (t.ebs_baseline_iops or 0) <= 80000,
    ),
    ({"hibernation": True}, lambda t: t.hibernation),
    ({"hibernation": False}, lambda t: not t.hibernation),
    ({"free_tier": True}, lambda t: t.free_tier),
    ({"auto_recovery": True}, lambda t: t.auto_recovery),
    ({"auto_recovery": False}, lambda t: not t.auto_recovery),
    ({"dedicated_hosts": True}, lambda t: t.dedicated_hosts),
    ({"dedicated_hosts": False}, lambda t: not t.dedicated_hosts),
    ({"virtualization_type": "paravirtual"}, lambda t: "paravirtual" in t.virtualization_types),
    ({"root_device_type": "instance-store"}, lambda t: "instance-store" in t.root_device_types),
    ({"placement_group_strategy": "cluster"}, lambda t: "cluster" in t.placement_group_strategies),
    ({"inference_accelerators": Range(1, None)}, lambda t: t.accelerator_count >= 1),
    ({"inference_accelerators": Range.exactly(16)}, lambda t: t.accelerator_count == 16),
    (
        {"inference_accelerator_manufacturer": "aws"},
        lambda t: any(a.manufacturer == "AWS" for a in t.accelerators),
    ),
    (
        {"inference_accelerator_model": "inferentia2"},
        lambda t: any(a.model == "Inferentia2" for a in t.accelerators),
    ),
    ({"fpga": True}, lambda t: t.fpga),
    ({"fpga": False}, lambda t: not t.fpga),
]


@pytest.mark.parametrize(("criteria", "predicate"), NEW_FILTERS, ids=lambda v: str(v))
def test_new_filter_keeps_exactly_the_types_that_satisfy_it(catalog, criteria, predicate):
    assert_filters(catalog, types_where(catalog, predicate), **criteria)


@pytest.fixture(scope="module")
def raw():
    """The DescribeInstanceTypes answers the bundled catalog was built from."""
    path = resources.files("moto.ec2") / "resources" / "instance_types.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))


def _supported(value):
    return value in ("supported", "required", "default")


# The same filters against the raw EC2 answers, so that the build and the snapshot are
# checked too: a field read from the wrong key would pass the test above, not this one.
RAW_FILTERS = [
    ({"cpu_manufacturer": "aws"}, lambda i: i["ProcessorInfo"]["Manufacturer"] == "AWS"),
    ({"hypervisor": "xen"}, lambda i: i.get("Hypervisor") == "xen"),
    ({"ena_support": True}, lambda i: _supported(i["NetworkInfo"]["EnaSupport"])),
    ({"efa_support": True}, lambda i: i["NetworkInfo"]["EfaSupported"]),
    ({"ipv6": False}, lambda i: not i["NetworkInfo"]["Ipv6Supported"]),
    (
        {"network_interfaces": Range(15, 15)},
        lambda i: i["NetworkInfo"]["MaximumNetworkInterfaces"] == 15,
    ),
    (
        {"instance_storage_mib": Range(1, None)},
        lambda i: i.get("InstanceStorageInfo", {}).get("TotalSizeInGB", 0) > 0,
    ),
    (
        {"disk_type": "hdd"},
        lambda i: (
            [d["Type"] for d in i.get("InstanceStorageInfo", {}).get("Disks", [])][:1] == ["hdd"]
        ),
    ),
    (
        {"nvme": True},
        lambda i: _supported((i.get("InstanceStorageInfo") or i["EbsInfo"])["NvmeSupport"]),
    ),
    ({"hibernation": True}, lambda i: i["HibernationSupported"]),
    ({"free_tier": True}, lambda i: i["FreeTierEligible"]),
    ({"auto_recovery": True}, lambda i: i["AutoRecoverySupported"]),
    ({"dedicated_hosts": True}, lambda i: i["DedicatedHostsSupported"]),
    (
        {"virtualization_type": "paravirtual"},
        lambda i: "paravirtual" in i["SupportedVirtualizationTypes"],
    ),
    (
        {"root_device_type": "instance-store"},
        lambda i: "instance-store" in i["SupportedRootDeviceTypes"],
    ),
    (
        {"placement_group_strategy": "cluster"},
        lambda i: "cluster" in i["PlacementGroupInfo"]["SupportedStrategies"],
    ),
    (
        {"inference_accelerators": Range(1, None)},
        lambda i: "InferenceAcceleratorInfo" in i or "NeuronInfo" in i,
    ),
    ({"fpga": True}, lambda i: "FpgaInfo" in i),
]


@pytest.mark.parametrize(("criteria", "predicate"), RAW_FILTERS, ids=lambda v: str(v))
def test_new_filter_agrees_with_the_raw_ec2_answers(catalog, raw, criteria, predicate):
    expected = {n for n in catalog.instance_types if predicate(raw[n])}
    assert_filters(catalog, expected, **criteria)


def test_sort_by_spot_price_puts_unknown_prices_last(catalog):
    rows = sort_candidates(select(catalog, Criteria(vcpus=Range.exactly(2))), SortKey.SPOT_PRICE)
    prices = [c.spot_price for c in rows]
    known = [p for p in prices if p is not None]
    assert known == sorted(known) and len(known) < len(prices)
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
    per_vcpu = [c.spot_price / c.instance_type.vcpus for c in rows if c.spot_price is not None]
    assert per_vcpu == sorted(per_vcpu)
    assert all(c.spot_price is None for c in rows[len(per_vcpu) :])
