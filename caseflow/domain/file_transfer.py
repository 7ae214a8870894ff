"""The child protection file when a child leaves for another setting (domain facts, section 6: KCSIE).

The DSL sends the file to the new setting as soon as possible, within 5 school days for an in-year move or
within the first 5 school days of a new term, separately from the main pupil file, in secure transit, and
gets confirmation that it arrived. A case records the move (``prepare_transition``), each sending and each
confirmation; this works out what is still owed and by when, from the case's events on its page and from
the report facts on the due list, so both say the same.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from caseflow.domain.school_calendar import SchoolCalendar, school_year

#: transitions that take the child to another setting (a step-down keeps them here)
MOVES = frozenset({"phase_change", "school_move", "post_16"})
#: the school days KCSIE gives
FILE_SCHOOL_DAYS = 5
#: the states in which a prepared move still stands (a reopened case starts again)
MOVING_STATES = frozenset({"transition", "closed"})


@dataclass(frozen=True, slots=True)
class FileFact:
    """One event that bears on the file: ``transition`` (``detail``: its kind, ``day``: the date the child
    leaves), ``sent`` (``day``: sent on, ``detail``: to which setting) or ``received`` (``ref``: the
    sending's version, ``day``: received on)."""

    kind: str
    version: int
    day: date | None = None
    detail: str | None = None
    ref: int | None = None
    actor: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sending:
    version: int
    sent_on: date
    receiving_setting: str
    actor: str | None
    extra: Mapping[str, Any]
    received: FileFact | None = None


@dataclass(frozen=True, slots=True)
class FileDuty:
    """The file owed for a child leaving for another setting."""

    transition: str
    leaving_on: date
    sendings: list[Sending]
    #: the last day the guidance gives (from the school's own dates; None without them)
    due_by: date | None
    #: the child leaves at the end of a term or in the holidays (the file is due in the new term's first
    #: school days); None: the school has not set its dates for that year
    new_term: bool | None

    @property
    def sent(self) -> bool:
        return bool(self.sendings)

    @property
    def confirmed(self) -> bool:
        return any(s.received is not None for s in self.sendings)

    def overdue(self, today: date) -> bool:
        return not self.sent and self.due_by is not None and today > self.due_by

    def as_dict(self, today: date) -> dict[str, Any]:
        return {
            "transition": self.transition,
            "leaving_on": self.leaving_on.isoformat(),
            "due_by": self.due_by.isoformat() if self.due_by else None,
            "new_term": self.new_term,
            "overdue": self.overdue(today),
            "sent": [
                {
                    "version": s.version,
                    "sent_on": s.sent_on.isoformat(),
                    "receiving_setting": s.receiving_setting,
                    "received_on": s.received.day.isoformat() if s.received and s.received.day else None,
                }
                for s in self.sendings
            ],
            "confirmed": self.confirmed,
        }


def due_by(leaving_on: date, calendar: SchoolCalendar) -> tuple[date | None, bool | None]:
    """The last day for the file, and whether the child starts somewhere new in a new term: 5 school days
    after the day they leave during a term (a weekend or a half term included), or, leaving at a term's
    end or in the holidays, the fifth school day of the next term. None for what the school's dates do
    not reach (whether it is a new term is None only when the school has not set that year)."""
    if school_year(leaving_on) not in calendar.years():
        return None, None
    term = next((t for t in calendar.terms if t.holds(leaving_on)), None)
    following = calendar.school_day(leaving_on, 1)
    if following is None:
        return None, term is None or leaving_on >= term.last_day
    if term is not None and term.holds(following):
        return calendar.school_day(leaving_on, FILE_SCHOOL_DAYS), False
    return calendar.nth_day_of(following, FILE_SCHOOL_DAYS), True


#: the events a case keeps for this, as ``FileFact`` kinds
EVENT_KINDS = {"TransitionPrepared": "transition", "FileTransferSent": "sent", "FileReceiptConfirmed": "received"}


def case_file_facts(facts: Iterable[Any]) -> list[FileFact]:
    """A case's kept facts (``SupportCase.facts``) that bear on the file."""
    found = []
    for fact in facts:
        kind, data = EVENT_KINDS.get(fact.event_type), fact.data
        if kind == "transition":
            found.append(FileFact(kind, fact.version, _day(data.get("date")), data.get("kind"), actor=fact.actor))
        elif kind == "sent":
            extra = {"how": data.get("how"), "note": data.get("note")}
            found.append(FileFact(kind, fact.version, _day(data.get("sent_on")), data.get("receiving_setting"), None,
                                  fact.actor, extra))  # fmt: skip
        elif kind == "received":
            extra = {"confirmed_by": data.get("confirmed_by")}
            found.append(
                FileFact(kind, fact.version, _day(data.get("received_on")), None, data.get("transfer"), fact.actor, extra)
            )
    return found


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def file_duty(facts: Iterable[FileFact], state: str | None, calendar: SchoolCalendar | None = None) -> FileDuty | None:
    """What the latest prepared move owes while the case is at ``state``, or None if it is not moving a
    child to another setting (no move prepared, a step-down, or reopened since)."""
    calendar = calendar or SchoolCalendar()
    transition: FileFact | None = None
    sendings: dict[int, Sending] = {}
    for fact in sorted(facts, key=lambda f: f.version):
        if fact.kind == "transition":
            transition, sendings = fact, {}
        elif fact.kind == "sent" and fact.day is not None:
            sendings[fact.version] = Sending(fact.version, fact.day, fact.detail or "", fact.actor, fact.extra)
        elif fact.kind == "received" and fact.ref in sendings and sendings[fact.ref].received is None:
            old = sendings[fact.ref]
            sendings[fact.ref] = Sending(old.version, old.sent_on, old.receiving_setting, old.actor, old.extra, fact)
    if transition is None or transition.detail not in MOVES or transition.day is None or state not in MOVING_STATES:
        return None
    last_day, new_term = due_by(transition.day, calendar)
    return FileDuty(transition.detail, transition.day, list(sendings.values()), last_day, new_term)


@dataclass(frozen=True, slots=True)
class NamedSetting:
    """The setting a prepared move names, as its transition recorded it: the one the file is owed to."""

    name: str
    #: the transition's version, which a correction names
    version: int
    #: a correction names the transition; what it says is free text, so the name recorded no longer binds the file
    corrected: bool
    #: when the transition happened, by which staff know the entry to correct (they are never shown its version)
    happened_at: datetime | None = None


def named_setting(facts: Iterable[Any]) -> NamedSetting | None:
    """The setting the latest prepared move to another setting names, from a case's kept facts
    (``SupportCase.facts``); None without one, or for a move that named none (before support_journey@5)."""
    move: Any = None
    corrected: set[Any] = set()
    for fact in facts:
        if fact.event_type == "TransitionPrepared":
            move = fact
        elif fact.event_type == "CorrectionRecorded":
            corrected.add(fact.data.get("corrects"))
    name = move.data.get("receiving_setting") if move is not None and move.data.get("kind") in MOVES else None
    if not isinstance(name, str) or not name.strip():
        return None
    return NamedSetting(name.strip(), move.version, move.version in corrected, move.occurred_at)


def same_setting(one: str, other: str) -> bool:
    """Whether two names are one setting as people write it: "Riverside Academy", "riverside  academy." and
    "Riverside-Academy" are; "Riverside Acadmey" is not (a slip sends the file nowhere)."""
    return _setting_key(one) == _setting_key(other)


def _setting_key(name: str) -> str:
    """Letters and digits alone, case folded: spacing, punctuation and case differ between writers, not schools."""
    return "".join(c for c in unicodedata.normalize("NFKC", name).casefold() if c.isalnum())
