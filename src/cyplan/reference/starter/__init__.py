"""National starting values: published figures a new workspace can start from (`cyplan init --starter NAME`).

Each starter is a folder of inputs in the shapes `cyplan import` reads; every row's source cites the publication
and starts with MARK, so the views can say where a national value stands in for a local one. Values with no
published figure are left out (england/README.md says which); `to-complete/` holds inputs that cannot be loaded
until the user fills in what no publication gives (e.g. the roles' direct work share).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polars as pl

HERE = Path(__file__).parent
STARTERS = {"england": HERE / "england"}
MARK = "National starting value: replace with local data."
NOTE = "national starting value: replace with local data"  # how the views say it, beside the value


def inputs(name: str) -> list[Path]:
    """The starter's loadable inputs, one CSV per input kind."""
    return sorted(STARTERS[name].glob("*.csv"))


def to_complete(name: str) -> list[Path]:
    """The starter's inputs with blanks a user must fill before importing them."""
    return sorted((STARTERS[name] / "to-complete").glob("*.csv"))


@cache
def national_prevalence(name: str = "england") -> pl.DataFrame:
    """The starter's prevalence rows (age_from, age_to, sex, central, source): the national rate the sanity
    checks compare a workspace's prevalence with. The same file `init --starter` loads: one definition."""
    frame = pl.read_csv(STARTERS[name] / "prevalence.csv", schema_overrides={"central": pl.Float64})
    return frame.select("level", "age_from", "age_to", "sex", "central", "source")


@cache
def national_workforce(name: str = "england") -> dict[str, object] | None:
    """The national FTE in post per children of an age range that the sanity check compares an area's census with
    (checks/workforce_per_children.csv: value, per_children, age_from, age_to, period, source, name), or None."""
    path = STARTERS[name] / "checks" / "workforce_per_children.csv"
    if not path.exists():
        return None
    rows = pl.read_csv(path).filter(pl.col("measure") == "fte_in_post").to_dicts()
    return rows[0] if rows else None


def marked(frame: pl.DataFrame) -> bool:
    """Whether any row of an input is a national starting value (its source starts with MARK)."""
    # a null source is no mark (any() passes over nulls); an empty input asks Polars nothing (47 inputs are asked at
    # every `cyplan need`, issue 17 part 3)
    return "source" in frame.columns and frame.height > 0 and bool(frame["source"].str.starts_with(MARK).any())
