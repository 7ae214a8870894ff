"""Upload a CSV from the MIS: every row checked, then all of it imported or none of it."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from caseflow.domain.roles import Actor
from caseflow.services.access import choose_role
from caseflow.services.imports import KINDS, ImportRejected, a_file
from caseflow.web.auth import csrf, services
from caseflow.web.forms import options
from caseflow.web.policy import allow

bp = Blueprint("imports", __name__)
logger = logging.getLogger(__name__)
IMPORT_ROLES = ("dsl", "headteacher", "slt", "senco")
MAX_UPLOAD = 5 * 1024 * 1024
#: room in the request for the form's other fields and the multipart wrapping around the file
FORM_ROOM = 64 * 1024
TOO_LARGE = "The file is larger than 5 MB; split it and import the parts."


#: each kind of file as the page names it
KIND_LABELS = {name: kind.label for name, kind in KINDS.items()}
#: the select's first line: no kind is chosen for the user, who would otherwise send a pupils file as the
#: first kind listed and be told of its columns rather than of the choice
CHOOSE_KIND = "Choose what the file holds"


class UploadForm(FlaskForm):
    kind = SelectField("What the file holds", validators=[InputRequired(CHOOSE_KIND)])
    file = FileField("CSV file", validators=[FileRequired("Choose a CSV file to upload")])


def _kind_choices(kinds: list[str]) -> list[SelectChoice]:
    """The kinds the user may import, after a first line that chooses none."""
    return options([("", CHOOSE_KIND)] + [(k, KIND_LABELS[k]) for k in kinds])


def _another_kind(form: UploadForm, rejected: ImportRejected) -> bool:
    """A file whose columns are another kind's is told on the choice of kind, naming the kind it is: the
    user chose wrongly, or sent the wrong file. True if so."""
    if rejected.looks_like is None:
        return False
    other, chosen = KINDS[rejected.looks_like], KIND_LABELS[form.kind.data]
    form.kind.errors = [
        f"These columns are those of {a_file(other)}: choose '{other.label}' above, or upload the {chosen.lower()} file."
    ]
    return True


#: the most progress lines sent for one file (one a percent)
PROGRESS_LINES = 100


def _with_progress(kind: str, text: str, actor: Actor, schools: frozenset[str]) -> Response:
    """The import run beside the response, which sends a line as each percent of the rows is checked,
    then the outcome as the page shows it: the same all-or-nothing run as without JavaScript."""
    imports = services().imports
    rows = max(1, len(text.splitlines()) - 1)  # less the header
    news: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run() -> None:
        try:
            news.put(("imported", imports.run(kind, text, actor, schools, lambda n: news.put(("checked", n)))))
        except ImportRejected as error:
            news.put(("rejected", error))
        except Exception as error:
            logger.exception("import failed")
            news.put(("failed", error))

    def lines() -> Iterator[str]:
        threading.Thread(target=run, daemon=True).start()
        checked, shown = 0, -1
        while True:
            what, value = news.get()
            if what == "checked":
                checked += value
                percent = min(99, checked * PROGRESS_LINES // rows)
                if percent != shown:
                    shown = percent
                    yield json.dumps({"checked": checked, "rows": rows, "percent": percent}) + "\n"
                continue
            report, rejected = (value, None) if what == "imported" else (None, value if what == "rejected" else None)
            html = render_template("imports/_result.html", report=report, rejected=rejected, failed=what == "failed")
            yield json.dumps({"status": 200 if report else 422, "html": html}) + "\n"
            return

    return Response(stream_with_context(lines()), mimetype="application/x-ndjson", headers={"Cache-Control": "no-store"})


def _within_the_limit() -> bool:
    """Read the request under this page's own limit, the file's 5 MB and room for the rest, not the app's 1 MB
    for every other request (a 1.2 MB CSV was refused as 'Request too large'); then check its CSRF token, as
    CSRFProtect would have before the limit was raised. False if the request is over it: nothing of it is read."""
    request.max_content_length = MAX_UPLOAD + FORM_ROOM
    try:
        request.form  # noqa: B018  (parsed now, under this limit)
    except RequestEntityTooLarge:
        return False
    if current_app.config.get("WTF_CSRF_ENABLED", True):  # as CSRFProtect's own check does
        csrf.protect()
    return True


@bp.route("/imports", methods=["GET", "POST"])
@allow(*IMPORT_ROLES)
@csrf.exempt  # checked in _within_the_limit, once this page's larger limit is set
def upload() -> Any:
    """Import pupils, attendance, attainment, SEND, behaviour or suspensions from a CSV export."""
    within = _within_the_limit()
    form = UploadForm() if within else UploadForm(formdata=None)
    principal = current_user.principal
    # only the kinds one of the user's roles may import (a head may not import SEND status)
    mine = [k for k in sorted(KINDS) if choose_role(principal.roles, services().pupils.workflow.action(KINDS[k].action).roles)]
    form.kind.choices = _kind_choices(mine)
    report, rejected, status = None, None, 200
    if not within:
        form.file.errors = [TOO_LARGE]
        status = 413
    elif form.validate_on_submit():
        spec = services().pupils.workflow.action(KINDS[form.kind.data].action)
        role = choose_role(principal.roles, spec.roles)
        raw = form.file.data.read(MAX_UPLOAD + 1)
        if role is None:
            form.kind.errors = [f"Your role may not import {form.kind.data}."]
            status = 403
        elif len(raw) > MAX_UPLOAD:
            form.file.errors = [TOO_LARGE]
            status = 422
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.file.errors = ["The file is not UTF-8 text; save it from the MIS as CSV (UTF-8)."]
                status = 422
            else:
                schools = frozenset(s for r, s in principal.grants if r == role and s)
                job = (form.kind.data, text, Actor(principal.username, role), schools)
                if request.headers.get("X-Caseflow-Progress") == "ndjson":
                    return _with_progress(*job)
                try:
                    report = services().imports.run(*job)
                except ImportRejected as error:
                    rejected, status = (None if _another_kind(form, error) else error), 422
    elif form.is_submitted():
        status = 422
    page = render_template(
        "imports/upload.html", form=form, report=report, rejected=rejected, kinds=KINDS, kind_labels=KIND_LABELS
    )
    return page, status
