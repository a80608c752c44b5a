"""The evidence library (issue 15): interventions, what they serve, what delivering them takes, their evidence
ratings as the schemes commissioners know give them, and practice guide topics.

The library holds ratings, citations and links — never copies of other organisations' text. It is
workspace-wide, like the services register: on a shared server each area keeps its own.
"""

from cyplan.reference.specification import LEVELS
from cyplan.schema.columns import (
    MAX_HOURS_PER_CASE,
    MAX_PEOPLE,
    Column,
    InputKind,
    Reference,
    age_range_columns,
    source_column,
)

INTERVENTION_LEVELS = ("universal", "targeted", "specialist")
DELIVERY_MODELS = ("individual", "group", "whole setting", "blended")
SCHEMES = ("foundations", "yef", "eef", "local")
MEASURES = ("evidence", "cost", "impact", "months", "padlocks")
MAX_COST_PER_CASE = 1_000_000  # pounds a case a year, besides staff time: far above any programme's


def _intervention() -> Column:
    return Column("intervention", "text", "Intervention, as in the interventions input.", "incredible_years")


INTERVENTION_REF = Reference(("intervention",), "interventions", ("intervention",))


def _citation_columns() -> tuple[Column, ...]:
    return (
        Column("citation", "text", "The publication the rating or summary comes from, as it should be cited.",
               "Foundations Guidebook, Incredible Years Preschool", required=False, blank_ok=True, default=""),
        Column("url", "text", "Where it can be read.", "https://guidebook.foundations.org.uk/", required=False,
               blank_ok=True, default=""),
        Column("retrieved", "text", "The day it was read, as YYYY-MM-DD (or dd/mm/yyyy).", "2026-11-30",
               required=False, blank_ok=True, default="", date=True),
    )


INTERVENTIONS = InputKind(
    "interventions",
    "Interventions",
    "Programmes and approaches the area could commission, in its own words: who they are for, how they are "
    "delivered and what they aim to change.",
    (
        Column("intervention", "text", "Short name of the intervention.", "incredible_years"),
        Column("name", "text", "How the intervention is shown.", "Incredible Years Preschool"),
        Column("description", "text", "What it is, in the area's own words (not copied from the programme's "
               "own material).", "A 14-week group programme for parents of children aged 3 to 6",
               required=False, blank_ok=True, default=""),
        Column("owner", "text", "Who owns or licenses the programme.", "The Incredible Years, Inc.",
               required=False, blank_ok=True, default=""),
        *age_range_columns(("3", "6")),
        Column("setting", "text", "Where it is delivered: home, school, early years setting, community, clinic, "
               "online …", "community", required=False, blank_ok=True, default=""),
        Column("delivery_model", "enum", "individual, group, whole setting or blended.", "group",
               allowed=DELIVERY_MODELS, required=False, blank_ok=True, default=""),
        Column("level", "enum", "universal, targeted or specialist.", "targeted", allowed=INTERVENTION_LEVELS),
        Column("outcomes", "text", "What it aims to change, separated by ';'.", "child behaviour; parenting",
               required=False, blank_ok=True, default=""),
        Column("topic", "text", "Practice guide topic it belongs to, as in the practice guides input.", "",
               required=False, blank_ok=True, default=""),
        Column("cost_per_case", "number", "Costs besides staff time (licences, materials, training), in pounds "
               "per case a year; blank means none.", "120", required=False, blank_ok=True, minimum=0,
               maximum=MAX_COST_PER_CASE),
        source_column(),
    ),
    key=("intervention",),
    references=(Reference(("topic",), "practice_guides", ("topic",)),),  # when given: a blank topic is none
    age_range=True,
)

INTERVENTION_CELLS = InputKind(
    "intervention_cells",
    "Intervention cells",
    "The cells of the specification an intervention delivers: age band × level × provision.",
    (
        _intervention(),
        Column("band", "text", "Age band, as in the age bands input.", "early_years"),
        Column("level", "enum", "universal or targeted.", "targeted", allowed=LEVELS),
        Column("provision", "text", "Provision, as in the specification for that band and level "
               "(docs/services.md lists them).", "parenting_support"),
        source_column(),
    ),
    key=("intervention", "band", "level", "provision"),
    references=(INTERVENTION_REF, Reference(("band",), "age_bands", ("band",))),
)

INTERVENTION_GROUPS = InputKind(
    "intervention_groups",
    "Intervention groups",
    "The vulnerable groups an intervention serves.",
    (
        _intervention(),
        Column("group", "text", "Group, as in the groups input.", "looked_after"),
        source_column(),
    ),
    key=("intervention", "group"),
    references=(INTERVENTION_REF, Reference(("group",), "groups", ("group",))),
)

INTERVENTION_DELIVERY = InputKind(
    "intervention_delivery",
    "Intervention delivery",
    "What delivering one case takes, by role: hours per case, or for group programmes hours per session, "
    "sessions and group size (hours per case = hours per session × sessions ÷ group size).",
    (
        _intervention(),
        Column("role", "text", "Role, as in the roles input.", "family_support_worker"),
        Column("hours_per_case", "number", "Hours of the role's time per case; leave blank for a group "
               "programme.", "", required=False, blank_ok=True, minimum=0, maximum=MAX_HOURS_PER_CASE),
        Column("hours_per_session", "number", "Hours of the role's time per group session, preparation "
               "included.", "3", required=False, blank_ok=True, minimum=0, maximum=MAX_HOURS_PER_CASE),
        Column("sessions", "integer", "Sessions in one course of the programme (a whole number).", "14",
               required=False, blank_ok=True, minimum=1, maximum=MAX_HOURS_PER_CASE),
        Column("group_size", "integer", "Cases (families or children) in one group (a whole number).", "10",
               required=False, blank_ok=True, minimum=1, maximum=MAX_PEOPLE),
        source_column(),
    ),
    key=("intervention", "role"),
    references=(INTERVENTION_REF, Reference(("role",), "roles", ("role",))),
)

EVIDENCE_RATINGS = InputKind(
    "evidence_ratings",
    "Evidence ratings",
    "Ratings of an intervention's evidence, impact and cost, kept exactly as the scheme gives them (the "
    "Foundations Guidebook, the YEF Toolkit, the EEF Toolkit, or a local evaluation), with their citation. A "
    "rating is an opinion about evidence, not a recommendation.",
    (
        _intervention(),
        Column("scheme", "enum", "foundations, yef, eef or local.", "foundations", allowed=SCHEMES),
        Column("measure", "enum", "What is rated: evidence, cost, impact, months (EEF months of progress) or "
               "padlocks (EEF evidence strength); docs/data-formats.md lists each scheme's.", "evidence",
               allowed=MEASURES),
        Column("rating", "text", "The rating as the scheme gives it, e.g. 3+, NL2, NE, ££, 4.", "3+"),
        *_citation_columns(),
        Column("licence", "text", "On what terms the rating is quoted.", "Rating quoted as a fact; no text copied",
               required=False, blank_ok=True, default=""),
        source_column(),
    ),
    key=("intervention", "scheme", "measure"),
    references=(INTERVENTION_REF,),
)

PRACTICE_GUIDES = InputKind(
    "practice_guides",
    "Practice guides",
    "What is known about a topic, in the shape of Foundations' practice guides (seed 004, para 5): what works, "
    "why and how, who it works for, barriers and enablers, beneficiaries' perspectives and cost-benefit — in "
    "the area's own words, with the citation.",
    (
        Column("topic", "text", "Short name of the topic.", "parenting_programmes"),
        Column("title", "text", "How the topic is shown.", "Parenting programmes in the early years"),
        *(Column(name, "text", what, "", required=False, blank_ok=True, default="") for name, what in (
            ("what_works", "What works."),
            ("why_how", "Why and how it works."),
            ("who_for", "Who it works for, and differences between groups."),
            ("barriers_enablers", "Barriers and enablers of implementation."),
            ("perspectives", "Perspectives of children, young people and families."),
            ("cost_benefit", "Cost-benefit, where well evidenced."),
        )),
        *_citation_columns(),
        source_column(),
    ),
    key=("topic",),
)

EVIDENCE_KINDS = (INTERVENTIONS, INTERVENTION_CELLS, INTERVENTION_GROUPS, INTERVENTION_DELIVERY, EVIDENCE_RATINGS,
                  PRACTICE_GUIDES)
