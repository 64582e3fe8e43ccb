"""Checks of a pool's block device mappings: KMS keys, the root device, snapshots."""

from __future__ import annotations

import re
from collections.abc import Mapping

from spotwise.config.nodepool import NodePool
from spotwise.validate.facts import Image, Snapshot
from spotwise.validate.finding import Finding, error, warning

_FIELD = "spec.launch.blockDeviceMappings"
# The key EBS uses by default is AWS managed: the service roles may already use it.
_AWS_MANAGED_KEY = re.compile(r"(^|:)alias/aws/ebs$")
# Names images give their root device; a mapping on one of these is meant as the root.
_ROOT_LIKE = re.compile(r"^(/dev/)?(xvda|sda1?|nvme0n1)$")


def check_kms_keys(pool: NodePool) -> list[Finding]:
    """A customer managed KMS key needs a grant for the roles that launch on one's behalf.

    Spot Instances are launched by the service-linked role AWSServiceRoleForEC2Spot, and
    an Auto Scaling group's instances by AWSServiceRoleForAutoScaling. Without
    kms:CreateGrant on the key, the volume cannot be created, and EC2 terminates the
    instance at once with Client.InternalError. IAM cannot show key policies offline, so
    this is a reminder, not a proof.
    """
    launch = pool.spec.launch
    if launch is None:
        return []
    return [
        warning(
            pool.name,
            f"{_FIELD}[{index}].ebs.kmsKeyId",
            f"{mapping.ebs.kms_key_id} is a customer managed key: spot launches create the"
            " volume as the service-linked role AWSServiceRoleForEC2Spot (Auto Scaling groups"
            " as AWSServiceRoleForAutoScaling), and without a grant on the key they fail"
            " with Client.InternalError",
            "allow kms:CreateGrant, kms:Decrypt, kms:GenerateDataKeyWithoutPlaintext,"
            " kms:ReEncrypt* and kms:DescribeKey on the key to both roles (key policy or"
            " 'aws kms create-grant')",
        )
        for index, mapping in enumerate(launch.block_device_mappings)
        if mapping.ebs.kms_key_id is not None
        and not _AWS_MANAGED_KEY.search(mapping.ebs.kms_key_id)
    ]


def check_root_device(pool: NodePool, image: Image) -> list[Finding]:
    """A mapping meant for the root volume must name the image's root device exactly.

    EC2 matches the root by the exact name: ``xvda`` or ``/dev/sda1`` on an image whose
    root is ``/dev/xvda`` does not resize the root volume but asks for another volume,
    which fails the launch or leaves the root at the image's size.
    """
    launch = pool.spec.launch
    root = image.root_device_name
    if launch is None or root is None:
        return []
    findings = []
    for index, mapping in enumerate(launch.block_device_mappings):
        name = mapping.device_name
        if name == root:
            continue
        if name.removeprefix("/dev/") == root.removeprefix("/dev/") or _ROOT_LIKE.match(name):
            findings.append(
                error(
                    pool.name,
                    f"{_FIELD}[{index}].deviceName",
                    f"{name} is not the root device of image {image.image_id}, which is {root};"
                    " the mapping does not change the root volume but asks for another one",
                    f"use {root}",
                )
            )
    return findings


def check_snapshots(pool: NodePool, snapshots: Mapping[str, Snapshot]) -> list[Finding]:
    """Each snapshot a mapping names must exist, and fit the volume's size."""
    launch = pool.spec.launch
    if launch is None:
        return []
    findings = []
    for index, mapping in enumerate(launch.block_device_mappings):
        ebs = mapping.ebs
        snapshot = snapshots.get(ebs.snapshot_id) if ebs.snapshot_id else None
        if snapshot is None:
            continue  # no snapshot, or not looked up
        if not snapshot.exists:
            findings.append(
                error(
                    pool.name,
                    f"{_FIELD}[{index}].ebs.snapshotId",
                    f"{snapshot.snapshot_id} does not exist in this region, or is not shared with"
                    " this account; launches fail with InvalidSnapshot.NotFound",
                    "fix the ID, copy the snapshot to this region, or share it with the account",
                )
            )
            continue
        size = ebs.volume_size_gib
        if size is not None and snapshot.size_gib is not None and size < snapshot.size_gib:
            findings.append(
                error(
                    pool.name,
                    f"{_FIELD}[{index}].ebs.volumeSize",
                    f"{size}Gi is smaller than snapshot {snapshot.snapshot_id}"
                    f" ({snapshot.size_gib}Gi); EC2 refuses the launch",
                    f"set volumeSize to {snapshot.size_gib}Gi or more, or leave it out to take"
                    " the snapshot's size",
                )
            )
    return findings
