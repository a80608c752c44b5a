"""Past workforce census snapshots, for the back-test (`cyplan supply backtest`): the workforce census's columns
for several past years, each row with its year."""

from cyplan.schema.columns import Column, InputKind, Reference
from cyplan.schema.supply import WORKFORCE

# the census's columns a snapshot has, named here (not taken as 'all of them') so that a column added to the census
# later does not change this input's table without a migration of its own
SNAPSHOT_COLUMNS = ("area", "role", "sector", "headcount", "fte_in_post", "fte_in_post_low", "fte_in_post_high",
                    "vacant_fte", "vacancy_fill_rate", "agency_fte", "leaver_rate", "leaver_rate_low",
                    "leaver_rate_high", "share_aged_55_plus", "retirement_rate", "joiners_per_year", "joiners_low",
                    "joiners_high", "cyp_share", "cyp_share_low", "cyp_share_high", "source")
MIN_SNAPSHOT_YEAR, MAX_SNAPSHOT_YEAR = 1990, 2100

_YEAR = Column("year", "integer", "The year of the census snapshot. The earliest year's rows are projected "
               "forward and compared with each later year's.", "2022", minimum=MIN_SNAPSHOT_YEAR,
               maximum=MAX_SNAPSHOT_YEAR)
_census = [WORKFORCE.column(name) for name in SNAPSHOT_COLUMNS]

WORKFORCE_HISTORY = InputKind(
    "workforce_history",
    "Past workforce census snapshots",
    "The workforce census as it stood in several past years, one row per area, role, sector and year: the back-test "
    "projects the earliest year's census with the supply model and compares it with the later years' FTE in post.",
    (*_census[:3], _YEAR, *_census[3:]),
    key=("area", "role", "sector", "year"),
    references=(Reference(("area",), "areas", ("code",)), Reference(("role",), "roles", ("role",))),
    ranges=WORKFORCE.ranges,
)

BACKTEST_KINDS = (WORKFORCE_HISTORY,)
