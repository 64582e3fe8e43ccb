"""Checks that a pool's types, its architecture and its images agree.

One AMI boots one architecture: EC2 refuses to launch a type of another architecture
than its image's, so such a type is an override that always fails. A pool whose nodes
may be x86_64 or arm64 gives an image per architecture (``amiByArchitecture``); spotwise
launches each type with its architecture's image and leaves out types without one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from spotwise.catalog.catalog import Catalog
from spotwise.config.launch import IMAGE_ARCHITECTURES, Launch
from spotwise.config.nodepool import NodePool
from spotwise.model import labels
from spotwise.model.instance_type import Architecture
from spotwise.model.scheduling_terms import Requirement
from spotwise.validate.facts import Image, Unresolved
from spotwise.validate.finding import Finding, error, names, warning

_BY_ARCHITECTURE = "spec.launch.amiByArchitecture"


def _types_by_index(pool: NodePool, catalog: Catalog) -> list[tuple[int, str, Architecture]]:
    return [
        (index, name, catalog.instance_types[name].architecture)
        for index, name in enumerate(pool.spec.instance_types)
        if name in catalog.instance_types
    ]


def check_type_architectures(pool: NodePool, catalog: Catalog) -> list[Finding]:
    """The pool's types must run its architecture, and each architecture needs an image.

    A type of another architecture than the pool's is never launched (the planner skips
    it). Without an architecture, a pool with one image (``ami``) must not mix them: its
    one image cannot boot both; a pool with an image per architecture needs one for
    every architecture its types span (`check_images_cover_types`).
    """
    wanted = pool.spec.architecture
    types = _types_by_index(pool, catalog)
    if wanted is not None:
        return [
            error(
                pool.name,
                f"spec.instanceTypes[{index}]",
                f"{name} runs {arch.value}, not the pool's architecture {wanted.value}; it is"
                " never launched",
                f"drop it, or replace it with a {wanted.value} type",
            )
            for index, name, arch in types
            if arch is not wanted
        ] + check_images_cover_types(pool, catalog)
    launch = pool.spec.launch
    if launch is None:
        return []  # a pool for planning only boots no image
    if launch.ami_by_architecture is not None:
        return check_images_cover_types(pool, catalog)
    if not pool.spec.instance_types:
        return [
            error(
                pool.name,
                "spec.architecture",
                "is unset and the pool lists no instanceTypes, so it may launch x86_64 and"
                " arm64 nodes, but its one image boots one architecture",
                "set architecture to the image's (x86_64 or arm64), or give an image per"
                " architecture in spec.launch.amiByArchitecture",
            )
        ]
    by_arch: dict[Architecture, list[str]] = defaultdict(list)
    for _, name, arch in types:
        by_arch[arch].append(name)
    if len(by_arch) < 2:
        return []
    mix = " and ".join(f"{arch.value} ({names(found)})" for arch, found in by_arch.items())
    return [
        error(
            pool.name,
            "spec.instanceTypes",
            f"mixes {mix}, but the pool's one image boots one architecture",
            "give an image per architecture in spec.launch.amiByArchitecture instead of ami,"
            " or split it into a pool per architecture, each with its image and architecture",
        )
    ]


def spanned_architectures(pool: NodePool, catalog: Catalog) -> dict[Architecture, list[str]]:
    """The architectures the pool's nodes may run, each with the named types that run it.

    Named types (``instanceTypes``) span their own architectures (only the pool's
    ``architecture``, when set: other types are never launched). A pool that names none
    allows every x86_64 and arm64 type of the catalog (the planner's default), less what
    its ``architecture`` or ``kubernetes.io/arch`` requirements rule out; those
    architectures come with no type names.
    """
    wanted = pool.spec.architecture
    if pool.spec.instance_types:
        spanned: dict[Architecture, list[str]] = defaultdict(list)
        for _, name, arch in _types_by_index(pool, catalog):
            if wanted in (None, arch):
                spanned[arch].append(name)
        return dict(spanned)
    arch_requirements = [
        Requirement(r.key, r.operator, r.values)
        for r in pool.spec.requirements
        if r.key == labels.ARCH
    ]
    present = {t.architecture for t in catalog.instance_types.values()}
    return {
        arch: []
        for arch in IMAGE_ARCHITECTURES
        if arch in present
        and wanted in (None, arch)
        and all(r.matches({labels.ARCH: arch.kubernetes}) for r in arch_requirements)
    }


def check_images_cover_types(pool: NodePool, catalog: Catalog) -> list[Finding]:
    """A pool with an image per architecture needs one for each architecture it may run.

    Types whose architecture has no image are never launched (spotwise leaves them out of
    every launch rather than boot them with another architecture's image): an error. An
    image for an architecture the pool never runs is never used: a warning.
    """
    launch = pool.spec.launch
    if launch is None or launch.ami_by_architecture is None:
        return []
    given = launch.ami_by_architecture
    spanned = spanned_architectures(pool, catalog)
    findings = []
    for arch, found in spanned.items():
        if arch in given:
            continue
        if found:
            problem = f"so the pool's {arch.value} types ({names(found)}) are never launched"
            fix = (
                f"add {arch.value} with its image, or drop those types"
                if arch in IMAGE_ARCHITECTURES
                else "drop those types (images are given for x86_64 and arm64 only)"
            )
        elif pool.spec.architecture is not None:
            problem = "the pool's architecture, so none of its nodes can be launched"
            fix = f"add {arch.value} with its image"
        else:
            problem = (
                f"but the pool lists no instanceTypes, so it may plan {arch.value} nodes,"
                " which are never launched"
            )
            # Two architectures: the one given is the other.
            other = " or ".join(a.value for a in given)
            fix = f"add {arch.value} with its image, or set architecture: {other}"
        findings.append(
            error(pool.name, _BY_ARCHITECTURE, f"has no image for {arch.value}, {problem}", fix)
        )
    findings += [
        warning(
            pool.name,
            Launch.image_field(arch),
            f"is never used: the pool launches no {arch.value} node",
            "drop it, or add types of that architecture",
        )
        for arch in given
        if arch not in spanned
    ]
    return findings


def check_image_architecture(pool: NodePool, image: Image, catalog: Catalog) -> list[Finding]:
    """The image's architecture must be the pool's, or its types' when it sets none."""
    found = image.architecture
    if found is None:
        return []  # EC2 did not say; nothing to compare
    wanted = pool.spec.architecture
    if wanted is not None:
        if wanted is found:
            return []
        return [
            error(
                pool.name,
                "spec.launch.ami",
                f"image {image.image_id} is {found.value}, but the pool's architecture is"
                f" {wanted.value}; EC2 refuses to launch it",
                f"use a {wanted.value} image (for EKS, the .../{wanted.value}/... SSM"
                " parameter), or change architecture",
            )
        ]
    return [
        error(
            pool.name,
            f"spec.instanceTypes[{index}]",
            f"{name} runs {arch.value}, but the pool's image {image.image_id} is {found.value};"
            " EC2 refuses to launch it",
            f"drop it, or set architecture: {found.value} and list {found.value} types only",
        )
        for index, name, arch in _types_by_index(pool, catalog)
        if arch is not found
    ]


def check_images_by_architecture(
    pool: NodePool, images: Mapping[Architecture, Image | Unresolved]
) -> list[Finding]:
    """Each image of ``amiByArchitecture`` must be of the architecture it is given for.

    spotwise launches the types of an architecture with the image given for it; EC2
    refuses an image of another architecture on every one of them.
    """
    findings = []
    for arch, image in images.items():
        if not isinstance(image, Image) or image.architecture in (None, arch):
            continue  # unresolved (its own finding), or EC2 did not say, or right
        found = image.architecture
        assert found is not None
        findings.append(
            error(
                pool.name,
                Launch.image_field(arch),
                f"image {image.image_id} is {found.value}, but it is given for {arch.value};"
                f" EC2 refuses to launch it on {arch.value} types",
                f"use a {arch.value} image (for EKS, the .../{arch.value}/... SSM parameter),"
                f" or give this one under {found.value}",
            )
        )
    return findings
