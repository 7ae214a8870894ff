"""The head's decision form asks for the override (why the decision could not wait, who was notified)
only when a proposal awaiting the decision has no view from the social worker: the rules need it only
then, and a head who sees it every time reads it as a step to fill in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from caseflow.bootstrap import Services
from tests.conftest import Clock, Database, _services, principal, seed_people
from tests.test_exclusion_safeguards import NOW, _case, _pupil
from tests.test_rules_on_their_fields import _client


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


OVERRIDE = ("override_reason", "notified_social_worker", "notified_virtual_school", "notified_la")


def _propose(svc: Services, case_id: str, reason: str = "Fight in the playground.") -> int:
    version = svc.store.current_version(case_id)
    data = {"days": 2, "start_date": "2026-11-23", "reason": reason}
    return svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version, data)[0].version


def _view(svc: Services, case_id: str, proposal: int) -> None:
    view = {"kind": "exclusion_view", "proposal": proposal, "contribution": "Please try a reduced day first."}
    svc.cases.act(principal(svc, "sw"), case_id, "add_contribution", svc.store.current_version(case_id), view)


def _form(svc: Services, case_id: str) -> str:
    return _client(svc, "head").get(f"/cases/{case_id}/actions/decide_suspension").get_data(as_text=True)


def test_the_override_is_asked_for_under_its_own_heading_while_the_social_worker_has_not_spoken(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    _propose(svc, case_id)
    page = _form(svc, case_id)
    assert 'id="without-the-view"' in page
    group = page[page.index('id="without-the-view"') :]
    assert "If the decision cannot wait for the social worker" in group
    assert all(f'name="{name}"' in group for name in OVERRIDE)


def test_the_override_is_not_asked_for_once_the_social_worker_has_given_a_view(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    _view(svc, case_id, _propose(svc, case_id))
    page = _form(svc, case_id)
    assert 'id="without-the-view"' not in page
    assert not any(f'name="{name}"' in page for name in OVERRIDE)
    assert 'name="decision"' in page and 'name="reasons"' in page


def test_one_proposal_still_without_a_view_keeps_the_override(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    _view(svc, case_id, _propose(svc, case_id))
    _propose(svc, case_id, "Threw a chair.")
    assert 'id="without-the-view"' in _form(svc, case_id)


def test_a_refused_override_is_shown_again_with_its_messages(svc: Services) -> None:
    case_id = _case(svc, _pupil(svc))
    proposal = _propose(svc, case_id)
    version = svc.store.current_version(case_id)
    form = {
        "expected_version": version,
        "proposal": proposal,
        "decision": "suspend",
        "reasons": "As the behaviour policy sets out.",
        "override_reason": "Risk to staff",
    }
    refused = _client(svc, "head").post(f"/cases/{case_id}/actions/decide_suspension", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and svc.store.current_version(case_id) == version
    group = page[page.index('id="without-the-view"') :]
    assert "Risk to staff" in group and 'id="notified_la-error"' in group
