"""Statistical neighbours (issue 16 part 2): indicators describing each area, the weight each indicator carries,
and a published list of neighbours (DfE's children's services statistical neighbours, CIPFA's, ONS's).

When a published list names an area's neighbours it is used as given; otherwise they are computed from the
indicators (model/neighbours.py, docs/method.md).
"""

from cyplan.schema.columns import MAX_ORDER, MAX_SCENARIO_VALUE, Column, InputKind, Reference, source_column

MAX_WEIGHT = 1_000  # an indicator's weight: a thousand times another's is already all of the distance
# words the neighbours' table uses for its own columns: an indicator of one of these names would clash with them
RESERVED_INDICATORS = ("neighbour", "rank", "distance")

AREA_REF = Reference(("area",), "areas", ("code",))

AREA_INDICATORS = InputKind(
    "area_indicators",
    "Area indicators",
    "Figures that describe each area — deprivation, children in need per 10,000, population density … — from "
    "which statistical neighbours are computed. Each indicator is standardised across the areas of the same "
    "kind, so its units do not matter.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("indicator", "text", "Short name of the indicator, the same for every area.",
               "children_in_need_per_10k"),
        Column("year", "integer", "The year the figure is for; each area's latest year is used.", "2024",
               minimum=1990, maximum=2100),
        Column("value", "number", "The figure, in the indicator's own units.", "342.5",
               minimum=-MAX_SCENARIO_VALUE, maximum=MAX_SCENARIO_VALUE),
        source_column(),
    ),
    key=("area", "indicator", "year"),
    references=(AREA_REF,),
)

INDICATOR_WEIGHTS = InputKind(
    "indicator_weights",
    "Indicator weights",
    "How much each indicator counts in the distance between two areas; an indicator not listed has weight 1, "
    "and weight 0 leaves it out.",
    (
        Column("indicator", "text", "Indicator, as in the area indicators input.", "children_in_need_per_10k"),
        Column("weight", "number", "Its weight: 0 or more (2 counts its squared difference twice).", "2",
               minimum=0, maximum=MAX_WEIGHT),
        source_column(),
    ),
    key=("indicator",),
)

STATISTICAL_NEIGHBOURS = InputKind(
    "statistical_neighbours",
    "Statistical neighbours",
    "A published list of each area's statistical neighbours, nearest first (DfE's children's services statistical "
    "neighbours, CIPFA's nearest neighbours, ONS's). For an area it lists, it is used instead of computing them.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("neighbour", "code", "A neighbour's code, as in the areas input.", "E10999998"),
        Column("rank", "integer", "Its place in the list: 1 is the nearest.", "1", minimum=1, maximum=MAX_ORDER),
        source_column(),
    ),
    key=("area", "neighbour"),
    references=(AREA_REF, Reference(("neighbour",), "areas", ("code",))),
    order=("area", "rank"),
)

AREAS_KINDS = (AREA_INDICATORS, INDICATOR_WEIGHTS, STATISTICAL_NEIGHBOURS)
