"""Review of the commits after 0b0b03c: each test here failed on the code as reviewed.

- The meeting form's list of people took a row's index as WTForms does, by ``str.isdigit``: a crafted post
  naming row '²' (true of ``isdigit``, refused by ``int``), or a row of 5,000 digits (past Python's limit on
  ``int`` of a string), answered 500, with or without "Add another person".
"""

from __future__ import annotations

from caseflow.bootstrap import Services


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
