"""The well-known labels a node gets from its instance type, as Karpenter's provider sets them."""

from spotwise.catalog.bundled import load_bundled
from spotwise.provisioning.node_labels import type_labels

AWS = "karpenter.k8s.aws"


def test_a_gpu_type_is_labelled_with_its_gpus() -> None:
    labels = type_labels(load_bundled().instance_type("g4dn.xlarge"))
    assert labels == {
        "node.kubernetes.io/instance-type": "g4dn.xlarge",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        f"{AWS}/instance-family": "g4dn",
        f"{AWS}/instance-size": "xlarge",
        f"{AWS}/instance-category": "g",
        f"{AWS}/instance-cpu": "4",
        f"{AWS}/instance-memory": "16384",
        f"{AWS}/instance-generation": "4",
        f"{AWS}/instance-hypervisor": "nitro",
        f"{AWS}/instance-gpu-count": "1",
        f"{AWS}/instance-gpu-name": "t4",
        f"{AWS}/instance-gpu-manufacturer": "nvidia",
        f"{AWS}/instance-gpu-memory": "16384",
    }


def test_a_type_without_gpus_has_no_gpu_labels() -> None:
    labels = type_labels(load_bundled().instance_type("c7g.2xlarge"))
    assert labels["kubernetes.io/arch"] == "arm64"
    assert labels[f"{AWS}/instance-category"] == "c"
    assert not [k for k in labels if "gpu" in k]
