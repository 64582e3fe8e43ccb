"""The controller as a process, against a moto server and the Kubernetes API test server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from aws.conftest import CLUSTER, Network, ec2, network
from kubeapi.conftest import api_client, core, kubeapi, kubeconfig
from kubelet.launch import JOIN
from spotwise.catalog.bundled import load_bundled
from spotwise.testing.binder import TestBinder
from spotwise.testing.kubelet import TestKubelets

__all__ = ["api_client", "core", "ec2", "kubeapi", "kubeconfig", "network"]

# Few types keep moto's CreateFleet quick; still more than one family and size.
TYPES = ["m5.large", "m5.xlarge", "m6i.large", "c5.xlarge", "c6i.xlarge", "r5.large"]


def wait_for(what: str, done: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Poll ``done`` until it returns something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = done()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class ControllerProcess:
    """`spotwise controller` in a subprocess, its JSON logs in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, port: int) -> None:
        self.log = log
        self.port = port
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "spotwise.cli", "controller", *args],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def logs(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.log.read_text().splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                entries.append({"message": line})
        return entries

    def rounds(self) -> float:
        """How many times its provisioning loop has run (from /metrics)."""
        url = f"http://127.0.0.1:{self.port}/metrics"
        try:
            text = urllib.request.urlopen(url, timeout=5).read().decode()
        except OSError:
            return 0.0
        for line in text.splitlines():
            if line.startswith('spotwise_loop_duration_seconds_count{loop="provisioning"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def said(self, text: str) -> bool:
        return any(text in str(e.get("message", "")) for e in self.logs())

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(30)
        self._out.close()
        return code


@pytest.fixture
def image_id(ec2: Any) -> str:
    return str(
        ec2.register_image(Name="eks-node", Architecture="x86_64", RootDeviceName="/dev/xvda")[
            "ImageId"
        ]
    )


@pytest.fixture
def pools_file(tmp_path: Path, image_id: str) -> Path:
    path = tmp_path / "nodepools.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "spotwise.io/v1alpha1",
                "kind": "NodePool",
                "metadata": {"name": "general"},
                "spec": {
                    "instanceTypes": TYPES,
                    "zones": ["us-east-1a", "us-east-1b"],
                    "minInstanceTypes": 2,
                    "labels": {"team": "shop"},
                    "launch": {"instanceProfile": "NodeProfile", "ami": {"id": image_id}},
                },
            }
        )
    )
    return path


@pytest.fixture
def start_controller(
    tmp_path: Path, kubeconfig: Path, aws_endpoint: str, pools_file: Path, network: Network
) -> Iterator[Callable[..., ControllerProcess]]:
    started: list[ControllerProcess] = []

    def start(*extra: str, identity: str = "spotwise-a") -> ControllerProcess:
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": aws_endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        }
        port = free_port()
        config = [] if "--no-config" in extra else ["--config", str(pools_file)]
        args = [
            *config,
            "--kubeconfig", str(kubeconfig),
            "--cluster-name", CLUSTER,
            "--cluster-endpoint", JOIN.api_server_endpoint,
            "--cluster-ca", JOIN.certificate_authority,
            "--service-cidr", JOIN.cidr,
            "--port", str(port),
            "--identity", identity,
            "--namespace", "spotwise",
            "--lease-seconds", "4",
            "--renew-seconds", "3",
            "--retry-seconds", "0.5",
            *(e for e in extra if e != "--no-config"),
        ]  # fmt: skip
        process = ControllerProcess(args, env, tmp_path / f"{identity}.log", port)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop(signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def kubelets(ec2: Any, core: client.CoreV1Api) -> TestKubelets:
    return TestKubelets(ec2, core, CLUSTER, load_bundled())


@pytest.fixture
def binder(core: client.CoreV1Api) -> TestBinder:
    return TestBinder(core)
