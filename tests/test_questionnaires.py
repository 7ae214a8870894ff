"""Questionnaires are data: an unconfigured one refuses scores; configuring one needs no code change."""

from __future__ import annotations

import pytest

from caseflow.bootstrap import Services
from caseflow.demo import make_upn
from caseflow.domain.errors import GuardFailed
from tests.conftest import SCHOOL, principal
from workflows import questionnaires


def _pupil(svc: Services) -> str:
    dsl = principal(svc, "dsl")
    data = {
        "upn": make_upn("881", "2001", 2019, 44),
        "given_name": "Q",
        "family_name": "R",
        "date_of_birth": "2015-01-01",
        "school_urn": SCHOOL,
    }
    return svc.pupils.register(dsl, data).id


def test_unconfigured_questionnaire_refuses_scores(sqlite_services: Services) -> None:
    pupil_id = _pupil(sqlite_services)
    mhl = principal(sqlite_services, "mhl")
    data = {"questionnaire": "adq", "administered_on": "2026-11-01", "scale": "total", "score": 12}
    with pytest.raises(GuardFailed) as refused:
        sqlite_services.pupils.act(mhl, pupil_id, "record_questionnaire", 1, data)
    assert refused.value.unmet[0].code == "questionnaire_not_configured"


def test_configuring_a_questionnaire_is_data_only(sqlite_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        questionnaires.QUESTIONNAIRES,
        "adq",
        {"label": "ADQ", "configured": True, "scales": {"total": {"min": 0, "max": 40}}},
    )
    pupil_id = _pupil(sqlite_services)
    mhl = principal(sqlite_services, "mhl")
    base = {"questionnaire": "adq", "administered_on": "2026-11-01", "scale": "total"}
    with pytest.raises(GuardFailed) as refused:
        sqlite_services.pupils.act(mhl, pupil_id, "record_questionnaire", 1, {**base, "score": 41})
    assert refused.value.unmet[0].code == "questionnaire_score"
    pupil, _ = sqlite_services.pupils.act(mhl, pupil_id, "record_questionnaire", 1, {**base, "score": 18})
    assert pupil.wellbeing[-1]["score"] == 18
