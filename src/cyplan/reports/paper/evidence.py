"""What the evidence says: for the gaps the recommendations name, the interventions of the area's evidence library
that fit each, strongest evidence first, with their ratings as the schemes give them, the publications they are
cited from, and what delivering each would take (results.evidence_for_actions, model/evidence.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from cyplan import results
from cyplan.model.evidence_ratings import MONTHS, RATINGS_STATEMENT, normal
from cyplan.model.scenarios import ScenarioError
from cyplan.model.simulate import Simulation
from cyplan.reports.paper.document import Paragraph, Ref, Run, Section
from cyplan.reports.paper.services import recommended
from cyplan.reports.paper.words import METHOD, count_words, inputs_note, sentence, sim_words, stop

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

EVIDENCE_INPUTS = ("interventions", "intervention_cells", "intervention_groups", "intervention_delivery",
                   "evidence_ratings")
# the schemes by the names of what they publish: a board member knows the Guidebook, not 'foundations'
PUBLICATIONS = {"foundations": "Foundations Guidebook", "yef": "YEF Toolkit", "eef": "EEF Toolkit",
                "local": "Local evaluation"}
MEASURE_ORDER = ("evidence", "padlocks", "impact", "months", "cost")
SHOWN_PER_GAP = 4  # interventions under one gap: the strongest; the rest are counted
NO_LIBRARY = ("No evidence library is loaded, so this paper cannot say which interventions would close the gaps "
              "above: import one with 'cyplan import interventions FILE' and the inputs that go with it.")


def section(b: Builder) -> Section:
    s = Section("evidence", "What the evidence says")
    gaps = recommended(b)
    if b.frames["interventions"].is_empty():
        s.blocks.append(Paragraph((NO_LIBRARY,)))
        return s
    if gaps.is_empty():
        s.blocks.append(Paragraph(("Without the services' action list (see ‘Services: the rating and the gaps’) "
                                   "there are no gaps to set the evidence library against.",)))
        return s
    year = b.findings.get("need", {}).get("first")
    try:
        table = results.evidence_for_actions(b.frames, year, draws=b.draws, seed=b.seed, sim=_baseline(b))
    except results.NotReady as e:
        s.blocks.append(Paragraph((f"What the interventions would take cannot be worked out yet: {stop(str(e))}",)))
        return s
    fits = table.filter(pl.col("rank").is_in(gaps["rank"].implode()) & pl.col("intervention").is_not_null())
    b.findings["evidence"] = {"fits": fits}  # the practice guides annex follows these interventions
    ref = _note(b)
    s.blocks.append(Paragraph((
        f"For the first {count_words(gaps.height, 'gap', 'gaps')} of the action list, which the recommendations "
        "name, the interventions in the area's evidence library that fit each: strongest evidence first, with "
        "their ratings as the schemes give them and where they are published, and the staff and cost delivering "
        f"each would take{f' in {year}' if year else ''}", ref, ".")))
    s.blocks.append(Paragraph((RATINGS_STATEMENT,)))
    ratings = rating_words(b.frames["evidence_ratings"])
    for gap in gaps.iter_rows(named=True):
        s.blocks.append(_gap(b, gap, fits.filter(pl.col("rank") == gap["rank"]), ratings, ref))
    return s


def _baseline(b: Builder) -> Simulation | None:
    """The paper's own baseline simulation, which the workforce section reads too; None where it cannot run (no
    workforce census, say), and the evidence runs its own, which needs only the need inputs and the roles."""
    try:
        return b.simulation()
    except (results.NotReady, ScenarioError):
        return None


def _gap(b: Builder, gap: Mapping[str, Any], fits: pl.DataFrame, ratings: Mapping[str, str], ref: Ref) -> Paragraph:
    band = b.labels["band"].get(gap["band"], gap["band"] or "")
    name = f"‘{band}: {gap['label']}’" if band else f"‘{gap['label']}’"
    lead = f"The gap {name} ({gap['state']}, {gap['covered']:.0%} of the area covered)"
    if gap["kind"] == "plan":
        return Paragraph((f"{lead} is a plan or protocol to agree: no intervention delivers it.",))
    if fits.is_empty():
        return Paragraph((f"{lead}: no intervention in the library fits it.",))
    n = fits.height
    shown = fits.head(SHOWN_PER_GAP)
    more = f" ({n - shown.height} more in the library)" if n > shown.height else ""
    items: list[tuple[Run, ...]] = []
    for row in shown.iter_rows(named=True):
        rated = ratings.get(row["intervention"], "not rated by any scheme in the library")
        items.append((f"{row['name']}: {rated}. {_taken(row['in_words'], b.draws)}", ref, ";"))  # note, then ;
    items[-1] = (*items[-1][:-1], ".")
    fit = "fits it" if n == 1 else "fit it, strongest evidence first"
    return Paragraph((f"{lead}: {count_words(n, 'intervention', 'interventions')} in the library {fit}{more}:",),
                     tuple(items))


def _taken(words: str, draws: int) -> str:
    """The model's sentence of what delivering it takes, its full stop left to the list; without draws its interval
    would be one figure twice, and is left out."""
    words = words.rstrip(".")
    return words.split(" (90% interval")[0] if draws == 0 else words


def rating_words(ratings: pl.DataFrame) -> dict[str, str]:
    """Each rated intervention's ratings as given, scheme by scheme, with the publications cited:
    'Foundations Guidebook 3+, cost rating 2; EEF Toolkit: 4 padlocks, +5 months (Foundations Guidebook,
    Incredible Years; EEF Teaching and Learning Toolkit)'. A few rows a library: a loop, for words only."""
    out: dict[str, str] = {}
    order = {m: i for i, m in enumerate(MEASURE_ORDER)}
    schemes = list(PUBLICATIONS)
    rows = sorted(ratings.iter_rows(named=True), key=lambda r: (
        schemes.index(r["scheme"]) if r["scheme"] in schemes else len(schemes), order.get(r["measure"], 9)))
    by: dict[str, dict[str, list[str]]] = {}
    cited: dict[str, list[str]] = {}
    for r in rows:
        parts = by.setdefault(r["intervention"], {}).setdefault(r["scheme"], [])
        parts.append(_one(r["scheme"], r["measure"], str(r["rating"])))
        citation = (r.get("citation") or "").strip()
        if citation and citation not in cited.setdefault(r["intervention"], []):
            cited[r["intervention"]].append(citation)
    for intervention, per_scheme in by.items():
        said = "; ".join(_scheme(scheme, parts) for scheme, parts in per_scheme.items())
        sources = cited.get(intervention)
        out[intervention] = said + (f" ({'; '.join(sources)})" if sources else "")
    return out


def _scheme(scheme: str, parts: list[str]) -> str:
    """'Foundations Guidebook 3+, cost rating 2'; 'EEF Toolkit: 4 padlocks, +5 months' (a colon where the first
    rating names its measure)."""
    name = PUBLICATIONS.get(scheme, scheme)
    bare = scheme == "foundations" and not parts[0].startswith("cost")
    return f"{name}{' ' if bare else ': '}{', '.join(parts)}"


def _one(scheme: str, measure: str, rating: str) -> str:
    """One rating as given, with what it measures said where the bare value would not say it."""
    r = rating.strip()
    if measure == "padlocks":
        return f"{r} padlock{'' if r == '1' else 's'}"
    if measure == "months":  # '+5 months' for 5, +5 or +5 with a true minus's cousins, as the scheme shows it
        return f"{int(normal(r)):+d} months" if MONTHS.match(normal(r)) else f"{r} months"
    if measure == "cost":
        return f"cost rating {r}"
    if measure == "impact":
        return f"impact {r}"
    if scheme == "yef":
        return f"evidence quality {r}"
    if scheme == "foundations" and normal(r) == "ne":
        return f"{r} (a rigorous evaluation found no benefit)"
    return r


def _note(b: Builder) -> Ref:
    demand = b.demand_note()
    return b.notes.ref(
        f"Evidence library ({METHOD}, ‘Closing a gap with an intervention’): the interventions listing a gap's "
        "cell of the specification (age band × level × provision), or, for an age band × vulnerable group gap, "
        "serving the group at targeted or specialist level with an age range overlapping the band's; strongest "
        "evidence first on cyplan's common scale of the schemes' ratings (‘The evidence library: ratings on one "
        "scale’), then cheapest. People to reach a year, every area of the workspace together as in the action "
        "list = the band's cases of need (a targeted cell), its population (a universal cell) or the group's "
        "children in it, × the share of the area not yet covered; "
        "FTE by role = people × hours per case ÷ the role's productive hours, with the staff planned by ratio to "
        f"them, as in note {demand.number}; cost = FTE × cost per FTE + people × the intervention's other costs "
        f"per case. {sentence(sim_words(b.draws, b.seed))} Each rating's publication is cited beside it. Inputs, "
        f"besides those of note {demand.number}: "
        f"{inputs_note(b.frames, EVIDENCE_INPUTS, None, sources=False)}.")
