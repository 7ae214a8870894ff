"""Wellbeing questionnaires other than the SDQ, configured as data: scores only, never item wording.

Each entry names its scales and each scale's score range. An entry whose scoring
is not known yet is listed with ``configured: False`` so that nobody records
scores against a guessed scale: the Attendance Difficulties Questionnaire's items
and scoring have not been published (domain-facts §3); add them from the Essex
form, and scores can be recorded with no change to the code.
"""

QUESTIONNAIRES = {
    "adq": {
        "label": "Attendance Difficulties Questionnaire (Essex)",
        "configured": False,
        "scales": {},
    },
}
