"""Pupil snapshots: a pupil's stream grows every school day, and every case action reads it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import SqlEventStore
from caseflow.domain.case import SupportCase
from caseflow.domain.events import GENESIS_HASH, NewEvent, StoredEvent
from caseflow.domain.pupil import Pupil
from caseflow.services.streams import SNAPSHOT_EVERY, load_pupil
from tests.conftest import Clock, Database

WHEN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def pupil_events(days: int, start: int = 0) -> list[NewEvent]:
    """Registration, an episode, a teacher, a care status, then a day of marks at a time."""

    def new(event_type: str, data: dict[str, object]) -> NewEvent:
        return NewEvent(event_type, data, "dsl", "dsl", WHEN, "pupil@1")

    opening = [] if start else [
        new("PupilRegistered", {"upn": "A881500112001", "given_name": "Ana", "family_name": "Ng",
                                "date_of_birth": "2015-03-04", "school_urn": "100001", "year_group": 6}),
        new("SocialCareEpisodeRecorded", {"plan": "cp", "start_date": "2025-01-06", "social_worker": "sw",
                                          "category": "NEG"}),
        new("TeacherAssigned", {"teacher": "teacher"}),
        new("CareStatusRecorded", {"care_status": "looked_after", "since": "2025-02-01"}),
        new("WellbeingRecorded", {"measure": "sdq", "total": 17}),
    ]  # fmt: skip
    first = date(2026, 1, 5)
    marks = [
        new("AttendanceRecorded", {"marks": [[(first + timedelta(days=d)).isoformat(), s, "/" if d % 7 else "N"]
                                             for s in ("AM", "PM")]})
        for d in range(start, start + days)
    ]  # fmt: skip
    return opening + marks


def test_a_snapshot_round_trips_through_json_and_is_never_taken_for_a_case() -> None:
    store_events = pupil_events(12)
    pupil = Pupil("p1")
    for version, new in enumerate(store_events, start=1):
        pupil.apply(_stored(new, version))
    state = json.loads(json.dumps(pupil.to_snapshot()))
    assert Pupil.from_snapshot(state) == pupil
    assert pupil.attendance and pupil.episodes and pupil.teachers and pupil.care_status
    assert SupportCase.from_snapshot(state) is None
    assert Pupil.from_snapshot(SupportCase("c1").to_snapshot()) is None


def test_loading_a_long_pupil_takes_a_snapshot_and_resumes_from_it(database: Database) -> None:
    store = SqlEventStore(make_engine(database.url), clock=Clock(WHEN))
    written = store.append("p1", "pupil", 0, pupil_events(SNAPSHOT_EVERY))
    assert store.latest_snapshot("p1") is None
    first = load_pupil(store, "p1")
    assert store.latest_snapshot("p1") is not None and store.latest_snapshot("p1")[0] == len(written)  # type: ignore[index]
    store.append("p1", "pupil", len(written), pupil_events(3, start=SNAPSHOT_EVERY))
    snapshot, tail = store.load_from_snapshot("p1")
    assert snapshot is not None and len(tail) == 3, "the next load reads only what came after the snapshot"
    resumed = load_pupil(store, "p1")
    replayed = Pupil.replay("p1", store.load("p1"))
    assert resumed == replayed and resumed.version == first.version + 3
    assert len(resumed.attendance) == 2 * (SNAPSHOT_EVERY + 3)


def _stored(new: NewEvent, version: int) -> StoredEvent:
    return StoredEvent("p1", "pupil", version, version, new.event_type, new.schema_version, dict(new.data), new.actor,
                       new.role, WHEN, WHEN, new.workflow_version, GENESIS_HASH, GENESIS_HASH)  # fmt: skip


def test_a_snapshot_that_cannot_be_saved_is_logged_and_the_action_stands(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A snapshot is saved after the action's events have committed: if the database refuses it (here the
    app role may no longer write snapshots; in life a lock held past the busy timeout), the action has
    still happened, so the failure is logged and nothing is raised."""
    owner = make_engine(database.owner_url, app_role=False)
    with owner.begin() as conn:
        if database.backend == "postgres":
            conn.exec_driver_sql("REVOKE INSERT ON snapshots FROM caseflow_app")
        else:  # a trigger that cannot run: the insert fails with an OperationalError
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse_snapshots BEFORE INSERT ON snapshots BEGIN SELECT no_such_function(); END"
            )
    owner.dispose()
    store = SqlEventStore(make_engine(database.url), clock=Clock())
    try:
        written = store.append("p1", "pupil", 0, pupil_events(SNAPSHOT_EVERY))
        with caplog.at_level("WARNING", logger="caseflow.adapters.event_store"):
            pupil = load_pupil(store, "p1")
        assert pupil.version == len(written) and store.latest_snapshot("p1") is None
        assert "snapshot of p1 at version" in caplog.text
    finally:
        store.engine.dispose()
        if database.backend == "postgres":  # the database is the test process's for every test: give it back
            with owner.begin() as conn:
                conn.exec_driver_sql("GRANT INSERT ON snapshots TO caseflow_app")
            owner.dispose()
