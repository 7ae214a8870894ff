"""The web interface: blueprints, the default-deny route policy, errors and headers."""

from __future__ import annotations

from flask import Flask

from caseflow.web import api, auth, cases, errors, policy


def register(app: Flask) -> None:
    auth.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(api.bp)
    errors.init_app(app)
    policy.init_app(app)
