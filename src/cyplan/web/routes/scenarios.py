"""The scenario builder (issue 17 part 1), for analysts: named scenarios made, changed, copied and deleted as
forms, with a preview of the gap by role as the values change, and the difference between two scenarios' changes.

A scenario is rows of the scenarios input; the form is those rows, each change's rows chosen from the
workspace's own inputs. It is checked by the import's own rules (io/validate.py) and then applied as the model
applies it (model/scenarios.py), and saved as an import of the whole scenarios input (transfer.import_inputs), so
that the history, undo and the audit trail see it as they see any other import, with who and when."""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.io.problems import InputError
from cyplan.io.read import ROW, RawTable
from cyplan.io.validate import rules_broken, validate
from cyplan.io.validate_supply import BASELINE_TAKEN, name_too_long
from cyplan.io.write import write_csv
from cyplan.model.gap import gap_table
from cyplan.model.scenarios import BASELINE, COMMISSION, ScenarioError, apply, commissions, names, parse_where
from cyplan.schema import KINDS
from cyplan.schema.supply import SCENARIOS
from cyplan.store.history import diff
from cyplan.transfer import Source, import_inputs
from cyplan.web.access import needs, who
from cyplan.web.app import State, chosen_area, page
from cyplan.web.htmx import wants_fragment
from cyplan.web.state import WorkspaceState

router = APIRouter()
_SAVING = threading.Lock()  # one save at a time in this process: each reads the input afresh, then writes it whole
# The preview's draws: the demo's simulation takes ~1.2 s with 1,000 draws and ~0.12 s with 200 (benchmarks/
# scenario_preview.py), and the preview must answer in under 300 ms. The saved scenario is worked out in full.
PREVIEW_DRAWS = 200
FORM_NAME = "the scenario form"  # the 'file' the import's rules name in their messages
OPERATION_LABELS = {"set": "Set to the value", "add": "Add the value", "multiply": "Scale: multiply by the value",
                    "move": "Move a share of the hours to another role", COMMISSION: "Commission an intervention "
                    "from the year given as the value"}
CHOICES_SHOWN = 500  # a where column's values offered at most (a population's ages and years are far fewer)
NUMERIC = ("number", "share", "integer")
FIELDS = ("input", "column", "where", "operation", "value", "to_role", "description")


@dataclass
class Change:
    """One change as the form holds it: text as typed, the rows it applies to as column → value."""

    input: str = "workforce"
    column: str = ""
    where: dict[str, str] = field(default_factory=dict)
    operation: str = "add"
    value: str = ""
    to_role: str = ""
    description: str = ""
    source: str = ""

    def where_text(self) -> str:
        # ';' without a space, as the demo's file writes it: a change saved again unchanged keeps its key
        return ";".join(f"{c}={v}" for c, v in self.where.items() if v != "")


@dataclass
class Draft:
    """A scenario as the form holds it: its name, the name it was saved under (blank: a new one), its changes,
    and the area and year the preview shows."""

    name: str = ""
    original: str = ""
    changes: list[Change] = field(default_factory=list)
    area: str | None = None
    year: int | None = None

    def rows(self) -> pl.DataFrame:
        """The draft as rows of the scenarios input, every cell text, as a file would give them."""
        cols = SCENARIOS.column_names
        data = [{"scenario": self.name, "input": c.input, "column": c.column, "where": c.where_text(),
                 "operation": c.operation, "value": c.value.strip(), "to_role": c.to_role,
                 "description": c.description, "source": c.source} for c in self.changes]
        return pl.DataFrame(data, schema=dict.fromkeys(cols, pl.String), orient="row") if data else \
            pl.DataFrame(schema=dict.fromkeys(cols, pl.String))


@dataclass
class Checked:
    """A draft checked: its rows typed (None if any failed), and each problem as (field id, message) in the form's
    order; `errors` maps a field to its first message, to show beside it."""

    rows: pl.DataFrame | None
    problems: list[tuple[str, str]]

    @property
    def errors(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f, m in self.problems:
            out.setdefault(f, m)
        return out


# -- the form's choices --------------------------------------------------------------------------------------

def _numeric(kind: str) -> list[str]:
    return [c.name for c in KINDS[kind].columns if c.type in NUMERIC]


def changeable() -> list[str]:
    """The inputs a change may name: each with a numeric column, but the scenarios input itself."""
    return [k for k in KINDS if k != "scenarios" and _numeric(k)]


def _columns(change: Change) -> list[str]:
    if change.operation == COMMISSION:
        return ["from_year"]
    return _numeric(change.input) if change.input in KINDS else []


def _where_columns(change: Change) -> list[str]:
    """The columns that pick a change's rows: its input's key (role, sector, level, step, start year …), and any
    other its `where` names; a commission names the intervention and the gap."""
    if change.operation == COMMISSION:
        base = ["intervention", "gap"]
    elif change.input in KINDS:
        base = [c for c in KINDS[change.input].key if c != change.column]
    else:
        base = []
    return [*base, *(c for c in change.where if c not in base)]


def _choices(st: WorkspaceState, kind: str, column: str) -> list[str]:
    """The values a where column may take: those in the workspace's own input (kept until the data change)."""
    def compute() -> list[str]:
        frame = st.frames().get(kind)
        if frame is None or column not in frame.columns:
            return []
        values = frame[column].drop_nulls().cast(pl.String).unique().sort()
        return values.head(CHOICES_SHOWN).to_list()
    return st.cached(("scenario-choices", kind, column), compute)


def _gaps(st: WorkspaceState) -> list[str]:
    """The services action list's items, which a commission names as its gap (none if it cannot be made)."""
    def compute() -> list[str]:
        try:
            actions = results.action_list(st.frames())
        except (results.NotReady, ScenarioError):
            return []
        return actions["item"].unique(maintain_order=True).to_list() if "item" in actions.columns else []
    return st.cached(("scenario-gaps",), compute)


def _row_choices(st: WorkspaceState, change: Change) -> dict[str, Any]:
    """What the form offers one change: its columns and, for each where column, its values."""
    where = {}
    for col in _where_columns(change):
        if change.operation == COMMISSION:
            values = _choices(st, "interventions", "intervention") if col == "intervention" else \
                _gaps(st) if col == "gap" else []
        else:
            values = _choices(st, change.input, col)
        given = change.where.get(col, "")
        where[col] = values + ([given] if given and given not in values else [])
    return {"columns": _columns(change), "where": where}


# -- from the form and from the workspace ----------------------------------------------------------------

def _int(text: str | None) -> int | None:
    try:
        return int(str(text))
    except (TypeError, ValueError):
        return None


def draft_from_form(form: FormData) -> Draft:
    """The draft a form posted: changes c0-…, c1-… up to `count`, less any removed, plus one added if asked."""
    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    count = min(_int(text("count")) or 0, 200)  # a form's own count, bounded: a made-up one makes no more rows
    action = text("action")
    changes = []
    for i in range(count):
        if action == f"remove-{i}":
            continue
        prefix = f"c{i}-"
        where = {k.removeprefix(f"{prefix}where-"): text(k) for k in form if k.startswith(f"{prefix}where-")}
        changes.append(Change(text(prefix + "input"), text(prefix + "column"), where, text(prefix + "operation"),
                              text(prefix + "value"), text(prefix + "to_role"), text(prefix + "description"),
                              text(prefix + "source")))
    if action == "add" or not changes:
        changes.append(Change())
    for c in changes:  # a column that is not the input's (the input was changed): the input's first
        cols = _columns(c)
        if cols and c.column not in cols:
            c.column = cols[0]
        keep = set(_where_columns(c))
        c.where = {k: v for k, v in c.where.items() if k in keep}
    return Draft(text("name"), text("original"), changes, text("area") or None, _int(text("year")))


def draft_from_workspace(frames: results.Frames, name: str) -> Draft:
    rows = frames["scenarios"].filter(pl.col("scenario") == name)
    changes = []
    for r in rows.iter_rows(named=True):
        try:
            where = parse_where(r["where"] or "")
        except ValueError:
            where = {}
        changes.append(Change(r["input"], r["column"], where, r["operation"], f"{r['value']:.15g}", r["to_role"] or "",
                              r["description"] or "", r["source"] or ""))
    return Draft(name, name, changes)


# -- checking -------------------------------------------------------------------------------------------

def _field(i: int, column: str | None) -> str:
    """The form's field for a problem the import's rules find in a change's column: the scenario's name (a
    control character in it) beside the name, any other column not on the form (a repeated change) its value."""
    if column == "scenario":
        return "name"
    return f"c{i}-{column if column in FIELDS else 'value'}"


def check(frames: results.Frames, draft: Draft) -> Checked:
    """The draft checked as an import would check it (the scenarios input's rules), then applied as the model
    applies it, change by change, so that a change that matches no row or leaves a value out of bounds is named."""
    problems: list[tuple[str, str]] = []
    taken = set(names(frames["scenarios"])) - {draft.original}
    too_long = name_too_long(draft.name)
    if not draft.name:
        problems.append(("name", "Enter a name for the scenario"))
    elif draft.name == BASELINE:
        problems.append(("name", BASELINE_TAKEN))
    elif draft.name in taken:
        problems.append(("name", f"There is already a scenario named '{draft.name}': choose another name, or "
                                 "change that one"))
    elif too_long is not None:
        problems.append(("name", too_long[0].upper() + too_long[1:]))
    # the name's own problems are shown beside it, above: the import's rules below check the changes
    shown = draft.name if draft.name and too_long is None else "unnamed"
    raw_rows = draft.rows().with_columns(pl.lit(shown).alias("scenario"))
    raw = RawTable(FORM_NAME, None, SCENARIOS.column_names,
                   raw_rows.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64)), 0)
    typed, found = validate(raw, SCENARIOS)
    for p in InputError(found) if found else []:
        said = (_field((p.row or 1) - 1, p.column), _words(p.message, ""))
        if said not in problems:  # the name is on every change's row: its problem once
            problems.append(said)
    if problems:
        return Checked(None, problems)
    typed = typed.drop(ROW).with_columns(pl.lit(draft.name).alias("scenario"))
    problems += _applied(frames, typed, draft.name)
    return Checked(None if problems else typed, problems)


def check_commissions(frames: results.Frames, draft: Draft, rows: pl.DataFrame) -> list[tuple[str, str]]:
    """A checked draft's commissions run, on the preview's draws: the import takes a commission of an intervention
    the library has not, or for a gap not in the action list, and only a run finds it. Beside the first
    commission's rows, as the message names the intervention."""
    kinds = rows["operation"].to_list()
    if COMMISSION not in kinds:
        return []
    try:
        results.simulation(_with_draft(frames, rows, draft), draft.name, draws=PREVIEW_DRAWS)
    except ScenarioError as e:
        return [(f"c{kinds.index(COMMISSION)}-where", _words(str(e), f"scenario '{draft.name}', "))]
    except results.NotReady:
        return []  # no model to run yet: the import's rules are all there is to check
    return []


def _applied(frames: results.Frames, rows: pl.DataFrame, name: str) -> list[tuple[str, str]]:
    """Each change applied in turn as model/scenarios.py applies the scenario, then the import's rules between
    rows and columns on each input changed (as results.simulation does)."""
    out = dict(frames)
    label = f"scenario '{name}', "
    for i, change in enumerate(rows.iter_rows(named=True)):
        one = rows.slice(i, 1)
        try:
            if change["operation"] == COMMISSION:
                commissions(one, name)
            else:
                out = apply(out, one, name)
        except ScenarioError as e:
            return [(f"c{i}-{e.field or 'value'}", _words(str(e), label))]
    broken = [(k, m) for k, f in out.items() if f is not frames[k] for m in rules_broken(k, f, f"the scenario, {k}")]
    if broken:
        last = {c["input"]: i for i, c in enumerate(rows.iter_rows(named=True))}
        return [(f"c{last.get(k, 0)}-value", _words(m, "")) for k, m in broken]
    return []


def _words(message: str, label: str) -> str:
    """A model's message as a form says it: without the scenario's name the form already shows, capitalised."""
    text = message.removeprefix(label)
    return text[:1].upper() + text[1:]


# -- the preview ------------------------------------------------------------------------------------------

def _with_draft(frames: results.Frames, rows: pl.DataFrame, draft: Draft) -> results.Frames:
    held = frames["scenarios"].filter(~pl.col("scenario").is_in([draft.name, draft.original]))
    return {**frames, "scenarios": pl.concat([held, rows.select(held.columns)], how="vertical_relaxed")}


def _gap(sim: Any, area: str, year: int) -> pl.DataFrame:
    return gap_table(sim, ["role"], [area], [year]).select("role", "gap_fte", "gap_fte_p5", "gap_fte_p95")


def _preview_base(st: WorkspaceState) -> Any:
    """The baseline on the preview's draws, kept until the data change."""
    return st.cached(("preview-baseline",), lambda: results.simulation(st.frames(), draws=PREVIEW_DRAWS))


def _years(st: WorkspaceState) -> list[int]:
    try:
        return list(_preview_base(st).dims.years)
    except (results.NotReady, ScenarioError):
        return []


def preview(st: WorkspaceState, draft: Draft, rows: pl.DataFrame) -> dict[str, Any]:
    """The gap by role in the draft's year, the baseline's and the draft's, from PREVIEW_DRAWS draws each (the same
    random numbers, so the difference is the draft's doing); or why it cannot be shown."""
    frames = st.frames()
    area = chosen_area(st, draft.area)
    if area is None:
        return {"preview_missing": "The workspace has no areas yet: upload them on the Data page."}
    try:
        base = _preview_base(st)
        years = list(base.dims.years)
        year = draft.year if draft.year in years else years[-1]
        sim = results.simulation(_with_draft(frames, rows, draft), draft.name, draws=PREVIEW_DRAWS)
    except results.NotReady as e:
        return {"preview_missing": f"No gap can be shown: {e}."}
    except ScenarioError as e:
        return {"preview_missing": f"The scenario cannot be run: {_words(str(e), f'scenario {draft.name!r}, ')}"}
    before = _gap(base, area, year).rename({"gap_fte": "baseline", "gap_fte_p5": "baseline_p5",
                                            "gap_fte_p95": "baseline_p95"})
    after = _gap(sim, area, year)
    both = before.join(after, on="role", maintain_order="left")
    labels = results.labels(frames)["role"]
    rows_shown = [{"role": labels.get(r["role"], r["role"]), "baseline": r["baseline"], "draft": r["gap_fte"],
                   "interval": (r["gap_fte_p5"], r["gap_fte_p95"]), "change": r["gap_fte"] - r["baseline"]}
                  for r in both.iter_rows(named=True)]
    total = {"baseline": sum(r["baseline"] for r in rows_shown), "draft": sum(r["draft"] for r in rows_shown)}
    return {"preview": rows_shown, "preview_total": total, "preview_year": year, "years": years,
            "preview_area": st.area_names().get(area, area), "preview_draws": PREVIEW_DRAWS}


# -- saving -----------------------------------------------------------------------------------------------

def _saved_rows(frames: results.Frames, draft: Draft, rows: pl.DataFrame | None) -> pl.DataFrame:
    """The whole scenarios input with the draft in its place (or last, if new), or without it (rows None)."""
    held = frames["scenarios"]
    parts = []
    placed = False
    for name in names(held):
        if name in (draft.original, draft.name):
            if rows is not None and not placed:
                parts.append(rows)
                placed = True
            continue
        parts.append(held.filter(pl.col("scenario") == name))
    if rows is not None and not placed:
        parts.append(rows)
    cols = SCENARIOS.column_names
    return pl.concat([p.select(cols) for p in parts], how="vertical_relaxed") if parts else held.select(cols).clear()


def save(st: WorkspaceState, draft: Draft, rows: pl.DataFrame | None, shown: str) -> None:
    """The scenarios input with the draft in place (rows None: taken out), as an import of a file of it: checked
    again whole, written in one transaction with its version in the history and its entry in the audit trail.
    The other scenarios are read afresh, not from the page's cache, and saves here are one at a time, so that two
    analysts saving at once in this process do not undo each other's scenario."""
    with _SAVING, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenarios.csv"
        write_csv(_saved_rows({"scenarios": st.ws.read("scenarios")}, draft, rows), path)
        import_inputs(st.ws, [Source("scenarios", path)], "replace", display_name=shown)
    st.forget()


# -- the pages --------------------------------------------------------------------------------------------

def _list_context(st: WorkspaceState, **extra: Any) -> dict[str, Any]:
    frames = st.frames()
    held = frames["scenarios"]
    listed = []
    for name in names(held):
        rows = held.filter(pl.col("scenario") == name)
        listed.append({"name": name, "changes": rows.height, "description": rows["description"][0] or ""})
    return {"title": "Scenarios", "current": "workforce", "scenarios": listed, **extra}


def _form_context(st: WorkspaceState, draft: Draft, checked: Checked | None = None,
                  shown: dict[str, Any] | None = None) -> dict[str, Any]:
    changes = [{"change": c, **_row_choices(st, c)} for c in draft.changes]
    roles = _choices(st, "roles", "role")
    labels = results.labels(st.frames())
    return {"title": f"Change the scenario ‘{draft.original}’" if draft.original else "Build a scenario",
            "current": "workforce", "draft": draft, "changes": changes, "inputs": changeable(), "kinds": KINDS,
            "operations": OPERATION_LABELS, "roles": roles, "role_labels": labels["role"],
            "problems": checked.problems if checked else [], "errors": checked.errors if checked else {},
            "draws": results.DRAWS, "preview_draws": PREVIEW_DRAWS, "preview_years": _years(st), **(shown or {})}


def _preview_part(st: WorkspaceState, draft: Draft) -> dict[str, Any]:
    """The preview's part alone: the draft's problems, or its gap (the form's choices are not worked out)."""
    checked = check(st.frames(), draft)
    shown = preview(st, draft, checked.rows) if checked.rows is not None else {}
    return {"problems": checked.problems, "draws": results.DRAWS, **shown, "preview_only": True}


def _known(st: WorkspaceState, name: str) -> None:
    if name not in names(st.frames()["scenarios"]):
        listed = ", ".join(names(st.frames()["scenarios"])) or "none yet"
        raise HTTPException(404, f"There is no scenario ‘{name}’. The scenarios are: {listed}.")


@router.get("/scenarios", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.RUN_SCENARIOS)])
def scenarios_page(request: Request, st: State, a: str | None = None, b: str | None = None) -> HTMLResponse:
    """Every scenario with its changes, and with ?a=&b= the difference between two scenarios' changes."""
    extra: dict[str, Any] = {}
    if a is not None and b is not None:
        extra["difference"] = difference(st, a, b)
    return page(request, "scenarios.html", _list_context(st, **extra))


def difference(st: WorkspaceState, a: str, b: str) -> dict[str, Any]:
    """The changes only in a, only in b, and in both with different values: rows matched by the scenarios input's
    key without the scenario's name (store/history.diff, as an input's versions are compared)."""
    held = st.frames()["scenarios"]
    for name in (a, b):
        _known(st, name)
    one, other = (held.filter(pl.col("scenario") == n).with_columns(pl.lit("").alias("scenario")) for n in (a, b))
    found = diff("scenarios", one, other)
    shown = [c for c in SCENARIOS.column_names if c not in ("scenario", "source")]
    return {"a": a, "b": b, "only_a": found.removed.select(shown).to_dicts(),
            "only_b": found.added.select(shown).to_dicts(), "columns": shown,
            "changed": [({k: v for k, v in key.items() if k != "scenario"}, cols) for key, cols in found.changed
                        if set(cols) - {"source"}]}


@router.get("/api/scenarios/difference", dependencies=[needs(Permission.RUN_SCENARIOS)], tags=["workforce"])
def difference_json(st: State, a: str, b: str) -> dict[str, Any]:
    """The difference between two scenarios' changes: `only_a` and `only_b` (the changes one has and the other has
    not, matched on input, column, where, operation and to_role) and `changed` (a change both have, with each
    column that differs as [in a, in b]). 404 for a scenario the workspace has not."""
    d = difference(st, a, b)
    return {"a": a, "b": b, "only_a": d["only_a"], "only_b": d["only_b"],
            "changed": [{"change": key, "differs": {c: list(v) for c, v in cols.items()}}
                        for key, cols in d["changed"]]}


@router.get("/scenarios/new", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.RUN_SCENARIOS)])
def new_scenario(request: Request, st: State, copy: str | None = None) -> HTMLResponse:
    """An empty builder, or with ?copy= a new scenario holding that one's changes under a new name."""
    if copy is None:
        return page(request, "scenario_form.html", _form_context(st, Draft(changes=[Change()])))
    _known(st, copy)
    draft = draft_from_workspace(st.frames(), copy)
    taken = set(names(st.frames()["scenarios"]))
    draft.name = next(n for n in (f"{copy}_copy{'' if k == 1 else k}" for k in range(1, 1000)) if n not in taken)
    draft.original = ""
    return page(request, "scenario_form.html", _form_context(st, draft))


@router.get("/scenarios/{scenario}/edit", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.RUN_SCENARIOS)])
def edit_scenario(request: Request, scenario: str, st: State) -> HTMLResponse:
    _known(st, scenario)
    return page(request, "scenario_form.html", _form_context(st, draft_from_workspace(st.frames(), scenario)))


@router.post("/scenarios/form", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[needs(Permission.RUN_SCENARIOS)])
async def scenario_form(request: Request, st: State) -> HTMLResponse:
    """The builder again as posted, with a change added or removed, or the choices of a change whose input or
    operation changed (htmx: the form alone)."""
    draft = draft_from_form(await request.form())
    context = _form_context(st, draft)
    if wants_fragment(request):
        return page(request, "scenario_form.html", {**context, "form_only": True})
    return page(request, "scenario_form.html", context)


@router.post("/scenarios/preview", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[needs(Permission.RUN_SCENARIOS)])
async def scenario_preview(request: Request, st: State) -> HTMLResponse:
    """The gap by role under the draft beside the baseline's, or the draft's problems (htmx: that part alone)."""
    draft = draft_from_form(await request.form())
    if wants_fragment(request):
        return page(request, "scenario_form.html", _preview_part(st, draft))
    checked = check(st.frames(), draft)  # no script: the whole form again, with the preview
    shown = preview(st, draft, checked.rows) if checked.rows is not None else {}
    return page(request, "scenario_form.html", _form_context(st, draft, checked, shown))


@router.post("/scenarios/save", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[needs(Permission.IMPORT)])
async def save_scenario(request: Request, st: State) -> Response:
    """Saved if it passes every check, as an import of the scenarios input; else the form with its problems."""
    draft = draft_from_form(await request.form())
    frames = st.frames()
    checked = check(frames, draft)
    if checked.rows is not None and (found := check_commissions(frames, draft, checked.rows)):
        checked = Checked(None, found)
    if checked.rows is None:
        return page(request, "scenario_form.html", _form_context(st, draft, checked), status_code=422)
    verb = f"changed (was ‘{draft.original}’)" if draft.original and draft.original != draft.name else \
        "changed" if draft.original else "made"
    try:
        save(st, draft, checked.rows, f"scenario builder: '{draft.name}' {verb}")
    except InputError as e:  # held rows the import's checks now refuse: say so, save nothing
        problems = [("name", str(p)) for p in e]
        return page(request, "scenario_form.html", _form_context(st, draft, Checked(None, problems)), status_code=422)
    return page(request, "scenarios.html", _list_context(st, done=f"The scenario ‘{draft.name}’ was {verb} by "
                                                             f"{who(request)}. The Workforce page shows it beside the "
                                                             "others.", saved=draft.name))


@router.post("/scenarios/{scenario}/delete", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[needs(Permission.IMPORT)])
async def delete_scenario(request: Request, scenario: str, st: State) -> HTMLResponse:
    """The scenario's changes taken out of the scenarios input (an import like any other: the history can bring
    them back). The form names the scenario again: a bare POST to the address deletes nothing."""
    _known(st, scenario)
    if (await request.form()).get("scenario") != scenario:
        raise HTTPException(400, f"To delete the scenario ‘{scenario}’, use its Delete button on the Scenarios page.")
    try:
        save(st, Draft(scenario, scenario), None, f"scenario builder: '{scenario}' deleted")
    except InputError as e:
        raise HTTPException(409, "; ".join(str(p) for p in e)) from None
    return page(request, "scenarios.html", _list_context(st, done=f"The scenario ‘{scenario}’ was deleted by "
                                                                  f"{who(request)}. The history of the scenarios "
                                                                  "input on the Data page can bring it back."))
