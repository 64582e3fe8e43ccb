"""Stand-in kubelets for EC2 instances: they register Nodes and start the pods bound to them.

No real node boots in moto, so :class:`TestKubelets` does what the kubelet (and the AWS
cloud node manager) of each instance would do once it joined the cluster:

- **Registers** a Node for each running instance tagged ``spotwise.io/cluster=<cluster>``
  that has none: named after the instance's private DNS name, with
  ``spec.providerID`` ``aws:///<zone>/<instance-id>``, the labels and taints of the
  kubelet flags in the instance's user data (the nodeadm ``NodeConfig`` documents the
  launch template carries, `spotwise.aws.user_data`), the well-known labels (hostname, arch,
  os, instance type, zone, region), capacity and allocatable of the type as EKS computes
  them (`spotwise.decisions.scheduling.overhead.allocatable`), addresses and nodeInfo.
  The user data is read with DescribeInstanceAttribute ``userData``, which moto answers
  for instances CreateFleet launched from a template, as EC2 does.
- **Heartbeats**: each sync renews the Ready condition's ``lastHeartbeatTime`` and the
  node's Lease in ``kube-node-lease``. A node is NotReady for ``ready_after_seconds``
  after it registered (its network is starting), then Ready. A node whose instance is no
  longer running gets no more heartbeats; deleting it is the controller's job.
- **Starts pods** bound to its Ready nodes: Pending pods become Running with the Ready
  conditions, IPs and running container statuses, through ``pods/status``.

The command line, ``python -m spotwise.testing.kubelet``, runs these and
`spotwise.testing.binder` in a loop (see docs/testing.md).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import calendar
import email
import hashlib
import ipaddress
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from types import FrameType
from typing import Any

import boto3
import yaml
from kubernetes import client, config

from spotwise.aws.user_data import NODE_CONFIG_CONTENT_TYPE
from spotwise.catalog.bundled import load_catalog
from spotwise.catalog.catalog import Catalog, UnknownInstanceType
from spotwise.decisions.scheduling.overhead import (
    DEFAULT_ROOT_VOLUME_BYTES,
    FILESYSTEM_SHARE,
    VM_MEMORY_OVERHEAD,
    allocatable,
)
from spotwise.model import labels as keys
from spotwise.model.instance_type import InstanceType
from spotwise.model.provider_id import provider_id
from spotwise.model.resources import Resources
from spotwise.model.scheduling_terms import Taint, TaintEffect
from spotwise.ports.cloud import TAG_CLUSTER
from spotwise.testing.binder import TestBinder
from spotwise.testing.kubeapi.discovery import VERSION

Obj = dict[str, Any]
log = logging.getLogger(__name__)

NODE_LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION_SECONDS = 40
KUBELET_VERSION = str(VERSION["gitVersion"])
_NOT_READY = ("KubeletNotReady", "container runtime network not ready: NetworkReady=false")
_READY = ("KubeletReady", "kubelet is posting ready status")
_PRESSURES = (
    ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
)


@dataclass(frozen=True, slots=True)
class Registration:
    """What the kubelet flags in a node's user data register it with."""

    labels: dict[str, str]
    taints: tuple[Taint, ...]


@dataclass(frozen=True, slots=True)
class KubeletSync:
    """What one :meth:`TestKubelets.sync` did.

    Attributes:
        registered: Names of the Nodes it registered.
        ready: Names of the Nodes that became Ready.
        heartbeats: Names of the Nodes whose heartbeat it renewed.
        started: ``namespace/name`` of the pods it marked Running.
    """

    registered: tuple[str, ...] = ()
    ready: tuple[str, ...] = ()
    heartbeats: tuple[str, ...] = ()
    started: tuple[str, ...] = ()


def registration_from_user_data(user_data: str) -> Registration:
    """The ``--node-labels`` and ``--register-with-taints`` of the NodeConfig documents.

    ``user_data`` is the decoded MIME multipart text; nodeadm merges its NodeConfig
    documents in order, so later labels win and taints add up. Text that is not MIME, or
    has no NodeConfig, registers nothing.

    Raises:
        ValueError: If a NodeConfig's flags are malformed.
    """
    labels: dict[str, str] = {}
    taints: list[Taint] = []
    message = email.message_from_string(user_data)
    parts = message.walk() if message.is_multipart() else iter(())
    for part in parts:
        if not isinstance(part, Message) or part.get_content_type() != NODE_CONFIG_CONTENT_TYPE:
            continue
        payload = part.get_payload(decode=True)
        text = payload.decode() if isinstance(payload, bytes) else str(part.get_payload())
        for document in yaml.safe_load_all(text):
            if not isinstance(document, dict) or document.get("kind") != "NodeConfig":
                continue
            kubelet = (document.get("spec") or {}).get("kubelet") or {}
            for flag in kubelet.get("flags") or []:
                name, _, value = str(flag).removeprefix("--").partition("=")
                if name == "node-labels" and value:
                    labels.update(_pair(item, "=") for item in value.split(","))
                elif name == "register-with-taints" and value:
                    taints.extend(_taint(item) for item in value.split(","))
    return Registration(labels, tuple(taints))


def _pair(item: str, separator: str) -> tuple[str, str]:
    key, found, value = item.partition(separator)
    if not found or not key:
        raise ValueError(f"malformed kubelet flag value {item!r}: expected key{separator}value")
    return key, value


def _taint(item: str) -> Taint:
    key_value, found, effect = item.rpartition(":")
    if not found or not key_value:
        raise ValueError(f"malformed taint {item!r}: expected key[=value]:Effect")
    key, _, value = key_value.partition("=")
    return Taint(key, value, TaintEffect(effect))


class TestKubelets:
    """The kubelets of a cluster's EC2 instances, one :meth:`sync` at a time.

    Args:
        ec2: A boto3 EC2 client (moto's, in tests).
        core: The official client's ``CoreV1Api`` for the cluster.
        cluster_name: Instances tagged ``spotwise.io/cluster`` with it are the cluster's.
        catalog: Instance types, for capacity and allocatable.
        ready_after_seconds: How long a new node stays NotReady after registering.
        clock: Seconds since the epoch (tests may pass their own).
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        ec2: Any,
        core: client.CoreV1Api,
        cluster_name: str,
        catalog: Catalog,
        *,
        ready_after_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ec2 = ec2
        self.core = core
        self.coordination = client.CoordinationV1Api(core.api_client)
        self.cluster_name = cluster_name
        self.catalog = catalog
        self.ready_after_seconds = ready_after_seconds
        self.clock = clock
        self._registered_at: dict[str, float] = {}

    def sync(self) -> KubeletSync:
        """Register missing Nodes, heartbeat the running ones, start their bound pods."""
        instances = self._running_instances()
        nodes = {
            n["metadata"]["name"]: n for n in _items(self.core.list_node(_preload_content=False))
        }
        by_provider = {(n.get("spec") or {}).get("providerID", ""): n for n in nodes.values()}
        registered: list[str] = []
        ready: list[str] = []
        heartbeats: list[str] = []
        ours: dict[str, Obj] = {}  # node name -> instance, for the nodes this sync kept alive
        for instance in instances:
            zone = instance["Placement"]["AvailabilityZone"]
            node = by_provider.get(provider_id(zone, instance["InstanceId"]))
            if node is None:
                node = self._register(instance)
                if node is None:
                    continue
                registered.append(node["metadata"]["name"])
            name = node["metadata"]["name"]
            ours[name] = instance
            became_ready = self._heartbeat(node)
            heartbeats.append(name)
            if became_ready:
                ready.append(name)
        started = self._start_pods(ours)
        return KubeletSync(tuple(registered), tuple(ready), tuple(heartbeats), tuple(started))

    # -- instances -----------------------------------------------------------------------

    def _running_instances(self) -> list[Obj]:
        filters = [
            {"Name": f"tag:{TAG_CLUSTER}", "Values": [self.cluster_name]},
            {"Name": "instance-state-name", "Values": ["running"]},
        ]
        found: list[Obj] = []
        for page in self.ec2.get_paginator("describe_instances").paginate(Filters=filters):
            for reservation in page.get("Reservations", ()):
                found.extend(reservation.get("Instances", ()))
        return sorted(found, key=lambda i: (str(i.get("LaunchTime")), i["InstanceId"]))

    def user_data(self, instance_id: str) -> str:
        """The instance's user data, decoded ('' when it has none)."""
        answer = self.ec2.describe_instance_attribute(InstanceId=instance_id, Attribute="userData")
        encoded = (answer.get("UserData") or {}).get("Value") or ""
        try:
            return base64.b64decode(encoded).decode()
        except (binascii.Error, UnicodeDecodeError):
            log.warning("instance %s: user data is not base64 text; no labels", instance_id)
            return ""

    # -- nodes ---------------------------------------------------------------------------

    def _register(self, instance: Obj) -> Obj | None:
        instance_id = instance["InstanceId"]
        try:
            instance_type = self.catalog.instance_type(instance["InstanceType"])
        except UnknownInstanceType:
            log.warning(
                "instance %s: type %s is not in the catalog; no node registered",
                instance_id,
                instance["InstanceType"],
            )
            return None
        try:
            registration = registration_from_user_data(self.user_data(instance_id))
        except ValueError as error:
            log.warning("instance %s: %s; no node registered", instance_id, error)
            return None
        body = self.node_manifest(instance, instance_type, registration)
        name = body["metadata"]["name"]
        model = client.V1Node.from_dict(body)
        try:
            created = _json(self.core.create_node(model, _preload_content=False))  # type: ignore[arg-type]
        except client.ApiException as error:
            if error.status != 409:
                raise
            # A Node of that name for another instance (a reused address): a real kubelet
            # would fail to register too; the controller's garbage collection frees it.
            log.warning("instance %s: node %s exists for another instance", instance_id, name)
            return None
        self._registered_at[name] = self.clock()
        log.info("kubelet: registered node %s for instance %s", name, instance_id)
        return created

    def node_manifest(
        self, instance: Obj, instance_type: InstanceType, registration: Registration
    ) -> Obj:
        """The Node the kubelet of ``instance`` registers (NotReady until its first sync)."""
        instance_id = instance["InstanceId"]
        zone = instance["Placement"]["AvailabilityZone"]
        region = str(self.ec2.meta.region_name)
        name = instance.get("PrivateDnsName") or instance_id
        architecture = instance_type.architecture.kubernetes
        labels = {
            **registration.labels,
            keys.HOSTNAME: name,
            keys.ARCH: architecture,
            keys.OS: "linux",
            "beta.kubernetes.io/arch": architecture,
            "beta.kubernetes.io/os": "linux",
            keys.INSTANCE_TYPE: instance_type.name,
            "beta.kubernetes.io/instance-type": instance_type.name,
            keys.ZONE: zone,
            keys.REGION: region,
            "failure-domain.beta.kubernetes.io/zone": zone,
            "failure-domain.beta.kubernetes.io/region": region,
        }
        zone_id = self.catalog.metadata.zone_ids.get(zone)
        if zone_id:
            labels["topology.k8s.aws/zone-id"] = zone_id
        spec: Obj = {"providerID": provider_id(zone, instance_id)}
        if registration.taints:
            spec["taints"] = [_taint_object(t) for t in registration.taints]
        ip = instance.get("PrivateIpAddress") or ""
        addresses = [{"type": "InternalIP", "address": ip}] if ip else []
        addresses += [
            {"type": "InternalDNS", "address": name},
            {"type": "Hostname", "address": name},
        ]
        stamp = _time(self.clock())
        machine = hashlib.sha256(instance_id.encode()).hexdigest()
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": labels,
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            },
            "spec": spec,
            "status": {
                "capacity": _resource_list(_capacity(instance_type)),
                "allocatable": _resource_list(allocatable(instance_type)),
                "conditions": [
                    *(_condition(t, "False", r, m, stamp) for t, r, m in _PRESSURES),
                    _condition("Ready", "False", *_NOT_READY, stamp),
                ],
                "addresses": addresses,
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "machineID": machine[:32],
                    "systemUUID": f"ec2{machine[3:11]}-{machine[11:15]}-{machine[15:19]}-"
                    f"{machine[19:23]}-{machine[23:35]}",
                    "bootID": machine[32:64],
                    "kernelVersion": "6.1.119-129.201.amzn2023.x86_64"
                    if architecture == "amd64"
                    else "6.1.119-129.201.amzn2023.aarch64",
                    "osImage": "Amazon Linux 2023.6.20241212",
                    "containerRuntimeVersion": "containerd://1.7.23",
                    "kubeletVersion": KUBELET_VERSION,
                    "kubeProxyVersion": KUBELET_VERSION,
                    "operatingSystem": "linux",
                    "architecture": architecture,
                },
            },
        }

    def _heartbeat(self, node: Obj) -> bool:
        """Renew the node's Ready condition and Lease; True if it has just become Ready."""
        name = node["metadata"]["name"]
        now = self.clock()
        # A node registered before this object existed (a restarted loop) counts from
        # its creation, so that a Ready node does not turn NotReady again.
        registered = self._registered_at.setdefault(
            name, _seconds(node["metadata"].get("creationTimestamp"), now)
        )
        is_ready = now - registered >= self.ready_after_seconds
        stamp = _time(now)
        conditions = list((node.get("status") or {}).get("conditions") or [])
        was_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
        kept = [c for c in conditions if c.get("type") != "Ready"]
        old = next((c for c in conditions if c.get("type") == "Ready"), None)
        status = "True" if is_ready else "False"
        reason, message = _READY if is_ready else _NOT_READY
        changed = old is None or old.get("status") != status
        ready = _condition("Ready", status, reason, message, stamp)
        if not changed and old is not None:
            ready["lastTransitionTime"] = old.get("lastTransitionTime", stamp)
        for condition in kept:
            condition["lastHeartbeatTime"] = stamp
        try:
            self.core.patch_node_status(
                name, {"status": {"conditions": [*kept, ready]}}, _preload_content=False
            )
        except client.ApiException as error:
            if error.status != 404:
                raise
            return False  # deleted since it was listed (a drained node): nothing to renew
        self._renew_lease(name, node["metadata"].get("uid", ""), now)
        return is_ready and not was_ready

    def _renew_lease(self, name: str, uid: str, now: float) -> None:
        renew = _micro_time(now)
        spec = {
            "holderIdentity": name,
            "leaseDurationSeconds": LEASE_DURATION_SECONDS,
            "renewTime": renew,
        }
        try:
            self.coordination.patch_namespaced_lease(
                name, NODE_LEASE_NAMESPACE, {"spec": spec}, _preload_content=False
            )
        except client.ApiException as error:
            if error.status != 404:
                raise
            owner = {"apiVersion": "v1", "kind": "Node", "name": name, "uid": uid}
            lease = client.V1Lease.from_dict(
                {
                    "metadata": {"name": name, "ownerReferences": [owner]},
                    "spec": spec,
                }
            )
            self.coordination.create_namespaced_lease(
                NODE_LEASE_NAMESPACE,
                lease,  # type: ignore[arg-type]
                _preload_content=False,
            )

    # -- pods ----------------------------------------------------------------------------

    def _start_pods(self, ours: Mapping[str, Obj]) -> list[str]:
        """Mark Running the Pending pods bound to this sync's Ready nodes."""
        ready_nodes = {
            n["metadata"]["name"]
            for n in _items(self.core.list_node(_preload_content=False))
            if n["metadata"]["name"] in ours and _is_ready(n)
        }
        started: list[str] = []
        pods = _items(self.core.list_pod_for_all_namespaces(_preload_content=False))
        for pod in pods:
            meta, spec = pod["metadata"], pod.get("spec") or {}
            node = str(spec.get("nodeName") or "")
            phase = (pod.get("status") or {}).get("phase")
            if node not in ready_nodes or phase != "Pending" or meta.get("deletionTimestamp"):
                continue
            instance = ours[node]
            status = _running_status(pod, instance, self.clock())
            self.core.patch_namespaced_pod_status(
                meta["name"], meta["namespace"], {"status": status}, _preload_content=False
            )
            started.append(f"{meta['namespace']}/{meta['name']}")
        return started


def _capacity(instance_type: InstanceType) -> Resources:
    """What the kubelet reports as capacity: the memory the OS sees, after the VM's share.

    The root filesystem is the default root volume: nodes of the test clusters are
    launched from pools that do not size it.
    """
    raw = instance_type.capacity
    memory = int(raw.memory_bytes * (1 - VM_MEMORY_OVERHEAD))
    disk = int(DEFAULT_ROOT_VOLUME_BYTES * FILESYSTEM_SHARE)
    return Resources(raw.cpu_milli, memory, raw.pods, raw.extended, disk)


def _resource_list(resources: Resources) -> dict[str, str]:
    listed = {
        "cpu": _cpu(resources.cpu_milli),
        "memory": f"{resources.memory_bytes // 1024}Ki",
        "pods": str(resources.pods),
        "ephemeral-storage": f"{resources.ephemeral_bytes // 1024}Ki",
    }
    listed.update((name, str(count)) for name, count in resources.extended)
    return listed


def _cpu(milli: int) -> str:
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def _taint_object(taint: Taint) -> Obj:
    found: Obj = {"key": taint.key, "effect": taint.effect.value}
    if taint.value:
        found["value"] = taint.value
    return found


def _condition(kind: str, status: str, reason: str, message: str, stamp: str) -> Obj:
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastHeartbeatTime": stamp,
        "lastTransitionTime": stamp,
    }


def _is_ready(node: Obj) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _running_status(pod: Obj, instance: Obj, now: float) -> Obj:
    """The status a kubelet reports once every container of the pod runs."""
    stamp = _time(now)
    host_ip = instance.get("PrivateIpAddress") or "10.0.0.1"
    pod_ip = _pod_ip(host_ip, pod["metadata"].get("uid") or pod["metadata"]["name"])
    containers = (pod.get("spec") or {}).get("containers") or []
    kinds = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")
    conditions = [{"type": kind, "status": "True", "lastTransitionTime": stamp} for kind in kinds]
    scheduled = [
        c
        for c in (pod.get("status") or {}).get("conditions") or []
        if c.get("type") == "PodScheduled"
    ]
    return {
        "phase": "Running",
        "conditions": [*conditions, *scheduled],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": stamp,
        "containerStatuses": [
            {
                "name": c.get("name", ""),
                "image": c.get("image", ""),
                "imageID": c.get("image", ""),
                "containerID": "containerd://"
                + hashlib.sha256(f"{pod['metadata']['name']}/{c.get('name')}".encode()).hexdigest(),
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": stamp}},
            }
            for c in containers
        ],
    }


def _pod_ip(host_ip: str, seed: str) -> str:
    """An address in the node's /16 (the VPC CNI gives pods VPC addresses)."""
    try:
        network = ipaddress.ip_network(f"{host_ip}/16", strict=False)
    except ValueError:
        network = ipaddress.ip_network("10.0.0.0/16")
    offset = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % (network.num_addresses - 2)
    return str(network.network_address + 1 + offset)


def _json(response: object) -> Obj:
    data = getattr(response, "data", b"")
    found: Obj = json.loads(data)
    return found


def _items(response: object) -> list[Obj]:
    items: Iterable[Obj] = _json(response).get("items") or []
    return list(items)


def _time(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _seconds(stamp: object, default: float) -> float:
    """Seconds since the epoch of an RFC 3339 time in UTC; ``default`` if unreadable."""
    try:
        return calendar.timegm(time.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return default


def _micro_time(seconds: float) -> str:
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{whole}.{int((seconds % 1) * 1_000_000):06d}Z"


def main(argv: list[str] | None = None) -> int:
    """Run the kubelets and the binder every ``--interval`` seconds until stopped."""
    parser = argparse.ArgumentParser(
        prog="python -m spotwise.testing.kubelet",
        description="Stand-in kubelets for a cluster's EC2 instances (in moto, say) and a "
        "stand-in kube-scheduler: nodes register, pending pods are bound and run. EC2 is "
        "reached as boto3 is configured (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION...).",
    )
    parser.add_argument("--kubeconfig", type=Path, required=True, help="the cluster to write to")
    parser.add_argument("--cluster", required=True, help="the spotwise.io/cluster tag's value")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between passes")
    parser.add_argument(
        "--ready-after-seconds",
        type=float,
        default=0.0,
        help="how long a new node stays NotReady (default 0)",
    )
    parser.add_argument("--region", help="the catalog's region (default: boto3's region)")
    parser.add_argument("--catalog", type=Path, help="a catalog file instead of the bundled one")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    session = boto3.Session()
    region = args.region or session.region_name
    ec2 = session.client("ec2", region_name=region)
    api = config.new_client_from_config(config_file=str(args.kubeconfig))  # type: ignore[no-untyped-call]
    core = client.CoreV1Api(api)
    kubelets = TestKubelets(
        ec2,
        core,
        args.cluster,
        load_catalog(region, args.catalog),
        ready_after_seconds=args.ready_after_seconds,
    )
    binder = TestBinder(core)
    stopped = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"kubelets and binder for cluster {args.cluster} (Ctrl-C stops)", flush=True)
    while not stopped.is_set():
        try:
            kubelets.sync()
            binder.bind_pending()
        except Exception:  # one failed pass (the API server restarting...) is not the end
            log.exception("a pass failed; trying again in %s s", args.interval)
        stopped.wait(args.interval)
    api.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
