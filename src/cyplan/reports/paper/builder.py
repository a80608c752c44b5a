"""Building the paper: the findings first (they number the notes and figures in reading order), then the cover's
summary and recommendations from what the findings found. Each section is its own module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import polars as pl
import sqlalchemy as sa
from altair.utils.schemapi import debug_mode

from cyplan import results
from cyplan.model.disclosure import NHS_DIGITAL, rounded
from cyplan.model.scenarios import BASELINE
from cyplan.model.simulate import CasesKept, Simulation
from cyplan.reports import kept
from cyplan.reports.paper import (
    background,
    contact,
    equalities,
    evidence,
    financial,
    need,
    next_steps,
    practice_guides,
    purpose,
    reach,
    recommendations,
    sensitivity,
    services,
    summary,
    workforce,
)
from cyplan.reports.paper.details import Details, paper_details
from cyplan.reports.paper.document import Figure, Notes, Paper, Ref
from cyplan.reports.paper.words import (
    METHOD,
    RETURNS_NOTES,
    SERVICE_MAP,
    SPECIFICATION,
    WORKFORCE_EVIDENCE,
    inputs_note,
    sentence,
    sim_words,
)
from cyplan.returns.equality import AGE, GENDER
from cyplan.store import signoffs
from cyplan.store.returns_tables import returns_imports
from cyplan.store.workspace import Workspace

NEED_INPUTS = ("population", "prevalence", "group_sizes", "group_risks", "prevalence_trends", "need_counts",
               "need_shares")
DEMAND_INPUTS = ("levels", "pathway_steps", "role_mix", "roles")
REGISTER_INPUTS = ("services", "service_cells", "service_groups", "localities", "service_localities", "plans",
                   "rating_judgement")


class UnknownArea(results.NotReady):
    """An area code the workspace does not hold."""



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
    return Builder(ws, frames, area, paper_details(frames, details), draws, seed, today or dt.date.today()).build()



def _published(n: int) -> str:
    """A count in words as NHS Digital's rule publishes it: 1 to 7 as 'fewer than 8', any other rounded to 5."""
    rule = NHS_DIGITAL
    if rule.suppress_from <= n <= rule.suppress_to:
        return f"fewer than {rule.suppress_to + 1}"
    return f"{int(rounded(np.array([n]), rule)[0]):,}"


class Builder:
    def __init__(self, ws: Workspace, frames: results.Frames, area: str | None, details: dict[str, list[str]],
                 draws: int, seed: int, today: dt.date) -> None:
        self.ws, self.frames, self.area, self.details = ws, frames, area, details
        self.draws, self.seed, self.today = draws, seed, today
        self.labels = results.labels(frames)
        self.name = self.labels["area"].get(area, area) if area else "the area"
        self.notes = Notes()
        self.figure_count = 0
        self.findings: dict[str, Any] = {}  # what the summary, recommendations and next steps draw on
        self._sims: dict[str, Simulation] = {}
        self._cases = CasesKept()  # a scenario that changes no need input has the baseline's cases of need


    def simulation(self, scenario: str = BASELINE) -> Simulation:
        """The scenario's simulation, run once for the whole paper: the workforce section, the scenarios and the
        evidence section read the same one (a simulation is most of the paper's time). The baseline keeps band
        counts when the evidence library is loaded (its section reads them); the numbers are the same either way.
        Raises as results.simulation does."""
        if scenario not in self._sims:
            by_band = scenario == BASELINE and not self.frames["interventions"].is_empty()
            self._sims[scenario] = results.simulation(self.frames, scenario, self.draws, self.seed, by_band=by_band,
                                                      kept=self._cases)
        return self._sims[scenario]


    def figure(self, title: str, chart: alt.TopLevelMixin, notes: Sequence[Ref]) -> Figure:
        self.figure_count += 1
        return Figure(self.figure_count, title, chart, tuple(n.number for n in notes), kept.charts(self.ws))


    def detail(self, key: str) -> str | None:
        return self.details.get(key, [None])[0]


    # -- notes: where each figure comes from --

    def need_note(self) -> Ref:
        return self.notes.ref(
            f"Need model ({METHOD}, ‘Need’): population × prevalence{self.counts_words()}, for {self.name}; "
            f"where a rate is a population average the vulnerable groups' higher risk is shared out within it (their "
            f"excess over the rate is part of the cases), where it is a rate outside the groups their excess is "
            f"added; central estimate, with the low and high estimates for the range. Inputs: "
            f"{inputs_note(self.frames, ('areas', *NEED_INPUTS), self.area)}.")

    def counts_words(self) -> str:
        if self.frames["need_counts"].is_empty():
            return ""
        return ", plus the children in each need count × the share of them at each level (‘Need from counts’)"

    def demand_note(self) -> Ref:
        need = self.need_note()
        return self.notes.ref(
            f"Demand model ({METHOD}, ‘Demand: hours, FTE and cost’): the cases of note {need.number} × "
            f"coverage × pathway hours × role mix, divided by each role's productive hours; cost = FTE × salary "
            f"× (1 + on-costs); on the central plan (every input at its central value), and drawn over the inputs' "
            f"ranges in the workforce simulation. Inputs, besides those of note {need.number}: "
            f"{inputs_note(self.frames, DEMAND_INPUTS, self.area)}.")

    def workforce_note(self) -> Ref:
        demand = self.demand_note()
        return self.notes.ref(
            f"Workforce simulation ({METHOD}, ‘Supply’, ‘The gap’ and ‘Uncertainty’): demand as in note "
            f"{demand.number} and the workforce census projected year by year (leavers, retirements, joiners from "
            f"training and from elsewhere, recruitment into vacancies), counting each post's share of time with "
            f"this population; funded establishment = staff in post + vacant posts in the census; gap = demand − "
            f"supply; cost to close = the gap of each role short of staff × its cost per FTE. "
            f"{sentence(sim_words(self.draws, self.seed))} Inputs, besides those of note {demand.number}: "
            f"{inputs_note(self.frames, ('workforce', 'training_pipelines', 'caseloads'), self.area)}.")

    def skills_note(self) -> Ref:
        return self.notes.ref(
            f"Training needs ({METHOD}, ‘Skills’): for each role and area of the Common Core of Skills and "
            f"Knowledge ({WORKFORCE_EVIDENCE}, paras 3.10 and 5.21), the staff to train each year, the same every "
            "year, to take the share trained from the skills census's to its target by the target year: the "
            "trained share falls each year by the leaver rate (leavers replaced by joiners not yet trained, "
            "unless the census gives a share of joiners who arrive trained) and rises by those trained; staff are "
            "the workforce census's headcount, all sectors together; cost = staff trained × cost per person. "
            "Inputs: "
            f"{inputs_note(self.frames, ('skills', 'workforce'), self.area)}.")

    def scenario_note(self) -> Ref:
        base = self.workforce_note()
        return self.notes.ref(
            f"Scenarios ({METHOD}, ‘Scenarios’): the simulation of note {base.number} run again with each "
            f"scenario's changes to the inputs, on the same random numbers, so that the differences are the "
            f"scenarios' own. Input: {inputs_note(self.frames, ('scenarios',), self.area)}.")

    def rating_note(self) -> Ref:
        return self.notes.ref(
            f"The early intervention service map ({SERVICE_MAP}): the register against the specification of "
            f"{SPECIFICATION}, section 2, rated 1–4 by its section 4 with cyplan's default thresholds (whole area = "
            "coverage 100%; ‘most services yet to be put in place’ = more than half the cells with none in place; "
            "plans in place = all of them; a full range = 90% of the cells in place across the whole area and "
            "every age band × vulnerable group); rating 2 needs both halves of its descriptor. Inputs: "
            f"{inputs_note(self.frames, REGISTER_INPUTS, None)}.")

    def actions_note(self) -> Ref:
        rating = self.rating_note()
        weight = (f"weighted by each age band's share of need in the first year (note {self.need_note().number})"
                  if not results.missing_need_inputs(self.frames) else "every age band weighing the same (no need "
                  "inputs)")
        return self.notes.ref(
            f"The action list ({SERVICE_MAP}): every gap of note {rating.number}, those holding the rating "
            f"back first, then by the share of the area still uncovered {weight}.")

    def returns_note(self) -> Ref:
        with self.ws.engine.connect() as conn:
            log = conn.execute(sa.select(returns_imports.c.file, returns_imports.c.imported_at,
                                         returns_imports.c.records).order_by(returns_imports.c.id)).all()
        # the paper is published: a file's records are counted as its tables are (an exact total, beside the
        # rounded ones, would give away what the rounding hides)
        files = "; ".join(f"{Path(f).name} (about {_published(n)} records, imported {at[:10]})"
                          for f, at, n in log) or "none logged"
        return self.notes.ref(
            f"Referral returns ({RETURNS_NOTES}): the stored referral records, counted by financial-year "
            f"quarter (Q1 = April to June); published with NHS Digital's disclosure control (counts 1 to 7 shown "
            f"as *, every other count rounded to the nearest 5). Imports: {files}.")

    def equality_note(self, by: str) -> Ref:
        returns_ref = self.returns_note()
        # as returns/equality.py chooses: gender from population_groups when it has gender rows
        by_sex = by == GENDER and self.frames["population_groups"].filter(pl.col("field") == GENDER).is_empty()
        if by == AGE or by_sex:
            population = inputs_note(self.frames, ("population",), self.area)
        else:
            groups = self.frames["population_groups"].filter(pl.col("field") == by)
            population = inputs_note({**self.frames, "population_groups": groups}, ("population_groups",),
                                      self.area)
        return self.notes.ref(
            f"Equality view by {by.replace('_', ' ')} ({METHOD}, ‘Equality: referral rates and rate "
            f"ratios’): accepted referrals of note {returns_ref.number} per 10,000 people in each category a year "
            f"(the referrals × 12 ÷ the months of the quarters the records span), with 95% intervals (Byar's "
            f"method), and each category's rate as a ratio of the area's. Referrals are "
            f"shown as published (note {returns_ref.number}); where a count is withheld its rates are too. "
            f"Population: {population}.")

    def sign_offs(self) -> list[tuple[str, str]]:
        """The approvers' sign-offs of this paper and of the rating judgement, if any (store/signoffs.py)."""
        with self.ws.engine.connect() as conn:
            found = [(label, signoffs.signed(conn, what, area)) for label, what, area in (
                ("Signed off", signoffs.PAPER, self.area), ("Rating judgement", signoffs.RATING, None))]
        return [(label, s.words()) for label, s in found if s is not None]

    def build(self) -> Paper:
        # Altair checks each part of a chart against Vega-Lite's schema as it is made (a third of making the paper's
        # charts); they are made by fixed code, not data, and tests/test_charts.py checks them against it instead
        with debug_mode(False):
            return self._build()

    def _build(self) -> Paper:
        findings = [need, services, evidence, workforce, sensitivity, reach, financial, equalities, background]
        built = {m: m.section(self) for m in findings}  # in reading order: notes and figures number in it
        annex = practice_guides.section(self)  # left out when the library has no guide to put in it
        body = [built[background], *(built[m] for m in findings[:-1]), next_steps.section(self),
                *([annex] if annex else [])]
        cover = [purpose.section(self), summary.section(self), recommendations.section(self),
                 contact.section(self)]
        for s in cover:
            s.numbered = False
        title = (self.detail("title")
                 or f"Children and young people's services in {self.name}: need, workforce and reach")
        labels = {"meeting": "Meeting", "meeting_date": "Date", "meeting_time": "Time", "venue": "Venue",
                  "item": "Item", "lead_member": "Lead member", "wards_affected": "Wards affected"}
        cover_lines = [(label, self.detail(k) or ("All" if k == "wards_affected" else ""))
                       for k, label in labels.items()]
        cover_lines += self.sign_offs()
        return Paper(self.area, self.name, title, [(k, v) for k, v in cover_lines if v], [*cover, *body],
                     self.notes.footnotes(), self.today, self.ws.info().get("demo") == "yes", self.draws, self.seed)
