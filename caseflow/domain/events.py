"""Events: the only source of truth, and their tamper-evident encoding.

An event is immutable once written. Its hash covers every stored field and the
hash of the previous event of the same stream, so editing any byte, removing or
reordering events breaks the chain at a nameable place.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

GENESIS_HASH = "0" * 64
#: the last version a stream may reach, and the most a query may name: the largest INTEGER every database holds
MAX_VERSION = 2**31 - 1
LONDON = ZoneInfo("Europe/London")


def utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (naive values are taken as UTC). One that its offset carries
    past the first or last instant ``datetime`` holds (0001-01-01T00:00+14:00, 9999-12-31T23:59-23:59, as
    anyone may type) is taken as that first or last instant, which compares as it should (before or after
    everything), instead of raising on what a user sent."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year == datetime.min.year else datetime.max).replace(tzinfo=UTC)


def london_date(moment: datetime) -> date:
    """The date in England at ``moment``: what "today" means to a school (in summer, UTC is an hour behind)."""
    return in_england(moment).date()


def in_england(moment: datetime) -> datetime:
    """``moment`` on a clock in England, as a school reads a time (in summer, UTC is an hour behind). The first
    instant there is (``utc``'s for one before it) stays on UTC: England's clock was 75 seconds behind then,
    before the first day ``datetime`` holds."""
    moment = utc(moment)
    try:
        return moment.astimezone(LONDON)
    except OverflowError:
        return moment


def long_date(day: date | str) -> str:
    """A date as a letter to a parent writes it (7 December 2026), from a date or its ISO text."""
    found = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{found.day} {found:%B %Y}"


def long_month(month: date | str) -> str:
    """A month as a letter writes it (September 2026), from a date or its ISO text (2026-09), for a period
    counted in whole months. Named without making a date of it: a period counted back from the first days of
    the calendar reaches a month of the year 0 ("0000-09"), which no ``date`` holds."""
    year, number = (int(month[:4]), int(month[5:7])) if isinstance(month, str) else (month.year, month.month)
    return f"{date(2000, number, 1):%B} {year}"


def long_time(moment: datetime, seconds: bool = False) -> str:
    """An instant as a school reads it, on England's clock, in the words of ``long_date`` (7 December 2026,
    14:05); ``seconds`` where an auditor tells two moments of one minute apart."""
    local = in_england(moment)
    return f"{long_date(local.date())}, {local:%H:%M:%S}" if seconds else f"{long_date(local.date())}, {local:%H:%M}"


def iso(moment: datetime) -> str:
    """One fixed text form for instants, so the hash never depends on a driver:
    ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` of the UTC instant, which is hashed, so it may never change.
    ``isoformat`` writes the same text five times faster (every append hashes two instants), except
    before the year 1000, where glibc's ``strftime`` does not pad the year."""
    moment = utc(moment)
    if moment.year < 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no insignificant whitespace, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event decided by the domain, not yet given its place in the log."""

    event_type: str
    data: Mapping[str, Any]
    actor: str
    role: str
    occurred_at: datetime
    workflow_version: str
    schema_version: int = 1


class StoredEvent(NamedTuple):
    """An event as the log holds it: with version, position, times and hashes.

    A named tuple, not a frozen dataclass: as immutable, and five times cheaper to build, which
    a replay of a long case (one of these per event) feels. Change one with ``_replace``.
    """

    stream_id: str
    stream_type: str
    version: int
    position: int
    event_type: str
    schema_version: int
    data: Mapping[str, Any]
    actor: str
    role: str
    occurred_at: datetime
    recorded_at: datetime
    workflow_version: str
    prev_hash: str
    hash: str
    #: the exact stored JSON text of ``data``; hashed byte for byte
    data_text: str = ""

    def __repr__(self) -> str:
        return f"StoredEvent({self.stream_id!r} v{self.version} {self.event_type} at {self.position})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id,
            "version": self.version,
            "position": self.position,
            "type": self.event_type,
            "schema_version": self.schema_version,
            "data": dict(self.data),
            "actor": self.actor,
            "role": self.role,
            "occurred_at": iso(self.occurred_at),
            "recorded_at": iso(self.recorded_at),
            "workflow_version": self.workflow_version,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def event_hash(
    *,
    prev_hash: str,
    stream_id: str,
    stream_type: str,
    version: int,
    event_type: str,
    schema_version: int,
    data_text: str,
    actor: str,
    role: str,
    occurred_at: datetime,
    recorded_at: datetime,
    workflow_version: str,
) -> str:
    """SHA-256 over a canonical encoding of every stored field of one event."""
    header = canonical_json(
        [
            stream_id,
            stream_type,
            version,
            event_type,
            schema_version,
            actor,
            role,
            iso(occurred_at),
            iso(recorded_at),
            workflow_version,
        ]
    )
    digest = hashlib.sha256()
    for part in (prev_hash, header, data_text):
        encoded = part.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    """Where one stream fails: its first bad version (None: the whole stream is gone) and why."""

    stream_id: str
    version: int | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"stream": self.stream_id, "version": self.version, "reason": self.reason}


#: the broken streams a report names one by one; past it, only how many more
MAX_BREAKS_NAMED = 1000


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of walking one or more hash chains: the first break, and every other stream that
    fails too (``breaks``, the first included), so an auditor sees how far a tampering reached."""

    valid: bool
    checked: int
    first_invalid_stream: str | None = None
    first_invalid_version: int | None = None
    reason: str | None = None
    breaks: tuple[Break, ...] = ()
    #: how many streams fail in all (``breaks`` names at most ``MAX_BREAKS_NAMED``)
    broken_streams: int = 0

    @classmethod
    def of(cls, checked: int, breaks: list[Break], broken_streams: int) -> ChainReport:
        if not breaks:
            return cls(True, checked)
        first = breaks[0]
        return cls(False, checked, first.stream_id, first.version, first.reason, tuple(breaks), broken_streams)

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "checked": self.checked,
            "first_invalid_stream": self.first_invalid_stream,
            "first_invalid_version": self.first_invalid_version,
            "reason": self.reason,
            "broken_streams": self.broken_streams,
            "breaks": [b.as_dict() for b in self.breaks],
        }


def verify_chain(events: Iterable[StoredEvent], stream_id: str) -> ChainReport:
    """Walk one stream's events in version order and name the first bad one."""
    prev = GENESIS_HASH
    expected_version = 0
    iterator = iter(events)
    while True:
        expected_version += 1
        try:
            event = next(iterator)
        except StopIteration:
            return ChainReport(True, expected_version - 1)
        except (ValueError, TypeError, KeyError) as error:
            return ChainReport(False, expected_version, stream_id, expected_version, f"unreadable event: {error}")
        problem = None
        if event.version != expected_version:
            problem = f"expected version {expected_version}, found {event.version}"
        elif event.prev_hash != prev:
            problem = "prev_hash does not match the previous event's hash"
        else:
            recomputed = event_hash(
                prev_hash=event.prev_hash,
                stream_id=event.stream_id,
                stream_type=event.stream_type,
                version=event.version,
                event_type=event.event_type,
                schema_version=event.schema_version,
                data_text=event.data_text,
                actor=event.actor,
                role=event.role,
                occurred_at=event.occurred_at,
                recorded_at=event.recorded_at,
                workflow_version=event.workflow_version,
            )
            if recomputed != event.hash:
                problem = "stored content does not match its hash"
        if problem:
            return ChainReport(False, expected_version, stream_id, expected_version, problem)
        prev = event.hash


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """Turn data written under an old schema version into the current shape.

    Old events are never rewritten: they are upcast each time they are read.
    """

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], tuple[int, Upcaster]] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        def decorator(func: Upcaster) -> Upcaster:
            self._steps[(event_type, from_version)] = (from_version + 1, func)
            return func

        return decorator

    def upcast(self, event_type: str, schema_version: int, data: Mapping[str, Any]) -> tuple[int, Mapping[str, Any]]:
        while (event_type, schema_version) in self._steps:
            schema_version, step = self._steps[(event_type, schema_version)]
            data = step(dict(data))
        return schema_version, data


#: the application's upcasters; register a step when an event's shape changes
UPCASTERS = Upcasters()


def now_utc() -> datetime:
    return datetime.now(UTC)
