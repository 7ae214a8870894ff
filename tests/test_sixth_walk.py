"""Findings of the sixth new user's walk (8 December 2026), each as the user met it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from caseflow import create_app
from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.events import london_date, long_date
from caseflow.domain.workflow import Workflow
from tests.conftest import SCHOOL, principal
from workflows import CURRENT, PUPIL_RECORD, REGISTRY
from workflows.questionnaires import QUESTIONNAIRES

#: the guidance's own names for its key services (seeds/essex-cwsw-guidance.txt, "Key services")
GUIDANCE_NAMES = {
    "virtual_school": "Virtual School",
    "local_offer_send": "Local Offer (SEND)",
    "one_planning": "One Planning",
    "semh_portal": "SEMH portal",
    "send_iass": "SEND IASS (information, advice and support)",
    "cyp_health_wellbeing": "Children and Young People Health and Wellbeing",
    "post_16_guidance": "Post-16 Guidance",
}


def _choices(workflow: str, action: str, field: str) -> dict[str, str]:
    spec = Workflow(REGISTRY[workflow]).action(action).fields[field]
    return {choice: spec.written(choice) for choice in spec.choices}


@pytest.mark.parametrize(("code", "words"), GUIDANCE_NAMES.items())
def test_a_service_is_offered_by_the_name_the_guidance_gives_it(code: str, words: str) -> None:
    """The walk read "Local offer send", "Semh portal", "Send iass", "Cyp health wellbeing", "Post 16 guidance"."""
    assert _choices(CURRENT, "refer_to_service", "service")[code] == words


def test_no_service_is_offered_as_its_code_spelt_out() -> None:
    for code, words in _choices(CURRENT, "refer_to_service", "service").items():
        assert words != code.replace("_", " ").capitalize(), (code, words)


def test_questionnaires_and_curriculum_areas_are_named_as_people_write_them() -> None:
    """The walk read "Sdq" and "Adq" in the measure and questionnaire lists, and a hotspot would read "Rse"."""
    assert _choices(PUPIL_RECORD, "record_wellbeing", "measure") == {"sdq": "SDQ (Strengths and Difficulties Questionnaire)"}
    assert _choices(PUPIL_RECORD, "record_questionnaire", "questionnaire") == {"adq": QUESTIONNAIRES["adq"]["label"]}
    areas = _choices(CURRENT, "record_reasonable_adjustment", "area")
    assert (areas["re"], areas["rse"], areas["pshe"]) == ("RE", "RSE", "PSHE")


def _client(svc: Services, username: str) -> FlaskClient:
    app = create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


def test_a_reasonable_adjustment_on_a_case_reaches_the_pupil_s_class_teacher(services: Services) -> None:
    """A DSL recorded an RSE adjustment on Ben's case; his teacher's "My classes" still showed only the classroom
    profile. The guidance: class teachers are aware of the strategies, and hotspots such as RSE are adjusted."""
    svc = services
    svc.accounts.add_user("dshah", ["dsl"], [SCHOOL], password="correct horse battery", display_name="Dana Shah (DSL)")
    dsl = principal(svc, "dshah")
    pupil_id = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 61), "given_name": "Ben", "family_name": "Carter",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip
    svc.pupils.act(dsl, pupil_id, "assign_teacher", 1, {"teacher": "teacher"})
    case_id = svc.cases.open_case(
        dsl, {"pupil_id": pupil_id, "need_areas": ["family"], "description": "Private: the family's court hearing"}
    ).id
    teacher = _client(svc, "teacher")
    assert "Not agreed on a case yet" in teacher.get("/classroom").get_data(as_text=True)
    svc.cases.act(
        dsl, case_id, "record_reasonable_adjustment", 1,
        {"area": "rse", "adjustment": "Pre-teach the family-relationships unit 1:1 first.", "consulted": ["family", "child"]},
    )  # fmt: skip
    svc.cases.act(
        dsl, case_id, "record_reasonable_adjustment", 2,
        {"area": "english", "adjustment": "Offer another text than the memoir.", "consulted": ["child"]},
    )  # fmt: skip
    page = teacher.get("/classroom").get_data(as_text=True)
    card = page[page.index(f'id="profile-{pupil_id}"') :]
    assert "RSE: Pre-teach the family-relationships unit 1:1 first." in card
    assert "English: Offer another text than the memoir." in card
    assert card.index("English:") < card.index("RSE:"), "newest first"
    assert "Agreed with the family and the child" in card and "Agreed with the child" in card
    assert f"recorded by Dana Shah (DSL) on {long_date(london_date(svc.cases.clock()))}." in card
    assert "court hearing" not in page, "nothing else of the case reaches the classroom"
    svc.accounts.add_user("teacher2", ["teacher"], [SCHOOL], password="correct horse battery")
    assert "Pre-teach" not in _client(svc, "teacher2").get("/classroom").get_data(as_text=True)
    form = _client(svc, "dshah").get(f"/cases/{case_id}/actions/record_reasonable_adjustment").get_data(as_text=True)
    assert "The pupil&#39;s class teachers see this" in form, "the DSL is told who reads it"


def test_a_lead_of_two_schools_chooses_between_them_by_name(services: Services) -> None:
    """The due list's and the term dates' lists of schools offered bare URNs ("100002") where every other page names
    the school."""
    from tests.conftest import OTHER_SCHOOL

    services.accounts.add_user("exec", ["dsl"], [SCHOOL, OTHER_SCHOOL], password="correct horse battery")
    client = _client(services, "exec")
    for address in ("/due", f"/terms?school_urn={SCHOOL}"):
        page = client.get(address).get_data(as_text=True)
        assert f'<option value="{OTHER_SCHOOL}" >Riverside Academy ({OTHER_SCHOOL})</option>' in page, address
        assert f">{OTHER_SCHOOL}</option>" not in page, address


def test_a_pupil_record_or_a_rating_changed_meanwhile_is_told_without_version_numbers(services: Services) -> None:
    """The case form's conflict names what changed in words; the pupil record's and the self-assessment's still read
    'It moved from version 3 to 4' and offered to 'start again from the latest version'."""
    svc = services
    dsl = principal(svc, "dsl")
    pupil_id = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 62), "given_name": "Cara", "family_name": "Dunn",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip
    today = london_date(svc.cases.clock())
    incident = {"date": today.isoformat(), "category": "disruption", "severity": "low", "description": "Shouted."}
    svc.pupils.act(dsl, pupil_id, "record_behaviour_incident", 1, incident)
    client = _client(svc, "dsl")
    refused = client.post(
        f"/pupils/{pupil_id}/actions/record_behaviour_incident",
        data={"expected_version": "1", "date": today.strftime("%d/%m/%Y"), "category": "damage", "severity": "high",
              "description": "Hit out."},
    )  # fmt: skip
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "While you were working, an entry was recorded on this record." in text
    assert "version" not in text[text.index("govuk-error-summary") : text.index("</form>")].casefold().replace(
        'name="expected_version"', ""
    ).replace("expected_version", "")
    svc.self_assessment.assess(dsl, SCHOOL, 0, {"indicator": "2", "rating": "developing", "evidence": "Started."})
    rated = client.post(
        f"/self-assessment/3?school_urn={SCHOOL}", data={"expected_version": "0", "rating": "embedded", "evidence": "Yes."}
    )
    text = rated.get_data(as_text=True)
    assert rated.status_code == 409 and "While you were working, the school's self-assessment changed." in text
    assert "moved from version" not in text


def test_the_case_page_names_the_social_worker_and_the_looked_after_status(services: Services) -> None:
    """The sixth walk, as the Virtual School: a case's page did not name the child's social worker, nor say that
    Finley was previously looked after, which the Virtual School's duties turn on."""
    svc = services
    svc.accounts.add_user("jevans", ["social_worker"], [], password="correct horse battery", display_name="Jo Evans (Social worker)")
    dsl = principal(svc, "dsl")
    pupil_id = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 64), "given_name": "Finley", "family_name": "Ward",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip
    svc.pupils.record_episode(dsl, pupil_id, {"plan": "cin", "start_date": "2025-01-06", "social_worker": "jevans"})
    svc.pupils.act(
        dsl, pupil_id, "record_care_status", 2, {"status": "previously_looked_after", "since": "2024-05-01", "order": "sgo"}
    )
    case_id = svc.cases.open_case(dsl, {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "x"}).id
    for reader in ("dsl", "vs"):
        page = _client(svc, reader).get(f"/cases/{case_id}").get_data(as_text=True)
        row = page[page.index("Social care</dt>") :][:600]
        assert "Has a social worker now: Jo Evans (Social worker)" in row, (reader, row)
        assert "Previously looked after since 1 May 2024" in row, (reader, row)


def test_an_intervention_s_target_is_shown_beside_its_baseline_and_on_the_outcome_form(services: Services) -> None:
    """The sixth walk: the case's interventions table had no Target column, and the outcome form showed neither the
    baseline nor the target the outcome is measured against."""
    svc = services
    dsl = principal(svc, "dsl")
    pupil_id = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 65), "given_name": "Ola", "family_name": "Ade",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip
    case_id = svc.cases.open_case(dsl, {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "x"}).id
    version = svc.store.current_version(case_id)
    svc.cases.act(dsl, case_id, "start_one_plan", version, {})
    svc.cases.act(dsl, case_id, "record_plan", version + 1, {"outcomes": ["Attend every day"], "strengths": "Kind"})
    review = (london_date(svc.cases.clock()) + timedelta(days=30)).isoformat()
    plan = {"intervention": "Morning mentoring", "owner": "Mr P", "baseline": "85% attendance", "target": "95% attendance",
            "review_date": review}  # fmt: skip
    svc.cases.act(dsl, case_id, "plan_intervention", version + 2, plan)
    client = _client(svc, "dsl")
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    table = page[page.index('id="interventions"') :]
    assert ">Target</th>" in table and "95% attendance" in table[: table.index("</table>")]
    form = client.get(f"/cases/{case_id}/actions/record_outcome").get_data(as_text=True)
    assert "85% attendance" in form and "95% attendance" in form


def test_the_cohort_page_says_how_far_its_figures_run(services: Services) -> None:
    """The seventh walk: attendance 'as at' a day is counted by month, to the end of that month, and incidents over
    the school year, yet the page said both were 'of this school year up to 1 October 2026'; and it said the whole
    school is the roll 'now', where the roll is counted as at the day asked."""
    page = _client(services, "dsl").get("/cohort").get_data(as_text=True)
    note = page[page.index('id="comparison-note"') :][:700]
    assert "up to" not in note.split("suspensions")[0] and "roll now" not in note
    assert "counted by month" in note and "the pupils on its roll that day" in note


def test_a_case_page_links_the_term_dates_only_for_those_who_may_open_them(services: Services) -> None:
    """The seventh walk: a social worker's case page linked 'term dates', which answered them 403."""
    svc = services
    dsl = principal(svc, "dsl")
    pupil_id = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 66), "given_name": "Ben", "family_name": "Carter",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip
    svc.pupils.record_episode(dsl, pupil_id, {"plan": "cin", "start_date": "2025-01-06", "social_worker": "sw"})
    case_id = svc.cases.open_case(dsl, {"pupil_id": pupil_id, "need_areas": ["behaviour"], "description": "x"}).id
    version = svc.store.current_version(case_id)
    svc.cases.act(dsl, case_id, "start_one_plan", version, {})
    start = (london_date(svc.cases.clock()) + timedelta(days=7)).isoformat()
    svc.cases.act(principal(svc, "slt"), case_id, "propose_suspension", version + 1, {"days": 1, "start_date": start, "reason": "x"})
    link = f'href="/terms?school_urn={SCHOOL}"'
    for reader, linked in (("dsl", True), ("sw", False)):
        page = _client(svc, reader).get(f"/cases/{case_id}").get_data(as_text=True)
        assert "term dates" in page and (link in page) is linked, reader


def test_a_virtual_school_officer_is_not_added_for_a_local_authority_with_no_school(services: Services) -> None:
    """The seventh walk: the administrator added a Virtual School officer for LA 999 (a typo for 881), who then saw
    'Local authority 999 · 0 schools'; giving the role already refused it."""
    from caseflow.adapters.accounts import AccountError

    with pytest.raises(AccountError, match="No school in LA 999"):
        services.accounts.add_user("vs2", ["virtual_school"], [], password="correct horse battery", la_code="999")
    assert services.accounts.user("vs2") is None
    assert services.accounts.add_user("vs3", ["virtual_school"], [], password="correct horse battery", la_code="881")


def test_two_interventions_planned_in_one_sitting_are_told_apart_in_the_correction_list(services: Services) -> None:
    """The seventh walk: the correction form listed 'Plan an intervention, 8 December 2026, 02:15, by Priya Nair
    (SENCo)' twice, with nothing to say which intervention each was."""
    svc = services
    dsl = principal(svc, "dsl")
    pupil_id = svc.pupils.register(
        dsl,
        {"upn": make_upn("881", "2001", 2019, 67), "given_name": "Ola", "family_name": "Ade",
         "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    ).id  # fmt: skip
    case_id = svc.cases.open_case(dsl, {"pupil_id": pupil_id, "need_areas": ["attendance"], "description": "x"}).id
    version = svc.store.current_version(case_id)
    svc.cases.act(dsl, case_id, "start_one_plan", version, {})
    review = (london_date(svc.cases.clock()) + timedelta(days=30)).isoformat()
    for n, name in enumerate(("Morning mentoring", "Catch-up reading")):
        plan = {"intervention": name, "owner": "Mr P", "baseline": "85%", "review_date": review}
        svc.cases.act(dsl, case_id, "plan_intervention", version + 1 + n, plan)
    form = _client(svc, "dsl").get(f"/cases/{case_id}/actions/record_correction").get_data(as_text=True)
    assert "Plan an intervention \u201cMorning mentoring\u201d, " in form and "Plan an intervention \u201cCatch-up reading\u201d, " in form


def test_a_tick_box_list_left_empty_names_what_to_choose() -> None:
    """The seventh walk: a reasonable adjustment with nobody ticked said 'Choose at least one of the consulted'."""
    from caseflow.domain.fields import validate_partly as validate

    spec = Workflow(REGISTRY[CURRENT]).action("record_reasonable_adjustment").fields
    _, errors = validate(spec, {"area": "rse", "adjustment": "Pre-teach the unit."})
    assert errors["consulted"] == ["Choose at least one for \u201cConsulted\u201d: Family or Child"]
    need = Workflow(REGISTRY[CURRENT]).action("open_case").fields
    assert validate(need, {"pupil_id": "p", "description": "x"})[1]["need_areas"] == ["Choose at least one of the need areas"]


def test_a_page_not_found_says_so_as_a_sentence(services: Services) -> None:
    """The seventh walk: 404 pages read 'no such case' and 'no such pupil', in a developer's lower case."""
    client = _client(services, "dsl")
    for address, said in (("/cases/nowhere", "No such case."), ("/pupils/nowhere", "No such pupil.")):
        page = client.get(address)
        assert page.status_code == 404 and said in page.get_data(as_text=True), address
