"""The support journey of a child who has, or has had, a social worker.

Declared as data in the shape of ``transitions.Machine(**config)`` with extra keys
per action: ``roles`` (default deny: an action lists every role that may take it),
``guards`` (named rules from ``caseflow.domain.guards``), ``fields`` (the action's
data) and ``event`` (the past-tense name of the event it appends).
Source ``"*"`` means every open step; ``dest`` ``None`` records a fact without
changing the step.
"""

from copy import deepcopy

from workflows.interventions import PROGRAMME_IDS, PROGRAMME_NAMES

NEED_AREAS = ["attendance", "learning", "semh", "behaviour", "send", "family"]
AGENCIES = [
    "school",
    "social_care",
    "virtual_school",
    "health",
    "camhs",
    "education_access",
    "attendance_team",
    "send_service",
    "early_help",
    "youth_service",
    "police",
    "family",
    "other",
]
KEY_SERVICES = [
    "virtual_school",
    "education_access_team",
    "education_compliance_team",
    "attendance_specialist_team",
    "local_offer_send",
    "one_planning",
    "semh_portal",
    "inclusion_partner",
    "send_iass",
    "safeguarding",
    "effective_support",
    "cyp_health_wellbeing",
    "youth_service",
    "post_16_guidance",
]
CURRICULUM_HOTSPOTS = ["re", "rse", "pshe", "science", "english", "assemblies", "other"]

SCHOOL_STAFF = ["dsl", "headteacher", "slt", "senco", "mental_health_lead"]
NOTE = {"type": "text", "label": "Note", "help": "Optional: anything the next reader should know."}

STATES = [
    {"name": "need_identified", "label": "Need identified"},
    {"name": "one_plan", "label": "One Plan"},
    {"name": "multi_agency_review", "label": "Multi-agency review"},
    {"name": "intervention", "label": "Intervention"},
    {"name": "evaluation", "label": "Evaluation"},
    {"name": "transition", "label": "Transition"},
    {"name": "closed", "label": "Closed"},
]

ACTIONS = [
    # --- steps of the journey -------------------------------------------------------------
    {
        "name": "open_case",
        "label": "Open a case",
        "event": "CaseOpened",
        "source": None,
        "dest": "need_identified",
        "roles": ["dsl", "slt", "headteacher", "senco", "teacher"],
        "guards": ["pupil_in_school"],
        "fields": {
            "pupil_id": {"type": "line", "label": "Pupil", "required": True},
            "need_areas": {
                "type": "choices",
                "label": "Need areas",
                "choices": NEED_AREAS,
                "required": True,
                "min_items": 1,
            },
            "description": {"type": "text", "label": "Description of the need", "required": True},
        },
    },
    {
        "name": "start_one_plan",
        "label": "Start the One Plan",
        "event": "OnePlanStarted",
        "source": "need_identified",
        "dest": "one_plan",
        "roles": ["dsl", "senco"],
        "fields": {"note": NOTE},
    },
    {
        "name": "convene_review",
        "label": "Convene the multi-agency review",
        "event": "ReviewConvened",
        "source": "one_plan",
        "dest": "multi_agency_review",
        "roles": ["dsl"],
        "guards": ["plan_complete", "family_views_recorded", "pupil_voice_recorded", "social_care_contributed"],
        "fields": {"note": NOTE},
    },
    {
        "name": "agree_interventions",
        "label": "Agree interventions",
        "event": "InterventionsAgreed",
        "source": "multi_agency_review",
        "dest": "intervention",
        "roles": ["dsl"],
        "guards": ["review_meeting_recorded", "intervention_planned"],
        "fields": {"note": NOTE},
    },
    {
        "name": "evaluate",
        "label": "Move to evaluation",
        "event": "EvaluationStarted",
        "source": "intervention",
        "dest": "evaluation",
        "roles": ["dsl", "senco", "mental_health_lead"],
        "guards": ["outcomes_recorded"],
        "fields": {"note": NOTE},
    },
    {
        "name": "revise_plan",
        "label": "Revise the One Plan",
        "event": "PlanRevisionStarted",
        "source": "evaluation",
        "dest": "one_plan",
        "roles": ["dsl"],
        "guards": ["verdict_recorded"],
        "fields": {"note": NOTE},
    },
    {
        "name": "continue_intervention",
        "label": "Continue the interventions",
        "event": "InterventionContinued",
        "source": "evaluation",
        "dest": "intervention",
        "roles": ["dsl"],
        "guards": ["verdict_recorded"],
        "fields": {
            "review_date": {"type": "date", "label": "New review date", "required": True},
            "note": NOTE,
        },
    },
    {
        "name": "prepare_transition",
        "label": "Prepare the transition",
        "event": "TransitionPrepared",
        "source": "evaluation",
        "dest": "transition",
        "roles": ["dsl"],
        "guards": ["verdict_recorded"],
        "fields": {
            "kind": {
                "type": "choice",
                "label": "Kind of transition",
                "choices": ["phase_change", "school_move", "post_16", "step_down"],
                "required": True,
            },
            "date": {"type": "date", "label": "Transition date", "required": True},
            "receiving_setting": {"type": "line", "label": "Receiving setting"},
            "note": NOTE,
        },
    },
    {
        "name": "close",
        "label": "Close the case",
        "event": "CaseClosed",
        "source": "transition",
        "dest": "closed",
        "roles": ["dsl", "headteacher"],
        "guards": ["handover_recorded"],
        "fields": {
            "receiving_setting_informed": {"type": "bool", "label": "Receiving setting informed"},
            "records_transferred": {"type": "bool", "label": "Records transferred"},
            "reason": {"type": "text", "label": "Reason, if there is no handover"},
        },
    },
    {
        "name": "reopen",
        "label": "Reopen the case",
        "event": "CaseReopened",
        "source": "closed",
        "dest": "need_identified",
        "roles": ["dsl"],
        "fields": {"reason": {"type": "text", "label": "Reason for reopening", "required": True}},
    },
    # --- facts recorded at any open step --------------------------------------------------
    {
        "name": "record_plan",
        "label": "Record the One Plan",
        "event": "PlanRecorded",
        "source": "*",
        "roles": ["dsl", "senco"],
        "guards": ["some_content"],
        "fields": {
            "outcomes": {"type": "lines", "label": "Outcomes", "help": "One outcome per line."},
            "strengths": {"type": "text", "label": "Strengths"},
            "aspirations": {"type": "text", "label": "Aspirations"},
        },
    },
    {
        "name": "record_family_views",
        "label": "Record the family's views",
        "event": "FamilyViewsRecorded",
        "source": "*",
        "roles": ["dsl", "senco"],
        "guards": ["views_or_reason"],
        "fields": {
            "views": {"type": "text", "label": "Family's views"},
            "not_obtained_reason": {"type": "text", "label": "Why the views could not be obtained"},
        },
    },
    {
        "name": "record_pupil_voice",
        "label": "Record the pupil's voice",
        "event": "PupilVoiceRecorded",
        "source": "*",
        "roles": ["dsl", "senco", "mental_health_lead"],
        "fields": {
            "voice": {"type": "text", "label": "What the pupil said", "required": True},
            "how_gathered": {"type": "line", "label": "How it was gathered"},
        },
    },
    {
        "name": "add_contribution",
        "label": "Add a contribution",
        "event": "ContributionAdded",
        "source": "*",
        "roles": ["dsl", "senco", "mental_health_lead", "social_worker", "virtual_school"],
        "guards": ["exclusion_view_names_pending_proposal"],
        "fields": {
            "kind": {
                "type": "choice",
                "label": "Kind of contribution",
                "choices": ["social_care_view", "agency_view", "family_view", "exclusion_view"],
                "required": True,
            },
            "contribution": {"type": "text", "label": "Contribution", "required": True},
            "proposal": {
                "type": "ref",
                "label": "Proposal",
                "help": "For an exclusion view: the version of the proposal it answers.",
            },
        },
    },
    {
        "name": "record_meeting",
        "label": "Record a meeting",
        "event": "MeetingRecorded",
        "source": "*",
        "roles": ["dsl"],
        "fields": {
            "date": {"type": "date", "label": "Date of the meeting", "required": True},
            "attendees": {"type": "people", "label": "Attendees", "choices": AGENCIES, "required": True},
            "aspirations_discussed": {"type": "bool", "label": "The pupil's aspirations were discussed"},
            "notes": {"type": "text", "label": "Notes"},
        },
    },
    {
        "name": "plan_intervention",
        "label": "Plan an intervention",
        "event": "InterventionPlanned",
        "source": "*",
        "roles": ["dsl", "senco", "mental_health_lead"],
        "fields": {
            "intervention": {"type": "line", "label": "Intervention", "required": True},
            "programme": {
                "type": "choice",
                "label": "Programme from the evidence catalogue",
                "choices": PROGRAMME_IDS,
                "labels": PROGRAMME_NAMES,
                "help": "Optional: the programme in the evidence catalogue (Interventions, in the menu) that this follows. "
                "A school's own intervention needs none.",
            },
            "owner": {"type": "line", "label": "Owner", "required": True},
            "baseline": {"type": "line", "label": "Baseline measure", "required": True},
            "target": {"type": "line", "label": "Target"},
            "review_date": {"type": "date", "label": "Review date", "required": True},
        },
    },
    {
        "name": "record_outcome",
        "label": "Record an outcome measure",
        "event": "OutcomeRecorded",
        "source": "*",
        "roles": ["dsl", "senco", "mental_health_lead"],
        "guards": ["intervention_exists"],
        "fields": {
            "intervention": {"type": "ref", "label": "Intervention", "required": True},
            "measure": {"type": "line", "label": "Outcome measure", "required": True},
            "status": {
                "type": "choice",
                "label": "Status of the intervention",
                "choices": ["continuing", "completed", "stopped"],
                "required": True,
            },
        },
    },
    {
        "name": "record_evaluation",
        "label": "Record the evaluation",
        "event": "EvaluationRecorded",
        "source": "*",
        "roles": ["dsl", "senco", "mental_health_lead"],
        "fields": {
            "verdict": {
                "type": "choice",
                "label": "Verdict",
                "choices": ["effective", "partly_effective", "not_effective"],
                "required": True,
            },
            "summary": {"type": "text", "label": "Summary", "required": True},
        },
    },
    {
        "name": "log_family_contact",
        "label": "Log contact with the family",
        "event": "FamilyContactLogged",
        "source": "*",
        "roles": SCHOOL_STAFF,
        "fields": {
            "date": {"type": "date", "label": "Date", "required": True},
            "method": {
                "type": "choice",
                "label": "How",
                "choices": ["phone", "meeting", "home_visit", "email", "letter", "other"],
                "required": True,
            },
            "summary": {"type": "text", "label": "Summary", "required": True},
        },
    },
    {
        "name": "record_aspiration",
        "label": "Record an aspiration",
        "event": "AspirationRecorded",
        "source": "*",
        "roles": ["dsl", "senco", "mental_health_lead", "virtual_school"],
        "fields": {
            "kind": {
                "type": "choice",
                "label": "Kind",
                "choices": ["post_16", "extra_curricular", "career", "other"],
                "required": True,
            },
            "aspiration": {"type": "text", "label": "Aspiration", "required": True},
        },
    },
    {
        "name": "record_reasonable_adjustment",
        "label": "Record a reasonable adjustment",
        "event": "ReasonableAdjustmentRecorded",
        "source": "*",
        "roles": ["dsl", "senco"],
        "fields": {
            "area": {"type": "choice", "label": "Curriculum area", "choices": CURRICULUM_HOTSPOTS, "required": True},
            "adjustment": {"type": "text", "label": "Adjustment", "required": True},
            "consulted": {
                "type": "choices",
                "label": "Consulted",
                "choices": ["family", "child"],
                "required": True,
                "min_items": 1,
            },
        },
    },
    {
        "name": "celebrate_success",
        "label": "Celebrate a success",
        "event": "SuccessCelebrated",
        "source": "*",
        "roles": SCHOOL_STAFF,
        "fields": {
            "success": {"type": "text", "label": "Success", "required": True},
            "shared_with": {"type": "choices", "label": "Shared with", "choices": ["child", "family", "staff"]},
        },
    },
    {
        "name": "refer_to_service",
        "label": "Refer to a service",
        "event": "ServiceReferred",
        "source": "*",
        "roles": ["dsl", "senco", "mental_health_lead"],
        "fields": {
            "service": {"type": "choice", "label": "Service", "choices": KEY_SERVICES, "required": True},
            "reason": {"type": "text", "label": "Reason", "required": True},
        },
    },
    {
        "name": "record_correction",
        "label": "Correct an earlier entry",
        "event": "CorrectionRecorded",
        "source": "*",
        "roles": ["dsl", "senco"],
        "guards": ["corrected_event_exists"],
        "fields": {
            "corrects": {"type": "ref", "label": "Event corrected (version)", "required": True},
            "correction": {"type": "text", "label": "Correction", "required": True},
        },
    },
    # --- social workers before exclusions -------------------------------------------------
    {
        "name": "propose_suspension",
        "label": "Propose a suspension",
        "event": "SuspensionProposed",
        "source": "*",
        "roles": ["slt", "headteacher"],
        "fields": {
            "days": {
                "type": "number",
                "label": "School days",
                "required": True,
                "min": 0.5,
                "max": 45,
                "help": "A lunchtime suspension counts as half a day.",
            },
            "start_date": {"type": "date", "label": "Proposed start date", "required": True},
            "reason": {"type": "text", "label": "Reason", "required": True},
        },
    },
    {
        "name": "propose_exclusion",
        "label": "Propose a permanent exclusion",
        "event": "ExclusionProposed",
        "source": "*",
        "roles": ["slt", "headteacher"],
        "fields": {
            "start_date": {"type": "date", "label": "Proposed date", "required": True},
            "reason": {"type": "text", "label": "Reason", "required": True},
        },
    },
    {
        "name": "decide_suspension",
        "label": "Decide a proposed suspension",
        "event": "SuspensionDecided",
        "source": "*",
        "roles": ["headteacher"],
        "guards": ["proposal_pending", "social_worker_heard", "suspension_limit"],
        "fields": {
            "proposal": {"type": "ref", "label": "Proposal (version)", "required": True},
            "decision": {"type": "choice", "label": "Decision", "choices": ["suspend", "withdraw"], "required": True},
            "reasons": {"type": "text", "label": "Reasons"},
            "override_reason": {"type": "text", "label": "Why the decision could not wait for the social worker"},
            "notified_social_worker": {"type": "bool", "label": "Social worker notified"},
            "notified_virtual_school": {"type": "bool", "label": "Virtual School notified"},
            "notified_la": {"type": "bool", "label": "Local authority notified"},
        },
    },
    {
        "name": "decide_exclusion",
        "label": "Decide a proposed exclusion",
        "event": "ExclusionDecided",
        "source": "*",
        "roles": ["headteacher"],
        "guards": ["proposal_pending", "social_worker_heard"],
        "fields": {
            "proposal": {"type": "ref", "label": "Proposal (version)", "required": True},
            "decision": {"type": "choice", "label": "Decision", "choices": ["exclude", "withdraw"], "required": True},
            "reasons": {"type": "text", "label": "Reasons"},
            "override_reason": {"type": "text", "label": "Why the decision could not wait for the social worker"},
            "notified_social_worker": {"type": "bool", "label": "Social worker notified"},
            "notified_virtual_school": {"type": "bool", "label": "Virtual School notified"},
            "notified_la": {"type": "bool", "label": "Local authority notified"},
        },
    },
]

#: what is owed after a decision stays owed when the case closes (a pupil excluded and gone elsewhere)
EVERY_STEP = [state["name"] for state in STATES]


def _version_3(action: dict) -> dict:
    """Version 3's changes to actions version 2 had: whole or half days only, and the decision says
    whether a public exam or national test would be missed (the board must then meet)."""
    if action["name"] == "propose_suspension":
        return {**action, "guards": [*action.get("guards", []), "whole_or_half_days"]}
    if action["name"] == "decide_suspension":
        exam = {"type": "bool", "label": "The pupil would miss a public exam or national test"}
        return {**action, "fields": {**action["fields"], "misses_public_exam": exam}}
    return action


#: after a decision: who was told, the parents' request and the governing board's meeting (domain facts, section 5)
AFTER_DECISION = [
    {
        "name": "record_decision_notice",
        "label": "Record who was told of a suspension or exclusion",
        "event": "DecisionNoticeRecorded",
        "source": EVERY_STEP,
        "roles": ["headteacher", "slt", "dsl"],
        "guards": ["names_decided_proposal", "dated_from_decision_to_today"],
        "fields": {
            "proposal": {"type": "ref", "label": "Proposal (version)", "required": True},
            "recipient": {
                "type": "choice",
                "label": "Who was told",
                "choices": ["parents", "social_worker", "virtual_school", "governing_board", "local_authority"],
                "required": True,
            },
            "notified_on": {"type": "date", "label": "Told on", "required": True},
            "how": {"type": "choice", "label": "How", "choices": ["letter", "email", "phone", "in_person", "secure_portal"]},
            "note": NOTE,
        },
    },
    {
        # the governing board and the LA are told of every suspension and exclusion, even if cancelled
        "name": "cancel_decision",
        "label": "Cancel a decided suspension or exclusion",
        "event": "DecisionCancelled",
        "source": EVERY_STEP,
        "roles": ["headteacher"],
        "guards": ["names_decided_proposal", "dated_from_decision_to_today", "not_cancelled", "days_served_within"],
        "fields": {
            "proposal": {"type": "ref", "label": "Proposal (version)", "required": True},
            "cancelled_on": {"type": "date", "label": "Cancelled on", "required": True},
            "days_served": {
                "type": "number",
                "label": "School days already served (a suspension)",
                "min": 0,
                "max": 45,
                "help": "0 if it had not begun. Only these days then count towards the limits. Leave empty for an exclusion.",
            },
            "reason": {"type": "text", "label": "Why it was cancelled", "required": True},
        },
    },
    {
        "name": "record_review_request",
        "label": "Record that the parents asked the governing board to consider reinstatement",
        "event": "ReviewRequested",
        "source": EVERY_STEP,
        "roles": ["headteacher", "slt", "dsl"],
        "guards": ["names_decided_proposal", "dated_from_decision_to_today"],
        "fields": {
            "proposal": {"type": "ref", "label": "Proposal (version)", "required": True},
            "requested_on": {"type": "date", "label": "Asked on", "required": True},
            "note": NOTE,
        },
    },
    {
        "name": "record_board_review",
        "label": "Record the governing board's review",
        "event": "BoardReviewRecorded",
        "source": EVERY_STEP,
        "roles": ["headteacher", "slt", "dsl"],
        "guards": ["names_decided_proposal", "dated_from_decision_to_today", "board_may_direct_reinstatement"],
        "fields": {
            "proposal": {"type": "ref", "label": "Proposal (version)", "required": True},
            "met_on": {"type": "date", "label": "Met on", "required": True},
            "outcome": {
                "type": "choice",
                "label": "Outcome",
                "choices": ["reinstate", "uphold", "representations_considered"],
                "required": True,
                "help": "For 5 days or fewer in a term the board considers representations; it cannot direct reinstatement.",
            },
            "social_worker_attended": {"type": "bool", "label": "The social worker attended"},
            "virtual_school_attended": {"type": "bool", "label": "The Virtual School attended"},
            "note": NOTE,
        },
    },
]


def _version_4(action: dict) -> dict:
    """Version 4's change to an action version 3 had: a transition's date within a year before today and
    two after (a mistyped year would date the child protection file's duty nowhere near the move)."""
    if action["name"] == "prepare_transition":
        return {**action, "guards": [*action.get("guards", []), "transition_date_near"]}
    return action


#: version 5's guards added to actions version 4 had
_ADDED_IN_5 = {
    "propose_suspension": ["starts_on_a_school_day", "date_in_range"],
    "propose_exclusion": ["starts_on_a_school_day", "date_in_range"],
    "plan_intervention": ["date_in_range"],
    "continue_intervention": ["date_in_range"],
    "record_meeting": ["date_in_range"],
    "prepare_transition": ["names_the_receiving_setting"],
    "close": ["file_sent_before_closing"],
}


def _version_5(action: dict) -> dict:
    """Version 5's changes: a suspension or a permanent exclusion starts on a school day (not a weekend, nor a
    holiday or closure day in the school's term dates); a suspension's start, a review date and a meeting's
    date fall near today (a mistyped year is refused; a meeting cannot be in the future); a move to another
    setting names it; and such a move's case closes once the child protection file has been sent."""
    added = _ADDED_IN_5.get(action["name"])
    return {**action, "guards": [*action.get("guards", []), *added]} if added else action


#: version 6's guards added to actions version 5 had
_ADDED_IN_6 = {
    "propose_suspension": ["suspensions_do_not_overlap"],
    "decide_suspension": ["suspensions_do_not_overlap"],
}


def _version_6(action: dict) -> dict:
    """Version 6's change: a suspension cannot cover a school day on which the pupil is already suspended
    (on any of their cases), which would count the same days twice towards the limits."""
    added = _ADDED_IN_6.get(action["name"])
    return {**action, "guards": [*action.get("guards", []), *added]} if added else action


#: version 7's guards added to actions version 6 had
_ADDED_IN_7 = {
    "record_file_transfer": ["sent_to_the_receiving_setting"],
}


def _version_7(action: dict) -> dict:
    """Version 7's change: the child protection file is sent to the setting the transition names (however its
    name is cased, spaced or punctuated), unless the transition has been corrected; a slip sent it nowhere."""
    added = _ADDED_IN_7.get(action["name"])
    return {**action, "guards": [*action.get("guards", []), *added]} if added else action


#: version 8's guards added to actions version 7 had
_ADDED_IN_8 = {
    "decide_suspension": ["decision_gives_reasons"],
    "decide_exclusion": ["decision_gives_reasons"],
}
#: version 8's words: the reasons are for the parents' notice; cancelling is recorded, not a button on the form
_REASONS_IN_8 = {"type": "text", "label": "Reasons (for the notice to the parents)"}
_CANCELLED_IN_8 = "Record that a decided suspension or exclusion was cancelled"


def _version_8(action: dict) -> dict:
    """Version 8's change: a head who suspends or excludes gives the reasons, which the parents' notice must give
    (a decision to withdraw the proposal needs none); and the cancelling of a decision is worded as a record."""
    if action["name"] == "cancel_decision":
        return {**action, "label": _CANCELLED_IN_8}
    added = _ADDED_IN_8.get(action["name"])
    if not added:
        return action
    return {**action, "guards": [*action["guards"], *added], "fields": {**action["fields"], "reasons": _REASONS_IN_8}}


#: the child protection file when a child leaves for another setting (domain facts, section 6: KCSIE)
FILE_TRANSFER = [
    {
        "name": "record_file_transfer",
        "label": "Record that the child protection file was sent",
        "event": "FileTransferSent",
        "source": ["transition", "closed"],
        "roles": ["dsl"],
        "guards": ["moving_to_another_setting", "sent_separately", "not_in_the_future", "sent_since_the_move_was_prepared"],
        "fields": {
            "receiving_setting": {"type": "line", "label": "Sent to (the new setting)", "required": True},
            "sent_on": {"type": "date", "label": "Sent on", "required": True},
            "how": {
                "type": "choice",
                "label": "How",
                "choices": ["secure_transfer_system", "encrypted_email", "by_hand", "recorded_delivery"],
                "required": True,
            },
            "sent_separately": {
                "type": "bool",
                "label": "Sent separately from the main pupil file",
                "help": "KCSIE: the child protection file goes separately from the main pupil file.",
            },
            "note": NOTE,
        },
    },
    {
        "name": "record_file_receipt",
        "label": "Record that the new setting confirmed it received the file",
        "event": "FileReceiptConfirmed",
        "source": ["transition", "closed"],
        "roles": ["dsl"],
        "guards": ["a_sending_awaits_confirmation", "names_unconfirmed_transfer", "not_in_the_future"],
        "fields": {
            "transfer": {
                "type": "ref",
                "label": "The sending (version)",
                "required": True,
                "help": "The link beside the sending in the case's 'Child protection file' section fills this in.",
            },
            "received_on": {"type": "date", "label": "Received on", "required": True},
            "confirmed_by": {"type": "line", "label": "Confirmed by (name and role at the new setting)", "required": True},
            "note": NOTE,
        },
    },
]

#: version 7's words for fields that name an earlier entry of the case, now chosen from a list of them as people
#: know them (not typed as a version number): (label, help)
_WORDED_IN_7 = {
    ("add_contribution", "proposal"): ("Proposal", "For an exclusion view: the proposal it answers."),
    **{(name, "proposal"): ("Proposal", None) for name in ("decide_suspension", "decide_exclusion")},
    **{
        (name, "proposal"): ("The suspension or exclusion decided", None)
        for name in ("record_decision_notice", "cancel_decision", "record_review_request", "record_board_review")
    },
    ("record_file_receipt", "transfer"): ("The sending of the file", None),
    ("record_file_transfer", "sent_separately"): (
        "Sent separately from the main pupil file",
        "Tick to confirm: KCSIE has the child protection file go separately from the main pupil file, and it "
        "cannot be recorded as sent otherwise.",
    ),
}


def _worded_7(action: dict) -> dict:
    fields = dict(action.get("fields", {}))
    for (name, field_name), (label, help_text) in _WORDED_IN_7.items():
        if action["name"] == name and field_name in fields:
            worded = {k: v for k, v in fields[field_name].items() if k != "help"}
            fields[field_name] = {**worded, "label": label} | ({"help": help_text} if help_text else {})
    return {**action, "fields": fields}


_ACTIONS_7 = [
    _worded_7(a)
    for a in [_version_6(_version_5(_version_4(_version_3(a)))) for a in ACTIONS]
    + AFTER_DECISION
    + [_version_7(a) for a in FILE_TRANSFER]
]

_ACTIONS_8 = [_version_8(a) for a in _ACTIONS_7]

#: version 9's guards added to actions version 8 had
_ADDED_IN_9 = {
    "plan_intervention": ["review_date_not_past"],
    "continue_intervention": ["review_date_not_past"],
}

#: version 9's new action: a need raised again for a child whose open case already holds it (a teacher does not see
#: which children have a case) is closed into that case, where it is shown, rather than left as a second journey
CLOSE_INTO_OTHER_CASE = {
    "name": "close_into_other_case",
    "label": "Close as part of the pupil's other open case",
    "event": "CaseClosedIntoOther",
    "source": "need_identified",
    "dest": "closed",
    "roles": ["dsl"],
    "guards": ["another_open_case_exists", "names_another_open_case", "no_decision_awaited"],
    "fields": {
        "other_case": {
            "type": "line",
            "label": "The pupil's other open case",
            "required": True,
            "help": "The case this need repeats. Its page then shows the need raised here, so the concern is not lost.",
        },
        "note": NOTE,
    },
}


def _version_9(action: dict) -> dict:
    """Version 9's change to actions version 8 had: a review date is today or later (a date in the past, typed or
    chosen, made the review overdue the moment it was planned)."""
    added = _ADDED_IN_9.get(action["name"])
    return {**action, "guards": [*action["guards"], *added]} if added else action


_ACTIONS_9 = [_version_9(a) for a in _ACTIONS_8] + [CLOSE_INTO_OTHER_CASE]

#: version 10's guards added to actions version 9 had
_ADDED_IN_10 = {
    "record_family_views": ["views_or_reason_not_both"],
    "propose_suspension": ["starts_from_its_proposal"],
    "propose_exclusion": ["starts_from_its_proposal"],
    "decide_suspension": ["starts_from_its_decision"],
    "decide_exclusion": ["starts_from_its_decision"],
}
#: version 10's words for the reason the family's views were not obtained, as the timeline shows it too
_NOT_OBTAINED_IN_10 = "Why the family's views could not be obtained"


def _version_10(action: dict) -> dict:
    """Version 10's changes, from a new user's walk: the family's views or why they could not be obtained, not both
    (one of the two is not so); and a suspension or exclusion starts no earlier than the day it is proposed and the
    day it is decided (a head proposed one from 2 November on 7 December and decided it): one recorded after the day
    it was made gives that day."""
    added = _ADDED_IN_10.get(action["name"])
    if not added:
        return action
    changed = {**action, "guards": [*action["guards"], *added]}
    if action["name"] == "record_family_views":
        reason = {**action["fields"]["not_obtained_reason"], "label": _NOT_OBTAINED_IN_10}
        changed["fields"] = {**action["fields"], "not_obtained_reason": reason}
    return changed


_ACTIONS_10 = [_version_10(a) for a in _ACTIONS_9]

#: version 11's guards added to actions version 10 had
_ADDED_IN_11 = {
    "decide_suspension": ["decided_from_its_proposal"],
    "decide_exclusion": ["decided_from_its_proposal"],
    "add_contribution": ["viewed_from_its_proposal"],
    "log_family_contact": ["not_in_the_future", "date_in_range"],
    "plan_intervention": ["review_within_a_year"],
    "continue_intervention": ["review_within_a_year"],
}


#: version 11's rules in place of version 10's: the social worker's view counts for a decision if it was given by the
#: decision's day (a decision dated before the view was given did not wait for it)
_REPLACED_IN_11 = {"social_worker_heard": "social_worker_heard_by_then"}
#: version 11's words for the entry a correction corrects, chosen from a list of the case's entries as the timeline
#: names them, not asked for as a version (the API still names it by its version)
_CORRECTED_IN_11 = "The entry to correct"
#: version 11 says on the form who reads an adjustment: the pupil's class teachers, on their classroom page
_ADJUSTMENT_SEEN_IN_11 = (
    "The pupil's class teachers see this, with the area and who was consulted, on their classroom page: write it for them."
)


def _version_11(action: dict) -> dict:
    """Version 11's changes, dates a DSL, a head or an auditor would expect: a decision, or a view on a proposal, is not
    dated before the proposal; a contact with the family is not logged on a day to come (nor a year mistyped); and a
    review is planned no more than a year away (reviews are termly, or at least three times a year). The form for a
    reasonable adjustment says that the pupil's class teachers read it, and the correction's asks for the entry it
    corrects in words. A decision counts the social worker's view only if it was given by the decision's day."""
    if action["name"] == "record_correction":  # words only: the rule and the value recorded are as they were
        corrects = {**action["fields"]["corrects"], "label": _CORRECTED_IN_11}
        return {**action, "fields": {**action["fields"], "corrects": corrects}}
    if action["name"] == "record_reasonable_adjustment":
        adjustment = {**action["fields"]["adjustment"], "help": _ADJUSTMENT_SEEN_IN_11}
        return {**action, "fields": {**action["fields"], "adjustment": adjustment}}
    guards = [_REPLACED_IN_11.get(g, g) for g in action.get("guards", [])]
    added = _ADDED_IN_11.get(action["name"], [])
    return {**action, "guards": [*guards, *added]} if added or guards != action.get("guards", []) else action


DEFINITION = {
    "name": "support_journey",
    "version": 11,
    "initial": "need_identified",
    "final_states": ["closed"],
    "states": STATES,
    "actions": [_version_11(a) for a in _ACTIONS_10],
}


def _before_catalogue(action: dict) -> dict:
    if action["name"] != "plan_intervention":
        return action
    return {**action, "fields": {k: v for k, v in action["fields"].items() if k != "programme"}}


#: version 10, before a decision or a view dated before its proposal, a contact with the family dated after today and
#: a review more than a year away were refused; a copy, held by a test to the definition as released
DEFINITION_V10 = deepcopy({**DEFINITION, "version": 10, "actions": _ACTIONS_10})

#: version 9, before the family's views and why they could not be obtained were refused together, and a suspension or
#: exclusion starting before the day it was proposed or decided; a copy, held by a test to the definition as released
DEFINITION_V9 = deepcopy({**DEFINITION, "version": 9, "actions": _ACTIONS_9})

#: version 8, before a case could close into the pupil's other open case and a review date before today was refused; a
#: copy, held by a test to the definition as it was released
DEFINITION_V8 = deepcopy({**DEFINITION, "version": 8, "actions": _ACTIONS_8})

#: version 7, before a decision to suspend or exclude had to give its reasons; a copy, held by a test to the
#: definition as it was released
DEFINITION_V7 = deepcopy({**DEFINITION, "version": 7, "actions": _ACTIONS_7})

#: version 6, before the child protection file was held to the setting the transition names; a copy, held by a
#: test to the definition as it was released
DEFINITION_V6 = deepcopy(
    {
        **DEFINITION,
        "version": 6,
        "actions": [_version_6(_version_5(_version_4(_version_3(a)))) for a in ACTIONS] + AFTER_DECISION + FILE_TRANSFER,
    }
)

#: version 5, before a suspension over days already decided was refused; a copy, held by a test to the
#: definition as it was released
DEFINITION_V5 = deepcopy(
    {
        **DEFINITION,
        "version": 5,
        "actions": [_version_5(_version_4(_version_3(a))) for a in ACTIONS] + AFTER_DECISION + FILE_TRANSFER,
    }
)

#: version 4, before a suspension's or exclusion's first day was checked against the school's days; a copy,
#: held by a test to the definition as it was released
DEFINITION_V4 = deepcopy(
    {**DEFINITION, "version": 4, "actions": [_version_4(_version_3(a)) for a in ACTIONS] + AFTER_DECISION + FILE_TRANSFER}
)

#: version 3, before the child protection file's transfer was recorded; a copy, held by a test to the
#: definition as it was released
DEFINITION_V3 = deepcopy({**DEFINITION, "version": 3, "actions": [_version_3(a) for a in ACTIONS] + AFTER_DECISION})

#: version 2, before the notices and the governing board's review after a decision were recorded; a copy,
#: held by a test to the definition as it was released
DEFINITION_V2 = deepcopy({**DEFINITION, "version": 2, "actions": ACTIONS})

#: version 1, before a planned intervention could name a catalogue programme. Every event records the
#: version it was decided under, so each version ever recorded keeps its definition here; a copy, so an
#: edit to version 2's actions cannot reach it, and a test holds it to the definition as it was released.
DEFINITION_V1 = deepcopy({**DEFINITION, "version": 1, "actions": [_before_catalogue(a) for a in ACTIONS]})
