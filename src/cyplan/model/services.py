"""The service register against the specification (seed 003): coverage matrix, the 1–4 rating with the
reasons that hold it back, the action list, and need against capacity.

Pure: every function takes validated tables (polars frames, as the workspace holds them) and returns
tables. docs/services.md states every rule in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
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
    # "a full range" of services: the share of cells in place across the whole area at or above this (seed 003's
    # example 4, rated 4, names no information and advice for young people: 33 of 35 cells)
    full_range: float = 0.9

    def __post_init__(self) -> None:
        for name in ("whole_area", "most", "plans_in_place", "full_range"):
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
class Judgement:
    """The partnership's own rating, recorded beside the computed one (CAMHS self-assessment practice)."""

    rating: int
    agreed_by: str
    date: str
    reason: str
    computed: int

    @property
    def difference(self) -> str:
        """Both ratings and how they differ, in one or two sentences."""
        own = f"The partnership rates its services {self.rating} (agreed by {self.agreed_by} on {self.date})"
        if self.rating == self.computed:
            return f"{own}, the same as the rating computed from the register." + (
                f" {_sentence(self.reason)}" if self.reason else "")
        gap = abs(self.rating - self.computed)
        way = "higher" if self.rating > self.computed else "lower"
        why = f"Why: {_sentence(self.reason)}" if self.reason else "No reason for the difference is recorded."
        return (f"{own}; the register computes {self.computed}, so the partnership's rating is {gap} level"
                f"{'s' if gap > 1 else ''} {way}. {why}")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def latest_judgement(judgements: pl.DataFrame, computed: int) -> Judgement | None:
    """The latest of the partnership's judgements (rating_judgement input), or None when none is recorded."""
    if judgements.is_empty():
        return None
    row = judgements.sort("date").row(-1, named=True)
    return Judgement(int(row["rating"]), row["agreed_by"], row["date"], row["reason"] or "", computed)


@dataclass(frozen=True)
class Rating:
    rating: int
    title: str  # the seed's descriptor of the rating, clause by clause, each clause the data contradict replaced
    reasons: pl.DataFrame  # what keeps it from the next level: kind, item, state, why
    measures: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    margins: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MARGIN_SCHEMA))
    descriptor: str = ""  # the seed's words for the rating, as section 4 gives them
    judgement: Judgement | None = None  # the partnership's own, when recorded

    @property
    def nearness(self) -> str:
        """How near the rating is to the levels either side, in words."""
        return nearness(self.rating, self.margins)


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
MARGIN_SCHEMA = {"direction": pl.String, "rating": pl.Int64, "kind": pl.String, "changes": pl.Int64,
                 "text": pl.String}


@dataclass(frozen=True)
class Counts:
    """What the rating reads from a register: plans listed and in place, cells and band × group pairs by state.
    Fields may be numpy arrays of the same length, to rate many variants of a register at once."""

    plans: np.ndarray
    plans_in_place: np.ndarray
    cells: np.ndarray
    cells_none: np.ndarray  # cells with no service in place (planned or nothing)
    cells_whole: np.ndarray  # cells in place across the whole area
    groups: np.ndarray
    groups_whole: np.ndarray

    @classmethod
    def of(cls, m: dict[str, float]) -> Counts:
        return cls(*(np.atleast_1d(np.asarray(m[k], dtype=np.int64)) for k in (
            "plans", "plans_in_place", "cells", "cells_none", "cells_in_place_whole_area", "band_groups",
            "band_groups_whole_area")))

    def replace(self, **changes: np.ndarray) -> Counts:
        return Counts(**{**self.__dict__, **changes})


def _readings(c: Counts, rules: Rules) -> dict[str, np.ndarray]:
    """Each clause of the descriptors, read from the counts (true or false, element by element)."""
    plans_ok = (c.plans > 0) & (c.plans_in_place >= rules.plans_in_place * c.plans - TOLERANCE)
    return {
        "no_plans": c.plans_in_place == 0,
        "plans_ok": plans_ok,
        "most_yet": (c.cells == 0) | (c.cells_none > rules.most * c.cells + TOLERANCE),
        "some_in": c.cells_none < c.cells,
        "full": (c.cells > 0) & (c.cells_whole >= rules.full_range * c.cells - TOLERANCE)
                & (c.groups_whole >= c.groups),
        "every_cell_whole": (c.cells > 0) & (c.cells_whole == c.cells) & (c.groups_whole >= c.groups),
    }


def level(c: Counts, rules: Rules = Rules()) -> np.ndarray:
    """The rating of each set of counts (docs/services.md, 'The rating'):

    1 — no plan or protocol in place;
    4 — plans in place and a full range of services across the whole area;
    2 — descriptor 2, both halves of its one sentence: most cells have no service in place, and the plans are
        not all in place (others at an early stage) or no service at all is in place (3 says "some are");
    3 — the rest: plans in place with some services, or most services in place with a plan still to come."""
    r = _readings(c, rules)
    two = r["most_yet"] & (~r["plans_ok"] | ~r["some_in"])
    return np.select([r["no_plans"], r["plans_ok"] & r["full"], two], [1, 4, 2], 3)


def rate(reg: Register, provisions: pl.DataFrame, band_groups: pl.DataFrame, rules: Rules = Rules()) -> Rating:
    """The rating of section 4 of seed 003, the words that hold for it, how near it is to the levels either
    side, and the plans, cells and groups that keep it from the next level."""
    cells = coverage_matrix(reg, provisions, rules)
    groups = group_matrix(reg, band_groups, rules)
    plans = reg.plans
    n_plans, n_in_place = plans.height, plans.filter(pl.col("status") == IN_PLACE).height
    none_in_place = cells.filter(pl.col("state").is_in([PLANNED, NOTHING]))
    measures = {
        "plans": n_plans, "plans_in_place": n_in_place,
        "plans_in_place_share": n_in_place / n_plans if n_plans else 0.0,
        "plans_early_stage": plans.filter(pl.col("status") == "early stage").height,
        "plans_none": plans.filter(pl.col("status") == "none").height,
        "cells": cells.height, **{f"cells_{_slug(s)}": cells.filter(pl.col("state") == s).height for s in STATES},
        "cells_none": none_in_place.height,
        "cells_yet_to_be_in_place_share": none_in_place.height / cells.height if cells.height else 1.0,
        "band_groups": groups.height, "band_groups_whole_area": groups.filter(pl.col("state") == WHOLE).height,
    }
    counts = Counts.of(measures)
    rating = int(level(counts, rules)[0])
    reasons = _reasons(rating, counts, rules, plans, cells, groups)
    frame = pl.DataFrame(reasons, schema=REASON_SCHEMA, orient="row")
    return Rating(rating, statement(rating, measures, rules), frame, measures, _coverage_warnings(reg),
                  margins(counts, rules), TITLES[rating])


def _reasons(rating: int, c: Counts, rules: Rules, plans: pl.DataFrame, cells: pl.DataFrame,
             groups: pl.DataFrame) -> list[tuple[str, str, str, str]]:
    r = {k: bool(v[0]) for k, v in _readings(c, rules).items()}
    not_in_place = plans.filter(pl.col("status") != IN_PLACE)
    none_in_place = cells.filter(pl.col("state").is_in([PLANNED, NOTHING]))
    need = _cells_needed(int(c.cells[0]), int(c.cells_none[0]), rules.most)
    if rating == 1:
        return _plan_reasons(plans, "no plan or protocol is in place (rating 2 needs at least one)")
    if rating == 2:
        if r["plans_ok"]:  # every plan in place, but no service at all
            return _cell_reasons(none_in_place, "no service in place: rating 3 needs at least one")
        also = "" if r["some_in"] else " and one cell with a service in place"
        return (_plan_reasons(not_in_place, f"not in place: rating 3 needs {_pct(rules.plans_in_place)} of plans and "
                              f"protocols in place{also}, or {_cells(need)} with a service in place")
                + _cell_reasons(none_in_place, f"no service in place: {int(c.cells_none[0])} of {int(c.cells[0])} "
                                f"cells have none, more than {_pct(rules.most)} ('most services have yet to be put in "
                                f"place'); rating 3 needs {need} more in place, or the plans in place"))
    if rating == 3:
        out = []
        if not r["plans_ok"]:
            out += _plan_reasons(not_in_place, f"not in place: rating 4 needs {_pct(rules.plans_in_place)} of "
                                 "plans and protocols in place")
        short = _cells_short(c, rules)
        if short:
            out += _cell_reasons(cells.filter(pl.col("state") != WHOLE),
                                 f"rating 4 needs {short} more of these in place across the whole area (a full "
                                 f"range: {_pct(rules.full_range)} of the cells)")
        out += _group_reasons(groups.filter(pl.col("state") != WHOLE),
                              "rating 4 needs targeted provision in place for this group across the whole area")
        return out
    return []


def _cells_short(c: Counts, rules: Rules) -> int:
    """How many more cells must be in place across the whole area for a full range."""
    required = int(np.ceil(rules.full_range * c.cells[0] - TOLERANCE))
    return max(required - int(c.cells_whole[0]), 0)


# -- the words: the descriptor's clauses that hold, what the data say for those that do not -----------------


def statement(rating: int, m: dict[str, float], rules: Rules = Rules()) -> str:
    """The descriptor of `rating` in seed 003's words, clause by clause; a clause the counts contradict is
    replaced by what they say, so the words never state what the data contradict."""
    return f"{_plans_clause(rating, m)}: {_services_clause(rating, m, rules)}."


def _plans_clause(rating: int, m: dict[str, float]) -> str:
    p, n = int(m["plans_in_place"]), int(m["plans"])
    early, none = int(m["plans_early_stage"]), int(m["plans_none"])
    if p == 0:
        listed = "none is listed" if n == 0 else f"0 of {n}"
        return f"No protocols or plans are in place to commission early intervention support services ({listed})"
    if p == n:
        return "Protocols and plans are in place" + ("" if rating >= 3 else f" ({p} of {n})")
    others = " or ".join(x for x in (f"at an early stage of development ({early})" if early else "",
                                     f"not yet started ({none})" if none else "") if x)
    if rating == 2:
        return f"Some protocols and plans are in place ({p} of {n}) while others are {others}"
    return f"{p} of {n} protocols and plans are in place; the {'other is' if n - p == 1 else 'others are'} {others}"


def _services_clause(rating: int, m: dict[str, float], rules: Rules) -> str:
    cells, none, whole = int(m["cells"]), int(m["cells_none"]), int(m["cells_in_place_whole_area"])
    r = {k: bool(v[0]) for k, v in _readings(Counts.of(m), rules).items()}
    in_place = f"{cells - none} of {cells} cells of the specification have a service in place"
    if none == cells:
        return f"no service is in place yet ({in_place})"
    if rating == 4 or (r["full"] and r["every_cell_whole"]):
        whole_words = ("every cell of the specification" if whole == cells
                       else f"{whole} of {cells} cells of the specification")
        return ("a full range of early intervention support services, universal and targeted, are in place and being "
                f"delivered across the whole area ({whole_words} and every age band × vulnerable group the "
                "targeted level names)")
    if rating == 2 or (r["most_yet"] and rating != 3):
        return f"most services have yet to be put in place across the whole area ({in_place}; {none} have none)"
    return (f"some services are in place and being delivered, some are still to be developed ({in_place}, "
            f"{whole} across the whole area)")


# -- how near the rating is to the levels either side --------------------------------------------------------


def _moves(c: Counts, k: np.ndarray) -> dict[tuple[str, str], tuple[Counts, np.ndarray]]:
    """Each kind of change, made k times (k an array), with where it is possible (k not more than there is)."""
    part = c.cells - c.cells_none - c.cells_whole  # in place in part of the area
    in_place = c.cells - c.cells_none
    return {
        ("down", "plan"): (c.replace(plans_in_place=c.plans_in_place - k), k <= c.plans_in_place),
        ("down", "cell_part"): (c.replace(cells_whole=c.cells_whole - k), k <= c.cells_whole),
        ("down", "cell_none"): (c.replace(cells_none=c.cells_none + k,
                                          cells_whole=c.cells_whole - np.maximum(k - part, 0)), k <= in_place),
        ("down", "group"): (c.replace(groups_whole=c.groups_whole - k), k <= c.groups_whole),
        # with no plan listed, the first one put in place is a new one
        ("up", "plan"): (c.replace(plans_in_place=c.plans_in_place + k,
                                   plans=np.maximum(c.plans, c.plans_in_place + k)),
                         k <= np.maximum(c.plans - c.plans_in_place, 1)),
        ("up", "cell_whole"): (c.replace(cells_none=c.cells_none - np.minimum(k, c.cells_none),
                                         cells_whole=c.cells_whole + k), k <= c.cells - c.cells_whole),
        ("up", "group"): (c.replace(groups_whole=c.groups_whole + k), k <= c.groups - c.groups_whole),
    }


MOVE_WORDS = {
    ("down", "plan"): ("fewer plan or protocol in place", "fewer plans or protocols in place"),
    ("down", "cell_part"): ("more cell not in place across the whole area", "more cells not in place across the "
                            "whole area"),
    ("down", "cell_none"): ("more cell without a service in place", "more cells without a service in place"),
    ("down", "group"): ("more age band × group not reached across the whole area", "more age band × group pairs not "
                        "reached across the whole area"),
    ("up", "plan"): ("more plan or protocol in place", "more plans or protocols in place"),
    ("up", "cell_whole"): ("more cell with a service in place across the whole area", "more cells with a service in "
                           "place across the whole area"),
    ("up", "group"): ("more age band × group reached across the whole area", "more age band × group pairs reached "
                      "across the whole area"),
}


def _count(k: int, kind: tuple[str, str]) -> str:
    one, many = MOVE_WORDS[kind]
    return f"one {one}" if k == 1 else f"{k} {many}"


def margins(c: Counts, rules: Rules = Rules()) -> pl.DataFrame:
    """For each kind of change alone (plans, cells, band × group pairs), the fewest that would move the rating
    to another level, down and up; when no one kind can reach the level above, the changes needed together.

    Every count from 1 to 35 (the most there can be of anything a register rates) is tried at once."""
    now = int(level(c, rules)[0])
    k = np.arange(1, int(max(c.cells[0], c.plans[0], c.groups[0], 1)) + 2)
    rows = []
    for (direction, kind), (moved, possible) in _moves(c, k).items():
        levels = level(moved, rules)
        hit = possible & ((levels < now) if direction == "down" else (levels > now))
        if hit.any():
            i = int(np.argmax(hit))
            rows.append((direction, int(levels[i]), kind, int(k[i]), _count(int(k[i]), (direction, kind))))
    readings = _readings(c, rules)
    if now == 3 and readings["plans_ok"][0] and not readings["most_yet"][0]:
        rows.append(_together_down(c, rules))
    if now == 3 and not any(r[0] == "up" for r in rows):
        rows.append(_together_up(c, rules))
    if now == 2 and not readings["plans_ok"][0] and not readings["some_in"][0]:
        rows.append(_together("up", 3, [(_plans_short(c, rules), ("up", "plan")), (1, ("up", "cell_whole"))]))
    return pl.DataFrame(rows, schema=MARGIN_SCHEMA, orient="row").sort("direction", "changes", "kind")


def _together(direction: str, rating: int, parts: list[tuple[int, tuple[str, str]]]) -> tuple[str, int, str, int, str]:
    words = [_count(n, kind) for n, kind in parts if n]
    text = ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]
    return (direction, rating, "together", sum(n for n, _ in parts), text)


def _together_up(c: Counts, rules: Rules) -> tuple[str, int, str, int, str]:
    """The plans, cells and band × group pairs that rating 4 needs together."""
    return _together("up", 4, [(_plans_short(c, rules), ("up", "plan")), (_cells_short(c, rules), ("up", "cell_whole")),
                               (int(c.groups[0] - c.groups_whole[0]), ("up", "group"))])


def _plans_short(c: Counts, rules: Rules) -> int:
    """How many more plans must be in place for 'protocols and plans are in place' (one, if none is listed)."""
    return max(int(np.ceil(rules.plans_in_place * max(c.plans[0], 1) - TOLERANCE)) - int(c.plans_in_place[0]), 0)


def _together_down(c: Counts, rules: Rules) -> tuple[str, int, str, int, str]:
    """At 3 with every plan in place: the plans that would have to fall back and the cells that would have to
    lose their service, together, for descriptor 2 to hold."""
    floor = int(np.ceil(rules.plans_in_place * c.plans[0] - TOLERANCE))
    plans = int(c.plans_in_place[0]) - floor + 1
    cells = max(_allowed(int(c.cells[0]), rules.most) + 1 - int(c.cells_none[0]), 0)
    return _together("down", 2, [(plans, ("down", "plan")), (cells, ("down", "cell_none"))])

def nearness(rating: int, table: pl.DataFrame) -> str:
    """'3; one more cell without a service in place would make it 2; …': the fewest changes to the level below,
    then to the level above (to a level further off only when no change reaches the next one)."""
    parts = [str(rating)]
    for direction, step in (("down", -1), ("up", 1)):
        rows = table.filter(pl.col("direction") == direction)
        if rows.is_empty():
            parts.append("nothing lower" if direction == "down" else "the top rating")
            continue
        nearest = rows.filter(pl.col("rating") == rating + step)
        rows = nearest if not nearest.is_empty() else rows
        fewest = rows.filter(pl.col("changes") == rows["changes"].min())
        parts.append(" or ".join(fewest["text"]) + f" would make it {fewest['rating'][0]}")
    return "; ".join(parts)


def _slug(state: str) -> str:
    return state.replace(", ", "_").replace(" ", "_")


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _allowed(total: int, most: float) -> int:
    """The most cells that may have no service in place before 'most services have yet to be put in place'."""
    return int(most * total + TOLERANCE)


def _cells_needed(total: int, without: int, most: float) -> int:
    """How many more cells must get a service in place so that the share without one is at most `most`."""
    return max(without - _allowed(total, most), 0)


def _cells(n: int) -> str:
    return "one more cell" if n == 1 else f"{n} more cells"


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
