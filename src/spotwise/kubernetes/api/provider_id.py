"""EC2 provider IDs, as the Kubernetes world reads them (`spotwise.model.provider_id`)."""

from spotwise.model.provider_id import PREFIX, parse_provider_id, provider_id

__all__ = ["PREFIX", "parse_provider_id", "provider_id"]
