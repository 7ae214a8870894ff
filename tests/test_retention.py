"""Retention: a child's records come up for review at their date of birth plus 25 years (the IRMS
period for child-protection files); auditors see who is due, on the page, and from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.cli import main
from caseflow.demo import make_upn
from caseflow.domain.errors import InvalidData, NotPermitted
from caseflow.domain.retention import review_date
from tests.conftest import OTHER_SCHOOL, SCHOOL, Database, access_lines, principal
from tests.test_web_security import sign_in
from workflows.retention import CHILD_PROTECTION_FILE

AS_OF = date(2026, 12, 3)


def test_child_protection_files_are_reviewed_twenty_five_years_from_birth() -> None:
    assert CHILD_PROTECTION_FILE["years_from_birth"] == 25 and CHILD_PROTECTION_FILE["then"] == "review"
    assert review_date(date(2001, 6, 1), 25) == date(2026, 6, 1)
    assert review_date(date(2004, 2, 29), 25) == date(2029, 3, 1)  # no 29 February in 2029: the law's 1 March
    assert review_date(date(2003, 2, 28), 25) == date(2028, 2, 28)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2070, 12, 31)), st.integers(min_value=1, max_value=40))
def test_the_review_date_is_the_birthday_that_many_years_on_or_1_march_for_a_missing_29_february(born: date, years: int) -> None:
    due = review_date(born, years)
    assert due.year == born.year + years
    assert (due.month, due.day) == (born.month, born.day) or (born.month, born.day, due.month, due.day) == (2, 29, 3, 1)


def _pupil(svc: Services, n: int, born: str, school: str = SCHOOL, family_name: str = "Grown", open_case: bool = False) -> str:
    """A pupil registered at ten (nobody past 25 can be registered now), whose record has grown old."""
    who = principal(svc, "dsl" if school == SCHOOL else "other_dsl")
    clock, birth = svc.pupils.clock, date.fromisoformat(born)
    svc.pupils.clock = lambda: datetime(birth.year + 10, birth.month, 1, 9, tzinfo=UTC)
    try:
        pupil = svc.pupils.register(
            who,
            {"upn": make_upn("881", "2001", 2019, n), "given_name": "Ada", "family_name": family_name,
             "date_of_birth": born, "school_urn": school},
        )  # fmt: skip
    finally:
        svc.pupils.clock = clock
    if open_case:
        svc.cases.open_case(who, {"pupil_id": pupil.id, "need_areas": ["family"], "description": "x"})
    return pupil.id


def test_auditors_see_who_is_due_soonest_first_and_only_in_their_schools(services: Services) -> None:
    long_ago = _pupil(services, 1, "2000-01-01", family_name="Older", open_case=True)
    this_year = _pupil(services, 2, "2001-06-01", family_name="Younger")
    next_month = _pupil(services, 3, "2002-01-01", family_name="Soon")
    _pupil(services, 4, "2016-01-01", family_name="Child")
    elsewhere = _pupil(services, 5, "1999-05-05", school=OTHER_SCHOOL, family_name="Away")
    auditor = principal(services, "auditor")
    due = services.retention.due(auditor, AS_OF)
    assert [r.pupil_id for r in due] == [elsewhere, long_ago, this_year]
    assert due[1].review_date == date(2025, 1, 1) and (due[1].cases, due[1].open_cases) == (1, 1)
    ahead = services.retention.due(auditor, AS_OF, within_days=60)
    assert [r.pupil_id for r in ahead][-1] == next_month and ahead[-1].days_until(AS_OF) == 29
    services.accounts.add_user("school_auditor", ["auditor"], [SCHOOL], password="correct horse battery")
    mine = services.retention.due(principal(services, "school_auditor"), AS_OF)
    assert elsewhere not in [r.pupil_id for r in mine] and long_ago in [r.pupil_id for r in mine]
    lines = [(r["username"], r["action"], r["outcome"]) for r in access_lines(services)]
    assert ("auditor", "retention_due", "ok") in lines
    listed = [r["pupil_id"] for r in access_lines(services) if r["action"] == "retention_listed" and r["username"] == "auditor"]
    assert set(listed) == {elsewhere, long_ago, this_year, next_month}, "every child shown, in their own line"
    bundle = services.subject_access.bundle(auditor, long_ago)
    assert "retention_listed" in {line["action"] for line in bundle["access_log"]}


def test_nobody_else_reads_the_list_and_a_bad_window_is_refused(services: Services) -> None:
    _pupil(services, 6, "2000-01-01")
    for who in ("dsl", "head", "vs", "admin", "governor"):
        with pytest.raises(NotPermitted):
            services.retention.due(principal(services, who), AS_OF)
    for bad in (-1, 3661):
        with pytest.raises(InvalidData):
            services.retention.due(principal(services, "auditor"), AS_OF, bad)
    assert ("dsl", "retention_due", "forbidden") in [(r["username"], r["action"], r["outcome"]) for r in access_lines(services)]


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def test_the_page_lists_them_and_re_renders_with_a_message_for_bad_input(app: Flask, sqlite_services: Services) -> None:
    pupil_id = _pupil(sqlite_services, 7, "2000-01-01", family_name="Listed")
    client = app.test_client()
    sign_in(client, "auditor")
    assert 'href="/audit/retention"' in client.get("/audit/").get_data(as_text=True)
    page = client.get("/audit/retention?as_of=2026-12-03").get_data(as_text=True)
    assert "Listed, Ada" in page and "1 January 2025" in page and f'href="/audit/pupils/{pupil_id}/subject-access"' in page
    none = client.get("/audit/retention?as_of=2010-01-01").get_data(as_text=True)
    assert 'id="retention-none"' in none and "Listed" not in none
    for query in ("within=soon", "within=99999999", "as_of=yesterday"):
        bad = client.get(f"/audit/retention?{query}")
        assert bad.status_code == 400, query
        assert "govuk-error-summary" in bad.get_data(as_text=True) and "Listed" not in bad.get_data(as_text=True)


def test_the_command_line_prints_the_list_as_json(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from caseflow.bootstrap import bootstrap
    from tests.conftest import seed_people

    svc = bootstrap(database.url)
    seed_people(svc)
    pupil_id = _pupil(svc, 8, "2000-01-01")
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    monkeypatch.setenv("CASEFLOW_MIGRATE_DATABASE_URL", database.owner_url)
    printed = CliRunner().invoke(main, ["retention", "due", "--as", "auditor", "--as-of", "2026-12-03"])
    assert printed.exit_code == 0, printed.output
    listed = json.loads(printed.output)
    assert [r["pupil_id"] for r in listed["due"]] == [pupil_id] and listed["due"][0]["review_date"] == "2025-01-01"
    refused = CliRunner().invoke(main, ["retention", "due", "--as", "dsl"])
    assert refused.exit_code == 1 and "only auditors" in refused.output
    assert CliRunner().invoke(main, ["retention", "due", "--as", "auditor", "--within", "-3"]).exit_code == 2
    svc.close()
