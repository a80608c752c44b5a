"""A referral return read, checked and stored in chunks (issue 17 part 6): the chunked import must give exactly
what the file read in one piece gives — and what cyplan gave before it read in chunks (pinned below as digests
made by that code) — with errors and queries on their rows in the whole file, a referral_id repeated across
chunks found, and a file refused by an error in its last chunk leaving the workspace as it was."""

from __future__ import annotations

import csv
import hashlib
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import folder_bytes, load_benchmark
from cyplan.io.problems import InputError
from cyplan.returns import service, store
from cyplan.store.workspace import Workspace

bench = load_benchmark("returns_scale")
TODAY = bench.TODAY
# made by cyplan before it read in chunks (commit 584c729, the file in one piece), on bench.generate's 10,000
# records: the published tables, the queries (without the file's path), the blank and invalid counts, the
# values not on the code lists, and records / accepted / replaced / periods / notes; and the 120 errors of the
# same records with errors in 1% of them
BEFORE_CLEAN = "132465dbf9a52f97ea6a731dd12dc1cf6345f3e3c50773077de024733f782009"
BEFORE_ERRORS = "94395aee56e4fadbb8c1f7644ddb141a82fd2712222c7734d1c9de4c08fcab94"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("chunks")
    clean, bad = where / "referrals.csv", where / "with-errors.csv"
    bench.generate(clean, 10_000)
    bench.generate(bad, 10_000, errors=0.01)
    return clean, bad


def _digest(result: service.ImportResult, tables: dict[str, pl.DataFrame]) -> str:
    h = hashlib.sha256()
    for name in sorted(tables):
        h.update(name.encode())
        h.update(tables[name].write_csv().encode())
    for frame in (result.queries.drop("file"), result.counts, result.invalid):
        h.update(frame.write_csv().encode())
    h.update(repr((result.records, result.accepted, result.replaced, result.periods, result.notes)).encode())
    return h.hexdigest()


def _import(tmp_path: Path, name: str, path: Path, chunk: int | None) -> tuple[service.ImportResult, Workspace]:
    ws = Workspace.create(tmp_path / name)
    return service.import_returns(ws, path, today=TODAY, chunk=chunk), ws


def _errors(tmp_path: Path, name: str, path: Path, chunk: int | None) -> list[tuple[int | None, str | None, str]]:
    ws = Workspace.create(tmp_path / name)
    try:
        with pytest.raises(InputError) as e:
            service.import_returns(ws, path, today=TODAY, chunk=chunk)
    finally:
        ws.close()
    return [(p.row, p.column, p.message) for p in e.value.problems]


@pytest.mark.parametrize("chunk", [1000, 997])
def test_chunks_give_what_cyplan_gave_before_it_read_in_chunks(tmp_path: Path, files: tuple[Path, Path],
                                                               chunk: int) -> None:
    """Catches a chunked import whose tables, queries (a row numbered within its chunk, a query lost or listed
    twice at a chunk's edge), counts, values not on the code lists or notes differ from the one-piece import
    cyplan made before (10 chunks of 1,000; 11 of 997, so that edges fall elsewhere)."""
    result, ws = _import(tmp_path, "ws", files[0], chunk)
    assert _digest(result, service.publishable(service.tables(ws))) == BEFORE_CLEAN
    assert result.queries["row"].is_sorted() and result.queries["row"].max() > 9000  # the last chunks' queries
    assert (result.queries["row"] // chunk).n_unique() >= 10_000 // chunk  # queries in every chunk
    ws.close()


def test_query_rows_are_the_rows_of_the_file(tmp_path: Path, files: tuple[Path, Path]) -> None:
    """Catches a query numbered within its chunk, or offset by a chunk: each 'in the future' query's row holds,
    in the file itself (read here with the csv module, the header on row 1), the date the message names."""
    result, ws = _import(tmp_path, "ws", files[0], 1000)
    ws.close()
    with files[0].open(newline="") as f:
        rows = list(csv.reader(f))
    future = result.queries.filter(pl.col("message").str.ends_with("is in the future"))
    assert future.height > 20 and future["row"].max() > 9000
    for row, message in future.select("row", "message").iter_rows():
        assert message == f"received_date {rows[row - 1][2]} is in the future"


def test_errors_over_chunks_are_the_errors_cyplan_gave_before(tmp_path: Path, files: tuple[Path, Path]) -> None:
    """Catches an error lost, listed twice or numbered within its chunk, and a repeated referral_id missed when
    its first and second records fall in different chunks (the generator repeats the record before, so some
    pairs straddle an edge: 1000 and 1001 are in different chunks)."""
    found = _errors(tmp_path, "ws", files[1], 1000)
    text = "\n".join(f"{row}|{column}|{message}" for row, column, message in found)
    assert hashlib.sha256(text.encode()).hexdigest() == BEFORE_ERRORS
    assert found == _errors(tmp_path, "one", files[1], None)
    assert len({row // 1000 for row, _, _ in found if row}) >= 9


def test_a_referral_id_repeated_chunks_apart_is_found(tmp_path: Path, files: tuple[Path, Path]) -> None:
    """Catches duplicates looked for only within a chunk: record 8,000's id (row 8,001) made that of record 10
    (row 11), seven chunks before it; the one error names both rows."""
    lines = files[0].read_text().splitlines()
    first = lines[10].split(",")[0]
    cells = lines[8000].split(",")
    lines[8000] = ",".join([first, *cells[1:]])
    path = tmp_path / "repeated.csv"
    path.write_text("\n".join(lines) + "\n")
    assert _errors(tmp_path, "ws", path, 1000) == [(8001, "referral_id", f"referral_id '{first}' is also on row 11")]


def test_an_error_in_the_last_chunk_leaves_the_workspace_as_it_was(tmp_path: Path, files: tuple[Path, Path]) -> None:
    """Catches chunks written before the error was found left behind (or the store's folder, manifest or log
    changed): a workspace holding an import, then 10,000 records whose only error is the last record's accepted
    (row 10,001): nine chunks are written before the tenth is read. Every byte of the workspace is as it was."""
    small = tmp_path / "first.csv"
    small.write_text("\n".join(files[0].read_text().splitlines()[:50]) + "\n")
    _, ws = _import(tmp_path, "ws", small, None)
    lines = files[0].read_text().splitlines()
    cells = lines[-1].split(",")
    cells[3] = "maybe"
    lines[-1] = ",".join(cells)
    path = tmp_path / "last.csv"
    path.write_text("\n".join(lines) + "\n")
    before = folder_bytes(ws.path), folder_bytes(store.folder(ws.path))
    with pytest.raises(InputError) as e:
        service.import_returns(ws, path, today=TODAY, chunk=1000)
    found = [(p.row, p.column, p.message) for p in e.value.problems]
    assert found == [(10_001, "accepted", "'maybe' is not yes or no")]
    assert (folder_bytes(ws.path), folder_bytes(store.folder(ws.path))) == before
    ws.close()


def test_a_blank_line_in_a_later_chunk_keeps_rows_numbered_by_record(tmp_path: Path, files: tuple[Path, Path]) -> None:
    """Catches rows counted by line after a blank line in the third chunk (a blank line is no record): record
    2,700's blank referral_id is on row 2,701 however the file is chunked."""
    lines = files[0].read_text().splitlines()[:3001]
    cells = lines[2700].split(",")
    lines[2700] = ",".join(["", *cells[1:]])
    path = tmp_path / "blank-line.csv"
    path.write_text("\n".join([*lines[:2500], "", *lines[2500:]]) + "\n")
    expected = [(2701, "referral_id", "referral_id is blank")]
    assert _errors(tmp_path, "ws", path, 1000) == expected
    assert _errors(tmp_path, "one", path, None) == expected


@settings(max_examples=5, deadline=None)
@given(chunk=st.integers(10, 130))
def test_any_chunk_size_gives_the_one_piece_import(small: tuple[Path, Path, list, str], chunk: int) -> None:
    """Catches a chunk size at which anything differs (an edge on a query, a last chunk of a few records):
    120 records with queries and errors, chunked any way, give the one-piece import's errors; without the
    errors, its queries, counts, values not on the code lists and tables."""
    clean, bad, errors, digest = small
    with tempfile.TemporaryDirectory() as tmp:
        assert _errors(Path(tmp), "bad", bad, chunk) == errors
        ours, ws = _import(Path(tmp), "ws", clean, chunk)
        assert _digest(ours, service.tables(ws)) == digest
        ws.close()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list, str]:
    """120 records, and the same with errors in 10% of them; the one-piece import's errors and digest."""
    tmp = tmp_path_factory.mktemp("any")
    clean, bad = tmp / "clean.csv", tmp / "bad.csv"
    bench.generate(clean, 120)
    bench.generate(bad, 120, errors=0.1)
    result, ws = _import(tmp, "ws", clean, None)
    digest = _digest(result, service.tables(ws))
    ws.close()
    return clean, bad, _errors(tmp, "bad", bad, None), digest
