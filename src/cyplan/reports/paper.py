"""The board paper: the results for one area put in the shape of seed 004's board papers (purpose, summary,
recommendations, contact details, background, the findings, financial and equalities implications, next
steps), as data first (`build_paper` → `Paper`), then rendered (`render_html`, `render_pdf`).

Every figure quoted carries a numbered note that names where it comes from: the inputs and their `source`
column values, the model step, and the draws and seed. A part whose inputs are missing says so, and how to
load them, instead of stopping the paper. Referral figures are published figures: they pass the disclosure
control of returns/service.publishable (counts 1–7 withheld, others rounded to 5), and a category whose
referrals are withheld has its rates withheld too.

The recommendations and next steps are a draft worked out from the results; the paper_details input can
replace them, and gives the meeting and contact details (schema/report.py).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
import markupsafe
import polars as pl
import sqlalchemy as sa

from cyplan import results
from cyplan.display import MEASURE_FORMATS
from cyplan.model import activity
from cyplan.model.disclosure import NHS_DIGITAL, DisclosureRule, disclose
from cyplan.model.gap import gap_table
from cyplan.model.plan import cost_table, demand_table, has_cost_lines, need_table
from cyplan.model.scenarios import BASELINE, ScenarioError
from cyplan.model.simulate import Simulation
from cyplan.reports import charts
from cyplan.returns import service as returns
from cyplan.returns.equality import AGE, GENDER, UnknownField, available
from cyplan.schema import KINDS
from cyplan.schema.report import LIST_FIELDS, PAPER_FIELDS
from cyplan.store.returns_tables import returns_imports
from cyplan.store.workspace import Workspace

TEMPLATES = Path(__file__).parent / "templates"
EQUALITY_FIELDS = ("ethnicity", GENDER, AGE, "religion")  # the order the paper shows them in, when available
ACTIONS_SHOWN = 8
NEED_INPUTS = ("population", "prevalence", "group_sizes", "group_risks", "prevalence_trends")
DEMAND_INPUTS = ("levels", "pathway_steps", "role_mix", "roles")
REGISTER_INPUTS = ("services", "service_cells", "service_groups", "localities", "service_localities", "plans")
Details = Mapping[str, str | Sequence[str]]


class UnknownArea(results.NotReady):
    """An area code the workspace does not hold."""


# -- the paper as data ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ref:
    """A note marker in running text."""

    number: int


Run = str | Ref  # running text is a sequence of these


@dataclass(frozen=True)
class Footnote:
    number: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    items: tuple[tuple[Run, ...], ...] = ()  # lettered points under it: a), b), …

    @property
    def text(self) -> str:
        """Plain text, notes as [n]: for tests and for the web app's summaries."""
        def flat(runs: Sequence[Run]) -> str:
            return "".join(r if isinstance(r, str) else f"[{r.number}]" for r in runs)
        return " ".join([flat(self.runs), *(flat(i) for i in self.items)]).strip()


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]  # right-aligned columns
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[int, ...]
    total: bool = False  # the last row is a total


@dataclass
class Figure:
    """A chart with its number, title, text description and notes."""

    number: int
    title: str
    chart: alt.TopLevelMixin
    notes: tuple[int, ...]

    @property
    def description(self) -> str:
        return str(self.spec.get("description", ""))

    @functools.cached_property
    def spec(self) -> dict[str, Any]:
        return charts.to_spec(self.chart)

    @functools.cached_property
    def svg(self) -> str:
        return charts.to_svg(self.chart)


Block = Paragraph | Table | Figure


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # label: value lines (contact details)
    missing: str | None = None  # what is missing for this part and how to load it
    numbered: bool = True  # its paragraphs are numbered 1, 2, … through the body, as in seed 004


@dataclass
class Paper:
    area: str | None
    area_name: str
    title: str
    cover: list[tuple[str, str]]  # meeting, date, time, venue, item, lead member, wards affected
    sections: list[Section]
    footnotes: list[Footnote]
    made: dt.date
    demo: bool
    draws: int
    seed: int

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]

    @property
    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]


class _Notes:
    """Numbered notes, one per distinct source text, numbered in order of first use."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def ref(self, text: str) -> Ref:
        if text not in self.texts:
            self.texts.append(text)
        return Ref(self.texts.index(text) + 1)

    def footnotes(self) -> list[Footnote]:
        return [Footnote(i + 1, t) for i, t in enumerate(self.texts)]


# -- formatting ----------------------------------------------------------------------------------------------

def _f(measure: str, x: float | None) -> str:
    return "—" if x is None else MEASURE_FORMATS[measure].format(x)


def _m(x: float | None) -> str:
    """Money in millions, as the CLI shows a cost to close with its interval."""
    return "—" if x is None else f"£{x / 1e6:,.1f}m"


def _n(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def _interval(row: Mapping[str, Any], measure: str, money: bool = False) -> str:
    fmt = _m if money else functools.partial(_f, measure)
    return f"{fmt(row[measure])} (90% interval {fmt(row[measure + '_p5'])} to {fmt(row[measure + '_p95'])})"


def _cell_interval(row: Mapping[str, Any], measure: str, money: bool = False) -> str:
    fmt = _m if money else functools.partial(_f, measure)
    return f"{fmt(row[measure])}\n({fmt(row[measure + '_p5'])} – {fmt(row[measure + '_p95'])})"  # interval below


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _published(value: object) -> str:
    """A published count ('*', or a rounded count as text) with thousands separators."""
    text = "" if value is None else str(value)
    return f"{int(text):,}" if text.isdigit() else text or "—"


def _stop(text: str) -> str:
    """A message as the end of a sentence: a full stop last."""
    text = text.strip()
    return text + ("" if text.endswith(".") else ".")


def _sentence(text: str) -> str:
    """A message as a sentence: capital first, full stop last."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _date(d: dt.date) -> str:
    return f"{d.day} {d:%B %Y}"


# -- where figures come from ------------------------------------------------------------------------------

def _inputs_note(frames: results.Frames, kinds: Sequence[str], area: str | None) -> str:
    """'population (572 rows; source: '…'); prevalence (6 rows; sources: '…'; '…')' for the inputs that
    have rows (of this area, for an input that has areas)."""
    parts = []
    for kind in kinds:
        frame = frames[kind]
        if area and "area" in frame.columns:
            frame = frame.filter(pl.col("area") == area)
        if frame.is_empty():
            continue
        what = f"{KINDS[kind].title.lower()} ({frame.height:,} row{'s' if frame.height != 1 else ''}"
        if "source" in frame.columns:
            sources = [s for s in frame["source"].unique(maintain_order=True).to_list() if s]
            if sources:
                what += f"; source{'s' if len(sources) > 1 else ''}: " + "; ".join(f"‘{s}’" for s in sources)
            else:
                what += "; no source given"
        parts.append(what + ")")
    return "; ".join(parts) or "none"


def _sim_words(draws: int, seed: int) -> str:
    if draws == 0:
        return "central values only (no Monte Carlo draws)"
    return (f"median and 90% interval (5th to 95th percentile) of {draws:,} Monte Carlo draws, triangular between "
            f"each input's low and high values, random seed {seed}")


# -- the details input ---------------------------------------------------------------------------------------

def paper_details(frames: results.Frames, given: Details | None = None) -> dict[str, list[str]]:
    """field → its values in item order: the workspace's paper_details input, with `given` fields (from
    the web form, say) in place of the workspace's."""
    out: dict[str, list[str]] = {}
    for row in frames["paper_details"].sort("field", "item").iter_rows(named=True):
        if row["value"] and row["value"].strip():
            out.setdefault(row["field"], []).append(row["value"].strip())
    for key, value in (given or {}).items():
        if key not in PAPER_FIELDS:
            raise ValueError(f"'{key}' is not a detail of the paper; the details are {', '.join(PAPER_FIELDS)}")
        values = [value] if isinstance(value, str) else list(value)
        values = [v.strip() for v in values if v and v.strip()]
        if values:
            out[key] = values
        else:
            out.pop(key, None)
    return {k: (v if k in LIST_FIELDS else v[:1]) for k, v in out.items()}


# -- the paper ---------------------------------------------------------------------------------------------

def build_paper(ws: Workspace, area: str | None = None, details: Details | None = None, *,
                draws: int = results.DRAWS, seed: int = results.SEED, today: dt.date | None = None) -> Paper:
    """The board paper for one area (default: the first in the areas input).

    Raises UnknownArea for an area the workspace does not hold; any other missing input is said in the
    paper. `details` replaces fields of the paper_details input (docs/data-formats.md)."""
    frames = ws.read_all()
    codes = frames["areas"]["code"].to_list()
    if area is not None:
        area = area.strip().upper()
        if area not in codes:
            raise UnknownArea(f"unknown area {area}; the areas are {', '.join(codes) or 'none yet'}")
    elif codes:
        area = codes[0]
    return _Builder(ws, frames, area, paper_details(frames, details), draws, seed, today or dt.date.today()).build()


class _Builder:
    def __init__(self, ws: Workspace, frames: results.Frames, area: str | None, details: dict[str, list[str]],
                 draws: int, seed: int, today: dt.date) -> None:
        self.ws, self.frames, self.area, self.details = ws, frames, area, details
        self.draws, self.seed, self.today = draws, seed, today
        self.labels = results.labels(frames)
        self.name = self.labels["area"].get(area, area) if area else "the area"
        self.notes = _Notes()
        self.figure_count = 0
        self.findings: dict[str, Any] = {}  # what the summary, recommendations and next steps draw on

    def figure(self, title: str, chart: alt.TopLevelMixin, notes: Sequence[Ref]) -> Figure:
        self.figure_count += 1
        return Figure(self.figure_count, title, chart, tuple(n.number for n in notes))

    def detail(self, key: str) -> str | None:
        return self.details.get(key, [None])[0]

    # -- notes --------------------------------------------------------------------------------------------

    def need_note(self) -> Ref:
        return self.notes.ref(
            f"Need model (docs/method.md, ‘Need’): population × prevalence, plus the extra cases in vulnerable "
            f"groups, for {self.name}; central estimate, with the low and high estimates for the range. Inputs: "
            f"{_inputs_note(self.frames, ('areas', *NEED_INPUTS), self.area)}.")

    def demand_note(self) -> Ref:
        need = self.need_note()
        return self.notes.ref(
            f"Demand model (docs/method.md, ‘Demand: hours, FTE and cost’): the cases of note {need.number} × "
            f"coverage × pathway hours × role mix, divided by each role's productive hours; cost = FTE × salary "
            f"× (1 + on-costs); central estimate. Inputs, besides those of note {need.number}: "
            f"{_inputs_note(self.frames, DEMAND_INPUTS, self.area)}.")

    def workforce_note(self) -> Ref:
        demand = self.demand_note()
        return self.notes.ref(
            f"Workforce simulation (docs/method.md, ‘Supply’, ‘The gap’ and ‘Uncertainty’): demand as in note "
            f"{demand.number} and the workforce census projected year by year (leavers, retirements, joiners), "
            f"counting each post's share of time with this population; gap = demand − supply; cost to close = the "
            f"gap of each role short of staff × its cost per FTE. {_sentence(_sim_words(self.draws, self.seed))} "
            f"Inputs, besides those of note {demand.number}: "
            f"{_inputs_note(self.frames, ('workforce',), self.area)}.")

    def scenario_note(self) -> Ref:
        base = self.workforce_note()
        return self.notes.ref(
            f"Scenarios (docs/method.md, ‘Scenarios’): the simulation of note {base.number} run again with each "
            f"scenario's changes to the inputs, on the same random numbers, so that the differences are the "
            f"scenarios' own. Input: {_inputs_note(self.frames, ('scenarios',), self.area)}.")

    def rating_note(self) -> Ref:
        return self.notes.ref(
            "The early intervention service map (docs/services.md): the register against the specification of "
            "seed 003, section 2, rated 1–4 by its section 4 with cyplan's default thresholds (whole area = "
            "coverage 100%; ‘most services yet to be put in place’ = more than half the cells with none in place; "
            f"plans in place = all of them). Inputs: {_inputs_note(self.frames, REGISTER_INPUTS, None)}.")

    def actions_note(self) -> Ref:
        rating = self.rating_note()
        weight = (f"weighted by each age band's share of need in the first year (note {self.need_note().number})"
                  if not results.missing_need_inputs(self.frames) else "every age band weighing the same (no need "
                  "inputs)")
        return self.notes.ref(
            f"The action list (docs/services.md): every gap of note {rating.number}, those holding the rating "
            f"back first, then by the share of the area still uncovered {weight}.")

    def returns_note(self) -> Ref:
        with self.ws.engine.connect() as conn:
            log = conn.execute(sa.select(returns_imports.c.file, returns_imports.c.imported_at,
                                         returns_imports.c.records).order_by(returns_imports.c.id)).all()
        files = "; ".join(f"{Path(f).name} ({n:,} records, imported {at[:10]})" for f, at, n in log) or "none logged"
        return self.notes.ref(
            f"Referral returns (docs/returns.md): the stored referral records, counted by financial-year "
            f"quarter (Q1 = April to June); published with NHS Digital's disclosure control (counts 1 to 7 shown "
            f"as *, every other count rounded to the nearest 5). Imports: {files}.")

    def equality_note(self, by: str) -> Ref:
        returns_ref = self.returns_note()
        # as returns/equality.py chooses: gender from population_groups when it has gender rows
        by_sex = by == GENDER and self.frames["population_groups"].filter(pl.col("field") == GENDER).is_empty()
        if by == AGE or by_sex:
            population = _inputs_note(self.frames, ("population",), self.area)
        else:
            groups = self.frames["population_groups"].filter(pl.col("field") == by)
            population = _inputs_note({**self.frames, "population_groups": groups}, ("population_groups",),
                                      self.area)
        return self.notes.ref(
            f"Equality view by {by.replace('_', ' ')} (docs/method.md, ‘Equality: referral rates and rate "
            f"ratios’): accepted referrals of note {returns_ref.number} per 10,000 people in each category, with "
            f"95% intervals (Byar's method), and each category's rate as a ratio of the area's. Referrals are "
            f"shown as published (note {returns_ref.number}); where a count is withheld its rates are too. "
            f"Population: {population}.")

    # -- sections -----------------------------------------------------------------------------------------

    def build(self) -> Paper:
        need = self.need_section()
        services = self.services_section()
        workforce = self.workforce_section()
        reach = self.reach_section()
        financial = self.financial_section()
        equalities = self.equalities_section()
        background = self.background_section()
        body = [background, need, services, workforce, reach, financial, equalities, self.next_steps_section()]
        cover = [self.purpose_section(), self.summary_section(), self.recommendations_section(),
                 self.contact_section()]
        for s in cover:
            s.numbered = False
        title = (self.detail("title")
                 or f"Children and young people's services in {self.name}: need, workforce and reach")
        labels = {"meeting": "Meeting", "meeting_date": "Date", "meeting_time": "Time", "venue": "Venue",
                  "item": "Item", "lead_member": "Lead member", "wards_affected": "Wards affected"}
        cover_lines = [(label, self.detail(k) or ("All" if k == "wards_affected" else ""))
                       for k, label in labels.items()]
        return Paper(self.area, self.name, title, [(k, v) for k, v in cover_lines if v], [*cover, *body],
                     self.notes.footnotes(), self.today, self.ws.info().get("demo") == "yes", self.draws, self.seed)

    # The findings are built first (they number the notes and figures in reading order within the body), the
    # cover's summary and recommendations after, from what the findings found.

    def need_section(self) -> Section:
        s = Section("need", "Need")
        try:
            central = results.plan(self.frames)
        except results.NotReady as e:
            s.missing = f"The need in the area cannot be estimated yet: {_stop(str(e))}"
            return s
        low, high = results.plan(self.frames, "low"), results.plan(self.frames, "high")
        years = central.dims.years
        first, last = years[0], years[-1]
        a = [self.area] if self.area else None
        by_year = {e: need_table(p, [], a) for e, p in (("central", central), ("low", low), ("high", high))}

        def cases(est: str, year: int) -> float:
            return float(by_year[est].filter(pl.col("year") == year)["cases"].sum())

        ref = self.need_note()
        now, later = cases("central", first), cases("central", last)
        population = float(by_year["central"].filter(pl.col("year") == first)["population"].sum())
        self.findings["need"] = {"first": first, "last": last, "cases": now, "later": later,
                                 "low": cases("low", first), "high": cases("high", first), "ref": ref}
        s.blocks.append(Paragraph((
            f"In {first} an estimated {_n(now)} children and young people aged 0 to 25 in {self.name} have a level "
            f"of need that services should meet, {now / population * 1000:,.0f} in every 1,000 (low estimate "
            f"{_n(cases('low', first))}, high {_n(cases('high', first))})", ref, f". On the central estimate this "
            f"{'rises' if later > now else 'falls' if later < now else 'stays'} to {_n(later)} by {last}, with the "
            f"population projected to change from {_n(population)} to "
            f"{_n(float(by_year['central'].filter(pl.col('year') == last)['population'].sum()))}.")))
        by_level = need_table(central, ["level"], a, [first])
        levels = self.labels["level"]
        rows = [(levels.get(r["level"], r["level"]), _n(r["cases"]), _n(r["group_uplift"]), f"{r['per_1000']:,.1f}")
                for r in by_level.group_by("level", maintain_order=True).agg(
                    pl.col("cases").sum(), pl.col("group_uplift").sum(), pl.col("population").sum()).with_columns(
                    (pl.col("cases") / pl.col("population") * 1000).alias("per_1000")).iter_rows(named=True)]
        rows.append(("Total", _n(now), _n(float(by_level["group_uplift"].sum())), f"{now / population * 1000:,.1f}"))
        s.blocks.append(Table(f"Need by level, {self.name}, {first} (central estimate)",
                              ("Level", "Cases", "of which vulnerable-group uplift", "per 1,000"),
                              (False, True, True, True), tuple(rows), (ref.number,), total=True))
        s.blocks.append(self.figure("Need by year", charts.need_by_year(by_year["central"], by_year["low"],
                                                                          by_year["high"], self.name), [ref]))
        return s

    def services_section(self) -> Section:
        s = Section("services", "Services: the rating and the gaps")
        try:
            rating = results.rating(self.frames)
            actions = results.action_list(self.frames)
        except results.NotReady as e:
            s.missing = (f"The services cannot be rated yet: {_stop(str(e))} Without a register this paper "
                         "cannot say which parts of the early intervention specification are in place.")
            return s
        ref, act = self.rating_note(), self.actions_note()
        m = rating.measures
        self.findings["services"] = {"rating": rating.rating, "title": rating.title, "ref": ref,
                                     "actions": actions, "act": act}
        s.blocks.append(Paragraph((
            f"Against the early intervention specification the area's services are rated {rating.rating} out of 4: "
            f"‘{rating.title}’", ref, f" Plans and protocols in place: {m['plans_in_place']:.0f} of "
            f"{m['plans']:.0f}. Cells of the specification (age band × level × provision) with a service in place "
            f"across the whole area: {m['cells_in_place_whole_area']:.0f} of {m['cells']:.0f}; in part of the area: "
            f"{m['cells_in_place_part_of_area']:.0f}; planned or being developed: {m['cells_planned']:.0f}; "
            f"nothing: {m['cells_nothing']:.0f}. Age band and vulnerable group pairs reached across the whole area: "
            f"{m['band_groups_whole_area']:.0f} of {m['band_groups']:.0f}.")))
        if not rating.reasons.is_empty():
            held = rating.reasons.height
            s.blocks.append(Paragraph((
                f"{held} gap{'s' if held != 1 else ''} keep{'s' if held == 1 else ''} the rating from "
                f"{rating.rating + 1}. The action list puts them first, then the other gaps by need; its first "
                f"{min(ACTIONS_SHOWN, actions.height)} of {actions.height} are below", act, ".")))
        bands = self.labels["band"]
        rows = []
        for r in actions.head(ACTIONS_SHOWN).iter_rows(named=True):
            band = bands.get(r["band"], r["band"] or "")
            rows.append((str(r["rank"]), f"{band}: {r['label']}" if band else r["label"], r["state"],
                         f"{r['covered']:.0%}", "—" if r["need_share"] is None else f"{r['need_share']:.0%}",
                         "yes" if r["holds_rating"] else "no"))
        if rows:
            s.blocks.append(Table("The first actions", ("#", "Gap", "State", "Area covered", "Share of need",
                                                         "Holds the rating back"),
                                  (True, False, False, True, True, False), tuple(rows), (act.number,)))
        return s

    def workforce_section(self) -> Section:
        s = Section("workforce", "Workforce: the gap and the options")
        try:
            sim = results.simulation(self.frames, draws=self.draws, seed=self.seed)
        except results.NotReady as e:
            s.missing = f"The workforce gap cannot be worked out yet: {_stop(str(e))}"
            return s
        except ScenarioError as e:  # pragma: no cover - the baseline has no changes
            s.missing = str(e)
            return s
        a = [self.area] if self.area else None
        years = sim.dims.years
        first, last = years[0], years[-1]
        ref = self.workforce_note()
        totals = gap_table(sim, [], a)
        row0 = totals.filter(pl.col("year") == first).row(0, named=True)
        row1 = totals.filter(pl.col("year") == last).row(0, named=True)
        self.findings["workforce"] = {"first": first, "last": last, "now": row0, "later": row1, "ref": ref}
        s.blocks.append(Paragraph((
            f"Meeting the need takes {_interval(row0, 'demand_fte')} full-time equivalent staff (FTE) in {first}; "
            f"the workforce working with this population is {_interval(row0, 'supply_fte')} FTE, so "
            f"{_f('share_met', row0['share_met'])} of the need can be met", ref, f". By {last}, on today's rates of "
            f"leaving, retiring and joining, demand is {_f('demand_fte', row1['demand_fte'])} FTE and supply "
            f"{_f('supply_fte', row1['supply_fte'])} FTE: a gap of {_interval(row1, 'gap_fte')} FTE, which would "
            f"cost {_interval(row1, 'cost_to_close', money=True)} a year in staff to close.")))
        s.blocks.append(self.figure("Workforce demand and supply", charts.workforce_by_year(totals, self.name), [ref]))
        by_role = gap_table(sim, ["role"], a, [last])
        roles = self.labels["role"]
        rows = [(roles.get(r["role"], r["role"]), _cell_interval(r, "demand_fte"), _cell_interval(r, "supply_fte"),
                 _cell_interval(r, "gap_fte"), _f("share_met", r["share_met"]),
                 _cell_interval(r, "cost_to_close", money=True))
                for r in by_role.sort("gap_fte", descending=True).iter_rows(named=True)]
        rows.append(("Total", _cell_interval(row1, "demand_fte"), _cell_interval(row1, "supply_fte"),
                     _cell_interval(row1, "gap_fte"), _f("share_met", row1["share_met"]),
                     _cell_interval(row1, "cost_to_close", money=True)))
        s.blocks.append(Table(f"The gap by role, {last}: median (90% interval)",
                              ("Role", "Demand FTE", "Supply FTE", "Gap FTE", "Need met", "Cost to close a year"),
                              (False, True, True, True, True, True), tuple(rows), (ref.number,), total=True))
        s.blocks.append(self.figure(f"The gap by role, {last}", charts.gap_by_role(by_role, roles, last), [ref]))
        self.scenarios(s, last, sim)
        return s

    def scenarios(self, s: Section, year: int, baseline: Simulation) -> None:
        if self.frames["scenarios"].is_empty():
            s.blocks.append(Paragraph(("No scenarios are loaded, so this paper sets out no options to close the gap: "
                                       "import them with 'cyplan import scenarios FILE' (docs/user-guide.md).",)))
            return
        try:
            def run(name: str) -> Simulation:  # the baseline is already run
                return baseline if name == BASELINE else results.simulation(self.frames, name, self.draws, self.seed)

            compare, year = results.compare_scenarios(self.frames, None, year, [self.area] if self.area else None,
                                                      draws=self.draws, seed=self.seed, run=run)
        except (results.NotReady, ScenarioError) as e:
            s.blocks.append(Paragraph((f"The scenarios cannot be run: {e}.",)))
            return
        compare = compare.group_by("scenario", maintain_order=True).agg(pl.exclude("area", "year").first()) \
            if self.area is None else compare
        ref = self.scenario_note()
        described = dict(self.frames["scenarios"].group_by("scenario", maintain_order=True)
                         .agg(pl.col("description").drop_nulls().first()).iter_rows())
        base = compare.filter(pl.col("scenario") == BASELINE).row(0, named=True)
        options = compare.filter(pl.col("scenario") != BASELINE)
        preferred = self.detail("preferred_scenario")
        if preferred and preferred in options["scenario"].to_list():
            chosen = options.filter(pl.col("scenario") == preferred).row(0, named=True)
        else:
            best = options.sort("cost_to_close").row(0, named=True) if options.height else None
            chosen = best if best and best["cost_to_close"] < base["cost_to_close"] else None
        self.findings["scenarios"] = {"year": year, "base": base, "chosen": chosen, "ref": ref,
                                      "described": described, "preferred": bool(preferred)}
        names = [f"‘{n}’ ({described.get(n) or 'no description'})" for n in options["scenario"].to_list()]
        if chosen:
            why = "(the preferred scenario)" if preferred else "leaves the lowest cost to close:"
            verdict = (f"Of the options, ‘{chosen['scenario']}’ {why} a gap of {_f('gap_fte', chosen['gap_fte'])} FTE "
                       f"costing {_interval(chosen, 'cost_to_close', money=True)} a year to close, against "
                       f"{_m(base['cost_to_close'])} under the baseline.")
        else:
            verdict = "None of the scenarios lowers the cost to close the gap below the baseline's."
        s.blocks.append(Paragraph((
            f"{len(names)} scenario{'s were' if len(names) != 1 else ' was'} run beside the baseline: "
            f"{_join(names)}. In {year} the baseline leaves a gap of {_interval(base, 'gap_fte')} FTE", ref,
            ". " + verdict)))
        rows = tuple((r["scenario"], described.get(r["scenario"]) or ("today's rates" if r["scenario"] == BASELINE
                                                                      else ""),
                      _cell_interval(r, "gap_fte"), _f("share_met", r["share_met"]),
                      _cell_interval(r, "cost_to_close", money=True)) for r in compare.iter_rows(named=True))
        s.blocks.append(Table(f"The scenarios in {year}: median (90% interval)",
                              ("Scenario", "What changes", "Gap FTE", "Need met", "Cost to close a year"),
                              (False, False, True, True, True), rows, (ref.number,)))
        self.findings["scenario_table"] = (rows, ref)
        self.findings["scenario_chart"] = charts.scenarios(compare, "gap_fte", year)
        self.findings["scenario_cost_chart"] = charts.scenarios(compare, "cost_to_close", year)
        s.blocks.append(self.figure(f"The gap by scenario, {year}", self.findings["scenario_chart"], [ref]))

    def reach_section(self) -> Section:
        s = Section("reach", "Who services reach")
        try:
            made = returns.tables(self.ws)
        except returns.NoReturns as e:
            s.missing = f"{_sentence(str(e))} Without referral returns this paper cannot say who services reach."
            return s
        published = returns.publishable(made)
        self.findings["published"] = published
        ref = self.returns_note()
        summary = published["summary"]
        quarters = [c for c in summary.columns if c not in ("measure", "Total")]
        cell = {r["measure"]: r for r in summary.iter_rows(named=True)}
        received, accepted = _published(cell["Received"]["Total"]), _published(cell["Accepted"]["Total"])
        self.findings["reach"] = {"received": received, "accepted": accepted, "ref": ref, "quarters": quarters}
        s.blocks.append(Paragraph((
            f"The referral returns hold {received} referrals received in {len(quarters)} quarter"
            f"{'s' if len(quarters) != 1 else ''} from {quarters[0]} to {quarters[-1]}, of which {accepted} were "
            "accepted", ref, ". Figures are rounded to the nearest 5, and counts of 1 to 7 withheld (*), so that "
            "no child can be identified.") if quarters else ("The referral returns hold no referrals.", ref)))
        rows = tuple((q, *(_published(cell[m][q]) for m in ("Received", "Accepted", "Not accepted")))
                     for q in quarters)
        rows += (("Total", received, accepted, _published(cell["Not accepted"]["Total"])),)
        s.blocks.append(Table("Referrals by quarter (as published)", ("Quarter", "Received", "Accepted",
                                                                       "Not accepted"),
                              (False, True, True, True), rows, (ref.number,), total=True))
        s.blocks.append(self.figure("Referrals by quarter", charts.referrals_by_quarter(summary), [ref]))
        by_service = published.get("service")
        if by_service is not None:
            label = by_service.columns[0]
            # the code list names every service in the country: show those with referrals
            services = by_service.filter((pl.col(label) != "Total") & (pl.col("Total") != "0"))
            rows = tuple((r[label], _published(r["Total"])) for r in services.iter_rows(named=True))
            s.blocks.append(Table("Accepted referrals by service (as published)", ("Service", "Accepted"),
                                  (False, True), rows, (ref.number,)))
        return s

    def financial_section(self) -> Section:
        s = Section("financial", "Financial implications")
        try:
            plan = results.plan(self.frames)
        except results.NotReady as e:
            s.missing = f"No costs can be given yet: {_stop(str(e))}"
            return s
        first = plan.dims.years[0]
        demand = demand_table(plan, [], [self.area] if self.area else None, [first])
        ref = self.demand_note()
        s.blocks.append(Paragraph((
            f"Meeting the need in full in {first} takes {_f('demand_fte', float(demand['fte'].sum()))} FTE at a staff "
            f"cost of £{float(demand['cost'].sum()):,.0f} a year (salary plus on-costs"
            f"{', non-pay costs and overheads' if has_cost_lines(plan) else ''}, central estimate)", ref,
            ".")))
        if has_cost_lines(plan):  # issue 12 part 4: the budget lines beside pay
            c = cost_table(plan, [self.area] if self.area else None, [first]).sum()
            s.blocks.append(Paragraph((
                f"As budget lines, that is £{float(c['pay'][0]):,.0f} pay, £{float(c['non_pay'][0]):,.0f} non-pay "
                f"costs of staff, £{float(c['overheads'][0]):,.0f} overheads and £{float(c['case_costs'][0]):,.0f} "
                f"non-pay costs per case: £{float(c['total'][0]):,.0f} a year in all; the staff cost above is the "
                "first three, and the cost to close the gap counts them too", ref, ".")))
        if "workforce" in self.findings:
            w = self.findings["workforce"]
            s.blocks.append(Paragraph((
                f"The cost of closing the gap is the staff cost of the FTE short in each role: in {w['last']}, "
                f"{_interval(w['later'], 'cost_to_close', money=True)} a year under the baseline", w["ref"],
                ". It is a cost of staff, not a budget: it leaves out recruitment, training, accommodation"
                + (" and overheads" if not has_cost_lines(plan) else "") + ", and assumes the staff can be found.")))
        if "scenario_table" in self.findings:
            rows, sref = self.findings["scenario_table"]
            year = self.findings["scenarios"]["year"]
            s.blocks.append(Table(f"Cost to close the gap by scenario, {year}: median (90% interval)",
                                  ("Scenario", "Cost to close a year", "Gap FTE"), (False, True, True),
                                  tuple((r[0], r[4], r[2]) for r in rows), (sref.number,)))
            s.blocks.append(self.figure(f"Cost to close the gap by scenario, {year}",
                                        self.findings["scenario_cost_chart"], [sref]))
        else:
            s.blocks.append(Paragraph(("No scenarios could be costed (see ‘Workforce: the gap and the options’).",)))
        services = self.frames["services"]
        if services.height:
            live = services.filter(pl.col("status") == "in place")
            funded = live.filter(pl.col("funding").is_not_null())
            s.blocks.append(Paragraph((
                f"The {live.height} service{'s' if live.height != 1 else ''} in place in the register "
                f"{'are' if live.height != 1 else 'is'} funded at £{float(funded['funding'].sum()):,.0f} a year"
                + (f" ({live.height - funded.height} give no funding)" if live.height > funded.height else ""),
                self.rating_note(), ".")))
        return s

    def equalities_section(self) -> Section:
        s = Section("equalities", "Equalities implications")
        groups = self.frames["group_sizes"]
        if self.area:
            groups = groups.filter(pl.col("area") == self.area)
        if groups.height and "need" in self.findings:
            names = [self.labels["group"].get(g, g) for g in groups["group"].unique(maintain_order=True).to_list()]
            names = [n[:1].lower() + n[1:] for n in names]  # 'Looked after children' mid-sentence
            s.blocks.append(Paragraph((
                "The need figures count the extra need of vulnerable groups, whose members are more likely than "
                f"their peers to need support: {_join(names)}",
                self.findings["need"]["ref"], ".")))
        if "published" not in self.findings:
            s.missing = ("No referral returns can be read (see ‘Who services reach’), so this paper cannot compare "
                         "who services reach with the population.")
            return s
        try:
            fields = [f for f in EQUALITY_FIELDS if f in available(self.ws)]
        except returns.NoReturns:  # pragma: no cover - the tables above were made
            fields = []
        if not fields:
            s.blocks.append(Paragraph((
                "No population by group is loaded, so referral rates cannot be compared with the population: import "
                "the population ('cyplan import population FILE') or the population by category ('cyplan import "
                "population_groups FILE').",)))
            return s
        self.findings["equality"] = {}
        charted = False
        for by in fields:
            try:
                view = returns.equality(self.ws, by, self.area)
            except (returns.NoReturns, UnknownField) as e:
                s.blocks.append(Paragraph((f"Referrals by {by.replace('_', ' ')} cannot be compared: {e}.",)))
                continue
            view = published_view(view)
            ref = self.equality_note(by)
            rated = view.filter((pl.col("category") != "Total") & pl.col("ratio_high").is_not_null())
            below = rated.filter(pl.col("ratio_high") < 1)["category"].to_list()
            above = rated.filter(pl.col("ratio_low") > 1)["category"].to_list()
            self.findings["equality"][by] = {"below": below, "above": above, "ref": ref}
            label = by.replace("_", " ")
            words = []
            if below:
                words.append(f"referred at a rate below the area's (the whole 95% interval of the ratio under 1): "
                             f"{_join(below)}")
            if above:
                words.append(f"above it: {_join(above)}")
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
                rows.append((r["category"], _published(r["referrals"]), _n(r["population"]), rate, ratio,
                             r["note"] or ""))
            s.blocks.append(Table(f"Accepted referrals per 10,000 by {label}, with 95% intervals",
                                  (label.capitalize(), "Referrals", "Population", "Rate per 10,000",
                                   "Rate ratio", "Note"),
                                  (False, True, True, True, True, False), tuple(rows), (ref.number,), total=True))
            if not charted and rated.height:
                chart = charts.equality_ratios(view, by)
                s.blocks.append(self.figure(f"Referral rate ratios by {label}", chart, [ref]))
                charted = True
        return s

    def background_section(self) -> Section:
        s = Section("background", "Background")
        for text in self.details.get("background", []):
            s.blocks.append(Paragraph((text,)))
        s.blocks.append(Paragraph((
            f"This paper sets out, from {self.name}'s own data, how many children and young people need support, "
            "whether the services commissioned cover the early intervention specification, the workforce that "
            "meeting the need takes against the workforce there is and will be, the options to close the gap and "
            "what they cost, and who the services reach.",)))
        s.blocks.append(Paragraph((
            "Need is estimated from the population and the prevalence of each level of need, with the extra need of "
            "vulnerable groups; the workforce it takes follows the needs-based model of Segal et al. (2018): cases × "
            "care pathway hours × role mix, divided by each role's hours of direct work. The services are rated "
            "1 to 4 against the specification and rating of ‘Commissioning early intervention support’; the referral "
            "figures are the quarterly tables of the Framework for Integrated Care returns. docs/method.md sets out "
            "every formula.",)))
        s.blocks.append(Paragraph((
            "Workforce figures are uncertain and are given as a median with a 90% interval: "
            f"{_sim_words(self.draws, self.seed)}. Every figure has a note saying which inputs, and which of their "
            "sources, it comes from.",)))
        if self.ws.info().get("demo") == "yes":
            s.blocks.append(Paragraph((
                "These are demonstration data for a made-up area: no figure in this paper describes a real place.",)))
        return s

    def purpose_section(self) -> Section:
        return Section("purpose", "Purpose of report", [Paragraph((self.detail("purpose") or "For decision.",))])

    def summary_section(self) -> Section:
        s = Section("summary", "Summary")
        given = self.details.get("summary")
        if given:
            s.blocks = [Paragraph((t,)) for t in given]
        else:
            s.blocks.append(Paragraph((
                f"This report brings together the need for support among children and young people in {self.name}, "
                "the services commissioned to meet it, the workforce it takes and the gap, and who the services "
                "reach, so that the Board can agree how to close the gap.",)))
            runs: list[Run] = []
            if "need" in self.findings:
                n = self.findings["need"]
                runs += [f"An estimated {_n(n['cases'])} children and young people need support in {n['first']}",
                         n["ref"], ". "]
            if "services" in self.findings:
                v = self.findings["services"]
                runs += [f"Early intervention services are rated {v['rating']} out of 4", v["ref"], ". "]
            if "workforce" in self.findings:
                w = self.findings["workforce"]
                runs += [f"By {w['last']} the workforce gap is {_f('gap_fte', w['later']['gap_fte'])} FTE, costing "
                         f"{_m(w['later']['cost_to_close'])} a year to close", w["ref"], ". "]
            if "reach" in self.findings:
                r = self.findings["reach"]
                runs += [f"{r['received']} referrals were received in the returns", r["ref"], "."]
            if runs:
                s.blocks.append(Paragraph(tuple(runs)))
        if self.detail("plan_theme"):
            s.blocks.append(Paragraph((f"Plan theme: {self.detail('plan_theme')}",)))
        return s

    def recommendations_section(self) -> Section:
        s = Section("recommendations", "Recommendations")
        given = self.details.get("recommendations")
        if given:
            s.blocks.append(Paragraph(("That the Board:",), tuple((t,) for t in given)))
            return s
        items: list[tuple[Run, ...]] = []
        if "need" in self.findings:
            n = self.findings["need"]
            items.append((f"Note that an estimated {_n(n['cases'])} children and young people in {self.name} need "
                          f"support in {n['first']} (low {_n(n['low'])}, high {_n(n['high'])}), and "
                          f"{_n(n['later'])} by {n['last']}", n["ref"], ";"))
        if "services" in self.findings:
            v = self.findings["services"]
            top = [r["label"] for r in v["actions"].head(3).iter_rows(named=True)]
            items.append((f"Note the services' rating of {v['rating']} out of 4", v["ref"], ", and agree the action "
                          f"list to raise it, starting with {_join(top)}" if top else "", v["act"], ";"))
        sc = self.findings.get("scenarios")
        if sc and sc["chosen"]:
            c = sc["chosen"]
            items.append((f"Agree scenario ‘{c['scenario']}’ ({sc['described'].get(c['scenario']) or 'as modelled'}) "
                          f"as the basis of the workforce plan: it leaves a gap of {_f('gap_fte', c['gap_fte'])} FTE "
                          f"in {sc['year']} at {_m(c['cost_to_close'])} a year to close (90% interval "
                          f"{_m(c['cost_to_close_p5'])} to {_m(c['cost_to_close_p95'])}), against "
                          f"{_m(sc['base']['cost_to_close'])} under the baseline", sc["ref"], ";"))
        elif sc:
            items.append((f"Note that none of the scenarios modelled lowers the cost of closing the gap, "
                          f"{_m(sc['base']['cost_to_close'])} a year in {sc['year']}, and ask officers for further "
                          "options", sc["ref"], ";"))
        elif "workforce" in self.findings:
            w = self.findings["workforce"]
            items.append((f"Note the workforce gap of {_f('gap_fte', w['later']['gap_fte'])} FTE by {w['last']} and "
                          "ask officers to model options to close it", w["ref"], ";"))
        lows = [(f"{_join(e['below'])} ({by.replace('_', ' ')})", e["ref"])
                for by, e in self.findings.get("equality", {}).items() if e["below"]]
        if lows:
            runs: list[Run] = ["Ask officers to find out why some groups are referred at rates below the area's, and "
                               "what would reach them: "]
            for i, (words, ref) in enumerate(lows):
                runs += [("; " if i else "") + words, ref]
            items.append((*runs, ";"))
        if not items:
            items.append(("Note this report, and ask officers to load the inputs it lacks (see each section).",))
        last = items[-1]
        if isinstance(last[-1], str) and last[-1] == ";":
            items[-1] = (*last[:-1], ".")
        s.blocks.append(Paragraph(("That the Board:",), tuple(items)))
        return s

    def contact_section(self) -> Section:
        s = Section("contact", "Contact details")
        labels = {"contact_officer": "Contact officer", "position": "Position", "phone": "Phone no",
                  "email": "Email"}
        s.pairs = [(label, self.detail(k) or "") for k, label in labels.items() if self.detail(k)]
        if not s.pairs:
            s.missing = ("No contact details are given: add them with 'cyplan import paper_details FILE' (fields "
                         "contact_officer, position, phone, email; docs/data-formats.md).")
        return s

    def next_steps_section(self) -> Section:
        s = Section("next_steps", "Next steps")
        given = self.details.get("next_steps")
        if given:
            s.blocks = [Paragraph((t,)) for t in given]
            return s
        sc = self.findings.get("scenarios")
        if sc and sc["chosen"]:
            s.blocks.append(Paragraph(("Officers will build the Board's decision on the scenarios into the workforce "
                                       "plan, and report the gap against it each year with the new workforce "
                                       "census.",)))
        elif "workforce" in self.findings:
            s.blocks.append(Paragraph(("Officers will model further options to close the workforce gap and bring "
                                       "them back to the Board.",)))
        if "services" in self.findings:
            top = self.findings["services"]["actions"].head(3)
            if top.height:
                s.blocks.append(Paragraph((f"Officers will take forward the action list, starting with "
                                           f"{_join(top['label'].to_list())}, and rate the services again once they "
                                           "are in place.",)))
        if "reach" in self.findings:
            s.blocks.append(Paragraph(("The referral returns will be brought up to date each quarter, and who the "
                                       "services reach reported to the Board again.",)))
        missing = [sec for sec in ("need", "services", "workforce", "reach") if sec not in self.findings]
        if missing:
            what = {"need": "the need inputs", "services": "the service register", "workforce": "the workforce census",
                    "reach": "the referral returns"}
            s.blocks.append(Paragraph((f"Officers will load {_join([what[m] for m in missing])}, which this paper "
                                       "lacks, so that the next paper can report on them.",)))
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


# -- rendering ---------------------------------------------------------------------------------------------

@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.tests["ref"] = lambda x: isinstance(x, Ref)
    env.tests["paragraph"] = lambda x: isinstance(x, Paragraph)
    env.tests["table"] = lambda x: isinstance(x, Table)
    env.tests["figure"] = lambda x: isinstance(x, Figure)
    return env


def _svg(figure: Figure) -> str:
    """The chart's SVG, told to screen readers as one image named by its description (the marks inside
    carry their own labels for those who explore them)."""
    svg = figure.svg
    label = markupsafe.escape(figure.description)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


def render_html(paper: Paper) -> str:
    """The paper as one HTML file: CSS and SVG charts inline, nothing fetched, so it works offline."""
    css = (TEMPLATES / "paper.css").read_text(encoding="utf-8")
    return _environment().get_template("paper.html").render(paper=paper, css=css, svg=_svg, version=_version(),
                                                            made=_date(paper.made))


def _version() -> str:
    try:
        return metadata.version("cyplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "(source)"


def render_pdf(paper: Paper) -> bytes:
    """The paper as an A4 PDF, from the same HTML, by WeasyPrint."""
    import weasyprint  # slow to import: only when a PDF is asked for

    pdf = weasyprint.HTML(string=render_html(paper), base_url=str(TEMPLATES)).write_pdf()
    assert pdf is not None
    return pdf
