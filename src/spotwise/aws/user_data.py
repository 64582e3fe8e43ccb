"""User data that joins an EKS cluster with the node's labels and taints (AL2023, nodeadm).

AL2023's nodeadm reads ``NodeConfig`` documents from a MIME multipart user data; the
kubelet flags there register the node already labelled and tainted, so no pod lands on
it before the labels that pods select on are present.
"""

from __future__ import annotations

import email
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

import yaml

from spotwise.config.nodepool import user_data_content_type
from spotwise.model import labels as keys
from spotwise.model.instance_type import CapacityType
from spotwise.model.scheduling_terms import Taint

NODE_CONFIG_API_VERSION = "node.eks.aws/v1alpha1"
NODE_CONFIG_CONTENT_TYPE = "application/node.eks.aws"
# Fixed rather than random, so that the same pool always yields the same user data and
# an unchanged pool does not create a new launch template version.
BOUNDARY = "==SPOTWISE-BOUNDARY=="


@dataclass(frozen=True, slots=True)
class ClusterJoin:
    """What a node needs to join the cluster (``aws eks describe-cluster`` has all four).

    Attributes:
        name: The EKS cluster's name.
        api_server_endpoint: The API server's URL.
        certificate_authority: The cluster CA, base64-encoded PEM, as EKS gives it.
        cidr: The Kubernetes service CIDR (the cluster DNS address is derived from it).
    """

    name: str
    api_server_endpoint: str
    certificate_authority: str
    cidr: str


def template_labels(
    pool: str, pool_labels: Mapping[str, str], capacity_type: CapacityType
) -> dict[str, str]:
    """The labels every node of one pool and capacity type registers with.

    Every capacity-type convention (Karpenter, EKS, the workshops' ``lifecycle``,
    Ocean), the pool, then the pool's own labels, which win.
    """
    return {
        **keys.capacity_type_labels(capacity_type),
        keys.NODE_POOL: pool,
        **pool_labels,
    }


def kubelet_flags(labels: Mapping[str, str], taints: Sequence[Taint]) -> list[str]:
    """``--node-labels`` and ``--register-with-taints`` for the kubelet, sorted for stability."""
    flags = []
    if labels:
        flags.append("--node-labels=" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())))
    if taints:
        flags.append("--register-with-taints=" + ",".join(str(t) for t in taints))
    return flags


def node_config(
    cluster: ClusterJoin, labels: Mapping[str, str], taints: Sequence[Taint]
) -> dict[str, Any]:
    """The nodeadm ``NodeConfig`` document."""
    return {
        "apiVersion": NODE_CONFIG_API_VERSION,
        "kind": "NodeConfig",
        "spec": {
            "cluster": {
                "name": cluster.name,
                "apiServerEndpoint": cluster.api_server_endpoint,
                "certificateAuthority": cluster.certificate_authority,
                "cidr": cluster.cidr,
            },
            "kubelet": {"flags": kubelet_flags(labels, taints)},
        },
    }


def node_user_data(
    cluster: ClusterJoin,
    labels: Mapping[str, str],
    taints: Sequence[Taint],
    extra: str | None = None,
) -> str:
    """MIME multipart user data: spotwise's NodeConfig, then the pool's own user data.

    nodeadm merges NodeConfig documents in order, so a pool's own NodeConfig can add
    kubelet settings; shell scripts and cloud-config run as cloud-init runs them.

    Raises:
        ValueError: If ``extra`` is not a format cloud-init or nodeadm reads.
    """
    document = yaml.safe_dump(node_config(cluster, labels, taints), sort_keys=False)
    parts = [_part(NODE_CONFIG_CONTENT_TYPE, "---\n" + document)]
    if extra is not None:
        parts.extend(_extra_parts(extra))
    for part in parts:
        if f"--{BOUNDARY}" in part:
            raise ValueError("user data contains spotwise's MIME boundary; change the text")
    body = "".join(f"--{BOUNDARY}\n{part}\n" for part in parts)
    return (
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{BOUNDARY}"\n\n'
        f"{body}--{BOUNDARY}--\n"
    )


def _part(content_type: str, text: str) -> str:
    return f"Content-Type: {content_type}\n\n{text.rstrip()}\n"


def _extra_parts(extra: str) -> list[str]:
    content_type = user_data_content_type(extra)
    if content_type != "multipart/mixed":
        charset = '; charset="us-ascii"' if content_type.startswith("text/") else ""
        return [_part(content_type + charset, extra.lstrip())]
    message = email.message_from_string(extra.lstrip())
    if not message.is_multipart():
        raise ValueError("user data says MIME but is not multipart; send multipart/mixed")
    # Each part keeps its own headers (type, transfer encoding) as the author wrote them.
    return [part.as_string() for part in message.get_payload() if isinstance(part, Message)]
