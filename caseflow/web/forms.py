"""Web forms built from the same field declarations that validate every command.

WTForms only shapes the input (and checks CSRF); the domain's validation is the
one that decides, and its messages are put back on the fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from caseflow.domain.attendance import codes_in_words
from caseflow.domain.dates import read_day, real_date_wanted
from caseflow.domain.errors import ConcurrencyConflict, GuardFailed, InvalidData, RecordedAlready, Unmet
from caseflow.domain.fields import FieldSpec, PersonProblem
from caseflow.domain.wording import repeat_question

#: the most rows a form's list of people grows to with "Add another person": a meeting's attendees fit in it
#: with room to spare (the API takes up to MAX_ITEMS), and the page stays one a person can read down
MAX_PEOPLE_ROWS = 20
#: the name of the "Add another person" button: its value is the list of people to give another row
ADD_ROW = "add_row"
#: a recording form's box to tick that its entry, like one the person recorded a short while ago, is another one; and
#: the entry the question was about (a tick counts for that entry only: see ``submit``)
REPEAT_CONFIRMED = "repeat_confirmed"
REPEAT_OF = "repeat_of"


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PeopleField(FieldList):
    """A list of rows whose index a browser sends as ASCII digits ("attendees-2-name"). WTForms takes any key
    ``str.isdigit`` accepts, and '²' or a number of thousands of digits then fails in ``int()``: a 500 from a
    crafted post. Such a key names no row; it is left out, as any other unknown key is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type = "FieldList"  # the templates draw it as the list it is

    def _extract_indices(self, prefix: str, formdata: Any) -> Iterable[int]:
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= 6:
                    yield int(index)


class DayField(DateField):
    """A date as a person types it, day first (27/03/2017), or as the browser's date picker sends it
    (2017-03-27); one that is neither, or no day of the calendar, is told saying what to enter, naming the
    field, the same on every form (WTForms' own "Not a valid date value." says neither). Shown again as
    YYYY-MM-DD, which the date picker takes."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = " ".join(str(value) for value in valuelist).strip()
        self.data = read_day(text) if text else None
        if text and self.data is None:
            raise ValueError(real_date_wanted(self.label.text))


def options(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _person_form(spec: FieldSpec) -> type[Form]:
    class PersonForm(Form):
        name = StringField("Name", validators=[Optional()])
        agency = SelectField(  # an agency not offered (an old page) goes to the domain, which names the person
            "Agency",
            choices=options([("", "Choose an agency")] + [(a, spec.written(a)) for a in spec.choices]),
            validators=[Optional()],
            validate_choice=False,
        )

    return PersonForm


def _wtf_field(spec: FieldSpec) -> Field:
    kw: dict[str, Any] = {"label": spec.label, "description": spec.help, "validators": [Optional()]}
    if spec.type == "text":
        return TextAreaField(**kw)
    if spec.type == "lines":
        kw["description"] = spec.help or "One per line."
        return TextAreaField(**kw)
    if spec.type == "sessions":
        example = "for example 27/3/2026 AM /"
        kw["description"] = f"One mark per line: the day, AM or PM, and the code, {example}. Codes: {codes_in_words()}."
        return TextAreaField(**kw)
    if spec.type == "line":
        return StringField(**kw)
    if spec.type == "date":
        return DayField(**kw)
    if spec.type == "bool":
        return BooleanField(**kw)
    if spec.type in {"int", "ref"}:
        return IntegerField(**kw)
    if spec.type == "number":
        return FloatField(**kw)
    if spec.type == "choice":
        return SelectField(choices=options([("", "Choose…")] + [(c, spec.written(c)) for c in spec.choices]), **kw)
    if spec.type == "choices":
        return CheckboxesField(choices=options([(c, spec.written(c)) for c in spec.choices]), **kw)
    if spec.type == "people":
        return PeopleField(FormField(_person_form(spec)), min_entries=4, max_entries=MAX_PEOPLE_ROWS, label=spec.label)
    if spec.type == "datetime":
        return StringField(**kw)
    raise ValueError(spec.type)


def action_form(
    fields: Mapping[str, FieldSpec],
    prefix_fields: Mapping[str, Field] | None = None,
    entries: Mapping[str, list[tuple[int | str, str]]] | None = None,
    accounts: Mapping[str, Mapping[str, str]] | None = None,
) -> type[FlaskForm]:
    """A FlaskForm class for one action's fields. ``entries``: for a field that names an earlier entry by its
    version (or another case by its id), the entries it may name, each as a reader knows it: a list to choose from,
    not a number or an id to know. ``accounts``: for a field that names a person by their account's username, the
    accounts it may name (by username): a list of people, each named as staff pages name them, not a username to know
    or a name to type."""
    from caseflow.web import person  # the package imports this module before it defines its filters

    attrs: dict[str, Any] = dict(prefix_fields or {})
    for name, spec in fields.items():
        if accounts and name in accounts:
            # each as every staff page names them: "Jo Evans (Social worker)", the username only beside a namesake's
            named = sorted(((user, person(user)) for user in accounts[name]), key=lambda pair: (pair[1].casefold(), pair[0]))
            attrs[name] = SelectField(  # a name not offered (an old page) goes to the rules, which say why not
                label=spec.label,
                description=spec.help,
                choices=options([("", "Choose someone"), *named]),
                validators=[Optional()],
                validate_choice=False,
            )
        elif spec.type in {"ref", "line"} and entries and name in entries:
            choices = [("", "Choose…")] + [(str(key), text) for key, text in entries[name]]
            attrs[name] = SelectField(  # one not offered (an old link) goes to the rules, which say why not
                label=spec.label,
                description=spec.help,
                choices=options(choices),
                coerce=_version if spec.type == "ref" else _line,
                validators=[Optional()],
                validate_choice=False,
            )
        else:
            attrs[name] = _wtf_field(spec)
    return type("ActionForm", (FlaskForm,), attrs)


def _version(value: Any) -> int | None:
    """A chosen entry's version (None for "Choose…", and for 0, which no list offers: "-1" is none either, and the
    field's own check would name versions, which a list's reader never sees)."""
    if isinstance(value, int):
        return value or None
    chosen = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9 else None
    return chosen or None


def _line(value: Any) -> str | None:
    """A chosen entry's id (None for "Choose…", as an empty line is none)."""
    return value if isinstance(value, str) and value else None


def form_data(form: FlaskForm, fields: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """Turn submitted form values into the plain data a command takes."""
    data: dict[str, Any] = {}
    for name, spec in fields.items():
        value = form[name].data
        if spec.type == "date" and value is not None:
            value = value.isoformat()
        elif spec.type == "lines":
            value = [line.strip() for line in (value or "").splitlines() if line.strip()]
        elif spec.type == "sessions":
            value = [_mark(line.split()) for line in (value or "").splitlines() if line.strip()]
        elif spec.type == "people":
            value = [{"name": person, "agency": agency} for person, agency in _people_rows(form[name])]
        elif spec.type == "bool":
            value = bool(value)
            if not value:
                continue
        if value in (None, "", []):
            continue
        data[name] = value
    return data


def _mark(words: list[str]) -> dict[str, str]:
    """One line of the attendance form as a mark: its day read as every date box reads one (27/3/2026 or
    2026-03-27), as YYYY-MM-DD for the record; a line of other than three parts is sent as it is, for the rules
    to quote it back (its day as typed)."""
    if len(words) != 3:
        parts = [*words[:3], " ".join(words[3:])] if len(words) > 3 else words
        return dict(zip(("date", "session", "code", "more"), parts, strict=False))
    day = read_day(words[0])
    return {"date": day.isoformat() if day else words[0], "session": words[1], "code": words[2]}


def fill(form: FlaskForm, fields: Mapping[str, FieldSpec], data: Mapping[str, Any]) -> None:
    """Put data as a command takes it (``form_data``'s answer) back on the form, for it to open with what the
    case records. Only text is put back: a value of another shape (an older event's) leaves its field empty
    rather than showing something the user did not write."""
    for name, value in data.items():
        spec = fields.get(name)
        if spec is None:
            continue
        if spec.type in {"text", "line"} and isinstance(value, str):
            form[name].data = value
        elif spec.type == "lines" and isinstance(value, list) and all(isinstance(line, str) for line in value):
            form[name].data = "\n".join(value)


def _people_rows(field: FieldList) -> list[tuple[str, str]]:
    """A list of people's rows as sent: each (name, agency), the wholly empty rows left out."""
    rows = [((entry.form.name.data or "").strip(), entry.form.agency.data or "") for entry in field.entries]
    return [(name, agency) for name, agency in rows if name or agency]


def close_up_people(form: FlaskForm, fields: Mapping[str, FieldSpec]) -> None:
    """Show a list of people as it is sent, its empty rows after the rest: a message's "Person 2" is then
    Person 2 of the form, whichever rows were left empty."""
    for name, spec in fields.items():
        if spec.type == "people":
            rows = _people_rows(form[name])
            for index, entry in enumerate(form[name].entries):
                entry.form.name.data, entry.form.agency.data = rows[index] if index < len(rows) else ("", "")


def add_row(form: FlaskForm, fields: Mapping[str, FieldSpec], sent: Mapping[str, str]) -> bool:
    """Whether ``sent`` (the posted form) is a press of a list's "Add another person", which then has one more
    empty row, up to MAX_PEOPLE_ROWS (the page says when the list is full). The form is to be shown again as
    typed: nothing is recorded and nothing is told wrong, as the user is still filling it in."""
    name = sent.get(ADD_ROW)
    if name not in fields or fields[name].type != "people":
        return False
    people: FieldList = form[name]
    if len(people.entries) < MAX_PEOPLE_ROWS:
        people.append_entry().added = True  # its name box takes the focus: the user is about to fill it in
    return True


def put_errors(form: FlaskForm, errors: Mapping[str, list[str]]) -> None:
    """Show the domain's messages on the form's fields (or on the form as a whole); a message about one
    person of a list goes on that person's own box, for the error summary to link to it."""
    for name, messages in errors.items():
        if name in form._fields:
            field = form[name]
            if isinstance(field, FieldList):  # as WTForms has a list's errors: its own, then each row's
                own = [message for message in field.errors if isinstance(message, str)]
                own += [message for message in messages if not _put_on_person(field, message)]
                field.errors = own + [entry.errors for entry in field.entries if entry.errors]
                continue
            field.errors = list(field.errors) + list(messages) if isinstance(field.errors, list) else list(messages)
        else:
            form.form_errors.extend(messages)


def _put_on_person(people: FieldList, message: str) -> bool:
    """Put a message about one person on their name box or agency select (a message about the person as a
    whole on their name); False if it names no row of the form."""
    if not isinstance(message, PersonProblem) or not 1 <= message.place <= len(people.entries):
        return False
    box = people.entries[message.place - 1].form["agency" if message.part == "agency" else "name"]
    box.errors = [*box.errors, message]
    return True


def put_unmet(form: FlaskForm, unmet: Iterable[Unmet], remedy: Callable[[str], tuple[str, str] | None] | None = None) -> None:
    """Show unmet requirements: on the field a requirement names, if the form has it (the error summary
    then links to it), else on the form as a whole, where the summary links to the form that meets it
    (``remedy``: a requirement's code to that form's address and label, if the user may fill it in)."""
    form.remedies = {}
    for requirement in unmet:
        put_errors(form, {requirement.field or "": [requirement.message]})
        if remedy and requirement.field not in form._fields and (link := remedy(requirement.code)):
            form.remedies[requirement.message] = link


def recording_fields() -> dict[str, Field]:
    """The fields a form that records an entry through ``submit`` has besides its action's: the version the person
    read, and the question asked only when the entry repeats one they recorded a short while ago (the templates show
    it with ``repeat_question``, above the form's own fields)."""
    return {
        "expected_version": HiddenField(),
        REPEAT_OF: HiddenField(),
        REPEAT_CONFIRMED: BooleanField("Yes, record it again", validators=[Optional()]),
    }


def _repeat_confirmed(form: FlaskForm) -> int | None:
    """The entry the person confirmed theirs is another of, if they ticked the box the question showed."""
    if REPEAT_CONFIRMED not in form or not form[REPEAT_CONFIRMED].data:
        return None
    asked = form[REPEAT_OF].data
    return int(asked) if isinstance(asked, str) and asked.isascii() and asked.isdigit() and len(asked) <= 9 else None


def ask_about_repeat(form: FlaskForm, recorded: RecordedAlready) -> None:
    """Show the form again asking whether its entry is another one, the box unticked, naming the entry asked about."""
    form.repeat_question, form[REPEAT_CONFIRMED].label.text = repeat_question(
        recorded.event_type, recorded.recorded_at, recorded.asked_at
    )
    form[REPEAT_CONFIRMED].data = False
    form[REPEAT_OF].data = str(recorded.version)


def submit(
    form: FlaskForm,
    fields: Mapping[str, FieldSpec],
    take: Callable[[int, dict[str, Any], int | None], Any],
    remedy: Callable[[str], tuple[str, str] | None] | None = None,
) -> tuple[int, Any]:
    """Run a command from a submitted action form: (200, None) when done, else the status and any conflict.

    ``take`` runs it with the version read, the data, and the entry the person confirmed theirs is another of (None:
    not confirmed), for the service to ask (``RecordedAlready``) when it repeats one they recorded a short while ago:
    saved, then sent again from the form Back brings, fetched again with the version now. The form is then shown
    again with the question (409). Field errors and unmet requirements go back onto the form; nothing is changed.
    """
    try:
        expected = int(form.expected_version.data or "-1")
    except ValueError:
        expected = -1
    close_up_people(form, fields)
    try:
        take(expected, form_data(form, fields), _repeat_confirmed(form))
    except RecordedAlready as error:
        ask_about_repeat(form, error)
        return 409, None
    except InvalidData as error:
        put_errors(form, error.errors)
        return 422, None
    except GuardFailed as error:
        put_unmet(form, error.unmet, remedy)
        return 422, None
    except ConcurrencyConflict as error:
        return 409, error
    return 200, None
