"""`spotwise agent`: the node agent, marking its own node from instance metadata.

For clusters without the SQS queue (or as a second source), a DaemonSet polls each
node's instance metadata (IMDSv2) every 2 s for the four notices: spot instance action,
rebalance recommendation, scheduled maintenance and the Auto Scaling target lifecycle
state. A notice is handled by the same `Handler` as the queue's: the agent marks its own
node (taint, cordon, deadline), and the controller's drain loop and provisioner carry the
interruption on from the node's state. So the agent needs only to read and patch its own
Node and create Events; it never evicts.
"""

from __future__ import annotations

from kubernetes import client

from spotwise.aws.imds import ImdsClient, ImdsError
from spotwise.decisions.interruption.parse import parse_notice
from spotwise.interruption.handler import Handler
from spotwise.kubernetes.api import raw
from spotwise.kubernetes.api.cluster import KubernetesCluster
from spotwise.kubernetes.api.informer import NODES
from spotwise.kubernetes.api.objects import manifest
from spotwise.kubernetes.manifests.nodes import parse_node
from spotwise.ports.clock import WallClock
from spotwise.ports.cluster import ClusterSnapshot
from spotwise.ports.interruptions import RawMessage
from spotwise.provisioning.unavailable import UnavailableOfferings


class ImdsSource:
    """`InterruptionSource` over instance metadata: the notices standing now.

    Metadata keeps answering while a notice stands, so every poll returns it again;
    the handler acts once per interruption id and ``ack`` has nothing to delete.
    """

    def __init__(self, imds: ImdsClient) -> None:
        self.imds = imds

    def receive(self) -> list[RawMessage]:
        """The metadata answers that hold a notice now (path -> answer)."""
        try:
            answers = self.imds.poll_events()
        except ImdsError:
            return []  # metadata away for a moment: the next poll tries again
        return [RawMessage(f"imds:{path}", body, handle=path) for path, body in answers.items()]

    def ack(self, message: RawMessage) -> None:
        """Nothing to delete: metadata answers are not a queue."""


class OwnNode(KubernetesCluster):
    """The Cluster port as the agent uses it: its own Node, read on demand, no caches."""

    def __init__(self, api: client.ApiClient, node_name: str) -> None:
        super().__init__(api, reporting_instance=node_name)
        self.node_name = node_name

    def snapshot(self) -> ClusterSnapshot:
        """The agent's own node (no pods: the agent never moves them)."""
        obj = raw.call(self.api, "GET", NODES.object_path("", self.node_name))
        return ClusterSnapshot((parse_node(manifest(obj)),), ())


def agent_handler(api: client.ApiClient, imds: ImdsClient, node_name: str) -> Handler:
    """The agent's handler: metadata notices of this instance, marking this node.

    Raises:
        ImdsError: If instance metadata cannot tell the instance's id.
    """
    instance_id = imds.instance_identity().instance_id
    return Handler(
        OwnNode(api, node_name),
        ImdsSource(imds),
        UnavailableOfferings(),  # the controller's memory is the one planning reads
        WallClock(),
        parse=lambda body: parse_notice(body, instance_id, "imds"),
    )
