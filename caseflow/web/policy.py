"""Default deny for routes: every endpoint declares who may use it, or nobody can.

``@allow("public")`` for pages anyone may see, ``@allow("any")`` for any
signed-in user, ``@allow(*roles)`` for users holding one of those roles. A
route without a declaration answers 403 to everyone (and a test lists them).
Finer checks (which case, which action) live in the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ANY_USER = "any"
#: endpoint -> declared audience
DECLARED: dict[str, frozenset[str]] = {}
_PENDING: dict[Callable[..., Any], frozenset[str]] = {}


def allow(*audience: str) -> Callable[[F], F]:
    def mark(view: F) -> F:
        _PENDING[view] = frozenset(audience)
        return view

    return mark


def audience_of(app: Flask, endpoint: str | None) -> frozenset[str] | None:
    if endpoint is None:
        return None
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = app.view_functions.get(endpoint)
    return _PENDING.get(view) if view is not None else None


def init_app(app: Flask) -> None:
    @app.before_request
    def enforce() -> Any:
        audience = audience_of(app, request.endpoint)
        if request.endpoint is None:
            return None  # 404/405 handled by Flask
        if audience is None:
            abort(403)
        if PUBLIC in audience:
            return None
        if not current_user.is_authenticated:
            if request.path.startswith("/api/"):
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
        if ANY_USER in audience:
            return None
        if not (current_user.principal.roles & audience):
            abort(403)
        return None
