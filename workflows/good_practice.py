"""The school's self-assessment against the county guidance's evidence of good practice.

The indicators are the guidance's own words, in its order (``seeds/essex-cwsw-guidance.txt``),
numbered here so that a rating can name one. The guidance lays them out in five groups under its
four aims without saying which group serves which aim, so none is assigned one here.

The self-assessment is a stream of its own per school, declared as data like the other
workflows: a school's leaders rate each indicator, with their evidence; a new rating of an
indicator is a new event, and the governors' report reads the ratings as at its date.
"""

GUIDANCE = (
    "Essex County Council: Guidance for schools – Promoting the education of children who have, or who have had, a social worker"
)

AIMS = [
    "To increase visibility and recognition of children who have or have had social workers",
    "To keep children in education, so that they benefit from the safety and security that this can offer",
    "To raise aspirations for children to realise their potential",
    "To ensure that children receive effective, evidence-based support in and around school",
]

#: (number, the guidance's words), in the guidance's order
INDICATORS = [
    ("1", "Established systems for tracking the CwSW cohort, attendance, attainment, SEND and behaviour/ exclusions/ "
          "suspensions (DSL or allocated SLT member)."),
    ("2", "Developed, proactive strategies for addressing different kinds of socio-economic disadvantage and stigma, "
          "both in school and with families."),
    ("3", "Parents/carers are actively encouraged to work with school around aspirations, expectations and career paths."),
    ("4", "Parental/carer communication is prioritised, with a key school contact for families and frequent "
          "communications between home and school."),
    ("5", "Data and interventions are reported to governors and there is a named governor for CwSW’s academic outcomes."),
    ("6", "Governors have regular training opportunities around the cohort’s needs."),
    ("7", "School and other agencies, including social care, work together in line with ‘Working together to improve "
          "school attendance’ DfE guidance and ‘Let’s talk: We miss you’ ECC guidance. This is reflected in "
          "multi-agency planning."),
    ("8", "A regular focus of multi-agency meetings is helping a young person work towards their aspirations."),
    ("9", "All staff are trained in trauma perceptive/ informed practice and/or attachment awareness and apply these "
          "in their everyday practice. They are embedded in school policy and practice."),
    ("10", "Class teachers are aware of children’s triggers/ needs and strategies that can be used to support "
           "learning and emotional wellbeing."),
    ("11", "Policies, including the relationship/ behaviour policy, incorporate consideration of SEND/ SEMH/ "
           "wellbeing, family and environmental factors. Assessment tools are routinely used to identify needs and "
           "evaluate effectiveness of interventions."),
    ("12", "Children have targeted support from a young age around their extra-curricular opportunities, aspirations "
           "and post-16 options."),
    ("13", "There is a procedure for identifying gaps in learning and evidence-based interventions are put in place, "
           "actioned and reviewed regularly. The Inclusion Framework and Inclusion Partner are used appropriately to "
           "identify and address barriers to learning."),
    ("14", "The school engages with the local authority and wider external partners’ initiatives around the "
           "educational needs of the cohort."),
    ("15", "Early intervention/ planning with partners and parents to build relationships to overcome difficulties "
           "and to prepare for transitions / moving on at all learning phases. Social workers are involved early to "
           "try to prevent exclusions."),
    ("16", "The young person and family are regularly involved in conversations about strengths, aspirations and "
           "future paths."),
    ("17", "One planning is applied as a priority when additional needs are identified. Family views are actively "
           "sought and key to planning. Where social care is involved, their views, support and contributions are "
           "incorporated."),
    ("18", "The school’s approach to supporting CwSW is aligned to the Essex Inclusion Strategy – the school knows "
           "its cohorts and characteristics well and uses this knowledge to address barriers to education."),
    ("19", "The specific needs of CwSW have been considered within the curriculum, in particular ‘hotspot’ areas such "
           "as RE, RSE, PSHE, Science, English and assemblies. It is routine to consult with the family /CYP to "
           "understand any reasonable adjustments required."),
    ("20", "There are regular opportunities to share and celebrate progress, successes and aspirations with children "
           "and families."),
    ("21", "Emotional wellbeing is tracked using appropriate measures (e.g. SDQ, Attendance Difficulties "
           "Questionnaire) on a termly basis. Interventions are evaluated regularly. External support is sought where "
           "necessary. The senior mental health lead engages with wider strategies to meet CwSW needs."),
]  # fmt: skip

#: (value, label), strongest first
RATINGS = [
    ("embedded", "Embedded"),
    ("developing", "Developing"),
    ("not_yet", "Not yet in place"),
]

#: the school's leaders; governors read the ratings in their report
ASSESSORS = ["dsl", "headteacher", "slt"]

ACTIONS = [
    {
        "name": "start_self_assessment",
        "label": "Start the school's self-assessment",
        "event": "SelfAssessmentStarted",
        "source": None,
        "dest": "assessing",
        "roles": ASSESSORS,
        "fields": {"school_urn": {"type": "line", "label": "School URN", "required": True, "max_length": 16}},
    },
    {
        "name": "assess_indicator",
        "label": "Rate an indicator",
        "event": "IndicatorAssessed",
        "source": "*",
        "roles": ASSESSORS,
        "fields": {
            "indicator": {
                "type": "choice",
                "label": "Indicator",
                "choices": [number for number, _ in INDICATORS],
                "required": True,
            },
            "rating": {
                "type": "choice",
                "label": "Where the school is",
                "choices": [value for value, _ in RATINGS],
                "required": True,
            },
            "evidence": {
                "type": "text",
                "label": "Evidence",
                "required": True,
                "max_length": 2000,
                "help": "What the school does and how you know. Governors read this: describe practice, never a child.",
            },
            "next_steps": {"type": "text", "label": "Next steps", "max_length": 2000},
        },
    },
]

DEFINITION = {
    "name": "school_self_assessment",
    "version": 1,
    "initial": "assessing",
    "final_states": [],
    "states": [{"name": "assessing", "label": "Assessing"}],
    "actions": ACTIONS,
}
