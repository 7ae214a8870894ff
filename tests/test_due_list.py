"""The due list: every intervention still running on an open case whose review date has passed or comes
soon, most overdue first, with its owner; for the school's staff who work its cases, on the page and
through the API. Reading it is logged, a line for each child it names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from flask import Flask

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import InvalidData, NotFound, NotPermitted
from caseflow.services.due import DEFAULT_WITHIN_DAYS, MAX_WITHIN_DAYS
from tests.conftest import OTHER_SCHOOL, SCHOOL, Clock, Database, _services, access_lines, principal, seed_people
from tests.journey_helpers import MEETING, PLAN, services_today
from tests.test_web_security import sign_in

AS_OF = date(2026, 12, 3)
#: when the interventions are planned: before every review date the tests give, as a review date before today is
#: refused (``support_journey@9``); a review becomes overdue as the days pass
PLANNED = datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(PLANNED)


@pytest.fixture
def services(database: Database, clock: Clock) -> Iterator[Services]:
    """Services on each backend, as conftest's, with the clock at ``PLANNED``."""
    svc = _services(database, clock)
    seed_people(svc)
    yield svc
    svc.close()


def _case(svc: Services, n: int, family_name: str, school: str = SCHOOL) -> tuple[str, str]:
    """A pupil with a CiN plan and an open case: (case id, pupil id)."""
    who = principal(svc, "dsl" if school == SCHOOL else "other_dsl")
    pupil = svc.pupils.register(
        who,
        {"upn": make_upn("881", "2001", 2019, n), "given_name": "Ada", "family_name": family_name,
         "date_of_birth": "2016-01-01", "school_urn": school},
    )  # fmt: skip
    svc.pupils.record_episode(who, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    case = svc.cases.open_case(who, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "x"})
    return case.id, pupil.id


def _act(svc: Services, case_id: str, action: str, data: dict[str, Any], who: str = "dsl") -> int:
    case = svc.cases.view(principal(svc, who), case_id).case
    after, _ = svc.cases.act(principal(svc, who), case_id, action, case.version, data)
    return after.version


def _plan(svc: Services, case_id: str, name: str, review: str, owner: str = "Ms Khan", who: str = "dsl") -> int:
    """Plan an intervention; its id is the planning event's version."""
    return _act(
        svc, case_id, "plan_intervention", {"intervention": name, "owner": owner, "baseline": "85%", "review_date": review}, who
    )


def _close(svc: Services, case_id: str) -> None:
    """Walk the case to closed, leaving its interventions running (outcomes 'continuing')."""
    _act(svc, case_id, "start_one_plan", {})
    _act(svc, case_id, "record_plan", PLAN)
    _act(svc, case_id, "record_family_views", {"not_obtained_reason": "Family declined to meet; letter sent."})
    _act(svc, case_id, "record_pupil_voice", {"voice": "I want to be a vet"})
    _act(svc, case_id, "add_contribution", {"kind": "social_care_view", "contribution": "Agreed"}, who="sw")
    _act(svc, case_id, "convene_review", {})
    _act(svc, case_id, "record_meeting", MEETING)
    planned = _plan(svc, case_id, "Reading buddy", "2026-11-01")
    _act(svc, case_id, "agree_interventions", {})
    _act(svc, case_id, "record_outcome", {"intervention": planned, "measure": "90%", "status": "continuing"})
    _act(svc, case_id, "evaluate", {})
    _act(svc, case_id, "record_evaluation", {"verdict": "effective", "summary": "Better"})
    _act(svc, case_id, "prepare_transition", {"kind": "step_down", "date": "2027-09-01"})
    _act(svc, case_id, "close", {"records_transferred": True})


def test_reviews_overdue_and_due_soon_are_listed_most_overdue_first_with_owner_and_step(services: Services) -> None:
    first, first_pupil = _case(services, 1, "Able")
    second, _ = _case(services, 2, "Baker")
    mentoring = _plan(services, first, "Mentoring", "2026-11-20", owner="Mr Patel")
    _plan(services, second, "Breakfast club", "2026-12-03")
    _plan(services, second, "Lego therapy", "2026-12-10", who="senco")
    _plan(services, first, "Tutoring", "2026-12-18")  # 15 days on: outside the default fortnight

    due = services.due.due(principal(services, "dsl"), SCHOOL, AS_OF).interventions

    assert [(d.name, d.review_date.isoformat(), d.days_until(AS_OF)) for d in due] == [
        ("Mentoring", "2026-11-20", -13),
        ("Breakfast club", "2026-12-03", 0),
        ("Lego therapy", "2026-12-10", 7),
    ]
    assert (due[0].case_id, due[0].pupil_id, due[0].intervention, due[0].owner) == (first, first_pupil, mentoring, "Mr Patel")
    assert due[0].state == "need_identified" and due[0].family_name == "Able"
    assert due[0].as_dict(AS_OF)["overdue"] is True and due[1].as_dict(AS_OF)["overdue"] is False
    assert [d.name for d in services.due.due(principal(services, "dsl"), SCHOOL, AS_OF, 0).interventions] == [
        "Mentoring",
        "Breakfast club",
    ]
    assert len(services.due.due(principal(services, "dsl"), SCHOOL, AS_OF, 15).interventions) == 4
    assert services.due.due(principal(services, "dsl"), SCHOOL, date(2026, 11, 19), 0).interventions == []  # as at a past day


def test_an_intervention_leaves_the_list_once_ended_or_given_a_new_review_date(services: Services) -> None:
    ended_case, _ = _case(services, 1, "Able")
    continued_case, _ = _case(services, 2, "Baker")
    ended = _plan(services, ended_case, "Mentoring", "2026-11-20")
    _plan(services, continued_case, "Tutoring", "2026-11-25")
    dsl = principal(services, "dsl")
    assert {d.name for d in services.due.due(dsl, SCHOOL, AS_OF).interventions} == {"Mentoring", "Tutoring"}

    _act(services, ended_case, "record_outcome", {"intervention": ended, "measure": "97%", "status": "completed"})
    assert [d.name for d in services.due.due(dsl, SCHOOL, AS_OF).interventions] == ["Tutoring"]


def test_a_closed_case_and_another_school_are_not_on_the_list(services: Services) -> None:
    closed, _ = _case(services, 1, "Able")
    _close(services, closed)
    elsewhere, _ = _case(services, 2, "Away", school=OTHER_SCHOOL)
    _plan(services, elsewhere, "Mentoring", "2026-11-01", who="other_dsl")

    assert services.due.due(principal(services, "dsl"), SCHOOL, AS_OF).interventions == []
    assert [d.case_id for d in services.due.due(principal(services, "other_dsl"), OTHER_SCHOOL, AS_OF).interventions] == [
        elsewhere
    ]


def test_only_the_schools_case_staff_may_read_it(services: Services) -> None:
    for user in ("dsl", "head", "slt", "senco", "mhl"):
        assert services.due.due(principal(services, user), SCHOOL, AS_OF).interventions == []
    for user in ("teacher", "governor"):  # at the school, but not to see its children's support
        with pytest.raises(NotPermitted):
            services.due.due(principal(services, user), SCHOOL, AS_OF)
    for user in ("other_dsl", "sw", "vs", "auditor", "admin"):
        with pytest.raises(NotFound):
            services.due.due(principal(services, user), SCHOOL, AS_OF)
    with pytest.raises(NotFound):
        services.due.due(principal(services, "dsl"), "999999", AS_OF)


@pytest.mark.parametrize("within", [-1, MAX_WITHIN_DAYS + 1])
def test_a_window_out_of_range_is_a_message(services: Services, within: int) -> None:
    with pytest.raises(InvalidData) as error:
        services.due.due(principal(services, "dsl"), SCHOOL, AS_OF, within)
    assert "within" in error.value.errors
    with pytest.raises(InvalidData):
        services.due.due(principal(services, "dsl"), SCHOOL, date.max, 1)


def test_reading_it_is_logged_with_a_line_for_each_child_named(services: Services) -> None:
    first, first_pupil = _case(services, 1, "Able")
    second, second_pupil = _case(services, 2, "Baker")
    _plan(services, first, "Mentoring", "2026-11-20")
    _plan(services, first, "Tutoring", "2026-11-21")
    _plan(services, second, "Breakfast club", "2026-12-01")
    before = len(access_lines(services))

    services.due.due(principal(services, "senco"), SCHOOL, AS_OF)

    lines = access_lines(services)[before:]
    assert (lines[0]["action"], lines[0]["role"], lines[0]["username"]) == ("view_due", "senco", "senco")
    assert f"school {SCHOOL}" in lines[0]["detail"] and f"within {DEFAULT_WITHIN_DAYS} days" in lines[0]["detail"]
    assert sorted((x["case_id"], x["pupil_id"]) for x in lines[1:] if x["action"] == "due_listed") == sorted(
        [(first, first_pupil), (second, second_pupil)]
    )
    assert len(lines) == 3


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": services, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})


def test_the_page_lists_reviews_with_links_to_each_case_and_is_in_the_menu(app: Flask, services: Services) -> None:
    case_id, _ = _case(services, 1, "Able")
    _plan(services, case_id, "Mentoring", "2026-11-20", owner="Mr Patel")
    client = app.test_client()
    sign_in(client, "senco")
    assert 'href="/due"' in client.get("/").get_data(as_text=True)

    page = client.get("/due?as_of=2026-12-03").get_data(as_text=True)

    assert "Reviews due" in page and "1 review due" in page and "Overdue by 13 days" in page
    assert f'href="/cases/{case_id}"' in page and "Mr Patel" in page and "Mentoring" in page and "Need identified" in page
    quiet = client.get("/due?as_of=2026-11-01&within=0").get_data(as_text=True)
    assert 'id="due-none"' in quiet and "Mentoring" not in quiet
    sign_in(client := app.test_client(), "teacher")
    assert 'href="/due"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("query", ["within=many", "within=-3", f"within={MAX_WITHIN_DAYS + 1}", "within=١٤", "as_of=2026-13-01"])
def test_bad_input_on_the_page_is_a_message_not_an_error(app: Flask, services: Services, query: str) -> None:
    client = app.test_client()
    sign_in(client, "dsl")
    response = client.get(f"/due?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "There is a problem" in page and "Error: Reviews due" in page


def test_the_api_lists_the_same_reviews(app: Flask, services: Services) -> None:
    case_id, pupil_id = _case(services, 1, "Able")
    planned = _plan(services, case_id, "Mentoring", "2026-11-20", owner="Mr Patel")
    headers = {"Authorization": f"Bearer {services.accounts.issue_token('dsl')}"}
    client = app.test_client()

    body = client.get(f"/api/v1/due?school_urn={SCHOOL}&as_of=2026-12-03&within=0", headers=headers).get_json()

    assert body["within_days"] == 0 and body["as_of"] == "2026-12-03"
    assert body["interventions"] == [
        {"case_id": case_id, "intervention": planned, "name": "Mentoring", "owner": "Mr Patel", "review_date": "2026-11-20",
         "days_until": -13, "overdue": True, "state": "need_identified", "pupil_id": pupil_id, "given_name": "Ada",
         "family_name": "Able"}
    ]  # fmt: skip
    for query in ("", f"school_urn={SCHOOL}&within=x", f"school_urn={SCHOOL}&within=401"):
        refused = client.get(f"/api/v1/due?{query}", headers=headers)
        assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert "/due" in client.get("/api/v1/openapi.json").get_json()["paths"]


def _to_evaluation(svc: Services, case_id: str) -> int:
    """Walk the case to evaluation with one intervention (review 2026-11-01) still running; its id."""
    _act(svc, case_id, "start_one_plan", {})
    _act(svc, case_id, "record_plan", PLAN)
    _act(svc, case_id, "record_family_views", {"not_obtained_reason": "Family declined to meet; letter sent."})
    _act(svc, case_id, "record_pupil_voice", {"voice": "I want to be a vet"})
    _act(svc, case_id, "add_contribution", {"kind": "social_care_view", "contribution": "Agreed"}, who="sw")
    _act(svc, case_id, "convene_review", {})
    _act(svc, case_id, "record_meeting", MEETING)
    planned = _plan(svc, case_id, "Reading buddy", "2026-11-01")
    _act(svc, case_id, "agree_interventions", {})
    _act(svc, case_id, "record_outcome", {"intervention": planned, "measure": "90%", "status": "continuing"}, who="senco")
    _act(svc, case_id, "evaluate", {})
    return planned


def test_an_outcome_while_it_continues_keeps_the_date_and_continuing_at_evaluation_moves_it(
    services: Services, app: Flask
) -> None:
    case_id, _ = _case(services, 1, "Able")
    _to_evaluation(services, case_id)
    dsl = principal(services, "dsl")
    assert [(d.name, d.review_date.isoformat()) for d in services.due.due(dsl, SCHOOL, AS_OF).interventions] == [
        ("Reading buddy", "2026-11-01")
    ]

    _act(services, case_id, "record_evaluation", {"verdict": "partly_effective", "summary": "Some progress"})
    _act(services, case_id, "continue_intervention", {"review_date": "2027-03-01"})

    assert services.due.due(dsl, SCHOOL, AS_OF).interventions == []
    assert [d.review_date.isoformat() for d in services.due.due(dsl, SCHOOL, AS_OF, 100).interventions] == ["2027-03-01"]
    assert [i["review_date"] for i in services.cases.view(dsl, case_id).case.interventions()] == ["2027-03-01"]
    client = app.test_client()
    sign_in(client, "dsl")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "1 March 2027" in page and "2027-03-01" not in page  # the page the list links to agrees, in words


def test_the_cohort_dashboard_counts_running_interventions_as_the_due_list_does(services: Services, clock: Clock) -> None:
    closed, closed_pupil = _case(services, 1, "Able")
    _close(services, closed)
    running, running_pupil = _case(services, 2, "Baker")
    _plan(services, running, "Mentoring", "2026-11-20")
    clock.now = datetime.combine(AS_OF, time(9), tzinfo=UTC)  # the review of 20 November has since passed
    today = services_today(services)  # the dashboard counts what was recorded by its day (the due list: now)
    rows = {r["pupil_id"]: r for r in services.dashboard.cohort(principal(services, "dsl"), SCHOOL, today)["pupils"]}
    assert (rows[closed_pupil]["open_interventions"], rows[closed_pupil]["review_overdue"]) == (0, False)
    assert (rows[running_pupil]["open_interventions"], rows[running_pupil]["review_overdue"]) == (1, True)
    assert [d.pupil_id for d in services.due.due(principal(services, "dsl"), SCHOOL, AS_OF).interventions] == [running_pupil]


def test_another_schools_list_is_not_found_whatever_window_is_asked(services: Services, app: Flask) -> None:
    with pytest.raises(NotFound):
        services.due.due(principal(services, "other_dsl"), SCHOOL, AS_OF, -1)
    with pytest.raises(NotFound):
        services.due.due(principal(services, "dsl"), "999999", AS_OF, MAX_WITHIN_DAYS + 1)
    headers = {"Authorization": f"Bearer {services.accounts.issue_token('other_dsl')}"}
    assert app.test_client().get(f"/api/v1/due?school_urn={SCHOOL}&within=-1", headers=headers).status_code == 404


def test_the_page_and_the_api_read_the_window_alike(services: Services, app: Flask) -> None:
    headers = {"Authorization": f"Bearer {services.accounts.issue_token('dsl')}"}
    client = app.test_client()
    for within, status in ((" 14", 200), ("+14", 200), ("%2B14", 422), ("14.0", 422), ("", 422)):  # "+" is a space
        assert client.get(f"/api/v1/due?school_urn={SCHOOL}&within={within}", headers=headers).status_code == status, within
    sign_in(client, "dsl")
    for within, status in ((" 14", 200), ("+14", 200), ("%2B14", 400), ("14.0", 400), ("", 400)):
        assert client.get(f"/due?within={within}").status_code == status, within


def test_the_log_names_the_role_an_action_would_record(services: Services) -> None:
    """A senior leader who is also the SENCo reads the list as SLT, as their actions record them (not the
    first of their roles alphabetically)."""
    services.accounts.add_user("both", ["slt", "senco"], [SCHOOL], password="correct horse battery")
    services.due.due(principal(services, "both"), SCHOOL, AS_OF)
    line = next(a for a in access_lines(services) if a["action"] == "view_due")
    assert (line["username"], line["role"]) == ("both", "slt")


# Wellbeing measures due this term: the county guidance tracks emotional wellbeing termly (SDQ), so the list
# names each child of the cohort with no SDQ completed in the term of its day.

#: the term the list's day (``AS_OF``, 3 December 2026) falls in: autumn 2026, from 1 September as computed
THIS_TERM = "2026-10-01"
#: the summer term before it
LAST_TERM = "2026-06-15"


def _pupil(svc: Services, n: int, family_name: str, plan: bool = True, school: str = SCHOOL) -> str:
    """A pupil of the school since September 2025; with a CiN plan running (in the cohort) unless ``plan`` is False."""
    who = principal(svc, "dsl" if school == SCHOOL else "other_dsl")
    pupil = svc.pupils.register(
        who,
        {"upn": make_upn("881", "2001", 2019, n), "given_name": "Ada", "family_name": family_name,
         "date_of_birth": "2016-01-01", "school_urn": school, "on_roll_from": "2025-09-01"},
    )  # fmt: skip
    if plan:
        svc.pupils.record_episode(who, pupil.id, {"plan": "cin", "start_date": "2025-01-01", "social_worker": "sw"})
    return pupil.id


def _sdq(svc: Services, pupil_id: str, on: str, who: str = "dsl") -> None:
    data = {"measure": "sdq", "informant": "teacher", "administered_on": on, "emotional": 3, "conduct": 2,
            "hyperactivity": 4, "peer": 1}  # fmt: skip
    svc.pupils.act(principal(svc, who), pupil_id, "record_wellbeing", svc.pupils.load(pupil_id).version, data)


def _wellbeing(svc: Services, as_of: date = AS_OF, who: str = "dsl") -> dict[str, date | None]:
    return {w.pupil_id: w.last_sdq_on for w in svc.due.due(principal(svc, who), SCHOOL, as_of).wellbeing}


def test_a_child_of_the_cohort_with_no_sdq_this_term_is_listed_with_their_last(services: Services) -> None:
    never = _pupil(services, 1, "Able")
    last_term = _pupil(services, 2, "Baker")
    this_term = _pupil(services, 3, "Cole")
    _sdq(services, last_term, "2026-03-03")
    _sdq(services, last_term, LAST_TERM)
    _sdq(services, this_term, LAST_TERM)
    _sdq(services, this_term, THIS_TERM, who="mhl")

    found = services.due.due(principal(services, "dsl"), SCHOOL, AS_OF)

    assert [(w.family_name, w.last_sdq_on) for w in found.wellbeing] == [("Able", None), ("Baker", date(2026, 6, 15))]
    assert found.wellbeing[0].pupil_id == never and found.wellbeing[1].cohort_status == "open"
    assert found.term is not None and found.term.label == "autumn term 2026"
    # as at a day in the summer term, the SDQ of 15 June was that term's; the one of 1 October was not yet done
    assert _wellbeing(services, date(2026, 7, 1)) == {never: None}  # (Cole's last, 15 June, was that term's too)


def test_an_sdq_recorded_this_term_takes_the_child_off_the_list(services: Services) -> None:
    pupil_id = _pupil(services, 1, "Able")
    _sdq(services, pupil_id, LAST_TERM)
    assert _wellbeing(services) == {pupil_id: date(2026, 6, 15)}

    _sdq(services, pupil_id, THIS_TERM, who="senco")

    assert _wellbeing(services) == {}
    # a day of the next term (spring, from January): due again, the autumn one its last
    assert _wellbeing(services, date(2027, 1, 11)) == {pupil_id: date(2026, 10, 1)}


def test_a_pupil_not_in_the_cohort_is_never_listed(services: Services) -> None:
    _pupil(services, 1, "Able", plan=False)
    ended = _pupil(services, 2, "Baker", plan=False)
    services.pupils.record_episode(  # ended more than six years before: no longer in the cohort
        principal(services, "dsl"), ended, {"plan": "cin", "start_date": "2018-01-01", "end_date": "2019-06-30"}
    )
    elsewhere = _pupil(services, 3, "Cole", school=OTHER_SCHOOL)
    previous = _pupil(services, 4, "Dunn", plan=False)
    services.pupils.record_episode(
        principal(services, "dsl"), previous, {"plan": "cin", "start_date": "2024-01-01", "end_date": "2025-06-30"}
    )

    assert _wellbeing(services) == {previous: None}  # had a social worker: still in the cohort
    assert [w.cohort_status for w in services.due.due(principal(services, "dsl"), SCHOOL, AS_OF).wellbeing] == ["previous"]
    assert [w.pupil_id for w in services.due.due(principal(services, "other_dsl"), OTHER_SCHOOL, AS_OF).wellbeing] == [elsewhere]


def test_this_term_is_the_schools_own_where_it_has_set_its_dates(services: Services, clock: Clock) -> None:
    """Easter Day 2027 is 28 March. As computed, 24 March is in the spring term; a school whose spring term ends on
    19 March and whose summer term begins on 6 April holds the 24th in the Easter holidays, before the summer term:
    an SDQ done then is the summer term's."""
    pupil_id = _pupil(services, 1, "Able")
    clock.now = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)
    _sdq(services, pupil_id, "2027-03-24")
    summer = date(2027, 5, 3)
    assert _wellbeing(services, summer) == {pupil_id: date(2027, 3, 24)}  # as computed: last term's

    terms = {
        "autumn": ("2026-09-03", "2026-12-18"),
        "spring": ("2027-01-05", "2027-03-19"),
        "summer": ("2027-04-06", "2027-07-21"),
    }
    body = {name: {"first_day": first, "last_day": last} for name, (first, last) in terms.items()} | {"closures": []}
    services.calendars.set_year(principal(services, "head"), SCHOOL, 2026, body)

    assert _wellbeing(services, summer) == {}


def test_reading_the_wellbeing_section_is_logged_for_each_child_named_once(services: Services) -> None:
    listed = _pupil(services, 1, "Able")
    case_id, with_case = _case(services, 2, "Baker")
    _plan(services, case_id, "Mentoring", "2026-11-20")
    done = _pupil(services, 3, "Cole")
    _sdq(services, done, THIS_TERM)
    before = len(access_lines(services))

    services.due.due(principal(services, "head"), SCHOOL, AS_OF)

    lines = [x for x in access_lines(services)[before:] if x["action"] == "due_listed"]
    assert {(x["case_id"], x["pupil_id"]) for x in lines} == {(None, listed), (case_id, with_case)}
    assert len(lines) == 2, "a child named by a case is not named again for their SDQ"


def test_the_page_lists_them_with_the_last_sdq_in_words_and_a_link_to_record_one(app: Flask, services: Services) -> None:
    never = _pupil(services, 1, "Able")
    last_term = _pupil(services, 2, "Baker")
    _sdq(services, last_term, "2026-03-03")
    client = app.test_client()
    sign_in(client, "dsl")

    page = client.get("/due?as_of=2026-12-03").get_data(as_text=True)

    section = page[page.index('id="wellbeing-due"') :]
    assert "Wellbeing measures due this term" in page and "autumn term 2026" in section
    assert "Last SDQ: 3 March 2026" in section and "No SDQ recorded" in section and "2026-03-03" not in section
    for pupil_id in (never, last_term):
        assert f'href="/pupils/{pupil_id}/actions/record_wellbeing"' in section
    assert section.index("Able") < section.index("Baker")
    sign_in(client := app.test_client(), "head")  # may read the list, not record an SDQ: the record, not the form
    section = client.get("/due?as_of=2026-12-03").get_data(as_text=True).split('id="wellbeing-due"')[1]
    assert f'href="/pupils/{never}"' in section and "record_wellbeing" not in section
    _sdq(services, never, THIS_TERM)
    _sdq(services, last_term, THIS_TERM)
    assert 'id="wellbeing-none"' in client.get("/due?as_of=2026-12-03").get_data(as_text=True)


def test_the_api_lists_the_wellbeing_measures_due(app: Flask, services: Services) -> None:
    never = _pupil(services, 1, "Able")
    last_term = _pupil(services, 2, "Baker")
    _sdq(services, last_term, LAST_TERM)
    headers = {"Authorization": f"Bearer {services.accounts.issue_token('dsl')}"}

    body = app.test_client().get(f"/api/v1/due?school_urn={SCHOOL}&as_of=2026-12-03", headers=headers).get_json()

    assert body["wellbeing_term"] == {"school_year": 2026, "name": "autumn"}
    assert body["wellbeing_measures_due"] == [
        {"pupil_id": never, "given_name": "Ada", "family_name": "Able", "cohort_status": "open", "last_sdq_on": None},
        {"pupil_id": last_term, "given_name": "Ada", "family_name": "Baker", "cohort_status": "open",
         "last_sdq_on": "2026-06-15"},
    ]  # fmt: skip
    assert {"interventions", "decisions_owing", "child_protection_files_owing"} <= body.keys()
