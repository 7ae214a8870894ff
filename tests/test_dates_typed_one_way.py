"""From a new user's walk: a date a person types is written one way on every page, day first (27/3/2026), as
the forms take it; the date picker's YYYY-MM-DD is taken beside it. The reports' CSV downloads, the auditor's
"As it stood on" and the subject-access bundle's date took only YYYY-MM-DD, and a CSV asked for a date that
is none answered with a bare "Invalid data" page. The API keeps YYYY-MM-DD, as its contract says.

On the two dashboards a date that is none was told on its box below today's figures: the error summary at
the top says too that the date could not be used, so today's figures are shown."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.test_audit_replay_page import a_case_written_over_two_days

HINT = "For example, 27/3/2026"
TODAY = "2 November 2026"  # the clock below


@pytest.fixture
def clock() -> Clock:
    return Clock()  # 2 November 2026, 09:00 in England


@pytest.fixture
def svc(sqlite_database: Database, clock: Clock) -> Iterator[Services]:
    services = _services(sqlite_database, clock)
    seed_people(services)
    yield services
    services.close()


def signed_in(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


def field_errors(html: str) -> dict[str, str]:
    """Each field's message as the page shows it beside the field."""
    found = re.findall(r'id="([\w-]+)-error"><span class="govuk-visually-hidden">Error:</span>\s*(.*?)</p>', html, re.S)
    return {field: message.strip() for field, message in found}


def summary(html: str) -> str:
    """The error summary's text, which must come first in the page's main content."""
    main = html[html.index('id="main-content"') :]
    found = re.search(r'<div class="govuk-error-summary".*?</ul>', main, re.S)
    assert found, "no error summary"
    assert main.index("govuk-error-summary") < main.index("<h1"), "the summary is at the top of the page"
    return found.group(0)


def hinted(html: str, field: str) -> bool:
    """Whether the box has the hint, GOV.UK style: a hint under the label that the input is described by."""
    hint = re.search(rf'<div class="govuk-hint" id="{field}-hint">([^<]*)</div>', html)
    box = re.search(rf'<input [^>]*id="{field}"[^>]*>', html)
    assert box, f"no box {field}"
    described = re.search(r'aria-describedby="([^"]*)"', box.group(0))
    return bool(hint and HINT in hint.group(1) and described and f"{field}-hint" in described.group(1).split())


# --- 1. the reports' CSV downloads --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "address"), [("governor", f"/reports/governors.csv?school_urn={SCHOOL}&"), ("vs", "/reports/la.csv?la_code=881&")]
)
def test_a_reports_csv_takes_a_date_written_day_first(svc: Services, who: str, address: str) -> None:
    client = signed_in(svc, who)
    for written in ("05/10/2026", "5/10/2026", "2026-10-05"):
        response = client.get(f"{address}as_of={written}")
        assert response.status_code == 200 and response.mimetype == "text/csv", written
        rows = dict(row[:2] for row in csv.reader(response.get_data(as_text=True).splitlines()) if len(row) > 1)
        assert rows["As at"] == "2026-10-05", written
        assert response.headers["Content-Disposition"].endswith('-2026-10-05.csv"')


@pytest.mark.parametrize(
    ("who", "address", "title"),
    [
        ("governor", f"/reports/governors.csv?school_urn={SCHOOL}&", "Governors' report"),
        ("vs", "/reports/la.csv?la_code=881&", "Report across the local authority"),
    ],
)
@pytest.mark.parametrize("written", ["31/02/2026", "yesterday", "05/10/20260"])
def test_a_reports_csv_asked_for_a_date_that_is_none_shows_the_page_with_the_message_on_its_box(
    svc: Services, who: str, address: str, title: str, written: str
) -> None:
    events = svc.store.count()
    response = signed_in(svc, who).get(f"{address}as_of={written}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    assert f"<title>Error: {title}" in html
    assert "Invalid data" not in html and "YYYY-MM-DD" not in html
    assert field_errors(html)["as_of"] == "The date must be a real date, for example 27/03/2017"
    assert '<a href="#as_of">' in summary(html)
    assert hinted(html, "as_of")
    assert svc.store.count() == events


@pytest.mark.parametrize(
    ("who", "page", "shows"),
    [
        ("governor", "/reports/governors", "/reports/governors?"),
        ("vs", "/reports/la", "/reports/la?"),
    ],
)
def test_the_reports_date_box_sends_to_the_page_even_from_a_csvs_address(svc: Services, who: str, page: str, shows: str) -> None:
    """The page shown again for a CSV's bad date: its "Show" shows the report, as it says, not a download."""
    html = signed_in(svc, who).get(f"{page}.csv?as_of=31/02/2026").get_data(as_text=True)
    form = html[html.rindex("<form", 0, html.index('id="as_of"')) : html.index('id="as_of"')]
    assert f'action="{shows.rstrip("?")}"' in form


@pytest.mark.parametrize(
    ("who", "address"),
    [
        ("governor", "/reports/governors"),
        ("vs", "/reports/la"),
        ("dsl", "/cohort"),
        ("vs", "/la"),
        ("dsl", "/due"),
        ("auditor", "/audit/retention"),
    ],
)
def test_every_as_at_box_says_how_to_write_a_date(svc: Services, who: str, address: str) -> None:
    client = signed_in(svc, who)
    assert hinted(client.get(address).get_data(as_text=True), "as_of")
    told = client.get(f"{address}?as_of=31/02/2026").get_data(as_text=True)
    assert hinted(told, "as_of")
    box = re.search(r'<input [^>]*id="as_of"[^>]*>', told)
    assert box and 'aria-describedby="as_of-hint as_of-error"' in box.group(0)


def test_the_api_keeps_iso_dates_for_the_reports(svc: Services) -> None:
    token = svc.accounts.issue_token("governor")
    answer = signed_in(svc, "governor").get(
        f"/api/v1/reports/governors?school_urn={SCHOOL}&as_of=05/10/2026", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"


# --- the auditor's "As it stood on" --------------------------------------------------------------------------
def test_the_auditors_as_it_stood_on_takes_a_date_written_day_first(svc: Services, clock: Clock) -> None:
    case_id = a_case_written_over_two_days(svc, clock)  # version 1 on 2 November 2026, version 2 on the 4th
    client = signed_in(svc, "auditor")
    for written, version in [("02/11/2026", 1), ("2/11/2026", 1), ("2026-11-02", 1), ("4/11/2026", 2)]:
        response = client.get(f"/audit/cases/{case_id}?on={written}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, written
        assert f"Case as at version {version} of 2" in html, written
    page = client.get(f"/audit/cases/{case_id}?on=2/11/2026&at=08:59").get_data(as_text=True)
    assert "Case as at version 0 of 2" in page
    assert 'value="2/11/2026"' in page, "what was typed is shown again"


def test_the_auditors_date_box_is_labelled_and_hinted_as_the_other_boxes(svc: Services, clock: Clock) -> None:
    case_id = a_case_written_over_two_days(svc, clock)
    html = signed_in(svc, "auditor").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert re.search(r'<label class="govuk-label" for="on">As it stood on</label>', html)
    assert "YYYY-MM-DD" not in html
    assert hinted(html, "on")


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("on=yesterday", {"on": "Enter the date as DD/MM/YYYY, for example 27/3/2026"}),
        ("on=2026-11-02T10:00", {"on": "Enter the date as DD/MM/YYYY, for example 27/3/2026"}),
        ("on=31/02/2026", {"on": "The date 31/02/2026 is not a real date: check the day and the month."}),
        ("on=2/11/2026&at=25:00", {"at": "Enter the time as HH:MM, for example 14:05, or leave it empty"}),
        (
            "on=yesterday&at=9am",
            {
                "on": "Enter the date as DD/MM/YYYY, for example 27/3/2026",
                "at": "Enter the time as HH:MM, for example 14:05, or leave it empty",
            },
        ),
    ],
)
def test_the_auditors_date_or_time_that_is_none_is_told_on_its_box(
    svc: Services, clock: Clock, query: str, errors: dict[str, str]
) -> None:
    case_id = a_case_written_over_two_days(svc, clock)
    response = signed_in(svc, "auditor").get(f"/audit/cases/{case_id}?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Error: Audit of a case" in html
    assert field_errors(html) == errors
    told = summary(html)
    for field in errors:
        assert f'<a href="#{field}">' in told
    assert "Case as at version 2 of 2" in html, "the case as it stands, as before"


# --- the subject-access bundle's date ------------------------------------------------------------------------
def test_the_subject_access_date_is_written_day_first(svc: Services, clock: Clock) -> None:
    case_id = a_case_written_over_two_days(svc, clock)
    pupil_id = svc.cases.history(principal(svc, "auditor"), case_id)[0].data["pupil_id"]
    client = signed_in(svc, "auditor")
    html = client.get(f"/audit/pupils/{pupil_id}/subject-access").get_data(as_text=True)
    assert hinted(html, "received_on") and "2026-11-27" not in html
    bundle = client.get(f"/audit/pupils/{pupil_id}/subject-access?received_on=3/11/2026")  # the clock is on the 4th
    assert bundle.status_code == 200 and bundle.mimetype == "application/json"
    assert bundle.get_json()["request"]["received_on"] == "2026-11-03"
    refused = client.get(f"/audit/pupils/{pupil_id}/subject-access?received_on=31/11/2026")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert field_errors(page) == {"received_on": "Date the request was received must be a real date, for example 27/03/2017"}
    assert '<a href="#received_on">' in summary(page) and hinted(page, "received_on")


# --- 2. the dashboards ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "address", "title", "figures"),
    [("dsl", "/cohort", "Cohort dashboard", 'id="comparison"'), ("vs", "/la", "Schools in the LA", 'id="la-totals"')],
)
def test_a_dashboards_date_that_is_none_is_told_at_the_top_and_todays_figures_are_shown(
    svc: Services, who: str, address: str, title: str, figures: str
) -> None:
    response = signed_in(svc, who).get(f"{address}?as_of=31/02/2026")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"<title>Error: {title}" in html
    told = summary(html)
    assert "The date could not be used, so today&#39;s figures are shown (as at 2 November 2026)." in told
    assert '<a href="#as_of">The date must be a real date, for example 27/03/2017</a>' in told
    assert html.index("govuk-error-summary") < html.index(figures), "told before the figures"
    assert field_errors(html)["as_of"] == "The date must be a real date, for example 27/03/2017"
    assert f"as at {TODAY}" in html, "the figures are today's"


@pytest.mark.parametrize(
    ("who", "address"),
    [("dsl", "/cohort"), ("vs", "/la"), ("governor", "/reports/governors"), ("governor", "/reports/governors.csv"), ("vs", "/reports/la")],
)
def test_figures_as_at_a_day_after_today_are_refused_and_todays_are_shown(svc: Services, who: str, address: str) -> None:
    """From the fifth walk: a governor asked for 1 January 2030 read "As at 1 January 2030" over today's
    figures, as if they were known then. Today is still taken, and yesterday."""
    client = signed_in(svc, who)
    response = client.get(f"{address}?as_of=01/01/2030")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    message = f"The date must be today or earlier: figures are known only up to today ({TODAY})"
    assert field_errors(html)["as_of"] == message
    assert "1 January 2030" not in html
    assert client.get(f"{address}?as_of=2/11/2026").status_code == 200
    assert client.get(f"{address}?as_of=1/11/2026").status_code == 200
