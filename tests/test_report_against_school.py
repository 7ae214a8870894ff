"""The governors' report sets the cohort beside the whole school (attendance, persistent and severe
absence, suspensions) and counts the cohort's SDQ movement, with nothing small enough to point to a
child: a group under five shows no figure, and a share resting on fewer than five children is
suppressed like a count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from caseflow.bootstrap import Services, bootstrap
from caseflow.demo import make_upn
from caseflow.services.access import Principal
from caseflow.services.reports import SUPPRESSED, WITHHELD
from tests.conftest import OTHER_SCHOOL, SCHOOL, Clock, Database, principal, seed_people

AS_OF = date(2026, 11, 20)
#: the pupils are registered then: on the roll in July, when one of each one's incidents was, and since
ON_ROLL = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
#: no attainment judged: nothing to show
NOT_JUDGED = {f"{subject}_expected_percent": WITHHELD for subject in ("reading", "writing", "maths")}
PRESENT = {"AM": "/", "PM": "\\"}
SCHOOL_DAYS = [date(2026, 10, 5) + timedelta(days=n) for n in range(12) if (date(2026, 10, 5) + timedelta(days=n)).weekday() < 5]


@pytest.fixture
def svc(database: Database) -> Iterator[Services]:
    services = bootstrap(database.url, clock=Clock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC)))
    seed_people(services)
    yield services
    services.close()


def _pupil(
    svc: Services,
    head: Principal,
    school: str,
    n: int,
    *,
    cohort: bool,
    absent: int,
    sdq: list[int],
    send: str | None = None,
    incidents: int = 0,
) -> None:
    """A pupil on the roll since 1 July 2026, with 20 sessions in October, ``absent`` of them missed, an SDQ per
    total in ``sdq``, a SEND status, and ``incidents`` behaviour incidents this school year (and one the year
    before, not counted)."""
    clock = svc.pupils.clock
    assert isinstance(clock, Clock)
    now, clock.now = clock.now, ON_ROLL
    pupil = svc.pupils.register(
        head,
        {"upn": make_upn("881", "4001", 2018, n), "given_name": "P", "family_name": f"N{n}",
         "date_of_birth": "2016-01-01", "school_urn": school},
    )  # fmt: skip
    clock.now = now
    if cohort:
        svc.pupils.record_episode(head, pupil.id, {"plan": "cin", "start_date": "2026-01-05", "social_worker": "sw"})
    marks = [
        {"date": day.isoformat(), "session": session, "code": "O" if index < absent else PRESENT[session]}
        for index, (day, session) in enumerate((d, s) for d in SCHOOL_DAYS for s in ("AM", "PM"))
    ]
    svc.pupils.act(head, pupil.id, "record_attendance", svc.pupils.load(pupil.id).version, {"marks": marks})
    for when, total in zip(("2026-09-20", "2026-11-15"), sdq, strict=False):
        scale = total // 4
        data = {"measure": "sdq", "informant": "teacher", "administered_on": when, "emotional": scale, "conduct": scale,
                "hyperactivity": scale, "peer": total - 3 * scale}  # fmt: skip
        svc.pupils.act(head, pupil.id, "record_wellbeing", svc.pupils.load(pupil.id).version, data)
    if send is not None:
        data = {"status": send, "since": "2025-09-01"} | ({"primary_need": "SEMH"} if send != "none" else {})
        svc.pupils.act(head, pupil.id, "record_send_status", svc.pupils.load(pupil.id).version, data)
    for when in ["2026-07-10"] * bool(incidents) + ["2026-09-01", "2026-10-14", "2026-11-19"][:incidents]:
        data = {"date": when, "category": "disruption", "severity": "low", "description": "Shouting in class"}
        svc.pupils.act(head, pupil.id, "record_behaviour_incident", svc.pupils.load(pupil.id).version, data)


def test_the_cohort_beside_the_whole_school(svc: Services) -> None:
    dsl = principal(svc, "dsl")
    for n in range(15):  # the cohort: five miss 2 of 20 sessions; SDQs: five fall, five rise, five have one score
        sdq = [20, 12] if n < 5 else [20, 25] if n < 10 else [20]
        send = "ehc_plan" if n < 2 else "sen_support" if n < 6 else "none" if n < 8 else None  # six with SEND
        incidents = 3 if n < 3 else 1 if n < 9 else 0  # nine with 15 incidents this school year
        _pupil(svc, dsl, SCHOOL, n + 1, cohort=True, absent=2 if n < 5 else 0, sdq=sdq, send=send, incidents=incidents)
    for n in range(5):  # the rest of the school: always there, none with SEND, one incident last year only
        _pupil(svc, dsl, SCHOOL, n + 41, cohort=False, absent=0, sdq=[], send="none" if n < 2 else None)
    section: dict[str, Any] = svc.reports.governors(principal(svc, "governor"), SCHOOL, AS_OF)["against_whole_school"]
    assert (section["from_month"], section["to_month"]) == ("2026-09", "2026-11")
    assert section["cohort"] == {
        "pupils": 15,
        "attendance_percent": round(100 * 290 / 300, 1),
        "persistent_absence_percent": round(100 * 5 / 15, 1),
        "severe_absence_percent": WITHHELD,
        "pupils_suspended": SUPPRESSED,
        "suspension_days": WITHHELD,
        "send_percent": 40.0,
        "incidents_percent": 60.0,
        "incidents": 15,
        **NOT_JUDGED,
    }
    assert section["whole_school"] == {
        "pupils": 20,
        "attendance_percent": round(100 * 390 / 400, 1),
        "persistent_absence_percent": 25.0,
        "severe_absence_percent": WITHHELD,
        "pupils_suspended": SUPPRESSED,
        "suspension_days": WITHHELD,
        "send_percent": 30.0,
        "incidents_percent": 45.0,
        "incidents": 15,
        **NOT_JUDGED,
    }
    assert section["sdq_movement"] == {"with_a_score": 15, "lower_than_first": 5, "higher_than_first": 5, "same_or_one_score": 5}
    board = svc.dashboard.cohort(dsl, SCHOOL, AS_OF)
    assert board["cohort"]["attendance_percent"] == section["cohort"]["attendance_percent"], "one way to count attendance"
    assert (board["cohort"]["send_percent"], board["school"]["send_percent"]) == (40.0, 30.0), "one way to count SEND"
    assert (board["cohort"]["incidents"], board["school"]["pupils_with_incidents"]) == (15, 9)
    last_year = svc.reports.governors(principal(svc, "governor"), SCHOOL, date(2026, 7, 31))["against_whole_school"]
    assert last_year["cohort"]["incidents_percent"] == 60.0, "nine with the July incident, in the year before"


def test_a_send_share_resting_on_a_few_children_is_suppressed_and_its_complement_withheld(svc: Services) -> None:
    """Three of fifteen with SEND points to three children; with 4 of 5 outside the cohort on SEN support, the
    whole school's share beside the cohort's would give those four away by subtraction."""
    dsl = principal(svc, "dsl")
    for n in range(15):
        _pupil(svc, dsl, SCHOOL, n + 1, cohort=True, absent=0, sdq=[], send="sen_support" if n < 3 else None)
    section = svc.reports.governors(principal(svc, "governor"), SCHOOL, AS_OF)["against_whole_school"]
    assert section["cohort"]["send_percent"] == WITHHELD
    for n in range(12):
        _pupil(svc, dsl, SCHOOL, n + 21, cohort=True, absent=0, sdq=[], send="ehc_plan" if n < 7 else None)
    for n in range(5):
        _pupil(svc, dsl, SCHOOL, n + 41, cohort=False, absent=0, sdq=[], send="sen_support" if n < 4 else None)
    section = svc.reports.governors(principal(svc, "governor"), SCHOOL, AS_OF)["against_whole_school"]
    assert section["cohort"]["send_percent"] == round(100 * 10 / 27, 1)
    assert section["whole_school"]["send_percent"] == WITHHELD


def test_no_figure_gives_away_a_few_children_by_its_complement_or_by_subtraction(svc: Services) -> None:
    """Six in the cohort, five persistently absent: 83% says the sixth is not; four of six with marks:
    the attendance rests on four; five SDQs fall and one has one score: the total minus five is one."""
    dsl = principal(svc, "dsl")
    for n in range(6):
        _pupil(svc, dsl, SCHOOL, n + 1, cohort=True, absent=2 if n < 5 else 0, sdq=[20, 12] if n < 5 else [20])
    section = svc.reports.governors(principal(svc, "governor"), SCHOOL, AS_OF)["against_whole_school"]
    assert section["cohort"]["pupils"] == 6 and section["cohort"]["attendance_percent"] == round(100 * 110 / 120, 1)
    assert section["cohort"]["persistent_absence_percent"] == WITHHELD, "five of six: the complement is one child"
    assert section["sdq_movement"] == {"with_a_score": 6, "lower_than_first": SUPPRESSED, "higher_than_first": SUPPRESSED,
                                       "same_or_one_score": SUPPRESSED}  # fmt: skip
    for n in range(2):  # two more in the cohort, with no marks: attendance still rests on six
        pupil = svc.pupils.register(
            dsl,
            {"upn": make_upn("881", "4001", 2018, 60 + n), "given_name": "P", "family_name": f"M{n}",
             "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
        )  # fmt: skip
        svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2026-01-05", "social_worker": "sw"})
    assert svc.reports.governors(dsl, SCHOOL, AS_OF)["against_whole_school"]["cohort"]["pupils"] == 8


def test_attendance_needs_five_children_with_marks(svc: Services) -> None:
    dsl = principal(svc, "dsl")
    for n in range(4):
        _pupil(svc, dsl, SCHOOL, n + 1, cohort=True, absent=0, sdq=[])
    for n in range(3):  # in the cohort, no marks yet
        pupil = svc.pupils.register(
            dsl,
            {"upn": make_upn("881", "4001", 2018, 70 + n), "given_name": "P", "family_name": f"Q{n}",
             "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
        )  # fmt: skip
        svc.pupils.record_episode(dsl, pupil.id, {"plan": "cin", "start_date": "2026-01-05", "social_worker": "sw"})
    cohort = svc.reports.governors(dsl, SCHOOL, AS_OF)["against_whole_school"]["cohort"]
    assert cohort["pupils"] == 7 and cohort["attendance_percent"] == WITHHELD, "seven children, four with marks"


def test_a_cohort_under_five_shows_no_figure(svc: Services) -> None:
    head = principal(svc, "other_dsl")
    for n in range(2):
        _pupil(svc, head, OTHER_SCHOOL, n + 21, cohort=True, absent=10, sdq=[20, 25])
    for n in range(5):
        _pupil(svc, head, OTHER_SCHOOL, n + 31, cohort=False, absent=0, sdq=[])
    section = svc.reports.governors(head, OTHER_SCHOOL, AS_OF)["against_whole_school"]
    assert section["cohort"]["pupils"] == SUPPRESSED == section["cohort"]["pupils_suspended"]
    assert {v for k, v in section["cohort"].items() if k not in ("pupils", "pupils_suspended")} == {WITHHELD}, (
        "not even attendance"
    )
    assert section["whole_school"]["pupils"] == 7 and section["whole_school"]["attendance_percent"] == round(100 * 120 / 140, 1)
    assert set(section["sdq_movement"].values()) == {SUPPRESSED}


def _judge(svc: Services, head: Principal, n: int, term: str, subject: str, judgement: str, year: int = 2026) -> None:
    pupil_id = svc.reads.pupil_id_for_upn(make_upn("881", "4001", 2018, n))
    assert pupil_id is not None
    data = {"school_year": year, "term": term, "subject": subject, "judgement": judgement}
    svc.pupils.act(head, pupil_id, "record_attainment", svc.pupils.load(pupil_id).version, data)


def test_attainment_beside_the_whole_school_from_each_pupils_latest_term(svc: Services) -> None:
    """Reading: six of the fifteen in the cohort at the expected standard or above, five of the ten outside.
    A spring judgement replaces the autumn one; an autumn judgement recorded after a spring one changes nothing."""
    dsl = principal(svc, "dsl")
    for n in range(15):
        _pupil(svc, dsl, SCHOOL, n + 1, cohort=True, absent=0, sdq=[])
        _judge(svc, dsl, n + 1, "autumn", "reading", "greater_depth" if n in (6, 7, 8) else "below")
    for n in range(6):  # in spring, six at or above expected, three of them down from greater depth in autumn
        _judge(svc, dsl, n + 1, "spring", "reading", "expected")
    for n in (6, 7, 8):
        _judge(svc, dsl, n + 1, "spring", "reading", "working_towards")
    _judge(svc, dsl, 1, "autumn", "reading", "below")  # recorded late, for an earlier term: the spring one stands
    _judge(svc, dsl, 2, "spring", "reading", "greater_depth")  # a correction within the term: still at or above
    _judge(svc, dsl, 3, "spring", "reading", "expected", year=2025)  # the year before: not this year's
    for n in range(10):
        _pupil(svc, dsl, SCHOOL, n + 41, cohort=False, absent=0, sdq=[])
        _judge(svc, dsl, n + 41, "autumn", "reading", "expected" if n < 5 else "working_towards")
    section = svc.reports.governors(principal(svc, "governor"), SCHOOL, AS_OF)["against_whole_school"]
    assert (section["cohort"]["reading_expected_percent"], section["whole_school"]["reading_expected_percent"]) == (40.0, 44.0)
    assert section["cohort"]["writing_expected_percent"] == WITHHELD == section["whole_school"]["maths_expected_percent"]
    board = svc.dashboard.cohort(dsl, SCHOOL, AS_OF)
    assert (board["cohort"]["reading_assessed"], board["cohort"]["reading_at_expected"]) == (15, 6)
    assert (board["school"]["reading_assessed"], board["school"]["reading_at_expected"]) == (25, 11)
    last_year = svc.reports.governors(principal(svc, "governor"), SCHOOL, date(2026, 7, 31))["against_whole_school"]
    assert last_year["cohort"]["reading_expected_percent"] == WITHHELD, "one judgement in 2025-26"


def test_an_attainment_share_that_gives_away_the_pupils_outside_the_cohort_is_withheld(svc: Services) -> None:
    dsl = principal(svc, "dsl")
    for n in range(10):
        _pupil(svc, dsl, SCHOOL, n + 1, cohort=True, absent=0, sdq=[])
        _judge(svc, dsl, n + 1, "autumn", "maths", "expected" if n < 5 else "below")
    for n in range(6):  # every one of the six outside at the expected standard: the whole minus the cohort says so
        _pupil(svc, dsl, SCHOOL, n + 41, cohort=False, absent=0, sdq=[])
        _judge(svc, dsl, n + 41, "autumn", "maths", "expected")
    section = svc.reports.governors(principal(svc, "governor"), SCHOOL, AS_OF)["against_whole_school"]
    assert section["cohort"]["maths_expected_percent"] == 50.0
    assert section["whole_school"]["maths_expected_percent"] == WITHHELD
