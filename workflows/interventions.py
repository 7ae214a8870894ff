"""The evidence catalogue a school plans interventions from: data, not code.

Seeded with the What Works for Children's Social Care (WWCSC) "signs of potential" programmes that
can be confirmed from public sources (``../shared/reference/domain-facts.md`` §1). WWCSC named ten;
four could not be confirmed and are left out rather than guessed. The "EEF result" of each is the
original Education Endowment Foundation trial's, for *all* pupils: a signal worth trying for
children with a social worker, never a promise. The catalogue says so wherever it is shown.

A school may still plan an intervention of its own; the catalogue is where the evidence is, not a
list of what is allowed.
"""

CAUTION = (
    "Each EEF result is the original trial's, for all pupils. WWCSC's re-analysis found larger effects for children "
    "who have had a social worker in these programmes, but as exploratory subgroup findings that it asked larger "
    "trials to confirm. Several had no effect for all pupils."
)
SOURCE = "What Works for Children's Social Care, What works in education for children who have had social workers? (2020)"

#: how a programme is delivered (the catalogue's filter)
DELIVERY_TYPES = {
    "one_to_one": "1:1 tutoring or support",
    "small_group": "Small group",
    "whole_school_cpd": "Whole-school teacher development",
    "parental_engagement": "Parental engagement",
}

PROGRAMMES = [
    {
        "id": "affordable_maths_tuition",
        "name": "Affordable Maths Tuition",
        "provider": "Third Space Learning",
        "subject": "Numeracy / maths",
        "phase": "Primary; Year 6 (KS2)",
        "delivery": "one_to_one",
        "dose": "Weekly online 1:1 tutoring by trained maths graduates for 27 weeks; the teacher picks the topics",
        "eef_result": "Efficacy trial (64 schools, 600 pupils, 2016): no evidence of impact on KS2 maths, effect size −0.03",
        "months_progress": None,
        "security": None,
        "follow_up": "A follow-up trial (855 pupils, 235 schools, 53 local authorities) reported only its implementation "
        "and process evaluation: COVID removed the KS2 outcome (NatCen, June 2022).",
        "wwcsc_signs_of_potential": True,
        "sources": [
            "https://v2.educationendowmentfoundation.org.uk/projects-and-evaluation/projects/affordable-maths-tuition/",
            "https://whatworks-csc.org.uk/research-report/pilot-evaluation-of-affordable-maths-tuition/",
        ],
    },
    {
        "id": "embedding_formative_assessment",
        "name": "Embedding Formative Assessment",
        "provider": "SSAT (Wiliam and Leahy)",
        "subject": "Cross-curricular (teaching quality)",
        "phase": "Secondary; outcome at KS4",
        "delivery": "whole_school_cpd",
        "dose": "Monthly Teacher Learning Communities (75–90 minutes) for about 18 months, with peer observation",
        "eef_result": "Effectiveness trial (140 schools): +2 months on Attainment 8, effect size +0.10; "
        "an EEF Promising Programme",
        "months_progress": 2,
        "security": "very high",
        "follow_up": "",
        "wwcsc_signs_of_potential": True,
        "sources": [
            "https://v2.educationendowmentfoundation.org.uk/projects-and-evaluation/projects/embedding-formative-assessment/"
        ],
    },
    {
        "id": "family_skills",
        "name": "Family Skills",
        "provider": "Learning Unlimited",
        "subject": "Literacy and language",
        "phase": "Early years; Reception (age 4–5), families with English as an additional language",
        "delivery": "parental_engagement",
        "dose": "11 weekly sessions of 2.5 hours for parents, run at school by family-learning tutors",
        "eef_result": "Efficacy trial (115 schools, 1,985 pupils, 2018): no effect overall (0 months)",
        "months_progress": 0,
        "security": "high",
        "follow_up": "Our Skills: adapted for children with a social worker in Reception and Year 1, 10 weekly online "
        "sessions; pilot report May 2022.",
        "wwcsc_signs_of_potential": True,
        "sources": [
            "https://educationendowmentfoundation.org.uk/projects-and-evaluation/projects/family-skills",
            "https://whatworks-csc.org.uk/research-report/pilot-evaluation-of-our-skills/",
        ],
    },
    {
        "id": "vocabulary_enrichment_programme",
        "name": "Vocabulary Enrichment (Intervention) Programme",
        "provider": "Bolton LA (with Sounds-Write and Literacy Plus)",
        "subject": "Literacy / reading",
        "phase": "Secondary transition; Year 7",
        "delivery": "small_group",
        "dose": "A teacher-delivered small-group programme in place of usual English lessons, for about 19 weeks",
        "eef_result": "Efficacy trial (12 schools, 2013/14): no evidence of impact on reading",
        "months_progress": None,
        "security": None,
        "follow_up": "Words for All (Whole Education): KS3–KS4 children with a social worker, teacher triads; "
        "King's College London, report December 2022.",
        "wwcsc_signs_of_potential": True,
        "sources": [
            "https://www.nfer.ac.uk/publications/vocabulary-enrichment-intervention-programme-evaluation-report-and-executive-summary/",
            "https://whatworks-csc.org.uk/research-project/signs-of-potential-words-for-all",
        ],
    },
    {
        "id": "catch_up_literacy",
        "name": "Catch Up Literacy",
        "provider": "Catch Up (charity)",
        "subject": "Literacy / reading",
        "phase": "Primary and transition; trials in Years 4–7",
        "delivery": "one_to_one",
        "dose": "Structured 1:1 sessions by teaching assistants, two of 15 minutes a week",
        "eef_result": "Efficacy trial (85 schools, 557 pupils): +2 months, not statistically significant; effectiveness "
        "trial (156 schools, 1,388 pupils): no impact",
        "months_progress": 2,
        "security": None,
        "follow_up": "Delivered by foster carers to children in care in the follow-up.",
        "wwcsc_signs_of_potential": True,
        "sources": [
            "https://educationendowmentfoundation.org.uk/projects-and-evaluation/projects/catch-up-literacy",
            "https://whatworks-csc.org.uk/blog/following-the-signs-of-potential/",
        ],
    },
    {
        "id": "research_learning_communities",
        "name": "Research Learning Communities",
        "provider": "UCL Institute of Education",
        "subject": "Reading (KS2); teachers' use of research",
        "phase": "Primary; KS2",
        "delivery": "whole_school_cpd",
        "dose": "Two Evidence Champions per school attend four workshops a year and lead improvement in school",
        "eef_result": "Efficacy trial (119 schools, 5,462 pupils, 2017): no evidence of impact on KS2 reading, effect size +0.02",
        "months_progress": None,
        "security": None,
        "follow_up": "The follow-up looked at looked-after and previously looked-after children (a qualitative report).",
        "wwcsc_signs_of_potential": True,
        "sources": [
            "https://educationendowmentfoundation.org.uk/projects-and-evaluation/projects/research-learning-communities",
            "https://whatworks-csc.org.uk/blog/following-the-signs-of-potential/",
        ],
    },
]

#: the catalogue's ids, in its order: the choices of a planned intervention's programme
PROGRAMME_IDS = [p["id"] for p in PROGRAMMES]
PROGRAMME_NAMES = {p["id"]: p["name"] for p in PROGRAMMES}
BY_ID = {p["id"]: p for p in PROGRAMMES}
