"""The catalog's file format: one gzipped JSON document per region, versioned.

A snapshot records its build date and sources, so that a user can tell how old the
prices are, and a schema number, so that an old file is refused rather than misread.
"""

from __future__ import annotations

import gc
import gzip
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spotwise.catalog.catalog import Catalog, CatalogMetadata, Source, TypeEconomics
from spotwise.errors import UserError
from spotwise.model.instance_type import Architecture, CapacityType, Gpu, InstanceType
from spotwise.model.offering import BUCKETS, Offering, PriceSource

SCHEMA = 1
# Enum calls by value are slow; the loader resolves thousands of them, so look them up.
_ARCHITECTURES = {a.value: a for a in Architecture}
_CAPACITY_TYPES = {c.value: c for c in CapacityType}
_PRICE_SOURCES = {s.value: s for s in PriceSource}


def _type_to_json(t: InstanceType, e: TypeEconomics, offers: tuple[Offering, ...]) -> Any:
    return {
        "name": t.name,
        "vcpus": t.vcpus,
        "memory_mib": t.memory_mib,
        "architectures": [a.value for a in t.architectures],
        "gpus": [[g.manufacturer, g.model, g.count, g.memory_mib] for g in t.gpus],
        "max_pods": t.max_pods,
        "network_performance": t.network_performance,
        "network_gbps": t.network_gbps,
        "burstable": t.burstable,
        "current_generation": t.current_generation,
        "bare_metal": t.bare_metal,
        "usage_classes": [u.value for u in t.usage_classes],
        "hypervisor": t.hypervisor,
        "on_demand_price": e.on_demand_price,
        "savings_percent": e.savings_percent,
        "interruption": e.interruption.index if e.interruption else None,
        "zones": list(e.zones),
        "offerings": [
            [o.zone, o.capacity_type.value, o.price, o.price_source.value] for o in offers
        ],
    }


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
        "instance_types": [
            _type_to_json(t, catalog.economics[name], catalog.offerings_of(name))
            for name, t in catalog.instance_types.items()
        ],
    }


def from_document(doc: dict[str, Any]) -> Catalog:
    """A catalog from its JSON document.

    Raises:
        ValueError: If the document has another schema version.
    """
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"catalog schema {doc.get('schema')!r} is not {SCHEMA}")
    types: dict[str, InstanceType] = {}
    economics: dict[str, TypeEconomics] = {}
    offerings: list[Offering] = []
    for item in doc["instance_types"]:
        name = item["name"]
        bucket = BUCKETS[item["interruption"]] if item["interruption"] is not None else None
        types[name] = InstanceType(
            name=name,
            vcpus=item["vcpus"],
            memory_mib=item["memory_mib"],
            architectures=tuple(_ARCHITECTURES[a] for a in item["architectures"]),
            gpus=tuple(Gpu(*g) for g in item["gpus"]),
            max_pods=item["max_pods"],
            network_performance=item["network_performance"],
            network_gbps=item["network_gbps"],
            burstable=item["burstable"],
            current_generation=item["current_generation"],
            bare_metal=item["bare_metal"],
            usage_classes=tuple(_CAPACITY_TYPES[u] for u in item["usage_classes"]),
            hypervisor=item["hypervisor"],
        )
        economics[name] = TypeEconomics(
            item["on_demand_price"], item["savings_percent"], bucket, tuple(item["zones"])
        )
        for zone, capacity, price, source in item["offerings"]:
            capacity_type = _CAPACITY_TYPES[capacity]
            offering_bucket = bucket if capacity_type is CapacityType.SPOT else None
            offerings.append(
                Offering(name, zone, capacity_type, price, _PRICE_SOURCES[source], offering_bucket)
            )
    metadata = CatalogMetadata(
        region=doc["region"],
        built_at=doc["built_at"],
        sources=tuple(Source(**s) for s in doc["sources"]),
        zone_ids=MappingProxyType(doc["zone_ids"]),
        schema=SCHEMA,
    )
    return Catalog(metadata, MappingProxyType(types), MappingProxyType(economics), tuple(offerings))


def write(catalog: Catalog, path: Path) -> None:
    """Write a catalog snapshot; ``.gz`` paths are gzipped, others are plain JSON."""
    text = json.dumps(to_document(catalog), separators=(",", ":"), sort_keys=False)
    data = text.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # mtime=0 keeps the gzip bytes reproducible, so rebuilding the snapshot is a no-op diff.
    tmp.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    tmp.replace(path)


def read(path: Path) -> Catalog:
    """Read a catalog snapshot written by `write`.

    Raises:
        UserError: If the file is missing, unreadable or not a catalog.
    """
    # The load allocates tens of thousands of objects and frees none: the cyclic
    # collector would only rescan them, a third of the load time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        return from_document(json.loads(text))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UserError(
            f"catalog {path}",
            f"cannot be read ({err})",
            "rebuild it with 'spotwise catalog refresh --out FILE'",
        ) from None
    finally:
        if was_enabled:
            gc.enable()
