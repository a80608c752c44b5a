"""Problems shown in groups (issue 18, part 4): a file with 1,024 problems from two causes gets two groups, each
counted with its first rows, on the screen and on the Data page; the full list, every problem once, is saved with
--problems or downloaded from the page. Counts and rows here are worked by hand from the files the tests write."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import CliResult, folder_bytes, write_text
from cyplan.io.problems import PROBLEM_SCHEMA, InputError, Problem, group_problems, problem_frames
from cyplan.web import security
from cyplan.web.app import create_app

Run = Callable[[Sequence[str]], CliResult]
RETURNS_HEADER = ("referral_id,service,received_date,accepted,age,gender,ethnicity,religion,referral_source,"
                  "education_status,accommodation,trauma_category,advocate_assigned,care_plan,advice_consultation,"
                  "concluded")
ROWS = 512
FULL_LIST = "Add --problems FILE to save every problem, one a line (file, sheet, row, column and message)."


def two_causes(path: Path) -> Path:
    """512 referrals (rows 2 to 513), each with accepted 'P' and a date with a two-digit year (the 1st to the
    28th of March, in turn): 1,024 problems from two causes, both on every row."""
    rows = [f"R{i},Affinity,{i % 28 + 1:02d}/03/25,P,12,Female,,,,,,,,,," for i in range(ROWS)]
    return write_text(path, RETURNS_HEADER + "\n" + "\n".join(rows) + "\n")


def refused(run: Run, ws: Path, args: Sequence[str]) -> str:
    before = folder_bytes(ws)
    code, out, err = run([*args, "-w", ws])
    assert code == 2, (out, err)
    assert folder_bytes(ws) == before
    return err


def test_1024_problems_from_two_causes_are_two_groups_with_their_counts_and_first_rows(
        run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches one line per cell (1,024 lines, each row twice), a count that is not the rows', wrong first rows or
    a wrong "N more" (512 - 5 = 507), and the 28 different dates not said."""
    path = two_causes(tmp_path / "returns.csv")
    err = refused(run_cli, demo_workspace, ["returns", "import", str(path)])
    assert err.splitlines() == [
        "1,024 problems found; nothing was changed.",
        f"  {path}, column 'accepted': 512 rows: 'P' is not yes or no",
        "    rows 2, 3, 4, 5, 6 and 507 more",
        f"  {path}, column 'received_date': 512 rows: '01/03/25' is not a date written as YYYY-MM-DD or dd/mm/yyyy "
        "(and 27 other values like it)",
        "    rows 2, 3, 4, 5, 6 and 507 more",
        f"  {FULL_LIST}"]


def test_the_problems_file_has_every_problem_exactly_once(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches a --problems file short of a problem, holding one twice, or naming the wrong row or column: every
    row 2 to 513 once in each of the two columns, its own value in the message."""
    path = two_causes(tmp_path / "returns.csv")
    saved = tmp_path / "problems.csv"
    err = refused(run_cli, demo_workspace, ["returns", "import", str(path), "--problems", str(saved)])
    assert f"All 1,024 problems are listed in {saved}." in err and FULL_LIST not in err
    listed = pl.read_csv(saved, infer_schema=False)
    assert listed.columns == list(PROBLEM_SCHEMA)
    assert listed.height == 2 * ROWS and not listed.is_duplicated().any()
    by_cell = {(int(r["row"]), r["column"]): r["message"] for r in listed.iter_rows(named=True)}
    assert by_cell == {**{(r, "accepted"): "'P' is not yes or no" for r in range(2, ROWS + 2)},
                       **{(r, "received_date"): f"'{(r - 2) % 28 + 1:02d}/03/25' is not a date written as "
                          "YYYY-MM-DD or dd/mm/yyyy" for r in range(2, ROWS + 2)}}


def test_a_group_of_few_rows_lists_them_all_and_a_group_of_one_is_its_problem() -> None:
    """Catches "and 0 more", a row listed twice, and a single problem reworded as a group of one."""
    frames = problem_frames([Problem("f.csv", 4, "sex", "'F' is not one of: female, male"),
                             Problem("f.csv", 2, "sex", "'M' is not one of: female, male"),
                             Problem("f.csv", 3, "sex", "'F' is not one of: female, male"),
                             Problem("f.csv", 7, "count", "'many' is not a number")])
    groups = group_problems(frames)
    assert [(g.headline(), g.examples()) for g in groups] == [
        ("f.csv, column 'sex': 3 rows: 'M' is not one of: female, male (and 1 other value like it)", "rows 2, 3, 4"),
        ("f.csv, row 7, column 'count': 'many' is not a number", "")]


def test_first_rows_and_more_are_right_across_parts_given_out_of_order() -> None:
    """Catches the first rows taken from the first part given rather than the whole (a check's problems come in
    parts, and a file's single problems before its counted runs): rows 9 to 20 in one part, 2 to 4 in another,
    so the first five are 2, 3, 4, 9, 10 and 10 more of 15."""
    def part(rows: range) -> pl.DataFrame:
        return pl.DataFrame({"file": "f.csv", "sheet": None, "row": list(rows), "column": "count",
                             "message": [f"count -{r} is negative" for r in rows]}, schema=PROBLEM_SCHEMA)
    [group] = group_problems([part(range(9, 21)), part(range(2, 5))])
    assert group.count == 15 and group.examples() == "rows 2, 3, 4, 9, 10 and 10 more"
    assert group.headline() == "f.csv, column 'count': 15 rows: count -2 is negative (and 14 other values like it)"


def test_the_same_problem_given_twice_is_said_once() -> None:
    """Catches a row's problem said twice when it is found twice (two checks, or two passes over a file, meeting
    the same fault): counted once in the total, the groups and the saved list."""
    twice = Problem("f.csv", 2, "accepted", "'Y' is not yes or no")
    e = InputError([twice, Problem("f.csv", 3, "accepted", "'Y' is not yes or no"), twice])
    assert len(e) == 2 and pl.concat(list(e.frames())).height == 2
    [group] = e.groups()
    assert (group.count, group.examples()) == (2, "rows 2, 3")
    frame = pl.DataFrame([twice.as_dict()] * 3, schema=PROBLEM_SCHEMA)  # a part that holds one problem 3 times
    [group] = group_problems([frame])
    assert group.headline() == str(twice)


TEMPLATES = ["{} is not yes or no", "count {} is negative; it must be 0 or more",
             "{} is not a date written as YYYY-MM-DD", "duplicate: level {} is already on row {}"]
VALUES = st.one_of(st.text(st.characters(blacklist_characters="'", blacklist_categories=["Cs"]), max_size=6)
                   .map(lambda v: f"'{v}'"), st.integers(0, 10**6).map(str))
PROBLEMS = st.lists(st.tuples(st.sampled_from(["a.csv", "b.xlsx"]), st.sampled_from([None, "s1"]),
                              st.one_of(st.none(), st.integers(1, 40)), st.sampled_from([None, "x", "y"]),
                              st.integers(0, len(TEMPLATES) - 1), VALUES, VALUES), max_size=80)


@settings(max_examples=150, deadline=None)
@given(problems=PROBLEMS, cuts=st.lists(st.integers(0, 80), max_size=4))
def test_grouping_is_a_partition(problems: list[tuple], cuts: list[int]) -> None:
    """Catches a problem in no group or in two, counts that do not add up to the problems, a group mixing two
    kinds or splitting one by its value, and first rows that are not the group's smallest: problems made from
    four templates with quoted or numeric values, given in parts cut at random; those with no row grouped by
    kind as the others are (a roles file dropping every role gave one line per role and input)."""
    made = {Problem(f, r, c, TEMPLATES[t].format(v, w), s): (f, s, c, t) for f, s, r, c, t, v, w in problems}
    frame = pl.DataFrame([p.as_dict() for p in made], schema=PROBLEM_SCHEMA)
    edges = sorted({0, frame.height, *(min(c, frame.height) for c in cuts)})
    groups = group_problems(frame.slice(a, b - a) for a, b in itertools.pairwise(edges))
    expected: dict[tuple, list[Problem]] = {}
    for p, key in made.items():
        expected.setdefault(key, []).append(p)
    assert sum(g.count for g in groups) == len(made)
    assert len(groups) == len(expected)
    keys = [made[Problem(g.file, g.rows[0], g.column, g.message, g.sheet)] for g in groups]  # by first problem
    assert set(keys) == set(expected)  # each kind in exactly one group
    for g, key in zip(groups, keys, strict=True):
        members = expected[key]
        assert g.count == len(members)
        rows = sorted({p.row for p in members}, key=lambda r: -1 if r is None else r)
        assert g.rows == rows[:5]
        assert g.values == len({p.message for p in members})


# -- the Data page ------------------------------------------------------------------------------------


@pytest.fixture
def client(demo_workspace: Path) -> Iterator[TestClient]:
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as c:
        c.get("/data")
        yield c
    app.state.workspace.close()


def _upload(client: TestClient, name: str, body: bytes, kind: str) -> tuple[int, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/data").text).group(1)  # type: ignore[union-attr]
    r = client.post("/data/upload", data={"kind": kind, "mode": "replace", security.CSRF_FIELD: token},
                    files={"file": (name, body)})
    return r.status_code, r.text


def _items(html: str) -> list[str]:
    block = re.search(r'id="upload-problems">(.*?)</ul>', html, re.S)
    assert block, "no error summary"
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", li)).strip().replace("&#39;", "'")
            for li in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), re.S)]


def test_the_data_page_shows_two_groups_and_the_download_holds_every_problem_once(
        client: TestClient, demo_workspace: Path, tmp_path: Path) -> None:
    """Catches the page listing a red link per problem (1,024), groups without their counts or first rows, a
    download that is missing, empty, names the server's temporary copy, or holds a problem twice or not at all."""
    before = folder_bytes(demo_workspace)
    status, html = _upload(client, "my returns.csv", two_causes(tmp_path / "r.csv").read_bytes(), "referral_returns")
    assert status == 422 and folder_bytes(demo_workspace) == before
    assert "1,024 problems in my returns.csv: nothing was saved" in html
    assert _items(html) == [
        "my returns.csv, column 'accepted': 512 rows: 'P' is not yes or no rows 2, 3, 4, 5, 6 and 507 more",
        "my returns.csv, column 'received_date': 512 rows: '01/03/25' is not a date written as YYYY-MM-DD or "
        "dd/mm/yyyy (and 27 other values like it) rows 2, 3, 4, 5, 6 and 507 more"]
    assert html.count('href="#file"') == 2  # the GOV.UK error summary links each group to the file field
    link = re.search(r'id="problems-download" href="([^"]+)"', html)
    assert link
    got = client.get(link.group(1))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "my%20returns-problems.csv" in got.headers["content-disposition"]  # named after the upload
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert list(rows[0]) == list(PROBLEM_SCHEMA) and "/tmp" not in got.text
    assert sorted((int(r["row"]), r["column"]) for r in rows) == sorted(
        (r, c) for r in range(2, ROWS + 2) for c in ("accepted", "received_date"))
    assert {r["file"] for r in rows} == {"my returns.csv"}
    assert folder_bytes(demo_workspace) == before  # the list is kept outside the workspace


def test_a_problems_download_not_kept_is_a_plain_404(client: TestClient) -> None:
    """Catches a guessed or stale link answering with a file, or a path outside the folder being read."""
    for token in ("A" * 24, "..%2F..%2Fetc%2Fpasswd"):
        got = client.get(f"/data/problems/{token}.csv")
        assert got.status_code == 404 and "root:" not in got.text


def test_the_web_keeps_problem_lists_within_a_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a disk filled by refused uploads (the probe: 20 lists of a bad 50 MB file are gigabytes): past the
    byte cap the oldest lists are dropped, the newest always kept, and a dropped list's token finds nothing."""
    from cyplan.io.problems import PROBLEM_SCHEMA
    from cyplan.web import problem_files

    monkeypatch.setattr(problem_files, "KEPT_BYTES", 250)
    files = problem_files.ProblemFiles()
    frame = pl.DataFrame({"file": ["a.csv"] * 3, "sheet": [None] * 3, "row": [2, 3, 4], "column": ["x"] * 3,
                          "message": ["m" * 30] * 3}, schema=PROBLEM_SCHEMA)
    tokens = [files.save([frame], f"{i}.csv") for i in range(4)]
    sizes = {t: files.find(t)[0].stat().st_size for t in tokens if files.find(t)}  # type: ignore[index]
    assert tokens[-1] in sizes and files.find(tokens[0]) is None
    assert sum(sizes.values()) <= 250 or len(sizes) == 1
