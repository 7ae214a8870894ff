"""Create the event log, accounts and read models, and make the log append-only.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 18:52:53.849936
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: instants: timestamptz on PostgreSQL, fixed-width ISO-8601 UTC text on SQLite
INSTANT = sa.DateTime(timezone=True).with_variant(sa.String(27), "sqlite")
APP_ROLE = "caseflow_app"
APPEND_ONLY = ("events", "access_log")

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tx_default() -> sa.TextClause:
    if op.get_bind().dialect.name == "postgresql":
        return sa.text("(pg_current_xact_id()::text::bigint)")
    return sa.text("0")


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("pupil_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index("ix_access_log_case", ["case_id"], unique=False)

    op.create_table(
        "case_summary",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("school_urn", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", INSTANT, nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.Column("need_areas", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("case_summary", schema=None) as batch_op:
        batch_op.create_index("ix_case_summary_pupil", ["pupil_id"], unique=False)
        batch_op.create_index(
            "ix_case_summary_school", ["school_urn", "state"], unique=False
        )

    op.create_table(
        "events",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("stream_id", sa.String(length=64), nullable=False),
        sa.Column("stream_type", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", INSTANT, nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.Column("workflow_version", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("tx", sa.BigInteger(), server_default=_tx_default(), nullable=False),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_stream_type", ["stream_type", "stream_id"], unique=False
        )
        batch_op.create_index("ix_events_tx_position", ["tx", "position"], unique=False)

    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "pupils",
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("school_urn", sa.String(length=16), nullable=False),
        sa.Column("year_group", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pupil_id"),
        sa.UniqueConstraint("upn"),
    )
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.create_index("ix_pupils_school", ["school_urn"], unique=False)

    op.create_table(
        "schools",
        sa.Column("urn", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("la_code", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("urn"),
    )
    op.create_table(
        "social_care_episodes",
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("social_worker", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=8), nullable=True),
        sa.UniqueConstraint("pupil_id", "episode", name="uq_social_care_episode"),
    )
    with op.batch_alter_table("social_care_episodes", schema=None) as batch_op:
        batch_op.create_index("ix_episodes_worker", ["social_worker"], unique=False)

    op.create_table(
        "suspension_days",
        sa.Column("pupil_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("school_year", sa.Integer(), nullable=False),
        sa.Column("days", sa.Float(), nullable=False),
        sa.Column("decided_version", sa.Integer(), nullable=False),
        sa.UniqueConstraint(
            "case_id", "decided_version", name="uq_suspension_decision"
        ),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_token", sa.String(length=64), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", INSTANT, nullable=True),
        sa.Column("la_code", sa.String(length=8), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("school_urn", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_urn"],
            ["schools.urn"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.UniqueConstraint("user_id", "role", "school_urn", name="uq_user_roles"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("last_seen_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    _make_append_only()


def _make_append_only() -> None:
    """Refuse UPDATE, DELETE and TRUNCATE of the audit tables in the database itself.

    PostgreSQL: ``ENABLE ALWAYS`` triggers (they fire even under
    session_replication_role=replica) and an application role ``caseflow_app``
    that owns nothing and holds only SELECT and INSERT on these tables.
    SQLite: triggers (DELETE without WHERE is SQLite's TRUNCATE).
    """
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION caseflow_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION caseflow_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION caseflow_refuse_change()"
            )
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_change")
            op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
        op.execute(
            f"""
            DO $$ BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
              END IF;
            END $$
            """
        )
        op.execute(
            f'GRANT CONNECT ON DATABASE "{bind.engine.url.database}" TO {APP_ROLE}'
        )
        op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        op.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}"
        )
        op.execute(
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {APP_ROLE}"
            )
        op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
        op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    else:
        for table in APPEND_ONLY:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
                )


def _drop_append_only() -> None:
    bind = op.get_bind()
    for table in APPEND_ONLY:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS caseflow_refuse_change()")


def downgrade() -> None:
    _drop_append_only()
    op.drop_table("web_sessions")
    op.drop_table("user_roles")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("suspension_days")
    with op.batch_alter_table("social_care_episodes", schema=None) as batch_op:
        batch_op.drop_index("ix_episodes_worker")

    op.drop_table("social_care_episodes")
    op.drop_table("schools")
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.drop_index("ix_pupils_school")

    op.drop_table("pupils")
    op.drop_table("projection_checkpoints")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_tx_position")
        batch_op.drop_index("ix_events_stream_type")

    op.drop_table("events")
    with op.batch_alter_table("case_summary", schema=None) as batch_op:
        batch_op.drop_index("ix_case_summary_school")
        batch_op.drop_index("ix_case_summary_pupil")

    op.drop_table("case_summary")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_case")

    op.drop_table("access_log")
