"""Give a moto server what an EKS cluster's account has, for trying the controller.

    AWS_ENDPOINT_URL=http://127.0.0.1:5000 python scripts/moto_network.py CLUSTER

Creates a VPC with a subnet in us-east-1a and us-east-1b and a security group, all tagged
``karpenter.sh/discovery=CLUSTER`` as discovery expects, registers an x86_64 image and
prints its id (docs/controller.md). Refuses to run without AWS_ENDPOINT_URL: it is for
emulators, never for a real account.
"""

from __future__ import annotations

import os
import sys

import boto3


def main(cluster: str) -> None:
    """Set the network and image up and print the image id."""
    if not os.environ.get("AWS_ENDPOINT_URL"):
        sys.exit("error: AWS_ENDPOINT_URL: not set; point it at a moto server")
    ec2 = boto3.client("ec2", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    tags = [{"Key": "karpenter.sh/discovery", "Value": cluster}]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for index, zone in enumerate(("us-east-1a", "us-east-1b"), start=1):
        ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.0.{index}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}],
        )
    ec2.create_security_group(
        GroupName=f"{cluster}-nodes",
        Description="nodes",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )
    image = ec2.register_image(Name="eks-node", Architecture="x86_64", RootDeviceName="/dev/xvda")
    print(image["ImageId"])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: moto_network.py CLUSTER")
    main(sys.argv[1])
