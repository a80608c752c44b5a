"""The equalities implications: referral rates by group against the population, as published."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from cyplan.model import activity
from cyplan.model.disclosure import NHS_DIGITAL, DisclosureRule, disclose
from cyplan.reports import charts
from cyplan.reports.paper.document import Paragraph, Section, Table
from cyplan.reports.paper.words import (
    count_words,
    join,
    published_count,
    whole,
)
from cyplan.returns import service as returns
from cyplan.returns.equality import AGE, GENDER, UnknownField, available, period_of

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
    when = period_of(b.ws)
    charted = False
    for by in fields:
        try:
            view = returns.equality(b.ws, by, b.area)
        except (returns.NoReturns, UnknownField) as e:
            s.blocks.append(Paragraph((f"Referrals by {by.replace('_', ' ')} cannot be compared: {e}.",)))
            continue
        view = published_view(view, years=when.years)
        ref = b.equality_note(by)
        rated = view.filter((pl.col("category") != "Total") & pl.col("ratio_high").is_not_null())
        below = rated.filter(pl.col("ratio_high") < 1)["category"].to_list()
        above = rated.filter(pl.col("ratio_low") > 1)["category"].to_list()
        b.findings["equality"][by] = {"below": below, "above": above, "ref": ref}
        label = by.replace("_", " ")
        s.blocks.append(Paragraph((
            f"{differences(label, below, above)}. Rates are a year's: {when.words()}, against the population of "
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
        s.blocks.append(Table(f"Accepted referrals per 10,000 a year by {label}, with 95% intervals "
                              f"({when.words()}; population {view['year'][0]})",
                              (label.capitalize(), "Referrals", "Population", "Rate per 10,000 a year",
                               "Rate ratio", "Note"),
                              (False, True, True, True, True, False), tuple(rows), (ref.number,), total=True))
        if not charted and rated.height:
            chart = charts.equality_ratios(view, by)
            s.blocks.append(b.figure(f"Referral rate ratios by {label}", chart, [ref]))
            charted = True
    return s


def differences(label: str, below: Sequence[str], above: Sequence[str]) -> str:
    """'By ethnicity, one category is referred at a rate clearly above the area's (…): White British': the
    categories whose whole 95% interval of the rate ratio is under 1, and over 1, in a sentence that reads
    right for none, one or several of each."""
    def some(names: Sequence[str], side: str) -> str:
        verb = "is" if len(names) == 1 else "are"
        return f"{count_words(len(names), 'category', 'categories')} {verb} referred at a rate clearly {side}"
    under = "the whole 95% interval of the rate ratio under 1"
    if below and above:
        return (f"By {label}, {some(below, 'below')} the area's ({under}): {join(below)}; "
                f"{some(above, 'above')} it (the whole interval over 1): {join(above)}")
    if below:
        return f"By {label}, {some(below, 'below')} the area's ({under}): {join(below)}"
    if above:
        return (f"By {label}, {some(above, 'above')} the area's (the whole 95% interval of the rate ratio over 1): "
                f"{join(above)}")
    return f"By {label}, no category's referral rate differs clearly from the area's"


def published_view(view: pl.DataFrame, rule: DisclosureRule = NHS_DIGITAL, years: float = 1.0) -> pl.DataFrame:
    """The equality view as it may be published: referrals through the disclosure control (the rated lines
    with their Total, which they add up to, as one table; the lines that are not rated, which add up to
    nothing, as another), and the rates and ratios of a withheld count withheld too, since the rate and the
    population would give the count back. `years`: the time the referrals span (returns/equality.period), as
    the view's own rates were annualised."""
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
                                  lines["category"].to_list(), total, years).select("category", *rates)
        out = out.update(again, on="category")
    return out.with_columns(*(pl.when(withheld).then(None).otherwise(pl.col(c)).alias(c) for c in rates),
                            pl.when(withheld).then(pl.lit("withheld to protect small numbers"))
                            .otherwise(pl.col("note")).alias("note"))
