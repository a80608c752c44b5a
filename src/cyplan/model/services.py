"""The service register against the specification (seed 003): coverage matrix, the 1–4 rating with the
reasons that hold it back, the action list, and need against capacity.

Pure: every function takes validated tables (polars frames, as the workspace holds them) and returns
tables. docs/services.md states every rule in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

IN_PLACE = "in place"
DEVELOPING = ("planned", "being developed")
# the states of a cell (or a band × group pair), best first
WHOLE, PART, PLANNED, NOTHING = "in place, whole area", "in place, part of area", "planned", "nothing"
STATES = (WHOLE, PART, PLANNED, NOTHING)
TOLERANCE = 1e-9  # shares that add up to 1 in decimal may fall short of it in floating point

# Section 4 of seed 003, the words of each rating.
TITLES = {
    1: "No protocols or plans are in place to commission early intervention support services.",
    2: "Some protocols and plans are in place while others are at an early stage of development: most services "
       "have yet to be put in place across the whole area.",
    3: "Protocols and plans are in place: some services are in place and being delivered, some are still to be "
       "developed.",
    4: "Protocols and plans are in place, and a full range of early intervention support services, universal and "
       "targeted, are in place and being delivered across the whole area.",
}


@dataclass(frozen=True)
class Rules:
    """The thresholds of the rating; docs/services.md explains each."""

    whole_area: float = 1.0  # combined coverage at or above which provision counts as across the whole area
    most: float = 0.5  # "most services have yet to be put in place": the share of cells with none in place above this
    plans_in_place: float = 1.0  # share of the listed plans and protocols in place for "plans are in place"

    def __post_init__(self) -> None:
        for name in ("whole_area", "most", "plans_in_place"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name.replace('_', ' ')} must be more than 0 and at most 1, not {value}")


@dataclass(frozen=True)
class Register:
    """The workspace's register, as validated frames of the service kinds."""

    services: pl.DataFrame
    cells: pl.DataFrame  # service_cells
    groups: pl.DataFrame  # service_groups
    localities: pl.DataFrame
    service_localities: pl.DataFrame
    plans: pl.DataFrame

    @classmethod
    def from_frames(cls, frames: dict[str, pl.DataFrame]) -> Register:
        return cls(frames["services"], frames["service_cells"], frames["service_groups"], frames["localities"],
                   frames["service_localities"], frames["plans"])


@dataclass(frozen=True)
class Rating:
    rating: int
    title: str
    reasons: pl.DataFrame  # what keeps it from the next level: kind, item, state, why
    measures: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


# -- coverage ------------------------------------------------------------------------------------


def service_coverage(reg: Register) -> pl.DataFrame:
    """service, status, coverage (share of the area), by_localities: a service that lists localities covers
    their share of the area (equal shares when none are given); otherwise its coverage column."""
    by_loc = (reg.service_localities.join(_locality_shares(reg), on="locality", how="inner")
              .group_by("service").agg(pl.col("share").sum().alias("loc_share"), pl.col("locality")))
    return (reg.services.select("service", "status", "coverage")
            .join(by_loc, on="service", how="left")
            .with_columns(pl.col("loc_share").is_not_null().alias("by_localities"),
                          pl.coalesce("loc_share", "coverage").clip(0, 1).alias("coverage"))
            .select("service", "status", "coverage", "by_localities", "locality"))


def _with_locality_union(live: pl.DataFrame, by: list[str], shares: pl.DataFrame) -> pl.DataFrame:
    rows = (live.filter(pl.col("by_localities")).select(*by, "locality").explode("locality")
            .unique().join(shares, on="locality", how="inner"))
    return rows.group_by(by).agg(pl.col("share").sum().alias("union"))


def _states(serving: pl.DataFrame, by: list[str], shares: pl.DataFrame, rules: Rules) -> pl.DataFrame:
    """State and services of each `by` group: in place across the whole area, in part, planned, nothing."""
    live = serving.filter(pl.col("status") == IN_PLACE)
    largest = live.group_by(by).agg(pl.col("coverage").filter(~pl.col("by_localities")).max().alias("largest"))
    union = _with_locality_union(live, by, shares)
    covered = largest.join(union, on=by, how="full", coalesce=True).select(
        *by, pl.max_horizontal(pl.col("largest").fill_null(0), pl.col("union").fill_null(0)).alias("covered"))
    names = serving.group_by(by).agg(
        pl.col("service").filter(pl.col("status") == IN_PLACE).sort().alias("in_place"),
        pl.col("service").filter(pl.col("status").is_in(DEVELOPING)).sort().alias("developing"))
    out = names.join(covered, on=by, how="left").with_columns(pl.col("covered").fill_null(0.0))
    return out.with_columns(
        pl.when(pl.col("in_place").list.len() > 0)
        .then(pl.when(pl.col("covered") >= rules.whole_area - TOLERANCE).then(pl.lit(WHOLE)).otherwise(pl.lit(PART)))
        .when(pl.col("developing").list.len() > 0).then(pl.lit(PLANNED)).otherwise(pl.lit(NOTHING)).alias("state"))


def _locality_shares(reg: Register) -> pl.DataFrame:
    locs = reg.localities
    if locs.is_empty():
        return pl.DataFrame({"locality": [], "share": []}, schema={"locality": pl.String, "share": pl.Float64})
    equal = locs["share"].is_null().all()
    return locs.select("locality", (pl.lit(1.0 / locs.height) if equal else pl.col("share").fill_null(0.0))
                       .alias("share"))


def coverage_matrix(reg: Register, provisions: pl.DataFrame, rules: Rules = Rules()) -> pl.DataFrame:
    """Every cell of the specification (band × level × provision) with its state, combined coverage and the
    services behind it, in the specification's order."""
    by = ["band", "level", "provision"]
    serving = reg.cells.select(*by, "service").join(service_coverage(reg), on="service", how="inner")
    states = _states(serving, by, _locality_shares(reg), rules)
    spec = provisions.select(*by, "label").with_row_index("order")
    return (spec.join(states, on=by, how="left").sort("order")
            .with_columns(pl.col("state").fill_null(NOTHING), pl.col("covered").fill_null(0.0),
                          pl.col("in_place").fill_null([]), pl.col("developing").fill_null([]))
            .select(*by, "label", "state", "covered", "in_place", "developing"))


def group_matrix(reg: Register, band_groups: pl.DataFrame, rules: Rules = Rules()) -> pl.DataFrame:
    """Every age band × vulnerable group the specification's targeted level names, with the state of the
    targeted provision that reaches it, its coverage, the services and the provisions they deliver."""
    by = ["band", "group"]
    targeted = reg.cells.filter(pl.col("level") == "targeted")
    reach = targeted.select("service", "band", "provision").join(reg.groups.select("service", "group"),
                                                                  on="service", how="inner")
    serving = reach.select(*by, "service").unique().join(service_coverage(reg), on="service", how="inner")
    states = _states(serving, by, _locality_shares(reg), rules)
    live = reach.join(reg.services.filter(pl.col("status") == IN_PLACE).select("service"), on="service")
    provisions = live.group_by(by).agg(pl.col("provision").unique().sort().alias("provisions"))
    return (band_groups.select(*by).with_row_index("order").join(states, on=by, how="left")
            .join(provisions, on=by, how="left").sort("order")
            .with_columns(pl.col("state").fill_null(NOTHING), pl.col("covered").fill_null(0.0),
                          pl.col("in_place").fill_null([]), pl.col("developing").fill_null([]),
                          pl.col("provisions").fill_null([]))
            .select(*by, "state", "covered", "in_place", "developing", "provisions"))


# -- the rating ----------------------------------------------------------------------------------


REASON_SCHEMA = {"kind": pl.String, "item": pl.String, "state": pl.String, "why": pl.String}


def rate(reg: Register, provisions: pl.DataFrame, band_groups: pl.DataFrame, rules: Rules = Rules()) -> Rating:
    """The rating of section 4 of seed 003, with the plans, cells and groups that keep it from the next level."""
    cells = coverage_matrix(reg, provisions, rules)
    groups = group_matrix(reg, band_groups, rules)
    plans = reg.plans
    n_plans, n_in_place = plans.height, plans.filter(pl.col("status") == IN_PLACE).height
    plan_share = n_in_place / n_plans if n_plans else 0.0
    none_in_place = cells.filter(pl.col("state").is_in([PLANNED, NOTHING]))
    not_whole_cells = cells.filter(pl.col("state") != WHOLE)
    not_whole_groups = groups.filter(pl.col("state") != WHOLE)
    yet_to_be = none_in_place.height / cells.height if cells.height else 1.0
    measures = {
        "plans": n_plans, "plans_in_place": n_in_place, "plans_in_place_share": plan_share,
        "cells": cells.height, **{f"cells_{_slug(s)}": cells.filter(pl.col("state") == s).height for s in STATES},
        "cells_yet_to_be_in_place_share": yet_to_be,
        "band_groups": groups.height, "band_groups_whole_area": groups.filter(pl.col("state") == WHOLE).height,
    }
    plans_ok = n_plans > 0 and plan_share >= rules.plans_in_place - TOLERANCE
    if n_in_place == 0:
        level = 1
        reasons = _plan_reasons(plans, "no plan or protocol is in place (rating 2 needs at least one)")
    elif not plans_ok or yet_to_be > rules.most:
        level = 2
        reasons = []
        if not plans_ok:
            reasons += _plan_reasons(plans.filter(pl.col("status") != IN_PLACE),
                                     f"not in place: rating 3 needs {_pct(rules.plans_in_place)} of plans and "
                                     "protocols in place")
        if yet_to_be > rules.most:
            need = _cells_needed(cells.height, none_in_place.height, rules.most)
            reasons += _cell_reasons(none_in_place, f"no service in place: {_pct(yet_to_be)} of the specification's "
                                     f"cells have none, more than {_pct(rules.most)} ('most'); rating 3 needs "
                                     f"{need} more in place")
    elif not_whole_cells.height or not_whole_groups.height:
        level = 3
        reasons = (_cell_reasons(not_whole_cells, "rating 4 needs a service in place across the whole area")
                   + _group_reasons(not_whole_groups, "rating 4 needs targeted provision in place for this group "
                                    "across the whole area"))
    else:
        level, reasons = 4, []
    frame = pl.DataFrame(reasons, schema=REASON_SCHEMA, orient="row")
    return Rating(level, TITLES[level], frame, measures, _coverage_warnings(reg))


def _slug(state: str) -> str:
    return state.replace(", ", "_").replace(" ", "_")


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _cells_needed(total: int, without: int, most: float) -> int:
    """How many more cells must get a service in place so that the share without one is at most `most`."""
    allowed = int(most * total + TOLERANCE)
    return max(without - allowed, 0)


def _plan_reasons(plans: pl.DataFrame, why: str) -> list[tuple[str, str, str, str]]:
    if plans.is_empty():
        return [("plan", "(none listed)", "none", "no plans or protocols are listed: " + why)]
    return [("plan", r["plan"], r["status"], why) for r in plans.iter_rows(named=True)]


def _cell_reasons(cells: pl.DataFrame, why: str) -> list[tuple[str, str, str, str]]:
    return [("cell", f"{r['band']} / {r['level']} / {r['provision']}", r["state"], why)
            for r in cells.iter_rows(named=True)]


def _group_reasons(groups: pl.DataFrame, why: str) -> list[tuple[str, str, str, str]]:
    return [("group", f"{r['band']} / {r['group']}", r["state"], why) for r in groups.iter_rows(named=True)]


def _coverage_warnings(reg: Register) -> tuple[str, ...]:
    cov = service_coverage(reg)
    unknown = cov.filter(pl.col("coverage").is_null() & (pl.col("status") == IN_PLACE))["service"].to_list()
    return tuple(f"service '{s}' gives neither a coverage nor localities: it counts as covering none of the area"
                 for s in unknown)


# -- what to do next -----------------------------------------------------------------------------


def band_need_shares(need_by_band: pl.DataFrame) -> pl.DataFrame:
    """band, cases, need_share: each band's share of all cases (need_by_band: band, cases)."""
    total = need_by_band["cases"].sum()
    return need_by_band.select("band", "cases", (pl.col("cases") / total if total else pl.lit(0.0)).alias("need_share"))


def actions(reg: Register, provisions: pl.DataFrame, band_groups: pl.DataFrame, prerequisites: pl.DataFrame,
            need_by_band: pl.DataFrame, rules: Rules = Rules()) -> pl.DataFrame:
    """Every gap, ordered by priority, with the specification's delivery vehicles.

    A gap is a cell or band × group not in place across the whole area, or a plan not in place. Gaps that
    keep the rating from its next level come first; within them, and then among the rest, a gap's weight is
    its band's share of need × the share of the area still uncovered (plans, which hold the whole rating
    back, weigh 1)."""
    rating = rate(reg, provisions, band_groups, rules)
    blocking = set(rating.reasons["item"].to_list())
    need = band_need_shares(need_by_band)
    cells = (coverage_matrix(reg, provisions, rules).filter(pl.col("state") != WHOLE)
             .join(provisions.select("band", "level", "provision", "delivery_vehicles"),
                   on=["band", "level", "provision"])
             .select(pl.lit("cell").alias("kind"),
                     pl.concat_str("band", "level", "provision", separator=" / ").alias("item"),
                     "band", "label", "state", "covered", "developing", "delivery_vehicles"))
    vehicles = _group_vehicles(provisions)
    groups = (group_matrix(reg, band_groups, rules).filter(pl.col("state") != WHOLE)
              .join(vehicles, on="band", how="left")
              .select(pl.lit("group").alias("kind"), pl.concat_str("band", "group", separator=" / ").alias("item"),
                      "band", pl.concat_str(pl.lit("targeted provision reaching "), "group").alias("label"),
                      "state", "covered", "developing", "delivery_vehicles"))
    gaps = pl.concat([cells, groups]).join(need, on="band", how="left").with_columns(
        (pl.col("need_share").fill_null(0.0) * (1 - pl.col("covered"))).alias("weight"))
    plans = (reg.plans.filter(pl.col("status") != IN_PLACE)
             .join(prerequisites.select("prerequisite", pl.col("label").alias("meets")), on="prerequisite", how="left")
             .select(pl.lit("plan").alias("kind"), pl.col("plan").alias("item"), pl.lit(None, pl.String).alias("band"),
                     "label", pl.col("status").alias("state"), pl.lit(0.0).alias("covered"),
                     pl.lit([], pl.List(pl.String)).alias("developing"),
                     pl.concat_str(pl.lit("put the plan in place"),
                                   pl.when(pl.col("meets").is_not_null())
                                   .then(pl.concat_str(pl.lit(" (pre-requisite: "), "meets", pl.lit(")")))
                                   .otherwise(pl.lit(""))).alias("delivery_vehicles"),
                     pl.lit(None, pl.Float64).alias("cases"), pl.lit(None, pl.Float64).alias("need_share"),
                     pl.lit(1.0).alias("weight")))
    out = pl.concat([plans, gaps], how="vertical_relaxed").with_columns(
        pl.col("item").is_in(list(blocking)).alias("holds_rating"))
    out = out.sort(["holds_rating", "weight", "kind", "item"], descending=[True, True, False, False])
    return out.with_row_index("rank", offset=1).with_columns(pl.col("developing").list.join("; "))


def _group_vehicles(provisions: pl.DataFrame) -> pl.DataFrame:
    """The delivery vehicles for reaching vulnerable groups in each band: those of the band's targeted
    provisions for vulnerable groups or parents (seed 003 names them so), else of all its targeted ones."""
    targeted = provisions.filter(pl.col("level") == "targeted")
    named = targeted.filter(pl.col("provision").str.contains("vulnerable"))
    pick = pl.concat([named, targeted.join(named.select("band").unique(), on="band", how="anti")])
    return pick.group_by("band", maintain_order=True).agg(pl.col("delivery_vehicles").unique(maintain_order=True)
                                                          .str.join("; "))


def need_against_capacity(reg: Register, need_by_band: pl.DataFrame) -> pl.DataFrame:
    """Per band: cases from the need model and the yearly capacity of the services in place that serve it.

    A service serving several bands has its capacity shared between them in proportion to their cases.
    Services in place that give no capacity are counted, so that a low figure can be read for what it is."""
    live = reg.services.filter(pl.col("status") == IN_PLACE).select("service", "capacity")
    bands = reg.cells.select("service", "band").unique().join(live, on="service", how="inner")
    bands = bands.join(need_by_band.select("band", "cases"), on="band", how="left").with_columns(
        pl.col("cases").fill_null(0.0))
    split = bands.with_columns(
        pl.when(pl.col("cases").sum().over("service") > 0)
        .then(pl.col("cases") / pl.col("cases").sum().over("service"))
        .otherwise(1.0 / pl.len().over("service")).alias("part"))
    per_band = split.group_by("band").agg(
        (pl.col("capacity") * pl.col("part")).sum().alias("capacity"),
        pl.col("capacity").is_not_null().sum().alias("services_with_capacity"),
        pl.col("capacity").is_null().sum().alias("services_without_capacity"))
    out = need_by_band.select("band", "cases").join(per_band, on="band", how="left").with_columns(
        pl.col("capacity").fill_null(0.0), pl.col("services_with_capacity").fill_null(0).cast(pl.Int64),
        pl.col("services_without_capacity").fill_null(0).cast(pl.Int64))
    return out.with_columns(
        pl.when(pl.col("cases") > 0).then(pl.col("capacity") / pl.col("cases")).alias("capacity_per_case"),
        (pl.col("cases") - pl.col("capacity")).clip(0).alias("shortfall"))


def checklist(stakeholders: pl.DataFrame, engaged: pl.DataFrame) -> pl.DataFrame:
    """Annex B's agencies (and any local ones) with whether each is engaged and who represents it; missing
    is true for an agency not engaged, not recorded, or engaged with nobody named."""
    spec = stakeholders.select("agency", pl.col("label").alias("name"), "involvement",
                               pl.col("representative").alias("key_representative"))
    mine = engaged.select("agency", pl.col("label").alias("local_label"), "engaged", "representative")
    out = spec.with_row_index("order").join(mine, on="agency", how="full", coalesce=True)
    out = out.with_columns(
        pl.coalesce("name", "local_label").alias("name"),
        pl.col("involvement").fill_null("Others (local)"), pl.col("engaged").fill_null("not recorded"),
        pl.col("representative").fill_null(""), pl.col("order").fill_null(10**6))
    return (out.with_columns(((pl.col("engaged") != "yes") | (pl.col("representative") == "")).alias("missing"))
            .sort("order", "agency")
            .select("agency", "name", "involvement", "key_representative", "engaged", "representative", "missing"))
