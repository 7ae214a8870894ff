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


def vacuum_analyze(url: str) -> str | None:
    """Tidy up after a bulk write, as the schema owner; what stopped it, or None once done.

    ANALYZE refreshes the planner's statistics: until autovacuum gets round to it, a freshly
    loaded LA would otherwise be planned as if its tables were empty. On PostgreSQL, VACUUM also
    makes reusable the space of the dead rows a bulk write leaves (a rebuild's DELETE leaves every
    old row of every read model; a load's recounts replace attendance months and years batch by
    batch), which a later rebuild's inserts and the LA view's index scans would otherwise step
    over: a rebuild straight after a load ran a fifth slower than after a VACUUM. It covers the
    whole database; the log's pages, all visible once vacuumed, are skipped the next time.
    PostgreSQL lets only a table's owner vacuum or analyze it (anyone else gets warnings and
    nothing done), so a role that does not own the log is told so and nothing is run. SQLite
    keeps no dead rows in place (its VACUUM would rewrite the whole file): there it is ANALYZE."""
    from sqlalchemy.exc import DBAPIError

    from caseflow.adapters.database import is_sqlite, make_engine

    engine = make_engine(url, app_role=False)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            if is_sqlite(engine):
                conn.exec_driver_sql("ANALYZE")
                return None
            owner, me = conn.exec_driver_sql(
                "SELECT tableowner, current_user FROM pg_tables WHERE tablename = 'events' AND schemaname = current_schema()"
            ).one()
            if owner != me:
                return f"{me} does not own the tables (set CASEFLOW_MIGRATE_DATABASE_URL to the schema owner, {owner})"
            conn.exec_driver_sql("VACUUM ANALYZE")
            return None
    except DBAPIError as error:
        return f"the database refused ({str(error.orig or error).strip().splitlines()[0]})"
    finally:
        engine.dispose()
