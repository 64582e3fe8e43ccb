"""Whether a pool's instance profile exists and can give nodes credentials."""

from __future__ import annotations

from spotwise.config.nodepool import NodePool
from spotwise.validate.facts import InstanceProfile
from spotwise.validate.finding import Finding, error


def check_instance_profile(pool: NodePool, profile: InstanceProfile) -> list[Finding]:
    """The instance profile must exist and hold a role, or nodes get no credentials."""
    field = "spec.launch.instanceProfile"
    if not profile.exists:
        return [
            error(
                pool.name,
                field,
                f"{profile.name} is not an instance profile of this account; launches fail"
                " with InvalidParameterValue (Invalid IAM Instance Profile name)",
                "create it (aws iam create-instance-profile, then add-role-to-instance-profile)"
                " or fix the name",
            )
        ]
    if not profile.roles:
        return [
            error(
                pool.name,
                field,
                f"{profile.name} holds no role, so nodes get no credentials and cannot join"
                " the cluster",
                "add the node role: aws iam add-role-to-instance-profile",
            )
        ]
    return []
