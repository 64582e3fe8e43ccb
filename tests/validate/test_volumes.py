"""Block device mappings: customer KMS keys, the root device name, snapshots."""

from spotwise.validate import Severity
from spotwise.validate.facts import Image, Snapshot
from spotwise.validate.volumes import check_kms_keys, check_root_device, check_snapshots
from validate.conftest import make_pool

ERROR, WARNING = Severity.ERROR, Severity.WARNING
SNAP = "snap-0123456789abcdef0"
IMAGE = Image("ami-0123456789abcdef0", "/dev/xvda", None)


def disks(*mappings: tuple[str, dict]) -> dict:
    return {"blockDeviceMappings": [{"deviceName": d, "ebs": ebs} for d, ebs in mappings]}


def test_a_customer_kms_key_warns_about_the_spot_role_grant() -> None:
    pool = make_pool(
        launch=disks(
            ("/dev/xvda", {"volumeSize": "100Gi", "encrypted": True, "kmsKeyId": "alias/nodes"}),
            ("/dev/xvdb", {"volumeSize": "10Gi", "encrypted": True, "kmsKeyId": "alias/aws/ebs"}),
            ("/dev/xvdc", {"volumeSize": "10Gi", "encrypted": True}),
        )
    )
    (finding,) = check_kms_keys(pool)
    assert (finding.severity, finding.field) == (
        WARNING,
        "spec.launch.blockDeviceMappings[0].ebs.kmsKeyId",
    )
    assert "AWSServiceRoleForEC2Spot" in finding.message
    assert "Client.InternalError" in finding.message
    assert "kms:CreateGrant" in finding.fix
    assert check_kms_keys(make_pool(launch={})) == []


def test_a_root_mapping_must_name_the_images_root_device_exactly() -> None:
    pool = make_pool(launch=disks(("xvda", {"volumeSize": "100Gi"})))
    (finding,) = check_root_device(pool, IMAGE)
    assert (finding.severity, finding.field) == (
        ERROR,
        "spec.launch.blockDeviceMappings[0].deviceName",
    )
    assert "which is /dev/xvda" in finding.message
    assert finding.fix == "use /dev/xvda"


def test_another_root_like_name_is_an_error_too() -> None:
    pool = make_pool(launch=disks(("/dev/sda1", {"volumeSize": "100Gi"})))
    (finding,) = check_root_device(pool, IMAGE)
    assert finding.fix == "use /dev/xvda"


def test_the_root_and_data_volumes_pass() -> None:
    pool = make_pool(
        launch=disks(("/dev/xvda", {"volumeSize": "100Gi"}), ("/dev/xvdb", {"volumeSize": "1Gi"}))
    )
    assert check_root_device(pool, IMAGE) == []
    assert check_root_device(pool, Image("ami-0123456789abcdef0", None, None)) == []


def test_a_missing_snapshot_is_an_error() -> None:
    pool = make_pool(launch=disks(("/dev/xvdb", {"snapshotId": SNAP})))
    (finding,) = check_snapshots(pool, {SNAP: Snapshot(SNAP, exists=False)})
    assert (finding.severity, finding.field) == (
        ERROR,
        "spec.launch.blockDeviceMappings[0].ebs.snapshotId",
    )
    assert "InvalidSnapshot.NotFound" in finding.message
    assert check_snapshots(pool, {SNAP: Snapshot(SNAP, exists=True, size_gib=8)}) == []
    assert check_snapshots(pool, {}) == []  # not looked up


def test_a_volume_smaller_than_its_snapshot_is_an_error() -> None:
    pool = make_pool(launch=disks(("/dev/xvdb", {"snapshotId": SNAP, "volumeSize": "10Gi"})))
    (finding,) = check_snapshots(pool, {SNAP: Snapshot(SNAP, exists=True, size_gib=20)})
    assert finding.field == "spec.launch.blockDeviceMappings[0].ebs.volumeSize"
    assert finding.message.startswith(f"10Gi is smaller than snapshot {SNAP} (20Gi)")
    assert check_snapshots(pool, {SNAP: Snapshot(SNAP, exists=True, size_gib=10)}) == []
