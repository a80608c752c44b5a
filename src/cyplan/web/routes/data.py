"""The data page: every input with its rows and last import, uploads (checked whole, saved only when clean)
and downloads of every input and results table as CSV and Excel."""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import sqlalchemy as sa
from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, Response

from cyplan import results
from cyplan.auth.roles import Permission
from cyplan.io.problems import Grouping, InputError, Problem, ProblemGroup, problem_frames
from cyplan.io.read import CSV_SUFFIXES, EXCEL_SUFFIXES, MAX_HEADER_ROW
from cyplan.io.template import write_template
from cyplan.io.write import write_csv, write_xlsx
from cyplan.model.gap import gap_table, supply_table
from cyplan.model.plan import cost_table, demand_table, need_table
from cyplan.returns import service as returns
from cyplan.schema import KINDS
from cyplan.store.history import diff
from cyplan.store.returns_tables import returns_imports
from cyplan.transfer import Source, export_inputs, import_inputs, restore, sources_in
from cyplan.web.access import needs, require
from cyplan.web.app import State, page
from cyplan.web.problem_files import TOKEN, ProblemFiles
from cyplan.web.routes.overview import simulation
from cyplan.web.state import WorkspaceState

router = APIRouter()
AUTO, RETURNS = "auto", "referral_returns"
SHOWN_PROBLEMS = 200  # rows of a version's changes on its history page
SHOWN_GROUPS = 50  # kinds of problem listed for a refused file; the rest are counted, and every one downloads
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ResultTable:
    title: str
    compute: Callable[[WorkspaceState], pl.DataFrame]


def _gap(by: list[str]) -> Callable[[WorkspaceState], pl.DataFrame]:
    from cyplan.web.routes.overview import simulation

    return lambda st: gap_table(simulation(st), by, errors=True)  # with the Monte Carlo errors, as the CLI writes


def _supply(st: WorkspaceState) -> pl.DataFrame:
    from cyplan.web.routes.overview import simulation

    return supply_table(simulation(st), ["role"], errors=True)


def _returns(published: bool) -> Callable[[WorkspaceState], dict[str, pl.DataFrame]]:
    def compute(st: WorkspaceState) -> dict[str, pl.DataFrame]:
        try:
            tables = st.cached(("returns-tables",), lambda: returns.tables(st.ws))
        except returns.NoReturns as e:
            raise results.NotReady(str(e)) from None
        return st.cached(("returns-published",), lambda: returns.publishable(tables)) if published else tables
    return compute


# Every results table that can be downloaded: the same functions the pages and the CLI use.
RESULT_TABLES: dict[str, ResultTable] = {
    "need": ResultTable("Need by area, year, age band and level (central plan)",
                        lambda st: need_table(results.plan(st.frames()), ["age-band", "level"])),
    "demand": ResultTable("Workforce demand by area, year and role (central plan)",
                          lambda st: demand_table(results.plan(st.frames()), ["role"])),
    "costs": ResultTable("Cost of meeting need by area, year and budget line (central plan)",
                         lambda st: cost_table(results.plan(st.frames()))),
    "supply": ResultTable("Workforce supply by area, year and role (median, 90% interval, Monte Carlo errors)",
                          _supply),
    "gap": ResultTable("Workforce gap by area, year and role (median, 90% interval, Monte Carlo errors)",
                       _gap(["role"])),
    "gap_by_sector": ResultTable("Workforce gap by area, year, role and sector", _gap(["role", "sector"])),
    "scenarios": ResultTable("Scenarios compared in the last year",
                             lambda st: results.compare_scenarios(st.frames(), by_role=True, errors=True)[0]),
    "rating_reasons": ResultTable("What keeps the services' rating from the next level",
                                  lambda st: results.rating(st.frames()).reasons),
    "actions": ResultTable("Action list", lambda st: results.action_list(st.frames())),
}


def _file(frames: dict[str, pl.DataFrame], name: str, fmt: str) -> Response:
    if fmt == "csv":
        if len(frames) != 1:
            raise HTTPException(404, "That table is only available as a workbook.")
        import io

        buf = io.StringIO()
        write_csv(results.flat(next(iter(frames.values()))), buf)
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.xlsx"
        write_xlsx({k[:31]: results.flat(v) for k, v in frames.items()}, path)
        return Response(path.read_bytes(), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


def _audited(st: WorkspaceState, made: Response, name: str, fmt: str) -> Response:
    """The download, once the audit trail has it: figures before disclosure control leaving the workspace."""
    st.audit("download", {"table": name, "format": fmt, "published": False})
    return made


def _inputs(st: WorkspaceState) -> list[dict[str, Any]]:
    frames = st.frames()
    log = st.cached(("imports",), st.ws.imports)
    last = {}
    if log.height:
        latest = log.sort("id").group_by("kind").agg(pl.all().last())
        last = {r["kind"]: r for r in latest.iter_rows(named=True)}
    held = st.cached(("versions",), st.ws.versions)
    counts = dict(held.group_by("kind").len().iter_rows()) if held.height else {}
    return [{"kind": k, "title": spec.title, "description": spec.description, "rows": frames[k].height,
             "file": Path(last[k]["file"]).name if k in last else "", "imported_at": last.get(k, {}).get("imported_at"),
             "versions": counts.get(k, 0)}
            for k, spec in KINDS.items()]


def _returns_log(st: WorkspaceState) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]]:
        with st.ws.engine.connect() as conn:
            rows = conn.execute(sa.select(returns_imports).order_by(returns_imports.c.id)).mappings().all()
        return [{**r, "file": Path(r["file"]).name} for r in rows]
    return st.cached(("returns-log",), read)


def _returns_names(st: WorkspaceState) -> list[str]:
    try:
        return list(_returns(False)(st))
    except results.NotReady:
        return []


def _context(st: WorkspaceState, **extra: Any) -> dict[str, Any]:
    return {"title": "Data", "current": "data", "inputs": _inputs(st), "kinds": KINDS, "returns_log": _returns_log(st),
            "result_tables": RESULT_TABLES, "returns_tables": _returns_names(st), **extra}


@router.get("/data", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_PUBLISHED)])
def data_page(request: Request, st: State) -> HTMLResponse:
    return page(request, "data.html", _context(st))


@router.get("/api/inputs", dependencies=[needs(Permission.VIEW_UNPUBLISHED)], tags=["data"])
def inputs_json(st: State) -> list[dict[str, Any]]:
    """Every input: its name, title, rows held and the last file imported into it."""
    return _inputs(st)


@router.get("/api/inputs/{kind}", dependencies=[needs(Permission.VIEW_UNPUBLISHED)], tags=["data"])
def input_json(kind: str, st: State) -> list[dict[str, Any]]:
    """The rows of one input."""
    if kind not in KINDS:
        raise HTTPException(404, f"'{kind}' is not an input; the inputs are {', '.join(KINDS)}")
    rows = st.frames()[kind].to_dicts()
    st.audit("download", {"inputs": [kind], "api": f"/api/inputs/{kind}"})  # as the same rows as a file are
    return rows


@router.get("/data/inputs.xlsx", dependencies=[needs(Permission.VIEW_UNPUBLISHED)], include_in_schema=False)
def all_inputs(st: State) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inputs.xlsx"
        export_inputs(st.ws, list(KINDS), path)
        st.audit("download", {"inputs": "all", "file": "inputs.xlsx"})
        return Response(path.read_bytes(), media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="inputs.xlsx"'})


@router.get("/data/template.xlsx", dependencies=[needs(Permission.IMPORT)], include_in_schema=False)
def template_workbook() -> Response:
    """The blank workbook to fill in: the same for every workspace, so it needs none."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cyplan-template.xlsx"
        write_template(path)
        return Response(path.read_bytes(), media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="cyplan-template.xlsx"'})


@router.get("/data/inputs/{kind}.{fmt}", dependencies=[needs(Permission.VIEW_UNPUBLISHED)], include_in_schema=False)
def one_input(kind: str, fmt: str, st: State) -> Response:
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "There is no such input file. The Data page lists every input.")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{kind}.{fmt}"
        export_inputs(st.ws, [kind], path)
        st.audit("download", {"inputs": [kind], "file": f"{kind}.{fmt}"})
        media = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
        return Response(path.read_bytes(), media_type=media,
                        headers={"Content-Disposition": f'attachment; filename="{kind}.{fmt}"'})


@router.get("/data/results/{name}.{fmt}", dependencies=[needs(Permission.VIEW_PUBLISHED)], include_in_schema=False)
def one_result(request: Request, name: str, fmt: str, st: State) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Tables download as .csv or .xlsx.")
    try:
        if name in RESULT_TABLES:
            frame = st.cached(("download", name), lambda: RESULT_TABLES[name].compute(st))
            return _audited(st, _file({name: frame}, name, fmt), name, fmt)
        for prefix, published in (("returns-published", True), ("returns-unpublished", False)):
            if not published and name.startswith(prefix):  # counts before disclosure control
                require(request, Permission.VIEW_UNPUBLISHED)
            if name == prefix:
                made = _file(_returns(published)(st), name, "xlsx")
                return made if published else _audited(st, made, name, "xlsx")
            table = name.removeprefix(prefix + "-")
            if name.startswith(prefix + "-") and table in _returns_names(st):
                made = _file({table: _returns(published)(st)[table]}, name, fmt)
                return made if published else _audited(st, made, name, fmt)
    except results.NotReady as e:
        return page(request, "error.html", {"title": "This table is not ready", "message": str(e)}, 409)
    raise HTTPException(404, "There is no such table. The Data page lists every table.")


# -- uploads ------------------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    """The uploaded file's own name, without any folder, for messages and for working out its input."""
    base = re.sub(r"[^A-Za-z0-9._ -]", "_", Path(name.replace("\\", "/")).name)
    suffix = Path(base).suffix if len(Path(base).suffix) <= 10 else ""
    # a long name is shortened before its extension, which says how the file is read
    return (base[: 120 - len(suffix)].rstrip(".") + suffix if len(base) > 120 else base) or "upload"


def _display_name(name: str) -> str:
    """The upload's name as the user knows it, for the import log: no folder, no control characters."""
    return re.sub(r"[\x00-\x1f\x7f]", "", Path(name.replace("\\", "/")).name)[:200] or "upload"


def _as_uploaded(request: Request, e: InputError, saved: Path, name: str) -> Listed:
    """What the page lists of the problems, naming the file as the user knows it, not the temporary copy: every
    problem in a group of one kind in one column, counted, and the full list saved for download (a file full of
    errors has millions: they are folded into groups and written a part at a time, never all held)."""
    def fixed(frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for frame in frames:
            yield frame.with_columns(pl.col("file", "message").str.replace_all(str(saved), name, literal=True)
                                     .str.replace_all(str(saved.parent), name, literal=True))
    return _listed(request, fixed(e.frames()), len(e), name)


def _listed(request: Request, frames: Iterable[pl.DataFrame], total: int, name: str) -> Listed:
    grouping = Grouping()

    def folded() -> Iterator[pl.DataFrame]:
        for frame in frames:
            grouping.add(frame)
            yield frame
    token = _problem_files(request).save(folded(), f"{Path(name).stem or 'upload'}-problems.csv")
    return Listed(grouping.groups(), total, token)


_PROBLEM_FILES_LOCK = threading.Lock()  # two first uploads of an area at once make one store, not two


def _problem_files(request: Request) -> ProblemFiles:
    """The refused uploads' problem lists of the area the request is in: each area keeps its own, so that on the
    shared server a token of one area's list (its rows' values) is no other area's to read, nor to learn exists."""
    kept: dict[str | None, ProblemFiles] | None = getattr(request.app.state, "problem_files", None)
    if kept is None:
        kept = request.app.state.problem_files = {}
    tenant = getattr(request.state, "tenant", None)  # None: the one-person app's one workspace
    with _PROBLEM_FILES_LOCK:
        if tenant not in kept:
            kept[tenant] = ProblemFiles()
        return kept[tenant]


@dataclass(frozen=True)
class Listed:
    """The problems a refused upload's page lists, in groups, how many there are in all, and the token that
    downloads every one of them."""

    groups: list[ProblemGroup]
    total: int
    token: str

    @property
    def shown(self) -> list[ProblemGroup]:
        return self.groups[:SHOWN_GROUPS]

    @property
    def more(self) -> int:
        """Problems in the groups past SHOWN_GROUPS."""
        return sum(g.count for g in self.groups[SHOWN_GROUPS:])


@router.get("/data/problems/{token}.csv", dependencies=[needs(Permission.IMPORT)], include_in_schema=False)
def problems_csv(request: Request, token: str) -> Response:
    """Every problem of a refused upload, one a line: file, sheet, row, column, message."""
    found = _problem_files(request).find(token) if re.fullmatch(TOKEN, token) else None
    if found is None:
        raise HTTPException(404, "This list of problems is no longer kept: upload the file again to see them.")
    path, name = found
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=name)


def _import(st: WorkspaceState, saved: Path, kind: str, mode: str, shown: str, reading: Reading) -> list[str]:
    """Import one uploaded file, logged under `shown` (its own name); raises InputError with every problem, having
    written nothing. How the file was read ('FTE' as fte_in_post, …) is added to `reading.notes`."""
    if kind == RETURNS:
        result = returns.import_returns(st.ws, saved, display_name=shown)
        return [f"Imported {result.records:,} referral records ({result.accepted:,} accepted) from {shown}"
                + (f", replacing {result.replaced:,} earlier records" if result.replaced else "")
                + (f"; {result.queries.height:,} queries to look at in the quality report" if result.queries.height
                   else "") + "."] + [f"Note: {shown}: {n}" for n in result.notes]
    suffix = saved.suffix.lower()
    if kind == AUTO:
        sources = sources_in(saved) if suffix in EXCEL_SUFFIXES else sources_in(saved.parent)
    else:
        sources = [Source(kind, saved)]
    sources = [replace(s, header_row=reading.header_row, split_age_bands=reading.split_age_bands) for s in sources]
    log = import_inputs(st.ws, sources, mode, display_name=shown, warnings=reading.notes)  # type: ignore[arg-type]
    return [f"Imported {r.rows:,} row{'s' if r.rows != 1 else ''} of {KINDS[r.kind].title.lower()}"
            + (f" (sheet {r.sheet})" if r.sheet else "") + "." for r in log] + [f"Note: {n}" for n in reading.notes]


@dataclass(frozen=True)
class Reading:
    """How the upload form asks for the file to be read (as `cyplan import`'s --header-row and --split-age-bands),
    and the notes on how it was."""

    header_row: int | None = None
    split_age_bands: bool = False
    notes: list[str] = field(default_factory=list)


def _header_row(given: str, name: str) -> int | Problem | None:
    """The header row typed on the form: None if blank, else a whole number from 1, or the problem with it."""
    text = given.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,7}", text) or not 1 <= int(text) <= MAX_HEADER_ROW:  # not isdigit(): '²' is
        return Problem(name, None, None, "the header row must be a row number from 1 to "  # a digit int() refuses
                       f"{MAX_HEADER_ROW:,}, not '{text[:20]}'")
    return int(text)


@router.post("/data/upload", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[needs(Permission.IMPORT)])
async def upload(request: Request, st: State, file: UploadFile,
                 kind: Annotated[str, Form()] = AUTO, mode: Annotated[str, Form()] = "replace",
                 header_row: Annotated[str, Form()] = "", split_age_bands: Annotated[str, Form()] = "") -> HTMLResponse:
    name = _safe_name(file.filename or "")
    suffix = Path(name).suffix.lower()
    bad = None
    row = _header_row(header_row, name)
    if isinstance(row, Problem):
        bad = row
    elif kind not in (AUTO, RETURNS, *KINDS):
        bad = Problem(name, None, None, "choose what the file holds from the list")
    elif mode not in ("replace", "merge"):
        bad = Problem(name, None, None, "choose whether the file replaces or adds to what is held")
    elif not file.filename:
        bad = Problem("file", None, None, "choose a file to upload")
    elif suffix not in (*CSV_SUFFIXES, *EXCEL_SUFFIXES):
        bad = Problem(name, None, None, "upload a .csv file or an Excel workbook (.xlsx)")
    if bad is not None:
        return _refused(request, st, [bad], name, kind)
    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / name
        with saved.open("wb") as out:
            while chunk := await file.read(1 << 20):
                out.write(chunk)
        if saved.stat().st_size == 0:
            return _refused(request, st, [Problem(name, None, None, "the file is empty")], name, kind)
        reading = Reading(row if isinstance(row, int) else None, bool(split_age_bands))
        try:
            done = _import(st, saved, kind, mode, _display_name(file.filename or name), reading)
        except InputError as e:
            return _refused(request, st, _as_uploaded(request, e, saved, name), name, kind,
                            [n.replace(str(saved), name) for n in reading.notes])
    st.forget()
    answer = page(request, "data.html", _context(st, done=done))
    st.work_out_after(lambda: simulation(st))  # once answered: the simulation the dashboard pages show first
    return answer


def _refused(request: Request, st: WorkspaceState, problems: list[Problem] | Listed, name: str,
             kind: str, notes: list[str] | None = None) -> HTMLResponse:
    listed = problems if isinstance(problems, Listed) else _listed(request, problem_frames(problems), len(problems),
                                                                   name)
    return page(request, "data.html", _context(st, groups=listed.shown, more=listed.more, total=listed.total,
                                               groups_more=len(listed.groups) - len(listed.shown),
                                               download=listed.token, uploaded=name, chosen_kind=kind,
                                               notes=notes or []),
                status_code=422)


# -- history ------------------------------------------------------------------------------------------


def _history(st: WorkspaceState, kind: str, **extra: Any) -> dict[str, Any]:
    versions = st.ws.versions(kind)
    listed = [{**v, "file": Path(v["file"]).name if v["file"] else ""} for v in versions.iter_rows(named=True)]
    return {"title": f"History of {KINDS[kind].title.lower()}", "current": "data", "kind": kind,
            "spec": KINDS[kind], "versions": listed[::-1], "latest": listed[-1]["version"] if listed else 0, **extra}


def _known(kind: str) -> None:
    if kind not in KINDS:
        raise HTTPException(404, f"'{kind}' is not an input; the inputs are {', '.join(KINDS)}")


@router.get("/data/history/{kind}", response_class=HTMLResponse, include_in_schema=False,
            dependencies=[needs(Permission.VIEW_UNPUBLISHED)])
def history_page(request: Request, kind: str, st: State, a: int | None = None, b: int | None = None) -> HTMLResponse:
    """An input's versions, newest first; with ?a=&b= the rows added, removed and changed from version a to b."""
    _known(kind)
    context = _history(st, kind)
    if a is not None and b is not None:
        held = {v["version"] for v in context["versions"]}
        if not {a, b} <= held:
            raise HTTPException(404, f"{kind} has no version {min({a, b} - held)}; its versions are listed on "
                                     f"/data/history/{kind}")
        change = diff(kind, st.ws.version(kind, a), st.ws.version(kind, b))
        # counted whole, shown up to SHOWN_PROBLEMS rows each: a new population can add tens of thousands
        context["diff"] = {"a": a, "b": b, "n_added": change.added.height, "n_removed": change.removed.height,
                           "n_changed": len(change.changed), "added": change.added.head(SHOWN_PROBLEMS),
                           "removed": change.removed.head(SHOWN_PROBLEMS), "changed": change.changed[:SHOWN_PROBLEMS],
                           "shown": SHOWN_PROBLEMS}
    return page(request, "data_history.html", context)


@router.post("/data/history/{kind}/restore", response_class=HTMLResponse, include_in_schema=False,
             dependencies=[needs(Permission.IMPORT)])
def history_restore(request: Request, kind: str, st: State, version: Annotated[int, Form()]) -> HTMLResponse:
    """Make an earlier version the current one (kept as a new version); refused, nothing changed, if its rows
    would break references to or from the other inputs held now."""
    _known(kind)
    try:
        restore(st.ws, kind, version)
    except InputError as e:
        groups = e.groups()
        return page(request, "data_history.html", _history(st, kind, groups=groups[:SHOWN_GROUPS], total=len(e),
                                                           more=sum(g.count for g in groups[SHOWN_GROUPS:]),
                                                           refused=version), status_code=422)
    st.forget()
    answer = page(request, "data_history.html", _history(st, kind, restored=version))
    st.work_out_after(lambda: simulation(st))
    return answer
