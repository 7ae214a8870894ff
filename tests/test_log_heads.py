"""Heads saved outside the database catch what the chains alone cannot (security plan, D2 and D4): whoever
can write to the database can remove a stream's latest events, or a whole stream, or rewrite a stream and
hash it again, and every chain still verifies. Against the heads an auditor saved, each of these is named;
a log that only grew passes. From the CLI, the audit page and the API, each save and check logged."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from caseflow import create_app
from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import SqlEventStore
from caseflow.bootstrap import Services
from caseflow.cli import main
from caseflow.domain.errors import InvalidData, NotPermitted
from caseflow.domain.events import NewEvent
from caseflow.domain.log_heads import LogHeads
from tests.conftest import Database, access_lines, principal
from tests.test_web_security import csrf_token, sign_in

HASH = "ab" * 32


def _event(n: int) -> NewEvent:
    return NewEvent(
        "NoteAdded", {"text": f"note {n}", "pupil_id": "p"}, "dsl", "dsl", datetime(2026, 1, 1, tzinfo=UTC), "support_journey@1"
    )


def _as_owner(database: Database, statement: str) -> None:
    """What the database's owner can do: the append-only triggers out of the way."""
    engine = make_engine(database.owner_url, app_role=False)
    with engine.begin() as conn:
        if database.backend == "postgres":
            conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_no_change"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS events_no_delete"))
        conn.execute(text(statement))
        if database.backend == "postgres":
            conn.execute(text("ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_change"))
    engine.dispose()


# --- the file -----------------------------------------------------------------------------------------
def test_heads_read_back_as_written_and_a_changed_file_is_refused() -> None:
    heads = LogHeads(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), {"case-a": (3, HASH), "case-b": (1, "cd" * 32)})
    saved = json.loads(json.dumps(heads.as_dict()))
    assert LogHeads.from_dict(saved) == heads and saved["events"] == 4
    saved["heads"]["case-a"] = [2, HASH]  # an owner shortening the anchor to match a shortened stream
    with pytest.raises(InvalidData) as refused:
        LogHeads.from_dict(saved)
    assert "digest that does not match" in refused.value.errors["heads"][0]


@pytest.mark.parametrize(
    "saved",
    [None, [], {"format": "other"}, {"format": "caseflow-log-heads/1"}, {"format": "caseflow-log-heads/1", "heads": {"a": [0, HASH]}},
     {"format": "caseflow-log-heads/1", "heads": {"a": [True, HASH]}}, {"format": "caseflow-log-heads/1", "heads": {"a": [1, "xyz"]}},
     {"format": "caseflow-log-heads/1", "heads": {"a": [1, HASH]}, "taken_at": "yesterday"}],
)  # fmt: skip
def test_what_is_not_a_file_of_heads_is_refused(saved: Any) -> None:
    with pytest.raises(InvalidData):
        LogHeads.from_dict(saved)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=8), c),
        max_leaves=12,
    )
)
def test_any_json_is_heads_or_a_clear_refusal(saved: Any) -> None:
    try:
        LogHeads.from_dict(saved)
    except InvalidData as refused:
        assert set(refused.errors) == {"heads"}


# --- the store ----------------------------------------------------------------------------------------
def _log(database: Database) -> tuple[SqlEventStore, LogHeads]:
    store = SqlEventStore(make_engine(database.url))
    store.append("case-a", "case", 0, [_event(1), _event(2), _event(3)])
    store.append("case-b", "case", 0, [_event(4)])
    return store, store.heads()


def test_a_log_that_only_grew_passes(database: Database) -> None:
    store, saved = _log(database)
    assert saved.heads == {"case-a": (3, saved.heads["case-a"][1]), "case-b": (1, saved.heads["case-b"][1])}
    store.append("case-a", "case", 3, [_event(5)])
    store.append("case-c", "case", 0, [_event(6)])
    report = store.verify(anchored=saved)
    assert (report.valid, report.checked) == (True, 6)
    assert store.verify("case-a", saved).valid


@pytest.mark.parametrize(
    ("attack", "stream", "reason"),
    [
        ("DELETE FROM events WHERE stream_id = 'case-a' AND version = 3", "case-a", "now ends at version 2"),
        ("DELETE FROM events WHERE stream_id = 'case-b'", "case-b", "the stream is gone"),
        ("DELETE FROM events WHERE stream_id = 'case-a'", "case-a", "was rewritten"),  # then written again, below
    ],
)
def test_what_the_chains_cannot_see_the_saved_heads_name(database: Database, attack: str, stream: str, reason: str) -> None:
    store, saved = _log(database)
    _as_owner(database, attack)
    if reason == "was rewritten":  # a new history, hashed again from the start
        store.append("case-a", "case", 0, [_event(1), _event(2), _event(7)])
    assert store.verify().valid  # every chain still verifies
    report = store.verify(anchored=saved)
    assert (report.valid, report.first_invalid_stream) == (False, stream)
    assert reason in (report.reason or "")


def test_from_the_command_line(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _log(database)
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    runner = CliRunner()
    out = tmp_path / "heads.json"
    saved = runner.invoke(main, ["heads", "--out", str(out)])
    assert saved.exit_code == 0 and "Saved the heads of 2 streams (4 events)" in saved.output
    printed = runner.invoke(main, ["heads"])
    assert json.loads(printed.output)["heads"] == json.loads(out.read_text())["heads"]
    passed = runner.invoke(main, ["verify", "--against", str(out)])
    assert passed.exit_code == 0 and "every event in the heads still there" in passed.output
    _as_owner(database, "DELETE FROM events WHERE stream_id = 'case-a' AND version = 3")
    assert runner.invoke(main, ["verify"]).exit_code == 0
    caught = runner.invoke(main, ["verify", "--against", str(out)])
    assert caught.exit_code == 1 and "case-a version 3" in caught.output and "events were removed" in caught.output
    (tmp_path / "bad.json").write_text("{not json")
    refused = runner.invoke(main, ["verify", "--against", str(tmp_path / "bad.json")])
    assert refused.exit_code == 2 and "is not a JSON file" in refused.output


# --- the audit page and the API -----------------------------------------------------------------------
@pytest.fixture
def app(services: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})


def test_the_auditor_saves_the_heads_and_checks_the_log_against_them(app: Flask, services: Services, database: Database) -> None:
    services.store.append("case-a", "case", 0, [_event(1), _event(2)])
    client = app.test_client()
    sign_in(client, "auditor")
    download = client.get("/audit/heads.json")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    saved = download.data

    def check(body: bytes | None) -> Any:
        data: dict[str, Any] = {"csrf_token": csrf_token(client, "/audit/")}
        if body is not None:
            data["heads"] = (io.BytesIO(body), "heads.json")
        return client.post("/audit/heads/verify", data=data, content_type="multipart/form-data")

    services.store.append("case-a", "case", 2, [_event(3)])
    passed = check(saved)
    assert passed.status_code == 200 and b"Only grown since" in passed.data
    _as_owner(database, "DELETE FROM events WHERE stream_id = 'case-a' AND version = 2")
    _as_owner(database, "DELETE FROM events WHERE stream_id = 'case-a' AND version = 3")
    caught = check(saved)
    assert caught.status_code == 200 and b"Tampering detected" in caught.data and b"events were removed" in caught.data
    for body, message in ((None, b"Choose the file of heads you saved."), (b"{oops", b"is not a file of the log"),
                          (saved.replace(b'"events": 2', b'"events": 9').replace(b"case-a", b"case-z"), b"digest that does not match")):  # fmt: skip
        refused = check(body)
        assert refused.status_code == 422 and message in refused.data
    outcomes = [a["outcome"] for a in access_lines(services) if a["action"] in {"log_heads", "verify_against_heads"}]
    assert outcomes == ["ok", "ok", "invalid", "refused", "refused", "refused"]


def test_only_an_auditor_of_every_school_may(app: Flask, services: Services) -> None:
    services.accounts.add_user("school_auditor", ["auditor"], ["100001"], password="correct horse battery")
    with pytest.raises(NotPermitted):
        services.log_heads.heads(principal(services, "school_auditor"))
    client = app.test_client()
    sign_in(client, "school_auditor")
    assert client.get("/audit/heads.json").status_code == 403
    assert b"Saved heads" not in client.get("/audit/").data


def test_through_the_api(services: Services, database: Database) -> None:
    services.store.append("case-a", "case", 0, [_event(1), _event(2)])
    client = create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test"}).test_client()
    headers = {"Authorization": f"Bearer {services.accounts.issue_token('auditor')}"}
    saved = client.get("/api/v1/audit/heads", headers=headers).get_json()
    assert saved["streams"] == 1 and saved["events"] == 2
    grown = client.post("/api/v1/audit/heads/verify", json=saved, headers=headers).get_json()
    assert (grown["valid"], grown["digest"]) == (True, saved["digest"])
    _as_owner(database, "DELETE FROM events WHERE stream_id = 'case-a'")
    caught = client.post("/api/v1/audit/heads/verify", json=saved, headers=headers).get_json()
    assert (caught["valid"], caught["first_invalid_stream"]) == (False, "case-a")
    refused = client.post("/api/v1/audit/heads/verify", json={"format": "x"}, headers=headers)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    dsl = {"Authorization": f"Bearer {services.accounts.issue_token('dsl')}"}
    assert client.get("/api/v1/audit/heads", headers=dsl).status_code == 403


# --- from a review of the first version ----------------------------------------------------------------
def test_the_page_reads_a_file_of_heads_over_a_mebibyte(app: Flask, services: Services) -> None:
    """A large LA has tens of thousands of streams: the page's own limit, not the app's 1 MiB, applies."""
    client = app.test_client()
    sign_in(client, "auditor")
    big = LogHeads(datetime(2026, 1, 1, tzinfo=UTC), {f"case-{n:08d}": (1, "ab" * 32) for n in range(12_000)})
    body = json.dumps(big.as_dict(), indent=2).encode()
    assert len(body) > 1024 * 1024
    data = {"csrf_token": csrf_token(client, "/audit/"), "heads": (io.BytesIO(body), "heads.json")}
    checked = client.post("/audit/heads/verify", data=data, content_type="multipart/form-data")
    assert checked.status_code == 200 and b"the stream is gone" in checked.data
    no_token = client.post("/audit/heads/verify", data={"heads": (io.BytesIO(body), "heads.json")},
                           content_type="multipart/form-data")  # fmt: skip
    assert no_token.status_code == 400


def test_odd_bodies_and_times_are_refused_not_a_500(services: Services) -> None:
    services.store.append("case-a", "case", 0, [_event(1)])
    client = create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test"}).test_client()
    headers = {"Authorization": f"Bearer {services.accounts.issue_token('auditor')}"}
    deep = "[" * 100_000 + "]" * 100_000
    assert (
        client.post("/api/v1/audit/heads/verify", data=deep, content_type="application/json", headers=headers).status_code == 422
    )
    saved = client.get("/api/v1/audit/heads", headers=headers).get_json()
    for taken_at in ("0001-01-01T00:00:00+01:00", "2026-12-07T10:00:00+01:00", "2026-12-07T10:00:00"):
        edited = saved | {"taken_at": taken_at}
        assert client.post("/api/v1/audit/heads/verify", json=edited, headers=headers).status_code == 422
    later = saved | {"taken_at": "2027-01-01T00:00:00.000000Z"}  # the time is in the digest too
    refused = client.post("/api/v1/audit/heads/verify", json=later, headers=headers)
    assert refused.status_code == 422 and "digest that does not match" in refused.get_json()["errors"]["heads"][0]


def test_the_command_line_says_what_it_checked_against(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _log(database)
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    runner = CliRunner()
    out = tmp_path / "heads.json"
    saved = runner.invoke(main, ["heads", "--out", str(out)])
    digest = json.loads(out.read_text())["digest"]
    assert saved.exit_code == 0 and f"Digest: {digest}" in saved.output
    _as_owner(database, "DELETE FROM events WHERE stream_id = 'case-b'")
    one = runner.invoke(main, ["verify", "--case", "case-a", "--against", str(out)])
    assert one.exit_code == 0 and "every event of case-a in the heads still there" in one.output and digest in one.output
    typo = runner.invoke(main, ["verify", "--case", "case-typo", "--against", str(out)])
    assert typo.exit_code == 1 and "No stream case-typo" in typo.output
    nowhere = runner.invoke(main, ["heads", "--out", str(tmp_path / "no" / "heads.json")])
    assert nowhere.exit_code == 2 and "cannot write it" in nowhere.output
    lines = [a for a in access_lines_of(database) if a == "log_heads"]
    assert len(lines) == 1  # the failed save is not logged as saved


def access_lines_of(database: Database) -> list[str]:
    engine = make_engine(database.url)
    with engine.connect() as conn:
        found = list(conn.execute(text("SELECT action FROM access_log ORDER BY id")).scalars())
    engine.dispose()
    return found


def test_verifying_a_stream_that_is_not_there_says_so(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """API-CONTRACT: exit 0 if intact; a stream that is not there has nothing to break, and says so."""
    _log(database)
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    result = CliRunner().invoke(main, ["verify", "--case", "case-typo"])
    assert result.exit_code == 0 and "No stream case-typo: nothing to verify." in result.output
