"""The governors' report as a CSV file: the same anonymised figures as the page, small numbers still
suppressed, no child named, the download logged like a view, and a clear error for a bad date."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from caseflow import create_app
from caseflow.adapters.tables import access_log
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.services.reports import SUPPRESSED
from caseflow.web.reports import AGAINST, SDQ_MOVEMENT, _cell, figures
from tests.conftest import SCHOOL, principal
from workflows.good_practice import INDICATORS

AS_OF = datetime.now(UTC).date().isoformat()  # the cases below are recorded today


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    dsl = principal(sqlite_services, "dsl")
    who = {"dsl": dsl, "senco": principal(sqlite_services, "senco")}
    for n in range(6):
        pupil = sqlite_services.pupils.register(
            dsl,
            {"upn": make_upn("881", "2001", 2019, 40 + n), "given_name": "Secret", "family_name": f"Name{n}",
             "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
        )  # fmt: skip
        walk(sqlite_services, who, pupil.id, "one_plan" if n < 5 else "multi_agency_review", date(2026, 11, 2))
    yield create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


def test_the_csv_gives_the_pages_figures_anonymised(app: Flask, sqlite_services: Services) -> None:
    response = _signed_in(app, "governor").get(f"/reports/governors.csv?school_urn={SCHOOL}&as_of={AS_OF}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="governors-report-{SCHOOL}-{AS_OF}.csv"'
    body = response.get_data(as_text=True)
    rows = list(csv.reader(body.splitlines()))
    report = sqlite_services.reports.governors(principal(sqlite_services, "governor"), SCHOOL, date.fromisoformat(AS_OF))
    labels = sqlite_services.workflow.state_labels
    period = f"{AS_OF[:4] if AS_OF[5:7] >= '09' else int(AS_OF[:4]) - 1}-09 to {AS_OF[:7]}"
    assert rows == [
        ["Figure", "Value"],
        ["School URN", SCHOOL],
        ["As at", AS_OF],
        ["Anonymised", report["suppression"]],
        *[[label, str(value)] for label, value in figures(report)],
        *[
            [f"Support journeys at step: {labels[step]}", str(report["cases_by_step"][step])]
            for step in ("one_plan", "multi_agency_review")
        ],
        *[
            [f"{label}, {period}: {group}", str(report["against_whole_school"][key][column] or "")]
            for column, label in AGAINST
            for group, key in (("cohort", "cohort"), ("whole school", "whole_school"))
        ],
        *[[f"SDQ: {label}", SUPPRESSED] for _, label in SDQ_MOVEMENT],
        ["Self-assessment indicators: Embedded", "0"],
        ["Self-assessment indicators: Developing", "0"],
        ["Self-assessment indicators: Not yet in place", "0"],
        ["Self-assessment indicators: Not rated", "21"],
        *[[f"Indicator {number}: {text}", "Not rated"] for number, text in INDICATORS],
    ]  # the journey's order, not the alphabet's
    by_label = dict(rows)
    assert by_label[f"Support journeys at step: {labels['one_plan']}"] == "5"  # five counted, one suppressed
    assert by_label[f"Support journeys at step: {labels['multi_agency_review']}"] == SUPPRESSED
    assert "Secret" not in body and "Name" not in body and "881" not in body  # no child, no UPN


def test_the_download_is_logged_and_a_bad_date_is_a_clear_error(app: Flask, sqlite_services: Services) -> None:
    client = _signed_in(app, "head")
    assert client.get(f"/reports/governors.csv?school_urn={SCHOOL}").status_code == 200
    with sqlite_services.engine.connect() as conn:
        logged = conn.execute(select(access_log.c.username, access_log.c.role).where(access_log.c.action == "governors_report"))
        assert list(logged) == [("head", "headteacher")]
    # a date that is none: the report's page again, its message on the date's box (tests/test_dates_typed_one_way.py)
    refused = client.get(f"/reports/governors.csv?school_urn={SCHOOL}&as_of=31/02/2026")
    assert refused.status_code == 400 and refused.mimetype == "text/html"
    assert "The date must be a real date, for example 27/03/2017" in refused.get_data(as_text=True)


def test_text_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    assert [_cell(v) for v in ("=1+1", "+44", "-2", "@SUM(A1)", SUPPRESSED, 7)] == [
        "'=1+1",
        "'+44",
        "'-2",
        "'@SUM(A1)",
        SUPPRESSED,
        7,
    ]
