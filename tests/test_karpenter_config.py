"""Karpenter's NodePool and EC2NodeClass, read as they are and translated."""

import json
from pathlib import Path

import pytest
import yaml

from spotwise.catalog.bundled import load_bundled
from spotwise.cli.app import main
from spotwise.config.disruption import Budget
from spotwise.config.nodepool import load_nodepools, parse_nodepool
from spotwise.model.instance_type import CapacityType
from spotwise.provisioning.pools import build_pool

KARPENTER = Path(__file__).parent / "manifests" / "karpenter" / "default.yaml"


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_convert_prints_a_valid_spotwise_pool_and_names_what_it_leaves_out(capsys):
    code, out, err = run(
        capsys, "config", "convert", str(KARPENTER), "--kubernetes-version", "1.31"
    )
    assert code == 0
    (document,) = list(yaml.safe_load_all(out))
    pool = parse_nodepool(document)
    spec = pool.spec
    assert pool.name == "default"
    assert spec.capacity_types == (CapacityType.SPOT, CapacityType.ON_DEMAND)
    assert (spec.min_instance_types, spec.min_families, spec.weight) == (15, 3, 10)
    assert spec.architecture is None  # amd64 and arm64: both allowed
    assert spec.labels == {"team": "web"}
    assert [(t.key, t.value, t.effect.value) for t in spec.taints] == [
        ("example.com/special", "true", "NoSchedule")
    ]
    assert (spec.limits.cpu_millicores, spec.limits.memory_bytes) == (1_000_000, 1000 * 2**30)
    kept = {(r.key, r.operator.value, r.values) for r in spec.requirements}
    assert kept == {
        ("kubernetes.io/os", "In", ("linux",)),
        ("karpenter.k8s.aws/instance-category", "In", ("c", "m", "r")),
        ("karpenter.k8s.aws/instance-generation", "Gt", ("2",)),
    }
    launch = spec.launch
    assert launch is not None and launch.ami is None
    params = {arch.value: s.ssm_parameter for arch, s in launch.ami_by_architecture.items()}
    eks = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023"
    assert params == {
        "x86_64": f"{eks}/x86_64/standard/recommended/image_id",
        "arm64": f"{eks}/arm64/standard/recommended/image_id",
    }
    assert launch.instance_profile == "KarpenterNodeRole-my-cluster"
    assert launch.subnet_selector == {"karpenter.sh/discovery": "my-cluster"}
    assert launch.metadata_options.http_put_response_hop_limit == 1
    assert launch.block_device_mappings[0].ebs.volume_size == "100Gi"
    assert launch.block_device_mappings[0].root_volume and launch.root_volume_bytes == 100 * 2**30
    warned = err.splitlines()
    assert all(w.startswith("warning: ") for w in warned)
    for field in ("startupTaints", "spec.role", "httpProtocolIPv6", "spec.tags"):
        assert sum(field in w for w in warned) == 1, field
    assert not any("rootVolume" in w for w in warned)
    assert not any("disruption" in w or "expireAfter" in w for w in warned)
    # The disruption block carries over, its scheduled budget (read in UTC) and the
    # template's expireAfter with it.
    disruption = pool.spec.disruption
    assert disruption.consolidate_after == "1m"
    assert disruption.budgets == (
        Budget(nodes="10%"),
        Budget(nodes="0", schedule="0 9 * * mon-fri", duration="8h"),
    )
    assert disruption.expire_after == "720h"
    # The translated pool plans with the rules it was given.
    built = build_pool(pool, load_bundled())
    assert built.min_instance_types == 15 and len(built.shapes) > 100


def test_an_alias_without_the_kubernetes_version_is_one_line_and_exit_2(capsys):
    code, out, err = run(capsys, "config", "convert", str(KARPENTER))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--kubernetes-version" in err
    assert "EC2NodeClass default: spec.amiSelectorTerms[0].alias" in err


def test_a_missing_node_class_is_named(capsys, tmp_path):
    only_pool = tmp_path / "pool.yaml"
    only_pool.write_text(KARPENTER.read_text().split("---")[0])
    code, _, err = run(capsys, "config", "convert", str(only_pool), "--kubernetes-version", "1.31")
    assert code == 2
    assert "nodeClassRef: names EC2NodeClass 'default', which the files do not hold" in err


def test_a_translated_pool_breaking_spotwise_rules_is_refused_naming_the_field(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(KARPENTER.read_text().replace("weight: 10", "weight: 300"))
    code, _, err = run(capsys, "config", "convert", str(bad), "--kubernetes-version", "1.31")
    assert code == 2
    assert "NodePool default as translated: spec.weight" in err


def test_plan_reads_karpenter_files_as_they_are(capsys):
    pools = load_nodepools(KARPENTER)
    _, err = capsys.readouterr()
    (pool,) = pools
    # Planning needs no image: the launch section is left out, and the warning says why.
    assert pool.spec.launch is None and "no launch section" in err
    code, out, _ = run(
        capsys, "plan", "-f", "tests/manifests/shop", "--pool", str(KARPENTER), "-o", "json"
    )
    assert code == 0
    reasons = {u["reason"] for u in json.loads(out)["unschedulable"]}
    assert any("example.com/special" in r for r in reasons)  # the pool's taint applies


@pytest.mark.parametrize(("arch", "expected"), [(["amd64"], "x86_64"), (["arm64"], "arm64")])
def test_one_architecture_becomes_the_pools_architecture(tmp_path, arch, expected):
    text = KARPENTER.read_text().replace('values: ["amd64", "arm64"]', f"values: {arch}")
    path = tmp_path / "k.yaml"
    path.write_text(text)
    (pool,) = load_nodepools(path)
    assert pool.spec.architecture is not None and pool.spec.architecture.value == expected


@pytest.mark.parametrize("version", ["latest", "1.31.2", "131", "1.x"])
def test_a_version_that_names_no_eks_image_is_refused(capsys, version):
    code, out, err = run(
        capsys, "config", "convert", str(KARPENTER), "--kubernetes-version", version
    )
    assert (code, out) == (2, "")
    assert err == (
        f"error: --kubernetes-version: {version!r} is not a Kubernetes minor version; give "
        "major.minor, such as 1.31 (EKS publishes images per minor version)\n"
    )


def test_a_leading_v_is_taken_as_the_version(capsys):
    code, out, _ = run(capsys, "config", "convert", str(KARPENTER), "--kubernetes-version", "v1.31")
    assert code == 0 and "/optimized-ami/1.31/amazon-linux-2023/" in out


def test_reading_an_alias_without_a_version_says_how_to_convert(capsys):
    code, _, err = run(capsys, "plan", "-f", "tests/manifests/shop", "--pool", str(KARPENTER))
    assert code == 0
    assert "spotwise config convert FILE --kubernetes-version 1.31" in err
