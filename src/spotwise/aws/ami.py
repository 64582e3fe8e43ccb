"""Which image a pool's nodes boot: by ID, by SSM parameter, or the newest matching tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from spotwise.aws.calls import aws_call, error_code
from spotwise.aws.discovery import tag_filters
from spotwise.config.nodepool import AmiSelector
from spotwise.errors import UserError
from spotwise.model.instance_type import Architecture

# EKS publishes its optimized AMIs here; a pool names one parameter under this path.
EKS_AMI_PARAMETERS = "/aws/service/eks/optimized-ami/"


def resolve_image_id(
    ami: AmiSelector,
    *,
    ec2: Any,
    ssm: Callable[[], Any],
    region: str,
    architecture: Architecture | None,
    subject: str,
) -> str:
    """The AMI ID the selector picks now.

    Args:
        ami: The pool's selector.
        ec2: An EC2 client.
        ssm: Makes an SSM client; called only for an ``ssmParameter`` selector.
        region: The region, for messages.
        architecture: The pool's architecture: a tag selector only picks images of it.
        subject: The selector's place in the configuration, for messages.

    Raises:
        UserError: If the parameter does not exist or no image matches the tags.
        CloudError: If a call fails otherwise.
    """
    if ami.id is not None:
        return ami.id
    if ami.ssm_parameter is not None:
        return _from_parameter(ssm(), ami.ssm_parameter, region, subject)
    assert ami.tags is not None  # the schema gives exactly one way
    filters = [*tag_filters(ami.tags), {"Name": "state", "Values": ["available"]}]
    if architecture is not None:
        filters.append({"Name": "architecture", "Values": [architecture.value]})
    with aws_call("ec2:DescribeImages", region):
        images = ec2.describe_images(Owners=list(ami.image_owners), Filters=filters)["Images"]
    if not images:
        arch = f" for {architecture.value}" if architecture is not None else ""
        raise UserError(
            f"{subject}.tags",
            f"no available image{arch} owned by {', '.join(ami.image_owners)} in {region}"
            f" has the tags {ami.tags}",
            "tag the image, or fix the tags or owners",
        )
    # The newest image wins, so that tagging a new build rolls it out.
    newest = max(images, key=lambda image: (image.get("CreationDate", ""), image["ImageId"]))
    return str(newest["ImageId"])


def _from_parameter(ssm: Any, name: str, region: str, subject: str) -> str:
    with aws_call("ssm:GetParameter", region):
        try:
            value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
        except ClientError as error:
            if error_code(error) != "ParameterNotFound":
                raise
            raise UserError(
                f"{subject}.ssmParameter",
                f"{name} does not exist in {region}",
                "check the Kubernetes version, OS and architecture in the path",
            ) from None
    if not str(value).startswith("ami-"):
        raise UserError(
            f"{subject}.ssmParameter",
            f"{name} holds {value!r}, not an AMI ID",
            "name a parameter whose value is an image ID (such as .../image_id)",
        )
    return str(value)
