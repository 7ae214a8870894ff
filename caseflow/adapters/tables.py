"""Table definitions (SQLAlchemy Core). Alembic migrations create them; this is the map.

``events`` is the audit record and the source of truth; everything marked
"projection" is derived from it and can be rebuilt at any time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from caseflow.domain.events import iso, utc

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC instants: ``timestamptz`` on PostgreSQL, fixed-width ISO text on SQLite.

    The fixed text form sorts chronologically and parses with the C-speed
    ``datetime.fromisoformat``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(27))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return iso(value) if dialect.name == "sqlite" else utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return utc(datetime.fromisoformat(value))
        return utc(value)


BigId = BigInteger().with_variant(Integer(), "sqlite")

#: the append-only log: every case and pupil stream, in one global order
events = Table(
    "events",
    metadata,
    Column("position", BigId, primary_key=True, autoincrement=True),
    Column("stream_id", String(64), nullable=False),
    Column("stream_type", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("data", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("workflow_version", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    #: PostgreSQL transaction id of the writer, so projection readers never skip a late commit
    Column("tx", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
    Index("ix_events_tx_position", "tx", "position"),
    Index("ix_events_stream_type", "stream_type", "stream_id"),
)

schools = Table(
    "schools",
    metadata,
    Column("urn", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("la_code", String(8), nullable=True),
    #: the LA's name as the DfE's register gives it beside the code ("Essex"); NULL where none was given
    Column("la_name", String(100), nullable=True),
)

#: a school's own term dates, per school year (``caseflow.domain.school_calendar``); set by its head,
#: SLT or DSL, each change in the access log. Not derived from the log, so not rebuilt
school_terms = Table(
    "school_terms",
    metadata,
    Column("school_urn", String(16), ForeignKey("schools.urn"), primary_key=True),
    Column("school_year", Integer, primary_key=True),
    Column("name", String(8), primary_key=True),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
)

#: the days a school is closed inside its terms (training days, bank holidays): not school days
school_closures = Table(
    "school_closures",
    metadata,
    Column("school_urn", String(16), ForeignKey("schools.urn"), primary_key=True),
    Column("day", Date, primary_key=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    #: rotated at every login and logout; a session is valid only while it matches
    Column("session_token", String(64), nullable=True),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("la_code", String(8), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    #: the authenticator app's shared secret (base32), once two-step sign-in is set up
    Column("totp_secret", String(255), nullable=True),
    #: the 30-second step of the last code accepted: a code is good once
    Column("totp_last_step", BigInteger, nullable=True),
    #: a secret being set up, shown until a code from it turns it on
    Column("totp_pending_secret", String(255), nullable=True),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("role", String(32), nullable=False),
    #: NULL for roles not tied to one school (social worker, virtual school, auditor, admin)
    Column("school_urn", String(16), ForeignKey("schools.urn"), nullable=True),
    UniqueConstraint("user_id", "role", "school_urn", name="uq_user_roles"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    #: SHA-256 of the token; the token itself is shown once and never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

#: every view of a case and every attempted action, allowed or refused (append-only)
access_log = Table(
    "access_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("role", String(32), nullable=True),
    Column("case_id", String(64), nullable=True),
    Column("pupil_id", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text, nullable=True),
    Index("ix_access_log_case", "case_id"),
    Index("ix_access_log_pupil", "pupil_id"),
)

#: projection: one row per case, for lists and dashboards
case_summary = Table(
    "case_summary",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("pupil_id", String(64), nullable=False),
    Column("school_urn", String(16), nullable=False),
    Column("state", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("need_areas", Text, nullable=False),
    Index("ix_case_summary_school", "school_urn", "state"),
    Index("ix_case_summary_pupil", "pupil_id"),
)

#: projection: pupils as registered
pupils = Table(
    "pupils",
    metadata,
    Column("pupil_id", String(64), primary_key=True),
    Column("upn", String(13), nullable=False, unique=True),
    Column("given_name", String(100), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("school_urn", String(16), nullable=False),
    Column("year_group", Integer, nullable=True),
    Column("version", Integer, nullable=False),
    #: the first day on the school's roll: the day in England the pupil was registered (the record holds no day of
    #: joining; no leaving is recorded); ``caseflow.adapters.read_models.on_roll`` is the rule that reads it
    Column("on_roll_from", Date, nullable=False),
    Index("ix_pupils_school", "school_urn"),
)

#: projection: social-care episodes, for cohort queries and allocation
social_care_episodes = Table(
    "social_care_episodes",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("episode", Integer, nullable=False),
    Column("plan", String(8), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=True),
    Column("social_worker", String(64), nullable=True),
    Column("category", String(8), nullable=True),
    UniqueConstraint("pupil_id", "episode", name="uq_social_care_episode"),
    Index("ix_episodes_worker", "social_worker"),
)

#: projection: suspension days decided, per pupil and school year: on a case, or as the school's MIS recorded
#: them (``source`` "mis": ``case_id`` is then the pupil's own stream, ``decided_version`` its event there)
suspension_days = Table(
    "suspension_days",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("case_id", String(64), nullable=False),
    Column("school_year", Integer, nullable=False),
    #: autumn, spring or summer as computed (``caseflow.domain.school_calendar.school_term``); the
    #: counters read ``start_date`` in the school's own terms
    Column("term", String(8), nullable=False),
    #: the suspension's first day, which decides its term
    Column("start_date", Date, nullable=False),
    Column("days", Float, nullable=False),
    Column("decided_version", Integer, nullable=False),
    #: when the decision was written: which of a pupil's decisions came first, across their cases
    Column("decided_at", UtcDateTime, nullable=False),
    #: the days decided; ``days`` is what counts, the days served once the head cancels it
    Column("decided_days", Float, nullable=False),
    Column("cancelled_at", UtcDateTime, nullable=True),
    #: "case" (decided on a case) or "mis" (recorded in the school's MIS: ``SuspensionRecorded``)
    Column("source", String(8), nullable=False, server_default="case"),
    UniqueConstraint("case_id", "decided_version", name="uq_suspension_decision"),
)

#: projection: which class teachers teach which pupils (for classroom profiles)
teaching = Table(
    "teaching",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("teacher", String(64), nullable=False),
    UniqueConstraint("pupil_id", "teacher", name="uq_teaching"),
    Index("ix_teaching_teacher", "teacher"),
)

#: projection: one row per pupil with what the cohort dashboard shows
pupil_status = Table(
    "pupil_status",
    metadata,
    Column("pupil_id", String(64), primary_key=True),
    Column("send_status", String(16), nullable=True),
    Column("primary_need", String(8), nullable=True),
    Column("care_status", String(32), nullable=True),
    Column("care_since", Date, nullable=True),
    Column("wellbeing_measure", String(16), nullable=True),
    Column("wellbeing_total", Integer, nullable=True),
    Column("wellbeing_band", String(32), nullable=True),
    Column("wellbeing_first_total", Integer, nullable=True),
    Column("incidents", Integer, nullable=False, default=0),
)

#: projection: attendance at session level, as the MIS sent it
attendance_marks = Table(
    "attendance_marks",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("date", Date, nullable=False),
    Column("session", String(2), nullable=False),
    Column("code", String(3), nullable=False),
    UniqueConstraint("pupil_id", "date", "session", name="uq_attendance_mark"),
)

#: projection: attendance counted per pupil and calendar month (dashboards never scan sessions)
attendance_months = Table(
    "attendance_months",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("possible", Integer, nullable=False),
    Column("attended", Integer, nullable=False),
    Column("authorised", Integer, nullable=False),
    Column("unauthorised", Integer, nullable=False),
    UniqueConstraint("pupil_id", "month", name="uq_attendance_month"),
)

#: projection: attendance per pupil and school year so far (the months summed, and the last of them),
#: so the LA view reads one narrow row per child instead of summing months across an LA
attendance_years = Table(
    "attendance_years",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("school_year", Integer, nullable=False),
    Column("possible", Integer, nullable=False),
    Column("attended", Integer, nullable=False),
    Column("absent", Integer, nullable=False),
    Column("through_month", String(7), nullable=False),
    UniqueConstraint("pupil_id", "school_year", name="uq_attendance_year"),
)

#: projection: behaviour incidents per pupil and school year (by the incident's date), so the cohort can
#: stand beside the whole school for this year's behaviour without reading every incident
incident_years = Table(
    "incident_years",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("school_year", Integer, nullable=False),
    Column("incidents", Integer, nullable=False),
    UniqueConstraint("pupil_id", "school_year", name="uq_incident_year"),
)

#: projection: each pupil's judgement against expected in each subject, in the latest term of each school year
#: judged (a later term's judgement replaces an earlier one; within a term, the latest recorded stands), so the
#: cohort's attainment can stand beside the whole school's for the year
attainment_latest = Table(
    "attainment_latest",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("school_year", Integer, nullable=False),
    Column("subject", String(16), nullable=False),
    Column("term", String(8), nullable=False),
    Column("judgement", String(16), nullable=False),
    UniqueConstraint("pupil_id", "school_year", "subject", name="uq_attainment_latest"),
)

#: projection: the day each SDQ was completed (one row per ``WellbeingRecorded`` of the SDQ), so the due list can
#: name the children of the cohort with none in the term of its day, and give each one's last before it
sdq_dates = Table(
    "sdq_dates",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("administered_on", Date, nullable=False),
    UniqueConstraint("pupil_id", "version", name="uq_sdq_dates"),
)

#: stands for an episode with no end yet, so the latest end is a plain max()
OPEN_EPISODE = date.max

#: projection: one row per child who has ever had a social worker, folding what the LA view counts
#: (episode dates, care and wellbeing, this school year's attendance, open journeys) so a view over
#: 15,000 children reads 15,000 narrow rows instead of joining five tables per child. Derived from
#: the other read models, and recomputed for every child an appended batch touches.
cohort_facts = Table(
    "cohort_facts",
    metadata,
    Column("pupil_id", String(64), primary_key=True),
    Column("school_urn", String(16), nullable=False),
    #: the latest start of any episode: on and after it, the dates below decide membership alone
    Column("started_by", Date, nullable=False),
    #: the latest end of any episode; ``OPEN_EPISODE`` while one has no end
    Column("cohort_until", Date, nullable=False),
    #: the same over child protection plans only; NULL if the child never had one
    Column("cp_until", Date, nullable=True),
    Column("care_status", String(32), nullable=True),
    Column("wellbeing_band", String(32), nullable=True),
    #: the latest school year with attendance, and its sums so far (as ``attendance_years``)
    Column("school_year", Integer, nullable=True),
    Column("possible", Integer, nullable=True),
    Column("attended", Integer, nullable=True),
    Column("absent", Integer, nullable=True),
    Column("through_month", String(7), nullable=True),
    #: the child's cases not closed, and their states (sorted, comma-separated)
    Column("open_cases", Integer, nullable=False),
    Column("open_journeys", Text, nullable=False),
    Index("ix_cohort_facts_school", "school_urn"),
)

#: projection: every planned intervention with its status and review date (the "due" list)
interventions = Table(
    "interventions",
    metadata,
    Column("case_id", String(64), nullable=False),
    Column("intervention", Integer, nullable=False),
    Column("pupil_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("review_date", Date, nullable=False),
    UniqueConstraint("case_id", "intervention", name="uq_intervention"),
    Index("ix_interventions_pupil", "pupil_id"),
)

#: projection: what the governors' report counts of each case, one row per event that carries any
#: (``caseflow.domain.case_report``), so a report as at any date reads rows up to it instead of
#: replaying every case of the school
case_report_facts = Table(
    "case_report_facts",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("state", String(32), nullable=True),
    Column("kind", String(16), nullable=True),
    Column("ref", Integer, nullable=True),
    Column("detail", Text, nullable=True),
    Column("start_date", Date, nullable=True),
    Column("override", Boolean, nullable=True),
    #: a decision's "a public exam or national test would be missed" (NULL when not)
    Column("misses_exam", Boolean, nullable=True),
    #: a decision's day in England when it happened; a notice's day the recipient was told
    Column("decided_on", Date, nullable=True),
    #: an intervention's review date as planned, or as continued (every running one's)
    Column("review_on", Date, nullable=True),
)

#: snapshots of long case streams: a cache derived from the log, never part of the audit record
snapshots = Table(
    "snapshots",
    metadata,
    Column("stream_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    #: hash of the event at ``version``: a snapshot is used only while it still matches the log
    Column("last_hash", String(64), nullable=False),
    Column("state", Text, nullable=False),
    Column("taken_at", UtcDateTime, nullable=False),
    #: HMAC of (stream, version, last_hash, state) under a key derived from the data key (``snapshot_seal``):
    #: the table is the app's to write, so a snapshot whose seal does not hold is never used
    Column("seal", String(80), nullable=True),
)

#: how far each asynchronous projection has read the log
projection_checkpoints = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("tx", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
)

#: server-side sessions: a cookie carries only the id; logout deletes the row
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
)

#: permanent exclusions the school's MIS recorded (``SuspensionRecorded`` of kind permanent_exclusion), one per
#: pupil and first day, counted in the reports beside the exclusions decided on cases (which are report facts)
mis_exclusions = Table(
    "mis_exclusions",
    metadata,
    Column("pupil_id", String(64), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("school_year", Integer, nullable=False),
    #: the pupil's event that first recorded it, and when it was written: it counts from then
    Column("recorded_version", Integer, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    #: when a head's decision of the same exclusion on a case was written: the decision counts from then instead
    Column("replaced_at", UtcDateTime, nullable=True),
    UniqueConstraint("pupil_id", "start_date", name="uq_mis_exclusion"),
)

#: failed sign-ins by the address they came from, in the current window (see ``SqlAccounts.begin_source_attempt``)
sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("source", String(64), primary_key=True),
    Column("window_start", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False),
)

PROJECTION_TABLES = (
    case_summary,
    pupils,
    social_care_episodes,
    suspension_days,
    mis_exclusions,
    teaching,
    pupil_status,
    attendance_marks,
    attendance_months,
    attendance_years,
    incident_years,
    attainment_latest,
    sdq_dates,
    interventions,
    cohort_facts,
    case_report_facts,
)
APPEND_ONLY = ("events", "access_log")
