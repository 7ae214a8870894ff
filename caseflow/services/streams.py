"""Loading aggregates from their streams: the one place that knows the stream types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caseflow.domain.case import SupportCase
from caseflow.domain.errors import NotFound
from caseflow.domain.pupil import Pupil
from caseflow.services.ports import EventStore, Tail

CASE = "case"
PUPIL = "pupil"


def plausible_id(value: Any) -> bool:
    """Could this be a stream's id? Ids are short printable ASCII; anything else (a NUL byte, which
    PostgreSQL refuses in text, a control character, a long string) is no stream, never a driver error."""
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isascii() and value.isprintable()


#: take a snapshot of a case every this many events
SNAPSHOT_EVERY = 25


def load_case(store: EventStore, case_id: str, upto_version: int | None = None, as_of: datetime | None = None) -> SupportCase:
    """The case now (from its snapshot, if one still matches the log), or as it was at a version or instant."""
    if upto_version is None and as_of is None and plausible_id(case_id):
        return _case_from(store, case_id, store.load_from_snapshot(case_id))
    events = store.load(case_id, upto_version) if plausible_id(case_id) else []
    if not events or events[0].stream_type != CASE:
        raise NotFound("no such case")
    return SupportCase.replay(case_id, events, upto_version=upto_version, as_of=as_of)


#: streams read together in one round trip (each is a block of the query; SQLite allows 500)
TAILS_AT_ONCE = 20


def load_cases(store: EventStore, case_ids: list[str]) -> list[SupportCase]:
    """Several cases now, each from its snapshot where one still matches the log, twenty to a round trip."""
    found = []
    for start in range(0, len(case_ids), TAILS_AT_ONCE):
        chunk = [case_id for case_id in case_ids[start : start + TAILS_AT_ONCE] if plausible_id(case_id)]
        tails = store.load_tails(chunk)
        found.extend(_case_from(store, case_id, tails[case_id]) for case_id in chunk)
    return found


def load_case_and_pupil(store: EventStore, case_id: str, pupil_id: str) -> tuple[SupportCase, Pupil]:
    """The case and the pupil it is about, now, in one round trip (the caller knows the pupil: a
    case's pupil is set by the event that opens it and never changes)."""
    if not plausible_id(case_id) or not plausible_id(pupil_id):
        raise NotFound("no such case")
    tails = store.load_tails([case_id, pupil_id])
    return _case_from(store, case_id, tails[case_id]), _pupil_from(store, pupil_id, tails[pupil_id])


def _case_from(store: EventStore, case_id: str, tail: Tail) -> SupportCase:
    snapshot, events = tail
    case = SupportCase.from_snapshot(snapshot[1]) if snapshot else None
    if case is not None:
        for event in events:
            case.apply(event)
        return case
    if snapshot:  # a snapshot this code cannot read: replay the whole stream
        events = store.load(case_id)
    if not events or events[0].stream_type != CASE:
        raise NotFound("no such case")
    return SupportCase.replay(case_id, events)


def snapshot_if_due(store: EventStore, case: SupportCase, last_hash: str) -> None:
    """Snapshots are a cache: taken every ``SNAPSHOT_EVERY`` events, after the events are safely stored."""
    if case.version % SNAPSHOT_EVERY == 0:
        store.save_snapshot(case.id, case.version, last_hash, case.to_snapshot())


def load_pupil(store: EventStore, pupil_id: str) -> Pupil:
    """The pupil now, from their snapshot if one still matches the log. A pupil's stream grows
    with every day of attendance and every case action reads it, so once ``SNAPSHOT_EVERY``
    events have piled up since the last snapshot, loading takes a new one (a cache of the log:
    a snapshot lost to a concurrent reader's is no loss)."""
    if not plausible_id(pupil_id):
        raise NotFound("no such pupil")
    return _pupil_from(store, pupil_id, store.load_from_snapshot(pupil_id))


def _pupil_from(store: EventStore, pupil_id: str, tail: Tail) -> Pupil:
    snapshot, events = tail
    pupil = Pupil.from_snapshot(snapshot[1]) if snapshot else None
    if pupil is None:
        if snapshot:  # a snapshot this code cannot read: replay the whole stream
            events = store.load(pupil_id)
        if not events or events[0].stream_type != PUPIL:
            raise NotFound("no such pupil")
        pupil = Pupil(pupil_id)
    for event in events:
        pupil.apply(event)
    if len(events) >= SNAPSHOT_EVERY:
        store.save_snapshot(pupil_id, pupil.version, events[-1].hash, pupil.to_snapshot())
    return pupil
