"""Administrators: schools, users and their roles. No case content here, ever.

Every change made here goes in the access log under the administrator's name, as the command line's
changes do under the operator's: who gave whom which role is part of who could see what."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from caseflow.adapters.accounts import AccountError, grants_taken
from caseflow.domain.roles import Role
from caseflow.web.auth import services
from caseflow.web.forms import options
from caseflow.web.policy import allow

bp = Blueprint("admin", __name__, url_prefix="/admin")


class SchoolForm(FlaskForm):
    urn = StringField("URN", validators=[DataRequired("Enter the school's URN"), Length(max=8)])
    name = StringField("Name", validators=[DataRequired("Enter the school's name"), Length(max=200)])
    la_code = StringField("LA code", validators=[Optional(), Length(max=3)])


class UserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter a username"), Length(max=64)])
    display_name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=options([(r.value, r.value.replace("_", " ")) for r in Role]))
    school = StringField("School URN (for school roles)", validators=[Optional(), Length(max=8)])
    la_code = StringField("LA code (for Virtual School officers)", validators=[Optional(), Length(max=3)])
    password = PasswordField("Password (12 to 128 characters)", validators=[DataRequired("Enter a password"), Length(max=128)])


class GrantForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter the username"), Length(max=64)])
    role = SelectField("Role to give", choices=options([(r.value, r.value.replace("_", " ")) for r in Role]))
    school = StringField("School URN (for school roles)", validators=[Optional(), Length(max=8)])
    la_code = StringField("LA code (for Virtual School officers)", validators=[Optional(), Length(max=3)])


class RevokeForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter the username"), Length(max=64)])
    role = SelectField("Role to take away", choices=options([(r.value, r.value.replace("_", " ")) for r in Role]))
    school = StringField("Only at this school URN (leave empty for everywhere)", validators=[Optional(), Length(max=8)])


class LeaverForm(FlaskForm):
    username = StringField("Username of the leaver", validators=[DataRequired("Enter the leaver's username"), Length(max=64)])


def _in_page_terms(message: str) -> str:
    """The accounts' messages name the command line's options; on this page they are fields."""
    return (
        message.replace("leave out --school", "leave the school URN empty")
        .replace("--school", "a school URN")
        .replace("--la", "an LA code")
    )


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
    status = 200
    try:
        if school_form.urn.data is not None and school_form.validate_on_submit():
            urn = school_form.urn.data.strip()
            added = accounts.add_school(urn, school_form.name.data, school_form.la_code.data or None)
            if added:
                la = school_form.la_code.data or None
                _logged("school_added", f"{urn}: {school_form.name.data}" + (f" (LA {la})" if la else ""))
            flash(f"Added school {urn}." if added else "That school already exists.")
            return redirect(url_for("admin.index"))
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
                _logged("user_added", f"{username}: {user_form.role.data}{' at ' + school[0] if school else ''}{la}")
            flash(f"Added user {username}." if added else "That username is taken.")
            return redirect(url_for("admin.index"))
        if grant_form.username.data is not None and grant_form.validate_on_submit():
            username, role, school = grant_form.username.data.strip(), grant_form.role.data, _schools(grant_form)
            la_code = grant_form.la_code.data.strip() if grant_form.la_code.data and grant_form.la_code.data.strip() else None
            added = accounts.grant(username, role, school, la_code)
            where = f" at {school[0]}" if school else f" for LA {la_code}" if la_code else ""
            _logged("role_granted", f"{username}: {role}{where}")
            # a virtual school officer given an LA has moved to it even when the role itself is not new
            changed = added or la_code is not None
            flash(f"{username} now holds {role.replace('_', ' ')}{where}." if changed else f"{username} already held that role.")
            return redirect(url_for("admin.index"))
        if revoke_form.username.data is not None and revoke_form.validate_on_submit():
            username, role, school = revoke_form.username.data.strip(), revoke_form.role.data, _schools(revoke_form)
            removed = accounts.revoke(username, role, school)
            where = grants_taken(removed)
            _logged("role_revoked", f"{username}: {role}{where}")
            flash(f"{username} no longer holds {role.replace('_', ' ')}{where}, from their next request.")
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
        sent.form_errors.append(_in_page_terms(str(error)))
        status = 422
    if any(f.errors for f in forms):
        status = 422
    return render_template(
        "admin/index.html",
        schools=accounts.schools(),
        people=accounts.people(),
        school_form=school_form,
        user_form=user_form,
        grant_form=grant_form,
        revoke_form=revoke_form,
        leaver_form=leaver_form,
    ), status
