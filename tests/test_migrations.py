"""Alembic migrations build the schema on both backends, and take it down again."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Table, inspect, select, text

from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import SqlEventStore
from caseflow.adapters.migrate import alembic_config, downgrade, upgrade
from caseflow.adapters.tables import (
    attainment_latest,
    attendance_months,
    attendance_years,
    case_report_facts,
    cohort_facts,
    incident_years,
    metadata,
    sdq_dates,
)
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.demo_la import LaShape, load_la
from caseflow.domain.events import NewEvent
from tests.conftest import SCHOOL, Database, principal
from tests.journey_helpers import days_to_come, services_today
from workflows import PUPIL_RECORD


def test_upgrade_downgrade_upgrade_matches_the_table_map(database: Database) -> None:
    engine = make_engine(database.owner_url, app_role=False)
    expected = set(metadata.tables)
    assert expected <= set(inspect(engine).get_table_names())
    downgrade(database.owner_url, "base")
    engine.dispose()
    engine = make_engine(database.owner_url, app_role=False)
    assert set(inspect(engine).get_table_names()) & expected == set()
    upgrade(database.owner_url)
    engine.dispose()
    engine = make_engine(database.owner_url, app_role=False)
    inspector = inspect(engine)
    assert expected <= set(inspector.get_table_names())
    for name, table in metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == {c.name for c in table.columns}, name
    for name, table in metadata.tables.items():
        declared = {index.name for index in table.indexes}
        assert {i["name"] for i in inspector.get_indexes(name) if not i.get("unique")} == declared, name
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("events")}
    assert ("stream_id", "version") in uniques
    engine.dispose()


def test_the_school_year_table_is_filled_from_the_months_already_counted(database: Database) -> None:
    """A database upgraded with attendance already projected gets its per-year rows at once, the
    same as the projection would write them (a school year runs September to August)."""
    downgrade(database.owner_url, "0004")
    engine = make_engine(database.owner_url, app_role=False)
    months = [("p1", "2025-08", 10, 9, 1, 0), ("p1", "2025-09", 20, 18, 1, 1), ("p1", "2026-07", 30, 27, 2, 1)]
    months += [("p2", "2026-09", 8, 4, 0, 4)]
    with engine.begin() as conn:
        conn.execute(
            attendance_months.insert(),
            [
                dict(zip(("pupil_id", "month", "possible", "attended", "authorised", "unauthorised"), m, strict=True))
                for m in months
            ],
        )
    engine.dispose()
    upgrade(database.owner_url)
    engine = make_engine(database.owner_url, app_role=False)
    with engine.connect() as conn:
        rows = {tuple(row) for row in conn.execute(select(attendance_years))}
    engine.dispose()
    assert rows == {
        ("p1", 2024, 10, 9, 1, "2025-08"),
        ("p1", 2025, 50, 45, 5, "2026-07"),
        ("p2", 2026, 8, 4, 4, "2026-09"),
    }


def test_the_cohort_facts_are_filled_from_the_read_models_already_projected(database: Database, services: Services) -> None:
    """A database upgraded with children already projected gets each child's cohort facts at once,
    equal to what the projection writes (latest episode dates, attendance year, open journeys)."""
    load_la(
        services,
        LaShape(schools=2, pupils_per_school=6, events_per_pupil=40, la_code="881", first_urn=330001),
        echo=lambda _: None,
    )
    services.close()

    def facts() -> list[tuple[str, ...]]:
        engine = make_engine(database.owner_url, app_role=False)
        with engine.connect() as conn:
            rows = sorted(tuple(map(str, row)) for row in conn.execute(select(cohort_facts)))
        engine.dispose()
        return rows

    projected = facts()
    assert len(projected) >= 10 and any(row[-1] for row in projected), "children with a social worker, some with open journeys"
    downgrade(database.owner_url, "0005")
    upgrade(database.owner_url)
    assert facts() == projected


def test_the_incidents_and_judgements_of_each_school_year_are_filled_from_the_log(database: Database, services: Services) -> None:
    """Migrations 0015 and 0016 fill what is already recorded as the projections do: each incident in the
    school year of its date; in each subject and year, the latest term's judgement (one for an earlier term,
    recorded after, changes nothing)."""
    load_la(
        services,
        LaShape(schools=1, pupils_per_school=8, events_per_pupil=60, la_code="881", first_urn=340001),
        echo=lambda _: None,
    )
    pupil_id = services.reads.pupils_for_schools(["340001"])[0]["pupil_id"]
    when = datetime(2026, 11, 2, tzinfo=UTC)
    later = [  # two incidents in the school year before, as the MIS would send them; then judgements out of order
        NewEvent("BehaviourIncidentRecorded", {"date": day, "category": "other", "severity": "low", "description": "Late"},
                 "cli:mis", "admin", when, PUPIL_RECORD)
        for day in ("2025-06-30", "2025-08-31")
    ] + [
        NewEvent("AttainmentRecorded", {"school_year": 2025, "term": term, "subject": "science", "judgement": judgement},
                 "cli:mis", "admin", when, PUPIL_RECORD)
        for term, judgement in (("summer", "expected"), ("autumn", "below"), ("summer", "greater_depth"))
    ]  # fmt: skip
    services.store.append(pupil_id, "pupil", services.store.current_version(pupil_id), later)
    services.close()

    def rows(table: Table) -> list[tuple[str, ...]]:
        engine = make_engine(database.owner_url, app_role=False)
        with engine.connect() as conn:
            found = sorted(tuple(map(str, row)) for row in conn.execute(select(table)))
        engine.dispose()
        return found

    incidents, judgements = rows(incident_years), rows(attainment_latest)
    assert (pupil_id, "2024", "2") in incidents and len({row[1] for row in incidents}) >= 2, "incidents in two years"
    assert (pupil_id, "2025", "science", "summer", "greater_depth") in judgements and len(judgements) >= 20
    downgrade(database.owner_url, "0014")
    upgrade(database.owner_url)
    assert (rows(incident_years), rows(attainment_latest)) == (incidents, judgements)


def test_a_migration_that_fails_part_way_leaves_nothing_behind(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration 0008 creates its table, then fills it from the log; if the filling fails, the table
    goes too and the schema stays at 0007, so the upgrade can simply be run again (SQLite included,
    where the app's driver issues no BEGIN of its own)."""
    downgrade(database.owner_url, "0007")
    store = SqlEventStore(make_engine(database.url))  # the log as it stood: no projector writes the new table yet
    store.append(
        "c1",
        "case",
        0,
        [NewEvent("NoteAdded", {"text": "x"}, "dsl", "dsl", datetime(2026, 1, 5, tzinfo=UTC), "support_journey@1")],
    )
    store.engine.dispose()

    def fail(*_: object, **__: object) -> None:
        raise RuntimeError("the backfill failed")

    with monkeypatch.context() as patched:
        patched.setattr(json, "loads", fail)
        with pytest.raises(RuntimeError, match="backfill failed"):
            upgrade(database.owner_url)
    engine = make_engine(database.owner_url, app_role=False)
    assert "case_report_facts" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0007"
    engine.dispose()
    upgrade(database.owner_url)  # and again, as an operator would, once the cause is fixed
    engine = make_engine(database.owner_url, app_role=False)
    assert "case_report_facts" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(database.owner_url)).get_current_head()
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
    engine.dispose()


def test_the_review_dates_of_the_report_facts_are_filled_from_the_log(database: Database, services: Services) -> None:
    """Migration 0018 gives each planning's fact its review date and each continuation's its kind and new
    date, as the projection writes them (the cohort dashboard as at a past day reads them)."""
    dsl = principal(services, "dsl")
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 93), "given_name": "Mig", "family_name": "Review",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(services, "senco"), "mhl": principal(services, "mhl")}
    today = services_today(services)
    case_id = walk(services, who, pupil.id, "evaluation", today)
    evaluated = {"verdict": "effective", "summary": "Better."}
    services.cases.act(dsl, case_id, "record_evaluation", services.store.current_version(case_id), evaluated)
    continued = {"review_date": days_to_come(60)}  # today or later, by the services' real clock
    services.cases.act(dsl, case_id, "continue_intervention", services.store.current_version(case_id), continued)
    services.close()

    def facts() -> list[tuple[str, ...]]:
        engine = make_engine(database.owner_url, app_role=False)
        with engine.connect() as conn:
            rows = sorted(tuple(map(str, row)) for row in conn.execute(select(case_report_facts)))
        engine.dispose()
        return rows

    projected = facts()
    kinds = {(row[4], row[-1]) for row in projected}
    assert ("continued", continued["review_date"]) in kinds and sum(kind == "planned" and day != "None" for kind, day in kinds) >= 1
    downgrade(database.owner_url, "0017")
    upgrade(database.owner_url)
    assert facts() == projected


def test_the_schools_already_there_have_no_la_name_until_one_is_given(database: Database) -> None:
    """Migration 0020 gives each school the name of its LA, as the DfE's register of schools has it beside the
    code; a school added before it keeps its row, with no name (its LA is called by its code)."""
    downgrade(database.owner_url, "0019")
    engine = make_engine(database.owner_url, app_role=False)
    assert "la_name" not in {c["name"] for c in inspect(engine).get_columns("schools")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO schools (urn, name, la_code) VALUES ('100009', 'Old School', '881')"))
    engine.dispose()
    upgrade(database.owner_url)
    engine = make_engine(database.owner_url, app_role=False)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT name, la_code, la_name FROM schools WHERE urn = '100009'")).one()
    engine.dispose()
    assert tuple(row) == ("Old School", "881", None)


def test_the_snapshots_written_before_they_were_sealed_are_deleted_not_trusted(database: Database) -> None:
    """Migration 0024 seals snapshots. One written before it has no seal and may have been edited (the app's role
    could write the table): it is deleted, not sealed as it stands, and the stream is replayed from its events
    until it has a sealed one."""
    downgrade(database.owner_url, "0023")
    store = SqlEventStore(make_engine(database.url))
    written = store.append(
        "c1",
        "case",
        0,
        [NewEvent("NoteAdded", {"text": "x"}, "dsl", "dsl", datetime(2026, 1, 1, tzinfo=UTC), "support_journey@1")],
    )
    engine = make_engine(database.owner_url, app_role=False)
    assert "seal" not in {c["name"] for c in inspect(engine).get_columns("snapshots")}
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO snapshots (stream_id, version, last_hash, state, taken_at) VALUES ('c1', 1, :h, '{}', :t)"),
            {"h": written[0].hash, "t": "2026-01-01T00:00:00.000000Z" if database.backend == "sqlite" else datetime.now(UTC)},
        )
    engine.dispose()
    upgrade(database.owner_url)
    assert store.latest_snapshot("c1") is None and store.verify_snapshots() == []
    store.save_snapshot("c1", 1, written[0].hash, {"schema": 1})
    assert store.latest_snapshot("c1") == (1, {"schema": 1}), "the app's role still writes and reads them"
    store.engine.dispose()


def test_the_day_of_each_sdq_is_filled_from_the_log(database: Database, services: Services) -> None:
    """Migration 0025 gives the due list the day each SDQ already recorded was completed, as the projection
    writes it (the due list names the children of the cohort with none this term)."""
    load_la(
        services,
        LaShape(schools=1, pupils_per_school=8, events_per_pupil=60, la_code="881", first_urn=340001),
        echo=lambda _: None,
    )
    pupil_id = services.reads.pupils_for_schools(["340001"])[0]["pupil_id"]
    when = datetime(2026, 11, 2, tzinfo=UTC)
    typed_late = NewEvent(  # an SDQ of last year typed in after this term's: its own day, not the latest
        "WellbeingRecorded",
        {"measure": "sdq", "informant": "parent", "administered_on": "2025-03-03", "emotional": 1, "conduct": 1,
         "hyperactivity": 1, "peer": 1},
        "dsl", "dsl", when, PUPIL_RECORD,
    )  # fmt: skip
    written = services.store.append(pupil_id, "pupil", services.store.current_version(pupil_id), [typed_late])
    services.close()

    def rows() -> list[tuple[str, ...]]:
        engine = make_engine(database.owner_url, app_role=False)
        with engine.connect() as conn:
            found = sorted(tuple(map(str, row)) for row in conn.execute(select(sdq_dates)))
        engine.dispose()
        return found

    projected = rows()
    assert (pupil_id, str(written[0].version), "2025-03-03") in projected and len({row[0] for row in projected}) > 1
    downgrade(database.owner_url, "0024")
    engine = make_engine(database.owner_url, app_role=False)
    assert "sdq_dates" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(database.owner_url)
    assert rows() == projected
