"""From reviewers: the administrator's forms to add a user, give a role and take one away asked for a school's URN
typed in a box, a number the administrator had to look up in the table above. Each now chooses the school from a list
of the schools, by name with the URN, as the page's messages name a school ("Oakfield Primary School (100001)"); the
value sent is still the URN, so a school that does not exist (an old page, a hand-made request) is still told on the
field. The command line and the API are as they were."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services
from tests.conftest import OTHER_SCHOOL, SCHOOL, principal
from tests.test_admin_roles import _admin, _post


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def _chooser(page: str, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert found is not None, name
    return found.group(0)


def _told_on(page: str, field: str) -> str:
    assert f'href="#{field}"' in page, field
    told = page[page.index(f'id="{field}-error"') :]
    return told[: told.index("</p>")]


@pytest.mark.parametrize(("form", "none"), [("user", "No school"), ("grant", "No school"), ("revoke", "Everywhere they hold it")])
def test_each_form_chooses_a_school_by_name_with_its_urn(app: Flask, form: str, none: str) -> None:
    client, _ = _admin(app)
    page = client.get("/admin/").get_data(as_text=True)
    chooser = _chooser(page, f"{form}-school")
    assert f'<option value="{SCHOOL}">Oakfield Primary School ({SCHOOL})</option>' in chooser
    assert f'<option value="{OTHER_SCHOOL}">Riverside Academy ({OTHER_SCHOOL})</option>' in chooser
    assert re.search(rf'<option (selected )?value="">{none}</option>', chooser), chooser
    assert chooser.index("Oakfield") < chooser.index("Riverside"), "in the order of their names"
    assert f'name="{form}-school" type="text"' not in page


def test_a_school_chosen_gives_the_role_there_and_a_new_school_is_offered_at_once(app: Flask, sqlite_services: Services) -> None:
    client, tokens = _admin(app)
    status, _ = _post(client, tokens, "school", urn="100777", name="Hill Top School", la_code="881")
    assert status == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert '<option value="100777">Hill Top School (100777)</option>' in _chooser(page, "grant-school")
    status, _ = _post(client, tokens, "grant", username="teacher", role="dsl", school="100777", la_code="")
    assert status == 302
    assert ("dsl", "100777") in principal(sqlite_services, "teacher").grants


def test_a_school_that_does_not_exist_is_told_on_the_field(app: Flask, sqlite_services: Services) -> None:
    client, tokens = _admin(app)
    status, page = _post(client, tokens, "grant", username="teacher", role="dsl", school="999999", la_code="")
    assert status == 422
    assert "No school with URN 999999" in _told_on(page, "grant-school")
    assert ("dsl", "999999") not in principal(sqlite_services, "teacher").grants
    status, page = _post(
        client, tokens, "user", username="newbie", role="dsl", school="999999", password="plum kettle orbit meadow"
    )
    assert status == 422 and "No school with URN 999999" in _told_on(page, "user-school")
    assert sqlite_services.accounts.user("newbie") is None


def test_a_school_role_without_a_school_asks_for_one_to_be_chosen(app: Flask) -> None:
    client, tokens = _admin(app)
    status, page = _post(client, tokens, "grant", username="governor", role="headteacher", school="", la_code="")
    assert status == 422 and "A headteacher needs a school: choose one." in _told_on(page, "grant-school")


def test_the_school_chosen_is_kept_when_the_form_is_shown_again(app: Flask) -> None:
    client, tokens = _admin(app)
    status, page = _post(
        client, tokens, "user", username="dsl", display_name="Dee", role="headteacher", school=OTHER_SCHOOL,
        password="plum kettle orbit meadow",
    )  # fmt: skip
    assert status == 422
    assert re.search(
        rf'<option selected value="{OTHER_SCHOOL}">|<option value="{OTHER_SCHOOL}" selected>', _chooser(page, "user-school")
    )


def test_the_form_registering_a_pupil_names_its_schools_the_same_way(sqlite_services: Services) -> None:
    """One list of schools for every form choosing one: the pupil's school was named without its URN."""
    app = create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    chooser = _chooser(client.get("/pupils/new").get_data(as_text=True), "school_urn")
    assert f'<option value="{SCHOOL}">Oakfield Primary School ({SCHOOL})</option>' in chooser or re.search(
        rf'<option selected value="{SCHOOL}">Oakfield Primary School \({SCHOOL}\)</option>', chooser
    ), chooser
