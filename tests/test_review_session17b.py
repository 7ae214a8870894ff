"""Review of the commits fb17f92..0ae987f: each test here failed on the code as reviewed.

- A rebuild projects a batch's pupil events before its cases': the MIS's record of a suspension entered after the
  head decided it, which the inline projection leaves out, was written by the rebuild (and zeroed by the decision).
- Migration 0019 let the last decision of a suspension the MIS had recorded take its place, where the projection
  lets the first (a decision cancelled before it began, then the same suspension decided again).
- A user who is head of one school and DSL of another was shown the other school's proposals as waiting for
  their decision, each linked to a form that answers 403.
- The only pending proposal was chosen on every contribution's form: a family's view sent as it opened was
  written to the log as answering the suspension.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.projections import rebuild
from caseflow.bootstrap import Services
from tests.conftest import OTHER_SCHOOL, SCHOOL, Clock, Database, _services, principal, seed_people
from tests.journey_helpers import weekday_to_come
from tests.test_forms_start_from_the_case import PASSWORD, a_case_at, client_for
from tests.test_mis_suspensions import NOW, a_case, a_pupil, act, decide, imported, propose, upn
from tests.test_projections import dump


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = _services(database, clock)
    seed_people(services)
    yield services
    services.close()


def test_a_rebuild_writes_no_mis_row_for_a_suspension_entered_after_the_head_decided_it(svc: Services) -> None:
    pupil_id = a_pupil(svc, 40)
    case_id = a_case(svc, pupil_id)
    decide(svc, case_id, propose(svc, case_id, "2026-11-23", 2))
    entered = {"kind": "suspension", "start_date": "2026-11-23", "days": 2, "reason": "Fight"}
    svc.pupils.act(principal(svc, "dsl"), pupil_id, "record_suspension", svc.store.current_version(pupil_id), entered)
    inline = dump(svc)
    rebuild(svc.store)
    assert dump(svc)["suspension_days"] == inline["suspension_days"]


def test_waiting_for_your_decision_lists_only_the_schools_where_the_user_is_head(sqlite_services: Services) -> None:
    """A user who is head of one school and DSL of another reads both schools' cases, but decides only at the first:
    the other school's proposals linked to a decision form that answers 403."""
    svc = sqlite_services
    svc.accounts.add_user("exec", ["headteacher"], [OTHER_SCHOOL], password=PASSWORD)
    svc.accounts.grant("exec", "dsl", [SCHOOL])
    case_id = a_case_at(svc, "one_plan", 41)
    data = {"days": 2, "start_date": "2026-11-23", "reason": "Fight."}
    proposed_at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # before it starts (support_journey@10), recorded today
    proposal = svc.cases.act(
        principal(svc, "slt"), case_id, "propose_suspension", svc.store.current_version(case_id), data, proposed_at
    )
    client = client_for(svc, "exec")
    page = client.get("/").get_data(as_text=True)
    assert case_id in page, "the DSL reads the case"
    assert 'id="awaiting-decision"' not in page
    decide = f"/cases/{case_id}/actions/decide_suspension?proposal={proposal[0].version}"
    assert client.get(decide).status_code == 403, "as the form says: not the head of this school"


def _chosen(page: str, field: str) -> str:
    listed = page[page.index(f'name="{field}"') : page.index("</select>", page.index(f'name="{field}"'))]
    found = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', listed)
    return next((g for g in found.groups() if g is not None), "") if found else ""


def test_a_family_view_sent_from_its_form_names_no_proposal_when_one_is_pending(sqlite_services: Services) -> None:
    """The form chose the only pending proposal for every contribution: a family's view, sent as the form opened,
    was written to the log as answering the suspension, which the DSL never chose (a proposal is an exclusion
    view's, and optional)."""
    svc = sqlite_services
    case_id = a_case_at(svc, "one_plan", 42)
    data = {"days": 1, "start_date": weekday_to_come(7).isoformat(), "reason": "Fight."}
    proposal = svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", svc.store.current_version(case_id), data)
    client = client_for(svc, "dsl")
    url = f"/cases/{case_id}/actions/add_contribution"
    page = client.get(url).get_data(as_text=True)
    form = {"expected_version": str(proposal[0].version), "kind": "family_view", "contribution": "Mum is worried.",
            "proposal": _chosen(page, "proposal")}  # fmt: skip
    assert client.post(url, data=form).status_code == 302
    written = svc.store.load(case_id)[-1]
    assert written.event_type == "ContributionAdded" and "proposal" not in written.data
    linked = client.get(f"{url}?kind=exclusion_view&proposal={proposal[0].version}").get_data(as_text=True)
    assert _chosen(linked, "proposal") == str(proposal[0].version), "a link still chooses it"


def test_migration_0019_counts_the_mis_record_until_the_first_decision_of_it(
    database: Database, svc: Services, clock: Clock
) -> None:
    """The MIS's record, then the head's decision, its cancellation before it began, and a second decision of the
    same suspension: the projection counted the MIS's days until the first decision; the migration until the last."""
    pupil_id = a_pupil(svc, 43)
    case_id = a_case(svc, pupil_id)
    first = propose(svc, case_id, "2026-11-23", 2)
    imported(svc, f"{upn(43)},suspension,2026-11-23,2,\n")
    clock.now += timedelta(hours=1)
    decide(svc, case_id, first)
    cancel = {"proposal": first, "cancelled_on": "2026-11-20", "days_served": 0, "reason": "Heard more."}
    act(svc, "head", case_id, "cancel_decision", cancel)
    clock.now += timedelta(hours=1)
    decide(svc, case_id, propose(svc, case_id, "2026-11-23", 2))
    inline = dump(svc)
    svc.close()
    downgrade(database.owner_url, "0018")
    upgrade(database.owner_url)
    after = _services(database, Clock(clock.now))
    try:
        assert dump(after)["suspension_days"] == inline["suspension_days"]
        rebuild(after.store)
        assert dump(after)["suspension_days"] == inline["suspension_days"]
    finally:
        after.close()
