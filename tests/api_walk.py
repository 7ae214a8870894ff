"""A walk through the public API contract, written against any HTTP client.

Used twice: through Flask's test client, and through real HTTP to gunicorn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from caseflow.demo import make_upn
from tests.journey_helpers import days_ago, england_today

#: (method, path, token, json body or None, query) -> (status, json body, content type)
Send = Callable[[str, str, str | None, Any, dict[str, str] | None], tuple[int, Any, str]]


def walk_contract(send: Send, tokens: dict[str, str], school: str, serial: int) -> dict[str, Any]:
    """Register a pupil, record a CiN plan, open a case and walk it to transition; check every answer's shape."""
    dsl, sw, auditor = tokens["dsl"], tokens["sw"], tokens["auditor"]

    status, body, ctype = send("GET", "/api/v1/openapi.json", None, None, None)
    assert status == 200 and body["openapi"].startswith("3.")

    status, body, ctype = send("GET", "/api/v1/cases/whatever", None, None, None)
    assert status == 401 and ctype == "application/problem+json"
    status, body, ctype = send("GET", "/api/v1/cases/whatever", "not-a-token", None, None)
    assert status == 401

    bad = {"upn": "Z801200001001", "given_name": "A", "family_name": "B", "date_of_birth": "2016-01-01", "school_urn": school}
    status, body, ctype = send("POST", "/api/v1/pupils", dsl, bad, None)
    assert status == 422 and ctype == "application/problem+json" and "upn" in body["errors"]
    assert "H" in body["errors"]["upn"][0]  # names the expected check letter

    upn = make_upn("881", "3001", 2020, serial)
    status, pupil, _ = send(
        "POST",
        "/api/v1/pupils",
        dsl,
        {"upn": upn, "given_name": "Kai", "family_name": "Turner", "date_of_birth": "2016-03-04", "school_urn": school},
        None,
    )
    assert status == 201 and pupil["upn"] == upn and pupil["id"]
    pupil_id = pupil["id"]
    status, body, _ = send("GET", f"/api/v1/pupils/{pupil_id}", dsl, None, None)
    assert status == 200 and body["cohort_status"] is None

    status, body, _ = send(
        "POST",
        f"/api/v1/pupils/{pupil_id}/social-care",
        dsl,
        {"plan": "cin", "start_date": "2025-09-01", "end_date": None, "social_worker": "sw"},
        None,
    )
    assert status == 201 and body["cohort_status"] == "open"
    status, body, _ = send("GET", "/api/v1/cohort", dsl, None, {"school_urn": school})
    assert (
        status == 200
        and {"pupil_id": pupil_id, "status": "open"}.items()
        <= next(p for p in body["pupils"] if p["pupil_id"] == pupil_id).items()
    )
    status, body, _ = send("GET", "/api/v1/cohort", dsl, None, {"school_urn": school, "as_of": "2025-08-31"})
    assert status == 200 and pupil_id not in {p["pupil_id"] for p in body["pupils"]}

    status, body, _ = send("POST", "/api/v1/cases", dsl, {"pupil_id": pupil_id, "need_areas": [], "description": ""}, None)
    assert status == 422 and set(body["errors"]) == {"need_areas", "description"}
    status, case, _ = send(
        "POST",
        "/api/v1/cases",
        dsl,
        {"pupil_id": pupil_id, "need_areas": ["attendance", "semh"], "description": "Falling attendance"},
        None,
    )
    assert status == 201 and case["state"] == "need_identified" and case["version"] == 1
    case_id = case["id"]

    status, body, _ = send("GET", f"/api/v1/cases/{case_id}", dsl, None, None)
    assert status == 200 and body["state"] == "need_identified" and body["version"] == 1
    assert {"name": "start_one_plan", "ready": True}.items() <= next(
        a for a in body["actions"] if a["name"] == "start_one_plan"
    ).items()

    version = 1

    def act(token: str, name: str, data: dict[str, Any], expect: int = 201) -> Any:
        nonlocal version
        status, body, ctype = send(
            "POST", f"/api/v1/cases/{case_id}/actions/{name}", token, {"expected_version": version, "data": data}, None
        )
        assert status == expect, (name, status, body)
        if status == 201:
            version = body["version"]
            assert body["event"]["version"] == version and body["event"]["hash"]
        else:
            assert ctype == "application/problem+json"
        return body

    act(dsl, "start_one_plan", {})
    refused = act(dsl, "convene_review", {}, 422)
    assert {"plan_outcomes", "family_views", "pupil_voice", "social_care_view"} <= {u["code"] for u in refused["unmet"]}
    status, body, _ = send("POST", f"/api/v1/cases/{case_id}/actions/record_plan", dsl, {"expected_version": 1, "data": {}}, None)
    assert status == 409 and body["current_version"] == version
    act(dsl, "record_plan", {"outcomes": ["Attend every day"], "strengths": "Funny", "aspirations": "Vet"})
    act(dsl, "record_family_views", {"not_obtained_reason": "Family declined to meet; letter sent."})
    act(dsl, "record_pupil_voice", {"voice": "I want to be a vet"})
    act(auditor, "record_pupil_voice", {"voice": "x"}, 403)
    act(sw, "add_contribution", {"kind": "social_care_view", "contribution": "Supportive of school plan"})
    act(dsl, "convene_review", {})
    act(
        dsl,
        "record_meeting",
        {
            "date": days_ago(7),  # no more than a year back by the server's clock, the real one
            "attendees": [{"name": "A", "agency": "school"}, {"name": "B", "agency": "social_care"}],
            "aspirations_discussed": True,
        },
    )
    review = (england_today() + timedelta(days=28)).isoformat()  # today or later (the server's clock is the real one)
    planned = act(
        dsl, "plan_intervention", {"intervention": "Mentoring", "owner": "Mr P", "baseline": "85%", "review_date": review}
    )
    act(dsl, "agree_interventions", {})
    act(dsl, "record_outcome", {"intervention": planned["version"], "measure": "92%", "status": "continuing"})
    act(dsl, "evaluate", {})
    act(dsl, "record_evaluation", {"verdict": "effective", "summary": "Better"})
    act(dsl, "prepare_transition", {"kind": "phase_change", "date": "2027-09-01", "receiving_setting": "Riverside Academy"})
    act(dsl, "nonsense", {}, 404)

    status, body, _ = send("GET", f"/api/v1/cases/{case_id}/events", dsl, None, None)
    assert status == 200 and [e["version"] for e in body["events"]] == list(range(1, version + 1))
    first = body["events"][0]
    assert set(first) >= {
        "version",
        "position",
        "type",
        "data",
        "actor",
        "role",
        "occurred_at",
        "recorded_at",
        "prev_hash",
        "hash",
    }
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(body["events"], body["events"][1:], strict=False))

    status, body, _ = send("GET", f"/api/v1/cases/{case_id}/state", auditor, None, {"version": "2"})
    assert status == 200 and (body["state"], body["version"]) == ("one_plan", 2)
    status, body, _ = send("GET", f"/api/v1/cases/{case_id}/state", auditor, None, {"version": "zero"})
    assert status == 422
    status, body, _ = send("GET", f"/api/v1/cases/{case_id}/verify", auditor, None, None)
    assert status == 200 and body == {"valid": True, "checked": version, "first_invalid_version": None}
    status, body, _ = send("GET", "/api/v1/audit/access", auditor, None, {"case_id": case_id})
    assert status == 200 and {"dsl", "sw", "auditor"} <= {e["username"] for e in body["entries"]}
    assert any(e["outcome"] == "forbidden" and e["username"] == "auditor" for e in body["entries"])
    status, body, _ = send("GET", "/api/v1/audit/access", dsl, None, {"case_id": case_id})
    assert status == 403
    status, body, _ = send("GET", "/api/v1/reports/governors", tokens["governor"], None, {"school_urn": school})
    assert status == 200 and "cohort" in body
    status, body, _ = send("GET", f"/api/v1/cases/{case_id}", tokens["governor"], None, None)
    assert status == 404
    return {"case_id": case_id, "pupil_id": pupil_id, "version": version}
