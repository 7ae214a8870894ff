"""From a security tester: requests anyone can send that answered 500. A date before 1900 in the address took
the report pages down (their months count back to the year 0), an offset on the API's date-time overflowed,
a version of 23 digits overflowed the database's INTEGER, a body nested 100,000 deep or holding half a
character (JSON's \\ud800) broke the API, and the API took the browser's session cookie with CSRF off. Each is
now refused where it comes in: a page shows its message on the box (400), the API answers problem+json 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.events import MAX_VERSION, in_england, london_date, long_month, utc
from caseflow.domain.roles import Actor
from caseflow.services.imports import ImportRejected
from tests.conftest import LA, SCHOOL, Clock, Database, _services, principal, seed_people

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TODAY = london_date(NOW)
PASSWORD = "correct horse battery"


@pytest.fixture
def svc(sqlite_database: Database) -> Iterator[Services]:
    services = _services(sqlite_database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


@pytest.fixture
def app(svc: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "params", "WTF_CSRF_ENABLED": False})


@pytest.fixture
def case_id(svc: Services) -> str:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {
            "upn": make_upn("881", "2001", 2019, 3),
            "given_name": "F",
            "family_name": "Z",
            "date_of_birth": "2015-05-05",
            "school_urn": SCHOOL,
        },
    )
    return svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["family"], "description": "params"}).id


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def bearer(svc: Services, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {svc.accounts.issue_token(username)}"}


# --- pages and their CSV files: a day before 1900 is told on its box ---------------------------------------
@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("dsl", "/cohort?as_of=0001-01-01"),
        ("vs", f"/cohort?as_of=0001-01-01&school_urn={SCHOOL}"),
        ("governor", "/reports/governors?as_of=0001-02-01"),
        ("dsl", "/reports/governors.csv?as_of=01/01/0001"),
        ("vs", "/reports/la?as_of=0001-01-01"),
        ("vs", "/reports/la.csv?as_of=0001-01-01"),
        ("vs", "/la?as_of=0001-01-01"),
        ("dsl", "/due?as_of=31/12/1899"),
        ("auditor", "/audit/retention?as_of=0001-01-01"),
    ],
)
def test_a_day_before_1900_is_told_on_the_pages_box(app: Flask, username: str, path: str) -> None:
    response = signed_in(app, username).get(path)
    assert response.status_code == 400, path
    page = response.get_data(as_text=True)
    assert "The date must be in 1900 or later" in page
    assert "Traceback" not in page


def test_a_month_of_the_year_0_is_named_and_an_instant_past_the_calendar_is_its_first_or_last() -> None:
    """What counts back from the first days of the calendar is named, not raised (defence behind the pages)."""
    assert long_month("0000-09") == "September 0"
    assert long_month("2026-09") == "September 2026"
    first = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    last = datetime.fromisoformat("9999-12-31T23:59:59-23:59")
    assert utc(first) == datetime.min.replace(tzinfo=UTC)
    assert utc(last) == datetime.max.replace(tzinfo=UTC)
    assert utc(first) < NOW < utc(last)
    assert in_england(first).year == 1 and in_england(last).year == 9999


# --- the API: dates, instants and versions ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("username", "path", "field"),
    [
        ("dsl", f"/api/v1/cohort?school_urn={SCHOOL}&as_of=0001-01-01", "as_of"),
        ("dsl", f"/api/v1/due?school_urn={SCHOOL}&as_of=1899-12-31", "as_of"),
        ("head", f"/api/v1/reports/governors?school_urn={SCHOOL}&as_of=0001-02-01", "as_of"),
        ("vs", f"/api/v1/reports/la?la_code={LA}&as_of=0001-01-01", "as_of"),
    ],
)
def test_the_api_refuses_a_day_before_1900_naming_the_parameter(
    svc: Services, app: Flask, username: str, path: str, field: str
) -> None:
    response = app.test_client().get(path, headers=bearer(svc, username))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {field: ["must be a date in 1900 or later"]}


def test_an_offset_past_the_last_instant_replays_everything_and_one_before_1900_is_refused(
    svc: Services, app: Flask, case_id: str
) -> None:
    client, headers = app.test_client(), bearer(svc, "dsl")
    latest = client.get(f"/api/v1/cases/{case_id}/state?as_of=9999-12-31T23:59:59-23:59", headers=headers)
    assert latest.status_code == 200 and latest.get_json()["version"] == 1
    early = client.get(f"/api/v1/cases/{case_id}/state", query_string={"as_of": "0001-01-01T00:00:00+14:00"}, headers=headers)
    assert early.status_code == 422 and early.mimetype == "application/problem+json"
    assert early.get_json()["errors"] == {"as_of": ["must be a date and time in 1900 or later"]}


@pytest.mark.parametrize("version", ["99999999999999999999999", str(MAX_VERSION + 1), "²", "1" * 5000, "0"])
def test_a_version_no_stream_reaches_is_refused(svc: Services, app: Flask, case_id: str, version: str) -> None:
    response = app.test_client().get(f"/api/v1/cases/{case_id}/state?version={version}", headers=bearer(svc, "dsl"))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == {"version": [f"must be a whole number from 1 to {MAX_VERSION}"]}


def test_the_highest_version_is_the_case_as_it_is_and_the_store_takes_any(svc: Services, app: Flask, case_id: str) -> None:
    response = app.test_client().get(f"/api/v1/cases/{case_id}/state?version={MAX_VERSION}", headers=bearer(svc, "dsl"))
    assert response.status_code == 200 and response.get_json()["version"] == 1
    assert [e.version for e in svc.store.load(case_id, upto_version=10**23)] == [1]


@pytest.mark.parametrize("path", [f"/api/v1/reports/governors?school_urn={SCHOOL}", f"/api/v1/reports/la?la_code={LA}"])
def test_the_api_refuses_figures_as_at_a_day_to_come_as_the_pages_do(svc: Services, app: Flask, path: str) -> None:
    client, headers = app.test_client(), bearer(svc, "auditor")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    refused = client.get(f"{path}&as_of={tomorrow}", headers=headers)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["errors"] == {
        "as_of": [f"must be today or earlier: figures are known only up to today ({TODAY.isoformat()})"]
    }
    assert client.get(f"{path}&as_of={TODAY.isoformat()}", headers=headers).status_code == 200


# --- the API: bodies --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body", ["[" * 100_000, '{"a":' * 50_000, '{"expected_version": 1, "data": ' + "[" * 5_000 + "]" * 5_000 + "}"]
)
def test_a_body_nested_too_deep_is_refused_and_changes_nothing(svc: Services, app: Flask, case_id: str, body: str) -> None:
    response = app.test_client().post(
        f"/api/v1/cases/{case_id}/actions/log_family_contact",
        data=body,
        content_type="application/json",
        headers=bearer(svc, "dsl"),
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert "body" in response.get_json()["errors"]
    assert svc.store.current_version(case_id) == 1


def test_half_a_character_is_refused_on_its_field_and_changes_nothing(svc: Services, app: Flask, case_id: str) -> None:
    body = '{"expected_version": 1, "data": {"date": "2026-11-02", "method": "phone", "summary": "\\ud800"}}'
    response = app.test_client().post(
        f"/api/v1/cases/{case_id}/actions/log_family_contact",
        data=body,
        content_type="application/json",
        headers=bearer(svc, "dsl"),
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["summary"]
    assert "unpaired surrogate" in response.get_json()["errors"]["summary"][0]
    assert svc.store.current_version(case_id) == 1
    whole = body.replace("\\ud800", "\\ud83d\\ude00")  # a pair is a whole character, and taken
    taken = app.test_client().post(
        f"/api/v1/cases/{case_id}/actions/log_family_contact",
        data=whole,
        content_type="application/json",
        headers=bearer(svc, "dsl"),
    )
    assert taken.status_code == 201, taken.get_json()


# --- the API takes bearer tokens only ---------------------------------------------------------------------
def test_the_api_ignores_the_browsers_session(svc: Services, app: Flask, case_id: str) -> None:
    """CSRF is off on /api/ because it takes no cookie: a page of another site posting JSON with the signed-in
    person's cookie must not act for them (it got 201)."""
    client = signed_in(app, "dsl")
    assert client.get(f"/cases/{case_id}").status_code == 200  # the session works on pages
    body = {"expected_version": 1, "data": {"date": "2026-11-02", "method": "phone", "summary": "Spoke to mum"}}
    refused = client.post(f"/api/v1/cases/{case_id}/actions/log_family_contact", json=body)
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/cases/{case_id}").status_code == 401
    assert svc.store.current_version(case_id) == 1
    taken = client.post(f"/api/v1/cases/{case_id}/actions/log_family_contact", json=body, headers=bearer(svc, "dsl"))
    assert taken.status_code == 201


# --- other numbers in the address and in files --------------------------------------------------------------
def test_digits_python_reads_but_no_number_is_written_in_are_refused_cleanly(svc: Services, app: Flask) -> None:
    """'²' is a digit to ``str.isdigit`` and no number to ``int``: a page number, a school year, a year group."""
    assert signed_in(app, "vs").get("/la?page=²").status_code == 200  # the first page, as for any page that is none
    terms = signed_in(app, "dsl").get(f"/terms?year=²²²²&school_urn={SCHOOL}")
    assert terms.status_code == 400 and "Give the year the school year begins in" in terms.get_data(as_text=True)
    put = app.test_client().put(f"/api/v1/schools/{SCHOOL}/terms/²²²²", json={}, headers=bearer(svc, "dsl"))
    assert put.status_code == 422 and "year" in put.get_json()["errors"]
    upn = make_upn("881", "4001", 2021, 7)
    for year_group in ["²", "1" * 5000]:
        row = f"upn,given_name,family_name,date_of_birth,school_urn,year_group\n{upn},A,B,2015-01-01,{SCHOOL},{year_group}\n"
        with pytest.raises(ImportRejected) as rejected:
            svc.imports.run("pupils", row, Actor("cli:params", "admin"), None)
        assert {error.column for error in rejected.value.errors} == {"year_group"}


# --- whatever is typed into any date, number or version in the address ---------------------------------------
PARAMETERS = [
    ("dsl", "/cohort?as_of={}"),
    ("vs", "/cohort?school_urn=" + SCHOOL + "&as_of={}"),
    ("vs", "/la?as_of={}&page={}"),
    ("dsl", "/due?as_of={}&within={}"),
    ("governor", "/reports/governors?as_of={}"),
    ("head", "/reports/governors.csv?as_of={}"),
    ("vs", "/reports/la?as_of={}"),
    ("vs", "/reports/la.csv?as_of={}"),
    ("auditor", "/audit/retention?as_of={}&within={}"),
    ("auditor", "/audit/cases/{case}?version={}"),
    ("auditor", "/audit/cases/{case}?on={}&at={}"),
    ("auditor", "/audit/pupils/{pupil}/subject-access?received_on={}"),
    ("dsl", "/terms?school_urn=" + SCHOOL + "&year={}"),
    ("dsl", "/cases/{case}?timeline={}"),
    ("dsl", "/api/v1/cohort?school_urn=" + SCHOOL + "&as_of={}"),
    ("dsl", "/api/v1/due?school_urn=" + SCHOOL + "&as_of={}&within={}"),
    ("dsl", "/api/v1/cases/{case}/state?as_of={}"),
    ("dsl", "/api/v1/cases/{case}/state?version={}"),
    ("head", "/api/v1/reports/governors?school_urn=" + SCHOOL + "&as_of={}"),
    ("vs", "/api/v1/reports/la?la_code=" + LA + "&as_of={}"),
    ("auditor", "/api/v1/pupils/{pupil}/subject-access?received_on={}"),
]
EDGES = [
    "0001-01-01", "0001-02-01", "01/01/0001", "0000-01-01", "1899-12-31", "1900-01-01", "9999-12-31", "31/12/9999",
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "2026-11-02T09:00", "99999999999999999999999", "²", "-1",
    "0", "2147483648", "1" * 5000, "\x00", "2026-02-30", "",
]  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(EDGES),
    st.text(alphabet="0123456789/-:+T .Z", max_size=30),
    st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
    st.integers().map(str),
    st.text(max_size=12),
)


@pytest.fixture
def world(svc: Services, app: Flask, case_id: str) -> dict[str, object]:
    pupil = svc.cases.history(principal(svc, "dsl"), case_id)[0].data["pupil_id"]
    users = {username for username, _ in PARAMETERS}
    return {
        "case": case_id,
        "pupil": pupil,
        "clients": {u: signed_in(app, u) for u in users},
        "tokens": {u: bearer(svc, u) for u in users},
    }


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(place=st.sampled_from(PARAMETERS), first=VALUES, second=VALUES)
def test_no_value_of_a_date_number_or_version_parameter_answers_500(
    world: dict[str, object], place: tuple[str, str], first: str, second: str
) -> None:
    username, template = place
    path, _, query = template.replace("{case}", str(world["case"])).replace("{pupil}", str(world["pupil"])).partition("?")
    names = [pair.split("=")[0] for pair in query.split("&")]
    fixed = dict(pair.split("=") for pair in query.split("&") if not pair.endswith("{}"))
    asked = [name for name, pair in zip(names, query.split("&"), strict=True) if pair.endswith("{}")]
    values = dict(zip(asked, [first, second], strict=False))
    api = path.startswith("/api/")
    client = world["clients"][username]  # type: ignore[index]
    headers = world["tokens"][username] if api else {}  # type: ignore[index]
    response = client.get(path, query_string={**fixed, **values}, headers=headers)
    assert response.status_code < 500, (path, values, response.get_data(as_text=True)[:500])
    assert "Traceback" not in response.get_data(as_text=True)
    if api and response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
