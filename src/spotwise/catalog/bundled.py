"""The catalogs that ship inside the package."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from spotwise.catalog import snapshot
from spotwise.catalog.catalog import Catalog
from spotwise.errors import UserError

DEFAULT_REGION = "us-east-1"
# Next to this module; importlib.resources would cost more start-up time than the load itself.
DATA = Path(__file__).parent / "data"


def bundled_regions() -> tuple[str, ...]:
    """Regions with a bundled snapshot."""
    return tuple(sorted(p.name.removesuffix(".json.gz") for p in DATA.glob("*.json.gz")))


def bundled_path(region: str) -> Path:
    """The path of a region's bundled snapshot (which may not exist)."""
    return DATA / f"{region}.json.gz"


@cache
def load_bundled(region: str = DEFAULT_REGION) -> Catalog:
    """The bundled catalog of ``region``, read once per process.

    Raises:
        UserError: If no snapshot is bundled for the region.
    """
    path = bundled_path(region)
    if not path.exists():
        raise UserError(
            "--region",
            f"no bundled catalog for {region!r} (bundled: {', '.join(bundled_regions())})",
            "use a bundled region or build one with 'spotwise catalog refresh --region R --out F'"
            " and pass it with --catalog F",
        )
    return snapshot.read(path)


def load_catalog(region: str | None, catalog_file: Path | None) -> Catalog:
    """The catalog a command should use: a file when given, else the bundled one.

    Raises:
        UserError: If the file is unreadable, or it describes another region than asked.
    """
    if catalog_file is None:
        return load_bundled(region or DEFAULT_REGION)
    catalog = snapshot.read(catalog_file)
    if region and catalog.region != region:
        raise UserError(
            "--region",
            f"{region!r} does not match the catalog file, which describes {catalog.region!r}",
            "drop --region or pass a catalog of that region",
        )
    return catalog
