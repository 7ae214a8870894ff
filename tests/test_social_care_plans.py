"""From a new user's walk of a pupil's social-care plans (as the DSL and the social worker): the plan's social
worker was free text, so a person's name ("Jo Evans") was accepted and the case then waited for a view nobody
could give; ending a plan asked for its number and offered bare census codes; and the social worker's home page
did not list the cases waiting for their social care view before the multi-agency review."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.errors import GuardFailed, InvalidData
from caseflow.domain.wording import label
from tests.conftest import OTHER_SCHOOL, SCHOOL, principal
from tests.journey_helpers import services_today
from workflows import PUPIL_RECORD, REGISTRY, pupil_record

PASSWORD = "correct horse battery"


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _app(svc: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})


def _pupil(svc: Services, serial: int = 61) -> str:
    return svc.pupils.register(
        principal(svc, "dsl"),
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Ivy", "family_name": "Planned",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip


def _jo(svc: Services) -> None:
    svc.accounts.add_user("jo", ["social_worker"], password=PASSWORD, display_name="Jo Evans")


def _error_on(page: str, field: str) -> str:
    """The message shown on a field of a form (empty if none)."""
    found = re.search(rf'<p class="govuk-error-message" id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


# --- 1. the plan's social worker is an account -------------------------------------------------------
def test_the_plan_form_offers_the_social_workers_with_accounts_by_name(sqlite_services: Services) -> None:
    svc = sqlite_services
    _jo(svc)
    pupil_id = _pupil(svc)
    page = signed_in(_app(svc), "dsl").get(f"/pupils/{pupil_id}/actions/record_social_care_episode").get_data(as_text=True)
    select = page[page.index('<select class="govuk-select" id="social_worker"') :]
    select = select[: select.index("</select>")]
    assert '<option value="jo">Jo Evans</option>' in select  # as staff pages name them: no username (test_person_choosers)
    assert 'value="sw"' in select and 'value="sw2"' in select
    assert 'value="dsl"' not in select and 'value="admin"' not in select  # not social workers
    assert "Social worker (username)" not in page


@pytest.mark.parametrize("named", ["Jo Evans", "dsl"])
def test_a_social_worker_who_is_no_social_workers_account_is_refused_on_the_field(sqlite_services: Services, named: str) -> None:
    """'Jo Evans' is a person's name, not an account; 'dsl' is an account, but not a social worker's."""
    svc = sqlite_services
    pupil_id = _pupil(svc)
    client = signed_in(_app(svc), "dsl")
    sent = {"plan": "cin", "start_date": "2026-03-03", "social_worker": named, "expected_version": "1"}
    response = client.post(f"/pupils/{pupil_id}/actions/record_social_care_episode", data=sent)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"“{named}” is not the username of a social worker" in _error_on(page, "social_worker")
    assert 'href="#social_worker"' in page
    assert svc.pupils.load(pupil_id).episodes == [] and svc.store.current_version(pupil_id) == 1


def test_the_api_refuses_a_social_worker_with_no_account_and_records_nothing(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = _pupil(svc)
    client = _app(svc).test_client()
    headers = {"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"}
    body = {"plan": "cin", "start_date": "2026-03-03", "end_date": None, "social_worker": "Jo Evans"}
    response = client.post(f"/api/v1/pupils/{pupil_id}/social-care", json=body, headers=headers)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    [unmet] = response.get_json()["unmet"]
    assert unmet["field"] == "social_worker" and unmet["code"] == "social_worker_unknown"
    assert svc.store.current_version(pupil_id) == 1
    good = client.post(f"/api/v1/pupils/{pupil_id}/social-care", json=body | {"social_worker": "sw"}, headers=headers)
    assert good.status_code == 201 and good.get_json()["cohort_status"] == "open"


def test_the_social_worker_is_told_with_the_forms_other_problems(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = _pupil(svc)
    dsl = principal(svc, "dsl")
    with pytest.raises(InvalidData) as refused:
        svc.pupils.act(dsl, pupil_id, "record_social_care_episode", 1, {"plan": "nope", "start_date": "2026-03-03",
                                                                         "social_worker": "Jo Evans"})  # fmt: skip
    assert set(refused.value.errors) == {"plan", "social_worker"}
    with pytest.raises(GuardFailed) as unknown:
        svc.pupils.act(dsl, pupil_id, "record_social_care_episode", 1, {"plan": "cin", "start_date": "2026-03-03",
                                                                         "social_worker": "sw-gone"})  # fmt: skip
    assert [(u.code, u.field) for u in unknown.value.unmet] == [("social_worker_unknown", "social_worker")]


def test_a_deactivated_social_worker_is_not_offered_nor_accepted(sqlite_services: Services) -> None:
    svc = sqlite_services
    svc.accounts.deactivate("sw2")
    pupil_id = _pupil(svc)
    page = signed_in(_app(svc), "dsl").get(f"/pupils/{pupil_id}/actions/record_social_care_episode").get_data(as_text=True)
    assert 'value="sw"' in page and 'value="sw2"' not in page
    with pytest.raises(GuardFailed):
        svc.pupils.act(principal(svc, "dsl"), pupil_id, "record_social_care_episode", 1,
                       {"plan": "cin", "start_date": "2026-03-03", "social_worker": "sw2"})  # fmt: skip


def test_version_4_is_kept_as_released_and_version_5_checks_the_social_worker() -> None:
    released = json.loads((Path(__file__).parent / "data" / "pupil_record_v4.json").read_text())
    assert json.loads(json.dumps(REGISTRY["pupil_record@4"])) == released
    assert REGISTRY[PUPIL_RECORD] is pupil_record.DEFINITION
    now = {a["name"]: a for a in REGISTRY["pupil_record@5"]["actions"]}
    was = {a["name"]: a for a in released["actions"]}
    assert {name for name in now if now[name] != was[name]} == {"record_social_care_episode", "end_social_care_episode"}
    assert now["record_social_care_episode"]["guards"] == [*was["record_social_care_episode"]["guards"],
                                                            "social_worker_has_account"]  # fmt: skip


# --- 2. ending a plan: the plan by name, the codes in words -------------------------------------------
def test_the_census_codes_read_in_words() -> None:
    assert label("RC1") == "RC1 (adopted)"
    assert label("RC7") == "RC7 (services ceased / no longer in need)"
    assert label("RC9") == "RC9 (closed after assessment, referred to early help)"
    assert label("NEG") == "NEG (neglect)" and label("SAB") == "SAB (sexual abuse)"
    assert all(label(code) != code for code in [*pupil_record.CLOSURE_REASONS, *pupil_record.ABUSE_CATEGORIES])


def test_the_plan_to_end_is_chosen_from_the_pupils_open_plans(sqlite_services: Services) -> None:
    svc = sqlite_services
    _jo(svc)
    pupil_id = _pupil(svc)
    dsl = principal(svc, "dsl")
    svc.pupils.record_episode(dsl, pupil_id, {"plan": "cin", "start_date": "2026-03-03", "social_worker": "jo"})
    svc.pupils.record_episode(dsl, pupil_id, {"plan": "cp", "start_date": "2024-01-08", "end_date": "2024-12-20",
                                              "category": "NEG"})  # fmt: skip
    running, ended = (e.id for e in svc.pupils.load(pupil_id).episodes)
    client = signed_in(_app(svc), "dsl")
    page = client.get(f"/pupils/{pupil_id}/actions/end_social_care_episode").get_data(as_text=True)
    choose = page[page.index('id="episode"') : page.index("</select>", page.index('id="episode"'))]
    assert f'value="{running}"' in choose and f'value="{ended}"' not in choose
    assert "Child in need plan from 3 March 2026, social worker Jo Evans</option>" in choose
    assert "Plan (version)" not in page
    assert ">RC1 (adopted)</option>" in page and ">RC4 (special guardianship order)</option>" in page

    plan_form = client.get(f"/pupils/{pupil_id}/actions/record_social_care_episode").get_data(as_text=True)
    assert ">NEG (neglect)</option>" in plan_form and ">MUL (multiple / not recommended)</option>" in plan_form

    version = str(svc.store.current_version(pupil_id))
    refused = client.post(f"/pupils/{pupil_id}/actions/end_social_care_episode",
                          data={"episode": str(ended), "end_date": "2026-11-02", "expected_version": version})  # fmt: skip
    assert refused.status_code == 422
    assert "That plan has already ended." in _error_on(refused.get_data(as_text=True), "episode")
    done = client.post(f"/pupils/{pupil_id}/actions/end_social_care_episode",
                       data={"episode": str(running), "end_date": "2026-11-02", "reason": "RC7",
                             "expected_version": version})  # fmt: skip
    assert done.status_code == 302
    assert [e.end_date.isoformat() for e in svc.pupils.load(pupil_id).episodes if e.id == running] == ["2026-11-02"]
    record = client.get(f"/pupils/{pupil_id}").get_data(as_text=True)
    table = record[record.index('id="episodes"') : record.index("</table>", record.index('id="episodes"'))]
    assert ">Jo Evans</td>" in table and "CP, NEG (neglect)" in table


def test_ending_a_plan_is_not_offered_for_a_pupil_with_no_open_plan(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = _pupil(svc)
    page = signed_in(_app(svc), "dsl").get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert "record_social_care_episode" in page and "end_social_care_episode" not in page


# --- 3. the social worker's home page lists the cases waiting for their social care view ---------------
def test_the_social_worker_sees_the_cases_waiting_for_their_social_care_view(sqlite_services: Services) -> None:
    svc = sqlite_services
    _jo(svc)
    pupil_id = _pupil(svc)
    dsl = principal(svc, "dsl")
    svc.pupils.record_episode(dsl, pupil_id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "jo"})
    case_id = walk(svc, {"dsl": dsl, "senco": principal(svc, "senco"), "sw": principal(svc, "jo")}, pupil_id,
                   "need_identified", services_today(svc))  # fmt: skip
    svc.cases.act(dsl, case_id, "start_one_plan", svc.store.current_version(case_id), {})
    app = _app(svc)

    home = signed_in(app, "jo").get("/").get_data(as_text=True)
    banner = home[home.index('id="awaiting"') : home.index("</ul>", home.index('id="awaiting"'))]
    link = f'href="/cases/{case_id}/actions/add_contribution?kind=social_care_view"'
    assert link in banner
    assert "Ivy Planned: your social care view, which the school needs to convene the multi-agency review" in banner
    assert 'id="awaiting"' not in signed_in(app, "sw").get("/").get_data(as_text=True)  # not their pupil

    case_page = signed_in(app, "dsl").get(f"/cases/{case_id}").get_data(as_text=True)
    needed = case_page[case_page.index('data-code="social_care_view"') :]
    assert needed[: needed.index("</li>")].count("The allocated social worker is Jo Evans.") == 1

    form = signed_in(app, "jo").get(f"/cases/{case_id}/actions/add_contribution?kind=social_care_view")
    assert re.search(
        r'<option selected value="social_care_view"|<option value="social_care_view" selected', form.get_data(as_text=True)
    )
    view = {"kind": "social_care_view", "contribution": "Family engaging."}
    svc.cases.act(principal(svc, "jo"), case_id, "add_contribution", svc.store.current_version(case_id), view)
    assert 'id="awaiting"' not in signed_in(app, "jo").get("/").get_data(as_text=True)


def test_a_class_teacher_is_chosen_from_the_schools_teachers_by_name(sqlite_services: Services) -> None:
    """Assigning a class teacher took a typed username, as the plan's social worker did (the fourth walk): the form
    now offers the school's teachers by name; a teacher of another school is not offered, nor named to the DSL."""
    svc = sqlite_services
    svc.accounts.add_user("tom", ["teacher"], [SCHOOL], password=PASSWORD, display_name="Tom Reed")
    svc.accounts.add_user("rita", ["teacher"], [OTHER_SCHOOL], password=PASSWORD, display_name="Rita Far")
    pupil_id = _pupil(svc, 67)
    form = signed_in(_app(svc), "dsl").get(f"/pupils/{pupil_id}/actions/assign_teacher").get_data(as_text=True)
    chooser = form[form.index('name="teacher"') : form.index("</select>", form.index('name="teacher"'))]
    assert re.search(r'<option value="tom">Tom Reed</option>', chooser), chooser
    assert "rita" not in chooser and "Rita Far" not in chooser
    sent = signed_in(_app(svc), "dsl").post(
        f"/pupils/{pupil_id}/actions/assign_teacher",
        data={"expected_version": svc.store.current_version(pupil_id), "teacher": "tom"},
    )
    assert sent.status_code == 302
