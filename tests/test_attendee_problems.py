"""From a new user's walk: recording a meeting, a wrong attendee was told "Attendees each person's agency must be
one of: school, social_care, …": stored codes, no word of which person, and only the first problem of the list.
Each attendee's problem now names the person (by their name, or "Person 3", as the form labels the row, when
unnamed) and the agency as people write it, every problem of the list at once, on the form and through the API
alike. A person with an agency but no name is refused saying so; a wholly empty row of the form is still left
out. What is accepted is unchanged, and the events already recorded replay as they are (replay never validates).

From the next walk: on the form each problem links to, and is shown beside, that person's own name box or agency
select, not the list as a whole; and "Add another person" gives the list one more row (up to 20) without
JavaScript, the form shown again as typed, nothing recorded and nothing told wrong."""

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
from tests.journey_helpers import IN_NEED, WHEN, WORKFLOW, case_at, days_ago, services_today, stored

FIELDS = WORKFLOW.actions["record_meeting"].fields
PASSWORD = "correct horse battery"
#: the meeting the forms record, on the real clock of the services they post to: no more than a year back
MET = days_ago(7)

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
    "Enter the name of Person 2 (their agency is Social care)",
    "Enter the name of Person 3 and choose their agency",
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
        "attendees": ["Enter the name of Person 2 (their agency is SEND service)"]
    }
    assert problems([{"name": "", "agency": "camhs"}]) == {"attendees": ["Enter the name of Person 1 (their agency is CAMHS)"]}


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
        ([{"name": "x" * 201, "agency": "school"}], "The name of Person 1 must be at most 200 characters (got 201)"),
        ([{"name": 7, "agency": "school"}], "The name of Person 1 must be text"),
        ([{"name": "A\x00B", "agency": "school"}], "The name of Person 1 must not contain NUL characters"),
        ([{"name": "A", "agency": "school"}, "Bea"], "Person 2 must be given as a name and an agency"),
        ([{"name": "Sam", "agency": "school", "role": "Head"}], "Sam must be given as just a name and an agency (not 'role')"),
        ([{"agency": "school"}], "Enter the name of Person 1 (their agency is School)"),
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
            "The name of Person 1 must be at most 200 characters (got 300)",
            "Choose the agency of Person 1 from the list ('nurse' is not one of them)",
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
    return walk(svc, who, pupil.id, "multi_agency_review", services_today(svc))


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


def test_the_form_shows_each_attendees_problem_beside_that_persons_own_box(
    app: Flask, sqlite_services: Services, case_id: str
) -> None:
    version = sqlite_services.store.current_version(case_id)
    form = {"expected_version": str(version), **rows(("", ""), ("", "social_care"), ("Sam Patel", ""), ("Jo Evans", "school"))}
    page = signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    summary = _summary(html)
    # the empty first row is left out, so the person with no name is Person 1: the form shows the rows as sent
    assert '<a href="#attendees-0-name">Enter the name of Person 1 (their agency is Social care)</a>' in summary
    assert '<a href="#attendees-1-agency">Choose the agency of Sam Patel</a>' in summary
    assert '<a href="#date">Date of the meeting is required</a>' in summary
    assert 'href="#attendees"' not in summary, "each problem goes to its person's box, not to the list"
    assert "Person 1 (their agency is Social care)" in _error_beside(html, "attendees-0-name")
    assert "Choose the agency of Sam Patel" in _error_beside(html, "attendees-1-agency")
    assert _marked(html, "attendees-0-name") and _marked(html, "attendees-1-agency")
    assert not any(
        _marked(html, box) for box in ("attendees-0-agency", "attendees-1-name", "attendees-2-name", "attendees-2-agency")
    )
    assert 'id="attendees-error"' not in html, "the list itself has nothing wrong"
    assert re.search(r'<option selected value="social_care">|<option value="social_care" selected>', _row(html, 0))
    assert 'value="Sam Patel"' in _row(html, 1)
    assert sqlite_services.store.current_version(case_id) == version


def test_an_agency_not_offered_is_told_on_that_persons_select(app: Flask, sqlite_services: Services, case_id: str) -> None:
    """A value the list does not offer (an old page, a crafted post) is the domain's to tell, naming the person,
    not a bare "Not a valid choice" or a "Check Attendees" that says nothing of who."""
    version = sqlite_services.store.current_version(case_id)
    form = {"expected_version": str(version), "date": MET, **rows(("Dana Shah", "school"), ("Jo Evans", "nurse"))}
    page = signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    told = "Choose the agency of Jo Evans from the list (&#39;nurse&#39; is not one of them)"
    assert f'<a href="#attendees-1-agency">{told}</a>' in _summary(html)
    assert told in _error_beside(html, "attendees-1-agency") and _marked(html, "attendees-1-agency")
    assert sqlite_services.store.current_version(case_id) == version


def test_a_date_the_page_cannot_read_still_puts_each_persons_problem_on_their_row(
    app: Flask, sqlite_services: Services, case_id: str
) -> None:
    version = sqlite_services.store.current_version(case_id)
    form = {"expected_version": str(version), "date": "the 5th", **rows(("", ""), ("", "camhs"))}
    html = signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form).get_data(as_text=True)
    assert '<a href="#attendees-0-name">Enter the name of Person 1 (their agency is CAMHS)</a>' in _summary(html)
    assert re.search(r'<option selected value="camhs">|<option value="camhs" selected>', _row(html, 0)), (
        "Person 1 is the row told"
    )


def test_the_forms_wholly_empty_rows_are_still_left_out(app: Flask, sqlite_services: Services, case_id: str) -> None:
    version = sqlite_services.store.current_version(case_id)
    form = {"expected_version": str(version), "date": MET,
            **rows(("", ""), ("Jo Evans", "social_care"), ("", ""), ("Dana Shah", "school"))}  # fmt: skip
    assert signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form).status_code == 302
    assert sqlite_services.store.load(case_id)[-1].data["attendees"] == [
        {"name": "Jo Evans", "agency": "social_care"},
        {"name": "Dana Shah", "agency": "school"},
    ]


# --- "Add another person": a row more, without JavaScript -------------------------------------------------
def test_add_another_person_shows_the_form_again_as_typed_with_one_more_empty_row(
    app: Flask, sqlite_services: Services, case_id: str
) -> None:
    version = sqlite_services.store.current_version(case_id)
    typed = rows(("Dana Shah", "school"), ("", "social_care"), ("", ""), ("Sam Patel", ""))
    form = {"expected_version": str(version), "date": MET, "notes": "Met at school", **typed, "add_row": "attendees"}
    page = signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "govuk-error-summary" not in html and "govuk-error-message" not in html, "a row being filled in is no problem"
    assert '<label class="govuk-label" for="attendees-4-name">Person 5 name</label>' in html
    assert 'id="attendees-5-name"' not in html, "one row more, not two"
    assert re.search(r'<input[^>]*autofocus[^>]*id="attendees-4-name"|<input[^>]*id="attendees-4-name"[^>]*autofocus', html)
    assert 'value="Dana Shah"' in _row(html, 0) and 'value="Sam Patel"' in _row(html, 3)
    assert re.search(r'<option selected value="social_care">|<option value="social_care" selected>', _row(html, 1))
    assert f'value="{MET}"' in html and "Met at school" in html and f'value="{version}"' in html
    assert ">Add another person</button>" in html
    assert sqlite_services.store.current_version(case_id) == version, "nothing is recorded"


def test_the_added_rows_people_are_recorded_and_its_empty_rows_left_out(
    app: Flask, sqlite_services: Services, case_id: str
) -> None:
    version = sqlite_services.store.current_version(case_id)
    people = [(f"Person Number {n}", "school") for n in range(1, 20)] + [("", "")]  # 20 rows, the last left empty
    form = {"expected_version": str(version), "date": MET, **rows(*people)}
    assert signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form).status_code == 302
    recorded = sqlite_services.store.load(case_id)[-1].data["attendees"]
    assert recorded == [{"name": name, "agency": agency} for name, agency in people[:19]]


def test_a_problem_on_an_added_row_is_told_on_that_row(app: Flask, sqlite_services: Services, case_id: str) -> None:
    version = sqlite_services.store.current_version(case_id)
    people = [("Dana Shah", "school")] * 5 + [("Lee Hart", "")]
    form = {"expected_version": str(version), "date": MET, **rows(*people)}
    html = signed_in(app).post(f"/cases/{case_id}/actions/record_meeting", data=form).get_data(as_text=True)
    assert '<a href="#attendees-5-agency">Choose the agency of Lee Hart</a>' in _summary(html)
    assert _marked(html, "attendees-5-agency") and 'for="attendees-5-agency">Person 6 agency' in html


def test_the_list_stops_growing_at_20_rows_and_says_so(app: Flask, sqlite_services: Services, case_id: str) -> None:
    version = sqlite_services.store.current_version(case_id)
    client = signed_in(app)
    full = "This form takes up to 20 people"
    for sent, shown in ((19, 20), (20, 20)):
        people = [(f"Person Number {n}", "camhs") for n in range(1, sent + 1)]
        form = {"expected_version": str(version), "date": MET, **rows(*people), "add_row": "attendees"}
        page = client.post(f"/cases/{case_id}/actions/record_meeting", data=form)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert f'id="attendees-{shown - 1}-name"' in html and f'id="attendees-{shown}-name"' not in html, sent
        assert full in html and "Add another person" not in html, sent
        assert 'value="Person Number 19"' in html and "govuk-error-summary" not in html
    assert full not in client.get(f"/cases/{case_id}/actions/record_meeting").get_data(as_text=True)
    assert sqlite_services.store.current_version(case_id) == version


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
    """One person's row of the form, from its name box to the next row (or the end of the list)."""
    start = html.index(f'id="attendees-{index}-name"')
    following = [html.find(end, start) for end in ('class="caseflow-person"', "</fieldset>")]
    return html[start : min(at for at in following if at >= 0)]


def _summary(html: str) -> str:
    start = html.index("govuk-error-summary__list")
    return html[start : html.index("</ul>", start)]


def _group(html: str, box: str) -> str:
    """The form group holding the input whose id is ``box``: its label, its message and the input itself."""
    at = html.index(f'id="{box}"')
    start = html.rindex('<div class="govuk-form-group', 0, at)
    return html[start : html.index("</div>", at)]


def _error_beside(html: str, box: str) -> str:
    found = re.search(rf'<p class="govuk-error-message" id="{box}-error">(.*?)</p>', _group(html, box), re.S)
    return found.group(1) if found else ""


def _marked(html: str, box: str) -> bool:
    """The box's group is in the error style, the box itself too, and it is described by its message."""
    group = _group(html, box)
    tag = re.search(rf'<(?:input|select)[^>]*id="{box}"[^>]*>', group)
    return (
        "govuk-form-group--error" in group.split(">", 1)[0]
        and tag is not None
        and re.search(r"govuk-(?:input|select)--error", tag.group(0)) is not None
        and f'aria-describedby="{box}-error"' in tag.group(0)
    )
