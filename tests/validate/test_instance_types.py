"""Checks of a pool's types: allowed by the cluster, known in the catalog's region."""

from spotwise.catalog.catalog import Catalog
from spotwise.validate import Finding, Severity, parse_allowed_types
from spotwise.validate.instance_types import check_allowed_types, check_known_types
from validate.conftest import make_pool

ERROR = Severity.ERROR


def fields(findings: list[Finding]) -> list[tuple[Severity, str]]:
    return [(f.severity, f.field) for f in findings]


def test_types_outside_the_allowed_list_are_errors() -> None:
    allowed = parse_allowed_types("m6i.large,m5.large")
    pool = make_pool(instanceTypes=["m6i.large", "c6i.large", "m5.large"])
    (finding,) = check_allowed_types(pool, allowed)
    assert (finding.severity, finding.pool, finding.field) == (
        ERROR,
        "general",
        "spec.instanceTypes[1]",
    )
    assert "c6i.large is not allowed" in finding.message
    assert check_allowed_types(make_pool(instanceTypes=["m5.large"]), allowed) == []


def test_a_regex_allows_by_pattern() -> None:
    allowed = parse_allowed_types(r"m6.\..*")
    assert check_allowed_types(make_pool(instanceTypes=["m6i.large", "m6a.large"]), allowed) == []
    assert fields(check_allowed_types(make_pool(instanceTypes=["m5.large"]), allowed)) == [
        (ERROR, "spec.instanceTypes[0]")
    ]


def test_a_pool_of_any_type_is_not_a_subset() -> None:
    (finding,) = check_allowed_types(make_pool(), parse_allowed_types("m5.large"))
    assert (finding.severity, finding.field) == (ERROR, "spec.instanceTypes")
    assert "may launch any type" in finding.message


def test_types_the_region_does_not_have_are_errors(catalog: Catalog) -> None:
    pool = make_pool(instanceTypes=["m6i.large", "m6i.lrge"])
    (finding,) = check_known_types(pool, catalog)
    assert finding.field == "spec.instanceTypes[1]"
    assert finding.message == "m6i.lrge is not an instance type offered in us-east-1"
    assert "check the spelling" in finding.fix
    assert check_known_types(make_pool(instanceTypes=["m6i.large"]), catalog) == []
