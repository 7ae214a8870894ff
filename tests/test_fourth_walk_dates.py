"""From a new user's walk of the forms and dates: registering a pupil told its problems one round at a time, and
a date it could not read as "Not a valid date value."; the import page started on "Attainment" and answered a
pupils file sent as it with nine header errors, and refused the UK dates MIS exports write; a governor's report
as at a date that is none went to a bare "Invalid data" page offering "Go to your cases", and the governor's
menu offered "Cases"; the auditor's "as at" date told "Enter a date as YYYY-MM-DD" of 2026-02-31, and the
auditor's list of cases named schools by URN, with no opened date to tell a child's two cases apart."""

from __future__ import annotations

import io
import re

import pytest

from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.services.imports import ImportRejected
from tests.conftest import SCHOOL
from tests.test_imports import ADMIN, HEADER, pupils_csv
from tests.test_second_open_case import a_pupil, open_case
from tests.test_third_walk import _client

GOOD_UPN = make_upn("881", "2001", 2019, 41)
ATTAINMENT = "upn,school_year,term,subject,judgement\n"


def _field_errors(html: str) -> dict[str, str]:
    """Each field's message as the page shows it beside the field."""
    found = re.findall(r'id="([\w-]+)-error"><span class="govuk-visually-hidden">Error:</span>\s*(.*?)</p>', html, re.S)
    return {field: message.strip() for field, message in found}


# --- 1. registering a pupil ------------------------------------------------------------------------------
def test_registering_tells_every_problem_at_once_even_beside_a_date_it_cannot_read(sqlite_services: Services) -> None:
    client = _client(sqlite_services, "dsl")
    sent = {"upn": "A12345678901X", "given_name": "", "family_name": "", "date_of_birth": "31/02/2017", "school_urn": SCHOOL}
    page = client.post("/pupils/new", data=sent)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    errors = _field_errors(html)
    assert set(errors) == {"upn", "given_name", "family_name", "date_of_birth"}, errors
    assert "check letter" in errors["upn"]
    assert errors["date_of_birth"] == "Date of birth must be a real date, for example 27/03/2017"
    assert "Not a valid date value" not in html
    assert sqlite_services.store.count() == 0


def test_an_empty_registration_form_flags_every_field(sqlite_services: Services) -> None:
    sent = {"upn": "", "given_name": "", "family_name": "", "date_of_birth": "", "school_urn": SCHOOL}
    page = _client(sqlite_services, "dsl").post("/pupils/new", data=sent)
    assert page.status_code == 422
    assert set(_field_errors(page.get_data(as_text=True))) == {"upn", "given_name", "family_name", "date_of_birth"}


def test_a_date_typed_day_first_is_taken(sqlite_services: Services) -> None:
    sent = {"upn": GOOD_UPN, "given_name": "Ada", "family_name": "Day", "date_of_birth": "27/03/2017", "school_urn": SCHOOL}
    page = _client(sqlite_services, "dsl").post("/pupils/new", data=sent)
    assert page.status_code == 302
    pupil_id = sqlite_services.reads.pupil_id_for_upn(GOOD_UPN)
    assert pupil_id is not None
    assert sqlite_services.pupils.load(pupil_id).date_of_birth.isoformat() == "2017-03-27"


def test_a_case_forms_date_it_cannot_read_says_what_to_enter(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = open_case(svc, a_pupil(svc, 42, "Mo"))
    page = _client(svc, "dsl").post(f"/cases/{case_id}/actions/record_meeting", data={"date": "32/01/2026"})
    assert page.status_code == 422
    assert _field_errors(page.get_data(as_text=True))["date"] == "Date of the meeting must be a real date, for example 27/03/2017"


# --- 2. imports -------------------------------------------------------------------------------------------
def test_the_import_page_starts_with_no_kind_chosen_and_asks_for_one(sqlite_services: Services) -> None:
    client = _client(sqlite_services, "dsl")
    html = client.get("/imports").get_data(as_text=True)
    select = html[html.index('<select class="govuk-select" id="kind"') : html.index("</select>")]
    first = select[select.index("<option") : select.index("</option>")]
    assert 'value=""' in first and "Choose what the file holds" in first
    sent = {"kind": "", "file": (io.BytesIO(pupils_csv(1).encode()), "pupils.csv")}
    page = client.post("/imports", data=sent, content_type="multipart/form-data")
    assert page.status_code == 422
    assert _field_errors(page.get_data(as_text=True))["kind"] == "Choose what the file holds"
    assert sqlite_services.store.count() == 0


def test_a_file_of_another_kind_is_named_as_that_kind(sqlite_services: Services) -> None:
    with pytest.raises(ImportRejected) as rejected:
        sqlite_services.imports.run("attainment", pupils_csv(3), ADMIN, None)
    assert len(rejected.value.errors) == 1 and rejected.value.looks_like == "pupils"
    assert "these columns are those of a Pupils file" in str(rejected.value.errors[0])
    nearly = pupils_csv(3).replace(",year_group\n", "\n", 1).replace(",0\n", "\n")  # no year group: still pupils
    with pytest.raises(ImportRejected) as rejected:
        sqlite_services.imports.run("attainment", nearly, ADMIN, None)
    assert rejected.value.looks_like == "pupils"
    sent = {"kind": "attainment", "file": (io.BytesIO(pupils_csv(3).encode()), "pupils.csv")}
    page = _client(sqlite_services, "dsl").post("/imports", data=sent, content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    expected = "These columns are those of a Pupils file: choose &#39;Pupils&#39; above, or upload the attainment file."
    assert _field_errors(html)["kind"] == expected
    assert "unknown column" not in html and sqlite_services.store.count() == 0


def test_a_file_that_is_no_kind_keeps_its_header_problems(sqlite_services: Services) -> None:
    with pytest.raises(ImportRejected) as rejected:
        sqlite_services.imports.run("attainment", "upn,shoe_size\nX,4\n", ADMIN, None)
    assert rejected.value.looks_like is None
    assert any("unknown column" in str(e) for e in rejected.value.errors)


def test_uk_dates_are_taken_beside_iso_ones_and_never_month_first(services: Services) -> None:
    text = pupils_csv(2).replace("2015-02-03", "05/05/2017", 1).replace("2015-02-03", "2015-02-03")
    assert services.imports.run("pupils", text, ADMIN, None).events == 2
    first = services.reads.pupil_id_for_upn(make_upn("881", "4001", 2021, 1))
    assert first is not None and services.pupils.load(first).date_of_birth.isoformat() == "2017-05-05"
    written = "upn,date,category,severity,description\n" + make_upn("881", "4001", 2021, 1) + ",3/9/2025,verbal_abuse,low,x\n"
    assert services.imports.run("behaviour", written, ADMIN, None).events == 1
    assert services.pupils.load(first).incidents[-1]["date"] == "2025-09-03", "day first: the 3rd of September"
    month_first = HEADER + make_upn("881", "4001", 2021, 9) + ",A,B,05/25/2017,100001,1\n"
    with pytest.raises(ImportRejected) as rejected:
        services.imports.run("pupils", month_first, ADMIN, None)
    assert [str(e) for e in rejected.value.errors] == [
        "row 2, column date_of_birth: Date of birth must be a real date: 05/25/2017 is not one "
        "(write dates as DD/MM/YYYY or YYYY-MM-DD, for example 27/03/2017)"
    ]


@pytest.mark.parametrize("written", ["05-05-2017", "5 May 2017", "2017/05/05", "05/05/17"])
def test_a_date_in_no_form_taken_says_which_forms_are(services: Services, written: str) -> None:
    text = HEADER + make_upn("881", "4001", 2021, 9) + f",A,B,{written},100001,1\n"
    with pytest.raises(ImportRejected) as rejected:
        services.imports.run("pupils", text, ADMIN, None)
    (error,) = rejected.value.errors
    assert error.column == "date_of_birth"
    assert "DD/MM/YYYY or YYYY-MM-DD" in error.message and written in error.message
    assert services.store.count() == 0


def test_an_attendance_file_takes_uk_dates_too(services: Services) -> None:
    services.imports.run("pupils", pupils_csv(1), ADMIN, None)
    upn = make_upn("881", "4001", 2021, 1)
    marks = f"upn,date,session,code\n{upn},05/10/2026,AM,/\n{upn},2026-10-05,PM,\\\n"
    assert services.imports.run("attendance", marks, ADMIN, None).events == 1
    pupil_id = services.reads.pupil_id_for_upn(upn)
    assert pupil_id is not None
    assert services.pupils.load(pupil_id).attendance == {("2026-10-05", "AM"): "/", ("2026-10-05", "PM"): "\\"}
    with pytest.raises(ImportRejected) as rejected:
        services.imports.run("attendance", f"upn,date,session,code\n{upn},10/13/2026,AM,/\n", ADMIN, None)
    assert "DD/MM/YYYY or YYYY-MM-DD" in rejected.value.errors[0].message


# --- 3. pages that take a date in the address --------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "address"),
    [
        ("governor", "/reports/governors"),
        ("vs", "/reports/la"),
        ("dsl", "/cohort"),
        ("vs", "/la"),
        ("dsl", "/due"),
        ("auditor", "/audit/retention"),
    ],
)
def test_a_page_asked_for_a_date_that_is_none_shows_again_with_the_message_on_its_field(
    sqlite_services: Services, who: str, address: str
) -> None:
    page = _client(sqlite_services, who).get(f"{address}?as_of=31/02/2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Invalid data" not in html and "Go to your cases" not in html
    assert '<a href="#as_of">' in html, "the error summary links to the field"
    assert _field_errors(html)["as_of"] == "The date must be a real date, for example 27/03/2017"
    assert 'id="as_of"' in html


@pytest.mark.parametrize(("who", "address"), [("governor", "/reports/governors"), ("dsl", "/cohort"), ("vs", "/la")])
def test_the_pages_take_a_date_written_day_first(sqlite_services: Services, who: str, address: str) -> None:
    page = _client(sqlite_services, who).get(f"{address}?as_of=05/10/2026")
    assert page.status_code == 200 and "2026-10-05" in page.get_data(as_text=True)


def test_the_api_keeps_iso_dates(sqlite_services: Services) -> None:
    token = sqlite_services.accounts.issue_token("governor")
    client = _client(sqlite_services, "governor")
    asked = f"/api/v1/reports/governors?school_urn={SCHOOL}&as_of=05/10/2026"
    answer = client.get(asked, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"


def test_the_governors_menu_offers_no_cases(sqlite_services: Services) -> None:
    html = _client(sqlite_services, "governor").get("/reports/governors").get_data(as_text=True)
    menu = html[html.index('aria-label="Menu"') : html.index("</nav>")]
    assert ">Cases<" not in menu and "Governors&#39; report" in menu
    dsl = _client(sqlite_services, "dsl").get("/").get_data(as_text=True)
    assert ">Cases<" in dsl[dsl.index('aria-label="Menu"') : dsl.index("</nav>")]


# --- 4. the auditor ---------------------------------------------------------------------------------------
def test_the_auditors_date_that_is_not_in_the_calendar_is_told_so(sqlite_services: Services) -> None:
    svc = sqlite_services
    case_id = open_case(svc, a_pupil(svc, 43, "Ida"))
    page = _client(svc, "auditor").get(f"/audit/cases/{case_id}?on=2026-02-31")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "2026-02-31 is not a real date" in html and "Enter a date as YYYY-MM-DD" not in html


def test_the_auditors_list_names_the_school_and_when_each_case_opened(sqlite_services: Services) -> None:
    svc = sqlite_services
    pupil_id = a_pupil(svc, 44, "Two")
    first = open_case(svc, pupil_id)
    html = _client(svc, "auditor").get("/audit/").get_data(as_text=True)
    table = html[html.index("<caption") :]
    assert f"Oakfield Primary School ({SCHOOL})" in table
    assert f'<td class="govuk-table__cell">{SCHOOL}</td>' not in table
    assert re.search(r"Opened</th>", table)
    assert re.search(r'<td class="govuk-table__cell">\d{1,2} \w+ \d{4}', table), "when the case opened"
    assert f"/audit/cases/{first}" in table
