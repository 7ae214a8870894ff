"""Workflow definitions as data. Nothing here imports from ``caseflow``.

``REGISTRY`` maps each definition's versioned name to its definition; the
engine in ``caseflow.domain.workflow`` runs any of them.
"""

from workflows import support_journey

REGISTRY = {f"{d['name']}@{d['version']}": d for d in (support_journey.DEFINITION,)}
CURRENT = f"{support_journey.DEFINITION['name']}@{support_journey.DEFINITION['version']}"
