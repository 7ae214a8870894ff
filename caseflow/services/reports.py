"""Anonymised reports for governors and leaders, reproducible as at any past date: counted from
a projection of each case's report facts up to the date, never by replaying the cases.

No names, no UPNs, no ids: only counts, and any count under five is shown as
"fewer than 5" so that no child can be identified in a small school.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from caseflow.domain.attainment import CORE_SUBJECTS
from caseflow.domain.case_report import ReportFact, tally
from caseflow.domain.errors import NotFound, NotPermitted
from caseflow.domain.events import london_date
from caseflow.domain.exclusions import school_year
from caseflow.domain.pupil import cohort_status
from caseflow.domain.roles import Role
from caseflow.domain.school_calendar import SchoolCalendar
from caseflow.domain.self_assessment import SelfAssessment
from caseflow.services.access import Principal
from caseflow.services.cohort import Asked, CohortReads, refuse_day_asked
from caseflow.services.due import DecisionFacts, owed_after_decisions
from caseflow.services.ports import AccessLog
from workflows.good_practice import GUIDANCE, INDICATORS, RATINGS

SMALL_NUMBER = 5
SUPPRESSED = "fewer than 5"
#: a figure not small itself, but from which a small one could be worked out by subtraction
WITHHELD = "withheld"
REPORT_ROLES = frozenset({Role.GOVERNOR, Role.HEADTEACHER, Role.SLT, Role.DSL})
#: what each word in place of a figure means, for a governor who reads one figure and not the report's first line
#: (a note beside it on the page and in the CSV): what the rules below do, in plain words
WHY_NOT_SHOWN = {
    SUPPRESSED: "the number is under 5 (it may be none). A number so small could identify a child, so it is not shown.",
    WITHHELD: "not shown, though it may not be a small number itself, because a number of fewer than 5 children could be "
    "worked out from it: it is a percentage or total resting on fewer than 5 children (in the group, among those it "
    "counts, or among those it leaves out), or it and another figure here, one taken from the other, would leave fewer "
    "than 5 (all the suspensions less those cancelled, all pupils less the cohort, the cohort less one of its two parts).",
}
#: the SDQ movement's three parts, every one "fewer than 5" when any one is (``against_whole_school``): so the note
#: on them says that one of them may be 5 or more
SDQ_PARTS_HIDDEN = (
    "at least one of these three parts is under 5 (it may be none), so all three are shown as “fewer than 5”, though "
    "the others may be 5 or more: the three add up to the children with a score, so the others shown would give a small one "
    "away by subtraction."
)


def suppress(count: int) -> int | str:
    return SUPPRESSED if count < SMALL_NUMBER else count


def of_which(part: int, whole: int) -> int | str:
    """A count within a count shown beside it (cancelled, of the suspensions): fewer than 5 as every count
    is, and withheld when the rest (the whole less it) would be one to four children."""
    if part < SMALL_NUMBER:
        return SUPPRESSED
    return WITHHELD if 0 < whole - part < SMALL_NUMBER else part


class CaseReads(CohortReads):
    def report_facts(self, school_urns: list[str], cutoff: datetime) -> list[ReportFact]: ...

    def decision_facts(self, school_urns: list[str], cutoff: datetime | None = None) -> DecisionFacts: ...

    def school_calendars(self, school_urns: list[str]) -> dict[str, SchoolCalendar]: ...

    def mis_records(self, pupil_ids: list[str], cutoff: datetime, year: int) -> tuple[int, int]: ...

    def la_schools(self, la_code: str) -> list[dict[str, Any]]: ...


def report_role(reads: CohortReads, principal: Principal, school_urn: str) -> str:
    """The role in which someone reads a school's report: its governor, head, senior leader or DSL,
    an auditor, or a virtual school officer of its LA. Staff of the school in another role are
    refused (403); anyone else is told there is no such school (404), as for a case out of scope."""
    if not reads.school_exists(school_urn):
        raise NotFound("no such school")
    for role in sorted(REPORT_ROLES):
        if principal.has(role, school_urn):
            return role
    if Role.AUDITOR in principal.roles and (principal.has(Role.AUDITOR) or principal.has(Role.AUDITOR, school_urn)):
        return Role.AUDITOR
    la = reads.school_la(school_urn)
    if Role.VIRTUAL_SCHOOL in principal.roles and la and principal.la_code == la:
        return Role.VIRTUAL_SCHOOL
    if any(school == school_urn for _, school in principal.grants):
        raise NotPermitted("your role may not read governors' reports")
    raise NotFound("no such school")


class ReportService:
    def __init__(
        self,
        reads: CaseReads,
        audit: AccessLog,
        self_assessment: Callable[[str, datetime], SelfAssessment],
        school_summary: Callable[[list[str], date], dict[str, Any]],
    ) -> None:
        self.reads = reads
        self.audit = audit
        #: the cohort against the whole school, and SDQ movement (``DashboardService.school_summary``)
        self.school_summary = school_summary
        #: the school's self-assessment as recorded by a moment
        self.self_assessment = self_assessment

    def _role(self, principal: Principal, school_urn: str) -> str:
        return report_role(self.reads, principal, school_urn)

    def governors(
        self, principal: Principal, school_urn: str, as_of: date, via: str | None = None, asked: Asked | None = None
    ) -> dict[str, Any]:
        """The report as at ``as_of``; ``via``: who read it on this user's behalf (the command line's
        operator), named in the access log beside the user; ``asked``: how a person or client asked the day,
        to be refused one before the school's records (``refuse_day_asked``)."""
        role = self._role(principal, school_urn)
        detail = f"school {school_urn}" + (f" via {via}" if via else "")
        refuse_day_asked(
            self.reads, self.audit, username=principal.username, role=role, action="governors_report", detail=detail,
            school_urns=[school_urn], as_of=as_of, asked=asked,
        )  # fmt: skip
        cutoff = datetime.combine(as_of, time.max, tzinfo=UTC)
        body = self._body([school_urn], as_of)
        self.audit.record(
            username=principal.username, role=role, action="governors_report", outcome="ok", detail=f"{detail}, as at {as_of}"
        )
        return {
            "school_urn": school_urn,
            **body,
            "self_assessment": self_assessment_section(self.self_assessment(school_urn, cutoff)),
        }

    def la(
        self, principal: Principal, la_code: str, as_of: date, via: str | None = None, asked: Asked | None = None
    ) -> dict[str, Any]:
        """The same report across every school of a local authority, for its virtual school officers
        (their own LA) and auditors of every school: the counts of all its schools together, suppressed
        as a school's are, and how many schools stand at each rating of each indicator of the guidance."""
        role = la_report_role(principal, la_code)
        plausible = len(la_code) == 3 and la_code.isascii() and la_code.isdigit()  # an LA code, as schools hold them
        schools = [s["urn"] for s in self.reads.la_schools(la_code)] if role and plausible else []
        if not schools:
            self.audit.record(
                username=principal.username, role=None, action="la_report", outcome="not_found", detail=f"la {la_code}"[:60]
            )
            raise NotFound("no such local authority")
        detail = f"la {la_code}" + (f" via {via}" if via else "")
        refuse_day_asked(
            self.reads, self.audit, username=principal.username, role=role, action="la_report", detail=detail,
            school_urns=schools, as_of=as_of, asked=asked, la=True,
        )  # fmt: skip
        cutoff = datetime.combine(as_of, time.max, tzinfo=UTC)
        body = self._body(schools, as_of)
        self.audit.record(
            username=principal.username, role=role, action="la_report", outcome="ok", detail=f"{detail}, as at {as_of}"
        )
        return {
            "la_code": la_code,
            "schools": len(schools),
            **body,
            "self_assessment": la_self_assessment_section([self.self_assessment(urn, cutoff) for urn in schools]),
        }

    def _body(self, schools: list[str], as_of: date) -> dict[str, Any]:
        """What a school's report and an LA's share: counted from the schools' records as at the date."""
        cutoff = datetime.combine(as_of, time.max, tzinfo=UTC)
        pupils = self.reads.roll(schools, as_of)
        episodes = self.reads.episodes_by_pupil(schools)
        status_of = {p["pupil_id"]: cohort_status(episodes.get(p["pupil_id"], []), as_of) for p in pupils}
        statuses = Counter(status_of.values())
        counted = tally(self.reads.report_facts(schools, cutoff), as_of)
        owing = owed_after_decisions(self.reads.decision_facts(schools, cutoff), as_of, self.reads.school_calendars(schools))
        cohort = cohort_counts(statuses.get("open", 0), statuses.get("previous", 0), len(pupils))
        # and those the schools' MIS recorded for the cohort's children, as the dashboard's cohort counts them: each
        # until a case's decision of it counts; the whole school's are in the figures against the whole school
        in_cohort = [pupil_id for pupil_id, status in status_of.items() if status is not None]
        suspended, excluded = self.reads.mis_records(in_cohort, cutoff, school_year(as_of))
        suspensions, exclusions = counted.suspensions + suspended, counted.exclusions + excluded
        return {
            "as_of": as_of.isoformat(),
            "suppression": f"counts under {SMALL_NUMBER} are shown as '{SUPPRESSED}'; a figure from which such a count "
            f"could be worked out is shown as '{WITHHELD}'",
            "whole_school_pupils": cohort.pop("roll"),
            "cohort": cohort,
            "cases_by_step": {step: suppress(count) for step, count in sorted(counted.steps.items())},
            "interventions_in_place": suppress(counted.interventions_in_place),
            "evaluations_recorded": suppress(counted.evaluations_recorded),
            "suspensions_this_school_year": suppress(suspensions),
            "suspensions_cancelled": of_which(counted.suspensions_cancelled, suspensions),
            "exclusions_this_school_year": suppress(exclusions),
            "exclusions_cancelled": of_which(counted.exclusions_cancelled, exclusions),
            "exclusion_overrides": suppress(counted.overrides),
            "proposals_awaiting_social_worker": suppress(counted.awaiting_social_worker),
            "decisions_owing_notices": suppress(sum(bool(o.duties.missing) for o in owing)),
            "board_meetings_owed": suppress(sum(o.duties.board_review_owed for o in owing)),
            "against_whole_school": against_whole_school(self.school_summary(schools, as_of), cohort["total"] == WITHHELD),
        }


def la_report_role(principal: Principal, la_code: str) -> str | None:
    """The role in which someone reads an LA's report: a virtual school officer of that LA, or an
    auditor of every school. Anyone else: no such LA, as for a school out of scope."""
    if Role.VIRTUAL_SCHOOL in principal.roles and principal.la_code and principal.la_code == la_code:
        return Role.VIRTUAL_SCHOOL
    if principal.has(Role.AUDITOR):
        return Role.AUDITOR
    return None


def cohort_counts(open_now: int, previous: int, roll: int) -> dict[str, Any]:
    """The cohort's counts and the roll, so that no small count can be found from the others: with
    one part of the cohort one to four children, the total is withheld (total minus the other part
    gives it; a zero worked out this way points to no child); with fewer than five pupils outside a
    cohort that is shown, the roll is withheld (roll minus cohort would say that all, or all but a
    few, of the school's children have a social worker)."""
    total = open_now + previous
    shown_total = WITHHELD if _few(open_now) or _few(previous) else suppress(total)
    if total < SMALL_NUMBER:
        shown_total = SUPPRESSED
    return {
        "open": suppress(open_now),
        "previous": suppress(previous),
        "total": shown_total,
        "roll": WITHHELD if isinstance(shown_total, int) and roll - total < SMALL_NUMBER else suppress(roll),
    }


def _few(count: int) -> bool:
    """One to four: a count that points to particular children."""
    return 0 < count < SMALL_NUMBER


def _outside_gives_away(outside: dict[str, Any]) -> dict[str, bool]:
    """For each figure, whether the whole's minus the cohort's (the pupils outside the cohort) would
    point to a few children: one to four of them, one to four with the attribute, or all of them but
    fewer than five with it. None with it (a zero) points to no child."""
    pupils = outside["pupils"]

    def share(resting_on: int, of: int = pupils) -> bool:
        return _few(of) or _few(resting_on) or (resting_on > 0 and of - resting_on < SMALL_NUMBER)

    return {
        "pupils": _few(pupils),
        "attendance_percent": _few(outside["pupils_with_marks"]) or _few(pupils),
        "persistent_absence_percent": share(outside["persistent_absence_pupils"]),
        "severe_absence_percent": share(outside["severe_absence_pupils"]),
        "pupils_suspended": share(outside["pupils_suspended"]),
        "suspension_days": share(outside["pupils_suspended"]),
        "send_percent": share(outside["pupils_with_send"]),
        "incidents_percent": share(outside["pupils_with_incidents"]),
        "incidents": share(outside["pupils_with_incidents"]),
        **{
            f"{subject}_expected_percent": share(outside[f"{subject}_at_expected"], of=outside[f"{subject}_assessed"])
            for subject in CORE_SUBJECTS
        },
    }


def against_whole_school(summary: dict[str, Any], cohort_withheld: bool = False) -> dict[str, Any]:
    """Attendance, absence, suspensions, SEND, behaviour and attainment of the cohort beside the whole school's, and the cohort's
    SDQ movement, anonymised beyond the counts' rule, since a share or a total can give a child away too:

    - a group of fewer than five shows no figure, and attendance needs five children with marks;
    - a share or a total resting on fewer than five children is withheld, and so is one that leaves
      fewer than five out (100% persistently absent says it of every child); a count under five is
      "fewer than 5", as the report's other counts;
    - if any part of the SDQ movement is suppressed, every part is, so none can be found by subtraction;
    - a whole-school figure beside a cohort figure that is shown is withheld if the same figure for the
      pupils outside the cohort (whole minus cohort) would be suppressed; and the cohort's number of
      pupils is withheld with the cohort's total (``cohort_withheld``).

    These come from the records as they stand (a mark or score entered late changes them), for the
    school year up to the end of the report date's month; the counts above are as recorded by the date."""

    def group(figures: dict[str, Any]) -> dict[str, Any]:
        pupils = figures["pupils"]

        def share(key: str, resting_on: int) -> Any:
            """A share or a total: withheld, not "fewer than 5" (71% of seven is not fewer than five)."""
            small = pupils < SMALL_NUMBER or resting_on < SMALL_NUMBER or pupils - resting_on < SMALL_NUMBER
            return WITHHELD if small else figures[key]

        def attainment(subject: str) -> Any:
            """Of the pupils judged in the subject, at the expected standard or above: judged on fewer
            than five, or five short of all or none, it would point to children."""
            judged, at = figures[f"{subject}_assessed"], figures[f"{subject}_at_expected"]
            small = judged < SMALL_NUMBER or at < SMALL_NUMBER or judged - at < SMALL_NUMBER
            return WITHHELD if small else figures[f"{subject}_expected_percent"]

        suspended = figures["pupils_suspended"]
        return {
            "pupils": suppress(pupils),
            "attendance_percent": figures["attendance_percent"] if figures["pupils_with_marks"] >= SMALL_NUMBER else WITHHELD,
            "persistent_absence_percent": share("persistent_absence_percent", figures["persistent_absence_pupils"]),
            "severe_absence_percent": share("severe_absence_percent", figures["severe_absence_pupils"]),
            # a count: fewer than 5 as every count is; all but a few of the group, withheld
            "pupils_suspended": suppress(suspended) if suspended < SMALL_NUMBER else share("pupils_suspended", suspended),
            "suspension_days": share("suspension_days", suspended),
            "send_percent": share("send_percent", figures["pupils_with_send"]),
            "incidents_percent": share("incidents_percent", figures["pupils_with_incidents"]),
            "incidents": share("incidents", figures["pupils_with_incidents"]),
            **{f"{subject}_expected_percent": attainment(subject) for subject in CORE_SUBJECTS},
        }

    parts = {key: count for key, count in summary["sdq"].items() if key != "with_a_score"}
    hidden = any(count < SMALL_NUMBER for count in parts.values())
    cohort, whole = group(summary["cohort"]), group(summary["school"])
    counts = ("pupils", "pupils_with_marks", "persistent_absence_pupils", "severe_absence_pupils", "pupils_suspended")
    counts += ("pupils_with_send", "pupils_with_incidents")
    counts += tuple(f"{subject}_{part}" for subject in CORE_SUBJECTS for part in ("assessed", "at_expected"))
    outside = _outside_gives_away({key: summary["school"][key] - summary["cohort"][key] for key in counts})
    for key, value in whole.items():
        if value != SUPPRESSED and cohort[key] != SUPPRESSED and outside[key]:
            whole[key] = WITHHELD

    if cohort_withheld and cohort["pupils"] != SUPPRESSED:
        cohort["pupils"] = WITHHELD
    with_score = summary["sdq"]["with_a_score"]
    return {
        "from_month": summary["months"][0],
        "to_month": summary["months"][-1],
        "cohort": cohort,
        "whole_school": whole,
        "sdq_movement": {
            # a count of the cohort's children too: withheld with the cohort's total, which it would bound
            "with_a_score": WITHHELD if cohort_withheld and with_score >= SMALL_NUMBER else suppress(with_score),
            **{key: SUPPRESSED if hidden else count for key, count in parts.items()},
        },
    }


def self_assessment_section(assessment: SelfAssessment) -> dict[str, Any]:
    """The school's ratings against the guidance, as they stood at the report's date. About the
    school's practice, not its children: nothing to suppress (the form asks that no child be named)."""
    return {
        "guidance": GUIDANCE,
        "ratings": assessment.counts(),
        "indicators": [
            {
                "number": number,
                "indicator": text,
                "rating": rating.rating if rating else None,
                "rating_label": rating.label if rating else "Not rated",
                "evidence": rating.evidence if rating else None,
                "next_steps": rating.next_steps if rating else None,
                "rated_on": london_date(rating.occurred_at).isoformat() if rating else None,
                "rated_by_role": rating.role if rating else None,
            }
            for number, text, rating in assessment.rows()
        ],
    }


def la_self_assessment_section(assessments: list[SelfAssessment]) -> dict[str, Any]:
    """For each indicator of the guidance, how many of the LA's schools stand at each rating at the
    report's date: where the Virtual School's support is most needed. About schools' practice, not
    children: nothing to suppress."""
    values = [value for value, _ in RATINGS]
    latest = [a.rows() for a in assessments]
    indicators = []
    for n, (number, text) in enumerate(INDICATORS):
        counts = Counter(rows[n][2].rating if rows[n][2] else "not_rated" for rows in latest)
        indicators.append({"number": number, "indicator": text, "schools": {v: counts.get(v, 0) for v in [*values, "not_rated"]}})
    return {"guidance": GUIDANCE, "schools": len(assessments), "indicators": indicators}
