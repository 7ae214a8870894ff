"""The case page of a long journey: the newest events first, the whole timeline one link away."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.web.cases import TIMELINE_LATEST
from tests.conftest import SCHOOL, principal
from tests.test_web_security import sign_in


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def test_a_long_case_shows_its_latest_events_and_links_to_the_whole_timeline(app: Flask, sqlite_services: Services) -> None:
    dsl = principal(sqlite_services, "dsl")
    pupil = sqlite_services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 7), "given_name": "Long", "family_name": "Journey",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    case = sqlite_services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "x"})
    version = case.version
    for n in range(TIMELINE_LATEST + 5):
        data = {"date": "2026-11-02", "method": "phone", "summary": f"Call number {n}."}
        case, _ = sqlite_services.cases.act(dsl, case.id, "log_family_contact", version, data)
        version = case.version
    client = app.test_client()
    sign_in(client)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert page.count('class="caseflow-timeline__item"') == TIMELINE_LATEST
    assert f"The latest {TIMELINE_LATEST} of {version} events." in page
    assert f"Call number {TIMELINE_LATEST + 4}." in page and "Call number 0." not in page
    whole = client.get(f"/cases/{case.id}?timeline=all").get_data(as_text=True)
    assert whole.count('class="caseflow-timeline__item"') == version
    assert "Call number 0." in whole and "Show the whole timeline" not in whole
