"""The controller's settings: flags, with defaults a production cluster can keep."""

from __future__ import annotations

from dataclasses import dataclass

from spotwise.interruption.scope import MANAGED_TAGS
from spotwise.provisioning.provisioner import REGISTRATION_TIMEOUT_SECONDS

# Interruption messages handled at once: a burst of warnings is marked in parallel, within
# the client's rate limits (an SQS receive brings at most 10).
INTAKE_WORKERS = 10
# Interrupted nodes drained at once: one stuck drain does not hold up the others.
DRAIN_WORKERS = 4


@dataclass(frozen=True, slots=True)
class ControllerSettings:
    """How the controller runs.

    Attributes:
        cluster_name: The cluster's name: instance tags, discovery tags, launch templates.
        region: The AWS region.
        dry_run: Decide and log everything, change nothing in the cluster or in AWS.
        port: The port of /healthz, /readyz and /metrics (0: any free port).
        leader_elect: Elect a leader through a Lease; without, this replica always acts.
        namespace: Where the Lease lives (the controller's own namespace).
        lease_name: The Lease's name.
        identity: This replica's name in the Lease (the pod's name).
        lease_seconds: How long a lease holds without renewal.
        renew_seconds: How often the leader renews.
        retry_seconds: How often a standby tries to take the lease.
        batch_idle_seconds: The batch window closes this long after the last new pod.
        batch_max_seconds: ... or this long after the first, at most.
        resync_seconds: A provisioning round runs at least this often while pods pend.
        provisioning_interval_seconds: How often the provisioning loop reads the cluster.
        garbage_interval_seconds: How often garbage collection runs.
        drain_interval_seconds: How often the drain loop looks at interrupted nodes.
        consolidation_interval_seconds: How often the consolidation loop decides (a move
            is made when a pass at least 15 s later proposes it again); 0: it does not run.
        registration_timeout_seconds: How long an instance has to register its Node.
        sync_timeout_seconds: How long to wait for the caches to fill at start.
        interruptions_only: Handle interruptions only (no provisioning, no garbage
            collection), for nodes of Auto Scaling groups that carry a managed tag.
        managed_tags: The tag keys that opt a group in, in ``interruptions_only`` mode.
        intake_workers: How many interruption messages are handled at once.
        drain_workers: How many interrupted nodes are drained at once.
    """

    cluster_name: str
    region: str
    dry_run: bool = False
    port: int = 8080
    leader_elect: bool = True
    namespace: str = "spotwise"
    lease_name: str = "spotwise-controller"
    identity: str = "spotwise"
    lease_seconds: float = 15.0
    renew_seconds: float = 10.0
    retry_seconds: float = 2.0
    batch_idle_seconds: float = 1.0
    batch_max_seconds: float = 10.0
    resync_seconds: float = 30.0
    provisioning_interval_seconds: float = 0.5
    garbage_interval_seconds: float = 60.0
    drain_interval_seconds: float = 1.0
    consolidation_interval_seconds: float = 15.0
    registration_timeout_seconds: float = REGISTRATION_TIMEOUT_SECONDS
    sync_timeout_seconds: float = 120.0
    interruptions_only: bool = False
    managed_tags: tuple[str, ...] = MANAGED_TAGS
    intake_workers: int = INTAKE_WORKERS
    drain_workers: int = DRAIN_WORKERS
