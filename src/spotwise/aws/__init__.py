"""The AWS world: the Cloud port on EC2, and the launch templates it launches from."""

from spotwise.aws.ec2_cloud import Ec2Cloud
from spotwise.aws.launch_template import LaunchTemplates, PoolTemplates, launch_template_data
from spotwise.aws.template_ref import LaunchTemplateRef, template_name
from spotwise.aws.user_data import ClusterJoin

__all__ = [
    "ClusterJoin",
    "Ec2Cloud",
    "LaunchTemplateRef",
    "LaunchTemplates",
    "PoolTemplates",
    "launch_template_data",
    "template_name",
]
