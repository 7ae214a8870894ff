"""A pupil's record: who they are, their social-care history and what the school tracks.

Declared as data like the support journey: every action lists the roles that may
take it (default deny), its guards and its fields. A pupil record has one step,
``registered``; every action after registration records a fact.
"""

from copy import deepcopy

from workflows.questionnaires import QUESTIONNAIRES

PLANS = ["cin", "cp"]
ABUSE_CATEGORIES = ["NEG", "PHY", "SAB", "EMO", "MUL"]
#: DfE CiN census reasons for closure
CLOSURE_REASONS = ["RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"]
SEN_PRIMARY_NEEDS = ["SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH", "NSA"]
TERMS = ["autumn", "spring", "summer"]
KEEPERS = ["dsl", "headteacher", "slt", "senco"]
#: MIS imports are run from the command line by the system administrator ("admin")
IMPORTERS = [*KEEPERS, "admin"]
#: what the MIS records of a pupil's time away: a suspension (fixed-period) or a permanent exclusion
SUSPENSION_KINDS = ["suspension", "permanent_exclusion"]

ACTIONS = [
    {
        "name": "register_pupil",
        "label": "Register a pupil",
        "event": "PupilRegistered",
        "source": None,
        "dest": "registered",
        "roles": IMPORTERS,
        "guards": ["upn_unused"],
        "fields": {
            "upn": {"type": "line", "label": "UPN", "required": True, "max_length": 13},
            "given_name": {"type": "line", "label": "Given name", "required": True, "max_length": 100},
            "family_name": {"type": "line", "label": "Family name", "required": True, "max_length": 100},
            "date_of_birth": {"type": "date", "label": "Date of birth", "required": True},
            "school_urn": {"type": "line", "label": "School URN", "required": True, "max_length": 16},
            "year_group": {"type": "int", "label": "Year group", "min": -2, "max": 14},
        },
    },
    {
        "name": "update_pupil_details",
        "label": "Update the pupil's details",
        "event": "PupilDetailsUpdated",
        "source": "*",
        "roles": IMPORTERS,
        "guards": ["some_content"],
        "fields": {
            "given_name": {"type": "line", "label": "Given name", "max_length": 100},
            "family_name": {"type": "line", "label": "Family name", "max_length": 100},
            "date_of_birth": {"type": "date", "label": "Date of birth"},
            "year_group": {"type": "int", "label": "Year group", "min": -2, "max": 14},
        },
    },
    {
        "name": "record_social_care_episode",
        "label": "Record a CiN or CP plan",
        "event": "SocialCareEpisodeRecorded",
        "source": "*",
        "roles": KEEPERS,
        "guards": ["episode_dates_in_order", "category_only_on_cp"],
        "fields": {
            "plan": {"type": "choice", "label": "Plan", "choices": PLANS, "required": True},
            "start_date": {"type": "date", "label": "Start date", "required": True},
            "end_date": {"type": "date", "label": "End date"},
            "social_worker": {"type": "line", "label": "Social worker (username)", "max_length": 64},
            "category": {"type": "choice", "label": "Category of abuse (CP plans)", "choices": ABUSE_CATEGORIES},
        },
    },
    {
        "name": "end_social_care_episode",
        "label": "Record the end of a plan",
        "event": "SocialCareEpisodeEnded",
        "source": "*",
        "roles": KEEPERS,
        "guards": ["episode_running"],
        "fields": {
            "episode": {"type": "ref", "label": "Plan (version)", "required": True},
            "end_date": {"type": "date", "label": "End date", "required": True},
            "reason": {"type": "choice", "label": "Reason for closure (CiN census)", "choices": CLOSURE_REASONS},
        },
    },
    {
        "name": "record_care_status",
        "label": "Record looked-after status",
        "event": "CareStatusRecorded",
        "source": "*",
        "roles": ["dsl", "headteacher", "senco"],
        "fields": {
            "status": {
                "type": "choice",
                "label": "Status",
                "choices": ["looked_after", "previously_looked_after", "kinship_care", "none"],
                "required": True,
            },
            "since": {"type": "date", "label": "Since", "required": True},
            "order": {
                "type": "choice",
                "label": "Order (previously looked after)",
                "choices": ["adoption", "sgo", "cao", "other"],
            },
        },
    },
    {
        # the guidance asks schools to give each family one key person in school to talk to
        "name": "name_key_contact",
        "label": "Name the family's key contact",
        "event": "KeyContactNamed",
        "source": "*",
        "roles": [*KEEPERS, "mental_health_lead"],
        "fields": {
            "name": {"type": "line", "label": "Key contact in school", "required": True},
            "job_title": {"type": "line", "label": "Their role in school", "required": True},
            "preferred_contact": {
                "type": "choice",
                "label": "How the family prefers to be contacted",
                "choices": ["phone", "text_message", "email", "letter", "in_person"],
                "labels": {"text_message": "Text message", "in_person": "In person"},
            },
            "note": {
                "type": "text",
                "label": "Note",
                "help": "Optional: for example, the times that suit the family, or an interpreter's language.",
            },
        },
    },
    {
        "name": "record_send_status",
        "label": "Record SEND status",
        "event": "SendStatusRecorded",
        "source": "*",
        "roles": ["dsl", "senco", "admin"],
        "fields": {
            "status": {
                "type": "choice",
                "label": "SEND status",
                "choices": ["none", "sen_support", "ehc_plan"],
                "required": True,
            },
            "primary_need": {"type": "choice", "label": "Primary need", "choices": SEN_PRIMARY_NEEDS},
            "since": {"type": "date", "label": "Since", "required": True},
        },
    },
    {
        "name": "record_attainment",
        "label": "Record attainment",
        "event": "AttainmentRecorded",
        "source": "*",
        "roles": ["dsl", "senco", "slt", "headteacher", "admin"],
        "fields": {
            "school_year": {"type": "int", "label": "School year (starting)", "min": 2000, "max": 2100, "required": True},
            "term": {"type": "choice", "label": "Term", "choices": TERMS, "required": True},
            "subject": {
                "type": "choice",
                "label": "Subject",
                "choices": ["reading", "writing", "maths", "english", "science", "other"],
                "required": True,
            },
            "judgement": {
                "type": "choice",
                "label": "Against expected",
                "choices": ["below", "working_towards", "expected", "greater_depth"],
                "required": True,
            },
        },
    },
    {
        "name": "record_attendance",
        "label": "Record attendance",
        "event": "AttendanceRecorded",
        "source": "*",
        "roles": ["dsl", "headteacher", "slt", "senco", "admin"],
        "fields": {"marks": {"type": "sessions", "label": "Attendance marks", "required": True}},
    },
    {
        "name": "record_behaviour_incident",
        "label": "Record a behaviour incident",
        "event": "BehaviourIncidentRecorded",
        "source": "*",
        "roles": ["dsl", "headteacher", "slt", "senco", "mental_health_lead", "admin"],
        "fields": {
            "date": {"type": "date", "label": "Date", "required": True},
            "category": {
                "type": "choice",
                "label": "Category",
                "choices": ["disruption", "verbal_abuse", "physical_assault", "bullying", "damage", "other"],
                "required": True,
            },
            "severity": {"type": "choice", "label": "Severity", "choices": ["low", "medium", "high"], "required": True},
            "description": {"type": "text", "label": "What happened", "required": True},
        },
    },
    {
        "name": "record_wellbeing",
        "label": "Record an SDQ",
        "event": "WellbeingRecorded",
        "source": "*",
        "roles": ["mental_health_lead", "dsl", "senco"],
        "guards": ["sdq_scores_valid"],
        "fields": {
            "measure": {"type": "choice", "label": "Measure", "choices": ["sdq"], "required": True},
            "informant": {
                "type": "choice",
                "label": "Completed by",
                "choices": ["parent", "carer", "teacher", "self"],
                "required": True,
            },
            "administered_on": {"type": "date", "label": "Completed on", "required": True},
            "emotional": {"type": "int", "label": "Emotional symptoms (0-10)", "min": 0, "max": 10, "required": True},
            "conduct": {"type": "int", "label": "Conduct problems (0-10)", "min": 0, "max": 10, "required": True},
            "hyperactivity": {"type": "int", "label": "Hyperactivity/inattention (0-10)", "min": 0, "max": 10, "required": True},
            "peer": {"type": "int", "label": "Peer problems (0-10)", "min": 0, "max": 10, "required": True},
            "prosocial": {"type": "int", "label": "Prosocial (0-10)", "min": 0, "max": 10},
            "impact": {"type": "int", "label": "Impact score", "min": 0, "max": 10},
        },
    },
    {
        "name": "record_questionnaire",
        "label": "Record another wellbeing questionnaire",
        "event": "QuestionnaireRecorded",
        "source": "*",
        "roles": ["mental_health_lead", "dsl", "senco"],
        "guards": ["questionnaire_scores_valid"],
        "fields": {
            "questionnaire": {"type": "choice", "label": "Questionnaire", "choices": sorted(QUESTIONNAIRES), "required": True},
            "administered_on": {"type": "date", "label": "Completed on", "required": True},
            "scale": {"type": "line", "label": "Scale", "required": True, "max_length": 40},
            "score": {"type": "number", "label": "Score", "required": True},
        },
    },
    {
        "name": "record_classroom_profile",
        "label": "Update the classroom profile",
        "event": "ClassroomProfileRecorded",
        "source": "*",
        "roles": ["dsl", "senco"],
        "guards": ["some_content"],
        "fields": {
            "needs": {"type": "text", "label": "Needs"},
            "triggers": {"type": "text", "label": "Triggers"},
            "strategies": {"type": "text", "label": "Strategies that help"},
            "adjustments": {"type": "text", "label": "Reasonable adjustments"},
        },
    },
    {
        "name": "assign_teacher",
        "label": "Assign a class teacher",
        "event": "TeacherAssigned",
        "source": "*",
        "roles": ["dsl", "senco", "headteacher", "slt"],
        "fields": {"teacher": {"type": "line", "label": "Teacher (username)", "required": True, "max_length": 64}},
    },
    {
        "name": "unassign_teacher",
        "label": "Remove a class teacher",
        "event": "TeacherUnassigned",
        "source": "*",
        "roles": ["dsl", "senco", "headteacher", "slt"],
        "guards": ["teacher_assigned"],
        "fields": {"teacher": {"type": "line", "label": "Teacher (username)", "required": True, "max_length": 64}},
    },
]

#: the actions that record a date something was observed to happen. Not a plan's or a care status's dates:
#: the local authority may tell the school of a plan before it starts, and a social worker's access to the
#: child's cases begins on the plan's first day
DATED = {
    "register_pupil",
    "update_pupil_details",
    "record_send_status",
    "record_behaviour_incident",
    "record_wellbeing",
    "record_questionnaire",
}


def _version_3(action: dict) -> dict:
    """Version 3's change: no date after today (a fact cannot be recorded before it happens), and no date of
    birth, or of anything observed, more than 25 years ago (a mistyped year)."""
    if action["name"] not in DATED:
        return action
    born = "date_of_birth" in action["fields"]
    added = ["not_in_the_future", *(["born_within_25_years"] if born else ["date_in_range"])]
    return {**action, "guards": [*action.get("guards", []), *added]}


#: added in version 4: a suspension or permanent exclusion as the school's MIS recorded it (one decided before
#: Caseflow was used, or for a pupil with no case), so the counters, the 45-day limit and the whole school's
#: figures see every suspension, not only those decided on a case
RECORD_SUSPENSION = {
    "name": "record_suspension",
    "label": "Record a suspension or exclusion from the school's records",
    "event": "SuspensionRecorded",
    "source": "*",
    "roles": ["dsl", "headteacher", "slt", "senco", "admin"],
    "guards": ["days_of_a_suspension", "date_in_range"],
    "fields": {
        "kind": {
            "type": "choice",
            "label": "Suspension or permanent exclusion",
            "choices": SUSPENSION_KINDS,
            "labels": {"permanent_exclusion": "Permanent exclusion"},
            "required": True,
        },
        "start_date": {"type": "date", "label": "First day", "required": True},
        "days": {
            "type": "number",
            "label": "School days (a suspension)",
            "min": 0.5,
            "max": 45,
            "help": "Whole days, or half a day for a lunchtime. Leave empty for a permanent exclusion.",
        },
        "reason": {"type": "line", "label": "Reason", "max_length": 100},
    },
}

#: version 4's actions, as released
ACTIONS_V4 = [*(_version_3(a) for a in ACTIONS), RECORD_SUSPENSION]


def _version_5(action: dict) -> dict:
    """Version 5's change, from a new user's walk: a plan's social worker must be a social worker's account
    (a person's name typed there allocated nobody, and the case then waited for a view no one could give),
    chosen from a list, so the field is no longer labelled as a username to type; and the plan a closure
    ends is chosen from the pupil's open plans, not named by its number."""
    if action["name"] == "record_social_care_episode":
        fields = {**action["fields"], "social_worker": {**action["fields"]["social_worker"], "label": "Social worker"}}
        return {**action, "guards": [*action["guards"], "social_worker_has_account"], "fields": fields}
    if action["name"] == "end_social_care_episode":
        return {**action, "fields": {**action["fields"], "episode": {**action["fields"]["episode"], "label": "Plan"}}}
    return action


#: version 5's actions, as released
ACTIONS_V5 = [_version_5(a) for a in ACTIONS_V4]


def _version_6(action: dict) -> dict:
    """Version 6's change, from a new user's walk: an attendance mark is of a session held. A mark dated after
    today, or on a Saturday or Sunday, was recorded and counted in the persistent and severe absence figures;
    so was one counted as attended or missed on a day the school's term dates have it closed, where '#'
    (planned whole-school closure) and the other codes that are no possible session are still taken. And a
    pupil registered after joining the school gives the day they joined: the roll as at a day is dated by it."""
    if action["name"] == "record_attendance":
        return {**action, "guards": [*action.get("guards", []), "marks_on_school_days"]}
    if action["name"] == "register_pupil":
        fields = {**action["fields"], "on_roll_from": ON_ROLL_FROM}
        return {**action, "guards": [*action["guards"], "joined_after_birth"], "fields": fields}
    return action


#: version 6: the day a pupil joined the school, for a roll registered after it joined (a school starting with
#: Caseflow mid-year); the figures as at a day count the pupils on the roll that day
ON_ROLL_FROM = {
    "type": "date",
    "label": "Joined the school on",
    "help": "Leave empty if the pupil joins today. Figures as at a day count the pupils on the roll that day.",
}


DEFINITION = {
    "name": "pupil_record",
    "version": 6,
    "initial": "registered",
    "final_states": [],
    "states": [{"name": "registered", "label": "Registered"}],
    "actions": [_version_6(a) for a in ACTIONS_V5],
}

#: version 5, before attendance marks were held to sessions the school could have held; a copy, held by a
#: test to the definition as released (tests/data/pupil_record_v5.json)
DEFINITION_V5 = deepcopy({**DEFINITION, "version": 5, "actions": ACTIONS_V5})

#: version 4, before a plan's social worker had to be a social worker's account; a copy, held by a test to the
#: definition as released (tests/data/pupil_record_v4.json)
DEFINITION_V4 = deepcopy({**DEFINITION, "version": 4, "actions": ACTIONS_V4})

#: version 3, before a suspension or exclusion recorded in the MIS could be; a copy, held by a test to the
#: definition as released (tests/data/pupil_record_v3.json)
DEFINITION_V3 = deepcopy({**DEFINITION, "version": 3, "actions": [_version_3(a) for a in ACTIONS]})

#: version 2, before dates were checked against today; a copy, held by a test to the definition as released
DEFINITION_V2 = deepcopy({**DEFINITION, "version": 2, "actions": ACTIONS})

#: version 1, as released: without the family's key contact (kept, so the records it wrote replay as written)
DEFINITION_V1 = deepcopy({**DEFINITION, "version": 1, "actions": [a for a in ACTIONS if a["name"] != "name_key_contact"]})
