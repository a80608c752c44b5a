"""The equalities implications: referral rates by group against the population, as published."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from cyplan.model import activity
from cyplan.model.disclosure import NHS_DIGITAL, DisclosureRule, disclose
from cyplan.reports import charts
from cyplan.reports.paper.document import Paragraph, Section, Table
from cyplan.reports.paper.words import (
    join,
    published_count,
    whole,
)
from cyplan.returns import service as returns
from cyplan.returns.equality import AGE, GENDER, UnknownField, available

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

EQUALITY_FIELDS = ("ethnicity", GENDER, AGE, "religion")  # the order the paper shows them in, when available


def section(b: Builder) -> Section:
    s = Section("equalities", "Equalities implications")
    groups = b.frames["group_sizes"]
    if b.area:
        groups = groups.filter(pl.col("area") == b.area)
    if groups.height and "need" in b.findings:
        names = [b.labels["group"].get(g, g) for g in groups["group"].unique(maintain_order=True).to_list()]
        names = [n[:1].lower() + n[1:] for n in names]  # 'Looked after children' mid-sentence
        s.blocks.append(Paragraph((
            "The need figures count the extra need of vulnerable groups, whose members are more likely than "
            f"their peers to need support: {join(names)}",
            b.findings["need"]["ref"], ".")))
    if "published" not in b.findings:
        s.missing = ("No referral returns can be read (see ‘Who services reach’), so this paper cannot compare "
                     "who services reach with the population.")
        return s
    try:
        fields = [f for f in EQUALITY_FIELDS if f in available(b.ws)]
    except returns.NoReturns:  # pragma: no cover - the tables above were made
        fields = []
    if not fields:
        s.blocks.append(Paragraph((
            "No population by group is loaded, so referral rates cannot be compared with the population: import "
            "the population ('cyplan import population FILE') or the population by category ('cyplan import "
            "population_groups FILE').",)))
        return s
    b.findings["equality"] = {}
    charted = False
    for by in fields:
        try:
            view = returns.equality(b.ws, by, b.area)
        except (returns.NoReturns, UnknownField) as e:
            s.blocks.append(Paragraph((f"Referrals by {by.replace('_', ' ')} cannot be compared: {e}.",)))
            continue
        view = published_view(view)
        ref = b.equality_note(by)
        rated = view.filter((pl.col("category") != "Total") & pl.col("ratio_high").is_not_null())
        below = rated.filter(pl.col("ratio_high") < 1)["category"].to_list()
        above = rated.filter(pl.col("ratio_low") > 1)["category"].to_list()
        b.findings["equality"][by] = {"below": below, "above": above, "ref": ref}
        label = by.replace("_", " ")
        words = []
        if below:
            words.append(f"referred at a rate below the area's (the whole 95% interval of the ratio under 1): "
                         f"{join(below)}")
        if above:
            words.append(f"above it: {join(above)}")
        s.blocks.append(Paragraph((
            f"By {label}, " + ("; ".join(words) if words else "no category's referral rate differs clearly from "
                               "the area's") + ". Year of the population: "
            f"{view['year'][0]}", ref, ".")))
        rows = []
        for r in view.iter_rows(named=True):
            rate = "—" if r["rate_per_10000"] is None else (
                f"{r['rate_per_10000']:,.1f}" + ("" if r["rate_low"] is None else
                                                f" ({r['rate_low']:,.1f} – {r['rate_high']:,.1f})"))
            ratio = "—" if r["rate_ratio"] is None else (
                f"{r['rate_ratio']:.2f}" + ("" if r["ratio_low"] is None else
                                           f" ({r['ratio_low']:.2f} – {r['ratio_high']:.2f})"))
            rows.append((r["category"], published_count(r["referrals"]), whole(r["population"]), rate, ratio,
                         r["note"] or ""))
        s.blocks.append(Table(f"Accepted referrals per 10,000 by {label}, with 95% intervals",
                              (label.capitalize(), "Referrals", "Population", "Rate per 10,000",
                               "Rate ratio", "Note"),
                              (False, True, True, True, True, False), tuple(rows), (ref.number,), total=True))
        if not charted and rated.height:
            chart = charts.equality_ratios(view, by)
            s.blocks.append(b.figure(f"Referral rate ratios by {label}", chart, [ref]))
            charted = True
    return s


def published_view(view: pl.DataFrame, rule: DisclosureRule = NHS_DIGITAL) -> pl.DataFrame:
    """The equality view as it may be published: referrals through the disclosure control (the rated lines
    with their Total, which they add up to, as one table; the lines that are not rated, which add up to
    nothing, as another), and the rates and ratios of a withheld count withheld too, since the rate and the
    population would give the count back."""
    rated = view.filter(pl.col("rate_per_10000").is_not_null() | (pl.col("category") == "Total"))
    other = view.filter(pl.col("rate_per_10000").is_null() & (pl.col("category") != "Total"))

    def published(frame: pl.DataFrame, total: str | None) -> dict[str, str]:
        if frame.is_empty():
            return {}
        out = disclose(frame.select("category", pl.col("referrals").fill_null(0).cast(pl.Int64)), rule,
                       counts=["referrals"], total_column=None, total_row=total)
        return dict(out.iter_rows())

    shown = {**published(other, None), **published(rated, "Total")}
    withheld = pl.col("referrals") == rule.symbol
    rates = ("rate_per_10000", "rate_low", "rate_high", "rate_ratio", "ratio_low", "ratio_high")
    out = view.with_columns(pl.col("category").replace_strict(shown, default=None).alias("referrals"))
    # rates from the published (rounded) counts: from the exact ones, rate × population would give back
    # the very count the rounding hides
    counts = {c: int(v) for c, v in shown.items() if v.isdigit()}
    lines = rated.filter(pl.col("category").is_in([c for c in counts if c != "Total"]))
    if "Total" in counts and lines.height:
        total = (counts["Total"], float(rated.filter(pl.col("category") == "Total")["population"][0]))
        again = activity.equality([counts[c] for c in lines["category"]], lines["population"].to_list(),
                                  lines["category"].to_list(), total).select("category", *rates)
        out = out.update(again, on="category")
    return out.with_columns(*(pl.when(withheld).then(None).otherwise(pl.col(c)).alias(c) for c in rates),
                            pl.when(withheld).then(pl.lit("withheld to protect small numbers"))
                            .otherwise(pl.col("note")).alias("note"))
