"""One way to put a Provisioner together, for the controller and the simulator alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prometheus_client import CollectorRegistry

from spotwise.catalog.catalog import Catalog
from spotwise.config.nodepool import NodePool
from spotwise.decisions.scheduling.commitments import Commitments
from spotwise.ports.clock import Clock
from spotwise.ports.cloud import Cloud
from spotwise.ports.cluster import Cluster
from spotwise.provisioning.available_pools import AvailablePools
from spotwise.provisioning.events import EventSink
from spotwise.provisioning.launcher import Launcher, LaunchSettings, settings_for
from spotwise.provisioning.observed import ObservedInterruptions
from spotwise.provisioning.pools import build_pools
from spotwise.provisioning.provisioner import REGISTRATION_TIMEOUT_SECONDS, Provisioner
from spotwise.provisioning.unavailable import UnavailableOfferings


def build_provisioner(
    cluster: Cluster,
    cloud: Cloud,
    nodepools: Sequence[NodePool],
    catalog: Catalog,
    clock: Clock,
    *,
    cluster_name: str,
    events: EventSink | None = None,
    registry: CollectorRegistry | None = None,
    subnets: Mapping[str, str] | None = None,
    registration_timeout: float = REGISTRATION_TIMEOUT_SECONDS,
    dry_run: bool = False,
    commitments: Commitments | None = None,
) -> Provisioner:
    """The provisioning loop over these ports, for these NodePools.

    Args:
        cluster: The Cluster port (Kubernetes, or the simulated cluster).
        cloud: The Cloud port (EC2, or the simulated cloud).
        nodepools: The NodePool documents.
        catalog: Instance types, offerings and prices.
        clock: Time.
        cluster_name: The name instances are tagged with.
        events: Where the Launcher's Events go.
        registry: The Prometheus registry for the launch metrics.
        subnets: Subnet id by zone; None lets the cloud choose.
        registration_timeout: Seconds an instance has to register its Node.
        dry_run: Decide without launching or terminating anything.
        commitments: Reserved instances and Savings Plans whose free part is filled first.

    The interruption handler records into ``provisioner.observed`` (as it marks offerings
    in ``provisioner.launcher.unavailable``).
    """
    unavailable = UnavailableOfferings()
    launcher = Launcher(
        cloud,
        cluster=cluster_name,
        unavailable=unavailable,
        clock=clock,
        events=events,
        subnets=subnets,
        registry=registry,
    )
    pools, settings = pool_config(nodepools, catalog, unavailable)
    return Provisioner(
        cluster,
        launcher,
        pools,
        settings,
        clock,
        registration_timeout=registration_timeout,
        dry_run=dry_run,
        observed=ObservedInterruptions(),
        commitments=commitments,
    )


def pool_config(
    nodepools: Sequence[NodePool], catalog: Catalog, unavailable: UnavailableOfferings
) -> tuple[AvailablePools, dict[str, LaunchSettings]]:
    """The packer's pools and each pool's launch settings, for these NodePools.

    Args:
        nodepools: The NodePool documents.
        catalog: Instance types, offerings and prices.
        unavailable: The memory of refused offerings (kept across reconfigurations).
    """
    pools = AvailablePools(build_pools(nodepools, catalog), unavailable)
    return pools, {p.name: settings_for(p, catalog) for p in nodepools}
