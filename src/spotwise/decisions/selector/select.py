"""Apply `Criteria` to a catalog: which instance types qualify, with what prices."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from spotwise.catalog.catalog import Catalog
from spotwise.decisions.selector.candidate import Candidate
from spotwise.decisions.selector.criteria import Criteria, Range
from spotwise.model.instance_type import CapacityType, InstanceType
from spotwise.model.offering import bucket_at_most

Check = Callable[[InstanceType], bool]


def _in(value_of: Callable[[InstanceType], float | None], wanted: Range) -> Check:
    return lambda t: value_of(t) in wanted


def _is(value_of: Callable[[InstanceType], bool], wanted: bool) -> Check:
    return lambda t: value_of(t) == wanted


def _named(value_of: Callable[[InstanceType], str], wanted: str) -> Check:
    lower = wanted.lower()
    return lambda t: value_of(t).lower() == lower


def _among(values_of: Callable[[InstanceType], tuple[str, ...]], wanted: str) -> Check:
    lower = wanted.lower()
    return lambda t: any(v.lower() == lower for v in values_of(t))


def _spec_checks(c: Criteria) -> list[Check]:
    """The filters that look only at what a type is, not what it costs: one check each.

    Booleans keep types whose fact equals the flag; strings keep types that support the
    value, ignoring case; ranges are inclusive. These are instance-selector's rules.
    """
    ranges: list[tuple[Range | None, Callable[[InstanceType], float | None]]] = [
        (c.vcpus, lambda t: t.vcpus),
        (c.memory_mib, lambda t: t.memory_mib),
        (c.gpus, lambda t: t.gpu_count),
        (c.gpu_memory_total_mib, lambda t: t.gpu_memory_total_mib),
        (c.network_gbps, lambda t: t.network_gbps),
        (c.generation, lambda t: t.generation),
        (c.network_interfaces, lambda t: t.max_network_interfaces),
        (c.instance_storage_mib, lambda t: t.instance_storage_gb * 1024),
        (c.ebs_baseline_bandwidth_mbps, lambda t: t.ebs_baseline_bandwidth_mbps),
        (c.ebs_baseline_throughput_mbps, lambda t: t.ebs_baseline_throughput_mbps),
        (c.ebs_baseline_iops, lambda t: t.ebs_baseline_iops),
        (c.inference_accelerators, lambda t: t.accelerator_count),
    ]
    flags: list[tuple[bool | None, Callable[[InstanceType], bool]]] = [
        (c.burstable, lambda t: t.burstable),
        (c.current_generation, lambda t: t.current_generation),
        (c.bare_metal, lambda t: t.bare_metal),
        (c.ena_support, lambda t: t.ena_support),
        (c.efa_support, lambda t: t.efa_support),
        (c.ipv6, lambda t: t.ipv6),
        (c.network_encryption, lambda t: t.network_encryption),
        (c.nvme, lambda t: t.nvme),
        (c.disk_encryption, lambda t: t.disk_encryption),
        (c.ebs_optimized, lambda t: t.ebs_optimized),
        (c.hibernation, lambda t: t.hibernation),
        (c.free_tier, lambda t: t.free_tier),
        (c.auto_recovery, lambda t: t.auto_recovery),
        (c.dedicated_hosts, lambda t: t.dedicated_hosts),
        (c.fpga, lambda t: t.fpga),
    ]
    names: list[tuple[str | None, Callable[[InstanceType], str]]] = [
        (c.cpu_manufacturer, lambda t: t.cpu_manufacturer),
        (c.hypervisor, lambda t: t.hypervisor),
        (c.disk_type, lambda t: t.disk_type),
    ]
    lists: list[tuple[str | None, Callable[[InstanceType], tuple[str, ...]]]] = [
        (c.virtualization_type, lambda t: t.virtualization_types),
        (c.root_device_type, lambda t: t.root_device_types),
        (c.placement_group_strategy, lambda t: t.placement_group_strategies),
        (c.gpu_manufacturer, lambda t: tuple(g.manufacturer for g in t.gpus)),
        (c.gpu_model, lambda t: tuple(g.model for g in t.gpus)),
        (
            c.inference_accelerator_manufacturer,
            lambda t: tuple(a.manufacturer for a in t.accelerators),
        ),
        (c.inference_accelerator_model, lambda t: tuple(a.model for a in t.accelerators)),
    ]
    checks = [_in(value_of, wanted) for wanted, value_of in ranges if wanted is not None]
    checks += [_is(value_of, wanted) for wanted, value_of in flags if wanted is not None]
    checks += [_named(value_of, wanted) for wanted, value_of in names if wanted is not None]
    checks += [_among(values_of, wanted) for wanted, values_of in lists if wanted is not None]
    if c.architecture is not None:
        architecture = c.architecture
        checks.append(lambda t: architecture in t.architectures)
    if c.usage_class is not None:
        usage_class = c.usage_class
        checks.append(lambda t: t.supports(usage_class))
    if c.allow is not None:
        allow = c.allow
        checks.append(lambda t: allow.search(t.name) is not None)
    if c.deny is not None:
        deny = c.deny
        checks.append(lambda t: deny.search(t.name) is None)
    return checks


def _candidate(catalog: Catalog, t: InstanceType, zones: tuple[str, ...]) -> Candidate:
    economics = catalog.economics[t.name]
    spot = catalog.offerings_of(t.name, CapacityType.SPOT, zones)
    return Candidate(
        instance_type=t,
        on_demand_price=economics.on_demand_price,
        spot_price_by_zone={o.zone: o.price for o in spot},
        spot_source_by_zone={o.zone: o.price_source for o in spot},
        interruption=economics.interruption,
        zones=tuple(z for z in economics.zones if z in zones),
    )


def _economics_match(candidate: Candidate, c: Criteria) -> bool:
    """The filters on prices, ratios and interruption risk.

    Only a price filter needs a price: ``--usage-class spot`` alone keeps a type that
    supports spot even where no spot price is known (it shows as ``-`` and sorts last).
    """
    if c.vcpus_to_memory_ratio is not None and candidate.gib_per_vcpu != c.vcpus_to_memory_ratio:
        return False
    if c.price_per_hour is not None and candidate.price(c.usage_class) not in c.price_per_hour:
        return False
    if c.max_interruption is not None:
        # A type the advisor does not list has an unknown risk: it cannot be shown to be under.
        allowed = bucket_at_most(c.max_interruption)
        if candidate.interruption not in allowed:
            return False
        if not candidate.instance_type.supports(CapacityType.SPOT):
            return False
    return True


def select(catalog: Catalog, criteria: Criteria) -> Iterator[Candidate]:
    """The catalog's types that meet every criterion, in name order.

    A type qualifies for ``criteria.zones`` only if every one of those zones offers it;
    with no zones, all of the region's zones count.
    """
    zones = criteria.zones or catalog.zones
    checks = _spec_checks(criteria)
    for t in catalog.instance_types.values():
        if not all(check(t) for check in checks):
            continue
        offered = catalog.economics[t.name].zones
        if criteria.zones and not all(z in offered for z in criteria.zones):
            continue
        candidate = _candidate(catalog, t, zones)
        if _economics_match(candidate, criteria):
            yield candidate
