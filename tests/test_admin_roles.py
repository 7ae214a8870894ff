"""Administrators change a user's roles from the web page, as from the command line: applied from the
user's next request, refused with a message when it cannot be done, and every change the page makes
is in the access log under the administrator's name."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.adapters.accounts import AccountError
from caseflow.bootstrap import Services
from tests.conftest import OTHER_SCHOOL, SCHOOL, access_lines, principal
from tests.test_web_security import sign_in


@pytest.fixture
def app(services: Services) -> Iterator[Flask]:  # both backends: PostgreSQL refuses a NUL byte where SQLite stores it
    yield create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test-secret"})


def _admin(app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    """A signed-in administrator and the CSRF token of each form on the page."""
    client = app.test_client()
    sign_in(client, "admin")
    page = client.get("/admin/").get_data(as_text=True)
    tokens = dict(re.findall(r'name="(\w+)-csrf_token"[^>]*value="([^"]+)"', page))
    assert {"grant", "revoke", "leaver", "user", "school"} <= set(tokens)
    return client, tokens


def _post(client: FlaskClient, tokens: dict[str, str], form: str, **fields: str) -> tuple[int, str]:
    data = {f"{form}-csrf_token": tokens[form]} | {f"{form}-{name}": value for name, value in fields.items()}
    response = client.post("/admin/", data=data)
    return response.status_code, response.get_data(as_text=True)


def _logged(svc: Services, action: str) -> list[tuple[str | None, str | None, str | None]]:
    return [(x["username"], x["role"], x["detail"]) for x in access_lines(svc) if x["action"] == action]


def test_an_admin_makes_a_teacher_the_dsl_from_the_page_and_it_applies_at_their_next_request(
    app: Flask, services: Services
) -> None:
    teacher = app.test_client()
    sign_in(teacher, "teacher")
    assert teacher.get(f"/cohort?school_urn={SCHOOL}").status_code == 403
    client, tokens = _admin(app)

    status, _ = _post(client, tokens, "grant", username="teacher", role="dsl", school=SCHOOL)

    page = client.get("/admin/").get_data(as_text=True)
    assert status == 302 and f"teacher is now a Designated Safeguarding Lead at Oakfield Primary School ({SCHOOL})." in page
    assert teacher.get(f"/cohort?school_urn={SCHOOL}").status_code == 200
    assert ("dsl", SCHOOL) in principal(services, "teacher").grants
    assert _logged(services, "role_granted") == [("admin", "admin", f"teacher: dsl at {SCHOOL} (reads children's cases)")]

    status, _ = _post(client, tokens, "revoke", username="teacher", role="dsl", school="")  # everywhere
    assert status == 302 and teacher.get(f"/cohort?school_urn={SCHOOL}").status_code == 403
    assert _logged(services, "role_revoked") == [("admin", "admin", f"teacher: dsl at {SCHOOL}")]  # where it went


def test_a_virtual_school_role_needs_an_la_and_a_school_role_a_school(app: Flask, services: Services) -> None:
    client, tokens = _admin(app)
    status, page = _post(client, tokens, "grant", username="governor", role="headteacher", school="")
    assert status == 422 and "A headteacher needs a school: choose one." in page
    status, page = _post(client, tokens, "grant", username="governor", role="auditor", school=SCHOOL)
    assert status == 422 and "is not tied to one school: leave the school empty." in page
    status, page = _post(client, tokens, "grant", username="head", role="virtual_school", school="", la_code="")
    assert status == 422 and "needs a local authority: enter its LA code." in page and "--la" not in page
    status, _ = _post(client, tokens, "grant", username="head", role="virtual_school", school="", la_code="881")
    assert status == 302 and principal(services, "head").la_code == "881"
    assert _logged(services, "role_granted") == [("admin", "admin", "head: virtual_school for LA 881 (reads children's cases)")]


@pytest.mark.parametrize(
    ("form", "fields", "message"),
    [
        ("grant", {"username": "nobody", "role": "dsl", "school": SCHOOL}, "No user called nobody."),
        ("grant", {"username": "teacher", "role": "dsl", "school": "999999"}, "No school with URN 999999."),
        ("grant", {"username": "teacher", "role": "pope", "school": SCHOOL}, "Not a valid choice"),
        ("grant", {"username": "", "role": "dsl", "school": SCHOOL}, "Enter the username"),
        ("revoke", {"username": "teacher", "role": "teacher", "school": ""}, "deactivate the account instead"),
        ("revoke", {"username": "teacher", "role": "dsl", "school": ""}, "teacher is not a Designated Safeguarding Lead."),
        ("revoke", {"username": "teacher", "role": "teacher", "school": OTHER_SCHOOL}, "is not a teacher at that school."),
    ],
)
def test_a_change_that_cannot_be_made_is_a_message_and_changes_nothing(
    app: Flask, services: Services, form: str, fields: dict[str, str], message: str
) -> None:
    before = principal(services, "teacher").grants
    client, tokens = _admin(app)
    status, page = _post(client, tokens, form, **fields)
    assert status == 422 and message in page and "There is a problem" in page
    assert principal(services, "teacher").grants == before
    assert _logged(services, "role_granted") == _logged(services, "role_revoked") == []


def test_without_the_forms_token_nothing_changes(app: Flask, services: Services) -> None:
    client, _ = _admin(app)
    response = client.post("/admin/", data={"grant-username": "teacher", "grant-role": "dsl", "grant-school": SCHOOL})
    assert response.status_code == 400 and ("dsl", SCHOOL) not in principal(services, "teacher").grants


def test_adding_a_school_and_a_user_and_deactivating_a_leaver_are_logged(app: Flask, services: Services) -> None:
    client, tokens = _admin(app)
    assert _post(client, tokens, "school", urn="100777", name="Hill Top School", la_code="881")[0] == 302
    assert (
        _post(client, tokens, "user", username="newdsl", role="dsl", school="100777", password="a long enough secret")[0] == 302
    )
    assert _post(client, tokens, "leaver", username="sw2")[0] == 302
    assert _logged(services, "school_added") == [("admin", "admin", "100777: Hill Top School (LA 881)")]
    assert _logged(services, "user_added") == [("admin", "admin", "newdsl: dsl at 100777 (reads children's cases)")]
    assert _logged(services, "user_deactivated") == [("admin", "admin", "sw2")]


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ("grant", {"username": "te\x00acher", "role": "dsl", "school": SCHOOL}),
        ("grant", {"username": "teacher", "role": "dsl", "school": "100\x0001"}),
        ("grant", {"username": "vs", "role": "virtual_school", "school": "", "la_code": "8\x001"}),
        ("revoke", {"username": "te\x00acher", "role": "teacher", "school": ""}),
        ("revoke", {"username": "teacher", "role": "teacher", "school": "10000\x00"}),
        ("leaver", {"username": "te\x00acher"}),
        ("user", {"username": "newdsl", "role": "dsl", "school": "100\x0001", "password": "a long enough secret"}),
        (
            "user",
            {
                "username": "newdsl",
                "display_name": "New\x00DSL",
                "role": "dsl",
                "school": SCHOOL,
                "password": "a long enough secret",
            },
        ),
        ("school", {"urn": "100777", "name": "Hill\x00Top", "la_code": "881"}),
        ("school", {"urn": "100777", "name": "Hill Top", "la_code": "88\x00"}),
        ("school", {"urn": "100777", "name": "Hill Top", "la_code": "881", "la_name": "Ess\x00ex"}),
    ],
)
def test_a_nul_byte_in_any_field_is_a_message_on_both_backends(
    app: Flask, services: Services, form: str, fields: dict[str, str]
) -> None:
    before = (principal(services, "teacher").grants, len(services.accounts.schools()), len(services.accounts.people()))
    client, tokens = _admin(app)
    status, page = _post(client, tokens, form, **fields)
    assert status == 422 and "There is a problem" in page
    after = (principal(services, "teacher").grants, len(services.accounts.schools()), len(services.accounts.people()))
    assert after == before and services.accounts.user("teacher")["active"]  # type: ignore[index]


def test_moving_a_virtual_school_officer_to_another_la_says_so_and_is_logged(app: Flask, services: Services) -> None:
    services.accounts.add_school("200001", "Far School", "999")
    client, tokens = _admin(app)
    status, _ = _post(client, tokens, "grant", username="vs", role="virtual_school", school="", la_code="999")
    page = client.get("/admin/").get_data(as_text=True)
    assert status == 302 and "vs is now a Virtual School officer for Local authority 999." in page
    assert principal(services, "vs").la_code == "999"
    assert _logged(services, "role_granted") == [("admin", "admin", "vs: virtual_school for LA 999 (reads children's cases)")]


def test_the_last_active_administrator_cannot_be_removed_or_deactivated(app: Flask, services: Services) -> None:
    """Without one, nobody could add a school, give a role or deactivate a leaver."""
    for attempt in (lambda: services.accounts.revoke("admin", "admin"), lambda: services.accounts.deactivate("admin")):
        with pytest.raises(AccountError, match="no active administrator"):
            attempt()
    assert "admin" in principal(services, "admin").roles
    client, tokens = _admin(app)
    for form, fields in (("leaver", {"username": "admin"}), ("revoke", {"username": "admin", "role": "admin", "school": ""})):
        status, page = _post(client, tokens, form, **fields)
        assert status in (200, 400, 422) and "no active administrator" in page
    assert services.accounts.user("admin")["active"] and "admin" in principal(services, "admin").roles
    services.accounts.add_user("admin2", ["admin"], [], password="correct horse battery")
    services.accounts.deactivate("admin2")  # an inactive administrator does not count
    with pytest.raises(AccountError, match="no active administrator"):
        services.accounts.revoke("admin", "admin")
    services.accounts.add_user("admin3", ["admin", "auditor"], [], password="correct horse battery")
    services.accounts.revoke("admin3", "admin")
    services.accounts.grant("admin3", "admin")
    services.accounts.deactivate("admin")  # another one is left
    with pytest.raises(AccountError, match="no active administrator"):
        services.accounts.revoke("admin3", "admin")


def test_two_administrators_removing_each_other_at_once_leave_one(services: Services) -> None:
    services.accounts.add_user("admin2", ["admin", "auditor"], [], password="correct horse battery")
    services.accounts.grant("admin", "auditor")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def remove(username: str) -> None:
        start.wait()
        try:
            services.accounts.revoke(username, "admin")
            outcomes.append("removed")
        except AccountError:
            outcomes.append("refused")

    threads = [threading.Thread(target=remove, args=(name,)) for name in ("admin", "admin2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(outcomes) == ["refused", "removed"]
    left = [name for name in ("admin", "admin2") if "admin" in principal(services, name).roles]
    assert len(left) == 1


def test_the_page_names_each_role_in_words_at_its_school_or_la(app: Flask, services: Services) -> None:
    """From a new user's walk: roles read as codes ("Dsl at 100001"); the top bar's words for a role, and the
    school and the LA as people know them."""
    client, _ = _admin(app)
    page = client.get("/admin/").get_data(as_text=True)
    people = page[page.index("Users</caption>") :]
    assert f"DSL at Oakfield Primary School ({SCHOOL})" in people
    assert f"Head at Oakfield Primary School ({SCHOOL})" in people and f"DSL at Riverside Academy ({OTHER_SCHOOL})" in people
    assert "Virtual School for Local authority 881" in people
    assert "Dsl at" not in people and f"at {SCHOOL}<" not in people and "Headteacher at" not in people


def test_a_school_is_added_with_its_las_name_and_the_page_names_the_la(app: Flask, services: Services) -> None:
    client, tokens = _admin(app)
    status, _ = _post(client, tokens, "school", urn="100777", name="Hill Top School", la_code="999", la_name="Testshire")
    assert status == 302 and [s["la_name"] for s in services.accounts.schools() if s["urn"] == "100777"] == ["Testshire"]
    page = client.get("/admin/").get_data(as_text=True)
    schools = page[page.index("Schools</caption>") : page.index("Users</caption>")]
    assert '<td class="govuk-table__cell">Testshire (999)</td>' in schools and "Local authority 881" in schools
    status, page = _post(client, tokens, "school", urn="100778", name="Nameless School", la_code="", la_name="Testshire")
    assert status == 422 and 'id="school-la_name-error"' in page and "Enter the LA code" in page
    assert not [s for s in services.accounts.schools() if s["urn"] == "100778"]


def test_an_existing_account_is_chosen_from_a_list_and_an_unknown_one_is_a_message_on_its_field(
    app: Flask, services: Services
) -> None:
    """From a new user's walk: the forms that name an account took its username as free text."""
    services.accounts.add_user("jo", ["auditor"], [], password="correct horse battery", display_name="Jo Evans")
    client, tokens = _admin(app)
    page = client.get("/admin/").get_data(as_text=True)
    for form in ("grant", "revoke", "leaver"):
        chooser = re.search(rf'<select[^>]*name="{form}-username".*?</select>', page, re.S)
        assert chooser is not None, form
        assert '<option value="jo">Jo Evans (username jo)</option>' in chooser.group(0)
        assert '<option value="teacher">teacher</option>' in chooser.group(0)
    leaver = re.search(r'<select[^>]*name="leaver-username".*?</select>', page, re.S)
    assert leaver is not None and 'value="sw2"' in leaver.group(0)
    services.accounts.deactivate("sw2")
    page = client.get("/admin/").get_data(as_text=True)
    leaver = re.search(r'<select[^>]*name="leaver-username".*?</select>', page, re.S)
    assert leaver is not None and 'value="sw2"' not in leaver.group(0)  # gone already
    for form, fields in (("grant", {"role": "dsl", "school": SCHOOL}), ("revoke", {"role": "dsl", "school": ""}), ("leaver", {})):
        status, page = _post(client, tokens, form, username="nobody", **fields)
        assert status == 422 and f'id="{form}-username-error"' in page and "No user called nobody." in page, form
    status, page = _post(client, tokens, "leaver", username="te\x00acher")
    assert status == 422 and 'id="leaver-username-error"' in page and "\x00" not in page


# --- from the fourth new user's walk ---------------------------------------------------------------------------
def test_adding_a_user_chooses_no_role_for_the_administrator(app: Flask, services: Services) -> None:
    """The form started on the DSL, the role that sees every child's safeguarding record: a user added without
    looking at the list would have been one."""
    client, tokens = _admin(app)
    page = client.get("/admin/").get_data(as_text=True)
    role = page[page.index('name="user-role"') :]
    assert re.match(r'name="user-role"[^>]*>\s*<option (selected )?value="">Choose a role</option>', role), "first, and so chosen"
    status, page = _post(client, tokens, "user", username="newbie", password="plum kettle orbit meadow", school=SCHOOL)
    assert status == 422 and services.accounts.user("newbie") is None
    assert 'id="user-role-error"' in page and "Choose the role" in page


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
            {"username": "newbie", "role": "dsl", "school": SCHOOL, "password": "too short"},
            "password",
            "A password has 12 to 128 characters.",
        ),
        (
            "user",
            {"username": "new bie", "role": "dsl", "school": SCHOOL, "password": "plum kettle orbit meadow"},
            "username",
            "A username is 1 to 64 letters, digits",
        ),
        ("grant", {"username": "teacher", "role": "dsl", "school": "999999"}, "school", "No school with URN 999999."),
        (
            "grant",
            {"username": "head", "role": "virtual_school", "school": "", "la_code": ""},
            "la_code",
            "needs a local authority",
        ),
        ("revoke", {"username": "teacher", "role": "dsl", "school": ""}, "role", "is not a Designated Safeguarding Lead."),
    ],
)
def test_a_refused_change_is_told_on_its_field(
    app: Flask, services: Services, form: str, fields: dict[str, str], field: str, message: str
) -> None:
    client, tokens = _admin(app)
    status, page = _post(client, tokens, form, **fields)
    assert status == 422
    told = page[page.index(f'id="{form}-{field}-error"') :]
    assert message in told[: told.index("</p>")]
    assert f'href="#{form}-{field}"' in page


@pytest.mark.parametrize(("role", "school"), [("auditor", ""), ("dsl", SCHOOL), ("teacher", SCHOOL), ("admin", "")])
def test_an_administrator_cannot_give_themselves_a_role(app: Flask, services: Services, role: str, school: str) -> None:
    """The README promises the administrator sees no case content: made an auditor, they would read every case."""
    client, tokens = _admin(app)
    status, page = _post(client, tokens, "grant", username="admin", role=role, school=school)
    assert status == 422 and "There is a problem" in page
    assert re.search(
        r'id="grant-username-error"[^>]*>\s*<span class="govuk-visually-hidden">Error:</span>\s*'
        r"Another administrator must give you a role\.",
        page,
    ), "on the account's field"
    assert principal(services, "admin").grants == frozenset({("admin", None)})
    assert _logged(services, "role_granted") == []
    assert client.get("/audit/").status_code == 403, "still no auditor's pages"


def test_the_rule_is_the_accounts_own_and_another_administrator_may_give_the_role(services: Services) -> None:
    with pytest.raises(AccountError, match="Another administrator must give you a role") as refused:
        services.accounts.grant("admin", "auditor", by="admin")
    assert refused.value.on == {"username": "Another administrator must give you a role."}
    services.accounts.add_user("admin2", ["admin"], [], password="correct horse battery")
    assert services.accounts.grant("admin", "auditor", by="admin2") == 1
    assert ("auditor", None) in principal(services, "admin").grants
