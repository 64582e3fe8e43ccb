"""Zone and node pins from PersistentVolumeClaims, PersistentVolumes and StorageClasses."""

from __future__ import annotations

from pathlib import Path

from spotwise.kubernetes.manifests import VolumePin, load_workload
from spotwise.model.pod import Pod

MANIFESTS = Path(__file__).parent / "manifests"
NODES = MANIFESTS / "cluster" / "nodes.yaml"


def pods() -> dict[str, Pod]:
    return {p.name: p for p in load_workload([MANIFESTS / "storage.yaml"], NODES).pods}


def test_statefulset_claim_bound_to_a_zonal_volume_pins_the_zone() -> None:
    db0 = pods()["db-0"]
    assert db0.spec.zones == frozenset({"us-east-1a"})
    assert db0.spec.node is None


def test_selected_node_annotation_pins_the_node() -> None:
    db1 = pods()["db-1"]
    assert db1.spec.node == "ip-10-0-2-20.ec2.internal"
    assert db1.spec.zones is None


def test_new_claim_from_a_template_follows_the_class_allowed_topologies() -> None:
    # data-db-2 is not in the inputs: the StatefulSet creates it with class gp3, which
    # waits for the first consumer and may only provision in two zones.
    assert pods()["db-2"].spec.zones == frozenset({"us-east-1a", "us-east-1b"})


def test_zones_of_several_volumes_intersect() -> None:
    # shared: legacy zone label "us-east-1a__us-east-1b"; archive: nodeAffinity 1b or 1c.
    reporting = pods()["reporting"]
    assert reporting.spec.zones == frozenset({"us-east-1b"})
    assert reporting.volumes == ("shared", "archive")


def test_local_volume_pins_the_node_found_by_hostname() -> None:
    # The PV names hostname ip-10-0-1-10; the node with that label is ...ec2.internal.
    assert pods()["cruncher"].spec.node == "ip-10-0-1-10.ec2.internal"


def test_volume_pins_are_reported_once_per_claim() -> None:
    workload = load_workload([MANIFESTS / "storage.yaml"], NODES)
    pins = {pin.claim: pin for pin in workload.volumes}
    assert pins["data-db-0"] == VolumePin(
        "data", "data-db-0", frozenset({"us-east-1a"}), None, "PersistentVolume/pvc-0b1c2d3e"
    )
    assert pins["data-db-2"].reason == "StorageClass/gp3"
    assert "config" not in pins


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.yaml"
    path.write_text(text)
    return path


POD = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: apps}
spec:
  containers: [{name: c, image: x}]
  volumes: [{name: v, persistentVolumeClaim: {claimName: claim}}]
"""


def test_unknown_claim_and_immediate_class_do_not_pin(tmp_path: Path) -> None:
    (pod,) = load_workload([write(tmp_path, POD)]).pods
    assert (pod.spec.zones, pod.spec.node) == (None, None)
    (pod,) = load_workload(
        [
            write(
                tmp_path,
                POD
                + """---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim, namespace: apps}
spec: {storageClassName: fast, resources: {requests: {storage: 1Gi}}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast}
provisioner: ebs.csi.aws.com
allowedTopologies:
  - matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1a]}]
""",
            )
        ]
    ).pods
    assert pod.spec.zones is None


def test_prebound_volume_and_ebs_csi_zone_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        POD
        + """---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim, namespace: apps}
spec: {storageClassName: "", resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: static}
spec:
  claimRef: {namespace: apps, name: claim}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - {key: topology.ebs.csi.aws.com/zone, operator: In, values: [us-west-2c]}
""",
    )
    (pod,) = load_workload([path]).pods
    assert pod.spec.zones == frozenset({"us-west-2c"})


def test_ephemeral_volume_claim_uses_the_default_class(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """apiVersion: v1
kind: Pod
metadata: {name: scratchy}
spec:
  containers: [{name: c, image: x}]
  volumes:
    - name: tmp
      ephemeral:
        volumeClaimTemplate:
          spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowedTopologies:
  - matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [eu-west-1b]}]
""",
    )
    (pod,) = load_workload([path]).pods
    assert pod.volumes == ("scratchy-tmp",)
    assert pod.spec.zones == frozenset({"eu-west-1b"})


def test_volumes_in_disjoint_zones_leave_no_zone(tmp_path: Path) -> None:
    volumes = ""
    for name, zone in (("a", "us-east-1a"), ("b", "us-east-1b")):
        volumes += f"""---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: {name}, namespace: apps}}
spec: {{volumeName: pv-{name}}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {{name: pv-{name}, labels: {{topology.kubernetes.io/zone: {zone}}}}}
spec: {{}}
"""
    path = write(
        tmp_path,
        """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: apps}
spec:
  containers: [{name: c, image: x}]
  volumes:
    - {name: a, persistentVolumeClaim: {claimName: a}}
    - {name: b, persistentVolumeClaim: {claimName: b}}
"""
        + volumes,
    )
    (pod,) = load_workload([path]).pods
    assert pod.spec.zones == frozenset()
