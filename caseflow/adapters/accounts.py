"""Schools, users, their roles, API tokens and server-side web sessions.

Passwords are hashed with argon2id at or above the ASVS 5.0 floor; API tokens
and session ids are 256-bit random values of which only a SHA-256 is stored
(tokens) or which are deleted on logout (sessions), so a copied cookie dies
with the session.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, bindparam, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from caseflow.adapters.database import DriverStatement, read_transaction, write_transaction
from caseflow.adapters.secret_box import SecretBox, SecretUnreadable, is_sealed
from caseflow.adapters.tables import UtcDateTime, api_tokens, schools, sign_in_throttle, user_roles, users, web_sessions
from caseflow.domain.events import now_utc, utc
from caseflow.domain.passwords import DEMO_PASSWORD, guessable
from caseflow.domain.roles import ALL_ROLES, CASE_READERS, Role
from caseflow.domain.totp import matching_step, new_secret
from caseflow.domain.wording import a_holder, name_and_title
from caseflow.services.access import Principal

#: argon2id, t=2, m=19 MiB, p=1: the ASVS 5.0 Appendix C floor, kept fast enough for tests
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: a hash to verify against when the user does not exist, so timing does not reveal it
_DUMMY_HASH = HASHER.hash("not a real password")

SCHOOL_ROLES = frozenset({Role.DSL, Role.HEADTEACHER, Role.SLT, Role.SENCO, Role.MENTAL_HEALTH_LEAD, Role.TEACHER, Role.GOVERNOR})
MAX_FAILED_LOGINS = 10
LOCKOUT = timedelta(minutes=15)
#: failed sign-ins (passwords or codes) from one address in a window before it must wait: generous,
#: since a school's staff often share one address, but enough to stop one password tried on every account
SOURCE_FAILURES = 100
SOURCE_WINDOW = timedelta(hours=1)
SESSION_IDLE = timedelta(minutes=30)
SESSION_ABSOLUTE = timedelta(hours=12)
MIN_PASSWORD = 12
MAX_PASSWORD = 128


class SourceAttempt(NamedTuple):
    """An attempt counted against a client address: ``blocked_until`` if the address is past its
    allowance (the attempt is not to be judged), and whether this is the attempt that went past it."""

    blocked_until: datetime | None
    just_blocked: bool


class AccountError(ValueError):
    """A request about accounts that cannot be carried out, in plain English."""

    def __init__(self, message: str, on: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        #: where the request came from a form: each problem on the field it is about, so all are told at once
        self.on = dict(on or {})


def _refused(field: str, message: str, in_words: str | None = None) -> AccountError:
    """A refusal about one field of the request: the page shows it on that field (the command line, whole).
    ``in_words``: the page's message where the command line's names its options or a role by its code, which
    the operator types there ("--school", "dsl") but a page's reader never sees."""
    return AccountError(message, on={field: in_words or message})


def _needs_a_school(role: str) -> AccountError:
    return _refused("school", f"The {role} role needs --school.", f"{_starting(a_holder(role))} needs a school: choose one.")


def _needs_an_la() -> AccountError:
    officer = _starting(a_holder(Role.VIRTUAL_SCHOOL))
    return _refused("la_code", "The virtual_school role needs --la.", f"{officer} needs a local authority: enter its LA code.")


def _starting(words: str) -> str:
    """Words that start a sentence."""
    return words[:1].upper() + words[1:]


def _check_urns(school_urns: list[str]) -> None:
    """URNs are 5 to 8 digits: anything else is refused here, before it reaches the database (a NUL
    byte there is a driver error on PostgreSQL, not a message)."""
    for urn in school_urns:
        if not (urn.isascii() and urn.isdigit() and 5 <= len(urn) <= 8):
            raise _refused("school", "A school URN is 5 to 8 digits.")


def _check_la(la_code: str | None) -> None:
    if la_code is not None and not (la_code.isascii() and la_code.isdigit() and len(la_code) == 3):
        raise _refused("la_code", "An LA code is 3 digits.")


def _check_text(value: str | None, what: str, field: str) -> None:
    if value is not None and not value.isprintable():
        raise _refused(field, f"{what} may not contain control characters.")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SqlAccounts:
    def __init__(self, engine: Engine, box: SecretBox, clock: Callable[[], datetime] = now_utc) -> None:
        self.engine = engine
        #: seals each authenticator secret at rest, for its user (``caseflow.adapters.secret_box``)
        self.box = box
        self.clock = clock
        #: failed sign-ins allowed from one address in a window (``SOURCE_FAILURES``; tests lower it)
        self.source_failures = SOURCE_FAILURES

    # --- schools -----------------------------------------------------------------------------
    def add_school(self, urn: str, name: str, la_code: str | None = None, la_name: str | None = None) -> bool:
        """Add a school; False if it already exists (idempotent). ``la_name``: its LA's name as the DfE's
        register gives it beside the code ("Essex"), so pages name the LA as people know it; optional."""
        if not urn.isdigit() or not 5 <= len(urn) <= 8:
            raise _refused("urn", "A school URN is 5 to 8 digits.")
        if not name.strip() or len(name) > 200:
            raise _refused("name", "A school needs a name of at most 200 characters.")
        _check_text(name, "A school's name", "name")
        _check_la(la_code)
        la_name = la_name.strip() if la_name and la_name.strip() else None
        if la_name is not None:
            if la_code is None:
                raise _refused("la_name", "An LA's name needs its LA code.")
            if len(la_name) > 100:
                raise _refused("la_name", "An LA's name is at most 100 characters.")
            _check_text(la_name, "An LA's name", "la_name")
        with write_transaction(self.engine) as conn:
            if conn.execute(select(schools.c.urn).where(schools.c.urn == urn)).first():
                return False
            conn.execute(insert(schools).values(urn=urn, name=name.strip(), la_code=la_code, la_name=la_name))
        return True

    def schools(self) -> list[dict[str, Any]]:
        with read_transaction(self.engine) as conn:
            return [dict(r) for r in conn.execute(select(schools).order_by(schools.c.name)).mappings()]

    # --- users -------------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        roles: Iterable[str],
        school_urns: Iterable[str] = (),
        *,
        password: str | None = None,
        display_name: str | None = None,
        la_code: str | None = None,
        demo: bool = False,
    ) -> bool:
        """Add a user with roles (in each school given); False if the user already exists.

        ``demo``: one of the demo's accounts (``caseflow.demo``), which may have the demo's password, refused
        as common for every other account: the README publishes it so that anyone trying Caseflow can sign in
        to the demo with it, and ``caseflow demo`` will not load in production, where it would be a default
        password anyone could look up (ASVS V6.3.2)."""
        roles, school_urns = list(roles), list(school_urns)
        if not username or len(username) > 64 or not all(c.isalnum() or c in "._-@" for c in username):
            raise _refused("username", "A username is 1 to 64 letters, digits or . _ - @")
        unknown = [r for r in roles if r not in ALL_ROLES]
        if unknown or not roles:
            roles_are = ", ".join(sorted(ALL_ROLES))
            raise _refused("role", f"Unknown role {unknown[0] if unknown else '(none)'}; roles are: {roles_are}")
        _check_urns(school_urns)
        _check_la(la_code)
        _check_text(display_name, "A name", "display_name")
        if password is not None:
            try:
                check_password(password, username, self._words_about(display_name, school_urns), demo=demo)
            except AccountError as problem:
                raise _refused("password", str(problem)) from None
        grants = set()
        for role in roles:
            if role in SCHOOL_ROLES and not school_urns:
                raise _needs_a_school(role)
            for urn in school_urns or [None]:
                grants.add((role, urn))
        if Role.VIRTUAL_SCHOOL in roles and not la_code:
            raise _needs_an_la()
        with write_transaction(self.engine) as conn:
            for urn in school_urns:
                if not conn.execute(select(schools.c.urn).where(schools.c.urn == urn)).first():
                    raise _refused("school", f"No school with URN {urn}.")
            if la_code is not None and not conn.execute(select(schools.c.urn).where(schools.c.la_code == la_code)).first():
                raise _refused("la_code", f"No school in LA {la_code}.")  # as giving the role says: a typo, not an LA
            if conn.execute(select(users.c.id).where(users.c.username == username)).first():
                return False
            user_id = conn.execute(
                insert(users)
                .values(
                    username=username,
                    display_name=display_name or username,
                    password_hash=HASHER.hash(password) if password else None,
                    active=True,
                    failed_logins=0,
                    la_code=la_code,
                    created_at=self.clock(),
                )
                .returning(users.c.id)
            ).scalar_one()
            for role, urn in sorted(grants, key=lambda g: (g[0], g[1] or "")):
                conn.execute(insert(user_roles).values(user_id=user_id, role=role, school_urn=urn))
        return True

    def grant(
        self, username: str, role: str, school_urns: Iterable[str] = (), la_code: str | None = None, *, by: str | None = None
    ) -> int:
        """Give the user ``role`` (at each school given, for a school role); how many grants are new.
        ``la_code``: the LA of a virtual school officer (only with that role; its schools must exist).
        It applies from their next request: the principal is read afresh on every one.

        ``by``: the account giving it (None: the operator at the command line, who holds the database's own
        credentials and is logged as such). Nobody gives themselves a role: an administrator who could would
        make themselves an auditor or a DSL and read children's cases, which an administrator never sees."""
        if by is not None and by == username:
            raise _refused("username", "Another administrator must give you a role.")
        school_urns = list(school_urns)
        _check_urns(school_urns)
        _check_la(la_code)
        user = self.user(username)
        if user is None:
            raise _refused("username", f"No user called {username}.")
        if role not in ALL_ROLES:
            raise _refused("role", f"Unknown role {role}; roles are: {', '.join(sorted(ALL_ROLES))}")
        if role in SCHOOL_ROLES and not school_urns:
            raise _needs_a_school(role)
        if role not in SCHOOL_ROLES and school_urns:
            tied = f"{_starting(a_holder(role))} is not tied to one school: leave the school empty."
            raise _refused("school", f"The {role} role is not held at a school: leave out --school.", tied)
        if la_code is not None and role != Role.VIRTUAL_SCHOOL:
            only = f"Only {a_holder(Role.VIRTUAL_SCHOOL)} has a local authority: leave the LA code empty."
            raise _refused("la_code", "Only the virtual_school role takes --la.", only)
        if role == Role.VIRTUAL_SCHOOL and not (la_code or user["la_code"]):
            raise _needs_an_la()
        added = 0
        with write_transaction(self.engine) as conn:
            _lock_user(conn, int(user["id"]))
            for urn in school_urns:
                if not conn.execute(select(schools.c.urn).where(schools.c.urn == urn)).first():
                    raise _refused("school", f"No school with URN {urn}.")
            if la_code is not None:
                if not conn.execute(select(schools.c.urn).where(schools.c.la_code == la_code)).first():
                    raise _refused("la_code", f"No school in LA {la_code}.")
                conn.execute(update(users).where(users.c.id == user["id"]).values(la_code=la_code))
            for urn in school_urns or [None]:
                held = select(user_roles.c.role).where(
                    user_roles.c.user_id == user["id"],
                    user_roles.c.role == role,
                    user_roles.c.school_urn.is_(None) if urn is None else user_roles.c.school_urn == urn,
                )
                if conn.execute(held).first() is None:
                    conn.execute(insert(user_roles).values(user_id=user["id"], role=role, school_urn=urn))
                    added += 1
        return added

    def revoke(self, username: str, role: str, school_urns: Iterable[str] = ()) -> list[str | None]:
        """Take ``role`` from the user (at the schools given, or everywhere); each grant taken, by its
        school (None: held at no school), so the log can name them (see ``grants_taken``). A user
        keeps at least one role: to stop someone altogether, deactivate them. Taking virtual_school
        also forgets their LA. Applies from their next request."""
        school_urns = list(school_urns)
        _check_urns(school_urns)
        user = self.user(username)
        if user is None:
            raise _refused("username", f"No user called {username}.")
        with write_transaction(self.engine) as conn:
            if role == Role.ADMIN:
                _keep_an_administrator(conn, int(user["id"]))
            _lock_user(conn, int(user["id"]))
            mine = user_roles.c.user_id == user["id"]
            chosen = select(user_roles.c.role, user_roles.c.school_urn).where(mine, user_roles.c.role == role)
            if school_urns:
                chosen = chosen.where(user_roles.c.school_urn.in_(school_urns))
            going = conn.execute(chosen).all()
            total = conn.execute(select(func.count()).select_from(user_roles).where(mine)).scalar_one()
            if not going:
                there = (" there", " at that school") if school_urns else ("", "")
                said = f"{username} is not {a_holder(role)}{there[1]}."
                raise _refused("role", f"{username} does not hold the {role} role{there[0]}.", said)
            if len(going) == total:
                raise _refused("role", f"That is every role {username} holds: deactivate the account instead.")
            for _, urn in going:
                conn.execute(
                    delete(user_roles).where(
                        mine,
                        user_roles.c.role == role,
                        user_roles.c.school_urn.is_(None) if urn is None else user_roles.c.school_urn == urn,
                    )
                )
            if role == Role.VIRTUAL_SCHOOL:
                conn.execute(update(users).where(users.c.id == user["id"]).values(la_code=None))
        return sorted((urn for _, urn in going), key=lambda urn: (urn is not None, urn or ""))

    def holders_of(self, role: str, school_urn: str | None = None) -> dict[str, str]:
        """The active accounts that hold ``role`` (anywhere, or at ``school_urn``), each username with its name:
        those a form that names such a person (a plan's social worker, a pupil's class teacher) may name; a
        leaver's account is not one."""
        holding = select(user_roles.c.user_id).where(user_roles.c.role == role)
        if school_urn is not None:
            holding = holding.where(user_roles.c.school_urn == school_urn)
        query = (
            select(users.c.username, users.c.display_name)
            .where(users.c.active.is_(True), users.c.id.in_(holding))
            .order_by(users.c.username)
        )
        with read_transaction(self.engine) as conn:
            return {row.username: row.display_name for row in conn.execute(query)}

    def people(self) -> list[dict[str, Any]]:
        """Every user with their roles, for administrators: each role as ``{"role", "school_urn", "la_code"}``
        (the school a school role is held at; the LA a Virtual School officer's role is for), for the page to
        name in words."""
        query = (
            select(
                users.c.username,
                users.c.display_name,
                users.c.active,
                users.c.la_code,
                user_roles.c.role,
                user_roles.c.school_urn,
            )
            .join(user_roles, user_roles.c.user_id == users.c.id)
            .order_by(users.c.username, user_roles.c.role, user_roles.c.school_urn)
        )
        found: dict[str, dict[str, Any]] = {}
        with read_transaction(self.engine) as conn:
            for row in conn.execute(query).mappings():
                entry = found.setdefault(
                    row["username"],
                    {"username": row["username"], "name": row["display_name"], "active": row["active"], "roles": []},
                )
                la = row["la_code"] if row["role"] == Role.VIRTUAL_SCHOOL else None
                entry["roles"].append({"role": row["role"], "school_urn": row["school_urn"], "la_code": la})
        return list(found.values())

    def display_names(self) -> dict[str, str]:
        """Every user's name by username, read at once: a page naming many people asks once, not per row."""
        with read_transaction(self.engine) as conn:
            return {row.username: row.display_name for row in conn.execute(select(users.c.username, users.c.display_name))}

    def namesakes(self) -> frozenset[str]:
        """The usernames of accounts whose person's name (without the job title in its brackets, spaces and case
        aside) two or more active accounts bear: a page names each of them with the username beside it, so that
        two people are not read as one. A leaver's account does not make a name shared; it bears the username
        while one is."""
        query = select(users.c.username, users.c.display_name, users.c.active)
        bearing: dict[str, list[str]] = {}
        active: dict[str, int] = {}
        with read_transaction(self.engine) as conn:
            for row in conn.execute(query):
                name = " ".join(name_and_title(row.display_name)[0].casefold().split())
                bearing.setdefault(name, []).append(row.username)
                active[name] = active.get(name, 0) + bool(row.active)
        return frozenset(username for name, usernames in bearing.items() if active[name] > 1 for username in usernames)

    def user(self, username: str) -> dict[str, Any] | None:
        """The user of that name, or None; None without asking the database for a name no user can have
        (a NUL byte in it would be a driver error on PostgreSQL)."""
        if not username.isprintable():
            return None
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
            return dict(row) if row else None

    def principal(self, user_id: int) -> Principal | None:
        with read_transaction(self.engine) as conn:
            return _principal(conn, user_id)

    def authenticate(self, username: str, password: str) -> int | None:
        """The user's id if the password is right and the account is not locked; else None.

        Attempts are counted per account (ASVS 2.2.1); ten wrong ones lock the account for
        fifteen minutes. The answer does not say which part was wrong. For a user with
        two-step sign-in the right password only takes back its own attempt; the count is
        cleared by the second step: otherwise the right password, known to an attacker,
        would reset the count before every ten guesses at the code.
        """
        plausible = bool(username) and len(username) <= 64 and username.isprintable()
        user = self.user(username) if plausible else None
        attempt = self._begin_attempt(int(user["id"])) if user and user["password_hash"] and user["active"] else None
        if user is None or attempt is None:
            _verify(_DUMMY_HASH, password)
            return None
        if not _verify(user["password_hash"], password):
            self._attempt_failed(int(user["id"]), attempt)
            return None
        if user["totp_secret"]:
            self._take_back_attempt(int(user["id"]))
        else:
            self._clear_failures(int(user["id"]))
        return int(user["id"])

    def _begin_attempt(self, user_id: int) -> int | None:
        """Count an attempt before judging it, in one statement, and return its number; None if
        the account is locked or this attempt is past the tenth (which locks it, if a burst got
        there before the tenth's own failure did: the count never stays over ten without a lock).

        Counted first, not after a failure: parallel guesses each take their own number, so no
        more than ten are ever judged in a lock period, however many arrive at once (a count read,
        then written back, let thirty parallel wrong codes through with the count at two)."""
        now = self.clock()
        not_locked = or_(users.c.locked_until.is_(None), users.c.locked_until <= now)
        with write_transaction(self.engine) as conn:
            count = conn.execute(
                update(users)
                .where(users.c.id == user_id, not_locked)
                .values(failed_logins=users.c.failed_logins + 1)
                .returning(users.c.failed_logins)
            ).scalar()
            if count is not None and count > MAX_FAILED_LOGINS:
                conn.execute(update(users).where(users.c.id == user_id).values(failed_logins=0, locked_until=now + LOCKOUT))
        return None if count is None or count > MAX_FAILED_LOGINS else int(count)

    def _attempt_failed(self, user_id: int, attempt: int) -> None:
        """The attempt was wrong (it is already counted); the tenth locks the account for fifteen minutes."""
        if attempt >= MAX_FAILED_LOGINS:
            with write_transaction(self.engine) as conn:
                conn.execute(
                    update(users).where(users.c.id == user_id).values(failed_logins=0, locked_until=self.clock() + LOCKOUT)
                )

    def _take_back_attempt(self, user_id: int) -> None:
        """A right answer was counted as an attempt before it was judged: it is not a failure."""
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.failed_logins > 0)
                .values(failed_logins=users.c.failed_logins - 1)
            )

    def _clear_failures(self, user_id: int) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(failed_logins=0, locked_until=None))

    # --- failures by address ----------------------------------------------------------------
    def begin_source_attempt(self, source: str) -> SourceAttempt:
        """Count a sign-in attempt against ``source`` (a client address, see ``source_key``) before it
        is judged: whether it is past its allowance in this window, and if so until when.

        Counted first, in one upsert, like an account's attempts: parallel requests each take their
        own number, so no more than the allowance are judged in a window. A right answer gives its
        attempt back (``source_succeeded``): only failures use the allowance up."""
        now = self.clock()
        key = source[:64]
        over = sign_in_throttle.c.window_start <= now - SOURCE_WINDOW
        dialect = self.engine.dialect.name
        upsert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(sign_in_throttle).values(
            source=key, window_start=now, failures=1
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=[sign_in_throttle.c.source],
            set_={
                "failures": case((over, 1), else_=sign_in_throttle.c.failures + 1),
                "window_start": case((over, literal(now, UtcDateTime())), else_=sign_in_throttle.c.window_start),
            },
        ).returning(sign_in_throttle.c.failures, sign_in_throttle.c.window_start)
        with write_transaction(self.engine) as conn:
            failures, window_start = conn.execute(upsert).one()
        self._clear_finished_windows(now)
        if failures <= self.source_failures:
            return SourceAttempt(None, False)
        return SourceAttempt(utc(window_start) + SOURCE_WINDOW, failures == self.source_failures + 1)

    def source_succeeded(self, source: str) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(sign_in_throttle)
                .where(sign_in_throttle.c.source == source[:64], sign_in_throttle.c.failures > 0)
                .values(failures=sign_in_throttle.c.failures - 1)
            )

    def _clear_finished_windows(self, now: datetime) -> None:
        """Windows that are over go, in a transaction of their own that waits for nobody: deleting
        them in the counting transaction deadlocked on PostgreSQL (each held its own row and wanted
        another's), and a row another request holds now is cleared by a later one."""
        cut = now - SOURCE_WINDOW
        finished = select(sign_in_throttle.c.source).where(sign_in_throttle.c.window_start <= cut)
        if self.engine.dialect.name == "postgresql":
            finished = finished.with_for_update(skip_locked=True)
        with write_transaction(self.engine) as conn:
            conn.execute(delete(sign_in_throttle).where(sign_in_throttle.c.source.in_(finished)))

    # --- passwords ---------------------------------------------------------------------------
    def change_password(self, user_id: int, current: str, new: str) -> None:
        """The user's own change: the current password first (it counts as an attempt, ASVS V6.2.3),
        then the rules for the new one. ``AccountError`` says what is wrong; nothing changes then."""
        user = self._user_by_id(user_id)
        problems: dict[str, str] = {}
        if user is None or self.authenticate(user["username"], current) != user_id:
            problems["current"] = "Your current password is not right."
        elif new == current:
            problems["new"] = "The new password is the same as the current one."
        if "new" not in problems:
            try:
                about = self._words_about(user["display_name"], user_id=user_id) if user else []
                check_password(new, user["username"] if user else None, about)
            except AccountError as problem:
                problems["new"] = str(problem)
        if problems or user is None:
            raise AccountError(" ".join(problems.values()), on=problems)
        with write_transaction(self.engine) as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(password_hash=HASHER.hash(new)))

    def set_password(self, username: str, new: str) -> None:
        """An administrator's: a first password, or a forgotten one replaced. The account's lock
        and count are cleared, and every session of the user ends."""
        user = self.user(username)
        if user is None:
            raise AccountError(f"No user called {username}.")
        check_password(new, username, self._words_about(user["display_name"], user_id=int(user["id"])))
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user["id"])
                .values(password_hash=HASHER.hash(new), failed_logins=0, locked_until=None)
            )
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user["id"]))

    def _words_about(self, display_name: str | None, school_urns: Iterable[str] = (), user_id: int | None = None) -> list[str]:
        """What anyone who knows the account would try in its password (ASVS V6.2.11): its person's name, and the
        name, URN and LA of each school given or where the user holds a role."""
        urns = set(school_urns)
        with read_transaction(self.engine) as conn:
            if user_id is not None:
                mine = user_roles.c.user_id == user_id
                held = select(user_roles.c.school_urn).where(mine, user_roles.c.school_urn.is_not(None))
                urns |= set(conn.execute(held).scalars())
            found = select(schools.c.urn, schools.c.name, schools.c.la_name).where(schools.c.urn.in_(urns))
            rows = conn.execute(found).all() if urns else []
        return [display_name or "", *(part for row in rows for part in row if part)]

    # --- two-step sign-in --------------------------------------------------------------------
    def _user_by_id(self, user_id: int) -> dict[str, Any] | None:
        with read_transaction(self.engine) as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
            return dict(row) if row else None

    def two_step_on(self, user_id: int) -> bool:
        user = self._user_by_id(user_id)
        return bool(user and user["totp_secret"])

    def second_step(self, user_id: int, code: str | None) -> bool:
        """Whether ``code`` is the user's current code, not used before, on an account not locked.

        A wrong code counts as a failed sign-in (ten lock the account), so six digits cannot be
        guessed: at most forty tries an hour against a million codes."""
        user = self._user_by_id(user_id)
        if user is None or not user["active"] or not user["totp_secret"]:
            return False
        attempt = self._begin_attempt(user_id)
        if attempt is None:
            return False
        secret = self._opened(user_id, user["totp_secret"])
        step = matching_step(secret, code, self.clock(), user["totp_last_step"]) if secret else None
        if step is not None and self._use_step(user_id, user["totp_secret"], step):
            return True
        self._attempt_failed(user_id, attempt)
        return False

    def _opened(self, user_id: int, stored: str) -> str | None:
        """The user's secret from its sealed text; None where this deployment's data key does not open it
        (the code is then refused, never let through: an administrator resets the user's two-step sign-in)."""
        try:
            return self.box.open(stored, _purpose(user_id))
        except SecretUnreadable:
            return None

    def seal_plaintext_secrets(self) -> int:
        """Seal the secrets written before they were sealed at rest (``caseflow db upgrade`` runs this); each
        changed only if it is still the value read. Returns how many were sealed."""
        sealed = 0
        with read_transaction(self.engine) as conn:
            rows = conn.execute(select(users.c.id, users.c.totp_secret, users.c.totp_pending_secret)).all()
        for user_id, active, pending in rows:
            for column, stored in ((users.c.totp_secret, active), (users.c.totp_pending_secret, pending)):
                if stored and not is_sealed(stored):
                    with write_transaction(self.engine) as conn:
                        done = conn.execute(
                            update(users)
                            .where(users.c.id == user_id, column == stored)
                            .values({column.name: self.box.seal(stored, _purpose(user_id))})
                        )
                    sealed += done.rowcount
        return sealed

    def _use_step(self, user_id: int, secret: str, step: int) -> bool:
        """Take ``step`` as used, if no code of it or a later one was taken meanwhile: one conditional
        statement, so of two requests racing with the same code exactly one gets through."""
        unused = or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step)
        with write_transaction(self.engine) as conn:
            taken = conn.execute(
                update(users)
                .where(users.c.id == user_id, users.c.totp_secret == secret, unused)
                .values(totp_last_step=step, failed_logins=0, locked_until=None)
            )
        return taken.rowcount == 1

    def pending_secret(self, user_id: int) -> str:
        """The secret being set up: shown as a QR code until a code from it turns it on. Kept on the
        server (not in the signed but readable session cookie), and the same one until it is used,
        so reloading the page does not change the key the app has already scanned."""
        user = self._user_by_id(user_id)
        if user is None:
            raise AccountError("No such user.")
        if user["totp_pending_secret"] and (pending := self._opened(user_id, user["totp_pending_secret"])):
            return pending
        secret = new_secret()
        with write_transaction(self.engine) as conn:
            sealed = self.box.seal(secret, _purpose(user_id))
            conn.execute(update(users).where(users.c.id == user_id).values(totp_pending_secret=sealed))
        return secret

    def turn_on_two_step(self, user_id: int, code: str | None, replacing: bool = False) -> bool:
        """Make the pending secret the user's once they show a code from it: proof their app holds it.

        ``replacing``: an app is already set up and this one takes its place (the caller has
        checked a code from the old one). Otherwise only an account without one is changed, so a
        sign-in with the password alone can never swap the app of an account that has one. A wrong
        code changes nothing."""
        user = self._user_by_id(user_id)
        if user is None or not user["active"] or not user["totp_pending_secret"]:
            return False
        stored = user["totp_pending_secret"]
        secret = self._opened(user_id, stored)
        step = matching_step(secret, code, self.clock()) if secret else None
        if step is None:
            return False
        conditions = [users.c.id == user_id, users.c.active.is_(True), users.c.totp_pending_secret == stored]
        if not replacing:
            conditions.append(users.c.totp_secret.is_(None))
        with write_transaction(self.engine) as conn:
            done = conn.execute(
                update(users).where(*conditions).values(totp_secret=stored, totp_last_step=step, totp_pending_secret=None)
            )
        return done.rowcount == 1

    def turn_off_two_step(self, user_id: int, code: str | None) -> bool:
        """The user turns it off themselves, with a current code (where it is not required)."""
        if not self.second_step(user_id, code):
            return False
        with write_transaction(self.engine) as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(totp_secret=None, totp_last_step=None))
        return True

    def reset_two_step(self, username: str) -> None:
        """An administrator's answer to a lost phone: the secret goes, and so do the user's open sessions;
        they set up a new app at their next sign-in (where two-step sign-in is required)."""
        user = self.user(username)
        if user is None:
            raise AccountError(f"No user called {username}.")
        with write_transaction(self.engine) as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user["id"])
                .values(totp_secret=None, totp_last_step=None, totp_pending_secret=None)
            )
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user["id"]))

    def end_other_sessions(self, user_id: int, keep: str | None) -> int:
        """After a change to how the user signs in: every other session of theirs ends (ASVS V7.4.3)."""
        query = delete(web_sessions).where(web_sessions.c.user_id == user_id)
        if keep:
            query = query.where(web_sessions.c.id != token_digest(keep))
        with write_transaction(self.engine) as conn:
            return int(conn.execute(query).rowcount)

    # --- API tokens --------------------------------------------------------------------------
    def issue_token(self, username: str) -> str:
        user = self.user(username)
        if user is None:
            raise AccountError(f"No user called {username}.")
        token = secrets.token_urlsafe(32)
        with write_transaction(self.engine) as conn:
            conn.execute(insert(api_tokens).values(user_id=user["id"], token_hash=token_digest(token), created_at=self.clock()))
        return token

    def revoke_tokens(self, username: str) -> int:
        """Revoke every API token of the user at once (the next request with one is refused); how many."""
        user = self.user(username)
        if user is None:
            raise AccountError(f"No user called {username}.")
        with write_transaction(self.engine) as conn:
            revoked = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.user_id == user["id"], api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )
        return int(revoked.rowcount)

    def deactivate(self, username: str) -> None:
        """A leaver: no more sign-ins, their open sessions end and their API tokens stop working, at
        once. The account stays, so the log still names who did what."""
        user = self.user(username)
        if user is None:
            raise AccountError(f"No user called {username}.")
        with write_transaction(self.engine) as conn:
            _keep_an_administrator(conn, int(user["id"]))
            conn.execute(update(users).where(users.c.id == user["id"]).values(active=False))
            conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user["id"]))
            conn.execute(
                update(api_tokens)
                .where(api_tokens.c.user_id == user["id"], api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )

    def principal_for_token(self, token: str) -> Principal | None:
        if not token or len(token) > 200:
            return None
        with read_transaction(self.engine) as conn:
            return _principal_of(_TOKEN_PRINCIPAL.rows(conn, {"token_hash": token_digest(token)}))

    # --- web sessions ------------------------------------------------------------------------
    def start_session(self, user_id: int) -> str:
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with write_transaction(self.engine) as conn:
            conn.execute(
                insert(web_sessions).values(id=token_digest(session_id), user_id=user_id, created_at=now, last_seen_at=now)
            )
        return session_id

    def session_user(self, session_id: str) -> int | None:
        """The user of a live session, refreshing its idle timer; None once idle, expired or ended."""
        if not session_id or len(session_id) > 200:
            return None
        now = self.clock()
        key = token_digest(session_id)
        with write_transaction(self.engine) as conn:
            row = conn.execute(select(web_sessions).where(web_sessions.c.id == key)).mappings().first()
            if row is None:
                return None
            if now - utc(row["last_seen_at"]) > SESSION_IDLE or now - utc(row["created_at"]) > SESSION_ABSOLUTE:
                conn.execute(delete(web_sessions).where(web_sessions.c.id == key))
                return None
            conn.execute(update(web_sessions).where(web_sessions.c.id == key).values(last_seen_at=now))
            return int(row["user_id"])

    def end_session(self, session_id: str) -> None:
        with write_transaction(self.engine) as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.id == token_digest(session_id)))


def _lock_user(conn: Connection, user_id: int) -> None:
    """Changes to one user's roles one at a time: each counts and checks what the user holds, which a
    second change running alongside would otherwise not see (two revokes at once left a user with no
    role; two grants at once, a role held twice). SQLite's write lock already serialises them."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())


def grants_taken(removed: Sequence[str | None]) -> str:
    """Where a revoked role was held, for the log and the message: "" (held at no school), " at S, T",
    or " everywhere and at S" when a user held it both ways."""
    schools = [urn for urn in removed if urn is not None]
    if not schools:
        return ""
    return (" everywhere and" if None in removed else "") + f" at {', '.join(schools)}"


def role_given(username: str, role: str, where: str = "") -> str:
    """The log's detail of a role given to an account, new or not: one that reads children's cases says so, so
    that whoever reads the log finds every account an administrator has let read them (a second account of
    their own among them: an administrator may not give themselves a role, but may add an account)."""
    return f"{username}: {role}{where}" + (" (reads children's cases)" if role in CASE_READERS else "")


def _keep_an_administrator(conn: Connection, user_id: int) -> None:
    """Refuse a change that takes the user out of the administrators when no other active one is left:
    with none, nobody could add a school, give a role or deactivate a leaver from the page. The active
    administrators are held first, in one order, so two of them removing each other at once cannot
    both pass (SQLite's write lock already serialises them). The lock does not see a role taken away
    by the transaction it waited for (it re-reads the user row, not the roles), so they are read again."""
    admins = (
        select(users.c.id)
        .join(user_roles, user_roles.c.user_id == users.c.id)
        .where(user_roles.c.role == Role.ADMIN.value, users.c.active.is_(True))
        .order_by(users.c.id)
    )
    if conn.dialect.name == "postgresql":
        conn.execute(admins.with_for_update(of=users))
    held = set(conn.execute(admins).scalars())  # read again: a statement after the wait sees what the other committed
    if held == {user_id}:
        raise AccountError("That would leave no active administrator: give someone else the admin role first.")


def check_password(password: str, username: str | None = None, context: Iterable[str] = (), *, demo: bool = False) -> None:
    """Length, not the username inside it, and not too easy to guess (ASVS V6.2.1, V6.2.4, V6.2.11; see
    ``caseflow.domain.passwords``); no rules about kinds of character, which ASVS 5.0 forbids (V6.2.5).
    ``context``: the account's person's name and schools. ``demo``: the demo's accounts, which alone may have
    the demo's password (``add_user``)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
    lowered = password.casefold()
    if username and len(username) >= 3 and username.casefold() in lowered:
        raise AccountError("A password must not contain the username.")
    if demo and password == DEMO_PASSWORD:
        return
    problem = guessable(password, context)
    if problem:
        raise AccountError(problem)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: who holds which roles: one row per role (or one with no role), for the statements below
_GRANTS = (users.c.username, users.c.la_code, user_roles.c.role, user_roles.c.school_urn)
#: an active user with every role they hold (built once and run on the driver: every request asks)
_USER_PRINCIPAL = DriverStatement(
    select(*_GRANTS)
    .outerjoin(user_roles, user_roles.c.user_id == users.c.id)
    .where(users.c.id == bindparam("user_id"), users.c.active.is_(True))
)
#: the same, found by an unrevoked API token, in one round trip
_TOKEN_PRINCIPAL = DriverStatement(
    select(*_GRANTS)
    .select_from(
        api_tokens.join(users, users.c.id == api_tokens.c.user_id).outerjoin(user_roles, user_roles.c.user_id == users.c.id)
    )
    .where(api_tokens.c.token_hash == bindparam("token_hash"), api_tokens.c.revoked_at.is_(None), users.c.active.is_(True))
)


def _principal(conn: Connection, user_id: int) -> Principal | None:
    """An active user with every role they hold, in one query on the caller's connection."""
    return _principal_of(_USER_PRINCIPAL.rows(conn, {"user_id": user_id}))


def _principal_of(rows: Sequence[tuple[Any, ...]]) -> Principal | None:
    """``rows``: the ``_GRANTS`` columns of one user, a row per role held."""
    if not rows:
        return None
    grants = frozenset((role, school_urn) for _, _, role, school_urn in rows if role is not None)
    username, la_code = rows[0][:2]
    return Principal(username, grants, la_code)


def _purpose(user_id: int) -> str:
    """What a user's authenticator secret is sealed for: theirs, and nobody else's row opens it."""
    return f"totp:{user_id}"
