import pytest

from spotwise.model.instance_type import CapacityType
from spotwise.ports.cloud import OfferingError
from spotwise.provisioning.unavailable import BackoffPolicy, UnavailableOfferings

SPOT = CapacityType.SPOT
ON_DEMAND = CapacityType.ON_DEMAND
ICE = "InsufficientInstanceCapacity"


def ice(instance_type="m5.large", zone="us-east-1a", capacity_type=SPOT, code=ICE):
    return OfferingError(instance_type, zone, capacity_type, code)


def test_a_refused_offering_is_unavailable_for_the_ttl():
    memory = UnavailableOfferings()
    mark = memory.mark(ice(), now=1000.0)
    assert mark.until == 1180.0 and mark.failures == 1 and mark.code == ICE
    assert memory.is_unavailable("m5.large", "us-east-1a", SPOT, 1179.9)
    assert not memory.is_unavailable("m5.large", "us-east-1a", SPOT, 1180.0)
    # Only that offering: not the other zone, not on-demand.
    assert not memory.is_unavailable("m5.large", "us-east-1b", SPOT, 1000.0)
    assert not memory.is_unavailable("m5.large", "us-east-1a", ON_DEMAND, 1000.0)
    assert memory.unavailable(1000.0) == {("m5.large", "us-east-1a", SPOT)}
    assert memory.unavailable(1180.0) == frozenset()


def test_the_ttl_is_configurable():
    memory = UnavailableOfferings(BackoffPolicy(ttl_seconds=60.0))
    assert memory.mark(ice(), 0.0).until == 60.0


def test_consecutive_failures_double_the_ttl_up_to_the_cap():
    memory = UnavailableOfferings(BackoffPolicy(ttl_seconds=180.0, cap_seconds=1800.0))
    now, ttls = 0.0, []
    for _ in range(6):
        mark = memory.mark(ice(), now)
        ttls.append(mark.until - now)
        now = mark.until  # tried again as soon as the mark lapses, and refused again
    assert ttls == [180.0, 360.0, 720.0, 1440.0, 1800.0, 1800.0]


def test_a_refusal_while_marked_is_the_same_failure():
    memory = UnavailableOfferings()
    first = memory.mark(ice(), 0.0)
    again = memory.mark(ice(), 10.0)
    assert again.until == first.until and again.failures == 1


def test_success_resets_the_failure_count():
    memory = UnavailableOfferings()
    memory.mark(ice(), 0.0)
    memory.mark(ice(), 180.0)  # second failure: 360 s
    memory.mark_launched("m5.large", "us-east-1a", SPOT, 540.0)
    assert not memory.is_unavailable("m5.large", "us-east-1a", SPOT, 540.0)
    assert memory.mark(ice(), 600.0).until == 780.0


def test_success_clears_a_mark_in_force():
    memory = UnavailableOfferings()
    memory.mark(ice(), 0.0)
    memory.mark_launched("m5.large", "us-east-1a", SPOT, 10.0)
    assert not memory.is_unavailable("m5.large", "us-east-1a", SPOT, 10.0)


def test_failures_are_forgotten_after_a_quiet_spell():
    memory = UnavailableOfferings(BackoffPolicy(forget_seconds=600.0))
    memory.mark(ice(), 0.0)
    assert memory.mark(ice(), 180.0).failures == 2  # lapsed at 540, not quiet long enough
    assert memory.mark(ice(), 540.0 + 601.0).failures == 1


def test_a_spot_quota_error_marks_every_spot_offering():
    memory = UnavailableOfferings()
    mark = memory.mark(ice("c5.large", code="MaxSpotInstanceCountExceeded"), 0.0)
    assert mark.until == 180.0
    assert memory.is_unavailable("r5.xlarge", "us-east-1f", SPOT, 1.0)
    assert not memory.is_unavailable("r5.xlarge", "us-east-1f", ON_DEMAND, 1.0)
    snapshot = memory.snapshot(1.0)
    assert set(snapshot.capacity_types) == {SPOT} and not snapshot.offerings
    known = [("m5.large", "us-east-1a", SPOT), ("m5.large", "us-east-1a", ON_DEMAND)]
    assert memory.unavailable(1.0, known) == {("m5.large", "us-east-1a", SPOT)}
    assert memory.unavailable(1.0) == frozenset()  # nothing marked one by one


def test_one_quota_error_per_override_counts_once():
    memory = UnavailableOfferings()
    errors = [ice(t, code="VcpuLimitExceeded", capacity_type=ON_DEMAND) for t in ("a.x", "b.x")]
    marks = memory.mark_all(errors, 0.0)
    assert [m.failures for m in marks] == [1, 1]
    assert memory.is_unavailable("m5.large", "us-east-1a", ON_DEMAND, 179.0)


def test_an_offering_is_available_once_both_its_marks_lapse():
    memory = UnavailableOfferings()
    memory.mark(ice(), 0.0)  # until 180
    memory.mark(ice("x.y", code="MaxSpotInstanceCountExceeded"), 100.0)  # spot until 280
    assert memory.snapshot(150.0).until("m5.large", "us-east-1a", SPOT) == 280.0


@pytest.mark.parametrize("code", ["InvalidParameterValue", "SomethingNew"])
def test_configuration_and_unknown_errors_are_not_marked(code):
    memory = UnavailableOfferings()
    assert memory.mark(ice(code=code), 0.0) is None
    assert memory.unavailable(0.0) == frozenset()
    assert not memory.snapshot(0.0).capacity_types


def test_snapshots_are_frozen():
    memory = UnavailableOfferings()
    memory.mark(ice(), 0.0)
    snapshot = memory.snapshot(0.0)
    with pytest.raises(TypeError):
        snapshot.offerings[("x", "y", SPOT)] = None
    memory.mark_launched("m5.large", "us-east-1a", SPOT, 1.0)
    assert snapshot.is_unavailable("m5.large", "us-east-1a", SPOT)  # unchanged by later calls
