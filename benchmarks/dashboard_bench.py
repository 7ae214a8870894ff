"""The cohort dashboard for a 30-pupil school, rendered as the DSL sees it (service + template)."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

from benchmarks.store_bench import percentiles
from caseflow import create_app
from caseflow.bootstrap import bootstrap
from caseflow.demo import make_upn
from caseflow.domain.events import london_date, now_utc

#: a contact with the family a month ago: a contact is dated no more than a year back from the real today
CONTACTED = (london_date(now_utc()) - timedelta(days=30)).isoformat()


def dashboard(url: str, pupils: int = 30, calls: int = 40) -> dict[str, Any]:
    svc = bootstrap(url)
    svc.accounts.add_school("100001", "Bench School", "881")
    svc.accounts.add_user("dsl", ["dsl"], ["100001"], password="bench kettle orbit 1")
    svc.accounts.add_user("sw", ["social_worker"], password="bench kettle orbit 2")  # the plans name their social worker
    dsl = svc.accounts.principal(svc.accounts.user("dsl")["id"])  # type: ignore[index]
    assert dsl is not None
    for n in range(pupils):
        pupil = svc.pupils.register(
            dsl,
            {
                "upn": make_upn("881", "6001", 2020, n + 1),
                "given_name": "P",
                "family_name": f"N{n}",
                "date_of_birth": "2015-01-01",
                "school_urn": "100001",
                "on_roll_from": "2026-09-01",  # the figures are asked as at November: the roll joined before
            },
        )
        svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
        marks, day = [], date(2026, 9, 3)
        while day < date(2026, 11, 20):
            if day.weekday() < 5:
                marks += [{"date": day.isoformat(), "session": "AM", "code": "/" if (day.day + n) % 9 else "N"},
                          {"date": day.isoformat(), "session": "PM", "code": "\\"}]  # fmt: skip
            day += timedelta(days=1)
        svc.pupils.act(dsl, pupil.id, "record_attendance", 2, {"marks": marks})
        svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "bench"})
    app = create_app({"SERVICES": svc, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "dsl", "password": "bench kettle orbit 1"})
    assert client.get("/cohort?as_of=2026-11-20").status_code == 200
    latencies = []
    for _ in range(calls):
        t = time.perf_counter()
        response = client.get("/cohort?as_of=2026-11-20")
        latencies.append(time.perf_counter() - t)
        assert response.status_code == 200
    svc.close()
    return {"pupils": pupils, "calls": calls, **percentiles(latencies)}


def case_page(url: str, case_events: int = 300, school_days: int = 380, calls: int = 40) -> dict[str, Any]:
    """A long journey's case page, as the DSL opens it: a case of ``case_events`` events whose pupil has
    ``school_days`` days of attendance (two school years, a day of marks an event, as the MIS sends them)."""
    svc = bootstrap(url)
    svc.accounts.add_school("100001", "Bench School", "881")
    svc.accounts.add_user("dsl", ["dsl"], ["100001"], password="bench kettle orbit 1")
    svc.accounts.add_user("sw", ["social_worker"], password="bench kettle orbit 2")  # the plans name their social worker
    dsl = svc.accounts.principal(svc.accounts.user("dsl")["id"])  # type: ignore[index]
    assert dsl is not None
    pupil = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "6002", 2018, 1), "given_name": "L", "family_name": "Long",
         "date_of_birth": "2014-01-01", "school_urn": "100001"},
    )  # fmt: skip
    svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2024-09-01", "social_worker": "sw"})
    version, day, days = 2, date(2024, 9, 2), 0
    while days < school_days:
        if day.weekday() < 5:
            present = (day.day + days) % 11
            marks = [
                {"date": day.isoformat(), "session": s, "code": mark if present else "N"}
                for s, mark in (("AM", "/"), ("PM", "\\"))
            ]
            version = svc.pupils.act(dsl, pupil.id, "record_attendance", version, {"marks": marks})[0].version
            days += 1
        day += timedelta(days=1)
    case = svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "bench"})
    while case.version < case_events:
        data = {"date": CONTACTED, "method": "phone", "summary": f"Call {case.version}: a good week."}
        case, _ = svc.cases.act(dsl, case.id, "log_family_contact", case.version, data)
    app = create_app({"SERVICES": svc, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "dsl", "password": "bench kettle orbit 1"})
    assert client.get(f"/cases/{case.id}").status_code == 200
    latencies = []
    for _ in range(calls):
        t = time.perf_counter()
        response = client.get(f"/cases/{case.id}")
        latencies.append(time.perf_counter() - t)
        assert response.status_code == 200
    svc.close()
    return {"case_events": case.version, "pupil_events": version, "calls": calls, **percentiles(latencies)}
