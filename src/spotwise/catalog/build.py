"""Turn raw AWS facts into a catalog. Pure: no I/O, the same for bundled and live data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from spotwise.catalog.catalog import Catalog, CatalogMetadata, TypeEconomics
from spotwise.catalog.inputs import CatalogInputs, SpotPricePoint
from spotwise.catalog.max_pods import eni_max_pods
from spotwise.model.instance_type import (
    Accelerator,
    Architecture,
    CapacityType,
    Gpu,
    InstanceType,
)
from spotwise.model.offering import BUCKETS, Offering, PriceSource

_GBIT = re.compile(r"([\d.]+)\s*Gigabit", re.IGNORECASE)


def network_gbps(label: str) -> float | None:
    """Peak Gbit/s from EC2's network label (``Up to 12.5 Gigabit`` -> 12.5).

    The old named levels (``Low``, ``Moderate``, ``High``) have no figure: None.
    """
    match = _GBIT.search(label)
    return float(match[1]) if match else None


# EC2's ProcessorInfo.Manufacturer -> the value of --cpu-manufacturer.
_CPU_MANUFACTURERS = {"amazon web services": "aws", "aws": "aws", "intel": "intel", "amd": "amd"}


def cpu_manufacturer(name: str) -> str:
    """``Intel`` -> ``intel``, ``Amazon Web Services`` or ``AWS`` -> ``aws``; others lower-cased."""
    key = name.strip().lower()
    return _CPU_MANUFACTURERS.get(key, key)


def _supported(value: object) -> bool:
    """EC2's ``unsupported | supported | required | default`` as a bool, as instance-selector."""
    return str(value).lower() in ("supported", "required", "default")


def _accelerators(info: Mapping[str, Any]) -> tuple[Accelerator, ...]:
    """InferenceAcceleratorInfo when EC2 gives it, else the NeuronInfo devices (trn1, trn2)."""
    listed = info.get("InferenceAcceleratorInfo", {}).get("Accelerators", ())
    if listed:
        return tuple(
            Accelerator(str(a.get("Manufacturer", "")), str(a.get("Name", "")), int(a["Count"]))
            for a in listed
        )
    return tuple(
        Accelerator("AWS", str(d.get("Name", "")), int(d["Count"]))
        for d in info.get("NeuronInfo", {}).get("NeuronDevices", ())
    )


def parse_instance_type(info: Mapping[str, Any]) -> InstanceType | None:
    """An `InstanceType` from one DescribeInstanceTypes item, or None if it is unusable.

    Types with an architecture spotwise does not know are skipped rather than guessed.
    """
    try:
        architectures = tuple(
            Architecture(a) for a in info["ProcessorInfo"]["SupportedArchitectures"]
        )
    except ValueError:
        return None
    network = info.get("NetworkInfo", {})
    label = str(network.get("NetworkPerformance", ""))
    gpus = tuple(
        Gpu(
            manufacturer=str(g.get("Manufacturer", "")),
            model=str(g.get("Name", "")),
            count=int(g.get("Count", 0)),
            memory_mib=int(g.get("MemoryInfo", {}).get("SizeInMiB", 0)),
        )
        for g in info.get("GpuInfo", {}).get("Gpus", ())
    )
    storage = info.get("InstanceStorageInfo") or {}
    disks = storage.get("Disks", ())
    ebs = info.get("EbsInfo", {})
    ebs_baseline = ebs.get("EbsOptimizedInfo", {})
    # instance-selector's rule: the local disks decide NVMe and encryption, EBS otherwise.
    disk_facts = storage if storage else ebs
    bandwidth = ebs_baseline.get("BaselineBandwidthInMbps")
    throughput = ebs_baseline.get("BaselineThroughputInMBps")
    iops = ebs_baseline.get("BaselineIops")
    return InstanceType(
        name=str(info["InstanceType"]),
        vcpus=int(info["VCpuInfo"]["DefaultVCpus"]),
        memory_mib=int(info["MemoryInfo"]["SizeInMiB"]),
        architectures=architectures,
        gpus=gpus,
        max_pods=eni_max_pods(network),
        network_performance=label,
        network_gbps=network_gbps(label),
        burstable=bool(info.get("BurstablePerformanceSupported", False)),
        current_generation=bool(info.get("CurrentGeneration", False)),
        bare_metal=bool(info.get("BareMetal", False)),
        usage_classes=tuple(
            CapacityType(u)
            for u in info.get("SupportedUsageClasses", ())
            if u in (CapacityType.SPOT.value, CapacityType.ON_DEMAND.value)
        ),
        hypervisor=str(info.get("Hypervisor", "")),
        cpu_manufacturer=cpu_manufacturer(str(info["ProcessorInfo"].get("Manufacturer", ""))),
        ena_support=_supported(network.get("EnaSupport", "unsupported")),
        efa_support=bool(network.get("EfaSupported", False)),
        ipv6=bool(network.get("Ipv6Supported", False)),
        network_encryption=bool(network.get("EncryptionInTransitSupported", False)),
        max_network_interfaces=int(network.get("MaximumNetworkInterfaces", 0)),
        instance_storage_gb=int(storage.get("TotalSizeInGB", 0)),
        disk_type=str(disks[0].get("Type", "")).lower() if disks else "",
        nvme=_supported(disk_facts.get("NvmeSupport", "unsupported")),
        disk_encryption=_supported(disk_facts.get("EncryptionSupport", "unsupported")),
        ebs_optimized=_supported(ebs.get("EbsOptimizedSupport", "unsupported")),
        ebs_baseline_bandwidth_mbps=None if bandwidth is None else int(bandwidth),
        ebs_baseline_throughput_mbps=None if throughput is None else float(throughput),
        ebs_baseline_iops=None if iops is None else int(iops),
        hibernation=bool(info.get("HibernationSupported", False)),
        free_tier=bool(info.get("FreeTierEligible", False)),
        auto_recovery=bool(info.get("AutoRecoverySupported", False)),
        dedicated_hosts=bool(info.get("DedicatedHostsSupported", False)),
        virtualization_types=tuple(str(v) for v in info.get("SupportedVirtualizationTypes", ())),
        root_device_types=tuple(str(r) for r in info.get("SupportedRootDeviceTypes", ())),
        placement_group_strategies=tuple(
            str(s) for s in info.get("PlacementGroupInfo", {}).get("SupportedStrategies", ())
        ),
        accelerators=_accelerators(info),
        fpga=bool(info.get("FpgaInfo")),
    )


def latest_spot_prices(history: list[SpotPricePoint]) -> dict[tuple[str, str], float]:
    """The latest price of each (type, zone) pool: the price file lists changes, not states."""
    latest: dict[tuple[str, str], SpotPricePoint] = {}
    for point in history:
        key = (point.instance_type, point.zone)
        if key not in latest or point.timestamp >= latest[key].timestamp:
            latest[key] = point
    return {key: point.price for key, point in latest.items()}


# How every spot price of a catalog is made; `spotwise catalog info` prints it.
SPOT_PRICE_BASIS = (
    "on-demand price x (1 - the Spot Advisor's savings for the type), the same level for "
    "every type; where the price history has a type in two or more zones, each of those "
    "zones is that level times its price over the type's mean observed price"
)


def zone_spread(observed: Mapping[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """Each observed pool's price over the mean observed price of its type.

    Only the shape across zones is taken from the history: its level (old, and sampled
    from a few hours) would mix a second price basis into the catalog. A type observed in
    one zone says nothing about how zones differ, so it gets no ratio.
    """
    by_type: dict[str, dict[str, float]] = {}
    for (name, zone), price in observed.items():
        if price > 0:
            by_type.setdefault(name, {})[zone] = price
    ratios: dict[tuple[str, str], float] = {}
    for name, prices in by_type.items():
        if len(prices) < 2:
            continue
        mean = sum(prices.values()) / len(prices)
        ratios.update({(name, zone): price / mean for zone, price in prices.items()})
    return ratios


def spot_price(
    on_demand: float, savings_percent: int, ratio: float | None
) -> tuple[float, PriceSource]:
    """A spot offering's price on the catalog's one basis, and how it was made.

    The price never exceeds on-demand: EC2 caps spot prices there.
    """
    level = on_demand * (1 - savings_percent / 100)
    if ratio is None:
        return round(level, 6), PriceSource.ADVISOR
    return round(min(level * ratio, on_demand), 6), PriceSource.ADVISOR_ZONE_SPREAD


def build_catalog(inputs: CatalogInputs) -> Catalog:
    """Build the catalog of one region from its raw facts.

    Rules:
        * A type is in the catalog when the region offers it in at least one zone.
        * On-demand offerings exist where the type is offered and a price is published.
        * Spot offerings exist where the type supports spot, a price is published and the
          advisor lists the type; they are priced on one basis (`SPOT_PRICE_BASIS`): the
          advisor's savings set the level, the observed history only the spread between
          zones. Pools with no basis are left out, never priced at zero or by another rule.
        * The interruption bucket of a spot offering is the advisor's for its type.
    """
    ratios = zone_spread(latest_spot_prices(list(inputs.spot_history)))
    types: dict[str, InstanceType] = {}
    economics: dict[str, TypeEconomics] = {}
    offerings: list[Offering] = []
    for info in sorted(inputs.instance_types, key=lambda i: str(i["InstanceType"])):
        instance_type = parse_instance_type(info)
        if instance_type is None:
            continue
        name = instance_type.name
        zones = tuple(sorted(inputs.zone_offerings.get(name, frozenset())))
        if not zones:
            continue
        on_demand = inputs.on_demand.get(name)
        advice = inputs.advisor.get(name)
        bucket = BUCKETS[advice.bucket_index] if advice else None
        types[name] = instance_type
        economics[name] = TypeEconomics(
            on_demand_price=on_demand,
            savings_percent=advice.savings_percent if advice else None,
            interruption=bucket,
            zones=zones,
        )
        if on_demand is None:
            continue
        for zone in zones:
            if instance_type.supports(CapacityType.ON_DEMAND):
                offerings.append(
                    Offering(name, zone, CapacityType.ON_DEMAND, on_demand, PriceSource.PUBLISHED)
                )
            if advice is not None and instance_type.supports(CapacityType.SPOT):
                price, source = spot_price(
                    on_demand, advice.savings_percent, ratios.get((name, zone))
                )
                offerings.append(Offering(name, zone, CapacityType.SPOT, price, source, bucket))
    metadata = CatalogMetadata(
        region=inputs.region,
        built_at=inputs.built_at,
        sources=inputs.sources,
        zone_ids=MappingProxyType(dict(sorted(inputs.zone_ids.items()))),
    )
    return Catalog(metadata, MappingProxyType(types), MappingProxyType(economics), tuple(offerings))
