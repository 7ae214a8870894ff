"""Upload a CSV from the MIS: every row checked, then all of it imported or none of it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from caseflow.domain.roles import Actor
from caseflow.services.access import choose_role
from caseflow.services.imports import KINDS, ImportRejected
from caseflow.web.auth import services
from caseflow.web.forms import options
from caseflow.web.policy import allow

bp = Blueprint("imports", __name__)
IMPORT_ROLES = ("dsl", "headteacher", "slt", "senco")
MAX_UPLOAD = 5 * 1024 * 1024


class UploadForm(FlaskForm):
    kind = SelectField("What the file holds", choices=options([(k, k.capitalize()) for k in sorted(KINDS)]))
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload")])


@bp.route("/imports", methods=["GET", "POST"])
@allow(*IMPORT_ROLES)
def upload() -> Any:
    """Import pupils, attendance, attainment, SEND or behaviour from a CSV export."""
    form = UploadForm()
    report, rejected, status = None, None, 200
    if form.validate_on_submit():
        principal = current_user.principal
        spec = services().pupils.workflow.action(KINDS[form.kind.data].action)
        role = choose_role(principal.roles, spec.roles)
        raw = form.file.data.read(MAX_UPLOAD + 1)
        if role is None:
            form.kind.errors = [f"Your role may not import {form.kind.data}."]
            status = 403
        elif len(raw) > MAX_UPLOAD:
            form.file.errors = ["The file is larger than 5 MB; split it and import the parts."]
            status = 422
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.file.errors = ["The file is not UTF-8 text; save it from the MIS as CSV (UTF-8)."]
                status = 422
            else:
                schools = frozenset(s for r, s in principal.grants if r == role and s)
                try:
                    report = services().imports.run(form.kind.data, text, Actor(principal.username, role), schools)
                except ImportRejected as error:
                    rejected, status = error, 422
    elif form.is_submitted():
        status = 422
    return render_template("imports/upload.html", form=form, report=report, rejected=rejected, kinds=KINDS), status
