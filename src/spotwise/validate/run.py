"""Every check of a pool, offline (the catalog) and online (facts gathered from AWS)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.validate.allowed_types import AllowedTypes
from spotwise.validate.architecture import (
    check_image_architecture,
    check_images_by_architecture,
    check_type_architectures,
)
from spotwise.validate.facts import Image, PoolFacts
from spotwise.validate.finding import Finding, warning
from spotwise.validate.image import check_image
from spotwise.validate.imds import check_metadata_options
from spotwise.validate.instance_profile import check_instance_profile
from spotwise.validate.instance_types import check_allowed_types, check_known_types
from spotwise.validate.launch import check_launch_given
from spotwise.validate.network import check_security_groups, check_subnets
from spotwise.validate.offerings import (
    check_offerings,
    check_spot_diversity,
    check_zones,
    pool_zones,
)
from spotwise.validate.volumes import check_kms_keys, check_root_device, check_snapshots


def offline_findings(
    pool: NodePool, catalog: Catalog, allowed: AllowedTypes | None = None
) -> list[Finding]:
    """The checks that need only the pool and the catalog (and the allowed types)."""
    findings = [] if allowed is None else check_allowed_types(pool, allowed)
    findings += check_known_types(pool, catalog)
    findings += check_zones(pool, catalog)
    findings += check_offerings(pool, catalog)
    findings += check_spot_diversity(pool, catalog)
    findings += check_type_architectures(pool, catalog)
    findings += check_launch_given(pool)
    findings += check_metadata_options(pool)
    findings += check_kms_keys(pool)
    return findings


def online_findings(pool: NodePool, facts: PoolFacts, catalog: Catalog) -> list[Finding]:
    """The checks of what AWS says about the pool's ``spec.launch``."""
    findings: list[Finding] = []
    if facts.image is not None:
        findings += check_image(pool, facts.image)
        if isinstance(facts.image, Image):
            findings += check_image_architecture(pool, facts.image, catalog)
            findings += check_root_device(pool, facts.image)
    for image in facts.images_by_architecture.values():
        findings += check_image(pool, image)
    findings += check_images_by_architecture(pool, facts.images_by_architecture)
    for image in facts.images_by_architecture.values():
        if isinstance(image, Image):
            findings += check_root_device(pool, image)
    findings += check_snapshots(pool, facts.snapshots)
    if facts.subnets is not None:
        findings += check_subnets(pool, facts.subnets, pool_zones(pool, catalog))
    if facts.security_groups is not None:
        findings += check_security_groups(pool, facts.security_groups)
    if facts.instance_profile is not None:
        findings += check_instance_profile(pool, facts.instance_profile)
    # A check that could not be made is a warning: a pass there would prove nothing.
    findings += [
        warning(pool.name, note.field, f"not checked: {note.reason}", note.fix)
        for note in facts.unchecked
    ]
    return findings


def validate(
    pools: Sequence[NodePool],
    catalog: Catalog,
    *,
    allowed: AllowedTypes | None = None,
    facts: Mapping[str, PoolFacts] | None = None,
) -> list[Finding]:
    """Every finding of every pool, pool by pool in file order.

    Args:
        pools: The pools of one file.
        catalog: The region's instance types and offerings.
        allowed: The cluster's allowed instance types, if it restricts them.
        facts: Pool name -> AWS facts (`gather_facts`); None to check offline only.
    """
    findings = []
    for pool in pools:
        findings += offline_findings(pool, catalog, allowed)
        if facts is not None and pool.name in facts:
            findings += online_findings(pool, facts[pool.name], catalog)
    return findings
