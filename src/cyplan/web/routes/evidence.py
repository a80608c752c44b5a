"""The evidence pages (issue 15 part 7): the library with its filters, a page per intervention and per practice
guide topic, each with the statement that a rating is an opinion about evidence, not a recommendation.

The library is the workspace's own (on the shared server each area's), and published: every role may read it.
Ratings are shown as the schemes give them, beside the common strength (0–4) and cost (1–5) they map to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

import polars as pl
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.model import evidence
from cyplan.model.evidence_ratings import RATINGS_STATEMENT, STRENGTH_WORDS, evidence_summary
from cyplan.reference.specification import specification
from cyplan.schema.evidence import INTERVENTION_LEVELS
from cyplan.store.evidence import briefs
from cyplan.store.evidence_search import MARK, search
from cyplan.web.access import needs
from cyplan.web.app import State, page, templates
from cyplan.web.htmx import fragment, page_or_fragment
from cyplan.web.routes.services import item_label
from cyplan.web.state import WorkspaceState

router = APIRouter()
DISPUTED = " (another rating found no benefit)"  # evidence_summary's `disputed`: shown, never hidden
MAX_AGE = 25  # the inputs' age ranges run 0 to 25
MAX_QUERY = 200  # characters of a search: more words than any library's text needs
SEARCH_LIMIT = 50
FOUND_AT = {"intervention": "/evidence/{}", "practice guide": "/evidence/topics/{}", "brief": "/evidence/topics/{}"}
STRENGTHS = dict(sorted(STRENGTH_WORDS.items(), reverse=True))  # strongest first, as the filter offers them
COSTS = {1: "1 (cheapest)", 2: "2", 3: "3", 4: "4", 5: "5 (dearest)"}
SCHEMES = {"foundations": "Foundations Guidebook", "yef": "YEF Toolkit", "eef": "EEF Toolkit",
           "local": "Local evaluation"}
MEASURES = {"evidence": "evidence", "cost": "cost", "impact": "impact", "months": "months of progress",
            "padlocks": "evidence padlocks"}
GUIDE_FIELDS = (("what_works", "What works"), ("why_how", "Why and how it works"),
                ("who_for", "Who it works for: differences between groups"),
                ("barriers_enablers", "Barriers and enablers of putting it in place"),
                ("perspectives", "What children, young people and families say"),
                ("cost_benefit", "Cost-benefit"))


@dataclass(frozen=True)
class Filters:
    """What the library page is asked to show: each None when not chosen."""

    age: int | None = None
    level: str | None = None
    outcome: str | None = None
    strength: int | None = None  # at least
    cost: int | None = None  # at most
    q: str | None = None  # words to search for (store/evidence_search.py)

    def key(self) -> tuple[Any, ...]:
        return (self.age, self.level, self.outcome, self.strength, self.cost, self.q)

    def chosen(self) -> bool:
        return any(v is not None for v in self.key())


def _whole(value: str | None, name: str, low: int, high: int) -> int | None:
    """A whole number from the address between low and high, None for blank; 400 in words otherwise."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise HTTPException(400, f"{name}: ‘{value[:40]}’ is not a whole number from {low} to {high}. Go back and "
                                 "choose again from the page's form.")
    return int(text)


def filters(age: str | None, level: str | None, outcome: str | None, strength: str | None,
            cost: str | None, q: str | None = None) -> Filters:
    """The filters from the address (a form's blank choice is no filter); 400 naming what cannot be read."""
    chosen_level = (level or "").strip() or None
    if chosen_level is not None and chosen_level not in INTERVENTION_LEVELS:
        raise HTTPException(400, f"level: ‘{chosen_level[:40]}’ is not a level; the levels are "
                                 f"{', '.join(INTERVENTION_LEVELS)}. Go back and choose again from the page's form.")
    words = " ".join((q or "").split())
    if len(words) > MAX_QUERY:
        raise HTTPException(400, f"q: the search is {len(words)} characters long; search with at most {MAX_QUERY}. "
                                 "Go back and search with fewer words.")
    return Filters(_whole(age, "age", 0, MAX_AGE), chosen_level, (outcome or "").strip().lower() or None,
                   _whole(strength, "strength", 0, 4), _whole(cost, "cost", 1, 5), words or None)


def outcomes_of(column: pl.Expr) -> pl.Expr:
    """The ';'-separated outcomes as a list, each trimmed and in lower case (so 'Parenting' is 'parenting')."""
    return column.fill_null("").str.split(";").list.eval(
        pl.element().str.strip_chars().str.to_lowercase()).list.filter(pl.element() != "")


def library(st: WorkspaceState) -> pl.DataFrame:
    """The interventions with their common strength and cost and their ratings in words, strongest first (no
    benefit found last, then unrated), then cheapest, then by name."""
    def compute() -> pl.DataFrame:
        frames = st.frames()
        lib = frames["interventions"].join(evidence_summary(frames), on="intervention", how="left")
        return lib.with_columns(outcomes_of(pl.col("outcomes")).alias("outcome_list")).sort(
            pl.col("no_benefit").fill_null(False), pl.col("strength").is_null(), -pl.col("strength").fill_null(0),
            pl.col("cost").is_null(), pl.col("cost").fill_null(0), pl.col("name").str.to_lowercase())
    return st.cached(("evidence-library",), compute)


def found(st: WorkspaceState, f: Filters) -> pl.DataFrame:
    """What the search finds (kind, key, name, snippet), best first; no rows without a search. Not kept with the
    results: a search's words are the user's, and keeping every one asked would grow without end."""
    if f.q is None:
        return pl.DataFrame(schema={"kind": pl.String, "key": pl.String, "name": pl.String, "snippet": pl.String})
    return search(st.ws, f.q, SEARCH_LIMIT)


def chosen(lib: pl.DataFrame, f: Filters, hits: pl.DataFrame | None = None) -> pl.DataFrame:
    """The rows each filter leaves: an age inside the intervention's range; its level; an outcome it lists; at
    least the strength asked (an unrated intervention has none, so it is left out); at most the cost asked (one
    without a cost rating is left out, as its cost is not known); with a search, those it finds."""
    keep = pl.lit(True)
    if f.q is not None and hits is not None:
        keep &= pl.col("intervention").is_in(hits.filter(pl.col("kind") == "intervention")["key"].implode())
    if f.age is not None:
        keep &= (pl.col("age_from") <= f.age) & (pl.col("age_to") >= f.age)
    if f.level is not None:
        keep &= pl.col("level") == f.level
    if f.outcome is not None:
        keep &= pl.col("outcome_list").list.contains(f.outcome)
    if f.strength is not None:
        keep &= pl.col("strength").fill_null(-1) >= f.strength
    if f.cost is not None:
        keep &= pl.col("cost").fill_null(99) <= f.cost
    return lib.filter(keep)


def strength_words(strength: int | None) -> str:
    return "not rated" if strength is None else f"{strength}: {STRENGTHS[strength]}"


def _rows(lib: pl.DataFrame) -> list[dict[str, Any]]:
    return [{**r, "strength_words": strength_words(r["strength"]) + (DISPUTED if r["disputed"] else ""),
             "ratings_text": r["ratings_text"] or "not rated",
             "cost_words": "not rated" if r["cost"] is None else str(r["cost"])} for r in lib.iter_rows(named=True)]


def _library_json(lib: pl.DataFrame) -> list[dict[str, Any]]:
    return lib.select("intervention", "name", "level", "age_from", "age_to", "setting", "delivery_model",
                      pl.col("outcome_list").alias("outcomes"), "topic", "strength", "cost", "ratings_text",
                      "no_benefit", "disputed").to_dicts()


def snippet_html(snippet: str) -> Markup:
    """A search's snippet with the words found marked: the text escaped, only the marks made <mark>."""
    parts = re.split(f"({re.escape(MARK[0])}|{re.escape(MARK[1])})", snippet)
    out, inside = [], False
    for part in parts:
        if part == MARK[0] and not inside:
            out.append("<mark>")
            inside = True
        elif part == MARK[1] and inside:
            out.append("</mark>")
            inside = False
        else:
            out.append(str(escape(part)))
    return Markup("".join(out) + ("</mark>" if inside else ""))


def _hits(hits: pl.DataFrame) -> list[dict[str, Any]]:
    return [{**h, "href": FOUND_AT[h["kind"]].format(quote(h["key"], safe="")), "snippet_html": snippet_html(
        h["snippet"])} for h in hits.iter_rows(named=True)]


@router.get("/api/evidence", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["evidence"])
def evidence_json(st: State, age: Annotated[int | None, Query(ge=0, le=MAX_AGE)] = None,
                  level: Literal["universal", "targeted", "specialist"] | None = None,  # INTERVENTION_LEVELS
                  outcome: str | None = None,
                  strength: Annotated[int | None, Query(ge=0, le=4)] = None,
                  cost: Annotated[int | None, Query(ge=1, le=5)] = None,
                  q: Annotated[str | None, Query(max_length=MAX_QUERY)] = None) -> dict[str, Any]:
    """The evidence library, filtered: interventions for a child of `age` (0–25), at `level` (universal, targeted,
    specialist), listing `outcome`, with a common strength of evidence of at least `strength` (0–4: 4 strong, 3
    moderate, 2 promising, 1 limited, 0 no benefit found) and a common cost of at most `cost` (1 cheapest to 5);
    an intervention without a rating is left out by a filter on it. Each with its ratings as the schemes give
    them (`ratings_text`), strongest first; and the statement about ratings. With `q`, a search of the whole
    library (interventions, practice guides and briefs; every word, stemmed, at most 200 characters): `found`
    lists what holds the words (kind, key, name, a snippet with the words [marked]), best first, and only the
    interventions found are listed."""
    # typed here, so that the spec says what is allowed; the page's form sends blanks, which filters() reads
    f = filters(*(None if v is None else str(v) for v in (age, level, outcome, strength, cost, q)))
    hits = found(st, f)
    out = {"interventions": _library_json(chosen(library(st), f, hits)), "statement": RATINGS_STATEMENT}
    return out | ({"found": hits.to_dicts()} if f.q is not None else {})


@router.get("/evidence", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def evidence_page(request: Request, st: State, age: str | None = None, level: str | None = None,
                  outcome: str | None = None, strength: str | None = None, cost: str | None = None,
                  q: str | None = None) -> HTMLResponse:
    f = filters(age, level, outcome, strength, cost, q)
    lib = library(st)
    hits = found(st, f)
    shown = chosen(lib, f, hits)
    outcomes = sorted(set(lib["outcome_list"].explode().drop_nulls().to_list()))
    context = {"title": "Evidence", "current": "evidence", "f": f, "levels": INTERVENTION_LEVELS,
               "outcomes": outcomes, "strengths": STRENGTHS, "costs": COSTS, "max_age": MAX_AGE,
               "statement": RATINGS_STATEMENT, "total": lib.height}
    area = st.area(request.query_params.get("area"))  # its links keep the area, as the layout's do
    results_context = {**context, "rows": _rows(shown), "count": shown.height, "hits": _hits(hits), "area": area}
    # kept only for the choices the form offers: words typed into an address would grow the results kept
    offered = f.q is None and (f.outcome is None or f.outcome in outcomes)
    part = (fragment(st, ("evidence", area, *f.key()), "evidence_results.html", results_context) if offered
            else Markup(templates.get_template("evidence_results.html").render(results_context)))
    return page_or_fragment(request, "evidence.html", part, context)


# -- one intervention ----------------------------------------------------------------------------------------


def safe_url(url: str | None) -> str | None:
    """The address as a link only if it is http or https with a host: never javascript:, data: or the like."""
    text = (url or "").strip()
    parts = urlsplit(text)
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _provisions() -> dict[str, str]:
    return dict(specification().provisions.select("provision", "label").unique("provision", keep="first")
                .iter_rows())


def delivery_rows(delivery: pl.DataFrame, role_labels: dict[str, str]) -> list[dict[str, Any]]:
    """What one case takes by role, in words: the hours as given, or a group programme's sum."""
    per_case = evidence.hours_per_case(delivery)["hours_per_case"].to_list()
    out = []
    for row, hours in zip(delivery.iter_rows(named=True), per_case, strict=True):
        given = ("" if row["hours_per_case"] is not None else
                 f"{row['hours_per_session']:g} hours a session × {row['sessions']:g} sessions ÷ "
                 f"{row['group_size']:g} in a group")
        out.append({"role": role_labels.get(row["role"], row["role"]), "hours": hours, "given": given})
    return out


def rating_rows(ratings: pl.DataFrame) -> list[dict[str, Any]]:
    return [{**r, "scheme_name": SCHEMES.get(r["scheme"], r["scheme"]),
             "measure_name": MEASURES.get(r["measure"], r["measure"]), "link": safe_url(r["url"])}
            for r in ratings.sort("scheme", "measure").iter_rows(named=True)]


def intervention_data(st: WorkspaceState, intervention: str) -> dict[str, Any]:
    """Everything the library holds on one intervention; 404 naming some it has, for one it has not."""
    frames = st.frames()
    lib = library(st)
    found = lib.filter(pl.col("intervention") == intervention)
    if found.is_empty():
        some = ", ".join(lib["intervention"].head(10).to_list()) or "none yet"
        raise HTTPException(404, f"There is no intervention ‘{intervention[:80]}’ in the evidence library. Its "
                                 f"interventions include: {some}.")
    mine = pl.col("intervention") == intervention
    labels = results.labels(frames)
    labels["level"] = {"universal": "Universal", "targeted": "Targeted"}
    cells = frames["intervention_cells"].filter(mine)
    guides = frames["practice_guides"]
    row = found.row(0, named=True)
    topic = row["topic"] or ""
    return {"row": row, "strength_words": strength_words(row["strength"]) + (DISPUTED if row["disputed"] else ""),
            "cells": [item_label("cell", f"{c['band']} / {c['level']} / {c['provision']}", labels, _provisions())
                      for c in cells.iter_rows(named=True)],
            "groups": [labels["group"].get(g, g) for g in frames["intervention_groups"].filter(mine)["group"]],
            "delivery": delivery_rows(frames["intervention_delivery"].filter(mine), labels["role"]),
            "ratings": rating_rows(frames["evidence_ratings"].filter(mine)),
            "topic_title": (guides.filter(pl.col("topic") == topic)["title"].to_list() or [None])[0] if topic
            else None}


@router.get("/api/evidence/{intervention}", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["evidence"])
def intervention_json(st: State, intervention: str) -> dict[str, Any]:
    """One intervention of the library: its description, owner, ages, setting, delivery model, level, outcomes,
    cost per case besides staff time, the cells of the specification and the vulnerable groups it serves, what
    one case takes by role (hours), every rating as given with its citation, address, date read and licence, the
    common strength and cost; and the statement about ratings. 404 for one the library has not."""
    d = intervention_data(st, intervention)
    r = d["row"]
    return {"intervention": {k: r[k] for k in ("intervention", "name", "description", "owner", "age_from", "age_to",
                                               "setting", "delivery_model", "level", "topic", "cost_per_case",
                                               "strength", "cost", "ratings_text", "no_benefit", "disputed")},
            "outcomes": r["outcome_list"], "cells": d["cells"], "groups": d["groups"],
            "delivery": [{"role": x["role"], "hours_per_case": x["hours"]} for x in d["delivery"]],
            "ratings": [{k: x[k] for k in ("scheme", "measure", "rating", "citation", "url", "retrieved", "licence")}
                        for x in d["ratings"]],
            "statement": RATINGS_STATEMENT}


@router.get("/evidence/{intervention}", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def intervention_page(request: Request, st: State, intervention: str) -> HTMLResponse:
    d = intervention_data(st, intervention)
    return page(request, "evidence_intervention.html", {"title": d["row"]["name"], "current": "evidence", **d,
                                                        "statement": RATINGS_STATEMENT})


# -- a practice guide topic ----------------------------------------------------------------------------------


def _markdown() -> MarkdownIt:
    """CommonMark with raw HTML off (shown as text), no images (a brief's page fetches nothing), links only to
    http and https addresses (any other, javascript: above all, stays text) and opened without the page's
    address or a handle on it; headings two levels down, under the page's."""
    md = MarkdownIt("commonmark", {"html": False}).disable("image")
    md.validateLink = lambda url: safe_url(url) is not None  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Any, i: int, options: Any, env: Any) -> str:  # bound to the renderer
        tokens[i].attrSet("class", "govuk-link")
        tokens[i].attrSet("rel", "noopener noreferrer")
        return str(renderer.renderToken(tokens, i, options, env))

    def heading(renderer: Any, tokens: Any, i: int, options: Any, env: Any) -> str:
        # under the page's own h1 and the brief's h2: a brief's '#' is an h3, and so on down to h6
        tokens[i].tag = f"h{min(int(tokens[i].tag[1]) + 2, 6)}"
        return str(renderer.renderToken(tokens, i, options, env))

    md.add_render_rule("link_open", link_open)
    md.add_render_rule("heading_open", heading)
    md.add_render_rule("heading_close", heading)
    return md


MARKDOWN = _markdown()


def brief_html(markdown: str) -> Markup:
    """An evidence brief's Markdown as HTML that can carry no script: see _markdown."""
    return Markup(MARKDOWN.render(markdown))


def topic_data(st: WorkspaceState, topic: str) -> dict[str, Any]:
    """A practice guide topic's fields, its interventions (strongest first) and its brief; 404 naming the topics
    the library has, for one it has not."""
    guides = st.frames()["practice_guides"]
    found = guides.filter(pl.col("topic") == topic)
    if found.is_empty():
        some = ", ".join(guides["topic"].head(10).to_list()) or "none yet"
        raise HTTPException(404, f"There is no practice guide topic ‘{topic[:80]}’ in the evidence library. Its "
                                 f"topics are: {some}.")
    row = found.row(0, named=True)
    brief = st.cached(("evidence-briefs",), lambda: briefs(st.ws)).filter(pl.col("topic") == topic)
    return {"guide": row, "link": safe_url(row["url"]),
            "brief_markdown": brief["markdown"][0] if brief.height else None,
            "brief_title": brief["title"][0] if brief.height else None,
            "brief": brief_html(brief["markdown"][0]) if brief.height else None,
            "sections": [(label, row[name]) for name, label in GUIDE_FIELDS if (row[name] or "").strip()],
            "interventions": _rows(library(st).filter(pl.col("topic") == topic))}


@router.get("/api/evidence/topics/{topic}", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["evidence"])
def topic_json(st: State, topic: str) -> dict[str, Any]:
    """A practice guide topic: what works, why and how, who it works for (differences between groups), barriers and
    enablers, beneficiaries' perspectives and cost-benefit, with its citation; its interventions, strongest
    evidence first; its evidence brief (`brief`: title and Markdown as imported, or null); and the statement
    about ratings. 404 for a topic the library has not."""
    d = topic_data(st, topic)
    return {"topic": {k: v for k, v in d["guide"].items() if k != "source"},
            "brief": None if d["brief"] is None else {"title": d["brief_title"], "markdown": d["brief_markdown"]},
            "interventions": [{k: r[k] for k in ("intervention", "name", "level", "strength", "cost", "ratings_text")}
                              for r in d["interventions"]],
            "statement": RATINGS_STATEMENT}


@router.get("/evidence/topics/{topic}", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def topic_page(request: Request, st: State, topic: str) -> HTMLResponse:
    d = topic_data(st, topic)
    return page(request, "evidence_topic.html", {"title": d["guide"]["title"], "current": "evidence", **d,
                                                 "statement": RATINGS_STATEMENT})
