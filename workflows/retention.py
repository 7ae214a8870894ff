"""How long Caseflow keeps a child's records, as data: one policy per kind of record.

Everything Caseflow holds about a child is part of their child-protection file (they have, or have
had, a social worker), so one policy covers the pupil's record and every case. The IRMS toolkit for
schools keeps child-protection files to the pupil's date of birth plus 25 years, then reviews them
(``../shared/reference/domain-facts.md``, Retention). Other periods it lists (SEN files, attendance
registers) are unconfirmed in our sources, and Caseflow does not keep those records apart, so none is
declared here.
"""

POLICIES = [
    {
        "id": "child_protection_file",
        "record": "The pupil's record and every case of theirs in Caseflow (part of the child-protection file)",
        "years_from_birth": 25,
        "then": "review",
        "sources": [
            "https://dataprotection.education/best-practice-update/234-best-practice-on-the-retention-of-child-protection-information",
            "IRMS Information Management Toolkit for Schools; DfE Data Protection Toolkit for Schools (2018)",
        ],
    }
]
#: the policy every pupil's records follow
CHILD_PROTECTION_FILE = POLICIES[0]
