"""The node agent against the IMDS test server and the API test server."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client

from spotwise.aws.imds import ImdsClient
from spotwise.decisions.interruption.node_state import in_progress
from spotwise.interruption.agent import OwnNode, agent_handler
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.testing.imds import ImdsServer

from .test_cluster import ec2_node  # isort: skip
from .waiting import until  # isort: skip

CaughtUp = Callable[[], None]


@pytest.fixture
def imds() -> Iterator[ImdsServer]:
    with ImdsServer(port=0, instance_id="i-agent", zone="us-east-1a") as server:
        yield server


def register(core: client.CoreV1Api) -> None:
    node = ec2_node("agent-node", **{"spotwise.io/node-pool": "general"})
    node["spec"]["providerID"] = "aws:///us-east-1a/i-agent"
    core.create_node(node)


def test_a_spot_notice_in_metadata_marks_the_node_once(
    api: client.ApiClient, core: client.CoreV1Api, imds: ImdsServer
) -> None:
    register(core)
    handler = agent_handler(api, ImdsClient(imds.url), "agent-node")
    assert handler.run().actions == []  # no notice, nothing to do
    imds.set_event("spot")
    first = handler.run()
    assert [a[1] for a in first.actions] == ["drain"]
    assert handler.run().actions == []  # the notice still stands: acted on once
    (node,) = OwnNode(api, "agent-node").snapshot().nodes
    progress = in_progress(node)
    assert progress is not None and progress.kind == "spot-interruption"
    assert progress.deadline is not None and node.unschedulable


def test_the_agent_command_marks_its_node(
    kubeconfig: Path,
    core: client.CoreV1Api,
    imds: ImdsServer,
    cluster: KubernetesCluster,
    caught_up: CaughtUp,
) -> None:
    register(core)
    imds.set_event("rebalance")
    agent = subprocess.Popen(
        [sys.executable, "-m", "spotwise.cli", "agent", "--node-name", "agent-node",
         "--kubeconfig", str(kubeconfig), "--imds-url", imds.url, "--interval", "0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:

        def marked() -> bool:
            caught_up()
            (node,) = cluster.snapshot().nodes
            return in_progress(node) is not None

        until(marked, "the agent to mark its node")
    finally:
        agent.terminate()
        agent.wait(10)
    (node,) = cluster.snapshot().nodes
    progress = in_progress(node)
    assert progress is not None and progress.kind == "rebalance-recommendation"


def test_without_metadata_the_agent_says_so_in_one_line(kubeconfig: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "spotwise.cli", "agent", "--node-name", "n",
         "--kubeconfig", str(kubeconfig), "--imds-url", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "--imds-url" in done.stderr
