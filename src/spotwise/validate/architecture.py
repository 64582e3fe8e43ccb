"""Checks that a pool's types, its architecture and its image agree.

One AMI boots one architecture: EC2 refuses to launch a type of another architecture
than its image's, so such a type is an override that always fails.
"""

from __future__ import annotations

from collections import defaultdict

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.model.instance_type import Architecture
from spotwise.validate.facts import Image
from spotwise.validate.finding import Finding, error, names


def _types_by_index(pool: NodePool, catalog: Catalog) -> list[tuple[int, str, Architecture]]:
    return [
        (index, name, catalog.instance_types[name].architecture)
        for index, name in enumerate(pool.spec.instance_types)
        if name in catalog.instance_types
    ]


def check_type_architectures(pool: NodePool, catalog: Catalog) -> list[Finding]:
    """The pool's types must run its architecture, and one pool with an AMI one only.

    A type of another architecture than the pool's is never launched (the planner skips
    it). Without an architecture, a pool with ``spec.launch`` must not mix them: its one
    image cannot boot both.
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
        ]
    if pool.spec.launch is None:
        return []  # a pool for planning only boots no image
    if not pool.spec.instance_types:
        return [
            error(
                pool.name,
                "spec.architecture",
                "is unset and the pool lists no instanceTypes, so it may launch x86_64 and"
                " arm64 nodes, but its one image boots one architecture",
                "set architecture to the image's (x86_64 or arm64)",
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
            "split it into a pool per architecture, each with its image and architecture set",
        )
    ]


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
