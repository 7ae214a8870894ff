"""The school's roll: how a DSL reaches a child whose first plan has just begun, and registers a new starter."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from tests.conftest import SCHOOL, access_lines, principal

PASSWORD = "correct horse battery"


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def register(svc: Services, given: str, family: str, serial: int) -> str:
    pupil = svc.pupils.register(
        principal(svc, "dsl"),
        {
            "upn": make_upn("881", "2001", 2019, serial),
            "given_name": given,
            "family_name": family,
            "date_of_birth": "2016-01-01",
            "school_urn": SCHOOL,
        },
    )
    return pupil.id


def test_the_roll_lists_every_pupil_finds_by_name_or_upn_and_opens_the_record(app: Flask, sqlite_services: Services) -> None:
    quiet = register(sqlite_services, "Nia", "Quill", 11)
    known = register(sqlite_services, "Omar", "Reyes", 12)
    sqlite_services.pupils.record_episode(
        principal(sqlite_services, "dsl"), known, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"}
    )
    client = signed_in(app, "dsl")
    page = client.get("/pupils").get_data(as_text=True)
    assert "Quill, Nia" in page and "Reyes, Omar" in page
    row = re.search(r"Reyes, Omar.*?</tr>", page, re.S)
    assert row and "Now" in row.group(0)
    assert "2 pupils" in page
    found = client.get("/pupils?q=quill").get_data(as_text=True)
    assert "Quill, Nia" in found and "Reyes, Omar" not in found and "matching" in found
    upn = make_upn("881", "2001", 2019, 12)
    assert "Reyes, Omar" in client.get(f"/pupils?q={upn.lower()}").get_data(as_text=True)
    assert f'href="/pupils/{quiet}"' in page, "a child with no social worker yet is one click away"
    assert client.get(f"/pupils/{quiet}").status_code == 200
    lines = [x for x in access_lines(sqlite_services) if x["action"] == "view_roll"]
    assert len(lines) == 3 and "search 'quill'" in lines[1]["detail"]


def test_a_dsl_registers_a_new_starter_and_bad_input_changes_nothing(app: Flask, sqlite_services: Services) -> None:
    client = signed_in(app, "dsl")
    form = {"school_urn": SCHOOL, "given_name": "Pia", "family_name": "Stone", "date_of_birth": "2017-03-04", "year_group": "3"}
    bad = client.post("/pupils/new", data={**form, "upn": "A88120011900X"})
    assert bad.status_code == 422 and "check letter" in bad.get_data(as_text=True).lower()
    assert "<title>Error: Register a pupil" in bad.get_data(as_text=True)
    assert "Stone, Pia" not in client.get("/pupils").get_data(as_text=True)
    done = client.post("/pupils/new", data={**form, "upn": make_upn("881", "2001", 2019, 21)})
    assert done.status_code == 302 and done.headers["Location"].startswith("/pupils/")
    assert "Stone, Pia" in client.get("/pupils").get_data(as_text=True)
    again = client.post("/pupils/new", data={**form, "upn": make_upn("881", "2001", 2019, 21)})
    assert again.status_code == 422, "a UPN already in use"
    other_school = client.post("/pupils/new", data={**form, "school_urn": "999999", "upn": make_upn("881", "2001", 2019, 22)})
    assert other_school.status_code == 422, "only a school of the user's own"


def test_a_teacher_and_a_virtual_school_officer_do_not_see_the_roll(app: Flask) -> None:
    for username in ("teacher", "vs", "governor"):
        client = signed_in(app, username)
        assert client.get("/pupils").status_code == 403
        assert client.get(f"/pupils?school_urn={SCHOOL}").status_code == 403
