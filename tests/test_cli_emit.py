import json

import yaml

from spotwise.cli.app import main
from spotwise.config.nodepool import load_nodepools


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_emit_kops_writes_one_group_per_ratio(capsys):
    code, out, _ = run(
        capsys, "select", "--vcpus", "4", "--cpu-architecture", "x86_64", "--emit", "kops",
        "--groups", "2", "--cluster", "demo.k8s.local", "--usage-class", "spot", "--taint-spot",
    )  # fmt: skip
    assert code == 0
    groups = list(yaml.safe_load_all(out))
    assert [g["metadata"]["name"] for g in groups] == ["nodes-1", "nodes-2"]
    assert all(g["spec"]["nodeLabels"]["lifecycle"] == "Ec2Spot" for g in groups)
    assert groups[0]["spec"]["taints"] == ["spotInstance=true:PreferNoSchedule"]


def test_emit_kops_needs_a_cluster(capsys):
    code, out, err = run(capsys, "select", "--vcpus", "4", "--emit", "kops")
    assert code == 2 and out == "" and "--cluster" in err


def test_emit_asg_is_a_mixed_instances_policy(capsys):
    code, out, _ = run(capsys, "select", "--vcpus", "2", "--emit", "asg", "--max-types", "5")
    policy = json.loads(out)
    assert code == 0 and len(policy["LaunchTemplate"]["Overrides"]) == 5
    assert policy["InstancesDistribution"]["SpotAllocationStrategy"] == "price-capacity-optimized"


def test_emit_pool_reads_back(capsys, tmp_path):
    code, out, _ = run(
        capsys, "select", "--vcpus", "2", "--max-interruption", "10", "--emit", "pool",
        "--name", "web", "--label", "team=web", "--taint", "dedicated=web:NoSchedule",
    )  # fmt: skip
    assert code == 0
    path = tmp_path / "pool.yaml"
    path.write_text(out)
    (pool,) = load_nodepools(path)
    assert pool.metadata.name == "web" and pool.spec.labels == {"team": "web"}
    assert pool.spec.max_interruption == 10 and pool.spec.instance_types


def test_bad_taint_is_one_line(capsys):
    code, _, err = run(capsys, "select", "--vcpus", "2", "--emit", "pool", "--taint", "x=y")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--taint" in err
