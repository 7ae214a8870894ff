"""From a review of the remedy links, the open-case marks and "as at" pages: each test failed on the code
before its fix."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services, bootstrap
from caseflow.demo import make_upn, walk
from tests.conftest import OTHER_SCHOOL, SCHOOL, Clock, Database, principal, seed_people
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
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": given, "family_name": "Review",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    return pupil.id


def who(svc: Services) -> dict:
    return {"dsl": principal(svc, "dsl"), "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl"),
            "sw": principal(svc, "sw")}  # fmt: skip


def still_needed(page: str, code: str) -> str:
    found = re.search(rf'<li data-code="{code}">(.*?)</li>', page, re.S)
    assert found, f"{code} is not under 'Still needed'"
    return found.group(1)


def test_a_teacher_who_reads_cases_elsewhere_does_not_learn_which_of_her_pupils_have_open_cases(
    sqlite_services: Services,
) -> None:
    """The teacher's own school's pupils are marked because she is a DSL at another school: her teacher role
    may not read any case here, so which children have one is not hers to know."""
    svc = sqlite_services
    svc.accounts.add_user("teachdsl", ["teacher"], [SCHOOL], password=PASSWORD)
    svc.accounts.grant("teachdsl", "dsl", [OTHER_SCHOOL])
    pupil_id = a_pupil(svc, 81, "Wyn")
    svc.cases.open_case(principal(svc, "dsl"), {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "x"})
    form = client_for(svc, "teachdsl").get("/cases/new")
    assert form.status_code == 200
    assert "has an open case" not in form.get_data(as_text=True)


def test_no_remedy_link_for_the_social_care_view_to_a_dsl_who_cannot_give_it(sqlite_services: Services) -> None:
    """Only the allocated social worker's contribution meets 'social_care_view': a DSL is linked to the
    contribution form, fills it in, and the requirement is still unmet."""
    svc = sqlite_services
    pupil_id = a_pupil(svc, 82, "Xan")
    svc.pupils.record_episode(principal(svc, "dsl"), pupil_id, {"plan": "cin", "start_date": "2026-01-05", "social_worker": "sw"})
    case_id = svc.cases.open_case(
        principal(svc, "dsl"), {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "x"}
    ).id
    svc.cases.act(principal(svc, "dsl"), case_id, "start_one_plan", svc.store.current_version(case_id), {})
    page = client_for(svc, "dsl").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "add_contribution" not in still_needed(page, "social_care_view")


def test_receipt_before_sending_links_to_the_sending_form(sqlite_services: Services) -> None:
    """'Record that the file was sent first' (nothing_sent) is about the case, not a field of the receipt
    form, and the DSL may record the sending at this step; but REMEDIES has no entry for it, so the refused
    receipt's error summary names the sending form without linking to it."""
    svc = sqlite_services
    today = services_today(svc)
    case_id = walk(svc, who(svc), a_pupil(svc, 83, "Yas"), "transition", today)
    version = svc.store.current_version(case_id)
    refused = client_for(svc, "dsl").post(
        f"/cases/{case_id}/actions/record_file_receipt",
        data={"expected_version": version, "transfer": version, "received_on": today.isoformat(), "confirmed_by": "R Osei"},
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Record that the file was sent first" in html
    summary = html[html.index("govuk-error-summary__list") : html.index("</ul>", html.index("govuk-error-summary__list"))]
    assert f'href="/cases/{case_id}/actions/record_file_transfer"' in summary


def test_the_social_workers_case_list_is_as_at_the_apps_today(sqlite_database: Database) -> None:
    """'A page without a date is as at England's today by the app's clock': the case list still asks which
    children are allocated to the social worker as at date.today() (the machine's date), so a case the
    social worker may open by the app's clock is missing from their list."""
    svc = bootstrap(sqlite_database.url, clock=Clock(datetime(2025, 3, 3, 9, 0, tzinfo=UTC)))
    seed_people(svc)
    try:
        pupil_id = a_pupil(svc, 84, "Zed")
        svc.pupils.record_episode(
            principal(svc, "dsl"),
            pupil_id,
            {"plan": "cin", "start_date": "2025-01-06", "end_date": "2025-06-30", "social_worker": "sw"},
        )
        case_id = svc.cases.open_case(
            principal(svc, "dsl"), {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "x"}
        ).id
        client = client_for(svc, "sw")
        assert client.get(f"/cases/{case_id}").status_code == 200, "allocated, by the app's clock"
        assert case_id in client.get("/").get_data(as_text=True)
    finally:
        svc.close()
