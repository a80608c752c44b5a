"""What an input kind is: its columns, their types and checks, its key and references."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["text", "integer", "number", "share", "enum", "code"]

AGES = tuple(range(26))  # single years of age 0–25: the model's age dimension
SEXES = ("female", "male")
AREA_KINDS = ("council", "ICB", "place", "region", "custom")
ESTIMATES = ("low", "central", "high")

# Bounds on numbers with no natural limit: far above any real value, low enough that no sum or product the
# model makes of them overflows (1e308 people once gave "demand is nan FTE"). docs/data-formats.md lists them.
MAX_PEOPLE = 100_000_000  # a count of people: more than the UK's population
MAX_FTE = 1_000_000  # staff or FTE in one row: more than the NHS in England employs in any one role
MAX_SALARY = 10_000_000  # pounds a year for one FTE
MAX_FUNDING = 1_000_000_000  # pounds a year for one service
MAX_HOURS_PER_CASE = 100_000  # hours a year: more than ten staff working round the clock for one case
MAX_RELATIVE_RISK = 1_000
MAX_TREND = 1  # a relative change a year: 1 doubles prevalence every year
MAX_ORDER = 999  # position of a pathway step
MAX_SCENARIO_VALUE = 1_000_000_000  # a scenario's value, either way: as large as any value it may set


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    example: str
    required: bool = True  # must the column be in the file?
    blank_ok: bool = False  # may a cell be blank?
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False  # strictly greater than minimum
    default: str | None = None  # the value of a blank cell, or of an absent optional column
    date: bool = False  # text holding a day: read as YYYY-MM-DD or the UK's dd/mm/yyyy, kept as YYYY-MM-DD


@dataclass(frozen=True)
class Reference:
    """Columns of one kind that must name a row of another kind, by that kind's key."""

    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]


@dataclass(frozen=True)
class InputKind:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    estimates: bool = False  # has low / central / high columns, low <= central <= high
    age_range: bool = False  # has age_from / age_to columns, age_from <= age_to
    order: tuple[str, ...] = ()  # how rows are listed and exported (default: by key)
    ranges: tuple[tuple[str, str, str], ...] = ()  # (value, low, high) columns besides low/central/high

    def range_of(self, column: str) -> tuple[str, str] | None:
        """The (low, high) columns that go with a value column, if it has them."""
        if self.estimates and column == "central":
            return ("low", "high")
        return next(((lo, hi) for value, lo, hi in self.ranges if value == column), None)

    @property
    def order_by(self) -> tuple[str, ...]:
        return self.order or self.key

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def source_column() -> Column:
    return Column(
        "source",
        "text",
        "Where the figure comes from: a publication, a local dataset or 'local assumption'.",
        "Segal et al. 2018 (seed 000)",
        required=False,
        blank_ok=True,
        default="",
    )


def estimate_columns(unit: str, example: tuple[str, str, str], maximum: float | None = None,
                     minimum: float | None = 0) -> tuple[Column, ...]:
    kind: ColumnType = "share" if unit == "share" else "number"
    what = "a share from 0 to 1 (16% or 0.16)" if kind == "share" else unit
    return (
        Column("low", kind, f"Low estimate, {what}; blank means the central value.", example[0],
               required=False, blank_ok=True, minimum=minimum, maximum=maximum),
        Column("central", kind, f"Central estimate, {what}.", example[1], minimum=minimum, maximum=maximum),
        Column("high", kind, f"High estimate, {what}; blank means the central value.", example[2],
               required=False, blank_ok=True, minimum=minimum, maximum=maximum),
    )


def age_range_columns(example: tuple[str, str]) -> tuple[Column, ...]:
    return (
        Column("age_from", "integer", "First single year of age in the range (0–25).", example[0],
               minimum=0, maximum=25),
        Column("age_to", "integer", "Last single year of age in the range (0–25), inclusive.", example[1],
               minimum=0, maximum=25),
    )
