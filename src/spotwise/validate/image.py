"""Whether a pool's image selector picks an image, as AWS sees it."""

from __future__ import annotations

from spotwise.config.nodepool import NodePool
from spotwise.validate.facts import Image, Unresolved
from spotwise.validate.finding import Finding, error


def check_image(pool: NodePool, image: Image | Unresolved) -> list[Finding]:
    """The AMI selector must pick an image that exists (by ID, SSM parameter or tags)."""
    if isinstance(image, Image):
        return []
    return [error(pool.name, image.field, image.problem, image.fix)]
