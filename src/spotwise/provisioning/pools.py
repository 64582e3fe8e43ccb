"""Node pools for the packer, from NodePool documents and the catalog.

Only offerings that exist, are priced, are not known to be unavailable, and pass the
pool's rules (types, zones, capacity types, architecture, requirements, interruption
ceiling) become options; everything the packer may choose is here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.decisions.scheduling.overhead import allocatable
from spotwise.decisions.scheduling.pool import Headroom, NodeShape, Offer, Pool, PoolLimits
from spotwise.model.instance_type import Architecture, CapacityType, InstanceType
from spotwise.model.labels import INSTANCE_TYPE
from spotwise.model.offering import bucket_at_most
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import NodeSelectorTerm, Requirement, Taint
from spotwise.provisioning.node_labels import KARPENTER_AWS, node_labels, type_labels

# An offering known to be unavailable now: (instance type, zone, capacity type).
OfferingKey = tuple[str, str, CapacityType]

DEFAULT_POOL = "default"
_GENERAL_ARCHITECTURES = (Architecture.X86_64, Architecture.ARM64)
# Requirement keys that pick families or generations: a pool with one of them says itself
# which burstable or older types it wants.
_FAMILY_KEYS = frozenset(
    {
        INSTANCE_TYPE,
        f"{KARPENTER_AWS}/instance-category",
        f"{KARPENTER_AWS}/instance-family",
        f"{KARPENTER_AWS}/instance-generation",
    }
)


def default_nodepool() -> NodePool:
    """The pool used when none is configured: every general-purpose type, spot first."""
    return NodePool.model_validate(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": DEFAULT_POOL},
        }
    )


def build_pools(
    nodepools: Sequence[NodePool],
    catalog: Catalog,
    unavailable: Collection[OfferingKey] = (),
) -> tuple[Pool, ...]:
    """The packer's pools for ``nodepools`` over ``catalog``."""
    return tuple(build_pool(p, catalog, unavailable) for p in nodepools)


def _allowed_types(nodepool: NodePool, catalog: Catalog) -> list[InstanceType]:
    spec = nodepool.spec
    if spec.instance_types:
        return [
            catalog.instance_type(n, subject=f"pool {nodepool.name}") for n in spec.instance_types
        ]
    # Without a list, every general-purpose type. Bare metal and Macs must be named: they
    # are not nodes one buys by accident. Burstable types back only a fraction of their
    # vCPUs (t3.small: 20% of 2), so a CPU request there is not a reserved core, and their
    # credit surcharges are outside every price; previous generations are Xen types AWS
    # retires, slower and with tighter ENI limits. Both are left out too, unless the pool's
    # requirements choose families themselves (instance-category In [t] means t).
    chooses = {r.key for r in spec.requirements} & _FAMILY_KEYS
    return [
        t
        for t in catalog.instance_types.values()
        if not t.bare_metal
        and t.architecture in _GENERAL_ARCHITECTURES
        and (chooses or not (t.burstable or t.previous_generation))
    ]


def build_pool(
    nodepool: NodePool, catalog: Catalog, unavailable: Collection[OfferingKey] = ()
) -> Pool:
    """One pool: its shapes with every offer that passes its rules."""
    spec = nodepool.spec
    zones = set(spec.zones or catalog.zones)
    capacity_types = set(spec.capacity_types)
    calm = bucket_at_most(spec.max_interruption) if spec.max_interruption is not None else None
    requirements = NodeSelectorTerm(
        tuple(Requirement(r.key, r.operator, r.values) for r in spec.requirements)
    )
    skipped = set(unavailable)
    shapes = []
    for t in _allowed_types(nodepool, catalog):
        if spec.architecture is not None and t.architecture is not spec.architecture:
            continue
        base = type_labels(t)
        offers = []
        for offering in catalog.offerings_of(t.name):
            ct = offering.capacity_type
            if offering.zone not in zones or ct not in capacity_types:
                continue
            if (t.name, offering.zone, ct) in skipped or not offering.available:
                continue
            if ct is CapacityType.SPOT and calm is not None and offering.interruption not in calm:
                continue
            labels = node_labels(
                nodepool.name, spec.labels, base, catalog.region, offering.zone, ct
            )
            if requirements.requirements and not requirements.matches(labels):
                continue
            offers.append(Offer(offering.zone, ct, offering.price, labels, offering.interruption))
        if offers:
            shapes.append(
                NodeShape(
                    t,
                    allocatable(t, spec.root_volume_bytes),
                    tuple(sorted(offers, key=lambda o: (o.price, o.zone))),
                    catalog.economics[t.name].on_demand_price,
                )
            )
    limits = spec.limits
    head = spec.headroom
    return Pool(
        name=nodepool.name,
        shapes=tuple(shapes),
        weight=spec.weight,
        taints=tuple(Taint(t.key, t.value, t.effect) for t in spec.taints),
        limits=PoolLimits(
            limits.cpu_millicores, limits.memory_bytes, limits.nodes, limits.price_per_hour
        ),
        on_demand_base=spec.on_demand_base,
        on_demand_percentage=spec.on_demand_above_base,
        headroom=Headroom(
            units=head.units,
            unit=Resources.parse({"cpu": head.unit.cpu, "memory": head.unit.memory}),
            percent=head.percent,
        ),
        price_ceiling=spec.price_ceiling,
        min_instance_types=spec.min_instance_types,
        min_families=spec.min_families,
        max_type_share=spec.max_type_share,
        spot_strategy=spec.spot_allocation_strategy,
        buys=tuple(spec.capacity_types),
    )


def without(pools: Sequence[Pool], unavailable: Collection[OfferingKey]) -> tuple[Pool, ...]:
    """``pools`` minus the offerings in ``unavailable``; untouched shapes are shared.

    Far cheaper than building the pools again when EC2 refuses a few offerings. Shapes
    left without offers stay (with none), so shape indexes match the original pools and
    what is derived per shape (allocatable after DaemonSets) can be kept.
    """
    skipped = set(unavailable)
    if not skipped:
        return tuple(pools)
    result = []
    for pool in pools:
        shapes = []
        for shape in pool.shapes:
            offers = tuple(
                o for o in shape.offers if (shape.name, o.zone, o.capacity_type) not in skipped
            )
            if len(offers) == len(shape.offers):
                shapes.append(shape)
            else:
                shapes.append(dataclasses.replace(shape, offers=offers))
        result.append(dataclasses.replace(pool, shapes=tuple(shapes)))
    return tuple(result)


def with_observed(
    pools: Sequence[Pool], counts: Mapping[tuple[str, str], float]
) -> tuple[Pool, ...]:
    """``pools`` with each spot offer carrying its pool's decayed count of interruptions.

    Offers of pools not in ``counts`` count none; untouched shapes are shared, and shape
    indexes stay those of ``pools`` (as `without` keeps them).

    Args:
        pools: The pools.
        counts: (instance type, zone) -> the pool's interruptions seen lately, decayed
            (`spotwise.provisioning.observed.ObservedSnapshot.counts`).
    """
    result = []
    for pool in pools:
        shapes = []
        for shape in pool.shapes:
            offers = tuple(
                dataclasses.replace(o, observed=counts.get((shape.name, o.zone), 0.0))
                if o.capacity_type is CapacityType.SPOT
                and o.observed != counts.get((shape.name, o.zone), 0.0)
                else o
                for o in shape.offers
            )
            changed = any(a is not b for a, b in zip(offers, shape.offers, strict=True))
            shapes.append(dataclasses.replace(shape, offers=offers) if changed else shape)
        result.append(dataclasses.replace(pool, shapes=tuple(shapes)))
    return tuple(result)
