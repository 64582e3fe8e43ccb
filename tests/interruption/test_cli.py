"""`spotwise events parse`: JSON and table output, stdin, and files that fail alone."""

import io
import json

import pytest

from spotwise.cli.app import main

from .samples import MESSAGES, body


def run(capsys, *args):
    code = main(["events", "parse", *args])
    out, err = capsys.readouterr()
    return code, out, err


def sample(name):
    return str(MESSAGES / name)


def test_json_lists_every_interruption_with_the_documented_fields(capsys):
    code, out, err = run(
        capsys,
        "-o",
        "json",
        sample("spot_warning.json"),
        sample("health_scheduled_two_instances.json"),
        sample("asg_terminate_wrapped.json"),
    )
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [
        "spot-interruption/i-1234567890abcdef0/terminate",
        "scheduled-maintenance/i-abcd1111/2026-12-04T16:00:00Z",
        "scheduled-maintenance/i-abcd2222/2026-12-04T16:00:00Z",
        "asg-termination/i-0598c7d356eba48d7",
    ]
    spot, health, _, lifecycle = rows
    assert {k: spot[k] for k in ("kind", "instance_id", "deadline", "actionable", "source")} == {
        "kind": "spot-interruption",
        "instance_id": "i-1234567890abcdef0",
        "deadline": "2026-12-04T16:02:00Z",
        "actionable": True,
        "source": "file",
    }
    assert (spot["asg"], spot["hook"], spot["token"]) == (None, None, None)
    assert (spot["time"], lifecycle["time"]) == ("2026-12-04T16:00:00Z", "2026-12-04T16:05:00.190Z")
    assert (health["not_before"], health["code"]) == ("2026-12-04T16:00:00Z", "instance-retirement")
    assert {k: lifecycle[k] for k in ("deadline", "asg", "hook", "token", "actionable")} == {
        "deadline": None,
        "asg": "my-asg",
        "hook": "my-lifecycle-hook",
        "token": "87654321-4321-4321-4321-210987654321",
        "actionable": True,
    }


def test_metadata_answers_take_the_instance_id_flag(capsys):
    code, out, _ = run(
        capsys,
        "-o",
        "json",
        "--instance-id",
        "i-0aaaabbbbccccdddd",
        sample("imds_spot_instance_action.json"),
        sample("imds_target_lifecycle_terminated.txt"),
    )
    assert code == 0
    assert [(r["kind"], r["instance_id"]) for r in json.loads(out)] == [
        ("spot-interruption", "i-0aaaabbbbccccdddd"),
        ("asg-termination", "i-0aaaabbbbccccdddd"),
    ]


def test_metadata_answers_without_the_flag_name_an_unknown_instance(capsys):
    code, out, _ = run(capsys, "-o", "json", sample("imds_maintenance_list.json"))
    assert code == 0
    assert {r["instance_id"] for r in json.loads(out)} == {"i-unknown"}


def test_table_has_one_row_per_interruption(capsys, monkeypatch):
    monkeypatch.chdir(MESSAGES)
    code, out, err = run(
        capsys, "health_scheduled_two_instances.json", "asg_test_notification.json"
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["FILE", "KIND", "INSTANCE", "DEADLINE", "ACTIONABLE", "DETAIL"]
    assert [line.split()[:5] for line in lines[1:]] == [
        [
            "health_scheduled_two_instances.json",
            "scheduled-maintenance",
            "i-abcd1111",
            "2026-12-04T16:00:00Z",
            "yes",
        ],
        [
            "health_scheduled_two_instances.json",
            "scheduled-maintenance",
            "i-abcd2222",
            "2026-12-04T16:00:00Z",
            "yes",
        ],
        ["asg_test_notification.json", "asg-termination", "-", "-", "no"],
    ]
    assert (
        lines[3].rstrip().endswith("An Auto Scaling test notification for my-asg; nothing to do.")
    )


def test_dash_reads_standard_input(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(body("rebalance.json")))
    code, out, _ = run(capsys, "-", "-o", "json")
    assert code == 0
    [row] = json.loads(out)
    assert (row["kind"], row["instance_id"], row["deadline"]) == (
        "rebalance-recommendation",
        "i-1234567890abcdef0",
        None,
    )


@pytest.mark.parametrize("output", ["json", "table"])
def test_a_bad_file_gets_one_line_and_exit_2_while_good_files_still_print(capsys, tmp_path, output):
    bad = tmp_path / "bad.json"
    bad.write_text('{"detail-type": "EC2 Spot Instance Interruption Warning"')
    missing = tmp_path / "missing.json"
    code, out, err = run(
        capsys,
        "-o",
        output,
        sample("spot_warning.json"),
        str(bad),
        str(missing),
        sample("capacity_reservation.json"),
    )
    assert code == 2
    assert err.splitlines() == [
        f"{bad}: the message is not JSON (Expecting ',' delimiter)",
        f"{missing}: cannot be read (No such file or directory)",
    ]
    assert "i-1234567890abcdef0" in out and "i-0fedcba9876543210" in out
    if output == "json":
        assert [r["kind"] for r in json.loads(out)] == [
            "spot-interruption",
            "capacity-reservation-interruption",
        ]


def test_an_unrecognized_message_names_its_problem(capsys, tmp_path):
    odd = tmp_path / "odd.json"
    odd.write_text('{"detail-type": "EC2 AMI State Change", "detail": {}, "time": "x"}')
    code, out, err = run(capsys, "-o", "json", str(odd))
    assert code == 2
    assert json.loads(out) == []
    assert err.startswith(f"{odd}: detail-type 'EC2 AMI State Change' is not an event")
    assert len(err.splitlines()) == 1


def test_binary_input_is_one_line_too(capsys, tmp_path):
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\xff\xfe\x00")
    code, _, err = run(capsys, str(blob))
    assert (code, err) == (2, f"{blob}: is not UTF-8 text\n")


def test_no_interruptions_is_said_plainly(capsys, tmp_path):
    empty = tmp_path / "scheduled.json"
    empty.write_text("[]")
    assert run(capsys, str(empty)) == (0, "No interruptions.\n", "")
    assert run(capsys, "-o", "json", str(empty)) == (0, "[]\n", "")


def test_events_without_a_command_shows_help(capsys):
    assert main(["events"]) == 0
    assert "parse" in capsys.readouterr().out


def test_the_output_of_aws_sqs_receive_message_is_read_message_by_message(capsys, tmp_path):
    received = tmp_path / "received.json"
    bodies = [
        (MESSAGES / n).read_text() for n in ("spot_warning.json", "asg_terminate_wrapped.json")
    ]
    received.write_text(
        json.dumps({"Messages": [{"MessageId": str(i), "Body": b} for i, b in enumerate(bodies)]})
    )
    code, out, err = run(capsys, "-o", "json", str(received))
    assert (code, err) == (0, "")
    assert [r["id"] for r in json.loads(out)] == [
        "spot-interruption/i-1234567890abcdef0/terminate",
        "asg-termination/i-0598c7d356eba48d7",
    ]
    # One bad body fails alone, named by its MessageId; the others still print.
    messages = [{"MessageId": "a", "Body": bodies[0]}, {"MessageId": "b", "Body": "not json"}]
    received.write_text(json.dumps({"Messages": messages}))
    code, out, err = run(capsys, "-o", "json", str(received))
    assert code == 2 and err.startswith(f"{received} [MessageId b]: ")
    assert [r["id"] for r in json.loads(out)] == ["spot-interruption/i-1234567890abcdef0/terminate"]
    received.write_text(json.dumps({"Messages": [{"MessageId": "1"}]}))
    code, out, err = run(capsys, str(received))
    assert code == 2 and err == f"{received}: holds an SQS message without a Body string (1)\n"
    # An empty queue: the AWS CLI prints nothing, and nothing is what there is.
    received.write_text("")
    assert run(capsys, str(received)) == (0, "No interruptions.\n", "")
