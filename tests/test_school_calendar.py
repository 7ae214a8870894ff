"""A school's own term dates (domain facts, section 5: per-term thresholds, the governing board's 15 and
50 *school* days, provision from the sixth school day): set by its head, SLT or DSL on a page or through
the API, refused whole when wrong; used to count each suspension in the school's term and to date the
board's deadline and the sixth day on the case page, the due list and the API."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

import caseflow.adapters.school_calendars as adapter
from caseflow import create_app
from caseflow.adapters.database import make_engine
from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.tables import case_report_facts, school_terms, suspension_days
from caseflow.bootstrap import Services
from caseflow.demo import typical_school_year
from caseflow.domain.errors import InvalidData, NotFound, NotPermitted
from caseflow.domain.school_calendar import (
    SchoolCalendar,
    Term,
    parse_dates,
    runs,
    school_term,
    school_year_calendar,
)
from caseflow.services.school_calendars import calendar_body
from tests.conftest import SCHOOL, Clock, Database, _services, access_lines, principal, seed_people
from tests.test_exclusion_safeguards import _act, _case, _decide, _notice, _pupil
from tests.test_web_security import csrf_token, sign_in

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday in the autumn term
TODAY = NOW.date()
DATES = {
    "autumn": (date(2026, 9, 3), date(2026, 12, 18)),
    "spring": (date(2027, 1, 5), date(2027, 4, 1)),  # to the Thursday after Easter Day (28 March 2027)
    "summer": (date(2027, 4, 19), date(2027, 7, 21)),
}
CLOSED = """2026-10-26 to 2026-10-30
2027-02-15 to 2027-02-19
2027-03-26, 2027-03-29
2027-05-03
2027-05-31 to 2027-06-04"""


#: the same as ``set_year`` reads it
BODY = calendar_body(DATES, parse_dates(CLOSED))


def calendar() -> SchoolCalendar:
    return school_year_calendar(2026, DATES, parse_dates(CLOSED))


# --- the rules, without a database ------------------------------------------------------------------
def test_closures_are_days_and_runs_of_weekdays() -> None:
    assert parse_dates("2026-10-26 TO 2026-10-27\n2026-10-28 \u2013 2026-10-29\n2026-10-30 - 2026-10-30") == [
        date(2026, 10, d) for d in range(26, 31)
    ]  # "to" in any case, an en dash or a hyphen between spaces
    days = parse_dates("2026-10-23 to 2026-10-27\n2026-11-02, 2026-11-02")
    assert days == [date(2026, 10, 23), date(2026, 10, 26), date(2026, 10, 27), date(2026, 11, 2)]  # no weekend, no repeat


@given(st.sets(st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 8, 31)).filter(lambda d: d.weekday() < 5), max_size=40))
def test_runs_of_closures_read_back_as_the_same_days(days: set[date]) -> None:
    text = "\n".join(f"{a} to {b}" if a != b else str(a) for a, b in runs(days))
    assert parse_dates(text) == sorted(days)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("23/10/2026", "'23/10/2026' is not a date (YYYY-MM-DD) or a run of dates"),
        ("2026-10-26 - 2026-10", "'2026-10-26 - 2026-10' is not a date (YYYY-MM-DD) or a run"),  # the whole line
        ("2026-02-30", "2026-02-30 is not a real date"),
        ("2026-10-30 to 2026-10-26", "ends before it begins"),
        ("2026-10-26 to 2026-10-27 to 2026-10-28", "is not a date (YYYY-MM-DD) or a run of dates"),
        ("2026-01-01 to 2028-01-01", "longer than a school year"),
    ],
)
def test_bad_closures_are_refused_saying_which(text: str, message: str) -> None:
    with pytest.raises(InvalidData) as refused:
        parse_dates(text)
    assert message in refused.value.errors["closures"][0]


@given(st.text(max_size=80))
def test_any_closures_text_is_dates_or_a_clear_refusal(text: str) -> None:
    try:
        days = parse_dates(text)
    except InvalidData as refused:
        assert set(refused.errors) == {"closures"}
    else:
        assert days == sorted(set(days))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"autumn": (None, date(2026, 12, 18))}, "autumn", "first and last day"),
        ({"spring": (date(2027, 4, 1), date(2027, 1, 5))}, "spring", "last day is before its first"),
        ({"summer": (date(2027, 4, 19), date(2027, 9, 2))}, "summer", "between 1 September 2026 and 31 August 2027"),
        ({"spring": (date(2026, 12, 1), date(2027, 4, 1))}, "spring", "begin after the autumn term ends"),
    ],
)
def test_term_dates_are_checked(change: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidData) as refused:
        school_year_calendar(2026, DATES | change, [])
    assert message in refused.value.errors[field][0]


def test_a_closure_is_a_weekday_inside_a_term() -> None:
    for day in (date(2026, 10, 24), date(2026, 12, 23)):  # a Saturday; the Christmas holidays
        with pytest.raises(InvalidData) as refused:
            school_year_calendar(2026, DATES, [day])
        assert day.isoformat() in refused.value.errors["closures"][0]
    with pytest.raises(InvalidData) as refused:
        school_year_calendar(2026, DATES, [date(2026, 9, 7) + timedelta(days=n) for n in range(0, 100) if n % 7 < 5])
    assert "at most 60" in refused.value.errors["closures"][0]


def test_school_days_skip_weekends_holidays_and_closures() -> None:
    cal = calendar()
    assert cal.school_day(date(2026, 10, 16), 15) == date(2026, 11, 13)  # over the October half term
    assert cal.school_day(date(2026, 12, 11), 15) == date(2027, 1, 18)  # over Christmas, back on Tuesday 5 January
    assert cal.school_day(date(2027, 3, 25), 1) == date(2027, 3, 30)  # Good Friday and Easter Monday closed
    assert cal.school_day(date(2027, 7, 1), 50) is None  # runs into a school year not set
    assert SchoolCalendar().school_day(date(2026, 10, 16), 15) is None  # no dates, no deadline


def test_the_sixth_school_day_of_a_suspension() -> None:
    cal = calendar()
    assert cal.nth_day_of(date(2026, 11, 9), 6) == date(2026, 11, 16)  # Monday to the next Monday
    assert cal.nth_day_of(date(2026, 11, 9), 1) == date(2026, 11, 9)
    assert cal.nth_day_of(date(2027, 3, 26), 6) == date(2027, 4, 21)  # from a closed day: its first is the next open


def test_the_schools_terms_decide_where_computing_would_not() -> None:
    day = date(2027, 3, 30)  # after Easter Day, still in this school's spring term
    assert school_term(day) == Term(2026, "summer")
    assert calendar().term_on(day) == Term(2026, "spring")
    assert calendar().term_on(date(2027, 4, 12)) == Term(2026, "summer")  # a holiday: the next school day's
    assert calendar().term_on(date(2026, 12, 21)) == Term(2026, "spring")  # served from 5 January
    assert calendar().term_on(date(2027, 7, 26)) == Term(2026, "summer")  # the next school year is not set


@given(st.dates(min_value=date(2026, 9, 1), max_value=date(2027, 6, 30)), st.integers(min_value=1, max_value=50))
def test_the_nth_school_day_is_exactly_n_school_days_on(after: date, count: int) -> None:
    cal = calendar()
    found = cal.school_day(after, count)
    if found is None:  # only when the count runs past the year set
        days = [after + timedelta(days=n) for n in range(1, (date(2027, 8, 31) - after).days + 1)]
        assert sum(bool(cal.is_school_day(d)) for d in days) < count
        return
    assert found > after and cal.is_school_day(found)
    between = [after + timedelta(days=n) for n in range(1, (found - after).days + 1)]
    assert sum(bool(cal.is_school_day(d)) for d in between) == count


# --- setting them -------------------------------------------------------------------------------------
@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


@pytest.fixture
def app(svc: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})


def _form(**change: str) -> dict[str, str]:
    fields = {
        f"{name}_{end}": day.isoformat()
        for name, days in DATES.items()
        for end, day in zip(("first_day", "last_day"), days, strict=True)
    }
    return fields | {"closures": CLOSED} | change


def test_the_head_sets_the_dates_on_the_page_and_the_log_says_what_changed(app: Flask, svc: Services) -> None:
    client = app.test_client()
    sign_in(client, "head")
    page = client.get(f"/terms?school_urn={SCHOOL}&year=2026")
    assert page.status_code == 200 and b"No term dates are set for 2026 to 2027" in page.data
    saved = client.post(
        f"/terms?school_urn={SCHOOL}&year=2026",
        data=_form(csrf_token=csrf_token(client, f"/terms?school_urn={SCHOOL}")),
        follow_redirects=True,
    )
    assert saved.status_code == 200 and b"Term dates for 2026 to 2027 saved." in saved.data
    assert b"1 April 2027" in saved.data and b"26 October 2026 to 30 October 2026" in saved.data
    assert b"2026-10-26 to 2026-10-30\n2027-02-15 to 2027-02-19\n2027-03-26 to 2027-03-29\n2027-05-03" in saved.data
    assert svc.calendars.view(principal(svc, "dsl"), SCHOOL) == calendar()
    line = next(a for a in access_lines(svc) if a["action"] == "set_term_dates")
    assert (line["username"], line["role"], line["outcome"]) == ("head", "headteacher", "ok")
    assert "autumn 2026-09-03 to 2026-12-18" in line["detail"] and "18 closure days (was: none set" in line["detail"]


def test_bad_dates_re_render_with_every_message_and_change_nothing(app: Flask, svc: Services) -> None:
    client = app.test_client()
    sign_in(client, "dsl")
    bad = _form(
        csrf_token=csrf_token(client, f"/terms?school_urn={SCHOOL}"),
        spring_first_day="2027-13-01",
        summer_last_day="",
        closures="next friday",
    )
    refused = client.post(f"/terms?school_urn={SCHOOL}&year=2026", data=bad)
    assert refused.status_code == 422
    assert b"spring term&#39;s first day must be a date" in refused.data and b"There is a problem" in refused.data
    assert b"next friday" in refused.data  # what was typed is kept
    assert b"&#39;next friday&#39; is not a date (YYYY-MM-DD) or a run of dates" in refused.data  # every message at once
    overlapping = _form(csrf_token=csrf_token(client, f"/terms?school_urn={SCHOOL}"), spring_first_day="2026-12-01")
    refused = client.post(f"/terms?school_urn={SCHOOL}&year=2026", data=overlapping)
    assert refused.status_code == 422 and b"must begin after the autumn term ends" in refused.data
    assert svc.calendars.view(principal(svc, "dsl"), SCHOOL) == SchoolCalendar()
    assert client.get(f"/terms?school_urn={SCHOOL}&year=20x6").status_code == 400


def test_who_may_see_and_set_them(svc: Services) -> None:
    args = (SCHOOL, 2026, BODY)
    for who in ("senco", "mhl"):
        assert svc.calendars.view(principal(svc, who), SCHOOL) == SchoolCalendar()
        with pytest.raises(NotPermitted):
            svc.calendars.set_year(principal(svc, who), *args)
    for who in ("teacher", "governor"):
        with pytest.raises(NotPermitted):
            svc.calendars.view(principal(svc, who), SCHOOL)
    for who in ("other_dsl", "sw", "auditor"):
        with pytest.raises(NotFound):
            svc.calendars.set_year(principal(svc, who), *args)
    assert svc.calendars.view(principal(svc, "dsl"), SCHOOL) == SchoolCalendar()
    assert [a["outcome"] for a in access_lines(svc) if a["action"] == "set_term_dates"] == ["forbidden", "forbidden"]


def test_the_api_sets_a_year_whole_or_not_at_all(svc: Services) -> None:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test"})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {svc.accounts.issue_token('slt')}"}
    body = {name: {"first_day": a.isoformat(), "last_day": b.isoformat()} for name, (a, b) in DATES.items()}
    bad = client.put(f"/api/v1/schools/{SCHOOL}/terms/2026", json=body | {"closures": ["2026-10-24"]}, headers=headers)
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert "2026-10-24" in bad.get_json()["errors"]["closures"][0]
    for wrong in ({**body, "summer": {"first_day": 20270419}}, {**body, "closures": "2026-10-26"}, {**body, "winter": {}}):
        assert client.put(f"/api/v1/schools/{SCHOOL}/terms/2026", json=wrong, headers=headers).status_code == 422
    assert client.put(f"/api/v1/schools/{SCHOOL}/terms/1999", json=body, headers=headers).status_code == 422
    assert client.get(f"/api/v1/schools/{SCHOOL}/terms", headers=headers).get_json()["years"] == []
    done = client.put(f"/api/v1/schools/{SCHOOL}/terms/2026", json=body | {"closures": CLOSED.splitlines()}, headers=headers)
    assert done.status_code == 200
    year = done.get_json()["years"][0]
    assert (year["school_year"], year["spring"], len(year["closures"])) == (
        2026, {"first_day": "2027-01-05", "last_day": "2027-04-01"}, 18,
    )  # fmt: skip
    assert client.get(f"/api/v1/schools/{SCHOOL}/terms", headers=headers).get_json() == done.get_json()


# --- using them ----------------------------------------------------------------------------------------
def _set(svc: Services) -> None:
    svc.calendars.set_year(principal(svc, "head"), SCHOOL, 2026, BODY)


def test_the_board_deadline_and_the_sixth_day_are_dated_from_the_schools_days(app: Flask, svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 16, start="2026-11-23")  # more than 15 in the term: the board must meet
    _notice(svc, case_id, proposal, "governing_board", on="2026-11-20")
    before = svc.cases.view(principal(svc, "dsl"), case_id).safeguards
    assert (before.decisions[0].board_by, before.decisions[0].sixth_day, before.school_dates) == (None, None, False)
    _set(svc)
    duties = svc.cases.view(principal(svc, "dsl"), case_id).safeguards.decisions[0]
    assert duties.board_told_on == date(2026, 11, 20)
    assert duties.board_by == date(2026, 12, 11)  # 15 school days after Friday 20 November
    assert duties.sixth_day == date(2026, 11, 30)  # from Monday 23 November
    assert not duties.board_overdue(date(2026, 12, 11)) and duties.board_overdue(date(2026, 12, 14))
    client = app.test_client()
    sign_in(client, "head")
    page = client.get(f"/cases/{case_id}").data.decode()
    assert "the board must meet by <strong>11 December 2026</strong>" in page
    assert "The sixth school day away is <strong" in page and "30 November 2026" in page
    assert "Terms are the school's own" in page
    owing = svc.due.due(principal(svc, "dsl"), SCHOOL, date(2026, 12, 14)).decisions
    assert [(o.duties.board_by, o.duties.board_overdue(date(2026, 12, 14))) for o in owing] == [(date(2026, 12, 11), True)]
    due = client.get(f"/due?school_urn={SCHOOL}&as_of=2026-12-14").data.decode()
    assert "within 15 school days of being told: by 11 December 2026" in due and "Overdue" in due
    api = client.get(f"/api/v1/due?school_urn={SCHOOL}&as_of=2026-12-14",
                     headers={"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"})  # fmt: skip
    assert api.get_json()["decisions_owing"][0]["board_meeting_by"] == "2026-12-11"


def test_when_the_parents_ask_the_board_has_50_school_days(svc: Services) -> None:
    _set(svc)
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 6, start="2026-11-23")
    _notice(svc, case_id, proposal, "governing_board", on="2026-11-20")
    _act(svc, "head", case_id, "record_review_request", {"proposal": proposal, "requested_on": "2026-11-20"})
    duties = svc.cases.view(principal(svc, "dsl"), case_id).safeguards.decisions[0]
    assert (duties.duty.code, duties.board_review_owed) == ("if_parents_ask", True)
    # 20 school days left in the autumn term after 20 November, then 30 from Tuesday 5 January
    assert duties.board_by == date(2027, 2, 22)  # over the February half term


def test_a_suspension_counts_in_the_schools_term(svc: Services) -> None:
    pupil_id = _pupil(svc)
    first = _case(svc, pupil_id)
    _decide(svc, first, 10, start="2027-03-01")
    second = _case(svc, pupil_id)
    after_easter = _decide(svc, second, 6, start="2027-03-30")  # after Easter Day: summer, as computed
    computed = svc.cases.view(principal(svc, "dsl"), second).safeguards.decisions[0]
    assert (computed.term, computed.term_days, computed.duty.code) == (Term(2026, "summer"), 6, "if_parents_ask")
    _set(svc)
    own = svc.cases.view(principal(svc, "dsl"), second).safeguards.decisions[0]
    assert (own.proposal, own.term, own.term_days, own.duty.code) == (after_easter, Term(2026, "spring"), 16, "must_consider")
    owing = {o.duties.proposal: o.duties for o in svc.due.due(principal(svc, "dsl"), SCHOOL, TODAY).decisions}
    assert (owing[after_easter].term_days, owing[after_easter].duty.code) == (16, "must_consider")  # as the case page


def test_an_upgraded_database_gets_the_start_dates_and_the_days_told(database: Database, svc: Services) -> None:
    """Migration 0013 fills, for what was recorded before it, each suspension's first day and the day each
    recipient was told, as the projections write them."""
    case_id = _case(svc, _pupil(svc))
    proposal = _decide(svc, case_id, 2, start="2026-11-23")
    _notice(svc, case_id, proposal, "governing_board", on="2026-11-20")
    _set(svc)
    svc.close()

    def held() -> list[Any]:
        engine = make_engine(database.owner_url, app_role=False)
        with engine.connect() as conn:
            starts = list(conn.execute(select(suspension_days.c.start_date)).scalars())
            told = conn.execute(select(case_report_facts.c.decided_on).where(case_report_facts.c.kind == "noticed"))
            found = [starts, list(told.scalars())]
        engine.dispose()
        return found

    projected = held()
    assert projected == [[date(2026, 11, 23)], [date(2026, 11, 20)]]
    downgrade(database.owner_url, "0012")
    upgrade(database.owner_url)
    assert held() == projected
    engine = make_engine(database.owner_url, app_role=False)
    with engine.connect() as conn:  # the school's dates were dropped with their tables and are not rebuilt
        assert conn.execute(select(school_terms)).fetchall() == []
    engine.dispose()


def test_the_demo_schools_dates_are_a_valid_school_year_every_year() -> None:
    for year in range(2020, 2060):
        dates, closures = typical_school_year(year)
        found = school_year_calendar(year, dates, closures)
        assert found.years() == {year} and len(found.closures) >= 12, year


# --- from a review of the first version -----------------------------------------------------------------
def test_a_suspension_from_the_christmas_holidays_counts_in_spring(svc: Services) -> None:
    """Decided before the school set its dates (since support_journey@5 a holiday start is refused once they are)."""
    pupil = _pupil(svc)
    _decide(svc, _case(svc, pupil), 10, start="2027-01-11")
    second = _case(svc, pupil)
    _decide(svc, second, 6, start="2026-12-21")  # every day of it served from 5 January
    _set(svc)
    duties = svc.cases.view(principal(svc, "dsl"), second).safeguards.decisions[0]
    assert (duties.term, duties.term_days, duties.duty.code) == (Term(2026, "spring"), 16, "must_consider")
    assert duties.sixth_day == date(2027, 1, 12)


def _api(svc: Services, who: str) -> tuple[Any, dict[str, str]]:
    client = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test"}).test_client()
    return client, {"Authorization": f"Bearer {svc.accounts.issue_token(who)}"}


def test_another_school_is_not_found_whatever_is_sent_and_refusals_are_logged(svc: Services) -> None:
    client, headers = _api(svc, "other_dsl")
    for body in (BODY | {"closures": ["junk"]}, BODY | {"autumn": {"first_day": "x"}}, BODY | {"winter": {}}, [1]):
        assert client.put(f"/api/v1/schools/{SCHOOL}/terms/2026", json=body, headers=headers).status_code == 404
    client, headers = _api(svc, "slt")
    refused = client.put(f"/api/v1/schools/{SCHOOL}/terms/20x6", json=BODY | {"closures": ["junk"]}, headers=headers)
    assert refused.status_code == 422 and set(refused.get_json()["errors"]) == {"year", "closures"}  # all at once
    assert [a["outcome"] for a in access_lines(svc) if a["action"] == "set_term_dates"] == ["refused"]


def test_closures_sent_are_never_cut_short(svc: Services) -> None:
    client, headers = _api(svc, "slt")
    sent = client.put(f"/api/v1/schools/{SCHOOL}/terms/2026", json=BODY | {"closures": [" " * 20000, "2026-10-26"]},
                      headers=headers)  # fmt: skip
    assert sent.status_code == 422 and "longer than 20,000 characters" in sent.get_json()["errors"]["closures"][0]
    assert svc.calendars.view(principal(svc, "slt"), SCHOOL) == SchoolCalendar()


def test_two_saves_of_one_year_at_once_take_turns(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each save reads what was there, then waits a moment for the other to read too: without the lock on
    the school, both then delete and insert, and the second insert breaks the primary key."""
    both = threading.Barrier(2, timeout=1)
    real = adapter.read_calendars

    def read_then_wait(conn: Any, urns: Any) -> Any:
        found = real(conn, urns)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other is held at the lock: go on
            both.wait()
        return found

    monkeypatch.setattr(adapter, "read_calendars", read_then_wait)
    errors: list[BaseException] = []

    def save(who: str) -> None:
        try:
            svc.calendars.set_year(principal(svc, who), SCHOOL, 2026, BODY)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=save, args=(who,)) for who in ("head", "dsl")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    monkeypatch.undo()
    assert svc.calendars.view(principal(svc, "dsl"), SCHOOL) == calendar()


def test_every_message_at_once(svc: Services) -> None:
    """From a new user's walk: a closure written wrongly hid the terms out of order."""
    body = BODY | {"spring": {"first_day": "2026-12-01", "last_day": "2027-04-01"}, "closures": "2026-10-26 - 2026-10"}
    with pytest.raises(InvalidData) as refused:
        svc.calendars.set_year(principal(svc, "head"), SCHOOL, 2026, body)
    assert set(refused.value.errors) == {"spring", "closures"}
    assert "is not a date (YYYY-MM-DD)" in refused.value.errors["closures"][0]
