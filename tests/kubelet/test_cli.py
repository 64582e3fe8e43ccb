"""``python -m spotwise.testing.kubelet``: the kubelets and the binder, run until stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from kubernetes import client

from aws.conftest import CLUSTER
from kubeapi.helpers import pod

from .launch import Nodes, nodepool


def test_the_command_line_registers_nodes_binds_and_runs_pods_until_stopped(
    nodes: Nodes, core: client.CoreV1Api, kubeconfig: Path, aws_endpoint: str, image_id: str
) -> None:
    instance = nodes.launch(nodepool(image_id, labels={"team": "web"}), ("m6i.large",))
    core.create_namespaced_pod("default", pod("web"))
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    command = [sys.executable, "-m", "spotwise.testing.kubelet"]
    loops = subprocess.Popen(
        [*command, "--kubeconfig", str(kubeconfig), "--cluster", CLUSTER, "--interval", "0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # A bound on the wait so a broken loop fails the test instead of hanging it.
        deadline = time.monotonic() + 60
        phase = None
        while time.monotonic() < deadline and loops.poll() is None:
            phase = core.read_namespaced_pod("web", "default").status.phase
            if phase == "Running":
                break
            time.sleep(0.05)
        assert phase == "Running", loops.stderr.read() if loops.poll() is not None else phase
        (node,) = core.list_node().items
        assert node.spec.provider_id == f"aws:///us-east-1a/{instance.instance_id}"
        assert node.metadata.labels["team"] == "web"
        assert core.read_namespaced_pod("web", "default").spec.node_name == node.metadata.name
    finally:
        loops.terminate()
        code = loops.wait(timeout=30)
    assert code == 0
