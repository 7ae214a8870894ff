"""From a new user's walk: the social worker's form for a social care view also showed a "Proposal" list with
only "Choose…" in it. A proposal is only a view on a proposed suspension or exclusion's to name: the form asks for
one only for that kind of contribution, and says in words when there is none to name."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient

from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import services_today
from tests.test_forms_start_from_the_case import client_for

NONE_PROPOSED = "There is no proposed suspension or exclusion on this case waiting for a decision"


def _allocated_case(svc: Services, serial: int) -> str:
    """A case at the One Plan of a pupil whose social worker is sw."""
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Rae", "family_name": "Kindly",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "sw": principal(svc, "sw")}
    return walk(svc, who, pupil.id, "one_plan", services_today(svc))


def _propose(svc: Services, case_id: str) -> int:
    today = services_today(svc)
    weekday = next(d for d in (today + timedelta(days=n) for n in range(1, 8)) if d.weekday() < 5)  # a start still to come
    data = {"days": 2, "start_date": weekday.isoformat(), "reason": "Fight."}
    return svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", svc.store.current_version(case_id), data)[
        0
    ].version


def _page(client: FlaskClient, case_id: str, query: str = "") -> str:
    return client.get(f"/cases/{case_id}/actions/add_contribution{query}").get_data(as_text=True)


def test_a_social_care_view_asks_for_no_proposal(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = _allocated_case(svc, 71)
    client = client_for(svc, "sw")
    page = _page(client, case_id, "?kind=social_care_view")
    assert 'name="kind"' in page and 'name="contribution"' in page
    assert 'name="proposal"' not in page and ">Proposal<" not in page and NONE_PROPOSED not in page
    _propose(svc, case_id)
    page = _page(client, case_id, "?kind=social_care_view")
    assert 'name="proposal"' not in page, "not even with a proposal to choose"


def test_a_proposal_sent_with_another_kind_of_contribution_is_not_recorded(sqlite_services: Services) -> None:
    """A proposal chosen, then the kind changed (or an old page): what the form does not ask for is not written."""
    svc = sqlite_services
    case_id = _allocated_case(svc, 72)
    proposal = _propose(svc, case_id)
    sent = {"expected_version": str(proposal), "kind": "social_care_view", "contribution": "Family engaging.",
            "proposal": str(proposal)}  # fmt: skip
    assert client_for(svc, "sw").post(f"/cases/{case_id}/actions/add_contribution", data=sent).status_code == 302
    written = svc.store.load(case_id)[-1]
    assert written.event_type == "ContributionAdded" and written.data["kind"] == "social_care_view"
    assert "proposal" not in written.data


def test_a_view_on_a_proposal_with_none_proposed_says_so_in_words(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = _allocated_case(svc, 73)
    client = client_for(svc, "sw")
    page = _page(client, case_id, "?kind=exclusion_view")
    assert NONE_PROPOSED in page and 'name="proposal"' not in page and "Choose…</option></select>" not in page

    version = str(svc.store.current_version(case_id))
    sent = {"expected_version": version, "kind": "exclusion_view", "contribution": "Please wait."}
    refused = client.post(f"/cases/{case_id}/actions/add_contribution", data=sent)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and NONE_PROPOSED in page and 'name="proposal"' not in page
    assert 'id="proposal-error"' in page and 'href="#proposal"' in page and 'id="proposal"' in page
    assert svc.store.current_version(case_id) == int(version), "nothing recorded"


def test_a_view_on_a_proposal_chooses_it_and_the_plain_form_offers_it_only_when_there_is_one(
    sqlite_services: Services,
) -> None:
    svc = sqlite_services
    case_id = _allocated_case(svc, 74)
    client = client_for(svc, "dsl")
    plain = _page(client, case_id)
    assert 'name="proposal"' not in plain and NONE_PROPOSED not in plain, "no kind chosen and nothing to choose"
    proposal = _propose(svc, case_id)
    plain = _page(client, case_id)
    chooser = re.search(r'<div[^>]*data-caseflow-shown-for="kind"[^>]*>.*?name="proposal"', plain, re.S)
    assert chooser is not None and 'data-caseflow-shown-with="exclusion_view"' in chooser.group(0), "its kind still to choose"
    linked = _page(client_for(svc, "sw"), case_id, f"?kind=exclusion_view&proposal={proposal}")
    assert re.search(rf'<option selected value="{proposal}"|<option value="{proposal}" selected', linked)
    assert NONE_PROPOSED not in linked
