import json

import pytest
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
    code, out, _ = run(
        capsys, "select", "--vcpus", "2", "--cpu-architecture", "x86_64", "--emit", "asg",
        "--max-types", "5",
    )  # fmt: skip
    policy = json.loads(out)
    assert code == 0 and len(policy["LaunchTemplate"]["Overrides"]) == 5
    assert policy["InstancesDistribution"]["SpotAllocationStrategy"] == "price-capacity-optimized"


def test_emit_pool_reads_back(capsys, tmp_path):
    code, out, _ = run(
        capsys, "select", "--vcpus", "2", "--max-interruption", "10", "--emit", "pool",
        "--cpu-architecture", "arm64", "--name", "web", "--label", "team=web",
        "--taint", "dedicated=web:NoSchedule",
    )  # fmt: skip
    assert code == 0
    path = tmp_path / "pool.yaml"
    path.write_text(out)
    (pool,) = load_nodepools(path)
    assert pool.metadata.name == "web" and pool.spec.labels == {"team": "web"}
    assert pool.spec.max_interruption == 10 and pool.spec.instance_types


@pytest.mark.parametrize("taint", ["x=y", ":NoSchedule", "=v:NoSchedule", "bad key:NoSchedule"])
def test_bad_taint_is_one_line(capsys, taint):
    code, out, err = run(
        capsys, "select", "--vcpus", "2", "--cpu-architecture", "arm64", "--emit", "pool",
        "--taint", taint,
    )  # fmt: skip
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: --taint")


def one_error(capsys, *args):
    code, out, err = run(capsys, "select", *args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    return err


def test_asg_refuses_mixed_architectures(capsys):
    err = one_error(capsys, "--vcpus", "2", "--max-interruption", "10", "--emit", "asg")
    assert err.startswith("error: --cpu-architecture") and "arm64 and x86_64" in err


def test_pool_without_an_architecture_refuses_mixed_architectures(capsys):
    err = one_error(capsys, "--vcpus", "2", "--emit", "pool")
    assert err.startswith("error: --cpu-architecture")


def test_emitters_list_only_types_that_support_the_usage_class(capsys):
    # t2.nano is on-demand only: a spot group (the default) must not list it.
    args = ["select", "--allow-list", "^t2\\.(nano|micro)$", "--emit", "asg"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert [o["InstanceType"] for o in json.loads(out)["LaunchTemplate"]["Overrides"]] == [
        "t2.micro"
    ]
    code, out, _ = run(capsys, *args, "--usage-class", "on-demand")
    overrides = json.loads(out)["LaunchTemplate"]["Overrides"]
    assert code == 0 and {o["InstanceType"] for o in overrides} == {"t2.nano", "t2.micro"}
    # An on-demand group with a spot share needs types that support both.
    code, out, _ = run(capsys, *args, "--usage-class", "on-demand", "--on-demand-above-base", "50")
    overrides = json.loads(out)["LaunchTemplate"]["Overrides"]
    assert code == 0 and [o["InstanceType"] for o in overrides] == ["t2.micro"]
    # And a selection with nothing to buy that way says so.
    err = one_error(capsys, "--allow-list", "^t2\\.nano$", "--emit", "asg")
    assert err.startswith("error: --usage-class") and "spot" in err


def test_kops_lists_only_spot_types_by_default(capsys):
    # hpc7g.4xlarge is on-demand only and has r7g.4xlarge's shape (16 vCPUs, 128 GiB).
    args = ["select", "--allow-list", "^(hpc7g|r7g|m7g|c7g)\\.4xlarge$", "--emit", "kops"]
    args += ["--cluster", "k.local", "--groups", "3"]
    code, out, _ = run(capsys, *args)
    assert code == 0
    third = list(yaml.safe_load_all(out))[2]
    assert third["spec"]["mixedInstancesPolicy"]["instances"] == ["r7g.4xlarge"]
    code, out, _ = run(capsys, *args, "--usage-class", "on-demand")
    third = list(yaml.safe_load_all(out))[2]
    assert set(third["spec"]["mixedInstancesPolicy"]["instances"]) == {
        "r7g.4xlarge",
        "hpc7g.4xlarge",
    }


def test_pool_lists_only_spot_types_with_usage_class_spot(capsys):
    code, out, _ = run(
        capsys, "select", "--allow-list", "^t2\\.(nano|micro)$", "--usage-class", "spot",
        "--emit", "pool",
    )  # fmt: skip
    assert code == 0 and yaml.safe_load(out)["spec"]["instanceTypes"] == ["t2.micro"]


@pytest.mark.parametrize("name", ["", "lt", "has space", "x" * 129])
def test_launch_template_name_is_checked(capsys, name):
    err = one_error(
        capsys, "--vcpus", "2", "--cpu-architecture", "arm64", "--emit", "asg",
        "--launch-template", name,
    )  # fmt: skip
    assert err.startswith("error: --launch-template")


def test_negative_min_size_is_blamed_on_min_size(capsys):
    err = one_error(
        capsys, "--vcpus", "4", "--cpu-architecture", "x86_64", "--emit", "kops",
        "--cluster", "k.local", "--min-size", "-1",
    )  # fmt: skip
    assert err.startswith("error: --min-size")
