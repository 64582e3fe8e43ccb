"""How fast the interruption handler acts, against loopback peers (moto SQS, the API test server).

    .venv/bin/python benchmarks/interruptions.py [--events 200] [--burst 100] [--pods 100]

Three figures, as issue 12 asks:

1. Event visible in the queue -> node marked (tainted and cordoned): one spot warning
   at a time sent to the SQS queue while the controller's intake loop long-polls it;
   p50 and p99 over ``--events`` events (target p99 under 1 s).
2. ``--burst`` warnings sent at once -> every node marked (seconds).
3. A node with ``--pods`` pods and no budget in the way, a Ready node with room beside
   it: marked -> drained, with the drain loop at the controller's 1 s interval (target
   under 10 s).

The API test server, moto and the benchmark share this process's two cores with the
informers: the figures are upper bounds of what a controller on its own would show.
Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from kubernetes import client, config
from moto.server import ThreadedMotoServer

from spotwise.aws.queue import InterruptionQueue, SqsInterruptionSource
from spotwise.controller.settings import INTAKE_WORKERS
from spotwise.decisions.interruption.node_state import mark, unmark
from spotwise.interruption.drainer import Drainer
from spotwise.interruption.handler import Handler
from spotwise.kubernetes.api.client import connect
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.ports.clock import WallClock
from spotwise.ports.cluster import NodePatch
from spotwise.provisioning.unavailable import UnavailableOfferings
from spotwise.simulated.queue import spot_warning
from spotwise.testing.kubeapi import KubeApiServer

QUEUE = "spotwise-bench"


def node_body(name: str, instance: str, cpu: str = "4") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "topology.kubernetes.io/zone": "us-east-1a",
                "node.kubernetes.io/instance-type": "m5.xlarge",
                "karpenter.sh/capacity-type": "spot",
                "spotwise.io/node-pool": "general",
            },
        },
        "spec": {"providerID": f"aws:///us-east-1a/{instance}"},
        "status": {
            "capacity": {"cpu": cpu, "memory": "400Gi", "pods": "250"},
            "allocatable": {"cpu": cpu, "memory": "400Gi", "pods": "250"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


class MarkClock:
    """Records when each node was marked, as the handler's patch returns."""

    def __init__(self, cluster: KubernetesCluster) -> None:
        self.cluster = cluster
        self.marked: dict[str, float] = {}
        self._patch = cluster.patch_node

    def patch_node(self, name: str, patch: NodePatch) -> None:
        self._patch(name, patch)
        self.marked[name] = time.monotonic()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cluster, name)


PATIENCE = 60.0


def wait_until(done: Any) -> bool:
    """Poll ``done`` until true; False after PATIENCE seconds (never a hang)."""
    deadline = time.monotonic() + PATIENCE
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def row(label: str, value: str) -> None:
    print(f"  {label:<52}{value:>14}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--pods", type=int, default=100)
    parser.add_argument(
        "--workers",
        type=int,
        default=INTAKE_WORKERS,
        help="messages handled at once (the controller's default; 1: one after another)",
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    sqs = session.client("sqs", endpoint_url=endpoint)
    url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
    nodes = max(args.events, args.burst)
    with tempfile.TemporaryDirectory() as folder, KubeApiServer(port=0) as server:
        kubeconfig = Path(folder) / "kubeconfig"
        server.write_kubeconfig(kubeconfig)
        api = connect(kubeconfig)  # the controller's client: rate-limited as configured
        # Setting the cluster up goes through a client of its own, so that it spends
        # none of the controller's rate limit.
        core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
        for i in range(nodes + 2):
            core.create_node(node_body(f"n{i}", f"i-{i:017x}"))
        cluster = KubernetesCluster(api, reporting_instance="bench").start()
        assert cluster.wait_synced(60)
        marks = MarkClock(cluster)
        source = SqsInterruptionSource(
            InterruptionQueue(session, region="us-east-1", queue_url=url, endpoint_url=endpoint),
            wait_seconds=20,
        )
        handler = Handler(
            marks,  # type: ignore[arg-type]
            source,
            UnavailableOfferings(),
            WallClock(),
            workers=args.workers,
        )
        stop = threading.Event()

        def intake() -> None:
            while not stop.is_set():
                handler.run()

        thread = threading.Thread(target=intake, daemon=True)
        thread.start()
        print(f"interruptions against loopback peers: {nodes} nodes, {args.workers} intake workers")

        # 1. One event at a time: queue -> marked.
        latencies = []
        for i in range(args.events):
            name = f"n{i}"
            sent = time.monotonic()
            sqs.send_message(
                QueueUrl=url,
                MessageBody=spot_warning(f"i-{i:017x}", "us-east-1a", "us-east-1", time.time()),
            )
            if not wait_until(lambda name=name: name in marks.marked):  # type: ignore[misc]
                print(f"  event {i} was not handled in {PATIENCE:.0f} s; stopping")
                break
            latencies.append(marks.marked[name] - sent)
        p99 = percentile(latencies, 0.99)
        row("queue -> node marked, p50 (s)", f"{statistics.median(latencies):.3f}")
        row("queue -> node marked, p99 (s)", f"{p99:.3f}")
        row("  ratio of p99 to the 1 s target", f"{p99:.2f}")

        # 2. A burst: unmark everything, then send every warning at once (10 per call).
        by_name = {n.name: n for n in cluster.snapshot().nodes}
        for i in range(args.burst):
            cluster.patch_node(f"n{i}", unmark(by_name[f"n{i}"]))
        time.sleep(1.0)  # the informers see the nodes unmarked
        marks.marked.clear()
        handler._recent.clear()  # the same ids again: forget having handled them
        bodies = [
            spot_warning(f"i-{i:017x}", "us-east-1a", "us-east-1", time.time() + 1)
            for i in range(args.burst)
        ]
        start = time.monotonic()
        for k in range(0, len(bodies), 10):
            sqs.send_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(j), "MessageBody": b} for j, b in enumerate(bodies[k : k + 10])
                ],
            )
        if wait_until(lambda: len(marks.marked) >= args.burst):
            took = f"{time.monotonic() - start:.3f}"
        else:
            took = f"n/a ({len(marks.marked)} of {args.burst} in {PATIENCE:.0f} s)"
        row(f"{args.burst} warnings at once -> all marked (s)", took)
        stop.set()

        # 3. A drain of --pods pods, budgets permissive, room on a Ready node beside.
        doomed, spare = f"n{nodes}", f"n{nodes + 1}"
        core.patch_node(spare, {"status": {"allocatable": {"cpu": "400"}}})
        for i in range(args.pods):
            core.create_namespaced_pod(
                "default",
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": f"p{i}"},
                    "spec": {
                        "nodeName": doomed,
                        "containers": [
                            {
                                "name": "c",
                                "image": "pause",
                                "resources": {"requests": {"cpu": "10m"}},
                            }
                        ],
                    },
                },
            )
        # Only the doomed node is marked now: the others are released.
        for other in cluster.snapshot().nodes:
            if other.name != doomed and other.taints:
                cluster.patch_node(other.name, unmark(other))
        time.sleep(1.0)  # the informers catch up
        (node,) = [n for n in cluster.snapshot().nodes if n.name == doomed]
        cluster.patch_node(doomed, mark(node, "spot-interruption", "bench", time.time() + 120))
        drainer = Drainer(cluster, _NoCloud(), WallClock())
        start = time.monotonic()
        while True:
            if doomed in drainer.run().finished:
                break
            time.sleep(1.0)  # the controller's drain interval
        row(f"node with {args.pods} pods marked -> drained (s)", f"{time.monotonic() - start:.3f}")
        row("  ratio to the 10 s target", f"{(time.monotonic() - start) / 10:.2f}")
        cluster.stop()
        api.close()
    moto.stop()


class _NoCloud:
    """Terminations recorded nowhere: the drained node's instance is not moto's."""

    def terminate(self, instance_ids: Any) -> None:
        pass


if __name__ == "__main__":
    main()
