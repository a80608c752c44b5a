"""Files as councils have them (issue 18, part 2): a title above the header, NHS and ONS spellings of sex and
yes/no, UK dates, misnamed columns and age bands. Each is tried through `cyplan import` where a user would go,
with the workspace left byte for byte as it was when the file is refused, and the value readers by hypothesis."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CliResult, folder_bytes, listed_problems, write_text, write_workbook
from cyplan.io.problems import InputError
from cyplan.io.read import ROW, read_table
from cyplan.io.spellings import read_coded, read_date
from cyplan.io.validate import known_headers, validate
from cyplan.schema import KINDS, SEXES
from cyplan.store.workspace import Workspace

Run = Callable[[list[object]], CliResult]
AREA = "E10999999"  # the demo's county
HEADER = ["area", "year", "age", "sex", "count"]
TITLE = [["Mid-year population estimates for Exampleshire, 2025"], ["Source: Office for National Statistics"], []]

# written out by hand from the issue, not taken from the code: each spelling → the value it must read as
SEX_WORDS = {"female": "female", "females": "female", "f": "female", "2": "female",
             "male": "male", "males": "male", "m": "male", "1": "male"}
YES_NO_WORDS = {"yes": "yes", "y": "yes", "1": "yes", "true": "yes", "no": "no", "n": "no", "0": "no", "false": "no"}


def _csv(rows: list[list[object]]) -> str:
    return "".join(",".join(f'"{c}"' if "," in str(c) else str(c) for c in row) + "\n" for row in rows)


def _population(ws: Path) -> pl.DataFrame:
    w = Workspace.open(ws)
    try:
        return w.read("population").filter(pl.col("year") == 2090)
    finally:
        w.close()


def _case(draw: st.DrawFn, word: str) -> str:
    """`word` in a mix of cases, with spaces around it as a spreadsheet cell may have them."""
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return draw(st.sampled_from(["", " "])) + "".join(c.upper() if f else c for c, f in zip(word, flips,
                                                                                           strict=True)) + " "


@st.composite
def _spelled(draw: st.DrawFn, words: dict[str, str]) -> tuple[str, str]:
    word = draw(st.sampled_from(sorted(words)))
    return _case(draw, word), words[word]


@settings(deadline=None)  # no timed assertion: the machine is shared
@given(_spelled(SEX_WORDS))
def test_every_spelling_of_sex_reads_as_its_value(case: tuple[str, str]) -> None:
    """Catches M, 2, 'Females' (any case) read as the wrong sex or refused."""
    text, value = case
    assert read_coded(SEXES, text) == value


@settings(deadline=None)  # no timed assertion: the machine is shared
@given(_spelled(YES_NO_WORDS))
def test_every_spelling_of_yes_no_reads_as_its_value(case: tuple[str, str]) -> None:
    """Catches Y, 0, 'TRUE' (any case) read as the wrong answer or refused."""
    text, value = case
    assert read_coded(("yes", "no"), text) == value


@settings(deadline=None)  # no timed assertion: the machine is shared
@given(st.text(max_size=8))
def test_nothing_else_is_read_as_a_sex_or_a_yes_no(text: str) -> None:
    """Catches a reader that guesses: 'w', 'man', '3', 'ja' must be refused, not read as something."""
    assert read_coded(SEXES, text) == SEX_WORDS.get(text.strip().lower())
    assert read_coded(("yes", "no"), text) == YES_NO_WORDS.get(text.strip().lower())


def _forms(day: dt.date) -> set[str]:
    """Every way the day may be written: ISO, and day first with '/', '.' or '-', with or without leading zeros."""
    days, months = {f"{day.day}", f"{day.day:02d}"}, {f"{day.month}", f"{day.month:02d}"}
    return {day.isoformat()} | {f"{d}{s}{m}{s}{day.year:04d}" for d in days for m in months for s in "/.-"}


@settings(deadline=None)  # no timed assertion: the machine is shared
@given(st.dates(min_value=dt.date(1000, 1, 1)), st.data())
def test_every_accepted_way_of_writing_a_day_reads_as_that_day(day: dt.date, data: st.DataObject) -> None:
    """Catches dd/mm read as mm/dd (3 April as 4 March), or a form of the day refused."""
    text = data.draw(st.sampled_from(sorted(_forms(day))))
    assert read_date(text) == day


@settings(deadline=None)  # no timed assertion: the machine is shared
@given(st.one_of(st.text(max_size=12), st.from_regex(r"\A\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\Z")))
def test_nothing_else_is_read_as_a_day(text: str) -> None:
    """Catches a reader that takes mm/dd, two-digit years, mixed separators or impossible days (31/02/2025)."""
    day = read_date(text)
    assert day is None or text.strip() in _forms(day)


def test_an_ambiguous_day_is_read_day_first() -> None:
    """Catches 03/04/2025 read as 4 March (the US reading): in England it is 3 April."""
    assert read_date("03/04/2025") == dt.date(2025, 4, 3)
    assert read_date("04/25/2025") is None  # month 25: a US date, refused rather than guessed
    assert read_date("31/02/2025") is None


_TITLES = st.lists(st.one_of(st.just(""), st.sampled_from(["Mid-year population estimates", "Source: ONS",
                                                              "Table 2, England", "Crown copyright 2025"])),
                   min_size=1, max_size=6).filter(lambda rows: rows[0] != "")


@settings(deadline=None, max_examples=50)  # no timed assertion; each example writes two files
@given(_TITLES, st.integers(1, 5))
def test_title_rows_give_one_message_naming_the_header_row_and_header_row_reads_the_table(titles: list[str],
                                                                                        rows: int) -> None:
    """Catches the header's row miscounted past titles and blank rows, a message per row instead of one, and
    --header-row reading other rows than the table's (the same cells as the file without its titles)."""
    import tempfile

    body = [HEADER, *[[AREA, 2090, a, "female", a] for a in range(rows)]]
    with tempfile.TemporaryDirectory() as tmp:
        plain = write_text(Path(tmp) / "plain.csv", _csv(body))
        titled = write_text(Path(tmp) / "titled.csv", "".join(f"{t}\n" for t in titles) + _csv(body))
        at = len(titles) + 1
        with pytest.raises(InputError) as e:
            read_table(titled, expect=known_headers(KINDS["population"]))
        assert [p.message.split(" — ")[0] for p in e.value] == [
            f"row 1 looks like a title; the header seems to be row {at}"]
        read = read_table(titled, header_row=at)
        assert read.header_row == at
        assert read.frame[ROW].to_list() == [at + 1 + i for i in range(rows)]
        assert read.frame.drop(ROW).equals(read_table(plain).frame.drop(ROW).cast(pl.String))


def test_a_title_above_the_header_gives_one_message_then_header_row_imports(tmp_path: Path, demo_workspace: Path,
                                                                            run_cli: Run) -> None:
    """Catches "this row has 5 values but the header has 1 columns" once per row, and --header-row taking the wrong
    rows (the title as data, or the first data row as the header)."""
    rows = [[AREA, 2090, age, sex, 100 + age] for age in range(26) for sex in ("female", "male")]
    path = write_text(tmp_path / "ons.csv", _csv([*TITLE, HEADER, *rows]))
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge"])
    assert code == 2
    assert folder_bytes(demo_workspace) == before
    assert "1 problem found" in err
    assert (f"{path}: row 1 looks like a title; the header seems to be row 4 — use `--header-row 4`") in err
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge",
                            "--header-row", "4"])
    assert code == 0, err
    held = _population(demo_workspace).sort("age", "sex")
    assert held.height == 52
    assert held.filter((pl.col("age") == 7) & (pl.col("sex") == "male"))["count"].to_list() == [107.0]


def test_a_workbook_with_title_rows_is_read_from_the_header_row(tmp_path: Path, demo_workspace: Path,
                                                                run_cli: Run) -> None:
    """Catches header detection or --header-row working on CSV files only (ONS publishes Excel)."""
    rows = [[AREA, 2090, 3, "F", 250], [AREA, 2090, 3, "M", 260]]
    path = write_workbook(tmp_path / "ons.xlsx", {"population": [*TITLE, HEADER, *rows]})
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge"])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert "row 1 looks like a title; the header seems to be row 4 — use `--header-row 4`" in err
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge",
                            "--header-row", "4"])
    assert code == 0, err
    held = _population(demo_workspace).sort("sex")
    assert held.select("sex", "count").rows() == [("female", 250.0), ("male", 260.0)]  # F and M as NHS files hold them


def test_a_header_row_past_the_end_or_blank_is_a_located_message(tmp_path: Path, demo_workspace: Path,
                                                                  run_cli: Run) -> None:
    """Catches a wrong --header-row importing whatever row follows it, or a traceback."""
    path = write_text(tmp_path / "ons.csv", _csv([*TITLE, HEADER, [AREA, 2090, 3, "female", 1]]))
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--header-row", "3"])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert f"{path}, row 3: the header row was given as row 3, but that row is blank" in err
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--header-row", "9"])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert "the header row was given as row 9, but the file's last row is 5" in err


def test_a_plain_file_is_read_as_before(tmp_path: Path, demo_workspace: Path, run_cli: Run) -> None:
    """Catches header detection firing on a file whose header is on row 1."""
    path = write_text(tmp_path / "p.csv", _csv([HEADER, [AREA, 2090, 3, "female", 1]]))
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge"])
    assert code == 0, err


def test_age_bands_are_refused_with_the_flag_suggested_then_split_evenly(tmp_path: Path, demo_workspace: Path,
                                                                         run_cli: Run) -> None:
    """Catches a band read as its first year, a split that does not share the count equally (1,000 over 0-4 is 200
    a year), and a split made silently."""
    rows = [[AREA, 2090, "0-4", "Males", "1,000"], [AREA, 2090, "5 to 9", "Females", 55], [AREA, 2090, 10, "1", 7]]
    path = write_text(tmp_path / "bands.csv", _csv([HEADER, *rows]))
    before = folder_bytes(demo_workspace)
    listed = tmp_path / "problems.csv"
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge",
                            "--problems", listed])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert any(line.startswith(f"{path}, row 2, column 'age': '0-4' is an age band, not a single year of age: "
                               "import with --split-age-bands") for line in listed_problems(listed))
    assert "2 rows: '0-4' is an age band" in err and "--split-age-bands" in err
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge",
                            "--split-age-bands"])
    assert code == 0, err
    assert "2 rows gave an age band" in err and "each year of a band given an equal share" in err
    held = _population(demo_workspace).sort("sex", "age")
    assert held.select("age", "sex", "count").rows() == [
        *[(a, "female", 11.0) for a in range(5, 10)], *[(a, "male", 200.0) for a in range(5)], (10, "male", 7.0)]


def test_an_open_band_is_refused_even_with_the_flag(tmp_path: Path, demo_workspace: Path, run_cli: Run) -> None:
    """Catches '90+' split over an invented range, or read as age 90."""
    path = write_text(tmp_path / "bands.csv", _csv([HEADER, [AREA, 2090, "90+", "female", 5]]))
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--split-age-bands"])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert "row 2, column 'age': '90+' is an open-ended age band" in err


def test_ons_bands_past_25_keep_age_25s_fifth_and_say_the_rest_was_left_out(tmp_path: Path, demo_workspace: Path,
                                                                            run_cli: Run) -> None:
    """Catches ONS's '25-29' refused as "age 26 is above 25" (probe F3), a band past 25 dropped whole (age 25 lost)
    or kept whole (ages 26-29 in the plan), and rows left out without a word. 100 over 25-29 is 20 for age 25."""
    rows = [[AREA, 2090, "20-24", "female", 50], [AREA, 2090, "25-29", "female", 100],
            [AREA, 2090, "30-34", "female", 70]]
    path = write_text(tmp_path / "ons.csv", _csv([HEADER, *rows]))
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge",
                            "--split-age-bands"])
    assert code == 0, err
    assert "cyplan plans ages 0 to 25, so the years above 25 in the age bands on rows 3, 4 were left out" in err
    held = _population(demo_workspace).sort("age")
    assert held.select("age", "count").rows() == [*[(a, 10.0) for a in range(20, 25)], (25, 20.0)]


def test_a_band_with_a_negative_count_is_reported_with_the_files_count(tmp_path: Path, demo_workspace: Path,
                                                                       run_cli: Run) -> None:
    """Catches the split share (-1.0 for -5 over 10-14) reported as if it were in the file (probe F3), and one
    message per year of the band."""
    path = write_text(tmp_path / "neg.csv", _csv([HEADER, [AREA, 2090, "10-14", "female", -5]]))
    before = folder_bytes(demo_workspace)
    listed = tmp_path / "problems.csv"
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--split-age-bands",
                            "--problems", listed])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert "-1.0" not in err
    assert listed_problems(listed) == [f"{path}, row 2, column 'count': count -5 is negative; it must be "
                                       "0 or more"]


def test_an_exact_alias_is_read_with_a_warning_and_a_near_miss_is_suggested(tmp_path: Path, demo_workspace: Path,
                                                                          run_cli: Run) -> None:
    """Catches 'population' refused as an unknown column (or renamed silently), and 'cuont' refused without the
    column it is close to."""
    path = write_text(tmp_path / "p.csv", _csv([["area", "year", "age", "sex", "population"],
                                                [AREA, 2090, 3, "female", 9]]))
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace, "--mode", "merge"])
    assert code == 0, err
    assert f"Warning: {path.name}: column 'population' was read as 'count'" in err
    assert _population(demo_workspace)["count"].to_list() == [9.0]
    path = write_text(tmp_path / "q.csv", _csv([["area", "year", "age", "sex", "cuont"], [AREA, 2090, 3, "f", 9]]))
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert "column 'cuont': unknown column for population; did you mean 'count'?" in err


def test_both_an_alias_and_its_column_is_not_a_silent_rename(tmp_path: Path, demo_workspace: Path,
                                                             run_cli: Run) -> None:
    """Catches 'population' read over 'count' when the file has both (which of them is meant is not known), or
    refused without saying why it was not read as count."""
    path = write_text(tmp_path / "p.csv", _csv([["area", "year", "age", "sex", "count", "population"],
                                                [AREA, 2090, 3, "female", 9, 10]]))
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["import", "population", path, "-w", demo_workspace])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert ("column 'population': unknown column for population; it would be read as 'count', but the file has "
            "'count' too: keep one of them") in err


def test_fte_is_read_as_fte_in_post(demo_workspace: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches the workforce census's 'FTE' header refused: it is fte_in_post."""
    code, _, _ = run_cli(["export", "workforce", tmp_path / "w.csv", "-w", demo_workspace])
    assert code == 0
    text = (tmp_path / "w.csv").read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path = write_text(tmp_path / "workforce.csv", header.replace("fte_in_post,", "FTE,", 1) + "\n" + rest)
    code, _, err = run_cli(["import", "workforce", path, "-w", demo_workspace])
    assert code == 0, err
    assert "column 'FTE' was read as 'fte_in_post'" in err


def test_uk_dates_are_read_day_first_with_one_note_per_column(tmp_path: Path, demo_workspace: Path,
                                                              run_cli: Run) -> None:
    """Catches 03/04/2025 stored as 4 March, and the reading said once per cell instead of once per column."""
    path = write_text(tmp_path / "r.csv", "date,rating,agreed_by\n03/04/2025,3,Board\n14/01/2024,2,Board\n")
    code, _, err = run_cli(["import", "rating_judgement", path, "-w", demo_workspace])
    assert code == 0, err
    assert err.count("were read as day/month/year") == 1
    assert "dates such as 03/04/2025 were read as day/month/year (UK), so 03/04/2025 is 3 April 2025" in err
    w = Workspace.open(demo_workspace)
    try:
        assert sorted(w.read("rating_judgement")["date"].to_list()) == ["2024-01-14", "2025-04-03"]
    finally:
        w.close()


def test_yes_no_as_y_n_in_a_services_file(tmp_path: Path, demo_workspace: Path, run_cli: Run) -> None:
    """Catches Y and N refused in a yes/no column (the stakeholders' 'engaged'), or read the wrong way round."""
    code, _, _ = run_cli(["export", "stakeholders", tmp_path / "s.csv", "-w", demo_workspace])
    assert code == 0
    text = (tmp_path / "s.csv").read_text(encoding="utf-8")
    flipped = re.sub(r",yes,", ",Y,", re.sub(r",no,", ",N,", text))
    assert flipped != text
    path = write_text(tmp_path / "stakeholders.csv", flipped)
    code, _, err = run_cli(["import", "stakeholders", path, "-w", demo_workspace])
    assert code == 0, err
    code, _, _ = run_cli(["export", "stakeholders", tmp_path / "again.csv", "-w", demo_workspace])
    assert (tmp_path / "again.csv").read_text(encoding="utf-8") == text


@pytest.fixture
def client(demo_workspace: Path) -> TestClient:
    from test_web_data import _client

    yield from _client(demo_workspace)


def test_the_data_page_takes_a_header_row(client: TestClient, demo_workspace: Path) -> None:
    """Catches the upload form without the header row (the web message names it) or ignoring it."""
    from cyplan.web import security
    from test_web_data import _problems, page_token

    body = _csv([*TITLE, HEADER, [AREA, 2090, 3, "female", 4]]).encode()

    def post(header_row: str) -> tuple[int, str]:
        r = client.post("/data/upload", data={"kind": "population", "mode": "merge", "header_row": header_row,
                                              security.CSRF_FIELD: page_token(client)},
                        files={"file": ("ons.csv", body)})
        return r.status_code, r.text

    before = folder_bytes(demo_workspace)
    status, html = post("")
    assert status == 422 and folder_bytes(demo_workspace) == before
    assert any("the header seems to be row 4" in p and "header row 4" in p for p in _problems(html))
    for wrong in ("four", "0", "²", "-4"):
        status, html = post(wrong)
        assert status == 422 and any("the header row must be a row number" in p for p in _problems(html)), wrong
    status, html = post("4")
    assert status == 200, _problems(html)
    assert _population(demo_workspace)["count"].to_list() == [4.0]


@settings(deadline=None, max_examples=50)
@given(st.integers(0, 25), st.integers(0, 25), st.integers(0, 10**7),
       st.sampled_from(["{}-{}", "{} to {}", "Aged {} - {}"]))
def test_a_split_band_gives_each_of_its_years_an_equal_share_summing_to_the_band(lo: int, width: int, count: int,
                                                                                  form: str) -> None:
    """Catches a split that loses or adds people, misses a year of the band or gives one year more than another."""
    import tempfile

    hi = min(25, lo + width)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_text(Path(tmp) / "p.csv", _csv([HEADER, [AREA, 2090, form.format(lo, hi), "F", f"{count:,}"]]))
        frame, problems = validate(read_table(path), KINDS["population"], split_age_bands=True)
    assert problems == []
    assert frame["age"].to_list() == list(range(lo, hi + 1))
    assert frame["count"].sum() == pytest.approx(count, rel=1e-12)
    assert frame["count"].n_unique() == 1 and frame[ROW].to_list() == [2] * (hi - lo + 1)
