"""The board paper made faster without a figure changing (issue 17 part 2, docs/decisions/0016-paper-speed.md): one
simulation per scenario per paper, the evidence section reading the paper's own baseline rather than running one
more; the paper on the demo the same, block for block, note for note and chart for chart, as when every section ran
its own simulations."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import cyplan.reports.paper as paper_package
from conftest import CliResult, demo_sources
from cyplan import reference, results
from cyplan.commands.evidence import demo_sources as library_sources
from cyplan.model import simulate as simulate_module
from cyplan.model.scenarios import BASELINE
from cyplan.reports.paper import Figure, Paper, build_paper
from cyplan.reports.paper import builder as builder_module
from cyplan.reports.paper import evidence as evidence_section
from cyplan.reports.paper import need as need_section
from cyplan.reports.paper import services as services_section
from cyplan.store.workspace import Workspace
from cyplan.transfer import import_inputs

TODAY = dt.date(2026, 12, 6)


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's inputs with its evidence library, as `cyplan demo` imports them (the library is what the evidence
    section needs); only read by these tests, so made once."""
    path = tmp_path_factory.mktemp("paper-speed") / "workspace"
    with closing(Workspace.create(path)) as ws:
        import_inputs(ws, demo_sources() + library_sources("cyplan demo"))
    return path


def content(paper: Paper) -> str:
    """Everything the paper says: each section's blocks (a chart by its Vega-Lite spec, data and all), notes, cover."""
    def block(b: Any) -> Any:
        return {"figure": b.number, "title": b.title, "spec": b.spec, "notes": b.notes} if isinstance(b, Figure) \
            else repr(b)
    return json.dumps({"sections": [[s.key, s.title, s.missing, [block(b) for b in s.blocks], s.pairs]
                                    for s in paper.sections],
                       "notes": [repr(f) for f in paper.footnotes], "cover": paper.cover}, default=str, sort_keys=True)


def test_evidence_on_the_papers_simulation_is_identical_to_its_own(demo_workspace: Path) -> None:
    """Catches the shared simulation giving other figures than evidence_for_actions' own run (other draws, another
    seed, band counts from elsewhere): every column of every row equal, not close."""
    with closing(Workspace.open(demo_workspace)) as ws:
        frames = ws.read_all()
    own = results.evidence_for_actions(frames)
    shared = results.evidence_for_actions(frames, sim=results.simulation(frames, by_band=True))
    assert own.height > 0 and own["fte"].drop_nulls().len() > 0
    assert shared.equals(own)
    year = frames["population"]["year"].max()
    assert results.evidence_for_actions(frames, year, sim=results.simulation(frames, by_band=True)).equals(
        results.evidence_for_actions(frames, year))


def test_evidence_refuses_a_simulation_without_band_counts(demo_workspace: Path) -> None:
    """Catches a simulation without band counts read as if it had them (a crash deep in the model, or zeros)."""
    with closing(Workspace.open(demo_workspace)) as ws:
        frames = ws.read_all()
    with pytest.raises(ValueError, match="by_band=True"):
        results.evidence_for_actions(frames, sim=results.simulation(frames))


def test_the_paper_runs_one_simulation_per_scenario(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a section running a simulation another has run already (the evidence section ran its own baseline
    before: 7 runs for the demo's baseline and 5 scenarios)."""
    runs: list[bool] = []
    real = simulate_module.simulate

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(kwargs.get("by_band", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(simulate_module, "simulate", counted)  # results imports it when it runs
    with closing(Workspace.open(demo_workspace)) as ws:
        scenarios = results.scenario_names(ws.read_all())
        build_paper(ws, today=TODAY)
    assert len(scenarios) == 6  # the baseline and the demo's five
    assert len(runs) == len(scenarios)


def test_the_paper_is_the_same_as_with_a_simulation_per_section(demo_workspace: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches any figure, sentence, note or chart of the paper changed by sharing the simulations: the paper built
    as before (each section running its own, the evidence section its own baseline with band counts) against the
    paper built now, on the demo, compared whole."""
    with closing(Workspace.open(demo_workspace)) as ws:
        now = content(build_paper(ws, today=TODAY))

        def unshared(self: builder_module.Builder, scenario: str = BASELINE) -> Any:
            return results.simulation(self.frames, scenario, self.draws, self.seed)

        monkeypatch.setattr(builder_module.Builder, "simulation", unshared)
        monkeypatch.setattr(evidence_section, "_baseline", lambda b: None)
        before = content(build_paper(ws, today=TODAY))
    assert now.count('"spec":') >= 7 and "What the evidence says" in now and "closed with Parenting supp" in now
    assert now == before


def test_a_paper_without_a_workforce_census_still_has_its_evidence(demo_workspace: Path) -> None:
    """Catches the evidence section lost, or changed, when the paper's baseline cannot run (no workforce census):
    the evidence needs only the need inputs and the roles, and runs its own simulation then, as before: its
    sentences are evidence_for_actions' own."""
    with closing(Workspace.open(demo_workspace)) as ws:
        frames = ws.read_all()
        frames = {**frames, "workforce": frames["workforce"].clear()}
        b = builder_module.Builder(ws, frames, frames["areas"]["code"][0], {}, results.DRAWS, results.SEED, TODAY)
        need_section.section(b)
        services_section.section(b)
        said = repr(evidence_section.section(b).blocks)
    with pytest.raises(results.NotReady):
        b.simulation()
    own = results.evidence_for_actions(frames, b.findings["need"]["first"])
    named = own.filter(pl.col("intervention").is_not_null()
                       & pl.col("rank").is_in(services_section.recommended(b)["rank"].implode()))
    shown = [w.rstrip(".") for w in named["in_words"].to_list()]
    assert "cannot be worked out" not in said and shown and all(w in said for w in shown)


def test_the_action_list_is_the_same_every_time(demo_workspace: Path) -> None:
    """Catches the action list's need shares and weights differing in their last digits from one run to the next
    (the bands' cases were summed in the order a hash grouping gave them), which made two papers of the same data
    differ and could swap two gaps of near-equal weight."""
    with closing(Workspace.open(demo_workspace)) as ws:
        frames = ws.read_all()
    first = results.action_list(frames)
    assert all(results.action_list(frames).equals(first) for _ in range(10))


def test_cyplan_report_hands_out_the_kept_paper_until_the_data_change(
        demo_workspace: Path, tmp_path: Path, run_cli: Callable[[Sequence[str]], CliResult],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a second `cyplan report` of the same data making the paper again, or a kept paper handed out after
    an import changed what it says (docs/decisions/0016-paper-speed.md), or the kept one saying less (its
    warnings, its count of charts and notes)."""
    ws_path = Path(shutil.copytree(demo_workspace, tmp_path / "ws"))
    made: list[str | None] = []
    real = paper_package.build_paper

    def counted(ws: Workspace, area: str | None = None, **kwargs: Any) -> Any:
        made.append(area)
        return real(ws, area, **kwargs)

    monkeypatch.setattr(paper_package, "build_paper", counted)
    outputs = []
    for name in ("first.html", "second.html"):
        code, out, err = run_cli(["report", "-w", ws_path, "--draws", "0", "--out", tmp_path / name])
        assert code == 0, err
        outputs.append((out, err))
    assert made == [None]  # made once; the second run found it kept
    assert (tmp_path / "first.html").read_bytes() == (tmp_path / "second.html").read_bytes()
    said = outputs[0][1]  # the warnings of what is missing, and what was written
    assert "Warning: Who services reach:" in said and " charts, " in said
    assert outputs[1][1] == said.replace("first.html", "second.html")

    details = (reference.DEMO / "paper_details.csv").read_text(encoding="utf-8") + "title,1,The second version\n"
    (tmp_path / "paper_details.csv").write_text(details, encoding="utf-8")
    code, _, err = run_cli(["import", "paper_details", tmp_path / "paper_details.csv", "-w", ws_path])
    assert code == 0, err
    code, _, err = run_cli(["report", "-w", ws_path, "--draws", "0", "--out", tmp_path / "third.html"])
    assert code == 0, err
    assert made == [None, None]
    assert "<title>The second version" in (tmp_path / "third.html").read_text(encoding="utf-8")
    assert "The second version" not in (tmp_path / "first.html").read_text(encoding="utf-8")
