"""The controller at scale: 1,000 new pending pods on a 5,000-node, 100,000-pod cluster.

    PYTHONPATH=src .venv/bin/python benchmarks/controller_scale.py [--runs 1]
        [--nodes 5000] [--pods 100000] [--new-pods 1000] [--keep DIR]

Issue 11, section 9. A cluster of ``--nodes`` Nodes (the bundled catalog's general
purpose, compute and memory types from xlarge to 4xlarge, spot and on-demand, across the
region's zones, labelled as spotwise's nodes are: instance type, zone, capacity type,
``spotwise.io/node-pool``, providerID, capacity and allocatable) and ``--pods`` Running
pods bound to them (the Deployments' pods of several teams, with requests, ReplicaSet
owners and labels, some with pod anti-affinity or zone spread; a pod of each of three
DaemonSets on every node; a few PodDisruptionBudgets) is written to a JSON file by a
child process and preloaded by the Kubernetes API test server (``python -m
spotwise.testing.kubeapi --load FILE``) in a process of its own, so that this process's
memory is the controller's alone.

This process then does what ``spotwise controller`` does: `connect`, `KubernetesCluster`
(start, wait_synced), a Provisioner from `build_provisioner` over the bundled catalog, the
default NodePool and a `SimulatedCloud` (wrapped to time its launch calls), Events to the
cluster, and the `ProvisioningLoop` with the default Batcher run every 0.5 s by the
controller's `LoopRunner`. Once the loop is idling on the synced caches, ``--new-pods``
pending pods of five Deployments are created through the API from eight threads. From t0,
the moment the last create was answered, it measures: watch delivery (until every new
pod is in the pod informer's cache), the batch window's wait (the Batcher closes the
window 1 s after the last new pod it saw), the round's snapshot, plan (the packer) and
launch times, and t1, when the last launch of that round returned. Printed: each part,
the total t1 - t0 and the total without the batch window (a deliberate wait), with
their ratio to the 3 s target; the nodes planned and the pods placed; then this
process's resident memory (VmRSS now and its peak, VmHWM) and its ratio to 1 GiB.
Seeding (writing the file, the server's start with the load) and the caches' first sync
are timed apart. With --runs N the round is measured N times on fresh processes and
medians are printed. Figures only, no asserts: machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TARGET_SECONDS = 3.0
TARGET_BYTES = 1 << 30
HERE = Path(__file__).resolve()
SRC = HERE.parents[1] / "src"

Obj = dict[str, Any]

# Node types: name, share of the nodes.
NODE_TYPES = (
    ("m5.2xlarge", 0.22),
    ("m6i.2xlarge", 0.15),
    ("m5.4xlarge", 0.15),
    ("m6i.4xlarge", 0.08),
    ("c5.2xlarge", 0.08),
    ("c6i.4xlarge", 0.06),
    ("r5.2xlarge", 0.08),
    ("r6i.4xlarge", 0.04),
    ("m5.xlarge", 0.10),
    ("m6a.2xlarge", 0.04),
)
# Deployment shapes of the running pods: name, CPU (m), memory (Mi), placement.
SHAPES = (
    ("web", 250, 512, "zone-spread"),
    ("api", 500, 1024, "zone-spread"),
    ("worker", 200, 384, ""),
    ("jvm", 1000, 3072, ""),
    ("cache", 500, 2048, "host-anti-affinity"),
    ("small", 100, 128, ""),
    ("batch", 300, 768, "prefer-host-spread"),
)
TEAMS = ("payments", "search", "checkout", "catalog", "identity", "ads", "media", "data")
# DaemonSets on every node: namespace, name, CPU (m), memory (Mi).
DAEMONSETS = (
    ("kube-system", "aws-node", 25, 64),
    ("kube-system", "kube-proxy", 100, 128),
    ("monitoring", "node-exporter", 50, 64),
)
# The new pending pods: Deployment, share, CPU (m), memory (Mi), placement.
NEW_DEPLOYMENTS = (
    ("checkout-web-scale", 0.35, 500, 1024, "zone-spread"),
    ("search-worker-scale", 0.30, 1000, 2048, ""),
    ("payments-api-scale", 0.20, 250, 512, "zone-spread"),
    ("media-transcode-scale", 0.10, 2000, 4096, ""),
    ("catalog-cache-scale", 0.05, 500, 1024, "host-anti-affinity"),
)
POOL = "default"
# How full the running pods' requests make each node: a consolidated cluster, where few
# of the new pods fit on the nodes there are.
FILL = 0.97


# -- the cluster's objects (in a child process) ------------------------------------------


def tolerations() -> list[Obj]:
    return [
        {
            "key": f"node.kubernetes.io/{key}",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        }
        for key in ("not-ready", "unreachable")
    ]


def token_volume(name: str) -> Obj:
    return {
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {
                    "configMap": {
                        "name": "kube-root-ca.crt",
                        "items": [{"key": "ca.crt", "path": "ca.crt"}],
                    }
                },
                {
                    "downwardAPI": {
                        "items": [
                            {
                                "path": "namespace",
                                "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                            }
                        ]
                    }
                },
            ],
        },
    }


def placement(kind: str, labels: dict[str, str]) -> Obj:
    """The spec fields of a placement rule for pods with ``labels``."""
    match = {"matchLabels": dict(labels)}
    if kind == "zone-spread":
        return {
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": match,
                }
            ]
        }
    if kind == "host-anti-affinity":
        return {
            "affinity": {
                "podAntiAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [
                        {"labelSelector": match, "topologyKey": "kubernetes.io/hostname"}
                    ]
                }
            }
        }
    if kind == "prefer-host-spread":
        return {
            "affinity": {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 100,
                            "podAffinityTerm": {
                                "labelSelector": match,
                                "topologyKey": "kubernetes.io/hostname",
                            },
                        }
                    ]
                }
            }
        }
    return {}


def pod_object(
    namespace: str,
    name: str,
    labels: dict[str, str],
    owner: Obj,
    cpu: int,
    memory: int,
    extra: Obj,
    node: Obj | None,
    image: str,
) -> Obj:
    """A pod as the API server holds it; Running on ``node``, or new (pending) without."""
    spec: Obj = {
        "containers": [
            {
                "name": "main",
                "image": image,
                "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                "env": [
                    {"name": "TEAM", "value": labels.get("team", "")},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                ],
                "resources": {
                    "requests": {"cpu": f"{cpu}m", "memory": f"{memory}Mi"},
                    "limits": {"memory": f"{memory}Mi"},
                },
                "volumeMounts": [
                    {
                        "name": "kube-api-access",
                        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        "readOnly": True,
                    }
                ],
                "terminationMessagePath": "/dev/termination-log",
                "imagePullPolicy": "IfNotPresent",
            }
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "serviceAccountName": "default",
        "schedulerName": "default-scheduler",
        "priority": 0,
        "enableServiceLinks": True,
        "preemptionPolicy": "PreemptLowerPriority",
        "tolerations": tolerations(),
        "volumes": [token_volume("kube-api-access")],
        **extra,
    }
    pod: Obj = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": labels,
            "ownerReferences": [owner],
        },
        "spec": spec,
    }
    if node is not None:
        node_name = node["metadata"]["name"]
        spec["nodeName"] = node_name
        host_ip = node["status"]["addresses"][0]["address"]
        stamp = "2026-12-01T08:00:00Z"
        pod["status"] = {
            "phase": "Running",
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": stamp}
                for t in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "hostIP": host_ip,
            "podIP": "10.{}.{}.{}".format(*random.sample(range(1, 255), 3)),
            "startTime": stamp,
            "qosClass": "Burstable",
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": True,
                    "restartCount": 0,
                    "started": True,
                    "image": image,
                    "imageID": image + "@sha256:" + "0" * 64,
                    "containerID": f"containerd://{random.getrandbits(128):032x}",
                    "state": {"running": {"startedAt": stamp}},
                }
            ],
        }
    return pod


def node_object(index: int, type_name: str, zone: str, spot: bool, catalog: Any) -> Obj:
    from spotwise.decisions.scheduling.overhead import VM_MEMORY_OVERHEAD, allocatable
    from spotwise.model import labels as keys
    from spotwise.model.instance_type import CapacityType

    instance_type = catalog.instance_type(type_name)
    ip = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
    name = f"ip-{ip.replace('.', '-')}.ec2.internal"
    capacity_type = "spot" if spot else "on-demand"
    alloc = allocatable(instance_type)
    cap = instance_type.capacity
    arch = instance_type.architecture.kubernetes
    labels = {
        **keys.capacity_type_labels(CapacityType(capacity_type)),
        keys.NODE_POOL: POOL,
        keys.HOSTNAME: name,
        keys.ARCH: arch,
        keys.OS: "linux",
        keys.INSTANCE_TYPE: type_name,
        keys.ZONE: zone,
        keys.REGION: catalog.region,
        "beta.kubernetes.io/instance-type": type_name,
        "beta.kubernetes.io/arch": arch,
        "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/zone": zone,
        "failure-domain.beta.kubernetes.io/region": catalog.region,
    }
    stamp = "2026-12-01T07:55:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"providerID": f"aws:///{zone}/i-{index:017x}"},
        "status": {
            "capacity": {
                "cpu": str(cap.cpu_milli // 1000),
                "memory": f"{int(cap.memory_bytes * (1 - VM_MEMORY_OVERHEAD)) // 1024}Ki",
                "pods": str(cap.pods),
                "ephemeral-storage": "83873772Ki",
            },
            "allocatable": {
                "cpu": f"{alloc.cpu_milli}m",
                "memory": f"{alloc.memory_bytes // 1024}Ki",
                "pods": str(alloc.pods),
                "ephemeral-storage": "76224326324",
            },
            "conditions": [
                {
                    "type": kind,
                    "status": status,
                    "lastHeartbeatTime": stamp,
                    "lastTransitionTime": stamp,
                    "reason": reason,
                    "message": reason,
                }
                for kind, status, reason in (
                    ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                    ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                    ("PIDPressure", "False", "KubeletHasSufficientPID"),
                    ("Ready", "True", "KubeletReady"),
                )
            ],
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "InternalDNS", "address": name},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.31.2-eks-94953ac",
                "containerRuntimeVersion": "containerd://1.7.23",
                "osImage": "Amazon Linux 2023.6.20241212",
                "architecture": arch,
                "operatingSystem": "linux",
            },
        },
    }


def cluster_objects(nodes: int, pods: int, seed: int) -> list[Obj]:
    """Namespaces, DaemonSets, PDBs, Nodes and Running pods, as described above."""
    from spotwise.catalog.bundled import load_bundled

    rng = random.Random(seed)
    random.seed(seed)
    catalog = load_bundled()
    zones = list(catalog.zones)[:3]
    objects: list[Obj] = []
    namespaces = sorted({*TEAMS, "kube-system", "monitoring"})
    for ns in namespaces:
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    for ns, name, cpu, memory in DAEMONSETS:
        labels = {"k8s-app": name}
        template = pod_object(
            ns, name, labels, {}, cpu, memory, {}, None, f"registry.k8s.io/{name}:v1"
        )
        template["metadata"].pop("ownerReferences")
        template["spec"]["tolerations"] = [{"operator": "Exists"}]
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "metadata": {"name": name, "namespace": ns, "uid": f"ds-{name}"},
                "spec": {
                    "selector": {"matchLabels": labels},
                    "template": {"metadata": template["metadata"], "spec": template["spec"]},
                },
            }
        )
    # Deployments: about 60 pods each on average.
    deployments = []
    count = max(1, (pods - nodes * len(DAEMONSETS)) // 60)
    for i in range(count):
        team = TEAMS[i % len(TEAMS)]
        shape, cpu, memory, kind = SHAPES[rng.randrange(len(SHAPES))]
        name = f"{team}-{shape}-{i}"
        labels = {"app": name, "team": team, "pod-template-hash": f"{rng.getrandbits(32):08x}"[:10]}
        owner = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": f"{name}-{labels['pod-template-hash']}",
            "uid": f"rs-{i}",
            "controller": True,
            "blockOwnerDeletion": True,
        }
        extra = placement(kind, {"app": name})
        deployments.append((team, name, labels, owner, cpu, memory, kind, extra))
        if i % 10 == 0:
            objects.append(
                {
                    "apiVersion": "policy/v1",
                    "kind": "PodDisruptionBudget",
                    "metadata": {"name": name, "namespace": team},
                    "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": name}}},
                }
            )
    node_objects = []
    shares = [share for _, share in NODE_TYPES]
    for index in range(nodes):
        type_name = rng.choices([t for t, _ in NODE_TYPES], shares)[0]
        zone = zones[index % len(zones)]
        node = node_object(index + 1, type_name, zone, rng.random() < 0.8, catalog)
        node_objects.append(node)
        objects.append(node)
    # Every node: its DaemonSet pods, then Deployments' pods to about FILL of its allocatable.
    app_pods = pods - nodes * len(DAEMONSETS)
    per_node = [app_pods // nodes + (1 if i < app_pods % nodes else 0) for i in range(nodes)]
    serial = 0
    cursor = 0
    for node, want in zip(node_objects, per_node, strict=True):
        node_name = node["metadata"]["name"]
        alloc = node["status"]["allocatable"]
        cpu_left = int(alloc["cpu"].rstrip("m")) * FILL
        memory_left = int(alloc["memory"].rstrip("Ki")) / 1024 * FILL
        for ns, name, cpu, memory in DAEMONSETS:
            cpu_left -= cpu
            memory_left -= memory
            owner = {
                "apiVersion": "apps/v1",
                "kind": "DaemonSet",
                "name": name,
                "uid": f"ds-{name}",
                "controller": True,
            }
            extra = {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchFields": [
                                        {
                                            "key": "metadata.name",
                                            "operator": "In",
                                            "values": [node_name],
                                        }
                                    ]
                                }
                            ]
                        }
                    }
                },
                "tolerations": [{"operator": "Exists"}],
                "priorityClassName": "system-node-critical",
                "priority": 2000001000,
            }
            objects.append(
                pod_object(
                    ns,
                    f"{name}-{rng.getrandbits(20):05x}{len(objects):x}",
                    {"k8s-app": name},
                    owner,
                    cpu,
                    memory,
                    extra,
                    node,
                    f"registry.k8s.io/{name}:v1",
                )
            )
        placed: set[str] = set()
        tries = 0
        got = 0
        while got < want and tries < 4 * len(deployments):
            team, name, labels, owner, cpu, memory, kind, extra = deployments[
                cursor % len(deployments)
            ]
            cursor += 1
            tries += 1
            if kind == "host-anti-affinity" and name in placed:
                continue
            placed.add(name)
            # The node's pods share what is left of FILL about evenly (the shape's
            # requests are where the Deployment started; the fill is what matters here).
            left = want - got
            share = 1.0 if left == 1 else rng.uniform(0.7, 1.3)
            c = max(10, int(min(cpu_left, cpu_left / left * share) // 10 * 10))
            m = max(16, int(min(memory_left, memory_left / left * share)))
            cpu_left -= c
            memory_left -= m
            serial += 1
            objects.append(
                pod_object(
                    team,
                    f"{owner['name']}-{serial:06x}",
                    labels,
                    owner,
                    c,
                    m,
                    extra,
                    node,
                    f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{team}/{name.split('-')[1]}:2026.12.1",
                )
            )
            got += 1
    return objects


def new_pods(count: int, seed: int) -> list[tuple[str, Obj]]:
    """(namespace, pod) of the new pending pods: five Deployments scaling up."""
    rng = random.Random(seed + 1)
    result: list[tuple[str, Obj]] = []
    left = count
    for i, (name, share, cpu, memory, kind) in enumerate(NEW_DEPLOYMENTS):
        n = left if i == len(NEW_DEPLOYMENTS) - 1 else round(count * share)
        n = min(n, left)
        left -= n
        team = name.split("-")[0]
        labels = {"app": name, "team": team, "pod-template-hash": f"{rng.getrandbits(32):08x}"}
        owner = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": f"{name}-{labels['pod-template-hash']}",
            "uid": f"rs-new-{i}",
            "controller": True,
        }
        for j in range(n):
            pod = pod_object(
                team,
                f"{owner['name']}-{j:05d}",
                labels,
                owner,
                cpu,
                memory,
                placement(kind, {"app": name}),
                None,
                f"example.com/{name}:1",
            )
            result.append((team, pod))
    return result


# -- the controller's side (this process) ------------------------------------------------


def memory() -> tuple[int, int]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in bytes."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found["VmRSS"], found["VmHWM"]


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Timed:
    """Wraps a callable, keeping when each call started and how long it took."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call
        self.calls: list[tuple[float, float]] = []  # (start, end), monotonic

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        try:
            return self.call(*args, **kwargs)
        finally:
            self.calls.append((start, time.monotonic()))

    def between(self, start: float, end: float) -> list[tuple[float, float]]:
        return [(a, b) for a, b in self.calls if a >= start and b <= end]


def start_server(load: Path, workdir: Path) -> tuple[subprocess.Popen[bytes], Path, float]:
    """The API test server with ``load``, in its own process; its kubeconfig and start time."""
    kubeconfig = workdir / "kubeconfig"
    kubeconfig.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    started = time.monotonic()
    command = [sys.executable, "-m", "spotwise.testing.kubeapi", "--kubeconfig", str(kubeconfig)]
    server = subprocess.Popen(
        [*command, "--load", str(load)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    while not kubeconfig.exists():
        if server.poll() is not None:
            raise SystemExit(f"the API test server stopped ({server.returncode})")
        time.sleep(0.05)
    return server, kubeconfig, time.monotonic() - started


def create_pods(url: str, pods: Sequence[tuple[str, Obj]], threads: int = 8) -> float:
    """POST every pod from ``threads`` keep-alive connections; when the last was answered."""
    where = urlsplit(url)
    chunks = [pods[i::threads] for i in range(threads)]
    failures: list[str] = []

    def post(chunk: Sequence[tuple[str, Obj]]) -> None:
        connection = HTTPConnection(where.hostname, where.port, timeout=60)
        for namespace, pod in chunk:
            body = json.dumps(pod).encode()
            connection.request(
                "POST",
                f"/api/v1/namespaces/{namespace}/pods",
                body,
                {"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            answer = response.read()
            if response.status != 201:
                failures.append(f"{response.status} {answer[:200]!r}")
        connection.close()

    workers = [threading.Thread(target=post, args=(c,)) for c in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise SystemExit(f"{len(failures)} creates failed, the first: {failures[0]}")
    return time.monotonic()


def measure(args: argparse.Namespace, kubeconfig: Path, url: str) -> dict[str, Any]:
    """Sync the caches, idle the loop, create the new pods and time the round."""
    from prometheus_client import CollectorRegistry

    from spotwise.catalog.bundled import load_bundled
    from spotwise.controller.batching import Batcher
    from spotwise.controller.events import ClusterEventSink
    from spotwise.controller.loops import Loop, LoopRunner
    from spotwise.controller.metrics import ControllerMetrics
    from spotwise.controller.provisioning_loop import ProvisioningLoop
    from spotwise.controller.settings import ControllerSettings
    from spotwise.kubernetes.api.client import connect
    from spotwise.kubernetes.api.cluster import KubernetesCluster
    from spotwise.kubernetes.api.informer import PODS
    from spotwise.ports.clock import WallClock
    from spotwise.provisioning import provisioner as provisioner_module
    from spotwise.provisioning.assembly import build_provisioner
    from spotwise.provisioning.pools import default_nodepool
    from spotwise.simulated.cloud import SimulatedCloud

    figures: dict[str, Any] = {}
    catalog = load_bundled()
    settings = ControllerSettings(cluster_name="bench", region=catalog.region)
    clock = WallClock()
    api = connect(kubeconfig)
    cluster = KubernetesCluster(api)
    progress("syncing the caches")
    started = time.monotonic()
    cluster.start()
    if not cluster.wait_synced(settings.sync_timeout_seconds * 5):
        raise SystemExit("the caches did not sync")
    figures["sync"] = time.monotonic() - started
    figures["rss_synced"] = memory()[0]
    started = time.monotonic()
    first = cluster.snapshot()
    figures["first_snapshot"] = time.monotonic() - started
    figures["cached_nodes"] = len(first.nodes)
    figures["cached_pods"] = sum(len(n.pods) for n in first.nodes) + len(first.pending)
    del first
    started = time.monotonic()
    cluster.snapshot()
    figures["warm_snapshot"] = time.monotonic() - started
    progress(
        f"synced in {figures['sync']:.1f} s: {figures['cached_nodes']} nodes, "
        f"{figures['cached_pods']} pods; first snapshot {figures['first_snapshot']:.2f} s"
    )

    cloud = SimulatedCloud(catalog, seed=1, clock=clock)
    launches = Timed(cloud.launch)
    cloud.launch = launches  # type: ignore[method-assign]  # the same call, timed
    registry = CollectorRegistry()
    provisioner = build_provisioner(
        cluster,
        cloud,
        [default_nodepool()],
        catalog,
        clock,
        cluster_name=settings.cluster_name,
        events=ClusterEventSink(cluster),
        registry=registry,
        registration_timeout=settings.registration_timeout_seconds,
    )
    pack = Timed(provisioner_module.pack)
    provisioner_module.pack = pack  # type: ignore[assignment]  # the same call, timed
    snapshots = Timed(cluster.snapshot)
    cluster.snapshot = snapshots  # type: ignore[method-assign]
    batcher = Batcher(
        settings.batch_idle_seconds, settings.batch_max_seconds, settings.resync_seconds
    )
    metrics = ControllerMetrics(registry)
    loop = ProvisioningLoop(provisioner, batcher, metrics, clock, catalog)
    rounds: list[tuple[float, float, Any, float | None]] = []  # start, end, round, last new
    done = threading.Event()

    def run() -> None:
        last_new = batcher._last_new  # when the Batcher last saw a new pod
        start = time.monotonic()
        round_ = loop.run()
        if round_ is not None:
            rounds.append((start, time.monotonic(), round_, last_new))
            if round_.launches:
                done.set()

    stop = threading.Event()
    runner = LoopRunner(
        [Loop("provisioning", settings.provisioning_interval_seconds, run)],
        metrics,
        lambda: True,
        stop,
    )
    runner.start()
    time.sleep(2.0)  # the loop idles on the synced caches, as a running controller does

    new = new_pods(args.new_pods, args.seed)
    keys = [f"{ns}/{pod['metadata']['name']}" for ns, pod in new]
    informer = cluster.informers[PODS]
    progress(f"creating {len(new)} pending pods")
    created_from = time.monotonic()
    t0 = create_pods(url, new)
    figures["create"] = t0 - created_from
    seen = 0
    while seen < len(keys):
        if informer.get(keys[seen]) is not None:
            seen += 1
        else:
            time.sleep(0.002)
    figures["watch"] = max(0.0, time.monotonic() - t0)
    if not done.wait(60):
        raise SystemExit("no launch within 60 s of the last new pod")
    stop.set()
    runner.join(10)
    start, end, round_, last_new = next(r for r in rounds if r[2].launches)
    t1 = max(b for _, b in launches.between(start, end))
    snapshot = snapshots.between(start, end)
    figures["snapshot"] = snapshot[0][1] - snapshot[0][0]
    figures["plan"] = sum(b - a for a, b in pack.between(start, end))
    figures["launch"] = sum(b - a for a, b in launches.between(start, end))
    figures["launch_calls"] = len(launches.between(start, end))
    # The Batcher's clock is the wall clock: when it last saw a new pod, in monotonic time.
    shift = time.time() - time.monotonic()
    last_seen = (last_new - shift) if last_new is not None else start
    figures["seen"] = last_seen - t0
    figures["window"] = start - last_seen
    figures["round"] = t1 - start
    figures["total"] = t1 - t0
    figures["total_without_window"] = figures["total"] - figures["window"]
    figures["nodes_planned"] = len(round_.launches)
    figures["pods_placed"] = sum(len(r.node.pods) for r in round_.launches)
    figures["pending"] = round_.pending
    figures["unschedulable"] = len(round_.unschedulable)
    figures["rounds_before"] = len(rounds) - 1
    figures["rss"], figures["hwm"] = memory()
    cluster.stop()
    api.close()
    return figures


def report(
    all_figures: list[dict[str, Any]], args: argparse.Namespace, seeding: dict[str, float]
) -> None:
    def median(key: str) -> float:
        return statistics.median(f[key] for f in all_figures)

    def seconds(key: str) -> str:
        return f"{median(key):8.3f} s"

    one = all_figures[-1]
    print(f"controller scale, {len(all_figures)} run(s), medians")
    rows = [
        ("nodes / pods in the cluster", f"{args.nodes} / {args.pods}"),
        ("new pending pods", str(args.new_pods)),
        ("seeding: write the objects (child process)", f"{seeding['write']:8.2f} s"),
        ("seeding: API server start with --load", f"{median('load'):8.2f} s"),
        ("caches' initial sync (list of every kind)", seconds("sync")),
        ("nodes / pods in the first snapshot", f"{one['cached_nodes']} / {one['cached_pods']}"),
        ("first snapshot (converts every object)", seconds("first_snapshot")),
        ("next snapshot (nothing changed)", seconds("warm_snapshot")),
        ("creating the new pods (8 threads, to t0)", seconds("create")),
        ("watch delivery after t0 (all in the cache)", seconds("watch")),
        ("t0 to the loop seeing the last new pod", seconds("seen")),
        ("batch window wait (to the round's start)", seconds("window")),
        ("round: snapshot", seconds("snapshot")),
        ("round: plan (pack)", seconds("plan")),
        ("round: launch (SimulatedCloud calls)", seconds("launch")),
        ("round: start to the last launch's return", seconds("round")),
        ("total t1 - t0", seconds("total")),
        (
            f"  ratio to the {TARGET_SECONDS:g} s target",
            f"{median('total') / TARGET_SECONDS:10.2f}",
        ),
        ("total without the batch window", seconds("total_without_window")),
        (
            f"  ratio to the {TARGET_SECONDS:g} s target",
            f"{median('total_without_window') / TARGET_SECONDS:10.2f}",
        ),
        ("nodes planned (launch calls)", f"{one['nodes_planned']} ({one['launch_calls']})"),
        ("pods placed on them / pending", f"{one['pods_placed']} / {one['pending']}"),
        ("pods that fit nowhere", str(one["unschedulable"])),
        ("RSS after sync", f"{median('rss_synced') / 2**20:8.0f} MiB"),
        ("RSS at the end (VmRSS)", f"{median('rss') / 2**20:8.0f} MiB"),
        ("peak RSS (VmHWM)", f"{median('hwm') / 2**20:8.0f} MiB"),
        ("  ratio of the peak to 1 GiB", f"{median('hwm') / TARGET_BYTES:10.2f}"),
    ]
    for label, value in rows:
        print(f"  {label:46s} {value:>14s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="rounds measured (fresh processes)")
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument(
        "--pods", type=int, default=100_000, help="Running pods, DaemonSets' included"
    )
    parser.add_argument("--new-pods", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the cluster's JSON in this folder")
    parser.add_argument("--write-cluster", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # kubeconfig,url: one run
    args = parser.parse_args()
    logging.getLogger("spotwise").setLevel(logging.ERROR)
    if args.write_cluster is not None:
        objects = cluster_objects(args.nodes, args.pods, args.seed)
        args.write_cluster.write_text(json.dumps(objects, separators=(",", ":")))
        return
    if args.measure is not None:
        kubeconfig, url = args.measure.split(",", 1)
        print(json.dumps(measure(args, Path(kubeconfig), url)))
        return

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="controller-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = ["--nodes", str(args.nodes), "--pods", str(args.pods), "--seed", str(args.seed)]
    sizes += ["--new-pods", str(args.new_pods)]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    cluster_file = workdir / "cluster.json"
    progress(f"writing {args.nodes} nodes and {args.pods} pods to {cluster_file}")
    started = time.monotonic()
    subprocess.run(
        [sys.executable, str(HERE), "--write-cluster", str(cluster_file), *sizes],
        env=env,
        check=True,
    )
    seeding = {"write": time.monotonic() - started}
    all_figures = []
    for run in range(args.runs):
        progress(f"run {run + 1}: starting the API test server with --load")
        server, kubeconfig, load = start_server(cluster_file, workdir)
        try:
            url = json.loads(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
            progress(f"run {run + 1}: the server is up after {load:.1f} s")
            answer = subprocess.run(
                [sys.executable, str(HERE), "--measure", f"{kubeconfig},{url}", *sizes],
                env=env,
                check=True,
                stdout=subprocess.PIPE,
            )
            all_figures.append({**json.loads(answer.stdout), "load": load})
        finally:
            server.terminate()
            server.wait(30)
    report(all_figures, args, seeding)
    if args.keep is None:
        cluster_file.unlink()
        (workdir / "kubeconfig").unlink(missing_ok=True)
        workdir.rmdir()


if __name__ == "__main__":
    main()
