"""Typed domain errors: each maps to one HTTP status at the edge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


class CaseflowError(Exception):
    """Base of every error the domain raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(CaseflowError):
    """The object does not exist, or the caller may not know that it does."""

    status = 404
    title = "Not found"


class UnknownAction(NotFound):
    title = "Unknown action"


class NotPermitted(CaseflowError):
    """The caller can see the object but their role may not take this action."""

    status = 403
    title = "Not permitted"


class ConcurrencyConflict(CaseflowError):
    """The writer read an older version than the stream now has."""

    status = 409
    title = "Version conflict"

    def __init__(self, stream_id: str, expected_version: int, current_version: int) -> None:
        super().__init__(
            f"expected version {expected_version} of {stream_id}, "
            f"but it is now at version {current_version}; reload and try again"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version
        self.current_version = current_version


class SecondOpenCase(CaseflowError):
    """The pupil already has a case not closed and the opener has not confirmed another: a second need
    is often the same need raised twice, so they are shown the open ones before a duplicate is made."""

    status = 409
    title = "The pupil has an open case"

    def __init__(self, detail: str, open_cases: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        #: each open case: case_id, state, opened_on (the day in England), oldest first
        self.open_cases = open_cases


#: how an ``InvalidData``'s detail begins: the access log keeps the detail, and the auditor's page reads its fields back
INVALID_FIELDS = "some fields are not valid: "


class InvalidData(CaseflowError):
    """Fields of a command are missing, malformed, oversized or unknown."""

    status = 422
    title = "Invalid data"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        fields = ", ".join(sorted(errors))
        super().__init__(f"{INVALID_FIELDS}{fields}")
        self.errors = errors


def invalid_fields(detail: str | None) -> list[str] | None:
    """The fields an ``InvalidData``'s detail names, as a log line keeps it ('' for a rule on no one field); None
    for any other detail. A name is a field's own or one a caller sent; a cut-off list ends with a cut-off name."""
    if detail is None or not detail.startswith(INVALID_FIELDS):
        return None
    return detail[len(INVALID_FIELDS) :].split(", ")


@dataclass(frozen=True, slots=True)
class Unmet:
    """One requirement a guard found missing: a stable code and plain English, and the field whose
    value it is about, if one is, so a form can put the message on it and an import can name the column."""

    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, str]:
        found = {"code": self.code, "message": self.message}
        return found | {"field": self.field} if self.field else found


def _sentence(message: str) -> str:
    """A rule's message as a sentence in a paragraph of them: messages are sentences, most ending in a full stop."""
    return message if message.endswith((".", "?", "!")) else f"{message}."


class GuardFailed(CaseflowError):
    """The action is known and permitted, but the case is not ready for it."""

    status = 422
    title = "Requirements not met"

    def __init__(self, unmet: list[Unmet]) -> None:
        super().__init__(" ".join(_sentence(u.message) for u in unmet))
        self.unmet = list(unmet)


class IntegrityError(CaseflowError):
    """Stored history fails verification (tampering or corruption)."""

    status = 500
    title = "Integrity failure"


class DayNotKnown(InvalidData):
    """Figures asked as at a day Caseflow cannot give them for: before the school's first record, it holds no record
    of who was on the roll. A question that cannot be answered (400), not a command's field (422); its detail is
    the message, which names the day that can be asked."""

    status = 400
    title = "Bad request"

    def __init__(self, message: str, field: str = "as_of") -> None:
        super().__init__({field: [message]})
        self.detail = message
        self.args = (message,)


class RecordedAlready(CaseflowError):
    """The same person recorded this very entry a short while ago (``caseflow.domain.repeats``), and a form's sender
    has not confirmed it is another: nothing is written until they do. The API's clients are not asked."""

    status = 409
    title = "Recorded already"

    def __init__(self, event_type: str, version: int, recorded_at: datetime, asked_at: datetime) -> None:
        super().__init__(f"the same entry was recorded at version {version}; send it again confirmed to record another")
        self.event_type = event_type
        #: the earlier entry's version: a confirmation counts for that entry only
        self.version = version
        self.recorded_at = recorded_at
        #: when the person was asked, for saying "today"
        self.asked_at = asked_at
