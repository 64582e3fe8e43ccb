"""The AWS calls spotwise makes, and what their failures become.

deploy/iam-policy.json grants exactly these calls; the tests check that every call the
adapters make is listed here and granted there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from spotwise.ports.cloud import CloudError

# Calls made by spotwise.aws, as IAM actions.
AWS_CALLS: frozenset[str] = frozenset(
    {
        "ec2:CreateFleet",
        "ec2:DescribeInstances",
        "ec2:TerminateInstances",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeImages",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:CreateLaunchTemplate",
        "ec2:CreateLaunchTemplateVersion",
        "ec2:DeleteLaunchTemplate",
        "ssm:GetParameter",
        "eks:DescribeCluster",
        # The interruption queue (spotwise.aws.queue).
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        # Auto Scaling groups' nodes (spotwise.aws.autoscaling).
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeTags",
        "autoscaling:DescribeLifecycleHooks",
        "autoscaling:RecordLifecycleActionHeartbeat",
        "autoscaling:CompleteLifecycleAction",
    }
)
# Calls made by spotwise.catalog.refresh (the live catalog the controller reads).
CATALOG_REFRESH_CALLS: frozenset[str] = frozenset(
    {
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeInstanceTypeOfferings",
        "ec2:DescribeSpotPriceHistory",
        "pricing:GetProducts",
    }
)
# Permissions EC2 checks on the caller's behalf: CreateFleet launches through
# RunInstances, tags what it creates, and hands the node role to the instances.
IMPLIED_PERMISSIONS: frozenset[str] = frozenset(
    {"ec2:RunInstances", "ec2:CreateTags", "iam:PassRole"}
)

_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="spotwise",
)
_AUTH_CODES = frozenset(
    {
        "AuthFailure",
        "ExpiredToken",
        "RequestExpired",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
    }
)
_DENIED_CODES = frozenset({"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"})


def make_client(session: Any, service: str, region: str, endpoint_url: str | None) -> Any:
    """A boto3 client with spotwise's retry policy (throttling is retried, then raised).

    Raises:
        CloudError: If the client cannot be made (such as an unknown region).
    """
    with aws_call(f"{service} client", region):
        return session.client(
            service, region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG
        )


def error_code(error: ClientError) -> str:
    """The AWS error code of a failed call."""
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def aws_call(action: str, region: str) -> Iterator[None]:
    """Turn a failure of the call ``action`` (such as ``ec2:CreateFleet``) into `CloudError`.

    The message names the call, the region, AWS's code and the likely fix.

    Raises:
        CloudError: For any botocore failure inside the block.
    """
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        text = f"{action} in {region} failed: {code}: {message}"
        if code in _DENIED_CODES:
            text += f"; grant {action} to spotwise's role (see deploy/iam-policy.json)"
        elif code in _AUTH_CODES:
            text += "; check the AWS credentials spotwise runs with"
        raise CloudError(text) from error
    except NoCredentialsError as error:
        raise CloudError(
            f"{action} in {region} failed: no AWS credentials found; give spotwise a role"
            " (IRSA or EKS Pod Identity) or set AWS_PROFILE"
        ) from error
    except BotoCoreError as error:
        raise CloudError(f"{action} in {region} failed: {error}") from error
