"""The early intervention service register (seed 003): localities, services and what each serves,
its staffing, the area's plans and protocols, and the stakeholders engaged.

A commissioner's register is one workbook: a sheet per input below, named after it. Anything a
service has several of (cells, groups, localities, roles) is its own long table keyed by service,
so that every value is checked against the list it comes from.
"""

from cyplan.reference.specification import LEVELS
from cyplan.schema.columns import MAX_FTE, MAX_FUNDING, MAX_PEOPLE, Column, InputKind, Reference, source_column

SERVICE_STATUSES = ("planned", "being developed", "in place")
PLAN_STATUSES = ("none", "early stage", "in place")
YES_NO = ("yes", "no")


def _service() -> Column:
    return Column("service", "text", "Service, as in the services input.", "locality_mh_team")


SERVICE_REF = Reference(("service",), "services", ("service",))

LOCALITIES = InputKind(
    "localities",
    "Localities",
    "The localities the area is divided into, for services that cover only some of them.",
    (
        Column("locality", "text", "Short name of the locality.", "north"),
        Column("label", "text", "How the locality is shown.", "North Exampleshire"),
        Column("share", "share", "Share of the area's children and young people who live there; blank in every "
               "row means equal shares.", "0.3", required=False, blank_ok=True, maximum=1),
        source_column(),
    ),
    key=("locality",),
)

SERVICES = InputKind(
    "services",
    "Services",
    "The early intervention services in the area's register: who provides them, how far they reach, their "
    "status, funding and capacity.",
    (
        Column("service", "text", "Short name of the service.", "locality_mh_team"),
        Column("label", "text", "How the service is shown.", "Locality mental health team"),
        Column("provider", "text", "Who provides it.", "Exampleshire NHS Foundation Trust"),
        Column("agencies", "text", "Other agencies involved, separated by ';'.", "education; social care",
               required=False, blank_ok=True, default=""),
        Column("joint", "enum", "Jointly commissioned by the council and the NHS: yes or no.", "yes",
               allowed=YES_NO, required=False, default="no"),
        Column("status", "enum", "Where the service is: planned, being developed or in place.", "in place",
               allowed=SERVICE_STATUSES),
        Column("coverage", "share", "Share of the area the service covers (1 for the whole area); leave blank "
               "when its localities are listed in service localities.", "1", required=False, blank_ok=True,
               maximum=1),
        Column("funding", "number", "Annual funding, in pounds.", "850000", required=False, blank_ok=True,
               minimum=0, maximum=MAX_FUNDING),
        Column("capacity", "number", "Children and young people it can see in a year, where known.", "1200",
               required=False, blank_ok=True, minimum=0, maximum=MAX_PEOPLE),
        source_column(),
    ),
    key=("service",),
)

SERVICE_CELLS = InputKind(
    "service_cells",
    "Service cells",
    "Which cells of the specification each service delivers: age band × level × provision.",
    (
        _service(),
        Column("band", "text", "Age band, as in the age bands input.", "school_age"),
        Column("level", "enum", "universal or targeted.", "targeted", allowed=LEVELS),
        Column("provision", "text", "Provision, as in the specification for that band and level "
               "(docs/services.md lists them).", "therapeutic_interventions"),
        source_column(),
    ),
    key=("service", "band", "level", "provision"),
    references=(SERVICE_REF, Reference(("band",), "age_bands", ("band",))),
)

SERVICE_GROUPS = InputKind(
    "service_groups",
    "Service groups",
    "Which vulnerable groups each service's targeted provision reaches.",
    (
        _service(),
        Column("group", "text", "Group, as in the groups input.", "looked_after"),
        source_column(),
    ),
    key=("service", "group"),
    references=(SERVICE_REF, Reference(("group",), "groups", ("group",))),
)

SERVICE_LOCALITIES = InputKind(
    "service_localities",
    "Service localities",
    "The localities a service covers, when it does not cover the whole area.",
    (
        _service(),
        Column("locality", "text", "Locality, as in the localities input.", "north"),
        source_column(),
    ),
    key=("service", "locality"),
    references=(SERVICE_REF, Reference(("locality",), "localities", ("locality",))),
)

SERVICE_STAFF = InputKind(
    "service_staff",
    "Service staffing",
    "The staff of each service: full-time equivalents by role.",
    (
        _service(),
        Column("role", "text", "Role, as in the roles input.", "mh_practitioner"),
        Column("fte", "number", "Full-time equivalents of this role in the service.", "4.5", minimum=0,
               above_minimum=True, maximum=MAX_FTE),
        source_column(),
    ),
    key=("service", "role"),
    references=(SERVICE_REF, Reference(("role",), "roles", ("role",))),
)

PLANS = InputKind(
    "plans",
    "Plans and protocols",
    "The area's plans and protocols for commissioning early intervention support, each with its status.",
    (
        Column("plan", "text", "Short name of the plan or protocol.", "camh_strategy"),
        Column("label", "text", "How it is shown.", "CAMH strategy, part of the Children and Young People's Plan"),
        Column("status", "enum", "none, early stage or in place.", "in place", allowed=PLAN_STATUSES),
        Column("prerequisite", "text", "The specification's pre-requisite it meets, if any (docs/services.md "
               "lists them).", "partnership_overview", required=False, blank_ok=True, default=""),
        source_column(),
    ),
    key=("plan",),
)

STAKEHOLDERS = InputKind(
    "stakeholders",
    "Stakeholders",
    "The agencies of the stakeholder checklist (seed 003, Annex B), and any local ones, with whether they are "
    "engaged and who represents them.",
    (
        Column("agency", "text", "Agency, as in the checklist (docs/services.md lists them), or a local one.",
               "specialist_camhs_team"),
        Column("label", "text", "How a local agency is shown (the checklist's own are named already).", "",
               required=False, blank_ok=True, default=""),
        Column("engaged", "enum", "Is the agency engaged in the early intervention work: yes or no.", "yes",
               allowed=YES_NO),
        Column("representative", "text", "Who represents it (blank if nobody yet).", "Team manager",
               required=False, blank_ok=True, default=""),
        source_column(),
    ),
    key=("agency",),
)

RATING_JUDGEMENT = InputKind(
    "rating_judgement",
    "Rating judgement",
    "The partnership's own rating of its early intervention services (seed 003, section 4): the rating agreed, "
    "who agreed it, when, and why it differs from the rating cyplan computes, as CAMHS self-assessment records "
    "it. Optional; with several rows the latest is shown.",
    (
        Column("date", "text", "The date it was agreed, as YYYY-MM-DD (or dd/mm/yyyy, read as day/month/year).",
               "2025-03-14", date=True),
        Column("rating", "integer", "The rating agreed, 1 to 4.", "3", minimum=1, maximum=4),
        Column("agreed_by", "text", "Who agreed it.", "CAMHS partnership board"),
        Column("reason", "text", "Why it differs from the computed rating (or what it rests on, if the same).",
               "The SEAL roll-out to secondary schools starts in September", required=False, blank_ok=True,
               default=""),
        source_column(),
    ),
    key=("date",),
)

SERVICE_KINDS = (LOCALITIES, SERVICES, SERVICE_CELLS, SERVICE_GROUPS, SERVICE_LOCALITIES, SERVICE_STAFF, PLANS,
                 STAKEHOLDERS, RATING_JUDGEMENT)
