"""Signing in and out, with server-side sessions; bearer tokens for the API.

The session cookie carries only a random session id whose digest is stored in
the database; logging out deletes it, so a copied cookie stops working at once.
There is no remember-me.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import CSRFProtect, FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from caseflow.services.access import Principal
from caseflow.web.policy import ANY_USER, PUBLIC, allow

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


class SignedIn(UserMixin):
    """The Flask-Login user: a live session id and the principal behind it."""

    def __init__(self, session_id: str | None, principal: Principal, display_name: str) -> None:
        self.session_id = session_id
        self.principal = principal
        self.display_name = display_name

    def get_id(self) -> str | None:
        return self.session_id

    @property
    def username(self) -> str:
        return self.principal.username


def services() -> Any:
    return current_app.extensions["caseflow"]


@login_manager.user_loader
def load_user(session_id: str) -> SignedIn | None:
    accounts = services().accounts
    user_id = accounts.session_user(session_id)
    if user_id is None:
        return None
    principal = accounts.principal(user_id)
    if principal is None:
        return None
    user = accounts.user(principal.username)
    return SignedIn(session_id, principal, user["display_name"] if user else principal.username)


@login_manager.request_loader
def load_from_token(req: Any) -> SignedIn | None:
    """API callers authenticate with ``Authorization: Bearer TOKEN`` on /api/ paths only."""
    if not req.path.startswith("/api/"):
        return None
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    principal = services().accounts.principal_for_token(header[7:].strip())
    if principal is None:
        return None
    return SignedIn(None, principal, principal.username)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username"), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=128)])


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("cases.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("cases.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login() -> Any:
    """Sign in with a username and password."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        accounts = services().accounts
        user_id = accounts.authenticate(form.username.data, form.password.data)
        if user_id is not None:
            session.clear()
            session_id = accounts.start_session(user_id)
            user = load_user(session_id)
            assert user is not None
            login_user(user, remember=False)
            return redirect(_safe_next(request.args.get("next")))
        error = "The username or password is not right, or the account is locked. Try again."
    status = 200 if error is None and not form.errors else 422 if form.errors else 401
    if request.method == "GET":
        status = 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@allow(ANY_USER)
def logout() -> Any:
    """Sign out: the session ends on the server, not just in the browser."""
    if current_user.session_id:
        services().accounts.end_session(current_user.session_id)
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # the server-side session is the control
    csrf.init_app(app)
