"""The Auto Scaling port on AWS: group membership, tags, and lifecycle actions (boto3).

Read calls are batched as the API allows (50 instances per DescribeAutoScalingInstances,
paged DescribeTags filtered by group). A lifecycle action that is no longer waiting
answers ``ValidationError`` ("No active Lifecycle Action found"): the port treats that, and
only that, as done, since the instance goes either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from spotwise.aws.calls import aws_call, error_code, make_client
from spotwise.ports.autoscaling import LifecycleAction

if TYPE_CHECKING:
    import boto3

log = logging.getLogger(__name__)

# DescribeAutoScalingInstances takes at most 50 instance ids; DescribeTags filter values too.
# How Auto Scaling says that no lifecycle action waits for the instance (any more).
NOT_WAITING = "No active Lifecycle Action"
_BATCH = 50


class AwsAutoScaling:
    """`spotwise.ports.autoscaling.AutoScaling` over boto3."""

    def __init__(
        self, session: boto3.Session, *, region: str, endpoint_url: str | None = None
    ) -> None:
        """Make the client; no call is made yet.

        Args:
            session: A ``boto3.Session`` holding the credentials to use.
            region: The groups' region.
            endpoint_url: Send calls here instead of AWS (local emulators).

        Raises:
            CloudError: If the client cannot be made.
        """
        self.region = region
        self._client: Any = make_client(session, "autoscaling", region, endpoint_url)

    def groups(self, instance_ids: Iterable[str]) -> Mapping[str, str]:
        """The Auto Scaling group of each instance that belongs to one."""
        ids = sorted(set(instance_ids))
        found: dict[str, str] = {}
        for start in range(0, len(ids), _BATCH):
            with aws_call("autoscaling:DescribeAutoScalingInstances", self.region):
                pages = self._client.get_paginator("describe_auto_scaling_instances").paginate(
                    InstanceIds=ids[start : start + _BATCH]
                )
                for page in pages:
                    for item in page.get("AutoScalingInstances", []):
                        found[item["InstanceId"]] = item["AutoScalingGroupName"]
        return found

    def tags(self, groups: Iterable[str]) -> Mapping[str, Mapping[str, str]]:
        """Each group's tags (key to value); a group without tags maps to nothing."""
        names = sorted(set(groups))
        found: dict[str, dict[str, str]] = {g: {} for g in names}
        for start in range(0, len(names), _BATCH):
            with aws_call("autoscaling:DescribeTags", self.region):
                pages = self._client.get_paginator("describe_tags").paginate(
                    Filters=[
                        {"Name": "auto-scaling-group", "Values": names[start : start + _BATCH]}
                    ]
                )
                for page in pages:
                    for tag in page.get("Tags", []):
                        found.setdefault(tag["ResourceId"], {})[tag["Key"]] = tag.get("Value", "")
        return found

    def heartbeat_timeout(self, group: str, hook: str) -> float | None:
        """The hook's heartbeat timeout in seconds; None if there is no such hook."""
        with aws_call("autoscaling:DescribeLifecycleHooks", self.region):
            hooks = self._client.describe_lifecycle_hooks(
                AutoScalingGroupName=group, LifecycleHookNames=[hook]
            ).get("LifecycleHooks", [])
        timeout = hooks[0].get("HeartbeatTimeout") if hooks else None
        return float(timeout) if timeout is not None else None

    def record_heartbeat(self, action: LifecycleAction) -> None:
        """Restart the hook's timeout (RecordLifecycleActionHeartbeat)."""
        self._lifecycle_call(
            "autoscaling:RecordLifecycleActionHeartbeat",
            self._client.record_lifecycle_action_heartbeat,
            action,
        )

    def complete(self, action: LifecycleAction) -> None:
        """Let the termination continue (CompleteLifecycleAction, CONTINUE)."""
        self._lifecycle_call(
            "autoscaling:CompleteLifecycleAction",
            self._client.complete_lifecycle_action,
            action,
            LifecycleActionResult="CONTINUE",
        )

    def _lifecycle_call(self, name: str, call: Any, action: LifecycleAction, **extra: str) -> None:
        # The instance id names the action; the token is passed too when known, as it
        # pins the one action (a relaunched instance id never repeats, but be exact).
        params = {
            "AutoScalingGroupName": action.group,
            "LifecycleHookName": action.hook,
            "InstanceId": action.instance_id,
            **extra,
        }
        if action.token:
            params["LifecycleActionToken"] = action.token
        with aws_call(name, self.region):
            try:
                call(**params)
            except ClientError as error:
                message = str(error.response.get("Error", {}).get("Message", ""))
                # Only "no action waiting" is done; a wrong hook or group is a real error.
                if error_code(error) != "ValidationError" or NOT_WAITING not in message:
                    raise
                log.info("%s: no action waiting for %s: %s", name, action.instance_id, error)
