"""Closing a gap with an intervention (issue 15): the interventions of the evidence library that fit each gap of
the services action list, and what delivering one would take — people to reach, FTE by role and cost — on
the model's own draws, so that its 90% interval carries the need model's and the roles' uncertainty.

Pure and vectorised: every (gap, intervention) pair is worked out at once, as arrays over pairs, roles and
draws. The FTE and cost arithmetic is the demand model's (model/demand.py): hours ÷ the productive hours one
FTE gives, staff planned by ratio added (build.with_ratios), FTE × the role's full cost per FTE.
docs/method.md, "Closing a gap with an intervention", states every rule in words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from cyplan.model.build import with_ratios
from cyplan.model.uncertainty import summarise

UNIVERSAL = "universal"
GROUP_LEVELS = ("targeted", "specialist")  # an intervention that can reach a vulnerable group's children
SUMMARY_SCHEMA = {"intervention": pl.String, "strength": pl.Int64, "cost": pl.Int64, "ratings_text": pl.String,
                  "no_benefit": pl.Boolean}


# -- which interventions fit a gap ---------------------------------------------------------------


def fitting(actions: pl.DataFrame, interventions: pl.DataFrame, cells: pl.DataFrame, groups: pl.DataFrame,
            summary: pl.DataFrame, bands: pl.DataFrame) -> pl.DataFrame:
    """Each cell and band × group gap of the action list (model.services.actions) with the interventions that
    address it, in the action list's order, and within a gap strongest evidence first: rated before unrated,
    then by common strength, then cheapest first; an intervention whose evidence found no benefit (NE) last.

    A cell gap fits the interventions listing that exact cell (band, level, provision). A band × group gap fits
    the interventions serving the group whose age range overlaps the band's ages and whose level is targeted
    or specialist. `bands` is the age bands input (band, age_from, age_to). Columns: rank, kind, item, band,
    level (the cell's; the group gap's 'targeted'), provision, group, covered, intervention, name,
    intervention_level, strength, cost, ratings_text, no_benefit, fit (1 = first choice within the gap)."""
    gaps = _gaps(actions)
    by_cell = gaps.filter(pl.col("kind") == "cell").join(
        cells.select("intervention", "band", "level", "provision"), on=["band", "level", "provision"])
    ages = bands.select("band", pl.col("age_from").alias("band_from"), pl.col("age_to").alias("band_to"))
    serving = groups.select("intervention", "group").join(
        interventions.filter(pl.col("level").is_in(GROUP_LEVELS)).select("intervention", "age_from", "age_to"),
        on="intervention")
    by_group = (gaps.filter(pl.col("kind") == "group").join(ages, on="band").join(serving, on="group")
                .filter((pl.col("age_from") <= pl.col("band_to")) & (pl.col("age_to") >= pl.col("band_from")))
                .select(by_cell.columns))
    fits = pl.concat([by_cell, by_group]).join(
        interventions.select("intervention", "name", pl.col("level").alias("intervention_level")), on="intervention")
    fits = fits.join(summary.select(*SUMMARY_SCHEMA), on="intervention", how="left").with_columns(
        pl.col("no_benefit").fill_null(False),
        pl.when(pl.col("ratings_text").fill_null("") == "").then(pl.lit("not rated")).otherwise("ratings_text")
        .alias("ratings_text"))  # the summary gives "" for an intervention with no rating row: shown, not blank
    order = [pl.col("no_benefit"), pl.col("strength").is_null(), -pl.col("strength").fill_null(0),
             pl.col("cost").is_null(), pl.col("cost").fill_null(0), pl.col("intervention")]
    fits = fits.sort(["rank", *order])
    return fits.with_columns(pl.int_range(1, pl.len() + 1).over("rank").alias("fit"))


def _gaps(actions: pl.DataFrame) -> pl.DataFrame:
    """The cell and band × group gaps, their item split into level and provision or group."""
    parts = pl.col("item").str.split(" / ")
    return actions.filter(pl.col("kind").is_in(["cell", "group"])).select(
        "rank", "kind", "item", "band",
        pl.when(pl.col("kind") == "cell").then(parts.list.get(1)).otherwise(pl.lit("targeted")).alias("level"),
        pl.when(pl.col("kind") == "cell").then(parts.list.get(2)).alias("provision"),
        pl.when(pl.col("kind") == "group").then(parts.list.get(1)).alias("group"),
        "covered")


# -- what delivering it takes --------------------------------------------------------------------


def hours_per_case(delivery: pl.DataFrame) -> pl.DataFrame:
    """intervention, role, hours_per_case: as given, or for a group programme hours per session × sessions ÷
    group size (each member of the group is a case)."""
    group = pl.col("hours_per_session") * pl.col("sessions") / pl.col("group_size")
    return delivery.select("intervention", "role",
                           pl.coalesce(pl.col("hours_per_case").cast(pl.Float64), group).fill_null(0.0)
                           .alias("hours_per_case"))


@dataclass(frozen=True)
class Reach:
    """Whom a gap's interventions are for, by age band, over any trailing axes (`...`) the caller keeps —
    e.g. (draw,) for one year, every area together, or (area, year, draw) for a scenario. The last axis is
    always the draw (length 1 where a figure is not drawn)."""

    bands: tuple[str, ...]
    groups: tuple[str, ...]
    cases: np.ndarray  # [band, ...]: cases of need, every level together
    population: np.ndarray  # [band, ...]
    group_size: np.ndarray  # [group, band, ...]: the group's children in the band


def people(pairs: pl.DataFrame, reach: Reach) -> np.ndarray:
    """People to reach a year for each (gap, intervention) pair [pair, ...]: for a universal cell the band's
    population, for a targeted cell the band's cases of need, for a band × group gap the group's children in
    the band — each × the share of the area not yet covered (1 − covered)."""
    band = pairs["band"].replace_strict({b: i for i, b in enumerate(reach.bands)}, return_dtype=pl.Int64).to_numpy()
    group = pairs["group"].fill_null("").replace_strict({g: i for i, g in enumerate(reach.groups)}, default=0,
                                                        return_dtype=pl.Int64).to_numpy()
    kind, level = pairs["kind"].to_numpy(), pairs["level"].to_numpy()
    rest = np.broadcast_shapes(reach.cases.shape[1:], reach.population.shape[1:], reach.group_size.shape[2:])
    sizes = reach.group_size if len(reach.groups) else np.zeros((1, *reach.group_size.shape[1:]))
    whom = np.where(_expand(kind == "group", rest), sizes[group, band],
                    np.where(_expand(level == UNIVERSAL, rest), reach.population[band], reach.cases[band]))
    return whom * _expand(1.0 - pairs["covered"].to_numpy().astype(float), rest)


def _expand(values: np.ndarray, rest: tuple[int, ...]) -> np.ndarray:
    return values.reshape(len(values), *(1,) * len(rest))


@dataclass(frozen=True)
class Staffing:
    """What the roles' time costs and gives: the demand model's figures, as on the Simulation."""

    roles: tuple[str, ...]
    productive: np.ndarray  # [draw or 1, role]: hours of direct work a year one FTE gives
    cost_per_fte: np.ndarray  # [role]
    ratio: np.ndarray | None = None  # [role, role]: FTE planned by ratio (team leaders, administrators)


@dataclass(frozen=True)
class Requirements:
    """Per (gap, intervention) pair: people to reach [pair, ...], FTE [pair, ..., role] and cost [pair, ...]."""

    people: np.ndarray
    fte: np.ndarray
    cost: np.ndarray


def per_case(pairs: pl.DataFrame, delivery: pl.DataFrame, roles: tuple[str, ...]) -> np.ndarray:
    """Hours per case of each pair's intervention by role [pair, role] (0 for a role it does not use)."""
    table = hours_per_case(delivery).filter(pl.col("role").is_in(roles))
    wide = (pairs.select("intervention").with_row_index("pair")
            .join(table, on="intervention", how="inner")
            .with_columns(pl.col("role").replace_strict({r: i for i, r in enumerate(roles)}, return_dtype=pl.Int64)))
    out = np.zeros((pairs.height, len(roles)))
    np.add.at(out, (wide["pair"].to_numpy().astype(np.int64), wide["role"].to_numpy()),
              wide["hours_per_case"].to_numpy())
    return out


def requirements(pairs: pl.DataFrame, delivery: pl.DataFrame, interventions: pl.DataFrame, reach: Reach,
                 staff: Staffing) -> Requirements:
    """FTE(role) = people × hours per case(role) ÷ the role's productive hours (draw by draw), with the staff
    planned by ratio to it; cost = Σ FTE × cost per FTE + people × the intervention's cost per case."""
    reached = people(pairs, reach)  # [pair, ..., draw]
    hours = per_case(pairs, delivery, staff.roles)  # [pair, role]
    shape = (pairs.height, *(1,) * (reached.ndim - 1), len(staff.roles))
    fte = with_ratios(reached[..., None] * hours.reshape(shape) / staff.productive, staff.ratio)
    case_cost = (pairs.select("intervention").join(
        interventions.select("intervention", "cost_per_case"), on="intervention", how="left", maintain_order="left")
        ["cost_per_case"].cast(pl.Float64).fill_null(0.0).to_numpy())
    cost = fte @ staff.cost_per_fte + reached * _expand(case_cost, reached.shape[1:])
    return Requirements(reached, fte, cost)


def summary_table(pairs: pl.DataFrame, req: Requirements, roles: tuple[str, ...]) -> pl.DataFrame:
    """The pairs with people, each role's FTE and the cost: median (central) and 5th and 95th percentiles over the
    draws (the last axis of people and cost, the one before the role of FTE), plus FTE in all. One-year,
    every-area requirements: people [pair, draw]."""
    cols: dict[str, np.ndarray] = {}
    for name, values in (("people", req.people), ("cost", req.cost), ("fte", req.fte.sum(axis=-1))):
        p5, p50, p95 = summarise(values, axis=-1)
        cols |= {name: p50, f"{name}_p5": p5, f"{name}_p95": p95}
    p5, p50, p95 = summarise(req.fte, axis=-2)  # [pair, role]
    for i, role in enumerate(roles):
        cols |= {f"fte_{role}": p50[:, i], f"fte_{role}_p5": p5[:, i], f"fte_{role}_p95": p95[:, i]}
    return pairs.with_columns(pl.Series(k, v, dtype=pl.Float64) for k, v in cols.items())


def added_demand(pairs: pl.DataFrame, from_year: np.ndarray, delivery: pl.DataFrame, interventions: pl.DataFrame,
                 reach: Reach, staff: Staffing, years: tuple[int, ...]) -> np.ndarray:
    """The FTE the chosen (gap, intervention) pairs add to demand [area, year, role, draw], each from its year
    on. `reach` is by (area, year, draw): its arrays [band, area, year, draw] (population and groups with a draw
    axis of 1)."""
    fte = requirements(pairs, delivery, interventions, reach, staff).fte  # [pair, area, year, draw, role]
    on = (np.asarray(years)[None, :] >= from_year[:, None]).astype(float)  # [pair, year]
    return np.einsum("paydr,py->ayrd", fte, on)


# -- in words ------------------------------------------------------------------------------------


def gap_words(kind: str, item: str, group_label: str = "") -> str:
    """'early years parenting support' for a cell gap, 'early years gap for looked after children' …"""
    parts = [p.replace("_", " ") for p in item.split(" / ")]
    if kind == "group":
        return f"{parts[0]} gap for {_lower(group_label or parts[1])}"
    return f"{parts[0]} {parts[-1]} gap"


def _lower(label: str) -> str:
    """A label's first letter in lower case, unless its first word is an abbreviation (CAMHS, SENCO)."""
    first = label.split(" ")[0]
    return label if len(first) > 1 and first.isupper() else label[:1].lower() + label[1:]


def _plural(label: str) -> str:
    """'family support workers'; 'specialist therapists (family …)': the s before any bracket."""
    head, bracket, tail = _lower(label).partition(" (")
    head = head if head.endswith("s") else head + "s"
    return head + bracket + tail


def money(pounds: float, unit: float | None = None) -> str:
    """£0.6m at £100,000 and above (one decimal of a million), else £ to the pound rounded to £1,000."""
    unit = unit if unit is not None else (1e6 if pounds >= 1e5 else 1.0)
    return f"£{pounds / 1e6:,.1f}m" if unit == 1e6 else f"£{round(pounds, -3):,.0f}"


def sentence(gap: str, intervention: str, roles: list[tuple[str, float]], fte: tuple[float, float],
             cost: float, cost_interval: tuple[float, float]) -> str:
    """'The early years parenting support gap, closed with Incredible Years: 12.3 more family support workers,
    £0.6m a year (90% interval 10.1–14.8 FTE, £0.5m–£0.7m).' `roles`: (label, central FTE) of each role with
    any FTE, largest first; `fte`: the 90% interval of the FTE in all (said 'in all' when there are several
    roles); costs in pounds a year. The cost's interval is in the central figure's unit."""
    staff = [f"{v:,.1f} more {_plural(label)}" for label, v in roles if round(v, 1) > 0]
    said = (", ".join(staff[:-1]) + " and " + staff[-1] if len(staff) > 1 else staff[0]) if staff \
        else "no more staff"
    unit = 1e6 if cost >= 1e5 else 1.0
    in_all = " in all" if len(staff) > 1 else ""
    return (f"The {gap}, closed with {intervention}: {said}, {money(cost, unit)} a year (90% interval "
            f"{fte[0]:,.1f}–{fte[1]:,.1f} FTE{in_all}, {money(cost_interval[0], unit)}–"
            f"{money(cost_interval[1], unit)}).")
