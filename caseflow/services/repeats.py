"""Asking before the same entry is recorded twice (``caseflow.domain.repeats``): the services hold the streams, so
the check of what this person recorded a short while ago is theirs, the same for a case, a pupil's record and the
school's self-assessment."""

from __future__ import annotations

from datetime import datetime

from caseflow.domain.errors import CaseflowError, RecordedAlready
from caseflow.domain.events import NewEvent, StoredEvent
from caseflow.domain.repeats import REPEAT_WINDOW, repeated
from caseflow.services.ports import EventStore

#: a stream's entries read at a time, newest first, until one is older than the window: most actions find a few
READ_BACK = 20


def recent_entries(store: EventStore, stream_id: str, version: int, since: datetime) -> list[StoredEvent]:
    """The stream's entries recorded since ``since`` (it is at ``version``), oldest first. Read back from the newest a
    few at a time, not the whole stream: a pupil's grows with every day of attendance."""
    found: list[StoredEvent] = []
    upto = version
    while upto > 0:
        after = max(0, upto - READ_BACK)
        chunk = store.load(stream_id, upto_version=upto, after_version=after)
        found[:0] = [event for event in chunk if event.recorded_at >= since]
        if not chunk or chunk[0].recorded_at < since:
            break
        upto = after
    return found


def refuse_unconfirmed_repeat(
    store: EventStore, stream_id: str, version: int, event: NewEvent, now: datetime, repeat_of: int | None
) -> None:
    """Refuse ``event`` (``RecordedAlready``) if it repeats an entry its actor recorded on the stream within the
    window, unless ``repeat_of`` names that entry: the newest such, the one the person was shown and confirmed. A
    confirmation of another (a form come back with its box ticked after the repeat was recorded) asks again."""
    earlier = repeated(event, recent_entries(store, stream_id, version, now - REPEAT_WINDOW))
    if earlier is not None and earlier.version != repeat_of:
        raise RecordedAlready(earlier.event_type, earlier.version, earlier.recorded_at, now)


#: an access-log line's outcome for an entry not recorded as it repeats one the person recorded a short while ago
UNCONFIRMED = "unconfirmed"


def logged_outcome(error: CaseflowError) -> str:
    """A refusal's outcome as a pupil's record and the self-assessment log it."""
    if isinstance(error, RecordedAlready):
        return UNCONFIRMED
    return {403: "forbidden", 404: "not_found", 409: "conflict"}.get(error.status, "refused")
