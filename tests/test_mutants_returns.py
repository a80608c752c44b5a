"""Tests written to kill surviving mutants of `make mutate` in returns/ (docs/testing.md lists them): each
test's name says the wrong answer it catches. Expected figures are worked by hand in the comments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from cyplan.io.problems import InputError
from cyplan.io.validate import CONTROL_MESSAGE
from cyplan.model import activity
from cyplan.model.disclosure import DFE, NHS_DIGITAL, NONE
from cyplan.reference.codelists import (
    DEFAULT,
    DEFAULTS,
    OWN,
    REGISTER,
    WORKSPACE_FOLDER,
    Entry,
    build,
    field_entries,
    from_entries,
    load,
    read,
    read_rows,
    register_entries,
    usable,
)
from cyplan.returns import fields as F
from cyplan.returns import service, store
from cyplan.returns.classify import Column, Records, _asked, age_values, milestone_codes, valid_ages
from cyplan.returns.equality import OVER_25_NOTE, Line, Period, _age_lines, _one, coded_lines, period
from cyplan.returns.quality import invalid_values, summed_invalid
from cyplan.returns.service import ONE_AREA_ONLY, REFERRAL_COLUMNS, NoReturns, referrals_by_area
from cyplan.store.workspace import Workspace


def test_a_label_no_record_holds_is_counted_as_zero_not_dropped() -> None:
    """Labels blank, 'a', 'b'; records hold blank and 'a' once each: counts 1, 1, 0 — one per label, so
    that counts line up with labels. Wrong answer caught: a count array cut short after the last label
    that some record holds (1, 1), which shifts or drops the labels after it."""
    column = Column(ids=np.array([0, 1], dtype=np.int32), labels=[None, "a", "b"])
    assert column.count().tolist() == [1, 1, 0]


def test_milestone_answers_are_coded_1_yes_2_no_0_blank_and_minus_1_for_anything_else() -> None:
    """Labels blank, 'yes', 'no', 'maybe' → 0, 1, 2, −1 (the codes `coded` documents). Wrong answer
    caught: another code for an invalid answer."""
    column = Column(ids=np.zeros(0, dtype=np.int32), labels=[None, "yes", "no", "maybe"])
    assert milestone_codes(column).tolist() == [0, 1, 2, -1]


def test_an_age_column_with_only_blanks_gives_one_invalid_label() -> None:
    """No age written in any record: the only label is the blank, which is not a valid age (−1). Wrong
    answer caught: no array (an error) when there are no labels besides the blank."""
    column = Column(ids=np.zeros(3, dtype=np.int32), labels=[None])
    assert valid_ages(column).tolist() == [-1]


def test_a_code_list_with_a_blank_category_and_a_clashing_alias_is_refused_naming_row_and_column() -> None:
    """Rows 2–4 of ethnicity.csv: 'White' (alias 'W'), a blank category, 'Black' with alias 'w' again.
    Both problems are reported, each with its file, row and column: row 3 'category', row 4 'aliases'
    (matching ignores case, so 'w' already means 'White'). Wrong answer caught: the problems not
    collected (an error of another kind, or nothing refused)."""
    with pytest.raises(InputError) as caught:
        build("ethnicity", [("White", "W"), ("", ""), ("Black", "w")], "ethnicity.csv")
    assert [(p.file, p.row, p.column, p.message) for p in caught.value.problems] == [
        ("ethnicity.csv", 3, "category", "a category cannot be blank"),
        ("ethnicity.csv", 4, "aliases", "'w' already means 'White' (row 2)"),
    ]


def test_duckdb_answers_one_column_as_a_value_and_several_as_a_tuple() -> None:
    """`_asked` (the rules' one way to DuckDB, called directly: the rules remember answers, so a test through them
    may never reach it). One column, nullif(trim(v), ''): " 7 " → "7", "  " → None. Two columns, a date and the
    trimmed text: " 2024-02-01 " → (2024-02-01, "2024-02-01"), "soon" → (None, "soon"). Wrong answers caught: one
    column given as a 1-tuple, several given as their first alone, or as all but the first two; and a thread's
    first question asked of no connection."""
    import datetime

    assert _asked("nullif(trim(v), '')", [" 7 ", "  "]) == {" 7 ": "7", "  ": None}
    # a new thread opens its own connection on its first question (a connection is one thread's: imports work
    # in threads), so the same answer comes back from one
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(_asked, "nullif(trim(v), '')", [" 8 "]).result() == {" 8 ": "8"}
    both = _asked("coalesce(try_cast(v AS DATE), try_cast(trim(v) AS DATE)), trim(v)", [" 2024-02-01 ", "soon"])
    assert both == {" 2024-02-01 ": (datetime.date(2024, 2, 1), "2024-02-01"), "soon": (None, "soon")}


def test_an_age_of_ten_digits_is_no_whole_number_as_duckdb_reads_it() -> None:
    """Ages as labels: "7" is 7; "9999999999" (ten digits) is past DuckDB's INTEGER (2,147,483,647 at most) and
    so no age at all (None), as the ages were always read; "123456789" (nine digits) fits and is that number.
    Wrong answer caught: ten digits taken as a number by Python's int(), which has no such bound."""
    column = Column(ids=np.array([1, 2, 3], dtype=np.int32), labels=[None, "7", "9999999999", "123456789"])
    assert age_values(column).tolist() == [None, 7, None, 123456789]


def test_a_category_twice_and_an_alias_that_is_another_category_are_told_apart() -> None:
    """Rows 2–6 of ethnicity.csv: 'Asian', 'Black', 'Mixed', 'Black' again, and 'Other' with alias 'asian'. Row 5
    is the category 'Black' a second time, under the category column: "the category 'Black' is on row 3 too" (the
    first 'Black' is the list's second category, not its first). Row 6's alias names another category: under the
    aliases column, "'asian' already means 'Asian' (row 2)". Wrong answers caught: an alias taken for the
    category written twice, the wrong earlier category compared, and the column named wrongly."""
    rows = [("Asian", ""), ("Black", ""), ("Mixed", ""), ("Black", ""), ("Other", "asian")]
    with pytest.raises(InputError) as caught:
        build("ethnicity", rows, "ethnicity.csv")
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [
        (5, "category", "the category 'Black' is on row 3 too"),
        (6, "aliases", "'asian' already means 'Asian' (row 2)"),
    ]


def test_a_code_list_file_is_read_as_the_default_list_of_its_field_and_its_problems_name_the_file(
        tmp_path: Path) -> None:
    """ethnicity.csv (saved by Excel: a byte-order mark first) with 'Asian' (aliases 'A|Asn') and 'Black': the list
    of the field "ethnicity", categories Asian
    and Black, each name's match key pointing at its category (1, 2), read as a default list. A second file with
    'Black' twice is refused naming that file, its row 3 and the category column. Wrong answers caught: the field,
    the file's rows, the origin or the file's name lost on the way, and the mark read as part of the first
    column's name (the file then has no 'category' column)."""
    good = tmp_path / "ethnicity.csv"
    good.write_text("\ufeffcategory,aliases\nAsian,A|Asn\nBlack,\n", encoding="utf-8")  # as Excel saves it
    listed = read(good, "ethnicity")
    assert (listed.field, listed.categories, listed.origin) == ("ethnicity", ("Asian", "Black"), DEFAULT)
    assert dict(listed.aliases) == {"asian": 1, "a": 1, "asn": 1, "black": 2}
    assert build("ethnicity", [("Asian", "")]).field == "ethnicity"
    bad = tmp_path / "twice.csv"
    bad.write_text("category,aliases\nBlack,\nBlack,\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read(bad, "ethnicity")
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [(str(bad), 3, "category")]


def test_a_kept_list_read_without_its_faults_keeps_each_first_meaning() -> None:
    """Entries: Asian (label 'Asian (any)', aliases A|Asn); Black, whose label 'asian (any)' and alias 'a' already
    mean Asian; a blank code; 'asian' again; Mixed (aliases M|x). Usable: Asian as it is; Black without that label
    and alias (B|blk kept); the blank and the second 'asian' left out; Mixed as it is. Wrong answers caught: a
    label or alias kept though taken (or dropped though free), a taken label replaced by something else, and the
    aliases split or joined on anything but '|'."""
    entries = [Entry("Asian", "Asian (any)", "A|Asn"), Entry("Black", "asian (any)", "B|a|blk"), Entry("", "", ""),
               Entry("asian", "", ""), Entry("Mixed", "", "M|x")]
    assert usable(entries) == [Entry("Asian", "Asian (any)", "A|Asn"), Entry("Black", "", "B|blk"),
                               Entry("Mixed", "", "M|x")]


def test_the_service_list_from_a_register_keeps_each_service_once_with_its_first_label() -> None:
    """Register rows: CAMHS ('Child mental health'), camhs again ('Other'), a blank service ('  '), none at all,
    EH with no label. The list: CAMHS with its first label, EH with none; the second camhs (the same service:
    matching ignores case), the blank and the missing one left out. Wrong answers caught: a later row's label
    taking over, a blank service listed, a missing one failing, and no label written as something."""
    rows = [("CAMHS", "Child mental health"), ("camhs", "Other"), ("  ", "x"), (None, None), ("EH", None)]
    assert register_entries(rows) == [Entry("CAMHS", "Child mental health"), Entry("EH", "")]  # type: ignore[arg-type]


def test_an_older_workspaces_own_list_file_is_read_and_named(tmp_path: Path) -> None:
    """A workspace kept by an older version holds its own list as codelists/ethnicity.csv: the field's entries are
    that file's rows, from the workspace's own list (OWN), read from that file (its path, as problems name it).
    Wrong answer caught: the file's name lost ("None")."""
    folder = tmp_path / WORKSPACE_FOLDER
    folder.mkdir()
    (folder / "ethnicity.csv").write_text("category,aliases\nAsian,A\n", encoding="utf-8")
    assert field_entries("ethnicity", tmp_path) == ([Entry("Asian", "", "A")], OWN, str(folder / "ethnicity.csv"))


def test_a_code_list_file_without_a_category_column_is_refused_naming_the_file_and_its_first_row(
        tmp_path: Path) -> None:
    """ethnicity.csv whose header is "code,aliases": refused with one problem, that file, row 1 (the header), no
    column (the one missing has no place) and "a code list needs a 'category' column". Wrong answers caught: a
    header with other columns let through (the test turned to `and`), and the problem's file, row or words lost."""
    path = tmp_path / "ethnicity.csv"
    path.write_text("code,aliases\nWhite,W\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rows(path)
    assert [(p.file, p.row, p.column, p.message) for p in caught.value.problems] == [
        (str(path), 1, None, "a code list needs a 'category' column")]


def test_a_blank_category_in_a_code_list_file_is_read_as_blank_so_that_it_is_refused(tmp_path: Path) -> None:
    """Rows ',x' and 'White,': a blank category is read as "" (which `build` refuses: "a category cannot be
    blank"), not as some name; no aliases is "". Wrong answer caught: a blank category read as a made-up name, which
    would then be a category of the list."""
    path = tmp_path / "ethnicity.csv"
    path.write_text("category,aliases\n,x\nWhite,\n", encoding="utf-8")
    assert read_rows(path) == [Entry("", "", "x"), Entry("White", "", "")]
    with pytest.raises(InputError) as caught:
        read(path, "ethnicity")
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [
        (2, "category", "a category cannot be blank")]


def test_the_list_a_field_uses_names_the_file_it_came_from_and_none_for_a_register(tmp_path: Path) -> None:
    """With no list of its own, the service list is the register's services (REGISTER), read from no file (""),
    so its problems name none; ethnicity's is the default file shipped with cyplan, named by its path. Wrong
    answers caught: a made-up file name for the register's list, and the default file's name lost ("None")."""
    register = [Entry("CAMHS", "Child mental health")]
    assert field_entries("service", tmp_path, None, register) == (register, REGISTER, "")
    entries, origin, file = field_entries("ethnicity", tmp_path)
    assert (origin, file) == (DEFAULT, str(DEFAULTS / "ethnicity.csv"))
    assert entries == read_rows(DEFAULTS / "ethnicity.csv") and entries


def test_loading_the_lists_of_an_older_workspace_reads_its_own_list_files(tmp_path: Path) -> None:
    """An older workspace with codelists/ethnicity.csv (categories Asian, Other): `load(workspace)` gives that list
    as the workspace's own, and the default for a field it has no file for (gender). Wrong answer caught: the
    workspace not passed on, so every list is the default."""
    (tmp_path / WORKSPACE_FOLDER).mkdir()
    (tmp_path / WORKSPACE_FOLDER / "ethnicity.csv").write_text("category,aliases\nAsian,\nOther,\n",
                                                                encoding="utf-8")
    lists = load(tmp_path)
    assert (lists["ethnicity"].categories, lists["ethnicity"].origin) == (("Asian", "Other"), OWN)
    assert lists["gender"].origin == DEFAULT


def test_records_with_no_dates_are_counted_over_one_whole_year() -> None:
    """No referral has a date (a column of blanks): the period is twelve months, so the counts are a year's as they
    stand, from the first day of a year (1 Jan) to its last (31 Dec) of the placeholder year 1, which no return
    can hold. Wrong answers caught: another number of months (a rate scaled by it), and bounds that are not one
    whole year (shown in the web app's period)."""
    assert period(pl.Series([None, None], dtype=pl.Date)) == Period(dt.date(1, 1, 1), dt.date(1, 12, 31), 12)
    assert period(pl.Series([None], dtype=pl.Date)).years == 1.0


def test_a_coded_field_with_no_value_off_its_list_counts_zero_such_referrals_not_none() -> None:
    """Categories a and b; accepted referrals 5 with code 1 and 2 blanks (code 0), none off the list (code −1):
    lines a 5, b 0 (populations 100 and 50), then "not on the code list" 0 and blank 2. Wrong answer caught: the
    line of values off the list given no count (None, shown as missing) or one referral that is not there."""
    lines = coded_lines(["a", "b"], {1: 5, 0: 2}, {1: 100.0, 2: 50.0})
    assert [(line.category, line.referrals, line.population) for line in lines] == [
        ("a", 5, 100.0), ("b", 0, 50.0), (activity.INVALID, 0, None), (activity.BLANK, 2, None)]


def test_one_area_and_year_is_picked_as_given_in_any_case_and_a_missing_one_is_named_with_those_there() -> None:
    """Population rows for areas A (2024, 2025) and B (2024). Asked for "b": B's 2024 row (areas are matched in
    capitals; no year given: its first). Asked for C: "no population for area C; the areas with one are A, B".
    Asked for A in 2023: "... its years are 2024, 2025". Wrong answers caught: the area asked for ignored (the
    first area given), matched in small letters, and the messages' lists lost or joined wrongly."""
    population = pl.DataFrame({"area": ["A", "A", "B"], "year": [2024, 2025, 2024], "count": [1.0, 2.0, 3.0]})
    assert _one(population, "b", None, "population")["count"].to_list() == [3.0]
    with pytest.raises(NoReturns) as caught:
        _one(population, "c", None, "population")
    assert str(caught.value) == "no population for area C; the areas with one are A, B"
    with pytest.raises(NoReturns) as caught:
        _one(population, "A", 2023, "population")
    assert str(caught.value) == "no population for area A in 2023; its years are 2024, 2025"


def test_referrals_aged_over_25_are_counted_with_no_population_and_unknown_ages_apart() -> None:
    """Accepted referrals aged 3, 27 and blank (and a not-accepted one aged 2); a population of 10 at every age
    0–25. Nursery (0–3): 1 referral, population 40; 25+: 1 referral (27), no population (it stops at 25), with
    the note saying so; unknown age: 1. Wrong answer caught: the 25+ line's referrals dropped (None)."""
    frame = pl.DataFrame({F.ACCEPTED: [True, True, True, False], F.AGE: [3, 27, None, 2]})
    pop = pl.DataFrame({"age": list(range(26)), "count": [10.0] * 26})
    lines = _age_lines(frame, pop)
    assert lines[0] == Line("Nursery", 1, 40.0)
    assert lines[-2] == Line("25+", 1, None, OVER_25_NOTE)
    assert (lines[-1].category, lines[-1].referrals) == (activity.UNKNOWN_AGE, 1)


def test_a_faulty_list_is_refused_unless_it_is_the_workspaces_own_which_is_read_without_its_faults() -> None:
    """Entries Asian, asian (the same category again: matching ignores case) and Black. As the workspace's own list
    kept in codelists/referral_source.csv: read as Asian and Black, still the workspace's own (OWN) list of
    referral_source, with one fault naming that file and its row 3 (rows 2, 3, 4 under the header). The same
    entries as a default list, or as an own list read strictly, are refused naming the file and row 3. A valid
    list keeps the origin it is given. Wrong answers caught: the origin, field or file lost on either way through,
    a faulty default list read as if it were a workspace's own, and the rows counted as entries (2, not 3)."""
    entries = [Entry("Asian"), Entry("asian"), Entry("Black")]
    file = "codelists/referral_source.csv"
    own = from_entries("referral_source", entries, OWN, file)
    assert (own.field, own.categories, own.origin) == ("referral_source", ("Asian", "Black"), OWN)
    assert own.faults == (
        f"{file}, row 3: the category 'asian' is on row 2 too; it is read with that left out (the first meaning "
        f"kept) until you put {file} right (or remove it to go back to the standard list)",)
    for origin, strict in ((DEFAULT, False), (OWN, True)):
        with pytest.raises(InputError) as caught:
            from_entries("referral_source", entries, origin, file, strict=strict)
        assert [(p.file, p.row, p.column) for p in caught.value.problems] == [(file, 3, "category")]
    assert from_entries("service", [Entry("CAMHS")], REGISTER).origin == REGISTER


def test_values_off_the_list_are_listed_most_held_first_and_ties_by_value() -> None:
    """Ethnicity labels (blank), 'Zeta', 'Alpha', 'Beta', 'White British' (on the default list), held by 2, 2, 3 and 1
    of 8 records; every other field blank. The values off the list: Beta 3, then Alpha 2 and Zeta 2 (a tie: by
    value), and not White British. Wrong answer caught: tied values left in the order they were first met."""
    blank = Column(ids=np.zeros(8, dtype=np.int32), labels=[None])
    ethnicity = Column(ids=np.array([1, 2, 1, 3, 3, 2, 3, 4], dtype=np.int32),
                       labels=[None, "Zeta", "Alpha", "Beta", "White British"])
    fields = {**{c: blank for c in F.CATEGORICAL}, "ethnicity": ethnicity}
    records = Records(np.arange(2, 10, dtype=np.int64), np.zeros(8, np.int32), [("r.csv", None)],
                      np.zeros(8, np.int32), np.ones(8, bool), fields)
    assert invalid_values(records, load()).rows() == [("ethnicity", "Beta", 3), ("ethnicity", "Alpha", 2),
                                                      ("ethnicity", "Zeta", 2)]


def test_values_off_the_list_summed_over_chunks_keep_the_order_of_one_piece() -> None:
    """Chunk 1: religion 'x' 1; ethnicity 'e' 1, 'b' 1, 'd' 2, 'h' 1, 'f' 1. Chunk 2: ethnicity 'b' 2, 'c' 1, 'a' 1,
    'g' 1. Summed: the fields in code-list order (ethnicity before religion), each most held first, ties by value:
    ethnicity b 3, d 2, then a, c, e, f, g, h 1 each; religion x 1. Wrong answers caught: the counts left out of
    the order, taken least first, or the six ties left in the order of grouping (by chance in value order once in
    720)."""
    schema = {"field": pl.String, "value_found": pl.String, "count": pl.Int64}
    first = pl.DataFrame([("religion", "x", 1), ("ethnicity", "e", 1), ("ethnicity", "b", 1), ("ethnicity", "d", 2),
                          ("ethnicity", "h", 1), ("ethnicity", "f", 1)],
                         schema=schema, orient="row")
    second = pl.DataFrame([("ethnicity", "b", 2), ("ethnicity", "c", 1), ("ethnicity", "a", 1), ("ethnicity", "g", 1)],
                          schema=schema,
                          orient="row")
    assert summed_invalid([first, second]).rows() == [
        ("ethnicity", "b", 3), ("ethnicity", "d", 2), ("ethnicity", "a", 1), ("ethnicity", "c", 1),
        ("ethnicity", "e", 1), ("ethnicity", "f", 1), ("ethnicity", "g", 1), ("ethnicity", "h", 1),
        ("religion", "x", 1)]


def test_an_areas_accepted_referrals_are_published_withheld_or_rounded_as_the_tables_are() -> None:
    """The summary's accepted total (received 40 beside it) for the one area E1 over 1.5 years. NHS Digital's rule
    withholds 1 to 7 (1 and 7: null) and rounds the rest to 5 (0 → 0, 8 → 10, 23 → 25); DfE's withholds 1 to 9
    and rounds nothing (23); with no rule the count is exact (7, 23). Two areas: no rows (the records say no
    area), with that reason. Wrong answers caught: the band's ends moved in, the wrong row or cell of the summary,
    a count withheld or rounded when it should not be (or not when it should), and the frame's columns."""
    def summary(accepted: int) -> pl.DataFrame:
        return pl.DataFrame({"measure": ["Received", "Accepted"], activity.TOTAL: [40, accepted]})

    def published(accepted: int, rule: object) -> float | None:
        frame, why = referrals_by_area(["E1"], summary(accepted), 1.5, rule)  # type: ignore[arg-type]
        assert why == "" and frame.schema == REFERRAL_COLUMNS
        assert (frame["area"].to_list(), frame["years_counted"].to_list()) == (["E1"], [1.5])
        return frame["referrals"].item()

    assert [published(n, NHS_DIGITAL) for n in (0, 1, 7, 8, 23)] == [0.0, None, None, 10.0, 25.0]
    assert [published(n, DFE) for n in (9, 23)] == [None, 23.0]
    assert [published(n, None) for n in (7, 23)] == [7.0, 23.0]
    assert published(7, NONE) == 7.0
    frame, why = referrals_by_area(["E1", "E2"], summary(23), 1.5)
    assert (frame.is_empty(), frame.schema == REFERRAL_COLUMNS, why) == (True, True, ONE_AREA_ONLY)


SMALL = Path(__file__).parents[1] / "examples" / "returns" / "small_records.csv"


def test_a_referral_file_with_a_header_and_no_records_is_refused_as_holding_none(tmp_path: Path) -> None:
    """A file with small_records.csv's header line and nothing under it: refused with one problem, naming the
    file (no row, no column): "the file holds no referral records"; the workspace still holds no returns, and
    says so in words that tell the user what to do. Wrong answers caught: the problem or its words lost, and the
    no-returns message changed."""
    empty = tmp_path / "empty.csv"
    empty.write_text(SMALL.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    ws = Workspace.create(tmp_path / "w")
    try:
        with pytest.raises(InputError) as caught:
            service.import_returns(ws, empty, today=dt.date(2024, 1, 1))
        assert [(p.file, p.row, p.column, p.message) for p in caught.value.problems] == [
            (str(empty), None, None, "the file holds no referral records")]
        with pytest.raises(NoReturns) as none:
            service.records(ws)
        assert str(none.value) == ("the workspace holds no referral returns yet: import them with "
                                   "'cyplan returns import FILE'")
    finally:
        ws.close()


def test_stored_records_whose_manifest_is_lost_are_damaged_not_none_yet(tmp_path: Path) -> None:
    """Smalltown's records imported, then the store's manifest deleted (its records files kept, the import still in
    the log): asking for the records says the store is damaged (the manifest is missing), not that there are no
    returns yet, which would invite an import that throws the records away; an import is refused the same way,
    the kept files left as they are. Wrong answer caught: the log not consulted (reading or importing), so the kept
    files are taken for nothing."""
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        store.path(ws.path).unlink()
        with pytest.raises(store.Damaged, match="is missing"):
            service.records(ws)
        kept = sorted(store.stored_files(ws.path))
        with pytest.raises(store.Damaged, match="is missing"):  # an import would start a new store over them
            service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        assert sorted(store.stored_files(ws.path)) == kept and kept
    finally:
        ws.close()


def test_milestones_every_accepted_referral_answered_yes_are_counted_in_three_columns(tmp_path: Path) -> None:
    """Smalltown's referrals with every milestone answered yes: its 6 accepted referrals are 6 yes, 0 no and 0 blank
    for each of the four milestones, a 4 × 3 table. Wrong answer caught: the counts made only as long as the
    highest answer found (one column: no table)."""
    frame = pl.read_csv(SMALL, infer_schema_length=0).with_columns(
        [pl.lit("yes").alias(m) for m in activity.MILESTONE_LABELS])
    path = tmp_path / "yes.csv"
    frame.write_csv(path)
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, path, today=dt.date(2024, 1, 1))
        records, lists = service.records(ws)
    finally:
        ws.close()
    counts = activity.table_counts(records, {f: c.names for f, c in lists.items()})
    assert counts.milestones.tolist() == [[6, 0, 0]] * 4


def test_rates_against_a_given_area_total_and_referrals_as_whole_numbers() -> None:
    """Categories a (1 referral in 100 people) and b (2 in 200), the area given as 30 referrals in 1,000 people (a
    published view shows only some categories): a's rate 100 per 10,000, the area's 300, so a's ratio 1/3 (not 1,
    as against the categories' own sums, 3 in 300). Referrals are whole numbers (Int64), as counted. Wrong
    answers caught: the given total ignored, and the referrals written as decimals (5.0)."""
    view = activity.equality([1, 2], [100.0, 200.0], ["a", "b"], total=(30, 1000.0))
    a = view.row(0, named=True)
    assert (a["rate_per_10000"], a["rate_ratio"]) == (100.0, pytest.approx(1 / 3, abs=1e-3))
    assert view["referrals"].dtype == pl.Int64 and view["referrals"].to_list() == [1, 2, 30]


def test_queries_over_two_stored_files_are_listed_by_file_name_then_row_then_column(tmp_path: Path) -> None:
    """b.csv (Affinity, imported first): row 2 aged 40 and of gender 'Martian' (two queries on one record). a.csv
    (Surrey, imported second): rows 2 and 3 aged 41 and 42. The queries of the stored records, in file, row and
    column order: a.csv 2 age, a.csv 3 age, b.csv 2 age, b.csv 2 gender — though b.csv's records are stored first.
    Wrong answers caught: a record's columns in reverse order, and the file's place in the order weighed below the
    row (a.csv row 3 after b.csv row 2)."""
    header = SMALL.read_text(encoding="utf-8").splitlines()[0]
    rest = "White British,Christian,Education Referral,Mainstream school/college,Living with parents,,yes,yes,no,no"
    (tmp_path / "b.csv").write_text(f"{header}\nB1,Affinity,2022-04-01,yes,40,Martian,{rest}\n", encoding="utf-8")
    (tmp_path / "a.csv").write_text(f"{header}\nA1,Surrey,2022-04-01,yes,41,Female,{rest}\n"
                                    f"A2,Surrey,2022-05-01,yes,42,Male,{rest}\n", encoding="utf-8")
    ws = Workspace.create(tmp_path / "w")
    try:
        for name in ("b.csv", "a.csv"):
            service.import_returns(ws, tmp_path / name, today=dt.date(2024, 1, 1))
        queries, _ = service.quality_report(ws, dt.date(2024, 1, 1))
    finally:
        ws.close()
    assert [(Path(f).name, r, c) for f, r, c in queries.select("file", "row", "column").iter_rows()] == [
        ("a.csv", 2, "age"), ("a.csv", 3, "age"), ("b.csv", 2, "age"), ("b.csv", 2, "gender")]


def test_an_import_is_stamped_in_utc_with_its_offset(tmp_path: Path) -> None:
    """The import log's imported_at for a returns import is UTC to the second with its offset written
    (YYYY-MM-DDTHH:MM:SS+00:00), as every other stamp of the workspace, so that the audit trail's comparisons of the
    first 19 characters compare like with like. Wrong answer caught: the machine's local time with no offset."""
    import re

    import sqlalchemy as sa

    from cyplan.store.returns_tables import returns_imports

    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        with ws.engine.connect() as conn:
            stamps = conn.execute(sa.select(returns_imports.c.imported_at)).scalars().all()
    finally:
        ws.close()
    assert len(stamps) == 1 and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", stamps[0])


def test_the_settled_step_of_an_import_is_passed_once_with_the_store_locked(tmp_path: Path) -> None:
    """An action injected at the fault point "returns-settled" (the step after the store is locked and an earlier
    import cut short is settled) runs once per import; an error there refuses the import and stores nothing. The
    fault tests kill a child process at this point; this one runs in-process, where `make mutate`'s mutants are.
    Wrong answer caught: the point passed under another name, so a fault asked for there never happens."""
    from cyplan import faults

    passed: list[str] = []

    def fail(name: str) -> None:
        passed.append(name)
        raise RuntimeError("a fault at " + name)

    ws = Workspace.create(tmp_path / "w")
    try:
        with faults.inject("returns-settled", fail), pytest.raises(RuntimeError, match="returns-settled"):
            service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        assert passed == ["returns-settled"]
        with pytest.raises(NoReturns):
            service.records(ws)
    finally:
        ws.close()


def test_an_entry_with_a_label_and_aliases_is_found_by_each_and_a_kept_lists_fault_names_its_field() -> None:
    """An entry CAMHS with the label 'Child mental health' and the alias 'cmh': each of the three names means it.
    A faulty own list kept in the workspace (no file): its fault names the field in words ("the referral source
    code list") and the entry, not a file. Wrong answers caught: the label and aliases joined so that neither
    is a name, and the field's underscores kept or replaced by something else."""
    listed = from_entries("service", [Entry("CAMHS", "Child mental health", "cmh")], REGISTER)
    assert [listed.code(n) for n in ("CAMHS", "child mental health", "CMH")] == [1, 1, 1]
    kept = from_entries("referral_source", [Entry("Asian"), Entry("asian")], OWN)
    assert kept.faults[0].startswith("the referral source code list kept in the workspace, entry 2: ")


def test_an_older_workspaces_faulty_list_file_is_named_in_its_fault(tmp_path: Path) -> None:
    """codelists/ethnicity.csv of an older workspace with 'Asian' twice: loaded without the second, its fault
    naming that file and its row 3. Wrong answer caught: the file's name not passed on (the fault then speaks of
    a list kept in the workspace)."""
    (tmp_path / WORKSPACE_FOLDER).mkdir()
    path = tmp_path / WORKSPACE_FOLDER / "ethnicity.csv"
    path.write_text("category,aliases\nAsian,\nAsian,\n", encoding="utf-8")
    assert load(tmp_path)["ethnicity"].faults[0].startswith(f"{path}, row 3: ")


# -- reading a referral file: the refusals (returns/stage.py) -------------------------------------------------

RECORDS = Path(__file__).parents[1] / "examples" / "returns" / "small_records.csv"
HEADER_LINE = RECORDS.read_text().splitlines()[0]  # 16 columns
ONE = "R1,Affinity,2022-05-01,yes,12,Female,White British,Christian,Other,Other,Other,Other,yes,no,,"  # 16 cells


def _refused(path: Path, sheet: str | None = None) -> list[tuple[int | None, str | None, str, str | None]]:
    from cyplan.returns.stage import stage

    with pytest.raises(InputError) as e:
        stage(path, load(), sheet)
    assert all(p.file == str(path) for p in e.value.problems)
    return [(p.row, p.column, p.message, p.sheet) for p in e.value.problems]


def test_a_sheet_named_for_a_csv_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(f"{HEADER_LINE}\n{ONE}\n")
    assert _refused(path, "Sheet1") == [(None, None, "a sheet was named but a CSV file has no sheets", None)]


def test_a_file_neither_csv_nor_excel_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "records.json"
    path.write_text(f"{HEADER_LINE}\n{ONE}\n")
    assert _refused(path) == [(None, None, "referral returns are read from .csv or .xlsx files", None)]


def test_a_missing_column_is_named_and_only_one_that_may_be_blank_says_to_add_it_blank(tmp_path: Path) -> None:
    """The header without `accepted` (a cell every record needs) and without `religion` (which may be blank): each
    named on the header row, the first plainly missing, the second with what to do if the records do not hold it.
    Wrong answers caught: the two messages swapped (the analyst told to leave a required cell blank) or reworded."""
    header = HEADER_LINE.split(",")
    cells = ONE.split(",")
    keep = [i for i, c in enumerate(header) if c not in ("accepted", "religion")]
    path = tmp_path / "records.csv"
    path.write_text(",".join(header[i] for i in keep) + "\n" + ",".join(cells[i] for i in keep) + "\n")
    assert sorted(_refused(path)) == [
        (1, "accepted", "this column is missing", None),
        (1, "religion", "this column is missing: add it, with its cells left blank if your records do not hold it",
         None)]


def test_a_column_given_twice_is_named_on_the_header_row(tmp_path: Path) -> None:
    """'SERVICE' after 'service': the same column once spelt alike (headers are read without case)."""
    path = tmp_path / "records.csv"
    path.write_text(f"{HEADER_LINE},SERVICE\n{ONE},x\n")
    assert _refused(path) == [(1, "SERVICE", "the column 'service' is given twice", None)]


def test_a_header_the_csv_reader_cannot_read_says_why_in_its_first_line(tmp_path: Path) -> None:
    """A header cell of 140,000 characters: more than Python's CSV field limit (131,072)."""
    path = tmp_path / "records.csv"
    path.write_text(f"{HEADER_LINE},{'x' * 140_000}\n{ONE}\n")
    assert _refused(path) == [(None, None, "cannot be read as CSV: field larger than field limit (131072)", None)]


def test_rows_wider_than_the_header_are_listed_to_200_then_counted(tmp_path: Path) -> None:
    """205 rows of 18 cells (rows 3 to 207; row 2 is a good one) under a header of 16 columns: rows 3 to 202 are
    each named, and the last 5 are counted in one line."""
    path = tmp_path / "records.csv"
    path.write_text("\n".join([HEADER_LINE, ONE, *[f"{ONE},extra,more"] * 205]) + "\n")
    wide = "this row has 18 cells but the header has 16 columns"
    assert _refused(path) == [(None, None, "… and 5 more rows with more cells than the header", None),
                              *[(row, None, wide, None) for row in range(3, 203)]]


def test_a_byte_that_is_not_utf8_in_a_record_is_named_by_row_and_column(tmp_path: Path) -> None:
    """'Fémale' saved as Latin-1 on row 3: é is byte 0xE9, the 32nd character of its line ('R1,' 3, 'Affinity,'
    9, the date and comma 11, 'yes,' 4, '12,' 3: 30, then 'F'), in the sixth column, gender."""
    path = tmp_path / "records.csv"
    path.write_bytes(f"{HEADER_LINE}\n{ONE}\n{ONE.replace('Female', 'Fémale')}\n".encode("latin-1"))
    assert _refused(path) == [(3, "gender", "the file is not UTF-8 text (byte 0xE9 at character 32 of this line): "
                                            "save it as UTF-8: in Excel, Save As → 'CSV UTF-8 (Comma delimited)'; "
                                            "in other programs, choose the encoding UTF-8 when saving", None)]


def test_a_file_neither_reader_can_read_row_by_row_gets_polars_words(tmp_path: Path) -> None:
    """A row wider than the header (Polars stops) and a cell of 140,000 characters (Python's CSV reader, which would
    name the row, stops too): the file is still refused, in Polars's words, not let through nor a traceback."""
    path = tmp_path / "records.csv"
    long = ONE.replace("Christian", '"' + "y" * 140_000 + '"')
    path.write_text(f"{HEADER_LINE}\n{ONE},extra\n{long}\n")
    assert _refused(path) == [(None, None, "cannot be read as CSV: found more fields than defined in 'Schema'", None)]


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "records.xlsx"
    path.write_bytes(b"this is not a workbook")
    [(row, column, message, sheet)] = _refused(path)
    assert (row, column, sheet) == (None, None, None)
    assert message.startswith("cannot be read as an Excel workbook: ")


def test_a_sheet_the_workbook_does_not_have_is_refused_naming_those_it_has(tmp_path: Path) -> None:
    from conftest import write_workbook

    path = write_workbook(tmp_path / "records.xlsx", {"Q1": [HEADER_LINE.split(","), ONE.split(",")],
                                                      "Q2": [HEADER_LINE.split(",")]})
    assert _refused(path, "Q3") == [(None, None, "no sheet 'Q3'; the sheets are Q1, Q2", None)]


def test_a_workbook_whose_sheet_is_damaged_inside_is_refused(tmp_path: Path) -> None:
    """A workbook whose sheet's XML is cut short: it opens (its list of sheets is whole) but its sheet cannot be
    read; refused as a workbook that cannot be read, not a traceback."""
    import zipfile

    from conftest import write_workbook

    good = write_workbook(tmp_path / "good.xlsx", {"Q1": [HEADER_LINE.split(","), ONE.split(",")]})
    path = tmp_path / "records.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            out.writestr(item, data[: len(data) // 2] if item.filename.startswith("xl/worksheets/") else data)
    [(row, column, message, sheet)] = _refused(path)
    assert (row, column, sheet) == (None, None, None)
    assert message.startswith("cannot be read as an Excel workbook: ")


def test_a_referral_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts the file with a byte order mark: its header still names `referral_id` and the
    record is read. Wrong answer caught: the header read in the system's encoding, keeping the mark, so the first
    column is '\ufeffreferral_id' and the file is refused for a missing referral_id."""
    from cyplan.returns.stage import stage

    path = tmp_path / "records.csv"
    path.write_text(f"\ufeff{HEADER_LINE}\n{ONE}\n", encoding="utf-8")
    staged = stage(path, load())
    assert staged.records == 1
    assert staged.as_records().row.tolist() == [2]


def test_an_empty_sheet_is_refused_naming_the_sheet(tmp_path: Path) -> None:
    """A workbook whose one sheet, 'Records', holds nothing (or a cell of spaces): the file is empty, and the
    problem names the sheet, as every problem in a workbook does. Wrong answer caught: the sheet left out of the
    message, so the analyst does not know which sheet of the workbook was read."""
    import openpyxl

    for cell in (None, "   "):
        book = openpyxl.Workbook()
        book.active.title = "Records"
        if cell is not None:
            book.active["A1"] = cell
        path = tmp_path / "records.xlsx"
        book.save(path)
        assert _refused(path) == [(None, None, "the file is empty", "Records")]


def test_the_day_first_note_shows_a_date_that_could_be_read_either_way_if_there_is_one() -> None:
    """The note on a file's UK dates takes as its example the first that could be read either way (its day 12 or
    less): of 13/07/2025 and 12/03/2025, 12/03/2025, 12 March (12 is such a day: 12/03 could be 3 December). With
    13/07/2025 alone, which cannot be read month first, that one. Wrong answers caught: a day of 12 taken as one that
    could not be month first (`< 12`), and no note, or a crash, when no date could be read either way."""
    from cyplan.returns.stage import _day_first_note

    note = "column 'received_date': dates such as {0} were read as day/month/year (UK), so {0} is {1}"
    july, march = (dt.date(2025, 7, 13), "13/07/2025"), (dt.date(2025, 3, 12), "12/03/2025")
    assert _day_first_note([july, march]) == [note.format("12/03/2025", "12 March 2025")]
    assert _day_first_note([july]) == [note.format("13/07/2025", "13 July 2025")]


def test_a_repeated_referral_id_is_named_as_written_less_its_spaces(tmp_path: Path) -> None:
    """Records X7, ' X7 ' (spaces round it), R9 followed by a no-break space (twice) and R1 (once), on rows 2–6: X7
    is given twice, rows 2 and 3, and the id R9 + no-break space twice, rows 4 and 5, named as written (a spreadsheet
    pasted from a web page leaves such a space: only spaces are trimmed, as when the ids were counted). Wrong answers
    caught: the ids read again with other characters trimmed, so X7 is named '7', or R9 named without the space
    that makes it another id than R9 (the count of repeats and the name would disagree)."""
    from cyplan.returns.stage import reading

    rest = ONE.split(",", 1)[1]
    ids = ["X7", " X7 ", "R9\u00a0", "R9\u00a0", "R1"]
    path = tmp_path / "records.csv"
    path.write_text(HEADER_LINE + "\n" + "".join(f"{i},{rest}\n" for i in ids), encoding="utf-8")
    with reading(path, load()) as read:
        for _ in read:
            pass
        assert read.repeated() == [("X7", [2, 3]), ("R9\u00a0", [4, 5])]


def test_a_sheets_header_problems_name_the_sheet(tmp_path: Path) -> None:
    """A workbook whose sheet 'Records' holds the header written with semicolons in one cell (a CSV line pasted
    into column A), and one whose header lacks `accepted`: each problem names the sheet, as every problem in a
    workbook does. Wrong answer caught: the sheet left out of the separator's problem or the header's."""
    import openpyxl

    def workbook(header: list[str]) -> Path:
        book = openpyxl.Workbook()
        book.active.title = "Records"
        book.active.append(header)
        path = tmp_path / "records.xlsx"
        book.save(path)
        return path

    names = HEADER_LINE.split(",")
    ((row, column, message, sheet),) = _refused(workbook([";".join(names)]))
    assert (row, column, sheet) == (None, None, "Records")
    assert message.startswith("the file is separated by semicolons; cyplan reads comma-separated files")
    assert _refused(workbook([n for n in names if n != "accepted"])) == [(1, "accepted", "this column is missing",
                                                                           "Records")]


def test_accepted_is_read_from_every_spelling_of_yes_and_no() -> None:
    """What the reader of the accepted column leaves unread (None) is read as input files read yes/no: Y, 1 and TRUE
    are yes (1); N, 0 and FALSE are no (0), in any case; 'maybe' is neither and a blank stays blank. An answer the
    reader did read is kept. Wrong answer caught: the no-spellings read as neither, so every record written N is
    an error instead of a referral not accepted."""
    from cyplan.returns.stage import _nhs_yes_no

    read = [(None, "N"), (None, "0"), (None, "false"), (None, "Y"), (None, "1"), (None, "TRUE"), (None, "maybe"),
            (None, None), (0, "no")]
    assert _nhs_yes_no(read) == [(0, "N"), (0, "0"), (0, "false"), (1, "Y"), (1, "1"), (1, "TRUE"), (None, "maybe"),
                                 (None, None), (0, "no")]


def test_the_staged_files_sha256_is_the_files(tmp_path: Path) -> None:
    import hashlib

    from cyplan.returns.stage import stage

    path = tmp_path / "records.csv"
    path.write_text(f"{HEADER_LINE}\n{ONE}\n")
    assert stage(path, load()).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# -- the referrals of the workspace's returns (returns/service.py) ---------------------------------------------

def test_the_workspaces_referrals_are_its_accepted_returns_over_the_quarters_they_span(tmp_path: Path) -> None:
    """examples/returns/small_records.csv: 8 records, 6 accepted ('yes'), received 1 April 2022 to 15 May 2023, so
    from the first quarter of 2022/23 to the first of 2023/24: 5 quarters, 1.25 years. Exact: 6. Published (NHS
    Digital's rule): 6 is withheld (1 to 7), so null. Two areas: none, and why. No returns: none, and why."""
    ws = Workspace.create(tmp_path / "ws")
    none, why = service.workspace_referrals(ws, ["E1"])
    assert (none.height, why) == (0, "the workspace holds no referral returns")
    service.import_returns(ws, RECORDS, today=dt.date(2024, 1, 1))
    assert service.workspace_referrals(ws, ["E1"], published=False)[0].rows() == [("E1", 6.0, 1.25)]
    assert service.workspace_referrals(ws, ["E1"])[0].rows() == [("E1", None, 1.25)]
    two, why = service.workspace_referrals(ws, ["E1", "E2"])
    assert (two.height, why) == (0, ONE_AREA_ONLY)


def test_an_import_into_a_store_of_another_format_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    """A manifest of format 0 (not one this cyplan reads): the import is refused naming the manifest, and the
    workspace is left as it was, byte for byte."""
    ws = Workspace.create(tmp_path / "ws")
    store.path(ws.path).parent.mkdir(parents=True, exist_ok=True)
    store.path(ws.path).write_text('{"format": 0, "imports": [], "labels": {}}')
    before = {p: p.read_bytes() for p in sorted(ws.path.rglob("*")) if p.is_file()}
    with pytest.raises(InputError) as e:
        service.import_returns(ws, RECORDS, today=dt.date(2024, 1, 1))
    assert [(p.file, p.row, p.column, p.message) for p in e.value.problems] == [
        (str(RECORDS), None, None, f"{store.path(ws.path)} is in a format this version of cyplan does not read")]
    assert {p: p.read_bytes() for p in sorted(ws.path.rglob("*")) if p.is_file()} == before



# -- crash recovery: the log brought up to date from the manifest (returns/recover.py) -------------------------

def _counts_file(ws: Workspace, name: str) -> str:
    """A counts file of 3 age counts (4 accepted, 2 not, 5 accepted: 11 records, 9 accepted) and 2 gender counts
    of the same records that a wrong field would add (100 and 1,000, 1,000 of them accepted)."""
    rows = [(1, 5, True, store.CODED[0], 3, 0, 4), (1, 5, False, store.CODED[0], 4, 0, 2),
            (2, 6, True, store.CODED[0], 7, 0, 5), (1, 5, True, store.CODED[1], 1, 0, 1000),
            (1, 5, False, store.CODED[1], 2, 0, 100)]
    store.folder(ws.path).mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows, schema=store.COUNTS_SCHEMA, orient="row").write_ipc(store.folder(ws.path) / name)
    return name


def test_imports_the_log_lacks_are_added_from_the_manifest_under_their_own_ids_and_the_next_id_follows(
        tmp_path: Path) -> None:
    """The log holds import 2; the manifest names 2, 5 (its log row kept) and 7 (stored before the manifest kept
    it: the row from its counts — 11 records, 9 accepted, no queries, none replaced, no periods). Rows 5 and 7 are
    added under those ids, 2 is left as it was, and the next import is 8 (above 2, 5 and 7)."""
    from cyplan.returns.recover import log_missing
    from cyplan.store.returns_tables import returns_imports
    ws = Workspace.create(tmp_path / "w")
    kept = {"records": 30, "accepted": 20, "queries": 3, "replaced": 1, "periods": '[[1, 5]]'}
    with ws.engine.begin() as conn:
        conn.execute(returns_imports.insert().values(id=2, file="two.csv", sheet=None, sha256="b", imported_at="t2",
                                                     records=1, accepted=1, queries=0, replaced=0, periods="[]"))
    manifest = store.Manifest([
        store.Import(2, "again.csv", None, "x", "t", "2.records.arrow", "2.counts.arrow", {**kept, "records": 99}),
        store.Import(5, "five.xlsx", "Sheet 1", "e", "t5", "5.records.arrow", "5.counts.arrow", kept),
        store.Import(7, "seven.csv", None, "g", "t7", "7.records.arrow", _counts_file(ws, "7.counts.arrow"))])
    assert log_missing(ws, manifest) == 8
    with ws.engine.connect() as conn:
        rows = conn.execute(returns_imports.select().order_by(returns_imports.c.id)).all()
    assert [tuple(r) for r in rows] == [
        (2, "two.csv", None, "b", "t2", 1, 1, 0, 0, "[]"),
        (5, "five.xlsx", "Sheet 1", "e", "t5", 30, 20, 3, 1, "[[1, 5]]"),
        (7, "seven.csv", None, "g", "t7", 11, 9, 0, 0, "[]")]
    assert log_missing(ws, manifest) == 8  # nothing more to add


def test_with_no_import_anywhere_the_next_id_is_1(tmp_path: Path) -> None:
    from cyplan.returns.recover import log_missing
    assert log_missing(Workspace.create(tmp_path / "w"), store.Manifest()) == 1


def test_the_stores_files_are_its_records_and_counts_files_only_sorted(tmp_path: Path) -> None:
    """The folder holds a records file, a counts file, the manifest, a temporary copy and a note: the store's files
    are the first two, by name; a workspace without the folder has none."""
    ws = tmp_path / "w"
    assert store.stored_files(ws) == []
    store.folder(ws).mkdir(parents=True)
    for name in ("b.records.arrow", "a.counts.arrow", store.MANIFEST, f"{store.MANIFEST}.tmp", "notes.txt",
                 "c.records.arrow.old"):
        (store.folder(ws) / name).write_text("")
    assert store.stored_files(ws) == ["a.counts.arrow", "b.records.arrow"]


# -- the files that edit a workspace's code lists (returns/codelist_files.py) ----------------------------------

def _problems(e: pytest.ExceptionInfo[InputError]) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.message) for p in e.value.problems]


def test_an_own_list_is_read_from_its_code_column_or_else_its_category_column(tmp_path: Path) -> None:
    """Three files for gender: 'code' only (A, B: no label or aliases, so '' for each, not None); 'category' only
    (C: read from that column, not refused as lacking 'code'); both columns (code D, category E: the code column
    is the one read). Wrong answers caught: the category column never read, read when a code column is there, or
    a missing label read as None."""
    from cyplan.returns.codelist_files import read_list
    files = {"code.csv": "code\nA\nB\n", "category.csv": "category,label\nC,See\n", "both.csv": "code,category\nD,E\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert read_list(tmp_path / "code.csv", "gender") == [Entry("A", "", ""), Entry("B", "", "")]
    assert read_list(tmp_path / "category.csv", "gender") == [Entry("C", "See", "")]
    assert read_list(tmp_path / "both.csv", "gender") == [Entry("D", "", "")]


def test_an_own_lists_faults_are_each_named_by_row_and_column(tmp_path: Path) -> None:
    """gender.csv, rows 2–6: F (alias 'woman'); a blank code with an alias (row 3); F again (row 4: "on row 2
    too"); M with alias 'WOMAN ' (row 5: the aliases column, already F's, row 2); X with a vertical tab in its
    label (row 6) — refused alone, before the rest is looked at. Without row 6 the four others are each named."""
    from cyplan.returns.codelist_files import read_list
    path = tmp_path / "gender.csv"
    path.write_text("code,label,aliases\nF,Female,woman\n,,girl\nF,,\nM,Male,WOMAN \nX,Ex\x0btra,\n")
    with pytest.raises(InputError) as caught:
        read_list(path, "gender")
    assert _problems(caught) == [(6, "label", CONTROL_MESSAGE)]
    path.write_text("code,label,aliases\nF,Female,woman\n,,girl\nF,,\nM,Male,WOMAN \n")
    with pytest.raises(InputError) as caught:
        read_list(path, "gender")
    assert _problems(caught) == [(3, "code", "the code is blank: give each category a code"),
                                 (4, "code", "the code 'F' is on row 2 too: give each category one row"),
                                 (5, "aliases", "'WOMAN' already means 'F' (row 2)")]


def test_an_own_list_with_no_categories_is_refused_naming_the_field(tmp_path: Path) -> None:
    """A row with its code and label blank (a note only): no categories, and no other fault, so one problem for the
    whole file."""
    from cyplan.returns.codelist_files import read_list
    path = tmp_path / "gender.csv"
    path.write_text("code,label,note\n,,left blank\n")
    with pytest.raises(InputError) as caught:
        read_list(path, "gender")
    assert [(p.file, p.row, p.column, p.message) for p in caught.value.problems] == [
        (str(path), None, None, "the file holds no categories for gender")]


def test_a_filled_in_mapping_is_read_as_field_to_value_to_category_and_a_value_twice_to_one_category_is_kept(
        tmp_path: Path) -> None:
    """Rows: gender 'F' → female (the category as written on the list: 'Female'); gender 'f ' → 'FEMALE' again (the
    same value in another case, to the same category: no fault, and kept as written, stripped); referral_source
    'GP' → nhs referral; a row with map_to blank (left out)."""
    from cyplan.returns.codelist_files import read_mapping
    path = tmp_path / "mapping.csv"
    path.write_text("field,value_found,count,map_to\ngender,F,3,female\nGender,f ,1,FEMALE\n"
                    "referral_source,GP,5,nhs referral\ngender,W,2,\n")
    assert read_mapping(path, load()) == {"gender": {"F": "Female", "f": "Female"},
                                             "referral_source": {"GP": "NHS Referral"}}


def test_a_mappings_faults_are_each_named_by_row_and_column(tmp_path: Path) -> None:
    """Rows 2–8: an unknown field; a blank value_found; a map_to off the referral source list; 'female' (already
    the gender list's first category) mapped to Male; 'Local Authority' (already the referral source list's 6th)
    mapped to Other; 'X' to Female then 'x' to Male (row 8: mapped twice, also on row 7). Each message names its
    row and column; a field with '_' is written with a space."""
    from cyplan.returns.codelist_files import read_mapping
    path = tmp_path / "mapping.csv"
    path.write_text("field,value_found,count,map_to\ncolour,red,1,Red\ngender,,2,Male\nreferral_source,GP,3,Doctor\n"
                    "gender,female,4,Male\nreferral_source,Local Authority,5,Other\ngender,X,6,Female\n"
                    "gender,x,7,Male\n")
    with pytest.raises(InputError) as caught:
        read_mapping(path, load())
    sources = ", ".join(load()["referral_source"].categories)
    assert _problems(caught) == [
        (2, "field", f"'colour' is not a field with a code list; they are: {', '.join(F.CATEGORICAL)}"),
        (3, "value_found", "value_found is blank: a blank is not mapped"),
        (4, "map_to", f"'Doctor' is not on the referral source code list; its categories are: {sources}"),
        (5, "value_found", "'female' is already on the gender code list as 'Female'"),
        (6, "value_found", "'Local Authority' is already on the referral source code list as 'Local Authority'"),
        (8, "value_found", "'x' is mapped twice: also on row 7")]


def test_a_control_character_in_a_mappings_field_or_map_to_is_refused_first(tmp_path: Path) -> None:
    from cyplan.returns.codelist_files import read_mapping
    path = tmp_path / "mapping.csv"
    path.write_text("field,value_found,count,map_to\nGen\x0bder,F,1,Female\ngender,,1,Ma\x0ble\n")
    with pytest.raises(InputError) as caught:
        read_mapping(path, load())
    assert _problems(caught) == [(2, "field", CONTROL_MESSAGE), (3, "map_to", CONTROL_MESSAGE)]


# -- code lists edited: back to the register's or the default list (returns/codelist_edit.py) ------------------

def test_the_service_list_reset_is_the_registers_and_the_mappings_off_it_are_dropped_and_named(
        demo_workspace: Path) -> None:
    """The demo's register holds childrens_centres (not a vanguard). Kept mappings: Hub → childrens_centres, Vg →
    Affinity and Ab → Beacon (vanguards or nothing, neither in the register). Reset, the service list is the
    register's: Hub's mapping is kept, the two others are dropped and named, sorted by value, in one sentence
    (plural). A reset that drops nothing adds nothing to its sentence, and a field with '_' is written with a
    space."""
    from cyplan.returns.codelist_edit import reset
    from cyplan.store import codelists as own_lists
    ws = Workspace.open(demo_workspace)
    with ws.engine.begin() as conn:
        own_lists.store_mappings(conn, {"service": {"Hub": "childrens_centres", "Vg": "Affinity", "Ab": "Beacon"}})
    assert reset(ws, "service") == (
        "The service code list is the services in the register again. Dropped 2 kept mappings to a category not "
        "on this list: 'Ab' → 'Beacon', 'Vg' → 'Affinity'; those values are queried again (keep a new mapping "
        "with --mapping to read them as a category on the list).")
    assert own_lists.stored_mappings(ws.engine) == {"service": {"Hub": "childrens_centres"}}
    assert reset(ws, "referral_source") == "The referral source code list is the default list again."
    with ws.engine.begin() as conn:
        own_lists.store_mappings(conn, {"gender": {"W": "Woman"}})
    assert reset(ws, "gender") == (
        "The gender code list is the default list again. Dropped 1 kept mapping to a category not on this list: "
        "'W' → 'Woman'; those values are queried again (keep a new mapping with --mapping to read them as a "
        "category on the list).")


def test_a_reset_list_that_is_an_older_workspaces_faulty_file_is_read_with_its_faults_and_its_gaps_noted(
        demo_workspace: Path) -> None:
    """An older workspace's codelists/ethnicity.csv: 'Asian or Asian British' twice (a fault: read with the second
    left out), White British, Traveller, Other. Kept mappings WB → White British and T → Traveller. Reset, the list
    in use is still that file's: both mappings are on it and kept (Traveller's is not dropped as off the default
    list), and the demo's population by ethnicity
    has three categories the file lacks (African; Mixed or Multiple ethnic groups; White Minorities), named in a
    note, sorted."""
    from cyplan.returns.codelist_edit import reset
    from cyplan.store import codelists as own_lists
    older = demo_workspace / WORKSPACE_FOLDER / "ethnicity.csv"
    older.parent.mkdir(exist_ok=True)
    older.write_text("category\nAsian or Asian British\nAsian or Asian British\nWhite British\nTraveller\nOther\n")
    ws = Workspace.open(demo_workspace)
    with ws.engine.begin() as conn:
        own_lists.store_mappings(conn, {"ethnicity": {"WB": "White British", "T": "Traveller"}})
    assert reset(ws, "ethnicity") == (
        "The ethnicity code list is the default list again. Note: your population by category has ethnicity "
        "categories not on this list (African, Mixed or Multiple ethnic groups, White Minorities): the equality "
        "view lists them without referrals until you import population_groups again with the list's categories.")
    assert own_lists.stored_mappings(ws.engine) == {"ethnicity": {"WB": "White British", "T": "Traveller"}}


def test_tidying_deletes_only_the_stores_files_no_manifest_names_and_a_first_import_leaves_no_folder(
        tmp_path: Path) -> None:
    """The folder holds import 1's records (named), the records of 2 and counts of 3 (orphans), a manifest copy cut
    short (manifest.json.x.tmp), the manifest, and a user's notes.txt, data.tmp and manifest.json.bak. Tidied with
    import 1's manifest: the three orphans are deleted (sorted) and the rest kept, the folder too. A first import
    killed before its manifest (no manifest): its files are deleted and so is the folder, unless a user's file is
    in it."""
    ws = tmp_path / "w"
    where = store.folder(ws)
    where.mkdir(parents=True)
    files = ["1.records.arrow", "2.records.arrow", "3.counts.arrow", f"{store.MANIFEST}.x.tmp", store.MANIFEST,
             "notes.txt", "data.tmp", f"{store.MANIFEST}.bak"]
    for name in files:
        (where / name).write_text("")
    one = store.Import(1, "f.csv", None, "s", "t", "1.records.arrow", "1.counts.arrow")
    assert store.tidy(ws, store.Manifest([one])) == ["2.records.arrow", "3.counts.arrow", f"{store.MANIFEST}.x.tmp"]
    assert sorted(p.name for p in where.iterdir()) == sorted([store.MANIFEST, "1.records.arrow", "notes.txt",
                                                              "data.tmp", f"{store.MANIFEST}.bak"])
    for name in ("notes.txt", "data.tmp", f"{store.MANIFEST}.bak", store.MANIFEST):
        (where / name).unlink()
    (where / "4.counts.arrow").write_text("")
    assert store.tidy(ws, None) == ["1.records.arrow", "4.counts.arrow"]
    assert not where.exists()
    where.mkdir()
    (where / "5.records.arrow").write_text("")
    (where / "notes.txt").write_text("")
    assert store.tidy(ws, None) == ["5.records.arrow"]
    assert [p.name for p in where.iterdir()] == ["notes.txt"]
    assert store.tidy(tmp_path / "none", None) == []


def test_a_store_write_syncs_each_file_to_be_named_and_a_folder_it_made_and_that_folders_workspace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a power cut must not lose, asked of the one place that makes it durable (`_sync`): a write into a new
    folder syncs its records file (not a chunk written with sync=False), then at commit the folder (the manifest's
    rename) and the workspace (the new folder's entry). A commit that makes the folder itself syncs both too. A
    write into a folder that was there before syncs no workspace; if one fails, the (empty) folder stays."""
    synced: list[Path] = []
    monkeypatch.setattr(store, "_sync", synced.append)
    new = tmp_path / "new"
    new.mkdir()
    files = store._Files(new)
    name = files.write(pl.DataFrame({"a": [1]}))
    files.write(pl.DataFrame({"a": [2]}).lazy(), "chunk", sync=False)
    files.commit(store.Manifest())
    assert synced == [store.folder(new) / name, store.folder(new), new]
    synced.clear()
    bare = tmp_path / "bare"
    bare.mkdir()
    store._Files(bare).commit(store.Manifest())
    assert synced == [store.folder(bare), bare]
    synced.clear()
    there = tmp_path / "there"
    store.folder(there).mkdir(parents=True)
    files = store._Files(there)
    name = files.write(pl.DataFrame({"a": [1]}))
    files.commit(store.Manifest())
    assert synced == [store.folder(there) / name, store.folder(there)]
    empty = tmp_path / "empty"
    store.folder(empty).mkdir(parents=True)
    failed = store._Files(empty)
    failed.write(pl.DataFrame({"a": [1]}))
    failed.undo()
    assert store.folder(empty).is_dir() and not any(store.folder(empty).iterdir())


@pytest.mark.parametrize("point", ["returns-file-written", "manifest-written", "manifest-renamed",
                                   "returns-superseded-removed"])
def test_a_store_write_and_its_commit_pass_their_fault_points(tmp_path: Path, point: str) -> None:
    """The crash tests stop an import at each of these steps; a write and its commit must pass each by its name."""
    from cyplan import faults

    def stop(name: str) -> None:
        raise RuntimeError(name)

    ws = tmp_path / "w"
    ws.mkdir()
    with faults.inject(point, stop), pytest.raises(RuntimeError, match=point):
        files = store._Files(ws)
        files.write(pl.DataFrame({"a": [1]}))
        files.commit(store.Manifest())


def test_undoing_a_write_whose_new_folder_has_gone_is_quiet(tmp_path: Path) -> None:
    """A write made the store's folder, which is then deleted (by a user, or a failing disk) before the write is
    undone: the undo says nothing (the error that brought it there is the one to tell) and leaves no folder."""
    import shutil

    ws = tmp_path / "w"
    ws.mkdir()
    files = store._Files(ws)
    files.write(pl.DataFrame({"a": [1]}))
    shutil.rmtree(store.folder(ws))
    files.undo()
    assert not store.folder(ws).exists()


def test_a_store_write_left_unfinished_is_refused_before_its_commit_and_leaves_nothing(tmp_path: Path) -> None:
    """A caller that ends the block without `finish`: refused by name (a programming error, not a half-stored
    import), and nothing is left in the workspace."""
    ws = tmp_path / "w"
    ws.mkdir()
    with pytest.raises(AssertionError, match="an import's records were not finished before its commit"), \
            store.replacing(ws):
        pass
    assert list(ws.iterdir()) == []


def test_a_stored_file_gone_or_damaged_is_named_when_the_records_are_read(tmp_path: Path) -> None:
    """small_records.csv imported, then its records file deleted: reading the records says that file is missing
    and which import it held. The file overwritten with text instead: it is damaged, named so."""
    ws = Workspace.create(tmp_path / "ws")
    service.import_returns(ws, RECORDS, today=dt.date(2024, 1, 1))
    manifest = store.Manifest.read(ws.path)
    assert manifest is not None
    records = store.folder(ws.path) / manifest.imports[0].records
    records.unlink()
    with pytest.raises(store.Damaged, match=f"^{records} is missing: it held the referral records imported from "):
        store.load(ws.path)
    records.write_text("not an Arrow file")
    with pytest.raises(store.Damaged, match=f"^{records} is damaged and cannot be read"):
        store.load(ws.path)


def test_a_stored_file_whose_records_are_damaged_but_not_its_schema_is_named(tmp_path: Path) -> None:
    """small_records.csv imported, then bytes 300 to half way of its records file overwritten (its schema, at the end,
    still reads; its records do not): reading the records says the file is damaged, naming it. Wrong answer caught:
    the damage found only where the schema is damaged, the rest an error of another kind with no file named."""
    ws = Workspace.create(tmp_path / "ws")
    service.import_returns(ws, RECORDS, today=dt.date(2024, 1, 1))
    manifest = store.Manifest.read(ws.path)
    assert manifest is not None
    records = store.folder(ws.path) / manifest.imports[0].records
    data = bytearray(records.read_bytes())
    data[300:len(data) // 2] = b"\xff" * (len(data) // 2 - 300)
    records.write_bytes(bytes(data))
    assert pl.read_ipc_schema(records)  # the damage is past the schema
    with pytest.raises(store.Damaged, match=f"^{records} is damaged and cannot be read"):
        store.load(ws.path)


# -- a format 2 store (returns.duckdb) moved when first opened (returns/store.py _upgrade) ----------------------

def test_a_format_2_store_and_its_write_ahead_log_are_deleted_once_moved(tmp_path: Path) -> None:
    """A format 2 store holding records, with the empty write-ahead log DuckDB can leave beside it: once moved, both
    files are gone. The same for a format 2 store holding no records (nothing to move)."""
    import duckdb

    from test_returns_store import _format_2_store

    ws = Workspace.create(tmp_path / "ws")
    _format_2_store(ws)
    (ws.path / f"{store.FILE}.wal").write_bytes(b"")
    assert store._opened(ws.path) is not None
    assert not (ws.path / store.FILE).exists() and not (ws.path / f"{store.FILE}.wal").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    duckdb.connect(str(empty / store.FILE)).execute("CREATE TABLE meta (key VARCHAR, value VARCHAR); INSERT INTO meta "
                                                    "VALUES ('format', '2'); CREATE TABLE referrals (import_id INTEGER)"
                                                    ).close()
    (empty / f"{store.FILE}.wal").write_bytes(b"")
    assert store._opened(empty) is None
    assert sorted(p.name for p in empty.iterdir()) == []


def test_a_store_from_before_format_2_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    """A returns.duckdb with referrals but no format (format 1): refused, naming the file and what to do."""
    import duckdb

    duckdb.connect(str(tmp_path / store.FILE)).execute("CREATE TABLE referrals (import_id INTEGER)").close()
    with pytest.raises(store.OldStore) as caught:
        store._opened(tmp_path)
    assert str(caught.value) == (f"{tmp_path / store.FILE} holds referral returns stored by an earlier version of "
                                 "cyplan, which this version does not read: delete that file and import the returns "
                                 "again")


def test_the_id_kind_holds_every_label_and_is_8_bits_to_255_labels_and_16_to_65535() -> None:
    """n labels have ids 0 … n − 1. The kind holds the largest id for any number of labels (257, 511: past 8 bits;
    65,537, 131,071: past 16), and is the narrow one: 8 bits for 1 and 255 labels, 16 for 300 and 65,535."""
    kinds = {1: pl.UInt8, 255: pl.UInt8, 300: pl.UInt16, 65_535: pl.UInt16}
    assert {n: store._narrow(n) for n in kinds} == kinds
    for n in (1, 256, 257, 511, 65_536, 65_537, 131_071, 1_000_000):
        assert pl.Series([n - 1]).cast(store._narrow(n)).item() == n - 1


# -- settling a workspace's store when it is opened (returns/recover.py: settle) ---------------------------------

def _log(ws: Workspace) -> list[tuple[object, ...]]:
    from cyplan.store.returns_tables import returns_imports
    with ws.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(returns_imports.select().order_by(returns_imports.c.id))]


def test_the_import_log_holds_the_quarters_the_file_covers_and_the_audit_trail_its_import(tmp_path: Path) -> None:
    """small_records.csv: Affinity's referrals in 2022/23 Q1 and Q2 and 2023/24 Q1, Surrey's in 2022/23 Q3 and Q4
    (its received dates by hand, financial quarters from April). The workspace's log of imports keeps them, service
    then quarter, as JSON; and the audit trail has one import entry for it, of referral returns, naming the file,
    its SHA-256 and its 8 records. Wrong answers caught: the log written without what the file covered, so a later
    reader of the log cannot tell which quarters an import replaced; the audit entry under another action or kind,
    so a search of the trail for imports of referral returns misses it."""
    import hashlib
    import json

    from cyplan.store import audit
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        (row,) = _log(ws)
        assert json.loads(str(row[-1])) == [["Affinity", "2022/23 Q1"], ["Affinity", "2022/23 Q2"],
                                             ["Affinity", "2023/24 Q1"], ["Surrey", "2022/23 Q3"],
                                             ["Surrey", "2022/23 Q4"]]
        with ws.engine.connect() as conn:
            (entry,) = audit.read(conn, "import")
        what = json.loads(entry["what"])
        assert (what["kind"], what["file"], what["sheet"], what["rows"], what["mode"]) == (
            "referral returns", str(SMALL), None, 8, "replace")
        assert what["sha256"] == hashlib.sha256(SMALL.read_bytes()).hexdigest()
    finally:
        ws.close()


def _imported_then_unlogged(tmp_path: Path) -> tuple[Workspace, list[tuple[object, ...]]]:
    """Smalltown's records imported, then the import's log row deleted, as an import killed after its manifest was in
    place but before the log was written leaves it: the workspace and the log as it was."""
    from cyplan.store.returns_tables import returns_imports
    ws = Workspace.create(tmp_path / "w")
    service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
    logged = _log(ws)
    with ws.engine.begin() as conn:
        conn.execute(returns_imports.delete())
    return ws, logged


def test_settling_adds_the_log_row_of_an_import_the_manifest_names_and_the_log_lacks(tmp_path: Path) -> None:
    """Wrong answer caught: a workspace whose store folder is there taken for one with none (nothing settled)."""
    from cyplan.returns.recover import settle
    ws, logged = _imported_then_unlogged(tmp_path)
    try:
        assert len(logged) == 1 and _log(ws) == []
        settle(ws)
        assert _log(ws) == logged
    finally:
        ws.close()


def test_settling_a_store_whose_manifest_is_lost_keeps_its_records_files_and_raises_nothing(tmp_path: Path) -> None:
    """The manifest deleted, the import still in the log: the store is damaged (the commands that read it say so), so
    settling leaves the records and counts files as they are rather than deleting them as what a first import cut
    short left. Wrong answers caught: the log not consulted (the files deleted), the damage raised on opening."""
    from cyplan.returns.recover import settle
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        store.path(ws.path).unlink()
        kept = store.stored_files(ws.path)
        settle(ws)
        assert store.stored_files(ws.path) == kept and len(kept) == 2
    finally:
        ws.close()


@pytest.mark.parametrize("error", [OSError("read-only"), "operational", store.Damaged("d"), store.OldStore("o"),
                                   pl.exceptions.ComputeError("c")])
def test_settling_leaves_a_store_it_cannot_write_or_read_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  error: object) -> None:
    """Settling meets a read-only folder or full disk (OSError), a database it cannot write (OperationalError), a
    damaged or old store, a counts file polars cannot read: the workspace opens all the same (the store is read as
    it is; the commands that read it say what is wrong). Wrong answer caught: any of the five raised."""
    import sqlalchemy as sa

    from cyplan.returns import recover
    ws, _ = _imported_then_unlogged(tmp_path)
    raised = sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error")) if error == "operational" else error

    def fails(*_: object) -> int:
        assert isinstance(raised, BaseException)
        raise raised
    monkeypatch.setattr(recover, "log_missing", fails)
    try:
        recover.settle(ws)
        assert _log(ws) == []
    finally:
        ws.close()


def test_settling_skips_a_store_another_writer_holds_unless_asked_to_wait_for_it(tmp_path: Path) -> None:
    """Another writer holds the store's lock. Settling as a workspace is opened does nothing and returns at once (that
    writer settles the store); asked to wait, it waits until the lock is let go, then adds the missing log row.
    Wrong answers caught: opening a workspace hanging on a writer, a wait asked for not kept."""
    import threading

    from cyplan.returns.recover import settle
    ws, logged = _imported_then_unlogged(tmp_path)
    try:
        with store._lock(ws.path) as held:
            assert held
            quick = threading.Thread(target=settle, args=(ws,))
            quick.start()
            quick.join(timeout=60)
            returned_while_held = not quick.is_alive()
            unsettled = _log(ws) == []
            waiting = threading.Thread(target=settle, args=(ws, True))
            waiting.start()
            waiting.join(timeout=0.5)
            waited = waiting.is_alive()  # it cannot take the lock until the block ends, so it is still there
        quick.join()
        waiting.join(timeout=60)
        assert returned_while_held and unsettled and waited and not waiting.is_alive()
        assert _log(ws) == logged
    finally:
        ws.close()


def test_a_first_import_cut_short_before_its_manifest_leaves_nothing_once_settled(tmp_path: Path) -> None:
    """A first import killed before its manifest was written: the store folder holds its records file and nothing
    names it; the log lists no import. Settling deletes the file and the folder, as if the import had never
    started. Wrong answer caught: the log read as listing an import when it lists none (the file then kept as
    records whose manifest was lost)."""
    from cyplan.returns.recover import settle
    ws = Workspace.create(tmp_path / "w")
    try:
        store.folder(ws.path).mkdir()
        (store.folder(ws.path) / "1.records.arrow").write_bytes(b"cut short")
        settle(ws)
        assert not store.folder(ws.path).exists()
    finally:
        ws.close()


def test_the_codes_list_shows_each_categorys_kept_mappings_from_an_older_workspaces_own_file(
        demo_workspace: Path) -> None:
    """An older workspace's codelists/ethnicity.csv: White British, Traveller, Other, Irish, Roma, Mixed (six
    categories: as many rows as the table has columns). Kept mappings WB and Wh → White British (the first
    category), T → Traveller, X → Nowhere (not on the list). The list shown is the file's, one row a category, each
    with the values mapped to it joined by ' | '; X is on no row. Wrong answers caught: the workspace's own file
    not looked for (the default list shown), the first category's mappings left out, the rows read as columns."""
    from cyplan.returns.codelist_edit import shown
    from cyplan.store import codelists as own_lists
    older = demo_workspace / WORKSPACE_FOLDER / "ethnicity.csv"
    older.parent.mkdir(exist_ok=True)
    older.write_text("category\nWhite British\nTraveller\nOther\nIrish\nRoma\nMixed\n")
    ws = Workspace.open(demo_workspace)
    try:
        with ws.engine.begin() as conn:
            own_lists.store_mappings(conn, {"ethnicity": {"WB": "White British", "Wh": "White British",
                                                          "T": "Traveller", "X": "Nowhere"}})
        got = shown(ws, "ethnicity")
        assert got.columns == ["field", "code", "label", "also_accepted", "mapped", "source"]
        assert got.select("code", "mapped").rows() == [("White British", "WB | Wh"), ("Traveller", "T"),
                                                       ("Other", ""), ("Irish", ""), ("Roma", ""), ("Mixed", "")]
        assert set(got["source"]) == {"own"} and set(got["field"]) == {"ethnicity"}
    finally:
        ws.close()


def test_the_faults_of_one_fields_list_are_that_lists_alone(demo_workspace: Path) -> None:
    """An older workspace's own ethnicity and gender files each name a category twice (a fault each). Asked for
    ethnicity, only ethnicity's fault is listed; asked for every field, both are, in the order of the fields
    (gender before ethnicity). Wrong answer caught: the field asked for not heeded."""
    from cyplan.returns.codelist_edit import faults
    folder = demo_workspace / WORKSPACE_FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "ethnicity.csv").write_text("category\nWhite British\nWhite British\nOther\n")
    (folder / "gender.csv").write_text("category\nGirl\nBoy\nBoy\n")

    def fault(field: str, row: int, category: str) -> str:
        file = folder / f"{field}.csv"
        return (f"{file}, row {row}: the category '{category}' is on row {row - 1} too; it is read with that left out "
                f"(the first meaning kept) until you put {file} right (or remove it to go back to the standard list)")
    ws = Workspace.open(demo_workspace)
    try:
        assert faults(ws, "ethnicity") == [fault("ethnicity", 3, "White British")]
        assert faults(ws, None) == [fault("gender", 4, "Boy"), fault("ethnicity", 3, "White British")]
    finally:
        ws.close()


# -- editing a workspace's code lists (returns/codelist_edit.py: import_list, add) ---------------------------------

ADD = "cyplan returns codelist referral_source --add"


def _refused_add(ws: Workspace, code: str, label: str) -> list[tuple[str, int | None, str | None, str]]:
    from cyplan.returns.codelist_edit import add
    with pytest.raises(InputError) as e:
        add(ws, "referral_source", code, label)
    return [(p.file, p.row, p.column, p.message) for p in e.value.problems]


def _own_sources(tmp_path: Path) -> Workspace:
    """A workspace whose referral source list is its own, from a file: GP (Family doctor), Self (Self referral)."""
    from cyplan.returns.codelist_edit import import_list
    own = tmp_path / "sources.csv"
    own.write_text("code,label\nGP,Family doctor\nSelf,Self referral\n")
    ws = Workspace.create(tmp_path / "w")
    import_list(ws, "referral_source", own)
    return ws


def test_adding_a_category_refuses_a_blank_code_and_a_name_already_on_the_list(tmp_path: Path) -> None:
    """The referral source list GP (Family doctor), Self (Self referral). A blank code is refused in the code
    column; 'GP' as a code and 'Family doctor' as a label are already on the list (as the first category, GP: its
    code 1), named as such with the field's name in words. Each names the command and column. Added, a code and
    label are trimmed and the field is named in words. Wrong answers caught: any part of a refusal (where,
    column, words) lost, the first category not found, the field's name left with '_'."""
    from cyplan.returns.codelist_edit import add
    ws = _own_sources(tmp_path)
    try:
        assert _refused_add(ws, " ", "x") == [(ADD, None, "code", "the code is blank")]
        assert _refused_add(ws, "gp ", "") == [
            (ADD, None, "code", "'gp' is already on the referral source code list as 'GP'")]
        assert _refused_add(ws, "New", " family doctor") == [
            (ADD, None, "label", "'family doctor' is already on the referral source code list as 'GP'")]
        assert _refused_add(ws, "Self referral", "") == [
            (ADD, None, "code", "'Self referral' is already on the referral source code list as 'Self'")]
        assert add(ws, "referral_source", " School ", " Teacher ") == (
            "Added 'School' (Teacher) to the referral source code list.")
    finally:
        ws.close()


def test_adding_a_category_whose_label_holds_a_bar_is_refused(tmp_path: Path) -> None:
    """A label 'Teacher|GP' would be kept as two names, Teacher and GP, and GP is already a category: refused in
    the label column, saying why ('|' separates the names a category is also accepted as)."""
    from cyplan.returns.codelist_files import LABEL_BAR
    ws = _own_sources(tmp_path)
    try:
        assert _refused_add(ws, "School", "Teacher|GP") == [(ADD, None, "label", LABEL_BAR)]
    finally:
        ws.close()


def test_importing_an_own_list_says_how_many_categories_and_refuses_a_file_with_none_naming_the_field(
        tmp_path: Path) -> None:
    """Two categories for referral_source (no population by category for it, so no note): the message counts them
    and names the file, the field in words. A file whose only row has neither code nor label (only a note in a
    column cyplan does not read) holds no categories
    for referral_source: refused, the field named. Wrong answers caught: a note added where there is nothing to
    note, the field's name left with '_' or not passed on."""
    from cyplan.returns.codelist_edit import import_list
    own, empty = tmp_path / "sources.csv", tmp_path / "none.csv"
    own.write_text("code,label\nGP,Family doctor\nSelf,Self referral\n")
    empty.write_text("code,label,note\n,,to do\n")
    ws = Workspace.create(tmp_path / "w")
    try:
        assert import_list(ws, "referral_source", own) == (
            f"The referral source code list is now the workspace's own: 2 categories from {own}.")
        with pytest.raises(InputError) as e:
            import_list(ws, "referral_source", empty)
        assert [(p.row, p.message) for p in e.value.problems] == [
            (None, "the file holds no categories for referral_source")]
    finally:
        ws.close()


def test_an_own_list_whose_label_holds_a_bar_is_refused_at_its_row(tmp_path: Path) -> None:
    """Row 2: X labelled 'Y|Z'; row 3: Z. Kept, the label would be split into Y and Z, and Z would mean two
    categories: refused at row 2's label, saying why (row 3 is fine)."""
    from cyplan.returns.codelist_files import LABEL_BAR, read_list
    own = tmp_path / "own.csv"
    own.write_text("code,label\nX,Y|Z\nZ,\n")
    with pytest.raises(InputError) as e:
        read_list(own, "gender")
    assert _problems(e) == [(2, "label", LABEL_BAR)]


def test_importing_a_list_without_a_category_of_the_population_by_category_notes_it_in_words(
        demo_workspace: Path, tmp_path: Path) -> None:
    """The demo's population by category, with 1,000 'Home educated' for education_status added. An own
    education_status list of Home educated and Other: nothing to note. One of Mainstream school/college and Special
    school: the note names the field in words and the category the list lacks."""
    from cyplan.returns.codelist_edit import import_list
    from cyplan.transfer import Source, import_inputs
    groups = tmp_path / "groups.csv"
    groups.write_text("area,year,field,category,count,source\nE10999999,2025,education_status,Home educated,1000,t\n")
    own = tmp_path / "education.csv"
    own.write_text("code\nMainstream school/college\nSpecial school\n")
    ws = Workspace.open(demo_workspace)
    try:
        import_inputs(ws, [Source("population_groups", groups)], mode="append")
        whole = tmp_path / "whole.csv"
        whole.write_text("code\nHome educated\nOther\n")
        assert import_list(ws, "education_status", whole) == (
            f"The education status code list is now the workspace's own: 2 categories from {whole}.")
        assert import_list(ws, "education_status", own) == (
            f"The education status code list is now the workspace's own: 2 categories from {own}. Note: your "
            "population by category has education status categories not on this list (Home educated): the "
            "equality view lists them without referrals until you import population_groups again with the list's "
            "categories.")
    finally:
        ws.close()


# -- whether a store is at rest, and reading its manifest (returns/store.py: at_rest, Manifest.read, _opened) ------

def test_a_store_is_at_rest_only_when_its_manifest_names_every_file_of_its_and_the_log_lists_every_import(
        tmp_path: Path) -> None:
    """Smalltown's records imported (import 1, logged): at rest, a note of the user's in the folder changing
    nothing. Not at rest: with a records file the manifest does not name (a write cut short); with import 1 not in
    the log; with no store at all, a damaged manifest or one in an older format (settling then decides). Wrong
    answers caught: any of these taken for a store at rest, or a store at rest for one that is not (the log's ids
    equal to the manifest's are enough, not a proper subset)."""
    ws = Workspace.create(tmp_path / "w")
    try:
        assert store.at_rest(ws.path, lambda: set()) is False  # nothing stored
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        (store.folder(ws.path) / "notes.txt").write_text("mine")
        assert store.at_rest(ws.path, lambda: {1}) is True
        assert store.at_rest(ws.path, lambda: {1, 2}) is True
        assert store.at_rest(ws.path, lambda: set()) is False
        orphan = store.folder(ws.path) / "9.records.arrow"
        orphan.write_bytes(b"")
        assert store.at_rest(ws.path, lambda: {1}) is False
        orphan.unlink()
        manifest = store.path(ws.path)
        kept = manifest.read_text()
        manifest.write_text("{")
        assert store.at_rest(ws.path, lambda: {1}) is False
        manifest.write_text('{"format": "1"}')
        assert store.at_rest(ws.path, lambda: {1}) is False
        manifest.write_text(kept)
        assert store.at_rest(ws.path, lambda: {1}) is True
    finally:
        ws.close()


def test_a_manifest_that_is_not_json_or_lacks_its_imports_is_damaged_in_words_that_say_what_to_do(
        tmp_path: Path) -> None:
    """An empty manifest (cut short) is not JSON: damaged and cannot be read, with the reader's reason. One of the
    right format without its list of imports: damaged, naming the missing key. Each names the file, says cyplan has
    not changed it and what to do with the store's folder."""
    manifest, where = store.path(tmp_path), store.folder(tmp_path)
    where.mkdir()
    todo = (f"cyplan has not changed it. Restore the folder {where} from a backup; or, to go on without the stored "
            f"records, delete the folder {where} and import the returns files again.")
    manifest.write_text("")
    with pytest.raises(store.Damaged) as e:
        store.Manifest.read(tmp_path)
    assert str(e.value) == (f"{manifest} is damaged and cannot be read (Expecting value: line 1 column 1 (char 0)). "
                            + todo)
    manifest.write_text(f'{{"format": "{store.FORMAT}", "labels": {{}}}}')
    with pytest.raises(store.Damaged) as e:
        store.Manifest.read(tmp_path)
    assert str(e.value) == f"{manifest} is damaged (KeyError('imports') is wrong or missing). " + todo


def test_a_manifest_without_a_fields_labels_reads_it_with_none_but_the_blank(tmp_path: Path) -> None:
    """A manifest of the current format with no imports and no labels for any field (as for a field added to the
    records since it was written): each coded field's labels are [None] (id 0, the blank), not a damaged store."""
    store.folder(tmp_path).mkdir()
    store.path(tmp_path).write_text(f'{{"format": "{store.FORMAT}", "imports": [], "labels": {{}}}}')
    found = store.Manifest.read(tmp_path)
    assert found is not None and found.imports == []
    assert found.labels == {c: [None] for c in store.CODED}


def test_a_format_2_store_is_moved_only_under_the_stores_lock_and_once(tmp_path: Path) -> None:
    """Another process holds the store's lock: opening a format 2 store (which moves it to files) waits until the
    lock is let go. That process moves the store meanwhile; the opening then reads the store it moved rather than
    moving it again. Wrong answers caught: the move made without the lock (two processes moving one store at
    once), the manifest not read again once the lock is held."""
    import threading

    from test_returns_store import _format_2_store

    ws = Workspace.create(tmp_path / "ws")
    try:
        _format_2_store(ws)
        found: list[object] = []
        with store._lock(ws.path):
            opening = threading.Thread(target=lambda: found.append(store._opened(ws.path)))
            opening.start()
            opening.join(timeout=0.5)
            waited = opening.is_alive() and (ws.path / store.FILE).exists()
            store._upgrade(ws.path)  # the other process moves it
            moved = store.Manifest.read(ws.path)
        opening.join(timeout=120)
        assert waited and not opening.is_alive() and moved is not None and found == [moved]
        assert not (ws.path / store.FILE).exists()
    finally:
        ws.close()


def test_keeping_a_mapping_counts_its_rows_in_words_singular_and_plural(tmp_path: Path) -> None:
    """A filled-in template with one row (gender F → Female), then one with two (F and M): 'Kept 1 mapping', 'Kept
    2 mappings', each naming the file and saying where the mappings apply."""
    from cyplan.returns.codelist_edit import keep_mapping
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    one.write_text("field,value_found,count,map_to\ngender,F,3,Female\n")
    two.write_text("field,value_found,count,map_to\ngender,F,3,Female\ngender,M,2,Male\n")
    then = ("those values are read as their category on every import, and in the tables and quality report of the "
            "records already stored.")
    ws = Workspace.create(tmp_path / "w")
    try:
        assert keep_mapping(ws, one) == f"Kept 1 mapping from {one}: " + then
        assert keep_mapping(ws, two) == f"Kept 2 mappings from {two}: " + then
    finally:
        ws.close()


def test_a_list_or_mapping_file_without_a_needed_column_is_refused_on_its_header_row_naming_them_all(
        tmp_path: Path) -> None:
    """A list file with neither code nor category column (only 'name'): the code column is missing, said on the
    header row (row 1), listing the one column needed. A mapping file without value_found and map_to: each missing
    column named on row 1, with the three needed listed in order. A blank label in a list is read as '' (not a
    filler)."""
    from cyplan.returns.codelist_files import read_list, read_mapping
    listed, mapping, blank = tmp_path / "l.csv", tmp_path / "m.csv", tmp_path / "b.csv"
    listed.write_text("name\nGirl\n")
    mapping.write_text("field,count\ngender,3\n")
    blank.write_text("code,label,aliases\nGirl,,\nBoy,Lad,\n")
    with pytest.raises(InputError) as e:
        read_list(listed, "gender")
    assert _problems(e) == [(1, "code", "this column is missing; the columns are: code")]
    with pytest.raises(InputError) as e:
        read_mapping(mapping, load())
    assert _problems(e) == [(1, c, "this column is missing; the columns are: field, value_found, map_to")
                            for c in ("map_to", "value_found")]  # a row's problems in column order, a to z
    assert read_list(blank, "gender") == [Entry("Girl", "", ""), Entry("Boy", "Lad", "")]


def test_removing_a_writes_files_deletes_what_it_can_and_leaves_what_it_cannot_without_an_error(
        tmp_path: Path) -> None:
    """Three paths: a file, one already gone, and one that cannot be deleted as a file (a folder stands in for a
    read-only disk's file). The file is deleted; the others raise nothing (the error that brought a failed write
    here is the one to tell) and the folder is left for the next writer's tidy. Wrong answer caught: the
    failure to delete raised."""
    there, gone, stuck = tmp_path / "1.records.arrow", tmp_path / "2.records.arrow", tmp_path / "3.records.arrow"
    there.write_bytes(b"x")
    stuck.mkdir()
    store._Files.remove([there, gone, stuck])
    assert not there.exists() and stuck.is_dir()


def test_a_stored_records_file_holds_each_column_in_the_kind_format_4_promises(tmp_path: Path) -> None:
    """Smalltown's records imported: the records file holds row (Int32), referral id (text), received date (Date),
    accepted (Boolean) and each coded field's id in the fewest bits its labels need (UInt8: Smalltown's fields have
    under 256 labels each). A later version reads these files by these kinds. Wrong answer caught: the rows kept
    as floats (twice the bytes, and a format no version reads by)."""
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        manifest = store.Manifest.read(ws.path)
        assert manifest is not None and len(manifest.imports) == 1
        schema = pl.read_ipc_schema(store.folder(ws.path) / manifest.imports[0].records)
        assert schema == {"row": pl.Int32, F.ID: pl.String, F.DATE: pl.Date, F.ACCEPTED: pl.Boolean,
                          **dict.fromkeys(store.CODED, pl.UInt8)}
    finally:
        ws.close()


def test_settling_restores_the_sheet_an_import_was_read_from(tmp_path: Path) -> None:
    """Records read from sheet "Q2" of a workbook of two sheets; the import's log row then lost (a kill between the
    manifest and the log): settling writes the row again from the manifest, sheet "Q2" with it. Wrong answer caught:
    the manifest keeping no sheet, so the log says the records came from the workbook's first (or no) sheet."""
    from conftest import write_workbook
    from cyplan.returns.recover import settle
    from cyplan.store.returns_tables import returns_imports
    path = write_workbook(tmp_path / "records.xlsx", {"Q1": [HEADER_LINE.split(",")],
                                                      "Q2": [HEADER_LINE.split(","), ONE.split(",")]})
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, path, sheet="Q2", today=dt.date(2024, 1, 1))
        logged = _log(ws)
        with ws.engine.begin() as conn:
            conn.execute(returns_imports.delete())
        settle(ws)
        assert _log(ws) == logged and [row[2] for row in logged] == ["Q2"]
    finally:
        ws.close()


def test_an_import_given_an_id_already_stored_is_stopped_before_anything_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Smalltown imported (id 1); a second import, of a quarter Smalltown's records do not cover (Affinity, April to
    June 2021: so import 1 is not replaced), then handed id 1 again (a fault in working out the next id) stops at the
    store's check, "import id given twice", and the store and log stay as the first import left them. Wrong answer
    caught: an id equal to a stored one let through (`<=`), two imports under one id."""
    from cyplan.returns import recover
    other = tmp_path / "2021.csv"
    other.write_text(HEADER_LINE + "\n" + ONE.replace("2022-05-01", "2021-05-01") + "\n", encoding="utf-8")
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        logged, manifest = _log(ws), (store.folder(ws.path) / "manifest.json").read_bytes()
        monkeypatch.setattr(recover, "log_missing", lambda ws, manifest: 1)
        with pytest.raises(AssertionError, match=r"^import id given twice$"):
            service.import_returns(ws, other, today=dt.date(2024, 1, 2))
        assert _log(ws) == logged and (store.folder(ws.path) / "manifest.json").read_bytes() == manifest
    finally:
        ws.close()


def test_records_replaced_from_two_earlier_imports_are_counted_together(tmp_path: Path) -> None:
    """Affinity's April–June 2022 (one record) imported, then its July–September (two records), then a file of both
    quarters (one record each): it replaces 1 + 2 = 3 records, from two imports. Wrong answer caught: the count of
    the last import replaced taken for the whole (2)."""
    def records(name: str, *dates: str) -> Path:
        path = tmp_path / name
        rows = [ONE.replace("R1,", f"R{i},").replace("2022-05-01", d) for i, d in enumerate(dates, 1)]
        path.write_text("\n".join([HEADER_LINE, *rows]) + "\n", encoding="utf-8")
        return path

    ws = Workspace.create(tmp_path / "w")
    try:
        first = service.import_returns(ws, records("q1.csv", "2022-05-01"), today=dt.date(2024, 1, 1))
        second = service.import_returns(ws, records("q2.csv", "2022-07-01", "2022-08-01"), today=dt.date(2024, 1, 1))
        both = service.import_returns(ws, records("both.csv", "2022-06-01", "2022-09-01"), today=dt.date(2024, 1, 1))
    finally:
        ws.close()
    assert (first.replaced, second.replaced, both.replaced) == (0, 0, 3)


def _records(services: list[int]) -> pl.DataFrame:
    """Records as the store codes them: these service ids, every other coded field's id 0, all received on 1 May
    2022 (quarter 1 of 2022-23), accepted."""
    n = len(services)
    return pl.DataFrame({F.DATE: [dt.date(2022, 5, 1)] * n, F.ACCEPTED: [True] * n,
                         **{c: pl.Series(services if c == "service" else [0] * n, dtype=pl.UInt32)
                            for c in store.CODED}})


def test_records_counted_over_a_wide_code_space_are_counted_as_over_a_narrow_one() -> None:
    """Three records of services 0, 0 and 1 counted, and the same with service 1 renumbered 999,999: the code space
    is then 1,000,000 services × 1 quarter × 2 (accepted or not) = 2,000,000 keys a field, above 4 × 3 + 1,000,000,
    so each field is tallied by sorting (np.unique) rather than a count per key. Every field's counts: service 0
    twice, service 1 (or 999,999) once. Wrong answer caught: the sorting tally's counts or keys lost; a column of
    the counts in another kind than the counts files are stored in."""
    narrow = store.count(_records([0, 0, 1]))
    wide = store.count(_records([0, 0, 999_999]))
    assert wide.height == narrow.height == 2 * (len(store.CODED) + len(store.PAIRS))
    assert narrow.schema == store.COUNTS_SCHEMA  # the kinds a counts file is stored in (service Int32, not Int64)
    assert wide.with_columns(pl.col("service", "value").replace(999_999, 1)).equals(narrow)
    by_service = narrow.filter(pl.col("field") == "service")
    assert by_service.select("service", "value", "n").rows() == [(0, 0, 2), (1, 1, 1)]


def test_no_records_count_as_an_empty_table_of_the_counts_columns() -> None:
    """Wrong answer caught: an empty count without its columns, which cannot be joined with another import's."""
    assert store.count(_records([])).schema == store.COUNTS_SCHEMA


def _kinds(records: Any) -> tuple[str, ...]:
    return tuple(str(a.dtype) for a in (records.row, records.source, records.date, records.accepted))


def test_stored_records_are_read_in_the_kinds_records_promise_with_rows_or_without(tmp_path: Path) -> None:
    """Smalltown's 8 records read back, with their rows and without (for the equality view): row int64, source int32,
    date int32, accepted bool, as `classify.Records` says, and without rows every row and source 0 and no file named.
    Wrong answers caught: rows or sources as floats (NumPy's default for zeros; `astype(None)`)."""
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        with_rows, without = store.load(ws.path), store.load(ws.path, rows=False)
    finally:
        ws.close()
    assert _kinds(with_rows) == _kinds(without) == ("int64", "int32", "int32", "bool")
    assert with_rows.row.tolist() == list(range(2, 10)) and with_rows.source.tolist() == [0] * 8
    assert with_rows.sources == [(str(SMALL), None)]
    assert without.row.tolist() == without.source.tolist() == [0] * 8 and without.sources == []


def test_a_store_whose_manifest_names_no_import_reads_as_no_records_and_no_counts(tmp_path: Path) -> None:
    """A store of the current format whose manifest names no import: its records are none, in their kinds, and its
    counts none. Wrong answers caught: an error made of the empty case (polars cannot concatenate no frames), an
    empty table without its columns (then 'row' or 'source' is not found)."""
    store.folder(tmp_path).mkdir()
    store.path(tmp_path).write_text(f'{{"format": "{store.FORMAT}", "imports": [], "labels": {{}}}}')
    records = store.load(tmp_path)
    assert len(records) == 0 and _kinds(records) == ("int64", "int32", "int32", "bool") and records.sources == []
    assert set(records.fields) == set(store.CODED)
    labels, [received] = store.counted(tmp_path, [(store.QUARTER, F.ACCEPTED)])
    assert labels == {c: [None] for c in store.CODED} and all(len(v) == 0 for v in received.values())


def test_two_fields_the_store_does_not_count_together_are_refused_naming_them(tmp_path: Path) -> None:
    """The store counts single fields and the pairs in PAIRS (age by gender) only: ethnicity by religion is refused,
    naming both. Wrong answer caught: any pair let through (`> 2`), its counts then none at all, read as no
    records."""
    ws = Workspace.create(tmp_path / "w")
    try:
        service.import_returns(ws, SMALL, today=dt.date(2024, 1, 1))
        with pytest.raises(ValueError, match=r"^the store does not count ethnicity and religion together$"):
            store.counted(ws.path, [("ethnicity", "religion")])
    finally:
        ws.close()
