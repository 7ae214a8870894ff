"""From a reviewer: the governors' report "as at 1 January 1999" counted today's roll (20 pupils on roll), as a
pupil's place on the roll was not dated. The roll as at a day is the pupils on the school's roll that day: those
registered on or before it (no day of joining or leaving is recorded), one rule that every report, dashboard and
the cohort follow. A day before the school's first record in Caseflow is refused as a day to come is: the page
shows today's figures with the message on the "as at" box, a CSV shows that page (400), the API answers
problem+json 400; and the access log keeps the refusal, then the read of today's figures, not a read of the day
asked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from caseflow.adapters.tables import access_log
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from tests.conftest import LA, SCHOOL, Clock, Database, _services, principal, seed_people
from tests.test_dates_typed_one_way import field_errors, signed_in, summary

FIRST = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)  # the school's first pupils are registered
LATER = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)  # and more, with a plan begun before they joined
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BETWEEN = date(2026, 10, 1)
REFUSED = "Caseflow holds no records for Oakfield Primary School before 3 September 2026: give that day or later."
LA_REFUSED = "Caseflow holds records for every school of the local authority only from 3 September 2026: give that day or later."


@pytest.fixture
def clock() -> Clock:
    return Clock(FIRST)


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = _services(database, clock)
    seed_people(services)
    dsl = principal(services, "dsl")

    def register(serial: int, plan: bool) -> None:
        pupil = services.pupils.register(
            dsl,
            {"upn": make_upn("881", "2001", 2019, serial), "given_name": f"P{serial}", "family_name": "Roll",
             "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
        )  # fmt: skip
        if plan:
            services.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2025-01-06", "social_worker": "sw"})

    for serial in range(1, 13):  # twelve on the roll from 3 September, six of them with a plan
        register(serial, plan=serial <= 6)
    clock.now = LATER
    for serial in range(13, 20):  # seven more from 12 October, five with a plan begun at another school
        register(serial, plan=serial <= 17)
    clock.now = NOW
    yield services
    services.close()


def test_the_roll_and_the_cohort_as_at_a_day_are_the_pupils_on_the_roll_that_day(svc: Services) -> None:
    governor, dsl, vs = principal(svc, "governor"), principal(svc, "dsl"), principal(svc, "vs")
    then, now = svc.reports.governors(governor, SCHOOL, BETWEEN), svc.reports.governors(governor, SCHOOL, NOW.date())
    assert (then["whole_school_pupils"], then["cohort"]["open"]) == (12, 6)
    assert (now["whole_school_pupils"], now["cohort"]["open"]) == (19, 11)
    la_then = svc.reports.la(principal(svc, "auditor"), LA, BETWEEN)
    assert (la_then["whole_school_pupils"], la_then["cohort"]["open"]) == (12, 6)
    board = svc.dashboard.cohort(dsl, SCHOOL, BETWEEN)
    assert (board["school"]["pupils"], board["cohort"]["pupils"], len(board["pupils"])) == (12, 6, 6)
    assert svc.dashboard.cohort(dsl, SCHOOL, NOW.date())["school"]["pupils"] == 19
    assert len(svc.cohort.cohort(dsl, SCHOOL, BETWEEN)) == 6 and len(svc.cohort.cohort(dsl, SCHOOL, NOW.date())) == 11
    school = next(s for s in svc.la.la(vs, BETWEEN)["schools"] if s["urn"] == SCHOOL)
    assert (school["open"], school["cohort"]) == (6, 6), "the LA view counts the school's cohort as its dashboard does"
    assert next(s for s in svc.la.la(vs, NOW.date())["schools"] if s["urn"] == SCHOOL)["open"] == 11
    on_the_day = svc.reports.governors(governor, SCHOOL, LATER.date())
    assert on_the_day["whole_school_pupils"] == 19, "a pupil registered on a day is on the roll that day"


@pytest.mark.parametrize(
    ("who", "address", "title"),
    [
        ("governor", "/reports/governors", "Governors"),
        ("governor", "/reports/governors.csv", "Governors"),
        ("vs", "/reports/la", "LA"),
        ("vs", "/reports/la.csv", "LA"),
        ("dsl", "/cohort", "Cohort dashboard"),
        ("vs", "/la", "Schools in the LA"),
    ],
)
def test_a_day_before_the_schools_first_record_is_refused_and_todays_figures_shown(
    svc: Services, who: str, address: str, title: str
) -> None:
    client = signed_in(svc, who)
    response = client.get(f"{address}?as_of=01/01/1999")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert field_errors(html)["as_of"] == (REFUSED if who != "vs" else LA_REFUSED)
    assert "The date could not be used" in summary(html) or address.startswith("/reports")
    assert "1 January 1999" not in html
    if not address.startswith("/reports"):
        assert "as at 2 November 2026" in html, "the dashboards show today's figures; a report shows none"
    assert client.get(f"{address}?as_of=3/9/2026").status_code == 200, "the first day is taken"
    assert client.get(f"{address}?as_of=2/9/2026").status_code == 400


def test_the_api_refuses_a_day_before_the_first_record_as_problem_json(svc: Services) -> None:
    client = signed_in(svc, "governor")
    token = svc.accounts.issue_token("governor")
    auth = {"Authorization": f"Bearer {token}"}
    answer = client.get(f"/api/v1/reports/governors?school_urn={SCHOOL}&as_of=1999-01-01", headers=auth)
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert body["status"] == 400 and body["detail"] == REFUSED and body["errors"] == {"as_of": [REFUSED]}
    assert client.get(f"/api/v1/reports/governors?school_urn={SCHOOL}&as_of=2026-09-03", headers=auth).status_code == 200
    officer = {"Authorization": f"Bearer {svc.accounts.issue_token('vs')}"}
    la = signed_in(svc, "vs").get(f"/api/v1/reports/la?la_code={LA}&as_of=2026-09-02", headers=officer)
    assert la.status_code == 400 and la.get_json()["errors"] == {"as_of": [LA_REFUSED]}
    not_theirs = client.get("/api/v1/reports/governors?school_urn=100002&as_of=1999-01-01", headers=auth)
    assert not_theirs.status_code == 404, "a school out of scope is not named, nor when its records begin"


def _lines(svc: Services, action: str) -> list[tuple[str, str | None]]:
    with svc.engine.connect() as conn:
        query = select(access_log.c.outcome, access_log.c.detail).where(access_log.c.action == action).order_by(access_log.c.id)
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("asked", "why"),
    [
        ("01/01/1999", REFUSED),
        ("31/02/2026", "The date must be a real date, for example 27/03/2017"),
        ("01/01/2030", "The date must be today or earlier: figures are known only up to today (2 November 2026)"),
    ],
)
def test_a_refused_day_is_logged_as_refused_and_no_read_of_it(svc: Services, asked: str, why: str) -> None:
    """The auditor reads the access log: a report asked for a day it could not be given was logged as a read (of
    today's report, built and not shown), as if figures had been seen. It is logged refused, with the day asked
    and why; a read's line names the day its figures are as at. A dashboard, which shows today's figures in
    place of the day refused, logs that read too, naming today."""
    client = signed_in(svc, "governor")
    assert client.get(f"/reports/governors?school_urn={SCHOOL}&as_of={asked}").status_code == 400
    assert client.get(f"/reports/governors.csv?school_urn={SCHOOL}&as_of={asked}").status_code == 400
    refusal = ("refused", f"school {SCHOOL}, as at {asked}: {why}")
    assert _lines(svc, "governors_report") == [refusal, refusal]
    assert client.get(f"/reports/governors?school_urn={SCHOOL}&as_of=1/10/2026").status_code == 200
    assert _lines(svc, "governors_report")[-1] == ("ok", f"school {SCHOOL}, as at 2026-10-01")
    assert signed_in(svc, "dsl").get(f"/cohort?school_urn={SCHOOL}&as_of={asked}").status_code == 400
    assert _lines(svc, "view_dashboard") == [refusal, ("ok", f"school {SCHOOL}, as at 2026-11-02")]


def test_an_upgraded_database_dates_each_pupils_roll_from_their_registration(database: Database, svc: Services) -> None:
    """The migration fills ``on_roll_from`` from each registration in the log, as the projection writes it."""
    from caseflow.adapters.migrate import downgrade, upgrade
    from caseflow.adapters.tables import pupils

    def held() -> list[tuple[str, date]]:
        with svc.engine.connect() as conn:
            return sorted(conn.execute(select(pupils.c.upn, pupils.c.on_roll_from)).all())  # type: ignore[arg-type]

    projected = held()
    assert {day for _, day in projected} == {FIRST.date(), LATER.date()}
    svc.engine.dispose()
    downgrade(database.owner_url, "0022")
    upgrade(database.owner_url)
    assert held() == projected


# --- the day a pupil joined the school (pupil_record@6) -------------------------------------------------
def test_a_pupil_registered_after_joining_is_on_the_roll_from_the_day_they_joined(svc: Services) -> None:
    """A school starting with Caseflow in November registers a roll that joined in September: with no day of joining,
    every report before the day of registering was refused and September's figures counted nobody."""
    dsl = principal(svc, "dsl")
    joined = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 40), "given_name": "Early", "family_name": "Joiner",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL, "on_roll_from": "2026-09-01"},
    )  # fmt: skip
    assert [p["pupil_id"] for p in svc.reads.roll([SCHOOL], date(2026, 9, 1))] == [joined.id]
    assert joined.id in {p["pupil_id"] for p in svc.reads.roll([SCHOOL], BETWEEN)}
    assert svc.reads.roll([SCHOOL], date(2026, 8, 31)) == []
    assert [b["first_day"] for b in svc.reads.roll_begins([SCHOOL])] == [date(2026, 9, 1)]


@pytest.mark.parametrize(
    ("joined", "field_message"),
    [
        ("2026-11-03", "The day the pupil joined the school cannot be in the future."),
        ("2015-12-31", "The pupil cannot have joined the school before they were born (1 January 2016)."),
    ],
)
def test_a_day_of_joining_after_today_or_before_birth_is_refused(svc: Services, joined: str, field_message: str) -> None:
    from caseflow.domain.errors import GuardFailed, InvalidData

    with pytest.raises((GuardFailed, InvalidData)) as refused:
        svc.pupils.register(
            principal(svc, "dsl"),
            {"upn": make_upn("881", "2001", 2019, 41), "given_name": "No", "family_name": "Joiner",
             "date_of_birth": "2016-01-01", "school_urn": SCHOOL, "on_roll_from": joined},
        )  # fmt: skip
    error = refused.value
    told = [(u.field, u.message) for u in error.unmet] if isinstance(error, GuardFailed) else [
        (name, m) for name, ms in error.errors.items() for m in ms
    ]
    assert ("on_roll_from", field_message) in told
    assert svc.reads.pupil_id_for_upn(make_upn("881", "2001", 2019, 41)) is None


def test_a_pupils_file_gives_the_day_each_joined(svc: Services) -> None:
    upn = make_upn("881", "2001", 2019, 42)
    text = f"upn,given_name,family_name,date_of_birth,school_urn,on_roll_from\n{upn},Ann,Filed,01/01/2016,{SCHOOL},2/9/2026\n"
    from caseflow.domain.roles import Actor

    svc.imports.run("pupils", text, Actor("dsl", "dsl"), frozenset({SCHOOL}))
    pupil_id = svc.reads.pupil_id_for_upn(upn)
    assert pupil_id in {p["pupil_id"] for p in svc.reads.roll([SCHOOL], date(2026, 9, 2))}
    assert pupil_id not in {p["pupil_id"] for p in svc.reads.roll([SCHOOL], date(2026, 9, 1))}


def test_the_demo_school_s_roll_joined_before_this_school_year(sqlite_database: Database) -> None:
    """The demo registers its roll on the day it is loaded: with no day of joining, every figure as at a day of this
    term before then was refused on the demo's dashboards and reports."""
    from caseflow.demo import load_demo
    from caseflow.domain.school_calendar import school_year

    svc = _services(sqlite_database, Clock(NOW))
    assert load_demo(svc, echo=lambda _: None)
    first_day = svc.reads.roll_begins([SCHOOL])[0]["first_day"]
    assert first_day == date(school_year(NOW.date()) - 1, 9, 1)
    assert len(svc.reads.roll([SCHOOL], date(school_year(NOW.date()), 9, 1))) == len(svc.reads.roll([SCHOOL], NOW.date()))
    svc.close()


def test_the_registration_form_asks_the_day_the_pupil_joined_typed_as_every_date_box(svc: Services) -> None:
    client = signed_in(svc, "dsl")
    form = client.get("/pupils/new").get_data(as_text=True)
    assert "Joined the school on" in form and "Leave empty if the pupil joins today." in form
    upn = make_upn("881", "2001", 2019, 43)
    sent = {"upn": upn, "given_name": "Typed", "family_name": "Joiner", "date_of_birth": "1/1/2016",
            "school_urn": SCHOOL, "on_roll_from": "2/9/2026"}  # fmt: skip
    assert client.post("/pupils/new", data=sent).status_code == 302
    assert svc.reads.pupil_id_for_upn(upn) in {p["pupil_id"] for p in svc.reads.roll([SCHOOL], date(2026, 9, 2))}
