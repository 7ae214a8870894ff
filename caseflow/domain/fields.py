"""Field specifications for action data, declared in workflow definitions.

One declaration serves three purposes: validating commands from any interface,
generating the OpenAPI schema, and building the web forms. Validation is strict:
unknown fields, wrong types and oversized values are refused with a message per
field, and nothing is coerced silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from caseflow.domain.attendance import AttendanceError, day_in_words, parse_mark
from caseflow.domain.errors import InvalidData
from caseflow.domain.wording import label

#: generous but bounded; a command is words typed by a person, not a file
MAX_TEXT = 5000
MAX_LINE = 200
MAX_ITEMS = 50

FIELD_TYPES = frozenset(
    {"text", "line", "date", "datetime", "bool", "int", "number", "choice", "choices", "lines", "people", "ref", "sessions"}
)
#: at most this many attendance marks in one command (a school year is 380 sessions)
MAX_MARKS = 2000


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of an action's data."""

    name: str
    type: str
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    min_items: int = 0
    help: str = ""
    #: (choice, what a person reads for it), where the choice's own name would not do
    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_dict(cls, name: str, spec: Mapping[str, Any]) -> FieldSpec:
        unknown = set(spec) - {"type", "label", "required", "choices", "min", "max", "max_length", "min_items", "help", "labels"}
        if unknown:
            raise ValueError(f"field {name!r}: unknown keys {sorted(unknown)}")
        if spec["type"] not in FIELD_TYPES:
            raise ValueError(f"field {name!r}: unknown type {spec['type']!r}")
        if spec["type"] in {"choice", "choices", "people"} and not spec.get("choices"):
            raise ValueError(f"field {name!r}: a {spec['type']} field needs choices")
        if set(spec.get("labels", {})) - set(spec.get("choices", ())):
            raise ValueError(f"field {name!r}: labels for choices it does not have")
        return cls(
            name=name,
            type=spec["type"],
            label=spec.get("label", name.replace("_", " ").capitalize()),
            required=bool(spec.get("required", False)),
            choices=tuple(spec.get("choices", ())),
            minimum=spec.get("min"),
            maximum=spec.get("max"),
            max_length=spec.get("max_length"),
            min_items=int(spec.get("min_items", 0)),
            help=spec.get("help", ""),
            labels=tuple(spec.get("labels", {}).items()),
        )

    def written(self, choice: str) -> str:
        """A choice as a person reads it: its label, if declared, else the code written out ('social_care' is
        'Social care')."""
        return dict(self.labels).get(choice) or label(choice)

    def _array_schema(self) -> dict[str, Any]:
        if self.type == "choices":
            return {
                "type": "array",
                "items": {"type": "string", "enum": list(self.choices)},
                "uniqueItems": True,
                "maxItems": len(self.choices),
            }
        if self.type == "lines":
            return {"type": "array", "items": {"type": "string", "maxLength": MAX_LINE}, "maxItems": MAX_ITEMS}
        if self.type == "sessions":
            return {
                "type": "array",
                "maxItems": MAX_MARKS,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["date", "session", "code"],
                    "properties": {
                        "date": {"type": "string", "format": "date"},
                        "session": {"type": "string", "enum": ["AM", "PM"]},
                        "code": {"type": "string", "maxLength": 3},
                    },
                },
            }
        return {  # people
            "type": "array",
            "maxItems": MAX_ITEMS,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "agency"],
                "properties": {
                    "name": {"type": "string", "maxLength": MAX_LINE, "minLength": 1},
                    "agency": {"type": "string", "enum": list(self.choices)},
                },
            },
        }

    def json_schema(self) -> dict[str, Any]:
        """The OpenAPI (JSON Schema) description of this field."""
        text_max = self.max_length or (MAX_TEXT if self.type == "text" else MAX_LINE)
        schema: dict[str, Any]
        if self.type in {"text", "line"}:
            schema = {"type": "string", "maxLength": text_max, "minLength": 1}
        elif self.type == "date":
            schema = {"type": "string", "format": "date"}
        elif self.type == "datetime":
            schema = {"type": "string", "format": "date-time"}
        elif self.type == "bool":
            schema = {"type": "boolean"}
        elif self.type in {"int", "ref"}:
            schema = {"type": "integer"}
            if self.type == "ref":
                schema["minimum"] = 1
        elif self.type == "number":
            schema = {"type": "number"}
        elif self.type == "choice":
            schema = {"type": "string", "enum": list(self.choices)}
        else:
            schema = self._array_schema()
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.min_items and schema.get("type") == "array":
            schema["minItems"] = self.min_items
        schema["description"] = self.label + (f". {self.help}" if self.help else "")
        return schema


def _clean_string(value: Any, limit: int) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, "must be text"
    value = value.strip()
    if "\x00" in value:
        return None, "must not contain NUL characters"
    if len(value) > limit:
        return None, f"must be at most {limit} characters (got {len(value)})"
    return value, None


def _clean(spec: FieldSpec, value: Any) -> tuple[Any, str | None]:  # noqa: C901 - one branch per type reads best
    """Return (clean value, None) or (None, plain-English problem)."""
    if spec.type in {"text", "line"}:
        limit = spec.max_length or (MAX_TEXT if spec.type == "text" else MAX_LINE)
        return _clean_string(value, limit)
    if spec.type == "date":
        if not isinstance(value, str):
            return None, "must be a date written as YYYY-MM-DD"
        try:
            return date.fromisoformat(value.strip()).isoformat(), None
        except ValueError:
            return None, "must be a real date written as YYYY-MM-DD"
    if spec.type == "datetime":
        if not isinstance(value, str):
            return None, "must be a date and time in ISO 8601 form"
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None, "must be a date and time in ISO 8601 form"
        return parsed.isoformat(), None
    if spec.type == "bool":
        if not isinstance(value, bool):
            return None, "must be true or false"
        return value, None
    if spec.type in {"int", "ref"}:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, "must be a whole number"
        if spec.type == "ref" and value < 1:
            return None, "must name an event by its version (1 or more)"
        return _bounded(spec, value)
    if spec.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            return None, "must be a number"
        return _bounded(spec, value + 0)  # + 0: -0.0 is written as 0.0
    if spec.type == "choice":
        if value not in spec.choices:
            return None, "must be one of: " + ", ".join(spec.choices)
        return value, None
    if spec.type == "choices":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "must be a list of: " + ", ".join(spec.choices)
        wrong = [v for v in value if v not in spec.choices]
        if wrong:
            return None, f"unknown value {wrong[0]!r}; choose from: " + ", ".join(spec.choices)
        if len(set(value)) != len(value):
            return None, "must not repeat a value"
        return [c for c in spec.choices if c in value], None
    if spec.type == "lines":
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            return None, f"must be a list of at most {MAX_ITEMS} short texts"
        cleaned = []
        for item in value:
            text, problem = _clean_string(item, MAX_LINE)
            if problem:
                return None, f"each item {problem}"
            if text:
                cleaned.append(text)
        return cleaned, None
    raise ValueError(f"{spec.type} fields are checked by _checked")


class PersonProblem(str):
    """A problem with one person of a list of people: the sentence a user reads, which the API sends as it is,
    knowing which person it is about (``place``, counted from 1 as the list is sent) and which of their values
    (``part``: "name", "agency", or "" for the person as a whole), so a form can put it beside that person's
    own box rather than on the list as a whole."""

    place: int
    part: str

    def __new__(cls, text: str, place: int, part: str = "") -> PersonProblem:
        problem = super().__new__(cls, text)
        problem.place, problem.part = place, part
        return problem

    def __reduce__(self) -> tuple[type[PersonProblem], tuple[str, int, str]]:
        """Copied and pickled with its person (a str's own way would call ``PersonProblem(text)``)."""
        return PersonProblem, (str(self), self.place, self.part)


def _clean_people(spec: FieldSpec, value: Any) -> tuple[list[dict[str, str]] | None, list[str]]:
    """People: [{name, agency}], each with a name and one of the field's agencies. Every person's problems are
    told at once, each naming the person as the one filling in the list knows them: by their name, or by their
    place in the words the form labels its rows with ("Person 3") when the name is what is wrong; an agency as
    people write it ("Social care")."""
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        return None, [f"{spec.label} must be a list of at most {MAX_ITEMS} people"]
    people: list[dict[str, str]] = []
    problems: list[str] = []
    for place, item in enumerate(value, 1):
        person, told = _person(spec, item, place)
        problems.extend(told)
        if person is not None:
            people.append(person)
    return (None, problems) if problems else (people, [])


def _person(spec: FieldSpec, item: Any, place: int) -> tuple[dict[str, str] | None, list[PersonProblem]]:
    """One person of a people field, clean, or what is wrong with them (``place``: 2 for the second sent)."""
    called = f"Person {place}"
    if not isinstance(item, dict):
        return None, [PersonProblem(f"{called} must be given as a name and an agency", place)]
    given, agency = item.get("name"), item.get("agency")
    name, name_problem = _clean_string(given, MAX_LINE) if given is not None else ("", None)
    who = name or called
    told: list[PersonProblem] = []
    others = [_quoted(str(key)) for key in item if key not in ("name", "agency")]
    if others:
        told.append(PersonProblem(f"{who} must be given as just a name and an agency (not {', '.join(others[:3])})", place))
    known = isinstance(agency, str) and agency in spec.choices
    unchosen = agency is None or agency == ""
    if name_problem:
        told.append(PersonProblem(f"The name of {called} {name_problem}", place, "name"))
    elif not name:
        their = f" (their agency is {spec.written(agency)})" if known else " and choose their agency" if unchosen else ""
        told.append(PersonProblem(f"Enter the name of {called}{their}", place, "name"))
    if unchosen and (name or name_problem):
        told.append(PersonProblem(f"Choose the agency of {who}", place, "agency"))
    elif not unchosen and not known:
        sent = f" ({_quoted(agency)} is not one of them)" if isinstance(agency, str) else ""
        told.append(PersonProblem(f"Choose the agency of {who} from the list{sent}", place, "agency"))
    return (None, told) if told else ({"name": name, "agency": agency}, [])


def _quoted(text: str, limit: int = 30) -> str:
    """A value a user sent, quoted in a message and cut short."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _clean_sessions(spec: FieldSpec, value: Any) -> tuple[Any, list[str]]:
    """Attendance marks: [{date, session, code}] -> sorted [[date, session, code]], one mark per session; and
    the problem of every mark that is wrong, each naming its mark (by its day, or what was sent where the day
    is what is wrong), so a register of many lines is put right in one go. The good marks are returned beside
    the problems, for the rules on their days to be told with them."""
    if not isinstance(value, list) or len(value) > MAX_MARKS:
        return None, [f"{spec.label} must be a list of at most {MAX_MARKS} marks"]
    marks: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    for item in value:
        if (
            not isinstance(item, dict)
            or set(item) != {"date", "session", "code"}
            or not all(isinstance(v, str) for v in item.values())
        ):
            sent = " ".join(str(v) for v in item.values()) if isinstance(item, dict) else str(item)
            problems.append(f"{_quoted(sent, 40)} is not a mark: give a date, a session (AM or PM) and a code")
            continue
        try:
            day, session, code = parse_mark(item["date"], item["session"], item["code"])
        except AttendanceError as error:
            named = _mark_named(item["date"])
            problems += [f"{named}{problem}" for problem in error.problems.values()]
            continue
        earlier = marks.setdefault((day.isoformat(), session), code)
        if earlier != code:
            problems.append(f"The mark for {day_in_words(day)} {session} is given twice, as {earlier} and as {code}")
    good = [[day, session, code] for (day, session), code in sorted(marks.items())]
    return good, list(dict.fromkeys(problems))


def _mark_named(text: str) -> str:
    """How a bad mark's problem begins: its day in words, where that is not what is wrong."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return ""
    return f"The mark for {day_in_words(day)}: "


def _bounded(spec: FieldSpec, value: float) -> tuple[Any, str | None]:
    if spec.minimum is not None and value < spec.minimum:
        return None, f"must be at least {spec.minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return None, f"must be at most {spec.maximum:g}"
    return value, None


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def validate(specs: Mapping[str, FieldSpec], data: Any) -> dict[str, Any]:
    """Return clean data or raise ``InvalidData`` naming every bad field."""
    clean, errors = validate_partly(specs, data)
    if errors:
        raise InvalidData(errors)
    return clean


def validate_partly(specs: Mapping[str, FieldSpec], data: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The values that are good, cleaned, and the problems of the rest: so a form with one value wrong
    can still be told, at once, which rules its other values break."""
    if not isinstance(data, Mapping):
        return {}, {"data": ["must be an object of named fields"]}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name in data:
        if name not in specs:
            errors.setdefault(str(name)[:MAX_LINE], []).append("is not a field of this action")
    for name, spec in specs.items():
        value = data.get(name)
        if _is_empty(value):
            if spec.required:
                errors.setdefault(name, []).append(_required(spec))
            continue
        cleaned, problems = _checked(spec, value)
        if problems:
            errors.setdefault(name, []).extend(problems)
            if spec.type == "sessions" and cleaned:  # the good marks: the rules on their days are told with the rest
                clean[name] = cleaned
        elif not _is_empty(cleaned):
            if spec.type == "choices" and len(cleaned) < spec.min_items:
                errors.setdefault(name, []).append(f"{spec.label} needs at least {spec.min_items}")
                continue
            clean[name] = cleaned
        elif spec.required:
            errors.setdefault(name, []).append(_required(spec))
    return clean, errors


def _checked(spec: FieldSpec, value: Any) -> tuple[Any, list[str]]:
    """The clean value, or every problem with it, each a sentence (a list of people has one a person)."""
    if spec.type == "people":
        return _clean_people(spec, value)
    if spec.type == "sessions":
        return _clean_sessions(spec, value)
    cleaned, problem = _clean(spec, value)
    return (None, [f"{spec.label} {problem}"]) if problem else (cleaned, [])


def _required(spec: FieldSpec) -> str:
    """What a required field left empty says: boxes to tick are chosen, not "required" ("Need areas is
    required" read wrongly)."""
    if spec.type == "choices" and spec.label.endswith("s"):  # a plural: "Choose at least one of the need areas"
        return f"Choose at least one of the {spec.label.lower()}"
    if spec.type == "choices":  # not "of the consulted": the choices named
        offered = [spec.written(choice) for choice in spec.choices]
        either = offered[0] if len(offered) == 1 else f"{', '.join(offered[:-1])} or {offered[-1]}"
        return f"Choose at least one for \u201c{spec.label}\u201d: {either}"
    return f"{spec.label} is required"
