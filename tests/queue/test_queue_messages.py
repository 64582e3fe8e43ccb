"""InterruptionQueue and QueueSource against the template's queue in moto.

Visibility timeouts are 1 s here; waits for a message to come back are bounded generously
(receive's long poll returns as soon as it is visible) and never asserted on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from queue_stack import create_stack, recording_session, session

from spotwise.aws.calls import AWS_CALLS
from spotwise.aws.queue import InterruptionQueue, QueueMessage, QueueSource
from spotwise.ports.cloud import CloudError

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy")
# Long enough for any machine; a receive returns as soon as a message is there.
WAIT = 5


@pytest.fixture
def stack(aws_endpoint: str) -> dict[str, str]:
    return create_stack(aws_endpoint)


@pytest.fixture
def sqs(aws_endpoint: str) -> Any:
    return session().client("sqs", endpoint_url=aws_endpoint)


@pytest.fixture
def calls() -> Iterator[list[str]]:
    """The calls the code under test made; each must be in AWS_CALLS."""
    made: list[str] = []
    yield made
    assert set(made) <= AWS_CALLS, sorted(set(made) - AWS_CALLS)


@pytest.fixture
def queue(stack: dict[str, str], aws_endpoint: str, calls: list[str]) -> InterruptionQueue:
    return InterruptionQueue(
        recording_session(calls),
        region="us-east-1",
        queue_url=stack["QueueUrl"],
        endpoint_url=aws_endpoint,
    )


def send(sqs: Any, stack: dict[str, str], *bodies: str) -> None:
    for body in bodies:
        sqs.send_message(QueueUrl=stack["QueueUrl"], MessageBody=body)


def receive_again(queue: InterruptionQueue, tries: int = 3) -> list[QueueMessage]:
    """Receive until something comes back (bounded): what came back."""
    for _ in range(tries):
        messages = queue.receive(wait_seconds=WAIT, visibility_seconds=1)
        if messages:
            return messages
    return []


def test_receive_returns_the_message_with_its_receive_count(
    queue: InterruptionQueue, sqs: Any, stack: dict[str, str], calls: list[str]
) -> None:
    send(sqs, stack, '{"detail-type": "EC2 Instance Rebalance Recommendation"}')
    (message,) = queue.receive(wait_seconds=WAIT, visibility_seconds=1)
    assert message.body == '{"detail-type": "EC2 Instance Rebalance Recommendation"}'
    assert message.receive_count == 1
    assert message.message_id and message.receipt_handle
    assert calls == ["sqs:ReceiveMessage"]


def test_a_message_not_deleted_comes_back_counting_its_receipts(
    queue: InterruptionQueue, sqs: Any, stack: dict[str, str]
) -> None:
    send(sqs, stack, "warning")
    (first,) = queue.receive(wait_seconds=WAIT, visibility_seconds=1)
    (second,) = receive_again(queue)
    assert second.message_id == first.message_id
    assert second.receipt_handle != first.receipt_handle
    assert (first.receive_count, second.receive_count) == (1, 2)


def test_a_deleted_message_does_not_come_back(
    queue: InterruptionQueue, sqs: Any, stack: dict[str, str]
) -> None:
    send(sqs, stack, "warning")
    (message,) = queue.receive(wait_seconds=WAIT, visibility_seconds=1)
    queue.delete(message)
    # Twice the visibility timeout: it would be back by then.
    assert queue.receive(wait_seconds=2, visibility_seconds=1) == []


def test_extend_keeps_a_message_hidden_and_zero_releases_it(
    queue: InterruptionQueue, sqs: Any, stack: dict[str, str], calls: list[str]
) -> None:
    send(sqs, stack, "warning")
    (message,) = queue.receive(wait_seconds=WAIT, visibility_seconds=1)
    queue.extend(message, 60)
    assert queue.receive(wait_seconds=2, visibility_seconds=1) == []
    queue.extend(message, 0)
    (again,) = receive_again(queue)
    assert again.message_id == message.message_id
    assert "sqs:ChangeMessageVisibility" in calls


def test_after_five_receipts_the_message_moves_to_the_dead_letter_queue(
    queue: InterruptionQueue, sqs: Any, stack: dict[str, str]
) -> None:
    # moto implements the redrive: the receipt after maxReceiveCount moves the message.
    send(sqs, stack, "malformed")
    counts = []
    for _ in range(5):
        (message,) = receive_again(queue)
        counts.append(message.receive_count)
    assert counts == [1, 2, 3, 4, 5]
    # The sixth receipt, once the message is visible again (after 1 s), moves it instead.
    assert queue.receive(wait_seconds=2, visibility_seconds=1) == []
    dead = sqs.receive_message(QueueUrl=stack["DeadLetterQueueUrl"], WaitTimeSeconds=WAIT)
    assert [m["Body"] for m in dead["Messages"]] == ["malformed"]


def test_a_queue_name_is_resolved_once(
    stack: dict[str, str], aws_endpoint: str, calls: list[str]
) -> None:
    queue = InterruptionQueue(
        recording_session(calls),
        region="us-east-1",
        queue_name=stack["QueueName"],
        endpoint_url=aws_endpoint,
    )
    assert queue.receive(wait_seconds=0) == []
    assert queue.receive(wait_seconds=0) == []
    # moto answers with a URL on its own endpoint; the account and name are the stack's.
    assert queue.url.endswith(stack["QueueUrl"].split("amazonaws.com")[1])
    assert calls == ["sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:ReceiveMessage"]


def test_a_missing_queue_is_one_clear_cloud_error(aws_endpoint: str, calls: list[str]) -> None:
    queue = InterruptionQueue(
        recording_session(calls),
        region="us-east-1",
        queue_name="spotwise-nowhere",
        endpoint_url=aws_endpoint,
    )
    with pytest.raises(
        CloudError, match=r"^sqs:GetQueueUrl in us-east-1 failed: .*NonExistentQueue"
    ):
        queue.receive(wait_seconds=0)


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("wait_seconds", 21),
        ("wait_seconds", -1),
        ("max_messages", 0),
        ("max_messages", 11),
        ("visibility_seconds", -1),
        ("visibility_seconds", 43201),
    ],
)
def test_receive_refuses_parameters_sqs_would_refuse(
    queue: InterruptionQueue, keyword: str, value: int, calls: list[str]
) -> None:
    with pytest.raises(ValueError, match=keyword.split("_")[0]):
        queue.receive(**{keyword: value})
    assert calls == []


def test_the_queue_needs_its_url_or_its_name(aws_endpoint: str) -> None:
    for given in ({}, {"queue_url": "https://q", "queue_name": "q"}):
        with pytest.raises(ValueError, match="URL or its name"):
            InterruptionQueue(session(), region="us-east-1", endpoint_url=aws_endpoint, **given)


def test_poll_once_deletes_only_what_was_handled_and_survives_a_failing_handler(
    queue: InterruptionQueue, sqs: Any, stack: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    send(sqs, stack, "raise", "done", "not yet")
    seen: list[str] = []

    def handle(message: QueueMessage) -> bool:
        seen.append(message.body)
        if message.body == "raise":
            raise RuntimeError("handler bug")
        return message.body == "done"

    source = QueueSource(queue, wait_seconds=WAIT, visibility_seconds=1)
    result = source.poll_once(handle)
    assert sorted(seen) == ["done", "not yet", "raise"]
    assert (result.received, result.deleted, result.left, result.failed) == (3, 1, 1, 1)
    assert result.delete_failed == 0
    assert "handler bug" in caplog.text
    # What was not done comes back; what was done does not.
    back: list[str] = []
    for _ in range(3):
        back += [m.body for m in queue.receive(wait_seconds=WAIT, visibility_seconds=60)]
        if len(back) >= 2:
            break
    assert sorted(back) == ["not yet", "raise"]


def test_poll_once_counts_a_failed_delete_and_goes_on(
    queue: InterruptionQueue, sqs: Any, stack: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    send(sqs, stack, "a", "b")
    deleted: list[str] = []
    real_delete = queue.delete

    def flaky_delete(message: QueueMessage) -> None:
        if message.body == "a":
            raise CloudError("sqs:DeleteMessage in us-east-1 failed: throttled")
        deleted.append(message.body)
        real_delete(message)

    queue.delete = flaky_delete  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING):
        result = QueueSource(queue, wait_seconds=WAIT).poll_once(lambda _: True)
    assert (result.received, result.deleted, result.delete_failed) == (2, 1, 1)
    assert deleted == ["b"]
    assert "throttled" in caplog.text


def test_poll_once_with_an_empty_queue_handles_nothing(queue: InterruptionQueue) -> None:
    handled: list[QueueMessage] = []
    result = QueueSource(queue, wait_seconds=0).poll_once(lambda m: handled.append(m) is None)
    assert result.received == 0 and handled == []
