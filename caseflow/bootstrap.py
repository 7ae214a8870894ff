"""The composition root: wires the SQL adapters to the services for one database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from caseflow.adapters.access_log import SqlAccessLog
from caseflow.adapters.accounts import SqlAccounts
from caseflow.adapters.database import make_engine
from caseflow.adapters.event_store import SqlEventStore
from caseflow.adapters.projections import INLINE_PROJECTORS
from caseflow.adapters.read_models import SqlReadModels
from caseflow.adapters.school_calendars import SqlSchoolCalendars
from caseflow.adapters.secret_box import SecretBox, decode_key
from caseflow.config import data_key_text
from caseflow.domain.events import now_utc
from caseflow.domain.roles import Role
from caseflow.domain.workflow import Workflow
from caseflow.services.cases import CaseService
from caseflow.services.cohort import CohortService
from caseflow.services.dashboard import DashboardService
from caseflow.services.due import DueListService
from caseflow.services.imports import ImportService
from caseflow.services.la_view import LaViewService
from caseflow.services.log_heads import LogHeadsService
from caseflow.services.pupils import PupilService
from caseflow.services.reports import ReportService
from caseflow.services.retention import RetentionService
from caseflow.services.school_calendars import SchoolCalendarService
from caseflow.services.self_assessment import SelfAssessmentService
from caseflow.services.subject_access import SubjectAccessService
from workflows import CURRENT, REGISTRY


@dataclass
class Services:
    engine: Engine
    store: SqlEventStore
    reads: SqlReadModels
    audit: SqlAccessLog
    accounts: SqlAccounts
    workflow: Workflow
    cases: CaseService
    pupils: PupilService
    cohort: CohortService
    reports: ReportService
    imports: ImportService
    dashboard: DashboardService
    due: DueListService
    la: LaViewService
    self_assessment: SelfAssessmentService
    subject_access: SubjectAccessService
    retention: RetentionService
    calendars: SchoolCalendarService
    log_heads: LogHeadsService

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(
    url: str, clock: Callable[[], datetime] = now_utc, engine: Engine | None = None, data_key: bytes | None = None
) -> Services:
    """``data_key``: the key that seals secrets at rest and snapshots; by default the deployment's (``CASEFLOW_DATA_KEY``)."""
    engine = engine or make_engine(url)
    key = data_key or decode_key(data_key_text())
    store = SqlEventStore(engine, INLINE_PROJECTORS, clock, data_key=key)
    reads = SqlReadModels(engine)
    audit = SqlAccessLog(engine, clock)
    workflow = Workflow(REGISTRY[CURRENT])
    accounts = SqlAccounts(engine, SecretBox(key), clock)
    pupils = PupilService(store, reads, audit, clock, lambda: frozenset(accounts.holders_of(Role.SOCIAL_WORKER)))
    cohort = CohortService(reads, audit)
    self_assessment = SelfAssessmentService(store, reads, audit, clock)
    dashboard = DashboardService(reads, cohort, audit, workflow.states)
    return Services(
        engine=engine,
        store=store,
        reads=reads,
        audit=audit,
        accounts=accounts,
        workflow=workflow,
        cases=CaseService(store, reads, audit, workflow, clock),
        pupils=pupils,
        cohort=cohort,
        dashboard=dashboard,
        due=DueListService(reads, audit),
        la=LaViewService(reads, audit),
        reports=ReportService(reads, audit, self_assessment.as_at, dashboard.school_summary),
        imports=ImportService(store, reads, pupils.workflow, clock),
        self_assessment=self_assessment,
        subject_access=SubjectAccessService(store, reads, audit, pupils, clock),
        retention=RetentionService(reads, audit, lambda: [s["urn"] for s in accounts.schools()]),
        calendars=SchoolCalendarService(SqlSchoolCalendars(engine), reads, audit),
        log_heads=LogHeadsService(store, audit),
    )
