"""What a launch reply without an instance means: no capacity only when every error says so.

Only a reply whose every error is a capacity or quota refusal means "no capacity here
now": the offerings are marked and the next capacity type is tried. A reply with no error
at all, or with an error of another kind among them, is a refusal the launcher does not
understand; falling back or retrying would hide it, so the launch fails and says why.
"""

from collections.abc import Sequence

from prometheus_client import CollectorRegistry

from sim.builders import sim_cloud
from spotwise.decisions.scheduling.plan import NewNode
from spotwise.model.instance_type import CapacityType
from spotwise.model.resources import Resources
from spotwise.ports.clock import ManualClock
from spotwise.ports.cloud import Cloud, Instance, LaunchRequest, LaunchResult
from spotwise.provisioning.launcher import (
    Failed,
    FailureCause,
    FellBack,
    Launcher,
    LaunchIntent,
    LaunchOutcome,
    LaunchSettings,
)
from spotwise.provisioning.unavailable import UnavailableOfferings

SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
ICE = "InsufficientInstanceCapacity"
TYPES = ("c5.large", "m5.large")
ZONES = ("us-east-1a", "us-east-1b")
NOW = 1_000.0


class EmptyReplies:
    """A cloud that answers every launch with neither an instance nor an error."""

    def __init__(self) -> None:
        self.requests: list[LaunchRequest] = []

    def launch(self, request: LaunchRequest) -> LaunchResult:
        self.requests.append(request)
        return LaunchResult(None, ())

    def terminate(self, instance_ids: Sequence[str]) -> None:
        pass

    def describe(self, instance_ids: Sequence[str]) -> tuple[Instance, ...]:
        return ()

    def owned_instances(self, cluster: str) -> tuple[Instance, ...]:
        return ()


def launch_spot_node(cloud: Cloud, memory: UnavailableOfferings) -> LaunchOutcome:
    """Launch a spot node whose pods may also run on-demand, at ``NOW``.

    Args:
        cloud: The cloud to launch in.
        memory: The launcher's memory of refused offerings.
    """
    node = NewNode(
        name="new-web-0",
        pool="web",
        capacity_type=SPOT,
        instance_types=TYPES,
        zones=ZONES,
        pods=("shop/cart-1",),
        requested=Resources(1000, 2**30, 1),
        price_per_hour=0.035,
        on_demand_price_per_hour=0.085,
    )
    launcher = Launcher(
        cloud,
        cluster="prod",
        unavailable=memory,
        clock=ManualClock(NOW),
        registry=CollectorRegistry(),
    )
    return launcher.launch(LaunchIntent(node, allows_on_demand=True), LaunchSettings())


def test_an_empty_reply_fails_the_launch_instead_of_falling_back():
    cloud, memory = EmptyReplies(), UnavailableOfferings()
    outcome = launch_spot_node(cloud, memory)
    assert isinstance(outcome, Failed), outcome
    assert (outcome.cause, outcome.detail) == (FailureCause.REJECTED, "no instance and no error")
    assert [r.capacity_type for r in cloud.requests] == [SPOT]  # no on-demand fallback
    assert memory.unavailable(NOW) == frozenset()


def test_capacity_errors_with_one_of_another_kind_fail_the_launch():
    cloud, memory = sim_cloud(clock=ManualClock(NOW)), UnavailableOfferings()
    # c5.large is refused with a code spotwise does not know, m5.large for lack of capacity.
    cloud.inject("c5.large", None, SPOT, "SomethingNew")
    cloud.inject(None, None, SPOT, ICE)
    outcome = launch_spot_node(cloud, memory)
    assert isinstance(outcome, Failed), outcome
    assert outcome.cause is FailureCause.REJECTED
    assert {e.code for e in outcome.errors} == {"SomethingNew", ICE}
    assert "SomethingNew" in outcome.detail
    assert not cloud.owned_instances("prod")  # nothing bought on-demand


def test_capacity_and_quota_errors_alone_fall_back_to_on_demand():
    cloud, memory = sim_cloud(clock=ManualClock(NOW)), UnavailableOfferings()
    cloud.inject("c5.large", None, SPOT, "MaxSpotInstanceCountExceeded")
    cloud.inject(None, None, SPOT, ICE)
    outcome = launch_spot_node(cloud, memory)
    assert isinstance(outcome, FellBack), outcome
    assert outcome.instance.capacity_type is ON_DEMAND
