"""A large local authority: by default 500 schools and 15,000 children with a social worker, about
1.5 million events — the scale the LA view, the projections and the benchmarks must hold up at.

Each child is a copy of one of the demo school's children (whose histories were made through the
real services, so every journey in them passed its guards) under a new name, UPN, school and
social worker, plus what a school's MIS sends day by day: a day's attendance marks at a time, with
absence drawn from a realistic spread (most children attend well, some are persistently and a few
severely absent), and the odd behaviour incident. Written in batches through the event store,
so the hash chains, versions and inline projections are exactly as for any other write.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from caseflow.adapters.migrate import upgrade
from caseflow.bootstrap import Services, bootstrap
from caseflow.demo import LA_NAMES, SCHOOL, load_demo, make_upn
from caseflow.domain.events import NewEvent, StoredEvent
from caseflow.services.ports import StreamWrite

GIVEN = "Aisha Ben Callum Daisy Ethan Freya George Hana Isaac Jade Kai Leah Mohammed Nia Oscar Poppy Reuben Sofia Theo Zara"
FAMILY = "Ahmed Brown Clarke Davies Evans Fischer Green Hussain Iqbal Jones Kowalski Lewis Murphy Ndlovu Owen Patel Quinn Roberts"
SCHOOL_WORDS = "Oak Elm Ash Birch Willow Hazel Rowan Cedar Maple Alder Holly Beech Linden Poplar Yew"
#: pupils sharing one social worker, as a caseload
CASELOAD = 18


@dataclass(frozen=True)
class LaShape:
    schools: int = 500
    pupils_per_school: int = 30
    #: about this many events per child, counting both the pupil record and the case
    events_per_pupil: int = 100
    la_code: str = SCHOOL[2]
    first_urn: int = 200001
    seed: int = 2026

    @property
    def pupils(self) -> int:
        return self.schools * self.pupils_per_school


#: all a demo classmate's record holds
CLASSMATE_EVENTS = frozenset({"PupilRegistered", "AttendanceRecorded", "AttainmentRecorded"})


@dataclass
class Template:
    """One demo child's history, to copy."""

    pupil: list[StoredEvent]
    cases: list[list[StoredEvent]] = field(default_factory=list)


def load_la(
    services: Services,
    shape: LaShape = LaShape(),
    progress: Callable[[int], None] | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Write the LA; return the number of events written (0, changing nothing, if it is already there)."""
    if services.reads.school_exists(str(shape.first_urn)):
        echo(f"The LA data (schools from URN {shape.first_urn}) is already loaded.")
        return 0
    templates = demo_templates(services.cases.clock)
    rng = random.Random(shape.seed)
    today = services.cases.clock().date()
    written = 0
    for school in range(shape.schools):
        urn = str(shape.first_urn + school)
        name = f"{rng.choice(SCHOOL_WORDS.split())} {rng.choice(['Primary', 'Academy', 'High', 'Junior', 'Community'])} School"
        services.accounts.add_school(urn, f"{name} ({urn})", shape.la_code, LA_NAMES.get(shape.la_code))
        writes: list[StreamWrite] = []
        for serial in range(1, shape.pupils_per_school + 1):
            index = school * shape.pupils_per_school + serial - 1
            child = _child(templates[index % len(templates)], shape, school, serial, urn, today, rng)
            writes.extend(child)
        written += len(services.store.append_batch(writes))
        if progress:
            progress(shape.pupils_per_school)
    return written


def demo_templates(clock: Callable[[], datetime]) -> list[Template]:
    """The demo school's children, made through the services in a scratch database."""
    folder = Path(tempfile.mkdtemp(prefix="caseflow-la-"))
    try:
        url = f"sqlite:///{folder / 'templates.db'}"
        upgrade(url)
        scratch = bootstrap(url, clock=clock)
        load_demo(scratch, echo=lambda _: None)
        streams: dict[str, list[StoredEvent]] = defaultdict(list)
        for batch, _ in scratch.store.iter_all():
            for event in batch:
                streams[event.stream_id].append(event)
        scratch.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    # the demo's classmates (registered, attendance only: a roll to set the cohort beside) are not copied:
    # the LA's children are the ones the demo's journeys and records are about
    tracked = {sid: evs for sid, evs in streams.items() if any(e.event_type not in CLASSMATE_EVENTS for e in evs)}
    templates = {sid: Template(evs) for sid, evs in tracked.items() if evs[0].stream_type == "pupil"}
    for evs in streams.values():
        if evs[0].stream_type == "case":
            templates[evs[0].data["pupil_id"]].cases.append(evs)
    return list(templates.values())


def _child(
    template: Template, shape: LaShape, school: int, serial: int, urn: str, today: date, rng: random.Random
) -> list[StreamWrite]:
    pupil_id = uuid.uuid4().hex
    names = {"given_name": rng.choice(GIVEN.split()), "family_name": rng.choice(FAMILY.split())}
    upn = make_upn(shape.la_code, f"{3000 + school % 7000:04d}", 2019, serial)
    social_worker = f"sw{(school * shape.pupils_per_school + serial) // CASELOAD:04d}"
    pupil_events = [
        _copy(e, pupil_id=pupil_id, school_urn=urn, upn=upn, social_worker=social_worker, **names)
        for e in template.pupil
        if e.event_type != "AttendanceRecorded"
    ]
    cases = [[_copy(e, pupil_id=pupil_id, school_urn=urn) for e in case] for case in template.cases]
    mis = template.pupil[0]  # who the daily feed is recorded as: the school's DSL account
    budget = shape.events_per_pupil - len(pupil_events) - sum(len(c) for c in cases)
    incidents = rng.choice([0, 0, 0, 1, 1, 2, 4])
    days = list(_school_days(today, max(5, budget - incidents)))
    pupil_events += _attendance(days, rng, mis)
    pupil_events += _incidents(days, incidents, rng, mis)
    writes = [StreamWrite(pupil_id, "pupil", 0, pupil_events)]
    writes += [StreamWrite(uuid.uuid4().hex, "case", 0, case) for case in cases]
    return writes


def _copy(event: StoredEvent, **changes: str) -> NewEvent:
    """The template event as new, with the child's own identity where the data names it."""
    data = dict(event.data)
    for key, value in changes.items():
        if key in data:
            data[key] = value
    return NewEvent(event.event_type, data, event.actor, event.role, event.occurred_at, event.workflow_version)


def _school_days(today: date, count: int) -> Iterator[date]:
    """The last ``count`` weekdays up to today, skipping the summer holiday (22 July to 31 August)."""
    day, found = today, []
    while len(found) < count:
        if day.weekday() < 5 and not (day.month == 8 or (day.month == 7 and day.day >= 22)):
            found.append(day)
        day -= timedelta(days=1)
    return reversed(found)


def _attendance(days: list[date], rng: random.Random, mis: StoredEvent) -> list[NewEvent]:
    """One event per school day, as an MIS feed sends them; absence from a realistic spread."""
    roll = rng.random()
    absent = rng.uniform(0.0, 0.09) if roll < 0.7 else rng.uniform(0.1, 0.35) if roll < 0.93 else rng.uniform(0.5, 0.85)
    out = []
    for day in days:
        marks: list[list[Any]] = []
        for session, present in (("AM", "/"), ("PM", "\\")):
            code = rng.choice(["I", "I", "M", "N", "O", "G"]) if rng.random() < absent else present
            marks.append([day.isoformat(), session, code])
        when = datetime.combine(day, time(16, 0), UTC)
        out.append(NewEvent("AttendanceRecorded", {"marks": marks}, mis.actor, mis.role, when, mis.workflow_version))
    return out


def _incidents(days: list[date], count: int, rng: random.Random, mis: StoredEvent) -> list[NewEvent]:
    out = []
    for day in sorted(rng.sample(days, min(count, len(days)))):
        data = {
            "date": day.isoformat(),
            "category": rng.choice(["disruption", "verbal_abuse", "bullying", "damage", "other"]),
            "severity": rng.choice(["low", "low", "medium", "high"]),
            "description": "Left the lesson without permission after a disagreement with a peer.",
        }
        when = datetime.combine(day, time(15, 30), UTC)
        out.append(NewEvent("BehaviourIncidentRecorded", data, mis.actor, mis.role, when, mis.workflow_version))
    return out
