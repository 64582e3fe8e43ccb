import logging
from dataclasses import replace

import pytest
from prometheus_client import CollectorRegistry

from sim.builders import sim_cloud
from spotwise.catalog.bundled import load_bundled
from spotwise.config.nodepool import NodePool
from spotwise.decisions.disruption.drift import HASH_LABEL
from spotwise.decisions.scheduling.plan import NewNode
from spotwise.model import labels as keys
from spotwise.model.allocation import OnDemandAllocationStrategy, SpotAllocationStrategy
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint, TaintEffect
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import TAG_CAPACITY_RESERVATION, CloudError, OfferingError
from spotwise.provisioning.events import EventReason, EventType, RecordingEventSink
from spotwise.provisioning.launcher import (
    RESERVED,
    CapacityStep,
    Failed,
    FailureCause,
    FellBack,
    Launched,
    Launcher,
    LaunchIntent,
    LaunchSettings,
    Retry,
    RetryReason,
    SkipReason,
    capacity_order,
    client_token,
    launch_request,
    settings_for,
)
from spotwise.provisioning.unavailable import UnavailableOfferings

SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
ICE = "InsufficientInstanceCapacity"
TYPES = ("c5.large", "m5.large", "r5.large")
ZONES = ("us-east-1a", "us-east-1b")


def new_node(capacity_type=SPOT, name="new-web-0", types=TYPES, zones=ZONES):
    return NewNode(
        name=name,
        pool="web",
        capacity_type=capacity_type,
        instance_types=types,
        zones=zones,
        pods=("shop/cart-1", "shop/cart-2"),
        requested=Resources(1000, 2**30, 2),
        price_per_hour=0.035,
        on_demand_price_per_hour=0.085,
    )


def intent(capacity_type=SPOT, allows_on_demand=True, **kwargs):
    return LaunchIntent(new_node(capacity_type, **kwargs), allows_on_demand=allows_on_demand)


class RecordingCloud:
    """The simulated cloud, remembering the requests it was sent."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.requests = []

    def launch(self, request):
        self.requests.append(request)
        return self.cloud.launch(request)

    def terminate(self, instance_ids):
        self.cloud.terminate(instance_ids)

    def describe(self, instance_ids):
        return self.cloud.describe(instance_ids)

    def owned_instances(self, cluster):
        return self.cloud.owned_instances(cluster)


class BrokenCloud(RecordingCloud):
    def launch(self, request):
        raise CloudError("RequestLimitExceeded after 5 retries")


class World:
    def __init__(self, cloud_type=RecordingCloud, **sim):
        self.clock = ManualClock(1_000.0)
        self.sim = sim_cloud(clock=self.clock, **sim)
        self.cloud = cloud_type(self.sim)
        self.memory = UnavailableOfferings()
        self.events = RecordingEventSink()
        self.registry = CollectorRegistry()
        self.launcher = Launcher(
            self.cloud,
            cluster="prod",
            unavailable=self.memory,
            clock=self.clock,
            events=self.events,
            registry=self.registry,
        )

    def launch(self, what, settings=None):
        return self.launcher.launch(what, settings or LaunchSettings())

    def metric(self, name, **labels):
        return self.registry.get_sample_value(name, labels) or 0.0

    def launches(self, capacity_type, result):
        labels = {"pool": "web", "capacity_type": capacity_type, "result": result}
        return self.metric("spotwise_launches_total", **labels)

    def fallbacks(self):
        labels = {"pool": "web", "from": "spot", "to": "on-demand"}
        return self.metric("spotwise_launch_fallbacks_total", **labels)

    def gauge(self, capacity_type, scope):
        labels = {"capacity_type": capacity_type, "scope": scope}
        return self.metric("spotwise_offerings_unavailable", **labels)

    def exhaust_spot(self, code=ICE):
        self.sim.inject(None, None, SPOT, code)


@pytest.fixture
def world():
    return World()


def test_spot_is_tried_first(world):
    outcome = world.launch(intent())
    assert isinstance(outcome, Launched)
    assert outcome.capacity_type is SPOT and outcome.instance.capacity_type is SPOT
    assert [r.capacity_type for r in world.cloud.requests] == [SPOT]
    assert world.launches("spot", "launched") == 1
    assert world.events.events == []


def test_falls_back_to_on_demand_at_once_and_says_so(world, caplog):
    world.exhaust_spot()
    with caplog.at_level(logging.WARNING, logger="spotwise.provisioning.launcher"):
        outcome = world.launch(intent())

    assert isinstance(outcome, FellBack)
    assert (outcome.planned, outcome.launched) == (SPOT, ON_DEMAND)
    assert outcome.instance.capacity_type is ON_DEMAND
    assert outcome.tried_types == TYPES
    assert len(outcome.errors) == len(TYPES) * len(ZONES)
    assert [r.capacity_type for r in world.cloud.requests] == [SPOT, ON_DEMAND]

    (event,) = world.events.events
    assert event.type is EventType.WARNING
    assert event.reason is EventReason.SPOT_UNAVAILABLE_FALLBACK
    assert event.reason == "SpotUnavailableFallback"
    assert all(t in event.message for t in TYPES) and ICE in event.message
    assert (event.involved.kind, event.involved.name) == ("NodePool", "web")
    assert [(p.namespace, p.name) for p in event.related] == [
        ("shop", "cart-1"),
        ("shop", "cart-2"),
    ]
    assert event.time == 1_000.0

    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "launch_fallback"]
    assert record.levelno == logging.WARNING
    assert (record.from_capacity_type, record.to_capacity_type) == ("spot", "on-demand")
    assert record.node == "new-web-0" and record.pool == "web"
    assert record.instance_types == list(TYPES) and record.codes == [ICE]

    assert world.fallbacks() == 1
    assert world.launches("spot", "unavailable") == 1
    assert world.launches("on-demand", "launched") == 1
    # Every spot offering tried is remembered, and counted in the gauge.
    assert all(world.memory.is_unavailable(t, z, SPOT, 1_000.0) for t in TYPES for z in ZONES)
    assert world.gauge("spot", "offering") == 6
    assert world.gauge("on-demand", "offering") == 0


def test_spot_known_unavailable_is_skipped_without_a_call(world):
    world.exhaust_spot()
    world.launch(intent(name="first"))
    world.cloud.requests.clear()
    outcome = world.launch(intent(name="second"))
    assert isinstance(outcome, FellBack)
    assert [r.capacity_type for r in world.cloud.requests] == [ON_DEMAND]
    assert world.launches("spot", "skipped") == 1
    assert "every offering marked unavailable" in world.events.events[-1].message


def test_retries_instead_of_falling_back_when_pods_allow_only_spot(world):
    world.exhaust_spot()
    outcome = world.launch(intent(allows_on_demand=False))
    assert outcome == Retry(
        after_seconds=180.0,
        reason=RetryReason.SPOT_UNAVAILABLE,
        capacity_types=(SPOT,),
        next_attempt=1,
        errors=outcome.errors,
    )
    assert [r.capacity_type for r in world.cloud.requests] == [SPOT]
    assert world.sim.owned_instances("prod") == ()
    (event,) = world.events.events
    assert event.reason is EventReason.CAPACITY_UNAVAILABLE
    assert "only on spot" in event.message
    assert world.fallbacks() == 0


def test_a_retry_is_logged_with_its_fields(world, caplog):
    world.exhaust_spot()
    with caplog.at_level(logging.WARNING, logger="spotwise.provisioning.launcher"):
        world.launch(intent(allows_on_demand=False))
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "launch_retry"]
    assert record.levelno == logging.WARNING
    assert (record.node, record.pool) == ("new-web-0", "web")
    assert (record.reason, record.after_seconds) == (RetryReason.SPOT_UNAVAILABLE.value, 180.0)
    assert (record.capacity_types, record.codes) == (["spot"], [ICE])
    assert record.getMessage() == (
        f"No spot capacity for node new-web-0 among {', '.join(TYPES)} in {', '.join(ZONES)}"
        " (its pods run only on spot); retrying in 180s"
    )


def test_retry_waits_for_the_soonest_mark_to_lapse(world):
    world.memory.mark(OfferingError("c5.large", "us-east-1a", SPOT, ICE), now=900.0)  # to 1080
    world.exhaust_spot()
    outcome = world.launch(intent(allows_on_demand=False))
    assert isinstance(outcome, Retry)
    assert outcome.after_seconds == pytest.approx(80.0)


def test_a_retry_with_the_next_attempt_launches_once_capacity_returns(world):
    world.sim.inject(None, None, SPOT, ICE, until=1_100.0)
    first = world.launch(intent(allows_on_demand=False))
    world.clock.advance(first.after_seconds)
    again = world.launch(
        LaunchIntent(new_node(), allows_on_demand=False, attempt=first.next_attempt)
    )
    assert isinstance(again, Launched) and again.capacity_type is SPOT
    assert world.memory.snapshot(world.clock.now()).offerings == {}


def test_an_on_demand_node_never_falls_back_to_spot(world):
    world.sim.inject(None, None, ON_DEMAND, ICE)
    outcome = world.launch(intent(ON_DEMAND))
    assert isinstance(outcome, Retry)
    assert outcome.reason is RetryReason.CAPACITY_UNAVAILABLE
    assert outcome.capacity_types == (ON_DEMAND,)
    assert [r.capacity_type for r in world.cloud.requests] == [ON_DEMAND]


def test_both_capacity_types_unavailable_is_a_retry(world):
    world.sim.inject(None, None, None, ICE)
    outcome = world.launch(intent())
    assert isinstance(outcome, Retry)
    assert outcome.capacity_types == (SPOT, ON_DEMAND)
    assert outcome.reason is RetryReason.CAPACITY_UNAVAILABLE


def test_a_spot_quota_error_marks_all_spot_and_falls_back(world):
    world.exhaust_spot("MaxSpotInstanceCountExceeded")
    assert isinstance(world.launch(intent()), FellBack)
    assert world.memory.is_unavailable("x1.32xlarge", "us-east-1f", SPOT, 1_000.0)
    assert world.gauge("spot", "capacity-type") == 1


def test_overrides_skip_offerings_known_to_be_unavailable(world):
    cheapest = min(
        ((t, z) for t in TYPES for z in ZONES), key=lambda k: (world.sim.price(*k, SPOT), k)
    )
    world.memory.mark(OfferingError(*cheapest, SPOT, ICE), now=1_000.0)
    request = launch_request(
        intent(),
        SPOT,
        cluster="prod",
        settings=LaunchSettings(),
        unavailable=world.memory.snapshot(1_000.0),
    )
    pairs = {(o.instance_type, o.zone) for o in request.overrides}
    assert len(pairs) == len(TYPES) * len(ZONES) - 1 and cheapest not in pairs

    low = LaunchSettings(spot_strategy=SpotAllocationStrategy.LOWEST_PRICE)
    outcome = world.launch(intent(), low)
    assert (outcome.instance.instance_type, outcome.instance.zone) != cheapest


def test_no_request_when_every_offering_is_marked():
    memory = UnavailableOfferings()
    memory.mark(OfferingError("x", "y", SPOT, "MaxSpotInstanceCountExceeded"), 0.0)
    skip = launch_request(
        intent(), SPOT, cluster="c", settings=LaunchSettings(), unavailable=memory.snapshot(1.0)
    )
    assert skip is SkipReason.ALL_UNAVAILABLE


@pytest.mark.parametrize(
    ("settings", "capacity_type", "prioritized"),
    [
        (
            LaunchSettings(spot_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED),
            SPOT,
            True,
        ),
        (LaunchSettings(), SPOT, False),
        (
            LaunchSettings(on_demand_strategy=OnDemandAllocationStrategy.PRIORITIZED),
            ON_DEMAND,
            True,
        ),
        (LaunchSettings(), ON_DEMAND, False),
    ],
)
def test_prioritized_strategies_rank_types_in_the_nodes_order(settings, capacity_type, prioritized):
    request = launch_request(intent(), capacity_type, cluster="c", settings=settings)
    priorities = [(o.instance_type, o.zone, o.priority) for o in request.overrides]
    if prioritized:
        assert priorities == [(t, z, float(i)) for i, t in enumerate(TYPES) for z in ZONES]
    else:
        assert {p for _, _, p in priorities} == {None}


def test_prioritized_launch_takes_the_first_type_with_capacity(world):
    settings = LaunchSettings(spot_strategy=SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED)
    for z in ZONES:
        world.sim.set_capacity("c5.large", z, SPOT, 0)
    outcome = world.launch(intent(), settings)
    assert outcome.instance.instance_type == "m5.large"


def test_the_request_carries_labels_taints_tags_and_subnets():
    taint = Taint("dedicated", "web", TaintEffect.NO_SCHEDULE)
    settings = LaunchSettings(labels={"team": "shop"}, taints=(taint,), tags={"cost-center": "42"})
    request = launch_request(
        intent(), SPOT, cluster="prod", settings=settings, subnets={"us-east-1b": "subnet-b"}
    )
    assert {(o.zone, o.subnet_id) for o in request.overrides} == {("us-east-1b", "subnet-b")}
    assert request.labels[keys.KARPENTER_CAPACITY_TYPE] == "spot"
    assert request.labels[keys.NODE_POOL] == "web" and request.labels["team"] == "shop"
    assert request.taints == (taint,)
    assert request.all_tags()["cost-center"] == "42"
    assert (request.cluster, request.pool, request.node_name) == ("prod", "web", "new-web-0")


def test_no_subnet_in_the_nodes_zones_fails_for_good(world):
    launcher = Launcher(
        world.cloud,
        cluster="prod",
        unavailable=world.memory,
        clock=world.clock,
        subnets={"us-east-1f": "subnet-f"},
        registry=world.registry,
    )
    outcome = launcher.launch(intent(), LaunchSettings())
    assert isinstance(outcome, Failed) and outcome.cause is FailureCause.NO_OFFERINGS
    assert world.cloud.requests == []


def test_pods_that_accept_nothing_fail(world):
    outcome = world.launch(LaunchIntent(new_node(), allows_on_demand=False, allows_spot=False))
    assert isinstance(outcome, Failed) and outcome.cause is FailureCause.NOT_ALLOWED


def test_a_configuration_error_fails_without_falling_back(world):
    world.sim.inject(None, None, SPOT, "InvalidParameterValue")
    outcome = world.launch(intent())
    assert isinstance(outcome, Failed) and outcome.cause is FailureCause.MISCONFIGURED
    assert "InvalidParameterValue" in outcome.detail
    assert [r.capacity_type for r in world.cloud.requests] == [SPOT]
    assert world.memory.unavailable(1_000.0) == frozenset()
    assert world.events.events[-1].reason is EventReason.LAUNCH_FAILED


def test_a_failing_cloud_call_is_a_typed_failure():
    world = World(BrokenCloud)
    outcome = world.launch(intent())
    assert isinstance(outcome, Failed) and outcome.cause is FailureCause.CLOUD_ERROR
    assert "RequestLimitExceeded" in outcome.detail
    assert world.launches("spot", "cloud-error") == 1


def test_the_client_token_is_stable_for_the_node_and_differs_by_attempt_and_capacity_type():
    token = client_token("prod", "new-web-0", SPOT, 0)
    assert token == client_token("prod", "new-web-0", SPOT, 0)
    others = {
        client_token("prod", "new-web-0", SPOT, 1),
        client_token("prod", "new-web-0", ON_DEMAND, 0),
        client_token("prod", "new-web-1", SPOT, 0),
        client_token("test", "new-web-0", SPOT, 0),
    }
    assert token not in others and len(others) == 4
    assert len(token) <= 64 and token.isascii()


def test_launching_the_same_node_twice_gives_the_same_instance(world):
    first = world.launch(intent())
    again = world.launch(intent())
    assert again.instance.instance_id == first.instance.instance_id
    assert len(world.sim.owned_instances("prod")) == 1


def test_settings_come_from_the_nodepool():
    pool = NodePool.model_validate(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": "web"},
            "spec": {
                "spotAllocationStrategy": "capacity-optimized-prioritized",
                "onDemandAllocationStrategy": "prioritized",
                "labels": {"team": "shop"},
                "taints": [{"key": "spotInstance", "value": "true", "effect": "PreferNoSchedule"}],
            },
        }
    )
    settings = settings_for(pool)
    assert settings.spot_strategy is SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED
    assert settings.on_demand_strategy is OnDemandAllocationStrategy.PRIORITIZED
    assert dict(settings.labels) == {"team": "shop", HASH_LABEL: pool.spec.settings_hash}
    assert settings.taints == (Taint("spotInstance", "true", TaintEffect.PREFER_NO_SCHEDULE),)


RESERVATION = "cr-0123456789abcdef0"
RESERVED_SETTINGS = LaunchSettings(capacity_reservations=(RESERVATION,))


def test_capacity_order_puts_reservations_first_then_spot_then_on_demand():
    plain = (CapacityStep(SPOT), CapacityStep(ON_DEMAND))
    assert capacity_order(intent()) == plain
    assert capacity_order(intent(), LaunchSettings()) == plain
    assert capacity_order(intent(), RESERVED_SETTINGS) == (RESERVED, *plain)
    assert capacity_order(intent(ON_DEMAND), RESERVED_SETTINGS) == (
        RESERVED,
        CapacityStep(ON_DEMAND),
    )
    assert CapacityStep(ON_DEMAND, reserved=True) == RESERVED
    assert capacity_order(intent(allows_on_demand=False), RESERVED_SETTINGS) == (
        CapacityStep(SPOT),
    )


def test_a_reserved_attempt_launches_into_the_pools_reservation():
    world = World(reservations={RESERVATION: ("m5.large", "us-east-1b", 1)})
    outcome = world.launch(intent(), RESERVED_SETTINGS)
    assert isinstance(outcome, Launched) and outcome.reserved
    assert outcome.capacity_type is ON_DEMAND
    assert outcome.instance.tags[TAG_CAPACITY_RESERVATION] == RESERVATION
    (sent,) = world.cloud.requests
    assert sent.capacity_type is ON_DEMAND and sent.capacity_reservations == (RESERVATION,)
    assert world.launches("reserved", "launched") == 1
    assert world.launches("spot", "launched") == 0


def test_a_full_reservation_with_no_on_demand_falls_through_to_spot():
    world = World(reservations={RESERVATION: ("m5.large", "us-east-1b", 0)})
    world.sim.inject(None, None, ON_DEMAND, ICE)
    outcome = world.launch(intent(), RESERVED_SETTINGS)
    # Spot is what the node was planned as: launched as planned, not a fallback.
    assert isinstance(outcome, Launched) and not outcome.reserved
    assert outcome.capacity_type is SPOT
    assert [(r.capacity_type, r.capacity_reservations) for r in world.cloud.requests] == [
        (ON_DEMAND, (RESERVATION,)),
        (SPOT, ()),
    ]
    assert world.launches("reserved", "unavailable") == 1
    assert world.fallbacks() == 0


def test_pods_that_forbid_on_demand_skip_the_reserved_attempt():
    world = World(reservations={RESERVATION: ("m5.large", "us-east-1b", 1)})
    outcome = world.launch(intent(allows_on_demand=False), RESERVED_SETTINGS)
    assert isinstance(outcome, Launched) and not outcome.reserved
    assert [(r.capacity_type, r.capacity_reservations) for r in world.cloud.requests] == [
        (SPOT, ())
    ]


def test_reservations_come_from_the_nodepool():
    pool = NodePool.model_validate(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": "web"},
            "spec": {
                "launch": {
                    "ami": {"id": "ami-0123456789abcdef0"},
                    "instanceProfile": "NodeProfile",
                    "reservedCapacity": [RESERVATION],
                }
            },
        }
    )
    assert settings_for(pool).capacity_reservations == (RESERVATION,)


def test_a_reserved_refusal_of_any_kind_goes_on_to_spot_and_marks_nothing():
    # cr-x holds a type the node does not list: the simulator refuses every override.
    world = World(reservations={RESERVATION: ("x2iedn.32xlarge", "us-east-1b", 5)})
    outcome = world.launch(intent(), RESERVED_SETTINGS)
    assert isinstance(outcome, Launched) and outcome.capacity_type is SPOT
    assert not world.memory.unavailable(world.clock.now())


# ---- a pool with an image per architecture ----

X86, ARM = Architecture.X86_64, Architecture.ARM64
MIXED = ("m7g.large", "m6i.large", "c7g.large")  # arm64, x86_64, arm64


def pool_with_images(*architectures: str) -> NodePool:
    images = {a: {"id": f"ami-0123456789abcdef{i}"} for i, a in enumerate(architectures)}
    return NodePool.model_validate(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": "web"},
            "spec": {"launch": {"amiByArchitecture": images, "instanceProfile": "NodeProfile"}},
        }
    )


def test_settings_map_each_type_whose_architecture_has_an_image():
    catalog = load_bundled()
    both = settings_for(pool_with_images("x86_64", "arm64"), catalog).architectures
    assert both is not None
    assert (both["m7g.large"], both["m6i.large"]) == (ARM, X86)
    only_x86 = settings_for(pool_with_images("x86_64"), catalog).architectures
    assert only_x86 is not None and "m6i.large" in only_x86 and "m7g.large" not in only_x86
    assert set(only_x86.values()) == {X86}
    # One image (ami), or no catalog to tell architectures: every type, as before.
    assert settings_for(pool_with_images("x86_64")).architectures is None
    one = NodePool.model_validate(
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": "web"},
            "spec": {"launch": {"ami": {"id": "ami-0123456789abcdef0"}, "instanceProfile": "p"}},
        }
    )
    assert settings_for(one, catalog).architectures is None


def test_overrides_name_their_architecture_and_types_without_an_image_are_left_out():
    catalog = load_bundled()
    prioritized = SpotAllocationStrategy.CAPACITY_OPTIMIZED_PRIORITIZED
    both = replace(
        settings_for(pool_with_images("x86_64", "arm64"), catalog), spot_strategy=prioritized
    )
    request = launch_request(intent(types=MIXED), SPOT, cluster="c", settings=both)
    assert [(o.instance_type, o.architecture, o.priority) for o in request.overrides] == [
        (t, a, float(rank))
        for rank, (t, a) in enumerate(zip(MIXED, (ARM, X86, ARM), strict=True))
        for _ in ZONES
    ]
    only_arm = replace(settings_for(pool_with_images("arm64"), catalog), spot_strategy=prioritized)
    request = launch_request(intent(types=MIXED), SPOT, cluster="c", settings=only_arm)
    # A type keeps its place in the node's list as its priority.
    assert [(o.instance_type, o.priority) for o in request.overrides] == [
        ("m7g.large", 0.0),
        ("m7g.large", 0.0),
        ("c7g.large", 2.0),
        ("c7g.large", 2.0),
    ]
    assert {o.architecture for o in request.overrides} == {ARM}
    # One image: no architecture on any override.
    plain = launch_request(intent(types=MIXED), SPOT, cluster="c", settings=LaunchSettings())
    assert {o.architecture for o in plain.overrides} == {None}


def test_a_node_whose_types_have_no_image_is_not_launched(world):
    only_x86 = settings_for(pool_with_images("x86_64"), load_bundled())
    arm_only = intent(types=("m7g.large", "c7g.large"))
    assert launch_request(arm_only, SPOT, cluster="c", settings=only_x86) is SkipReason.NO_IMAGE
    # No subnet in the node's zones is the reason, when there is one, whatever the images.
    no_zone = launch_request(
        arm_only, SPOT, cluster="c", settings=only_x86, subnets={"us-east-1f": "subnet-f"}
    )
    assert no_zone is SkipReason.NO_OFFERINGS
    outcome = world.launch(arm_only, only_x86)
    assert isinstance(outcome, Failed) and outcome.cause is FailureCause.NO_IMAGE
    assert "(m7g.large, c7g.large) runs an architecture its pool has an image for" in (
        outcome.detail
    )
    assert world.cloud.requests == []
    # A node with some types of an imaged architecture launches one of those.
    outcome = world.launch(intent(types=MIXED), only_x86)
    assert isinstance(outcome, Launched) and outcome.instance.instance_type == "m6i.large"
    assert {o.instance_type for o in world.cloud.requests[-1].overrides} == {"m6i.large"}
