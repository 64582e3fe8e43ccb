"""A pool's types, architecture and image must agree."""

from spotwise.catalog.catalog import Catalog
from spotwise.model.instance_type import Architecture
from spotwise.validate import Severity
from spotwise.validate.architecture import check_image_architecture, check_type_architectures
from spotwise.validate.facts import Image
from validate.conftest import make_pool

ERROR = Severity.ERROR
ARM_IMAGE = Image("ami-0123456789abcdef0", "/dev/xvda", Architecture.ARM64)


def test_types_of_another_architecture_than_the_pools_are_errors(catalog: Catalog) -> None:
    pool = make_pool(instanceTypes=["m6i.large", "m7g.large"], architecture="arm64")
    (finding,) = check_type_architectures(pool, catalog)
    assert (finding.severity, finding.field) == (ERROR, "spec.instanceTypes[0]")
    assert finding.message.startswith("m6i.large runs x86_64, not the pool's architecture arm64")
    same = make_pool(instanceTypes=["m7g.large", "c7g.large"], architecture="arm64")
    assert check_type_architectures(same, catalog) == []


def test_mixed_architectures_with_one_image_are_an_error(catalog: Catalog) -> None:
    pool = make_pool(launch={}, instanceTypes=["m6i.large", "m7g.large", "c7g.large"])
    (finding,) = check_type_architectures(pool, catalog)
    assert (finding.severity, finding.field) == (ERROR, "spec.instanceTypes")
    assert finding.message.startswith("mixes x86_64 (m6i.large) and arm64 (m7g.large, c7g.large)")
    # Without spec.launch no image is booted: a planning pool may mix.
    planning = make_pool(instanceTypes=["m6i.large", "m7g.large"])
    assert check_type_architectures(planning, catalog) == []
    assert (
        check_type_architectures(make_pool(launch={}, instanceTypes=["m6i.large"]), catalog) == []
    )


def test_any_type_and_no_architecture_with_an_image_is_an_error(catalog: Catalog) -> None:
    (finding,) = check_type_architectures(make_pool(launch={}), catalog)
    assert finding.field == "spec.architecture"
    assert check_type_architectures(make_pool(launch={}, architecture="x86_64"), catalog) == []


def test_the_image_must_be_of_the_pools_architecture(catalog: Catalog) -> None:
    pool = make_pool(launch={}, architecture="x86_64", instanceTypes=["m6i.large"])
    (finding,) = check_image_architecture(pool, ARM_IMAGE, catalog)
    assert (finding.severity, finding.field) == (ERROR, "spec.launch.ami")
    assert "is arm64, but the pool's architecture is x86_64" in finding.message
    arm = make_pool(launch={}, architecture="arm64", instanceTypes=["m7g.large"])
    assert check_image_architecture(arm, ARM_IMAGE, catalog) == []


def test_without_an_architecture_the_image_must_match_the_types(catalog: Catalog) -> None:
    pool = make_pool(launch={}, instanceTypes=["m7g.large", "m6i.large"])
    (finding,) = check_image_architecture(pool, ARM_IMAGE, catalog)
    assert finding.field == "spec.instanceTypes[1]"
    assert "m6i.large runs x86_64, but the pool's image" in finding.message
    assert "architecture: arm64" in finding.fix
    unknown = Image("ami-0123456789abcdef0", "/dev/xvda", None)
    assert check_image_architecture(pool, unknown, catalog) == []
