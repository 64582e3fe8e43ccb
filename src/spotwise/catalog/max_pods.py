"""Pods per node as the AWS VPC CNI allows them, the way EKS computes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def eni_max_pods(network_info: Mapping[str, Any]) -> int:
    """Max pods of an instance type from its DescribeInstanceTypes ``NetworkInfo``.

    EKS's ``eni-max-pods.txt`` uses ``ENIs x (IPv4 addresses per ENI - 1) + 2``: the
    first address of each interface is the node's own, and two host-network pods
    (aws-node and kube-proxy) need no address. Only the default network card's
    interfaces count, because the VPC CNI uses that card alone.

    Args:
        network_info: The ``NetworkInfo`` object of a DescribeInstanceTypes answer.

    Returns:
        The maximum number of pods, at least 1.
    """
    enis = int(network_info.get("MaximumNetworkInterfaces", 1))
    default_card = int(network_info.get("DefaultNetworkCardIndex", 0))
    for card in network_info.get("NetworkCards", ()):
        if int(card.get("NetworkCardIndex", 0)) == default_card:
            enis = int(card.get("MaximumNetworkInterfaces", enis))
            break
    addresses = int(network_info.get("Ipv4AddressesPerInterface", 1))
    return max(1, enis * (addresses - 1) + 2)
