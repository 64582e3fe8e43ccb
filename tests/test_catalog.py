import gc
import json
from importlib import metadata

import pytest

from spotwise.catalog import snapshot
from spotwise.catalog.build import (
    cpu_manufacturer,
    latest_spot_prices,
    network_gbps,
    spot_price,
    zone_spread,
)
from spotwise.catalog.bundled import load_bundled
from spotwise.catalog.inputs import SpotPricePoint
from spotwise.catalog.max_pods import eni_max_pods
from spotwise.cli.app import main
from spotwise.errors import UserError
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.offering import PriceSource


@pytest.fixture(scope="module")
def catalog():
    return load_bundled("us-east-1")


def test_bundled_catalog_covers_every_zone_of_us_east_1(catalog):
    assert catalog.zones == tuple(f"us-east-1{z}" for z in "abcdef")
    assert set(catalog.metadata.zone_ids.values()) == {f"use1-az{i}" for i in range(1, 7)}
    assert len(catalog.instance_types) > 1000
    assert {s.licence for s in catalog.metadata.sources} >= {"Apache-2.0", "CC-BY-4.0"}


def test_instance_type_facts_come_from_describe_instance_types(catalog):
    m5 = catalog.instance_type("m5.large")
    assert (m5.vcpus, m5.memory_mib, m5.architecture, m5.gpu_count) == (
        2,
        8192,
        Architecture.X86_64,
        0,
    )
    assert m5.max_pods == 29  # EKS eni-max-pods.txt: 3 ENIs x (10 - 1) + 2
    g4 = catalog.instance_type("g4dn.12xlarge")
    assert (g4.gpu_count, g4.gpus[0].model, g4.gpu_memory_total_mib) == (4, "T4", 65536)
    assert catalog.instance_type("t3.micro").burstable
    assert catalog.instance_type("m7g.large").architecture is Architecture.ARM64
    assert catalog.instance_type("c7i.xlarge").generation == 7


def test_every_zone_offering_has_on_demand_at_the_published_price(catalog):
    economics = catalog.economics["m5.large"]
    on_demand = catalog.offerings_of("m5.large", CapacityType.ON_DEMAND)
    assert {o.zone for o in on_demand} == set(economics.zones)
    assert {o.price for o in on_demand} == {0.096}
    assert all(o.price_source is PriceSource.PUBLISHED for o in on_demand)


def test_spot_prices_are_the_advisor_level_spread_over_zones_by_the_history(catalog):
    spot = {o.zone: o for o in catalog.offerings_of("m6i.large", CapacityType.SPOT)}
    economics = catalog.economics["m6i.large"]
    level = economics.on_demand_price * (1 - economics.savings_percent / 100)
    observed = [o for o in spot.values() if o.price_source is PriceSource.ADVISOR_ZONE_SPREAD]
    flat = [o for o in spot.values() if o.price_source is PriceSource.ADVISOR]
    assert len(observed) >= 2 and flat
    # The history shapes the zones around the level; it does not move the level.
    assert sum(o.price for o in observed) / len(observed) == pytest.approx(level, rel=1e-4)
    assert len({o.price for o in observed}) > 1
    assert all(o.price == pytest.approx(level, abs=1e-6) for o in flat)
    assert all(o.interruption == economics.interruption for o in spot.values())


def _discount_gap(offering, economics):
    """How far an offering's discount is from its type's advisor savings, in points."""
    return 100 * (1 - offering.price / economics.on_demand_price) - economics.savings_percent


def test_one_price_basis_no_systematic_gap_between_how_prices_were_made(catalog):
    gaps: dict[PriceSource, list[float]] = {}
    for name, economics in catalog.economics.items():
        offers = catalog.offerings_of(name, CapacityType.SPOT)
        spread = [o for o in offers if o.price_source is PriceSource.ADVISOR_ZONE_SPREAD]
        capped = any(o.price >= economics.on_demand_price for o in offers)
        if spread and not capped:
            # Per type, the zones the history shaped average to the advisor's level
            # (only a price capped at on-demand, as for a1 at 0% savings, may not).
            mean_gap = sum(_discount_gap(o, economics) for o in spread) / len(spread)
            assert abs(mean_gap) < 0.5, name
        for o in offers:
            gaps.setdefault(o.price_source, []).append(_discount_gap(o, economics))
    assert set(gaps) == {PriceSource.ADVISOR, PriceSource.ADVISOR_ZONE_SPREAD}
    assert len(gaps[PriceSource.ADVISOR_ZONE_SPREAD]) > 1000
    for source, values in gaps.items():
        assert abs(sum(values) / len(values)) < 0.25, source


def test_zone_spread_is_each_pool_over_its_type_mean():
    observed = {("a.large", "z1"): 0.03, ("a.large", "z2"): 0.05, ("b.large", "z1"): 0.2}
    assert zone_spread(observed) == {
        ("a.large", "z1"): pytest.approx(0.75),
        ("a.large", "z2"): pytest.approx(1.25),
    }  # one zone says nothing about how zones differ


def test_spot_price_never_exceeds_on_demand():
    assert spot_price(0.1, 60, None) == (pytest.approx(0.04), PriceSource.ADVISOR)
    assert spot_price(0.1, 60, 1.5) == (pytest.approx(0.06), PriceSource.ADVISOR_ZONE_SPREAD)
    assert spot_price(0.1, 20, 1.5) == (pytest.approx(0.1), PriceSource.ADVISOR_ZONE_SPREAD)


def test_latest_spot_price_wins():
    history = [
        SpotPricePoint("m5.large", "a", 0.03, "2022-05-31T19:00:00+00:00"),
        SpotPricePoint("m5.large", "a", 0.05, "2022-05-31T21:00:00+00:00"),
        SpotPricePoint("m5.large", "a", 0.04, "2022-05-31T20:00:00+00:00"),
        SpotPricePoint("m5.large", "b", 0.02, "2022-05-31T18:00:00+00:00"),
    ]
    assert latest_spot_prices(history) == {("m5.large", "a"): 0.05, ("m5.large", "b"): 0.02}


def test_eni_max_pods_uses_the_default_network_card():
    info = {
        "MaximumNetworkInterfaces": 30,
        "Ipv4AddressesPerInterface": 50,
        "DefaultNetworkCardIndex": 0,
        "NetworkCards": [
            {"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 15},
            {"NetworkCardIndex": 1, "MaximumNetworkInterfaces": 15},
        ],
    }
    assert eni_max_pods(info) == 15 * 49 + 2


def test_network_labels():
    assert network_gbps("Up to 12.5 Gigabit") == 12.5
    assert network_gbps("100 Gigabit") == 100
    assert network_gbps("Moderate") is None


def test_snapshot_round_trip(catalog, tmp_path):
    path = tmp_path / "c.json.gz"
    snapshot.write(catalog, path)
    again = snapshot.read(path)
    assert again.metadata == catalog.metadata
    assert again.instance_types == catalog.instance_types
    assert again.offerings == catalog.offerings


def test_unreadable_snapshot_is_a_user_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"schema": 99}')
    with pytest.raises(UserError, match="cannot be read"):
        snapshot.read(path)


def test_more_facts_from_describe_instance_types(catalog):
    m5 = catalog.instance_type("m5.large")
    assert (m5.cpu_manufacturer, m5.hypervisor, m5.max_network_interfaces) == ("intel", "nitro", 3)
    assert m5.ena_support and m5.ipv6 and not m5.efa_support and m5.hibernation
    assert m5.placement_group_strategies == ("cluster", "partition", "spread")
    assert (m5.instance_storage_gb, m5.disk_type) == (0, "")
    assert m5.nvme  # no local disks: EBS decides, and m5 requires NVMe for EBS
    assert (m5.ebs_baseline_bandwidth_mbps, m5.ebs_baseline_iops) == (650, 3600)
    assert catalog.instance_type("m7g.large").cpu_manufacturer == "aws"
    assert catalog.instance_type("m7a.large").cpu_manufacturer == "amd"
    d2 = catalog.instance_type("d2.xlarge")
    assert (d2.disk_type, d2.instance_storage_gb, d2.hypervisor) == ("hdd", 6144, "xen")
    inf2 = catalog.instance_type("inf2.xlarge")
    assert [(a.manufacturer, a.model, a.count) for a in inf2.accelerators] == [
        ("AWS", "Inferentia2", 1)
    ]
    # trn1 lists its devices under NeuronInfo only.
    assert catalog.instance_type("trn1.32xlarge").accelerator_count == 16
    assert catalog.instance_type("f2.12xlarge").fpga
    assert "paravirtual" in catalog.instance_type("m1.small").virtualization_types
    assert catalog.instance_type("t3.micro").free_tier


def test_cpu_manufacturer_names():
    assert cpu_manufacturer("Amazon Web Services") == "aws"
    assert cpu_manufacturer("AWS") == "aws"
    assert cpu_manufacturer("Intel") == "intel"
    assert cpu_manufacturer("AMD") == "amd"
    assert cpu_manufacturer("Apple") == "apple"


def test_offerings_are_built_on_first_use_and_in_a_fixed_order(catalog, tmp_path):
    path = tmp_path / "c.json.gz"
    snapshot.write(catalog, path)
    lazy = snapshot.read(path)
    first = lazy.offerings_of("m6i.large")  # built now...
    assert lazy.offerings_of("m6i.large") is not None and first == lazy.offerings_of("m6i.large")
    # ...which must not move its offerings to the front of the whole list.
    assert lazy.offerings == catalog.offerings
    assert lazy.offerings[0].instance_type == next(iter(catalog.instance_types))


def _document(catalog):
    return snapshot.to_document(catalog)


def _set(column, value):
    def damage(doc):
        doc["instance_types"][0][snapshot.TYPE_FIELDS.index(column)] = value

    return damage


def _add_offering(group):
    def damage(doc):
        doc["instance_types"][0][snapshot.TYPE_FIELDS.index("offerings")].append(group)

    return damage


@pytest.mark.parametrize(
    "damage",
    [
        lambda doc: [doc],  # a JSON array, not an object
        _set("interruption", 7),  # no such bucket
        _set("interruption", -1),  # would quietly be the last bucket
        _set("offerings", [["spot", 0.1]]),
        _add_offering(["spot", "0.1", "observed", ["us-east-1a"]]),
        _add_offering(["spot", 0.1, "guessed", ["us-east-1a"]]),
        _add_offering(["spot", 0.1, "observed", "us-east-1a"]),
        lambda doc: doc.__setitem__("instance_types", 5),
        lambda doc: doc.__setitem__("zone_ids", [1, 2]),
        lambda doc: doc["instance_types"][0].pop(),  # a column short
        lambda doc: doc["type_fields"].reverse(),  # another layout
        lambda doc: doc.pop("type_fields"),
    ],
)
def test_a_damaged_document_is_a_user_error(catalog, tmp_path, damage):
    doc = _document(catalog)
    changed = damage(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(changed if changed is not None else doc))
    with pytest.raises(UserError, match="cannot be read"):
        snapshot.read(path)
    assert gc.isenabled()


def test_truncated_or_corrupt_gzip_is_a_user_error(catalog, tmp_path):
    good = tmp_path / "good.json.gz"
    snapshot.write(catalog, good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.json.gz"
    truncated.write_bytes(data[: len(data) // 2])  # EOFError inside gzip
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(data[:20] + bytes(b ^ 0xFF for b in data[20:200]) + data[200:])
    for path in (truncated, corrupt):
        with pytest.raises(UserError, match="cannot be read"):
            snapshot.read(path)
        assert gc.isenabled()


def test_a_damaged_catalog_file_exits_2_without_a_traceback(catalog, tmp_path, capsys):
    path = tmp_path / "catalog.json.gz"
    snapshot.write(catalog, path)
    path.write_bytes(path.read_bytes()[:1000])
    code = main(["select", "--catalog", str(path)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("error: catalog ") and len(err.strip().splitlines()) == 1


def test_gc_stays_on_after_a_read(catalog, tmp_path):
    path = tmp_path / "c.json.gz"
    snapshot.write(catalog, path)
    snapshot.read(path)
    assert gc.isenabled()
    gc.disable()
    try:
        snapshot.read(path)
        assert not gc.isenabled()  # a caller's choice is left alone
    finally:
        gc.enable()


def test_the_bundled_snapshot_is_reproducible(catalog):
    # built_at is the newest date of the sources, not the day of the build.
    dates = [s.as_of for s in catalog.metadata.sources if s.as_of[:1].isdigit()]
    assert catalog.metadata.built_at == max(dates)
    moto = next(s for s in catalog.metadata.sources if s.as_of.startswith("moto "))
    assert moto.as_of == f"moto {metadata.version('moto')}"
