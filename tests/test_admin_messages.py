"""From a new user's walk of the administrator's page: a username already taken was told in the green "Success"
banner, and nothing was added; a refusal named a role by its code and the school by "URN" ("The dsl role needs a
school URN."). What cannot be done is told as a problem, on its field, with what was typed kept; roles are named
as people name the person who holds them; and no error is ever shown as a success."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.domain.roles import Role
from caseflow.domain.wording import a_holder
from tests.conftest import SCHOOL, access_lines, principal
from tests.test_admin_roles import _admin, _post

SUCCESS = "govuk-notification-banner--success"


@pytest.fixture
def app(sqlite_services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret"})


def _told_on(page: str, field: str) -> str:
    """The message on a field (its GOV.UK error message), linked from the summary."""
    assert f'href="#{field}"' in page, field
    told = page[page.index(f'id="{field}-error"') :]
    return told[: told.index("</p>")]


def test_a_username_already_taken_is_a_problem_on_its_field_with_the_rest_kept(app: Flask, sqlite_services: Services) -> None:
    client, tokens = _admin(app)
    before = sqlite_services.accounts.people()
    status, page = _post(
        client, tokens, "user", username="dsl", display_name="Dee Second", role="headteacher", school=SCHOOL,
        la_code="", password="plum kettle orbit meadow",
    )  # fmt: skip
    assert status == 422 and sqlite_services.accounts.people() == before
    assert "There is a problem" in page and SUCCESS not in page
    assert "That username is taken: choose another" in _told_on(page, "user-username")
    assert 'value="Dee Second"' in page
    assert re.search(rf'<option selected value="{SCHOOL}"|<option value="{SCHOOL}" selected', page)  # the school chosen
    assert re.search(r'<option selected value="headteacher"|<option value="headteacher" selected', page)
    assert SUCCESS not in client.get("/admin/").get_data(as_text=True), "nothing left to show as a success"
    assert not [x for x in access_lines(sqlite_services) if x["action"] == "user_added"]


def test_a_school_already_added_is_a_problem_on_its_urn(app: Flask, sqlite_services: Services) -> None:
    client, tokens = _admin(app)
    status, page = _post(client, tokens, "school", urn=SCHOOL, name="Oakfield Again", la_code="881", la_name="")
    assert status == 422 and "There is a problem" in page and SUCCESS not in page
    assert "Oakfield Primary School already has that URN" in _told_on(page, "school-urn")
    assert 'value="Oakfield Again"' in page
    assert [s["name"] for s in sqlite_services.accounts.schools() if s["urn"] == SCHOOL] == ["Oakfield Primary School"]


def test_a_role_already_held_is_a_problem_on_the_role_and_nothing_is_logged(app: Flask, sqlite_services: Services) -> None:
    client, tokens = _admin(app)
    status, page = _post(client, tokens, "grant", username="dsl", role="dsl", school=SCHOOL, la_code="")
    assert status == 422 and "There is a problem" in page and SUCCESS not in page
    told = _told_on(page, "grant-role")
    assert "dsl is already a Designated Safeguarding Lead at Oakfield Primary School" in told and "dsl role" not in told
    assert not [x for x in access_lines(sqlite_services) if x["action"] == "role_granted"]


def test_a_sign_in_to_start_again_is_told_as_a_problem_not_a_success(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/login/code")  # no sign-in under way in this browser
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    problem = page[page.index("govuk-error-summary") :]
    assert "There is a problem" in problem and "Sign in again" in problem[: problem.index("</ul>")]
    assert SUCCESS not in page


def test_a_success_is_still_a_success(app: Flask) -> None:
    client, tokens = _admin(app)
    status, _ = _post(client, tokens, "school", urn="100777", name="Hill Top School", la_code="881", la_name="")
    page = client.get("/admin/").get_data(as_text=True)
    assert status == 302 and SUCCESS in page and "Added school 100777." in page and "There is a problem" not in page


@pytest.mark.parametrize(
    ("form", "fields", "field", "message"),
    [
        (
            "user",
            {"username": "newbie", "role": "dsl", "school": "", "password": "plum kettle orbit meadow"},
            "school",
            "A Designated Safeguarding Lead needs a school: choose one.",
        ),
        (
            "user",
            {"username": "newbie", "role": "virtual_school", "la_code": "", "password": "plum kettle orbit meadow"},
            "la_code",
            "A Virtual School officer needs a local authority: enter its LA code.",
        ),
        ("grant", {"username": "governor", "role": "headteacher", "school": ""}, "school", "A headteacher needs a school"),
        (
            "grant",
            {"username": "governor", "role": "auditor", "school": SCHOOL},
            "school",
            "An auditor is not tied to one school: leave the school empty.",
        ),
        (
            "grant",
            {"username": "teacher", "role": "senco", "school": SCHOOL, "la_code": "881"},
            "la_code",
            "Only a Virtual School officer has a local authority: leave the LA code empty.",
        ),
        (
            "revoke",
            {"username": "teacher", "role": "dsl", "school": ""},
            "role",
            "teacher is not a Designated Safeguarding Lead.",
        ),
        (
            "revoke",
            {"username": "teacher", "role": "teacher", "school": "100002"},
            "role",
            "teacher is not a teacher at that school.",
        ),
    ],
)
def test_a_refusal_names_the_role_as_people_do(app: Flask, form: str, fields: dict[str, str], field: str, message: str) -> None:
    client, tokens = _admin(app)
    status, page = _post(client, tokens, form, **fields)
    told = _told_on(page, f"{form}-{field}")
    assert status == 422 and message in told, told
    codes = [role.value for role in Role if "_" in role.value or role.value in ("dsl", "slt", "senco")]
    assert not re.search(rf"\b({'|'.join(codes)})\b role", page) and "URN." not in told and "--" not in told


def test_a_change_made_names_the_role_and_school_in_words(app: Flask, sqlite_services: Services) -> None:
    sqlite_services.accounts.add_school("200001", "Far School", "999", "Testshire")
    client, tokens = _admin(app)
    assert _post(client, tokens, "grant", username="teacher", role="dsl", school=SCHOOL, la_code="")[0] == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert f"teacher is now a Designated Safeguarding Lead at Oakfield Primary School ({SCHOOL})." in page
    assert _post(client, tokens, "grant", username="vs", role="virtual_school", school="", la_code="999")[0] == 302
    assert "vs is now a Virtual School officer for Testshire (999)." in client.get("/admin/").get_data(as_text=True)
    assert _post(client, tokens, "revoke", username="teacher", role="dsl", school="")[0] == 302
    page = client.get("/admin/").get_data(as_text=True)
    assert (
        f"teacher is no longer a Designated Safeguarding Lead at Oakfield Primary School ({SCHOOL}), from their next request."
        in page
    )
    assert "holds dsl" not in page and "holds virtual school" not in page
    assert ("dsl", SCHOOL) not in principal(sqlite_services, "teacher").grants


def test_every_role_has_words_for_the_person_who_holds_it() -> None:
    said = {role: a_holder(role) for role in Role}
    assert said[Role.DSL] == "a Designated Safeguarding Lead" and said[Role.AUDITOR] == "an auditor"
    assert said[Role.VIRTUAL_SCHOOL] == "a Virtual School officer" and said[Role.SENCO] == "a SENCo"
    assert all("_" not in words and words.split()[0] in ("a", "an") for words in said.values()), said
