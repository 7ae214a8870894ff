"""Administrators: schools, users and their roles. No case content here, ever."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from caseflow.adapters.accounts import AccountError
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


class LeaverForm(FlaskForm):
    username = StringField("Username of the leaver", validators=[DataRequired("Enter the leaver's username"), Length(max=64)])


@bp.route("/", methods=["GET", "POST"])
@allow(Role.ADMIN)
def index() -> Any:
    """Schools and users, and forms to add them."""
    accounts = services().accounts
    school_form, user_form, leaver_form = SchoolForm(prefix="school"), UserForm(prefix="user"), LeaverForm(prefix="leaver")
    status = 200
    try:
        if school_form.urn.data is not None and school_form.validate_on_submit():
            added = accounts.add_school(school_form.urn.data.strip(), school_form.name.data, school_form.la_code.data or None)
            flash(f"Added school {school_form.urn.data}." if added else "That school already exists.")
            return redirect(url_for("admin.index"))
        if user_form.username.data is not None and user_form.validate_on_submit():
            added = accounts.add_user(
                user_form.username.data.strip(),
                [user_form.role.data],
                [user_form.school.data.strip()] if user_form.school.data else [],
                password=user_form.password.data,
                display_name=user_form.display_name.data or None,
                la_code=user_form.la_code.data or None,
            )
            flash(f"Added user {user_form.username.data}." if added else "That username is taken.")
            return redirect(url_for("admin.index"))
        if leaver_form.username.data is not None and leaver_form.validate_on_submit():
            accounts.deactivate(leaver_form.username.data.strip())
            flash(f"Deactivated {leaver_form.username.data}: signed out everywhere, API tokens revoked.")
            return redirect(url_for("admin.index"))
    except AccountError as error:
        forms = (leaver_form, user_form, school_form)
        next(f for f in forms if f is school_form or f.username.data is not None).form_errors.append(str(error))
        status = 422
    if school_form.errors or user_form.errors or leaver_form.errors:
        status = 422
    return render_template(
        "admin/index.html",
        schools=accounts.schools(),
        people=accounts.people(),
        school_form=school_form,
        user_form=user_form,
        leaver_form=leaver_form,
    ), status
