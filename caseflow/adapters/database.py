"""Engines for SQLite and PostgreSQL, set up the way the event store needs them.

SQLite: WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for every
write transaction (a deferred BEGIN upgrades to a write lock without waiting for
the busy handler, so concurrent writers fail with "database is locked"). The
app's SQLite connections also carry an authorizer that refuses UPDATE, DELETE and
DROP on the append-only tables, on top of the triggers the migrations create.

Every transaction the app runs is opened by ``write_transaction`` or ``read_transaction``, which
issue SQLite's BEGIN themselves, or is one statement on a ``statement_transactions`` connection
(a test holds the package to that). The driver is left in autocommit, so a connection used any
other way runs each statement on its own. A write statement on its own takes the write lock as
it starts, waiting on the busy handler, as ``BEGIN IMMEDIATE`` does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ClauseElement

APPEND_ONLY_TABLES = ("events", "access_log")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the URL uses."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(url_or_engine)
    return url.get_backend_name() == "sqlite"


def _deny_append_only_changes(action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None) -> int:
    if action in (sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE) and arg1 in APPEND_ONLY_TABLES:
        return sqlite3.SQLITE_DENY
    if action in (sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_ALTER_TABLE) and (
        arg1 in APPEND_ONLY_TABLES or arg2 in APPEND_ONLY_TABLES
    ):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_DROP_TRIGGER:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def make_engine(url: str, *, app_role: bool = True, **kwargs: Any) -> Engine:
    """An engine for ``url``. ``app_role=False`` is for migrations (the schema owner)."""
    url = normalise_url(url)
    if not is_sqlite(url):
        # No JIT: its compile time (seconds for the LA view's CASEs on a 2-core machine) is
        # paid by every query whose estimated cost crosses jit_above_cost, and our queries are
        # short reads over projections, where it never pays back. Sessions in UTC: psycopg then
        # returns instants already in UTC, which a replay or rebuild needs no conversion for.
        kwargs.setdefault("connect_args", {}).setdefault("options", "-c jit=off -c timezone=UTC")
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 10)
        kwargs.setdefault("pool_recycle", 1800)
        return create_engine(url, **kwargs)

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # The driver issues no BEGIN of its own: the transaction helpers below do.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        if app_role:
            dbapi_connection.set_authorizer(_deny_append_only_changes)

    return engine


def begin_every_transaction(engine: Engine) -> None:
    """For an engine whose transactions are opened by someone else (Alembic's migrations): SQLite's
    BEGIN on every SQLAlchemy transaction, so a migration that fails part way leaves nothing behind.
    The app's own engines do not need this (their helpers issue BEGIN), and it is not free."""
    if is_sqlite(engine):
        event.listen(engine, "begin", lambda conn: _begin_sqlite(conn, "BEGIN"))


def _begin_sqlite(conn: Connection, sql: str) -> None:
    """SQLite's BEGIN, on the driver, inside SQLAlchemy's (bookkeeping only) transaction, whose
    COMMIT or ROLLBACK then ends it. Not a "begin" event listener: once one is registered,
    SQLAlchemy dispatches every transaction's events, which with the execution option that told
    reads from writes cost each write transaction about a fifth of its overhead."""
    with driver_cursor(conn, sql) as cursor:
        cursor.execute(sql)


#: the connection each engine lent the current unit of work (a web request), once it asked for one;
#: ``_IN_USE`` while a helper has it
_held: ContextVar[dict[Engine, Any] | None] = ContextVar("caseflow_held_connections", default=None)
_IN_USE = object()


def hold_connections() -> Token[dict[Engine, Any] | None]:
    """From now until ``release_connections``, every transaction helper in this context (this
    thread's request) takes the same connection from each engine's pool, checked out on first use.

    An API action runs three transactions (who is asking, the case, the write), and each checkout
    and return costs the worker as much CPU as a small query: about a sixth of an action's time in
    a profile of the HTTP benchmark. Transactions stay exactly as they were, each begun and ended
    by its helper; only the connection under them is kept. A helper called while another helper
    has the held connection takes a connection of its own, as before (on PostgreSQL a read runs in
    the driver's autocommit, which a write nested in it must never share)."""
    return _held.set({})


def release_connections(token: Token[dict[Engine, Any] | None]) -> None:
    """Return the held connections to their pools (the pool resets each, as after any use)."""
    held = _held.get()
    _held.reset(token)
    for conn in (held or {}).values():
        if isinstance(conn, Connection):
            conn.close()


@contextmanager
def _connection(engine: Engine) -> Iterator[Connection]:
    """A connection for one transaction helper: the held one if this context holds connections
    and no other helper has it, else one of its own from the pool. A held connection that a
    statement broke, or that an error left in a transaction, is closed and forgotten: the next
    helper takes a new one."""
    held = _held.get()
    if held is None or held.get(engine) is _IN_USE:
        with engine.connect() as own:
            yield own
        return
    conn = held.get(engine)
    if conn is None or conn.closed or conn.invalidated:
        conn = engine.connect()
    held[engine] = _IN_USE
    try:
        yield conn
    except BaseException:
        held.pop(engine, None)
        conn.close()
        raise
    if conn.in_transaction():  # SQLAlchemy's own bookkeeping after an autocommit read: nothing is sent
        conn.rollback()
    held[engine] = conn


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: BEGIN IMMEDIATE on SQLite, an ordinary BEGIN on PostgreSQL."""
    with _connection(engine) as conn, conn.begin():
        if conn.dialect.name == "sqlite":
            _begin_sqlite(conn, "BEGIN IMMEDIATE")
        yield conn


@contextmanager
def read_transaction(engine: Engine, streaming: bool = False) -> Iterator[Connection]:
    """Reads. SQLite: one transaction, so every statement sees the same snapshot. PostgreSQL:
    autocommit, saving the BEGIN and COMMIT round trips; under READ COMMITTED each statement
    takes its own snapshot even inside a transaction, so nothing is lost (and the log is
    append-only: an event once read never changes). ``streaming``: a server-side cursor,
    which PostgreSQL only keeps inside a transaction."""
    with _connection(engine) as conn:
        if conn.dialect.name == "postgresql" and not streaming:
            with _driver_autocommit(conn):
                yield conn
            return
        with conn.begin():
            if conn.dialect.name == "sqlite":
                _begin_sqlite(conn, "BEGIN")
            yield conn


@contextmanager
def statement_transactions(engine: Engine) -> Iterator[Connection]:
    """A connection on which every statement is a transaction of its own, committed as it ends:
    for a write that is one statement, which then needs neither BEGIN nor COMMIT (two of an
    append's three round trips on PostgreSQL). SQLite's driver is left in autocommit (see above)."""
    with _connection(engine) as conn:
        if conn.dialect.name != "postgresql":
            # SQLite is left as it is on purpose: SQLAlchemy's AUTOCOMMIT there, once reset on return
            # to the pool, would give the driver back its own implicit BEGIN.
            yield conn
            return
        with _driver_autocommit(conn):
            yield conn


@contextmanager
def _driver_autocommit(conn: Connection) -> Iterator[None]:
    """psycopg's own autocommit switch, flipped and restored here. SQLAlchemy's isolation-level
    option does the same through its connection characteristics, set on the way out and reset on
    the way back to the pool: a quarter of the CPU of a one-statement append (A/B, same machine:
    208-331 against 302-402 microseconds). SQLAlchemy is not told, so it still ends its own
    (bookkeeping) transaction with a rollback, which psycopg skips on an idle session."""
    driver = conn.connection.dbapi_connection
    driver.autocommit = True
    try:
        yield
    finally:
        if not driver.closed:
            driver.autocommit = False  # each statement ended its own transaction: the session is idle


def driver_rows(
    conn: Connection, sql: str, params: Mapping[str, Any] | Sequence[Sequence[Any]], many: bool = False
) -> list[tuple[Any, ...]]:
    """Rows as the driver returns them (plain tuples), for the hot statements: SQLAlchemy's
    execution and result rows cost tens of microseconds a statement and about one a row, which
    every append, a 10,000-event replay and a rebuild's bulk inserts feel. ``many``: run the
    statement once per row of ``params`` (the driver's ``executemany``; no rows come back)."""
    with driver_cursor(conn, sql, params) as cursor:
        if many:
            cursor.executemany(sql, params)
            return []
        cursor.execute(sql, params)
        result = getattr(cursor, "pgresult", None)  # psycopg: builds a Column per field for ``description``
        if result is not None:
            return cursor.fetchall() if result.nfields else []
        return cursor.fetchall() if cursor.description is not None else []


@contextmanager
def driver_cursor(conn: Connection, sql: str, params: Any = None) -> Iterator[Any]:
    """The driver's own cursor on ``conn``, inside SQLAlchemy's transaction. Errors come out as
    SQLAlchemy's (an ``IntegrityError`` is still one), and a lost connection is invalidated, as if
    SQLAlchemy had run the statement itself (``sql`` and ``params`` go into the error)."""
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.cursor()
    try:
        yield cursor
    except dbapi.Error as error:
        if conn.dialect.is_disconnect(error, conn.connection.dbapi_connection, cursor):
            conn.invalidate(error)
        raise DBAPIError.instance(sql, params, error, dbapi.Error) from error
    finally:
        cursor.close()


_Compiled = tuple[str, tuple[str, ...] | None, dict[str, str], dict[str, Callable[[Any], Any]]]


class DriverStatement:
    """A Core statement compiled once for each dialect, then run on the driver's cursor
    (``driver_rows``). SQLAlchemy's own execution (compiled-cache lookup, parameter processing,
    result rows) costs about a tenth of a millisecond a statement, and every API action runs three
    of these besides the event store's: who is asking, the case summary and the access-log line.
    Parameters go through each column type's bind processor, as SQLAlchemy would send them.

    Only for plain statements with a named parameter for every value: SQLAlchemy's own execution
    fills in what this does not (a column's Python-side default, an expanding ``IN`` list, a value
    fixed in the statement), so such a statement fails here, loudly."""

    def __init__(self, statement: ClauseElement, column_keys: Sequence[str] | None = None) -> None:
        """``column_keys``: for an ``insert(table)`` without values, the columns it sets (each its own parameter)."""
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        compiled = self._for(conn.dialect)
        return driver_rows(conn, compiled[0], self._values(params, compiled))

    def run_many(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        compiled = self._for(conn.dialect)
        if len(params) == 1:
            driver_rows(conn, compiled[0], self._values(params[0], compiled))
        elif params:
            driver_rows(conn, compiled[0], [self._values(p, compiled) for p in params], many=True)

    @staticmethod
    def _values(params: Mapping[str, Any], compiled: _Compiled) -> Any:
        _, order, names, processors = compiled
        values = {names[key]: processors[key](value) if key in processors else value for key, value in params.items()}
        return values if order is None else [values[name] for name in order]

    def _for(self, dialect: Dialect) -> _Compiled:
        key = f"{dialect.name}+{dialect.driver}"
        found = self._compiled.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=self.column_keys)
            names: dict[str, str] = {}
            processors: dict[str, Callable[[Any], Any]] = {}
            for bind, name in compiled.bind_names.items():
                names[bind.key] = name
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors[bind.key] = process
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            found = self._compiled[key] = (compiled.string, order, names, processors)
        return found
