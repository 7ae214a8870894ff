"""What the services need from storage, as protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from caseflow.domain.events import Break, ChainReport, NewEvent, StoredEvent
from caseflow.domain.exclusions import OtherSuspension
from caseflow.domain.log_heads import LogHeads
from caseflow.domain.school_calendar import SchoolCalendar


@dataclass(frozen=True, slots=True)
class StreamWrite:
    """Events to append to one stream after the version the writer read."""

    stream_id: str
    stream_type: str
    expected_version: int
    events: Sequence[NewEvent]


#: a stream's snapshot (version, state), if one still matches the log, and the events after it
Tail = tuple[tuple[int, dict[str, Any]] | None, list[StoredEvent]]


class AlsoWrite(Protocol):
    """Another change to commit in the same transaction as an append (an access-log line)."""

    def __call__(self, connection: Any) -> None: ...


class EventStore(Protocol):
    def append(
        self,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
        also: Sequence[AlsoWrite] = (),
    ) -> list[StoredEvent]: ...

    def append_batch(self, writes: Sequence[StreamWrite], progress: Callable[[int], None] | None = None) -> list[StoredEvent]: ...

    def load(self, stream_id: str, upto_version: int | None = None, after_version: int = 0) -> list[StoredEvent]: ...

    def save_snapshot(self, stream_id: str, version: int, last_hash: str, state: Mapping[str, Any]) -> None: ...

    def latest_snapshot(self, stream_id: str) -> tuple[int, dict[str, Any]] | None: ...

    def load_from_snapshot(self, stream_id: str) -> Tail: ...

    def load_tails(self, stream_ids: Sequence[str]) -> dict[str, Tail]: ...

    def current_version(self, stream_id: str) -> int: ...

    def verify(self, stream_id: str | None = None, anchored: LogHeads | None = None) -> ChainReport: ...

    def verify_snapshots(self, stream_id: str | None = None) -> list[Break]: ...

    def heads(self) -> LogHeads: ...


class ReadModels(Protocol):
    def cases_of_pupil(self, pupil_id: str) -> list[str]: ...

    def pupils_taught_by(self, teacher: str) -> list[str]: ...

    def open_cases_of_pupil(self, pupil_id: str) -> list[dict[str, Any]]: ...

    def closed_cases_of_pupil(self, pupil_id: str) -> list[str]: ...

    def recheck_open_cases(self, pupil_id: str, exclude_case: str, check: Callable[[list[dict[str, Any]]], None]) -> AlsoWrite:
        """In the write's own transaction, with the pupil held against other writers: ``check`` the pupil's
        cases not closed, other than ``exclude_case`` (it raises to refuse the write)."""
        ...

    def hold_pupil(self, pupil_id: str) -> AlsoWrite:
        """In the write's own transaction: hold the pupil against other writers until it commits, as the rechecks
        above do, so a write that changes what they read waits for them, or they for it."""
        ...

    def pupils_with_open_cases(self, school_urns: list[str]) -> set[str]: ...

    def other_suspensions(self, pupil_id: str, exclude_case: str | None = None) -> dict[tuple[str, int], OtherSuspension]: ...

    def recheck_other_suspensions(
        self, pupil_id: str, exclude_case: str, check: Callable[[dict[tuple[str, int], OtherSuspension]], None]
    ) -> AlsoWrite:
        """In the write's own transaction, with the pupil held against other writers: ``check`` the
        suspensions decided on the pupil's other cases (it raises to refuse the write)."""
        ...

    def pupil_id_for_upn(self, upn: str) -> str | None: ...

    def school_la(self, school_urn: str) -> str | None: ...

    def school_exists(self, school_urn: str) -> bool: ...

    def school_calendar(self, school_urn: str) -> SchoolCalendar: ...


class AccessLog(Protocol):
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
    ) -> None: ...

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
    ) -> AlsoWrite: ...

    def for_case(self, case_id: str) -> list[dict[str, Any]]: ...

    def for_pupil(self, pupil_id: str, case_ids: Sequence[str] = ()) -> list[dict[str, Any]]: ...
