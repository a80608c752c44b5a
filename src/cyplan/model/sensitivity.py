"""Which inputs drive a result (issue 16 part 5): the uncertain inputs named in users' words, each draw's values
set from a matrix of levels (no random numbers), and the measure read off the simulation.

An *input* here is one row of an input with a range: prevalence of tertiary need at 12–17, the leaver rate of
NHS mental health practitioners. A row that holds an area (the workforce census, the training pipelines) is the
same input in every area: one column of the levels moves it in each area chosen, so that one run over many areas
gives each area's own analysis (the model's areas do not touch each other). A level is a cumulative probability
u in [0, 1] taken through the row's triangular (low, central, high) inverse CDF — u = 0 is the low value, 1 the
high — or NaN for the central value. The Sobol sampling, the batches and the engine that runs them are outside
model/ (cyplan.sweep); this module is pure and vectorised over the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from cyplan.model.build import empty
from cyplan.model.simulate import Simulation, _ordered, simulate
from cyplan.model.supply import with_caseload_shares
from cyplan.model.uncertainty import _triangular_unit
from cyplan.schema import KINDS

Measure = Literal["gap", "cost"]

# (input, value column) as simulate() draws them, and how an input is named: `{…}` are the row's labels
DRAWN: dict[tuple[str, str], str] = {
    ("prevalence", "central"): "{level} prevalence at {ages}{sex}",
    ("prevalence_trends", "central"): "trend in {level} prevalence",
    ("group_risks", "central"): "relative risk of {level} need for {group}",
    ("pathway_steps", "central"): "hours a case of {step} ({level})",
    ("need_shares", "central"): "share of {need} ({status}) at {level} level",
    ("workforce", "leaver_rate"): "leaver rate of {role}{sector}",
    ("workforce", "joiners_per_year"): "joiners a year of {role}{sector}",
    ("workforce", "fte_in_post"): "FTE in post of {role}{sector}",
    ("workforce", "cyp_share"): "share of the time of {role}{sector} for this population",
    ("training_pipelines", "completion_rate"): "completion rate of training for {role}{sector} from {start_year}",
    ("training_pipelines", "share_taking_post_here"): "share of trainees taking a post here, {role}{sector} from "
                                                      "{start_year}",
    ("roles", "direct_work_share"): "direct work share of {role}",
    ("roles", "sickness_days"): "sickness days a year of {role}",
}


@dataclass(frozen=True)
class Factor:
    """One uncertain input: its rows (in the order simulate draws them) and each row's area (-1: every area's)."""

    kind: str
    column: str
    name: str
    rows: np.ndarray
    areas: np.ndarray
    low: np.ndarray
    central: np.ndarray
    high: np.ndarray

    def in_area(self, area: int) -> bool:
        """Whether this input is uncertain in the area with index `area`."""
        here = (self.areas == area) | (self.areas < 0)
        return bool((self.high[here] > self.low[here]).any())


def factors(frames: dict[str, pl.DataFrame], areas: Sequence[str], labels: dict[str, dict[str, str]]) -> list[Factor]:
    """The inputs with a range (low below high) in any of `areas` (area codes), each once, in the order the model
    draws them."""
    frames = {k: frames[k] if k in frames else empty(k) for k in KINDS}
    frames["workforce"] = with_caseload_shares(frames["workforce"], frames["caseloads"])
    out = []
    for (kind, column), template in DRAWN.items():
        frame = _ordered(frames, kind).with_row_index("_row")
        if "area" in frame.columns:
            frame = frame.filter(pl.col("area").is_in(list(areas)))
        if frame.is_empty():
            continue
        low, high = KINDS[kind].range_of(column) or (column, column)
        frame = frame.with_columns(pl.col(low).fill_null(pl.col(column)).alias("_low"),
                                   pl.col(high).fill_null(pl.col(column)).alias("_high"))
        for rows in frame.partition_by([c for c in KINDS[kind].key if c != "area"], maintain_order=True):
            if not (rows["_high"] > rows["_low"]).any():
                continue
            where = [list(areas).index(a) for a in rows["area"]] if "area" in rows.columns else [-1] * rows.height
            out.append(Factor(kind, column, _name(template, rows.row(0, named=True), labels),
                              rows["_row"].to_numpy(), np.asarray(where), rows["_low"].to_numpy().astype(float),
                              rows[column].to_numpy().astype(float), rows["_high"].to_numpy().astype(float)))
    return out


def _name(template: str, row: dict, labels: dict[str, dict[str, str]]) -> str:
    """An input in users' words: its level, group and role by their labels, ages as 12–17."""
    def label(kind: str, code: str) -> str:
        return labels.get(kind, {}).get(code, code)

    sector = f" ({row['sector']})" if row.get("sector") else ""
    role = plural(label("role", row["role"])) if "role" in row else ""
    sex = f", {row['sex']}" if row.get("sex") not in (None, "all") else ""
    ages = f"{row['age_from']}–{row['age_to']}" if "age_from" in row else ""
    return template.format(level=_lower(label("level", row.get("level", ""))), group=_lower(label("group", row.get(
        "group", ""))), ages=ages, sex=sex, step=row.get("step", ""), need=row.get("need", ""),
        status=row.get("status", ""), role=role, sector=sector, start_year=row.get("start_year", ""))


def _lower(label: str) -> str:
    """A label as it reads inside a sentence: its first letter small, unless the first word is an acronym."""
    first = label.split(" ", 1)[0]
    return label if len(first) > 1 and first.isupper() else label[:1].lower() + label[1:]


def plural(label: str) -> str:
    """A role's label for many people: 'Mental health practitioner' → 'mental health practitioners' (the word
    before any bracket or ' or ' made plural)."""
    text = _lower(label)
    head, bracket, tail = text.partition(" (")
    parts = head.split(" or ")
    parts = [p if p.endswith("s") or p.endswith("staff") else p + "s" for p in parts]
    return " or ".join(parts) + (bracket + tail if bracket else "")


def only_areas(frames: dict[str, pl.DataFrame], codes: Sequence[str]) -> dict[str, pl.DataFrame]:
    """The inputs of these areas alone (every input without an area as it is): the model's areas do not touch
    each other, so one area's measure is the same run with or without the rest, in a 153rd of the time."""
    keep = list(codes)
    out = {k: f.filter(pl.col("area").is_in(keep)) if "area" in f.columns else f for k, f in frames.items()}
    if "areas" in out:
        out["areas"] = out["areas"].filter(pl.col("code").is_in(keep))
    return out


def centrals(frames: dict[str, pl.DataFrame]) -> dict[tuple[str, str], np.ndarray]:
    """Every drawn column's central values [rows], in the order simulate draws them."""
    frames = {k: frames[k] if k in frames else empty(k) for k in KINDS}
    frames["workforce"] = with_caseload_shares(frames["workforce"], frames["caseloads"])
    return {(kind, column): _ordered(frames, kind)[column].to_numpy().astype(float) for kind, column in DRAWN}


def given(factors_: Sequence[Factor], levels: np.ndarray, central: dict[tuple[str, str], np.ndarray]
          ) -> dict[tuple[str, str], np.ndarray]:
    """Each drawn column's values [batch, rows] from `levels` [batch, factor]: a factor's rows at the level's
    point of their own triangular distribution, or at central where the level is NaN. Columns no factor moves are
    left out (simulate() then takes their central values)."""
    out: dict[tuple[str, str], np.ndarray] = {}
    for j, f in enumerate(factors_):
        key = (f.kind, f.column)
        if key not in out:
            out[key] = np.tile(central[key], (levels.shape[0], 1))
        u = levels[:, j, None]  # [batch, 1]
        width = f.high - f.low
        mode = np.divide(f.central - f.low, width, out=np.zeros_like(width), where=width > 0)
        unit = _triangular_unit(np.nan_to_num(u, nan=0.5), mode[None])
        out[key][:, f.rows] = np.where(np.isnan(u) | (width[None] <= 0), f.central[None], f.low + unit * width)
    return out


@dataclass(frozen=True)
class Spec:
    """What is measured: the gap (FTE) or the cost to close it (£) in one year, for one role or every role
    together, in each of `areas` (indices) or their total."""

    measure: Measure
    year: int  # index into the plan's years
    areas: tuple[int, ...]
    role: int | None = None
    per_area: bool = False


def measured(sim: Simulation, spec: Spec) -> np.ndarray:
    """The measure [area or 1, draw] from a simulation: every role together is the sum over roles (the cost of
    each role's own gap, so a surplus in one role does not pay for another's gap)."""
    gap = (sim.demand - sim.total_supply)[list(spec.areas), spec.year]  # [area, role, draw]
    if spec.measure == "cost":
        gap = np.maximum(gap, 0.0) * sim.cost_per_fte[None, :, None]
    value = gap[:, spec.role] if spec.role is not None else gap.sum(axis=1)
    return value if spec.per_area else value.sum(axis=0, keepdims=True)


def evaluate(frames: dict[str, pl.DataFrame], factors_: Sequence[Factor], levels: np.ndarray, spec: Spec,
             central: dict[tuple[str, str], np.ndarray]) -> np.ndarray:
    """The measure [area or 1, batch] with each batch row's inputs at its levels: one model run, vectorised
    over the batch (the batch is the simulation's draws)."""
    sim = simulate(frames, levels.shape[0], given=given(factors_, levels, central))
    return measured(sim, spec)


def one_at_a_time(k: int) -> np.ndarray:
    """Levels [2k + 1, k]: every input central, then each input at its low (0) and its high (1) in turn."""
    levels = np.full((2 * k + 1, k), np.nan)
    levels[1 + 2 * np.arange(k), np.arange(k)] = 0.0
    levels[2 + 2 * np.arange(k), np.arange(k)] = 1.0
    return levels
