"""The template's stack in moto: the queues and rules it creates, and what the rules deliver.

moto's EventBridge matches put_events against the rules' patterns and sends each match to
the rule's SQS target, so an event that two rules matched would arrive twice.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from queue_stack import CLUSTER, DELIVERED, NOT_DELIVERED, create_stack, drain, session

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..SQS..QueuePolicy")
RULES = {
    f"spotwise-{CLUSTER}-{suffix}"
    for suffix in (
        "spot-interruption",
        "rebalance",
        "state-change",
        "scheduled-change",
        "asg-terminate",
        "capacity-reservation",
    )
}


@pytest.fixture
def stack(aws_endpoint: str) -> dict[str, str]:
    return create_stack(aws_endpoint)


@pytest.fixture
def sqs(aws_endpoint: str) -> Any:
    return session().client("sqs", endpoint_url=aws_endpoint)


@pytest.fixture
def events(aws_endpoint: str) -> Any:
    return session().client("events", endpoint_url=aws_endpoint)


def test_the_stack_creates_the_queue_its_dead_letter_queue_and_the_rules(
    stack: dict[str, str], sqs: Any, events: Any
) -> None:
    assert stack["QueueName"] == f"spotwise-{CLUSTER}"
    assert stack["QueueUrl"].endswith(f"/spotwise-{CLUSTER}")
    assert stack["QueueArn"].endswith(f":spotwise-{CLUSTER}")
    queue = sqs.get_queue_attributes(QueueUrl=stack["QueueUrl"], AttributeNames=["All"])
    attributes = queue["Attributes"]
    assert attributes["SqsManagedSseEnabled"] == "true"
    assert attributes["MessageRetentionPeriod"] == "300"
    dead = sqs.get_queue_attributes(QueueUrl=stack["DeadLetterQueueUrl"], AttributeNames=["All"])
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": dead["Attributes"]["QueueArn"],
        "maxReceiveCount": 5,
    }
    rules = {rule["Name"] for rule in events.list_rules()["Rules"]}
    assert rules == RULES
    for rule in rules:
        targets = events.list_targets_by_rule(Rule=rule)["Targets"]
        assert [t["Arn"] for t in targets] == [stack["QueueArn"]]


def test_the_message_retention_is_a_parameter(aws_endpoint: str, sqs: Any) -> None:
    stack = create_stack(aws_endpoint, MessageRetentionSeconds="900")
    queue = sqs.get_queue_attributes(
        QueueUrl=stack["QueueUrl"], AttributeNames=["MessageRetentionPeriod"]
    )
    assert queue["Attributes"]["MessageRetentionPeriod"] == "900"


def test_each_kind_of_event_reaches_the_queue_exactly_once(
    stack: dict[str, str], sqs: Any, events: Any
) -> None:
    sent = {}
    for kind, event in DELIVERED.items():
        answer = events.put_events(Entries=[event])
        assert answer["FailedEntryCount"] == 0
        sent[answer["Entries"][0]["EventId"]] = kind
    received = list(drain(sqs, stack["QueueUrl"]))
    # Each event once: no kind is missing, and none matched two rules.
    assert sorted(e["id"] for e in received) == sorted(sent)
    for event in received:
        kind = sent[event["id"]]
        assert event["detail-type"] == DELIVERED[kind]["DetailType"]
        assert event["source"] == DELIVERED[kind]["Source"]
        assert event["detail"] == json.loads(DELIVERED[kind]["Detail"])


@pytest.mark.parametrize("kind", NOT_DELIVERED)
def test_events_of_other_kinds_are_not_delivered(
    kind: str, stack: dict[str, str], sqs: Any, events: Any
) -> None:
    # A delivered event after it proves delivery works while the other is left out.
    marker = DELIVERED["spot-interruption"]
    answer = events.put_events(Entries=[NOT_DELIVERED[kind], marker])
    assert answer["FailedEntryCount"] == 0
    received = list(drain(sqs, stack["QueueUrl"]))
    assert [e["id"] for e in received] == [answer["Entries"][1]["EventId"]]


def test_a_queue_for_another_cluster_gets_its_own_rules(
    aws_endpoint: str, stack: dict[str, str], sqs: Any, events: Any
) -> None:
    # One queue per cluster: both stacks' rules match every event, so each queue gets it,
    # and each cluster's spotwise skips the instances that are not its own.
    other = create_stack(aws_endpoint, ClusterName="staging")
    assert other["QueueUrl"] != stack["QueueUrl"]
    answer = events.put_events(Entries=[DELIVERED["rebalance-recommendation"]])
    event_id = answer["Entries"][0]["EventId"]
    assert [e["id"] for e in drain(sqs, stack["QueueUrl"])] == [event_id]
    assert [e["id"] for e in drain(sqs, other["QueueUrl"])] == [event_id]
