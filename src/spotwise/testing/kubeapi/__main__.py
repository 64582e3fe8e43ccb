"""``python -m spotwise.testing.kubeapi --port PORT --kubeconfig FILE [--load FILE]``: serve."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from spotwise.testing.kubeapi.server import KubeApiServer


def main(argv: list[str] | None = None) -> int:
    """Serve the test API server and write a kubeconfig pointing at it."""
    parser = argparse.ArgumentParser(
        prog="python -m spotwise.testing.kubeapi",
        description="A Kubernetes API test server (in memory, no auth) for tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--kubeconfig", type=Path, help="write a kubeconfig for the server here")
    parser.add_argument(
        "--log-size", type=int, default=1000, help="watch events kept (older: 410 Expired)"
    )
    parser.add_argument(
        "--pod-termination-seconds",
        type=float,
        default=0.0,
        help="how long a deleted pod on a node takes to stop, at most its grace period "
        "(default 0: at once)",
    )
    parser.add_argument(
        "--load",
        type=Path,
        help="objects to start with: a JSON or YAML list (or List) of them, status kept",
    )
    args = parser.parse_args(argv)
    server = KubeApiServer(
        args.host,
        args.port,
        log_size=args.log_size,
        pod_termination=args.pod_termination_seconds,
        load=args.load,
    )
    if args.kubeconfig is not None:
        server.write_kubeconfig(args.kubeconfig)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"serving the Kubernetes API at {server.url}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
