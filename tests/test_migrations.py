"""Alembic migrations build the schema on both backends, and take it down again."""

from __future__ import annotations

from sqlalchemy import inspect, select

from caseflow.adapters.database import make_engine
from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.tables import attendance_months, attendance_years, cohort_facts, metadata
from caseflow.bootstrap import Services
from caseflow.demo_la import LaShape, load_la
from tests.conftest import Database


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
