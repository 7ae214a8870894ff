"""Authenticator secrets are sealed at rest (AES-256-GCM under the deployment's data key), on SQLite and
PostgreSQL: a copy of the users table gives no secret away, a sealed secret opens only in its own row and
under its own key (anything else fails closed), secrets written before sealing still work and
``caseflow db upgrade`` seals them, and the data key comes from where the deployment says."""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from caseflow import config
from caseflow.adapters.secret_box import SecretBox, SecretUnreadable, decode_key, is_sealed, new_key_text
from caseflow.adapters.tables import users
from caseflow.bootstrap import Services, bootstrap
from caseflow.cli import main
from caseflow.domain.totp import hotp, step_at
from tests.conftest import Clock, Database, seed_people


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = bootstrap(database.url, clock=clock)
    seed_people(services)
    yield services
    services.close()


def user_id(svc: Services, username: str) -> int:
    user = svc.accounts.user(username)
    assert user is not None
    return int(user["id"])


def switch_on(svc: Services, clock: Clock, username: str) -> str:
    uid = user_id(svc, username)
    secret = svc.accounts.pending_secret(uid)
    assert svc.accounts.turn_on_two_step(uid, hotp(secret, step_at(clock.now)))
    return secret


def stored(svc: Services, username: str) -> tuple[str | None, str | None]:
    with svc.engine.connect() as conn:
        row = conn.execute(select(users.c.totp_secret, users.c.totp_pending_secret).where(users.c.username == username)).one()
    return row[0], row[1]


def next_code(secret: str, clock: Clock, steps: int = 1) -> str:
    return hotp(secret, step_at(clock.now) + steps)


def test_a_secret_is_sealed_in_its_row_and_still_signs_its_user_in(svc: Services, clock: Clock) -> None:
    uid = user_id(svc, "dsl")
    pending = svc.accounts.pending_secret(uid)
    active, waiting = stored(svc, "dsl")
    assert active is None and waiting is not None and is_sealed(waiting) and pending not in waiting
    assert svc.accounts.pending_secret(uid) == pending, "the same secret until it is used"
    assert svc.accounts.turn_on_two_step(uid, hotp(pending, step_at(clock.now)))
    active, waiting = stored(svc, "dsl")
    assert waiting is None and active is not None and is_sealed(active) and pending not in active
    assert svc.accounts.second_step(uid, next_code(pending, clock))


def test_a_sealed_secret_copied_into_another_row_does_not_open_there(svc: Services, clock: Clock) -> None:
    secret = switch_on(svc, clock, "dsl")
    switch_on(svc, clock, "head")
    copied, _ = stored(svc, "dsl")
    with svc.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "head").values(totp_secret=copied))
    assert not svc.accounts.second_step(user_id(svc, "head"), next_code(secret, clock)), "bound to its own user"
    assert svc.accounts.two_step_on(user_id(svc, "head")), "still on: refused, never let through"


def test_under_another_data_key_a_secret_fails_closed(database: Database, svc: Services, clock: Clock) -> None:
    secret = switch_on(svc, clock, "dsl")
    other = bootstrap(database.url, clock=clock, data_key=os.urandom(32))
    try:
        uid = user_id(other, "dsl")
        assert other.accounts.two_step_on(uid)
        assert not other.accounts.second_step(uid, next_code(secret, clock))
    finally:
        other.close()
    assert svc.accounts.second_step(user_id(svc, "dsl"), next_code(secret, clock)), "its own key still opens it"


def test_a_secret_written_before_sealing_works_and_db_upgrade_seals_it(
    database: Database, svc: Services, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with svc.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "dsl").values(totp_secret=plain, totp_last_step=None))
    uid = user_id(svc, "dsl")
    assert svc.accounts.second_step(uid, hotp(plain, step_at(clock.now)))
    monkeypatch.setenv("CASEFLOW_DATA_KEY", config.data_key_text())  # the key the services here were given
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    monkeypatch.setenv("CASEFLOW_MIGRATE_DATABASE_URL", database.owner_url)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Sealed 1 authenticator secrets" in result.output
    active, _ = stored(svc, "dsl")
    assert active is not None and is_sealed(active) and plain not in active
    assert svc.accounts.second_step(uid, next_code(plain, clock)), "the sealed secret is the same secret"
    assert "Sealed" not in CliRunner().invoke(main, ["db", "upgrade"]).output, "nothing left to seal"


def test_the_box_refuses_what_it_did_not_seal() -> None:
    box = SecretBox(os.urandom(32))
    sealed = box.seal("ABCDEF", "totp:1")
    assert box.open(sealed, "totp:1") == "ABCDEF"
    for broken in (sealed[:-4] + "AAA=", sealed[:20], "v1:!!!", "v1:"):
        with pytest.raises(SecretUnreadable):
            box.open(broken, "totp:1")
    with pytest.raises(SecretUnreadable):
        box.open(sealed, "totp:2")
    with pytest.raises(ValueError):
        SecretBox(b"short")


@pytest.mark.parametrize("text", ["", "abc", base64.urlsafe_b64encode(b"x" * 31).decode(), "é" * 44])
def test_a_malformed_data_key_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="32 random bytes"):
        decode_key(text)


def test_the_data_key_comes_from_the_environment_then_a_file_made_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "DATA_KEY_FILE", tmp_path / "instance" / "data.key")
    monkeypatch.delenv("CASEFLOW_DATA_KEY", raising=False)
    monkeypatch.delenv("CASEFLOW_ENV", raising=False)
    made = config.data_key_text()
    assert len(decode_key(made)) == 32 and config.data_key_text() == made, "made once, then read"
    assert stat.S_IMODE(config.DATA_KEY_FILE.stat().st_mode) == 0o600
    assert list(config.DATA_KEY_FILE.parent.iterdir()) == [config.DATA_KEY_FILE], "no draft left behind"
    key = new_key_text()
    monkeypatch.setenv("CASEFLOW_DATA_KEY", key)
    assert config.data_key_text() == key
    monkeypatch.delenv("CASEFLOW_DATA_KEY")
    monkeypatch.setenv("CASEFLOW_ENV", "production")
    with pytest.raises(RuntimeError, match="CASEFLOW_DATA_KEY is required in production"):
        config.data_key_text()
    output = CliRunner().invoke(main, ["keys", "new"]).output.strip()
    assert len(decode_key(output)) == 32
