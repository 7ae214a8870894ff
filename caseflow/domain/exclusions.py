"""What the suspension and exclusion guidance asks after a head decides (domain facts, section 5).

The head must tell the parents, the pupil's social worker, the Virtual School Head (for a looked-after
child), the governing board and the local authority without delay; the governing board's duty to consider
reinstatement depends on the kind of decision and on the pupil's suspension days in the term. A DSL needs
these as running counters and as a list of what is still owed, so a head cannot lose track of a notice or
a board meeting for a child whose education is a protective factor.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from caseflow.domain.events import long_date
from caseflow.domain.pupil import Episode
from caseflow.domain.school_calendar import SchoolCalendar, Term, school_year
from caseflow.domain.wording import day_count

SUSPENSION_DAYS_LIMIT = 45
#: warn from this many days so the head sees the limit coming
SUSPENSION_DAYS_WARNING = 35
#: more than this many days in a term: if the parents ask, the board must consider reinstatement
TERM_DAYS_PARENTS_MAY_ASK = 5
#: more than this many days in a term: the board must consider reinstatement
TERM_DAYS_BOARD_MUST_MEET = 15

#: everyone the guidance says is told of a suspension or exclusion, in the order the page lists them
RECIPIENTS = {
    "parents": "the parents",
    "social_worker": "the social worker",
    "virtual_school": "the Virtual School Head",
    "governing_board": "the governing board",
    "local_authority": "the local authority",
}
BOARD_OUTCOMES = ("reinstate", "uphold", "representations_considered")


def term_of(start_date: str, calendar: SchoolCalendar | None = None) -> Term:
    """The term a suspension beginning on ``start_date`` counts in: the school's, where it set its dates."""
    return (calendar or SchoolCalendar()).term_on(date.fromisoformat(start_date))


@dataclass(frozen=True, slots=True)
class BoardDuty:
    """The governing board's duty after a decision: ``must_consider`` (within 15 school days),
    ``if_parents_ask`` (within 50 school days, once they ask) or ``representations`` (it cannot direct
    reinstatement)."""

    code: str
    text: str

    @property
    def may_reinstate(self) -> bool:
        return self.code != "representations"


def board_duty(kind: str, term_days: float, misses_exam: bool = False) -> BoardDuty:
    """The duty for a permanent exclusion, or a suspension bringing the pupil's term to ``term_days``
    (or making them miss a public exam or national test)."""
    within_15 = "the governing board must consider reinstatement within 15 school days of being told of it"
    if kind == "exclusion":
        return BoardDuty("must_consider", f"A permanent exclusion: {within_15}.")
    if term_days > TERM_DAYS_BOARD_MUST_MEET:
        return BoardDuty(
            "must_consider",
            f"This brings the pupil's suspensions this term to {day_count(term_days)}, more than "
            f"{TERM_DAYS_BOARD_MUST_MEET}: {within_15}.",
        )
    if misses_exam:
        return BoardDuty(
            "must_consider", f"The pupil would miss a public exam or national test: {within_15}, before the exam where it can."
        )
    if term_days > TERM_DAYS_PARENTS_MAY_ASK:
        return BoardDuty(
            "if_parents_ask",
            f"This brings the pupil's suspensions this term to {day_count(term_days)}: if the parents ask, the "
            "governing board must consider reinstatement within 50 school days of being told of it.",
        )
    return BoardDuty(
        "representations",
        f"{day_count(term_days)} this term: the governing board must consider the parents' representations, "
        "but cannot direct reinstatement.",
    )


def provision(kind: str, days: float) -> str:
    """Who provides education while the pupil is away (the guidance's days 1-5 and from day 6)."""
    first_five = "The school sets and marks work for the first five school days; from the sixth, "
    if kind == "exclusion":
        return first_five + "the local authority arranges suitable full-time education."
    if days > 5:
        return first_five + "the school or its governing board arranges suitable full-time education."
    return "The school sets and marks work while the pupil is away."


def required_recipients(has_social_worker: bool, looked_after: bool) -> list[str]:
    """Who must be told of every suspension or exclusion: the social worker if the pupil has one, the
    Virtual School Head if the child is looked after, and always the parents, the board and the LA."""
    wanted = {"social_worker": has_social_worker, "virtual_school": looked_after}
    return [r for r in RECIPIENTS if wanted.get(r, True)]


class CareSpell(NamedTuple):
    """A care status as recorded: what it is, and from when it holds (None: not known, taken as always)."""

    status: str
    since: date | None


def care_spell(recorded: Mapping[str, Any]) -> CareSpell:
    """A recorded care status's data (``CareStatusRecorded``) as a spell."""
    since = recorded.get("since")
    return CareSpell(recorded["status"], date.fromisoformat(since) if since else None)


@dataclass(frozen=True, slots=True)
class Child:
    """Who stands around the child on a given day, for the notices a decision that day owes."""

    episodes: Sequence[Episode] = ()
    #: every care status recorded, in the order recorded
    care: Sequence[CareSpell] = ()

    def care_status_on(self, day: date) -> str | None:
        """The status begun latest by ``day`` (of two begun the same day, the one recorded later: a
        correction); a child adopted since a decision was looked after on the day of it."""
        begun = [
            (spell.since or date.min, order, spell.status)
            for order, spell in enumerate(self.care)
            if (spell.since or date.min) <= day
        ]
        return max(begun)[2] if begun else None

    def looked_after_on(self, day: date) -> bool:
        return self.care_status_on(day) == "looked_after"

    def owed_notice_on(self, day: date) -> list[str]:
        """A looked-after child always has a social worker, as a child on a CiN or CP plan does."""
        looked_after = self.looked_after_on(day)
        return required_recipients(looked_after or any(e.running_on(day) for e in self.episodes), looked_after)


class OtherSuspension(NamedTuple):
    """A suspension decided for the pupil on another of their cases, or recorded in the school's MIS."""

    start_date: date
    days: float
    decided_at: datetime
    #: recorded in the school's MIS (imported, or entered on the pupil's record), not decided on a case
    from_mis: bool = False


class DaysAway(NamedTuple):
    """The first and last school day a suspension keeps the pupil away."""

    first: date
    last: date

    def overlaps(self, other: DaysAway) -> bool:
        return self.first <= other.last and other.first <= self.last

    def text(self) -> str:
        if self.first == self.last:
            return f"on {long_date(self.first)}"
        return f"from {long_date(self.first)} to {long_date(self.last)}"


def days_away(start: date, days: float, calendar: SchoolCalendar) -> DaysAway | None:
    """The school days a suspension of ``days`` from ``start`` takes (None if it takes none: cancelled
    before it began), from its first school day. A part day takes its day, so two lunchtime suspensions
    on one day overlap. A school day is one by the school's term dates, and a weekday in a year whose
    dates it has not set (a suspension late in July runs on into September)."""
    count = math.ceil(days)
    if count <= 0:
        return None
    first, found, day = None, 0, start
    while True:
        known = calendar.is_school_day(day)
        if known if known is not None else day.weekday() < 5:
            first, found = first or day, found + 1
            if found == count:
                return DaysAway(first, day)
        if day == date.max:  # a year mistyped as 9999, which another rule refuses
            return DaysAway(first or start, day)
        day += timedelta(days=1)


def same_suspension(start: date, days: float, other_start: date, other_days: float) -> bool:
    """Whether a suspension the school's MIS recorded and one a head decided on a case are one suspension: the
    same pupil's on the same first day, or over some of the same days (the MIS counting from the day after the
    decision's first day, say). A pupil is not suspended twice on one day (the overlap rule refuses it on a
    case), so a second record over the same days is the same suspension, not another to count beside it.

    The days are counted over weekdays, not the school's term dates: a projection's rows must be what a rebuild
    of the log writes later, whatever dates the school sets or changes in between."""
    if start == other_start:
        return True
    weekdays = SchoolCalendar()
    taken, other = days_away(start, days, weekdays), days_away(other_start, other_days, weekdays)
    return taken is not None and other is not None and taken.overlaps(other)


def mis_suspension_rows(pupil_id: str, timeline: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The rows of ``suspension_days`` the school's MIS's records of a pupil's suspensions count as, from the
    pupil's records and the heads' decisions to suspend them on their cases, in the log's order: each
    ``("recorded", start, days, version, recorded_at)`` or ``("decided", start, days, None, recorded_at)``.

    A record counts from when it was first recorded, and a later record of its first day corrects its days as
    from then (as a correction does wherever it is read). A record whose days, as last corrected, overlap a
    suspension decided on a case (``same_suspension``) is that suspension, counted once: the decision counts from
    when it was made and the record none from then (``cancelled_at``); one first recorded after such a decision
    never counts (no row). So a correction onto a decision's days counts them once, as at every day, and one that
    takes a record off them counts it as never taken. Inline, a rebuild and the migrations all write these rows,
    whatever order they meet the events in."""
    first: dict[date, tuple[int, int, Any]] = {}  # each first day's first record: its place, version and time
    latest: dict[date, float] = {}  # its days as last corrected
    decided: list[tuple[int, date, float, Any]] = []
    for place, (kind, start, days, version, at) in enumerate(timeline):
        if kind == "decided":
            decided.append((place, start, days, at))
        else:
            first.setdefault(start, (place, version, at))
            latest[start] = days
    rows = []
    for start, (place, version, at) in first.items():
        days = latest[start]
        over = [(when, made) for when, other, other_days, made in decided if same_suspension(start, days, other, other_days)]
        if any(when < place for when, _ in over):
            continue  # decided on a case before it was recorded: that decision counts
        term = term_of(start.isoformat())
        rows.append(
            {
                "pupil_id": pupil_id,
                "case_id": pupil_id,
                "school_year": term.school_year,
                "term": term.name,
                "start_date": start,
                "days": 0.0 if over else days,
                "decided_version": version,
                "decided_at": at,
                "decided_days": days,
                "source": "mis",
                "cancelled_at": min(over, key=lambda taken: taken[0])[1] if over else None,
            }
        )
    return rows


def by_school_year(others: Iterable[OtherSuspension]) -> dict[int, float]:
    """Days of other cases' suspensions per school year."""
    years: dict[int, float] = {}
    for other in others:
        year = school_year(other.start_date)
        years[year] = years.get(year, 0.0) + other.days
    return years


#: school days the governing board has to consider reinstatement, by its duty (from being told)
BOARD_SCHOOL_DAYS = {"must_consider": 15, "if_parents_ask": 50}


@dataclass(frozen=True, slots=True)
class DecisionDuties:
    """One decided suspension or exclusion and what is owed after it."""

    proposal: int
    decision_version: int
    kind: str
    days: float | None
    start_date: str
    decided_on: date
    term: Term
    #: the pupil's days in that term once this decision was made
    term_days: float
    duty: BoardDuty
    provision: str
    notices: Mapping[str, list[dict[str, Any]]]
    missing: list[str]
    requests: list[dict[str, Any]]
    board_reviews: list[dict[str, Any]]
    #: the head's cancellation (the pupil is back: no reinstatement to consider, but the notices stand)
    cancelled: Mapping[str, Any] | None = None
    #: the day the governing board was first told of it, from which its school days run
    board_told_on: date | None = None
    #: the last day the board may meet, where it owes a meeting, was told, and the school set its dates
    board_by: date | None = None
    #: the sixth school day away, from which full-time education is due (from the school's dates)
    sixth_day: date | None = None

    def board_overdue(self, today: date) -> bool:
        return self.board_review_owed and self.board_by is not None and today > self.board_by

    @property
    def board_review_owed(self) -> bool:
        asked = self.duty.code == "if_parents_ask" and bool(self.requests)
        return (self.duty.code == "must_consider" or asked) and not self.board_reviews and self.cancelled is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "decision_version": self.decision_version,
            "kind": self.kind,
            "days": self.days,
            "start_date": self.start_date,
            "decided_on": self.decided_on.isoformat(),
            "term": self.term.label,
            "term_days": self.term_days,
            "board_duty": self.duty.code,
            "board_duty_text": self.duty.text,
            "provision": self.provision,
            "notices": {k: list(v) for k, v in self.notices.items()},
            "notices_missing": list(self.missing),
            "review_requests": list(self.requests),
            "board_reviews": list(self.board_reviews),
            "board_review_owed": self.board_review_owed,
            "cancelled": dict(self.cancelled) if self.cancelled else None,
            "board_told_on": self.board_told_on.isoformat() if self.board_told_on else None,
            "board_meeting_by": self.board_by.isoformat() if self.board_by else None,
            "sixth_school_day": self.sixth_day.isoformat() if self.sixth_day else None,
        }


@dataclass(frozen=True, slots=True)
class Safeguards:
    """The pupil's suspension counters now, and each decision's duties, for one case."""

    term: Term
    term_days: float
    year_days: float
    decisions: list[DecisionDuties] = field(default_factory=list)
    #: the school has set its own dates for this school year (else terms are computed, no deadline dated)
    school_dates: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "term": self.term.label,
            "term_days": self.term_days,
            "school_year_days": self.year_days,
            "school_year_limit": SUSPENSION_DAYS_LIMIT,
            "decisions": [d.as_dict() for d in self.decisions],
            "school_term_dates": self.school_dates,
        }


def days_counted(proposal: Mapping[str, Any]) -> float:
    """A decided suspension's days towards the limits: those served, if it was cancelled."""
    cancelled = proposal.get("cancelled")
    return float(cancelled["days_served"] if cancelled else proposal["days"])


def decided(proposals: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The proposals a head decided to carry out (a withdrawn proposal owes nothing), in the order
    they were decided."""
    found = [p for p in proposals if p["decision"] and p["decision"]["decision"] in ("suspend", "exclude")]
    return sorted(found, key=lambda p: p["decision"]["version"])


def safeguards(
    proposals: Sequence[Mapping[str, Any]],
    others: Iterable[OtherSuspension],
    child: Child,
    today: date,
    calendar: SchoolCalendar | None = None,
) -> Safeguards:
    """Counters and duties from one case's proposals (as ``SupportCase.proposals`` gives them), with the
    pupil's suspensions on their other cases, in the terms of the school's ``calendar``.

    A decision's term total is what the pupil had in that term once it was made: this case's earlier
    decisions and the other cases' decided by then. Who is owed a notice is judged on the decision's day.
    Deadlines are dated only from the school's own dates: without them a school day is not known."""
    calendar = calendar or SchoolCalendar()
    others = [(calendar.term_on(o.start_date), o) for o in others]
    own: dict[Term, float] = {}
    duties = []
    for p in decided(proposals):
        decision = p["decision"]
        term, at = term_of(p["start_date"], calendar), datetime.fromisoformat(decision["recorded_at"])
        days = float(p["days"]) if p["kind"] == "suspension" else None
        own[term] = own.get(term, 0.0) + (days_counted(p) if days is not None else 0)
        term_days = own[term] + sum(o.days for t, o in others if t == term and o.decided_at <= at)
        decided_on = date.fromisoformat(decision["decided_on"])
        notices = {r: [n for n in p["notices"] if n["recipient"] == r] for r in RECIPIENTS}
        duty = board_duty(p["kind"], term_days, bool(decision.get("misses_public_exam")))
        told = [date.fromisoformat(n["notified_on"]) for n in notices["governing_board"] if n.get("notified_on")]
        board_told_on = min(told) if told else None
        within = BOARD_SCHOOL_DAYS.get(duty.code)
        away = days is None or days > 5
        duties.append(
            DecisionDuties(
                proposal=p["id"],
                decision_version=decision["version"],
                kind=p["kind"],
                days=days,
                start_date=p["start_date"],
                decided_on=decided_on,
                term=term,
                term_days=term_days,
                duty=duty,
                provision=provision(p["kind"], days or 0),
                notices=notices,
                missing=[r for r in child.owed_notice_on(decided_on) if not notices[r]],
                requests=list(p["review_requests"]),
                board_reviews=list(p["board_reviews"]),
                cancelled=p.get("cancelled"),
                board_told_on=board_told_on,
                board_by=calendar.school_day(board_told_on, within) if board_told_on and within else None,
                sixth_day=calendar.nth_day_of(date.fromisoformat(p["start_date"]), 6) if away else None,
            )
        )
    now = calendar.term_on(today)
    mine = [(term_of(p["start_date"], calendar), days_counted(p)) for p in decided(proposals) if p["kind"] == "suspension"]
    every = mine + [(t, o.days) for t, o in others]
    term_days = sum(days for term, days in every if term == now)
    year_days = sum(days for term, days in every if term.school_year == now.school_year)
    return Safeguards(now, term_days, year_days, sorted(duties, key=lambda d: d.proposal), now.school_year in calendar.years())


def owed_warnings(found: Safeguards) -> list[str]:
    """What is still owed, in words a head acts on."""
    lines = []
    for d in found.decisions:
        what = f"The {d.kind} from {long_date(d.start_date)}, decided on {long_date(d.decided_on)}"
        if d.missing:
            owed = _listed([RECIPIENTS[r] for r in d.missing])
            lines.append(f"{what}: no notice recorded yet to {owed}. They must be told without delay.")
        if d.board_review_owed:
            asked = " The parents asked for it." if d.requests else ""
            by = f" It must meet by {long_date(d.board_by)}." if d.board_by else ""
            lines.append(f"{what}: {d.duty.text}{asked} No meeting is recorded yet.{by}")
    return lines


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
