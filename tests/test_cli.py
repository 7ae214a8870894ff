"""The command line of API-CONTRACT.md, end to end on a real database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, insert, select, update

from caseflow.adapters.database import make_engine, read_transaction, write_transaction
from caseflow.adapters.tables import access_log, case_report_facts, case_summary, cohort_facts, pupils
from caseflow.bootstrap import bootstrap
from caseflow.cli import main
from caseflow.demo import CLASSMATES, DEMO_PASSWORD, PUPILS, make_upn
from tests.conftest import OTHER_SCHOOL, SCHOOL, Database, access_lines, principal, seed_people


@pytest.fixture
def cli(database: Database, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CASEFLOW_DATABASE_URL", database.url)
    monkeypatch.setenv("CASEFLOW_MIGRATE_DATABASE_URL", database.owner_url)

    def run(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=stdin)

    return run


def test_schools_users_and_tokens(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    assert cli("db", "upgrade").exit_code == 0
    result = cli("schools", "add", "123456", "Hilltop Primary", "--la", "881")
    assert result.exit_code == 0 and "Added school 123456" in result.output
    assert "already exists" in cli("schools", "add", "123456", "Hilltop Primary").output
    bad = cli("schools", "add", "12x", "Nowhere")
    assert bad.exit_code != 0 and "URN" in bad.output
    named = cli("schools", "add", "123457", "Brook Primary", "--la", "999", "--la-name", "Testshire")
    assert named.exit_code == 0, named.output
    unplaced = cli("schools", "add", "123458", "Nowhere Primary", "--la-name", "Testshire")
    assert unplaced.exit_code != 0 and "needs its LA code" in unplaced.output

    result = cli(
        "users", "add", "jo", "--role", "dsl", "--school", "123456", "--password-stdin", stdin="a long enough password\n"
    )
    assert result.exit_code == 0, result.output
    assert cli("users", "add", "x", "--role", "wizard").exit_code != 0
    assert "needs --school" in cli("users", "add", "y", "--role", "dsl").output
    assert "12 to 128" in cli("users", "add", "z", "--role", "auditor", "--password-stdin", stdin="short\n").output

    token = cli("tokens", "issue", "jo")
    assert token.exit_code == 0
    assert len(token.output.strip().splitlines()) == 1 and len(token.output.strip()) >= 40
    svc = bootstrap(database.url)
    assert {s["urn"]: s["la_name"] for s in svc.accounts.schools()} == {"123456": None, "123457": "Testshire"}
    principal = svc.accounts.principal_for_token(token.output.strip())
    assert principal is not None and principal.has("dsl", "123456")
    assert svc.accounts.authenticate("jo", "a long enough password") is not None
    assert cli("tokens", "issue", "nobody").exit_code != 0


def test_demo_is_idempotent_verifies_and_replays(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    first = cli("demo")
    assert first.exit_code == 0, first.output
    assert DEMO_PASSWORD in first.output and "dsl" in first.output and "auditor" in first.output
    svc = bootstrap(database.url)
    count = svc.store.count()
    second = cli("demo")
    assert second.exit_code == 0 and "already loaded" in second.output
    assert svc.store.count() == count

    verified = cli("verify")
    assert verified.exit_code == 0 and f"{count} events" in verified.output

    case_ids = svc.store.stream_ids("case")
    states = set()
    for case_id in case_ids:
        full = json.loads(cli("replay", case_id).output)
        states.add(full["state"])
        first_version = json.loads(cli("replay", case_id, "--version", "1").output)
        assert (first_version["version"], first_version["state"]) == (1, "need_identified")
    assert states == {"need_identified", "one_plan", "multi_agency_review", "intervention", "evaluation", "transition", "closed"}

    before_anything = cli("replay", case_ids[0], "--as-of", "2000-01-01T00:00:00+00:00")
    assert json.loads(before_anything.output)["version"] == 0
    assert cli("replay", "no-such-case").exit_code != 0
    assert cli("replay", case_ids[0], "--as-of", "yesterday").exit_code != 0
    assert cli("replay", case_ids[0], "--version", "0").exit_code != 0

    rebuilt = cli("projections", "rebuild")
    assert rebuilt.exit_code == 0 and f"from {count} events" in rebuilt.output
    assert len(svc.reads.cases_for_schools(["100001"])) == len(case_ids)
    logged = svc.audit.for_case(case_ids[0])
    assert any(entry["action"] == "replay" for entry in logged)


def test_demo_at_la_scale_writes_a_verifiable_la_once(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    args = ("demo", "--scale", "la", "--schools", "2", "--pupils-per-school", "3", "--events-per-pupil", "30")
    first = cli(*args)
    assert first.exit_code == 0, first.output
    assert "for 6 children in 2 schools" in first.output
    svc = bootstrap(database.url)
    count = svc.store.count()
    assert svc.reads.school_exists("200002") and svc.reads.school_la("200001") == "881"
    assert len(svc.store.stream_ids("pupil")) == len(PUPILS) + len(CLASSMATES) + 6
    again = cli(*args)
    assert again.exit_code == 0 and "already loaded" in again.output and svc.store.count() == count
    assert cli("verify").exit_code == 0
    assert cli("demo", "--scale", "county").exit_code != 0
    assert cli("demo", "--scale", "la", "--schools", "0").exit_code != 0


def test_projections_status_finds_a_read_model_out_of_step_until_a_rebuild(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    assert cli("demo").exit_code == 0
    svc = bootstrap(database.url)
    count = svc.store.count()
    fine = cli("projections", "status")
    assert fine.exit_code == 0, fine.output
    assert f"Log: {count} events" in fine.output and "Never rebuilt." in fine.output
    assert "every child's cohort facts and every case's report facts match." in fine.output
    case_id = svc.store.stream_ids("case")[0]
    owner = make_engine(database.owner_url, app_role=False)
    with owner.begin() as conn:  # damage two read models behind the app's back
        pupil_id = conn.execute(select(cohort_facts.c.pupil_id).limit(1)).scalar_one()
        conn.execute(update(case_summary).where(case_summary.c.case_id == case_id).values(version=case_summary.c.version - 1))
        conn.execute(
            update(cohort_facts).where(cohort_facts.c.pupil_id == pupil_id).values(open_cases=cohort_facts.c.open_cases + 1)
        )
        other_case = svc.store.stream_ids("case")[1]
        conn.execute(delete(case_report_facts).where(case_report_facts.c.case_id == other_case, case_report_facts.c.version > 1))
    owner.dispose()
    damaged = cli("projections", "status")
    assert damaged.exit_code == 1 and f"Out of step with the log: case {case_id}" in damaged.output
    assert f"Out of step with the read models: cohort facts of pupil {pupil_id}" in damaged.output
    assert f"Out of step with the log: report facts of case {other_case}" in damaged.output
    assert cli("projections", "rebuild").exit_code == 0
    mended = cli("projections", "status")
    last = mended.output.split("last position ")[1].split(".")[0]
    assert mended.exit_code == 0 and f"Last rebuilt through position {last}." in mended.output
    assert "every child's cohort facts and every case's report facts match." in mended.output
    svc.close()


def test_projections_status_finds_a_read_model_row_that_names_another_school(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    """A case's and a pupil's rows decide which school's lists show them. Edited by the app's role to name another
    school, or added for a case that has no stream, they stood at their streams' versions and passed for current."""
    svc = bootstrap(database.url)
    seed_people(svc)
    dsl = principal(svc, "dsl")
    pupil = svc.pupils.register(
        dsl, {"upn": make_upn("881", "2001", 2019, 93), "given_name": "Ana", "family_name": "Ng",
              "date_of_birth": "2016-01-01", "school_urn": SCHOOL},
    )  # fmt: skip
    case_id = svc.cases.open_case(dsl, {"pupil_id": pupil.id, "need_areas": ["attendance"], "description": "Mondays."}).id
    assert cli("projections", "status").exit_code == 0
    with write_transaction(svc.engine) as conn:  # the app's own role: no owner rights needed
        conn.execute(update(case_summary).where(case_summary.c.case_id == case_id).values(school_urn=OTHER_SCHOOL))
        conn.execute(update(pupils).where(pupils.c.pupil_id == pupil.id).values(school_urn=OTHER_SCHOOL))
        row = conn.execute(select(case_summary).where(case_summary.c.case_id == case_id)).mappings().one()
        conn.execute(insert(case_summary).values({**row, "case_id": "no-such-case"}))
    damaged = cli("projections", "status")
    assert damaged.exit_code == 1, damaged.output
    assert f"Out of step with the log: case {case_id}" in damaged.output
    assert f"Out of step with the log: pupil {pupil.id}" in damaged.output
    assert "Out of step with the log: case no-such-case" in damaged.output
    assert cli("projections", "rebuild").exit_code == 0
    assert cli("projections", "status").exit_code == 0
    svc.close()


def _tidy_counts(database: Database) -> tuple[int, int]:
    """How often the case summaries have been vacuumed and analyzed (SQLite: analyzed only, as rows of
    its statistics table): read as the owner, on a connection of its own each time."""
    owner = make_engine(database.owner_url, app_role=False)
    try:
        with owner.connect() as conn:
            if database.backend == "sqlite":
                found = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar_one()
                rows = found and conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'case_summary'").scalar_one()
                return 0, int(rows)
            counts = conn.exec_driver_sql(
                "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relname = 'case_summary'"
            ).one()
            return int(counts[0]), int(counts[1])
    finally:
        owner.dispose()


def test_a_rebuild_clears_the_old_rows_and_refreshes_statistics(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    """A rebuild's DELETE leaves every old row of every read model dead and the planner's statistics
    describing them: the command vacuums (PostgreSQL) and analyzes as the schema owner after it."""
    assert cli("demo").exit_code == 0
    vacuumed, analyzed = _tidy_counts(database)
    rebuilt = cli("projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Planner's statistics refreshed (and, on PostgreSQL, the old rows vacuumed)." in rebuilt.output
    assert "Warning" not in rebuilt.output
    after = _tidy_counts(database)
    if database.backend == "sqlite":
        assert analyzed == 0 and after[1] >= 1  # statistics for the case summaries now exist
    else:
        assert after[0] == vacuumed + 1 and after[1] == analyzed + 1


def test_a_rebuild_run_as_the_app_role_stands_and_warns_that_it_could_not_tidy_up(
    cli, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Without the owner's URL the tidy-up runs as the app role, which PostgreSQL lets vacuum
    nothing: the rebuild still succeeds, and the command says what it could not do, not that it did."""
    assert cli("demo").exit_code == 0
    monkeypatch.delenv("CASEFLOW_MIGRATE_DATABASE_URL")
    before = _tidy_counts(database)
    rebuilt = cli("projections", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Rebuilt read models from" in rebuilt.output
    if database.backend == "sqlite":  # one file, and whoever can write it can analyze it
        assert "statistics refreshed" in rebuilt.output and _tidy_counts(database)[1] >= 1
    else:
        assert "Warning: could not vacuum or analyze: caseflow_app does not own the tables" in rebuilt.output
        assert "statistics refreshed" not in rebuilt.output and _tidy_counts(database) == before


def test_a_leaver_is_signed_out_everywhere_and_their_tokens_stop_at_once(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    assert cli("demo").exit_code == 0
    svc = bootstrap(database.url)
    token, other = svc.accounts.issue_token("dsl"), svc.accounts.issue_token("sw")
    session = svc.accounts.start_session(svc.accounts.user("dsl")["id"])  # type: ignore[index]
    assert svc.accounts.principal_for_token(token) is not None and svc.accounts.session_user(session) is not None
    revoked = cli("tokens", "revoke", "sw")
    assert revoked.exit_code == 0 and "Revoked 1 token of sw." in revoked.output
    assert svc.accounts.principal_for_token(other) is None and svc.accounts.principal_for_token(token) is not None
    left = cli("users", "deactivate", "dsl")
    assert left.exit_code == 0 and "Deactivated dsl" in left.output
    assert svc.accounts.principal_for_token(token) is None
    assert svc.accounts.session_user(session) is None
    assert svc.accounts.authenticate("dsl", DEMO_PASSWORD) is None
    assert svc.accounts.authenticate("head", DEMO_PASSWORD) is not None, "nobody else is touched"
    assert svc.accounts.user("dsl") is not None, "the account stays: the log still names who did what"
    for command in (("users", "deactivate", "nobody"), ("tokens", "revoke", "nobody")):
        unknown = cli(*command)
        assert unknown.exit_code == 1 and "No user called nobody." in unknown.output
    svc.close()


def test_the_governors_report_from_the_command_line_as_a_user_who_may_read_it(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    assert cli("demo").exit_code == 0
    svc = bootstrap(database.url)
    printed = cli("reports", "governors", "100001", "--as", "governor")
    assert printed.exit_code == 0, printed.output
    report = json.loads(printed.output)
    governor = svc.accounts.principal(svc.accounts.user("governor")["id"])  # type: ignore[index]
    assert governor is not None
    assert report == svc.reports.governors(governor, "100001", date.fromisoformat(report["as_of"]))
    assert report["self_assessment"]["ratings"]["embedded"] == 2, "the demo's ratings"
    with read_transaction(svc.engine) as conn:
        logged = conn.execute(select(access_log.c.username, access_log.c.detail).where(access_log.c.action == "governors_report"))
        lines = logged.all()
    assert {who for who, _ in lines} == {"governor"}
    assert sorted(detail.split(",")[0].split(" via ")[0] + (" via" if " via cli" in detail else "") for _, detail in lines) == [
        "school 100001",  # the test's own read, through the service
        "school 100001 via",  # the command line's: the operator is named beside the user
    ]
    assert all(detail.endswith(f", as at {report['as_of']}") for _, detail in lines), "each read names its day"
    before = json.loads(cli("reports", "governors", "100001", "--as", "head", "--as-of", "2000-01-01").output)
    assert before["self_assessment"]["ratings"]["not_rated"] == 21 and before["as_of"] == "2000-01-01"
    refused = cli("reports", "governors", "100001", "--as", "teacher")
    assert refused.exit_code == 1 and "may not read" in refused.output
    assert cli("reports", "governors", "999999", "--as", "governor").exit_code == 1
    assert cli("reports", "governors", "100001", "--as", "nobody").exit_code == 1
    assert cli("reports", "governors", "100001", "--as", "governor", "--as-of", "22/11/2026").exit_code == 2


def test_an_administrator_grants_and_revokes_roles_which_apply_at_the_next_request(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    """A teacher becomes the DSL at their school and a teacher at another; later the second goes. The
    principal is read afresh each time, as on each request."""
    assert cli("demo").exit_code == 0
    assert cli("schools", "add", "654321", "Hilltop Primary", "--la", "881").exit_code == 0
    svc = bootstrap(database.url)

    def grants() -> set[tuple[str, str | None]]:
        found = svc.accounts.principal(svc.accounts.user("teacher")["id"])  # type: ignore[index]
        assert found is not None
        return set(found.grants)

    school = next(s for r, s in grants() if r == "teacher")
    done = cli("users", "grant", "teacher", "--role", "dsl", "--school", school)
    assert done.exit_code == 0 and "teacher now holds dsl" in done.output
    assert cli("users", "grant", "teacher", "--role", "teacher", "--school", "654321").exit_code == 0
    assert grants() == {("teacher", school), ("dsl", school), ("teacher", "654321")}
    assert "already held" in cli("users", "grant", "teacher", "--role", "dsl", "--school", school).output
    gone = cli("users", "revoke", "teacher", "--role", "teacher", "--school", "654321")
    assert gone.exit_code == 0 and "no longer holds teacher at 654321 (1 grant)" in gone.output
    assert grants() == {("teacher", school), ("dsl", school)}
    for args, message in (
        (("grant", "teacher", "--role", "dsl"), "The dsl role needs --school."),
        (("grant", "teacher", "--role", "auditor", "--school", school), "not held at a school"),
        (("grant", "teacher", "--role", "wizard"), "Unknown role wizard"),
        (("grant", "teacher", "--role", "dsl", "--school", "999999"), "No school with URN 999999."),
        (("grant", "teacher", "--role", "virtual_school"), "needs --la"),
        (("grant", "teacher", "--role", "dsl", "--school", school, "--la", "881"), "Only the virtual_school role takes --la"),
        (("grant", "teacher", "--role", "virtual_school", "--la", "999"), "No school in LA 999."),
        (("grant", "nobody", "--role", "auditor"), "No user called nobody."),
        (("revoke", "teacher", "--role", "auditor"), "does not hold the auditor role"),
        (("revoke", "sw", "--role", "social_worker"), "deactivate the account instead"),
    ):
        refused = cli("users", *args)
        assert refused.exit_code == 1 and message in refused.output, (args, refused.output)
    assert grants() == {("teacher", school), ("dsl", school)}, "a refused change changes nothing"
    lines = [(x["action"], x["detail"]) for x in access_lines(svc) if x["action"].startswith("role_")]
    assert lines == [
        ("role_granted", f"teacher: dsl at {school} (reads children's cases)"),
        ("role_granted", "teacher: teacher at 654321"),
        ("role_granted", f"teacher: dsl at {school} (reads children's cases)"),
        ("role_revoked", "teacher: teacher at 654321"),
    ]
    svc.close()


def test_revoking_a_role_held_everywhere_and_at_a_school_names_both(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    """An auditor may be held at one school and everywhere at once: taking it away everywhere takes both,
    and the message and the log say so."""
    assert cli("schools", "add", "100001", "Oakfield", "--la", "881").exit_code == 0
    assert cli("users", "add", "pat", "--role", "teacher", "--role", "auditor", "--school", "100001").exit_code == 0
    assert cli("users", "grant", "pat", "--role", "auditor").exit_code == 0
    gone = cli("users", "revoke", "pat", "--role", "auditor")
    assert gone.exit_code == 0 and "pat no longer holds auditor everywhere and at 100001 (2 grants)" in gone.output
    svc = bootstrap(database.url)
    try:
        logged = [line["detail"] for line in access_lines(svc) if line["action"] == "role_revoked"]
    finally:
        svc.close()
    assert logged == ["pat: auditor everywhere and at 100001"]


def test_adding_a_user_from_the_command_line_is_logged_as_the_page_logs_it(cli, database: Database) -> None:  # type: ignore[no-untyped-def]
    """A user added on the command line left no line in the access log, where the administrator's page logs one:
    an account that reads children's cases must be findable there however it was made."""
    assert cli("schools", "add", "100001", "Oakfield", "--la", "881").exit_code == 0
    assert cli("users", "add", "kim", "--role", "dsl", "--school", "100001").exit_code == 0
    assert "already exists" in cli("users", "add", "kim", "--role", "dsl", "--school", "100001").output  # not again
    svc = bootstrap(database.url)
    try:
        logged = [(line["action"], line["detail"]) for line in access_lines(svc) if line["action"] == "user_added"]
    finally:
        svc.close()
    assert logged == [("user_added", "kim: dsl at 100001 (reads children's cases)")]


def test_a_reports_default_day_is_englands_whatever_the_machines_time_zone(  # type: ignore[no-untyped-def]
    cli, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At half past midnight in summer on 15 April 2027 the UTC date is still the 14th: on a server kept in UTC the
    governors' report, the LA's and the retention list said "as of 14 April 2027" a day late (the machine's date,
    where the pages say England's)."""
    assert cli("db", "upgrade").exit_code == 0
    svc = bootstrap(database.url)
    svc.accounts.add_school("123456", "Hilltop Primary", "881")
    svc.accounts.add_user("gov", ["governor"], ["123456"], password="a long enough password")
    monkeypatch.setattr("caseflow.cli.now_utc", lambda: datetime(2027, 4, 14, 23, 30, tzinfo=UTC))
    printed = cli("reports", "governors", "123456", "--as", "gov")
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["as_of"] == "2027-04-15"
