"""Turn validated input tables into the dense arrays the model works on, noting what is missing."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from cyplan.model.demand import RoleTime
from cyplan.model.need import trended
from cyplan.schema import AGES, KINDS, SEXES

Estimate = str  # "low" | "central" | "high"


@dataclass(frozen=True)
class Dims:
    areas: tuple[str, ...]
    years: tuple[int, ...]
    levels: tuple[str, ...]
    groups: tuple[str, ...]
    steps: tuple[tuple[str, str], ...]  # (level, step), in pathway order
    roles: tuple[str, ...]
    bands: tuple[str, ...]
    band_of_age: np.ndarray  # index into bands for each age 0–25
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # kind → code → label


@dataclass(frozen=True)
class Arrays:
    dims: Dims
    population: np.ndarray  # [area, year, age, sex]
    prevalence: np.ndarray  # [year, level, age, sex], with its trend
    average: np.ndarray  # [level, age, sex]: True where the prevalence is a population average
    group_size: np.ndarray  # [area, year, group, age, sex]
    relative_risk: np.ndarray  # [group, level]
    coverage: np.ndarray  # [level]
    step_level: np.ndarray  # [step] → level index
    step_hours: np.ndarray  # [step]
    mix: np.ndarray  # [step, role]
    roles: RoleTime
    warnings: tuple[str, ...]
    counted: np.ndarray | None = None  # [area, year, count group, age, sex]: children in each need count
    count_groups: tuple[tuple[str, str], ...] = ()  # (need, status) of each count group
    count_share: np.ndarray | None = None  # [count group, level]: share of the counted children at each level
    # what budgets count beyond direct clinical time (issue 12 part 4); all zero or one without those inputs
    ratio: np.ndarray | None = None  # [role, role]: FTE of the column role per FTE of the row role; None: no ratios
    case_cost: np.ndarray | None = None  # [level]: non-pay cost a year per case reached
    step_share: np.ndarray | None = None  # [step]: share of the level's cases on the step's care profile
    coverage_cells: np.ndarray | None = None  # [level, age]: coverage by age (the coverage input); None: by level
    group_coverage: np.ndarray | None = None  # [group, level, age]: coverage of a group's cases


def _index(labels: tuple[object, ...]) -> dict[object, int]:
    return {label: i for i, label in enumerate(labels)}


def codes(frame: pl.DataFrame, column: str, labels: tuple[object, ...]) -> np.ndarray:
    return frame[column].replace_strict(_index(labels), return_dtype=pl.Int64).to_numpy()


def by_age(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.int_ranges("age_from", pl.col("age_to") + 1).alias("age")).explode("age")


def empty(kind: str) -> pl.DataFrame:
    """An input with no rows, typed as the schema says."""
    types = {"integer": pl.Int64, "number": pl.Float64, "share": pl.Float64}
    return pl.DataFrame(schema={c.name: types.get(c.type, pl.String) for c in KINDS[kind].columns})


def build(frames: dict[str, pl.DataFrame], estimate: Estimate = "central") -> Arrays:
    # an input not given is an input with no rows (made only then: 47 empty frames were a tenth of `cyplan need`'s
    # model, issue 17 part 3)
    frames = {k: frames[k] if k in frames else empty(k) for k in KINDS}
    warnings: list[str] = []
    bands_frame = frames["age_bands"].sort("age_from")
    steps_frame = frames["pathway_steps"].sort(["level", "order"])
    dims = Dims(
        areas=tuple(frames["areas"]["code"]),
        years=tuple(sorted(set(frames["population"]["year"]))),
        levels=tuple(frames["levels"]["level"]),
        groups=tuple(frames["groups"]["group"]),
        steps=tuple(zip(steps_frame["level"], steps_frame["step"], strict=True)),
        roles=tuple(frames["roles"]["role"]),
        bands=tuple(bands_frame["band"]),
        band_of_age=_band_of_age(bands_frame),
        labels={k: dict(zip(frames[k][c], frames[k]["label" if k != "areas" else "name"], strict=True))
                for k, c in (("areas", "code"), ("levels", "level"), ("groups", "group"), ("roles", "role"),
                             ("age_bands", "band"))},
    )
    groupings = set(frames["areas"]["parent"].drop_nulls()) - {""}
    population = _population(frames["population"], dims, warnings, groupings)
    prevalence = trended(level_cells(frames["prevalence"], dims, frames["prevalence"][estimate]),
                         trend(frames["prevalence_trends"], dims, estimate), years_from_start(dims))
    group_size = _group_size(frames["group_sizes"], dims, population, warnings)
    relative_risk = np.ones((len(dims.groups), len(dims.levels)))
    if frames["group_risks"].height:
        rr = frames["group_risks"]
        relative_risk[codes(rr, "group", dims.groups), codes(rr, "level", dims.levels)] = rr[estimate].to_numpy()
    mix = np.zeros((len(dims.steps), len(dims.roles)))
    if frames["role_mix"].height:
        steps = pl.DataFrame({"level": [lv for lv, _ in dims.steps], "step": [st for _, st in dims.steps],
                              "i": np.arange(len(dims.steps))}, schema_overrides={"i": pl.Int64})
        rm = frames["role_mix"].join(steps, on=["level", "step"], how="inner")
        mix[rm["i"].to_numpy(), codes(rm, "role", dims.roles)] = rm["share"].to_numpy()
    step_level = codes(steps_frame, "level", dims.levels) if steps_frame.height else np.zeros(0, np.int64)
    groups = count_groups(frames["need_counts"])
    counted_levels = share_cells(frames["need_shares"], groups, dims, frames["need_shares"]["central"]).any(axis=0)
    warnings += _pathway_warnings(dims, step_level, mix, prevalence_cells(frames["prevalence"], dims,
                                                                           frames["prevalence"]["central"]),
                                  counted_levels)
    counted = _counted(frames["need_counts"], groups, dims, population, warnings)
    warnings += _count_warnings(frames["need_shares"], groups)
    return Arrays(
        dims=dims, population=population, prevalence=prevalence, average=population_average(frames["prevalence"], dims),
        group_size=group_size,
        relative_risk=relative_risk, coverage=frames["levels"]["coverage"].to_numpy().astype(float),
        step_level=step_level, step_hours=steps_frame[estimate].to_numpy().astype(float), mix=mix,
        roles=_role_time(frames["roles"]), warnings=tuple(warnings), counted=counted, count_groups=groups,
        count_share=share_cells(frames["need_shares"], groups, dims, frames["need_shares"][estimate]),
        ratio=role_ratio(frames["role_ratios"], dims.roles),
        case_cost=column(frames["levels"], "non_pay_per_case", "levels"),
        step_share=step_share(steps_frame, frames["care_profiles"]),
        **coverage_arrays(frames["coverage"], dims, frames["levels"]["coverage"].to_numpy().astype(float)),
    )


def count_groups(counts: pl.DataFrame) -> tuple[tuple[str, str], ...]:
    """The (need, status) pairs of the need counts, in the order first given."""
    return tuple(counts.select("need", "status").unique(maintain_order=True).iter_rows())


def share_cells(shares: pl.DataFrame, groups: tuple[tuple[str, str], ...], dims: Dims,
                values: pl.Series | np.ndarray) -> np.ndarray:
    """Need-share row values (one estimate, or [draw, row]) on their cells: [..., count group, level]; a
    (need, status) with no count has nowhere to go, and a count with no share adds no cases (both warned)."""
    values = np.asarray(values, dtype=float)
    out = np.zeros((*values.shape[:-1], len(groups), len(dims.levels)))
    index = {g: i for i, g in enumerate(groups)}
    rows = [(r, index[(n, st)]) for r, (n, st) in enumerate(shares.select("need", "status").iter_rows())
            if (n, st) in index]
    if rows:
        row, group = np.array(rows).T
        out[..., group, codes(shares[row], "level", dims.levels)] = values[..., row]
    return out


def _counted(frame: pl.DataFrame, groups: tuple[tuple[str, str], ...], dims: Dims, population: np.ndarray,
             warnings: list[str]) -> np.ndarray:
    """Each count as a rate per head of the population of its ages in its year, applied to the years that take
    its count year (below): children counted [area, year, count group, age, sex], spread over ages and sexes as
    the population is."""
    out = np.zeros((len(dims.areas), len(dims.years), len(groups), len(AGES), len(SEXES)))
    if not frame.height or not dims.years:
        return out
    frame = frame.with_row_index("row")
    # a year takes every row of the latest count year at or before it (else the first) for its area, need and
    # status, whatever their age ranges: so a count split into narrower ages later never adds to the old one
    key = ["area", "need", "status"]
    given = frame.select(*key, pl.col("year").alias("y"), "year").unique().sort("y")
    grid = given.select(key).unique().join(pl.DataFrame({"y": dims.years}, schema={"y": pl.Int64}), how="cross")
    back, ahead = (grid.sort("y").join_asof(given, on="y", by=key, strategy=way, check_sortedness=False)
                   for way in ("backward", "forward"))  # both sorted by y above
    chosen = (back.join(ahead.rename({"year": "next"}), on=[*key, "y"])
              .select(*key, "y", pl.coalesce("year", "next").alias("year"))
              .join(frame.select(*key, "year", "row"), on=[*key, "year"]))
    ages = np.arange(len(AGES))
    in_range = (ages >= frame["age_from"].to_numpy()[:, None]) & (ages <= frame["age_to"].to_numpy()[:, None])
    area = codes(frame, "area", dims.areas)
    base_year = np.searchsorted(dims.years, np.clip(frame["year"].to_numpy(), dims.years[0], dims.years[-1]))
    base_year = np.minimum(base_year, len(dims.years) - 1)
    for y in sorted(set(frame["year"]) - set(dims.years)):
        warnings.append(f"need counts for {y}: there is no population for {y}, so their rate per head is taken "
                        f"on the population of {dims.years[int(base_year[frame['year'].to_numpy() == y][0])]}")
    base = (population[area, base_year] * in_range[:, :, None]).sum(axis=(1, 2))  # [row]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(base > 0, frame["count"].to_numpy() / base, 0.0)
    for r in np.nonzero(base <= 0)[0]:
        row = frame.row(int(r), named=True)
        warnings.append(f"need count '{row['need']}, {row['status']}' in {row['area']} for {row['year']} has no "
                        f"population aged {row['age_from']} to {row['age_to']}: it adds no cases")
    for r in np.nonzero(rate > 1)[0]:
        row = frame.row(int(r), named=True)
        warnings.append(f"need count '{row['need']}, {row['status']}' in {row['area']} for {row['year']} is "
                        f"{row['count']:,.0f}, more than the population aged {row['age_from']} to {row['age_to']} "
                        f"({base[r]:,.0f}): check the count and the population")
    r = chosen["row"].to_numpy()
    year = codes(chosen, "y", dims.years)
    group = np.array([groups.index(g) for g in frame.select("need", "status").iter_rows()], dtype=np.int64)
    np.add.at(out, (area[r], year, group[r]),
              population[area[r], year] * in_range[r][:, :, None] * rate[r][:, None, None])
    return out


def _count_warnings(shares: pl.DataFrame, groups: tuple[tuple[str, str], ...]) -> list[str]:
    """A need count (its need and status: `groups`) with no need shares, and need shares matching no count."""
    given = set(shares.select("need", "status").iter_rows())
    warnings = [f"need count '{n}, {st}' has no need shares: it adds no cases" for n, st in groups
                if (n, st) not in given]
    return warnings + [f"need shares for '{n}, {st}' match no need count: they add no cases"
                       for n, st in dict.fromkeys(shares.select("need", "status").iter_rows()) if (n, st) not in groups]


def column(frame: pl.DataFrame, name: str, kind: str) -> np.ndarray:
    """An optional number column as floats: absent (a frame made by hand) or blank (a workspace made before the
    column existed) reads as the schema's default."""
    default = float(KINDS[kind].column(name).default or 0)
    if name not in frame.columns:
        return np.full(frame.height, default)
    return frame[name].cast(pl.Float64).fill_null(default).to_numpy()


def role_ratio(frame: pl.DataFrame, roles: tuple[str, ...]) -> np.ndarray | None:
    """[per role, role]: FTE of each ratio role per FTE of the role it is a ratio to. A blank per_role means
    every clinical role, i.e. every role that is not itself planned by ratio. None when there are no ratios,
    so that a plan without them does no extra arithmetic."""
    if not frame.height:
        return None
    out = np.zeros((len(roles), len(roles)))
    by_ratio = set(frame["role"])
    clinical = np.array([r not in by_ratio for r in roles])
    for row in frame.iter_rows(named=True):  # a loop over the few ratio rows
        target = roles.index(row["role"])
        if row["per_role"]:
            out[roles.index(row["per_role"]), target] += 1.0 / row["per_fte"]
        else:
            out[clinical, target] += 1.0 / row["per_fte"]
    return out


def coverage_arrays(frame: pl.DataFrame, dims: Dims, by_level: np.ndarray) -> dict[str, np.ndarray | None]:
    """Coverage by level and age [level, age] and of each group's cases [group, level, age] from the coverage
    input. The most specific row wins: (band, group), then (every age, group), then the child's own coverage;
    for that, (band), then (every age), then the level's coverage. Nothing (None) without the input."""
    if not frame.height:
        return {"coverage_cells": None, "group_coverage": None}
    ages = np.arange(len(AGES))
    cells = np.repeat(by_level[:, None], len(AGES), axis=1)
    groups = np.full((len(dims.groups), len(dims.levels), len(AGES)), np.nan)
    rows = frame.with_columns(pl.col("band").fill_null(""), pl.col("group").fill_null("")) \
        .sort(pl.col("band") != "")  # every-age rows first, so that a band's row overrides them
    for row in rows.iter_rows(named=True):  # a loop over the few coverage rows
        level = dims.levels.index(row["level"])
        in_band = ages >= 0 if not row["band"] else dims.band_of_age == dims.bands.index(row["band"])
        if row["group"]:
            groups[dims.groups.index(row["group"]), level, in_band] = row["coverage"]
        else:
            cells[level, in_band] = row["coverage"]
    return {"coverage_cells": cells, "group_coverage": np.where(np.isnan(groups), cells[None], groups)}


def with_ratios(fte: np.ndarray, ratio: np.ndarray | None, axis: int = -1) -> np.ndarray:
    """FTE from pathway hours plus the FTE planned by ratio to them, along the role `axis`."""
    if ratio is None:
        return fte
    moved = np.moveaxis(fte, axis, -1)
    return np.moveaxis(moved + moved @ ratio, -1, axis)


def step_share(steps: pl.DataFrame, profiles: pl.DataFrame) -> np.ndarray:
    """[step]: the share of its level's cases a step serves — its care profile's share, or 1 for a step that
    names no profile (every case at the level takes it)."""
    if "profile" not in steps.columns or not profiles.height:
        return np.ones(steps.height)
    shares = steps.select("level", pl.col("profile").fill_null("")).join(
        profiles.select("level", "profile", "share"), on=["level", "profile"], how="left", maintain_order="left")
    return shares["share"].fill_null(1.0).to_numpy().astype(float)


def _band_of_age(bands: pl.DataFrame) -> np.ndarray:
    out = np.full(len(AGES), -1, dtype=np.int64)
    for i, (lo, hi) in enumerate(zip(bands["age_from"], bands["age_to"], strict=True)):
        out[lo : hi + 1] = i
    return out


def _population(frame: pl.DataFrame, dims: Dims, warnings: list[str], groupings: set[str]) -> np.ndarray:
    """Population [area, year, age, sex]. An area without any is warned of, unless other areas sit within it (a
    region holding councils): such an area groups them for comparison, and its own population would count them
    twice."""
    pop = np.zeros((len(dims.areas), len(dims.years), len(AGES), len(SEXES)))
    if frame.height:
        pop[codes(frame, "area", dims.areas), codes(frame, "year", dims.years), frame["age"].to_numpy(),
            codes(frame, "sex", SEXES)] = frame["count"].to_numpy()
    cells = len(AGES) * len(SEXES)
    rows = (frame.group_by(["area", "year"]).len().join(
        pl.DataFrame({"area": dims.areas}).join(pl.DataFrame({"year": dims.years}, schema={"year": pl.Int64}),
                                                how="cross"), on=["area", "year"], how="right")
            .with_columns(pl.col("len").fill_null(0)).sort(["area", "year"]))
    absent = set(rows.group_by("area").agg((pl.col("len") == 0).all().alias("none"))
                 .filter(pl.col("none"))["area"])
    warnings += [f"area {a} has no population: its need and demand are 0" for a in dims.areas
                 if a in absent and a not in groupings]
    short = rows.filter((pl.col("len") < cells) & ~pl.col("area").is_in(list(absent)))
    warnings += [f"population for {r['area']} in {r['year']} has {r['len']} of {cells} age and sex rows; "
                 "the missing ones count as 0" for r in short.iter_rows(named=True)]
    return pop


def prevalence_rows(frame: pl.DataFrame, dims: Dims) -> np.ndarray:
    """[level, age, sex] → the prevalence row that covers the cell, or −1 where none does (no need there)."""
    rows = np.full((len(dims.levels), len(AGES), len(SEXES)), -1, dtype=np.int64)
    if frame.height:
        each = by_age(frame.with_row_index("row").with_columns(
            pl.when(pl.col("sex") == "all").then(pl.lit(list(SEXES))).otherwise(pl.concat_list("sex"))
            .alias("sex")).explode("sex"))
        rows[codes(each, "level", dims.levels), each["age"].to_numpy(), codes(each, "sex", SEXES)] = \
            each["row"].to_numpy()
    return rows


def prevalence_cells(frame: pl.DataFrame, dims: Dims, values: pl.Series | np.ndarray) -> np.ndarray:
    """Row values (e.g. one estimate, or [draw, row]) placed on their cells: [..., level, age, sex]."""
    rows = prevalence_rows(frame, dims)
    values = np.asarray(values, dtype=float)
    padded = np.concatenate([values, np.zeros((*values.shape[:-1], 1))], axis=-1)  # row −1 reads 0
    return padded[..., rows]


def level_cells(frame: pl.DataFrame, dims: Dims, values: pl.Series | np.ndarray) -> np.ndarray:
    """Prevalence rows on their cells [..., level, age, sex], with each level given net of another (`net_of`)
    made the total less that level, draw by draw: where a draw of the other level is above the total, that
    level is cut to the total and this one is 0, so that the two always add up to the total drawn."""
    cells = prevalence_cells(frame, dims, values)
    if "net_of" not in frame.columns or not (frame["net_of"].fill_null("") != "").any():
        return cells
    rows = prevalence_rows(frame, dims)
    net_of = frame["net_of"].fill_null("").replace_strict({"": -1, **_index(dims.levels)}, default=-1,
                                                        return_dtype=pl.Int64).to_numpy()
    net = np.where(rows >= 0, net_of[rows], -1)  # [level, age, sex]: the level this one is given net of
    for level in range(len(dims.levels)):
        for other in np.unique(net[level][net[level] >= 0]):
            where = net[level] == other  # [age, sex]
            total = cells[..., level, :, :]
            part = np.minimum(cells[..., other, :, :], total)
            cells[..., other, :, :] = np.where(where, part, cells[..., other, :, :])
            cells[..., level, :, :] = np.where(where, total - part, total)
    return cells


def population_average(frame: pl.DataFrame, dims: Dims) -> np.ndarray:
    """[level, age, sex]: True where the covering prevalence row's rate is a population average (the default)."""
    basis = frame["rate_basis"].fill_null("population_average") if "rate_basis" in frame.columns \
        else pl.Series(["population_average"] * frame.height, dtype=pl.String)
    average = prevalence_cells(frame, dims, (basis != "outside_groups").to_numpy().astype(float))
    return average > 0


def trend(frame: pl.DataFrame, dims: Dims, estimate: Estimate | None = None,
          values: np.ndarray | None = None) -> np.ndarray:
    """Yearly relative change in prevalence per level (0 where none is given): [..., level]."""
    vals = frame[estimate].to_numpy().astype(float) if values is None else values
    out = np.zeros((*vals.shape[:-1], len(dims.levels)))
    if frame.height:
        out[..., codes(frame, "level", dims.levels)] = vals
    return out


def years_from_start(dims: Dims) -> np.ndarray:
    return np.array(dims.years, dtype=float) - (dims.years[0] if dims.years else 0)


def _group_size(frame: pl.DataFrame, dims: Dims, population: np.ndarray, warnings: list[str]) -> np.ndarray:
    """Spread each group's count over its ages and both sexes in proportion to each year's population."""
    out = np.zeros((len(dims.areas), len(dims.years), len(dims.groups), len(AGES), len(SEXES)))
    if not frame.height:
        return out
    area = codes(frame, "area", dims.areas)
    group = codes(frame, "group", dims.groups)
    ages = np.arange(len(AGES))
    in_range = (ages >= frame["age_from"].to_numpy()[:, None]) & (ages <= frame["age_to"].to_numpy()[:, None])
    weight = population[area] * in_range[:, None, :, None]  # [row, year, age, sex]
    total = weight.sum(axis=(2, 3), keepdims=True)
    even = np.broadcast_to(in_range[:, None, :, None], weight.shape) / (in_range.sum(axis=1)[:, None, None, None]
                                                                        * len(SEXES))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, weight / total, even)  # no population in range: spread evenly
    count = frame["count"].to_numpy()
    too_big = count[:, None] > total[:, :, 0, 0]  # [row, year]
    for r, y in zip(*np.nonzero(too_big), strict=True):
        row = frame.row(int(r), named=True)
        warnings.append(f"group '{row['group']}' in {row['area']} has {row['count']:,.0f} children aged "
                        f"{row['age_from']} to {row['age_to']}, more than the population of those ages in "
                        f"{dims.years[y]} ({total[r, y, 0, 0]:,.0f}): check the group size and the population")
    np.add.at(out, (area, slice(None), group), count[:, None, None, None] * share)
    return out


def _pathway_warnings(dims: Dims, step_level: np.ndarray, mix: np.ndarray, prevalence: np.ndarray,
                      counted: np.ndarray) -> list[str]:
    warnings = [f"level '{lvl}' has no prevalence: it has no cases"
                for lvl, p, c in zip(dims.levels, prevalence, counted, strict=True) if not p.any() and not c]
    warnings += [f"level '{lvl}' has no pathway steps: its cases add no workforce demand"
                 for i, lvl in enumerate(dims.levels) if not (step_level == i).any()]
    warnings += [f"step '{step}' of level '{lvl}' has no role mix: its hours are not given to any role"
                 for (lvl, step), total in zip(dims.steps, mix.sum(axis=1), strict=True) if total == 0]
    return warnings


def _role_time(roles: pl.DataFrame) -> RoleTime:
    def col(name: str) -> np.ndarray:
        return roles[name].to_numpy().astype(float)

    return RoleTime(
        hours_per_week=col("contracted_hours_per_week"), days_per_week=col("working_days_per_week"),
        annual_leave=col("annual_leave_days"), public_holidays=col("public_holiday_days"),
        sickness=col("sickness_days"), training=col("training_days"), direct_share=col("direct_work_share"),
        salary=col("salary"), on_cost=col("on_cost_rate"), non_pay_rate=column(roles, "non_pay_rate", "roles"),
        non_pay_per_fte=column(roles, "non_pay_per_fte", "roles"),
        overhead_rate=column(roles, "overhead_rate", "roles"),
    )
