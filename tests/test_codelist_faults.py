"""Probe 3's code-list findings turned into tests: F6 (a list file with a code twice was stored although the
message said nothing was changed, and the stored list then crashed every command and page that reads the lists),
F7 (`--add` took control characters that every file import refuses) and F17 (a list change left a kept mapping
pointing off the list and dropped it without a word). Expected messages and counts are worked out by hand from
the few rows written here. The tests that keep lists in a workspace run on SQLite and on PostgreSQL (`backend`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backends import Backend
from cyplan.io.problems import InputError
from cyplan.model.activity import INVALID
from cyplan.reference import codelists as C
from cyplan.returns import fields as F
from cyplan.returns import service
from cyplan.returns.codelist_files import read_list
from cyplan.store import codelists as own_lists
from cyplan.store.workspace import Workspace
from cyplan.web.app import create_app

TODAY = dt.date(2026, 1, 1)
ESC = "\x1b"
CONTROL = "contains a control character"


@pytest.fixture
def ws(backend: Backend, tmp_path: Path) -> Iterator[Workspace]:
    w = backend.create(tmp_path / "ws")
    yield w
    w.close()


def _records(path: Path, religions: list[str]) -> Path:
    lines = [f"R{i},Affinity,2025-05-01,yes,12,Female,White British,{r},Other,Other,Other,Other,yes,no,,"
             for i, r in enumerate(religions, start=1)]
    path.write_text("\n".join([",".join(F.COLUMNS), *lines]) + "\n")
    return path


def _store_as_an_older_version_did(ws: Workspace, entries: list[C.Entry]) -> None:
    """The list kept without the checks: how an older version (or F6's bug) left it in the database."""
    with ws.engine.begin() as conn:
        own_lists.replace_list(conn, "religion", entries)


def _total(ws: Workspace, label: str) -> int:
    table = service.tables(ws)["religion"]
    return table.filter(table["category"] == label)["Total"].item()


# -- F6: checked whole before anything is stored ------------------------------------------------------------


def test_a_code_twice_is_refused_located_and_nothing_is_stored(backend: Backend, ws: Workspace, tmp_path: Path,
                                                               run_cli: Callable) -> None:
    """Probe 3 F6's repro: 'Sikh' on rows 2 and 3. Catches the list stored behind a 'nothing was changed'
    message, a message with no file name, and the column named 'aliases' for a repeated code."""
    own = tmp_path / "cl2.csv"
    own.write_text("code,label\nSikh,Sikh\nSikh,Sikh again\n")
    before = backend.state(ws.path)
    code, _, err = run_cli(["returns", "codelist", "religion", "--import", own, "-w", ws.path])
    assert code == 2
    assert f"{own}, row 3, column 'code': the code 'Sikh' is on row 2 too" in err
    assert "nothing was changed" in err
    assert backend.state(ws.path) == before
    code, out, err = run_cli(["returns", "codelist", "religion", "-w", ws.path, "-f", "csv"])
    assert code == 0 and out.splitlines()[1].endswith(",default") and "Warning" not in err


def test_a_code_that_is_another_rows_alias_and_a_code_twice_in_other_case_are_refused(
        backend: Backend, ws: Workspace, tmp_path: Path, run_cli: Callable) -> None:
    """Matching ignores case, so 'sikh' on row 4 is row 2's code again, and row 3's alias 'Muslim' is row 5's
    code. Catches a repeat that differs only in case let through (the list would then not build)."""
    own = tmp_path / "cl.csv"
    own.write_text("code,label,aliases\nSikh,,\nOther,,Muslim\nsikh,,\nMuslim,,\n")
    before = backend.state(ws.path)
    code, _, err = run_cli(["returns", "codelist", "religion", "--import", own, "-w", ws.path])
    assert code == 2
    assert f"{own}, row 4, column 'code': the code 'sikh' is on row 2 too" in err
    assert f"{own}, row 5, column 'code': 'Muslim' already means 'Other' (row 3)" in err
    assert backend.state(ws.path) == before


_NAME = st.sampled_from(["A", "a", "B", "b ", "C", ""])
_LABEL = st.one_of(_NAME, st.sampled_from(["C|a", "b|"]))  # a '|' in a label would split it into two names


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_NAME, _LABEL, st.lists(_NAME, max_size=2)), min_size=1, max_size=5))
@example([("A", "C|a", []), ("C", "", [])])  # the one a derandomized run need not draw: C would mean A and C
def test_every_list_file_accepted_builds(tmp_path_factory: pytest.TempPathFactory,
                                         rows: list[tuple[str, str, list[str]]]) -> None:
    """The invariant F6 broke: a list file read_list accepts is a valid list (the lists are built from it on
    every later command). Few names, in two cases, so that repeats are common; labels holding '|' too."""
    path = tmp_path_factory.mktemp("lists") / "religion.csv"
    path.write_text("code,label,aliases\n" + "".join(f"{c},{lab},{'|'.join(al)}\n" for c, lab, al in rows))
    try:
        entries = read_list(path, "religion")
    except InputError:
        return
    built = C.from_entries("religion", entries, C.OWN, str(path), strict=True)
    assert len(built.categories) == len(entries)


# -- F6: a stored list that is not valid is said, not a crash ------------------------------------------------


BROKEN = [C.Entry("Sikh", "Sikh"), C.Entry("Sikh", "Sikh again"), C.Entry("Muslim")]


def test_a_stored_list_that_is_not_valid_is_read_without_the_faulty_entry_and_said(
        ws: Workspace, tmp_path: Path, run_cli: Callable) -> None:
    """A list kept with 'Sikh' twice: the commands read it as Sikh, Muslim (the first meaning kept) and
    `returns codelist` says what is wrong and how to put it right. Records Muslim, Sikh, Christian: one each
    of Sikh and Muslim, and Christian not on the list. Catches the traceback (exit 1) F6 left every returns
    command with, and a repair hint that names no command."""
    service.import_returns(ws, _records(tmp_path / "r.csv", ["Muslim", "Sikh", "Christian"]), today=TODAY)
    _store_as_an_older_version_did(ws, BROKEN)
    code, out, err = run_cli(["returns", "codelist", "religion", "-w", ws.path, "-f", "csv"])
    assert code == 0, err
    assert out.splitlines()[1:] == ["religion,Sikh,Sikh,\"\",\"\",own", "religion,Muslim,Muslim,\"\",\"\",own"]
    assert ("Warning: the religion code list kept in the workspace, entry 2: the category 'Sikh' is on entry 1 "
            "too") in err
    assert "'cyplan returns codelist religion --reset'" in err
    code, _, err = run_cli(["returns", "tables", "-w", ws.path, "--out", tmp_path / "tables"])
    assert code == 0, err
    assert (_total(ws, "Sikh"), _total(ws, "Muslim"), _total(ws, INVALID)) == (1, 1, 1)
    code, _, err = run_cli(["returns", "codelist", "religion", "--reset", "-w", ws.path])
    assert code == 0 and "default list again" in err
    code, _, err = run_cli(["returns", "codelist", "religion", "-w", ws.path])
    assert code == 0 and "Warning" not in err


def test_add_to_a_stored_list_that_is_not_valid_is_refused(backend: Backend, ws: Workspace, run_cli: Callable) -> None:
    """Adding would store the faulty entry again with the new one. Catches --add building on it (or crashing)."""
    _store_as_an_older_version_did(ws, BROKEN)
    before = backend.state(ws.path)
    code, _, err = run_cli(["returns", "codelist", "religion", "--add", "Jain", "Jain", "-w", ws.path])
    assert code == 2 and "the category 'Sikh' is on entry 1 too" in err and "--import FILE" in err
    assert backend.state(ws.path) == before


def test_the_web_pages_open_with_a_stored_list_that_is_not_valid(demo_on: Path) -> None:
    """Probe 3: /returns, /api/returns, /api/returns/equality and even /data were 500 (so the web user could
    not upload a fix). Catches any of them failing on the list, and the Returns page and API not saying what
    is wrong with it."""
    ws = Workspace.open(demo_on)
    try:
        service.import_returns(ws, _records(demo_on.parent / "r.csv", ["Muslim", "Sikh"]), today=TODAY)
        _store_as_an_older_version_did(ws, BROKEN)
    finally:
        ws.close()
    app = create_app(demo_on)
    with TestClient(app, base_url="http://localhost") as client:
        for page in ("/data", "/returns", "/api/returns", "/api/returns/equality"):
            assert client.get(page).status_code == 200, page
        assert "entry 2: the category &#39;Sikh&#39; is on entry 1 too" in client.get("/returns").text
        faults = client.get("/api/returns").json()["code_list_faults"]
        assert len(faults) == 1 and "--reset" in faults[0]
    app.state.workspace.close()


# -- F7: one control-character rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "label", "column"), [(f"Si{ESC}kh", "Sikh", "code"),
                                                        ("Sikh", f"Sikh{ESC}]0;pwned\x07", "label"),
                                                        ("Sikh", "Sikh\u202e", "label")])
def test_add_refuses_a_control_character(backend: Backend, ws: Workspace, run_cli: Callable, code: str, label: str,
                                         column: str) -> None:
    """Probe 3 F7: an ESC in --add's code or label was stored and crashed the Word paper. Catches --add
    checking less than a file import (a bidirectional override included)."""
    before = backend.state(ws.path)
    result, _, err = run_cli(["returns", "codelist", "religion", "--add", code, label, "-w", ws.path])
    assert result == 2
    assert f"cyplan returns codelist religion --add, column '{column}': {CONTROL}" in err
    assert ESC not in err
    assert backend.state(ws.path) == before


def test_list_and_mapping_files_refuse_a_control_character(backend: Backend, ws: Workspace, tmp_path: Path,
                                                           run_cli: Callable) -> None:
    """The same rule in an own list's aliases and a mapping file's value_found. Catches either file storing
    the character (a tab is not a control character here, as in every input)."""
    own = tmp_path / "religion.csv"
    own.write_text(f"code,label,aliases\nSikh,Sikh,Sik{ESC}h\n")
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(f"field,value_found,count,map_to\nreligion,No{ESC}ne,1,No religion\n")
    before = backend.state(ws.path)
    code, _, err = run_cli(["returns", "codelist", "religion", "--import", own, "-w", ws.path])
    assert code == 2 and f"{own}, row 2, column 'aliases': {CONTROL}" in err
    code, _, err = run_cli(["returns", "codelist", "-w", ws.path, "--mapping", mapping])
    assert code == 2 and f"{mapping}, row 2, column 'value_found': {CONTROL}" in err
    assert backend.state(ws.path) == before


# -- F17: a list change names the mappings it drops -------------------------------------------------------------


def test_a_list_change_names_and_drops_the_kept_mappings_it_leaves_off_the_list(ws: Workspace, tmp_path: Path,
                                                                                run_cli: Callable) -> None:
    """Probe 3 F17's repro: 'Not known' kept as Other, 'Nada' as No religion; the new list has no Other. Catches
    the mapping dropped without a word, a mapping still on the list (Nada → No religion, matched by the
    label) dropped too, and a dropped mapping left stored to come back unannounced."""
    mapping = tmp_path / "mk.csv"
    mapping.write_text("field,value_found,count,map_to\nreligion,Not known,20,Other\nreligion,Nada,3,No religion\n")
    assert run_cli(["returns", "codelist", "-w", ws.path, "--mapping", mapping])[0] == 0
    own = tmp_path / "clk.csv"
    own.write_text("code,label\nChristian,Christian\nMuslim,Muslim\nNone,No religion\n")
    code, _, err = run_cli(["returns", "codelist", "religion", "--import", own, "-w", ws.path])
    assert code == 0, err
    assert "Dropped 1 kept mapping to a category not on this list: 'Not known' → 'Other'" in err
    assert "Nada" not in err
    assert own_lists.stored_mappings(ws.engine) == {"religion": {"Nada": "No religion"}}
    code, out, _ = run_cli(["returns", "codelist", "religion", "-w", ws.path, "-f", "csv"])
    assert "religion,None,No religion,\"\",Nada,own" in out.splitlines()


def test_reset_names_the_kept_mappings_it_drops(ws: Workspace, run_cli: Callable, tmp_path: Path) -> None:
    """An own list with a category Jain, a mapping to it, then --reset to the default (which has no Jain).
    Catches --reset leaving the mapping to stop applying without a word."""
    assert run_cli(["returns", "codelist", "religion", "--add", "Jain", "", "-w", ws.path])[0] == 0
    mapping = tmp_path / "m.csv"
    mapping.write_text("field,value_found,count,map_to\nreligion,Jaina,2,Jain\n")
    assert run_cli(["returns", "codelist", "-w", ws.path, "--mapping", mapping])[0] == 0
    code, _, err = run_cli(["returns", "codelist", "religion", "--reset", "-w", ws.path])
    assert code == 0 and "Dropped 1 kept mapping to a category not on this list: 'Jaina' → 'Jain'" in err
    assert own_lists.stored_mappings(ws.engine) == {}
