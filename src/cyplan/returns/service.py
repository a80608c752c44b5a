"""The steps of a referral return, as the CLI and the benchmark run them: import (check, then store),
quality report, tables, and tables for publication."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from cyplan import faults
from cyplan.io.problems import InputError, Problem
from cyplan.model import activity
from cyplan.model.disclosure import NHS_DIGITAL, DisclosureRule, disclose, rounded
from cyplan.reference import codelists as C
from cyplan.returns import fields as F
from cyplan.returns import quality, recover, store
from cyplan.returns.classify import Column, Records, category_codes, coded, milestone_codes, valid_ages
from cyplan.returns.codelist_files import read_mapping
from cyplan.returns.stage import CHUNK, Reading, reading
from cyplan.store import audit
from cyplan.store import codelists as own_lists
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
    invalid: pl.DataFrame  # field, value_found, count: each value not on its code list
    notes: tuple[str, ...] = ()  # how values were read (dates day first): said as warnings


def code_lists(ws: Workspace, mapping: Path | None = None) -> dict[str, C.CodeList]:
    """The workspace's code lists (its own, its register's services, the defaults) with its stored mappings and,
    if given, a filled-in mapping template (InputError, located, if a row of it is wrong)."""
    lists = own_lists.lists(ws)
    if mapping is None:
        return lists
    return own_lists.lists(ws, mappings=read_mapping(mapping, lists))


def import_returns(ws: Workspace, path: Path, sheet: str | None = None, today: dt.date | None = None,
                   display_name: str | None = None, mapping: Path | None = None,
                   chunk: int | None = CHUNK) -> ImportResult:
    """Check a referral file and, if it has no errors, store it in place of the same services' quarters.
    Raises InputError (nothing written) if it has errors. The log and the records name the file by its path, or
    by `display_name` (an upload's own name, not the server's temporary copy). `mapping`: a filled-in mapping
    template whose values are read as their categories (stored so, as an alias's are). The file is read, checked
    and stored `chunk` records at a time (None: in one piece), so memory does not grow with the file; nothing of
    it counts until the one commit point, at the end."""
    lists = code_lists(ws, mapping)
    today = today or dt.date.today()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    label = display_name or str(path)
    try:
        # one writer at a time; what an import cut short left is settled
        with store.writer(ws.path, recover.logged(ws)) as stored:
            import_id = recover.log_missing(ws, stored or store.Manifest())
            faults.point("returns-settled")
            with reading(path, lists, sheet, chunk) as read, ws.engine.begin() as conn, \
                    store.replacing(ws.path) as writing:
                read.file = label
                found = _checked(read, writing, lists, today)
                written = writing.finish(import_id, (read.file, read.sheet, read.digest, stamp))
                periods = [(svc, activity.quarter_label(q)) for svc, q in
                           sorted(written.periods, key=lambda p: (p[0] is None, p[0] or "", p[1]))]
                # the log row goes into the manifest too: the manifest's rename, when the block ends, is
                # the one commit point; the row is committed just after, and if a kill comes between, the
                # next open adds it from the manifest (returns/recover.py)
                written.new.log = {"records": read.records, "accepted": found.accepted, "queries": found.queries.height,
                                   "replaced": written.replaced, "periods": json.dumps(periods)}
                conn.execute(returns_imports.insert().values(id=import_id, file=read.file, sheet=read.sheet,
                                                             sha256=written.new.sha256, imported_at=stamp,
                                                             **written.new.log))
                # in the same transaction as the log row (an import recovered after a kill is not audited)
                audit.append(conn, "import", {"kind": "referral returns", "file": read.file, "sheet": read.sheet,
                                              "sha256": written.new.sha256, "rows": read.records, "mode": "replace"})
                faults.point("returns-log-added")
            faults.point("returns-log-committed")
    except store.OldStore as e:
        raise InputError([Problem(label, None, None, str(e))]) from None
    except pl.exceptions.ComputeError:  # a stored file the import rewrites cannot be read: Damaged, naming it
        store.unreadable(ws.path, store.Manifest.read(ws.path) or store.Manifest())
        raise
    return ImportResult(read.file, read.records, found.accepted, written.replaced, periods, found.queries,
                        found.counts, found.invalid, tuple(read.notes))


@dataclass
class _Found:
    """What an import's checks found, over every chunk of the file."""
    accepted: int
    queries: pl.DataFrame
    counts: pl.DataFrame
    invalid: pl.DataFrame


def _checked(read: Reading, writing: store.Writing, lists: dict[str, C.CodeList], today: dt.date) -> _Found:
    """The one chunk loop: each chunk's errors found, and while there are none, its records written (in a
    thread) while its queries and counts are made. InputError, after every chunk is read, if there are errors:
    all of them, with their rows in the whole file."""
    problems: list[Problem] = []
    accepted, queries, counts, invalid = 0, [], [], []
    for s in read:
        problems += quality.errors(s)
        if problems:  # the file will be refused: its remaining chunks are only checked for errors
            continue
        records = s.as_records()
        writing.add(records, s.referral_id)
        accepted += int(records.accepted.sum())
        queries.append(quality.queries(records, lists, today))
        counts.append(quality.field_counts(records, lists))
        invalid.append(quality.invalid_values(records, lists))
    if not problems:
        writing.close()  # the chunks' files joined in the writer's thread while repeated ids are looked for
    problems += quality.repeated_ids(read)
    if read.records == 0:
        problems.append(read.problem(None, None, "the file holds no referral records"))
    if problems:
        raise InputError(problems)
    return _Found(accepted, pl.concat(queries), quality.summed_counts(counts), quality.summed_invalid(invalid))


def quality_report(ws: Workspace, today: dt.date | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(queries, blank and invalid counts per field) for every stored record."""
    found, counts, _ = full_quality_report(ws, today)
    return found, counts


def full_quality_report(ws: Workspace, today: dt.date | None = None) -> tuple[pl.DataFrame, pl.DataFrame,
                                                                              pl.DataFrame]:
    """(queries, blank and invalid counts per field, each value not on its code list with its count) for every
    stored record."""
    lists = code_lists(ws)
    stored = _load(ws)
    return (quality.queries(stored, lists, today or dt.date.today()), quality.field_counts(stored, lists),
            quality.invalid_values(stored, lists))


def _load(ws: Workspace, rows: bool = True) -> Records:
    if not store.exists(ws.path):
        store.unnamed(ws.path, recover.logged(ws))  # the manifest lost, its files kept: Damaged, not "none yet"
        raise NoReturns("the workspace holds no referral returns yet: import them with 'cyplan returns import FILE'")
    try:
        return store.load(ws.path, rows)
    except store.OldStore as e:
        raise NoReturns(str(e)) from None


def records(ws: Workspace) -> tuple[pl.DataFrame, dict[str, C.CodeList]]:
    lists = code_lists(ws)
    return coded(_load(ws, rows=False), lists), lists


def tables(ws: Workspace) -> dict[str, pl.DataFrame]:
    """Every table of the stored records: DuckDB counts the records by quarter and value (one scan, in the
    store), each value is matched once, and the model makes the tables from those counts."""
    lists = code_lists(ws)
    categories = {f: cl.names for f, cl in lists.items()}
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


MOSTLY_SUPPRESSED = 0.5  # above this share of the quarterly counts withheld, suggest combining quarters
QUARTER_COLUMN = re.compile(r"^\d{4}/\d{2} Q[1-4]$")  # model/activity.quarter_label's '2025/26 Q1'


def suppressed_counts(published: dict[str, pl.DataFrame], rule: DisclosureRule = NHS_DIGITAL) -> tuple[int, int]:
    """(withheld, with referrals): of the published tables' quarterly counts that have any referrals (every
    quarter column, every row but the totals), how many are withheld. A count of 0 has nothing to hide and is
    not counted either way."""
    withheld = shown = 0
    for table in published.values():
        quarters = [c for c in table.columns if QUARTER_COLUMN.match(c)]
        rows = table.filter(pl.col(table.columns[0]) != activity.TOTAL) if quarters else table.clear()
        for c in quarters:
            cells = rows[c].cast(pl.String).fill_null("0").str.replace_all(",", "")
            withheld += int((cells == rule.symbol).sum())
            shown += int(((cells != rule.symbol) & (cells != "0")).sum())
    return withheld, withheld + shown


def combine_quarters_advice(published: dict[str, pl.DataFrame], rule: DisclosureRule = NHS_DIGITAL) -> str | None:
    """A sentence suggesting a longer period when more than half (MOSTLY_SUPPRESSED) of the quarterly counts with
    any referrals are withheld, as in a small area; None otherwise."""
    withheld, counts = suppressed_counts(published, rule)
    if not counts or withheld / counts <= MOSTLY_SUPPRESSED:
        return None
    return (f"{withheld:,} of the {counts:,} quarterly counts with any referrals ({withheld / counts:.0%}) are "
            f"withheld ({rule.symbol}) to protect small numbers. For an area this small, combine quarters: publish "
            "the tables for half-years or whole years, whose larger counts are withheld less often.")


def equality(ws: Workspace, by: str, area: str | None = None, year: int | None = None) -> pl.DataFrame:
    """Accepted referrals per 10,000 by `by` (age, gender or any coded field with a population by category),
    with rate ratios against the area, for one area and year: see returns/equality.py, which does the work
    (imported here, not above: it uses this module's records)."""
    from cyplan.returns.equality import equality as view

    return view(ws, by, area, year)


ONE_AREA_ONLY = ("the referral records do not say which area each referral is from, so a referral rate is given "
                 "only when the workspace holds one area (its own returns)")
REFERRAL_COLUMNS = {"area": pl.String, "referrals": pl.Float64, "years_counted": pl.Float64}


def referrals_by_area(areas: Sequence[str], summary: pl.DataFrame, years: float,
                      rule: DisclosureRule | None = NHS_DIGITAL) -> tuple[pl.DataFrame, str]:
    """(accepted referrals by area over `years`, why there are none): the summary table's accepted total, all of it
    the workspace's one area's (records carry no area: ONE_AREA_ONLY otherwise). Published by `rule` (the default):
    a count it would withhold is null, any other rounded as the published tables round it; rule None: exact."""
    if len(areas) != 1:
        return pl.DataFrame(schema=REFERRAL_COLUMNS), ONE_AREA_ONLY
    accepted = int(summary.filter(pl.col("measure") == "Accepted")[activity.TOTAL][0])
    count: float | None = float(accepted)
    if rule is not None:
        withheld = rule.suppresses and rule.suppress_from <= accepted <= rule.suppress_to
        count = None if withheld else float(rounded(np.array([accepted]), rule)[0])
    return pl.DataFrame({"area": [areas[0]], "referrals": [count], "years_counted": [years]},
                        schema=REFERRAL_COLUMNS), ""


def workspace_referrals(ws: Workspace, areas: Sequence[str], published: bool = True) -> tuple[pl.DataFrame, str]:
    """referrals_by_area from the workspace's stored returns (their accepted total over the whole quarters they
    span, equality.period_of); none, with why, when it holds no returns."""
    from cyplan.returns.equality import period_of

    try:
        summary = tables(ws)["summary"]
        years = period_of(ws).years
    except NoReturns:
        return pl.DataFrame(schema=REFERRAL_COLUMNS), "the workspace holds no referral returns"
    return referrals_by_area(areas, summary, years, NHS_DIGITAL if published else None)
