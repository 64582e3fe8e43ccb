"""The catalog: every instance type of a region and every offering of it, with prices."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from spotwise.errors import UserError
from spotwise.model.instance_type import CapacityType, InstanceType
from spotwise.model.offering import InterruptionBucket, Offering


class UnknownInstanceType(UserError):
    """An instance type name the catalog does not know."""

    def __init__(self, name: str, region: str, subject: str = "instance type") -> None:
        super().__init__(
            subject,
            f"{name!r} is not an instance type offered in {region}",
            "check the spelling (e.g. m6i.large) or run 'spotwise select' to list types",
        )


@dataclass(frozen=True, slots=True)
class Source:
    """A source the catalog was built from, with its licence and the date of its data."""

    name: str
    location: str
    licence: str
    as_of: str


@dataclass(frozen=True, slots=True)
class CatalogMetadata:
    """When and from what a catalog was built.

    Attributes:
        region: The AWS region, such as ``us-east-1``.
        built_at: ISO date-time of the build.
        sources: Where each kind of fact came from.
        zone_ids: Zone name -> zone ID (``us-east-1a`` -> ``use1-az2``). Zone names are
            mapped to IDs per AWS account; IDs are the same for everyone.
        schema: The snapshot format version.
    """

    region: str
    built_at: str
    sources: tuple[Source, ...]
    zone_ids: Mapping[str, str]
    schema: int = 2


@dataclass(frozen=True, slots=True)
class TypeEconomics:
    """Prices and interruption facts of one instance type in the catalog's region.

    Attributes:
        on_demand_price: USD per hour, or None when no price is published.
        savings_percent: The advisor's average spot savings over on-demand, if listed.
        interruption: The advisor's interruption bucket, if listed.
        zones: Zones that offer the type.
    """

    on_demand_price: float | None
    savings_percent: int | None
    interruption: InterruptionBucket | None
    zones: tuple[str, ...]


OfferingsFactory = Callable[[], tuple[Offering, ...]]


class Catalog:
    """All instance types of a region and their offerings.

    Built once (from the bundled snapshot or a live refresh) and then only read. The
    offerings of a type are indexed by type name for the planners' hot paths.

    A snapshot hands over its offerings as one factory per type instead of objects:
    the tens of thousands of offerings of a region are then built type by type on
    first use, so that a command that looks at a few types does not pay for all.
    Either way every reader sees the same immutable tuples.
    """

    __slots__ = ("_by_type", "_order", "_pending", "economics", "instance_types", "metadata")

    def __init__(
        self,
        metadata: CatalogMetadata,
        instance_types: Mapping[str, InstanceType],
        economics: Mapping[str, TypeEconomics],
        offerings: Iterable[Offering] = (),
        *,
        offering_factories: Mapping[str, OfferingsFactory] | None = None,
    ) -> None:
        self.metadata = metadata
        self.instance_types = instance_types
        self.economics = economics
        grouped: dict[str, list[Offering]] = {}
        for offering in offerings:
            grouped.setdefault(offering.instance_type, []).append(offering)
        self._by_type: dict[str, tuple[Offering, ...]] = {
            name: tuple(group) for name, group in grouped.items()
        }
        self._pending: dict[str, OfferingsFactory] = dict(offering_factories or {})
        # The order of `offerings`, fixed here so that it never depends on what was read first.
        self._order = tuple(dict.fromkeys([*self._by_type, *self._pending]))

    def __repr__(self) -> str:
        return (
            f"Catalog(region={self.region!r}, built_at={self.metadata.built_at!r}, "
            f"instance_types={len(self.instance_types)})"
        )

    @property
    def offerings(self) -> tuple[Offering, ...]:
        """Every offering of every type, type by type."""
        return tuple(o for name in self._order for o in self._offerings(name))

    def _offerings(self, name: str) -> tuple[Offering, ...]:
        found = self._by_type.get(name)
        if found is None:
            make = self._pending.pop(name, None)
            found = make() if make is not None else ()
            self._by_type[name] = found
        return found

    @property
    def region(self) -> str:
        """The AWS region the catalog describes."""
        return self.metadata.region

    @property
    def zones(self) -> tuple[str, ...]:
        """The region's zone names, sorted."""
        return tuple(sorted(self.metadata.zone_ids))

    def instance_type(self, name: str, subject: str = "instance type") -> InstanceType:
        """The instance type called ``name``.

        Raises:
            UnknownInstanceType: If the region has no such type.
        """
        try:
            return self.instance_types[name]
        except KeyError:
            raise UnknownInstanceType(name, self.region, subject) from None

    def offerings_of(
        self,
        name: str,
        capacity_type: CapacityType | None = None,
        zones: Iterable[str] | None = None,
    ) -> tuple[Offering, ...]:
        """The offerings of one type, optionally narrowed to a capacity type and zones."""
        found = self._offerings(name)
        wanted = None if zones is None else frozenset(zones)
        return tuple(
            o
            for o in found
            if (capacity_type is None or o.capacity_type is capacity_type)
            and (wanted is None or o.zone in wanted)
        )

    def zone_name(self, zone: str) -> str | None:
        """The zone name for a zone name or zone ID, or None when the region has no such zone."""
        if zone in self.metadata.zone_ids:
            return zone
        for name, zone_id in self.metadata.zone_ids.items():
            if zone_id == zone:
                return name
        return None
