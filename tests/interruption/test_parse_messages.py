"""Each sample message, parsed: every field of the result is checked."""

import json
from datetime import UTC

import pytest

from spotwise.decisions.interruption.events import Interruption, InterruptionKind
from spotwise.decisions.interruption.parse import (
    MalformedMessage,
    UnrecognizedMessage,
    parse_message,
)

from .samples import body, utc

K = InterruptionKind
SPOT_INSTANCE = "i-1234567890abcdef0"
TOKEN = "87654321-4321-4321-4321-210987654321"


def parse(name, source="sqs"):
    return parse_message(body(name), source)


def test_spot_warning_deadline_is_two_minutes_after_the_notice():
    assert parse("spot_warning.json") == [
        Interruption(
            id=f"spot-interruption/{SPOT_INSTANCE}/terminate",
            kind=K.SPOT_INTERRUPTION,
            instance_id=SPOT_INSTANCE,
            deadline=utc(2026, 12, 4, 16, 2),
            source="sqs",
            actionable=True,
            detail=f"EC2 will terminate spot instance {SPOT_INSTANCE} at 2026-12-04T16:02:00Z.",
            time=utc(2026, 12, 4, 16, 0),
            action="terminate",
        )
    ]


def test_spot_hibernation_has_no_two_minutes():
    event = json.loads(body("spot_warning.json"))
    event["detail"]["instance-action"] = "hibernate"
    [got] = parse_message(json.dumps(event))
    assert (got.deadline, got.action) == (utc(2026, 12, 4, 16, 0), "hibernate")
    assert got.id == f"spot-interruption/{SPOT_INSTANCE}/hibernate"


def test_rebalance_recommendation_has_no_deadline():
    assert parse("rebalance.json", source="file") == [
        Interruption(
            id=f"rebalance-recommendation/{SPOT_INSTANCE}",
            kind=K.REBALANCE_RECOMMENDATION,
            instance_id=SPOT_INSTANCE,
            deadline=None,
            source="file",
            actionable=True,
            detail=(
                f"Instance {SPOT_INSTANCE} is at elevated risk of interruption; no deadline yet."
            ),
            time=utc(2026, 12, 4, 15, 45, 10),
        )
    ]


def test_state_change_to_stopping_is_actionable():
    assert parse("state_change_stopping.json") == [
        Interruption(
            id="state-change/i-abcd1111/stopping/2026-12-04T16:01:30Z",
            kind=K.STATE_CHANGE,
            instance_id="i-abcd1111",
            deadline=None,
            source="sqs",
            actionable=True,
            detail="Instance i-abcd1111 is stopping.",
            time=utc(2026, 12, 4, 16, 1, 30),
            state="stopping",
        )
    ]


@pytest.mark.parametrize(
    ("state", "actionable"),
    [
        ("pending", False),
        ("running", False),
        ("stopping", True),
        ("stopped", True),
        ("shutting-down", True),
        ("terminated", True),
    ],
)
def test_only_leaving_states_are_actionable(state, actionable):
    event = json.loads(body("state_change_running.json"))
    event["detail"]["state"] = state
    [got] = parse_message(json.dumps(event))
    assert (got.state, got.actionable) == (state, actionable)


def test_state_change_to_running_is_informational():
    assert parse("state_change_running.json") == [
        Interruption(
            id="state-change/i-abcd1111/running/2026-12-04T15:00:00Z",
            kind=K.STATE_CHANGE,
            instance_id="i-abcd1111",
            deadline=None,
            source="sqs",
            actionable=False,
            detail="Instance i-abcd1111 is running; nothing to do.",
            time=utc(2026, 12, 4, 15, 0),
            state="running",
        )
    ]


HEALTH_ARN = (
    "arn:aws:health:us-east-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/"
    "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED_ABC123-DEF456"
)


def health_interruption(instance):
    return Interruption(
        id=f"scheduled-maintenance/{instance}/2026-12-04T16:00:00Z",
        kind=K.SCHEDULED_MAINTENANCE,
        instance_id=instance,
        deadline=utc(2026, 12, 4, 16, 0),
        source="sqs",
        actionable=True,
        detail=(
            f"AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED scheduled for {instance}"
            " from 2026-12-04T16:00:00Z."
        ),
        time=utc(2026, 11, 20, 6, 27, 57),
        event_id=HEALTH_ARN,
        code="instance-retirement",
        not_before=utc(2026, 12, 4, 16, 0),
        not_after=utc(2026, 12, 4, 18, 0),
    )


def test_health_scheduled_change_gives_one_interruption_per_instance():
    assert parse("health_scheduled_two_instances.json") == [
        health_interruption("i-abcd1111"),
        health_interruption("i-abcd2222"),
    ]


def test_a_closed_health_event_is_completed_and_not_actionable():
    event = json.loads(body("health_scheduled_two_instances.json"))
    event["detail"]["statusCode"] = "closed"
    got = parse_message(json.dumps(event))
    assert [(i.completed, i.actionable, i.deadline) for i in got] == [(True, False, None)] * 2
    assert [i.id for i in got] == [i.id for i in parse("health_scheduled_two_instances.json")]


@pytest.mark.parametrize(
    ("type_code", "code"),
    [
        ("AWS_EC2_SYSTEM_REBOOT_MAINTENANCE_SCHEDULED", "system-reboot"),
        ("AWS_EC2_INSTANCE_REBOOT_MAINTENANCE_SCHEDULED", "instance-reboot"),
        ("AWS_EC2_PERSISTENT_INSTANCE_RETIREMENT_SCHEDULED", "instance-retirement"),
        ("AWS_EC2_INSTANCE_STOP_SCHEDULED", "instance-stop"),
        ("AWS_EC2_SYSTEM_MAINTENANCE_EVENT", "system-maintenance"),
        ("AWS_EC2_SOMETHING_NEW", None),
    ],
)
def test_health_type_codes_map_to_maintenance_codes(type_code, code):
    event = json.loads(body("health_scheduled_two_instances.json"))
    event["detail"]["eventTypeCode"] = type_code
    assert {i.code for i in parse_message(json.dumps(event))} == {code}


def test_health_instances_come_from_resources_without_affected_entities():
    event = json.loads(body("health_scheduled_two_instances.json"))
    del event["detail"]["affectedEntities"]
    assert parse_message(json.dumps(event)) == parse("health_scheduled_two_instances.json")


def test_a_health_issue_is_well_formed_but_not_ours():
    assert parse("health_issue_not_ours.json") == [
        Interruption(
            id="scheduled-maintenance/-/2026-12-04T08:52:00Z",
            kind=K.SCHEDULED_MAINTENANCE,
            instance_id=None,
            deadline=None,
            source="sqs",
            actionable=False,
            detail=(
                "Health event AWS_EC2_OPERATIONAL_ISSUE (EC2, issue) is not a scheduled change"
                " of EC2 instances; nothing to do."
            ),
            time=utc(2026, 12, 4, 9, 10, 11),
            event_id=(
                "arn:aws:health:us-east-1::event/EC2/AWS_EC2_OPERATIONAL_ISSUE/"
                "AWS_EC2_OPERATIONAL_ISSUE_7F35C8C4"
            ),
            not_before=utc(2026, 12, 4, 8, 52),
        )
    ]


def test_a_health_event_of_another_service_is_not_actionable():
    event = json.loads(body("health_scheduled_two_instances.json"))
    event["detail"]["service"] = "RDS"
    got = parse_message(json.dumps(event))
    assert [(i.instance_id, i.actionable, i.deadline) for i in got] == [
        ("i-abcd1111", False, None),
        ("i-abcd2222", False, None),
    ]


def terminating(time):
    return Interruption(
        id="asg-termination/i-0598c7d356eba48d7",
        kind=K.ASG_TERMINATION,
        instance_id="i-0598c7d356eba48d7",
        deadline=None,
        source="sqs",
        actionable=True,
        detail=(
            "Auto Scaling group my-asg terminates i-0598c7d356eba48d7; hook my-lifecycle-hook"
            " waits for CompleteLifecycleAction."
        ),
        time=time,
        asg="my-asg",
        hook="my-lifecycle-hook",
        token=TOKEN,
        transition="autoscaling:EC2_INSTANCE_TERMINATING",
    )


def test_lifecycle_action_from_eventbridge():
    assert parse("asg_terminate_eventbridge.json") == [terminating(utc(2026, 12, 4, 16, 5))]


def test_lifecycle_action_sent_directly_by_auto_scaling():
    expected = terminating(utc(2026, 12, 4, 16, 5, 0, 190000))
    assert parse("asg_terminate_direct.json") == [expected]


def test_lifecycle_action_wrapped_by_sns():
    assert parse("asg_terminate_wrapped.json") == parse("asg_terminate_direct.json")


def test_the_three_forms_of_one_lifecycle_action_share_an_id():
    ids = {
        parse(name)[0].id
        for name in (
            "asg_terminate_eventbridge.json",
            "asg_terminate_direct.json",
            "asg_terminate_wrapped.json",
        )
    }
    assert ids == {"asg-termination/i-0598c7d356eba48d7"}


def test_test_notification_is_acknowledged_not_acted_on():
    assert parse("asg_test_notification.json") == [
        Interruption(
            id="asg-termination/-/test/74b5d1d8-8b6b-4b6f-8ed8-2b2b3e4a5c6d",
            kind=K.ASG_TERMINATION,
            instance_id=None,
            deadline=None,
            source="sqs",
            actionable=False,
            detail="An Auto Scaling test notification for my-asg; nothing to do.",
            time=utc(2026, 12, 4, 15, 30, 52, 359000),
            asg="my-asg",
            transition="autoscaling:TEST_NOTIFICATION",
        )
    ]


def test_launch_transition_is_not_actionable():
    assert parse("asg_launch_direct.json") == [
        Interruption(
            id="asg-termination/i-0a1b2c3d4e5f60718/launching",
            kind=K.ASG_TERMINATION,
            instance_id="i-0a1b2c3d4e5f60718",
            deadline=None,
            source="sqs",
            actionable=False,
            detail="Auto Scaling group my-asg launches i-0a1b2c3d4e5f60718; nothing to do.",
            time=utc(2026, 12, 4, 15, 40, 26, 533000),
            asg="my-asg",
            hook="my-launch-hook",
            token="71514b9d-6a40-4b26-8523-05e7ee35fa40",
            transition="autoscaling:EC2_INSTANCE_LAUNCHING",
        )
    ]


def test_a_launch_lifecycle_action_from_eventbridge_is_not_actionable():
    event = json.loads(body("asg_terminate_eventbridge.json"))
    event["detail-type"] = "EC2 Instance-launch Lifecycle Action"
    event["detail"]["LifecycleTransition"] = "autoscaling:EC2_INSTANCE_LAUNCHING"
    [got] = parse_message(json.dumps(event))
    assert (got.actionable, got.id) == (False, "asg-termination/i-0598c7d356eba48d7/launching")


def test_a_scaling_activity_notification_is_not_a_lifecycle_action():
    message = json.loads(body("asg_test_notification.json"))
    message["Event"] = "autoscaling:EC2_INSTANCE_TERMINATE"
    message["EC2InstanceId"] = "i-0598c7d356eba48d7"
    [got] = parse_message(json.dumps(message))
    assert (got.actionable, got.instance_id, got.transition) == (
        False,
        "i-0598c7d356eba48d7",
        "autoscaling:EC2_INSTANCE_TERMINATE",
    )
    assert got.id != parse("asg_terminate_direct.json")[0].id


def test_capacity_reservation_warning_uses_its_termination_time():
    assert parse("capacity_reservation.json") == [
        Interruption(
            id="capacity-reservation-interruption/i-0fedcba9876543210",
            kind=K.CAPACITY_RESERVATION_INTERRUPTION,
            instance_id="i-0fedcba9876543210",
            deadline=utc(2026, 12, 4, 16, 2),
            source="sqs",
            actionable=True,
            detail=(
                "The interruptible capacity reservation of i-0fedcba9876543210 is reclaimed;"
                " EC2 will terminate it at 2026-12-04T16:02:00Z."
            ),
            time=utc(2026, 12, 4, 16, 0),
            action="terminate",
        )
    ]


def test_capacity_reservation_deadline_is_the_termination_time_it_gives():
    event = json.loads(body("capacity_reservation.json"))
    event["detail"]["instance-termination-time"] = "2026-12-04T16:03:30Z"
    [got] = parse_message(json.dumps(event))
    assert got.deadline == utc(2026, 12, 4, 16, 3, 30)


def test_times_without_a_zone_are_utc_and_other_zones_become_utc():
    event = json.loads(body("spot_warning.json"))
    event["time"] = "2026-12-04T16:00:00"
    [naive] = parse_message(json.dumps(event))
    event["time"] = "2026-12-04T17:00:00+01:00"
    [shifted] = parse_message(json.dumps(event))
    assert naive.deadline == shifted.deadline == utc(2026, 12, 4, 16, 2)
    assert naive.deadline.tzinfo is shifted.deadline.tzinfo is UTC


def test_capacity_reservation_without_a_termination_time_gets_two_minutes():
    event = json.loads(body("capacity_reservation.json"))
    del event["detail"]["instance-termination-time"]
    event["time"] = "2026-12-04T16:00:30Z"
    [got] = parse_message(json.dumps(event))
    assert got.deadline == utc(2026, 12, 4, 16, 2, 30)


def test_receiving_a_message_twice_gives_equal_interruptions():
    assert parse("spot_warning.json") == parse("spot_warning.json")


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        ("", MalformedMessage, "the message is not JSON"),
        ("{not json", MalformedMessage, "the message is not JSON"),
        ("[1, 2]", UnrecognizedMessage, "the message is a JSON list, not an object"),
        ('{"hello": "world"}', UnrecognizedMessage, "neither an EventBridge event"),
        ('{"Message": "nope"}', MalformedMessage, "the wrapped Message is not JSON"),
        ("[" * 100_000, MalformedMessage, "nested too deeply"),
    ],
)
def test_unusable_messages_raise_one_clear_error(text, error, words):
    with pytest.raises(error, match=words):
        parse_message(text)


def edited(name, edit):
    event = json.loads(body(name))
    edit(event)
    return json.dumps(event)


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        (
            edited("spot_warning.json", lambda e: e.update({"detail-type": "EC2 AMI State"})),
            UnrecognizedMessage,
            "detail-type 'EC2 AMI State' is not an event spotwise handles",
        ),
        (
            edited("spot_warning.json", lambda e: e["detail"].pop("instance-id")),
            MalformedMessage,
            "instance-id is missing",
        ),
        (
            edited("spot_warning.json", lambda e: e["detail"].update({"instance-id": 7})),
            MalformedMessage,
            "instance-id 7 is not an EC2 instance id",
        ),
        (
            edited(
                "spot_warning.json", lambda e: e["detail"].update({"instance-id": "[instance-id]"})
            ),
            MalformedMessage,
            "instance-id '[instance-id]' is not an EC2 instance id (i-...)",
        ),
        (
            edited("spot_warning.json", lambda e: e["detail"].update({"instance-action": "x"})),
            MalformedMessage,
            "instance-action 'x' in the event's detail is not one of terminate, stop, hibernate",
        ),
        (
            edited("spot_warning.json", lambda e: e.update({"time": "yesterday"})),
            MalformedMessage,
            "the event's time 'yesterday' is not an ISO 8601 time",
        ),
        (
            edited("spot_warning.json", lambda e: e.update({"detail": []})),
            MalformedMessage,
            "the event's detail is a JSON list, not an object",
        ),
        (
            edited("spot_warning.json", lambda e: e.update({"time": "9999-12-31T23:59:00Z"})),
            MalformedMessage,
            "out of range",
        ),
        (
            edited(
                "health_scheduled_two_instances.json",
                lambda e: e["detail"].update({"startTime": "soon"}),
            ),
            MalformedMessage,
            "startTime in the Health event's detail 'soon' is not a time like",
        ),
        (
            edited(
                "health_scheduled_two_instances.json",
                lambda e: (e["detail"].pop("affectedEntities"), e.pop("resources")),
            ),
            MalformedMessage,
            "the Health event names no instance",
        ),
        (
            edited(
                "asg_terminate_direct.json",
                lambda e: e.update({"LifecycleTransition": "autoscaling:EC2_INSTANCE_REBOOTING"}),
            ),
            MalformedMessage,
            "LifecycleTransition 'autoscaling:EC2_INSTANCE_REBOOTING' is neither",
        ),
        (
            edited("asg_terminate_direct.json", lambda e: e.pop("LifecycleActionToken")),
            MalformedMessage,
            "LifecycleActionToken in the Auto Scaling notification is missing",
        ),
        (
            edited("asg_test_notification.json", lambda e: e.update({"Event": "party"})),
            UnrecognizedMessage,
            "Event 'party' is not an Auto Scaling notification",
        ),
    ],
)
def test_known_shapes_with_a_bad_field_name_the_field(text, error, words):
    with pytest.raises(error) as caught:
        parse_message(text)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)
