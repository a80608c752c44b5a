"""The referral-returns inputs: the area's population by the categories of a returns field, for the
equality view (`cyplan returns equality --by ethnicity`). The records themselves are not an input kind:
they have their own import (docs/returns.md)."""

from cyplan.returns.fields import CATEGORICAL
from cyplan.schema.columns import MAX_PEOPLE, Column, InputKind, Reference, source_column

# every coded field of a referral record a population can be counted by: a service has no population
POPULATION_FIELDS = tuple(f for f in CATEGORICAL if f != "service")

POPULATION_GROUPS = InputKind(
    "population_groups",
    "Population by category",
    "Resident population by the categories of a referral-returns field (ethnicity, religion, gender, …), for "
    "referral rates by category.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("year", "integer", "Calendar year of the count.", "2025", minimum=1990, maximum=2100),
        Column("field", "enum", "The referral-returns field the categories are of.", "ethnicity",
               allowed=POPULATION_FIELDS),
        Column("category", "text", "A category of that field's code list (case and spaces at either end do not "
               "count; an alias on the list means its category).", "White British"),
        Column("count", "number", "Number of people in the category (estimates may be fractional).", "165600",
               minimum=0, maximum=MAX_PEOPLE),
        source_column(),
    ),
    key=("area", "year", "field", "category"),
    references=(Reference(("area",), "areas", ("code",)),),
)

REFERRAL_COUNTS = InputKind(
    "referral_counts",
    "Referral counts by area",
    "Each area's accepted referrals in a year, as the area published them, for comparing referral rates between "
    "areas (the comparison page, 'cyplan compare'): the referral records carry no area, so a workspace of several "
    "areas takes the counts from here.",
    (
        Column("area", "code", "Area code, as in the areas input.", "E10999999"),
        Column("year", "integer", "The year the count covers (12 months), compared with the plan's year of the "
               "same number.", "2025", minimum=1990, maximum=2100),
        Column("referrals", "integer", "Accepted referrals in that year.", "2100", minimum=0, maximum=MAX_PEOPLE),
        source_column(),
    ),
    key=("area", "year"),
    references=(Reference(("area",), "areas", ("code",)),),
)

RETURNS_KINDS = (POPULATION_GROUPS, REFERRAL_COUNTS)
