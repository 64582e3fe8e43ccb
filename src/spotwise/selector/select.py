"""Apply `Criteria` to a catalog: which instance types qualify, with what prices."""

from __future__ import annotations

from collections.abc import Iterator

from spotwise.catalog.catalog import Catalog
from spotwise.model.instance_type import CapacityType, InstanceType
from spotwise.model.offering import PriceSource, bucket_at_most
from spotwise.selector.candidate import Candidate
from spotwise.selector.criteria import Criteria


def _spec_matches(t: InstanceType, c: Criteria) -> bool:
    """The filters that look only at what a type is, not what it costs."""
    checks = (
        c.vcpus is None or t.vcpus in c.vcpus,
        c.memory_mib is None or t.memory_mib in c.memory_mib,
        c.gpus is None or t.gpu_count in c.gpus,
        c.gpu_memory_total_mib is None or t.gpu_memory_total_mib in c.gpu_memory_total_mib,
        c.network_gbps is None or t.network_gbps in c.network_gbps,
        c.generation is None or t.generation in c.generation,
        c.architecture is None or c.architecture in t.architectures,
        c.usage_class is None or t.supports(c.usage_class),
        c.burstable is None or t.burstable == c.burstable,
        c.current_generation is None or t.current_generation == c.current_generation,
        c.bare_metal is None or t.bare_metal == c.bare_metal,
        c.allow is None or c.allow.search(t.name) is not None,
        c.deny is None or c.deny.search(t.name) is None,
        c.gpu_manufacturer is None
        or any(g.manufacturer.lower() == c.gpu_manufacturer.lower() for g in t.gpus),
        c.gpu_model is None or any(g.model.lower() == c.gpu_model.lower() for g in t.gpus),
    )
    return all(checks)


def _candidate(catalog: Catalog, t: InstanceType, zones: tuple[str, ...]) -> Candidate:
    economics = catalog.economics[t.name]
    spot = catalog.offerings_of(t.name, CapacityType.SPOT, zones)
    return Candidate(
        instance_type=t,
        on_demand_price=economics.on_demand_price,
        spot_price_by_zone={o.zone: o.price for o in spot},
        spot_price_estimated=any(o.price_source is PriceSource.ESTIMATE for o in spot),
        interruption=economics.interruption,
        zones=tuple(z for z in economics.zones if z in zones),
    )


def _economics_match(candidate: Candidate, c: Criteria) -> bool:
    """The filters on prices, ratios and interruption risk."""
    if c.vcpus_to_memory_ratio is not None and candidate.gib_per_vcpu != c.vcpus_to_memory_ratio:
        return False
    if c.usage_class is CapacityType.SPOT and candidate.spot_price is None:
        return False
    if c.price_per_hour is not None and candidate.price(c.usage_class) not in c.price_per_hour:
        return False
    if c.max_interruption is not None:
        allowed = bucket_at_most(c.max_interruption)
        # A type the advisor does not list has an unknown risk: it cannot be shown to be under.
        if candidate.interruption not in allowed or candidate.spot_price is None:
            return False
    return True


def select(catalog: Catalog, criteria: Criteria) -> Iterator[Candidate]:
    """The catalog's types that meet every criterion, in name order.

    A type qualifies for ``criteria.zones`` only if every one of those zones offers it;
    with no zones, all of the region's zones count.
    """
    zones = criteria.zones or catalog.zones
    for t in catalog.instance_types.values():
        if not _spec_matches(t, criteria):
            continue
        offered = catalog.economics[t.name].zones
        if criteria.zones and not all(z in offered for z in criteria.zones):
            continue
        candidate = _candidate(catalog, t, zones)
        if _economics_match(candidate, criteria):
            yield candidate
