"""The dependency direction is a rule, not a hope: the domain and workflows import
no framework and no outer layer; services import neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("flask", "flask_login", "flask_wtf", "wtforms", "sqlalchemy", "alembic", "psycopg", "werkzeug")
OUTER = ("caseflow.adapters", "caseflow.web", "caseflow.services", "caseflow.cli", "caseflow.bootstrap", "caseflow.demo")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    return bad


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("caseflow/domain", (*FRAMEWORKS, *OUTER)),
        ("workflows", (*FRAMEWORKS, "caseflow")),
        ("caseflow/services", (*FRAMEWORKS, "caseflow.adapters", "caseflow.web", "caseflow.cli", "caseflow.bootstrap")),
        ("caseflow/adapters", ("flask", "flask_login", "flask_wtf", "wtforms", "caseflow.web", "caseflow.cli")),
    ],
)
def test_layers_only_depend_inwards(package: str, forbidden: tuple[str, ...]) -> None:
    assert (ROOT / package).is_dir()
    assert offenders(package, forbidden) == []


def test_the_check_catches_a_violation(tmp_path: Path) -> None:
    """The rule can fail: a domain module importing Flask is reported."""
    bad = tmp_path / "pkg"
    bad.mkdir()
    (bad / "mod.py").write_text("from flask import Flask\nimport sqlalchemy.orm\n")
    found = set()
    for path in bad.rglob("*.py"):
        found |= imports_of(path)
    assert {"flask", "sqlalchemy.orm"} <= found


#: the modules that may open a database connection themselves: the transaction helpers, and
#: migrations (which run as the schema owner, outside the app's transactions)
OPENS_CONNECTIONS = {"caseflow/adapters/database.py", "caseflow/adapters/migrate.py"}


def connections_opened(path: Path) -> list[str]:
    """Calls of ``.connect()``, ``.begin()`` or ``.raw_connection()`` in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{node.lineno} calls .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"connect", "begin", "raw_connection"}
    ]


def test_every_transaction_is_opened_by_the_transaction_helpers() -> None:
    """SQLite's BEGIN (IMMEDIATE, for a write) is issued by ``write_transaction`` and
    ``read_transaction``, not by the driver, and ``statement_transactions`` is for a write that is
    one statement: a connection opened any other way would run each statement in a transaction of
    its own, so a read-then-write would not be one transaction."""
    opened = [hit for path in sorted((ROOT / "caseflow").rglob("*.py")) for hit in connections_opened(path)]
    assert opened and all(hit.split(":")[0] in OPENS_CONNECTIONS for hit in opened), opened


def test_the_connection_check_catches_a_stray_connection(tmp_path: Path) -> None:
    stray = tmp_path / "stray.py"
    stray.write_text("def f(engine):\n    with engine.connect() as conn, conn.begin():\n        pass\n")
    assert connections_opened(stray) == ["stray.py:2 calls .connect()", "stray.py:2 calls .begin()"]
