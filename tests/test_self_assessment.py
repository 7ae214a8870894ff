"""The school's self-assessment against the guidance's evidence of good practice: who may rate,
who may read, what a bad rating changes (nothing), and the governors' report as at a date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from caseflow import create_app
from caseflow.adapters.database import read_transaction
from caseflow.adapters.tables import access_log
from caseflow.bootstrap import Services, bootstrap
from caseflow.domain.errors import ConcurrencyConflict, InvalidData, NotFound, NotPermitted
from caseflow.domain.events import StoredEvent
from caseflow.domain.self_assessment import SelfAssessment, stream_id_for
from tests.conftest import OTHER_SCHOOL, SCHOOL, Clock, Database, principal, seed_people
from workflows.good_practice import INDICATORS, RATINGS

GOOD = {"indicator": "1", "rating": "developing", "evidence": "Cohort tracked half-termly by the DSL."}


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 9, 10, 9, 0, tzinfo=UTC))


@pytest.fixture
def svc(database: Database, clock: Clock) -> Iterator[Services]:
    services = bootstrap(database.url, clock=clock)
    seed_people(services)
    yield services
    services.close()


def _event(version: int, event_type: str, data: dict[str, str], recorded_at: datetime) -> StoredEvent:
    return StoredEvent(
        stream_id="s", stream_type="self_assessment", version=version, position=version, event_type=event_type,
        schema_version=1, data=data, actor="dsl", role="dsl", occurred_at=recorded_at, recorded_at=recorded_at,
        workflow_version="school_self_assessment@1", prev_hash="", hash="",
    )  # fmt: skip


def test_the_indicators_are_the_guidance_s_own_in_its_order() -> None:
    """All 21 of the guidance's evidence of good practice, numbered in its order, from its first
    (tracking the cohort) to its last (wellbeing tracked termly)."""
    openings = [text.split()[0:3] for _, text in INDICATORS]
    assert len(INDICATORS) == 21 and [n for n, _ in INDICATORS] == [str(n) for n in range(1, 22)]
    assert openings[0] == ["Established", "systems", "for"] and openings[-1] == ["Emotional", "wellbeing", "is"]


def test_a_replay_as_at_a_moment_keeps_only_what_was_written_by_then() -> None:
    t0 = datetime(2026, 9, 1, tzinfo=UTC)
    log = [
        _event(1, "SelfAssessmentStarted", {"school_urn": SCHOOL}, t0),
        _event(2, "IndicatorAssessed", {"indicator": "3", "rating": "not_yet", "evidence": "a"}, t0),
        _event(3, "IndicatorAssessed", {"indicator": "3", "rating": "embedded", "evidence": "b"}, t0 + timedelta(days=30)),
    ]
    then = SelfAssessment.replay("s", log, recorded_by=t0 + timedelta(days=1))
    now = SelfAssessment.replay("s", log)
    assert then.latest["3"].rating == "not_yet" and now.latest["3"].rating == "embedded"
    assert [r.rating for r in now.history] == ["not_yet", "embedded"], "a new rating is kept beside the last"
    assert now.counts() == {"embedded": 1, "developing": 0, "not_yet": 0, "not_rated": 20}
    assert [number for number, _, _ in now.rows()][:3] == ["1", "2", "3"]
    assert SelfAssessment.replay("s", log, recorded_by=t0 - timedelta(seconds=1)).version == 0


def test_the_school_s_leaders_rate_an_indicator_and_each_rating_is_an_audited_event(svc: Services) -> None:
    dsl, head = principal(svc, "dsl"), principal(svc, "head")
    first = svc.self_assessment.assess(dsl, SCHOOL, 0, GOOD)
    assert first.version == 2 and first.latest["1"].rating == "developing" and first.latest["1"].role == "dsl"
    second = svc.self_assessment.assess(head, SCHOOL, 2, {**GOOD, "rating": "embedded", "next_steps": "Share with staff."})
    assert second.version == 3 and second.latest["1"].role == "headteacher" and len(second.history) == 2
    events = svc.store.load(stream_id_for(SCHOOL))
    assert [e.event_type for e in events] == ["SelfAssessmentStarted", "IndicatorAssessed", "IndicatorAssessed"]
    assert {(e.actor, e.role, e.workflow_version) for e in events[1:]} == {
        ("dsl", "dsl", "school_self_assessment@1"),
        ("head", "headteacher", "school_self_assessment@1"),
    }
    assert svc.store.verify(stream_id_for(SCHOOL)).valid
    assert sorted(_logged(svc, "assess_indicator")) == [
        ("dsl", "dsl", "ok", f"school {SCHOOL} indicator 1"),
        ("head", "headteacher", "ok", f"school {SCHOOL} indicator 1"),
    ]


def _logged(svc: Services, action: str) -> list[tuple[str, str | None, str, str | None]]:
    query = select(access_log.c.username, access_log.c.role, access_log.c.outcome, access_log.c.detail)
    with read_transaction(svc.engine) as conn:
        return [tuple(row) for row in conn.execute(query.where(access_log.c.action == action))]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**GOOD, "rating": "outstanding"}, "rating"),
        ({**GOOD, "indicator": "22"}, "indicator"),
        ({**GOOD, "evidence": ""}, "evidence"),
        ({**GOOD, "evidence": "x" * 2001}, "evidence"),
        ({k: v for k, v in GOOD.items() if k != "rating"}, "rating"),
    ],
)
def test_a_bad_rating_is_refused_with_the_field_and_changes_nothing(svc: Services, data: dict[str, str], field: str) -> None:
    before = svc.store.count()
    with pytest.raises(InvalidData) as refused:
        svc.self_assessment.assess(principal(svc, "slt"), SCHOOL, 0, data)
    assert field in refused.value.errors and svc.store.count() == before


def test_a_stale_version_is_a_conflict_and_changes_nothing(svc: Services) -> None:
    dsl = principal(svc, "dsl")
    svc.self_assessment.assess(dsl, SCHOOL, 0, GOOD)
    with pytest.raises(ConcurrencyConflict):
        svc.self_assessment.assess(dsl, SCHOOL, 0, {**GOOD, "indicator": "2"})
    assert svc.self_assessment.as_at(SCHOOL).version == 2 and "2" not in svc.self_assessment.as_at(SCHOOL).latest


@pytest.mark.parametrize(
    ("username", "refusal"),
    [("governor", NotPermitted), ("teacher", NotPermitted), ("senco", NotPermitted), ("other_dsl", NotFound),
     ("sw", NotFound), ("vs", NotPermitted), ("auditor", NotPermitted), ("admin", NotFound)],
)  # fmt: skip
def test_only_the_school_s_dsl_head_and_senior_leaders_may_rate(svc: Services, username: str, refusal: type) -> None:
    before = svc.store.count()
    with pytest.raises(refusal):
        svc.self_assessment.assess(principal(svc, username), SCHOOL, 0, GOOD)
    assert svc.store.count() == before
    assert _logged(svc, "assess_indicator") == [
        (username, None, "forbidden" if refusal is NotPermitted else "not_found", f"school {SCHOOL} indicator 1")
    ]


@pytest.mark.parametrize(
    ("username", "refusal"),
    [("governor", None), ("head", None), ("slt", None), ("dsl", None), ("auditor", None), ("vs", None),
     ("teacher", NotPermitted), ("senco", NotPermitted), ("other_dsl", NotFound), ("sw", NotFound)],
)  # fmt: skip
def test_those_who_read_the_governors_report_read_the_ratings(svc: Services, username: str, refusal: type | None) -> None:
    svc.self_assessment.assess(principal(svc, "dsl"), SCHOOL, 0, GOOD)
    if refusal is None:
        assert svc.self_assessment.view(principal(svc, username), SCHOOL).latest["1"].evidence == GOOD["evidence"]
        ((who, role, outcome, detail),) = _logged(svc, "view_self_assessment")
        assert (who, outcome, detail) == (username, "ok", f"school {SCHOOL}") and role, "every view is logged"
    else:
        with pytest.raises(refusal):
            svc.self_assessment.view(principal(svc, username), SCHOOL)


def test_the_governors_report_shows_the_ratings_as_they_stood_at_its_date(svc: Services, clock: Clock) -> None:
    dsl, governor = principal(svc, "dsl"), principal(svc, "governor")
    svc.self_assessment.assess(dsl, SCHOOL, 0, {**GOOD, "rating": "not_yet"})
    clock.now += timedelta(days=60)
    svc.self_assessment.assess(dsl, SCHOOL, 2, {**GOOD, "rating": "embedded", "evidence": "Weekly review since October."})

    def indicator_1(as_of: date) -> tuple[str, dict[str, int]]:
        section = svc.reports.governors(governor, SCHOOL, as_of)["self_assessment"]
        return section["indicators"][0]["rating_label"], section["ratings"]

    assert indicator_1(date(2026, 9, 9)) == ("Not rated", {"embedded": 0, "developing": 0, "not_yet": 0, "not_rated": 21})
    assert indicator_1(date(2026, 10, 1)) == ("Not yet in place", {"embedded": 0, "developing": 0, "not_yet": 1, "not_rated": 20})
    assert indicator_1(date(2026, 11, 30)) == ("Embedded", {"embedded": 1, "developing": 0, "not_yet": 0, "not_rated": 20})
    other = svc.reports.governors(principal(svc, "other_dsl"), OTHER_SCHOOL, date(2026, 11, 30))["self_assessment"]
    assert other["ratings"]["not_rated"] == 21, "one school's ratings never show in another's report"


@pytest.fixture
def app(svc: Services) -> Flask:
    return create_app({"TESTING": True, "SERVICES": svc, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False})


def _signed_in(app: Flask, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct horse battery"}).status_code == 302
    return client


def test_a_dsl_rates_through_the_form_and_a_governor_reads_it_in_the_report(app: Flask, svc: Services) -> None:
    dsl = _signed_in(app, "dsl")
    page = dsl.get(f"/self-assessment/5?school_urn={SCHOOL}")
    assert page.status_code == 200 and "named governor for CwSW" in page.text
    bad = dsl.post(f"/self-assessment/5?school_urn={SCHOOL}", data={"expected_version": "0", "rating": "embedded"})
    assert bad.status_code == 422 and "govuk-error-summary" in bad.text and svc.self_assessment.as_at(SCHOOL).version == 0
    done = dsl.post(
        f"/self-assessment/5?school_urn={SCHOOL}",
        data={"expected_version": "0", "rating": "embedded", "evidence": "Termly data report; Ms A is the named governor."},
    )
    assert done.status_code == 302 and svc.self_assessment.as_at(SCHOOL).latest["5"].rating == "embedded"
    stale = dsl.post(
        f"/self-assessment/6?school_urn={SCHOOL}", data={"expected_version": "0", "rating": "developing", "evidence": "x"}
    )
    assert stale.status_code == 409 and "Nothing was saved" in stale.text
    listing = dsl.get(f"/self-assessment?school_urn={SCHOOL}")
    assert listing.status_code == 200 and "Termly data report" in listing.text and "Rate<span" in listing.text
    assert "Every rating recorded (1)" in listing.text
    governor = _signed_in(app, "governor")
    report = governor.get(f"/reports/governors?school_urn={SCHOOL}")
    assert report.status_code == 200 and "Termly data report" in report.text
    assert "Rate<span" not in governor.get(f"/self-assessment?school_urn={SCHOOL}").text, "a governor reads, never rates"
    csv_text = governor.get(f"/reports/governors.csv?school_urn={SCHOOL}").text
    assert "Self-assessment indicators: Embedded,1" in csv_text and "Indicator 5: Data and interventions" in csv_text
    assert governor.get(f"/self-assessment/5?school_urn={SCHOOL}").status_code == 403
    assert _signed_in(app, "other_dsl").get(f"/self-assessment?school_urn={SCHOOL}").status_code == 404
    assert dsl.get(f"/self-assessment/99?school_urn={SCHOOL}").status_code == 404
    assert {value for value, _ in RATINGS} == {"embedded", "developing", "not_yet"}
    dsl.post(
        f"/self-assessment/5?school_urn={SCHOOL}",
        data={"expected_version": "2", "rating": "developing", "evidence": "The named governor left; recruiting."},
    )
    history = _signed_in(app, "auditor").get(f"/self-assessment?school_urn={SCHOOL}").text
    assert "Every rating recorded (2)" in history and history.index("Developing</td>") < history.index("Embedded</td>")


def test_ratings_name_the_school_and_the_person_as_staff_know_them(app: Flask, svc: Services) -> None:
    """A walk read "Rated 8 December 2026 by dsl (dsl)" under "School 100001": staff pages name a person by their
    name and title, and a school by its name."""
    svc.accounts.add_user("dshah", ["dsl"], [SCHOOL], password="correct horse battery", display_name="Dana Shah (DSL)")
    dsl = _signed_in(app, "dshah")
    done = dsl.post(
        f"/self-assessment/5?school_urn={SCHOOL}",
        data={"expected_version": "0", "rating": "embedded", "evidence": "Termly data report to governors."},
    )
    assert done.status_code == 302
    listing = dsl.get(f"/self-assessment?school_urn={SCHOOL}").text
    assert "by Dana Shah (DSL)</p>" in listing and "dshah" not in listing and "(dsl)" not in listing
    assert "Oakfield Primary School" in listing and "School 100001" not in listing
    assert "<td class=\"govuk-table__cell\">Dana Shah (DSL)</td>" in listing, "the history's By column names her too"
    form = dsl.get(f"/self-assessment/5?school_urn={SCHOOL}").text
    assert "by Dana Shah (DSL)." in form and "Oakfield Primary School" in form and "School 100001" not in form
