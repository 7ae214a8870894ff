"""Administrators: schools, users and their roles. No case content here, ever.

Every change made here goes in the access log under the administrator's name, as the command line's
changes do under the operator's: who gave whom which role is part of who could see what."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from caseflow.adapters.accounts import AccountError, grants_taken, role_given
from caseflow.domain.roles import Role
from caseflow.domain.wording import a_holder, label
from caseflow.web.auth import services
from caseflow.web.forms import options, put_errors
from caseflow.web.policy import allow
from caseflow.web.schools import school_choices

bp = Blueprint("admin", __name__, url_prefix="/admin")


#: the roles, as the top bar names them ("DSL", "Head", "Virtual School")
ROLE_CHOICES = [(r.value, label(r.value)) for r in Role]
#: no role chosen until the administrator chooses one: the first on the list would be the DSL's, which sees every
#: child's safeguarding record
_ROLE_OPTIONS = options([("", "Choose a role"), *ROLE_CHOICES])


class SchoolForm(FlaskForm):
    urn = StringField("URN", validators=[DataRequired("Enter the school's URN"), Length(max=8)])
    name = StringField("Name", validators=[DataRequired("Enter the school's name"), Length(max=200)])
    la_code = StringField("LA code", validators=[Optional(), Length(max=3)])
    la_name = StringField(
        "LA name (optional)",
        description='As the DfE\'s register of schools gives it beside the code ("LA (name)"), so pages name the LA.',
        validators=[Optional(), Length(max=100)],
    )

    def validate_la_name(self, field: Field) -> None:
        if field.data and field.data.strip() and not (self.la_code.data and self.la_code.data.strip()):
            raise ValidationError("Enter the LA code the name is for, or leave the name empty")


def _school_field(text: str) -> SelectField:
    """A school chosen from the list of schools (``choices`` are set for each request: a school just added is on it);
    one sent that is not a school (an old page) goes to the accounts, which say so on the field."""
    return SelectField(text, validate_choice=False, validators=[Optional(), Length(max=8)])


class UserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter a username"), Length(max=64)])
    display_name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=_ROLE_OPTIONS, validators=[DataRequired("Choose the role")])
    school = _school_field("School (for school roles)")
    la_code = StringField("LA code (for Virtual School officers)", validators=[Optional(), Length(max=3)])
    password = PasswordField("Password (12 to 128 characters)", validators=[DataRequired("Enter a password"), Length(max=128)])


def _an_account(form: AccountForm, field: Field) -> None:
    """An account chosen from the list must be one: a name sent that is not is a message on the field."""
    if field.data not in form.accounts:
        raise ValidationError(f"No user called {field.data}." if field.data.isprintable() else "Choose someone from the list.")


def _account_field(text: str, missing: str) -> SelectField:
    """An existing account, chosen by name from a list (``choices`` are set for each request)."""
    return SelectField(text, validate_choice=False, validators=[DataRequired(missing), _an_account])


class AccountForm(FlaskForm):
    """A form that names an existing account; ``accounts``: every username there is."""

    accounts: frozenset[str] = frozenset()


class GrantForm(AccountForm):
    username = _account_field("Username", "Enter the username")
    role = SelectField("Role to give", choices=_ROLE_OPTIONS, validators=[DataRequired("Choose the role")])
    school = _school_field("School (for school roles)")
    la_code = StringField("LA code (for Virtual School officers)", validators=[Optional(), Length(max=3)])


class RevokeForm(AccountForm):
    username = _account_field("Username", "Enter the username")
    role = SelectField("Role to take away", choices=_ROLE_OPTIONS, validators=[DataRequired("Choose the role")])
    school = _school_field("Where to take it away")


class LeaverForm(AccountForm):
    username = _account_field("Username of the leaver", "Enter the leaver's username")


def _choose_from(forms: tuple[AccountForm, ...], people: list[dict[str, Any]]) -> None:
    """Fill each account list: people as every page names them, with the username beside the name ("Jo Evans
    (Social worker, username jo)"), as on the auditor's list of people: an administrator manages accounts by their
    usernames, which the page's table, its messages and the command line name them by. A leaver's list without
    those already deactivated."""
    from caseflow.web import person  # the package imports this module before it defines its filters

    named = {p["username"]: person(p["username"], with_username=True) for p in people}
    ordered = sorted(people, key=lambda p: (named[p["username"]].casefold(), p["username"]))
    for form in forms:
        form.accounts = frozenset(named)
        chosen = [p["username"] for p in ordered if p["active"] or not isinstance(form, LeaverForm)]
        form.username.choices = options([("", "Choose someone")] + [(username, named[username]) for username in chosen])


def _where(schools: Sequence[str | None], la_code: str | None = None) -> str:
    """Where a role is held, as the page's table names it: " at Oakfield Primary School (100001)", " for Essex
    (881)", " everywhere and at ..." for a role held both ways, or nothing for a role held at no school."""
    from caseflow.web import la_named, school_named  # the package imports this module before it defines them

    named = [school_named(urn) for urn in schools if urn is not None]
    if named:
        return (" everywhere and" if None in schools else "") + f" at {', '.join(named)}"
    return f" for {la_named(la_code)}" if la_code else ""


def _logged(action: str, detail: str) -> None:
    services().audit.record(username=current_user.principal.username, role=Role.ADMIN, action=action, outcome="ok", detail=detail)


def _schools(form: GrantForm | RevokeForm) -> list[str]:
    return [form.school.data.strip()] if form.school.data and form.school.data.strip() else []


@bp.route("/", methods=["GET", "POST"])
@allow(Role.ADMIN)
def index() -> Any:
    """Schools and users, and forms to add them, change their roles, and deactivate leavers."""
    accounts = services().accounts
    school_form, user_form = SchoolForm(prefix="school"), UserForm(prefix="user")
    grant_form, revoke_form, leaver_form = GrantForm(prefix="grant"), RevokeForm(prefix="revoke"), LeaverForm(prefix="leaver")
    forms = (school_form, user_form, grant_form, revoke_form, leaver_form)
    people = accounts.people()
    _choose_from((grant_form, revoke_form, leaver_form), people)
    urns = [school["urn"] for school in accounts.schools()]
    for form, none in ((user_form, "No school"), (grant_form, "No school"), (revoke_form, "Everywhere they hold it")):
        form.school.choices = school_choices(urns, none)
    status = 200
    try:
        if school_form.urn.data is not None and school_form.validate_on_submit():
            urn = school_form.urn.data.strip()
            added = accounts.add_school(
                urn, school_form.name.data, school_form.la_code.data or None, school_form.la_name.data or None
            )
            if added:
                la = school_form.la_code.data or None
                _logged("school_added", f"{urn}: {school_form.name.data}" + (f" (LA {la})" if la else ""))
                flash(f"Added school {urn}.")
                return redirect(url_for("admin.index"))
            known = next((s["name"] for s in accounts.schools() if s["urn"] == urn), "Another school")
            put_errors(school_form, {"urn": [f"{known} already has that URN: check the number."]})
        if user_form.username.data is not None and user_form.validate_on_submit():
            username = user_form.username.data.strip()
            school = [user_form.school.data.strip()] if user_form.school.data else []
            added = accounts.add_user(
                username,
                [user_form.role.data],
                school,
                password=user_form.password.data,
                display_name=user_form.display_name.data or None,
                la_code=user_form.la_code.data or None,
            )
            if added:
                la = f" for LA {user_form.la_code.data}" if user_form.la_code.data else ""
                _logged("user_added", role_given(username, user_form.role.data, f"{' at ' + school[0] if school else ''}{la}"))
                flash(f"Added user {username}.")
                return redirect(url_for("admin.index"))
            put_errors(user_form, {"username": ["That username is taken: choose another"]})
        if grant_form.username.data is not None and grant_form.validate_on_submit():
            username, role, school = grant_form.username.data.strip(), grant_form.role.data, _schools(grant_form)
            la_code = grant_form.la_code.data.strip() if grant_form.la_code.data and grant_form.la_code.data.strip() else None
            added = accounts.grant(username, role, school, la_code, by=current_user.principal.username)
            where = f" at {school[0]}" if school else f" for LA {la_code}" if la_code else ""
            # a virtual school officer given an LA has moved to it even when the role itself is not new
            if added or la_code is not None:
                _logged("role_granted", role_given(username, role, where))
                flash(f"{username} is now {a_holder(role)}{_where(school, la_code)}.")
                return redirect(url_for("admin.index"))
            held = f"{username} is already {a_holder(role)}{_where(school)}: nothing to change."
            put_errors(grant_form, {"role": [held]})
        if revoke_form.username.data is not None and revoke_form.validate_on_submit():
            username, role, school = revoke_form.username.data.strip(), revoke_form.role.data, _schools(revoke_form)
            removed = accounts.revoke(username, role, school)
            where = grants_taken(removed)
            _logged("role_revoked", f"{username}: {role}{where}")
            flash(f"{username} is no longer {a_holder(role)}{_where(removed)}, from their next request.")
            return redirect(url_for("admin.index"))
        if leaver_form.username.data is not None and leaver_form.validate_on_submit():
            username = leaver_form.username.data.strip()
            accounts.deactivate(username)
            _logged("user_deactivated", username)
            flash(f"Deactivated {username}: signed out everywhere, API tokens revoked.")
            return redirect(url_for("admin.index"))
    except AccountError as error:
        # the form that was sent: the one with a username in the request, else the school's
        sent = next((f for f in forms[1:] if f.username.data is not None), school_form)
        on_fields = {name: [message] for name, message in error.on.items() if name in sent._fields}
        if on_fields:
            put_errors(sent, on_fields)
        else:
            sent.form_errors.append(str(error))
        status = 422
    if any(f.errors for f in forms):
        status = 422
    return render_template(
        "admin/index.html",
        schools=accounts.schools(),
        people=people,
        school_form=school_form,
        user_form=user_form,
        grant_form=grant_form,
        revoke_form=revoke_form,
        leaver_form=leaver_form,
    ), status
