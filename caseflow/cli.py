"""The ``caseflow`` command line: database, schools, users, tokens, demo, verify, replay, import, reports,
projections, serve."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date, datetime
from typing import Any

import click

from caseflow.config import database_url, migrate_database_url
from caseflow.domain.events import london_date, now_utc


def _services():  # type: ignore[no-untyped-def]
    from caseflow.bootstrap import bootstrap

    return bootstrap(database_url())


def _operator() -> str:
    """Who is at the terminal: recorded in the access log for replays and verifications."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


@click.group(help="Caseflow: support journeys for children who have, or have had, a social worker.")
def main() -> None:
    pass


@main.group(help="The database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply the migrations to CASEFLOW_DATABASE_URL (or CASEFLOW_MIGRATE_DATABASE_URL).")
def db_upgrade() -> None:
    from caseflow.adapters.migrate import upgrade

    upgrade(migrate_database_url())
    services = _services()
    try:
        sealed = services.accounts.seal_plaintext_secrets()
    finally:
        services.close()
    if sealed:
        click.echo(f"Sealed {sealed} authenticator secrets written before secrets were sealed at rest.")
    click.echo("Database is up to date.")


@main.group(help="The data key that seals secrets at rest.")
def keys() -> None:
    pass


@keys.command("new", help="Print a new data key, for CASEFLOW_DATA_KEY (production requires one).")
def keys_new() -> None:
    from caseflow.adapters.secret_box import new_key_text

    click.echo(new_key_text())


@main.group(help="Schools.")
def schools() -> None:
    pass


@schools.command("add", help="Add a school by its URN and name.")
@click.argument("urn")
@click.argument("name")
@click.option("--la", "la_code", help="The local authority's 3-digit code.")
@click.option("--la-name", "la_name", help='The local authority\'s name, as the DfE gives it beside the code ("LA (name)").')
def schools_add(urn: str, name: str, la_code: str | None, la_name: str | None) -> None:
    from caseflow.adapters.accounts import AccountError

    try:
        added = _services().accounts.add_school(urn, name, la_code, la_name)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Added school {urn}." if added else f"School {urn} already exists.")


@main.group(help="Users and their roles.")
def users() -> None:
    pass


@users.command("add", help="Add a user with a role (in each --school given).")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="A role (repeat for several).")
@click.option("--school", "school_urns", multiple=True, help="A school URN (repeat for several).")
@click.option("--la", "la_code", help="LA code, for Virtual School officers.")
@click.option("--name", "display_name", help="The name shown to others.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(
    username: str,
    roles: tuple[str, ...],
    school_urns: tuple[str, ...],
    la_code: str | None,
    display_name: str | None,
    password_stdin: bool,
) -> None:
    from caseflow.adapters.accounts import AccountError, role_given

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    services = _services()
    try:
        added = services.accounts.add_user(
            username, roles, school_urns, password=password, display_name=display_name, la_code=la_code
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    where = f" at {', '.join(school_urns)}" if school_urns else (f" in LA {la_code}" if la_code else "")
    for role in roles if added else ():  # as the administrator's page logs an account it adds
        services.audit.record(
            username=_operator(), role="admin", action="user_added", outcome="ok", detail=role_given(username, role, where)
        )
    click.echo(f"Added user {username}." if added else f"User {username} already exists.", err=not added)


@main.group(help="API tokens.")
def tokens() -> None:
    pass


@tokens.command("issue", help="Print a new API token for the user, alone on stdout.")
@click.argument("username")
def tokens_issue(username: str) -> None:
    from caseflow.adapters.accounts import AccountError

    try:
        click.echo(_services().accounts.issue_token(username))
    except AccountError as error:
        raise click.ClickException(str(error)) from None


@tokens.command("revoke", help="Revoke every API token of the user, at once.")
@click.argument("username")
def tokens_revoke(username: str) -> None:
    from caseflow.adapters.accounts import AccountError

    try:
        revoked = _services().accounts.revoke_tokens(username)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Revoked {revoked} token{'s' if revoked != 1 else ''} of {username}.")


@users.command("deactivate", help="A leaver: no more sign-ins; open sessions end and API tokens stop working, at once.")
@click.argument("username")
def users_deactivate(username: str) -> None:
    from caseflow.adapters.accounts import AccountError

    try:
        _services().accounts.deactivate(username)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Deactivated {username}: signed out everywhere, API tokens revoked. The log still names them.")


@users.command("grant", help="Give a user a role (at each --school given, for a school role), from their next request.")
@click.argument("username")
@click.option("--role", required=True, help="The role to give.")
@click.option("--school", "school_urns", multiple=True, help="A school URN (repeat for several).")
@click.option("--la", "la_code", help="LA code, for Virtual School officers.")
def users_grant(username: str, role: str, school_urns: tuple[str, ...], la_code: str | None) -> None:
    from caseflow.adapters.accounts import AccountError, role_given

    services = _services()
    try:
        added = services.accounts.grant(username, role, school_urns, la_code)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    where = f" at {', '.join(school_urns)}" if school_urns else ""
    services.audit.record(
        username=_operator(), role="admin", action="role_granted", outcome="ok", detail=role_given(username, role, where)
    )
    if added:
        click.echo(f"{username} now holds {role}{where}.")
    else:
        click.echo(f"{username} holds {role}{where}." if la_code else f"{username} already held {role}{where}.")


@users.command("revoke", help="Take a role from a user (at the --school given, or everywhere), from their next request.")
@click.argument("username")
@click.option("--role", required=True, help="The role to take away.")
@click.option("--school", "school_urns", multiple=True, help="Only at this school URN (repeat for several).")
def users_revoke(username: str, role: str, school_urns: tuple[str, ...]) -> None:
    from caseflow.adapters.accounts import AccountError, grants_taken

    services = _services()
    try:
        removed = services.accounts.revoke(username, role, school_urns)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    where = grants_taken(removed)
    services.audit.record(
        username=_operator(), role="admin", action="role_revoked", outcome="ok", detail=f"{username}: {role}{where}"
    )
    click.echo(f"{username} no longer holds {role}{where} ({len(removed)} grant{'s' if len(removed) != 1 else ''}).")


@users.command("set-password", help="Set the user's password, read from standard input; their sessions end.")
@click.argument("username")
def users_set_password(username: str) -> None:
    from caseflow.adapters.accounts import AccountError

    services = _services()
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        services.accounts.set_password(username, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    services.audit.record(username=_operator(), role="admin", action="password_set", outcome="ok", detail=username)
    click.echo(f"Set a new password for {username}: signed out everywhere, the account unlocked.")


@users.command("reset-two-step", help="A lost phone: clear the user's authenticator app and end their sessions.")
@click.argument("username")
def users_reset_two_step(username: str) -> None:
    from caseflow.adapters.accounts import AccountError

    services = _services()
    try:
        services.accounts.reset_two_step(username)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    services.audit.record(username=_operator(), role="admin", action="two_step_reset", outcome="ok", detail=username)
    click.echo(f"Reset two-step sign-in for {username}: signed out everywhere; they set up an app at their next sign-in.")


@main.command(help="Load the demo school, users and cases (idempotent); --scale la adds a large local authority.")
@click.option("--scale", type=click.Choice(["school", "la"]), default="school", show_default=True)
@click.option("--schools", type=click.IntRange(1, 5000), default=500, show_default=True, help="with --scale la")
@click.option("--pupils-per-school", type=click.IntRange(1, 999), default=30, show_default=True, help="with --scale la")
@click.option("--events-per-pupil", type=click.IntRange(20, 1000), default=100, show_default=True, help="with --scale la")
def demo(scale: str, schools: int, pupils_per_school: int, events_per_pupil: int) -> None:
    from caseflow.demo import DEMO_PASSWORD, DEMO_USERS, DemoRefused, load_demo

    services = _services()
    try:
        load_demo(services, click.echo)
    except DemoRefused as refused:
        raise click.ClickException(str(refused)) from None
    if scale == "la":
        from caseflow.demo_la import LaShape, load_la

        shape = LaShape(schools=schools, pupils_per_school=pupils_per_school, events_per_pupil=events_per_pupil)
        label = f"Writing {shape.pupils:,} children in {schools} schools"
        with click.progressbar(length=shape.pupils, label=label, file=sys.stderr) as bar:
            written = load_la(services, shape, progress=bar.update, echo=click.echo)
        if written:
            from caseflow.adapters.migrate import vacuum_analyze

            click.echo(f"LA {shape.la_code}: {written:,} events for {shape.pupils:,} children in {schools} schools.")
            _tidy_up(vacuum_analyze(migrate_database_url()))
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, _, display, _ in DEMO_USERS:
        click.echo(f"  {username:<10} {display}")


@main.command(help="Print the log's heads as JSON (each stream's last version and hash): keep them outside the database.")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), help="Write them to this file instead.")
def heads(out: str | None) -> None:
    services = _services()
    found = services.store.heads()
    text = json.dumps(found.as_dict(), indent=2)
    if out is not None:
        try:
            with open(out, "w", encoding="utf-8") as file:
                file.write(text + "\n")
        except OSError as error:
            raise click.BadParameter(f"cannot write it: {error.strerror}", param_hint="--out") from None
    detail = f"{len(found.heads)} streams, {found.events} events, digest {found.digest}"
    services.audit.record(username=_operator(), role="auditor", action="log_heads", outcome="ok", detail=detail)
    if out is None:
        click.echo(text)
        return
    click.echo(
        f"Saved the heads of {len(found.heads)} streams ({found.events} events) to {out}.\n"
        f"Digest: {found.digest}\nNote it down somewhere apart from the file: whoever can edit the file can recompute it."
    )


@main.command(help="Verify hash chains; exit 1 naming the first bad event.")
@click.option("--case", "case_id", help="Only this case (or pupil) stream.")
@click.option(
    "--against",
    type=click.File("r", encoding="utf-8"),
    help="Heads saved earlier by 'caseflow heads': each event they hold must still be there with its hash.",
)
def verify(case_id: str | None, against: Any) -> None:
    from caseflow.domain.errors import InvalidData
    from caseflow.domain.log_heads import LogHeads

    anchored = None
    if against is not None:
        try:
            anchored = LogHeads.from_dict(json.loads(against.read()))
        except (ValueError, RecursionError):
            raise click.BadParameter("is not a JSON file", param_hint="--against") from None
        except InvalidData as error:
            raise click.BadParameter(error.errors["heads"][0], param_hint="--against") from None
    services = _services()
    report = services.store.verify(case_id, anchored)
    forged = services.store.verify_snapshots(case_id)
    detail = f"against heads with digest {anchored.digest}" if anchored else None
    if forged:
        detail = "; ".join(filter(None, [detail, f"{len(forged)} snapshots whose seal does not hold"]))
    services.audit.record(
        username=_operator(), role="auditor", action="verify", outcome="ok" if report.valid and not forged else "invalid",
        case_id=case_id, detail=detail,
    )  # fmt: skip
    if anchored is not None:
        click.echo(
            f"Against the heads taken {anchored.taken_at.isoformat()}, digest {anchored.digest}: compare it with the "
            "digest you noted when you saved them."
        )
    if forged:
        for each in forged:
            click.echo(f"TAMPERED: snapshot of stream {each.stream_id} at version {each.version}: {each.reason}", err=True)
        click.echo(
            f"{len(forged)} snapshot{'s' if len(forged) != 1 else ''} not used: "
            f"{'their streams are' if len(forged) != 1 else 'its stream is'} replayed from the events. "
            "Once you have looked into it, `caseflow snapshots clear` deletes the snapshots; they are taken again.",
            err=True,
        )
        if report.valid:
            sys.exit(1)
    if report.valid and case_id is not None and report.checked == 0:
        click.echo(f"No stream {case_id}: nothing to verify.", err=True)
        if anchored is not None:  # checked against heads, a mistyped id must not pass for "still there"
            sys.exit(1)
        return
    if report.valid:
        which = f"every event of {case_id} in the heads" if case_id else "every event in the heads"
        grown = f" and {which} still there" if anchored else ""
        click.echo(f"OK: {report.checked} events verified, every chain intact{grown}.")
        return
    for each in report.breaks:  # the first bad event first, as API-CONTRACT says; then every other broken stream
        click.echo(f"TAMPERED: stream {each.stream_id} version {each.version}: {each.reason}", err=True)
    if report.broken_streams > len(report.breaks):
        click.echo(f"... and {report.broken_streams - len(report.breaks)} more streams broken", err=True)
    sys.exit(1)


@main.group(help="Snapshots: a cache of long streams' states, sealed, rebuilt from the log.")
def snapshots() -> None:
    pass


@snapshots.command("clear", help="Delete every snapshot (after `caseflow verify` has named one whose seal does not hold).")
def snapshots_clear() -> None:
    services = _services()
    cleared = services.store.clear_snapshots()
    detail = f"{cleared} snapshots"
    services.audit.record(username=_operator(), role="admin", action="snapshots_cleared", outcome="ok", detail=detail)
    click.echo(
        f"Deleted {cleared} snapshot{'s' if cleared != 1 else ''}: streams replay from their events until they have new ones."
    )


@main.command(help="Print a case's state at a version or instant as JSON.")
@click.argument("case_id")
@click.option("--version", "upto_version", type=click.IntRange(min=1), help="Replay up to this version.")
@click.option("--as-of", "as_of", help="Replay what was recorded up to this ISO 8601 instant.")
def replay(case_id: str, upto_version: int | None, as_of: str | None) -> None:
    from caseflow.domain.errors import NotFound
    from caseflow.services.streams import load_case

    if upto_version is not None and as_of is not None:
        raise click.UsageError("Give --version or --as-of, not both.")
    moment = None
    if as_of is not None:
        try:
            moment = datetime.fromisoformat(as_of)
        except ValueError:
            raise click.BadParameter("must be an ISO 8601 date or date-time", param_hint="--as-of") from None
    services = _services()
    try:
        case = load_case(services.store, case_id, upto_version, moment)
    except NotFound:
        raise click.ClickException(f"No case {case_id}.") from None
    services.audit.record(
        username=_operator(), role="auditor", action="replay", outcome="ok", case_id=case_id, pupil_id=case.pupil_id
    )
    click.echo(json.dumps(case.summary(), indent=2, sort_keys=True))


@main.command(
    "import", help="Import a CSV from the MIS (pupils, attendance, attainment, send, behaviour, suspensions): all or nothing."
)
@click.argument("kind")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--as", "username", help="Import as this user (a DSL, head, SLT member or SENCo); default: the operator, as admin.")
def import_csv(kind: str, file: Any, username: str | None) -> None:
    from caseflow.domain.errors import InvalidData
    from caseflow.domain.roles import Actor
    from caseflow.services.access import choose_role
    from caseflow.services.imports import KINDS, ImportRejected

    services = _services()
    actor, schools = Actor(_operator(), "admin"), None
    if username is not None:
        user = services.accounts.user(username)
        principal = services.accounts.principal(user["id"]) if user else None
        if principal is None:
            raise click.ClickException(f"No active user called {username}.")
        spec = services.pupils.workflow.action(KINDS[kind].action) if kind in KINDS else None
        role = choose_role(principal.roles, spec.roles) if spec else None
        if spec and role is None:
            raise click.ClickException(f"{username} may not import {kind}.")
        actor = Actor(username, role or "admin")
        schools = frozenset(s for r, s in principal.grants if r == role and s)
    text = file.read()
    try:
        with click.progressbar(length=max(1, text.count("\n")), label=f"Importing {kind}", file=sys.stderr) as bar:
            report = services.imports.run(kind, text, actor, schools, bar.update)
    except InvalidData as error:
        raise _refused(error) from None
    except ImportRejected as error:
        click.echo(f"Nothing imported: {error.detail}", err=True)
        for problem in error.errors:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    from caseflow.domain.wording import counted

    click.echo(
        f"Imported {report.kind}: {counted(report.rows, 'row')}, {counted(report.events, 'event')} for "
        f"{counted(report.pupils_changed, 'pupil')}; {counted(report.unchanged_rows, 'row')} already recorded."
    )


@main.group(help="Reports.")
def reports() -> None:
    pass


@reports.command("governors", help="Print a school's governors' report as JSON, as the user given may read it.")
@click.argument("school_urn")
@click.option("--as", "username", required=True, help="Read it as this user (a governor, head, SLT member, DSL, ...).")
@click.option("--as-of", "as_of", help="The report as at this date (YYYY-MM-DD); default: today.")
def reports_governors(school_urn: str, username: str, as_of: str | None) -> None:
    from caseflow.domain.errors import CaseflowError

    day = _date_option(as_of, "--as-of") or _today()
    services = _services()
    principal = _principal(services, username)
    try:
        report = services.reports.governors(principal, school_urn, day, via=_operator())
    except CaseflowError as error:
        raise _refused(error) from None
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))


@reports.command("la", help="Print the report across a local authority's schools as JSON, as the user given may read it.")
@click.argument("la_code")
@click.option("--as", "username", required=True, help="Read it as this user (a virtual school officer of the LA, or an auditor).")
@click.option("--as-of", "as_of", help="The report as at this date (YYYY-MM-DD); default: today.")
def reports_la(la_code: str, username: str, as_of: str | None) -> None:
    from caseflow.domain.errors import CaseflowError

    day = _date_option(as_of, "--as-of") or _today()
    services = _services()
    try:
        report = services.reports.la(_principal(services, username), la_code, day, via=_operator())
    except CaseflowError as error:
        raise _refused(error) from None
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))


def _today() -> date:
    """A report's default day: England's, as the pages take it, not the machine's (a server kept in UTC is still on
    yesterday between midnight and one in summer)."""
    return london_date(now_utc())


def _date_option(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option's date, or None if not given; anything else is a usage error (exit 2)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise click.BadParameter("must be a date written as YYYY-MM-DD", param_hint=option) from None


def _refused(error: Exception) -> click.ClickException:
    """A refusal as the terminal shows it: an invalid field's own messages, else the reason."""
    from caseflow.domain.errors import CaseflowError, InvalidData

    if isinstance(error, InvalidData):
        return click.ClickException("; ".join(m for ms in error.errors.values() for m in ms))
    return click.ClickException(error.detail if isinstance(error, CaseflowError) else str(error))


def _principal(services: Any, username: str) -> Any:
    """The user a command reads as (``--as``), with their roles and schools."""
    user = services.accounts.user(username)
    principal = services.accounts.principal(user["id"]) if user else None
    if principal is None:
        raise click.ClickException(f"No active user called {username}.")
    return principal


@main.group(help="Exports for auditors: a case's history, a child's subject-access bundle (JSON, logged).")
def export() -> None:
    pass


@export.command("case", help="Print a case's history as JSON: every event as stored, its verification and access log.")
@click.argument("case_id")
@click.option("--as", "username", required=True, help="Export as this user (an auditor).")
def export_case(case_id: str, username: str) -> None:
    from caseflow.domain.errors import CaseflowError

    services = _services()
    try:
        history = services.subject_access.case_history(_principal(services, username), case_id, via=_operator())
    except CaseflowError as error:
        raise _refused(error) from None
    click.echo(json.dumps(history, indent=2, ensure_ascii=False))


@export.command("subject-access", help="Print everything held about a pupil as JSON, for a subject-access request.")
@click.argument("pupil_id")
@click.option("--as", "username", required=True, help="Export as this user (an auditor).")
@click.option("--received-on", "received_on", help="The date the request was received (YYYY-MM-DD): adds the date to respond by.")
def export_subject_access(pupil_id: str, username: str, received_on: str | None) -> None:
    from caseflow.domain.errors import CaseflowError

    received = _date_option(received_on, "--received-on")
    services = _services()
    try:
        bundle = services.subject_access.bundle(_principal(services, username), pupil_id, received, via=_operator())
    except CaseflowError as error:
        raise _refused(error) from None
    click.echo(json.dumps(bundle, indent=2, ensure_ascii=False))


@main.group(help="Retention: whose records reach the end of their retention period.")
def retention() -> None:
    pass


@retention.command("due", help="Print, as JSON, the children whose records are due for review (auditors; logged).")
@click.option("--as", "username", required=True, help="Read it as this user (an auditor).")
@click.option("--as-of", "as_of", help="Due by this date (YYYY-MM-DD); default: today.")
@click.option("--within", type=click.IntRange(0, None), default=0, show_default=True, help="And due this many days after.")
def retention_due(username: str, as_of: str | None, within: int) -> None:
    from caseflow.domain.errors import CaseflowError

    day = _date_option(as_of, "--as-of") or _today()
    services = _services()
    try:
        due = services.retention.due(_principal(services, username), day, within, via=_operator())
    except CaseflowError as error:
        raise _refused(error) from None
    rows = [
        {
            "pupil_id": r.pupil_id,
            "upn": r.upn,
            "name": f"{r.given_name} {r.family_name}",
            "school_urn": r.school_urn,
            "date_of_birth": r.date_of_birth.isoformat(),
            "review_date": r.review_date.isoformat(),
            "cases": r.cases,
            "open_cases": r.open_cases,
        }
        for r in due
    ]
    click.echo(json.dumps({"as_of": day.isoformat(), "within_days": within, "due": rows}, indent=2, ensure_ascii=False))


@main.group(help="Read models.")
def projections() -> None:
    pass


@projections.command("rebuild", help="Rebuild every read model from the event log.")
def projections_rebuild() -> None:
    from caseflow.adapters.migrate import vacuum_analyze
    from caseflow.adapters.projections import rebuild

    services = _services()
    total = services.store.count()
    with click.progressbar(length=total, label="Replaying events", file=sys.stderr) as bar:
        done = rebuild(services.store, bar.update)
    click.echo(f"Rebuilt read models from {done} events.")
    _tidy_up(vacuum_analyze(migrate_database_url()))  # the old rows are dead and the statistics describe them


def _tidy_up(problem: str | None) -> None:
    """After a bulk write that has committed: say whether the tidy-up ran. Its failure is a warning,
    not the command's: the write stands, and autovacuum will get there in time."""
    if problem is None:
        click.echo("Planner's statistics refreshed (and, on PostgreSQL, the old rows vacuumed).")
    else:
        click.echo(f"Warning: could not vacuum or analyze: {problem}. Autovacuum will get there in time.", err=True)


@projections.command("status", help="Check the read models against the log; exit 1 naming any out of step.")
def projections_status() -> None:
    from caseflow.adapters.projections import status

    found = status(_services().store)
    rebuilt = found["rebuilt_through_position"]
    click.echo(f"Log: {found['events']} events, last position {found['last_position']}.")
    click.echo("Read models are written with each event, in the same transaction."
               + (f" Last rebuilt through position {rebuilt}." if rebuilt is not None else " Never rebuilt."))  # fmt: skip
    for name, count in found["rows"].items():
        click.echo(f"  {name}: {count} rows")
    for kind in ("cases", "pupils"):
        for stream_id in found[f"stale_{kind}"]:
            click.echo(f"Out of step with the log: {kind[:-1]} {stream_id}", err=True)
    for pupil_id in found["stale_cohort_facts"]:
        click.echo(f"Out of step with the read models: cohort facts of pupil {pupil_id}", err=True)
    for case_id in found["stale_report_facts"]:
        click.echo(f"Out of step with the log: report facts of case {case_id}", err=True)
    if not found["current"]:
        click.echo("Run `caseflow projections rebuild` to rebuild every read model from the log.", err=True)
        sys.exit(1)
    click.echo(
        "Every case and pupil read model is at its stream's version; every child's cohort facts and every case's"
        " report facts match."
    )


@main.command(help="Serve the app (development server; use gunicorn wsgi:app in production).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    from caseflow import create_app

    create_app().run(host=host, port=port, debug=False)


if __name__ == "__main__":
    main()
