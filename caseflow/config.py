"""Configuration from the environment, with safe development defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE = PROJECT_ROOT / "instance"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE / 'caseflow.db'}"


def database_url() -> str:
    """Where the app reads and writes (on PostgreSQL: as the ``caseflow_app`` role)."""
    return os.environ.get("CASEFLOW_DATABASE_URL") or DEFAULT_DATABASE_URL


def migrate_database_url() -> str:
    """Where migrations run: the schema owner, which must not be the app's role."""
    return os.environ.get("CASEFLOW_MIGRATE_DATABASE_URL") or database_url()


def is_production() -> bool:
    return os.environ.get("CASEFLOW_ENV", "development") == "production"


DATA_KEY_FILE = INSTANCE / "data.key"


def data_key_text() -> str:
    """The data key that seals secrets at rest (``caseflow.adapters.secret_box``): ``CASEFLOW_DATA_KEY``, which
    production requires; elsewhere, one made once for this checkout under ``instance/`` (readable by its owner
    only), so a development database's secrets outlive a restart."""
    from caseflow.adapters.secret_box import new_key_text

    text = os.environ.get("CASEFLOW_DATA_KEY")
    if text:
        return text
    if is_production():
        raise RuntimeError("CASEFLOW_DATA_KEY is required in production (caseflow keys new prints one)")
    if not DATA_KEY_FILE.exists():
        DATA_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        draft = DATA_KEY_FILE.with_name(f"data.key.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as written:
            written.write(new_key_text() + "\n")
        try:
            os.link(draft, DATA_KEY_FILE)  # the first process to get here makes it; the others read it
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return DATA_KEY_FILE.read_text()
