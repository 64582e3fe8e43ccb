"""The catalog's file format: one gzipped JSON document per region, versioned.

A snapshot records its build date and sources, so that a user can tell how old the
prices are, and a schema number, so that an old file is refused rather than misread.

Each instance type is one JSON array whose columns ``type_fields`` names, because a
reader parses arrays several times faster than objects that repeat every key: the
load is what every CLI call pays. A file whose columns differ from this module's is
refused. Offerings are grouped: one ``[capacity type, price, source, [zones]]`` entry
for the zones that share a price, which is every zone for on-demand.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import json
import zlib
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spotwise.catalog.catalog import (
    Catalog,
    CatalogMetadata,
    OfferingsFactory,
    Source,
    TypeEconomics,
)
from spotwise.errors import UserError
from spotwise.model.instance_type import (
    Accelerator,
    Architecture,
    CapacityType,
    Gpu,
    InstanceType,
)
from spotwise.model.offering import BUCKETS, InterruptionBucket, Offering, PriceSource

# 2: one spot price basis (advisor level, observed zone spread); 1 mixed two bases.
SCHEMA = 2
# The columns of an instance type's row, in order.
TYPE_FIELDS = (
    "name",
    "vcpus",
    "memory_mib",
    "architectures",
    "gpus",
    "max_pods",
    "network_performance",
    "network_gbps",
    "burstable",
    "current_generation",
    "bare_metal",
    "usage_classes",
    "hypervisor",
    "cpu_manufacturer",
    "ena_support",
    "efa_support",
    "ipv6",
    "network_encryption",
    "max_network_interfaces",
    "instance_storage_gb",
    "disk_type",
    "nvme",
    "disk_encryption",
    "ebs_optimized",
    "ebs_baseline_bandwidth_mbps",
    "ebs_baseline_throughput_mbps",
    "ebs_baseline_iops",
    "hibernation",
    "free_tier",
    "auto_recovery",
    "dedicated_hosts",
    "virtualization_types",
    "root_device_types",
    "placement_group_strategies",
    "accelerators",
    "fpga",
    "on_demand_price",
    "savings_percent",
    "interruption",
    "zones",
    "offerings",
)
# Enum calls by value are slow; the loader resolves thousands of them, so look them up.
_ARCHITECTURES = {a.value: a for a in Architecture}
_CAPACITY_TYPES = {c.value: c for c in CapacityType}
_PRICE_SOURCES = {s.value: s for s in PriceSource}
_NUMBERS = (float, int)
# Everything a damaged or foreign file can make the decoder raise: a bad gzip stream
# (truncated: EOFError; corrupt: zlib.error or BadGzipFile, an OSError), bad JSON or
# UTF-8 (ValueError), a document of another shape (KeyError, TypeError, IndexError,
# AttributeError), or nesting too deep for the parser (RecursionError).
_DECODE_ERRORS = (
    OSError,
    EOFError,
    zlib.error,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    RecursionError,
)


def _bucket(index: object) -> InterruptionBucket | None:
    if index is None:
        return None
    if not isinstance(index, int) or not 0 <= index < len(BUCKETS):
        raise ValueError(f"interruption bucket {index!r} is not 0..{len(BUCKETS) - 1}")
    return BUCKETS[index]


def _offering_groups(offers: tuple[Offering, ...]) -> list[list[Any]]:
    groups: dict[tuple[str, float, str], list[str]] = {}
    for o in offers:
        key = (o.capacity_type.value, o.price, o.price_source.value)
        groups.setdefault(key, []).append(o.zone)
    return [[capacity, price, source, zones] for (capacity, price, source), zones in groups.items()]


def _type_row(t: InstanceType, e: TypeEconomics, offers: tuple[Offering, ...]) -> list[Any]:
    return [
        t.name,
        t.vcpus,
        t.memory_mib,
        [a.value for a in t.architectures],
        [[g.manufacturer, g.model, g.count, g.memory_mib] for g in t.gpus],
        t.max_pods,
        t.network_performance,
        t.network_gbps,
        t.burstable,
        t.current_generation,
        t.bare_metal,
        [u.value for u in t.usage_classes],
        t.hypervisor,
        t.cpu_manufacturer,
        t.ena_support,
        t.efa_support,
        t.ipv6,
        t.network_encryption,
        t.max_network_interfaces,
        t.instance_storage_gb,
        t.disk_type,
        t.nvme,
        t.disk_encryption,
        t.ebs_optimized,
        t.ebs_baseline_bandwidth_mbps,
        t.ebs_baseline_throughput_mbps,
        t.ebs_baseline_iops,
        t.hibernation,
        t.free_tier,
        t.auto_recovery,
        t.dedicated_hosts,
        list(t.virtualization_types),
        list(t.root_device_types),
        list(t.placement_group_strategies),
        [[a.manufacturer, a.model, a.count] for a in t.accelerators],
        t.fpga,
        e.on_demand_price,
        e.savings_percent,
        e.interruption.index if e.interruption else None,
        list(e.zones),
        _offering_groups(offers),
    ]


def to_document(catalog: Catalog) -> dict[str, Any]:
    """The JSON document of a catalog."""
    meta = catalog.metadata
    return {
        "schema": SCHEMA,
        "region": meta.region,
        "built_at": meta.built_at,
        "sources": [
            {"name": s.name, "location": s.location, "licence": s.licence, "as_of": s.as_of}
            for s in meta.sources
        ],
        "zone_ids": dict(meta.zone_ids),
        "type_fields": list(TYPE_FIELDS),
        "instance_types": [
            _type_row(t, catalog.economics[name], catalog.offerings_of(name))
            for name, t in catalog.instance_types.items()
        ],
    }


def from_document(doc: object) -> Catalog:
    """A catalog from its JSON document.

    Raises:
        ValueError: If the document is not an object, has another schema version or
            other columns, or holds a value of the wrong kind where it is checked.
        KeyError, TypeError, IndexError: If the document does not have the catalog's shape.
    """
    if not isinstance(doc, dict):
        raise ValueError(f"the document is a JSON {type(doc).__name__}, not an object")
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"catalog schema {doc.get('schema')!r} is not {SCHEMA}")
    if doc.get("type_fields") != list(TYPE_FIELDS):
        raise ValueError("its instance-type columns are not the ones this spotwise reads")
    types: dict[str, InstanceType] = {}
    economics: dict[str, TypeEconomics] = {}
    factories: dict[str, OfferingsFactory] = {}
    for row in doc["instance_types"]:
        (
            name,
            vcpus,
            memory_mib,
            architectures,
            gpus,
            max_pods,
            network_performance,
            network_gbps,
            burstable,
            current_generation,
            bare_metal,
            usage_classes,
            hypervisor,
            cpu_manufacturer,
            ena_support,
            efa_support,
            ipv6,
            network_encryption,
            max_network_interfaces,
            instance_storage_gb,
            disk_type,
            nvme,
            disk_encryption,
            ebs_optimized,
            ebs_baseline_bandwidth_mbps,
            ebs_baseline_throughput_mbps,
            ebs_baseline_iops,
            hibernation,
            free_tier,
            auto_recovery,
            dedicated_hosts,
            virtualization_types,
            root_device_types,
            placement_group_strategies,
            accelerators,
            fpga,
            on_demand_price,
            savings_percent,
            interruption,
            zones,
            offerings,
        ) = row
        bucket = _bucket(interruption)
        types[name] = InstanceType(
            name=name,
            vcpus=vcpus,
            memory_mib=memory_mib,
            architectures=tuple(_ARCHITECTURES[a] for a in architectures),
            gpus=tuple(Gpu(*g) for g in gpus),
            max_pods=max_pods,
            network_performance=network_performance,
            network_gbps=network_gbps,
            burstable=burstable,
            current_generation=current_generation,
            bare_metal=bare_metal,
            usage_classes=tuple(_CAPACITY_TYPES[u] for u in usage_classes),
            hypervisor=hypervisor,
            cpu_manufacturer=cpu_manufacturer,
            ena_support=ena_support,
            efa_support=efa_support,
            ipv6=ipv6,
            network_encryption=network_encryption,
            max_network_interfaces=max_network_interfaces,
            instance_storage_gb=instance_storage_gb,
            disk_type=disk_type,
            nvme=nvme,
            disk_encryption=disk_encryption,
            ebs_optimized=ebs_optimized,
            ebs_baseline_bandwidth_mbps=ebs_baseline_bandwidth_mbps,
            ebs_baseline_throughput_mbps=ebs_baseline_throughput_mbps,
            ebs_baseline_iops=ebs_baseline_iops,
            hibernation=hibernation,
            free_tier=free_tier,
            auto_recovery=auto_recovery,
            dedicated_hosts=dedicated_hosts,
            virtualization_types=tuple(virtualization_types),
            root_device_types=tuple(root_device_types),
            placement_group_strategies=tuple(placement_group_strategies),
            accelerators=tuple(Accelerator(*a) for a in accelerators),
            fpga=fpga,
        )
        economics[name] = TypeEconomics(on_demand_price, savings_percent, bucket, tuple(zones))
        _check_offering_groups(name, offerings)
        factories[name] = partial(_offerings, name, offerings, bucket)
    metadata = CatalogMetadata(
        region=doc["region"],
        built_at=doc["built_at"],
        sources=tuple(Source(**s) for s in doc["sources"]),
        zone_ids=MappingProxyType(dict(doc["zone_ids"])),
        schema=SCHEMA,
    )
    return Catalog(
        metadata,
        MappingProxyType(types),
        MappingProxyType(economics),
        offering_factories=factories,
    )


def _check_offering_groups(name: str, groups: list[Any]) -> None:
    """Refuse a damaged offering now, so that the lazy build of offerings cannot fail."""
    for group in groups:
        capacity, price, source, zones = group
        if (
            capacity not in _CAPACITY_TYPES
            or source not in _PRICE_SOURCES
            or type(price) not in _NUMBERS
            or type(zones) is not list
            or not all(type(zone) is str for zone in zones)
        ):
            raise ValueError(
                f"{name}: offering {group!r} is not [capacity type, price, source, [zones]]"
            )


def _offerings(
    name: str, groups: list[Any], bucket: InterruptionBucket | None
) -> tuple[Offering, ...]:
    """The offerings of one type, zone by zone, on-demand before spot (the build's order)."""
    spot = CapacityType.SPOT
    offerings = [
        Offering(
            name,
            zone,
            _CAPACITY_TYPES[capacity],
            price,
            _PRICE_SOURCES[source],
            bucket if capacity == spot else None,
        )
        for capacity, price, source, zones in groups
        for zone in zones
    ]
    offerings.sort(key=lambda o: (o.zone, o.capacity_type is spot))
    return tuple(offerings)


def write(catalog: Catalog, path: Path) -> None:
    """Write a catalog snapshot; ``.gz`` paths are gzipped, others are plain JSON.

    The file is written next to ``path`` and renamed over it, so a reader never sees
    half a snapshot, and a failed write leaves the old file (and no temporary) behind.

    Raises:
        OSError: If the folder cannot be created or the file cannot be written.
    """
    text = json.dumps(to_document(catalog), separators=(",", ":"), sort_keys=False)
    data = text.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        # mtime=0 keeps the gzip bytes reproducible, so rebuilding is a no-op diff.
        tmp.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
        tmp.replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def read(path: Path) -> Catalog:
    """Read a catalog snapshot written by `write`.

    Raises:
        UserError: If the file is missing, unreadable, damaged or not a catalog.
    """
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        return _decode(text)
    except _DECODE_ERRORS as err:
        raise UserError(
            f"catalog {path}",
            f"cannot be read ({type(err).__name__}: {err})",
            "rebuild it with 'spotwise catalog refresh --out FILE'",
        ) from None


def _decode(text: bytes) -> Catalog:
    """Parse and build the catalog with the cyclic garbage collector paused.

    The decode allocates tens of thousands of objects and frees none, so the collector
    would only rescan them: a third of the load time. It is paused for this call alone
    and switched back on however the call ends (the ``finally``), so the process keeps
    its collector even when the file is damaged.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return from_document(json.loads(text))
    finally:
        if was_enabled:
            gc.enable()
