"""What the subnet and security-group selectors find."""

from spotwise.validate import Severity
from spotwise.validate.facts import Discovered
from spotwise.validate.network import check_security_groups, check_subnets
from validate.conftest import ZONES, make_pool

SELECTOR = {"karpenter.sh/discovery": "prod"}
TWO = Discovered(SELECTOR, subnets={"us-east-1a": "subnet-a", "us-east-1b": "subnet-b"})


def test_listed_zones_without_a_subnet_are_an_error_naming_them() -> None:
    pool = make_pool(launch={}, zones=["us-east-1a", "us-east-1c"])
    (finding,) = check_subnets(pool, TWO, ["us-east-1a", "us-east-1c"])
    assert (finding.severity, finding.field) == (Severity.ERROR, "spec.launch.subnetSelector")
    assert "in us-east-1c (only in us-east-1a, us-east-1b)" in finding.message
    assert check_subnets(pool, TWO, ["us-east-1a", "us-east-1b"]) == []


def test_unlisted_zones_without_a_subnet_are_a_warning() -> None:
    (finding,) = check_subnets(make_pool(launch={}), TWO, ZONES)
    assert finding.severity is Severity.WARNING
    assert finding.fix.startswith("set spec.zones: [us-east-1a, us-east-1b]")


def test_no_subnet_at_all_is_an_error() -> None:
    (finding,) = check_subnets(make_pool(launch={}), Discovered(SELECTOR), ZONES)
    assert finding.severity is Severity.ERROR
    assert "no subnet has the tags karpenter.sh/discovery=prod" in finding.message


def test_security_groups_must_match() -> None:
    (finding,) = check_security_groups(make_pool(launch={}), Discovered({"team": "x"}))
    assert (finding.severity, finding.field) == (
        Severity.ERROR,
        "spec.launch.securityGroupSelector",
    )
    assert "team=x" in finding.message
    found = Discovered(SELECTOR, security_groups=("sg-1",))
    assert check_security_groups(make_pool(launch={}), found) == []
