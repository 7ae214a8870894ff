"""Suspensions and permanent exclusions the school's MIS recorded (pupil_record@4, import kind ``suspensions``):
imported all or nothing like every other kind; the same suspension decided on a case, or already imported, is
unchanged; and every one counts where a case's decision does: the pupil's counters, the 45-day limit and the
overlap rule on their cases, and the whole school's figures on the cohort dashboard, the LA view and the reports
(as at a day, from when it was recorded)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from caseflow import create_app
from caseflow.adapters.migrate import downgrade, upgrade
from caseflow.adapters.projections import rebuild
from caseflow.adapters.tables import suspension_days
from caseflow.bootstrap import Services
from caseflow.cli import main
from caseflow.demo import make_upn
from caseflow.domain.errors import GuardFailed
from caseflow.domain.roles import Actor
from caseflow.services.imports import ImportRejected
from tests.conftest import LA, SCHOOL, Clock, Database, _services, principal, seed_people
from tests.test_projections import dump
from workflows import PUPIL_RECORD, REGISTRY, pupil_record

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday in the autumn term
ADMIN = Actor("cli:test", "admin")
HEADER = "upn,kind,start_date,days,reason\n"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = _services(database, clock)
    seed_people(services)
    yield services
    services.close()


def upn(n: int) -> str:
    return make_upn("881", "2001", 2019, n)


def a_pupil(svc: Services, n: int, cohort: bool = False) -> str:
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl,
        {"upn": upn(n), "given_name": f"Mo{n}", "family_name": "Away", "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )
    if cohort:
        svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    return pupil.id


def act(svc: Services, who: str, case_id: str, action: str, data: dict[str, Any]) -> int:
    after, _ = svc.cases.act(principal(svc, who), case_id, action, svc.store.current_version(case_id), data)
    return after.version


def a_case(svc: Services, pupil_id: str) -> str:
    data = {"pupil_id": pupil_id, "need_areas": ["behaviour"], "description": "Fights at break."}
    return svc.cases.open_case(principal(svc, "dsl"), data).id


def propose(svc: Services, case_id: str, start: str, days: float) -> int:
    return act(svc, "slt", case_id, "propose_suspension", {"days": days, "start_date": start, "reason": "Fight."})


#: a decision for a child in the cohort made without the social worker's view (the rules then ask why, and who
#: was told); for a child outside it the rules ask nothing of these
UNHEARD = {
    "override_reason": "Risk to others.",
    "notified_social_worker": True,
    "notified_virtual_school": True,
    "notified_la": True,
}


def decide(svc: Services, case_id: str, proposal: int) -> int:
    decision = {"proposal": proposal, "decision": "suspend", "reasons": "As the behaviour policy sets out."}
    return act(svc, "head", case_id, "decide_suspension", decision | UNHEARD)


def imported(svc: Services, text: str) -> tuple[int, int]:
    report = svc.imports.run("suspensions", HEADER + text, ADMIN, None)
    return report.events, report.unchanged_rows


# --- the workflow ----------------------------------------------------------------------------------
def test_version_3_is_kept_as_released_and_version_4_adds_the_mis_suspensions() -> None:
    released = json.loads((Path(__file__).parent / "data" / "pupil_record_v3.json").read_text())
    assert json.loads(json.dumps(REGISTRY["pupil_record@3"])) == released
    assert REGISTRY[PUPIL_RECORD] is pupil_record.DEFINITION
    added = {a["name"] for a in REGISTRY["pupil_record@4"]["actions"]} - {a["name"] for a in released["actions"]}
    assert added == {"record_suspension"}


# --- the import: all or nothing, every problem of a row at once ------------------------------------
def test_one_bad_row_imports_nothing_and_names_every_problem_of_each_row(svc: Services) -> None:
    a_pupil(svc, 1)
    before = svc.store.count()
    text = (
        f"{upn(1)},suspension,2026-11-02,2,Persistent disruptive behaviour\n"
        f"{upn(1)},suspension,2026-02-30,1.3,\n"  # no such day; not a whole or half day
        f"{upn(1)},permanent_exclusion,2026-10-05,3,\n"  # an exclusion has no days
        f"{upn(1)},suspension,2026-10-12,,\n"  # a suspension needs its days
        f"{upn(1)},expulsion,2026-10-13,50,\n"  # no such kind; over 45 days
        f"{upn(99)},suspension,2026-10-14,1,\n"  # no such pupil
    )
    with pytest.raises(ImportRejected) as rejected:
        imported(svc, text)
    found = sorted((e.row, e.column) for e in rejected.value.errors)
    assert found == [(3, "days"), (3, "start_date"), (4, "days"), (5, "days"), (6, "days"), (6, "kind"), (7, "upn")], [
        str(e) for e in rejected.value.errors
    ]
    assert any("no pupil with this UPN" in str(e) for e in rejected.value.errors)
    assert svc.store.count() == before
    with svc.engine.connect() as conn:
        assert conn.execute(select(suspension_days)).all() == []


def test_a_good_file_is_recorded_and_importing_it_again_changes_nothing(svc: Services) -> None:
    pupil_id = a_pupil(svc, 2)
    text = f"{upn(2)},suspension,2026-11-02,2,Verbal abuse\n{upn(2)},permanent_exclusion,2026-11-16,,\n"
    assert imported(svc, text) == (2, 0)
    pupil = svc.pupils.load(pupil_id)
    assert [(s["kind"], s["start_date"], s.get("days")) for s in pupil.suspensions] == [
        ("suspension", "2026-11-02", 2.0),
        ("permanent_exclusion", "2026-11-16", None),
    ]
    assert svc.store.load(pupil_id)[-1].workflow_version == PUPIL_RECORD == "pupil_record@6"
    count = svc.store.count()
    assert imported(svc, text) == (0, 2)
    assert svc.store.count() == count
    # the MIS corrected the days: recorded again, and it replaces the first everywhere
    assert imported(svc, f"{upn(2)},suspension,2026-11-02,1.5,Verbal abuse\n") == (1, 0)
    assert [s.get("days") for s in svc.pupils.load(pupil_id).suspensions] == [1.5, None]
    with svc.engine.connect() as conn:
        rows = conn.execute(select(suspension_days.c.days, suspension_days.c.source)).all()
    assert [tuple(r) for r in rows] == [(1.5, "mis")]


def test_the_same_suspension_twice_in_a_file_must_agree(svc: Services) -> None:
    a_pupil(svc, 3)
    same = f"{upn(3)},suspension,2026-11-02,2,\n"
    assert imported(svc, same + same) == (1, 1)
    with pytest.raises(ImportRejected) as rejected:
        imported(svc, f"{upn(3)},suspension,2026-11-09,2,\n{upn(3)},suspension,2026-11-09,3,\n")
    assert [(e.row, e.column) for e in rejected.value.errors] == [(3, "start_date")]


def test_a_suspension_decided_on_a_case_is_unchanged_when_the_mis_exports_it(svc: Services) -> None:
    pupil_id = a_pupil(svc, 4)
    case_id = a_case(svc, pupil_id)
    decide(svc, case_id, propose(svc, case_id, "2026-11-23", 3))
    count = svc.store.count()
    # the MIS exports it too, whatever days it says; and a suspension of another day is new
    assert imported(svc, f"{upn(4)},suspension,2026-11-23,3,Fight\n") == (0, 1)
    assert svc.store.count() == count
    assert svc.pupils.load(pupil_id).suspensions == []
    assert imported(svc, f"{upn(4)},suspension,2026-11-23,3,Fight\n{upn(4)},suspension,2026-10-05,1,\n") == (1, 1)


def test_the_mis_recording_a_suspension_before_the_head_decides_it_counts_it_once(svc: Services) -> None:
    """The school office enters the suspension in the MIS, and the night's import brings it in, before the head
    records the decision on the case: the MIS record on the proposal's first day is the same suspension, so it
    neither blocks the decision nor counts beside it."""
    pupil_id = a_pupil(svc, 9)
    case_id = a_case(svc, pupil_id)
    proposal = propose(svc, case_id, "2026-11-23", 3)
    assert imported(svc, f"{upn(9)},suspension,2026-11-23,3,Fight\n") == (1, 0)
    imported(svc, f"{upn(9)},suspension,2026-09-07,40,\n")  # and 40 days earlier in the year: 43 with this one
    decide(svc, case_id, proposal)
    assert sorted(s.days for s in svc.reads.other_suspensions(pupil_id).values() if s.days) == [3.0, 40.0]
    counted = select(suspension_days.c.source, suspension_days.c.start_date).where(suspension_days.c.days > 0)
    with svc.engine.connect() as conn:
        rows = conn.execute(counted).all()
    assert sorted((source, str(day)) for source, day in rows) == [("case", "2026-11-23"), ("mis", "2026-09-07")]
    view = svc.cases.view(principal(svc, "head"), case_id)
    assert view.safeguards.year_days == 43
    rebuild(svc.store)
    with svc.engine.connect() as conn:
        again = conn.execute(counted).all()
    assert sorted(again) == sorted(rows)


def test_a_suspension_entered_on_the_record_after_the_head_decided_it_counts_once(svc: Services) -> None:
    pupil_id = a_pupil(svc, 10)
    case_id = a_case(svc, pupil_id)
    decide(svc, case_id, propose(svc, case_id, "2026-11-23", 2))
    entered = {"kind": "suspension", "start_date": "2026-11-23", "days": 2, "reason": "Fight"}
    svc.pupils.act(principal(svc, "dsl"), pupil_id, "record_suspension", svc.store.current_version(pupil_id), entered)
    assert [s.days for s in svc.reads.other_suspensions(pupil_id).values()] == [2.0]


# --- the rules on cases see them -----------------------------------------------------------------------
def test_the_45_day_limit_counts_an_imported_suspension(svc: Services) -> None:
    pupil_id = a_pupil(svc, 5)
    imported(svc, f"{upn(5)},suspension,2026-09-07,40,\n")
    case_id = a_case(svc, pupil_id)
    proposal = propose(svc, case_id, "2026-11-23", 6)
    before = svc.store.current_version(case_id)
    with pytest.raises(GuardFailed) as refused:
        decide(svc, case_id, proposal)
    assert any(u.code == "suspension_limit" and "40 already this year" in u.message for u in refused.value.unmet)
    assert svc.store.current_version(case_id) == before


def test_a_suspension_over_days_recorded_in_the_mis_is_refused(svc: Services) -> None:
    pupil_id = a_pupil(svc, 6)
    imported(svc, f"{upn(6)},suspension,2026-11-23,3,\n")  # Monday to Wednesday
    case_id = a_case(svc, pupil_id)
    with pytest.raises(GuardFailed) as refused:
        propose(svc, case_id, "2026-11-25", 1)
    (unmet,) = refused.value.unmet
    assert (unmet.code, unmet.field) == ("overlaps_suspension", "start_date")
    assert "recorded in the school's MIS" in unmet.message
    assert propose(svc, case_id, "2026-11-26", 1)  # the Thursday is free


# --- the figures count them ---------------------------------------------------------------------------
def test_the_dashboard_counts_a_pupil_outside_the_cohorts_imported_suspension_from_when_it_was_recorded(
    svc: Services, clock: Clock
) -> None:
    a_pupil(svc, 7, cohort=True)
    a_pupil(svc, 8)  # not in the cohort
    imported(svc, f"{upn(8)},suspension,2026-11-02,2,\n{upn(7)},suspension,2026-11-03,1,\n")
    dsl = principal(svc, "dsl")
    board = svc.dashboard.cohort(dsl, SCHOOL, NOW.date())
    assert (board["school"]["pupils_suspended"], board["school"]["suspension_days"]) == (2, 3.0)
    assert (board["cohort"]["pupils_suspended"], board["cohort"]["suspension_days"]) == (1, 1.0)
    (row,) = board["pupils"]
    assert row["suspension_days"] == 1.0
    earlier = svc.dashboard.cohort(dsl, SCHOOL, (NOW - timedelta(days=1)).date())  # before it was imported
    assert (earlier["school"]["pupils_suspended"], earlier["school"]["suspension_days"]) == (0, 0.0)
    (school,) = [s for s in svc.la.la(principal(svc, "vs"), NOW.date())["schools"] if s["urn"] == SCHOOL]
    assert (school["pupils_suspended"], school["suspension_days"]) == (1, 1.0)


def test_the_pupil_page_shows_them_and_counts_them(svc: Services) -> None:
    pupil_id = a_pupil(svc, 9)
    imported(svc, f"{upn(9)},suspension,2026-11-02,2.5,Damage\n{upn(9)},permanent_exclusion,2026-11-16,,\n")
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "dsl", "password": "correct horse battery"})
    html = client.get(f"/pupils/{pupil_id}").get_data(as_text=True)
    assert 'id="mis-suspensions"' in html and "Permanent exclusion" in html and "Damage" in html
    assert "2.5 of 45 this school year" in html
    bearer = {"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"}  # the API takes tokens, not the session
    answer = client.get(f"/api/v1/pupils/{pupil_id}", headers=bearer).get_json()
    assert [s["kind"] for s in answer["suspensions"]] == ["suspension", "permanent_exclusion"]
    page = client.get("/imports").get_data(as_text=True)
    assert 'value="suspensions"' in page and "upn,kind,start_date,days,reason" in page


def test_the_upload_page_imports_them_and_reports_a_bad_row(svc: Services) -> None:
    a_pupil(svc, 10)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "dsl", "password": "correct horse battery"})
    before = svc.store.count()
    bad = {"kind": "suspensions", "file": (io.BytesIO((HEADER + f"{upn(10)},suspension,2026-11-02,0.3,\n").encode()), "s.csv")}
    response = client.post("/imports", data=bad, content_type="multipart/form-data")
    assert response.status_code == 422 and "Nothing was imported" in response.get_data(as_text=True)
    assert svc.store.count() == before
    good = {"kind": "suspensions", "file": (io.BytesIO((HEADER + f"{upn(10)},suspension,2026-11-02,1,\n").encode()), "s.csv")}
    response = client.post("/imports", data=good, content_type="multipart/form-data")
    assert response.status_code == 200 and "1 pupil’s record changed" in response.get_data(as_text=True)


def test_the_form_and_the_api_refuse_what_a_user_can_send_without_a_500(svc: Services) -> None:
    pupil_id = a_pupil(svc, 11)
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "dsl", "password": "correct horse battery"})
    bearer = {"Authorization": f"Bearer {svc.accounts.issue_token('dsl')}"}  # the API takes tokens, not the session
    for data in (
        {"kind": "suspension", "start_date": "2026-11-02", "days": "x"},
        {"kind": "suspension", "start_date": "2026-11-02"},
        {"kind": "permanent_exclusion", "start_date": "2026-11-02", "days": 2},
        {"kind": "suspension", "start_date": "1999-11-02", "days": 2},
        {"kind": ["x"], "start_date": 5, "days": True, "reason": "r" * 500},
    ):
        response = client.post(
            f"/api/v1/pupils/{pupil_id}/actions/record_suspension", json={"expected_version": 1, "data": data}, headers=bearer
        )
        assert response.status_code == 422, (data, response.get_json())
    response = client.post(
        f"/pupils/{pupil_id}/actions/record_suspension",
        data={"kind": "suspension", "start_date": "2026-11-02", "days": "1.3", "expected_version": "1"},
    )
    assert response.status_code == 422
    assert svc.pupils.load(pupil_id).version == 1


def test_the_cli_imports_them(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    svc = _services(database, Clock(NOW))
    seed_people(svc)
    a_pupil(svc, 12)
    svc.close()
    good = tmp_path / "suspensions.csv"
    good.write_text(HEADER + f"{upn(12)},suspension,2026-11-02,1,\n")
    runner = CliRunner()
    result = runner.invoke(main, ["import", "suspensions", str(good)])
    assert result.exit_code == 0 and "1 event for 1 pupil" in result.output, result.output


def figures(svc: Services, day: str) -> tuple[Any, ...]:
    """As at ``day``: the suspensions this school year in the governors' and the LA's report, and the
    cohort's pupils suspended and days on the cohort dashboard."""
    as_of = date.fromisoformat(day)
    report = svc.reports.governors(principal(svc, "governor"), SCHOOL, as_of)
    la = svc.reports.la(principal(svc, "vs"), LA, as_of)
    board = svc.dashboard.cohort(principal(svc, "dsl"), SCHOOL, as_of)["cohort"]
    return (
        report["suspensions_this_school_year"],
        la["suspensions_this_school_year"],
        board["pupils_suspended"],
        board["suspension_days"],
    )


def exclusions(svc: Services, day: str) -> tuple[Any, Any]:
    """As at ``day``: the permanent exclusions this school year in the governors' and the LA's report."""
    as_of = date.fromisoformat(day)
    report = svc.reports.governors(principal(svc, "governor"), SCHOOL, as_of)
    la = svc.reports.la(principal(svc, "vs"), LA, as_of)
    return report["exclusions_this_school_year"], la["exclusions_this_school_year"]


def at(clock: Clock, day: str) -> None:
    clock.now = datetime.fromisoformat(f"{day}T09:00:00+00:00")


def test_the_reports_count_each_suspension_the_mis_recorded_once_as_at_every_day(svc: Services, clock: Clock) -> None:
    """The governors' and the LA's report count the MIS's suspensions beside the cases' decisions, as the
    dashboard's figures do as at the same day: from when each was recorded, and once, whether the head decided it
    on a case before or after the MIS recorded it, on its first day or from another day over the same days (the
    MIS counting from the day after), or the MIS corrected its days."""
    pupils = [a_pupil(svc, n, cohort=True) for n in range(21, 28)]
    imported(svc, "".join(f"{upn(n)},suspension,2026-11-02,1,\n" for n in range(21, 26)))
    recorded_first = a_case(svc, pupils[5])
    proposal = propose(svc, recorded_first, "2026-11-23", 2)
    imported(svc, f"{upn(26)},suspension,2026-11-23,2,Fight\n")
    assert figures(svc, "2026-11-19") == ("fewer than 5", "fewer than 5", 0, 0.0)
    assert figures(svc, "2026-11-20") == (6, 6, 6, 7.0)
    at(clock, "2026-11-23")
    decide(svc, recorded_first, proposal)
    imported(svc, f"{upn(21)},suspension,2026-11-02,2,\n")  # the MIS corrected its days
    decided_first = a_case(svc, pupils[6])
    decide(svc, decided_first, propose(svc, decided_first, "2026-11-23", 3))
    assert figures(svc, "2026-11-23") == (7, 7, 7, 11.0)
    assert figures(svc, "2026-11-20")[:3] == (6, 6, 6)  # the corrected one was recorded by then
    at(clock, "2026-11-24")
    # the MIS has the suspension decided on Monday from Tuesday, over the same days: the same suspension
    assert imported(svc, f"{upn(27)},suspension,2026-11-24,2,Fight\n") == (1, 0)
    assert figures(svc, "2026-11-24") == (7, 7, 7, 11.0)
    assert sorted(s.days for s in svc.reads.other_suspensions(pupils[6]).values()) == [3.0]
    inline = dump(svc)
    rebuild(svc.store)
    assert dump(svc) == inline


def test_an_mis_record_over_the_days_of_a_decided_suspension_counts_as_it_on_the_cohort_figures(
    svc: Services, clock: Clock
) -> None:
    """On the cohort dashboard, the LA view and the pupil's counters alike: a suspension the MIS records from
    another first day over days a head decided on one of the pupil's cases is that suspension, not a second one;
    one after its days is another."""
    pupil_id = a_pupil(svc, 16, cohort=True)
    case_id = a_case(svc, pupil_id)
    proposal = propose(svc, case_id, "2026-11-23", 3)  # Monday to Wednesday
    act(svc, "sw", case_id, "add_contribution", {"kind": "exclusion_view", "proposal": proposal, "contribution": "Agreed."})
    decide(svc, case_id, proposal)
    at(clock, "2026-11-26")
    imported(svc, f"{upn(16)},suspension,2026-11-24,3,\n{upn(16)},suspension,2026-11-30,1,\n")
    board = svc.dashboard.cohort(principal(svc, "dsl"), SCHOOL, NOW.date() + timedelta(days=6))
    assert (board["cohort"]["pupils_suspended"], board["cohort"]["suspension_days"]) == (1, 4.0)
    (school,) = [s for s in svc.la.la(principal(svc, "vs"), date(2026, 11, 26))["schools"] if s["urn"] == SCHOOL]
    assert school["suspension_days"] == 4.0
    assert svc.cases.view(principal(svc, "head"), case_id).safeguards.year_days == 4


def test_the_reports_count_each_permanent_exclusion_the_mis_recorded_once(svc: Services, clock: Clock) -> None:
    """A permanent exclusion recorded from the MIS counts in the reports' permanent exclusions, as a case's
    decision to exclude does, from when it was recorded; the same exclusion decided on a case (its first day)
    counts once, whichever was recorded first."""
    pupils = [a_pupil(svc, n, cohort=True) for n in range(31, 38)]
    imported(svc, "".join(f"{upn(n)},permanent_exclusion,2026-11-16,,\n" for n in range(31, 36)))
    recorded_first = a_case(svc, pupils[5])
    reason = {"start_date": "2026-11-23", "reason": "Assault on a pupil."}
    proposal = act(svc, "slt", recorded_first, "propose_exclusion", reason)
    imported(svc, f"{upn(36)},permanent_exclusion,2026-11-23,,\n")
    assert exclusions(svc, "2026-11-19") == ("fewer than 5", "fewer than 5")
    assert exclusions(svc, "2026-11-20") == (6, 6)
    at(clock, "2026-11-23")
    act(
        svc,
        "head",
        recorded_first,
        "decide_exclusion",
        {"proposal": proposal, "decision": "exclude", "reasons": "As the behaviour policy sets out."} | UNHEARD,
    )
    decided_first = a_case(svc, pupils[6])
    proposal = act(svc, "slt", decided_first, "propose_exclusion", reason)
    act(
        svc,
        "head",
        decided_first,
        "decide_exclusion",
        {"proposal": proposal, "decision": "exclude", "reasons": "As the behaviour policy sets out."} | UNHEARD,
    )
    entered = {"kind": "permanent_exclusion", "start_date": "2026-11-23", "reason": "Assault"}
    svc.pupils.act(principal(svc, "dsl"), pupils[6], "record_suspension", svc.store.current_version(pupils[6]), entered)
    assert exclusions(svc, "2026-11-23") == (7, 7)
    assert exclusions(svc, "2026-11-20") == (6, 6)
    assert figures(svc, "2026-11-23") == ("fewer than 5", "fewer than 5", 0, 0.0)  # an exclusion is no suspension
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/login", data={"username": "governor", "password": "correct horse battery"})
    page = client.get(f"/reports/governors?school_urn={SCHOOL}&as_of=2026-11-23").get_data(as_text=True)
    assert (
        "Permanent exclusions this school year, decided on a case, or recorded in the school&#39;s MIS for a child in the cohort"
        in page
    )
    inline = dump(svc)
    rebuild(svc.store)
    assert dump(svc) == inline
    assert exclusions(svc, "2026-11-23") == (7, 7)


# --- rebuilt from the log, and the migration ----------------------------------------------------------
def test_a_rebuild_gives_the_same_rows(svc: Services) -> None:
    pupil_id = a_pupil(svc, 13)
    case_id = a_case(svc, pupil_id)
    decide(svc, case_id, propose(svc, case_id, "2026-11-23", 3))
    imported(svc, f"{upn(13)},suspension,2026-10-05,2,\n{upn(13)},permanent_exclusion,2026-11-16,,\n")
    imported(svc, f"{upn(13)},suspension,2026-10-05,1,\n")  # corrected
    inline = dump(svc)
    assert len(inline["suspension_days"]) == 2
    rebuild(svc.store)
    assert dump(svc) == inline


def test_the_migration_adds_the_source_and_fills_the_mis_rows_from_the_log(database: Database, svc: Services) -> None:
    a_pupil(svc, 14)
    imported(svc, f"{upn(14)},suspension,2026-10-05,2,\n")
    imported(svc, f"{upn(14)},suspension,2026-10-05,1,\n")
    later = a_pupil(svc, 15)  # the MIS's record first, then the head's decision of the same suspension
    case_id = a_case(svc, later)
    proposal = propose(svc, case_id, "2026-11-23", 2)
    imported(svc, f"{upn(15)},suspension,2026-11-23,2,\n")
    decide(svc, case_id, proposal)
    inline = dump(svc)
    svc.close()
    downgrade(database.owner_url, "0018")
    upgrade(database.owner_url)
    after = _services(database, Clock(NOW))
    try:
        assert dump(after) == inline
    finally:
        after.close()


def test_migration_0021_counts_each_suspension_and_exclusion_of_the_log_once(
    database: Database, svc: Services, clock: Clock
) -> None:
    """A database upgraded with MIS records in its log gets the rows the projection now writes: a record over the
    days of a decided suspension is that suspension, a correction keeps the first record's day, and a permanent
    exclusion counts from when it was recorded until a case's decision of it."""
    overlapping = a_pupil(svc, 17)
    case_id = a_case(svc, overlapping)
    decide(svc, case_id, propose(svc, case_id, "2026-11-23", 3))
    a_pupil(svc, 18)  # its suspension corrected, and a permanent exclusion alone
    imported(svc, f"{upn(18)},suspension,2026-10-05,2,\n{upn(18)},permanent_exclusion,2026-11-16,,\n")
    excluded = a_pupil(svc, 19)
    excluding = a_case(svc, excluded)
    proposal = act(svc, "slt", excluding, "propose_exclusion", {"start_date": "2026-11-23", "reason": "Assault."})
    imported(svc, f"{upn(19)},permanent_exclusion,2026-11-23,,\n")
    at(clock, "2026-11-23")
    act(
        svc,
        "head",
        excluding,
        "decide_exclusion",
        {"proposal": proposal, "decision": "exclude", "reasons": "As the behaviour policy sets out."},
    )
    imported(svc, f"{upn(17)},suspension,2026-11-24,2,\n{upn(18)},suspension,2026-10-05,1,\n")
    inline = dump(svc)
    assert exclusions(svc, "2026-11-20") == ("fewer than 5", "fewer than 5")
    svc.close()
    downgrade(database.owner_url, "0020")
    upgrade(database.owner_url)
    after = _services(database, clock)
    try:
        assert dump(after) == inline
    finally:
        after.close()


def test_the_reports_count_the_mis_records_of_the_cohort_not_of_the_whole_school(svc: Services, clock: Clock) -> None:
    """The report's suspensions and exclusions sit with its cases' figures: the cohort's. A suspension the MIS
    recorded for a child who has never had a social worker counts against the whole school, not there."""
    for n in range(41, 46):
        a_pupil(svc, n, cohort=True)
    for n in range(46, 52):
        a_pupil(svc, n)
    imported(svc, "".join(f"{upn(n)},suspension,2026-11-02,1,\n" for n in range(41, 52)))
    imported(svc, "".join(f"{upn(n)},permanent_exclusion,2026-11-16,,\n" for n in range(46, 52)))
    assert figures(svc, "2026-11-20") == (5, 5, 5, 5.0)
    assert exclusions(svc, "2026-11-20") == ("fewer than 5", "fewer than 5")
    school = svc.dashboard.cohort(principal(svc, "dsl"), SCHOOL, date(2026, 11, 20))["school"]
    assert school["pupils_suspended"] == 11


def test_the_mis_records_of_a_cohort_larger_than_one_query_are_all_counted(svc: Services) -> None:
    """An LA's cohort is thousands of children: their ids are read in batches, and every batch is counted."""
    pupil_id = a_pupil(svc, 61, cohort=True)
    imported(svc, f"{upn(61)},suspension,2026-11-02,1,\n")
    many = [f"absent-{n}" for n in range(2_500)] + [pupil_id]  # the child's id in the third batch
    assert svc.reads.mis_records(many, datetime(2026, 11, 20, 23, tzinfo=UTC), 2026) == (1, 0)
    assert svc.reads.mis_records([], datetime(2026, 11, 20, 23, tzinfo=UTC), 2026) == (0, 0)
