"""The objects an Event names: pods by namespace and name, as the API server wants them."""

from spotwise.provisioning.events import (
    Event,
    EventReason,
    EventType,
    NullEventSink,
    ObjectRef,
    RecordingEventSink,
    pod_ref,
)


def test_a_pod_is_referenced_by_namespace_and_name_in_core_v1() -> None:
    assert pod_ref("shop/web-0") == ObjectRef("Pod", "web-0", "shop", "v1")
    assert pod_ref("web-0") == ObjectRef("Pod", "web-0", "default", "v1")
    # A name never holds a slash; the namespace is what comes before the last one.
    assert pod_ref("a/b/c") == ObjectRef("Pod", "c", "a/b", "v1")


def test_sinks_record_or_drop_what_they_are_given() -> None:
    event = Event(EventType.WARNING, next(iter(EventReason)), "m", pod_ref("x/y"))
    recording = RecordingEventSink()
    recording.emit(event)
    recording.emit(event)
    assert recording.events == [event, event]
    NullEventSink().emit(event)  # accepted, and nowhere to be seen
