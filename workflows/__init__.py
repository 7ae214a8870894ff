"""Workflow definitions as data. Nothing here imports from ``caseflow``.

``REGISTRY`` maps each definition's versioned name to its definition; the
engine in ``caseflow.domain.workflow`` runs any of them.
"""

from workflows import pupil_record, support_journey

REGISTRY = {f"{d['name']}@{d['version']}": d for d in (support_journey.DEFINITION, pupil_record.DEFINITION)}
#: the journey new cases follow
CURRENT = f"{support_journey.DEFINITION['name']}@{support_journey.DEFINITION['version']}"
#: the definition of pupil records
PUPIL_RECORD = f"{pupil_record.DEFINITION['name']}@{pupil_record.DEFINITION['version']}"
