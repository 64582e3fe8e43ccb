"""Fuzzing both parsers: whatever comes in, only a MessageError comes out."""

import json
from datetime import UTC, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotwise.decisions.interruption.events import InterruptionKind
from spotwise.decisions.interruption.parse import (
    IMDS_PATHS,
    LIFECYCLE_STATES,
    MessageError,
    imds_path_of,
    parse_imds,
    parse_message,
)

from .samples import MESSAGES

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    # Values parsers look for, so that fuzzing reaches past the first check.
    | st.sampled_from(
        [
            "EC2 Spot Instance Interruption Warning",
            "AWS Health Event",
            "EC2 Instance-terminate Lifecycle Action",
            "autoscaling:EC2_INSTANCE_TERMINATING",
            "autoscaling:TEST_NOTIFICATION",
            "i-0123456789abcdef0",
            "terminate",
            "2026-12-04T16:00:00Z",
            "9999-12-31T23:59:59Z",
            "Fri, 4 Dec 2026 16:00:00 GMT",
            "31 Dec 9999 23:59:59 -2359",
            "1 Jan 99999999999999999999 00:00:00 GMT",
            "EC2",
            "scheduledChange",
            "closed",
            "canceled",
        ]
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)

SAMPLES = sorted(p.name for p in MESSAGES.glob("*.json"))


def check(results):
    """What every successful parse promises."""
    for i in results:
        assert isinstance(i.kind, InterruptionKind)
        assert i.id.startswith(f"{i.kind.value}/")
        for t in (i.deadline, i.time, i.not_before, i.not_after):
            assert t is None or t.utcoffset() == timedelta(0)
        assert i.deadline is None or i.deadline.tzinfo is UTC
        assert not i.actionable or i.instance_id is not None
        assert i.detail and "\n" not in i.detail


def survive(parse, *args):
    try:
        check(parse(*args))
    except MessageError as error:
        text = str(error)
        assert text and "\n" not in text


@SETTINGS
@given(st.text())
def test_any_text_is_a_message_or_one_error(text):
    survive(parse_message, text)


@SETTINGS
@given(JSON)
def test_any_json_is_a_message_or_one_error(value):
    survive(parse_message, json.dumps(value))
    survive(parse_message, json.dumps({"Message": json.dumps(value)}))


# Values that have broken parsers: wrong types, empty, out-of-range times in both forms.
NASTY = [
    None,
    True,
    0,
    -1.5,
    "",
    "x",
    [],
    {},
    [1],
    {"a": 1},
    "9999-12-31T23:59:59Z",
    "2026-12-04T16:00:00",
    "0001-01-01T00:00:00+23:59",
    "31 Dec 9999 23:59:59 -2359",
    "1 Jan 99999999999999999999 00:00:00 GMT",
    "i-0123456789abcdef0",
]


def nodes(value, path=()):
    """Every path in a JSON value, the root included."""
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from nodes(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from nodes(child, (*path, index))


def replaced(value, path, replacement):
    if not path:
        return replacement
    copy = dict(value) if isinstance(value, dict) else list(value)
    if replacement is DELETE and len(path) == 1:
        del copy[path[0]]
        return copy
    copy[path[0]] = replaced(value[path[0]], path[1:], replacement)
    return copy


DELETE = object()


def test_every_node_of_every_sample_broken_every_way():
    """Exhaustive, not random: each node deleted or replaced by each nasty value."""
    tried = 0
    for name in SAMPLES:
        sample = json.loads((MESSAGES / name).read_text())
        for path in nodes(sample):
            for replacement in [DELETE, *NASTY]:
                if replacement is DELETE and not path:
                    continue
                broken = json.dumps(replaced(sample, path, replacement))
                survive(parse_message, broken)
                survive(parse_imds, "events/maintenance/scheduled", broken, "i-1")
                survive(parse_imds, "spot/instance-action", broken, "i-1")
                survive(parse_imds, "events/recommendations/rebalance", broken, "i-1")
                tried += 1
    assert tried > 3000


def mutate(value, path, replacement, delete):
    """A copy of ``value`` with the node at ``path`` replaced (or deleted)."""
    if not path or not isinstance(value, (dict, list)) or not value:
        return replacement
    keys = list(value) if isinstance(value, dict) else list(range(len(value)))
    key = keys[path[0] % len(keys)]
    copy = dict(value) if isinstance(value, dict) else list(value)
    if delete and len(path) == 1:
        del copy[key]
        return copy
    copy[key] = mutate(value[key], path[1:], replacement, delete)
    return copy


@SETTINGS
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=4),
    JSON,
    st.booleans(),
)
def test_real_messages_with_one_field_broken_are_a_message_or_one_error(
    name, path, replacement, delete
):
    sample = json.loads((MESSAGES / name).read_text())
    broken = json.dumps(mutate(sample, path, replacement, delete))
    survive(parse_message, broken)
    if name.startswith("imds_maintenance"):
        survive(parse_imds, "events/maintenance/scheduled", broken, "i-0123456789abcdef0")


@SETTINGS
@given(st.sampled_from(IMDS_PATHS), st.text() | JSON.map(json.dumps))
def test_any_metadata_answer_is_interruptions_or_one_error(path, text):
    survive(parse_imds, path, text, "i-0123456789abcdef0")
    shape = imds_path_of(text)
    if shape is not None:
        survive(parse_imds, shape, text, "i-0123456789abcdef0")


@SETTINGS
@given(st.text(), st.text())
def test_any_path_is_a_known_path_or_one_error(path, text):
    survive(parse_imds, path, text, "i-0123456789abcdef0")


@given(st.sampled_from(LIFECYCLE_STATES), st.sampled_from(["", "\n", " \r\n"]))
def test_lifecycle_states_are_read_with_surrounding_whitespace(state, space):
    [got] = parse_imds("autoscaling/target-lifecycle-state", state + space, "i-1")
    assert got.state == state
    assert got.actionable == (state == "Terminated")
