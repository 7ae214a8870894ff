"""A check of the log names every stream that fails, not only the first: an auditor facing a tampering
needs to know how far it reached. From the store, the CLI (the first bad event first, as API-CONTRACT
says, then one line for each other stream) and the audit page."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text

from caseflow import create_app
from caseflow.adapters import event_store
from caseflow.bootstrap import Services
from caseflow.cli import main
from caseflow.demo import make_upn
from tests.conftest import SCHOOL, Database, principal
from tests.test_log_heads import _as_owner, _event
from tests.test_tamper import owner_connection
from tests.test_web_security import sign_in


def _edit(database: Database, statement: str) -> None:
    """An UPDATE only the database's owner, with the append-only triggers out of the way, can make."""
    with owner_connection(database) as conn:
        conn.execute(text(statement))
        conn.commit()


def three_streams(services: Services) -> None:
    services.store.append("case-a", "case", 0, [_event(1), _event(2), _event(3)])
    services.store.append("case-b", "case", 0, [_event(4), _event(5)])
    services.store.append("case-c", "case", 0, [_event(6)])


def test_every_broken_stream_is_named_each_at_its_first_bad_event(services: Services, database: Database) -> None:
    three_streams(services)
    saved = services.store.heads()
    _edit(database, "UPDATE events SET data = replace(data, 'note 2', 'note 9') WHERE stream_id = 'case-a' AND version = 2")
    _edit(database, "UPDATE events SET actor = 'someone' WHERE stream_id = 'case-b' AND version = 1")
    report = services.store.verify()
    assert (report.valid, report.broken_streams) == (False, 2)
    assert [(b.stream_id, b.version) for b in report.breaks] == [("case-a", 2), ("case-b", 1)]
    assert (report.first_invalid_stream, report.first_invalid_version) == ("case-a", 2)
    assert report.checked == 2 + 1 + 1, "each stream walked to its first bad event, the rest of the log checked"
    _as_owner(database, "DELETE FROM events WHERE stream_id = 'case-c'")
    against = services.store.verify(anchored=saved)
    assert [(b.stream_id, b.version) for b in against.breaks] == [("case-a", 2), ("case-b", 1), ("case-c", 1)]
    assert "the stream is gone" in against.breaks[-1].reason
    assert against.as_dict()["breaks"][2] == {"stream": "case-c", "version": 1, "reason": against.breaks[-1].reason}


def test_an_unreadable_row_mid_stream_does_not_stop_the_check_of_the_rest(services: Services, database: Database) -> None:
    three_streams(services)
    if database.backend == "sqlite":  # an instant no reader can parse, in the middle of case-a
        _edit(database, "UPDATE events SET recorded_at = 'not a time' WHERE stream_id = 'case-a' AND version = 2")
    else:
        _edit(database, "UPDATE events SET data = 'not json' WHERE stream_id = 'case-a' AND version = 2")
    _edit(database, "UPDATE events SET role = 'head' WHERE stream_id = 'case-c' AND version = 1")
    report = services.store.verify()
    assert [(b.stream_id, b.version) for b in report.breaks] == [("case-a", 2), ("case-c", 1)]


def test_the_command_line_prints_a_line_for_each_and_says_how_many_it_did_not_name(
    services: Services, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_streams(services)
    for stream in ("case-a", "case-b", "case-c"):
        _edit(database, f"UPDATE events SET actor = 'x' WHERE stream_id = '{stream}' AND version = 1")
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    result = CliRunner().invoke(main, ["verify"])
    lines = [line for line in result.output.splitlines() if line.startswith("TAMPERED")]
    assert result.exit_code == 1 and [line.split(":")[1] for line in lines] == [
        " stream case-a version 1",
        " stream case-b version 1",
        " stream case-c version 1",
    ]
    monkeypatch.setattr(event_store, "MAX_BREAKS_NAMED", 1)
    capped = CliRunner().invoke(main, ["verify"])
    assert "TAMPERED: stream case-a version 1" in capped.output and "case-b" not in capped.output
    assert "... and 2 more streams broken" in capped.output


def test_the_audit_page_lists_them_and_links_a_case(services: Services, database: Database) -> None:
    dsl = principal(services, "dsl")
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 51), "given_name": "Ivy", "family_name": "Lane",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    case = services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "Late"})
    services.store.append("case-z", "case", 0, [_event(1)])
    _edit(database, f"UPDATE events SET actor = 'x' WHERE stream_id = '{case.id}' AND version = 1")
    _edit(database, "UPDATE events SET actor = 'x' WHERE stream_id = 'case-z' AND version = 1")
    app: Flask = create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})
    client = app.test_client()
    sign_in(client, "auditor")
    page = client.get("/audit/?verify=all").get_data(as_text=True)
    assert "Tampering detected" in page and "2 streams broken, each at its first bad event" in page
    assert f'href="/audit/cases/{case.id}">Ivy Lane&#39;s case</a> (stream <code>{case.id}</code>), version 1' in page
    assert "A stream no longer on the roll (stream <code>case-z</code>), version 1" in page
    _edit(database, f"UPDATE events SET actor = 'x' WHERE stream_id = '{pupil.id}' AND version = 1")
    page = client.get("/audit/?verify=all").get_data(as_text=True)
    assert f"Ivy Lane&#39;s record (stream <code>{pupil.id}</code>), version 1" in page
