"""The services page: the register against the early intervention specification (DCSF, Commissioning early
intervention support services, 2009) — the rating 1–4
with the reasons that hold it back, the coverage matrix, the vulnerable groups by age band, the action list
and the stakeholder checklist."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.model.evidence import money
from cyplan.model.evidence_ratings import RATINGS_STATEMENT
from cyplan.model.services import Rating, checklist, coverage_matrix, group_matrix
from cyplan.reference.specification import specification
from cyplan.store import signoffs
from cyplan.web.access import needs
from cyplan.web.app import State, page
from cyplan.web.state import WorkspaceState, signed_off
from cyplan.web.tables import table

router = APIRouter()
ACTION_COLUMNS = ("rank", "band", "label", "state", "covered", "need_share", "developing", "delivery_vehicles")


SPEC_LEVELS = {"universal": "Universal", "targeted": "Targeted"}  # the specification's levels, not the model's


def item_label(kind: str, item: str, labels: dict[str, dict[str, str]], provisions: dict[str, str]) -> str:
    """A reason's item in words: 'pre_post_birth / targeted / parenting_support' → 'Pre- and post-birth (under 1),
    targeted: Support for parents …'; 'early_years / bme' → '0 to 5 (ages 1 to 4): Children from black and
    minority ethnic groups'. A code with no label is shown as it is."""
    parts = item.split(" / ")
    band = labels["band"].get(parts[0], parts[0])
    if kind == "cell" and len(parts) == 3:
        level = SPEC_LEVELS.get(parts[1], parts[1]).lower()
        return f"{band}, {level}: {provisions.get(parts[2], parts[2])}"
    if kind == "group" and len(parts) == 2:
        return f"{band}: {labels['group'].get(parts[1], parts[1])}"
    return item


def reason_groups(reasons: pl.DataFrame, labels: dict[str, dict[str, str]],
                  provisions: dict[str, str]) -> list[dict[str, Any]]:
    """The reasons grouped by what they say, in the order they first come: each reason once, with the cells or
    groups it covers (in words) and their states, instead of the same sentence on every row."""
    groups: dict[str, dict[str, Any]] = {}
    for r in reasons.iter_rows(named=True):
        g = groups.setdefault(r["why"], {"why": r["why"][:1].upper() + r["why"][1:], "items": []})
        g["items"].append({"label": item_label(r["kind"], r["item"], labels, provisions), "state": r["state"]})
    return list(groups.values())


def rating(st: WorkspaceState) -> Rating:
    """The rating with the default rules, shared with the overview."""
    return st.cached(("rating",), lambda: results.rating(st.frames()))


def services_data(st: WorkspaceState) -> dict[str, Any]:
    """The frames the page and /api/services show; `not_ready` when there is no register."""
    def compute() -> dict[str, Any]:
        frames = st.frames()
        spec = specification()
        out: dict[str, Any] = {"checklist": checklist(spec.stakeholders, frames["stakeholders"]),
                               "need_weighed": not results.missing_need_inputs(frames)}
        try:
            register, rules = results.register(frames), results.rules()
            out.update(rating=rating(st), coverage=coverage_matrix(register, spec.provisions, rules),
                       groups=group_matrix(register, spec.band_groups, rules),
                       actions=results.action_list(frames))
        except results.NotReady as e:
            out["not_ready"] = str(e)
        return out
    return st.cached(("services",), compute)


def action_evidence(st: WorkspaceState) -> dict[str, Any]:
    """The action list with evidence (results.evidence_for_actions): each (gap, intervention that fits it) pair,
    strongest evidence first within a gap, with what delivering it would take; `evidence_missing` when there is
    no library or the need model cannot run. Kept apart from the rest of the page's figures: it runs the need
    model by age band, and a workspace without a library should not wait for it."""
    def compute() -> dict[str, Any]:
        frames = st.frames()
        if frames["interventions"].is_empty():
            return {"evidence_missing": "The workspace has no evidence library yet: import interventions, the cells "
                                        "and groups they serve, what delivering them takes and their ratings on the "
                                        "Data page, and the interventions that fit each gap show here."}
        try:
            table = results.evidence_for_actions(frames)
        except results.NotReady as e:
            return {"evidence_missing": f"What an intervention would take cannot be worked out: {e}."}
        return {"evidence": table, "roles": results.labels(frames)["role"]}
    return st.cached(("services-evidence",), compute)


EVIDENCE_JSON = ("rank", "kind", "item", "intervention", "name", "fit", "strength", "ratings_text", "no_benefit",
                 "people", "people_p5", "people_p95", "fte", "fte_p5", "fte_p95", "cost", "cost_p5", "cost_p95",
                 "in_words")


def _evidence_json(d: dict[str, Any]) -> dict[str, Any]:
    """The pairs with an intervention, FTE by role as {role: [central, p5, p95]} for the roles it needs."""
    if "evidence" not in d:
        return {"evidence_missing": d["evidence_missing"]}
    pairs = d["evidence"].filter(pl.col("intervention").is_not_null())
    out = []
    for row in pairs.iter_rows(named=True):
        by_role = {r: [row[f"fte_{r}"], row[f"fte_{r}_p5"], row[f"fte_{r}_p95"]] for r in d["roles"]
                   if f"fte_{r}" in row and (row[f"fte_{r}"] or 0) > 0}  # None: delivery not known
        out.append({**{k: row[k] for k in EVIDENCE_JSON}, "fte_by_role": by_role})
    return {"evidence": out, "evidence_statement": RATINGS_STATEMENT}


def evidence_gaps(d: dict[str, Any], labels: dict[str, dict[str, str]],
                  provisions: dict[str, str]) -> list[dict[str, Any]]:
    """The gaps that interventions fit, in the action list's order, each with its interventions in words: the
    staff by role (central, 90% interval), FTE in all and cost a year."""
    gaps: dict[int, dict[str, Any]] = {}
    for row in d["evidence"].filter(pl.col("intervention").is_not_null()).iter_rows(named=True):
        gap = gaps.setdefault(row["rank"], {"rank": row["rank"], "state": row["state"], "fits": [],
                                            "label": item_label(row["kind"], row["item"], labels, provisions)})
        if row["fte"] is None:  # the library does not say what delivering it takes
            gap["fits"].append({**row, "staff": None})
            continue
        staff = sorted(((labels["role"].get(r, r), row[f"fte_{r}"], row[f"fte_{r}_p5"], row[f"fte_{r}_p95"])
                        for r in d["roles"] if f"fte_{r}" in row and round(row[f"fte_{r}"], 1) > 0),
                       key=lambda x: -x[1])
        gap["fits"].append({**row, "staff": staff, "cost_words": money(row["cost"]),
                            "cost_interval": f"{money(row['cost_p5'])} – {money(row['cost_p95'])}"})
    return list(gaps.values())


@router.get("/api/services", dependencies=[needs(Permission.VIEW_PUBLISHED)], tags=["services"])
def services_json(st: State) -> dict[str, Any]:
    """The rating (1–4) with the words that hold for it, how near it is to the levels either side (`margins`: the
    fewest changes of each kind), the partnership's own judgement when recorded, its measures and the reasons
    that keep it from the next level, the coverage matrix
    (each cell of the specification and the services behind it), the vulnerable groups by age band, the action
    list in order of priority and the stakeholder checklist; and the approver's sign-off of the rating judgement
    (`sign_off`: by, at, the data version signed and whether the data are still that version), or null. With an
    evidence library, `evidence`: each gap with each intervention that fits it, strongest evidence first (`fit` 1
    first), its ratings and what delivering it in the first year would take — people, FTE in all and by role
    (`fte_by_role`: central, 5th and 95th percentiles), cost a year in pounds — and `evidence_statement`; without
    one, or when the need model cannot run, `evidence_missing` says why."""
    d = services_data(st)
    out: dict[str, Any] = {"checklist": d["checklist"].to_dicts(), "need_weighed": d["need_weighed"],
                           "sign_off": signoffs.as_json(signed_off(st, signoffs.RATING))}
    if d.get("not_ready"):
        return {"not_ready": d["not_ready"], **out}
    r: Rating = d["rating"]
    j = r.judgement
    out.update(rating={"rating": r.rating, "title": r.title, "descriptor": r.descriptor, "nearness": r.nearness,
                       "margins": r.margins.to_dicts(), "measures": r.measures, "warnings": list(r.warnings),
                       "reasons": r.reasons.to_dicts(),
                       "judgement": None if j is None else {"rating": j.rating, "agreed_by": j.agreed_by,
                                                            "date": j.date, "reason": j.reason,
                                                            "difference": j.difference}},
               coverage=d["coverage"].to_dicts(), groups=d["groups"].to_dicts(), actions=d["actions"].to_dicts())
    return out | _evidence_json(action_evidence(st))


def _view(st: WorkspaceState) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        d = services_data(st)
        frames = st.frames()
        labels = {"band": results.labels(frames)["band"], "group": results.labels(frames)["group"],
                  "level": SPEC_LEVELS}
        view: dict[str, Any] = {**d, "checklist_table": table(
            d["checklist"].drop("agency"), "Stakeholder checklist (Commissioning early intervention support "
            "services, Annex B)", labels)}
        view["checklist_missing"] = d["checklist"]["missing"].sum()
        if d.get("not_ready"):
            return view
        r: Rating = d["rating"]
        provisions = dict(specification().provisions.select("provision", "label").unique("provision", keep="first")
                          .iter_rows())
        found = action_evidence(st)
        labels["role"] = results.labels(frames)["role"]
        view.update(
            evidence_missing=found.get("evidence_missing"), evidence_statement=RATINGS_STATEMENT,
            evidence_gaps=evidence_gaps(found, labels, provisions) if "evidence" in found else [],
            reason_groups=reason_groups(r.reasons, labels, provisions),
            coverage_table=table(results.flat(d["coverage"].drop("provision")), "Coverage matrix: each provision the "
                                 "specification expects, by age band and level, and the services behind it", labels),
            groups_table=table(results.flat(d["groups"].drop("provisions")),
                               "Vulnerable groups by age band: the services that reach them", labels),
            actions_table=table(results.flat(d["actions"].select(ACTION_COLUMNS)), "Action list, in order of priority",
                                labels))
        return view
    return st.cached(("services-view",), compute)


@router.get("/services", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def services(request: Request, st: State) -> HTMLResponse:
    return page(request, "services.html", {"title": "Services", "current": "services", **_view(st),
                                           "sign_off": signed_off(st, signoffs.RATING)})
