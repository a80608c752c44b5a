"""The planning inputs (need and workforce demand): areas, population, levels, prevalence,
vulnerable groups, pathways, role mix, roles, role ratios and care profiles."""

from cyplan.schema.columns import (
    AREA_KINDS,
    MAX_FTE,
    MAX_HOURS_PER_CASE,
    MAX_ORDER,
    MAX_PEOPLE,
    MAX_RELATIVE_RISK,
    MAX_SALARY,
    SEXES,
    Column,
    InputKind,
    Reference,
    age_range_columns,
    estimate_columns,
    source_column,
)

AREAS = InputKind(
    "areas",
    "Areas",
    "The places a plan covers: councils, integrated care boards, places, regions or custom areas.",
    (
        Column("code", "code", "ONS GSS code (a letter and eight digits, e.g. E10000003); any short code "
               "for a custom area.", "E10999999"),
        Column("name", "text", "The area's name.", "Exampleshire"),
        Column("kind", "enum", "What sort of area it is.", "council", allowed=AREA_KINDS),
        Column("parent", "code", "Code of the area this one sits within, if any.", "", required=False,
               blank_ok=True, default=""),
        source_column(),
    ),
    key=("code",),
    references=(Reference(("parent",), "areas", ("code",)),),
)

POPULATION = InputKind(
    "population",
    "Population",
    "Resident population by single year of age (0–25) and sex; future years are projections.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("year", "integer", "Calendar year (mid-year estimate or projection).", "2025",
               minimum=1990, maximum=2100),
        Column("age", "integer", "Single year of age, 0 to 25.", "7", minimum=0, maximum=25),
        Column("sex", "enum", "female or male.", "female", allowed=SEXES),
        Column("count", "number", "Number of people (projections may be fractional).", "9412", minimum=0,
               maximum=MAX_PEOPLE),
        source_column(),
    ),
    key=("area", "year", "age", "sex"),
    references=(Reference(("area",), "areas", ("code",)),),
)

AGE_BANDS = InputKind(
    "age_bands",
    "Age bands",
    "The age bands results are reported by; they must not overlap and must cover ages 0 to 25.",
    (
        Column("band", "text", "Short name of the band.", "school_age"),
        Column("label", "text", "How the band is shown.", "School age (5 to 15)"),
        *age_range_columns(("5", "15")),
        source_column(),
    ),
    key=("band",),
    age_range=True,
    order=("age_from",),
)

LEVELS = InputKind(
    "levels",
    "Levels of need",
    "The levels of need the plan counts, each with the share of its cases services are to reach.",
    (
        Column("level", "text", "Short name of the level.", "tertiary"),
        Column("label", "text", "How the level is shown.", "Tertiary-level need"),
        Column("coverage", "share", "Share of cases at this level that services are to reach "
               "(1 for a purely needs-based plan).", "1", maximum=1),
        Column("non_pay_per_case", "number", "Non-pay cost a year of each case reached at this level, in pounds "
               "(e.g. medicines, interpreters, travel, placements); blank means 0.", "0", required=False,
               blank_ok=True, default="0", minimum=0, maximum=MAX_SALARY),
        source_column(),
    ),
    key=("level",),
)

RATE_BASES = ("population_average", "outside_groups")

PREVALENCE = InputKind(
    "prevalence",
    "Prevalence",
    "Share of the population at each level of need, by age range and sex.",
    (
        Column("level", "text", "Level of need, as in the levels input.", "tertiary"),
        *age_range_columns(("12", "17")),
        Column("sex", "enum", "female, male, or all for both.", "all", allowed=(*SEXES, "all")),
        *estimate_columns("share", ("0.14", "0.16", "0.18"), maximum=1),
        Column("rate_basis", "enum", "What the rate is: population_average (the rate among all children of "
               "these ages, vulnerable groups included, as a survey gives it) or outside_groups (the rate among "
               "children outside the vulnerable groups, to which the groups' extra cases are added).",
               "population_average", required=False, blank_ok=True, allowed=RATE_BASES,
               default="population_average"),
        Column("net_of", "text", "Blank, or another level: then low, central and high are the total of this "
               "level and that one (e.g. all probable disorder), that level's share is given on its own rows, "
               "and this level is the total less that level, draw by draw.", "", required=False,
               blank_ok=True, default=""),
        source_column(),
    ),
    key=("level", "age_from", "age_to", "sex"),
    references=(Reference(("level",), "levels", ("level",)), Reference(("net_of",), "levels", ("level",))),
    estimates=True,
    age_range=True,
)

GROUPS = InputKind(
    "groups",
    "Vulnerable groups",
    "Groups of children at higher risk, such as the eight of the early intervention specification.",
    (
        Column("group", "text", "Short name of the group.", "looked_after"),
        Column("label", "text", "How the group is shown.", "Looked after children"),
        source_column(),
    ),
    key=("group",),
)

GROUP_SIZES = InputKind(
    "group_sizes",
    "Vulnerable group sizes",
    "Number of children and young people in each group, by area and age range.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("group", "text", "Group, as in the groups input.", "looked_after"),
        *age_range_columns(("0", "17")),
        Column("count", "number", "Number of children and young people in the group.", "1120", minimum=0,
               maximum=MAX_PEOPLE),
        source_column(),
    ),
    key=("area", "group", "age_from", "age_to"),
    references=(Reference(("area",), "areas", ("code",)), Reference(("group",), "groups", ("group",))),
    age_range=True,
)

GROUP_RISKS = InputKind(
    "group_risks",
    "Vulnerable group relative risks",
    "How many times as likely a child in the group is to be at each level of need.",
    (
        Column("group", "text", "Group, as in the groups input.", "looked_after"),
        Column("level", "text", "Level of need, as in the levels input.", "tertiary"),
        *estimate_columns("relative risk (1 means no extra risk)", ("3", "4", "5"), maximum=MAX_RELATIVE_RISK),
        source_column(),
    ),
    key=("group", "level"),
    references=(Reference(("group",), "groups", ("group",)), Reference(("level",), "levels", ("level",))),
    estimates=True,
)

PATHWAY_STEPS = InputKind(
    "pathway_steps",
    "Pathway steps",
    "The steps of the care pathway for each level, with mean hours per case per year.",
    (
        Column("level", "text", "Level of need, as in the levels input.", "tertiary"),
        Column("step", "text", "Name of the step.", "core clinical management"),
        Column("order", "integer", "Position of the step in the pathway (1, 2, 3, …).", "2", minimum=1,
               maximum=MAX_ORDER),
        Column("profile", "text", "Care profile the step belongs to, as in the care profiles input (e.g. brief, "
               "standard, intensive); blank means every case at the level.", "", required=False, blank_ok=True,
               default=""),
        *estimate_columns("hours per case per year", ("20", "27", "34"), maximum=MAX_HOURS_PER_CASE),
        source_column(),
    ),
    key=("level", "step"),
    references=(Reference(("level",), "levels", ("level",)),
                Reference(("level", "profile"), "care_profiles", ("level", "profile"))),
    estimates=True,
    order=("level", "order"),
)

ROLE_MIX = InputKind(
    "role_mix",
    "Role mix",
    "Which roles deliver each pathway step: shares that sum to 1 for each step.",
    (
        Column("level", "text", "Level of need, as in the pathway steps.", "tertiary"),
        Column("step", "text", "Step, as in the pathway steps.", "core clinical management"),
        Column("role", "text", "Role, as in the roles input.", "mh_practitioner"),
        Column("share", "share", "Share of the step's hours this role delivers.", "0.6", maximum=1),
        source_column(),
    ),
    key=("level", "step", "role"),
    references=(
        Reference(("level", "step"), "pathway_steps", ("level", "step")),
        Reference(("role",), "roles", ("role",)),
    ),
)

ROLES = InputKind(
    "roles",
    "Roles",
    "The workforce roles, their working time (for available working time) and what they cost.",
    (
        Column("role", "text", "Short name of the role.", "mh_practitioner"),
        Column("label", "text", "How the role is shown.", "Mental health practitioner"),
        Column("staff_group", "text", "Staff group the role belongs to.", "Allied health and nursing"),
        Column("contracted_hours_per_week", "number", "Contracted hours a week for one FTE.", "37.5",
               minimum=0, above_minimum=True, maximum=80),
        Column("working_days_per_week", "number", "Working days a week for one FTE.", "5", required=False,
               blank_ok=True, default="5", minimum=0, above_minimum=True, maximum=7),
        Column("annual_leave_days", "number", "Annual leave, days a year.", "29", minimum=0, maximum=365),
        Column("public_holiday_days", "number", "Public holidays, days a year.", "8", minimum=0, maximum=365),
        Column("sickness_days", "number", "Sickness absence, days a year.", "11", minimum=0, maximum=365),
        Column("sickness_days_low", "number", "Low estimate of sickness absence, days a year; blank means the "
               "sickness days.", "8", required=False, blank_ok=True, minimum=0, maximum=365),
        Column("sickness_days_high", "number", "High estimate of sickness absence, days a year; blank means the "
               "sickness days.", "14", required=False, blank_ok=True, minimum=0, maximum=365),
        Column("training_days", "number", "Training and other leave, days a year.", "5", minimum=0,
               maximum=365),
        Column("direct_work_share", "share", "Share of available working time spent in direct work with "
               "children and families (1 minus the category allowances).", "0.6", minimum=0,
               above_minimum=True, maximum=1),
        Column("direct_work_share_low", "share", "Low estimate of the direct work share; blank means the direct "
               "work share.", "0.5", required=False, blank_ok=True, minimum=0, above_minimum=True, maximum=1),
        Column("direct_work_share_high", "share", "High estimate of the direct work share; blank means the direct "
               "work share.", "0.7", required=False, blank_ok=True, minimum=0, above_minimum=True, maximum=1),
        Column("salary", "number", "Annual salary of one FTE, in pounds.", "47810", minimum=0,
               maximum=MAX_SALARY),
        Column("on_cost_rate", "share", "Employer on-costs as a share of salary (pension, National "
               "Insurance), e.g. 0.3 or 30%.", "0.3", maximum=1),
        Column("non_pay_rate", "share", "Non-pay costs of one FTE (travel, equipment, IT, supplies) as a share of "
               "its pay (salary with on-costs); blank means 0.", "0.12", required=False, blank_ok=True,
               default="0", maximum=1),
        Column("non_pay_per_fte", "number", "Non-pay costs of one FTE a year in pounds, besides the share of pay; "
               "blank means 0.", "0", required=False, blank_ok=True, default="0", minimum=0, maximum=MAX_SALARY),
        Column("overhead_rate", "share", "Overheads (management, estates, finance, HR) as a share of pay and "
               "non-pay costs; blank means 0.", "0.2", required=False, blank_ok=True, default="0", maximum=1),
        source_column(),
    ),
    key=("role",),
    ranges=(("direct_work_share", "direct_work_share_low", "direct_work_share_high"),
            ("sickness_days", "sickness_days_low", "sickness_days_high")),
)

ROLE_RATIOS = InputKind(
    "role_ratios",
    "Role ratios",
    "Staff planned as a ratio to other staff, not from pathway hours: team leaders, supervisors, administrators.",
    (
        Column("role", "text", "The role planned by ratio, as in the roles input.", "team_leader"),
        Column("per_role", "text", "The role it is a ratio to, as in the roles input; blank means every "
               "clinical role (every role not planned by ratio).", "", required=False, blank_ok=True, default=""),
        Column("per_fte", "number", "FTE of per_role that one FTE of the role supports: 8 means one team leader "
               "per 8 clinical FTE; at least 0.1 (ten of the role to each FTE of per_role), past which a figure is a "
               "typing error, not a ratio.", "8", minimum=0.1, maximum=MAX_FTE),
        source_column(),
    ),
    key=("role", "per_role"),
    references=(Reference(("role",), "roles", ("role",)), Reference(("per_role",), "roles", ("role",))),
)

CARE_PROFILES = InputKind(
    "care_profiles",
    "Care profiles",
    "Packages of care within a level (e.g. brief, standard, intensive), with the share of the level's cases on "
    "each; each profile's steps are the pathway steps that name it.",
    (
        Column("level", "text", "Level of need, as in the levels input.", "tertiary"),
        Column("profile", "text", "Short name of the profile.", "brief"),
        Column("label", "text", "How the profile is shown.", "Brief intervention", required=False, blank_ok=True,
               default=""),
        Column("share", "share", "Share of the level's cases on this profile: the shares of a level sum to 1.",
               "0.5", maximum=1),
        source_column(),
    ),
    key=("level", "profile"),
    references=(Reference(("level",), "levels", ("level",)),),
)

COVERAGE = InputKind(
    "coverage",
    "Coverage by age band and group",
    "The share of cases services are to reach at a level, by age band and, if given, vulnerable group; it "
    "replaces the level's coverage where it is given.",
    (
        Column("level", "text", "Level of need, as in the levels input.", "targeted"),
        Column("band", "text", "Age band, as in the age bands input; blank means every age.", "school_age",
               required=False, blank_ok=True, default=""),
        Column("group", "text", "Vulnerable group, as in the groups input; blank means every child, in a group "
               "or not.", "", required=False, blank_ok=True, default=""),
        Column("coverage", "share", "Share of these cases services are to reach.", "0.35", maximum=1),
        source_column(),
    ),
    key=("level", "band", "group"),
    references=(Reference(("level",), "levels", ("level",)), Reference(("band",), "age_bands", ("band",)),
                Reference(("group",), "groups", ("group",))),
)

NEED_COUNTS = InputKind(
    "need_counts",
    "Need counts",
    "Children and young people counted as having a need, such as pupils on SEN support or with an EHC plan "
    "by primary need (DfE's 'Special educational needs in England'), by area, year and age range.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("year", "integer", "Year the count is for; later years keep its rate per head of the "
               "population of those ages.", "2025", minimum=1990, maximum=2100),
        Column("need", "text", "The need counted, e.g. a primary need.", "Speech, language and communication needs"),
        Column("status", "text", "Which children with that need, e.g. SEN support or EHC plan.", "EHC plan"),
        *age_range_columns(("4", "15")),
        Column("count", "number", "Number of children and young people counted.", "980", minimum=0,
               maximum=MAX_PEOPLE),
        source_column(),
    ),
    key=("area", "year", "need", "status", "age_from", "age_to"),
    references=(Reference(("area",), "areas", ("code",)),),
    age_range=True,
)

NEED_SHARES = InputKind(
    "need_shares",
    "Need shares",
    "Share of the children in each need count who are a case at each level of need.",
    (
        Column("need", "text", "The need, as in the need counts.", "Speech, language and communication needs"),
        Column("status", "text", "Which children, as in the need counts.", "EHC plan"),
        Column("level", "text", "Level of need, as in the levels input.", "specialist_slt"),
        *estimate_columns("share", ("0.3", "0.4", "0.5"), maximum=1),
        source_column(),
    ),
    key=("need", "status", "level"),
    references=(Reference(("level",), "levels", ("level",)),),
    estimates=True,
)

PLANNING_KINDS = (AREAS, POPULATION, AGE_BANDS, LEVELS, PREVALENCE, GROUPS, GROUP_SIZES, GROUP_RISKS,
                  PATHWAY_STEPS, ROLE_MIX, ROLES, ROLE_RATIOS, CARE_PROFILES, COVERAGE, NEED_COUNTS,
                  NEED_SHARES)
