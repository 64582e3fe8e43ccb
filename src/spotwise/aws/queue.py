"""The SQS intake: the interruption queue that EventBridge fills, read by long polling.

deploy/interruption-queue.yaml creates the queue (one per cluster), its dead-letter queue
and the rules that feed it (docs/interruptions-queue.md). The rule of this module: a
message is deleted only after its handling is complete. Anything else (a handler that
says "not done", raises, or a process that dies mid-drain) leaves the message in the
queue; it becomes visible again when its visibility timeout ends, and after the queue's
``maxReceiveCount`` (5 in the template) receipts SQS moves it to the dead-letter queue.
Handlers must therefore be idempotent: the same event can arrive more than once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spotwise.aws.calls import aws_call, make_client
from spotwise.ports.cloud import CloudError
from spotwise.ports.interruptions import RawMessage

if TYPE_CHECKING:
    import boto3

log = logging.getLogger(__name__)

# What NTH and Karpenter use: the longest wait SQS allows, its largest batch, and a
# visibility timeout that brings back the message of a crashed handler soon.
WAIT_SECONDS = 20
MAX_MESSAGES = 10
VISIBILITY_SECONDS = 20
# SQS's limits on the receive parameters, and on a message's visibility.
_MAX_WAIT_SECONDS = 20
_MAX_BATCH = 10
_MAX_VISIBILITY_SECONDS = 12 * 60 * 60


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """One received message.

    Attributes:
        message_id: SQS's ID of the message (the same on every receipt).
        receipt_handle: The handle of this receipt; delete and extend need it.
        body: The message as sent (for EventBridge, the event as JSON).
        receive_count: How many times the message has been received, this time included
            (ApproximateReceiveCount); more than 1 means an earlier handling did not end.
    """

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one `QueueSource.poll_once` did.

    Attributes:
        received: Messages received.
        deleted: Messages handled to completion and deleted.
        left: Messages whose handler said the work is not done; they come back.
        failed: Messages whose handler raised; logged and left, they come back.
        delete_failed: Messages handled but whose delete failed; they come back and are
            handled again (handlers are idempotent).
    """

    received: int = 0
    deleted: int = 0
    left: int = 0
    failed: int = 0
    delete_failed: int = 0


class InterruptionQueue:
    """Receive, delete and extend messages of one SQS queue."""

    def __init__(
        self,
        session: boto3.Session,
        *,
        region: str,
        queue_url: str | None = None,
        queue_name: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        """Make the SQS client; no call is made yet.

        Args:
            session: A ``boto3.Session`` holding the credentials to use.
            region: The queue's region.
            queue_url: The queue's URL (the stack's ``QueueUrl`` output).
            queue_name: Or the queue's name (``spotwise-<cluster>``), resolved to its URL
                with GetQueueUrl on first use, once.
            endpoint_url: Send SQS calls here instead of AWS (local emulators).

        Raises:
            ValueError: Unless exactly one of ``queue_url`` and ``queue_name`` is given.
            CloudError: If the client cannot be made.
        """
        if (queue_url is None) == (queue_name is None):
            raise ValueError("give the interruption queue's URL or its name, not both")
        self.region = region
        self._url = queue_url
        self._name = queue_name
        self._sqs = make_client(session, "sqs", region, endpoint_url)

    @property
    def url(self) -> str:
        """The queue's URL, looked up by name the first time it is needed.

        Raises:
            CloudError: If the lookup fails (such as a queue that does not exist).
        """
        if self._url is None:
            with aws_call("sqs:GetQueueUrl", self.region):
                self._url = str(self._sqs.get_queue_url(QueueName=self._name)["QueueUrl"])
        return self._url

    def receive(
        self,
        wait_seconds: int = WAIT_SECONDS,
        max_messages: int = MAX_MESSAGES,
        visibility_seconds: int = VISIBILITY_SECONDS,
    ) -> list[QueueMessage]:
        """Long-poll the queue once: wait up to ``wait_seconds`` for up to ``max_messages``.

        The messages received are hidden from other receivers for ``visibility_seconds``;
        a handling that takes longer must `extend` them, or they are received again.

        Raises:
            ValueError: If a parameter is outside SQS's limits.
            CloudError: If the call fails.
        """
        if not 0 <= wait_seconds <= _MAX_WAIT_SECONDS:
            raise ValueError(f"wait_seconds must be 0 to 20, not {wait_seconds}")
        if not 1 <= max_messages <= _MAX_BATCH:
            raise ValueError(f"max_messages must be 1 to 10, not {max_messages}")
        _check_visibility(visibility_seconds)
        url = self.url
        with aws_call("sqs:ReceiveMessage", self.region):
            response = self._sqs.receive_message(
                QueueUrl=url,
                WaitTimeSeconds=wait_seconds,
                MaxNumberOfMessages=max_messages,
                VisibilityTimeout=visibility_seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        return [_message(m) for m in response.get("Messages", [])]

    def delete(self, message: QueueMessage) -> None:
        """Delete ``message`` from the queue.

        Call it only once the handling of the message is complete (the node drained, the
        lifecycle action completed, or the event found to need nothing): a message
        deleted early is lost if the process dies before the work is done.

        Raises:
            CloudError: If the call fails (such as a receipt handle that has expired).
        """
        with aws_call("sqs:DeleteMessage", self.region):
            self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt_handle)

    def extend(self, message: QueueMessage, seconds: int) -> None:
        """Keep ``message`` hidden for ``seconds`` from now, for a handling still running.

        SQS counts the new timeout from this call, not from the receipt, and allows at
        most 12 hours after the first receipt.

        Raises:
            ValueError: If ``seconds`` is outside 0 to 43200.
            CloudError: If the call fails.
        """
        _check_visibility(seconds)
        with aws_call("sqs:ChangeMessageVisibility", self.region):
            self._sqs.change_message_visibility(
                QueueUrl=self.url,
                ReceiptHandle=message.receipt_handle,
                VisibilityTimeout=seconds,
            )


class QueueSource:
    """Feed the messages of an `InterruptionQueue` to a handler, deleting what it finished."""

    def __init__(
        self,
        queue: InterruptionQueue,
        *,
        wait_seconds: int = WAIT_SECONDS,
        max_messages: int = MAX_MESSAGES,
        visibility_seconds: int = VISIBILITY_SECONDS,
    ) -> None:
        """Poll ``queue`` with these receive parameters (see `InterruptionQueue.receive`)."""
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.max_messages = max_messages
        self.visibility_seconds = visibility_seconds

    def poll_once(self, handle: Callable[[QueueMessage], bool]) -> PollResult:
        """Receive one batch and give each message to ``handle``, in order.

        A message is deleted only when ``handle`` returns True (its work is done). When
        it returns False, or raises, the message is left: it comes back after the
        visibility timeout, and lands in the dead-letter queue after the queue's
        ``maxReceiveCount``. One failing handler never stops the batch: its exception is
        logged and counted, and the next message is handled.

        ``handle`` runs on the caller's thread, one message after the other. A handling
        that may outlast the visibility timeout should `InterruptionQueue.extend` its
        message, or hand the work to a worker pool and return False until it is done (the
        message comes back, and the handler recognises the work already under way).

        Raises:
            CloudError: If the receive itself fails (nothing was handled).
        """
        messages = self.queue.receive(
            wait_seconds=self.wait_seconds,
            max_messages=self.max_messages,
            visibility_seconds=self.visibility_seconds,
        )
        deleted = left = failed = delete_failed = 0
        for message in messages:
            try:
                done = handle(message)
            except Exception:
                # Any handler bug must not cost the rest of the batch; SQS retries this one.
                log.exception(
                    "handling queue message %s failed (receipt %d); it will come back",
                    message.message_id,
                    message.receive_count,
                )
                failed += 1
                continue
            if not done:
                left += 1
                continue
            try:
                self.queue.delete(message)
            except CloudError as error:
                log.warning("deleting queue message %s failed: %s", message.message_id, error)
                delete_failed += 1
            else:
                deleted += 1
        return PollResult(len(messages), deleted, left, failed, delete_failed)


def _check_visibility(seconds: int) -> None:
    if not 0 <= seconds <= _MAX_VISIBILITY_SECONDS:
        raise ValueError(f"visibility must be 0 to 43200 seconds, not {seconds}")


def _message(raw: dict[str, Any]) -> QueueMessage:
    attributes = raw.get("Attributes", {})
    return QueueMessage(
        message_id=str(raw["MessageId"]),
        receipt_handle=str(raw["ReceiptHandle"]),
        body=str(raw.get("Body", "")),
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
    )


class SqsInterruptionSource:
    """`spotwise.ports.interruptions.InterruptionSource` over the cluster's SQS queue.

    ``receive`` long-polls (up to ``wait_seconds``), so the controller's intake loop needs
    no pause of its own; ``ack`` deletes the message.

    Args:
        queue: The queue.
        wait_seconds: Long-polling wait (SQS allows 0 to 20).
    """

    def __init__(self, queue: InterruptionQueue, wait_seconds: int = 20) -> None:
        self.queue = queue
        self.wait_seconds = wait_seconds
        self._received: dict[str, QueueMessage] = {}

    def receive(self) -> list[RawMessage]:
        """The messages SQS delivers now (up to 10)."""
        messages = self.queue.receive(wait_seconds=self.wait_seconds)
        self._received = {m.message_id: m for m in messages}
        return [
            RawMessage(m.message_id, m.body, m.receive_count, m.receipt_handle) for m in messages
        ]

    def ack(self, message: RawMessage) -> None:
        """Delete the message: its handling is complete."""
        found = self._received.get(message.message_id)
        if found is None:
            found = QueueMessage(message.message_id, message.handle, message.body, 0)
        self.queue.delete(found)
