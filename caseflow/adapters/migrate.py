"""Run the Alembic migrations in ``migrations/`` against a database URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def vacuum_analyze(url: str) -> None:
    """Tidy up after a bulk write (as the schema owner: PostgreSQL lets only the owner vacuum or
    analyze a table). ANALYZE refreshes the planner's statistics: until autovacuum gets round to it,
    a freshly loaded LA would otherwise be planned as if its tables were empty. On PostgreSQL,
    VACUUM also clears the dead rows a bulk write leaves (a rebuild's DELETE leaves every old row
    of every read model; a load's recounts replace attendance months and years batch by batch),
    which a later rebuild's inserts and the LA view's index scans would otherwise step over: a
    rebuild straight after a load ran a fifth slower than after a VACUUM. SQLite has no dead rows
    to clear (its VACUUM would rewrite the whole file), so there it is ANALYZE only."""
    from caseflow.adapters.database import is_sqlite, make_engine

    engine = make_engine(url, app_role=False)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("ANALYZE" if is_sqlite(engine) else "VACUUM ANALYZE")
    finally:
        engine.dispose()
