"""A pod template (or a Pod) as the scheduler sees it: a :class:`PodSpec` and its claims."""

from __future__ import annotations

from dataclasses import dataclass

from spotwise.kubernetes.manifests.fields import Fields
from spotwise.kubernetes.manifests.namespaces import Namespaces
from spotwise.kubernetes.manifests.requests import pod_requests
from spotwise.kubernetes.manifests.selectors import (
    preferred_node_terms,
    required_node_terms,
    required_pod_affinity_terms,
    spread_constraints,
    tolerations,
    weighted_pod_affinity_terms,
)
from spotwise.kubernetes.manifests.volumes import ClaimUse
from spotwise.model.disruption_hints import NO_HINTS, DisruptionHints, hints_of
from spotwise.model.labelset import LabelSet
from spotwise.model.pod import PodSpec
from spotwise.model.scheduling_terms import HostPort, with_extended_resource_tolerations

_PROTOCOLS = ("TCP", "UDP", "SCTP")


@dataclass(frozen=True, slots=True)
class PodTemplate:
    """What a pod template says, before its owner names the pods.

    Attributes:
        spec: The scheduling spec, without volume pins.
        claims: ``persistentVolumeClaim.claimName`` of its volumes.
        ephemeral: Generic ephemeral volumes as (volume name, storageClassName or None);
            each pod gets a claim ``<pod>-<volume>``.
        node_name: ``spec.nodeName``, empty when the pod is not bound.
        host_network: ``spec.hostNetwork``.
        hints: What its annotations and local volumes say about voluntary disruption.
    """

    spec: PodSpec
    claims: tuple[str, ...] = ()
    ephemeral: tuple[tuple[str, str | None], ...] = ()
    node_name: str = ""
    host_network: bool = False
    hints: DisruptionHints = NO_HINTS

    def claim_uses(self, pod_name: str) -> list[ClaimUse]:
        """The claims one pod of this template mounts."""
        uses = [ClaimUse(name) for name in self.claims]
        uses.extend(
            ClaimUse(f"{pod_name}-{volume}", storage_class, created=True)
            for volume, storage_class in self.ephemeral
        )
        return uses


def parse_template(
    template: Fields,
    namespace: str,
    namespaces: Namespaces,
    extra_labels: dict[str, str] | None = None,
) -> PodTemplate:
    """Read a Pod or a pod template (``metadata`` and ``spec``).

    Args:
        template: The Pod object or the workload's ``spec.template``.
        namespace: The namespace its pods run in (the owner's).
        namespaces: Known namespaces, for ``namespaceSelector``.
        extra_labels: Labels the owner's controller adds to every pod (``job-name``...).

    Returns:
        The template's spec and volumes.

    Raises:
        UserError: Naming the field path of the first malformed value.
    """
    metadata = template.mapping("metadata")
    labels = metadata.string_map("labels") if metadata is not None else {}
    labels.update(extra_labels or {})
    spec = template.mapping("spec")
    if spec is None:
        raise template.error("spec", "is required", "add the pod spec with its containers")
    if not spec.objects("containers"):
        raise spec.error("containers", "is required", "list at least one container")
    affinity = spec.mapping("affinity")
    node_affinity = pod_affinity = pod_anti_affinity = None
    if affinity is not None:
        node_affinity = affinity.mapping("nodeAffinity")
        pod_affinity = affinity.mapping("podAffinity")
        pod_anti_affinity = affinity.mapping("podAntiAffinity")
    host_network = spec.boolean("hostNetwork")
    requests = pod_requests(spec)
    pod_spec = PodSpec(
        namespace=namespace,
        labels=LabelSet(labels),
        requests=requests,
        node_selector=LabelSet(spec.string_map("nodeSelector")),
        required_node_terms=required_node_terms(node_affinity),
        preferred_node_terms=preferred_node_terms(node_affinity),
        tolerations=with_extended_resource_tolerations(
            tolerations(spec), (name for name, _ in requests.extended)
        ),
        host_ports=host_ports(spec, host_network),
        affinity=required_pod_affinity_terms(pod_affinity, labels, namespaces),
        anti_affinity=required_pod_affinity_terms(pod_anti_affinity, labels, namespaces),
        preferred_affinity=weighted_pod_affinity_terms(pod_affinity, labels, namespaces),
        preferred_anti_affinity=weighted_pod_affinity_terms(pod_anti_affinity, labels, namespaces),
        spread=spread_constraints(spec, labels),
    )
    claims: list[str] = []
    ephemeral: list[tuple[str, str | None]] = []
    kinds: list[tuple[str, str]] = []
    for volume in spec.objects("volumes"):
        kinds.append((volume.string("name"), _volume_kind(volume)))
        claim = volume.mapping("persistentVolumeClaim")
        if claim is not None:
            claims.append(claim.required_string("claimName"))
        source = volume.mapping("ephemeral")
        claim_template = source.mapping("volumeClaimTemplate") if source is not None else None
        if claim_template is not None:
            claim_spec = claim_template.mapping("spec")
            storage_class = None
            if claim_spec is not None and claim_spec.has("storageClassName"):
                storage_class = claim_spec.string("storageClassName")
            ephemeral.append((volume.required_string("name"), storage_class))
    annotations = metadata.string_map("annotations") if metadata is not None else {}
    return PodTemplate(
        pod_spec,
        tuple(claims),
        tuple(ephemeral),
        spec.string("nodeName"),
        host_network,
        hints_of(annotations, kinds),
    )


def _volume_kind(volume: Fields) -> str:
    """``hostPath``, ``emptyDir`` (on disk), ``emptyDir-memory``, or ``other``."""
    if volume.has("hostPath"):
        return "hostPath"
    empty_dir = volume.mapping("emptyDir")
    if empty_dir is None:
        return "other"
    return "emptyDir-memory" if empty_dir.string("medium") == "Memory" else "emptyDir"


def host_ports(spec: Fields, host_network: bool) -> tuple[HostPort, ...]:
    """Host ports of the regular containers, as kube-scheduler's NodePorts plugin reads them.

    With ``hostNetwork`` every container port is a host port (API defaulting sets
    ``hostPort`` to ``containerPort``).
    """
    ports: list[HostPort] = []
    for container in spec.objects("containers"):
        for port in container.objects("ports"):
            number = port.integer("hostPort", 0, maximum=65535)
            if host_network and not number:
                number = port.integer("containerPort", 0, maximum=65535)
            if not number:
                continue
            protocol = port.string("protocol", "TCP") or "TCP"
            if protocol not in _PROTOCOLS:
                raise port.error(
                    "protocol", f"{protocol!r} is not one of TCP, UDP, SCTP", "use TCP, UDP or SCTP"
                )
            ports.append(HostPort(number, protocol, port.string("hostIP")))
    return tuple(ports)
