"""Where a pod's volumes let it run: zone pins and node pins from PVCs and PVs.

kube-scheduler's VolumeBinding and VolumeZone plugins keep a pod with a bound claim on
nodes that satisfy the PersistentVolume's node affinity (and, for older volumes, its
zone labels). For an unbound claim whose class waits for the first consumer, the class's
``allowedTopologies`` restricts where a new volume may be made. A claim that the scheduler
already chose a node for carries ``volume.kubernetes.io/selected-node``. Those are the
rules modelled here, reduced to what :class:`~spotwise.model.pod.PodSpec` can carry: a set
of zones and one node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from spotwise.kubernetes.manifests.fields import Fields
from spotwise.kubernetes.manifests.manifests import Manifest
from spotwise.model.labels import HOSTNAME, ZONE
from spotwise.model.scheduling_terms import Operator

ZONE_KEYS = (
    ZONE,
    "failure-domain.beta.kubernetes.io/zone",
    "topology.ebs.csi.aws.com/zone",
)
SELECTED_NODE = "volume.kubernetes.io/selected-node"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"


@dataclass(frozen=True, slots=True)
class ClaimUse:
    """A claim a pod mounts.

    Attributes:
        name: The PersistentVolumeClaim's name, in the pod's namespace.
        storage_class: For a claim the pod's owner creates (StatefulSet template, generic
            ephemeral volume) and the inputs do not hold: its ``storageClassName``, None for
            the default class, ``""`` for none. Unused when the claim is in the inputs.
        created: Whether the owner creates the claim (it need not be in the inputs).
    """

    name: str
    storage_class: str | None = None
    created: bool = False


@dataclass(frozen=True, slots=True)
class VolumePin:
    """Where one claim lets a pod run.

    Attributes:
        namespace: The claim's namespace.
        claim: The claim's name.
        zones: The zones its volume is (or may be made) in; None for any.
        node: The only node it can be used from, if any.
        reason: Which object pins it, for explanations (``PersistentVolume/pv-1``).
    """

    namespace: str
    claim: str
    zones: frozenset[str] | None
    node: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class _Volume:
    zones: frozenset[str] | None
    hostname: str | None


@dataclass(frozen=True, slots=True)
class _Claim:
    volume_name: str
    selected_node: str
    storage_class: str | None


@dataclass(frozen=True, slots=True)
class _Class:
    wait_for_consumer: bool
    zones: frozenset[str] | None
    default: bool


class VolumeIndex:
    """The claims, volumes and storage classes of the inputs, to pin pods by their claims."""

    def __init__(self, manifests: Iterable[Manifest], hostnames: Mapping[str, str]) -> None:
        """Index the PVCs, PVs and StorageClasses among ``manifests``.

        Args:
            manifests: Every object of the inputs; other kinds are skipped.
            hostnames: Existing nodes' ``kubernetes.io/hostname`` label -> node name, to
                turn a local volume's hostname into the node it lives on.
        """
        self._claims: dict[tuple[str, str], _Claim] = {}
        self._volumes: dict[str, _Volume] = {}
        self._prebound: dict[tuple[str, str], str] = {}
        self._classes: dict[str, _Class] = {}
        self._hostnames = hostnames
        for manifest in manifests:
            if manifest.kind == "PersistentVolumeClaim":
                self._claims[(manifest.namespace, manifest.name)] = _claim(manifest)
            elif manifest.kind == "PersistentVolume":
                self._volumes[manifest.name] = _volume(manifest)
                claim_ref = manifest.spec.mapping("claimRef")
                if claim_ref is not None and claim_ref.string("name"):
                    key = (claim_ref.string("namespace") or "default", claim_ref.string("name"))
                    self._prebound[key] = manifest.name
            elif manifest.kind == "StorageClass":
                self._classes[manifest.name] = _storage_class(manifest)

    def pins(self, namespace: str, claims: Sequence[ClaimUse]) -> tuple[VolumePin, ...]:
        """The pins of each claim that restricts where the pod can run."""
        result: list[VolumePin] = []
        for use in claims:
            pin = self._pin(namespace, use)
            if pin is not None and (pin.zones is not None or pin.node is not None):
                result.append(pin)
        return tuple(result)

    def _pin(self, namespace: str, use: ClaimUse) -> VolumePin | None:
        claim = self._claims.get((namespace, use.name))
        if claim is None and not use.created:
            return None  # a claim outside the inputs: nothing known about where it lives
        volume_name = claim.volume_name if claim is not None else ""
        volume_name = volume_name or self._prebound.get((namespace, use.name), "")
        if volume_name:
            # Once bound, only the volume's node affinity counts; selected-node is history.
            volume = self._volumes.get(volume_name)
            if volume is None:
                return None
            node = None
            if volume.hostname is not None:
                node = self._hostnames.get(volume.hostname, volume.hostname)
            return VolumePin(
                namespace, use.name, volume.zones, node, f"PersistentVolume/{volume_name}"
            )
        if claim is not None and claim.selected_node:
            return VolumePin(
                namespace, use.name, None, claim.selected_node, f"PersistentVolumeClaim/{use.name}"
            )
        class_name = claim.storage_class if claim is not None else use.storage_class
        storage_class = self._class(class_name)
        if storage_class is None or not storage_class[1].wait_for_consumer:
            # An Immediate class provisions in a zone chosen without the pod; unknown here.
            return None
        name, found = storage_class
        return VolumePin(namespace, use.name, found.zones, None, f"StorageClass/{name}")

    def _class(self, name: str | None) -> tuple[str, _Class] | None:
        if name is None:
            defaults = sorted(n for n, c in self._classes.items() if c.default)
            return (defaults[-1], self._classes[defaults[-1]]) if defaults else None
        found = self._classes.get(name)
        return (name, found) if found is not None else None


def _claim(manifest: Manifest) -> _Claim:
    spec = manifest.spec
    annotations = manifest.metadata.string_map("annotations")
    storage_class = spec.string("storageClassName") if spec.has("storageClassName") else None
    return _Claim(spec.string("volumeName"), annotations.get(SELECTED_NODE, ""), storage_class)


def _volume(manifest: Manifest) -> _Volume:
    zones: frozenset[str] | None = None
    labels = manifest.metadata.string_map("labels")
    for key in ZONE_KEYS:
        if key in labels:
            # In-tree volumes labelled in several zones join them with "__".
            zones = _intersect(zones, frozenset(labels[key].split("__")))
    hostname = None
    node_affinity = manifest.spec.mapping("nodeAffinity")
    required = node_affinity.mapping("required") if node_affinity is not None else None
    if required is not None:
        terms = required.objects("nodeSelectorTerms")
        zones = _intersect(zones, _terms_values(terms, "matchExpressions", ZONE_KEYS))
        hosts = _terms_values(terms, "matchExpressions", (HOSTNAME,))
        if hosts is not None and len(hosts) == 1:
            hostname = next(iter(hosts))
    return _Volume(zones, hostname)


def _storage_class(manifest: Manifest) -> _Class:
    annotations = manifest.metadata.string_map("annotations")
    default = "true" in (annotations.get(DEFAULT_CLASS), annotations.get(BETA_DEFAULT_CLASS))
    mode = manifest.fields.string("volumeBindingMode", "Immediate")
    terms = manifest.fields.objects("allowedTopologies")
    zones = _terms_values(terms, "matchLabelExpressions", ZONE_KEYS) if terms else None
    return _Class(mode == "WaitForFirstConsumer", zones, default)


def _terms_values(
    terms: Sequence[Fields], expressions: str, keys: Sequence[str]
) -> frozenset[str] | None:
    """The values ``keys`` may take under ORed terms; None if some term leaves them free."""
    union: set[str] = set()
    for term in terms:
        allowed: frozenset[str] | None = None
        for expression in term.objects(expressions):
            operator = expression.string("operator", Operator.IN.value)
            if expression.string("key") in keys and operator == Operator.IN.value:
                allowed = _intersect(allowed, frozenset(expression.strings("values")))
        if allowed is None:
            return None
        union |= allowed
    return frozenset(union)


def _intersect(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def combine(pins: Sequence[VolumePin]) -> tuple[frozenset[str] | None, str | None]:
    """The zones (intersected) and the node all of a pod's pins leave it.

    When two claims pin different nodes the pod cannot run anywhere; the first node is
    kept, and the zones are emptied so that no placement is found.
    """
    zones: frozenset[str] | None = None
    node: str | None = None
    for pin in pins:
        zones = _intersect(zones, pin.zones)
        if pin.node is not None:
            if node is not None and node != pin.node:
                zones = frozenset()
            node = node or pin.node
    return zones, node
