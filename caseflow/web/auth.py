"""Signing in and out, with server-side sessions and two-step sign-in; bearer tokens for the API.

The session cookie carries only a random session id whose digest is stored in
the database; logging out deletes it, so a copied cookie stops working at once.
There is no remember-me.

Two-step sign-in: after the right password, a user who has an authenticator app set up gives
its current code before any session starts; where it is required (``TWO_STEP_REQUIRED``, on in
production), a user without one sets one up first. Until then the browser holds only the
signed note "this user gave the right password here, less than five minutes ago".
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import CSRFProtect, FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from caseflow.adapters.accounts import MAX_PASSWORD, MIN_PASSWORD, AccountError
from caseflow.domain.events import LONDON, utc
from caseflow.domain.totp import grouped, normalise_code, provisioning_uri
from caseflow.services.access import Principal
from caseflow.web.forms import put_errors
from caseflow.web.policy import ANY_USER, PUBLIC, allow

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()


class SignedIn(UserMixin):
    """The Flask-Login user: a live session id and the principal behind it."""

    def __init__(self, session_id: str | None, principal: Principal, display_name: str, user_id: int | None = None) -> None:
        self.session_id = session_id
        #: the account behind a web session (None for an API token, which never reaches the account pages)
        self.user_id = user_id
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
    """The signed-in person of a browser's session; never on /api/, which takes bearer tokens only (as its
    contract says): with CSRF off there, a session would let any site post actions as whoever has a tab open."""
    if request.path.startswith("/api/"):
        return None
    accounts = services().accounts
    user_id = accounts.session_user(session_id)
    if user_id is None:
        return None
    principal = accounts.principal(user_id)
    if principal is None:
        return None
    user = accounts.user(principal.username)
    if user is not None and current_app.config["TWO_STEP_REQUIRED"] and not user["totp_secret"]:
        accounts.end_session(session_id)  # opened before two-step sign-in was required, or since reset
        return None
    return SignedIn(session_id, principal, user["display_name"] if user else principal.username, user_id)


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


def _six_digits(_form: FlaskForm, field: StringField) -> None:
    if normalise_code(field.data) is None:
        raise ValidationError("The code is 6 digits, like 123 456")


class CodeForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        validators=[DataRequired("Enter the 6-digit code from your authenticator app"), _six_digits],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


def _password_again() -> PasswordField:
    return PasswordField("Your password", validators=[DataRequired("Enter your password"), Length(max=128)])


class ReauthenticatedCodeForm(CodeForm):
    password = _password_again()


class MoveAppForm(ReauthenticatedCodeForm):
    current_code = StringField(
        "Code from the app you have now",
        validators=[DataRequired("Enter the code from the app you have now"), _six_digits],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )
    password = _password_again()  # declared again so it comes after the current code, as on the page and in the summary


#: how long the right password is good for while the second step is done
PENDING_SECONDS = 300
WRONG_CODE = "That code is not right, or it has been used already. Enter the code your app shows now."
#: one message whether the username is unknown, the password wrong or the account locked (ASVS V6.3.8)
WRONG_SIGN_IN = "The username or password is not right, or the account is locked. Try again."


def _form_problem(form: FlaskForm, message: str, field: str) -> None:
    """A problem with the form as a whole (the generic refusal, a wait), in its error summary, linking to
    ``field``: it is not told on any one field, since which one is not for the page to say."""
    form.form_errors.append(message)
    form.remedies = {**getattr(form, "remedies", {}), message: (f"#{field}", "")}


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login() -> Any:
    """Sign in with a username and password (then a code, for two-step sign-in)."""
    form = LoginForm()
    if form.validate_on_submit():
        accounts = services().accounts
        known = _known_device(form.username.data)
        until = None if known else _source_attempt()
        if until is not None:
            _form_problem(form, _wait_until(until), "username")
            return render_template("auth/login.html", form=form), 429
        user_id = accounts.authenticate(form.username.data, form.password.data)
        if user_id is not None and not known:
            accounts.source_succeeded(_source())
        if user_id is not None:
            next_url = _safe_next(request.args.get("next"))
            session.clear()
            if accounts.two_step_on(user_id):
                session["two_step"] = {"user": user_id, "at": _now(), "next": next_url}
                return redirect(url_for("auth.code"))
            if current_app.config["TWO_STEP_REQUIRED"]:
                session["two_step"] = {"user": user_id, "at": _now(), "next": next_url}
                return redirect(url_for("auth.set_up_at_sign_in"))
            return _start_session(user_id, next_url)
        _log(form.username.data, "sign_in", "refused", "password, or a locked or unknown account")
        _form_problem(form, WRONG_SIGN_IN, "username")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


def _source() -> str:
    """The client's address, as the allowance of failed sign-ins counts it: the socket's, or behind a
    reverse proxy the one ``CASEFLOW_PROXIES`` trusted hops say (``ProxyFix``; a client cannot choose
    it by sending its own X-Forwarded-For). An IPv6 address counts by its /64, which one household or
    one machine holds whole; an IPv4 address written as IPv6 counts as itself."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _source_attempt() -> datetime | None:
    """Count this attempt against the client's address before it is judged; when it may try again,
    if it is past its allowance. The attempt that goes past it is logged, once a window: a flood from
    one address must not flood the append-only log too."""
    source, accounts = _source(), services().accounts
    attempt = accounts.begin_source_attempt(source)
    if attempt.just_blocked:
        _log("-", "sign_in_throttled", "refused", f"{accounts.source_failures} failed sign-ins from {source} within the hour")
    return attempt.blocked_until


def _wait_until(until: datetime) -> str:
    return (
        "Too many failed sign-ins have come from your network. "
        f"Try again after {utc(until).astimezone(LONDON).strftime('%H:%M')}."
    )


def _now() -> int:
    """Seconds, by the services' clock (the one the codes are checked against)."""
    return int(services().accounts.clock().timestamp())


def _start_session(user_id: int, next_url: str) -> Any:
    """A new server-side session and a new cookie (nothing of the sign-in's cookie is kept)."""
    session.clear()
    session_id = services().accounts.start_session(user_id)
    user = load_user(session_id)
    if user is None:  # deactivated (or reset) between the steps
        services().accounts.end_session(session_id)
        return _start_again()
    login_user(user, remember=False)
    _log(user.username, "sign_in", "ok")
    return _remember_device(redirect(next_url), user.username)


#: a browser where a user has signed in before: their sign-ins from it are not held up by their
#: address's allowance (OWASP's "device cookies"), so someone flooding a school's shared address with
#: wrong passwords cannot shut its staff out (ASVS V6.1.1); each account's own limit still applies
DEVICE_COOKIE = "caseflow_device"
DEVICE_DAYS = 90
DEVICE_USERS = 8


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="caseflow-known-device")


def _devices_here() -> dict[str, int]:
    """username -> when they last signed in from this browser (seconds, by the services' clock)."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token or len(token) > 4096:
        return {}
    try:
        found = _device_serializer().loads(token)
    except BadSignature:
        return {}
    if not isinstance(found, dict):
        return {}
    return {u: t for u, t in found.items() if isinstance(u, str) and isinstance(t, int)}


def _known_device(username: str | None) -> bool:
    """Whether ``username`` signed in from this browser within the last ninety days."""
    signed_in_at = _devices_here().get(username or "")
    return signed_in_at is not None and _now() - signed_in_at <= DEVICE_DAYS * 86400


def _remember_device(response: Any, username: str) -> Any:
    devices = {**_devices_here(), username: _now()}
    newest = dict(sorted(devices.items(), key=lambda item: item[1])[-DEVICE_USERS:])  # a shared computer: the last eight
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps(newest),
        max_age=DEVICE_DAYS * 86400,
        path="/login",
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def _log(username: str, action: str, outcome: str, detail: str | None = None) -> None:
    """Sign-ins, refused ones too, go in the access log (ASVS V16.3.1): an auditor sees who got in and
    who was guessing at what."""
    services().audit.record(username=username, role=None, action=action, outcome=outcome, detail=detail)


def _pending_user() -> int | None:
    """The user who gave the right password in this browser less than five minutes ago, if any."""
    pending = session.get("two_step")
    if not isinstance(pending, dict) or _now() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop("two_step", None)
        return None
    return int(pending["user"])


def _start_again() -> Any:
    """Back to the password: the second step of a sign-in that is not under way here (an open
    session is left as it is: whoever is signed in just goes home)."""
    session.pop("two_step", None)
    if current_user.is_authenticated:
        return redirect(url_for("cases.index"))
    flash("Sign in again: that took more than five minutes, or the sign-in was not started here.", "error")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@allow(PUBLIC)
def code() -> Any:
    """The second step: the code from the user's authenticator app."""
    user_id = _pending_user()
    if user_id is None:
        return _start_again()
    accounts = services().accounts
    if not accounts.two_step_on(user_id):  # reset by an administrator meanwhile
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        known = _known_device(_username(user_id))
        until = None if known else _source_attempt()
        if until is not None:
            _form_problem(form, _wait_until(until), "code")
            return render_template("auth/code.html", form=form), 429
        if accounts.second_step(user_id, form.code.data):
            if not known:
                accounts.source_succeeded(_source())
            return _start_session(user_id, session["two_step"]["next"])
        _log(_username(user_id), "sign_in", "refused", "code, or a locked account")
        put_errors(form, {"code": [WRONG_CODE]})  # the password was right: the code is what to look at
    return render_template("auth/code.html", form=form), 422 if form.errors else 200


@bp.route("/login/set-up", methods=["GET", "POST"])
@allow(PUBLIC)
def set_up_at_sign_in() -> Any:
    """Where two-step sign-in is required: a user without it sets up an app before going further."""
    user_id = _pending_user()
    if user_id is None or not current_app.config["TWO_STEP_REQUIRED"]:
        return _start_again()
    accounts = services().accounts
    if accounts.two_step_on(user_id):
        return redirect(url_for("auth.code"))
    username = _username(user_id)
    form = CodeForm()
    secret = accounts.pending_secret(user_id)
    if form.validate_on_submit():
        if accounts.turn_on_two_step(user_id, form.code.data):
            _log(username, "two_step_on", "ok")
            return _start_session(user_id, session["two_step"]["next"])
        if accounts.two_step_on(user_id):  # set up meanwhile, elsewhere: that app's code is needed now
            return redirect(url_for("auth.code"))
        put_errors(form, {"code": [WRONG_CODE]})
    return _set_up_page(form, secret, username), 422 if form.errors else 200


def _username(user_id: int) -> str:
    principal = services().accounts.principal(user_id)
    return principal.username if principal else ""


def _set_up_page(form: CodeForm, secret: str, username: str) -> str:
    """The app to set up: a QR code of the ``otpauth://`` address, and the key to type instead."""
    uri = provisioning_uri(secret, username)
    qr = segno.make(uri, error="m").svg_inline(scale=4, title="QR code for your authenticator app")
    return render_template("auth/set_up.html", form=form, key=grouped(secret), uri=uri, qr=Markup(qr))


@bp.route("/account")
@allow(ANY_USER)
def account() -> Any:
    """Who you are signed in as, and your two-step sign-in."""
    on = services().accounts.two_step_on(_signed_in_id())
    return render_template("auth/account.html", two_step_on=on, required=current_app.config["TWO_STEP_REQUIRED"], form=CodeForm())


def _signed_in_id() -> int:
    if current_user.user_id is None:
        abort(403)
    return int(current_user.user_id)


@bp.route("/account/two-step", methods=["GET", "POST"])
@allow(ANY_USER)
def set_up() -> Any:
    """A signed-in user sets up (or moves) their authenticator app, giving their password again, and
    when moving, a code from the app they have now: a session left open on a shared computer must
    not let someone else put their own phone on the account (ASVS V6.2.3, re-authentication before
    changing an authentication factor). A lost phone is for an administrator to reset.

    Every problem is told in one submit, each on its field: a code that cannot be one (empty, not six
    digits) beside a wrong password. A password given is checked (and counted, once) whatever the codes
    look like; a code is checked against an app only after the right password, so a wrong password is
    told alone and nothing is learnt of the code without it."""
    user_id = _signed_in_id()
    accounts = services().accounts
    moving = accounts.two_step_on(user_id)
    form = MoveAppForm() if moving else ReauthenticatedCodeForm()
    secret = accounts.pending_secret(user_id)
    if form.is_submitted():
        well_formed = form.validate()
        password_given = "csrf_token" not in form.errors and not form.password.errors
        if password_given and accounts.authenticate(current_user.username, form.password.data) != user_id:
            put_errors(form, {"password": ["Your password is not right."]})
        elif well_formed:
            if moving and not accounts.second_step(user_id, form.current_code.data):
                put_errors(form, {"current_code": ["The code from your current app is not right, or it has been used already."]})
            elif not accounts.turn_on_two_step(user_id, form.code.data, replacing=moving):
                put_errors(form, {"code": [WRONG_CODE]})
            else:
                ended = accounts.end_other_sessions(user_id, keep=current_user.session_id)
                detail = f"moved to a new app; {ended} other sessions ended" if moving else None
                _log(current_user.username, "two_step_on", "ok", detail)
                flash("Two-step sign-in is on. From now on, signing in asks for a code from your app.")
                return redirect(url_for("auth.account"))
    return _set_up_page(form, secret, current_user.username), 422 if form.errors else 200


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Your current password", validators=[DataRequired("Enter your current password"), Length(max=128)])
    new = PasswordField(
        "New password",
        validators=[
            DataRequired("Enter a new password"),
            Length(max=MAX_PASSWORD, message="A password has at most 128 characters"),
        ],
        description=f"At least {MIN_PASSWORD} characters. A few unrelated words, with spaces, make a strong one.",
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again"),
            EqualTo("new", message="The two new passwords are not the same"),
        ],
    )


@bp.route("/account/password", methods=["GET", "POST"])
@allow(ANY_USER)
def change_password() -> Any:
    """Change your own password, giving the current one; every other session of yours ends."""
    user_id = _signed_in_id()
    form = PasswordChangeForm()
    refused = False
    if form.validate_on_submit():
        accounts = services().accounts
        try:
            accounts.change_password(user_id, form.current.data, form.new.data)
        except AccountError as problem:
            refused = True
            put_errors(form, {name: [message] for name, message in problem.on.items()} or {"current": [str(problem)]})
        else:
            # every session ends, this one too, and this browser gets a new one (ASVS V7.2.4)
            ended = accounts.end_other_sessions(user_id, keep=None) - 1
            _log(current_user.username, "password_changed", "ok", f"{ended} other sessions ended")
            session.clear()
            renewed = load_user(accounts.start_session(user_id))
            if renewed is None:
                return _start_again()
            login_user(renewed, remember=False)
            flash("Your password is changed. Any other session of yours has ended.")
            return redirect(url_for("auth.account"))
    status = 422 if (refused or form.errors) else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/account/two-step/off", methods=["POST"])
@allow(ANY_USER)
def turn_off() -> Any:
    """Turn two-step sign-in off, with a current code; not where it is required."""
    if current_app.config["TWO_STEP_REQUIRED"]:
        abort(403)
    user_id = _signed_in_id()
    form = CodeForm()
    if form.validate_on_submit():
        if services().accounts.turn_off_two_step(user_id, form.code.data):
            services().accounts.end_other_sessions(user_id, keep=current_user.session_id)
            _log(current_user.username, "two_step_off", "ok")
            flash("Two-step sign-in is off.")
            return redirect(url_for("auth.account"))
        put_errors(form, {"code": [WRONG_CODE]})
    return render_template("auth/account.html", two_step_on=True, required=False, form=form), 422


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
