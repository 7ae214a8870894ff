"""Workflow definitions as data. Nothing here imports from ``caseflow``.

``REGISTRY`` maps each definition's versioned name to its definition; the
engine in ``caseflow.domain.workflow`` runs any of them.
"""

from workflows import good_practice, pupil_record, support_journey

REGISTRY = {
    f"{d['name']}@{d['version']}": d
    for d in (
        support_journey.DEFINITION_V1,
        support_journey.DEFINITION_V2,
        support_journey.DEFINITION_V3,
        support_journey.DEFINITION_V4,
        support_journey.DEFINITION_V5,
        support_journey.DEFINITION_V6,
        support_journey.DEFINITION_V7,
        support_journey.DEFINITION_V8,
        support_journey.DEFINITION_V9,
        support_journey.DEFINITION_V10,
        support_journey.DEFINITION,
        pupil_record.DEFINITION_V1,
        pupil_record.DEFINITION_V2,
        pupil_record.DEFINITION_V3,
        pupil_record.DEFINITION_V4,
        pupil_record.DEFINITION_V5,
        pupil_record.DEFINITION,
        good_practice.DEFINITION,
    )
}
#: the journey new cases follow
CURRENT = f"{support_journey.DEFINITION['name']}@{support_journey.DEFINITION['version']}"
#: the definition of pupil records
PUPIL_RECORD = f"{pupil_record.DEFINITION['name']}@{pupil_record.DEFINITION['version']}"
#: the definition of a school's self-assessment against the guidance
SELF_ASSESSMENT = f"{good_practice.DEFINITION['name']}@{good_practice.DEFINITION['version']}"
