"""Review of the commits after 0b0b03c: each test here failed on the code as reviewed.

- The meeting form's list of people took a row's index as WTForms does, by ``str.isdigit``: a crafted post
  naming row '²' (true of ``isdigit``, refused by ``int``), or a row of 5,000 digits (past Python's limit on
  ``int`` of a string), answered 500, with or without "Add another person".
- A person's name was taken to say their role wherever the role's label was inside it: 'Kim Lee (Headteacher)'
  acting as the class teacher was shown as 'Kim Lee (Headteacher; kim)', and the auditor's list of events, whose
  'Who' now gives the role only this way, lost the role that event was done in.
"""

from __future__ import annotations

from caseflow.bootstrap import Services
from tests.conftest import SCHOOL


def test_a_crafted_row_index_of_the_attendees_is_no_500(services: Services) -> None:
    """WTForms reads a row's index with ``str.isdigit``, true of '²', then ``int('²')`` fails: the meeting form,
    posted with ``attendees-²-name`` (or with the "Add another person" button), answered 500."""
    from tests.test_forms_start_from_the_case import a_case_at, client_for

    case_id = a_case_at(services, "one_plan", 181)
    client = client_for(services)
    url = f"/cases/{case_id}/actions/record_meeting"
    for extra in ({}, {"add_row": "attendees"}):
        sent = {"date": "2026-11-02", "attendees-\u00b2-name": "Sam Patel", "attendees-\u00b2-agency": "school", **extra}
        assert client.post(url, data=sent).status_code < 500


def test_a_row_index_of_thousands_of_digits_is_no_500(services: Services) -> None:
    """``int()`` of more than 4,300 digits is refused by Python itself (a ValueError): a 500 before."""
    from tests.test_forms_start_from_the_case import a_case_at, client_for

    case_id = a_case_at(services, "one_plan", 182)
    index = "9" * 5000
    sent = {"date": "2026-11-02", f"attendees-{index}-name": "Sam Patel", "add_row": "attendees"}
    answer = client_for(services).post(f"/cases/{case_id}/actions/record_meeting", data=sent)
    assert answer.status_code < 500


def test_a_role_inside_another_word_of_a_name_is_still_said(sqlite_services: Services) -> None:
    """'Teacher' is inside 'Headteacher' but is not the role the name gives: the auditor's list of events, which
    now says the role only through the name, showed an action done as the class teacher as 'Kim Lee
    (Headteacher; kim)', the role it was done in lost. And a name with a closing bracket alone kept no pair."""
    from caseflow import create_app
    from caseflow.web import person

    svc = sqlite_services
    svc.accounts.add_user(
        "kim", ["headteacher", "teacher"], [SCHOOL], password="correct horse battery", display_name="Kim Lee (Headteacher)"
    )
    svc.accounts.add_user("ann", ["dsl"], [SCHOOL], password="correct horse battery", display_name="Ann Lee :-)")
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret"})
    with app.test_request_context():
        assert person("kim", "teacher") == "Kim Lee (Headteacher) as Teacher"
        assert person("kim", "headteacher") == "Kim Lee (Headteacher)"
        assert person("kim", "teacher", with_username=True) == "Kim Lee (Headteacher, username kim) as Teacher"
        assert person("ann", "dsl") == "Ann Lee :-) as DSL"
        assert person("ann", "dsl", with_username=True) == "Ann Lee :-) (username ann) as DSL"
