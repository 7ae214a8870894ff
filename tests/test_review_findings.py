"""What a review of the subject-access, retention and LA-report work found, each held by a test: no
small figure worked out by subtraction, no 500 for odd input on either backend, every look at a
child's case in their bundle, and "today" as a school in England counts it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services, bootstrap
from caseflow.cli import main
from caseflow.demo import make_upn
from caseflow.domain.errors import NotFound
from caseflow.services.reports import SUPPRESSED, WITHHELD, against_whole_school, cohort_counts
from tests.conftest import SCHOOL, Clock, Database, principal, seed_people
from tests.test_web_security import sign_in


@pytest.mark.parametrize(
    ("open_now", "previous", "roll", "expected"),
    [
        (7, 2, 40, {"open": 7, "previous": SUPPRESSED, "total": WITHHELD, "roll": 40}),  # 9 - 7 would give the 2
        (15, 0, 40, {"open": 15, "previous": SUPPRESSED, "total": 15, "roll": 40}),  # a zero gives no one away
        (15, 0, 18, {"open": 15, "previous": SUPPRESSED, "total": 15, "roll": WITHHELD}),  # 18 - 15: three outside
        (15, 0, 15, {"open": 15, "previous": SUPPRESSED, "total": 15, "roll": WITHHELD}),  # every child in the cohort
        (6, 5, 30, {"open": 6, "previous": 5, "total": 11, "roll": 30}),
        (2, 1, 30, {"open": SUPPRESSED, "previous": SUPPRESSED, "total": SUPPRESSED, "roll": 30}),
    ],
)
def test_no_cohort_count_is_found_from_the_others(open_now: int, previous: int, roll: int, expected: dict[str, Any]) -> None:
    assert cohort_counts(open_now, previous, roll) == expected


def _figures(pupils: int, marks: int, persistent: int, severe: int, suspended: int, days: float) -> dict[str, Any]:
    return {
        "pupils": pupils,
        "pupils_with_marks": marks,
        "attendance_percent": 93.0,
        "persistent_absence_pupils": persistent,
        "persistent_absence_percent": round(100 * persistent / pupils, 1),
        "severe_absence_pupils": severe,
        "severe_absence_percent": round(100 * severe / pupils, 1),
        "pupils_suspended": suspended,
        "suspension_days": days,
        "pupils_with_send": 0,
        "send_percent": 0.0,
        "pupils_with_incidents": 0,
        "incidents_percent": 0.0,
        "incidents": 0,
        **{f"{s}_{part}": 0 for s in ("reading", "writing", "maths") for part in ("assessed", "at_expected")},
        **{f"{s}_expected_percent": None for s in ("reading", "writing", "maths")},
    }


def test_a_whole_school_figure_is_withheld_where_minus_the_cohorts_it_gives_a_few_children_away() -> None:
    summary = {
        "months": ["2026-09", "2026-11"],
        "cohort": _figures(12, 12, 5, 0, 5, 7.0),
        "school": _figures(40, 40, 5, 0, 8, 10.5),  # three suspended outside the cohort; none persistently absent
        "sdq": {"with_a_score": 0, "lower_than_first": 0, "higher_than_first": 0, "same_or_one_score": 0},
    }
    section = against_whole_school(summary)
    assert section["cohort"]["pupils_suspended"] == 5 and section["cohort"]["suspension_days"] == 7.0
    assert section["whole_school"]["pupils_suspended"] == WITHHELD and section["whole_school"]["suspension_days"] == WITHHELD
    assert section["whole_school"]["persistent_absence_percent"] == 12.5, "none outside: a zero points to no child"
    assert section["whole_school"]["pupils"] == 40 and section["whole_school"]["attendance_percent"] == 93.0
    summary["sdq"]["with_a_score"] = 9
    withheld = against_whole_school(summary, cohort_withheld=True)
    assert withheld["cohort"]["pupils"] == WITHHELD
    assert withheld["sdq_movement"]["with_a_score"] == WITHHELD, "nine with a score would bound the withheld total"
    assert against_whole_school(summary)["sdq_movement"]["with_a_score"] == 9
    summary["school"] = _figures(14, 14, 7, 0, 5, 7.0)  # two pupils outside the cohort: nothing of the whole shown
    whole = against_whole_school(summary)["whole_school"]
    assert whole["pupils"] == WITHHELD and whole["attendance_percent"] == WITHHELD


@pytest.fixture
def app(database: Database) -> Iterator[Flask]:
    svc = bootstrap(database.url)
    seed_people(svc)
    yield create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret"})
    svc.close()


@pytest.mark.parametrize(
    "path",
    [
        "/reports/la?la_code=88%001",
        "/reports/la.csv?la_code=88%001",
        "/audit/cases/ab%00c",
        "/audit/cases/ab%00c/export",
        "/audit/pupils/ab%00c/subject-access",
        "/audit/pupils/ab%00c/subject-access?received_on=2026-11-27",
    ],
)
def test_a_nul_byte_in_an_id_is_no_such_thing_on_either_backend(app: Flask, path: str) -> None:
    client = app.test_client()
    sign_in(client, "auditor")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/la?la_code=88%001",
        "/api/v1/pupils/ab%00c/subject-access",
        "/api/v1/cases/ab%00c",
        "/api/v1/pupils/ab%00c",
    ],
)
def test_the_api_answers_a_nul_byte_with_a_404_problem(app: Flask, path: str) -> None:
    token = app.config["SERVICES"].accounts.issue_token("auditor")
    answer = app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404 and answer.content_type == "application/problem+json"


@pytest.mark.parametrize("query", ["within=%C2%B2", "as_of=9999-12-31&within=1", "within=%00"])
def test_odd_retention_windows_are_a_message_not_a_crash(app: Flask, query: str) -> None:
    client = app.test_client()
    sign_in(client, "auditor")
    answer = client.get(f"/audit/retention?{query}")
    assert answer.status_code == 400 and "govuk-error-summary" in answer.get_data(as_text=True)


def test_the_command_line_says_the_same_of_a_window_past_the_last_date(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = bootstrap(database.url)
    seed_people(svc)
    svc.close()
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    monkeypatch.setenv("CASEFLOW_MIGRATE_DATABASE_URL", database.owner_url)
    result = CliRunner().invoke(main, ["retention", "due", "--as", "auditor", "--as-of", "9999-12-31", "--within", "1"])
    assert result.exit_code == 1 and "past the last date" in result.output


def test_the_bundle_holds_every_look_at_the_childs_case_refused_ones_too(services: Services) -> None:
    dsl = principal(services, "dsl")
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 31), "given_name": "Vi", "family_name": "Looked",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    case = services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["family"], "description": "x"})
    for outsider in ("other_dsl", "teacher"):
        with pytest.raises(NotFound):
            services.cases.view(principal(services, outsider), case.id)
    bundle = services.subject_access.bundle(principal(services, "auditor"), pupil.id)
    refused = {(line["username"], line["case_id"]) for line in bundle["access_log"] if line["outcome"] == "not_found"}
    assert refused == {("other_dsl", case.id), ("teacher", case.id)}


def test_a_request_received_today_in_england_is_not_in_the_future(database: Database) -> None:
    """At 23:30 UTC on 31 May it is already 1 June in England (British Summer Time)."""
    svc = bootstrap(database.url, clock=Clock(datetime(2026, 5, 31, 23, 30, tzinfo=UTC)))
    seed_people(svc)
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 32), "given_name": "Jo", "family_name": "June",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    bundle = svc.subject_access.bundle(principal(svc, "auditor"), pupil.id, date(2026, 6, 1))
    assert bundle["request"]["respond_by"] == "2026-07-01"
    svc.close()
