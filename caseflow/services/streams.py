"""Loading aggregates from their streams: the one place that knows the stream types."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caseflow.domain.case import SupportCase
from caseflow.domain.errors import NotFound
from caseflow.domain.pupil import Pupil
from caseflow.services.ports import EventStore

CASE = "case"
PUPIL = "pupil"


def plausible_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64


def load_case(store: EventStore, case_id: str, upto_version: int | None = None, as_of: datetime | None = None) -> SupportCase:
    events = store.load(case_id, upto_version) if plausible_id(case_id) else []
    if not events or events[0].stream_type != CASE:
        raise NotFound("no such case")
    return SupportCase.replay(case_id, events, upto_version=upto_version, as_of=as_of)


def load_pupil(store: EventStore, pupil_id: str) -> Pupil:
    events = store.load(pupil_id) if plausible_id(pupil_id) else []
    if not events or events[0].stream_type != PUPIL:
        raise NotFound("no such pupil")
    return Pupil.replay(pupil_id, events)
