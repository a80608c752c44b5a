"""Files and options past what the reader takes (probe 3's F2, F4 and F15): each refused with a message naming the
file (and row where there is one), exit 2 and the workspace byte-for-byte as it was; never a traceback or a 500."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from conftest import folder_bytes, write_text, write_workbook
from cyplan.io import read
from cyplan.io.problems import InputError
from cyplan.web import security
from cyplan.web.app import create_app

Run = Callable[[Sequence[object]], tuple[int, str, str]]
TRACE = re.compile(r"Traceback|File \".*\.py\"")
LEVELS = [["level", "label", "coverage"], ["L1", "Universal", "all"]]


@pytest.fixture
def client(demo_workspace: Path) -> Iterator[TestClient]:
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as c:
        c.get("/data")
        yield c
    app.state.workspace.close()


def _upload(client: TestClient, name: str, body: bytes, kind: str = "levels", header_row: str = "") -> tuple[int, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/data").text).group(1)  # type: ignore[union-attr]
    r = client.post("/data/upload", data={"kind": kind, "mode": "merge", "header_row": header_row,
                                          security.CSRF_FIELD: token}, files={"file": (name, body)})
    return r.status_code, r.text.replace("&#39;", "'").replace("&#34;", '"').replace("&quot;", '"')


def _refused(run_cli: Run, ws: Path, *args: object) -> str:
    """Run `cyplan ARGS -w ws`; assert exit 2, nothing changed and no traceback; the message."""
    before = folder_bytes(ws)
    code, out, err = run_cli([*args, "-w", ws])
    assert code == 2, out + err
    assert folder_bytes(ws) == before
    assert not TRACE.search(out + err)
    return " ".join(err.split())


# -- F2: --header-row past any row -------------------------------------------------------------------------------

def test_a_header_row_past_2_63_is_refused_not_a_traceback(tmp_path: Path, demo_workspace: Path, run_cli: Run) -> None:
    """Catches 99999999999999999999 reaching the problems table (Int64 overflow → traceback, exit 1) and a row past
    Excel's last (1,048,576) being taken."""
    path = write_text(tmp_path / "lv.csv", "level,label,coverage\nL1,U,all\n")
    for given in ("99999999999999999999", "1048577"):
        err = _refused(run_cli, demo_workspace, "import", "levels", path, "--header-row", given)
        assert "--header-row" in err and "1048576" in err


def test_read_table_refuses_a_huge_header_row_naming_no_row(tmp_path: Path) -> None:
    """Catches the given row kept as the problem's row (which broke the problems table) when read_table is called
    by code other than the CLI."""
    path = write_text(tmp_path / "lv.csv", "level,label,coverage\nL1,U,all\n")
    with pytest.raises(InputError) as e:
        read.read_table(path, header_row=10**20)
    [problem] = e.value.problems
    assert problem.row is None and "the header row must be from 1 to 1,048,576, not 100000000000000000000" in str(
        problem)


def test_the_data_page_refuses_a_header_row_past_excels_last(client: TestClient, demo_workspace: Path) -> None:
    """Catches a 7-digit row past 1,048,576 accepted by the form (the CLI refuses it)."""
    before = folder_bytes(demo_workspace)
    status, html = _upload(client, "lv.csv", b"level,label,coverage\nL1,U,all\n", header_row="2000000")
    assert status == 422 and folder_bytes(demo_workspace) == before
    assert "the header row must be a row number from 1 to 1,048,576, not '2000000'" in html


# -- F4: a header cell past csv's field limit ---------------------------------------------------------------------

def _long_header(tmp_path: Path) -> Path:
    return write_text(tmp_path / "lv1.csv", "levl,label,coverage," + "x" * 200_000 + "\na,b,1,2\n")


def test_a_header_cell_over_128_kb_is_located_not_a_traceback(tmp_path: Path, demo_workspace: Path,
                                                              run_cli: Run) -> None:
    """Catches csv.Error from the fast reader's first-line look (probe F4: traceback, exit 1)."""
    path = _long_header(tmp_path)
    err = _refused(run_cli, demo_workspace, "import", "levels", path)
    assert f"{path}, row 1: a cell in this row is longer than 131,072 characters" in err


def test_the_data_page_locates_a_header_cell_over_128_kb(client: TestClient, demo_workspace: Path,
                                                         tmp_path: Path) -> None:
    """Catches the 500 the Data page gave for the same file."""
    before = folder_bytes(demo_workspace)
    status, html = _upload(client, "lv1.csv", _long_header(tmp_path).read_bytes())
    assert status == 422 and folder_bytes(demo_workspace) == before
    assert "a cell in this row is longer than 131,072 characters" in html


# -- F15: a workbook that unpacks to far more than it weighs -------------------------------------------------------

def _with_padding(path: Path, size: int) -> Path:
    """The workbook with one more part of `size` bytes of 'x', which deflate packs about a thousand times."""
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/pad.bin", b"x" * size)
    return path


def test_a_workbook_whose_parts_unpack_past_the_limit_is_refused_unread(tmp_path: Path, demo_workspace: Path,
                                                                        run_cli: Run,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the unpacked size not checked before reading (probe F15: 1.6 GB then a Rust panic), with the limit
    lowered to 1 MB so that a 2 MB workbook stands for a 2 GB one."""
    path = _with_padding(write_workbook(tmp_path / "big.xlsx", {"levels": LEVELS}), 2_000_000)
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(read, "UNPACKED_LIMIT", 1_000_000)
    monkeypatch.setattr(read, "RATIO_FROM", 10**9)  # only the total is being tried here
    err = _refused(run_cli, demo_workspace, "import", "levels", path)
    assert f"{path}: not read: it unpacks to 2 MB, more than the 1 MB cyplan reads from a workbook" in err
    err = _refused(run_cli, demo_workspace, "import", "all", path)
    assert "more than the 1 MB cyplan reads" in err


def test_a_workbook_packed_a_thousand_times_is_refused_at_the_default_limits(tmp_path: Path, demo_workspace: Path,
                                                                             run_cli: Run) -> None:
    """Catches a zip bomb under the 1 GB total let through: 11 MB of one letter packs to ~11 KB (the probe's was
    400 MB in 412 KB), far tighter than any workbook Excel saves; it is refused for imports and referral returns."""
    path = _with_padding(write_workbook(tmp_path / "bomb.xlsx", {"levels": LEVELS}), 11_000_000)
    err = _refused(run_cli, demo_workspace, "import", "levels", path)
    assert f"{path}: not read: its part xl/media/pad.bin unpacks to 11 MB from" in err
    assert "save it as CSV UTF-8" in err
    err = _refused(run_cli, demo_workspace, "returns", "import", path)
    assert "its part xl/media/pad.bin unpacks to 11 MB" in err


def test_a_real_workbook_of_one_value_repeated_is_still_read(tmp_path: Path) -> None:
    """Catches a guard so tight that a plain workbook is refused: a sheet of 20,000 identical rows packs ~20 times."""
    path = write_workbook(tmp_path / "same.xlsx", {"levels": [LEVELS[0], *[["L1", "Universal", "all"]] * 20_000]})
    read.check_workbook_size(path, str(path))


def test_a_panic_in_polars_reading_a_workbook_is_a_message(tmp_path: Path, demo_workspace: Path, run_cli: Run,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches Polars' PanicException (a BaseException, past `except Exception`) reaching the user as a Rust
    backtrace, as the probe's 400 MB cell did ("Cannot allocate memory to hold CompactString")."""
    def panic(*args: object, **kwargs: object) -> None:
        raise pl.exceptions.PanicException("Cannot allocate memory to hold CompactString")

    monkeypatch.setattr(read, "_table", panic)
    path = write_workbook(tmp_path / "lv.xlsx", {"levels": LEVELS})
    err = _refused(run_cli, demo_workspace, "import", "levels", path)
    assert f"{path}: not a readable Excel workbook (Cannot allocate memory to hold CompactString)" in err


def test_the_data_page_refuses_a_packed_workbook_unread(client: TestClient, demo_workspace: Path,
                                                        tmp_path: Path) -> None:
    """Catches the web's upload limit (which counts packed bytes) as the only guard: a ~20 KB upload unpacking to
    11 MB of one letter is refused naming the uploaded file, not read into the server's memory."""
    body = _with_padding(write_workbook(tmp_path / "bomb.xlsx", {"levels": LEVELS}), 11_000_000).read_bytes()
    before = folder_bytes(demo_workspace)
    status, html = _upload(client, "bomb.xlsx", body)
    assert status == 422 and folder_bytes(demo_workspace) == before
    assert "bomb.xlsx: not read: its part xl/media/pad.bin unpacks to 11 MB" in html
