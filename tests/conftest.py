"""Shared fixtures: real databases (SQLite files and the PostgreSQL server), services, principals.

PostgreSQL tests create a fresh database per test from a migrated template, and
connect as the app role ``caseflow_app``, exactly as production does. Outside
CI a missing server skips them; with CI=true it fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest
from sqlalchemy.engine import make_url

from caseflow.adapters.migrate import upgrade
from caseflow.bootstrap import Services, bootstrap
from caseflow.services.access import Principal

PG_ADMIN_URL = os.environ.get("CASEFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SCHOOL = "100001"
OTHER_SCHOOL = "100002"
LA = "881"


@dataclass(frozen=True)
class Database:
    """A migrated database: ``url`` for the app role, ``owner_url`` for the schema owner."""

    backend: str
    url: str
    owner_url: str


def _pg_conninfo(url: str) -> str:
    parsed = make_url(url)
    return f"host={parsed.host} port={parsed.port or 5432} user={parsed.username} dbname={parsed.database}"


def _pg_available() -> str | None:
    try:
        with psycopg.connect(_pg_conninfo(PG_ADMIN_URL), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error)


def require_postgres() -> None:
    problem = _pg_available()
    if problem is None:
        return
    message = f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {problem}"
    if IN_CI:
        pytest.fail(message + " (CI must run the PostgreSQL tests; run .ci/ensure-system-deps)")
    pytest.skip(message)


def _admin(sql: str) -> None:
    with psycopg.connect(_pg_conninfo(PG_ADMIN_URL), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(autouse=True, scope="session")
def _hash_each_test_password_once() -> Iterator[None]:
    """argon2 at the ASVS floor costs ~70 ms a hash; tests reuse a few passwords, so hash each once."""
    from argon2 import PasswordHasher

    from caseflow.adapters import accounts

    class OncePerPassword(PasswordHasher):
        cache: ClassVar[dict[str, str]] = {}

        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            key = password if isinstance(password, str) else password.decode()
            if key not in self.cache:
                self.cache[key] = super().hash(password)
            return self.cache[key]

    real = accounts.HASHER
    accounts.HASHER = OncePerPassword(time_cost=real.time_cost, memory_cost=real.memory_cost, parallelism=real.parallelism)
    yield
    accounts.HASHER = real


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    require_postgres()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"cf_tpl_{worker}_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    owner = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(owner)
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_db(template: Path, directory: Path) -> Database:
    path = directory / "caseflow.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    return Database("sqlite", url, url)


_EMPTY_ALL = """
DO $$ DECLARE t text; BEGIN
  ALTER TABLE events DISABLE TRIGGER events_no_truncate;
  ALTER TABLE access_log DISABLE TRIGGER access_log_no_truncate;
  SELECT string_agg(format('%I', tablename), ', ') INTO t FROM pg_tables
   WHERE schemaname = 'public' AND tablename <> 'alembic_version';
  EXECUTE 'TRUNCATE ' || t || ' RESTART IDENTITY CASCADE';
  ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_truncate;
  ALTER TABLE access_log ENABLE ALWAYS TRIGGER access_log_no_truncate;
END $$
"""


@pytest.fixture(scope="session")
def pg_scratch(pg_template: str) -> Iterator[str]:
    """One database per test process, emptied before each test (much faster than a database per test)."""
    name = f"cf_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_db(name: str) -> Iterator[Database]:
    admin = make_url(PG_ADMIN_URL).set(database=name)
    owner = admin.render_as_string(hide_password=False)
    app = admin.set(username="caseflow_app").render_as_string(hide_password=False)
    with psycopg.connect(_pg_conninfo(owner), autocommit=True) as conn:
        version = conn.execute("SELECT to_regclass('public.alembic_version')").fetchone()
        if version is None or version[0] is None or conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (0,):
            upgrade(owner)  # a test took the schema down (the migration test); build it again
        conn.execute(_EMPTY_ALL)
    yield Database("postgres", app, owner)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        yield _sqlite_db(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        yield from _pg_db(request.getfixturevalue("pg_scratch"))


@pytest.fixture
def sqlite_database(sqlite_template: Path, tmp_path: Path) -> Database:
    return _sqlite_db(sqlite_template, tmp_path)


@pytest.fixture
def pg_database(pg_scratch: str) -> Iterator[Database]:
    yield from _pg_db(pg_scratch)


class Clock:
    """A settable clock, so tests can say when things happen."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _services(db: Database, clock: Clock | None = None) -> Services:
    return bootstrap(db.url, clock=clock or Clock())


@pytest.fixture
def services(database: Database) -> Iterator[Services]:
    """Services on each backend, with a school, users for every role and no cases."""
    svc = bootstrap(database.url)
    seed_people(svc)
    yield svc
    svc.close()


@pytest.fixture
def sqlite_services(sqlite_database: Database) -> Iterator[Services]:
    svc = bootstrap(sqlite_database.url)
    seed_people(svc)
    yield svc
    svc.close()


#: username -> (role, school-bound)
PEOPLE = {
    "dsl": ("dsl", True),
    "head": ("headteacher", True),
    "slt": ("slt", True),
    "senco": ("senco", True),
    "mhl": ("mental_health_lead", True),
    "teacher": ("teacher", True),
    "sw": ("social_worker", False),
    "sw2": ("social_worker", False),
    "vs": ("virtual_school", False),
    "governor": ("governor", True),
    "auditor": ("auditor", False),
    "admin": ("admin", False),
    "other_dsl": ("dsl", False),
}


def seed_people(svc: Services) -> None:
    svc.accounts.add_school(SCHOOL, "Oakfield Primary School", LA)
    svc.accounts.add_school(OTHER_SCHOOL, "Riverside Academy", "882")
    for username, (role, school_bound) in PEOPLE.items():
        schools = [SCHOOL] if school_bound else ([OTHER_SCHOOL] if username == "other_dsl" else [])
        svc.accounts.add_user(
            username, [role], schools, password="correct horse battery", la_code=LA if role == "virtual_school" else None
        )


def principal(svc: Services, username: str) -> Principal:
    user = svc.accounts.user(username)
    assert user is not None, username
    found = svc.accounts.principal(user["id"])
    assert found is not None
    return found


def access_lines(svc: Services) -> list[dict[str, Any]]:
    """Every line of the access log, oldest first."""
    from sqlalchemy import select

    from caseflow.adapters.database import read_transaction
    from caseflow.adapters.tables import access_log

    with read_transaction(svc.engine) as conn:
        return [dict(r) for r in conn.execute(select(access_log).order_by(access_log.c.id)).mappings()]
