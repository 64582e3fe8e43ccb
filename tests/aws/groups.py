"""Auto Scaling groups in moto, with a terminate lifecycle hook, for the handler's tests."""

from __future__ import annotations

import boto3

from conftest import client

HOOK = "drain"


def auto_scaling_group(
    aws_endpoint: str,
    name: str,
    *,
    tags: dict[str, str] | None = None,
    timeout: int = 300,
    size: int = 1,
) -> list[str]:
    """A group of ``size`` m5.large instances in us-east-1a with hook `HOOK`; their ids."""
    session = boto3.Session(region_name="us-east-1")
    ec2 = client(session, "ec2", aws_endpoint)
    image = ec2.register_image(Name=f"{name}-image", RootDeviceName="/dev/xvda")["ImageId"]
    ec2.create_launch_template(
        LaunchTemplateName=name,
        LaunchTemplateData={"ImageId": image, "InstanceType": "m5.large"},
    )
    autoscaling = client(session, "autoscaling", aws_endpoint)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": name},
        MinSize=0,
        MaxSize=size + 2,
        DesiredCapacity=size,
        AvailabilityZones=["us-east-1a"],
        Tags=[
            {"Key": k, "Value": v, "ResourceId": name, "ResourceType": "auto-scaling-group"}
            for k, v in (tags or {}).items()
        ],
    )
    autoscaling.put_lifecycle_hook(
        AutoScalingGroupName=name,
        LifecycleHookName=HOOK,
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING",
        HeartbeatTimeout=timeout,
        DefaultResult="CONTINUE",
    )
    found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return sorted(i["InstanceId"] for i in found["AutoScalingGroups"][0]["Instances"])
