"""Errors flow outward to one place: domain errors become status codes and friendly pages
(problem+json under /api/), and nothing a user sends ever shows a stack trace.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from caseflow.domain.errors import CaseflowError, ConcurrencyConflict, GuardFailed, InvalidData, SecondOpenCase

logger = logging.getLogger(__name__)
#: sent with every response that does not set its own
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
)

TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Not permitted",
    404: "Not found",
    405: "Method not allowed",
    409: "Version conflict",
    413: "Request too large",
    422: "Unprocessable request",
    500: "Something went wrong",
}


def problem(status: int, detail: str, **extra: Any) -> Any:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def open_cases_json(open_cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A pupil's open cases as the API names them, in a refusal and on a case alike."""
    return [{"case_id": c["case_id"], "state": c["state"], "opened_on": c["opened_on"].isoformat()} for c in open_cases]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(CaseflowError)
    def domain_error(error: CaseflowError) -> Any:
        if _wants_json():
            extra: dict[str, Any] = {"title": error.title}  # "Invalid data", "Requirements not met": what is wrong
            if isinstance(error, GuardFailed):
                extra["unmet"] = [u.as_dict() for u in error.unmet]
            if isinstance(error, InvalidData):
                extra["errors"] = error.errors
            if isinstance(error, ConcurrencyConflict):
                extra["current_version"] = error.current_version
            if isinstance(error, SecondOpenCase):
                extra["title"] = error.title  # a 409, but not a version conflict
                extra["open_cases"] = open_cases_json(error.open_cases)
            return problem(error.status, error.detail, **extra)
        problems = error.errors if isinstance(error, InvalidData) else {}
        page = render_template(
            "errors/error.html", status=error.status, title=error.title, detail=error.detail, problems=problems
        )
        return page, error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        return render_template(
            "errors/error.html",
            status=400,
            title="Form expired",
            detail="The form had expired or was not sent from this site. Please try again.",
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        detail = {
            401: "Sign in, or send a valid API token.",
            403: "Your role may not do this.",
            404: "There is nothing here, or you may not see it.",
        }.get(status, error.description or "")
        if _wants_json():
            return problem(status, detail)
        return render_template("errors/error.html", status=status, title=TITLES.get(status, "Error"), detail=detail), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        reference = uuid.uuid4().hex[:12]
        logger.exception("unhandled error %s", reference)
        detail = f"Something went wrong on our side. Quote reference {reference} if you report it."
        if _wants_json():
            return problem(500, detail)
        try:
            return render_template("errors/error.html", status=500, title=TITLES[500], detail=detail), 500
        except Exception:  # the last resort must not fail: plain text, still no stack trace
            logger.exception("error page failed %s", reference)
            return detail, 500, {"Content-Type": "text/plain; charset=utf-8"}

    app.after_request(security_headers)


def security_headers(response: Any) -> Any:
    """Every response gets the security headers it does not set itself. One pass over its headers,
    not one per header (each werkzeug lookup scans them all)."""
    present = {name.lower() for name, _ in response.headers}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            response.headers.add(name, value)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response
