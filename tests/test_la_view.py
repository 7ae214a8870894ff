"""The Virtual School's LA view, checked against the school dashboards it summarises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from caseflow import create_app
from caseflow.adapters.tables import access_log, pupils
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.demo_la import LaShape, load_la
from caseflow.domain.errors import NotFound
from caseflow.domain.exclusions import school_year
from caseflow.services.access import Principal
from caseflow.services.la_view import PAGE_SIZE
from tests.conftest import LA, Clock, Database, _services, principal, seed_people
from tests.journey_helpers import services_today

OURS = LaShape(schools=4, pupils_per_school=9, events_per_pupil=40, la_code=LA, first_urn=310001)
THEIRS = LaShape(schools=1, pupils_per_school=5, events_per_pupil=30, la_code="882", first_urn=320001)


def on_roll_since(svc: Services, day: date) -> None:
    """Every pupil held, on the roll since ``day``: these tests look at the cohort's episodes and attendance on days
    before the pupils were loaded (in bulk, today), and stand for pupils registered long before. The roll's own
    rule is tested in tests/test_roll_as_at.py."""
    with svc.engine.begin() as conn:
        conn.execute(update(pupils).values(on_roll_from=day))


#: mid-autumn, the LA's attendance kept for months before it in the same school year: on the real clock the
#: earlier-month view failed in August (no attendance after 22 July) and September (no earlier month that year)
MID_TERM = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def la_services(database: Database) -> Iterator[Services]:
    services = _services(database, Clock(MID_TERM))
    seed_people(services)
    load_la(services, OURS, echo=lambda _: None)
    load_la(services, THEIRS, echo=lambda _: None)
    on_roll_since(services, date(2000, 1, 1))
    yield services
    services.close()


def test_each_school_matches_its_own_cohort_dashboard_and_the_totals_add_up(la_services: Services) -> None:
    today = services_today(la_services)
    vs = principal(la_services, "vs")
    board = la_services.la.la(vs, today)
    ours = {str(OURS.first_urn + i) for i in range(OURS.schools)}
    assert {s["urn"] for s in board["schools"]} == ours | {"100001"}  # 320001 is another LA's; 100002 too
    assert board["total"]["schools"] == OURS.schools + 1
    cohort = 0
    for row in board["schools"]:
        dashboard = la_services.dashboard.cohort(vs, row["urn"], today)
        assert row["cohort"] == len(dashboard["pupils"]) == dashboard["cohort"]["pupils"]
        assert row["open"] == sum(p["status"] == "open" for p in dashboard["pupils"])
        assert row["attendance_percent"] == dashboard["cohort"]["attendance_percent"]
        assert row["persistent_absence_percent"] == dashboard["cohort"]["persistent_absence_percent"]
        assert row["severe_absence_percent"] == dashboard["cohort"]["severe_absence_percent"]
        assert row["open_cases"] == sum(p["step"] not in (None, "closed") for p in dashboard["pupils"])
        cohort += row["cohort"]
    assert board["total"]["cohort"] == cohort > 0
    assert sum(board["steps"].values()) == board["total"]["open_cases"] > 0
    assert any(row["persistent_absence_percent"] for row in board["schools"]), "the generator's absence spread shows"
    la_services.la.la(vs, today)
    with la_services.engine.connect() as conn:
        last = conn.execute(select(access_log).order_by(access_log.c.id.desc()).limit(1)).mappings().one()
    assert (last["username"], last["role"], last["action"], last["detail"]) == (
        "vs",
        "virtual_school",
        "view_la",
        f"la {LA}, as at {today}",
    )


def test_cohort_membership_is_as_at_the_date_asked(la_services: Services) -> None:
    """Before a child's latest episode began, the view reads their episodes rather than the dates
    folded into their row (a re-referred child was in the cohort then by an earlier episode; a newly
    referred one was not), and each school's row still matches its dashboard of that day."""
    dsl, vs = principal(la_services, "dsl"), principal(la_services, "vs")
    episodes = {
        "re-referred": [("cin", "2019-01-01", "2020-06-30"), ("cp", "2025-01-01", None)],
        "newly referred": [("cin", "2025-06-01", None)],
    }
    for serial, (name, spans) in enumerate(episodes.items(), start=60):
        pupil = la_services.pupils.register(
            dsl,
            {
                "upn": make_upn(LA, "4001", 2016, serial),
                "given_name": name,
                "family_name": "Earlier",
                "date_of_birth": "2016-03-01",
                "school_urn": "100001",
            },
        )
        for plan, start, end in spans:
            data = {"plan": plan, "start_date": start, "social_worker": "sw"} | ({"category": "NEG"} if plan == "cp" else {})
            la_services.pupils.record_episode(dsl, pupil.id, data | ({"end_date": end} if end else {}))
    on_roll_since(la_services, date(2000, 1, 1))
    long_ago, today = date(2024, 9, 1), services_today(la_services)
    then, now = la_services.la.la(vs, long_ago), la_services.la.la(vs, today)
    assert 0 < then["total"]["cohort"] < now["total"]["cohort"]
    (school,) = [row for row in then["schools"] if row["urn"] == "100001"]
    assert (school["open"], school["previous"], school["child_protection"]) == (0, 1, 0)
    (school,) = [row for row in now["schools"] if row["urn"] == "100001"]
    assert (school["open"], school["previous"], school["child_protection"]) == (2, 0, 1)
    for board, day in ((then, long_ago), (now, today)):
        for row in board["schools"]:
            dashboard = la_services.dashboard.cohort(vs, row["urn"], day)
            assert row["cohort"] == len(dashboard["pupils"]), (day, row["urn"])
            assert row["open"] == sum(p["status"] == "open" for p in dashboard["pupils"]), (day, row["urn"])
            assert row["previous"] == sum(p["status"] == "previous" for p in dashboard["pupils"]), (day, row["urn"])
            assert row["attendance_percent"] == dashboard["cohort"]["attendance_percent"], (day, row["urn"])
            assert row["open_cases"] == sum(p["step"] not in (None, "closed") for p in dashboard["pupils"]), (day, row["urn"])


def test_a_journey_moving_on_moves_the_la_counts(la_services: Services) -> None:
    """The LA's steps come from each child's folded open journeys: a case's move shows at once."""
    vs = principal(la_services, "vs")
    today = services_today(la_services)
    before = la_services.la.la(vs, today)
    dsl = principal(la_services, "dsl")
    pupil = la_services.pupils.register(
        dsl,
        {
            "upn": make_upn(LA, "4001", 2016, 77),
            "given_name": "Ada",
            "family_name": "Mover",
            "date_of_birth": "2016-03-01",
            "school_urn": "100001",
        },
    )
    la_services.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2026-01-05", "social_worker": "sw"})
    middle = la_services.la.la(vs, today)
    assert middle["total"]["cohort"] == before["total"]["cohort"] + 1
    assert middle["total"]["open_cases"] == before["total"]["open_cases"]
    case = la_services.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "x"})
    opened = la_services.la.la(vs, today)
    assert opened["total"]["open_cases"] == before["total"]["open_cases"] + 1
    assert opened["steps"]["need_identified"] == before["steps"].get("need_identified", 0) + 1
    la_services.cases.act(dsl, case.id, "start_one_plan", case.version, {})
    moved = la_services.la.la(vs, today)
    assert moved["total"]["open_cases"] == opened["total"]["open_cases"]
    assert moved["steps"]["need_identified"] == before["steps"].get("need_identified", 0)
    assert moved["steps"]["one_plan"] == before["steps"].get("one_plan", 0) + 1


def test_a_view_of_an_earlier_month_sums_only_the_months_up_to_it(la_services: Services) -> None:
    """Each child's attendance is kept per school year; a view of the past must not count the
    months after it (there the view sums the child's months instead), and still match the dashboards."""
    vs = principal(la_services, "vs")
    today = services_today(la_services)
    earlier = date(today.year, today.month, 1) - timedelta(days=10)
    assert school_year(earlier) == school_year(today), "the test needs a month earlier in the same school year"
    then, now = la_services.la.la(vs, earlier), la_services.la.la(vs, today)
    for row in then["schools"]:
        dashboard = la_services.dashboard.cohort(vs, row["urn"], earlier)
        assert row["attendance_percent"] == dashboard["cohort"]["attendance_percent"]
        assert row["persistent_absence_percent"] == dashboard["cohort"]["persistent_absence_percent"]
    assert then["total"]["attendance_percent"] is not None
    assert then["total"]["attendance_percent"] != now["total"]["attendance_percent"], "later months left out"


def test_search_sort_and_pages(la_services: Services) -> None:
    vs = principal(la_services, "vs")
    today = services_today(la_services)
    found = la_services.la.la(vs, today, search=str(OURS.first_urn + 2))
    assert [s["urn"] for s in found["schools"]] == [str(OURS.first_urn + 2)] and found["matching_schools"] == 1
    by_attendance = la_services.la.la(vs, today, sort="attendance")["schools"]
    rates = [s["attendance_percent"] for s in by_attendance if s["attendance_percent"] is not None]
    assert rates == sorted(rates)
    assert la_services.la.la(vs, today, sort="nonsense")["sort"] == "name"
    assert la_services.la.la(vs, today, page=99)["page"] == 1 == la_services.la.la(vs, today)["pages"]
    assert OURS.schools + 1 <= PAGE_SIZE


def test_only_a_virtual_school_with_an_la_has_one(la_services: Services) -> None:
    today = services_today(la_services)
    for username in ("dsl", "head", "sw", "auditor", "admin", "governor"):
        with pytest.raises(NotFound):
            la_services.la.la(principal(la_services, username), today)
    with pytest.raises(NotFound):
        la_services.la.la(Principal("vs-nowhere", frozenset({("virtual_school", None)})), today)


def test_the_page_shows_the_schools_with_links_to_their_cohorts(la_services: Services) -> None:
    from caseflow import create_app

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SERVICES": la_services})
    client = app.test_client()
    assert client.post("/login", data={"username": "vs", "password": "correct horse battery"}).status_code == 302
    page = client.get("/la?sort=cohort&q=<script>").get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    page = client.get("/la").get_data(as_text=True)
    assert f"/cohort?school_urn={OURS.first_urn}" in page and "Children with a social worker across the local authority" in page
    assert client.get("/la?page=abc").status_code == 200
    refused = client.get("/la?as_of=not-a-date")  # the page again, the message on its box (the fourth walk)
    assert refused.status_code == 400 and "The date must be a real date" in refused.get_data(as_text=True)


def test_the_cohort_edges_in_sql_follow_the_domain_rule(services: Services) -> None:
    """Six years to the day, episodes ending or starting on the day itself: the LA view's SQL and
    ``cohort_status`` agree on every child."""
    from caseflow.domain.pupil import cohort_status

    dsl = principal(services, "dsl")
    as_of = date(2026, 11, 23)
    episodes = {
        "ended six years ago to the day": ("2019-01-01", "2020-11-23"),
        "ended the day before that": ("2019-01-01", "2020-11-22"),
        "ends on the day": ("2025-01-01", "2026-11-23"),
        "ended yesterday": ("2025-01-01", "2026-11-22"),
        "starts on the day": ("2026-11-23", None),
        "starts tomorrow": ("2026-11-24", None),
        "open for years": ("2018-05-01", None),
    }
    expected: dict[str, str | None] = {}
    for serial, (name, (start, end)) in enumerate(episodes.items(), start=1):
        pupil = services.pupils.register(
            dsl,
            {
                "upn": make_upn(LA, "4001", 2018, serial),
                "given_name": name,
                "family_name": "Edge",
                "date_of_birth": "2015-03-01",
                "school_urn": "100001",
            },
        )
        data = {"plan": "cp" if serial % 2 else "cin", "start_date": start, "social_worker": "sw"}
        data |= {"category": "NEG"} if serial % 2 else {}
        pupil = services.pupils.record_episode(dsl, pupil.id, data | ({"end_date": end} if end else {}))
        expected[name] = cohort_status(pupil.episodes, as_of)
    assert set(expected.values()) == {"open", "previous", None}
    on_roll_since(services, as_of)
    (row,) = services.la.la(principal(services, "vs"), as_of, search="100001")["schools"]
    assert row["open"] == sum(status == "open" for status in expected.values())
    assert row["previous"] == sum(status == "previous" for status in expected.values())
    assert row["child_protection"] == sum(
        status == "open" and n % 2 == 1 and episodes[name][0] <= "2026-11-23"
        for n, (name, status) in enumerate(expected.items(), 1)
    )


def test_with_no_marks_absence_is_unknown_not_none_absent(services: Services) -> None:
    """From a new user's walk: at a date with no attendance marks the dashboard showed attendance as "—" but
    persistent absence as 0.0%. With no marks, neither is known, on the dashboard, its page and the LA's view."""
    dsl = principal(services, "dsl")
    pupil = services.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 88), "given_name": "Wyn", "family_name": "Nomarks",
         "date_of_birth": "2016-01-01", "school_urn": "100001"},
    )  # fmt: skip
    services.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    today = services_today(services)
    board = services.dashboard.cohort(dsl, "100001", today)
    for group in ("cohort", "school"):
        figures = board[group]
        assert figures["pupils"] == 1 and figures["pupils_with_marks"] == 0
        assert figures["attendance_percent"] is figures["persistent_absence_percent"] is figures["severe_absence_percent"] is None
    [row] = [r for r in services.la.la(principal(services, "vs"), today)["schools"] if r["urn"] == "100001"]
    assert row["persistent_absence_percent"] is row["severe_absence_percent"] is None
    app = create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
    page = client.get("/cohort?school=100001").get_data(as_text=True)
    comparison = page[page.index('id="comparison"') : page.index('id="comparison-note"')]
    cells = re.findall(r'numeric">([^<]*)</td>', comparison)  # per row: pupils, attendance, persistent, severe, ...
    assert len(cells) == 14 and cells[1:4] == cells[8:11] == ["—", "—", "—"]
    assert "next review below, are as recorded by the end of" in page and "SEN support or an EHC plan is as recorded now" in page


def test_a_page_without_a_date_is_as_at_englands_today(database: Database) -> None:
    """At 23:30 UTC in summer it is already tomorrow in England: a page's "today" is the school's."""
    svc = _services(database, Clock(datetime(2027, 6, 14, 23, 30, tzinfo=UTC)))
    seed_people(svc)
    try:
        app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
        client = app.test_client()
        assert client.post("/login", data={"username": "dsl", "password": "correct horse battery"}).status_code == 302
        assert "as at 15 June 2027" in client.get("/cohort?school=100001").get_data(as_text=True)
    finally:
        svc.close()


def test_the_la_is_named_by_its_code_in_words_until_a_school_names_it(services: Services) -> None:
    """From a new user's walk: the page said "LA 881"; an LA's name comes only from its schools' data."""
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SERVICES": services})
    client = app.test_client()
    assert client.post("/login", data={"username": "vs", "password": "correct horse battery"}).status_code == 302
    page = client.get("/la").get_data(as_text=True)
    assert f"Local authority {LA} · 1 school" in page and f"LA {LA}" not in page
    assert services.accounts.add_school("100005", "Brook School", LA, la_name="Testshire")
    assert f"Testshire ({LA}) · 2 schools" in client.get("/la").get_data(as_text=True)
