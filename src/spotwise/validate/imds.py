"""Checks of the instance metadata service (IMDS) options of a pool's nodes.

Pods reach IMDS for credentials (SDKs falling back to the node role), for the region
and instance ID, and spotwise's node agent for spot interruption notices; nodeadm reads
it to join the cluster.
"""

from __future__ import annotations

import re

from spotwise.config.nodepool import NodePool
from spotwise.validate.finding import Finding, error, warning

_FIELD = "spec.launch.metadataOptions"
# Signs that the pool's own user data reads instance metadata.
_READS_IMDS = re.compile(r"169\.254\.169\.254|fd00:ec2::254|ec2-metadata|imds", re.IGNORECASE)


def check_metadata_options(pool: NodePool) -> list[Finding]:
    """IMDS must be on for nodeadm, and reachable from pods with IMDSv2 only.

    - ``httpEndpoint: disabled`` is an error: spotwise's user data runs nodeadm, which
      reads the instance's metadata to configure the kubelet, so the node never joins.
    - ``httpPutResponseHopLimit: 1`` is a warning: the token reply stops one hop short of
      pods on the container network, so their IMDSv2 clients time out.
    - ``httpTokens: optional`` is a warning: IMDSv1 lets a request forgery in any pod
      read the node role's credentials.
    """
    launch = pool.spec.launch
    if launch is None:
        return []
    options = launch.metadata_options
    if options.http_endpoint == "disabled":
        extra = (
            "; the pool's userData reads it too"
            if launch.user_data and _READS_IMDS.search(launch.user_data)
            else ""
        )
        return [
            error(
                pool.name,
                f"{_FIELD}.httpEndpoint",
                "is disabled, but nodeadm (which spotwise's user data runs) reads instance"
                f" metadata to join the cluster{extra}; nodes never become Ready, and spot"
                " interruption notices cannot be read on the node",
                "set httpEndpoint: enabled (use httpPutResponseHopLimit: 1 to keep pods out)",
            )
        ]
    findings = []
    if options.http_put_response_hop_limit < 2:
        findings.append(
            warning(
                pool.name,
                f"{_FIELD}.httpPutResponseHopLimit",
                "is 1, so pods on the container network cannot get an IMDSv2 token: SDKs in"
                " pods (credentials, region) and a node agent without hostNetwork time out",
                "set 2; keep 1 only to block pods from instance metadata on purpose",
            )
        )
    if options.http_tokens == "optional":
        findings.append(
            warning(
                pool.name,
                f"{_FIELD}.httpTokens",
                "is optional, so IMDSv1 is on: a request forgery in any pod can read the"
                " node role's credentials",
                "set httpTokens: required (IMDSv2 only)",
            )
        )
    return findings
