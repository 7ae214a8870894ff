"""The access log: who viewed or attempted what on which case, when, in which role."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select

from caseflow.adapters.database import DriverStatement, read_transaction, write_transaction
from caseflow.adapters.tables import access_log
from caseflow.domain.events import now_utc


def _single_line(text: str | None, limit: int = 500) -> str | None:
    """Log lines must not be forgeable: control characters become spaces."""
    if text is None:
        return None
    return "".join(c if c.isprintable() else " " for c in text)[:limit]


#: built once, run on the driver: every action writes a line
_WRITE_LINE = DriverStatement(  # inline: no RETURNING of the new id, which nothing reads
    insert(access_log).inline(), column_keys=["at", "username", "role", "case_id", "pupil_id", "action", "outcome", "detail"]
)


class SqlAccessLog:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = now_utc) -> None:
        self.engine = engine
        self.clock = clock

    def record(
        self,
        *,
        username: str,
        role: str | None,
        action: str,
        outcome: str,
        case_id: str | None = None,
        pupil_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        line = self.entry(
            username=username, role=role, action=action, outcome=outcome, case_id=case_id, pupil_id=pupil_id, detail=detail
        )
        with write_transaction(self.engine) as conn:
            line(conn)

    def entry(
        self,
        *,
        username: str,
        role: str | None,
        action: str,
        outcome: str,
        case_id: str | None = None,
        pupil_id: str | None = None,
        detail: str | None = None,
    ) -> Callable[[Connection], None]:
        """The line, to write in another transaction: a successful action's line commits with its event."""
        values = {
            "at": self.clock(),
            "username": _single_line(username, 64),
            "role": role,
            "case_id": case_id,
            "pupil_id": pupil_id,
            "action": _single_line(action, 64),
            "outcome": outcome,
            "detail": _single_line(detail),
        }
        return lambda conn: _WRITE_LINE.run_many(conn, [values])

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        query = select(access_log).where(access_log.c.case_id == case_id).order_by(access_log.c.id)
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def for_pupil(self, pupil_id: str, case_ids: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every line about the pupil: their record, and each of ``case_ids`` (their cases: a refused look
        at a case names the case, never the pupil, whom the refused may not learn of)."""
        about = access_log.c.pupil_id == pupil_id
        if case_ids:
            about = or_(about, access_log.c.case_id.in_(list(case_ids)))
        query = select(access_log).where(about).order_by(access_log.c.id)
        with read_transaction(self.engine) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]
