"""Instance metadata answers, parsed; and the same interruption from both paths."""

import pytest

from spotwise.decisions.interruption.events import Interruption, InterruptionKind
from spotwise.decisions.interruption.parse import (
    IMDS_LIFECYCLE,
    IMDS_MAINTENANCE,
    IMDS_REBALANCE,
    IMDS_SPOT,
    MalformedMessage,
    UnrecognizedMessage,
    imds_path_of,
    parse_imds,
    parse_message,
    parse_notice,
)

from .samples import body, utc

K = InterruptionKind
INSTANCE = "i-1234567890abcdef0"


def test_spot_instance_action():
    got = parse_imds(
        "/latest/meta-data/spot/instance-action", body("imds_spot_instance_action.json"), INSTANCE
    )
    assert got == [
        Interruption(
            id=f"spot-interruption/{INSTANCE}/terminate",
            kind=K.SPOT_INTERRUPTION,
            instance_id=INSTANCE,
            deadline=utc(2026, 12, 4, 16, 2),
            source="imds",
            actionable=True,
            detail=f"EC2 will terminate spot instance {INSTANCE} at 2026-12-04T16:02:00Z.",
            action="terminate",
        )
    ]


def test_rebalance_notice():
    answer = body("imds_rebalance.json")
    got = parse_imds("events/recommendations/rebalance", answer, INSTANCE, "file")
    assert got == [
        Interruption(
            id=f"rebalance-recommendation/{INSTANCE}",
            kind=K.REBALANCE_RECOMMENDATION,
            instance_id=INSTANCE,
            deadline=None,
            source="file",
            actionable=True,
            detail=f"Instance {INSTANCE} is at elevated risk of interruption; no deadline yet.",
            time=utc(2026, 12, 4, 15, 45, 10),
        )
    ]


def test_maintenance_list_with_an_active_and_a_completed_event():
    got = parse_imds(
        "meta-data/events/maintenance/scheduled", body("imds_maintenance_list.json"), INSTANCE
    )
    assert got == [
        Interruption(
            id=f"scheduled-maintenance/{INSTANCE}/2026-12-21T09:00:43Z",
            kind=K.SCHEDULED_MAINTENANCE,
            instance_id=INSTANCE,
            deadline=utc(2026, 12, 21, 9, 0, 43),
            source="imds",
            actionable=True,
            detail=f"system-reboot scheduled for {INSTANCE} from 2026-12-21T09:00:43Z.",
            event_id="instance-event-0d59937288b749b32",
            code="system-reboot",
            not_before=utc(2026, 12, 21, 9, 0, 43),
            not_after=utc(2026, 12, 21, 9, 17, 23),
        ),
        Interruption(
            id=f"scheduled-maintenance/{INSTANCE}/2026-11-29T10:00:00Z",
            kind=K.SCHEDULED_MAINTENANCE,
            instance_id=INSTANCE,
            deadline=None,
            source="imds",
            actionable=False,
            detail=(
                f"The instance-retirement of {INSTANCE} scheduled for 2026-11-29T10:00:00Z was"
                " completed; nothing to do."
            ),
            event_id="instance-event-0a1b2c3d4e5f60718",
            code="instance-retirement",
            not_before=utc(2026, 11, 29, 10, 0),
            completed=True,
        ),
    ]


def test_a_single_canceled_maintenance_object_keeps_the_id_of_its_active_form():
    [canceled] = parse_imds(IMDS_MAINTENANCE, body("imds_maintenance_canceled.json"), INSTANCE)
    assert canceled == Interruption(
        id=f"scheduled-maintenance/{INSTANCE}/2026-12-21T09:00:43Z",
        kind=K.SCHEDULED_MAINTENANCE,
        instance_id=INSTANCE,
        deadline=None,
        source="imds",
        actionable=False,
        detail=(
            f"The system-reboot of {INSTANCE} scheduled for 2026-12-21T09:00:43Z was canceled;"
            " nothing to do."
        ),
        event_id="instance-event-0d59937288b749b32",
        code="system-reboot",
        not_before=utc(2026, 12, 21, 9, 0, 43),
        not_after=utc(2026, 12, 21, 9, 17, 23),
        canceled=True,
    )
    active = parse_imds(IMDS_MAINTENANCE, body("imds_maintenance_list.json"), INSTANCE)[0]
    assert canceled.id == active.id


def test_an_empty_maintenance_list_means_no_event():
    assert parse_imds(IMDS_MAINTENANCE, "[]", INSTANCE) == []


def test_target_lifecycle_state_terminated():
    got = parse_imds(IMDS_LIFECYCLE, body("imds_target_lifecycle_terminated.txt"), INSTANCE)
    assert got == [
        Interruption(
            id=f"asg-termination/{INSTANCE}",
            kind=K.ASG_TERMINATION,
            instance_id=INSTANCE,
            deadline=None,
            source="imds",
            actionable=True,
            detail=f"Auto Scaling is terminating {INSTANCE}.",
            state="Terminated",
        )
    ]


def test_target_lifecycle_state_in_service_is_not_actionable():
    got = parse_imds(IMDS_LIFECYCLE, body("imds_target_lifecycle_inservice.txt"), INSTANCE)
    assert got == [
        Interruption(
            id=f"asg-termination/{INSTANCE}/InService",
            kind=K.ASG_TERMINATION,
            instance_id=INSTANCE,
            deadline=None,
            source="imds",
            actionable=False,
            detail=f"Auto Scaling's target state for {INSTANCE} is InService; nothing to do.",
            state="InService",
        )
    ]


def test_the_same_spot_warning_from_the_queue_and_from_metadata_has_one_id():
    [queued] = parse_message(body("spot_warning.json"))
    [polled] = parse_imds(IMDS_SPOT, body("imds_spot_instance_action.json"), INSTANCE)
    assert queued.id == polled.id
    assert queued.deadline == polled.deadline
    assert queued.source != polled.source


def test_the_same_rebalance_recommendation_from_both_paths_has_one_id():
    [queued] = parse_message(body("rebalance.json"))
    [polled] = parse_imds(IMDS_REBALANCE, body("imds_rebalance.json"), INSTANCE)
    assert queued.id == polled.id


def test_a_lifecycle_termination_from_the_queue_and_from_metadata_has_one_id():
    [queued] = parse_message(body("asg_terminate_direct.json"))
    [polled] = parse_imds(IMDS_LIFECYCLE, "Terminated", queued.instance_id)
    assert queued.id == polled.id


def test_an_in_service_state_never_shares_the_id_of_a_termination():
    [in_service] = parse_imds(IMDS_LIFECYCLE, "InService", INSTANCE)
    [terminated] = parse_imds(IMDS_LIFECYCLE, "Terminated", INSTANCE)
    assert in_service.id != terminated.id


def test_the_same_maintenance_from_health_and_from_metadata_has_one_id():
    [health, _] = parse_message(body("health_scheduled_two_instances.json"))
    entry = (
        '{"NotBefore": "4 Dec 2026 16:00:00 GMT", "Code": "instance-retirement",'
        ' "EventId": "instance-event-01", "State": "active"}'
    )
    [polled] = parse_imds(IMDS_MAINTENANCE, entry, "i-abcd1111")
    assert health.id == polled.id


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("imds_spot_instance_action.json", IMDS_SPOT),
        ("imds_rebalance.json", IMDS_REBALANCE),
        ("imds_maintenance_list.json", IMDS_MAINTENANCE),
        ("imds_maintenance_canceled.json", IMDS_MAINTENANCE),
        ("imds_target_lifecycle_terminated.txt", IMDS_LIFECYCLE),
        ("imds_target_lifecycle_inservice.txt", IMDS_LIFECYCLE),
        ("spot_warning.json", None),
        ("asg_terminate_direct.json", None),
        ("asg_terminate_wrapped.json", None),
        ("health_scheduled_two_instances.json", None),
    ],
)
def test_metadata_answers_are_recognised_by_shape(name, path):
    assert imds_path_of(body(name)) == path


def test_other_text_is_no_metadata_answer():
    assert imds_path_of("[]") == IMDS_MAINTENANCE
    assert imds_path_of("[1]") is None
    assert imds_path_of("nope") is None
    assert imds_path_of('{"action": "terminate", "time": "x", "detail-type": "y"}') is None


@pytest.mark.parametrize(
    ("path", "text", "error", "words"),
    [
        ("user-data", "x", UnrecognizedMessage, "'user-data' is not a metadata path"),
        (IMDS_SPOT, "", MalformedMessage, "the spot/instance-action answer is not JSON"),
        (IMDS_SPOT, "[]", MalformedMessage, "answer is a JSON list, not an object"),
        (
            IMDS_SPOT,
            '{"action": "reboot", "time": "2026-12-04T16:02:00Z"}',
            MalformedMessage,
            "action 'reboot' in the spot/instance-action answer is not one of",
        ),
        (
            IMDS_SPOT,
            '{"action": "stop"}',
            MalformedMessage,
            "the spot/instance-action answer's time is missing",
        ),
        (
            IMDS_REBALANCE,
            '{"noticeTime": 5}',
            MalformedMessage,
            "noticeTime is a number, not a time",
        ),
        (
            IMDS_MAINTENANCE,
            '[{"Code": "system-reboot", "EventId": "e"}]',
            MalformedMessage,
            "a scheduled maintenance event's NotBefore is missing",
        ),
        (
            IMDS_MAINTENANCE,
            '{"NotBefore": "21 Jan 2019 09:00:43 GMT", "Code": "c", "EventId": "e", "State": "x"}',
            MalformedMessage,
            "State 'x' is not one of active, canceled, completed",
        ),
        (
            IMDS_MAINTENANCE,
            '{"NotBefore": "tomorrow", "Code": "c", "EventId": "e"}',
            MalformedMessage,
            "NotBefore 'tomorrow' is not a time like",
        ),
        (IMDS_MAINTENANCE, "[3]", MalformedMessage, "event is a JSON number, not an object"),
        (IMDS_LIFECYCLE, "Gone", MalformedMessage, "answer 'Gone' is not a lifecycle state"),
    ],
)
def test_bad_answers_raise_one_clear_error(path, text, error, words):
    with pytest.raises(error) as caught:
        parse_imds(path, text, INSTANCE)
    assert words in str(caught.value)


def test_parse_notice_tells_metadata_answers_from_queue_messages():
    [polled] = parse_notice(body("imds_spot_instance_action.json"), INSTANCE, "file")
    [queued] = parse_notice(body("spot_warning.json"), "i-ignored", "file")
    assert (
        polled == parse_imds(IMDS_SPOT, body("imds_spot_instance_action.json"), INSTANCE, "file")[0]
    )
    assert queued == parse_message(body("spot_warning.json"), "file")[0]
