"""A quota refusal marks a whole capacity type; a launch of that type that succeeds clears it.

EC2 answers a launch past the account's vCPU quota with VcpuLimitExceeded (on-demand) or
MaxSpotInstanceCountExceeded (spot). The launcher then skips the capacity type for a
while, longer after each consecutive refusal. An instance of that type launching proves
the quota has room again: the mark and its count of failures are forgotten.
"""

from prometheus_client import CollectorRegistry

from sim.builders import sim_cloud
from spotwise.decisions.scheduling.plan import NewNode
from spotwise.model.instance_type import CapacityType
from spotwise.model.resources import Resources
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import OfferingError
from spotwise.provisioning.launcher import (
    Launched,
    Launcher,
    LaunchIntent,
    LaunchSettings,
    Retry,
    RetryReason,
)
from spotwise.provisioning.unavailable import UnavailableOfferings

ON_DEMAND = CapacityType.ON_DEMAND
QUOTA = "VcpuLimitExceeded"
START = 1_000.0
TTL = 180.0  # the default policy's first mark
RESERVATION = "cr-0123456789abcdef0"


class World:
    """The launcher over the simulated cloud, in virtual time from ``START``.

    Args:
        reservations: The simulated cloud's capacity reservations.
    """

    def __init__(self, reservations=None):
        self.clock = ManualClock(START)
        self.cloud = sim_cloud(clock=self.clock, reservations=reservations)
        self.memory = UnavailableOfferings()
        self.launcher = Launcher(
            self.cloud,
            cluster="prod",
            unavailable=self.memory,
            clock=self.clock,
            registry=CollectorRegistry(),
        )

    def launch_on_demand(self, name, settings=None, attempt=0):
        """Launch an on-demand m5.large named ``name`` (its pods run on on-demand only)."""
        node = NewNode(
            name=name,
            pool="web",
            capacity_type=ON_DEMAND,
            instance_types=("m5.large",),
            zones=("us-east-1a", "us-east-1b"),
            pods=("shop/cart-1",),
            requested=Resources(1000, 2**30, 1),
            price_per_hour=0.096,
            on_demand_price_per_hour=0.096,
        )
        intent = LaunchIntent(node, allows_on_demand=True, allows_spot=False, attempt=attempt)
        return self.launcher.launch(intent, settings or LaunchSettings())

    def refuse_on_demand(self, until=None):
        """Answer on-demand launches with the vCPU quota error until ``until``."""
        self.cloud.inject(None, None, ON_DEMAND, QUOTA, until=until)


def test_a_quota_refusal_is_retried_when_its_mark_lapses():
    world = World()
    world.refuse_on_demand()
    outcome = world.launch_on_demand("a")
    assert isinstance(outcome, Retry) and outcome.reason is RetryReason.CAPACITY_UNAVAILABLE
    assert outcome.after_seconds == TTL


def test_a_launch_after_a_quota_refusal_starts_the_backoff_over():
    world = World()
    world.refuse_on_demand(until=START + TTL)
    assert isinstance(world.launch_on_demand("a"), Retry)
    world.clock.advance(TTL)  # the mark lapses, and so has the shortage
    assert isinstance(world.launch_on_demand("a", attempt=1), Launched)
    world.refuse_on_demand()
    world.clock.advance(60.0)
    again = world.launch_on_demand("b")
    # A first refusal again, not the second in a row (which would wait twice as long).
    assert isinstance(again, Retry) and again.after_seconds == TTL


def test_a_reserved_launch_clears_the_on_demand_quota_mark_in_force():
    world = World(reservations={RESERVATION: ("m5.large", "us-east-1b", 1)})
    world.refuse_on_demand(until=START + 1.0)
    assert isinstance(world.launch_on_demand("a"), Retry)  # on-demand marked until +180 s
    world.clock.advance(10.0)
    # A reserved launch tries the reservation whatever the marks say, and gets it: the
    # account's on-demand vCPUs have room again.
    reserved = world.launch_on_demand("b", LaunchSettings(capacity_reservations=(RESERVATION,)))
    assert isinstance(reserved, Launched) and reserved.reserved
    plain = world.launch_on_demand("c")
    assert isinstance(plain, Launched) and plain.capacity_type is ON_DEMAND


def test_the_memory_forgets_a_capacity_type_that_launched():
    memory = UnavailableOfferings()
    refusal = OfferingError("m5.large", "us-east-1a", ON_DEMAND, QUOTA)
    memory.mark(refusal, 0.0)
    memory.mark_launched("c5.xlarge", "us-east-1b", ON_DEMAND, 10.0)
    # Another type, another zone: the quota is the account's, so any launch clears it.
    assert not memory.is_unavailable("m5.large", "us-east-1a", ON_DEMAND, 10.0)
    assert memory.mark(refusal, 20.0).failures == 1
