"""The interruption source port: raw notices in, acknowledged once their handling is done.

Assumptions every implementation honours:

* ``receive`` returns what arrived since the last call, possibly nothing; a message not
  acknowledged comes back later (SQS: after its visibility timeout), so a crash loses
  nothing.
* ``ack`` deletes a message for good; callers acknowledge only messages whose handling is
  complete (or that can never be handled, such as another cluster's instance).
* The same notice may arrive more than once (several events, several receipts): the
  handler de-duplicates by the normalized interruption's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RawMessage:
    """One raw notice.

    Attributes:
        message_id: The source's id of the message (for logs and acknowledging).
        body: The message body: an EventBridge event, an Auto Scaling notification...
        receive_count: How many times it was received (a malformed message is left for
            the dead-letter queue after a few).
        handle: The source's own handle for acknowledging (an SQS receipt handle).
    """

    message_id: str
    body: str
    receive_count: int = 1
    handle: str = ""


class InterruptionSource(Protocol):
    """Where interruption notices come from (an SQS queue, or the simulated market)."""

    def receive(self) -> list[RawMessage]:
        """The messages available now."""
        ...

    def ack(self, message: RawMessage) -> None:
        """The message is handled: never deliver it again."""
        ...
