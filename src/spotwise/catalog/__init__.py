"""The EC2 capacity catalog: instance types, offerings, prices and interruption buckets."""

from spotwise.catalog.catalog import Catalog, CatalogMetadata, Source, UnknownInstanceType

__all__ = ["Catalog", "CatalogMetadata", "Source", "UnknownInstanceType"]
