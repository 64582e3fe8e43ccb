"""The simulated interruption queue: the market's notices as the EventBridge events EC2 sends.

The simulator's notices go through the same intake as a real cluster's: serialized as
the events an SQS queue would deliver, parsed and handled by
`spotwise.interruption.handler.Handler`. An `InterruptionSource` port.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

from spotwise.ports.interruptions import RawMessage


class SimulatedQueue:
    """Messages in, delivered until acknowledged (every receive, as a queue with no delay)."""

    def __init__(self) -> None:
        self._messages: dict[str, RawMessage] = {}
        self._ids = itertools.count()

    def put(self, body: str) -> None:
        """Send a message."""
        message_id = f"sim-{next(self._ids)}"
        self._messages[message_id] = RawMessage(message_id, body)

    def receive(self) -> list[RawMessage]:
        """Every message not yet acknowledged."""
        return list(self._messages.values())

    def ack(self, message: RawMessage) -> None:
        """Delete a handled message."""
        self._messages.pop(message.message_id, None)

    def __len__(self) -> int:
        return len(self._messages)


def spot_warning(instance_id: str, zone: str, region: str, at: float) -> str:
    """The EventBridge event of a spot interruption warning issued at ``at``."""
    return _event(
        "EC2 Spot Instance Interruption Warning",
        instance_id,
        zone,
        region,
        at,
        {
            "instance-id": instance_id,
            "instance-action": "terminate",
        },
    )


def rebalance_recommendation(instance_id: str, zone: str, region: str, at: float) -> str:
    """The EventBridge event of a rebalance recommendation issued at ``at``."""
    return _event(
        "EC2 Instance Rebalance Recommendation",
        instance_id,
        zone,
        region,
        at,
        {
            "instance-id": instance_id,
        },
    )


def _event(
    detail_type: str, instance_id: str, zone: str, region: str, at: float, detail: object
) -> str:
    return json.dumps(
        {
            "version": "0",
            "id": f"{detail_type[:3].lower()}-{instance_id}-{int(at)}",
            "detail-type": detail_type,
            "source": "aws.ec2",
            "account": "000000000000",
            "time": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [f"arn:aws:ec2:{zone}:instance/{instance_id}"],
            "detail": detail,
        }
    )
