"""What several test files build the same way, built once per test session (once per pytest-xdist worker) and shared.

`make test` hands each worker whole files, so a module-scoped fixture that several files define alike is built again
for each file; a session-scoped one is built once for all the files a worker runs (docs/testing.md, "Keeping the
suite fast"):

* `_cyplan_demo`: the workspace `cyplan demo` makes, and what it printed. Never handed out itself: a test or
  module copies it (`cyplan_demo` does, for one test), so any test may change its copy. (`_demo_template` in
  conftest.py is the lighter demo: the inputs alone, imported directly, without the evidence library and referral
  returns `cyplan demo` adds.)
* `new_workspace`: an empty workspace at a folder, a copy of one `Workspace.create` made once (migrating a new
  SQLite file is about 0.1 s of processor time; copying it, a millisecond), for tests of what is done with a
  workspace rather than of making one (a hypothesis test that makes two for each example).
* `_demo_with_returns` and `_demo_paper`: the demo inputs with the demo's referral returns, and its board paper of
  50 draws dated 1 June 2026, read by the paper's tests (test_report.py, test_report_docx.py, test_paper_wording.py).
  These are shared, not copied: a test may read them only. `shared_left_alone` (autouse, in conftest.py) fails any
  test after which the workspace's data or the paper differ from what they were before it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cyplan import reference
from cyplan.reports.kept import CACHE  # papers and charts kept in the workspace folder: not data
from cyplan.store.workspace import Workspace

if TYPE_CHECKING:  # the paper's modules (Altair and all) are imported when a test first needs the paper
    from cyplan.reports.paper.document import Paper

PAPER_DRAWS = 50  # enough for the paper's intervals to show, far fewer than a user's 1,000: the tests' speed
PAPER_DAY = dt.date(2026, 6, 1)  # the paper's date, so that its text is the same any day the tests run
DEMO_RETURNS = reference.DEMO / "returns" / "referrals.csv"


@dataclass(frozen=True)
class MadeDemo:
    path: Path  # the workspace folder: copy it, never change it
    printed: str  # what `cyplan demo` printed (stdout), 250 columns wide so that no line is wrapped


@pytest.fixture(scope="session")
def _cyplan_demo(tmp_path_factory: pytest.TempPathFactory) -> MadeDemo:
    """Run in this process, as `run_cli` runs a command (a child process would add a second of starting Python; the
    installed program's own `cyplan demo` is test_cli_demo.py's)."""
    from typer.testing import CliRunner

    from cyplan.cli import app

    folder = tmp_path_factory.mktemp("cyplan-demo") / "exampleshire"
    done = CliRunner().invoke(app, ["demo", str(folder)], env={"COLUMNS": "250"})
    if done.exit_code != 0:
        pytest.fail(f"`cyplan demo {folder}` failed ({done.exit_code}):\n{done.stdout}\n{done.stderr}",
                    pytrace=False)
    return MadeDemo(folder, done.stdout)


def copy_demo(made: MadeDemo, to: Path) -> Path:
    """A copy of the workspace `cyplan demo` made, at `to` (which must not exist yet)."""
    return Path(shutil.copytree(made.path, to))


@pytest.fixture
def cyplan_demo(_cyplan_demo: MadeDemo, tmp_path: Path) -> Path:
    """A copy, for this test alone, of the workspace `cyplan demo` made (tmp_path/"demo"): what a test that runs
    `cyplan demo` only to work on its result would get, without making it again."""
    return copy_demo(_cyplan_demo, tmp_path / "demo")


@pytest.fixture(scope="session")
def _empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("empty-template") / "workspace"
    Workspace.create(path).close()
    return path


@pytest.fixture(scope="session")
def new_workspace(_empty_template: Path) -> Callable[[Path], Workspace]:
    """new_workspace(folder) → an empty workspace there, open (the caller closes it): as Workspace.create(folder)
    makes it, copied from one made once. The folder must not exist yet."""
    def new(path: Path) -> Workspace:
        shutil.copytree(_empty_template, path)
        return Workspace.open(path)

    return new


@pytest.fixture(scope="session")
def _demo_with_returns(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo inputs with the demo's referral returns, as `cyplan demo` makes them. Read only (see above)."""
    from cyplan.returns.service import import_returns

    path = Path(shutil.copytree(_demo_template, tmp_path_factory.mktemp("demo-returns") / "workspace"))
    ws = Workspace.open(path)
    try:
        import_returns(ws, DEMO_RETURNS)
    finally:
        ws.close()
    return path


@pytest.fixture(scope="session")
def _demo_paper(_demo_with_returns: Path) -> Paper:
    """The demo's board paper with its referral returns, so that every section, table and chart is there: 50 draws,
    dated 1 June 2026. Read only (see above)."""
    from cyplan.reports.paper.builder import build_paper

    ws = Workspace.open(_demo_with_returns)
    try:
        return build_paper(ws, draws=PAPER_DRAWS, today=PAPER_DAY)
    finally:
        ws.close()


def data_bytes(path: Path) -> dict[str, bytes]:
    """Every file under a workspace folder and its bytes, but the cache folder's (papers and charts kept: not data,
    reports/kept.py): equal snapshots mean the data was not touched."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and p.relative_to(path).parts[0] != CACHE}


def paper_print(paper: Paper) -> str:
    """A digest of everything the paper holds: its fields, and each section's blocks (a chart by its number, title,
    notes and object, whose spec is the chart's own and not read here, so nothing is drawn to take the print)."""
    from cyplan.reports.paper.document import Figure

    def block(b: object) -> str:
        return repr((b.number, b.title, b.notes, id(b.chart))) if isinstance(b, Figure) else repr(b)

    parts = [repr((paper.area, paper.area_name, paper.title, paper.cover, paper.footnotes, paper.made, paper.demo,
                   paper.draws, paper.seed, len(paper.sections)))]
    parts += [repr((s.key, s.title, s.pairs, s.missing, s.numbered, s.annex, [block(b) for b in s.blocks]))
              for s in paper.sections]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@pytest.fixture(autouse=True)
def shared_left_alone(request: pytest.FixtureRequest) -> Iterator[None]:
    """For a test that uses the shared demo with returns or its paper (directly or through a module's fixture):
    fails it if the workspace's data or the paper changed while it ran, since every test after it would read
    the changed one."""
    names = request.fixturenames
    if "_demo_with_returns" not in names and "_demo_paper" not in names:
        yield
        return
    path = request.getfixturevalue("_demo_with_returns")
    paper = request.getfixturevalue("_demo_paper") if "_demo_paper" in names else None
    before = data_bytes(path), paper and paper_print(paper)
    yield
    assert data_bytes(path) == before[0], "a test changed the shared demo workspace: copy it instead"
    assert (paper and paper_print(paper)) == before[1], "a test changed the shared demo paper: build its own"
