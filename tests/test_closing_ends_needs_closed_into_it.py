"""From reviewers: a need closed into a case ("Closed as part of Ben's other case") has that case as its support. When
that case was then closed, the person closing it was not told: the form to close it said nothing of the needs closed
into it, which were left with no open case. The form of any action that closes the case lists them, in words (what
need, raised when and by whom, each linked to its page), and says that closing the case ends their support too; the
message once it is closed says so again, and each need's page says the case it was closed into is closed too. The
rules are as they were: closing is not refused, and a need that still needs support is reopened from its page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest

from caseflow.bootstrap import Services
from tests.conftest import SCHOOL, Clock, Database, _services, principal, seed_people
from tests.test_repeated_need import CLOSE, NOW, TODAY, _pupil, _raised_by_teacher, _ready_to_close
from tests.test_rules_on_their_fields import _client

CLOSED = {"receiving_setting_informed": "y", "records_transferred": "y"}
ON = f"{TODAY.day} December 2026"


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(NOW))
    seed_people(services)
    yield services
    services.close()


def _closed_into(svc: Services, need: str, case_id: str) -> None:
    version = svc.store.current_version(need)
    svc.cases.act(principal(svc, "dsl"), need, CLOSE, version, {"other_case": case_id, "note": "The same worry."})


def _block(page: str, element_id: str) -> str:
    found = re.search(rf'<(div|ul|section)[^>]*id="{element_id}".*?</\1>', page, re.S)
    assert found is not None, element_id
    return found.group(0)


def test_the_close_form_lists_the_needs_closed_into_the_case_and_says_closing_ends_their_support(svc: Services) -> None:
    svc.accounts.add_user("tom", ["teacher"], [SCHOOL], password="correct horse battery", display_name="Tom Reed (Class teacher)")
    pupil_id = _pupil(svc, 91)
    case_id = _ready_to_close(svc, pupil_id)
    need = _raised_by_teacher(svc, pupil_id, "tom")
    _closed_into(svc, need, case_id)
    dsl = _client(svc, "dsl")

    form = dsl.get(f"/cases/{case_id}/actions/close")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    listed = _block(page, "needs-closed-into-this")
    assert f'href="/cases/{need}"' in listed
    assert "SEMH, Behaviour" in listed and "Angry outbursts in maths." in listed
    assert f"raised by Tom Reed (Class teacher) on {ON}" in listed
    warning = _block(page, "closing-ends-their-support")
    assert "Closing this case ends its support too" in warning
    form_starts = page.index('<form method="post" novalidate>', page.index("<h1"))
    assert page.index('id="closing-ends-their-support"') < form_starts, "told before the form, not after it"

    done = dsl.post(f"/cases/{case_id}/actions/close", data={"expected_version": svc.store.current_version(case_id), **CLOSED})
    assert done.status_code == 302, done.get_data(as_text=True)
    shown = dsl.get(f"/cases/{case_id}").get_data(as_text=True)
    banner = shown[shown.index("govuk-notification-banner--success") : shown.index('<h1 class="govuk-heading-l"')]
    assert f"The need raised by Tom Reed (Class teacher) on {ON}, closed into this case, is closed with it" in banner

    need_page = dsl.get(f"/cases/{need}").get_data(as_text=True)
    assert "That case is closed too, so this need has no open case: reopen it if it still needs support." in _block(
        need_page, "closed-into"
    )


def test_two_needs_closed_into_the_case_are_both_listed(svc: Services) -> None:
    pupil_id = _pupil(svc, 92)
    case_id = _ready_to_close(svc, pupil_id)
    first = _raised_by_teacher(svc, pupil_id)
    svc.cases.clock.now += timedelta(hours=2)  # type: ignore[attr-defined]  # tests.conftest's Clock: a need raised later
    second = _raised_by_teacher(svc, pupil_id, "senco")
    _closed_into(svc, first, case_id)
    _closed_into(svc, second, case_id)
    page = _client(svc, "dsl").get(f"/cases/{case_id}/actions/close").get_data(as_text=True)
    listed = _block(page, "needs-closed-into-this")
    assert f'href="/cases/{first}"' in listed and f'href="/cases/{second}"' in listed
    assert listed.count("<li") == 2 and listed.index(first) < listed.index(second), "oldest first"
    assert "Closing this case ends their support too" in _block(page, "closing-ends-their-support")


def test_no_list_where_no_need_was_closed_into_the_case_nor_on_a_form_that_does_not_close_it(svc: Services) -> None:
    pupil_id = _pupil(svc, 93)
    case_id = _ready_to_close(svc, pupil_id)
    dsl = _client(svc, "dsl")
    page = dsl.get(f"/cases/{case_id}/actions/close").get_data(as_text=True)
    assert "needs-closed-into-this" not in page and "closing-ends-their-support" not in page
    _closed_into(svc, _raised_by_teacher(svc, pupil_id), case_id)
    page = dsl.get(f"/cases/{case_id}/actions/record_plan").get_data(as_text=True)
    assert "needs-closed-into-this" not in page and "closing-ends-their-support" not in page
