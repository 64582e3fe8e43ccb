import pytest

from spotwise.catalog import snapshot
from spotwise.catalog.build import latest_spot_prices, network_gbps
from spotwise.catalog.bundled import load_bundled
from spotwise.catalog.inputs import SpotPricePoint
from spotwise.catalog.max_pods import eni_max_pods
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


def test_spot_price_is_observed_where_the_history_has_it_else_estimated(catalog):
    spot = {o.zone: o for o in catalog.offerings_of("m6i.large", CapacityType.SPOT)}
    # use1-az6 is us-east-1c in the data's account; the history's last m6i.large row there is 0.036.
    assert spot["us-east-1c"].price_source is PriceSource.OBSERVED
    assert spot["us-east-1c"].price == pytest.approx(0.036)
    economics = catalog.economics["m6i.large"]
    estimate = round(economics.on_demand_price * (1 - economics.savings_percent / 100), 6)
    assert spot["us-east-1a"].price_source is PriceSource.ESTIMATE
    assert spot["us-east-1a"].price == pytest.approx(estimate)
    assert all(o.interruption == economics.interruption for o in spot.values())


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
