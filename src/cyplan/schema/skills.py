"""The skills census: the share of each role trained in each area of the Common Core, and the target."""

from cyplan.reference.skills import SKILL_AREAS
from cyplan.schema.columns import MAX_SALARY, Column, InputKind, Reference, source_column

SKILLS = InputKind(
    "skills",
    "Skills census",
    "For each area and role, the share of staff trained in each of the six areas of the Common Core of Skills "
    "and Knowledge, the share wanted by a target year and the cost of training one person.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("role", "text", "Role, as in the roles input and the workforce census.", "mh_practitioner"),
        Column("skill_area", "enum", "One of the Common Core's six areas (seed 001, para 5.21).", "safeguarding",
               allowed=SKILL_AREAS),
        Column("share_trained", "share", "Share of the role's staff (headcount) trained in this area now, "
                                         "e.g. 0.5 or 50%.", "0.5", maximum=1),
        Column("target_share", "share", "Share of the role's staff to be trained by the target year.", "0.9",
               maximum=1),
        Column("target_year", "integer", "Year by which the target share is to be reached: one of the plan's "
                                         "years after the first.", "2029", minimum=1990, maximum=2100),
        Column("cost_per_person", "number", "Cost of training one person in this area, in pounds (course fees, "
                                            "backfill).", "450", minimum=0, maximum=MAX_SALARY),
        Column("joiners_trained", "share", "Share of joiners who arrive already trained in this area; blank "
                                           "means none (every joiner replacing a leaver needs training).", "0",
               required=False, blank_ok=True, default="0", maximum=1),
        source_column(),
    ),
    key=("area", "role", "skill_area"),
    references=(Reference(("area",), "areas", ("code",)), Reference(("role",), "roles", ("role",)),
                Reference(("area", "role"), "workforce", ("area", "role"))),
)

SKILLS_KINDS = (SKILLS,)
