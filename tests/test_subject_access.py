"""Subject-access bundles and case-history exports: everything held about one child, to auditors only,
every export logged, with the ICO's time limit worked out from the date the request came in."""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.cli import main
from caseflow.demo import make_upn
from caseflow.domain.errors import InvalidData, NotFound, NotPermitted
from caseflow.domain.subject_access import REVIEWER_NOTES, respond_by
from tests.conftest import SCHOOL, Database, principal
from tests.journey_helpers import england_today
from tests.test_web_security import sign_in

# --- the time limit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-09-03", "2026-10-05"),  # 3 October 2026 is a Saturday: the next working day
        ("2026-11-27", "2026-12-28"),  # the 27th of December is a Sunday
        ("2026-10-30", "2026-11-30"),
        ("2025-01-31", "2025-02-28"),  # February has no 31st: its last day
        ("2027-01-31", "2027-03-01"),  # ... which in 2027 is a Sunday
        ("2028-01-31", "2028-02-29"),  # a leap year
        ("2026-12-15", "2027-01-15"),  # into the next year
    ],
)
def test_the_request_is_due_on_the_same_date_next_month_or_its_last_day_and_never_at_a_weekend(received: str, due: str) -> None:
    assert respond_by(date.fromisoformat(received)) == date.fromisoformat(due)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_the_time_limit_is_always_a_weekday_at_most_a_weekend_after_the_month(received: date) -> None:
    due = respond_by(received)
    year, months = divmod(received.year * 12 + received.month, 12)  # months counted from 0: the next month
    month = months + 1
    same_date = date(year, month, min(received.day, calendar.monthrange(year, month)[1]))
    assert due.weekday() < 5
    assert 0 <= (due - same_date).days <= 2
    assert all((same_date + timedelta(days=k)).weekday() >= 5 for k in range((due - same_date).days))


# --- the service ----------------------------------------------------------------------------------


def _child(svc: Services, n: int, family_name: str) -> tuple[str, str]:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, n), "given_name": "Sam", "family_name": family_name,
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    case = svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["family"], "description": "Mornings are hard."})
    data = {"date": "2026-11-02", "method": "phone", "summary": "Spoke with Mum."}
    svc.cases.act(dsl, case.id, "log_family_contact", case.version, data)
    svc.cases.view(dsl, case.id)
    return pupil.id, case.id


def test_an_auditor_exports_everything_held_about_a_child_and_nothing_about_another(services: Services) -> None:
    pupil_id, case_id = _child(services, 1, "Rivers")
    _child(services, 2, "Brook")
    auditor = principal(services, "auditor")
    bundle = services.subject_access.bundle(auditor, pupil_id, date(2026, 11, 27))
    assert bundle["kind"] == "subject_access_bundle"
    assert bundle["request"] == {"received_on": "2026-11-27", "respond_by": "2026-12-28"}
    assert bundle["notes_for_the_reviewer"] == list(REVIEWER_NOTES)
    assert bundle["pupil"]["family_name"] == "Rivers"
    assert [e["hash"] for e in bundle["record"]["events"]] == [e.hash for e in services.store.load(pupil_id)]
    assert bundle["record"]["verification"]["valid"] is True
    (case,) = bundle["cases"]
    assert case["case_id"] == case_id and case["verification"] == {**case["verification"], "valid": True, "checked": 2}
    assert [e["type"] for e in case["events"]] == ["CaseOpened", "FamilyContactLogged"]
    assert case["events"][1]["data"]["summary"] == "Spoke with Mum."
    logged = {(line["username"], line["action"]) for line in bundle["access_log"]}
    assert {("dsl", "view"), ("dsl", "log_family_contact"), ("auditor", "export_subject_access")} <= logged
    assert "Brook" not in json.dumps(bundle)
    assert services.subject_access.bundle(auditor, pupil_id)["request"] is None


def test_only_auditors_export_and_every_refusal_is_logged(services: Services) -> None:
    pupil_id, case_id = _child(services, 3, "Stone")
    before = services.store.count()
    with pytest.raises(NotPermitted):
        services.subject_access.bundle(principal(services, "dsl"), pupil_id)
    with pytest.raises(NotPermitted):
        services.subject_access.case_history(principal(services, "sw"), case_id)
    for who, ident in [("other_dsl", pupil_id), ("auditor", "no-such-pupil"), ("auditor", case_id)]:
        with pytest.raises(NotFound):
            services.subject_access.bundle(principal(services, who), ident)
    with pytest.raises(NotFound):
        services.subject_access.case_history(principal(services, "auditor"), pupil_id)
    with pytest.raises(InvalidData) as future:
        services.subject_access.bundle(principal(services, "auditor"), pupil_id, england_today() + timedelta(days=2))
    assert "future" in future.value.errors["received_on"][0]
    lines = [(r["username"], r["action"], r["outcome"]) for r in services.audit.for_pupil(pupil_id)]
    assert ("dsl", "export_subject_access", "forbidden") in lines and ("sw", "export_case", "forbidden") in lines
    assert not [line for line in lines if line[2] == "ok" and line[1].startswith("export")]
    assert services.store.count() == before


def test_a_case_history_export_is_the_log_as_stored(services: Services) -> None:
    _, case_id = _child(services, 4, "Field")
    history = services.subject_access.case_history(principal(services, "auditor"), case_id)
    stored = services.store.load(case_id)
    assert history["kind"] == "case_history" and history["version"] == len(stored)
    assert history["events"] == [e.as_dict() for e in stored]
    assert history["verification"]["valid"] is True
    assert ("auditor", "export_case") in {(r["username"], r["action"]) for r in history["access_log"]}


# --- through Flask, the API and the command line --------------------------------------------------------


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def test_an_auditor_downloads_the_bundle_from_the_case_page(app: Flask, sqlite_services: Services) -> None:
    pupil_id, case_id = _child(sqlite_services, 5, "Marsh")
    client = app.test_client()
    sign_in(client, "auditor")
    page = client.get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert f'href="/audit/pupils/{pupil_id}/subject-access"' in page and f'href="/audit/cases/{case_id}/export"' in page
    form = client.get(f"/audit/pupils/{pupil_id}/subject-access").get_data(as_text=True)
    assert "Before anything is released" in form and REVIEWER_NOTES[2] in form and "Sam Marsh, UPN" in form
    download = client.get(f"/audit/pupils/{pupil_id}/subject-access?received_on=2026-11-27")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == f'attachment; filename="subject-access-{pupil_id}.json"'
    assert download.headers["Cache-Control"] == "no-store"
    assert json.loads(download.get_data())["request"]["respond_by"] == "2026-12-28"
    history = client.get(f"/audit/cases/{case_id}/export")
    assert history.status_code == 200 and json.loads(history.get_data())["case_id"] == case_id


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-13-01", "must be a real date, for example 27/03/2017"), ("2999-01-01", "cannot be in the future")],
)
def test_a_bad_date_re_renders_the_form_with_its_message(app: Flask, sqlite_services: Services, value: str, message: str) -> None:
    pupil_id, _ = _child(sqlite_services, 6, "Hill")
    client = app.test_client()
    sign_in(client, "auditor")
    answer = client.get(f"/audit/pupils/{pupil_id}/subject-access?received_on={value}")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert message in text and "govuk-error-summary" in text and f'value="{value}"' in text


def test_the_api_gives_auditors_the_bundle_and_refuses_bad_dates_as_problem_json(app: Flask, sqlite_services: Services) -> None:
    pupil_id, _ = _child(sqlite_services, 7, "Lane")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {sqlite_services.accounts.issue_token('auditor')}"}
    ok = client.get(f"/api/v1/pupils/{pupil_id}/subject-access?received_on=2026-11-27", headers=auth)
    assert ok.status_code == 200 and ok.get_json()["pupil"]["id"] == pupil_id
    bad = client.get(f"/api/v1/pupils/{pupil_id}/subject-access?received_on=soon", headers=auth)
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    assert "received_on" in bad.get_json()["errors"]
    missing = client.get("/api/v1/pupils/nobody/subject-access", headers=auth)
    assert missing.status_code == 404


def test_the_command_line_exports_as_an_auditor(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from caseflow.bootstrap import bootstrap
    from tests.conftest import seed_people

    svc = bootstrap(database.url)
    seed_people(svc)
    pupil_id, case_id = _child(svc, 8, "Wood")
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    monkeypatch.setenv("CASEFLOW_MIGRATE_DATABASE_URL", database.owner_url)

    def cli(*args: str) -> Any:
        return CliRunner().invoke(main, list(args))

    printed = cli("export", "subject-access", pupil_id, "--as", "auditor", "--received-on", "2026-11-27")
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["cases"][0]["case_id"] == case_id
    history = cli("export", "case", case_id, "--as", "auditor")
    assert history.exit_code == 0 and json.loads(history.output)["case_id"] == case_id
    via = [r["detail"] for r in svc.audit.for_pupil(pupil_id) if r["action"] == "export_subject_access"]
    assert via and via[0].startswith("via cli")
    refused = cli("export", "subject-access", pupil_id, "--as", "dsl")
    assert refused.exit_code == 1 and "only auditors" in refused.output
    assert cli("export", "subject-access", pupil_id, "--as", "auditor", "--received-on", "27/11/2026").exit_code == 2
    future = cli("export", "subject-access", pupil_id, "--as", "auditor", "--received-on", "2999-01-01")
    assert future.exit_code == 1 and "cannot be in the future" in future.output
    svc.close()
