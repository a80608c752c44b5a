"""The supply inputs: the workforce census, prevalence trends and named scenarios."""

from cyplan.schema.columns import (
    MAX_FTE,
    MAX_SCENARIO_VALUE,
    MAX_TREND,
    Column,
    InputKind,
    Reference,
    estimate_columns,
    source_column,
)

SECTORS = ("NHS", "council", "education", "voluntary", "private")
OPERATIONS = ("set", "add", "multiply", "move", "commission")

WORKFORCE = InputKind(
    "workforce",
    "Workforce census",
    "The workforce in post for each area and role (and sector), with its flows: who leaves, retires and joins.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("role", "text", "Role, as in the roles input.", "mh_practitioner"),
        Column("sector", "enum", "Employing sector.", "NHS", allowed=SECTORS),
        Column("headcount", "number", "People in post.", "140", minimum=0, maximum=MAX_FTE),
        Column("fte_in_post", "number", "Full-time equivalents in post (substantive staff).", "120.5", minimum=0,
               maximum=MAX_FTE),
        Column("fte_in_post_low", "number", "Low estimate of FTE in post (a census with gaps or double counts); "
               "blank means fte_in_post.", "115", required=False, blank_ok=True, minimum=0, maximum=MAX_FTE),
        Column("fte_in_post_high", "number", "High estimate of FTE in post; blank means fte_in_post.", "125",
               required=False, blank_ok=True, minimum=0, maximum=MAX_FTE),
        Column("vacant_fte", "number", "Funded posts not filled, in FTE. Posts in post plus vacant are the funded "
               "establishment.", "18", minimum=0, maximum=MAX_FTE),
        Column("vacancy_fill_rate", "share", "Share of the vacant funded posts filled each year by recruitment "
               "beyond joiners_per_year (a recruitment drive); blank means none.", "", required=False,
               blank_ok=True, maximum=1),
        Column("agency_fte", "number", "Agency and bank staff covering posts, in FTE.", "6", minimum=0,
               maximum=MAX_FTE),
        Column("leaver_rate", "share", "Share of FTE in post who leave in a year (not counting retirement), "
               "e.g. 0.12 or 12%.", "0.12", maximum=1),
        Column("leaver_rate_low", "share", "Low estimate of the leaver rate; blank means the leaver rate.", "0.09",
               required=False, blank_ok=True, maximum=1),
        Column("leaver_rate_high", "share", "High estimate of the leaver rate; blank means the leaver rate.", "0.15",
               required=False, blank_ok=True, maximum=1),
        Column("share_aged_55_plus", "share", "Share of FTE in post aged 55 and over; they are taken to retire "
               "evenly over ten years unless a retirement rate is given.", "0.18", required=False, blank_ok=True,
               maximum=1),
        Column("retirement_rate", "share", "Share of FTE in post who retire in a year; overrides the share aged "
               "55 and over.", "", required=False, blank_ok=True, maximum=1),
        Column("joiners_per_year", "number", "FTE joining a year: qualifying trainees and recruits.", "14",
               minimum=0, maximum=MAX_FTE),
        Column("joiners_low", "number", "Low estimate of joiners a year; blank means joiners_per_year.", "10",
               required=False, blank_ok=True, minimum=0, maximum=MAX_FTE),
        Column("joiners_high", "number", "High estimate of joiners a year; blank means joiners_per_year.", "18",
               required=False, blank_ok=True, minimum=0, maximum=MAX_FTE),
        Column("cyp_share", "share", "Share of this workforce's time spent on this population (the 'hidden' "
               "workforce: a therapist with 40% of caseload on children with SEND counts 0.4).", "1",
               required=False, blank_ok=True, default="1", maximum=1),
        Column("cyp_share_low", "share", "Low estimate of the CYP share; blank means cyp_share.", "", required=False,
               blank_ok=True, maximum=1),
        Column("cyp_share_high", "share", "High estimate of the CYP share; blank means cyp_share.", "",
               required=False, blank_ok=True, maximum=1),
        Column("fte_per_head_trend", "number", "Change a year in FTE per head, as a share: -0.01 means staff in post "
               "work 1% fewer hours each year (the part-time trend); blank means no change.", "", required=False,
               blank_ok=True, minimum=-0.5, maximum=0.5),
        source_column(),
    ),
    key=("area", "role", "sector"),
    references=(Reference(("area",), "areas", ("code",)), Reference(("role",), "roles", ("role",))),
    ranges=(("leaver_rate", "leaver_rate_low", "leaver_rate_high"),
            ("joiners_per_year", "joiners_low", "joiners_high"),
            ("fte_in_post", "fte_in_post_low", "fte_in_post_high"),
            ("cyp_share", "cyp_share_low", "cyp_share_high")),
)

MAX_COURSE_YEARS = 15  # longer than any qualification route, consultant psychiatry's 13 years included
MAX_PLAN_YEAR = 2100
MAX_COST_PER_PLACE = 10_000_000

TRAINING_PIPELINES = InputKind(
    "training_pipelines",
    "Training pipelines",
    "Training places commissioned for a role: each row is places a year starting from start_year (to end_year), "
    "who qualify course_years later and join the workforce in post of that area, role and sector.",
    (
        Column("area", "code", "Area code, as in the workforce census.", "E10999999"),
        Column("role", "text", "Role, as in the roles input and the workforce census.", "clinical_psychologist"),
        Column("sector", "enum", "Sector the qualified staff join, as in the workforce census.", "NHS",
               allowed=SECTORS),
        Column("start_year", "integer", "First year whose intake starts on these places.", "2026", minimum=1900,
               maximum=MAX_PLAN_YEAR),
        Column("end_year", "integer", "Last year whose intake starts on these places; blank means every year "
               "after start_year.", "", required=False, blank_ok=True, minimum=1900, maximum=MAX_PLAN_YEAR),
        Column("places", "number", "Training places starting a year.", "12", minimum=0, maximum=MAX_FTE),
        Column("course_years", "integer", "Years from starting the course to joining as qualified staff: about 1 "
               "for wellbeing practitioners, 3 for clinical psychology, 8 or more for consultant psychiatry.",
               "3", minimum=1, maximum=MAX_COURSE_YEARS),
        Column("completion_rate", "share", "Share of starters who qualify.", "0.9", maximum=1),
        Column("completion_low", "share", "Low estimate of the completion rate; blank means completion_rate.",
               "0.85", required=False, blank_ok=True, maximum=1),
        Column("completion_high", "share", "High estimate of the completion rate; blank means completion_rate.",
               "0.95", required=False, blank_ok=True, maximum=1),
        Column("share_taking_post_here", "share", "Share of those who qualify who take a post in this area, role "
               "and sector (the rest go elsewhere).", "0.6", maximum=1),
        Column("share_here_low", "share", "Low estimate of the share taking a post here; blank means "
               "share_taking_post_here.", "0.4", required=False, blank_ok=True, maximum=1),
        Column("share_here_high", "share", "High estimate of the share taking a post here; blank means "
               "share_taking_post_here.", "0.75", required=False, blank_ok=True, maximum=1),
        Column("cost_per_place", "number", "Cost of one training place for the whole course, in pounds (fees, "
               "salary support, supervision).", "90000", required=False, blank_ok=True, default="0", minimum=0,
               maximum=MAX_COST_PER_PLACE),
        source_column(),
    ),
    key=("area", "role", "sector", "start_year"),
    references=(Reference(("area",), "areas", ("code",)), Reference(("role",), "roles", ("role",)),
                Reference(("area", "role", "sector"), "workforce", ("area", "role", "sector"))),
    ranges=(("completion_rate", "completion_low", "completion_high"),
            ("share_taking_post_here", "share_here_low", "share_here_high")),
)

IN_POPULATION = ("yes", "no")

CASELOADS = InputKind(
    "caseloads",
    "Caseloads by client group",
    "Cases held by a workforce row's staff, by client group: the share of cases in this population estimates "
    "its CYP share (with an interval), in place of the census's cyp_share.",
    (
        Column("area", "code", "Area code, as in the workforce census.", "E10999999"),
        Column("role", "text", "Role, as in the workforce census.", "specialist_therapist"),
        Column("sector", "enum", "Employing sector, as in the workforce census.", "education", allowed=SECTORS),
        Column("client_group", "text", "The client group, e.g. 'CYP with SEND', 'adults'.", "CYP with SEND"),
        Column("cases", "number", "Cases held (a count from a caseload snapshot).", "48", minimum=0,
               maximum=MAX_FTE),
        Column("in_population", "enum", "yes if this client group is part of the population planned for.",
               "yes", allowed=IN_POPULATION),
        source_column(),
    ),
    key=("area", "role", "sector", "client_group"),
    references=(Reference(("area", "role", "sector"), "workforce", ("area", "role", "sector")),),
)

PREVALENCE_TRENDS = InputKind(
    "prevalence_trends",
    "Prevalence trends",
    "How prevalence at each level changes a year from the first population year: 0.02 means 2% more a year.",
    (
        Column("level", "text", "Level of need, as in the levels input.", "targeted"),
        *estimate_columns("a relative change a year (0.02 is 2% more a year; -0.01 is 1% less)",
                          ("0", "0", "0.084"), minimum=-0.5, maximum=MAX_TREND),
        source_column(),
    ),
    key=("level",),
    references=(Reference(("level",), "levels", ("level",)),),
    estimates=True,
)

SCENARIOS = InputKind(
    "scenarios",
    "Scenarios",
    "Named sets of changes to the inputs, each run beside the baseline. One row is one change.",
    (
        Column("scenario", "text", "Name of the scenario the change belongs to (100 characters at most; not "
               "baseline, which is the model with no scenario).", "retention"),
        Column("input", "text", "The input to change, e.g. workforce, levels, role_mix, prevalence_trends.",
               "workforce"),
        Column("column", "text", "The numeric column to change, e.g. leaver_rate, joiners_per_year, coverage, "
               "share.", "leaver_rate"),
        Column("where", "text", "Which rows: 'column=value' pairs separated by ';' (blank for every row).",
               "role=mh_practitioner", required=False, blank_ok=True, default=""),
        Column("operation", "enum", "set, add or multiply the value; move shifts a role-mix share to to_role; "
               "commission adds an intervention's staff for a gap from the year given as the value.",
               "add", allowed=OPERATIONS),
        Column("value", "number", "The value to set, add, multiply by, or move.", "-0.03",
               minimum=-MAX_SCENARIO_VALUE, maximum=MAX_SCENARIO_VALUE),
        Column("to_role", "text", "For move: the role that takes the share.", "", required=False, blank_ok=True,
               default=""),
        Column("description", "text", "What the change is, in words.", "Leaver rate 3 points lower",
               required=False, blank_ok=True, default=""),
        source_column(),
    ),
    # to_role is in the key so that one scenario can move shares of the same rows to two roles (issue 17). value is
    # not: two rows alike but for their value are one change written twice (a pasted row, an edit half done), and
    # as two keys they would stack (+0.03 and +0.03 is +0.06) without a word; a change meant as the sum is one row.
    key=("scenario", "input", "column", "where", "operation", "to_role"),
)

# the inputs and value columns a correlation may name: those drawn between a low and a high value
CORRELATED = {"prevalence": ("central",), "prevalence_trends": ("central",), "group_risks": ("central",),
              "pathway_steps": ("central",), "workforce": ("leaver_rate", "joiners_per_year")}


def _reference_columns(prefix: str, which: str, example: tuple[str, str, str]) -> tuple[Column, ...]:
    return (
        Column(f"{prefix}input", "enum", f"The {which} input: " + ", ".join(CORRELATED) + ".", example[0],
               allowed=tuple(CORRELATED)),
        Column(f"{prefix}where", "text", f"Which row of the {which} input: 'column=value' pairs separated by ';' "
               "that pick out exactly one row.", example[1]),
        Column(f"{prefix}column", "text", f"The {which} input's value column: central (blank), or for the "
               "workforce leaver_rate or joiners_per_year.", example[2], required=False, blank_ok=True,
               default="central"),
    )


CORRELATIONS = InputKind(
    "correlations",
    "Correlations",
    "Rank correlations between uncertain inputs: in the Monte Carlo draws, two named rows move together "
    "(rho above 0) or against each other (below 0), each keeping its own low, central and high.",
    (
        *_reference_columns("", "first", ("prevalence", "level=tertiary;age_from=12", "")),
        *_reference_columns("with_", "second", ("prevalence", "level=targeted;age_from=12", "")),
        Column("rho", "number", "Spearman's rank correlation, from -1 to 1.", "0.5", minimum=-1, maximum=1),
        source_column(),
    ),
    key=("input", "where", "column", "with_input", "with_where", "with_column"),
)

# staff age bands and their widths in years (a share 1 ÷ width moves up a band each year); staff are taken to
# start work at 20, so the youngest band is ten years wide; the oldest band moves nowhere
AGE_BANDS = ("under_30", "30_to_44", "45_to_54", "55_to_59", "60_plus")
BAND_YEARS = {"under_30": 10, "30_to_44": 15, "45_to_54": 10, "55_to_59": 5, "60_plus": None}
# the age profile of joiners from training when the input does not give one: trainees are young
TRAINEE_PROFILE = {"under_30": 0.6, "30_to_44": 0.4, "45_to_54": 0.0, "55_to_59": 0.0, "60_plus": 0.0}

WORKFORCE_AGES = InputKind(
    "workforce_ages",
    "Workforce by age band",
    "The workforce census by staff age band: each row's share of FTE in post in a band, with that band's "
    "retirement and leaver rates and the age profile of joiners. Replaces the share aged 55+ ÷ 10 rule for "
    "the census rows it covers.",
    (
        Column("area", "code", "Area code, as in the workforce census.", "E10999999"),
        Column("role", "text", "Role, as in the workforce census.", "mh_practitioner"),
        Column("sector", "enum", "Employing sector, as in the workforce census.", "NHS", allowed=SECTORS),
        Column("band", "enum", "Age band: " + ", ".join(AGE_BANDS) + ".", "55_to_59", allowed=AGE_BANDS),
        Column("share", "share", "Share of the row's FTE in post in this band; a row's bands sum to 1.", "0.12",
               maximum=1),
        Column("retirement_rate", "share", "Share of this band's FTE in post who retire in a year.", "0.15",
               required=False, blank_ok=True, default="0", maximum=1),
        Column("leaver_rate", "share", "Share of this band's FTE in post who leave in a year (not counting "
               "retirement); blank means the census row's leaver rate. Moves with the row's leaver range.", "",
               required=False, blank_ok=True, maximum=1),
        Column("joiner_share", "share", "Share of other joiners and recruits who are in this band; blank for all "
               "of a row's bands means the census's own shares.", "", required=False, blank_ok=True, maximum=1),
        Column("trainee_share", "share", "Share of joiners from training who are in this band; blank for all of "
               "a row's bands means 0.6 under 30 and 0.4 aged 30–44.", "", required=False, blank_ok=True,
               maximum=1),
        source_column(),
    ),
    key=("area", "role", "sector", "band"),
    references=(Reference(("area", "role", "sector"), "workforce", ("area", "role", "sector")),),
)

MOVE_SECTORS = (*SECTORS, "agency")

SECTOR_FLOWS = InputKind(
    "sector_flows",
    "Flows between sectors",
    "Staff moving a year between sectors (in the same area and role) and into and out of agency work, as a "
    "share of the stock they leave.",
    (
        Column("role", "text", "Role, as in the roles input.", "mh_practitioner"),
        Column("from_sector", "enum", "Sector they leave; agency means agency staff taking a post.", "NHS",
               allowed=MOVE_SECTORS),
        Column("to_sector", "enum", "Sector they join; agency means staff in post moving into agency work.",
               "voluntary", allowed=MOVE_SECTORS),
        Column("rate", "share", "Share of from_sector's FTE (in post, or agency) who move in a year.", "0.03",
               maximum=1),
        source_column(),
    ),
    key=("role", "from_sector", "to_sector"),
    references=(Reference(("role",), "roles", ("role",)),),
)

SUPPLY_KINDS = (WORKFORCE, WORKFORCE_AGES, SECTOR_FLOWS, TRAINING_PIPELINES, CASELOADS, PREVALENCE_TRENDS, SCENARIOS,
                CORRELATIONS)
