"""From a new user's walk: opening a second case for a pupil who already has one gave no warning. The form
that opens a case marks the pupils who have one (to those who may read cases), and each open case's page
names the pupil's other open cases, with a link."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import services_today

PASSWORD = "correct horse battery"


def client_for(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def a_pupil(svc: Services, serial: int, given: str) -> str:
    pupil = svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": given, "family_name": "Open",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    return pupil.id


def open_case(svc: Services, pupil_id: str) -> str:
    data = {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "Missing Mondays."}
    return svc.cases.open_case(principal(svc, "dsl"), data).id


def warnings_on(client: FlaskClient, case_id: str) -> list[str]:
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    return re.findall(r'id="other-open-case-\d+".*?</div>', page, re.S)


def test_each_open_case_names_the_pupils_other_open_cases(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = a_pupil(svc, 71, "Ria")
    first, second = open_case(svc, pupil_id), open_case(svc, pupil_id)
    open_case(svc, a_pupil(svc, 72, "Sol"))  # another child's case is not named
    client = client_for(svc, "dsl")
    [on_first] = warnings_on(client, first)
    assert "Ria has another open case, at the step &ldquo;Need identified&rdquo;" in on_first
    assert f'href="/cases/{second}"' in on_first
    [on_second] = warnings_on(client, second)
    assert f'href="/cases/{first}"' in on_second


def test_a_closed_case_is_not_named(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = a_pupil(svc, 73, "Tam")
    who = {"dsl": principal(svc, "dsl"), "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    closed = walk(svc, who, pupil_id, "closed", services_today(svc))
    current = open_case(svc, pupil_id)
    assert warnings_on(client_for(svc, "dsl"), current) == []
    assert svc.cases.view(principal(svc, "dsl"), closed).other_open_cases[0]["case_id"] == current


def test_the_form_marks_pupils_with_an_open_case_only_for_those_who_read_cases(sqlite_services: Services) -> None:
    svc = sqlite_services
    with_case, without = a_pupil(svc, 74, "Uma"), a_pupil(svc, 75, "Vic")
    open_case(svc, with_case)
    form = client_for(svc, "dsl").get("/cases/new").get_data(as_text=True)
    assert re.search(rf'value="{with_case}"[^>]*>Open, Uma \(year [^)]*\): has an open case<', form)
    assert re.search(rf'value="{without}"[^>]*>Open, Vic \(year [^)]*\)<', form)
    teacher_form = client_for(svc, "teacher").get("/cases/new")
    assert teacher_form.status_code == 200, "a teacher may raise a need"
    assert "has an open case" not in teacher_form.get_data(as_text=True)
