"""From a new user's walk: a governor, an auditor, a Virtual School officer and an administrator signed in to
"There are no cases for you to see". Each starts on their own first page; and the bar at the top names a
role once ("Dana Shah (DSL)", not "Dana Shah (DSL) (DSL)")."""

from __future__ import annotations

import pytest

from caseflow import create_app
from caseflow.bootstrap import Services

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [("governor", "/reports/governors"), ("auditor", "/audit/"), ("vs", "/la"), ("admin", "/admin/"), ("dsl", None)],
)
def test_each_role_starts_on_its_own_page(sqlite_services: Services, username: str, lands_on: str | None) -> None:
    app = create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    home = client.get("/")
    if lands_on is None:
        assert home.status_code == 200
        return
    assert home.status_code == 302 and home.headers["Location"] == lands_on
    page = client.get("/", follow_redirects=True)
    assert page.status_code == 200 and "There are no cases for you to see" not in page.get_data(as_text=True)


def test_the_bar_names_a_role_once(sqlite_services: Services) -> None:
    sqlite_services.accounts.add_user("dana", ["dsl"], ["100001"], password=PASSWORD, display_name="Dana Shah (DSL)")
    app = create_app({"TESTING": True, "SERVICES": sqlite_services, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "dana", "password": PASSWORD}).status_code == 302
    page = client.get("/").get_data(as_text=True)
    bar = page[page.index("caseflow-userbar") : page.index("Sign out")]
    assert "Dana Shah (DSL)" in bar and "(DSL)" not in bar.replace("Dana Shah (DSL)", "")
    # from the third walk: "Harriet Okafor (Headteacher) (Head)", the name's own words for the role differing
    sqlite_services.accounts.add_user(
        "hat", ["headteacher"], ["100001"], password=PASSWORD, display_name="Harriet Okafor (Headteacher)"
    )
    own = app.test_client()
    assert own.post("/login", data={"username": "hat", "password": PASSWORD}).status_code == 302
    page = own.get("/").get_data(as_text=True)
    bar = page[page.index("caseflow-userbar") : page.index("Sign out")]
    assert "Harriet Okafor (Headteacher)" in bar and "(Head)" not in bar
    other = app.test_client()
    assert other.post("/login", data={"username": "senco", "password": PASSWORD}).status_code == 302
    page = other.get("/").get_data(as_text=True)
    assert "(SENCo)" in page[page.index("caseflow-userbar") : page.index("Sign out")], "a name without its role gets it"
