"""The JSON API contract through Flask's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from caseflow import create_app
from caseflow.bootstrap import Services
from tests.api_walk import walk_contract
from tests.conftest import PEOPLE, SCHOOL


@pytest.fixture
def app(services: Services) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test"})


@pytest.fixture
def tokens(services: Services) -> dict[str, str]:
    return {username: services.accounts.issue_token(username) for username in PEOPLE}


def sender(client: FlaskClient):  # type: ignore[no-untyped-def]
    def send(method: str, path: str, token: str | None, body: Any, query: dict[str, str] | None) -> tuple[int, Any, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.open(path, method=method, json=body, headers=headers, query_string=query)
        return response.status_code, response.get_json(silent=True), response.mimetype

    return send


def test_contract_walk(app: Flask, tokens: dict[str, str]) -> None:
    result = walk_contract(sender(app.test_client()), tokens, SCHOOL, 1)
    assert result["version"] > 10


def test_openapi_document_is_valid_and_covers_every_action(app: Flask, services: Services) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(document)
    assert {f"Action_{name}" for name in services.workflow.actions if name != "open_case"} <= set(
        document["components"]["schemas"]
    )
    documented = {
        (method.upper(), "/api/v1" + path.replace("{", "<").replace("}", ">"))
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = {
        (method, rule.rule.replace("<name>", "<action>"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods or ()
        if method in {"GET", "POST", "PUT"}
    }
    assert served == documented


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("not json", "text/plain"),
        ("[1, 2]", "application/json"),
        ("{bad json", "application/json"),
        ('"text"', "application/json"),
    ],
)
def test_malformed_bodies_are_422_problems(app: Flask, tokens: dict[str, str], body: str, content_type: str) -> None:
    response = app.test_client().post(
        "/api/v1/cases", data=body, headers={"Authorization": f"Bearer {tokens['dsl']}", "Content-Type": content_type}
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"]
    assert response.get_json()["title"] == "Invalid data", "the sixth walk read 'Cannot be done yet' over a bad body"


def test_a_refusal_by_the_rules_is_titled_so_and_its_messages_read_as_sentences(
    app: Flask, tokens: dict[str, str]
) -> None:
    """The sixth walk: a refused guard was titled 'Cannot be done yet' and its detail read 'one outcome.; The One
    Plan ...'."""
    from caseflow.domain.errors import GuardFailed, Unmet

    assert GuardFailed([Unmet("a", "Give one outcome."), Unmet("b", "The One Plan needs the family's views")]).detail == (
        "Give one outcome. The One Plan needs the family's views."
    )
    bad_upn = app.test_client().post(
        "/api/v1/pupils",
        json={"upn": "A00000000000", "given_name": "Ann", "family_name": "Bee", "date_of_birth": "2016-01-01",
              "school_urn": "100001"},
        headers={"Authorization": f"Bearer {tokens['dsl']}"},
    )  # fmt: skip
    assert bad_upn.status_code == 422
    assert bad_upn.get_json()["title"] in ("Invalid data", "Requirements not met"), bad_upn.get_json()


def test_oversized_body_is_413_not_500(app: Flask, tokens: dict[str, str]) -> None:
    response = app.test_client().post(
        "/api/v1/cases",
        data="x" * (2 * 1024 * 1024),
        headers={"Authorization": f"Bearer {tokens['dsl']}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
