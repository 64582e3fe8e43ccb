"""`spotwise controller`: provision nodes for a real cluster's pending pods."""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spotwise.errors import UserError

if TYPE_CHECKING:
    from spotwise.catalog.catalog import Catalog
    from spotwise.config.nodepool import NodePool
    from spotwise.controller.controller import Leadership, LiveCluster
    from spotwise.controller.settings import ControllerSettings
    from spotwise.decisions.cost.attribution import ReservedInstance, SavingsPlan
    from spotwise.interruption.webhook import Webhook

HELP = (
    "Provision nodes for a cluster's pending pods, as a Kubernetes controller.\n\n"
    "Watches pods and nodes through the Kubernetes API, batches pending pods, plans nodes"
    " with the packer of `spotwise plan` and launches them with EC2 CreateFleet;"
    " terminates instances that never register and deletes Nodes whose instance is gone."
    " Replicas elect a leader through a Lease. Serves /healthz, /readyz and /metrics on"
    " --port. AWS endpoints and credentials come from boto3's own configuration"
    " (AWS_ENDPOINT_URL, AWS_PROFILE...). See docs/controller.md."
)

log = logging.getLogger("spotwise.controller")


def controller(
    cluster_name: Annotated[
        str,
        typer.Option(
            "--cluster-name",
            metavar="NAME",
            envvar="CLUSTER_NAME",
            help="The cluster's name: instance tags, discovery tags, launch templates.",
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="NodePools: spotwise's, or Karpenter's NodePool and EC2NodeClass manifests."
            " Without it, the cluster's NodePool custom resources (nodepools.spotwise.io).",
        ),
    ] = None,
    interruption_queue: Annotated[
        str | None,
        typer.Option(
            metavar="NAME_OR_URL",
            envvar="INTERRUPTION_QUEUE",
            help="The cluster's SQS interruption queue (deploy/interruption-queue.yaml);"
            " without it, no notices are read.",
        ),
    ] = None,
    interruptions_only: Annotated[
        bool,
        typer.Option(
            "--interruptions-only",
            help="Handle interruptions only (no provisioning), for nodes of Auto Scaling"
            " groups that carry a managed tag (docs/interruptions.md).",
        ),
    ] = False,
    managed_tag: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KEY",
            help="With --interruptions-only: a tag key that opts a group in (repeatable;"
            " default spotwise.io/managed and aws-node-termination-handler/managed).",
        ),
    ] = None,
    commitments: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Reserved instances and savings plans, filled first (docs/cost.md).",
        ),
    ] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            envvar="WEBHOOK_URL",
            help="Announce each interruption acted on here (a secret: never logged).",
        ),
    ] = None,
    webhook_template: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="The webhook's JSON body with $kind, $node, $instance_id, $action,"
            " $deadline, $detail, $cluster (default: a Slack message).",
        ),
    ] = None,
    kubeconfig: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="A kubeconfig; default: in-cluster, then $KUBECONFIG."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Decide and log everything; change nothing anywhere."),
    ] = False,
    region: Annotated[
        str | None,
        typer.Option(metavar="REGION", envvar="AWS_REGION", help="The AWS region."),
    ] = None,
    cluster_endpoint: Annotated[
        str | None,
        typer.Option(metavar="URL", help="The API server URL nodes join (default: from EKS)."),
    ] = None,
    cluster_ca: Annotated[
        str | None,
        typer.Option(metavar="BASE64", help="The cluster CA, base64 PEM (default: from EKS)."),
    ] = None,
    service_cidr: Annotated[
        str | None,
        typer.Option(metavar="CIDR", help="The service CIDR (default: from EKS)."),
    ] = None,
    port: Annotated[
        int, typer.Option(metavar="PORT", help="The port of /healthz, /readyz and /metrics.")
    ] = 8080,
    leader_elect: Annotated[
        bool,
        typer.Option(help="Elect a leader through a Lease (turn off for one replica only)."),
    ] = True,
    namespace: Annotated[
        str,
        typer.Option(metavar="NAMESPACE", envvar="POD_NAMESPACE", help="Where the Lease lives."),
    ] = "spotwise",
    identity: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", envvar="POD_NAME", help="This replica's name (default: hostname)."
        ),
    ] = None,
    lease_seconds: Annotated[
        int, typer.Option(metavar="SECONDS", help="How long the Lease holds without renewal.")
    ] = 15,
    renew_seconds: Annotated[
        float, typer.Option(metavar="SECONDS", help="The leader stops if not renewed by then.")
    ] = 10.0,
    retry_seconds: Annotated[
        float, typer.Option(metavar="SECONDS", help="How often to renew or try the Lease.")
    ] = 2.0,
    consolidation_interval: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", min=0.0, help="How often consolidation decides (0 turns it off)."
        ),
    ] = 15.0,
    kube_api_qps: Annotated[
        float, typer.Option(metavar="QPS", help="Kubernetes API requests per second.")
    ] = 50.0,
    kube_api_burst: Annotated[
        int, typer.Option(metavar="N", help="Kubernetes API requests allowed in a burst.")
    ] = 100,
    catalog_file: Annotated[
        Path | None, typer.Option("--catalog", metavar="FILE", help="A catalog snapshot.")
    ] = None,
    log_level: Annotated[
        str, typer.Option(metavar="LEVEL", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Run the controller (see HELP)."""
    from spotwise.catalog.bundled import load_catalog
    from spotwise.config.nodepool import load_nodepools
    from spotwise.controller import logs
    from spotwise.controller.settings import ControllerSettings
    from spotwise.interruption.scope import MANAGED_TAGS

    _refuse_mixed_flags(interruptions_only, interruption_queue, config, commitments, managed_tag)
    logs.configure(log_level)
    catalog = load_catalog(region, catalog_file)
    pools = None
    if interruptions_only:
        pools = []  # nothing is provisioned: no NodePools are read
    elif config is not None:
        pools = load_nodepools(config)
        refuse_broken_pools(pools, catalog, dry_run)
    settings = ControllerSettings(
        cluster_name=cluster_name,
        region=catalog.region,
        dry_run=dry_run,
        port=port,
        leader_elect=leader_elect,
        namespace=namespace,
        identity=identity or socket.gethostname(),
        lease_seconds=lease_seconds,
        renew_seconds=renew_seconds,
        retry_seconds=retry_seconds,
        interruptions_only=interruptions_only,
        managed_tags=tuple(managed_tag) if managed_tag else MANAGED_TAGS,
        consolidation_interval_seconds=consolidation_interval,
    )
    join = {"endpoint": cluster_endpoint, "ca": cluster_ca, "cidr": service_cidr}
    held: tuple[tuple[ReservedInstance, ...], tuple[SavingsPlan, ...]] = ((), ())
    if commitments is not None:
        from spotwise.config.commitments import commitments_of, load_commitments

        held = commitments_of(load_commitments(commitments), catalog, commitments)
    code = run_controller(
        settings,
        pools,
        catalog,
        kubeconfig,
        join,
        qps=kube_api_qps,
        burst=kube_api_burst,
        queue=interruption_queue,
        webhook=_webhook(webhook_url, webhook_template),
        commitments=held,
    )
    raise typer.Exit(code)


def _refuse_mixed_flags(
    interruptions_only: bool,
    queue: str | None,
    config: Path | None,
    commitments: Path | None,
    managed_tag: list[str] | None,
) -> None:
    """Refuse flags that cannot work together, before anything (logging included) starts.

    Raises:
        UserError: Naming the flag.
    """
    if managed_tag and not interruptions_only:
        raise UserError("--managed-tag", "applies only with --interruptions-only", "add it")
    if not interruptions_only:
        return
    if config is not None:
        raise UserError("--config", "has no use with --interruptions-only", "leave it out")
    if commitments is not None:
        raise UserError("--commitments", "has no use with --interruptions-only", "leave it out")
    if queue is None:
        raise UserError(
            "--interruptions-only",
            "needs --interruption-queue: it handles the queue's notices",
            "pass the cluster's queue (deploy/interruption-queue.yaml)",
        )


def refuse_broken_pools(pools: list[NodePool], catalog: Catalog, dry_run: bool) -> None:
    """Stop before anything runs if a pool cannot launch: a bad config launches nothing.

    Raises:
        UserError: Naming the first pool error that the offline checks find, or a pool
            without ``spec.launch`` (unless dry run, which launches nothing).
    """
    from spotwise.validate import validate
    from spotwise.validate.finding import Severity

    for finding in validate(pools, catalog):
        if finding.severity is Severity.ERROR:
            raise UserError(f"pool {finding.pool}: {finding.field}", finding.message, finding.fix)
    if dry_run:
        return
    for pool in pools:
        if pool.spec.launch is None:
            raise UserError(
                f"pool {pool.name}: spec.launch",
                "is missing, so its nodes cannot be launched on EC2",
                "give the pool an image, an instance profile and selectors (docs/nodepool.md)",
            )


def run_controller(
    settings: ControllerSettings,
    pools: list[NodePool] | None,
    catalog: Catalog,
    kubeconfig: Path | None,
    join: dict[str, str | None],
    *,
    qps: float = 50.0,
    burst: int = 100,
    queue: str | None = None,
    webhook: Webhook | None = None,
    commitments: tuple[tuple[ReservedInstance, ...], tuple[SavingsPlan, ...]] = ((), ()),
) -> int:
    """Assemble the Kubernetes and AWS worlds and run until SIGTERM; returns the exit code.

    With ``pools`` None, the NodePools are the cluster's custom resources, watched.
    """
    import boto3

    from spotwise.aws import Ec2Cloud, LaunchTemplateRef
    from spotwise.aws.autoscaling import AwsAutoScaling
    from spotwise.aws.cluster_join import cluster_join
    from spotwise.aws.launch_template import LaunchTemplates
    from spotwise.controller.controller import Controller
    from spotwise.kubernetes.api.client import ClientSettings, connect
    from spotwise.kubernetes.api.cluster import KubernetesCluster
    from spotwise.kubernetes.api.leader import LeaderElector
    from spotwise.kubernetes.api.nodepools import NodePoolSource
    from spotwise.ports.clock import WallClock

    api = connect(kubeconfig, ClientSettings(qps=qps, burst=burst))
    cluster: LiveCluster = KubernetesCluster(api, reporting_instance=settings.identity)
    leadership: Leadership | None = None
    # A dry run writes nothing to the cluster, not even a Lease: it runs alone.
    if settings.leader_elect and not settings.dry_run:
        leadership = LeaderElector(
            api,
            settings.namespace,
            settings.lease_name,
            settings.identity,
            lease_seconds=int(settings.lease_seconds),
            renew_seconds=settings.renew_seconds,
            retry_seconds=settings.retry_seconds,
        )
    session = boto3.Session(region_name=settings.region)
    cloud = Ec2Cloud(
        session,
        region=settings.region,
        cluster=settings.cluster_name,
        launch_template=LaunchTemplateRef.per_pool(settings.cluster_name),
    )

    source = None
    if pools is None:
        source = NodePoolSource(api, check=lambda pool: pool_problem(pool, catalog, settings))
        if not source.start().wait_synced(settings.sync_timeout_seconds):
            source.stop()
            raise UserError(
                "nodepools.spotwise.io",
                "cannot be listed: is the CRD installed (deploy/crd/)?",
                "install it, or pass --config FILE",
            )

    interruptions = None
    if queue is not None:
        from spotwise.aws.queue import InterruptionQueue, SqsInterruptionSource

        by_url = queue.startswith(("https://", "http://"))
        interruptions = SqsInterruptionSource(
            InterruptionQueue(
                session,
                region=settings.region,
                queue_url=queue if by_url else None,
                queue_name=None if by_url else queue,
            )
        )

    def keep_templates(pools: Sequence[NodePool]) -> None:
        # Launch templates hold each pool's user data: kept in step on taking the lease.
        if settings.dry_run:
            return
        templates = LaunchTemplates(
            session,
            region=settings.region,
            cluster=cluster_join(
                session,
                region=settings.region,
                name=settings.cluster_name,
                endpoint=join.get("endpoint"),
                certificate_authority=join.get("ca"),
                service_cidr=join.get("cidr"),
            ),
        )
        for pool in pools:
            templates.ensure_all(pool)

    controller = Controller(
        settings,
        cluster,
        cloud,
        pools or [],
        catalog,
        WallClock(),
        leadership=leadership,
        on_leading=keep_templates,
        nodepool_source=source,
        interruptions=interruptions,
        webhook=webhook,
        autoscaling=AwsAutoScaling(session, region=settings.region),
        commitments=commitments,
    )

    def stop(signum: int, frame: Any) -> None:
        log.info("stopping (signal %d)", signum)
        controller.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        return controller.run()
    finally:
        if source is not None:
            source.stop()


def _webhook(url: str | None, template: Path | None) -> Webhook | None:
    """The webhook of the flags, if any.

    Raises:
        UserError: If the template cannot be read.
    """
    from spotwise.interruption.webhook import Webhook

    if url is None:
        if template is not None:
            raise UserError("--webhook-template", "needs --webhook-url", "pass the URL too")
        return None
    if template is None:
        return Webhook(url)
    try:
        return Webhook(url, template.read_text())
    except OSError as error:
        raise UserError(str(template), f"cannot be read ({error.strerror})") from None


def pool_problem(pool: NodePool, catalog: Catalog, settings: ControllerSettings) -> str | None:
    """Why a NodePool custom resource cannot be used, in one line; None if it can."""
    try:
        refuse_broken_pools([pool], catalog, settings.dry_run)
    except UserError as error:
        return str(error)
    return None
