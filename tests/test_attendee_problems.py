"""From a new user's walk: recording a meeting, a wrong attendee was told "Attendees each person's agency must be
one of: school, social_care, …": stored codes, no word of which person, and only the first problem of the list.
Each attendee's problem now names the person (by their name, or "the 3rd person" when unnamed) and the agency
as people write it, every problem of the list at once, on the form and through the API alike. A person with an
agency but no name is refused saying so; a wholly empty row of the form is still left out. What is accepted is
unchanged, and the events already recorded replay as they are (replay never validates)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import InvalidData
from caseflow.domain.events import NewEvent
from caseflow.domain.fields import validate
from caseflow.domain.roles import Actor
from caseflow.domain.wording import ordinal
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import IN_NEED, WHEN, WORKFLOW, case_at, stored

FIELDS = WORKFLOW.actions["record_meeting"].fields
PASSWORD = "correct horse battery"

#: four attendees wrong in four ways, and one right
MIXED = [
    {"name": "Sam Patel", "agency": ""},
    {"name": "", "agency": "social_care"},
    {"name": " ", "agency": ""},
    {"name": "Jo Evans", "agency": "nurse"},
    {"name": "Ann Lee", "agency": "camhs"},
]
MIXED_TOLD = [
    "Choose the agency of Sam Patel",
    "Enter the name of the 2nd person (their agency is Social care)",
    "Enter the name of the 3rd person and choose their agency",
    "Choose the agency of Jo Evans from the list ('nurse' is not one of them)",
]


def problems(attendees: Any, **other: Any) -> dict[str, list[str]]:
    with pytest.raises(InvalidData) as refused:
        validate(FIELDS, {"date": "2026-10-01", "attendees": attendees, **other})
    return refused.value.errors


# --- the domain: every attendee's problem, named ---------------------------------------------------------
def test_each_attendees_problem_names_the_person_in_words_people_know() -> None:
    errors = problems(MIXED)
    assert errors == {"attendees": MIXED_TOLD}
    assert not any("social_care" in message or "one of: " in message for message in errors["attendees"])


def test_a_person_with_an_agency_but_no_name_is_refused_saying_so() -> None:
    assert problems([{"name": "Dana Shah", "agency": "school"}, {"name": "   ", "agency": "send_service"}]) == {
        "attendees": ["Enter the name of the 2nd person (their agency is SEND service)"]
    }
    assert problems([{"name": "", "agency": "camhs"}]) == {
        "attendees": ["Enter the name of the 1st person (their agency is CAMHS)"]
    }


def test_the_attendees_problems_come_with_the_other_fields_problems() -> None:
    case = case_at("multi_agency_review")
    data = {"date": "not a date", "attendees": MIXED}
    with pytest.raises(InvalidData) as refused:
        WORKFLOW.decide(case, "record_meeting", Actor("dsl", "dsl"), data, IN_NEED, WHEN)
    assert refused.value.errors["attendees"] == MIXED_TOLD
    assert refused.value.errors["date"] == ["Date of the meeting must be a real date written as YYYY-MM-DD"]


@pytest.mark.parametrize(
    ("attendees", "told"),
    [
        ([{"name": "x" * 201, "agency": "school"}], "The name of the 1st person must be at most 200 characters (got 201)"),
        ([{"name": 7, "agency": "school"}], "The name of the 1st person must be text"),
        ([{"name": "A\x00B", "agency": "school"}], "The name of the 1st person must not contain NUL characters"),
        ([{"name": "A", "agency": "school"}, "Bea"], "The 2nd person must be given as a name and an agency"),
        ([{"name": "Sam", "agency": "school", "role": "Head"}], "Sam must be given as just a name and an agency (not 'role')"),
        ([{"agency": "school"}], "Enter the name of the 1st person (their agency is School)"),
        ([{"name": "Sam"}], "Choose the agency of Sam"),
        ([{"name": "Sam", "agency": None}], "Choose the agency of Sam"),
        ([{"name": "Sam", "agency": 3}], "Choose the agency of Sam from the list"),
        (
            [{"name": "Sam", "agency": "n" * 80}],
            "Choose the agency of Sam from the list ('" + "n" * 30 + "…' is not one of them)",
        ),
        ("Sam", "Attendees must be a list of at most 50 people"),
        ([{"name": "A", "agency": "school"}] * 51, "Attendees must be a list of at most 50 people"),
    ],
)
def test_each_wrong_shape_is_told_plainly(attendees: Any, told: str) -> None:
    assert problems(attendees) == {"attendees": [told]}


def test_a_name_too_long_and_an_unknown_agency_of_one_person_are_both_told() -> None:
    assert problems([{"name": "x" * 300, "agency": "nurse"}]) == {
        "attendees": [
            "The name of the 1st person must be at most 200 characters (got 300)",
            "Choose the agency of the 1st person from the list ('nurse' is not one of them)",
        ]
    }


def test_good_attendees_are_taken_as_before() -> None:
    clean = validate(FIELDS, {"date": "2026-10-01", "attendees": [{"name": "  Dana Shah ", "agency": "school"}]})
    assert clean["attendees"] == [{"name": "Dana Shah", "agency": "school"}]


@pytest.mark.parametrize(
    ("number", "written"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"),
     (23, "23rd"), (50, "50th"), (101, "101st"), (111, "111th"), (112, "112th")],
)  # fmt: skip
def test_ordinals_are_written_as_people_write_them(number: int, written: str) -> None:
    assert ordinal(number) == written


def test_a_meeting_recorded_before_replays_as_it_was() -> None:
    """Replay applies what was recorded; it never checks it again (a person recorded under other rules stays)."""
    log: list[Any] = []
    case = case_at("multi_agency_review", log=log)
    recorded = {"date": "2026-10-01", "attendees": [{"name": "", "agency": "nurse"}]}
    log.append(stored(case, NewEvent("MeetingRecorded", recorded, "dsl", "dsl", WHEN, workflow_version=WORKFLOW.version)))
    replayed = SupportCase(case.id)
    for event in log:
        replayed.apply(event)
    assert replayed.facts_of("MeetingRecorded")[-1].data["attendees"] == [{"name": "", "agency": "nurse"}]


# --- the web form and the API say the same ------------------------------------------------------------
@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})


@pytest.fixture
def case_id(sqlite_services: Services) -> str:
    svc = sqlite_services
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 97), "given_name": "Ada", "family_name": "Meets",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    return walk(svc, who, pupil.id, "multi_agency_review", svc.cases.clock().date())


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": "dsl", "password": PASSWORD}).status_code == 302
    return client


def rows(*people: tuple[str, str]) -> dict[str, str]:
    form: dict[str, str] = {}
    for index, (name, agency) in enumerate(people):
        form[f"attendees-{index}-name"] = name
        form[f"attendees-{index}-agency"] = agency
    return form


def test_the_form_shows_every_attendees_problem_on_the_field_naming_each_person(
    app: Flask, sqlite_services: Services, case_id: str
) -> None:
    version = sqlite_services.store.current_version(case_id)
    form = {"expected_version": str(version), **rows(("", ""), ("", "social_care"), ("Sam Patel", ""), ("", ""))}
    page = signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    summary = html[html.index("govuk-error-summary__list") : html.index("</ul>", html.index("govuk-error-summary__list"))]
    # the empty first row is left out, so the person with no name is the 1st: the form shows the rows as sent
    for message in ("Enter the name of the 1st person (their agency is Social care)", "Choose the agency of Sam Patel"):
        assert f'<a href="#attendees">{message}</a>' in summary, message
    assert '<a href="#date">Date of the meeting is required</a>' in summary
    error = re.search(r'id="attendees-error">(.*?)</p>', html, re.S)
    assert error and "Enter the name of the 1st person" in error.group(1) and "Choose the agency of Sam Patel" in error.group(1)
    assert re.search(r'<option selected value="social_care">|<option value="social_care" selected>', _row(html, 0))
    assert 'value="Sam Patel"' in _row(html, 1)
    assert sqlite_services.store.current_version(case_id) == version


def test_the_forms_wholly_empty_rows_are_still_left_out(app: Flask, sqlite_services: Services, case_id: str) -> None:
    version = sqlite_services.store.current_version(case_id)
    form = {"expected_version": str(version), "date": "2026-10-01",
            **rows(("", ""), ("Jo Evans", "social_care"), ("", ""), ("Dana Shah", "school"))}  # fmt: skip
    assert signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form).status_code == 302
    assert sqlite_services.store.load(case_id)[-1].data["attendees"] == [
        {"name": "Jo Evans", "agency": "social_care"},
        {"name": "Dana Shah", "agency": "school"},
    ]


def test_the_api_gives_the_same_messages_by_field(app: Flask, sqlite_services: Services, case_id: str) -> None:
    version = sqlite_services.store.current_version(case_id)
    token = sqlite_services.accounts.issue_token("dsl")
    body = {"expected_version": version, "data": {"attendees": MIXED}}
    answer = app.test_client().post(
        f"/api/v1/cases/{case_id}/actions/record_meeting", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["errors"] == {"attendees": MIXED_TOLD, "date": ["Date of the meeting is required"]}
    assert sqlite_services.store.current_version(case_id) == version


# --- helpers -------------------------------------------------------------------------------------------
def _row(html: str, index: int) -> str:
    start = html.index(f'id="attendees-{index}-name"')
    return html[start : html.index('class="caseflow-person"', start) if index < 3 else len(html)]
