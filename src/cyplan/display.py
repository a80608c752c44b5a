"""How results are shown: each column's heading and number format, one definition for the command line, the
web pages and the board paper. Files keep codes and full precision; these are for people."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

NUMBER_FORMATS = {"population": "{:,.0f}", "cases": "{:,.0f}", "group_uplift": "{:,.0f}", "per_1000": "{:,.1f}",
                  "hours": "{:,.0f}", "fte": "{:,.1f}", "cost": "£{:,.0f}", "pay": "£{:,.0f}", "non_pay": "£{:,.0f}",
                  "overheads": "£{:,.0f}", "case_costs": "£{:,.0f}", "total": "£{:,.0f}"}
HEADINGS = {"area": "Area", "year": "Year", "age_band": "Age band", "level": "Level", "sex": "Sex", "role": "Role",
            "population": "Population", "cases": "Cases", "group_uplift": "of which groups' excess",
            "per_1000": "per 1,000", "hours": "Direct hours", "fte": "FTE", "cost": "Cost a year",
            "pay": "Pay", "non_pay": "Non-pay (staff)", "overheads": "Overheads", "case_costs": "Non-pay (per case)",
            "total": "Total a year"}

MEASURE_HEADINGS = {"demand_fte": "Demand FTE", "supply_fte": "Supply FTE", "gap_fte": "Gap FTE",
                    "share_met": "Need met", "cost_to_close": "Cost to close",
                    "joiners_needed": "Extra joiners a year", "sector": "Sector", "scenario": "Scenario",
                    # the supply views (model/flows.py)
                    "start_fte": "Start FTE", "from_training": "From training", "other_joiners": "Other joiners",
                    "recruited": "Recruited to vacancies", "leavers": "Leavers", "retirements": "Retirements",
                    "end_fte": "End FTE", "agency_fte": "Agency FTE", "establishment_fte": "Establishment FTE",
                    "in_post_fte": "In post FTE", "vacant_fte": "Vacant FTE", "unfunded_fte": "Need beyond "
                    "establishment FTE", "places_starting": "Places starting", "training_cost": "Cost of places",
                    "qualifying": "Qualifying", "joining_here": "Joining here", "course_years": "Course years",
                    "commission_by": "Commission by", "places_a_year": "Places a year", "places_cost": "Cost of "
                    "places", "by_training": "By training?", "transfers_in": "Transfers in",
                    "transfers_out": "Transfers out", "from_agency": "From agency", "to_agency": "To agency",
                    "working_pattern": "Change in hours per head"}
MEASURE_FORMATS = {"demand_fte": "{:,.1f}", "supply_fte": "{:,.1f}", "gap_fte": "{:,.1f}", "share_met": "{:.0%}",
                   "cost_to_close": "£{:,.0f}", "joiners_needed": "{:,.1f}",
                   **{c: "{:,.1f}" for c in ("start_fte", "from_training", "other_joiners", "recruited", "leavers",
                                             "retirements", "end_fte", "agency_fte", "establishment_fte",
                                             "in_post_fte", "vacant_fte", "unfunded_fte", "places_starting",
                                             "qualifying", "joining_here", "places_a_year", "transfers_in",
                                             "transfers_out", "from_agency", "to_agency", "working_pattern")},
                   "training_cost": "£{:,.0f}", "places_cost": "£{:,.0f}", "course_years": "{:,}",
                   "commission_by": "{}"}

SERVICE_HEADINGS = {"band": "Age band", "level": "Level", "provision": "Provision", "label": "Provision",
                    "state": "State", "covered": "Covered", "in_place": "In place", "developing": "Planned or "
                    "being developed", "group": "Group", "provisions": "Provisions", "kind": "Gap", "item": "Item",
                    "why": "Why", "rank": "#", "delivery_vehicles": "Possible delivery vehicles", "weight": "Weight",
                    "need_share": "Share of need", "holds_rating": "Holds rating", "ratings_text": "Evidence",
                    "in_words": "What it would take", "intervention_name": "Intervention", "strength": "Strength (0–4)",
                    "capacity": "Capacity a year",
                    "capacity_per_case": "Capacity per case", "shortfall": "Shortfall",
                    "services_with_capacity": "Services with capacity", "services_without_capacity":
                    "Services without", "agency": "Agency", "involvement": "Involvement", "key_representative":
                    "Key representative", "name": "Name", "engaged": "Engaged", "representative": "Representative",
                    "missing": "Missing"}
SERVICE_FORMATS = {"covered": "{:.0%}", "need_share": "{:.1%}", "weight": "{:.3f}", "capacity": "{:,.0f}",
                   "capacity_per_case": "{:.2f}", "shortfall": "{:,.0f}"}

EQUALITY_FORMATS = ({c: "{:,.1f}" for c in ("rate_per_10000", "rate_low", "rate_high")}
                    | {c: "{:.2f}" for c in ("rate_ratio", "ratio_low", "ratio_high")}
                    | {"referrals": "{:,}", "population": "{:,.0f}"})
EQUALITY_HEADINGS = {"referrals": "Referrals", "rate_per_10000": "per 10,000", "rate_low": "95% low",
                     "rate_high": "95% high", "rate_ratio": "Rate ratio", "ratio_low": "95% low",
                     "ratio_high": "95% high", "note": "Note"}

# The deterministic plan (every input at its central, low or high value) is named wherever it is shown, so that
# no reader takes its figures for a second answer beside the headline, the median of the draws
# (docs/decisions/0009-one-headline.md).
CENTRAL_PLAN = "central plan (every input at its central value)"
ESTIMATE_WORDS = {"central": CENTRAL_PLAN, "low": "low plan (every input at its low value)",
                  "high": "high plan (every input at its high value)"}

SHOWN_QUERIES = 20  # referral-return queries listed on screen and on the returns page (all are in --queries)


# -- figures from Monte Carlo draws, shown only as precisely as the draws support ---------------------------
# Each measure in the units it is shown in: (scale from the model's units, before, after, finest step shown).
SHOWN_UNITS = {"demand_fte": (1.0, "", "", 0.1), "supply_fte": (1.0, "", "", 0.1), "gap_fte": (1.0, "", "", 0.1),
               "joiners_needed": (1.0, "", "", 0.1), "share_met": (100.0, "", "%", 1.0),
               "cost_to_close": (1e-6, "£", "m", 0.1), "cost": (1e-6, "£", "m", 0.1),
               **{m: (1.0, "", "", 0.1) for m in ("in_post_fte", "vacant_fte", "unfunded_fte", "establishment_fte",
                                                   "joining_here", "end_fte")}}
ERROR_SUFFIX = "_mcse"  # model.gap.ERROR: a figure's Monte Carlo standard error column
ERRORS_PER_STEP = 2.0  # a shown step spans two standard errors: another seed's figure lands within one step


def step(error: float, finest: float = 0.1) -> float:
    """The step a figure is rounded to: the smallest 1, 2 or 5 × 10^k at least ERRORS_PER_STEP Monte Carlo
    standard errors wide, so no digit is shown that another run of the draws would likely change; never finer
    than `finest` (the format's own last digit), which is also the step when there is no error (no draws)."""
    wide = ERRORS_PER_STEP * error
    if not wide > finest:  # also NaN and no error: the format's own precision
        return finest
    power, least = 10.0 ** math.floor(math.log10(wide)), wide * (1 - 1e-12)
    for m in (1, 2, 5, 10):  # a loop, not a generator: every figure of a page's tables passes here (issue 17 part 4)
        if m * power >= least:
            return m * power
    raise StopIteration  # as next() of no step: never, as wide < 10 × power


def _decimals(step_: float) -> int:
    return max(0, -math.floor(math.log10(step_) + 1e-9))


def _number(x: float, step_: float) -> str:
    shown = math.floor(x / step_ + 0.5) * step_
    text = f"{shown:,.{_decimals(step_)}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text  # no "-0"


def figure(what: str, x: float | None, error: float | None = 0.0) -> str:
    """One figure as shown everywhere (screen, pages, paper): in its units, rounded to step(error)."""
    if x is None or x != x:
        return "—"
    scale, before, after, finest = SHOWN_UNITS[what]
    return f"{before}{_number(x * scale, step((error or 0.0) * scale, finest))}{after}"


def shown(row: Mapping[str, Any], what: str) -> str:
    """A median of the draws in `row` (a results row with its _mcse column) rounded to what the draws support,
    as the CLI, the pages, the charts' descriptions and the paper show it."""
    return figure(what, row[what], row.get(what + ERROR_SUFFIX))


def error_text(what: str, error: float | None) -> str:
    """'± 9', '± £0.6m', '± 0.4%': a Monte Carlo standard error to one significant figure; '' for none."""
    if not error or error != error:
        return ""
    scale, before, after, _ = SHOWN_UNITS[what]
    e = error * scale
    k = math.floor(math.log10(e))
    if math.floor(e / 10.0 ** k + 0.5) == 10:  # 0.97 to one figure is 1, not 1.0
        k += 1
    return f"± {before}{_number(e, 10.0 ** k)}{after}"


def _parts(row: Mapping[str, Any], what: str) -> tuple[str, str, str, str]:
    """(median, 5th percentile, 95th percentile, error) of `what` in `row`: the median rounded to its own
    error, the interval's two ends to the larger of theirs (so both ends have the same step)."""
    def err(suffix: str) -> float:
        e = row.get(what + suffix + ERROR_SUFFIX) or 0.0
        return e if e == e else 0.0
    ends = max(err("_p5"), err("_p95"))
    return (figure(what, row[what], err("")), figure(what, row.get(what + "_p5"), ends),
            figure(what, row.get(what + "_p95"), ends), error_text(what, err("")))


NO_RANGE = "no range: the draws vary it by less than the last digit shown"


def _undrawn(row: Mapping[str, Any], what: str) -> bool:
    """Does nothing drawn vary the figure (e.g. the census in the first year)? Its 5th and 95th percentiles
    and median the same, but for the last bits of floating point."""
    values = (row[what + "_p5"], row[what + "_p95"], row[what])
    return all(math.isclose(v, values[0], rel_tol=1e-9, abs_tol=1e-12) for v in values)


def headline(row: Mapping[str, Any], what: str, draws: int, unit: str = "") -> str:
    """The one way a figure with its uncertainty is stated in a sentence: '2,040 FTE (90% interval 1,710 to
    2,510; ± 9 from the 1,000 draws)'. With no draws, or nothing drawn that varies it, the figure alone;
    with an interval whose two ends are shown the same ('142.6 to 142.6'), the words NO_RANGE instead."""
    median, low, high, error = _parts(row, what)
    if draws == 0 or row.get(what + "_p5") is None or _undrawn(row, what):
        return f"{median}{unit}"  # nothing drawn varies it (e.g. the census in the first year)
    if low == high:
        return f"{median}{unit} ({NO_RANGE})"
    return f"{median}{unit} (90% interval {low} to {high}" + (f"; {error} from the {draws:,} draws)" if error
                                                             else ")")


def cell(row: Mapping[str, Any], what: str) -> tuple[str, str]:
    """A figure in a table: ('2,040 ± 9', '1,700 – 2,500'), the median with its Monte Carlo error over its 90%
    interval. The error is left out where the format's own last digit, not the draws, limits the digits shown
    (e.g. '15%' with an error of 0.09%), and so is the interval where the draws do not vary the figure (the
    census in the first year): ('63.5', ''); an interval whose ends are shown the same is 'no range'."""
    median, low, high, error = _parts(row, what)
    if row.get(what + "_p5") is None or _undrawn(row, what):
        return median, ""
    scale, _, _, finest = SHOWN_UNITS[what]
    limits = step((row.get(what + ERROR_SUFFIX) or 0.0) * scale, finest) > finest
    return f"{median} {error}" if limits else median, "no range" if low == high else f"{low} – {high}"


def workforce_headline(row: Mapping[str, Any], year: int, draws: int) -> str:
    """The workforce headline, in the same words on the screen, the pages and in the board paper: medians
    of the draws with their 90% intervals and Monte Carlo errors, every role together (a gap_table row)."""
    return (f"In {year}, meeting the need takes {headline(row, 'demand_fte', draws, ' FTE')}. The workforce is "
            f"projected at {figure('supply_fte', row['supply_fte'], row.get('supply_fte' + ERROR_SUFFIX))} FTE, "
            f"meeting {figure('share_met', row['share_met'], row.get('share_met' + ERROR_SUFFIX))} of the need: "
            f"a gap of {headline(row, 'gap_fte', draws, ' FTE')}, costing "
            f"{headline(row, 'cost_to_close', draws, ' a year')} to close.")

SKILLS_HEADINGS = {"skill_area": "Skill area", "staff": "Staff (headcount)", "share_trained": "Trained now",
                   "target_share": "Target", "target_year": "By", "leaver_rate": "Leaving a year",
                   "a_year": "To train a year", "to_target": "To train in all", "cost_to_target": "Cost to target",
                   "then_a_year": "Then a year, to hold it", "to_train": "To train", "share_after": "Trained after",
                   "phase": "Phase"}
SKILLS_FORMATS = {"staff": "{:,.0f}", "share_trained": "{:.0%}", "target_share": "{:.0%}", "target_year": "{}",
                  "leaver_rate": "{:.1%}", "a_year": "{:,.2f}", "to_target": "{:,.2f}", "cost_to_target": "£{:,.0f}",
                  "then_a_year": "{:,.2f}", "to_train": "{:,.2f}", "share_after": "{:.0%}", "cost": "£{:,.0f}"}

# the back-test (model/backtest.py): errors are projected − actual, so a + means the model projected too many
BACKTEST_HEADINGS = {"projected_fte": "Projected FTE", "actual_fte": "Actual FTE", "error_fte": "Error FTE",
                     "error_pct": "Error", "from_year": "Projected from", "to_year": "To",
                     "years_compared": "Years compared", "mape_pct": "Mean absolute error"}
BACKTEST_FORMATS = {"projected_fte": "{:,.1f}", "actual_fte": "{:,.1f}", "error_fte": "{:+,.1f}",
                    "error_pct": "{:+.1f}%", "from_year": "{}", "to_year": "{}", "years_compared": "{:,}",
                    "mape_pct": "{:.1f}%"}


def backtest_headline(by_year: Any, from_year: int, roles: Mapping[str, str]) -> str:
    """One sentence on how well the supply model reproduced the past (model/backtest.py's table by role and year,
    a polars frame): the mean absolute percentage error over every role and year compared, and the largest miss."""
    compared = by_year.filter(by_year["error_pct"].is_not_null())
    if compared.is_empty():
        return f"The past census snapshots have no later year with staff in post to compare with {from_year}'s."
    years = sorted(set(compared["year"].to_list()))
    span = " and ".join(map(str, years)) if len(years) < 3 else f"{years[0]} to {years[-1]}"
    worst = compared.with_columns(compared["error_pct"].abs().alias("_miss")).sort("_miss", descending=True).row(
        0, named=True)
    mean = float(compared["error_pct"].abs().mean())
    return (f"Projected from the {from_year} census, the supply model came within {mean:.1f}% of the FTE in post "
            f"counted in {span}, on average over roles and years (the mean absolute percentage error); its largest "
            f"miss was {roles.get(worst['role'], worst['role']).lower()} in {worst['year']}, "
            f"{worst['projected_fte']:,.1f} FTE projected against {worst['actual_fte']:,.1f} counted "
            f"({worst['error_pct']:+.1f}%).")

# `cyplan sensitivity`, the workforce page's tornado table and the paper: which inputs drive the gap
SENSITIVITY_HEADINGS = {"rank": "Rank", "input": "Input", "low": "Low", "central": "Central", "high": "High",
                        "at_central": "All central", "at_low": "Input at low", "at_high": "Input at high",
                        "swing": "Swing", "first_order": "First-order index", "first_order_ci": "± (95%)",
                        "total_order": "Total index", "total_order_ci": "± (95%) "}
SENSITIVITY_FORMATS = {"low": "{:,.4g}", "central": "{:,.4g}", "high": "{:,.4g}", "first_order": "{:.3f}",
                       "first_order_ci": "{:.3f}", "total_order": "{:.3f}", "total_order_ci": "{:.3f}"}


def sensitivity_formats(measure: str) -> dict[str, str]:
    """The formats of a sensitivity table, its results in £ (the cost of closing the gap) or in FTE (the gap)."""
    money = "£{:,.0f}" if measure == "cost" else "{:,.1f}"
    return SENSITIVITY_FORMATS | {c: money for c in ("at_central", "at_low", "at_high", "swing")}

# comparing areas (model/comparison.py): `cyplan compare` and the comparison page
COMPARE_HEADINGS = {"name": "Area", "chosen": "This area", "need_per_1000": "Need per 1,000",
                    "demand_fte_per_1000": "Demand FTE per 1,000", "supply_fte_per_1000": "Supply FTE per 1,000",
                    "share_met": "Share of need met", "cost_per_child": "Cost per child (£ a year)",
                    "referral_rate_per_1000": "Referral rate per 1,000 a year", "rating": "Services rating (1–4)",
                    "referrals": "Accepted referrals (published)", "person_years": "Person-years",
                    "pooled_rate_per_1000": "Group's rate per 1,000", "low_95": "95% low", "high_95": "95% high",
                    "low_998": "99.8% low", "high_998": "99.8% high", "funnel": "Against the funnel limits"}
COMPARE_FORMATS = {"need_per_1000": "{:,.1f}", "demand_fte_per_1000": "{:,.2f}", "supply_fte_per_1000": "{:,.2f}",
                   "share_met": "{:.0%}", "cost_per_child": "£{:,.0f}", "referral_rate_per_1000": "{:,.2f}",
                   "referrals": "{:,.0f}", "person_years": "{:,.0f}", "pooled_rate_per_1000": "{:,.2f}",
                   "low_95": "{:,.2f}", "high_95": "{:,.2f}", "low_998": "{:,.2f}", "high_998": "{:,.2f}",
                   "rating": "{}"}
THIS_AREA = "▶ this area"  # the chosen area's mark in a table: in words, not by colour alone
