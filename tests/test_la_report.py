"""The report across a local authority (PRODUCT.md: a termly report 'per school and across the LA'):
every school of the LA counted together, suppressed as a school's report is, with the schools'
self-assessments side by side; for the LA's virtual school officers and for auditors; with charts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.cli import main
from caseflow.demo import DEMO_PASSWORD, load_demo, make_upn
from caseflow.domain.errors import NotFound
from tests.conftest import LA, OTHER_SCHOOL, SCHOOL, Database, access_lines, principal
from tests.journey_helpers import england_today
from tests.test_web_security import csrf_token

THIRD_SCHOOL = "100003"  # in the same LA as SCHOOL
TODAY = england_today()  # the services' today: England's, not the machine's (an hour apart in summer)


def _cohort(svc: Services) -> None:
    """Three children with a social worker in each of two schools of LA 881, one in another LA."""
    svc.accounts.add_school(THIRD_SCHOOL, "Meadow Primary", LA)
    svc.accounts.add_user("third_dsl", ["dsl"], [THIRD_SCHOOL], password="correct horse battery")
    serial = 0
    for school, dsl in ((SCHOOL, "dsl"), (THIRD_SCHOOL, "third_dsl"), (OTHER_SCHOOL, "other_dsl")):
        who = principal(svc, dsl)
        for _ in range(1 if school == OTHER_SCHOOL else 3):
            serial += 1
            pupil = svc.pupils.register(
                who,
                {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Kit", "family_name": f"N{serial}",
                 "date_of_birth": "2016-01-01", "school_urn": school},
            )  # fmt: skip
            svc.pupils.record_episode(who, pupil.id, {"plan": "cin", "start_date": "2025-01-01"})
            svc.cases.open_case(who, {"pupil_id": pupil.id, "need_areas": ["learning"], "description": "x"})
    svc.self_assessment.assess(
        principal(svc, "dsl"), SCHOOL, 0, {"indicator": "1", "rating": "embedded", "evidence": "Tracked termly."}
    )


def test_the_la_counts_its_schools_together_where_each_school_alone_is_suppressed(services: Services) -> None:
    _cohort(services)
    vs = principal(services, "vs")
    report = services.reports.la(vs, LA, TODAY)
    assert report["la_code"] == LA and report["schools"] == 2
    assert report["cohort"] == {"open": 6, "previous": "fewer than 5", "total": 6}  # none previously: a zero gives no one away
    assert report["cases_by_step"] == {"need_identified": 6}
    school = services.reports.governors(principal(services, "head"), SCHOOL, TODAY)
    assert school["cohort"]["open"] == "fewer than 5" and school["cases_by_step"] == {"need_identified": "fewer than 5"}
    first = report["self_assessment"]["indicators"][0]
    assert report["self_assessment"]["schools"] == 2
    assert first["number"] == "1" and first["schools"] == {"embedded": 1, "developing": 0, "not_yet": 0, "not_rated": 1}
    assert all(i["schools"]["not_rated"] == 2 for i in report["self_assessment"]["indicators"][1:])
    before = services.reports.la(vs, LA, date(2020, 1, 1))  # as at a date before anything was recorded
    assert before["cases_by_step"] == {} and before["self_assessment"]["indicators"][0]["schools"]["not_rated"] == 2


def test_only_the_las_officers_and_auditors_read_it(services: Services) -> None:
    _cohort(services)
    services.accounts.add_user("vs_882", ["virtual_school"], [], password="correct horse battery", la_code="882")
    assert services.reports.la(principal(services, "auditor"), "882", TODAY)["schools"] == 1
    for who, la in (("vs_882", LA), ("dsl", LA), ("head", LA), ("governor", LA), ("sw", LA), ("auditor", "999"), ("vs", "88'1")):
        with pytest.raises(NotFound):
            services.reports.la(principal(services, who), la, TODAY)
    lines = [(r["username"], r["outcome"], r["detail"]) for r in access_lines(services) if r["action"] == "la_report"]
    assert ("auditor", "ok", f"la 882, as at {TODAY}") in lines, "a read names the day its figures are as at" and ("vs_882", "not_found", f"la {LA}") in lines


@pytest.fixture
def demo_app(sqlite_database: Database) -> Iterator[Flask]:
    from caseflow.bootstrap import bootstrap

    svc = bootstrap(sqlite_database.url)
    assert load_demo(svc, echo=lambda _: None)
    yield create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret"})
    svc.close()


def sign_in(client: FlaskClient, username: str) -> None:
    token = csrf_token(client, "/login")
    answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert answer.status_code == 302


def test_an_officer_reads_their_las_report_with_its_chart_and_downloads_it(demo_app: Flask) -> None:
    client = demo_app.test_client()
    sign_in(client, "vs")
    page = client.get("/reports/la")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Essex (881): 2 schools" in text  # the demo's schools name their LA
    assert 'id="against-chart"' in text and '<title id="against-chart-title">' in text
    assert 'id="la-self-assessment"' in text and 'href="/reports/la"' in text  # in the navigation
    assert 'aria-describedby="note-1">[note 1]</a>' in text and '<li id="note-1">' in text  # as a school's report says why
    download = client.get("/reports/la.csv?la_code=881")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert download.headers["Content-Disposition"].startswith('attachment; filename="la-report-881-')
    assert ["Local authority", "881", ""] in rows and any(r[0].startswith("Indicator 1:") for r in rows)
    assert rows[0] == ["Figure", "Value", "Note"] and {len(r) for r in rows} == {3}  # a note beside a figure not shown
    assert client.get("/reports/la?la_code=882").status_code == 404


def test_the_la_is_named_as_its_schools_name_it_and_by_its_code_where_none_does(demo_app: Flask) -> None:
    """From a new user's walk: the Virtual School's pages said "LA 881"; people know their authority by name."""
    client = demo_app.test_client()
    sign_in(client, "auditor")
    chooser = client.get("/reports/la").get_data(as_text=True)
    assert 'href="/reports/la?la_code=881">Essex (881)</a>' in chooser and "LA 881" not in chooser
    svc = demo_app.config["SERVICES"]
    assert svc.accounts.add_school("100009", "Far Away School", "882")  # no name for its LA: its code, in words
    chooser = client.get("/reports/la").get_data(as_text=True)
    assert 'href="/reports/la?la_code=882">Local authority 882</a>' in chooser
    client = demo_app.test_client()
    sign_in(client, "vs")
    board = client.get("/la").get_data(as_text=True)
    assert "Essex (881) · 2 schools" in board and "LA 881" not in board


def test_the_virtual_schools_two_la_pages_say_which_is_which_and_link_each_other(demo_app: Flask) -> None:
    """From a new user's walk: "Local authority" and "LA report" side by side in the navigation read as one page."""
    client = demo_app.test_client()
    sign_in(client, "vs")
    board = client.get("/la").get_data(as_text=True)
    navigation = board[board.index("<nav") : board.index("</nav>")]
    assert 'href="/la">Schools in the LA</a>' in navigation and 'href="/reports/la">LA termly report</a>' in navigation
    assert ">Local authority<" not in navigation and ">LA report<" not in navigation
    assert 'id="to-la-report" href="/reports/la"' in board
    report = client.get("/reports/la").get_data(as_text=True)
    assert 'id="to-la-schools" href="/la"' in report
    client = demo_app.test_client()
    sign_in(client, "auditor")  # no LA of their own: the report does not send them to a page they may not open
    assert 'id="to-la-schools"' not in client.get("/reports/la?la_code=881").get_data(as_text=True)


def test_the_governors_report_charts_the_cohort_against_the_whole_school(demo_app: Flask) -> None:
    client = demo_app.test_client()
    sign_in(client, "governor")
    text = client.get("/reports/governors").get_data(as_text=True)
    assert 'id="against-chart"' in text and "Attendance: cohort" in text


def test_an_auditor_chooses_an_la_and_the_api_and_command_line_give_the_same_report(demo_app: Flask) -> None:
    client = demo_app.test_client()
    sign_in(client, "auditor")
    chooser = client.get("/reports/la").get_data(as_text=True)
    assert 'href="/reports/la?la_code=881"' in chooser
    assert client.get("/reports/la?la_code=881").status_code == 200
    svc = demo_app.config["SERVICES"]
    auth = {"Authorization": f"Bearer {svc.accounts.issue_token('auditor')}"}
    api = demo_app.test_client()  # by token alone
    missing = api.get("/api/v1/reports/la", headers=auth)
    assert missing.status_code == 422 and missing.content_type == "application/problem+json"
    answer = api.get("/api/v1/reports/la?la_code=881", headers=auth)
    assert answer.status_code == 200 and answer.get_json()["la_code"] == "881"
    officer = {"Authorization": f"Bearer {svc.accounts.issue_token('vs')}"}
    assert demo_app.test_client().get("/api/v1/reports/la", headers=officer).get_json()["la_code"] == "881"


def test_the_command_line_prints_an_las_report(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from caseflow.bootstrap import bootstrap
    from tests.conftest import seed_people

    svc = bootstrap(database.url)
    seed_people(svc)
    _cohort(svc)
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    monkeypatch.setenv("CASEFLOW_MIGRATE_DATABASE_URL", database.owner_url)
    printed = CliRunner().invoke(main, ["reports", "la", LA, "--as", "vs"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["cohort"]["open"] == 6
    assert CliRunner().invoke(main, ["reports", "la", LA, "--as", "dsl"]).exit_code == 1
    assert CliRunner().invoke(main, ["reports", "la", LA, "--as", "vs", "--as-of", "soon"]).exit_code == 2
    svc.close()
