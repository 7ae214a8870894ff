"""Alembic migrations build the schema on both backends, and take it down again."""

from __future__ import annotations

from sqlalchemy import inspect

from caseflow.adapters.database import make_engine
from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.tables import metadata
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
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("events")}
    assert ("stream_id", "version") in uniques
    engine.dispose()
