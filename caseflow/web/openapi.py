"""The OpenAPI 3 document, generated from the same field declarations that validate requests."""

from __future__ import annotations

from functools import cache
from typing import Any

from caseflow.domain.dates import EARLIEST_YEAR
from caseflow.domain.events import MAX_VERSION
from caseflow.domain.workflow import Workflow, object_schema
from caseflow.services.pupils import EPISODE_FIELDS, RECORD, REGISTER_FIELDS

PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problems(*codes: int) -> dict[str, Any]:
    text = {
        400: "Bad request",
        401: "Missing or bad token",
        403: "Your role may not do this",
        404: "Not found or not visible to you",
        409: "Version conflict: `current_version` says where the case is now",
        422: "Invalid data (`errors`) or unmet requirements (`unmet`)",
    }
    return {str(c): {"description": text[c], "content": {"application/problem+json": {"schema": PROBLEM}}} for c in codes}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}


#: a report's day, as its page takes it: figures are known only up to today
FIGURES_AS_OF = f"Today when absent; from {EARLIEST_YEAR} up to today (a day to come is refused)."


def _query(name: str, schema: dict[str, Any], required: bool = False, description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


@cache
def _document(workflow: Workflow) -> dict[str, Any]:
    actions = workflow.actions
    action_bodies = {
        f"Action_{name}": {
            "type": "object",
            "additionalProperties": False,
            "required": ["expected_version"],
            "properties": {
                "expected_version": {"type": "integer", "minimum": 0, "description": "The case version you last read."},
                "occurred_at": OCCURRED_AT,
                "data": spec.json_schema(),
            },
            "description": f"{spec.label}. Roles: {', '.join(sorted(spec.roles))}.",
        }
        for name, spec in actions.items()
        if not spec.sources & {"__new__"}
    }
    pupil_bodies = {
        f"PupilAction_{name}": {
            "type": "object",
            "additionalProperties": False,
            "required": ["expected_version", "data"],
            "properties": {"expected_version": {"type": "integer", "minimum": 0}, "data": spec.json_schema()},
            "description": f"{spec.label}. Roles: {', '.join(sorted(spec.roles))}.",
        }
        for name, spec in RECORD.actions.items()
        if spec is not RECORD.creation
    }
    creation = workflow.creation.json_schema()
    creation["properties"]["occurred_at"] = OCCURRED_AT
    creation["properties"]["confirm_second_case"] = {
        "type": "boolean",
        "default": True,
        "description": "false: if the pupil already has an open case (one you may read), open nothing and answer 409 "
        "naming it in `open_cases`, so a person can look first; send again with true to open a second case.",
    }
    open_cases = {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["case_id", "state", "opened_on"],
            "properties": {
                "case_id": {"type": "string"},
                "state": {"type": "string", "enum": workflow.states},
                "opened_on": {"type": "string", "format": "date", "description": "the day in England"},
            },
        },
    }
    case_schema = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "pupil_id": {"type": "string"},
            "state": {"type": "string", "enum": workflow.states},
            "version": {"type": "integer"},
            "actions": {"type": "array", "items": {"$ref": "#/components/schemas/ActionStatus"}},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "suspensions": {
                "type": "object",
                "description": "The pupil's suspension days this term and school year (all their cases), and for "
                "each suspension or exclusion decided on this case: who has been told, who is still owed a "
                "notice, and the governing board's duty and reviews.",
                "properties": {
                    "term": {"type": "string"},
                    "term_days": {"type": "number"},
                    "school_year_days": {"type": "number"},
                    "school_year_limit": {"type": "number"},
                    "decisions": {"type": "array", "items": {"type": "object"}},
                },
            },
            "other_open_cases": {**open_cases, "description": "The pupil's other cases not closed, oldest first."},
        },
        "required": ["id", "pupil_id", "state", "version", "actions"],
    }
    bearer = [{"bearer": []}]
    case_id = _path_param("case_id")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Caseflow API",
            "version": "1",
            "description": "Support journeys for children who have, or have had, a social worker. "
            "Objects outside your scope answer 404; actions your role may not take answer 403.",
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "SchoolYearTerms": {
                    "type": "object",
                    "required": ["autumn", "spring", "summer"],
                    "additionalProperties": False,
                    "properties": {
                        **{
                            name: {
                                "type": "object",
                                "required": ["first_day", "last_day"],
                                "properties": {
                                    "first_day": {"type": "string", "format": "date"},
                                    "last_day": {"type": "string", "format": "date"},
                                },
                            }
                            for name in ("autumn", "spring", "summer")
                        },
                        "closures": {
                            "type": "array",
                            "description": "days closed inside the terms: a date, or a run as 'YYYY-MM-DD to YYYY-MM-DD'",
                            "items": {"type": "string"},
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "unmet": {"type": "array", "items": {"$ref": "#/components/schemas/Unmet"}},
                        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
                        "current_version": {"type": "integer"},
                        "open_cases": {**open_cases, "description": "the pupil's open cases, when a second was not confirmed"},
                    },
                },
                "Unmet": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string", "description": "the field the requirement is about, where there is one"},
                    },
                },
                "ActionStatus": {
                    "type": "object",
                    "required": ["name", "ready", "unmet"],
                    "properties": {
                        "name": {"type": "string", "enum": sorted(actions)},
                        "label": {"type": "string"},
                        "changes_step": {"type": "boolean"},
                        "ready": {"type": "boolean"},
                        "unmet": {"type": "array", "items": {"$ref": "#/components/schemas/Unmet"}},
                    },
                },
                "Case": case_schema,
                "NewPupil": object_schema(REGISTER_FIELDS),
                "SocialCareEpisode": object_schema(EPISODE_FIELDS),
                "NewCase": creation,
                **action_bodies,
                **pupil_bodies,
            },
        },
        "security": bearer,
        "paths": {
            "/openapi.json": {
                "get": {"summary": "This document", "security": [], "responses": {"200": _json({"type": "object"})}}
            },
            "/pupils": {
                "post": {
                    "summary": "Register a pupil (UPN check letter verified)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPupil"}}},
                    },
                    "responses": {"201": _json({"type": "object"}, "Created"), **_problems(401, 403, 422)},
                }
            },
            "/pupils/{pupil_id}": {
                "get": {
                    "summary": "A pupil",
                    "parameters": [_path_param("pupil_id")],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404)},
                }
            },
            "/pupils/{pupil_id}/social-care": {
                "post": {
                    "summary": "Record a CiN or CP episode",
                    "parameters": [_path_param("pupil_id")],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SocialCareEpisode"}}},
                    },
                    "responses": {"201": _json({"type": "object"}, "Created"), **_problems(401, 403, 404, 422)},
                }
            },
            "/pupils/{pupil_id}/actions/{action}": {
                "post": {
                    "summary": "Record a fact on a pupil's record (see the PupilAction_* schemas)",
                    "parameters": [
                        _path_param("pupil_id"),
                        {
                            "name": "action",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": sorted(n[12:] for n in pupil_bodies)},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in pupil_bodies]}
                            }
                        },
                    },
                    "responses": {"201": _json({"type": "object"}, "Appended"), **_problems(401, 403, 404, 409, 422)},
                }
            },
            "/cohort": {
                "get": {
                    "summary": "The school's cohort of children with a social worker, as at a date",
                    "parameters": [
                        _query("school_urn", {"type": "string"}, True),
                        _query("as_of", {"type": "string", "format": "date"}),
                    ],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404, 422)},
                }
            },
            "/due": {
                "get": {
                    "summary": "Interventions of the school's open cases whose review is overdue or due within `within` days "
                    "(`interventions`), and suspensions and exclusions decided at the school that still owe a notice "
                    "or a governing board meeting (`decisions_owing`), child protection files still to send or confirm "
                    "(`child_protection_files_owing`), and the children of the cohort with no SDQ completed in the term "
                    "of `as_of` (`wellbeing_term`, in the school's calendar), each with the day of their last "
                    "(`wellbeing_measures_due`: `pupil_id`, `given_name`, `family_name`, `cohort_status`, "
                    "`last_sdq_on` or null)",
                    "parameters": [
                        _query("school_urn", {"type": "string"}, True),
                        _query("as_of", {"type": "string", "format": "date"}),
                        _query("within", {"type": "integer", "minimum": 0, "maximum": 400, "default": 14}),
                    ],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404, 422)},
                }
            },
            "/schools/{school_urn}/terms": {
                "get": {
                    "summary": "The school's own term dates and closure days, by school year (for its case staff)",
                    "parameters": [_path_param("school_urn")],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404)},
                }
            },
            "/schools/{school_urn}/terms/{year}": {
                "put": {
                    "summary": "Replace one school year's term dates and closure days (the school's head, SLT or DSL); "
                    "the year is the one it begins in",
                    "parameters": [
                        _path_param("school_urn"),
                        {**_path_param("year"), "schema": {"type": "integer", "minimum": 2000, "maximum": 2099}},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SchoolYearTerms"}}},
                    },
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404, 422)},
                }
            },
            "/audit/heads": {
                "get": {
                    "summary": "The log's heads now: each stream's last version and hash, and one digest over them "
                    "(auditors of every school), to keep outside the database",
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403)},
                }
            },
            "/audit/heads/verify": {
                "post": {
                    "summary": "Check every chain, and that every event in heads saved earlier is still there with its hash "
                    "(the body is the saved heads); `valid` false names the first stream that lost or changed one, "
                    "and `breaks` every stream that did (at most 1,000; `broken_streams` counts them all)",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 422)},
                }
            },
            "/cases": {
                "post": {
                    "summary": "Open a case",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewCase"}}},
                    },
                    "responses": {
                        "201": _json({"type": "object"}, "Created"),
                        **_problems(401, 403, 422),
                        "409": {
                            "description": "Only with `confirm_second_case: false`: the pupil already has an open case, "
                            "named in `open_cases`; nothing was opened",
                            "content": {"application/problem+json": {"schema": PROBLEM}},
                        },
                    },
                }
            },
            "/cases/{case_id}": {
                "get": {
                    "summary": "A case and the actions you may take now",
                    "parameters": [case_id],
                    "responses": {"200": _json({"$ref": "#/components/schemas/Case"}), **_problems(401, 403, 404)},
                }
            },
            "/cases/{case_id}/actions/{action}": {
                "post": {
                    "summary": "Take an action (see the Action_* schemas for each action's data)",
                    "parameters": [
                        case_id,
                        {
                            "name": "action",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "enum": sorted(action_bodies and [n[7:] for n in action_bodies])},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in action_bodies]}
                            }
                        },
                    },
                    "responses": {"201": _json({"type": "object"}, "Appended"), **_problems(401, 403, 404, 409, 422)},
                }
            },
            "/cases/{case_id}/events": {
                "get": {
                    "summary": "Every event of the case",
                    "parameters": [case_id],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404)},
                }
            },
            "/cases/{case_id}/state": {
                "get": {
                    "summary": "The case replayed to a version or instant",
                    "parameters": [
                        case_id,
                        _query("version", {"type": "integer", "minimum": 1, "maximum": MAX_VERSION}),
                        _query("as_of", {"type": "string", "format": "date-time"}, description=f"In {EARLIEST_YEAR} or later."),
                    ],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404, 422)},
                }
            },
            "/cases/{case_id}/verify": {
                "get": {
                    "summary": "Verify the case's hash chain",
                    "parameters": [case_id],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404)},
                }
            },
            "/audit/access": {
                "get": {
                    "summary": "Who viewed or acted on a case (auditors)",
                    "parameters": [_query("case_id", {"type": "string"}, True)],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404, 422)},
                }
            },
            "/pupils/{pupil_id}/subject-access": {
                "get": {
                    "summary": "Everything held about the child, for a subject-access request (auditors; logged)",
                    "parameters": [
                        _path_param("pupil_id"),
                        _query("received_on", {"type": "string", "format": "date"}),
                    ],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404, 422)},
                }
            },
            "/reports/la": {
                "get": {
                    "summary": "The report across a local authority's schools (virtual school officers: their LA; auditors)",
                    "parameters": [
                        _query("la_code", {"type": "string"}),
                        _query("as_of", {"type": "string", "format": "date"}, description=FIGURES_AS_OF),
                    ],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404, 422)},
                }
            },
            "/reports/governors": {
                "get": {
                    "summary": "Governors' report as at a date: anonymised counts (under 5 suppressed), self-assessment",
                    "parameters": [
                        _query("school_urn", {"type": "string"}, True),
                        _query("as_of", {"type": "string", "format": "date"}, description=FIGURES_AS_OF),
                    ],
                    "responses": {"200": _json({"type": "object"}), **_problems(401, 403, 404, 422)},
                }
            },
        },
    }


#: when an action happened, if not when it is sent: a moment, or a day alone where its time of day is not known (the
#: event then holds the day as ``data.occurred_on``, and no time is shown as when it happened)
OCCURRED_AT = {
    "type": "string",
    "anyOf": [{"format": "date-time"}, {"format": "date"}],
    "description": "When it happened (not in the future): an ISO 8601 date-time, or a date (YYYY-MM-DD) where the time "
    "of day is not known, which the event then holds as `data.occurred_on`.",
}


def openapi_document(workflow: Workflow) -> dict[str, Any]:
    return _document(workflow)
