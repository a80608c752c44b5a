"""Shared fixtures: a demo workspace, writing input files, and running the `cyplan` command."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

# pytest-xdist starts its workers with COLUMNS=80, which cyplan takes as a terminal's width and folds its tables
# to; the tests read output as a file or a pipe gets it (PIPE_WIDTH): drop it before cyplan.terminal is imported
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)

from backends import Backend, _demo_database, _migrated, backend, server  # noqa: F401  (fixtures: the two databases)
from cyplan import reference
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs
from no_skips import pytest_make_collect_report, pytest_runtest_makereport  # noqa: F401  (no test may skip)
from shared_demo import (  # noqa: F401  (fixtures: what several files build alike, built once per worker)
    _cyplan_demo,
    _demo_paper,
    _demo_with_returns,
    _empty_template,
    cyplan_demo,
    new_workspace,
    shared_left_alone,
)
from slow_first import pytest_collection_modifyitems, pytest_configure  # noqa: F401  (slowest files first)

# CI draws the same examples every run (set by CI=true, as .ci/run is run): a submission is judged on examples
# already tried, not failed by a new one that happens to be drawn; developers' runs draw new ones each time
# and no example has a deadline: hypothesis' 200 ms default is a timed assertion, which a loaded machine fails on a
# correct answer (test_templates' example check took 317 ms once in a clean-clone CI, 21 ms when tried again)
# (scripts/mutate_fast.py names its own profile, registered before the tests are collected, in
# CYPLAN_HYPOTHESIS_PROFILE)
settings.register_profile("cyplan", deadline=None)
settings.register_profile("ci", parent=settings.get_profile("cyplan"), derandomize=True, database=None)
settings.load_profile(os.environ.get("CYPLAN_HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") == "true" else "cyplan"))

CYPLAN = str(Path(sys.executable).with_name("cyplan"))
WIDE = {"COLUMNS": "1000"}  # so that no line of output is wrapped
# what a page loads once shown (htmx, hx-trigger="load"): its charts and the scenarios side by side, when the page
# was not kept whole; group 1 is the address (with &amp; as the page writes it)
LATER = re.compile(r'hx-get="(/(?:charts|workforce/scenarios)[^"]*)" hx-trigger="load"')

CliResult = tuple[int, str, str]  # exit code, stdout, stderr


def demo_sources() -> list[Source]:
    """The files `cyplan demo` imports: the defaults, then the Exampleshire inputs."""
    files = sorted(reference.DEFAULTS.glob("*.csv")) + sorted(reference.DEMO.glob("*.csv"))
    return [Source(p.stem, p) for p in files]


@pytest.fixture(autouse=True)
def _no_cyplan_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A CYPLAN_DATABASE_URL or CYPLAN_WORKSPACE set in the shell must not reach the tests."""
    for name in list(os.environ):
        if name.startswith("CYPLAN_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-template") / "workspace"
    ws = Workspace.create(path)
    try:
        import_inputs(ws, demo_sources())
    finally:
        ws.close()
    return path


@pytest.fixture
def demo_workspace(_demo_template: Path, tmp_path: Path) -> Path:
    """A workspace folder holding the demo inputs, built as `cyplan demo` builds it (built once, by
    Workspace.create and import_inputs, and copied for each test)."""
    return Path(shutil.copytree(_demo_template, tmp_path / "workspace"))


@pytest.fixture
def demo_on(backend: Backend, tmp_path: Path) -> Path:  # noqa: F811
    """demo_workspace on each backend: the test runs on SQLite and on PostgreSQL (tests/backends.py)."""
    return backend.demo(tmp_path / "workspace")


def write_text(path: Path, text: str | bytes) -> Path:
    """Write CSV text exactly as given (no newline translation); bytes are written as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


@pytest.fixture
def write_csv_text(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """write_csv_text('population.csv', 'area,year,...\\n...') → the file, in the test's folder."""
    def write(name: str, text: str | bytes) -> Path:
        return write_text(tmp_path / "inputs" / name, text)

    return write


def folder_bytes(path: Path) -> dict[str, bytes]:
    """Every file in a workspace folder and its bytes: equal snapshots mean nothing was touched
    (the database is unchanged and no -journal or -wal file was left behind)."""
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}


def listed_problems(path: Path) -> list[str]:
    """Every problem a `--problems FILE` holds, each written as a one-problem message is ("file, row 4, column
    'year': …"): the screen groups problems by cause, the file names each one."""
    import polars as pl

    from cyplan.io.problems import Problem

    frame = pl.read_csv(path, infer_schema=False)
    return [str(Problem(r["file"], int(r["row"]) if r["row"] else None, r["column"] or None, r["message"],
                        r["sheet"] or None)) for r in frame.iter_rows(named=True)]


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes]]:
    return folder_bytes


def write_workbook(path: Path, sheets: dict[str, list[list[object]]], first_row: int = 1) -> Path:
    """A workbook with these sheets (in order), each table starting on `first_row` of its sheet.
    A string starting with '=' is a formula, saved (as openpyxl saves them) without a value."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if value is not None:
                    ws.cell(first_row + i, j + 1, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def save_formula_values(path: Path, values: dict[str, str], sheet_number: int = 1) -> Path:
    """Give formula cells the value Excel would have saved with them: {'E3': '42'} turns
    <c r="E3"><f>E2*2</f><v /></c> into <c r="E3"><f>E2*2</f><v>42</v></c>. An error value
    ('#DIV/0!') is saved as an error cell. openpyxl cannot write saved values, so the sheet's XML
    is rewritten inside the zip."""
    member = f"xl/worksheets/sheet{sheet_number}.xml"
    with zipfile.ZipFile(path) as z:
        contents = {n: z.read(n) for n in z.namelist()}
    xml = contents[member].decode("utf-8")
    for ref, value in values.items():
        # openpyxl writes an empty value as <v /> or, when lxml is installed, as <v></v>
        cell = re.compile(rf'<c r="{ref}"([^>]*)><f>([^<]*)</f>(?:<v\s*/>|<v></v>)')
        assert cell.search(xml), f"no formula without a saved value in {ref}"
        kind = ' t="e"' if value.startswith("#") else ""
        xml = cell.sub(f'<c r="{ref}"\\1{kind}><f>\\2</f><v>{value}</v>', xml, count=1)
    contents[member] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in contents.items():
            z.writestr(name, data)
    return path


@pytest.fixture
def run_cli() -> Callable[[Sequence[str]], CliResult]:
    """Run `cyplan ARGS` in this process; stdout and stderr are kept apart."""
    from cyplan.cli import app

    runner = CliRunner()

    def run(args: Sequence[str]) -> CliResult:
        result = runner.invoke(app, [str(a) for a in args], env=WIDE)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


@pytest.fixture
def run_real_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """Run the installed `cyplan` program in a child process, as a user would."""
    def run(args: Sequence[str], wide: bool = True) -> CliResult:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_") and k != "COLUMNS"}
        if wide:
            env.update(WIDE)
        done = subprocess.run([CYPLAN, *map(str, args)], cwd=tmp_path, capture_output=True, text=True,
                              env=env, timeout=120)
        return done.returncode, done.stdout, done.stderr

    return run


def load_benchmark(name: str, folder: str = "benchmarks") -> ModuleType:
    """benchmarks/<name>.py (or <folder>/<name>.py, e.g. scripts/) as a module, for the tests of its pieces
    (benchmarks and scripts are scripts, not a package)."""
    path = Path(__file__).resolve().parents[1] / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses in the script look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium for every browser test of the session (of an xdist worker): Playwright's sync API runs one at a time
    in a process, so two modules each starting their own on one worker fail ("Sync API inside the asyncio loop")."""
    from playwright.sync_api import sync_playwright

    from browser_support import launch_chromium

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()
