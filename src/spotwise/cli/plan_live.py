"""`spotwise plan --kubeconfig`: the planner's inputs read once from a live cluster.

The cluster is read as the controller reads it (`KubernetesCluster`: informers, then one
snapshot), so the plan sees the pods the controller would provision for: unbound,
Pending, not being deleted, not DaemonSet pods, for the default scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spotwise.errors import UserError
from spotwise.kubernetes.manifests.load import Workload
from spotwise.model.node import Node
from spotwise.model.pod import Pod, PodSpec
from spotwise.model.resources import Resources
from spotwise.ports.cluster import ClusterSnapshot


@dataclass(frozen=True, slots=True)
class LiveInputs:
    """What a plan for a live cluster packs.

    Attributes:
        pods: Pending pods: the cluster's, oldest first, then the manifests'.
        nodes: The cluster's nodes with their bound pods, then the manifests' nodes.
        daemonsets: The cluster's DaemonSets, then the manifests' that differ from them.
    """

    pods: tuple[Pod, ...]
    nodes: tuple[Node, ...]
    daemonsets: tuple[PodSpec, ...]


def read_cluster(kubeconfig: Path, context: str | None, timeout: float) -> ClusterSnapshot:
    """One snapshot of the cluster ``kubeconfig`` (and ``context``) names.

    Every resource the snapshot needs is listed once first (one object each), so an
    unreachable server or a missing permission is reported at once, by name, rather than
    retried by the informers until the timeout.

    Raises:
        UserError: If the kubeconfig cannot be used, the API server cannot be reached or
            refuses a list, or the informers do not sync within ``timeout`` seconds.
    """
    # The API client is slow to import; only this path of `plan` needs it.
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException

    from spotwise.kubernetes.api import raw
    from spotwise.kubernetes.api.client import ClientSettings, connect
    from spotwise.kubernetes.api.cluster import KubernetesCluster
    from spotwise.kubernetes.api.informer import WATCHED

    subject = f"--kubeconfig {kubeconfig}"
    if not kubeconfig.is_file():
        raise UserError(subject, "no such file", "pass a kubeconfig file")
    settings = ClientSettings(request_timeout=timeout)
    try:
        api = connect(kubeconfig, settings, context=context)
    except ConfigException as error:
        raise UserError(subject, _one_line(str(error)), "check the file and --context") from None
    except Exception as error:  # the client's loader fails on a malformed file in many ways
        raise UserError(subject, f"not a kubeconfig ({type(error).__name__}: {error})") from None
    server = str(api.configuration.host)
    try:
        for kind in WATCHED:
            try:
                raw.call(api, "GET", kind.path, query={"limit": 1})
            except ApiException as error:
                raise UserError(
                    f"API server {server}",
                    f"cannot list {kind.plural} ({error.status}): {_one_line(raw.message(error))}",
                    "check the kubeconfig's user and its permissions",
                ) from None
            except Exception as error:  # urllib3's connection errors have no common base
                raise UserError(
                    f"API server {server}",
                    f"cannot be reached: {_connection_problem(error)}",
                    "check the kubeconfig's server and that the cluster is up",
                ) from None
        cluster = KubernetesCluster(api)
        cluster.start()
        try:
            if not cluster.wait_synced(timeout):
                missing = sorted(k.plural for k, i in cluster.informers.items() if not i.synced)
                raise UserError(
                    f"API server {server}",
                    f"{', '.join(missing)} not listed within {timeout:g}s",
                    "try again, or raise --timeout",
                )
            return cluster.snapshot()
        finally:
            cluster.stop()
    finally:
        api.close()  # type: ignore[no-untyped-call]  # no hints upstream


def combine(snapshot: ClusterSnapshot, workload: Workload | None) -> LiveInputs:
    """The cluster's inputs with the manifests' applied to it ("what if these were applied").

    The manifests' pods join the cluster's pending pods, except a pod the cluster already
    has (same namespace and name): applying it would change nothing. Their DaemonSets
    join the cluster's unless an equal pod spec is already there, so a DaemonSet that is
    both applied and running counts once. Their Node objects are added to the cluster's.

    Raises:
        UserError: If a manifest defines a Node the cluster already has.
    """
    if workload is None:
        return LiveInputs(snapshot.pending, snapshot.nodes, snapshot.daemonsets)
    names = {node.name for node in snapshot.nodes}
    for node in workload.nodes:
        if node.name in names:
            raise UserError(
                f"Node {node.name}",
                "is defined in -f and exists in the cluster",
                "leave existing nodes out of -f",
            )
    known = {pod.key for pod in snapshot.pending}
    known.update(pod.key for node in snapshot.nodes for pod in node.pods)
    added = tuple(pod for pod in workload.pods if pod.key not in known)
    daemonsets = list(snapshot.daemonsets)
    daemonsets.extend(spec for spec in workload.daemonsets if spec not in snapshot.daemonsets)
    return LiveInputs(
        pods=(*snapshot.pending, *added),
        nodes=(*snapshot.nodes, *workload.nodes),
        daemonsets=tuple(daemonsets),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _connection_problem(error: BaseException) -> str:
    """The cause of a failed connection, without urllib3's wrapping of it."""
    while isinstance(getattr(error, "reason", None), BaseException):
        error = error.reason  # type: ignore[attr-defined]  # urllib3's MaxRetryError
    text = _one_line(str(error))
    _, found, cause = text.partition("Failed to establish a new connection: ")
    return cause.rstrip('")') if found else text


def read_pod_usage(
    kubeconfig: Path, context: str | None, timeout: float
) -> dict[str, Resources] | None:
    """The pods' usage from the cluster's metrics-server; None when it serves none.

    Raises:
        UserError: If the kubeconfig cannot be used, or the answer is not a PodMetricsList.
    """
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException

    from spotwise.kubernetes.api import raw
    from spotwise.kubernetes.api.client import ClientSettings, connect
    from spotwise.kubernetes.manifests.pod_metrics import pod_usage

    subject = f"--kubeconfig {kubeconfig}"
    try:
        api = connect(kubeconfig, ClientSettings(request_timeout=timeout), context=context)
    except ConfigException as error:
        raise UserError(subject, _one_line(str(error)), "check the file and --context") from None
    try:
        answer = raw.call(api, "GET", "/apis/metrics.k8s.io/v1beta1/pods")
    except ApiException:
        return None  # no metrics-server (404), or not allowed to read it
    finally:
        api.close()  # type: ignore[no-untyped-call]  # no hints upstream
    return pod_usage(answer, f"API server {api.configuration.host}: metrics.k8s.io pods")
