"""The services page: the register against the early intervention specification (seed 003) — the rating 1–4
with the reasons that hold it back, the coverage matrix, the vulnerable groups by age band, the action list
and the stakeholder checklist."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cyplan import results
from cyplan.model.services import Rating, checklist, coverage_matrix, group_matrix
from cyplan.reference.specification import specification
from cyplan.web.app import State, page
from cyplan.web.state import WorkspaceState
from cyplan.web.tables import table

router = APIRouter()
ACTION_COLUMNS = ("rank", "band", "label", "state", "covered", "need_share", "developing", "delivery_vehicles")


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


@router.get("/api/services", tags=["services"])
def services_json(st: State) -> dict[str, Any]:
    """The rating (1–4) with the words that hold for it, how near it is to the levels either side (`margins`: the
    fewest changes of each kind), the partnership's own judgement when recorded, its measures and the reasons
    that keep it from the next level, the coverage matrix
    (each cell of the specification and the services behind it), the vulnerable groups by age band, the action
    list in order of priority and the stakeholder checklist."""
    d = services_data(st)
    out: dict[str, Any] = {"checklist": d["checklist"].to_dicts(), "need_weighed": d["need_weighed"]}
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
    return out


def _view(st: WorkspaceState) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        d = services_data(st)
        frames = st.frames()
        labels = {"band": results.labels(frames)["band"], "group": results.labels(frames)["group"]}
        view: dict[str, Any] = {**d, "checklist_table": table(
            d["checklist"].drop("agency"), "Stakeholder checklist (seed 003, Annex B)", labels)}
        view["checklist_missing"] = d["checklist"]["missing"].sum()
        if d.get("not_ready"):
            return view
        r: Rating = d["rating"]
        view.update(
            reasons_table=table(r.reasons, f"What keeps the rating from {r.rating + 1}", labels)
            if not r.reasons.is_empty() else None,
            coverage_table=table(results.flat(d["coverage"].drop("provision")), "Coverage matrix: each provision the "
                                 "specification expects, by age band and level, and the services behind it", labels),
            groups_table=table(results.flat(d["groups"].drop("provisions")),
                               "Vulnerable groups by age band: the services that reach them", labels),
            actions_table=table(results.flat(d["actions"].select(ACTION_COLUMNS)), "Action list, in order of priority",
                                labels))
        return view
    return st.cached(("services-view",), compute)


@router.get("/services", response_class=HTMLResponse, include_in_schema=False)
def services(request: Request, st: State) -> HTMLResponse:
    return page(request, "services.html", {"title": "Services", "current": "services", **_view(st)})
