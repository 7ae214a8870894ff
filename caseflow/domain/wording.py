"""Words a user reads: counts as a sentence says them ("1 row", "2 rows"), and stored codes as the people
who use them write them ("SEN support", "EHC plan", "SENCo"), not as the code is spelt."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from caseflow.domain.case import OCCURRED_ON
from caseflow.domain.events import in_england, london_date, long_date, long_time
from workflows.questionnaires import QUESTIONNAIRES

#: codes whose plain form is not the code with its underscores made spaces and a capital first
_WRITTEN = {
    "sen_support": "SEN support",
    "ehc_plan": "EHC plan",
    "semh": "SEMH",
    "send": "SEND",
    "camhs": "CAMHS",
    "send_service": "SEND service",
    "dsl": "DSL",
    "slt": "SLT",
    "senco": "SENCo",
    "headteacher": "Head",
    "virtual_school": "Virtual School",
    "la": "LA",
    "cin": "CiN",
    "cp": "CP",
    "sgo": "SGO",
    "post_16": "Post-16",
    # the county guidance's key services, by the names it gives them (seeds/essex-cwsw-guidance.txt)
    "education_access_team": "Education Access Team",
    "education_compliance_team": "Education Compliance Team",
    "attendance_specialist_team": "Attendance Specialist Team",
    "local_offer_send": "Local Offer (SEND)",
    "one_planning": "One Planning",
    "semh_portal": "SEMH portal",
    "inclusion_partner": "Inclusion Partner",
    "send_iass": "SEND IASS (information, advice and support)",
    "safeguarding": "Safeguarding information",
    "effective_support": "Effective Support",
    "cyp_health_wellbeing": "Children and Young People Health and Wellbeing",
    "youth_service": "Youth Service",
    "post_16_guidance": "Post-16 Guidance",
    # wellbeing measures, and the guidance's curriculum 'hotspots'
    "sdq": "SDQ (Strengths and Difficulties Questionnaire)",
    **{code: questionnaire["label"] for code, questionnaire in QUESTIONNAIRES.items()},
    "re": "RE",
    "rse": "RSE",
    "pshe": "PSHE",
    # a contribution's kind: the view is on a proposed suspension as much as on an exclusion
    "exclusion_view": "View on a proposed suspension or exclusion",
    # SEN primary needs (DfE school census codes)
    "SPLD": "SpLD (specific learning difficulty)",
    "MLD": "MLD (moderate learning difficulty)",
    "SLD": "SLD (severe learning difficulty)",
    "PMLD": "PMLD (profound and multiple learning difficulty)",
    "SEMH": "SEMH (social, emotional and mental health)",
    "SLCN": "SLCN (speech, language and communication needs)",
    "HI": "HI (hearing impairment)",
    "VI": "VI (visual impairment)",
    "MSI": "MSI (multi-sensory impairment)",
    "PD": "PD (physical disability)",
    "ASD": "ASD (autistic spectrum disorder)",
    "OTH": "OTH (other difficulty or disability)",
    "NSA": "NSA (SEN support but no specialist assessment of type of need)",
    # CiN census reasons for closure of a plan (domain facts, the CiN census)
    "RC1": "RC1 (adopted)",
    "RC2": "RC2 (died)",
    "RC3": "RC3 (child arrangements order)",
    "RC4": "RC4 (special guardianship order)",
    "RC5": "RC5 (transferred to another LA)",
    "RC6": "RC6 (transferred to adult social care)",
    "RC7": "RC7 (services ceased / no longer in need)",
    "RC8": "RC8 (closed after assessment, no further action)",
    "RC9": "RC9 (closed after assessment, referred to early help)",
    # CP plan categories of abuse (CiN census codes)
    "NEG": "NEG (neglect)",
    "PHY": "PHY (physical abuse)",
    "SAB": "SAB (sexual abuse)",
    "EMO": "EMO (emotional abuse)",
    "MUL": "MUL (multiple / not recommended)",
}


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``number`` and the noun, singular for exactly one (``plural`` where adding an s is wrong)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def day_count(number: float) -> str:
    """School days as a sentence says them: "1 day", "2 days", and a half day as the number is written elsewhere
    ("0.5 days", "1.5 days"); never "-0 days" (a suspension cancelled before it began served 0)."""
    number = float(number) + 0
    return f"{number:g} {'day' if number == 1 else 'days'}"


def ordinal(number: int) -> str:
    """A place in a list as a sentence says it: '1st', '2nd', '3rd', '4th', '11th', '12th', '21st'."""
    suffix = "th" if number % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def label(code: str) -> str:
    """A stored code as a person writes it: 'sen_support' is 'SEN support', 'SPLD' is 'SpLD (...)', and
    any other 'looked_after' is 'Looked after'."""
    if code in _WRITTEN:
        return _WRITTEN[code]
    return code.replace("_", " ").capitalize() if code.islower() else code


#: someone who holds each role, as people name them in a sentence ("A Designated Safeguarding Lead needs a school"):
#: the top bar's short words ("DSL", "Head") name the role, not the person
_HOLDERS = {
    "dsl": "Designated Safeguarding Lead",
    "headteacher": "headteacher",
    "slt": "senior leader",
    "senco": "SENCo",
    "mental_health_lead": "senior mental health lead",
    "teacher": "teacher",
    "social_worker": "social worker",
    "virtual_school": "Virtual School officer",
    "governor": "governor",
    "auditor": "auditor",
    "admin": "administrator",
}


def name_and_title(display_name: str) -> tuple[str, str]:
    """A person's name as their account gives it, apart from the job title it carries in brackets: "Alex Brown
    (Class teacher)" is ("Alex Brown", "Class teacher"), "Dana Shah" is ("Dana Shah", ""). A page adds to the
    title inside its brackets rather than opening a second pair, and tells two people of one name apart."""
    at = display_name.rfind("(")
    if display_name.endswith(")") and at > 0 and display_name[:at].strip():
        return display_name[:at].strip(), display_name[at + 1 : -1].strip()
    return display_name, ""


#: titles that name someone who stands in for, or assists, the one their last words name: a "Deputy head" is not
#: the head, and acting as the head is worth saying
_NOT_THE_ONE = ("deputy", "assistant")


def title_says(title: str, role: str) -> bool:
    """Whether a job title already says the role someone acted in, as a word of its own ("Class teacher" says
    Teacher, "Headteacher" says Head, "Designated Safeguarding Lead" says DSL): a sentence naming the role as
    well would say it twice. Not a word inside another ("teacher" in "Headteacher"), nor a deputy's title."""
    for words in {label(role), _HOLDERS.get(role, "")} - {""}:
        for found in re.finditer(rf"\b{re.escape(words)}\b", title, re.IGNORECASE):
            before = title[: found.start()].split()
            if not before or before[-1].lower() not in _NOT_THE_ONE:
                return True
    return False


def a_holder(role: str) -> str:
    """Someone who holds ``role``, with the article a sentence says before them ("a Designated Safeguarding
    Lead", "an auditor"), for messages about what a role needs: a role's code ("dsl") means nothing to most."""
    noun = _HOLDERS.get(role) or label(role).lower()
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


#: events whose words are not their type's, split at its capitals: names people write with capitals, and what
#: a short type leaves unsaid
_DONE = {
    "OnePlanStarted": "One Plan started",
    "PlanRecorded": "One Plan recorded",
    "PlanRevisionStarted": "Revision of the One Plan started",
    "SendStatusRecorded": "SEND status recorded",
    "FileTransferSent": "Child protection file recorded as sent",
    "FileReceiptConfirmed": "Receipt of the child protection file recorded",
    "SocialCareEpisodeRecorded": "Social care plan recorded",
    "SocialCareEpisodeEnded": "End of the social care plan recorded",
    "ReviewConvened": "Multi-agency review convened",
    "ServiceReferred": "Referral to a service recorded",
    "IndicatorAssessed": "Indicator rated",
    "SuccessCelebrated": "Success celebrated",
    "TeacherUnassigned": "Teacher no longer assigned",
    "CaseClosedIntoOther": "Closed as part of the pupil's other case",
}
#: events whose words name the pupil where the page knows them ("Closed as part of Ben's other case")
_DONE_NAMING = {"CaseClosedIntoOther": "Closed as part of {given_name}'s other case"}


def done(event_type: str, given_name: str | None = None) -> str:
    """What is now so once an event is written, as a success message says it ("Meeting recorded"): its type's
    words, split at the capitals, with the first kept capital ("MeetingRecorded"); the pupil by ``given_name``
    where the words name them."""
    if given_name and event_type in _DONE_NAMING:
        return _DONE_NAMING[event_type].format(given_name=given_name)
    if event_type in _DONE:
        return _DONE[event_type]
    words = "".join(f" {c.lower()}" if c.isupper() else c for c in event_type).strip()
    return words[:1].upper() + words[1:]


#: what an entry whose day was given without its time of day (``OCCURRED_ON``: a proposal or decision recorded days
#: after it was made) leads with before that day on the timeline; any other such entry (the API can date any) leads
#: with ``DAY_GIVEN_ELSE``
DAY_GIVEN = {
    "SuspensionProposed": "Proposed on",
    "ExclusionProposed": "Proposed on",
    "SuspensionDecided": "Decision on",
    "ExclusionDecided": "Decision on",
}
DAY_GIVEN_ELSE = "Happened on"


def happened(entry: Any) -> str:
    """When an entry (an event, or a fact of a case) happened, as a person reads it: the day alone where only its day
    was given (the time it is placed at is no time anybody gave), else the time on England's clock."""
    day = entry.data.get(OCCURRED_ON)
    return long_date(day) if isinstance(day, str) else long_time(entry.occurred_at)


#: entries that hold the day what they record happened, which is seldom the day someone wrote it down (a meeting on
#: the 1st recorded on the 7th): the field holding that day, and the words an entry leads with before it. A date
#: field not here is a day to come (a review, a suspension's start) or a day the entry is not about.
HAPPENED_ON = {
    "MeetingRecorded": ("date", "Meeting on"),
    "FamilyContactLogged": ("date", "Contact with the family on"),
    "DecisionNoticeRecorded": ("notified_on", "Told on"),
    "DecisionCancelled": ("cancelled_on", "Cancelled on"),
    "ReviewRequested": ("requested_on", "The parents asked on"),
    "BoardReviewRecorded": ("met_on", "The governing board met on"),
    "FileTransferSent": ("sent_on", "Sent on"),
    "FileReceiptConfirmed": ("received_on", "Received on"),
}


#: an entry as the question before recording it twice names it ("You recorded this contact with the family ...") and
#: what the person ticks to say theirs is another ("Yes, this is another contact"); any other is "this entry"
_ENTRY_NAMES = {
    "FamilyContactLogged": ("contact with the family", "contact"),
    "MeetingRecorded": ("meeting", "meeting"),
    "ContributionAdded": ("contribution", "contribution"),
    "InterventionPlanned": ("intervention", "intervention"),
    "OutcomeRecorded": ("outcome measure", "measure"),
    "AspirationRecorded": ("aspiration", "aspiration"),
    "ReasonableAdjustmentRecorded": ("reasonable adjustment", "adjustment"),
    "SuccessCelebrated": ("success", "success"),
    "ServiceReferred": ("referral", "referral"),
    "CorrectionRecorded": ("correction", "correction"),
    "BehaviourIncidentRecorded": ("behaviour incident", "incident"),
    "WellbeingRecorded": ("SDQ", "SDQ"),
    "QuestionnaireRecorded": ("questionnaire", "questionnaire"),
    "IndicatorAssessed": ("rating", "rating"),
}


def repeat_question(event_type: str, recorded_at: datetime, asked_at: datetime) -> tuple[str, str]:
    """What a form asks when its entry repeats one the same person recorded a short while ago
    (``caseflow.domain.repeats``), and the words of the box they tick to record it again."""
    noun, short = _ENTRY_NAMES.get(event_type, ("entry", "entry"))
    earlier = in_england(recorded_at)
    day = "today" if earlier.date() == london_date(asked_at) else f"on {long_date(earlier.date())}"
    when = f"{earlier:%H:%M} {day}"
    return f"You recorded this {noun} at {when}, with the same details. Record it again?", f"Yes, this is another {short}"
