"""Alembic environment: the URL comes from the caller (``caseflow db upgrade``) or the environment."""

from __future__ import annotations

import os

from alembic import context

from caseflow.adapters.database import begin_every_transaction, make_engine
from caseflow.adapters.tables import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        url = os.environ.get("CASEFLOW_MIGRATE_DATABASE_URL") or os.environ.get("CASEFLOW_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: set CASEFLOW_DATABASE_URL")
    return url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url(), app_role=False)
    begin_every_transaction(engine)  # each migration all or nothing on SQLite too
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
