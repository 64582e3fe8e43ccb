"""`spotwise agent`: the node agent (a DaemonSet) marking its node from instance metadata."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

HELP = (
    "Watch this node's instance metadata (IMDSv2) for interruption notices and mark the"
    " node.\n\nPolls the spot instance action, rebalance recommendations, scheduled"
    " maintenance and the Auto Scaling target lifecycle state every --interval seconds;"
    " a notice taints and cordons the node with its deadline, and the controller's drain"
    " loop replaces and drains it. Needs only to patch its own Node and create Events. See"
    " docs/interruptions.md."
)

log = logging.getLogger("spotwise.agent")


def agent(
    node_name: Annotated[
        str,
        typer.Option(metavar="NAME", envvar="NODE_NAME", help="This node's name (downward API)."),
    ],
    kubeconfig: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="A kubeconfig; default: in-cluster."),
    ] = None,
    imds_url: Annotated[
        str,
        typer.Option(metavar="URL", envvar="IMDS_URL", help="Where instance metadata answers."),
    ] = "http://169.254.169.254",
    interval: Annotated[
        float, typer.Option(metavar="SECONDS", help="How often to poll instance metadata.")
    ] = 2.0,
    log_level: Annotated[
        str, typer.Option(metavar="LEVEL", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Run the node agent (see HELP)."""
    from spotwise.aws.imds import ImdsClient, ImdsError
    from spotwise.controller import logs
    from spotwise.errors import UserError
    from spotwise.interruption.agent import agent_handler
    from spotwise.kubernetes.api.client import connect

    logs.configure(log_level)
    try:
        handler = agent_handler(connect(kubeconfig), ImdsClient(imds_url), node_name)
    except ImdsError as error:
        raise UserError("--imds-url", str(error), "run on EC2, or point at IMDS") from None
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("watching instance metadata for node %s", node_name)
    while not stop.is_set():
        try:
            handler.run()
        except Exception:  # the API server away: poll again, never stop watching
            log.exception("handling a notice failed; trying again")
        stop.wait(interval)
