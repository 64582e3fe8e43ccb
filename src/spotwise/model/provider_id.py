"""EC2 provider IDs: ``aws:///<zone>/<instance-id>``, how a Node names its instance."""

from __future__ import annotations

PREFIX = "aws://"


def parse_provider_id(provider_id: str) -> tuple[str, str]:
    """The zone and the instance ID of an EC2 node's ``spec.providerID``.

    The cloud-controller-manager writes ``aws:///us-east-1a/i-0abc``; older clusters leave
    the zone out (``aws:///i-0abc``), which gives an empty zone.

    Raises:
        ValueError: If ``provider_id`` is not an EC2 provider ID.
    """
    if not provider_id.startswith(PREFIX):
        raise ValueError(f"{provider_id!r} is not an EC2 provider ID (aws:///<zone>/<instance>)")
    parts = [p for p in provider_id[len(PREFIX) :].split("/") if p]
    if not parts or not parts[-1].startswith("i-") or len(parts) > 2:
        raise ValueError(f"{provider_id!r} does not end in an EC2 instance ID")
    zone = parts[0] if len(parts) == 2 else ""
    return zone, parts[-1]


def provider_id(zone: str, instance_id: str) -> str:
    """The provider ID the cloud-controller-manager gives an instance's Node."""
    return f"{PREFIX}/{zone}/{instance_id}" if zone else f"{PREFIX}/{instance_id}"


def instance_id(provider_id: str) -> str:
    """The instance id at the end of a providerID, leniently: any provider's last segment.

    For matching Nodes to instances, where a Node of another provider must simply match
    nothing rather than fail (`parse_provider_id` is the strict reading).
    """
    return provider_id.rsplit("/", 1)[-1]
