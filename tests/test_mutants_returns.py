"""Tests written to kill surviving mutants of `make mutate` in returns/ (docs/testing.md lists them): each
test's name says the wrong answer it catches. Expected figures are worked by hand in the comments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cyplan.io.problems import InputError
from cyplan.reference.codelists import (
    DEFAULT,
    OWN,
    WORKSPACE_FOLDER,
    Entry,
    build,
    field_entries,
    read,
    register_entries,
    usable,
)
from cyplan.returns.classify import Column, _asked, age_values, milestone_codes, valid_ages


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
