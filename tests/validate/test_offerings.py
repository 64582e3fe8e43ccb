"""Checks of where a pool's types are offered: zones, type x zone, spot diversity."""

from spotwise.catalog.bundled import load_bundled
from spotwise.catalog.catalog import Catalog
from spotwise.validate import Severity
from spotwise.validate.offerings import (
    MIN_SPOT_TYPES,
    check_offerings,
    check_spot_diversity,
    check_zones,
)
from validate.conftest import FIVE_X86, make_pool

ERROR, WARNING = Severity.ERROR, Severity.WARNING


def test_zones_outside_the_region_are_errors(catalog: Catalog) -> None:
    (finding,) = check_zones(make_pool(zones=["us-east-1a", "us-west-2a"]), catalog)
    assert (finding.severity, finding.field) == (ERROR, "spec.zones[1]")
    assert finding.message == "us-west-2a is not a zone of us-east-1"
    assert "us-east-1a, us-east-1b, us-east-1c" in finding.fix
    assert check_zones(make_pool(zones=["us-east-1a"]), catalog) == []


def test_a_type_offered_in_none_of_the_pools_zones_is_an_error(catalog: Catalog) -> None:
    pool = make_pool(instanceTypes=["m6i.large", "m7i.large"], zones=["us-east-1c"])
    (finding,) = check_offerings(pool, catalog)
    assert (finding.severity, finding.field) == (ERROR, "spec.instanceTypes[1]")
    assert finding.message == (
        "m7i.large is not offered as spot or on-demand in any of the pool's zones (us-east-1c)"
    )
    assert finding.fix == "drop it, or add a zone that offers it (us-east-1a, us-east-1b)"


def test_a_type_missing_from_some_listed_zones_is_a_warning(catalog: Catalog) -> None:
    pool = make_pool(instanceTypes=["m7i.large"], zones=["us-east-1a", "us-east-1c"])
    (finding,) = check_offerings(pool, catalog)
    assert (finding.severity, finding.field) == (WARNING, "spec.instanceTypes[0]")
    assert finding.message == "m7i.large is not offered in us-east-1c; its nodes cannot go there"
    # Zones the pool does not list are not its concern.
    assert check_offerings(make_pool(instanceTypes=["m7i.large"]), catalog) == []


def test_a_type_that_cannot_be_bought_as_spot(catalog: Catalog) -> None:
    # Spot and on-demand: a warning, its nodes are on-demand only.
    (finding,) = check_offerings(make_pool(instanceTypes=["p5.48xlarge"]), catalog)
    assert finding.severity is WARNING
    assert "cannot be bought as spot" in finding.message
    # Spot only: it can never be launched.
    (finding,) = check_offerings(
        make_pool(instanceTypes=["p5.48xlarge"], capacityTypes=["spot"]), catalog
    )
    assert finding.severity is ERROR
    assert "is not offered as spot in any of the pool's zones" in finding.message


def test_unknown_types_and_zones_are_left_to_their_own_checks(catalog: Catalog) -> None:
    assert check_offerings(make_pool(instanceTypes=["x9.huge"]), catalog) == []
    assert (
        check_offerings(make_pool(instanceTypes=["m5.large"], zones=["us-west-2a"]), catalog) == []
    )


def test_fewer_than_five_spot_types_is_a_warning_counting_spot_pools(catalog: Catalog) -> None:
    pool = make_pool(instanceTypes=["m6i.large", "m7i.large", "p5.48xlarge"])
    (finding,) = check_spot_diversity(pool, catalog)
    assert (finding.severity, finding.field) == (WARNING, "spec.instanceTypes")
    # m6i.large in 3 zones, m7i.large in 2; p5 has no spot.
    assert finding.message.startswith(
        "only 2 instance types can be bought as spot here (5 spot pools of type x zone)"
    )
    assert f"at least {MIN_SPOT_TYPES} types" in finding.fix


def test_enough_types_on_demand_pools_and_any_type_pools_pass(catalog: Catalog) -> None:
    assert check_spot_diversity(make_pool(instanceTypes=FIVE_X86), catalog) == []
    on_demand = make_pool(instanceTypes=["m6i.large"], capacityTypes=["on-demand"])
    assert check_spot_diversity(on_demand, catalog) == []
    assert check_spot_diversity(make_pool(), catalog) == []


def test_types_max_interruption_keeps_off_spot_do_not_count(catalog: Catalog) -> None:
    bundled = load_bundled()  # interruption buckets, which the test catalog leaves out
    assert check_spot_diversity(make_pool(instanceTypes=FIVE_X86), bundled) == []
    calm = make_pool(instanceTypes=FIVE_X86, maxInterruption=10)
    (finding,) = check_spot_diversity(calm, bundled)
    assert finding.message.startswith(
        "only 2 instance types can be bought as spot here at or under maxInterruption 10% ("
    )
    # None of them calm enough: the pool buys no spot, an error when it buys only spot.
    none = make_pool(instanceTypes=FIVE_X86, maxInterruption=5)
    (finding,) = check_spot_diversity(none, bundled)
    assert (finding.severity, finding.field) == (WARNING, "spec.maxInterruption")
    assert finding.message == (
        "5% keeps every spot offering of the pool's types out: the pool buys no spot"
    )
    spot_only = make_pool(instanceTypes=FIVE_X86, maxInterruption=5, capacityTypes=["spot"])
    (finding,) = check_spot_diversity(spot_only, bundled)
    assert finding.severity == ERROR and finding.message.endswith("and so launches nothing")
    # Types with no spot offering at all are check_offerings' to report, not this check's.
    no_spot = make_pool(instanceTypes=["p5.48xlarge"], maxInterruption=10)
    assert check_spot_diversity(no_spot, catalog) == []
