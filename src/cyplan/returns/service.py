"""The steps of a referral return, as the CLI and the benchmark run them: import (check, then store),
quality report, tables, and tables for publication."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from cyplan import faults
from cyplan.io.problems import InputError
from cyplan.model import activity
from cyplan.model.disclosure import NHS_DIGITAL, DisclosureRule, disclose
from cyplan.reference import codelists as C
from cyplan.returns import fields as F
from cyplan.returns import quality, recover, store
from cyplan.returns.classify import Column, Records, category_codes, coded, milestone_codes, valid_ages
from cyplan.returns.stage import stage
from cyplan.store import audit
from cyplan.store.returns_tables import returns_imports
from cyplan.store.workspace import Workspace


class NoReturns(Exception):
    """The workspace holds no referral returns yet."""


@dataclass(frozen=True)
class ImportResult:
    file: str
    records: int
    accepted: int
    replaced: int
    periods: list[tuple[str | None, str]]  # (service, quarter label)
    queries: pl.DataFrame  # file, sheet, row, column, message
    counts: pl.DataFrame  # field, records, blank, invalid


def import_returns(ws: Workspace, path: Path, sheet: str | None = None, today: dt.date | None = None,
                   display_name: str | None = None) -> ImportResult:
    """Check a referral file and, if it has no errors, store it in place of the same services' quarters.
    Raises InputError (nothing written) if it has errors. The log and the records name the file by its path, or
    by `display_name` (an upload's own name, not the server's temporary copy)."""
    lists = C.load(ws.path)
    s = stage(path, lists, sheet)
    s.file = display_name or s.file
    problems = quality.errors(s)
    if s.records == 0:
        problems.append(s.problem(None, None, "the file holds no referral records"))
    if problems:
        raise InputError(problems)
    records = s.as_records()
    accepted = int(records.accepted.sum())
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        # one writer at a time; what an import cut short left is settled
        with store.writer(ws.path, recover.logged(ws)) as stored:
            import_id = recover.log_missing(ws, stored or store.Manifest())
            faults.point("returns-settled")
            with ws.engine.begin() as conn, store.replacing(ws.path, records, s.referral_id, import_id,
                                                             (s.file, s.sheet, s.digest, stamp)) as writing:
                # the records are written (and the services and quarters they cover found) while the
                # queries are listed
                queries = quality.queries(records, lists, today or dt.date.today())
                counts = quality.field_counts(records, lists)
                written = writing.result()
                periods = [(svc, activity.quarter_label(q)) for svc, q in
                           sorted(written.periods, key=lambda p: (p[0] is None, p[0] or "", p[1]))]
                # the log row goes into the manifest too: the manifest's rename, when the block ends, is
                # the one commit point; the row is committed just after, and if a kill comes between, the
                # next open adds it from the manifest (returns/recover.py)
                written.new.log = {"records": s.records, "accepted": accepted, "queries": queries.height,
                                   "replaced": written.replaced, "periods": json.dumps(periods)}
                conn.execute(returns_imports.insert().values(id=import_id, file=s.file, sheet=s.sheet,
                                                             sha256=written.new.sha256, imported_at=stamp,
                                                             **written.new.log))
                # in the same transaction as the log row (an import recovered after a kill is not audited)
                audit.append(conn, "import", {"kind": "referral returns", "file": s.file, "sheet": s.sheet,
                                              "sha256": s.sha256, "rows": s.records, "mode": "replace"})
                faults.point("returns-log-added")
            faults.point("returns-log-committed")
    except store.OldStore as e:
        raise InputError([s.problem(None, None, str(e))]) from None
    except pl.exceptions.ComputeError:  # a stored file the import rewrites cannot be read: Damaged, naming it
        store.unreadable(ws.path, store.Manifest.read(ws.path) or store.Manifest())
        raise
    return ImportResult(s.file, s.records, accepted, written.replaced, periods, queries, counts)


def quality_report(ws: Workspace, today: dt.date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(queries, blank and invalid counts per field) for every stored record."""
    lists = C.load(ws.path)
    stored = _load(ws)
    return quality.queries(stored, lists, today or dt.date.today()), quality.field_counts(stored, lists)


def _load(ws: Workspace, rows: bool = True) -> Records:
    if not store.exists(ws.path):
        store.unnamed(ws.path, recover.logged(ws))  # the manifest lost, its files kept: Damaged, not "none yet"
        raise NoReturns("the workspace holds no referral returns yet: import them with 'cyplan returns import FILE'")
    try:
        return store.load(ws.path, rows)
    except store.OldStore as e:
        raise NoReturns(str(e)) from None


def records(ws: Workspace) -> tuple[pl.DataFrame, dict[str, C.CodeList]]:
    lists = C.load(ws.path)
    return coded(_load(ws, rows=False), lists), lists


def tables(ws: Workspace) -> dict[str, pl.DataFrame]:
    """Every table of the stored records: DuckDB counts the records by quarter and value (one scan, in the
    store), each value is matched once, and the model makes the tables from those counts."""
    lists = C.load(ws.path)
    categories = {f: cl.categories for f, cl in lists.items()}
    if not store.exists(ws.path):
        _load(ws)  # raises NoReturns
    sets = [(store.QUARTER, F.ACCEPTED), *((store.QUARTER, f) for f in activity.CATEGORY_TABLES), (F.AGE, "gender"),
            *((m,) for m in activity.MILESTONE_LABELS)]
    try:
        labels, found = store.counted(ws.path, sets)
    except store.OldStore as e:
        raise NoReturns(str(e)) from None
    received, *by_field = found
    keys = np.unique(received[store.QUARTER]).astype(np.int64)
    nq = len(keys)

    def quarter(counts: dict[str, np.ndarray]) -> np.ndarray:
        return np.searchsorted(keys, counts[store.QUARTER])

    def add(shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray, n: np.ndarray) -> np.ndarray:
        out = np.zeros(shape, dtype=np.int64)
        np.add.at(out, (rows, cols), n)
        return out

    def codes(field: str, ids: np.ndarray) -> np.ndarray:
        column = Column(np.zeros(0, np.int32), labels[field])
        return category_codes(column, lists[field]).astype(np.int64)[ids.astype(np.int64)]

    summary = add((2, nq), np.where(received[F.ACCEPTED], 0, 1), quarter(received), received["n"])
    by_category = {}
    for f, counts in zip(activity.CATEGORY_TABLES, by_field, strict=False):
        n = len(categories[f])
        by_category[f] = add((n + 2, nq), activity.category_row(codes(f, counts[f]), n), quarter(counts),
                             counts["n_accepted"])
    ag = by_field[len(activity.CATEGORY_TABLES)]
    ages = valid_ages(Column(np.zeros(0, np.int32), labels[F.AGE])).astype(np.int64)[ag[F.AGE].astype(np.int64)]
    age_gender = add((len(activity.AGE_GROUPS) + 1, 3), activity.age_group_of(ages),
                     activity.gender_column(codes("gender", ag["gender"]), categories["gender"]), ag["n_accepted"])
    milestones = np.zeros((len(activity.MILESTONE_LABELS), 3), dtype=np.int64)
    for i, (m, counts) in enumerate(zip(activity.MILESTONE_LABELS, by_field[len(activity.CATEGORY_TABLES) + 1:],
                                        strict=True)):
        answer = milestone_codes(Column(np.zeros(0, np.int32), labels[m])).astype(np.int64)
        np.add.at(milestones[i], activity.milestone_column(answer[counts[m].astype(np.int64)]), counts["n_accepted"])
    return activity.tables_from_counts(activity.TableCounts(keys.tolist(), summary, by_category, age_gender,
                                                            milestones), categories)


def publishable(tables: dict[str, pl.DataFrame], rule: DisclosureRule = NHS_DIGITAL) -> dict[str, pl.DataFrame]:
    """Every table through the one disclosure function (percentages recomputed from published counts)."""
    out = {}
    for name, table in tables.items():
        if name == "milestones":
            out[name] = disclose(table.drop(*activity.MILESTONE_SHARES), rule, total_row=None,
                                 shares=activity.MILESTONE_SHARES)
        elif name == "summary":
            out[name] = disclose(table, rule, total_row=activity.SUMMARY_TOTAL_ROW)
        else:
            out[name] = disclose(table, rule)
    return out


def equality(ws: Workspace, by: str, area: str | None = None, year: int | None = None) -> pl.DataFrame:
    """Accepted referrals per 10,000 by `by` (age, gender or any coded field with a population by category),
    with rate ratios against the area, for one area and year: see returns/equality.py, which does the work
    (imported here, not above: it uses this module's records)."""
    from cyplan.returns.equality import equality as view

    return view(ws, by, area, year)
