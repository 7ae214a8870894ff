"""Many rows into one table in one statement, the fastest way each backend offers.

PostgreSQL gets ``INSERT ... SELECT FROM unnest(arrays)``: one short statement with one array
per column, however many rows, the arrays sent in binary (psycopg's text form escapes every
value with a regular expression). SQLAlchemy's multi-row ``VALUES`` would send a statement with a
placeholder per value, which psycopg must parse afresh every time (too long to cache): that
parsing was a third of the time a large LA took to write. SQLite gets its driver's own
``executemany`` of one prepared statement (SQLAlchemy's costs some ten microseconds a row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

from caseflow.adapters.database import driver_rows


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], returning: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (each with the same keys); on PostgreSQL, return the ``returning`` columns
    of each, in no promised order (return a key along with what you want, to match them up).
    SQLite cannot promise an order either, and would take a statement per row: there, read the
    rows back instead (``SqlEventStore`` does)."""
    if not rows:
        return []
    names = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in names)
    processors = [table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for name in names]
    if conn.dialect.name != "postgresql":
        if returning:
            raise ValueError("insert_rows returns rows on PostgreSQL only")
        values = [[row[name] for name in names] for row in rows]
        for index, process in enumerate(processors):
            if process is not None:  # dates and instants become text; most columns pass as they are
                for value in values:
                    value[index] = process(value[index])
        sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join('?' * len(names))})"
        return driver_rows(conn, sql, values, many=True)
    arrays: dict[str, list[Any]] = {}
    casts = []
    for index, (name, process) in enumerate(zip(names, processors, strict=True)):
        values = [row[name] for row in rows]
        arrays[f"c{index}"] = [process(v) for v in values] if process else values
        casts.append(f"%(c{index})b::{table.c[name].type.compile(dialect=conn.dialect)}[]")
    sql = f"INSERT INTO {quote(table.name)} ({columns}) SELECT * FROM unnest({', '.join(casts)})"
    if returning:
        sql += f" RETURNING {', '.join(quote(n) for n in returning)}"
    return driver_rows(conn, sql, arrays)
