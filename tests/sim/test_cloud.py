import re
from dataclasses import replace

import pytest

from sim.builders import ON_DEMAND, SPOT, ZONES, request, sim_cloud
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import (
    TAG_CAPACITY_RESERVATION,
    TAG_CLUSTER,
    CloudError,
    ErrorKind,
    InstanceState,
)
from spotwise.simulated.capacity import CapacityDefaults

TYPES = ("m5.large", "c5.large", "r5.large", "m5.xlarge")


def pools(cloud, types=TYPES, capacity_type=SPOT):
    return [(t, z, capacity_type) for t in types for z in ZONES]


def only_capacity(cloud, spare_by_pool, capacity_type=SPOT):
    """Every pool of TYPES x ZONES dry except those given."""
    for key in pools(cloud, capacity_type=capacity_type):
        cloud.set_capacity(*key, spare_by_pool.get(key[:2], 0))


def launched_pool(result):
    assert result.instance is not None, result.errors
    return (result.instance.instance_type, result.instance.zone)


def test_lowest_price_launches_in_the_cheapest_pool_with_capacity_and_reports_the_dry_ones():
    cloud = sim_cloud()
    by_price = sorted(pools(cloud), key=lambda k: cloud.price(*k))
    cheapest, second = by_price[0], by_price[1]
    cloud.set_capacity(*cheapest, 0)
    result = cloud.launch(request(TYPES))
    assert launched_pool(result) == second[:2]
    assert [(e.instance_type, e.zone, e.code) for e in result.errors] == [
        (*cheapest[:2], "InsufficientInstanceCapacity")
    ]
    assert result.instance.capacity_type is SPOT


def test_capacity_optimized_launches_in_the_deepest_pool():
    cloud = sim_cloud()
    only_capacity(cloud, {("m5.xlarge", "us-east-1b"): 70, ("c5.large", "us-east-1a"): 20})
    result = cloud.launch(request(TYPES, spot=SpotAllocationStrategy.CAPACITY_OPTIMIZED))
    assert launched_pool(result) == ("m5.xlarge", "us-east-1b")
    assert result.errors == ()  # dry pools were avoided, not tried


def test_price_capacity_optimized_prefers_cheap_among_deep_pools_over_cheapest_thin_one():
    cloud = sim_cloud()
    # c5.large is the cheapest type but nearly dry; m5.large and m5.xlarge are deep.
    only_capacity(
        cloud,
        {
            ("c5.large", "us-east-1a"): 1,
            ("m5.large", "us-east-1b"): 80,
            ("m5.xlarge", "us-east-1a"): 90,
        },
    )
    result = cloud.launch(request(TYPES, spot=SpotAllocationStrategy.PRICE_CAPACITY_OPTIMIZED))
    assert launched_pool(result) == ("m5.large", "us-east-1b")


def test_capacity_optimized_prioritized_skips_a_dry_first_priority():
    cloud = sim_cloud()
    only_capacity(cloud, {("r5.large", "us-east-1a"): 5, ("c5.large", "us-east-1b"): 50})
    priorities = {"m5.large": 0, "r5.large": 1, "c5.large": 2, "m5.xlarge": 3}
    strategy = SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED
    result = cloud.launch(request(TYPES, spot=strategy, priorities=priorities))
    assert launched_pool(result) == ("r5.large", "us-east-1a")


def test_on_demand_prioritized_follows_priorities_not_price():
    cloud = sim_cloud()
    priorities = {"m5.xlarge": 0, "m5.large": 1, "c5.large": 2, "r5.large": 3}
    od = OnDemandAllocationStrategy.PRIORITIZED
    result = cloud.launch(
        request(TYPES, capacity_type=ON_DEMAND, on_demand=od, priorities=priorities)
    )
    assert launched_pool(result)[0] == "m5.xlarge"
    cheapest = cloud.launch(request(TYPES, capacity_type=ON_DEMAND))
    assert launched_pool(cheapest)[0] == "c5.large"


def test_a_pool_runs_out_and_terminating_gives_capacity_back():
    cloud = sim_cloud()
    cloud.set_capacity("m5.large", "us-east-1a", SPOT, 1)
    first = cloud.launch(request(zones=("us-east-1a",)))
    assert first.instance is not None
    assert cloud.spare("m5.large", "us-east-1a", SPOT) == 0
    second = cloud.launch(request(zones=("us-east-1a",)))
    assert second.instance is None
    assert [e.code for e in second.errors] == ["InsufficientInstanceCapacity"]
    cloud.terminate([first.instance.instance_id])
    assert cloud.spare("m5.large", "us-east-1a", SPOT) == 1
    assert cloud.launch(request(zones=("us-east-1a",))).instance is not None


def test_injected_shortage_lasts_until_its_end():
    clock = ManualClock(0.0)
    cloud = sim_cloud(clock=clock)
    cloud.inject("m5.large", None, SPOT, "InsufficientInstanceCapacity", until=100.0)
    refused = cloud.launch(request())
    assert refused.instance is None
    assert {(e.zone, e.code) for e in refused.errors} == {
        (z, "InsufficientInstanceCapacity") for z in ZONES
    }
    assert cloud.launch(request(capacity_type=ON_DEMAND)).instance is not None  # spot only
    clock.advance(100.0)
    assert cloud.launch(request()).instance is not None


def test_capacity_strategies_avoid_a_pool_with_an_injected_shortage():
    cloud = sim_cloud()
    only_capacity(cloud, {("m5.large", "us-east-1a"): 100, ("c5.large", "us-east-1a"): 10})
    cloud.inject("m5.large", "us-east-1a", SPOT, "InsufficientInstanceCapacity")
    result = cloud.launch(request(TYPES, spot=SpotAllocationStrategy.CAPACITY_OPTIMIZED))
    assert launched_pool(result) == ("c5.large", "us-east-1a")


def test_vcpu_quotas_refuse_with_the_capacity_types_code():
    cloud = sim_cloud(vcpu_quotas={SPOT: 4, ON_DEMAND: 2})
    assert cloud.launch(request()).instance is not None  # 2 vCPUs
    assert cloud.launch(request()).instance is not None  # 4 vCPUs
    spot = cloud.launch(request())
    assert spot.instance is None
    assert {e.code for e in spot.errors} == {"MaxSpotInstanceCountExceeded"}
    assert len(spot.errors) == len(ZONES)
    assert cloud.launch(request(capacity_type=ON_DEMAND)).instance is not None
    od = cloud.launch(request(capacity_type=ON_DEMAND))
    assert {e.code for e in od.errors} == {"VcpuLimitExceeded"}


def test_injected_quota_error_for_every_spot_offering():
    cloud = sim_cloud()
    cloud.inject(None, None, SPOT, "MaxSpotInstanceCountExceeded")
    result = cloud.launch(request(TYPES))
    assert result.instance is None
    assert len(result.errors) == len(TYPES) * len(ZONES)
    assert {e.code for e in result.errors} == {"MaxSpotInstanceCountExceeded"}


def test_an_offering_the_catalog_lacks_is_unsupported():
    cloud = sim_cloud()
    result = cloud.launch(request(zones=("us-east-1e",)))  # m5.large is not sold in 1e
    assert result.instance is None
    assert [(e.zone, e.code) for e in result.errors] == [("us-east-1e", "Unsupported")]


def test_same_token_same_instance_and_capacity_taken_once():
    cloud = sim_cloud()
    cloud.set_capacity("m5.large", "us-east-1a", SPOT, 5)
    req = request(zones=("us-east-1a",), token="tok")
    first = cloud.launch(req)
    again = cloud.launch(req)
    assert again.instance.instance_id == first.instance.instance_id
    assert cloud.spare("m5.large", "us-east-1a", SPOT) == 4
    assert len(cloud.owned_instances("test")) == 1


def test_a_failed_token_keeps_its_failure_and_a_changed_request_is_a_mismatch():
    cloud = sim_cloud()
    cloud.set_capacity("m5.large", "us-east-1a", SPOT, 0)
    req = request(zones=("us-east-1a",), token="tok")
    assert cloud.launch(req).instance is None
    cloud.set_capacity("m5.large", "us-east-1a", SPOT, 5)
    assert cloud.launch(req).instance is None  # EC2 answers a reused token with its first answer
    with pytest.raises(CloudError, match="IdempotentParameterMismatch"):
        cloud.launch(request(zones=("us-east-1b",), token="tok"))


def test_a_request_without_overrides_is_a_cloud_error():
    with pytest.raises(CloudError):
        sim_cloud().launch(request(types=()))


def test_ids_are_deterministic_for_a_seed():
    def ids(seed):
        cloud = sim_cloud(seed=seed)
        return [cloud.launch(request()).instance.instance_id for _ in range(3)]

    assert ids(7) == ids(7)
    assert ids(7) != ids(8)
    assert all(re.fullmatch(r"i-[0-9a-f]{17}", i) for i in ids(7))
    assert len(set(ids(7))) == 3


def test_default_capacity_spot_from_the_pool_model_on_demand_as_configured():
    defaults = CapacityDefaults(spot_reference_depth=30, on_demand=7)
    a, b = sim_cloud(seed=1, defaults=defaults), sim_cloud(seed=1, defaults=defaults)
    keys = pools(a)
    forward = [a.spare(*k) for k in keys]
    backward = [b.spare(*k) for k in reversed(keys)][::-1]
    assert forward == backward  # independent of the order pools are looked at
    assert forward == [a.spot_pools.depth(t, z) for t, z, _ in keys]
    assert len(set(forward)) > 1
    assert a.spare("m5.large", "us-east-1a", ON_DEMAND) == 7


def test_instances_boot_then_run_and_carry_the_request_tags():
    clock = ManualClock(50.0)
    cloud = sim_cloud(clock=clock, boot_seconds=30.0)
    req = request()
    instance = cloud.launch(req).instance
    assert instance.state is InstanceState.PENDING
    assert instance.launch_time == 50.0
    assert dict(instance.tags) == req.all_tags()
    assert instance.provider_id == f"aws:///{instance.zone}/{instance.instance_id}"
    clock.advance(29.0)
    assert cloud.describe([instance.instance_id])[0].state is InstanceState.PENDING
    clock.advance(1.0)
    assert cloud.describe([instance.instance_id])[0].state is InstanceState.RUNNING


def test_owned_instances_are_the_clusters_live_ones():
    cloud = sim_cloud()
    mine = cloud.launch(request(cluster="mine")).instance
    gone = cloud.launch(request(cluster="mine")).instance
    cloud.launch(request(cluster="theirs"))
    cloud.terminate([gone.instance_id, gone.instance_id, "i-00000000000000000"])
    assert [i.instance_id for i in cloud.owned_instances("mine")] == [mine.instance_id]
    assert all(i.tags[TAG_CLUSTER] == "mine" for i in cloud.owned_instances("mine"))
    described = cloud.describe([gone.instance_id, "i-00000000000000000"])
    assert [(i.instance_id, i.state) for i in described] == [
        (gone.instance_id, InstanceState.TERMINATED)
    ]


def reserved_request(types=("m5.large",), reservations=("cr-a",), capacity_type=ON_DEMAND):
    return replace(request(types, capacity_type=capacity_type), capacity_reservations=reservations)


def test_an_on_demand_request_launches_into_its_reservation_first_and_frees_it_on_terminate():
    cloud = sim_cloud(reservations={"cr-a": ("m5.large", "us-east-1b", 1)})
    result = cloud.launch(reserved_request())
    assert launched_pool(result) == ("m5.large", "us-east-1b")
    assert result.instance.capacity_type is ON_DEMAND
    assert result.instance.tags[TAG_CAPACITY_RESERVATION] == "cr-a"
    assert cloud.reserved_free("cr-a") == 0
    cloud.terminate([result.instance.instance_id])
    assert cloud.reserved_free("cr-a") == 1


def test_a_full_reservation_is_refused_so_the_launcher_can_go_on_to_spot():
    cloud = sim_cloud(reservations={"cr-a": ("m5.large", "us-east-1b", 1)})
    cloud.launch(reserved_request())
    result = cloud.launch(reserved_request())
    assert result.instance is None
    assert result.errors
    assert {e.code for e in result.errors} == {"ReservationCapacityExceeded"}
    assert {e.kind for e in result.errors} == {ErrorKind.UNAVAILABLE}


def test_reservations_are_used_only_when_named_matching_and_on_demand():
    cloud = sim_cloud(
        reservations={"cr-a": ("m5.large", "us-east-1b", 5), "cr-b": ("r5.large", "us-east-1a", 5)}
    )
    launched = [
        cloud.launch(reserved_request(reservations=())).instance,
        cloud.launch(reserved_request(capacity_type=SPOT)).instance,
    ]
    assert all(i is not None and TAG_CAPACITY_RESERVATION not in i.tags for i in launched)
    # cr-b holds r5.large in us-east-1a, which the request's overrides do not offer.
    assert cloud.launch(reserved_request(reservations=("cr-b",))).instance is None
    assert cloud.reserved_free("cr-a") == cloud.reserved_free("cr-b") == 5
