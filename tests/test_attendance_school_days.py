"""Attendance marks only on sessions that could have been held (pupil_record@6): not after today, not on a
Saturday or Sunday, and, where the school has set its term dates, a mark that counts as a possible session
not on a day it was closed ('#', planned whole-school closure, and the other codes that are no possible
session are taken there). Every bad mark told at once, by its day in words, on the form (which takes days
as every other date box does, 27/3/2026), the API and the MIS import, which tells every problem of every
row and passes over a row left blank."""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.attendance import CODES_2024
from caseflow.domain.errors import GuardFailed, InvalidData
from caseflow.domain.roles import Actor
from caseflow.services.imports import ImportRejected
from caseflow.services.school_calendars import calendar_body
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from workflows import PUPIL_RECORD, REGISTRY, pupil_record

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # a Tuesday in the autumn term
ADMIN = Actor("cli:test", "admin")
UPN = make_upn("881", "3001", 2020, 1)


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def a_pupil(svc: Services) -> str:
    data = {"upn": UPN, "given_name": "Amara", "family_name": "Osei", "date_of_birth": "2016-01-01", "school_urn": SCHOOL}
    return svc.pupils.register(principal(svc, "dsl"), data).id


def mark(day: str, session: str = "AM", code: str = "/") -> dict[str, str]:
    return {"date": day, "session": session, "code": code}


def record(svc: Services, pupil_id: str, *marks: dict[str, str]) -> Any:
    return svc.pupils.act(principal(svc, "dsl"), pupil_id, "record_attendance", svc.pupils.load(pupil_id).version,
                          {"marks": list(marks)})  # fmt: skip


def set_terms(svc: Services) -> None:
    """Autumn from Thursday 3 September 2026, closed on Monday 30 November 2026 (a training day)."""
    dates = {"autumn": (date(2026, 9, 3), date(2026, 12, 18)), "spring": (date(2027, 1, 5), date(2027, 3, 26)),
             "summer": (date(2027, 4, 12), date(2027, 7, 21))}  # fmt: skip
    svc.calendars.set_year(principal(svc, "head"), SCHOOL, 2026, calendar_body(dates, [date(2026, 11, 30)]))


# --- the version ------------------------------------------------------------------------------------
def test_version_5_is_kept_as_released_and_new_records_are_version_6() -> None:
    released = json.loads((Path(__file__).parent / "data" / "pupil_record_v5.json").read_text())
    assert json.loads(json.dumps(REGISTRY["pupil_record@5"])) == released
    assert PUPIL_RECORD == "pupil_record@6" and REGISTRY[PUPIL_RECORD] is pupil_record.DEFINITION
    now = {a["name"]: a for a in pupil_record.DEFINITION["actions"]}
    was = {a["name"]: a for a in released["actions"]}
    assert {name for name in now if now[name] != was[name]} == {"record_attendance", "register_pupil"}
    assert now["record_attendance"]["guards"] == [*was["record_attendance"].get("guards", []), "marks_on_school_days"]
    register, registered = now["register_pupil"], was["register_pupil"]  # and the day a pupil joined the school
    assert register["guards"] == [*registered["guards"], "joined_after_birth"]
    assert register["fields"] == {**registered["fields"], "on_roll_from": pupil_record.ON_ROLL_FROM}
    assert {**register, "guards": [], "fields": {}} == {**registered, "guards": [], "fields": {}}


def test_version_5_still_takes_a_weekend_mark_as_released(svc: Services) -> None:
    from caseflow.domain.guards import CaseContext
    from caseflow.domain.pupil import Pupil
    from caseflow.domain.workflow import Workflow

    pupil: Pupil = svc.pupils.load(a_pupil(svc))
    data = {"marks": [mark("2026-12-06")]}
    event = Workflow(REGISTRY["pupil_record@5"]).decide(pupil, "record_attendance", ADMIN, data,
                                                         CaseContext(today=NOW.date()), NOW)  # fmt: skip
    assert event.workflow_version == "pupil_record@5"
    with pytest.raises(GuardFailed):
        Workflow(REGISTRY["pupil_record@6"]).decide(pupil, "record_attendance", ADMIN, data,
                                                    CaseContext(today=NOW.date()), NOW)  # fmt: skip


# --- the rule, through the service (as the API sends it) ---------------------------------------------
def test_a_weekend_or_a_day_after_today_is_refused_naming_every_day(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    before = svc.store.count()
    with pytest.raises(GuardFailed) as refused:
        record(svc, pupil_id, mark("2026-12-06"), mark("2026-12-31"), mark("2026-12-07"), mark("2026-12-05", "PM", "\\"),
               mark("2026-12-06", "PM", "\\"), mark("2026-12-09"))  # fmt: skip
    assert [(u.code, u.field, u.message) for u in refused.value.unmet] == [
        ("not_a_school_day", "marks", "Saturday 5 December 2026 is not a school day: no session is held on a Saturday."),
        ("not_a_school_day", "marks", "Sunday 6 December 2026 is not a school day: no session is held on a Sunday."),
        ("mark_in_future", "marks", "Wednesday 9 December 2026 is after today: a session is marked once it is held."),
        ("mark_in_future", "marks", "Thursday 31 December 2026 is after today: a session is marked once it is held."),
    ]
    assert svc.store.count() == before


def test_today_and_a_past_weekday_are_taken(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    pupil, _ = record(svc, pupil_id, mark("2026-12-08", "AM", "/"), mark("2026-12-07", "PM", "N"))
    assert pupil.attendance == {("2026-12-07", "PM"): "N", ("2026-12-08", "AM"): "/"}
    assert svc.store.load(pupil_id)[-1].workflow_version == "pupil_record@6"


def test_a_closed_day_takes_only_a_code_that_is_no_possible_session(svc: Services) -> None:
    """The school's own closure (30 November) and a weekday before its autumn term (2 September): a mark that
    counts as attended or missed would move the absence figures for a session never held; '#' (planned
    whole-school closure) and the other codes not counted are how a register shows such a day."""
    set_terms(svc)
    pupil_id = a_pupil(svc)
    with pytest.raises(GuardFailed) as refused:
        record(svc, pupil_id, mark("2026-11-30", "AM", "/"), mark("2026-11-30", "PM", "O"), mark("2026-09-02", "AM", "N"))
    assert [u.message for u in refused.value.unmet] == [
        "The school is closed on Wednesday 2 September 2026, by its term dates: mark it # (planned whole-school closure), not N.",
        "The school is closed on Monday 30 November 2026, by its term dates: mark it # (planned whole-school "
        "closure), not / or O.",
    ]
    pupil, _ = record(svc, pupil_id, mark("2026-11-30", "AM", "#"), mark("2026-11-30", "PM", "#"),
                      mark("2026-09-02", "AM", "Y4"), mark("2026-12-01", "AM", "/"))  # fmt: skip
    assert pupil.attendance[("2026-11-30", "AM")] == "#" and pupil.attendance[("2026-12-01", "AM")] == "/"


def test_bad_marks_and_bad_days_are_told_together(svc: Services) -> None:
    """A mark the field cannot take and a mark on a Sunday in one form: both are told, not one a round."""
    pupil_id = a_pupil(svc)
    with pytest.raises(InvalidData) as refused:
        record(svc, pupil_id, mark("2026-12-07", "XX", "ZZ"), mark("2026-12-06"), mark("2026-12-04", "AM", "H"))
    messages = refused.value.errors["marks"]
    assert any("'XX' is not a session" in m for m in messages)
    assert any("'ZZ' is not an attendance code" in m for m in messages)
    assert any("'H' is not an attendance code" in m for m in messages)
    assert "Sunday 6 December 2026 is not a school day: no session is held on a Sunday." in messages


# --- the form ------------------------------------------------------------------------------------
def signed_in(svc: Services) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    return client


def post_marks(svc: Services, pupil_id: str, lines: str) -> tuple[int, str]:
    response = signed_in(svc).post(f"/pupils/{pupil_id}/actions/record_attendance",
                                   data={"expected_version": str(svc.pupils.load(pupil_id).version), "marks": lines})  # fmt: skip
    return response.status_code, htmllib.unescape(response.get_data(as_text=True))


def test_the_form_takes_days_written_day_first(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    status, _ = post_marks(svc, pupil_id, "7/12/2026 AM /\n07/12/2026 pm \\\n2026-12-04 AM I\n")
    assert status == 302
    assert svc.pupils.load(pupil_id).attendance == {("2026-12-04", "AM"): "I", ("2026-12-07", "AM"): "/",
                                                    ("2026-12-07", "PM"): "\\"}  # fmt: skip


def test_the_form_tells_every_bad_line_and_records_nothing(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    before = svc.store.count()
    status, page = post_marks(svc, pupil_id, "06/12/2026 AM /\n31/12/2026 AM /\n07/12/2026 XX /\n07/12/2026 PM ZZ\n"
                                             "31/02/2026 AM /\nyesterday AM /\n04/12/2026 AM\n")  # fmt: skip
    assert status == 422 and svc.store.count() == before
    for told in (
        "Sunday 6 December 2026 is not a school day",
        "Thursday 31 December 2026 is after today",
        "'XX' is not a session",
        "'ZZ' is not an attendance code",
        "'31/02/2026' is not a real date",
        "'yesterday' is not a date",
        "'04/12/2026 AM' is not a mark",
    ):
        assert told in page, told
    assert "YYYY-MM-DD" not in page


def test_the_forms_hint_gives_a_day_first_example_and_the_codes(svc: Services) -> None:
    pupil_id = a_pupil(svc)
    page = htmllib.unescape(signed_in(svc).get(f"/pupils/{pupil_id}/actions/record_attendance").get_data(as_text=True))
    hint = re.search(r'id="marks-hint"[^>]*>(.*?)</div>', page, re.S)
    assert hint is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", hint.group(1)).split())
    assert "2026-10-05" not in text and "27/3/2026 AM /" in text
    assert all(f" {code}" in f" {text}" for code in CODES_2024), text
    assert "# (planned whole-school closure" in text


# --- the import ------------------------------------------------------------------------------------
def run_import(svc: Services, *rows: str) -> ImportRejected:
    with pytest.raises(ImportRejected) as rejected:
        svc.imports.run("attendance", "upn,date,session,code\n" + "\n".join(rows) + "\n", ADMIN, None)
    return rejected.value


def test_the_import_refuses_weekends_and_days_to_come_naming_each_row(svc: Services) -> None:
    a_pupil(svc)
    before = svc.store.count()
    rejected = run_import(svc, f"{UPN},05/12/2026,AM,/", f"{UPN},12/07/2026,AM,/", f"{UPN},2026-12-31,AM,/",
                          f"{UPN},07/12/2026,AM,/")  # fmt: skip
    assert [str(e) for e in rejected.errors] == [
        "row 2, column date: Saturday 5 December 2026 is not a school day: no session is held on a Saturday.",
        "row 3, column date: Sunday 12 July 2026 is not a school day: no session is held on a Sunday.",
        "row 4, column date: Thursday 31 December 2026 is after today: a session is marked once it is held.",
    ]
    assert svc.store.count() == before


def test_the_import_refuses_a_counted_mark_on_a_day_the_school_was_closed(svc: Services) -> None:
    set_terms(svc)
    a_pupil(svc)
    rejected = run_import(svc, f"{UPN},30/11/2026,AM,/", f"{UPN},30/11/2026,PM,#")
    assert [str(e) for e in rejected.errors] == [
        "row 2, column code: The school is closed on Monday 30 November 2026, by its term dates: mark it # "
        "(planned whole-school closure), not /."
    ]
    report = svc.imports.run("attendance", f"upn,date,session,code\n{UPN},30/11/2026,AM,#\n", ADMIN, None)
    assert report.events == 1


def test_every_problem_of_every_row_in_the_pages_words(svc: Services) -> None:
    a_pupil(svc)
    rejected = run_import(svc, f"{UPN},07/12/2026,XX,ZZ", f"{UPN},,,", f"{UPN},5 Dec 2026,AM,H", ",07/12/2026,AM,/")
    told = [str(e) for e in rejected.errors]
    assert told == [
        "row 2, column session: 'XX' is not a session; use AM or PM",
        "row 2, column code: 'ZZ' is not an attendance code; use one of: " + " ".join(CODES_2024),
        "row 3, column date: Date is required",
        "row 3, column session: Session is required",
        "row 3, column code: Code is required",
        "row 4, column date: Date must be a date written as DD/MM/YYYY or YYYY-MM-DD, for example 27/03/2017 (not '5 Dec 2026')",
        "row 4, column code: 'H' is not an attendance code; use one of: " + " ".join(CODES_2024),
        "row 5, column upn: UPN is required",
    ]
    assert not any("YYYY-MM-DD" in t and "DD/MM/YYYY" not in t for t in told)


def test_a_blank_row_is_passed_over_and_rows_keep_their_numbers(svc: Services) -> None:
    a_pupil(svc)
    rejected = run_import(svc, ",,,", "", f"{UPN},07/12/2026,AM,H", ",,,")
    assert [str(e) for e in rejected.errors] == [
        "row 4, column code: 'H' is not an attendance code; use one of: " + " ".join(CODES_2024)
    ]
    report = svc.imports.run("attendance", f"upn,date,session,code\n,,,\n{UPN},07/12/2026,AM,/\n,,,\n", ADMIN, None)
    assert (report.rows, report.events) == (1, 1)
    only_blank = run_import(svc, ",,,", ",,,")
    assert [str(e) for e in only_blank.errors] == ["row 1, column -: the file has no rows"]
