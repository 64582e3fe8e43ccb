"""A pool's types, architecture and image must agree."""

from spotwise.catalog.catalog import Catalog
from spotwise.model.instance_type import Architecture
from spotwise.validate import Finding, Severity
from spotwise.validate.architecture import (
    check_image_architecture,
    check_images_by_architecture,
    check_type_architectures,
)
from spotwise.validate.facts import Image, Unresolved
from validate.conftest import make_pool

ERROR, WARNING = Severity.ERROR, Severity.WARNING
X86, ARM = Architecture.X86_64, Architecture.ARM64
ARM_IMAGE = Image("ami-0123456789abcdef0", "/dev/xvda", Architecture.ARM64)
X86_IMAGE = Image("ami-0123456789abcdef1", "/dev/xvda", Architecture.X86_64)
IMAGES = {"x86_64": {"id": X86_IMAGE.image_id}, "arm64": {"id": ARM_IMAGE.image_id}}
MIXED = ["m6i.large", "m7g.large", "c7g.large"]


def brief(findings: list[Finding]) -> list[tuple[Severity, str]]:
    return [(f.severity, f.field) for f in findings]


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


def test_an_image_per_architecture_lets_a_pool_mix_them(catalog: Catalog) -> None:
    named = make_pool(launch={"amiByArchitecture": IMAGES}, instanceTypes=MIXED)
    assert check_type_architectures(named, catalog) == []
    # Without instanceTypes the pool may launch x86_64 and arm64 nodes: both have an image.
    assert check_type_architectures(make_pool(launch={"amiByArchitecture": IMAGES}), catalog) == []


def test_types_whose_architecture_has_no_image_are_an_error(catalog: Catalog) -> None:
    only_x86 = {"amiByArchitecture": {"x86_64": IMAGES["x86_64"]}}
    (finding,) = check_type_architectures(make_pool(launch=only_x86, instanceTypes=MIXED), catalog)
    assert (finding.severity, finding.field) == (ERROR, "spec.launch.amiByArchitecture")
    assert finding.message == (
        "has no image for arm64, so the pool's arm64 types (m7g.large, c7g.large) are never"
        " launched"
    )
    assert finding.fix == "add arm64 with its image, or drop those types"
    mac = make_pool(launch={"amiByArchitecture": IMAGES}, instanceTypes=[*MIXED, "mac1.metal"])
    (finding,) = check_type_architectures(mac, catalog)
    assert finding.message.startswith("has no image for x86_64_mac, so the pool's x86_64_mac")
    assert finding.fix == "drop those types (images are given for x86_64 and arm64 only)"
    (any_type,) = check_type_architectures(make_pool(launch=only_x86), catalog)
    assert any_type.field == "spec.launch.amiByArchitecture"
    assert "may plan arm64 nodes" in any_type.message
    assert any_type.fix == "add arm64 with its image, or set architecture: x86_64"


def test_what_rules_an_architecture_out_needs_no_image_for_it(catalog: Catalog) -> None:
    only_x86 = {"amiByArchitecture": {"x86_64": IMAGES["x86_64"]}}
    amd64 = [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]}]
    not_arm = [{"key": "kubernetes.io/arch", "operator": "NotIn", "values": ["arm64"]}]
    for requirements in (amd64, not_arm):
        pool = make_pool(launch=only_x86, requirements=requirements)
        assert check_type_architectures(pool, catalog) == []
    pool = make_pool(launch=only_x86, architecture="x86_64")
    assert check_type_architectures(pool, catalog) == []
    named = make_pool(launch=only_x86, instanceTypes=["m6i.large", "m5.large"])
    assert check_type_architectures(named, catalog) == []


def test_the_pools_own_architecture_needs_its_image_and_others_are_unused(
    catalog: Catalog,
) -> None:
    only_x86 = {"amiByArchitecture": {"x86_64": IMAGES["x86_64"]}}
    pool = make_pool(launch=only_x86, architecture="arm64")
    missing, unused = check_type_architectures(pool, catalog)
    assert brief([missing, unused]) == [
        (ERROR, "spec.launch.amiByArchitecture"),
        (WARNING, "spec.launch.amiByArchitecture.x86_64"),
    ]
    assert missing.message == (
        "has no image for arm64, the pool's architecture, so none of its nodes can be launched"
    )
    assert unused.message == "is never used: the pool launches no x86_64 node"
    named = make_pool(launch=only_x86, architecture="arm64", instanceTypes=["m7g.large"])
    assert (
        "the pool's arm64 types (m7g.large)" in check_type_architectures(named, catalog)[0].message
    )
    # A type of another architecture than the pool's is its own error, and needs no image.
    stray = make_pool(
        launch=only_x86, architecture="x86_64", instanceTypes=["m6i.large", "m7g.large"]
    )
    assert brief(check_type_architectures(stray, catalog)) == [(ERROR, "spec.instanceTypes[1]")]
    x86_only = make_pool(launch={"amiByArchitecture": IMAGES}, instanceTypes=["m6i.large"])
    assert brief(check_type_architectures(x86_only, catalog)) == [
        (WARNING, "spec.launch.amiByArchitecture.arm64")
    ]


def test_each_image_must_be_of_the_architecture_it_is_given_for(catalog: Catalog) -> None:
    pool = make_pool(launch={"amiByArchitecture": IMAGES}, instanceTypes=MIXED)
    assert check_images_by_architecture(pool, {X86: X86_IMAGE, ARM: ARM_IMAGE}) == []
    (finding,) = check_images_by_architecture(pool, {X86: X86_IMAGE, ARM: X86_IMAGE})
    assert (finding.severity, finding.field) == (ERROR, "spec.launch.amiByArchitecture.arm64")
    assert finding.message == (
        f"image {X86_IMAGE.image_id} is x86_64, but it is given for arm64; EC2 refuses to"
        " launch it on arm64 types"
    )
    assert "or give this one under x86_64" in finding.fix
    # What EC2 does not say, or what did not resolve, is not judged here.
    unknown = Image("ami-0123456789abcdef2", "/dev/xvda", None)
    gone = Unresolved("spec.launch.amiByArchitecture.arm64.id", "does not exist", "fix it")
    assert check_images_by_architecture(pool, {X86: unknown, ARM: gone}) == []
