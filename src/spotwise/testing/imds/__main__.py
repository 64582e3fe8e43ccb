"""``python -m spotwise.testing.imds --port PORT``: serve instance metadata until stopped."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from spotwise.testing.imds.server import ImdsServer, apply_event


def main(argv: list[str] | None = None) -> int:
    """Serve the IMDS test server; exit 2 with one line when ``--events`` is unusable."""
    parser = argparse.ArgumentParser(
        prog="python -m spotwise.testing.imds",
        description="An EC2 instance metadata (IMDSv2) test server with spot events.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=0, help="port (0: a free one)")
    parser.add_argument("--instance-id", default="i-0123456789abcdef0")
    parser.add_argument("--zone", default="us-east-1a", help="availability zone")
    parser.add_argument("--instance-type", default="m5.large")
    parser.add_argument("--local-hostname", default="ip-10-0-0-1.ec2.internal")
    parser.add_argument(
        "--events",
        type=Path,
        help='JSON object of events to serve, e.g. {"spot": {"in": 30}, "rebalance": {}}',
    )
    parser.add_argument(
        "--allow-imdsv1", action="store_true", help="also answer GETs without a token"
    )
    args = parser.parse_args(argv)
    server = ImdsServer(
        args.host,
        args.port,
        instance_id=args.instance_id,
        zone=args.zone,
        instance_type=args.instance_type,
        local_hostname=args.local_hostname,
        allow_imdsv1=args.allow_imdsv1,
    )
    if args.events is not None:
        try:
            events = json.loads(args.events.read_text())
            if not isinstance(events, dict):
                raise ValueError("the file must hold a JSON object of event name -> event")
            for name, spec in events.items():
                apply_event(server.state, name, spec)
        except (OSError, ValueError) as e:
            server.stop()
            print(f"--events {args.events}: {e}", file=sys.stderr)
            return 2

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"serving instance metadata at {server.url}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
