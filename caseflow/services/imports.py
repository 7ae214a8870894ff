"""Imports from the school's MIS: every row checked, then all of it written or none of it.

A file is read whole, each row is validated with the same field declarations as
the forms and the API, and the report names the row, the column and the problem.
Only if every row is good are the events appended, in one transaction. Rows that
would change nothing (a re-import of the same file) append nothing.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from caseflow.domain.attendance import AttendanceError, day_in_words, day_problem, parse_mark
from caseflow.domain.dates import import_date_problem, read_day
from caseflow.domain.errors import CaseflowError, GuardFailed, InvalidData
from caseflow.domain.events import NewEvent, london_date, now_utc
from caseflow.domain.exclusions import decided
from caseflow.domain.fields import MAX_MARKS, validate_partly
from caseflow.domain.guards import CaseContext
from caseflow.domain.pupil import Pupil
from caseflow.domain.roles import Actor
from caseflow.domain.school_calendar import SchoolCalendar
from caseflow.domain.upn import UpnError, normalise_upn
from caseflow.domain.wording import counted, label
from caseflow.domain.workflow import Workflow
from caseflow.services.ports import EventStore, ReadModels, StreamWrite
from caseflow.services.streams import PUPIL, load_case, load_pupil

MAX_ERRORS = 200
#: marks, in a pupil's plan, that the file has had a row registering or updating them
ROW_SEEN = ("pupils", "row")
MAX_ROWS = 200_000


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


def _no_pupil(schools: frozenset[str] | None) -> str:
    """A row for a pupil the importer cannot import for: one answer whether the UPN is registered nowhere or at
    another school, so that a school's staff do not learn which children are on another school's roll. Without
    a limit to schools (the command line) every pupil is there to be found, and the answer says what to do."""
    if schools is None:
        return "upn:no pupil with this UPN; import the pupils first"
    return "upn:no pupil with this UPN at a school you may import for"


class ImportRejected(CaseflowError):
    """The file has problems; nothing was imported."""

    status = 422
    title = "Import rejected"

    def __init__(self, errors: list[RowError], total_rows: int, looks_like: str | None = None) -> None:
        more = "" if len(errors) < MAX_ERRORS else f" (showing the first {MAX_ERRORS})"
        rows = len({error.row for error in errors if error.row > 1})  # row 1 is the header
        where = counted(total_rows, "row") if rows in (0, total_rows) else f"{rows:,} of {counted(total_rows, 'row')}"
        super().__init__(f"{counted(len(errors), 'problem')} in {where}{more}; nothing was imported")
        self.errors = errors
        #: the kind of file whose columns these are, when they are another kind's than the one chosen
        self.looks_like = looks_like


@dataclass
class ImportReport:
    kind: str
    rows: int
    events: int
    pupils_changed: int
    unchanged_rows: int
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Plan:
    """What the import will append to one pupil's record."""

    pupil: Pupil
    events: list[NewEvent] = field(default_factory=list)
    #: facts (or attendance marks) already planned from earlier rows of the same file
    seen: list[tuple[Any, Any]] = field(default_factory=list)
    #: (kind, first day) of each suspension or exclusion decided on one of the pupil's cases, once read
    decided_on_cases: frozenset[tuple[str, str]] | None = None


@dataclass(frozen=True, slots=True)
class Kind:
    """How one kind of MIS file maps onto pupil-record actions."""

    name: str
    action: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    #: per-row conversion of CSV text to the action's data (before field validation)
    convert: Callable[[dict[str, str]], dict[str, Any]]
    #: the kind as people name it ("Pupils", "SEND status")
    label: str = ""
    #: columns holding a date, taken as DD/MM/YYYY (as England's MIS export them) or as YYYY-MM-DD
    dates: tuple[str, ...] = ()


def _int_or_text(value: str) -> Any:
    """A whole number written in ASCII digits ("²" is a digit to Python, and no number; 5,000 digits are more
    than ``int`` reads), else the text, which the field then refuses saying what it takes."""
    digits = value.strip().lstrip("-")
    return int(value) if digits.isascii() and digits.isdigit() and len(digits) <= 18 else value


def _pupil_row(row: dict[str, str]) -> dict[str, Any]:
    given = ("upn", "given_name", "family_name", "date_of_birth", "school_urn", "on_roll_from")
    data: dict[str, Any] = {k: row[k] for k in given if row.get(k)}
    if row.get("year_group"):
        data["year_group"] = _int_or_text(row["year_group"])
    return data


def _plain(row: dict[str, str], ints: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: (_int_or_text(v) if k in ints else v) for k, v in row.items() if k != "upn" and v != ""}


def _number_or_text(value: str) -> Any:
    """A number as the MIS writes it ("2", "0.5"); anything else as typed, for the field to refuse."""
    text = value.strip()
    return float(text) if re.fullmatch(r"-?\d{1,6}(\.\d{1,6})?", text) else value


def _suspension_row(row: dict[str, str]) -> dict[str, Any]:
    data = _plain(row)
    if "days" in data:
        data["days"] = _number_or_text(data["days"])
    return data


KINDS: dict[str, Kind] = {
    "attendance": Kind(
        "attendance",
        "record_attendance",
        ("upn", "date", "session", "code"),
        ("upn", "date", "session", "code"),
        dict,
        label="Attendance",
        dates=("date",),
    ),
    "pupils": Kind(
        "pupils",
        "register_pupil",
        ("upn", "given_name", "family_name", "date_of_birth", "school_urn", "year_group", "on_roll_from"),
        ("upn", "given_name", "family_name", "date_of_birth", "school_urn"),
        _pupil_row,
        label="Pupils",
        dates=("date_of_birth", "on_roll_from"),
    ),
    "attainment": Kind(
        "attainment",
        "record_attainment",
        ("upn", "school_year", "term", "subject", "judgement"),
        ("upn", "school_year", "term", "subject", "judgement"),
        lambda row: _plain(row, ("school_year",)),
        label="Attainment",
    ),
    "send": Kind(
        "send",
        "record_send_status",
        ("upn", "status", "primary_need", "since"),
        ("upn", "status", "since"),
        lambda row: _plain(row),
        label="SEND status",
        dates=("since",),
    ),
    "behaviour": Kind(
        "behaviour",
        "record_behaviour_incident",
        ("upn", "date", "category", "severity", "description"),
        ("upn", "date", "category", "severity", "description"),
        lambda row: _plain(row),
        label="Behaviour incidents",
        dates=("date",),
    ),
    "suspensions": Kind(
        "suspensions",
        "record_suspension",
        ("upn", "kind", "start_date", "days", "reason"),
        ("upn", "kind", "start_date"),
        _suspension_row,
        label="Suspensions and permanent exclusions",
        dates=("start_date",),
    ),
}


def _column_errors(kind: Kind, header: list[str]) -> list[RowError]:
    """What is wrong with a header row for this kind of file: each column missing, each unknown."""
    errors = [RowError(1, c, "this column is required but missing from the header") for c in kind.required if c not in header]
    errors += [
        RowError(1, c, f"unknown column; the columns are: {', '.join(kind.columns)}") for c in header if c not in kind.columns
    ]
    return errors


def a_file(kind: Kind) -> str:
    """A kind of file as a sentence names one: "a Pupils file", "an Attendance file"."""
    return f"{'an' if kind.label[:1].lower() in 'aeiou' else 'a'} {kind.label} file"


def looks_like(kind: Kind, header: list[str]) -> Kind | None:
    """The other kind of file a header row is (or nearly is: one column off) that of, if this kind's it is
    not: a pupils file sent as attainment is told as one, not as nine columns wrong."""
    wrong = len(_column_errors(kind, header))
    if not wrong:
        return None
    near = [(len(_column_errors(other, header)), other.name) for other in KINDS.values() if other is not kind]
    fewest, name = min(near)
    return KINDS[name] if fewest <= 1 and fewest < wrong else None


def _header_errors(kind: Kind, header: list[str], rows: list[dict[str, str]]) -> list[RowError]:
    errors = _column_errors(kind, header)
    if not rows and not errors:
        errors.append(RowError(1, "-", "the file has no rows"))
    if len(rows) > MAX_ROWS:
        errors.append(RowError(MAX_ROWS + 2, "-", f"a file may have at most {MAX_ROWS} rows"))
    return errors


def _days(kind: Kind, fields: Mapping[str, Any], row: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The row with each date it holds written as YYYY-MM-DD, as the fields take them, from DD/MM/YYYY (as
    England's MIS export them; never month first) or YYYY-MM-DD; and the problem of each date it cannot
    read, saying which forms are taken (the field's own message would ask for YYYY-MM-DD alone)."""
    read, unread = dict(row), {}
    for column in kind.dates:
        text = row.get(column, "")
        if not text:
            continue
        day = read_day(text)
        if day is None:
            spec = fields.get(column)
            unread[column] = import_date_problem(spec.label if spec else label(column), text)
        else:
            read[column] = day.isoformat()
    return read, unread


def read_csv(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and rows, each row with its number as a spreadsheet shows the file (the header is row 1); a BOM
    and surrounding spaces are ignored. A row with nothing in it (an empty line, or only commas, as a
    spreadsheet leaves after the last row it saved) holds nothing to import: it is passed over, and the rows
    after it keep their numbers."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(reader, start=2):
        values = [cell.strip() for cell in cells]
        if not any(values):
            continue
        values += [""] * (len(header) - len(values))
        rows.append((number, dict(zip(header, values, strict=False))))
        if len(rows) > MAX_ROWS:
            break
    return header, rows


class ImportService:
    def __init__(self, store: EventStore, reads: ReadModels, workflow: Workflow, clock: Callable[[], datetime] = now_utc) -> None:
        self.store = store
        self.reads = reads
        self.workflow = workflow
        self.clock = clock

    def run(
        self,
        kind_name: str,
        text: str,
        actor: Actor,
        schools: frozenset[str] | None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Check every row; write everything or nothing. ``schools``: the schools the actor may import for (None: any)."""
        kind = KINDS.get(kind_name)
        if kind is None:
            raise InvalidData({"kind": [f"unknown kind {kind_name!r}; choose from: {', '.join(sorted(KINDS))}"]})
        header, rows = read_csv(text)
        if (other := looks_like(kind, header)) is not None:
            told = f"these columns are those of {a_file(other)}, not of {a_file(kind)}, whose columns are: " + ", ".join(
                kind.columns
            )
            raise ImportRejected([RowError(1, "-", told)], len(rows), looks_like=other.name)
        errors = _header_errors(kind, header, rows)
        if errors:
            raise ImportRejected(errors, len(rows))
        spec = self.workflow.action(kind.action)
        planned: dict[str, Plan] = {}
        calendars: dict[str, SchoolCalendar] = {}
        unchanged = 0
        now = self.clock()
        for number, row in rows:
            if progress:
                progress(1)
            if len(errors) >= MAX_ERRORS:
                break
            if kind.name == "attendance":
                found: list[RowError] | str = self._attendance_row(number, row, planned, schools, calendars, now)
            else:
                found = self._row(kind, spec.fields, number, row, planned, schools, actor, now)
            if found == "unchanged":
                unchanged += 1
            else:
                errors.extend(found)
        if errors:
            raise ImportRejected(errors, len(rows))
        if kind.name == "attendance":
            unchanged = self._attendance_events(planned, actor, now, calendars)
        writes = [StreamWrite(plan.pupil.id, PUPIL, plan.pupil.version, plan.events) for plan in planned.values() if plan.events]
        stored = self.store.append_batch(writes) if writes else []
        return ImportReport(kind.name, len(rows), len(stored), len(writes), unchanged)

    def _row(
        self,
        kind: Kind,
        fields: Mapping[str, Any],
        number: int,
        row: dict[str, str],
        planned: dict[str, Plan],
        schools: frozenset[str] | None,
        actor: Actor,
        now: datetime,
    ) -> list[RowError] | str:
        """Check one row and plan its event; return its problems (all of them a row shows), or "unchanged"."""
        problems, upn = _upn(number, row)
        row, unread = _days(kind, fields, row)
        values = kind.convert({**row, "upn": upn or ""})
        clean, errors = validate_partly(fields, values)
        errors |= {column: [message] for column, message in unread.items()}
        if errors or upn is None:  # a wrong value, or no pupil known to plan for: only what its good values break
            found = {column: messages for column, messages in errors.items() if not (problems and column == "upn")}
            problems += [RowError(number, column, "; ".join(messages)) for column, messages in found.items()]
            wrong = {**errors, **({"upn": ["wrong"]} if upn is None else {})}
            broken = self._rules_on_values(kind, number, clean, wrong, now)
            return problems + broken + self._school_row(number, clean, schools)
        try:
            problem = self._plan(kind, upn, clean, planned, schools, actor, now)
        except GuardFailed as error:
            return [RowError(number, u.field or "upn", u.message) for u in error.unmet]
        if problem is None or problem == "unchanged":
            return problems or problem or []
        column, message = problem.split(":", 1)
        return [*problems, RowError(number, column, message)]

    def _school_problem(self, urn: str, schools: frozenset[str] | None) -> str | None:
        """A pupil row's school must exist (URNs are public: saying so discloses nothing) and be one the
        importer may import for."""
        if not self.reads.school_exists(urn):
            return "no school with this URN"
        if schools is not None and urn not in schools:
            return "you may not import pupils for this school"
        return None

    def _school_row(self, number: int, clean: dict[str, Any], schools: frozenset[str] | None) -> list[RowError]:
        """For a row whose pupil is not known: its school's problem, if it names one."""
        problem = self._school_problem(clean["school_urn"], schools) if "school_urn" in clean else None
        return [RowError(number, "school_urn", problem)] if problem else []

    def _rules_on_values(
        self, kind: Kind, number: int, clean: dict[str, Any], errors: Mapping[str, Any], now: datetime
    ) -> list[RowError]:
        """The rules a row breaks by its own values alone (a date in the future, a date of birth too long
        ago), for a row that cannot be planned: its other problems are reported with them, all at once."""
        spec = self.workflow.action(kind.action)
        unmet = self.workflow.rules_on_values(Pupil(""), spec, clean, errors, _today(now))
        return [RowError(number, u.field or "", u.message) for u in unmet]

    def _attendance_row(
        self,
        number: int,
        row: dict[str, str],
        planned: dict[str, Plan],
        schools: frozenset[str] | None,
        calendars: dict[str, SchoolCalendar],
        now: datetime,
    ) -> list[RowError]:
        """Every problem of one attendance row, each on its column: a value missing or wrong, a day no session
        could be held on (after today, a weekend, a day the pupil's school was closed), a pupil not known or
        not the importer's; or none, and the mark is held for its pupil."""
        problems, upn = _upn(number, row)
        row, unread = _days(KINDS["attendance"], {}, row)
        told = {column: f"{label(column)} is required" for column in ("date", "session", "code") if not row.get(column)}
        told |= unread
        mark: tuple[date, str, str] | None = None
        try:
            mark = parse_mark(row.get("date", ""), row.get("session", ""), row.get("code", ""))
        except AttendanceError as error:
            told = {**error.problems, **told}
        plan = None
        if upn is not None:
            plan, whose = self._pupil_plan(upn, planned, schools)
            if whose:
                told["upn"] = whose
        if mark is not None:
            calendar = self._calendar(plan.pupil.school_urn, calendars) if plan else SchoolCalendar()
            day = day_problem(mark[0], [mark[2]], london_date(now), calendar)
            if day is not None:
                told["code" if day[0] == "school_closed" else "date"] = day[1]
            elif plan is not None and not told and not problems and (clash := _hold_mark(plan, *mark)):
                told["code"] = clash
        return problems + [RowError(number, column, told[column]) for column in KINDS["attendance"].columns if column in told]

    def _pupil_plan(self, upn: str, planned: dict[str, Plan], schools: frozenset[str] | None) -> tuple[Plan | None, str]:
        """The plan of the pupil a row names, or why there is none the importer may add to."""
        if upn not in planned:
            pupil_id = self.reads.pupil_id_for_upn(upn)
            if pupil_id is None:
                return None, _no_pupil(schools).removeprefix("upn:")
            planned[upn] = Plan(load_pupil(self.store, pupil_id))
        plan = planned[upn]
        if schools is not None and plan.pupil.school_urn not in schools:
            return None, _no_pupil(schools).removeprefix("upn:")
        return plan, ""

    def _calendar(self, school_urn: str | None, calendars: dict[str, SchoolCalendar]) -> SchoolCalendar:
        """A school's term dates, read once an import."""
        if (school_urn or "") not in calendars:
            calendars[school_urn or ""] = self.reads.school_calendar(school_urn or "")
        return calendars[school_urn or ""]

    def _attendance_events(
        self, planned: dict[str, Plan], actor: Actor, now: datetime, calendars: dict[str, SchoolCalendar]
    ) -> int:
        """One event per pupil with the marks that are new or changed; returns how many marks were already recorded."""
        unchanged = 0
        for plan in planned.values():
            calendar = self._calendar(plan.pupil.school_urn, calendars)
            ctx = CaseContext(today=london_date(now), school_calendar=lambda calendar=calendar: calendar)
            marks = dict(plan.seen)
            changed = sorted((k, c) for k, c in marks.items() if plan.pupil.attendance.get(k) != c)
            unchanged += len(marks) - len(changed)
            for start in range(0, len(changed), MAX_MARKS):
                chunk = [{"date": d, "session": s, "code": c} for (d, s), c in changed[start : start + MAX_MARKS]]
                plan.events.append(self.workflow.decide(plan.pupil, "record_attendance", actor, {"marks": chunk}, ctx, now))
        return unchanged

    def _plan(
        self,
        kind: Kind,
        upn: str,
        clean: dict[str, Any],
        planned: dict[str, Plan],
        schools: frozenset[str] | None,
        actor: Actor,
        now: datetime,
    ) -> str | None:
        """Add this row's event to the plan; return "unchanged", None, or "column:problem"."""
        if upn not in planned:
            pupil_id = self.reads.pupil_id_for_upn(upn)
            planned[upn] = Plan(load_pupil(self.store, pupil_id) if pupil_id else Pupil(uuid.uuid4().hex))
        plan = planned[upn]
        pupil, new_events = plan.pupil, plan.events
        if kind.action == "register_pupil":
            if ROW_SEEN in plan.seen:  # the first row for the pupil stands, whatever it changed
                return "upn:this UPN appears twice in the file"
            plan.seen.append(ROW_SEEN)
            if wrong_school := self._school_problem(clean["school_urn"], schools):
                return f"school_urn:{wrong_school}"
            if pupil.version == 0 and not new_events:
                event = self.workflow.decide(Pupil(pupil.id), "register_pupil", actor, clean, _today(now), now)
                new_events.append(event)
                return None
            changes = {k: v for k, v in clean.items() if k not in {"upn", "school_urn"} and _current(pupil, k) != v}
            if clean["school_urn"] != pupil.school_urn:
                return "school_urn:this pupil is registered at another school; record the move there first"
            if not changes:
                return "unchanged"
            new_events.append(self.workflow.decide(pupil, "update_pupil_details", actor, changes, _today(now), now))
            return None
        if pupil.version == 0 and not new_events:
            return _no_pupil(schools)
        if schools is not None and pupil.school_urn not in schools:
            return _no_pupil(schools)
        if kind.action == "record_suspension":
            if (found := self._known_suspension(plan, clean)) is not None:
                return found
            new_events.append(self.workflow.decide(pupil, kind.action, actor, clean, _today(now), now))
            return None
        if (kind.action, clean) in plan.seen or _already_recorded(pupil, kind.action, clean):
            return "unchanged"
        new_events.append(self.workflow.decide(pupil, kind.action, actor, clean, _today(now), now))
        plan.seen.append((kind.action, clean))
        return None

    def _known_suspension(self, plan: Plan, clean: Mapping[str, Any]) -> str | None:
        """A suspension or exclusion is the pupil's, its kind and first day: the same one decided on one of
        their cases (the MIS exports those too), or recorded already as it stands, is unchanged; one recorded
        with other days or reason is recorded again (the MIS corrected it). Twice in one file, it must agree."""
        same = (clean["kind"], clean["start_date"])
        for action, earlier in plan.seen:
            if action == "record_suspension" and (earlier["kind"], earlier["start_date"]) == same:
                if earlier == clean:
                    return "unchanged"
                what = clean["kind"].replace("_", " ")
                return f"start_date:this {what} on {clean['start_date']} is in the file twice, differently"
        plan.seen.append(("record_suspension", dict(clean)))
        if plan.decided_on_cases is None:
            plan.decided_on_cases = self._decided_on_cases(plan.pupil.id)
        if same in plan.decided_on_cases:
            return "unchanged"
        as_recorded = [{k: v for k, v in s.items() if k != "version"} for s in plan.pupil.suspensions]
        return "unchanged" if dict(clean) in as_recorded else None

    def _decided_on_cases(self, pupil_id: str) -> frozenset[tuple[str, str]]:
        kinds = {"suspension": "suspension", "exclusion": "permanent_exclusion"}
        found = set()
        for case_id in self.reads.cases_of_pupil(pupil_id):
            for proposal in decided(load_case(self.store, case_id).proposals()):
                found.add((kinds[proposal["kind"]], proposal["start_date"]))
        return frozenset(found)


def _upn(number: int, row: Mapping[str, str]) -> tuple[list[RowError], str | None]:
    """A row's UPN, as the record writes it, or its problem."""
    if not row.get("upn"):
        return [RowError(number, "upn", "UPN is required")], None
    try:
        return [], normalise_upn(row["upn"])
    except UpnError as error:
        return [RowError(number, "upn", str(error))], None


def _hold_mark(plan: Plan, day: date, session: str, code: str) -> str | None:
    """Hold a mark for its pupil, or say why not: the file gives the session another code already."""
    key = (day.isoformat(), session)
    for seen_key, seen_code in plan.seen:
        if seen_key == key and seen_code != code:
            return f"two different codes for {day_in_words(day)} {session} in this file"
    plan.seen.append((key, code))
    return None


def _today(now: datetime) -> CaseContext:
    """What a pupil's rules need to know from outside the record: the day it is in England."""
    return CaseContext(today=london_date(now))


def _current(pupil: Pupil, key: str) -> Any:
    value = getattr(pupil, key)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _already_recorded(pupil: Pupil, action: str, clean: Mapping[str, Any]) -> bool:
    """Idempotency: the same fact, already on the record (or earlier in this file), is not recorded again."""
    if action == "record_send_status":
        return pupil.send_status is not None and all(pupil.send_status.get(k) == v for k, v in clean.items())
    existing: Iterable[Mapping[str, Any]] = pupil.attainment if action == "record_attainment" else pupil.incidents
    keys = set(clean)
    return any({k: item.get(k) for k in keys} == dict(clean) for item in existing)
