"""Read models: what the inline projectors keep up to date must be exactly what a rebuild from the
log produces, on both backends, including the batched attendance and version writes."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import SqlEventStore
from caseflow.adapters.projections import INLINE_PROJECTORS, rebuild
from caseflow.adapters.tables import (
    PROJECTION_TABLES,
    attendance_marks,
    attendance_months,
    case_summary,
    cohort_facts,
    interventions,
    pupil_status,
    pupils,
    sdq_dates,
)
from caseflow.bootstrap import Services, bootstrap
from caseflow.demo import load_demo
from caseflow.demo_la import LaShape, load_la
from caseflow.domain.events import NewEvent
from caseflow.services.ports import StreamWrite
from tests.conftest import Database

WHEN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SMALL_LA = LaShape(schools=3, pupils_per_school=8, events_per_pupil=60, first_urn=300001)


def dump(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    with services.engine.connect() as conn:
        return {t.name: sorted(tuple(map(str, row)) for row in conn.execute(select(t))) for t in PROJECTION_TABLES}


@pytest.fixture
def demo_services(database: Database) -> Iterator[Services]:
    svc = bootstrap(database.url)
    load_demo(svc, echo=lambda _: None)
    yield svc
    svc.close()


def test_a_rebuild_from_the_log_equals_the_read_models_kept_inline(demo_services: Services) -> None:
    written = load_la(demo_services, SMALL_LA, echo=lambda _: None)
    assert written >= SMALL_LA.pupils * 40
    inline = dump(demo_services)
    # the demo records no permanent exclusion from a school's MIS (tests/test_mis_suspensions.py rebuilds those)
    rare = ("suspension_days", "mis_exclusions")
    assert all(inline[t.name] for t in PROJECTION_TABLES if t.name not in rare), "every read model has rows"
    assert rebuild(demo_services.store, batch=97) == demo_services.store.count()  # batches that split streams
    assert dump(demo_services) == inline
    incidents: Counter[str] = Counter()
    first_sdq: dict[str, int] = {}
    administered: set[tuple[str, int, date]] = set()
    for batch, _ in demo_services.store.iter_all():
        for event in batch:
            incidents[event.stream_id] += event.event_type == "BehaviourIncidentRecorded"
            if event.event_type == "WellbeingRecorded":
                administered.add((event.stream_id, event.version, date.fromisoformat(event.data["administered_on"])))
            if event.event_type == "WellbeingRecorded" and event.stream_id not in first_sdq:
                scales = [event.data[s] for s in ("emotional", "conduct", "hyperactivity", "peer")]
                first_sdq[event.stream_id] = sum(scales)
    with demo_services.engine.connect() as conn:
        rows = conn.execute(select(pupil_status.c.pupil_id, pupil_status.c.incidents, pupil_status.c.wellbeing_first_total)).all()
        held = {tuple(row) for row in conn.execute(select(sdq_dates))}
    assert sum(incidents.values()) > 0 and len(first_sdq) > 1
    assert held == administered, "each SDQ's day, as the due list reads the last one of a term"
    assert {r.pupil_id: r.incidents for r in rows} == {pid: incidents[pid] for pid in (r.pupil_id for r in rows)}
    assert {r.pupil_id: r.wellbeing_first_total for r in rows if r.wellbeing_first_total is not None} == first_sdq


def test_the_latest_mark_for_a_session_wins_within_and_across_batches(database: Database) -> None:
    store = SqlEventStore(make_engine(database.url), INLINE_PROJECTORS)
    registered = {
        "upn": "A881200119001",
        "given_name": "Amara",
        "family_name": "Osei",
        "date_of_birth": "2015-02-10",
        "school_urn": "100001",
        "year_group": 6,
        "to_state": "registered",
    }

    def marks(*codes: str) -> NewEvent:
        days = ["2026-11-02", "2026-11-03"]
        data = {"marks": [[days[i // 2], "AM" if i % 2 == 0 else "PM", code] for i, code in enumerate(codes)]}
        return NewEvent("AttendanceRecorded", data, "dsl", "dsl", WHEN, "pupil_record@1")

    def month(versions: int = 3) -> tuple[int, int, int, int]:
        with store.engine.connect() as conn:
            row = conn.execute(select(attendance_months).where(attendance_months.c.pupil_id == "p1")).one()
            assert len(conn.execute(select(attendance_marks).where(attendance_marks.c.pupil_id == "p1")).all()) == 4
            assert conn.execute(select(pupils.c.version).where(pupils.c.pupil_id == "p1")).scalar_one() == versions
        return row.possible, row.attended, row.authorised, row.unauthorised

    store.append_batch(
        [
            StreamWrite("p1", "pupil", 0, [NewEvent("PupilRegistered", registered, "dsl", "dsl", WHEN, "pupil_record@1")]),
            StreamWrite("p1", "pupil", 1, [marks("/", "\\", "/", "\\")]),
            StreamWrite("p1", "pupil", 2, [marks("N", "\\")]),  # same batch: the first morning becomes unauthorised
        ]
    )
    assert month() == (4, 3, 0, 1)
    store.append("p1", "pupil", 3, [marks("/", "\\", "I", "I")])  # later: the first morning corrected, the 2nd day ill

    assert month(4) == (4, 2, 2, 0)
    rebuild(store)
    assert month(4) == (4, 2, 2, 0)


@pytest.mark.parametrize("batch", [1, 2, 3, 20_000])
def test_outcomes_and_continuations_reach_the_interventions_however_the_log_is_batched(database: Database, batch: int) -> None:
    """An outcome ends one intervention; continuing sets a new review date on every active one. Kept
    one event at a time (an UPDATE each), and rebuilt in batches that split a case's events every
    way (in memory when the case opened in the batch, both where it did not), the rows agree."""
    store = SqlEventStore(make_engine(database.url), INLINE_PROJECTORS)

    def event(event_type: str, **data: object) -> NewEvent:
        return NewEvent(event_type, data, "dsl", "dsl", WHEN, "support_journey@1")

    journey = [
        event("CaseOpened", pupil_id="p1", school_urn="100001", to_state="need_identified", need_areas=["attendance"]),
        event("InterventionPlanned", intervention="Mentoring", owner="Mr P", review_date="2026-12-01"),
        event("InterventionPlanned", intervention="Breakfast club", owner="Ms Q", review_date="2026-12-02"),
        event("OutcomeRecorded", intervention=2, status="completed"),
        event("InterventionContinued", review_date="2027-01-10", to_state="intervention"),
        event("InterventionPlanned", intervention="Reading buddy", owner="Mr R", review_date="2026-12-03"),
        event("OutcomeRecorded", intervention=6, status="stopped"),
        event("OutcomeRecorded", intervention=3, status="continuing"),
        event("InterventionContinued", review_date="2027-02-14", to_state="intervention"),
    ]
    for version, new in enumerate(journey):
        store.append("c1", "case", version, [new])

    def kept() -> list[tuple[object, ...]]:
        with store.engine.connect() as conn:
            query = select(
                interventions.c.intervention, interventions.c.status, interventions.c.review_date, interventions.c.pupil_id
            )
            return [tuple(row) for row in conn.execute(query.order_by(interventions.c.intervention))]

    expected = [
        (2, "completed", date(2026, 12, 1), "p1"),
        (3, "active", date(2027, 2, 14), "p1"),
        (6, "stopped", date(2026, 12, 3), "p1"),
    ]
    assert kept() == expected
    rebuild(store, batch=batch)
    assert kept() == expected
    store.engine.dispose()


def test_two_cases_of_one_child_moving_at_once_both_reach_the_childs_cohort_facts(database: Database) -> None:
    """A child's open journeys fold in every case of theirs. Two writers moving two of the child's
    cases at the same moment (side by side on PostgreSQL) must not fold in each other's old state."""
    store = SqlEventStore(make_engine(database.url), INLINE_PROJECTORS)
    registered = {"upn": "A881200119001", "given_name": "Amara", "family_name": "Osei", "date_of_birth": "2015-02-10",
                  "school_urn": "100001", "year_group": 6, "to_state": "registered"}  # fmt: skip
    episode = {"plan": "cin", "start_date": "2026-01-05", "social_worker": "sw"}
    store.append("p1", "pupil", 0, [NewEvent("PupilRegistered", registered, "dsl", "dsl", WHEN, "pupil_record@1")])
    store.append("p1", "pupil", 1, [NewEvent("SocialCareEpisodeRecorded", episode, "dsl", "dsl", WHEN, "pupil_record@1")])
    opened = {"pupil_id": "p1", "school_urn": "100001", "to_state": "need_identified", "need_areas": ["attendance"]}
    for case_id in ("c1", "c2"):
        store.append(case_id, "case", 0, [NewEvent("CaseOpened", opened, "dsl", "dsl", WHEN, "support_journey@1")])
    inside, release = threading.Event(), threading.Event()

    def hold_open(conn: Any, batch: Any) -> None:  # the first writer stops just before it commits
        inside.set()
        release.wait(timeout=10)

    def move(writer: SqlEventStore, case_id: str, to_state: str) -> None:
        writer.append(case_id, "case", 1, [NewEvent("Moved", {"to_state": to_state}, "dsl", "dsl", WHEN, "support_journey@1")])

    first = threading.Thread(target=move, args=(SqlEventStore(store.engine, (*INLINE_PROJECTORS, hold_open)), "c1", "one_plan"))
    first.start()
    assert inside.wait(timeout=10)
    second = threading.Thread(target=move, args=(SqlEventStore(make_engine(database.url), INLINE_PROJECTORS), "c2", "review"))
    second.start()
    second.join(timeout=0.5)  # it reaches the child, and waits
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    with store.engine.connect() as conn:
        row = conn.execute(select(cohort_facts.c.open_cases, cohort_facts.c.open_journeys).where(cohort_facts.c.pupil_id == "p1"))
        assert tuple(row.one()) == (2, "one_plan,review")


def test_a_write_during_a_rebuild_waits_and_is_projected_once(database: Database) -> None:
    """The projection lock: an append that lands mid-rebuild must neither be lost from nor doubled in the read models."""
    store = SqlEventStore(make_engine(database.url), INLINE_PROJECTORS)
    opened = {"pupil_id": "p1", "school_urn": "100001", "to_state": "need_identified", "need_areas": ["attendance"]}
    store.append("c1", "case", 0, [NewEvent("CaseOpened", opened, "dsl", "dsl", WHEN, "support_journey@1")])
    for n in range(1, 30):
        store.append("c1", "case", n, [NewEvent("NoteAdded", {"n": n}, "dsl", "dsl", WHEN, "support_journey@1")])
    rebuilding = threading.Event()
    writer_done = threading.Event()

    def slow_progress(count: int) -> None:
        if not rebuilding.is_set():
            rebuilding.set()
            writer_done.wait(timeout=0.5)  # the writer cannot finish while the rebuild holds the lock

    rebuilder = threading.Thread(target=rebuild, args=(store,), kwargs={"progress": slow_progress, "batch": 10})
    rebuilder.start()
    assert rebuilding.wait(timeout=10)
    other = SqlEventStore(make_engine(database.url), INLINE_PROJECTORS)
    other.append("c1", "case", 30, [NewEvent("NoteAdded", {"n": 30}, "dsl", "dsl", WHEN, "support_journey@1")])
    writer_done.set()
    rebuilder.join(timeout=30)
    with store.engine.connect() as conn:
        assert conn.execute(select(case_summary.c.version).where(case_summary.c.case_id == "c1")).scalar_one() == 31
