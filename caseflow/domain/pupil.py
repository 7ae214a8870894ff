"""Pupils and their social-care episodes, and the cohort membership derived from them.

Nobody types "in cohort": a pupil is in the cohort of children with a social
worker while a Child in Need or Child Protection plan runs ("open") and for six
years after the last one ended ("previous").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from caseflow.domain.errors import IntegrityError
from caseflow.domain.events import StoredEvent, london_date

COHORT_YEARS = 6
#: what a pupil snapshot says it is: a case's snapshot can never be read as a pupil's, nor the reverse
PUPIL_SNAPSHOT_SCHEMA = "pupil-4"  # 2: with the family's key contact; 3: every care status recorded; 4: MIS suspensions
PLANS = ("cin", "cp")
#: DfE CiN census categories of abuse, used on child protection plans
ABUSE_CATEGORIES = ("NEG", "PHY", "SAB", "EMO", "MUL")


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February falls back to the 28th); the first day
    there is, for a day less than ``years`` after it (nothing is recorded that early)."""
    if day.year <= years:
        return date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True, slots=True)
class Episode:
    """A period on a CiN or CP plan; its id is the version of the event that recorded it."""

    id: int
    plan: str
    start_date: date
    end_date: date | None
    social_worker: str | None
    category: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        end = data["end_date"]
        return cls(
            data["id"],
            data["plan"],
            date.fromisoformat(data["start_date"]),
            date.fromisoformat(end) if end else None,
            data["social_worker"],
            data["category"],
        )

    def running_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plan": self.plan,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "social_worker": self.social_worker,
            "category": self.category,
        }


@dataclass
class Pupil:
    """A pupil's record as the log says it stands (facts are applied, never re-checked)."""

    id: str
    version: int = 0
    upn: str = ""
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    school_urn: str = ""
    year_group: int | None = None
    episodes: list[Episode] = field(default_factory=list)
    teachers: set[str] = field(default_factory=set)
    care_status: dict[str, Any] | None = None
    #: every care status recorded, in order (``care_status`` is the last): a decision is judged by its day's
    care_history: list[dict[str, Any]] = field(default_factory=list)
    send_status: dict[str, Any] | None = None
    #: the family's key contact in school, as last named
    key_contact: dict[str, Any] | None = None
    classroom_profile: dict[str, Any] = field(default_factory=dict)
    attainment: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    #: suspensions and permanent exclusions as the school's MIS recorded them, one per kind and first day
    #: (a later record of the same one, its days corrected, replaces it)
    suspensions: list[dict[str, Any]] = field(default_factory=list)
    wellbeing: list[dict[str, Any]] = field(default_factory=list)
    #: (date, session) -> attendance code; later marks for the same session replace earlier ones
    attendance: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def state(self) -> str | None:
        return "registered" if self.version else None

    @classmethod
    def replay(cls, pupil_id: str, events: Iterable[StoredEvent]) -> Pupil:
        pupil = cls(pupil_id)
        for event in events:
            pupil.apply(event)
        return pupil

    def apply(self, event: StoredEvent) -> None:
        if event.version != self.version + 1:
            raise IntegrityError(f"pupil {self.id}: event version {event.version} follows {self.version}")
        self.version = event.version
        handler = _APPLY.get(event.event_type)
        if handler is not None:
            handler(self, event)

    def to_snapshot(self) -> dict[str, Any]:
        """The pupil as plain data: a pupil's stream grows by a day of attendance marks every
        school day, and every action on one of their cases reads the pupil."""
        return {
            "schema": PUPIL_SNAPSHOT_SCHEMA,
            "id": self.id,
            "version": self.version,
            "upn": self.upn,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else None,
            "school_urn": self.school_urn,
            "year_group": self.year_group,
            "episodes": [e.as_dict() for e in self.episodes],
            "teachers": sorted(self.teachers),
            "care_status": self.care_status,
            "care_history": self.care_history,
            "send_status": self.send_status,
            "key_contact": self.key_contact,
            "classroom_profile": self.classroom_profile,
            "attainment": self.attainment,
            "incidents": self.incidents,
            "suspensions": self.suspensions,
            "wellbeing": self.wellbeing,
            "attendance": [[day, session, code] for (day, session), code in self.attendance.items()],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Pupil | None:
        """The pupil a snapshot describes, or None if it is not a pupil snapshot of this shape."""
        if data.get("schema") != PUPIL_SNAPSHOT_SCHEMA:
            return None
        born = data["date_of_birth"]
        return cls(
            id=data["id"],
            version=data["version"],
            upn=data["upn"],
            given_name=data["given_name"],
            family_name=data["family_name"],
            date_of_birth=date.fromisoformat(born) if born else None,
            school_urn=data["school_urn"],
            year_group=data["year_group"],
            episodes=[Episode.from_dict(e) for e in data["episodes"]],
            teachers=set(data["teachers"]),
            care_status=data["care_status"],
            care_history=data["care_history"],
            send_status=data["send_status"],
            key_contact=data["key_contact"],
            classroom_profile=data["classroom_profile"],
            attainment=data["attainment"],
            incidents=data["incidents"],
            suspensions=data["suspensions"],
            wellbeing=data["wellbeing"],
            attendance={(day, session): code for day, session, code in data["attendance"]},
        )

    def cohort_status(self, as_of: date) -> str | None:
        return cohort_status(self.episodes, as_of)

    def open_plan(self, as_of: date) -> str | None:
        running = [e for e in self.episodes if e.running_on(as_of)]
        if any(e.plan == "cp" for e in running):
            return "cp"
        return "cin" if running else None

    def allocated_social_workers(self, as_of: date) -> frozenset[str]:
        return frozenset(e.social_worker for e in self.episodes if e.running_on(as_of) and e.social_worker)


def _registered(pupil: Pupil, event: StoredEvent) -> None:
    data = event.data
    pupil.upn = data["upn"]
    pupil.given_name = data["given_name"]
    pupil.family_name = data["family_name"]
    pupil.date_of_birth = date.fromisoformat(data["date_of_birth"])
    pupil.school_urn = data["school_urn"]
    pupil.year_group = data.get("year_group")


def _details(pupil: Pupil, event: StoredEvent) -> None:
    data = event.data
    pupil.given_name = data.get("given_name", pupil.given_name)
    pupil.family_name = data.get("family_name", pupil.family_name)
    if "date_of_birth" in data:
        pupil.date_of_birth = date.fromisoformat(data["date_of_birth"])
    pupil.year_group = data.get("year_group", pupil.year_group)


def _episode(pupil: Pupil, event: StoredEvent) -> None:
    data = event.data
    pupil.episodes.append(
        Episode(
            id=event.version,
            plan=data["plan"],
            start_date=date.fromisoformat(data["start_date"]),
            end_date=date.fromisoformat(data["end_date"]) if data.get("end_date") else None,
            social_worker=data.get("social_worker"),
            category=data.get("category"),
        )
    )


def _episode_ended(pupil: Pupil, event: StoredEvent) -> None:
    end = date.fromisoformat(event.data["end_date"])
    pupil.episodes = [
        Episode(e.id, e.plan, e.start_date, end, e.social_worker, e.category) if e.id == event.data["episode"] else e
        for e in pupil.episodes
    ]


def _attendance(pupil: Pupil, event: StoredEvent) -> None:
    for day, session, code in event.data["marks"]:
        pupil.attendance[(day, session)] = code


def _suspension(pupil: Pupil, event: StoredEvent) -> None:
    same = (event.data["kind"], event.data["start_date"])
    kept = [s for s in pupil.suspensions if (s["kind"], s["start_date"]) != same]
    pupil.suspensions = sorted([*kept, {"version": event.version, **event.data}], key=lambda s: (s["start_date"], s["kind"]))


def _key_contact(pupil: Pupil, event: StoredEvent) -> None:
    pupil.key_contact = {"version": event.version, "named_on": london_date(event.occurred_at).isoformat(), **event.data}


_APPLY: dict[str, Callable[[Pupil, StoredEvent], None]] = {
    "PupilRegistered": _registered,
    "PupilDetailsUpdated": _details,
    "SocialCareEpisodeRecorded": _episode,
    "SocialCareEpisodeEnded": _episode_ended,
    "CareStatusRecorded": lambda p, e: (setattr(p, "care_status", dict(e.data)), p.care_history.append(dict(e.data))),
    "SendStatusRecorded": lambda p, e: setattr(p, "send_status", dict(e.data)),
    "KeyContactNamed": _key_contact,
    "ClassroomProfileRecorded": lambda p, e: p.classroom_profile.update({k: v for k, v in e.data.items() if v}),
    "AttainmentRecorded": lambda p, e: p.attainment.append({"version": e.version, **e.data}),
    "BehaviourIncidentRecorded": lambda p, e: p.incidents.append({"version": e.version, **e.data}),
    "WellbeingRecorded": lambda p, e: p.wellbeing.append({"version": e.version, **e.data}),
    "QuestionnaireRecorded": lambda p, e: p.wellbeing.append(
        {"version": e.version, "measure": e.data["questionnaire"], **e.data}
    ),
    "SuspensionRecorded": _suspension,
    "TeacherAssigned": lambda p, e: p.teachers.add(e.data["teacher"]),
    "TeacherUnassigned": lambda p, e: p.teachers.discard(e.data["teacher"]),
    "AttendanceRecorded": _attendance,
}


def cohort_status(episodes: Iterable[Episode], as_of: date) -> str | None:
    """ "open", "previous" (an episode ended within six years before ``as_of``) or None."""
    episodes = list(episodes)
    if any(e.running_on(as_of) for e in episodes):
        return "open"
    window_start = years_before(as_of, COHORT_YEARS)
    if any(e.end_date is not None and window_start <= e.end_date < as_of for e in episodes):
        return "previous"
    return None
