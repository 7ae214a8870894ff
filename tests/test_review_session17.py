"""Review of the commits after e3b0e62: each test here failed on the code as reviewed.

- A transition corrected ("the child moves to Hilltop School, not Riverside Academy") no longer holds the child
  protection file to the setting it named, yet the file's form still opened with that name: the one school the
  correction says is wrong was offered, with no rule left to stop it.
- ``"confirm_second_case": false`` looked for the pupil's open cases before the append, outside its transaction:
  a case opened by someone else in between was not seen, and a second case opened unconfirmed.
"""

from __future__ import annotations

from typing import Any

import pytest

from caseflow.bootstrap import Services
from caseflow.domain.errors import SecondOpenCase
from tests.conftest import principal
from tests.journey_helpers import services_today
from tests.test_forms_start_from_the_case import _do, a_case_at, client_for, fields_of
from tests.test_second_open_case import a_pupil


def test_a_corrected_transition_does_not_offer_its_setting_on_the_file_form(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "evaluation", 170)
    _do(svc, case_id, "record_evaluation", {"verdict": "effective", "summary": "Better"})
    today = services_today(svc).isoformat()
    moved = _do(svc, case_id, "prepare_transition",
                {"kind": "school_move", "date": today, "receiving_setting": "Riverside Academy"})  # fmt: skip
    assert fields_of(client_for(svc), f"/cases/{case_id}/actions/record_file_transfer")["receiving_setting"] == (
        "Riverside Academy"
    )
    correction = {"corrects": moved, "correction": "The child moves to Hilltop School, not Riverside Academy."}
    _do(svc, case_id, "record_correction", correction)
    fields = fields_of(client_for(svc), f"/cases/{case_id}/actions/record_file_transfer")
    assert fields["receiving_setting"] == "", "the name the correction disowns is not put forward"
    linked = fields_of(client_for(svc), f"/cases/{case_id}/actions/record_file_transfer?receiving_setting=Hilltop+School")
    assert linked["receiving_setting"] == "Hilltop School", "a link's own value still fills it in"


def test_a_case_opened_meanwhile_still_stops_an_unconfirmed_second_one(services: Services, monkeypatch: Any) -> None:
    """Another member of staff opens a case for the child between the check and the write."""
    svc = services
    pupil_id = a_pupil(svc, 171, "Zia")
    data = {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "Missing Mondays."}
    store, append, raced = svc.cases.store, svc.cases.store.append, []

    def append_after_another_writer(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            svc.cases.open_case(principal(svc, "senco"), data)
        return append(*args, **kwargs)

    monkeypatch.setattr(store, "append", append_after_another_writer)
    with pytest.raises(SecondOpenCase) as refused:
        svc.cases.open_case(principal(svc, "dsl"), data, confirm_second_case=False)
    assert raced, "the other writer ran"
    [other] = svc.reads.cases_of_pupil(pupil_id)
    assert [c["case_id"] for c in refused.value.open_cases] == [other]
