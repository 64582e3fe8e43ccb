"""`spotwise validate` end to end: exit codes, output shapes, offline and online."""

from __future__ import annotations

import io
import json
import re
import socket
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from aws.conftest import CLUSTER, Network
from spotwise.cli.app import main

TYPES = ["m6i.large", "m6a.large", "m5.large", "c6i.large", "r6i.large"]


def write_pools(tmp_path: Path, *specs: dict[str, Any]) -> Path:
    documents = [
        {
            "apiVersion": "spotwise.io/v1alpha1",
            "kind": "NodePool",
            "metadata": {"name": f"pool-{index}"},
            "spec": spec,
        }
        for index, spec in enumerate(specs)
    ]
    path = tmp_path / "pools.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return path


def launch(**fields: Any) -> dict[str, Any]:
    return {"ami": {"id": "ami-0123456789abcdef0"}, "instanceProfile": "NodeProfile", **fields}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> str:
    """An endpoint nothing listens on, and a boto3 that fails the test if used at all."""

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("--offline made an AWS session")

    monkeypatch.setattr(boto3, "Session", refuse)
    return closed_port_url()


def test_a_good_pool_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_aws: str
) -> None:
    pools = write_pools(tmp_path, {"instanceTypes": TYPES, "launch": launch()})
    code, out, err = run(capsys, "-f", str(pools), "--offline", "--endpoint-url", no_aws)
    assert (code, err) == (0, "")
    assert out.strip() == "1 pool checked: no problems found"


def test_warnings_alone_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_aws: str
) -> None:
    spec = {"instanceTypes": TYPES, "launch": launch(metadataOptions={"httpTokens": "optional"})}
    code, out, _ = run(capsys, "-f", str(write_pools(tmp_path, spec)), "--offline")
    assert code == 0
    assert "warning" in out and "httpTokens" in out
    assert out.strip().endswith("1 pool checked: 0 errors, 1 warning")


def test_errors_exit_1_and_json_is_a_list_of_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_aws: str
) -> None:
    pools = write_pools(
        tmp_path,
        {"instanceTypes": [*TYPES, "m6i.lrge"], "launch": launch()},
        {"instanceTypes": TYPES, "capacityTypes": ["on-demand"]},
    )
    code, out, err = run(
        capsys, "-f", str(pools), "--offline", "-o", "json", "--allowed-types", r"m.*"
    )
    assert (code, err) == (1, "")
    findings = json.loads(out)
    assert isinstance(findings, list)
    assert all(set(f) == {"severity", "pool", "field", "message", "fix"} for f in findings)
    assert {(f["severity"], f["pool"], f["field"]) for f in findings} >= {
        ("error", "pool-0", "spec.instanceTypes[5]"),  # unknown in us-east-1
        ("error", "pool-1", "spec.instanceTypes[3]"),  # c6i.large not allowed
        ("warning", "pool-1", "spec.launch"),
    }


def test_a_pool_mixing_architectures_passes_with_an_image_for_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_aws: str
) -> None:
    mixed = [*TYPES, "m7g.large", "c7g.large", "r7g.large", "m6g.large", "c6g.large"]
    one_image = {"instanceTypes": mixed, "launch": launch()}
    code, out, _ = run(
        capsys, "-f", str(write_pools(tmp_path, one_image)), "--offline", "-o", "json"
    )
    assert code == 1
    assert [f["field"] for f in json.loads(out)] == ["spec.instanceTypes"]
    images = {"x86_64": {"id": "ami-0123456789abcdef0"}, "arm64": {"id": "ami-0123456789abcdef1"}}
    each = {
        "instanceTypes": mixed,
        "launch": {"amiByArchitecture": images, "instanceProfile": "NodeProfile"},
    }
    code, out, _ = run(capsys, "-f", str(write_pools(tmp_path, each)), "--offline", "-o", "json")
    assert (code, json.loads(out)) == (0, [])


def test_an_empty_result_is_an_empty_json_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_aws: str
) -> None:
    pools = write_pools(tmp_path, {"instanceTypes": TYPES, "launch": launch()})
    code, out, _ = run(capsys, "-f", str(pools), "--offline", "-o", "json")
    assert (code, json.loads(out)) == (0, [])


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (None, (), r"^error: .*missing\.yaml: cannot be read"),
        ("spec: [\n", (), r"^error: .*pools\.yaml: is not valid YAML"),
        (
            "apiVersion: spotwise.io/v1alpha1\nkind: NodePool\nmetadata: {name: a}\n"
            "spec: {zones: [mars-1a]}\n",
            (),
            r"^error: .*pools\.yaml: document 1: spec\.zones\[0\]: 'mars-1a' is not",
        ),
        ("", ("--allowed-types", "m6i.(large"), r"^error: --allowed-types: "),
        ("", ("--region", "mars-1"), r"^error: --region: no bundled catalog"),
    ],
)
def test_unusable_input_exits_2_with_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    no_aws: str,
    content: str | None,
    extra: tuple[str, ...],
    message: str,
) -> None:
    if content is None:
        path = tmp_path / "missing.yaml"
    elif content:
        path = tmp_path / "pools.yaml"
        path.write_text(content)
    else:
        path = write_pools(tmp_path, {"instanceTypes": TYPES})
    code, out, err = run(capsys, "-f", str(path), "--offline", *extra)
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    assert re.match(message, err)


# ---- online, against the moto server ----


def test_online_checks_run_against_aws(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    aws_endpoint: str,
    ec2: Any,
    network: Network,
) -> None:
    image = ec2.register_image(Name="eks-node")["ImageId"]
    iam = boto3.client("iam", endpoint_url=aws_endpoint, region_name="us-east-1")
    iam.create_instance_profile(InstanceProfileName="NodeProfile")
    iam.create_role(RoleName="NodeRole", AssumeRolePolicyDocument="{}")
    iam.add_role_to_instance_profile(InstanceProfileName="NodeProfile", RoleName="NodeRole")
    good = {
        "instanceTypes": TYPES,
        "zones": ["us-east-1a", "us-east-1b"],
        "launch": launch(ami={"id": image}),
    }
    args = ("--endpoint-url", aws_endpoint, "--cluster", CLUSTER, "-o", "json")
    code, out, _ = run(capsys, "-f", str(write_pools(tmp_path, good)), *args)
    assert (code, json.loads(out)) == (0, [])

    bad = {
        **good,
        "launch": launch(
            ami={"id": image},
            blockDeviceMappings=[
                {"deviceName": "/dev/xvdb", "ebs": {"snapshotId": "snap-0123456789abcdef0"}}
            ],
        ),
    }
    code, out, _ = run(capsys, "-f", str(write_pools(tmp_path, bad)), *args)
    assert code == 1
    assert [(f["severity"], f["field"]) for f in json.loads(out)] == [
        ("error", "spec.launch.blockDeviceMappings[0].ebs.snapshotId")
    ]


def test_a_failing_aws_connection_exits_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    pools = write_pools(tmp_path, {"instanceTypes": TYPES, "launch": launch()})
    code, out, err = run(capsys, "-f", str(pools), "--endpoint-url", aws_endpoint)
    assert (code, out) == (2, "")
    assert err.startswith("error: online checks: ec2:DescribeImages in us-east-1 failed: no AWS")
    assert err.rstrip().endswith("or pass --offline")


def test_pools_piped_on_standard_input_are_validated_as_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools = write_pools(tmp_path, {"instanceTypes": TYPES, "launch": launch()})
    monkeypatch.setattr("sys.stdin", io.StringIO(pools.read_text()))
    code, out, err = run(capsys, "-f", "-", "--offline", "--endpoint-url", no_aws)
    assert (code, err) == (0, "")
    assert out.strip() == "1 pool checked: no problems found"
    monkeypatch.setattr("sys.stdin", io.StringIO("spec: [unclosed\n"))
    code, out, err = run(capsys, "-f", "-", "--offline", "--endpoint-url", no_aws)
    assert code == 2 and err.startswith("error: standard input: is not valid YAML")
