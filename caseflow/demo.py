"""Demo data: one school, one user per role, pupils in the cohort, and cases at every step.

Everything is created through the same services users go through, so the demo
history is as valid (and as verifiable) as real history. Loading is idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from caseflow.bootstrap import Services
from caseflow.config import is_production
from caseflow.domain.events import london_date
from caseflow.domain.passwords import DEMO_PASSWORD
from caseflow.domain.school_calendar import easter_sunday, school_term, school_year
from caseflow.domain.upn import check_letter
from caseflow.services.access import Principal
from caseflow.services.school_calendars import calendar_body

SCHOOL = ("100001", "Oakfield Primary School", "881")
OTHER_SCHOOL = ("100002", "Riverside Academy", "881")
#: the demo's local authorities by name, as the DfE's register of schools gives it beside the code
LA_NAMES = {"881": "Essex"}

#: username, role, display name, school-bound
DEMO_USERS = [
    ("dsl", "dsl", "Dana Shah (DSL)", True),
    ("head", "headteacher", "Harriet Okafor (Headteacher)", True),
    ("slt", "slt", "Sam Lewis (Deputy head)", True),
    ("senco", "senco", "Priya Nair (SENCo)", True),
    ("mhl", "mental_health_lead", "Tom Reid (Senior mental health lead)", True),
    ("teacher", "teacher", "Alex Brown (Class teacher)", True),
    ("sw", "social_worker", "Jo Evans (Social worker)", False),
    ("vs", "virtual_school", "Morgan Hale (Virtual School officer)", False),
    ("governor", "governor", "Chris Patel (Governor for CwSW)", True),
    ("auditor", "auditor", "Lee Morgan (Auditor)", False),
    ("admin", "admin", "Ash Green (System administrator)", False),
]


class DemoRefused(RuntimeError):
    """The demo cannot be loaded here."""


def make_upn(la: str, establishment: str, year: int, serial: int) -> str:
    body = f"{la}{establishment}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body


#: given, family, year group, plan (None: never), whether the plan is still open, how far to walk the case
PUPILS: list[tuple[str, str, int, str | None, bool, str | None]] = [
    ("Amara", "Osei", 6, "cin", True, "need_identified"),
    ("Ben", "Carter", 5, "cp", True, "one_plan"),
    ("Chloe", "Nowak", 4, "cin", True, "multi_agency_review"),
    ("Daniel", "Hughes", 6, "cin", False, "intervention"),
    ("Ellie", "Khan", 3, "cp", True, "evaluation"),
    ("Finley", "Ward", 6, "cin", True, "transition"),
    ("Grace", "Adeyemi", 5, "cin", False, "closed"),
    ("Harry", "Singh", 2, None, False, None),
]
#: the rest of the demo school's roll: no social worker, attendance only, so that the cohort has a whole
#: school to be set beside (with only a handful outside the cohort, the reports rightly withhold it)
CLASSMATES = [
    ("Isla", "Brown", 2), ("Jack", "Patel", 3), ("Keira", "Lewis", 4), ("Leo", "Murphy", 5), ("Maya", "Ali", 6),
    ("Noah", "Evans", 2), ("Olivia", "Green", 3), ("Priya", "Shah", 4), ("Reuben", "Cole", 5), ("Sofia", "Rossi", 6),
    ("Theo", "Baker", 3), ("Zara", "Hussain", 4),
]  # fmt: skip


def load_demo(services: Services, echo: Callable[[str], None] = print) -> bool:
    """Load the demo; return False (and change nothing) if it is already there. Never in production: its
    accounts' password is published (``SqlAccounts.add_user``'s ``demo``)."""
    if is_production():
        raise DemoRefused("The demo is not loaded in production (CASEFLOW_ENV=production): its password is published.")
    accounts = services.accounts
    if accounts.user("dsl") is not None:
        echo("Demo data already loaded.")
        return False
    for urn, name, la in (SCHOOL, OTHER_SCHOOL):
        accounts.add_school(urn, name, la, LA_NAMES.get(la))
    for username, role, display, school_bound in DEMO_USERS:
        accounts.add_user(
            username,
            [role],
            [SCHOOL[0]] if school_bound else [],
            password=DEMO_PASSWORD,
            display_name=display,
            la_code=SCHOOL[2] if role == "virtual_school" else None,
            demo=True,
        )
    principals = {u: _principal(services, u) for u, *_ in DEMO_USERS}
    today = london_date(
        services.cases.clock()
    )  # the school's day, in England (a UTC date is a day behind near midnight in summer)
    # the roll joined at the start of last school year: the figures as at any day of this one count it
    joined = date(school_year(today) - 1, 9, 1).isoformat()
    for serial, (given, family, year_group, plan, still_open, step) in enumerate(PUPILS, start=1):
        pupil = services.pupils.register(
            principals["dsl"],
            {
                "upn": make_upn(SCHOOL[2], "2001", 2019, serial),
                "given_name": given,
                "family_name": family,
                "date_of_birth": date(2026 - 5 - year_group, 1 + serial, 10).isoformat(),
                "school_urn": SCHOOL[0],
                "year_group": year_group,
                "on_roll_from": joined,
            },
        )
        if plan:
            episode: dict[str, Any] = {
                "plan": plan,
                "start_date": (today - timedelta(days=400)).isoformat(),
                "social_worker": "sw",
            }
            if plan == "cp":
                episode["category"] = "NEG"
            if not still_open:
                episode["end_date"] = (today - timedelta(days=30)).isoformat()
            services.pupils.record_episode(principals["dsl"], pupil.id, episode)
        record(services, principals["senco"], pupil.id, serial)
        if step:
            walk(services, principals, pupil.id, step, today)
    for serial, (given, family, year_group) in enumerate(CLASSMATES, start=len(PUPILS) + 1):
        pupil = services.pupils.register(
            principals["dsl"],
            {
                "upn": make_upn(SCHOOL[2], "2001", 2019, serial),
                "given_name": given,
                "family_name": family,
                "date_of_birth": date(2026 - 5 - year_group, 1 + serial % 12, 12).isoformat(),
                "school_urn": SCHOOL[0],
                "year_group": year_group,
                "on_roll_from": joined,
            },
        )
        attend(services, principals["senco"], pupil.id, serial)
        judge(services, principals["senco"], pupil.id, serial, CLASSMATE_JUDGEMENTS)
    pending = services.reads.pupil_id_for_upn(make_upn(SCHOOL[2], "2001", 2019, 3))
    if pending:
        case_id = services.reads.cases_of_pupil(pending)[0]
        _act(
            services,
            principals["slt"],
            case_id,
            "propose_suspension",
            {
                "days": 2,
                "start_date": school_day_after(services, today, 3).isoformat(),
                "reason": "Repeated serious disruption in class despite support.",
            },
        )
    suspended = services.reads.pupil_id_for_upn(make_upn(SCHOOL[2], "2001", 2019, 2))
    if suspended:
        decide_a_suspension(services, principals, services.reads.cases_of_pupil(suspended)[0], today)
    rate_practice(services, principals)
    for year in (school_year(today), school_year(today) + 1):
        dates, closures = typical_school_year(year)
        services.calendars.set_year(principals["head"], SCHOOL[0], year, calendar_body(dates, closures))
    echo("Demo data loaded.")
    return True


def school_day_after(services: Services, today: date, count: int) -> date:
    """The ``count``-th school day after ``today`` by the demo school's term dates, or the ``count``-th
    weekday where they are not set: a suspension starts on a school day (support_journey@5)."""
    found = services.reads.school_calendar(SCHOOL[0]).school_day(today, count)
    day = today
    while found is None and count:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return found or day


def _weekday_on_or_after(day: date, weekday: int = 0) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _open_on_or_after(day: date) -> date:
    return day if day.weekday() < 5 else _weekday_on_or_after(day)


def _week(monday: date) -> list[date]:
    return [monday + timedelta(days=n) for n in range(5)]


def typical_school_year(year: int) -> tuple[dict[str, tuple[date, date]], list[date]]:
    """Term dates and closures shaped like an English LA's (for the demo school: a real school sets its
    own): half terms in late October, mid February and late May, Easter holidays around Easter Day, a
    training day on the first day of the year, and the May bank holidays."""
    easter = easter_sunday(year + 1)
    autumn = (_open_on_or_after(date(year, 9, 2)), _weekday_on_or_after(date(year, 12, 15), 4))
    spring = (_open_on_or_after(date(year + 1, 1, 5)), easter - timedelta(days=3))
    summer = (easter + timedelta(days=8), _weekday_on_or_after(date(year + 1, 7, 18), 2))
    early_may = _weekday_on_or_after(date(year + 1, 5, 1))
    late_may = _weekday_on_or_after(date(year + 1, 5, 25))
    closures = [autumn[0], *_week(_weekday_on_or_after(date(year, 10, 23))), *_week(_weekday_on_or_after(date(year + 1, 2, 12)))]
    closures += [early_may, *_week(late_may)]
    terms = {"autumn": autumn, "spring": spring, "summer": summer}
    return terms, [d for d in closures if any(first <= d <= last for first, last in terms.values())]


def decide_a_suspension(services: Services, principals: dict[str, Principal], case_id: str, today: date) -> None:
    """A suspension heard by the social worker and decided, with the parents and the social worker
    told and the governing board and the LA still owed their notices (as the case page then shows)."""
    proposal = _act(
        services,
        principals["slt"],
        case_id,
        "propose_suspension",
        {"days": 3, "start_date": school_day_after(services, today, 1).isoformat(), "reason": "Threw a chair in class."},
    )
    _act(
        services,
        principals["sw"],
        case_id,
        "add_contribution",
        {"kind": "exclusion_view", "proposal": proposal,
         "contribution": "Home is unsettled this month; keep the suspension short and set up a reintegration meeting."},
    )  # fmt: skip
    _act(
        services,
        principals["head"],
        case_id,
        "decide_suspension",
        {
            "proposal": proposal,
            "decision": "suspend",
            "reasons": "Physical aggression towards another pupil at lunchtime, as the behaviour policy sets out.",
        },
    )
    for recipient, how in (("parents", "letter"), ("social_worker", "email")):
        _act(
            services,
            principals["head"],
            case_id,
            "record_decision_notice",
            {"proposal": proposal, "recipient": recipient, "notified_on": today.isoformat(), "how": how},
        )


#: (who, indicator, rating, evidence, next steps): a school part way through its self-assessment
RATINGS = [
    ("dsl", "1", "embedded", "The DSL keeps the cohort list in Caseflow and reviews attendance, SEND and suspensions "
     "half-termly with the SENCo.", None),
    ("head", "5", "developing", "A termly data report goes to the full governing body; the named governor for CwSW "
     "was appointed this term.", "Add interventions and their evaluations to the termly report."),
    ("dsl", "9", "developing", "Attachment-awareness training for teaching staff in September; support staff not yet "
     "trained.", "Train lunchtime and support staff by the spring term."),
    ("slt", "16", "not_yet", "Strengths and aspirations conversations happen for some pupils, not as routine.",
     "A strengths conversation at each One Plan review."),
    ("dsl", "21", "embedded", "SDQs completed each term for every pupil in the cohort and compared on the cohort page.", None),
]  # fmt: skip


def rate_practice(services: Services, who: dict[str, Principal]) -> None:
    """Some of the school's self-assessment against the guidance, so the governors' report shows it."""
    version = 0
    for user, indicator, rating, evidence, next_steps in RATINGS:
        data = {"indicator": indicator, "rating": rating, "evidence": evidence}
        if next_steps:
            data["next_steps"] = next_steps
        version = services.self_assessment.assess(who[user], SCHOOL[0], version, data).version


def record(services: Services, senco: Principal, pupil_id: str, serial: int) -> None:
    """What the school tracks besides the journey: SEND, the class teacher and the classroom profile."""

    def fact(action: str, data: dict[str, Any]) -> None:
        services.pupils.act(senco, pupil_id, action, services.store.current_version(pupil_id), data)

    attend(services, senco, pupil_id, serial)
    judge(services, senco, pupil_id, serial, COHORT_JUDGEMENTS)
    if serial <= 7:
        # two questionnaires a term apart, the later no later than today (a date cannot be in the future)
        later = min(date(2026, 11, 15), london_date(services.pupils.clock()))
        earlier = min(date(2026, 9, 20), later - timedelta(days=56))
        for when, shift in ((earlier.isoformat(), 0), (later.isoformat(), -3 if serial % 2 else 2)):
            base = 10 + serial * 2
            fact(
                "record_wellbeing",
                {
                    "measure": "sdq",
                    "informant": "teacher",
                    "administered_on": when,
                    "emotional": min(10, max(0, base // 4 + shift // 2)),
                    "conduct": min(10, max(0, base // 5)),
                    "hyperactivity": min(10, max(0, base // 4 + shift - shift // 2)),
                    "peer": min(10, max(0, base // 6)),
                    "prosocial": 6,
                },
            )
    fact(
        "record_send_status",
        {"status": ["none", "sen_support", "ehc_plan"][serial % 3], "since": "2025-09-01"}
        | ({"primary_need": "SEMH"} if serial % 3 else {}),
    )
    if serial <= 5:  # the family's key contact: the SENCo or the senior mental health lead
        contact = ("Priya Nair", "SENCo") if serial % 2 else ("Tom Reid", "Senior mental health lead")
        preferred = ["phone", "text_message", "email", "in_person", "phone"][serial - 1]
        fact("name_key_contact", {"name": contact[0], "job_title": contact[1], "preferred_contact": preferred})
    if serial == 6:
        fact("record_care_status", {"status": "previously_looked_after", "since": "2023-04-01", "order": "sgo"})
    if serial <= 4:
        fact("assign_teacher", {"teacher": "teacher"})
        fact(
            "record_classroom_profile",
            {
                "needs": "Finds transitions between lessons hard; may arrive unsettled after weekends.",
                "triggers": "Sudden changes of plan; raised voices.",
                "strategies": "A quiet five minutes with a trusted adult; a visual timetable on the desk.",
                "adjustments": "Seat near the door; PSHE topics on family discussed with the SENCo first.",
            },
        )


#: judgements against expected, in turn by pupil and subject: the cohort's and their classmates' (most of
#: the classmates at the expected standard; fewer of the cohort, as the research found)
COHORT_JUDGEMENTS = ("below", "working_towards", "expected", "working_towards", "greater_depth")
CLASSMATE_JUDGEMENTS = ("expected", "greater_depth", "expected", "working_towards", "expected")


def judge(services: Services, senco: Principal, pupil_id: str, serial: int, judgements: tuple[str, ...]) -> None:
    """This term's judgement in reading, writing and maths, as the MIS would send it."""
    term = school_term(london_date(services.pupils.clock()))
    for shift, subject in enumerate(("reading", "writing", "maths")):
        data = {"school_year": term.school_year, "term": term.name, "subject": subject,
                "judgement": judgements[(serial + shift) % len(judgements)]}  # fmt: skip
        services.pupils.act(senco, pupil_id, "record_attainment", services.store.current_version(pupil_id), data)


def attend(services: Services, senco: Principal, pupil_id: str, serial: int) -> None:
    """The pupil's attendance marks since the start of the school year: a few absences each, more for some."""
    absence_every = {2: 7, 5: 2, 6: 9, 13: 8}.get(serial, 30)  # pupils 2 and 5 are persistently and severely absent
    marks = []
    day = date(2026, 9, 3)
    while day <= london_date(services.cases.clock()):
        if day.weekday() < 5:
            for index, session in enumerate(("AM", "PM")):
                number = day.toordinal() * 2 + index + serial
                present = "/" if session == "AM" else "\\"
                code = ("N" if number % 3 else "I") if number % absence_every == 0 else present
                marks.append({"date": day.isoformat(), "session": session, "code": code})
        day += timedelta(days=1)
    services.pupils.act(senco, pupil_id, "record_attendance", services.store.current_version(pupil_id), {"marks": marks})


def _principal(services: Services, username: str) -> Principal:
    user = services.accounts.user(username)
    assert user is not None
    principal = services.accounts.principal(user["id"])
    assert principal is not None
    return principal


def _act(services: Services, principal: Principal, case_id: str, action: str, data: dict[str, Any]) -> int:
    after, _ = services.cases.act(principal, case_id, action, services.store.current_version(case_id), data)
    return after.version


def walk(services: Services, who: dict[str, Principal], pupil_id: str, step: str, today: date) -> str:
    """Open a case and take it, through every guard, as far as ``step``."""
    case = services.cases.open_case(
        who["dsl"],
        {
            "pupil_id": pupil_id,
            "need_areas": ["attendance", "semh"],
            "description": "Attendance has fallen to 86% this term and the pupil seems withdrawn in class.",
        },
    )
    order = ["need_identified", "one_plan", "multi_agency_review", "intervention", "evaluation", "transition", "closed"]
    target = order.index(step)

    def act(user: str, action: str, data: dict[str, Any] | None = None) -> int:
        return _act(services, who[user], case.id, action, data or {})

    if target >= 1:
        act("dsl", "start_one_plan")
        act(
            "dsl",
            "record_plan",
            {
                "outcomes": ["Attendance above 95% by the end of term", "Has a trusted adult to go to each day"],
                "strengths": "Kind to others; loves art and football.",
                "aspirations": "Wants to be a vet; would like to join the art club.",
            },
        )
        act("dsl", "record_family_views", {"views": "Mum wants more contact about good days, not just problems."})
        act(
            "senco",
            "record_pupil_voice",
            {"voice": "I like Mrs Patel's class. Mornings are hard.", "how_gathered": "Talk with the SENCo"},
        )
        if services.cases.pupil(pupil_id).open_plan(today):
            act(
                "sw",
                "add_contribution",
                {"kind": "social_care_view", "contribution": "Family engaging with the plan; mornings at home remain chaotic."},
            )
    if target >= 2:
        act("dsl", "convene_review")
        act(
            "dsl",
            "record_meeting",
            {
                "date": (today - timedelta(days=20)).isoformat(),
                "attendees": [
                    {"name": "Dana Shah", "agency": "school"},
                    {"name": "Jo Evans", "agency": "social_care"},
                    {"name": "Mum", "agency": "family"},
                ],
                "aspirations_discussed": True,
                "notes": "Agreed a breakfast club place and a daily check-in.",
            },
        )
    if target >= 3:
        intervention = act(
            "senco",
            "plan_intervention",
            {
                "intervention": "Breakfast club and daily check-in",
                "owner": "Priya Nair",
                "baseline": "Attendance 86%",
                "target": "Attendance 95%",
                "review_date": (today + timedelta(days=42)).isoformat(),
            },
        )
        reading = act(
            "senco",
            "plan_intervention",
            {
                "intervention": "Catch Up Literacy, two sessions a week",
                "programme": "catch_up_literacy",
                "owner": "Sam Ortiz (teaching assistant)",
                "baseline": "Reading age 7y 2m",
                "target": "Reading age 8y 0m",
                "review_date": (today + timedelta(days=42)).isoformat(),
            },
        )
        act("dsl", "agree_interventions")
    if target >= 4:
        act(
            "mhl",
            "record_outcome",
            {"intervention": intervention, "measure": "Attendance 93% over six weeks", "status": "continuing"},
        )
        act("senco", "record_outcome", {"intervention": reading, "measure": "Reading age 7y 8m", "status": "continuing"})
        act("dsl", "evaluate")
    if target >= 5:
        act("dsl", "record_evaluation", {"verdict": "effective", "summary": "Attendance up seven points; mornings calmer."})
        act(
            "dsl",
            "prepare_transition",
            {"kind": "phase_change", "date": (today + timedelta(days=200)).isoformat(), "receiving_setting": "Riverside Academy"},
        )
    if target >= 6:  # the file sent ahead, separately, and its arrival confirmed (KCSIE)
        sent = act("dsl", "record_file_transfer", {"receiving_setting": "Riverside Academy", "sent_on": today.isoformat(),
                                                   "how": "secure_transfer_system", "sent_separately": True})  # fmt: skip
        act("dsl", "record_file_receipt", {"transfer": sent, "received_on": today.isoformat(), "confirmed_by": "R Osei, DSL"})
        act("dsl", "close", {"receiving_setting_informed": True, "records_transferred": True})
    return case.id
