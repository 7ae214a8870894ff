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
