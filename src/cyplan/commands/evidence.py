"""`cyplan evidence`: the evidence library (issue 15) — list and filter interventions, show one with its ratings as
given and on the common scale, search the library, and attach an evidence brief to a practice guide topic.

Importing the library's inputs is `cyplan import KIND FILE` (or `import all`), like every input. The starter
library that ships with cyplan (reference/evidence/) is loaded by `cyplan demo` and `cyplan init --starter`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from cyplan import reference
from cyplan.io.brief import read_brief
from cyplan.io.problems import InputError
from cyplan.model.evidence_ratings import (
    RATINGS_STATEMENT,
    STRENGTH_WORDS,
    common_cost,
    common_strength,
    evidence_summary,
)
from cyplan.schema.evidence import INTERVENTION_LEVELS
from cyplan.store.evidence import store_brief
from cyplan.store.evidence_search import search as search_library
from cyplan.store.workspace import Workspace
from cyplan.terminal import Format, FormatOpt, OutOpt, WorkspaceOpt, emit, fail, open_workspace, out, report, say
from cyplan.transfer import Source

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="The evidence library: interventions, their ratings, practice guides and briefs.")

HEADINGS = {"intervention": "Intervention", "name": "Name", "ages": "Ages", "strength": "Strength (0–4)",
            "cost": "Cost (1–5)", "ratings_text": "Ratings as given"}  # capitals, as every other table heads


def starter_sources(shown: str) -> list[Source]:
    """The starter library's inputs, logged under `shown` (the command that loaded them)."""
    return [Source(p.stem, p, shown=f"{shown}: evidence/{p.name}") for p in sorted(reference.EVIDENCE.glob("*.csv"))]


def demo_sources(shown: str) -> list[Source]:
    """The starter library and the demo's made-up delivery hours for it (evidence/demo/)."""
    made_up = [Source(p.stem, p, shown=f"{shown}: evidence/demo/{p.name}")
               for p in sorted((reference.EVIDENCE / "demo").glob("*.csv"))]
    return starter_sources(shown) + made_up


def store_starter_briefs(ws: Workspace, shown: str) -> int:
    """Attach the starter library's briefs (briefs/TOPIC.md) to their topics; returns how many."""
    topics = ws.read("practice_guides")["topic"].to_list()
    files = sorted((reference.EVIDENCE / "briefs").glob("*.md"))
    for path in files:
        name = f"{shown}: evidence/briefs/{path.name}"
        store_brief(ws, read_brief(path, path.stem, topics, name), name)
    return len(files)


def library(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each intervention with its summary on the common scale."""
    return (frames["interventions"].join(evidence_summary(frames), on="intervention", how="left")
            .with_columns(pl.format("{}–{}", "age_from", "age_to").alias("ages")))


@app.command("list")
def list_(workspace: WorkspaceOpt = Path("."),
          level: Annotated[str | None, typer.Option("--level", help="universal, targeted or specialist.")] = None,
          age: Annotated[int | None, typer.Option("--age", help="Only interventions for this age (0–25).")] = None,
          outcome: Annotated[str | None, typer.Option("--outcome", help="Only interventions whose outcomes mention "
                                                      "this (e.g. behaviour).")] = None,
          min_strength: Annotated[int | None, typer.Option("--min-strength", min=0, max=4, help="Only evidence at "
                                                           "least this strong on the common scale: 4 strong, 3 "
                                                           "moderate, 2 promising, 1 limited, 0 no benefit found.")]
          = None,
          max_cost: Annotated[int | None, typer.Option("--max-cost", min=1, max=5, help="Only interventions rated "
                                                       "at most this dear on the common scale (1 cheapest to 5).")]
          = None,
          fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """The library's interventions, strongest evidence first, with their ratings as given and on one scale."""
    if level is not None and level not in INTERVENTION_LEVELS:
        fail(f"unknown level '{level}'; the levels are {', '.join(INTERVENTION_LEVELS)}", 2)
    if age is not None and not 0 <= age <= 25:
        fail(f"--age {age} is outside 0 to 25, the ages cyplan plans for", 2)
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
    rows = library(frames)
    if level is not None:
        rows = rows.filter(pl.col("level") == level)
    if age is not None:
        rows = rows.filter((pl.col("age_from") <= age) & (pl.col("age_to") >= age))
    if outcome:
        rows = rows.filter(pl.col("outcomes").fill_null("").str.to_lowercase()
                           .str.contains(outcome.lower(), literal=True))
    if min_strength is not None:  # an intervention with no rating has no strength: it is not 'at least' any
        rows = rows.filter(pl.col("strength").fill_null(-1) >= min_strength)
    if max_cost is not None:  # nor a cost: left out when a ceiling is asked for
        rows = rows.filter(pl.col("cost").fill_null(99) <= max_cost)
    rows = rows.sort(pl.col("no_benefit"), pl.col("strength").fill_null(-1), pl.col("intervention"),
                     descending=[False, True, False])
    table = rows.select("intervention", "name", "level", "ages", "strength", "cost", "ratings_text")
    if table.is_empty() and fmt is Format.table:  # an empty table's headings alone read as a fault
        say("No intervention in the library matches these choices.")
        return
    emit(table, fmt, out_file, "Evidence library: interventions, strongest evidence first", headings=HEADINGS,
         totals=False)
    if fmt is Format.table:
        say(RATINGS_STATEMENT)


@app.command()
def show(intervention: Annotated[str, typer.Argument(help="The intervention's short name.")],
         workspace: WorkspaceOpt = Path(".")) -> None:
    """One intervention: what it is, its cells and groups, what delivering it takes, and each rating as given with
    its citation, URL, date retrieved and licence, beside the common scale."""
    with open_workspace(workspace) as ws:
        frames = ws.read_all()
    known = frames["interventions"]
    row = known.filter(pl.col("intervention") == intervention)
    if row.is_empty():
        names = ", ".join(known["intervention"].to_list()) or "none yet"
        fail(f"no intervention '{intervention}' in the library; its interventions are: {names}", 2)
    item = row.row(0, named=True)
    summary = evidence_summary(frames).filter(pl.col("intervention") == intervention).row(0, named=True)
    lines = [f"{item['name']} ({intervention})", f"  {item['description']}" if item["description"] else None,
             f"  Level: {item['level']}; ages {item['age_from']} to {item['age_to']}"
             + (f"; setting: {item['setting']}" if item["setting"] else "")
             + (f"; delivered: {item['delivery_model']}" if item["delivery_model"] else ""),
             f"  Owner: {item['owner']}" if item["owner"] else None,
             f"  Outcomes: {item['outcomes']}" if item["outcomes"] else None,
             f"  Practice guide topic: {item['topic']}" if item["topic"] else None,
             f"  Costs besides staff time: £{item['cost_per_case']:,.0f} a case" if item["cost_per_case"] else None,
             f"  Source: {item['source']}" if item["source"] else None]
    for line in filter(None, lines):
        say(line)
    _show_links(frames, intervention)
    _show_ratings(frames, intervention, summary)
    say(RATINGS_STATEMENT)


def _show_links(frames: dict[str, pl.DataFrame], intervention: str) -> None:
    cells = frames["intervention_cells"].filter(pl.col("intervention") == intervention)
    if cells.height:
        say("  Specification cells: " + "; ".join(f"{b} / {lv} / {p}" for b, lv, p in
                                                   cells.select("band", "level", "provision").iter_rows()))
    groups = frames["intervention_groups"].filter(pl.col("intervention") == intervention)
    if groups.height:
        say("  Vulnerable groups: " + ", ".join(groups["group"].to_list()))
    delivery = frames["intervention_delivery"].filter(pl.col("intervention") == intervention)
    for d in delivery.iter_rows(named=True):
        if d["hours_per_case"] is not None:
            say(f"  Delivery: {d['role']}, {d['hours_per_case']:g} hours a case")
        else:
            per_case = d["hours_per_session"] * d["sessions"] / d["group_size"]
            say(f"  Delivery: {d['role']}, {d['hours_per_session']:g} hours a session × {d['sessions']:g} sessions "
                f"÷ {d['group_size']:g} in a group = {per_case:.3g} hours a case")


def _show_ratings(frames: dict[str, pl.DataFrame], intervention: str, summary: dict[str, object]) -> None:
    ratings = frames["evidence_ratings"].filter(pl.col("intervention") == intervention)
    if ratings.is_empty():
        say("  Ratings: none in the library (a blank is not a low rating: no scheme's rating has been entered).")
        return
    say("  Ratings, as the schemes give them:")
    for r in ratings.iter_rows(named=True):
        strength = common_strength(r["scheme"], r["measure"], r["rating"])
        cost = common_cost(r["scheme"], r["measure"], r["rating"])
        common = (f" → strength {strength} ({STRENGTH_WORDS[strength]})" if strength is not None else
                  f" → cost {cost} of 5" if cost is not None else "")
        say(f"    {r['scheme']} {r['measure']}: {r['rating']}{common}")
        cited = "; ".join(x for x in (r["citation"], r["url"], f"retrieved {r['retrieved']}" if r["retrieved"] else "",
                                      r["licence"]) if x)
        if cited:
            say(f"      {cited}")
    strength = summary["strength"]
    words = STRENGTH_WORDS[strength] if strength is not None else "no rating of the strength of evidence"
    say(f"  On the common scale: strength {strength if strength is not None else '—'} ({words}); cost "
        f"{summary['cost'] if summary['cost'] is not None else '—'} of 5"
        + ("; a scheme found no benefit beside another's positive rating" if summary["disputed"] else ""))


@app.command()
def search(words: Annotated[list[str], typer.Argument(help="Words to find, e.g. parenting groups.")],
           workspace: WorkspaceOpt = Path("."),
           fmt: FormatOpt = Format.table, out_file: OutOpt = None) -> None:
    """Search the interventions, practice guides and briefs for every one of the words (parent finds parenting)."""
    text = " ".join(words)
    if not any(ch.isalnum() for ch in text):  # nothing to search for is a mistake, not "nothing found"
        fail(f"no word to search for in '{text}': give one or more words, e.g. parenting groups", 2)
    with open_workspace(workspace) as ws:
        hits = search_library(ws, text)
    if hits.is_empty() and fmt is Format.table:
        say(f"Nothing in the library holds all of: {text}.")
        return
    if fmt is Format.table:  # the words found in [brackets], shown as they are (not as the terminal's markup)
        for h in hits.iter_rows(named=True):
            out.print(f"{h['kind']}: {h['name']} ({h['key']})\n  {h['snippet']}", highlight=False, markup=False)
        return
    emit(hits, fmt, out_file, "Evidence library search")


@app.command()
def brief(topic: Annotated[str, typer.Argument(help="The practice guide topic the brief is for.")],
          file: Annotated[Path, typer.Argument(help="The brief, as Markdown (UTF-8); its first heading is its "
                                               "title.")],
          workspace: WorkspaceOpt = Path(".")) -> None:
    """Attach an evidence brief (Markdown: key messages with numbered references) to a practice guide topic,
    replacing the topic's brief if it has one."""
    if not file.is_file():
        fail(f"{file}: no such file", 2)
    with open_workspace(workspace) as ws:
        topics = ws.read("practice_guides")["topic"].to_list()
        try:
            got = read_brief(file, topic, topics, str(file))
        except InputError as e:
            report(e, None, [file])
        store_brief(ws, got, str(file))
    say(f"Stored the brief '{got.title}' for {topic} from {file}.")
