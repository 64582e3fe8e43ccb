"""The Cloud port on EC2: one CreateFleet call per node, tags as the only state."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from spotwise.aws.calls import aws_call, error_code, make_client
from spotwise.aws.discovery import default_selector, discover_subnets
from spotwise.aws.fleet import (
    TAG_CLIENT_TOKEN,
    Launched,
    Placement,
    TemplateFor,
    fleet_request,
    instance_tags,
    parse_fleet_response,
    template_for,
)
from spotwise.aws.instances import LIVE_STATES, chunks, describe_instances
from spotwise.aws.template_ref import LaunchTemplateRef
from spotwise.model.instance_type import Architecture, CapacityType
from spotwise.ports.cloud import (
    TAG_CLUSTER,
    TAG_MANAGED,
    Instance,
    InstanceState,
    LaunchRequest,
    LaunchResult,
    OfferingError,
    Override,
)

if TYPE_CHECKING:
    import boto3

# The code of an override that has no subnet: a configuration error, retrying won't help.
NO_SUBNET_CODE = "InvalidSubnetID.NotFound"
_NOT_FOUND = "InvalidInstanceID.NotFound"


class Ec2Cloud:
    """Launch, describe and terminate EC2 instances for one cluster.

    Honours the assumptions of `spotwise.ports.cloud`. Holds no state that matters: a
    new object (a restarted controller) finds everything again from instance tags.
    """

    def __init__(
        self,
        session: boto3.Session,
        *,
        region: str,
        cluster: str,
        launch_template: LaunchTemplateRef,
        subnets: Mapping[str, str] | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        """Make the EC2 client; no call is made yet.

        Args:
            session: A ``boto3.Session`` holding the credentials to use.
            region: The cluster's region.
            cluster: The cluster's name, as tagged on its instances.
            launch_template: The template to launch from; ``{pool}`` and
                ``{capacity_type}`` in its name are filled in per launch
                (`LaunchTemplateRef.per_pool`).
            subnets: Zone name -> subnet ID, for overrides that give no subnet. Without
                it, subnets tagged ``karpenter.sh/discovery: <cluster>`` are looked up
                the first time one is needed.
            endpoint_url: Send EC2 calls here instead of AWS (local emulators).

        Raises:
            CloudError: If the client cannot be made.
        """
        self.region = region
        self.cluster = cluster
        self.launch_template = launch_template
        self._subnets = dict(subnets) if subnets is not None else None
        self._ec2 = make_client(session, "ec2", region, endpoint_url)

    def launch(self, request: LaunchRequest) -> LaunchResult:
        """Launch one instance from ``request.overrides`` with one CreateFleet call.

        The overrides of each architecture (`Override.architecture`) go with that
        architecture's template (``spotwise-<cluster>-<pool>-<capacity type>-<arch>``),
        one LaunchTemplateConfig each; overrides without one, with the pool's template.

        An on-demand request with ``capacity_reservations`` makes one call per
        reservation instead, into that reservation only (`_launch_reserved`).

        The node's labels and taints come from the launch template's user data, not
        from ``request.labels``/``request.taints``: CreateFleet cannot change user data
        per launch.

        Raises:
            CloudError: If a call fails as a whole (credentials, permissions, throttling
                after retries, a missing launch template).
            ValueError: If the request is for another cluster.
        """
        if request.cluster != self.cluster:
            raise ValueError(
                f"launch request for cluster {request.cluster!r} sent to the EC2 cloud of"
                f" cluster {self.cluster!r}"
            )
        earlier = self._launched_with(request.client_token)
        if earlier is not None:
            return LaunchResult(earlier)
        placements, unplaced = self._place(request)
        if not placements:
            return LaunchResult(None, tuple(unplaced))
        if request.capacity_type is CapacityType.ON_DEMAND and request.capacity_reservations:
            return self._launch_reserved(request, placements, unplaced)

        def template(architecture: Architecture | None) -> LaunchTemplateRef:
            return self.launch_template.for_launch(
                request.pool, request.capacity_type, architecture
            )

        return self._create_fleet(request, template, placements, unplaced)

    def _launch_reserved(
        self,
        request: LaunchRequest,
        placements: Sequence[Placement],
        unplaced: Sequence[OfferingError],
    ) -> LaunchResult:
        """Launch into the request's capacity reservations only, one CreateFleet each.

        Each reservation has its own template targeting it with
        ``capacity-reservations-only``, so a full (or unmatched) reservation is an error,
        never ordinary on-demand. The first launch wins; when every reservation refuses,
        the result has no instance and every error, and the launcher tries spot next.
        A fixed template name (no ``{capacity_type}``) is used as given, once.
        """
        errors: list[OfferingError] = []
        fixed = self.launch_template.for_launch(request.pool, request.capacity_type)
        for reservation in request.capacity_reservations:
            if self.launch_template.for_reservation(request.pool, reservation) is None:
                return self._create_fleet(request, fixed, placements, unplaced)

            def template(
                architecture: Architecture | None, reservation: str = reservation
            ) -> LaunchTemplateRef:
                ref = self.launch_template.for_reservation(request.pool, reservation, architecture)
                return fixed if ref is None else ref  # None only for a fixed name

            result = self._create_fleet(request, template, placements, (), reservation)
            errors.extend(result.errors)
            if result.instance is not None:
                return LaunchResult(result.instance, (*dict.fromkeys(errors), *unplaced))
        return LaunchResult(None, (*dict.fromkeys(errors), *unplaced))

    def _create_fleet(
        self,
        request: LaunchRequest,
        template: LaunchTemplateRef | TemplateFor,
        placements: Sequence[Placement],
        unplaced: Sequence[OfferingError],
        reservation: str | None = None,
    ) -> LaunchResult:
        """One CreateFleet call of ``request`` from ``template``, read as a LaunchResult."""
        params = fleet_request(request, template, placements, reservation=reservation)
        with aws_call("ec2:CreateFleet", self.region):
            response = self._ec2.create_fleet(**params)
        zone_of_subnet = {p.subnet_id: p.override.zone for p in placements}
        overrides_of_template: dict[str, list[Override]] = {}
        for p in placements:
            name = template_for(template, p.override.architecture).name
            overrides_of_template.setdefault(name, []).append(p.override)
        outcome = parse_fleet_response(response, request, zone_of_subnet, overrides_of_template)
        errors = (*outcome.errors, *unplaced)
        if not outcome.launched:
            return LaunchResult(None, errors)
        # Total capacity 1 starts at most one instance.
        instance = self._describe_launched(outcome.launched[0], request, reservation)
        return LaunchResult(instance, errors)

    def terminate(self, instance_ids: Sequence[str]) -> None:
        """Terminate instances; ones already gone (or never known) are ignored.

        Raises:
            CloudError: If the call fails for another reason.
        """
        for chunk in chunks(list(dict.fromkeys(instance_ids))):
            with aws_call("ec2:TerminateInstances", self.region):
                try:
                    self._ec2.terminate_instances(InstanceIds=chunk)
                except ClientError as error:
                    if error_code(error) != _NOT_FOUND:
                        raise
                    # One unknown ID fails the whole call: retry with the IDs EC2 knows.
                    known = [i.instance_id for i in self.describe(chunk)]
                    if known:
                        self._ec2.terminate_instances(InstanceIds=known)

    def describe(self, instance_ids: Sequence[str]) -> tuple[Instance, ...]:
        """The current state of some instances, in the order asked; unknown IDs left out.

        Raises:
            CloudError: If the call fails.
        """
        wanted = list(dict.fromkeys(instance_ids))
        found: dict[str, Instance] = {}
        for chunk in chunks(wanted):
            # A filter, unlike InstanceIds, lists what exists instead of failing.
            filters = [{"Name": "instance-id", "Values": chunk}]
            with aws_call("ec2:DescribeInstances", self.region):
                found.update((i.instance_id, i) for i in describe_instances(self._ec2, filters))
        return tuple(found[i] for i in wanted if i in found)

    def owned_instances(self, cluster: str) -> tuple[Instance, ...]:
        """Every non-terminated instance spotwise launched for ``cluster``.

        Raises:
            CloudError: If the call fails.
        """
        filters = [
            {"Name": f"tag:{TAG_CLUSTER}", "Values": [cluster]},
            {"Name": f"tag:{TAG_MANAGED}", "Values": ["true"]},
            {"Name": "instance-state-name", "Values": list(LIVE_STATES)},
        ]
        with aws_call("ec2:DescribeInstances", self.region):
            return tuple(describe_instances(self._ec2, filters))

    def _launched_with(self, client_token: str) -> Instance | None:
        """The live instance an earlier launch with this token started, if any."""
        filters = [
            {"Name": f"tag:{TAG_CLIENT_TOKEN}", "Values": [client_token]},
            {"Name": f"tag:{TAG_CLUSTER}", "Values": [self.cluster]},
            {"Name": "instance-state-name", "Values": list(LIVE_STATES)},
        ]
        with aws_call("ec2:DescribeInstances", self.region):
            found = describe_instances(self._ec2, filters)
        return min(found, key=lambda i: (i.launch_time, i.instance_id)) if found else None

    def _place(self, request: LaunchRequest) -> tuple[list[Placement], list[OfferingError]]:
        """The overrides with their subnets, and an error for each that has none."""
        placements: list[Placement] = []
        unplaced: list[OfferingError] = []
        for override in request.overrides:
            subnet_id = override.subnet_id or self._subnet_map().get(override.zone)
            if subnet_id:
                placements.append(Placement(override, subnet_id))
                continue
            unplaced.append(
                OfferingError(
                    override.instance_type,
                    override.zone,
                    request.capacity_type,
                    NO_SUBNET_CODE,
                    f"no subnet for zone {override.zone}: give Ec2Cloud a subnet map or tag"
                    f" a subnet there karpenter.sh/discovery={self.cluster}",
                )
            )
        return placements, unplaced

    def _subnet_map(self) -> dict[str, str]:
        if self._subnets is None:
            with aws_call("ec2:DescribeSubnets", self.region):
                self._subnets = discover_subnets(self._ec2, default_selector(self.cluster))
        return self._subnets

    def _describe_launched(
        self, launched: Launched, request: LaunchRequest, reservation: str | None = None
    ) -> Instance:
        """The new instance as EC2 describes it, or as CreateFleet reported it.

        DescribeInstances is eventually consistent: a second-old instance may not be
        listed yet, and the port promises not to wait for it.
        """
        described = self.describe([launched.instance_id])
        if described:
            return described[0]
        return Instance(
            instance_id=launched.instance_id,
            instance_type=launched.instance_type,
            zone=launched.zone,
            capacity_type=launched.capacity_type,
            state=InstanceState.PENDING,
            launch_time=time.time(),
            tags=instance_tags(request, reservation),
        )
