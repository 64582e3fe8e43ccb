"""What nodes need to join the cluster, from flags or from EKS (``eks:DescribeCluster``)."""

from __future__ import annotations

from typing import Any

from spotwise.aws.calls import aws_call, make_client
from spotwise.aws.user_data import ClusterJoin
from spotwise.errors import UserError


def cluster_join(
    session: Any,
    *,
    region: str,
    name: str,
    endpoint: str | None = None,
    certificate_authority: str | None = None,
    service_cidr: str | None = None,
    endpoint_url: str | None = None,
) -> ClusterJoin:
    """The cluster's API endpoint, CA and service CIDR: as given, the rest from EKS.

    Karpenter reads them the same way (settings first, DescribeCluster for the rest), so
    a cluster that is not EKS passes all three and needs no EKS permission.

    Raises:
        UserError: If EKS does not know the cluster and the flags do not say it all.
        CloudError: If the call fails otherwise.
    """
    if endpoint and certificate_authority and service_cidr:
        return ClusterJoin(name, endpoint, certificate_authority, service_cidr)
    eks = make_client(session, "eks", region, endpoint_url)
    with aws_call("eks:DescribeCluster", region):
        try:
            cluster = eks.describe_cluster(name=name)["cluster"]
        except eks.exceptions.ResourceNotFoundException:
            raise UserError(
                "--cluster-name",
                f"EKS has no cluster {name!r} in {region}",
                "name an EKS cluster, or pass --cluster-endpoint, --cluster-ca and --service-cidr",
            ) from None
    network = cluster.get("kubernetesNetworkConfig", {})
    return ClusterJoin(
        name,
        endpoint or cluster.get("endpoint", ""),
        certificate_authority or cluster.get("certificateAuthority", {}).get("data", ""),
        service_cidr or network.get("serviceIpv4Cidr") or network.get("serviceIpv6Cidr", ""),
    )
