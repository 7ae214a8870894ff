"""The governors' report as a CSV file: the same anonymised figures as the page, small numbers still
suppressed, no child named, the download logged like a view, and a clear error for a bad date. A new user's
walk: most figures of a small school read "fewer than 5" or "withheld", and only the report's first line said
why; each such figure now points to a note saying what it means, on the page and in the CSV."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from caseflow import create_app
from caseflow.adapters.tables import access_log
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.services.reports import SDQ_PARTS_HIDDEN, SUPPRESSED, WHY_NOT_SHOWN, WITHHELD
from caseflow.web.reports import AGAINST, SDQ_MOVEMENT, _cell, figures
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import england_today
from workflows.good_practice import INDICATORS

#: the cases below are recorded today, on the services' real clock: England's day (in summer, between midnight and
#: one, the UTC date is still yesterday's and the report as at it would miss them)
AS_OF = england_today().isoformat()


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
        walk(sqlite_services, who, pupil.id, "one_plan" if n < 5 else "multi_agency_review", date.fromisoformat(AS_OF))
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
    rows = [row[:2] for row in csv.reader(body.splitlines())]  # the notes beside them: below
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


def test_each_figure_not_shown_says_why_on_the_page(app: Flask) -> None:
    """Each "fewer than 5" and "withheld" keeps its words and links to a note under the figures that says
    what it means (read out with the figure by a screen reader); the SDQ movement's parts, all hidden if one
    is small, say so."""
    page = _signed_in(app, "governor").get(f"/reports/governors?school_urn={SCHOOL}&as_of={AS_OF}").get_data(as_text=True)
    listed = re.findall(r'<li id="(note-\d)">(.*?)</li>', page, re.S)
    notes = {note: html.unescape(re.sub(r"<[^>]+>", "", text)) for note, text in listed}
    cells = re.findall(r'<(?:dd|td) class="govuk-[^"]*">(fewer than 5|withheld)(.*?)</(?:dd|td)>', page)
    assert {word for word, _ in cells} == {SUPPRESSED, WITHHELD}  # a small school: both are used
    marker = re.compile(r' <a class="govuk-link" href="#note-(\d)" aria-describedby="note-\1">\[note \1\]</a>')
    pointed = set()
    for word, after in cells:
        found = marker.fullmatch(after)
        assert found, (word, after)
        pointed.add((word, f"note-{found[1]}"))
    assert {note for _, note in pointed} == set(notes), "every note is needed, and only those"
    why = {(word, re.sub(r"\s+", " ", notes[note])) for word, note in pointed}
    said = {word: f"“{word}”: {text}" for word, text in WHY_NOT_SHOWN.items()}
    assert {(word, text[text.index("“") :]) for word, text in why} == {
        (SUPPRESSED, said[SUPPRESSED]),
        (WITHHELD, said[WITHHELD]),
        (SUPPRESSED, f"“{SUPPRESSED}”: {SDQ_PARTS_HIDDEN}"),
    }
    assert "could identify a child" in WHY_NOT_SHOWN[SUPPRESSED] and "less those cancelled" in WHY_NOT_SHOWN[WITHHELD]
    sdq = page[page.index('id="sdq-movement"') :]
    parts = re.findall(r"fewer than 5 <a [^>]*>\[(note \d)\]</a>", sdq[: sdq.index("</dl>")])
    assert len(parts) == 4 and len(set(parts[1:])) == 1 and parts[0] != parts[1], "the parts have a note of their own"


def test_each_figure_not_shown_says_why_in_the_csv(app: Flask, sqlite_services: Services) -> None:
    """A column of notes beside the values: a spreadsheet row read on its own still says what it means."""
    response = _signed_in(app, "governor").get(f"/reports/governors.csv?school_urn={SCHOOL}&as_of={AS_OF}")
    rows = list(csv.reader(response.get_data(as_text=True).splitlines()))
    assert rows[0] == ["Figure", "Value", "Note"]
    assert all(len(row) == 3 for row in rows)
    notes = {row[0]: row[2] for row in rows}
    for figure, value, note in rows[1:]:
        if figure.startswith("SDQ: ") and not figure.endswith("with an SDQ score") and value == SUPPRESSED:
            assert note == SDQ_PARTS_HIDDEN, figure
        else:
            assert note == WHY_NOT_SHOWN.get(value, ""), figure
    assert notes["Cohort: have a social worker now"] == WHY_NOT_SHOWN[SUPPRESSED]
    assert WITHHELD in {row[1] for row in rows} and notes["School URN"] == ""


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
