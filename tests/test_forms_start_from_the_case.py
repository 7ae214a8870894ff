"""From a new user's walk: a DSL updating the One Plan retyped its outcomes, strengths and aspirations, and the
child protection file's "Sent to" was typed afresh, so a slip ("Riverside Acadmey") or another school went
through unremarked. The plan's form opens with the plan as last recorded and the file's with the setting the
transition names (a link's own value still wins); since support_journey@7 the file goes to that setting, however
its name is cased, spaced or punctuated, unless the transition has been corrected. Version 6 is kept as released.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn, walk
from caseflow.domain.case import SupportCase
from caseflow.domain.errors import GuardFailed
from caseflow.domain.events import long_time
from caseflow.domain.file_transfer import same_setting
from caseflow.domain.workflow import Workflow
from tests.conftest import SCHOOL, principal
from tests.journey_helpers import act, case_at, services_today
from tests.test_file_transfer import CTX, SENT, moving
from workflows import CURRENT, REGISTRY

PASSWORD = "correct horse battery"
SLIP = "The transition names Riverside Academy as the receiving setting. Send the file there, or correct the transition first"


# --- the rule (support_journey@7) ------------------------------------------------------------------------
def refused_sending(case: SupportCase, setting: str) -> list[tuple[str, str | None, str]]:
    with pytest.raises(GuardFailed) as caught:
        act(case, "record_file_transfer", "dsl", SENT | {"receiving_setting": setting}, CTX)
    return [(u.code, u.field, u.message) for u in caught.value.unmet]


def test_a_setting_misspelt_or_another_school_is_refused_naming_the_setting_recorded() -> None:
    case = moving()  # the transition names Riverside Academy
    version = case.version
    for setting in ("Riverside Acadmey", "Hilltop School", "Riverside"):
        [(code, field, message)] = refused_sending(case, setting)
        assert (code, field) == ("not_the_receiving_setting", "receiving_setting"), setting
        transition = long_time(case.facts[-1].occurred_at)  # as the correction's list names it, not by a version
        assert message.startswith(SLIP) and f"the transition of {transition}" in message, message
    assert case.version == version, "nothing recorded"
    act(case, "record_file_transfer", "dsl", SENT, CTX)
    assert case.facts[-1].data["receiving_setting"] == "Riverside Academy"


@pytest.mark.parametrize("written", ["riverside academy", "  RIVERSIDE   Academy ", "Riverside-Academy.", "Riverside, Academy"])
def test_case_spacing_and_punctuation_do_not_make_another_setting(written: str) -> None:
    case = moving()
    act(case, "record_file_transfer", "dsl", SENT | {"receiving_setting": written}, CTX)
    assert case.facts[-1].data["receiving_setting"] == written.strip(), "recorded as sent"


WORDS = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12)


@given(st.lists(WORDS, min_size=1, max_size=4), st.lists(st.sampled_from(list(" .,'-&()/")), max_size=6), st.booleans())
def test_a_name_matches_itself_however_it_is_cased_spaced_and_punctuated(words: list[str], marks: list[str], upper: bool) -> None:
    name = " ".join(words)
    written = "".join(marks) + "  ".join(w.upper() if upper else w.lower() for w in words) + "".join(reversed(marks))
    assert same_setting(name, written)


@given(WORDS, st.data())
def test_a_letter_or_digit_changed_makes_another_setting(name: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(name) - 1))
    other = data.draw(st.sampled_from([c for c in "abcxyz019" if c != name[at].casefold()]))
    assert not same_setting(name, name[:at] + other + name[at + 1 :])


def test_a_corrected_transition_no_longer_holds_the_sending_to_its_name() -> None:
    case = moving()
    transition = case.version
    act(case, "record_correction", "dsl", {"corrects": transition - 1, "correction": "The verdict's summary was brief"}, CTX)
    assert refused_sending(case, "Hilltop School")[0][0] == "not_the_receiving_setting", "another entry corrected"
    act(case, "record_correction", "dsl", {"corrects": transition, "correction": "The child moved to Hilltop School"}, CTX)
    act(case, "record_file_transfer", "dsl", SENT | {"receiving_setting": "Hilltop School"}, CTX)
    assert case.facts[-1].data["receiving_setting"] == "Hilltop School"


def test_a_snapshot_keeps_the_correction() -> None:
    case = moving()
    act(case, "record_correction", "dsl", {"corrects": case.version, "correction": "Hilltop School instead"}, CTX)
    resumed = SupportCase.from_snapshot(case.to_snapshot())
    assert resumed is not None
    act(resumed, "record_file_transfer", "dsl", SENT | {"receiving_setting": "Hilltop School"}, CTX)
    old = case.to_snapshot() | {"schema": 4}  # taken before corrections were kept: replayed past, not trusted
    assert SupportCase.from_snapshot(old) is None


def test_a_move_that_named_no_setting_takes_the_name_the_file_was_sent_to() -> None:
    """Before support_journey@5 a move need not name its setting: there is nothing to hold the sending to."""
    version_4 = Workflow(REGISTRY["support_journey@4"])
    case = act(case_at("evaluation"), "record_evaluation", "dsl", {"verdict": "effective", "summary": "Better"}, CTX)
    act(case, "prepare_transition", "dsl", {"kind": "school_move", "date": "2026-11-11"}, CTX, version_4)
    act(case, "record_file_transfer", "dsl", SENT | {"receiving_setting": "Hilltop School"}, CTX)
    assert case.facts[-1].workflow_version == CURRENT


def test_version_6_is_kept_as_released_and_still_takes_another_name() -> None:
    released = json.loads((Path(__file__).parent / "data" / "support_journey_v6.json").read_text())
    assert REGISTRY["support_journey@6"] == released
    now = {a["name"]: a for a in REGISTRY["support_journey@7"]["actions"]}
    then = {a["name"]: a for a in released["actions"]}
    assert now.keys() == then.keys()
    worded = {  # version 7 also words the fields chosen from a list as people know them; no other change
        "add_contribution", "decide_suspension", "decide_exclusion", "record_decision_notice", "cancel_decision",
        "record_review_request", "record_board_review", "record_file_receipt",
    }  # fmt: skip
    assert {name for name in now if now[name] != then[name]} == {"record_file_transfer", *worded}
    for name in worded:
        assert {k: v for k, v in now[name].items() if k != "fields"} == {k: v for k, v in then[name].items() if k != "fields"}
        assert now[name]["fields"].keys() == then[name]["fields"].keys()
        for field_name, spec in now[name]["fields"].items():
            same = {k: v for k, v in spec.items() if k not in ("label", "help")}
            assert same == {k: v for k, v in then[name]["fields"][field_name].items() if k not in ("label", "help")}
    sending = now["record_file_transfer"]
    worded_box = sending["fields"]["sent_separately"]  # version 7 also says the box must be ticked
    assert worded_box["help"].startswith("Tick to confirm")
    assert {
        **sending,
        "fields": {**sending["fields"], "sent_separately": then["record_file_transfer"]["fields"]["sent_separately"]},
    } == then["record_file_transfer"] | {"guards": [*then["record_file_transfer"]["guards"], "sent_to_the_receiving_setting"]}
    version_6 = Workflow(REGISTRY["support_journey@6"])
    case = moving()
    act(case, "record_file_transfer", "dsl", SENT | {"receiving_setting": "Riverside Acadmey"}, CTX, version_6)
    assert case.facts[-1].workflow_version == "support_journey@6"


# --- the forms -----------------------------------------------------------------------------------------
class _Fields(HTMLParser):
    """A page's form fields as a browser would send them untouched: each input's value, each textarea's text."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") and found.get("type") not in {"checkbox", "radio", "submit"}:
            self.values[found["name"] or ""] = found.get("value") or ""
        elif tag == "textarea":
            self._textarea = found.get("name")
            self.values[self._textarea or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:  # a browser drops the newline that opens a textarea
            text = self.values[self._textarea]
            self.values[self._textarea] = text[2:] if text.startswith("\r\n") else text.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data


def fields_of(client: FlaskClient, url: str) -> dict[str, str]:
    answer = client.get(url)
    assert answer.status_code == 200, url
    parser = _Fields()
    parser.feed(answer.get_data(as_text=True))
    return parser.values


def client_for(svc: Services, username: str = "dsl") -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def a_case_at(svc: Services, step: str, serial: int) -> str:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, serial), "given_name": "Kai", "family_name": "Filled",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    who = {"dsl": dsl, "senco": principal(svc, "senco"), "mhl": principal(svc, "mhl")}
    return walk(svc, who, pupil.id, step, services_today(svc))


def _do(svc: Services, case_id: str, action: str, data: dict[str, Any]) -> int:
    return svc.cases.act(principal(svc, "dsl"), case_id, action, svc.store.current_version(case_id), data)[0].version


def test_the_one_plan_form_opens_with_the_plan_as_last_recorded_and_records_it_whole(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = a_case_at(svc, "one_plan", 61)
    client = client_for(svc)
    url = f"/cases/{case_id}/actions/record_plan"
    _do(svc, case_id, "record_plan", {"strengths": "Kind to others; loves art & football."})  # updates one field
    fields = fields_of(client, url)
    assert fields["outcomes"].strip().splitlines() == [
        "Attendance above 95% by the end of term",
        "Has a trusted adult to go to each day",
    ]
    assert fields["strengths"].strip() == "Kind to others; loves art & football."
    assert fields["aspirations"].strip() == "Wants to be a vet; would like to join the art club."
    fields["outcomes"] += "\nWalks to school with a friend"
    assert client.post(url, data=fields).status_code == 302
    event = svc.store.load(case_id)[-1]
    assert event.event_type == "PlanRecorded" and event.data == {
        "outcomes": [
            "Attendance above 95% by the end of term",
            "Has a trusted adult to go to each day",
            "Walks to school with a friend",
        ],
        "strengths": "Kind to others; loves art & football.",
        "aspirations": "Wants to be a vet; would like to join the art club.",
    }, "the whole plan as submitted"


def test_a_first_plan_opens_empty_and_views_and_voice_open_empty_each_time(sqlite_services: Services) -> None:
    """The family's views and the pupil's voice are what someone said at a time, not a document kept up to date:
    their forms open empty, so last term's words are not recorded again as today's."""
    svc = sqlite_services
    case_id = a_case_at(svc, "need_identified", 62)
    client = client_for(svc)
    first = fields_of(client, f"/cases/{case_id}/actions/record_plan")
    assert [first[name].strip() for name in ("outcomes", "strengths", "aspirations")] == ["", "", ""]
    later = a_case_at(svc, "one_plan", 63)
    assert fields_of(client, f"/cases/{later}/actions/record_family_views")["views"].strip() == ""
    voice = fields_of(client, f"/cases/{later}/actions/record_pupil_voice")
    assert voice["voice"].strip() == "" and voice["how_gathered"] == ""


@pytest.fixture
def moving_case(sqlite_services: Services) -> Iterator[tuple[Services, str]]:
    svc = sqlite_services
    case_id = a_case_at(svc, "evaluation", 64)
    today = services_today(svc).isoformat()
    _do(svc, case_id, "record_evaluation", {"verdict": "effective", "summary": "Better"})
    _do(svc, case_id, "prepare_transition", {"kind": "school_move", "date": today, "receiving_setting": "Riverside Academy"})
    yield svc, case_id


def test_the_file_form_opens_with_the_setting_the_transition_names(moving_case: tuple[Services, str]) -> None:
    svc, case_id = moving_case
    client = client_for(svc)
    fields = fields_of(client, f"/cases/{case_id}/actions/record_file_transfer")
    assert fields["receiving_setting"] == "Riverside Academy"
    today = services_today(svc).isoformat()
    sent = {"sent_on": today, "how": "secure_transfer_system", "sent_separately": "y"}
    assert client.post(f"/cases/{case_id}/actions/record_file_transfer", data=fields | sent).status_code == 302
    assert svc.store.load(case_id)[-1].data["receiving_setting"] == "Riverside Academy"


def test_a_links_own_value_wins_over_the_recorded_one(moving_case: tuple[Services, str]) -> None:
    svc, case_id = moving_case
    client = client_for(svc)
    url = f"/cases/{case_id}/actions/record_file_transfer?receiving_setting=Riverside+Sixth+Form"
    assert fields_of(client, url)["receiving_setting"] == "Riverside Sixth Form"


def test_a_slip_is_refused_on_its_field_in_the_form_and_the_api(services: Services) -> None:
    svc = services
    case_id = a_case_at(svc, "evaluation", 65)
    today = services_today(svc).isoformat()
    _do(svc, case_id, "record_evaluation", {"verdict": "effective", "summary": "Better"})
    moved = _do(svc, case_id, "prepare_transition",
                {"kind": "school_move", "date": today, "receiving_setting": "Riverside Academy"})  # fmt: skip
    client = client_for(svc)
    form = {"expected_version": moved, "receiving_setting": "Riverside Acadmey", "sent_on": today,
            "how": "secure_transfer_system", "sent_separately": "y"}  # fmt: skip
    page = client.post(f"/cases/{case_id}/actions/record_file_transfer", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and svc.store.current_version(case_id) == moved
    assert 'href="#receiving_setting"' in html and 'id="receiving_setting-error"' in html
    transition = long_time(svc.store.load(case_id)[moved - 1].occurred_at)
    assert SLIP in html and f"the transition of {transition}" in html
    data = {k: v for k, v in form.items() if k != "expected_version"} | {"sent_separately": True}
    answer = client.post(
        f"/api/v1/cases/{case_id}/actions/record_file_transfer",
        json={"expected_version": moved, "data": data},
        headers={"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"},
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    [unmet] = answer.get_json()["unmet"]
    assert (unmet["code"], unmet["field"]) == ("not_the_receiving_setting", "receiving_setting")
    assert unmet["message"].startswith(SLIP)
    assert svc.store.current_version(case_id) == moved
    weird = client.post(
        f"/api/v1/cases/{case_id}/actions/record_file_transfer",
        json={"expected_version": moved, "data": data | {"receiving_setting": ["Riverside Academy"]}},
        headers={"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"},
    )
    assert weird.status_code == 422 and "receiving_setting" in weird.get_json()["errors"]
