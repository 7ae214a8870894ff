"""Caseflow: event-sourced support journeys for children who have, or have had, a social worker."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, g

from caseflow.config import PROJECT_ROOT, database_url, is_production


def _two_step_required(production: bool) -> bool:
    """``CASEFLOW_TWO_STEP``: ``required`` (the default in production) or ``optional``; nothing else,
    so a mistyped setting stops the app rather than quietly turning the second step off."""
    setting = os.environ.get("CASEFLOW_TWO_STEP") or ("required" if production else "optional")
    if setting not in {"required", "optional"}:
        raise RuntimeError(f"CASEFLOW_TWO_STEP is 'required' or 'optional', not {setting!r}")
    return setting == "required"


#: the shortest ``CASEFLOW_SECRET_KEY`` production starts with: 256 bits, as ``secrets.token_hex(32)`` gives
MIN_SECRET_KEY_BYTES = 32


def _secure_cookies(production: bool) -> bool:
    """``CASEFLOW_SECURE_COOKIES``: ``1`` (the default in production, and its only choice) sends the cookies over
    HTTPS only; ``0`` (the default elsewhere, so ``make run`` works on http://localhost). Production has no
    opt-out: behind a proxy that ends TLS the browser still talks HTTPS to the proxy, so the cookies still come
    back, and one sent once over plain HTTP is a session anyone on the network can take."""
    setting = os.environ.get("CASEFLOW_SECURE_COOKIES") or ("1" if production else "0")
    if setting not in {"0", "1"}:
        raise RuntimeError(f"CASEFLOW_SECURE_COOKIES is '1' or '0', not {setting!r}")
    if production and setting == "0":
        raise RuntimeError(
            "CASEFLOW_SECURE_COOKIES=0 is refused in production: cookies go over HTTPS only "
            "(behind a proxy that ends TLS the browser's side is still HTTPS, so they still work)"
        )
    return setting == "1"


def _check_secret_key(secret: str | None, production: bool) -> None:
    """The key that signs the CSRF tokens and the known-device cookie: production refuses to start without one,
    or with one short enough to guess offline from a signed value (32 bytes, as hex, is 128 bits)."""
    if not production:
        return
    if not secret:
        raise RuntimeError("CASEFLOW_SECRET_KEY is required in production")
    if len(secret.encode("utf-8")) < MIN_SECRET_KEY_BYTES:
        raise RuntimeError(
            f"CASEFLOW_SECRET_KEY is at least {MIN_SECRET_KEY_BYTES} bytes in production: "
            "python -c 'import secrets; print(secrets.token_hex(32))' prints one"
        )


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app. The only place where adapters, services and the web are wired together."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    secret = os.environ.get("CASEFLOW_SECRET_KEY")
    production = is_production()
    app.config.from_mapping(
        SECRET_KEY=secret or secrets.token_hex(32),
        DATABASE_URL=database_url(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_secure_cookies(production),
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=3600,
        # a code from an authenticator app after the password: required in production, offered elsewhere
        TWO_STEP_REQUIRED=_two_step_required(production),
    )
    if test_config:
        app.config.update(test_config)
    _check_secret_key(secret, production)

    from caseflow.adapters.database import hold_connections, release_connections
    from caseflow.bootstrap import bootstrap
    from caseflow.web import register

    services = app.config.get("SERVICES") or bootstrap(app.config["DATABASE_URL"])
    app.extensions["caseflow"] = services

    # Registered before anything that reads the database (the route policy asks who is signed in):
    # a request's transactions share one pooled connection (see ``hold_connections``).
    @app.before_request
    def hold_one_connection() -> None:
        g.caseflow_connections = hold_connections()

    @app.teardown_request
    def release_the_connection(_error: BaseException | None) -> None:
        token = g.pop("caseflow_connections", None)
        if token is not None:
            release_connections(token)

    register(app)
    proxies = _trusted_proxies()
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app


def _trusted_proxies() -> int:
    """``CASEFLOW_PROXIES``: how many reverse proxies stand in front of the app (0 by default). Each
    adds one address to X-Forwarded-For; only that many, counted from the right, are believed, so
    a client's own X-Forwarded-For cannot choose the address its failed sign-ins count against."""
    setting = os.environ.get("CASEFLOW_PROXIES", "0")
    if not setting.isdigit() or int(setting) > 5:
        raise RuntimeError(f"CASEFLOW_PROXIES is a number of proxies from 0 to 5, not {setting!r}")
    return int(setting)
