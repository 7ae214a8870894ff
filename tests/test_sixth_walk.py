"""Findings of the sixth new user's walk (8 December 2026), each as the user met it."""

from __future__ import annotations

import pytest

from caseflow.domain.workflow import Workflow
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
