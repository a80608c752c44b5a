"""The board paper: every section of seed 004's papers, in HTML and in the PDF's text; notes for every figure;
a part whose inputs are missing says so; the details input overrides the drafts; `cyplan report` end to end.
The demo runs with few draws to keep this quick."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from cyplan import reference
from cyplan.model import activity
from cyplan.reports.paper import (
    Figure,
    Paper,
    Paragraph,
    Ref,
    Table,
    UnknownArea,
    build_paper,
    published_view,
    render_html,
)
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs

DRAWS = 50
TODAY = dt.date(2026, 6, 1)
HEADINGS = ("Purpose of report", "Summary", "Recommendations", "Contact details", "Background", "Need",
            "Services: the rating and the gaps", "What the evidence says", "Workforce: the gap and the options",
            "Which inputs drive the gap",
            "Who services reach", "Financial implications", "Equalities implications", "Next steps")


@pytest.fixture(scope="module")
def demo_path(_demo_with_returns: Path) -> Path:
    """The demo workspace with its referral returns, as `cyplan demo` makes it: shared with other files, so read
    only (tests/shared_demo.py checks each test leaves it as it was)."""
    return _demo_with_returns


@pytest.fixture(scope="module")
def paper(_demo_paper: Paper) -> Paper:
    """Its paper of DRAWS draws dated TODAY, built once for the files that read it (tests/shared_demo.py)."""
    assert (_demo_paper.draws, _demo_paper.made) == (DRAWS, TODAY)
    return _demo_paper


@pytest.fixture(scope="module")
def html(paper: Paper) -> str:
    return render_html(paper)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- the paper as data -------------------------------------------------------------------------------------

def test_the_demo_paper_has_every_section_in_seed_004s_order(paper: Paper) -> None:
    assert [s.title for s in paper.sections] == list(HEADINGS)
    assert paper.area == "E10999999" and paper.area_name == "Exampleshire"
    assert not paper.demo  # the demo flag is set by `cyplan demo`, not by importing its files


def test_no_part_of_the_demo_paper_is_missing(paper: Paper) -> None:
    assert {s.key: s.missing for s in paper.sections if s.missing} == {}


def test_every_figure_table_and_number_has_a_note_that_exists(paper: Paper) -> None:
    numbers = {n.number for n in paper.footnotes}
    assert numbers == set(range(1, len(paper.footnotes) + 1))
    used: set[int] = set()
    for s in paper.sections:
        for b in s.blocks:
            if isinstance(b, Figure | Table):
                assert b.notes, f"{s.key}: {b.title if isinstance(b, Figure) else b.caption} has no note"
                used |= set(b.notes)
            else:
                runs = [*b.runs, *(r for item in b.items for r in item)]
                used |= {r.number for r in runs if isinstance(r, Ref)}
                # a paragraph that quotes a figure of the results names its note
                if s.key in ("need", "workforce") and re.search(r"\d,\d{3}", b.text):
                    assert any(isinstance(r, Ref) for r in runs), b.text
    assert used == numbers


def test_notes_name_inputs_sources_model_step_draws_and_seed(paper: Paper) -> None:
    notes = " ".join(n.text for n in paper.footnotes)
    assert "Need model" in notes and "population (" in notes
    assert "Demo assumption: synthetic, shaped like ONS subnational projections" in notes  # a source value
    assert f"{DRAWS:,} Monte Carlo draws" in notes and "random seed 1" in notes
    assert "workforce census" in notes and "Scenarios" in notes
    assert "Commissioning early intervention support services (2009), section 2" in notes  # the rating


def test_charts_carry_their_descriptions(paper: Paper) -> None:
    titles = [f.title for f in paper.figures]
    assert titles[0] == "Need by year"
    assert any(t.startswith("The gap by role") for t in titles)
    for f in paper.figures:
        assert f.description and f.spec["description"] == f.description


def test_figures_in_the_text_agree_with_the_tables(paper: Paper) -> None:
    need = paper.section("need")
    table = next(b for b in need.blocks if isinstance(b, Table))
    total = table.rows[-1][1]
    assert total in need.blocks[0].text  # type: ignore[union-attr]
    assert total in paper.section("summary").blocks[1].text  # type: ignore[union-attr]


def test_draft_recommendations_come_from_the_results(paper: Paper) -> None:
    rec = paper.section("recommendations").blocks[0]
    assert isinstance(rec, Paragraph)
    text = rec.text
    assert "rating of 3 out of 4" in text
    assert "Agree scenario ‘retention’" in text  # the lowest cost to close among the demo's options
    assert paper.section("next_steps").blocks


def test_contact_and_meeting_details_come_from_the_input(paper: Paper) -> None:
    contact = dict(paper.section("contact").pairs)
    assert contact["Contact officer"].startswith("Alex Example")
    assert dict(paper.cover)["Meeting"].startswith("Exampleshire Health and Wellbeing Board")


def test_details_given_replace_the_drafts(demo_path: Path) -> None:
    ws = Workspace.open(demo_path)
    try:
        paper = build_paper(ws, "e10999999", {"recommendations": ["Note the report.", "Agree nothing yet."],
                                              "title": "A local title", "contact_officer": ""}, draws=0)
    finally:
        ws.close()
    rec = paper.section("recommendations").blocks[0]
    assert isinstance(rec, Paragraph) and rec.text == "That the Board: Note the report. Agree nothing yet."
    assert paper.title == "A local title"
    assert "Contact officer" not in dict(paper.section("contact").pairs)


def test_an_unknown_area_is_refused(demo_path: Path) -> None:
    ws = Workspace.open(demo_path)
    try:
        with pytest.raises(UnknownArea, match="unknown area X99; the areas are E10999999"):
            build_paper(ws, "X99", draws=0)
    finally:
        ws.close()


def test_a_part_without_its_inputs_says_so_and_the_rest_stands(tmp_path: Path) -> None:
    """Need and the register, but no workforce census, scenarios, returns or details."""
    keep = {"areas", "population", "age_bands", "levels", "prevalence", "groups", "group_sizes", "group_risks",
            "pathway_steps", "care_profiles", "role_mix", "roles", "localities", "services", "service_cells",
            "service_groups", "service_localities", "service_staff", "plans", "stakeholders"}
    files = sorted(reference.DEFAULTS.glob("*.csv")) + sorted(reference.DEMO.glob("*.csv"))
    ws = Workspace.create(tmp_path / "ws")
    try:
        import_inputs(ws, [Source(p.stem, p) for p in files if p.stem in keep])
        paper = build_paper(ws, draws=0)
        page = text_of(render_html(paper))
    finally:
        ws.close()
    missing = {s.key: s.missing for s in paper.sections if s.missing}
    assert set(missing) == {"workforce", "sensitivity", "reach", "equalities", "contact"}
    assert "import it with 'cyplan import workforce FILE'" in missing["workforce"]
    assert "import it with 'cyplan import workforce FILE'" in missing["sensitivity"]
    assert "cyplan returns import FILE" in missing["reach"]
    assert "cyplan import paper_details FILE" in missing["contact"]
    assert "Not available." in page and "cyplan returns import FILE" in page
    assert paper.section("need").blocks and paper.section("services").blocks


def test_an_empty_workspace_still_makes_a_paper(tmp_path: Path) -> None:
    ws = Workspace.create(tmp_path / "ws")
    try:
        paper = build_paper(ws, draws=0)
        render_html(paper)
    finally:
        ws.close()
    assert paper.area is None
    assert paper.section("need").missing and paper.section("services").missing


def test_published_view_withholds_small_counts_and_their_rates() -> None:
    view = pl.DataFrame({
        "area": ["A"] * 5, "year": [2025] * 5, "category": ["X", "Y", "Z", "(blank)", "Total"],
        "referrals": [3, 120, 40, 2, 163], "population": [500.0, 9000.0, 3000.0, None, 12500.0],
        "rate_per_10000": [60.0, 133.3, 133.3, None, 130.4], "rate_low": [12.4, 110.5, 95.3, None, None],
        "rate_high": [175.4, 159.4, 181.6, None, None], "rate_ratio": [0.46, 1.02, 1.02, None, 1.0],
        "ratio_low": [0.15, 0.9, 0.8, None, None], "ratio_high": [1.4, 1.2, 1.3, None, None],
        "note": ["", "", "", "blank: counted, no rate", "the area"]})
    out = {r["category"]: r for r in published_view(view).iter_rows(named=True)}
    assert out["X"]["referrals"] == "*" and out["X"]["rate_per_10000"] is None and out["X"]["ratio_high"] is None
    assert out["X"]["note"] == "withheld to protect small numbers"
    assert out["(blank)"]["referrals"] == "*"
    # a lone withheld cell in a line with a total is not left to be worked out: a second one goes too
    assert sum(out[c]["referrals"] == "*" for c in ("X", "Y", "Z")) >= 2
    assert out["Total"]["referrals"] == "165"


def test_published_rates_come_from_the_published_counts() -> None:
    """A rate from the exact count, times the population, would give back the count that rounding hides: the
    published rates and ratios are worked from the rounded counts (hand-checked: 123 → 125 of 10,000 is 125
    per 10,000; the area's 200 → 200 of 20,000 is 100 per 10,000, so the ratio is 1.25)."""
    view = activity.equality([123, 77], [10_000.0, 10_000.0], ["X", "Y"]).with_columns(pl.lit("").alias("note"))
    out = {r["category"]: r for r in published_view(view).iter_rows(named=True)}
    assert out["X"]["referrals"] == "125" and out["X"]["rate_per_10000"] == 125.0
    assert out["Y"]["referrals"] == "75" and out["Y"]["rate_per_10000"] == 75.0
    assert out["X"]["rate_ratio"] == 1.25 and out["Total"]["referrals"] == "200"


# -- HTML and PDF --------------------------------------------------------------------------------------------

def test_html_is_one_offline_file_with_every_section_chart_and_note(paper: Paper, html: str) -> None:
    for heading in HEADINGS:
        assert f">{heading}</h2>" in html
    assert html.count("<svg ") == len(paper.figures) >= 6
    assert 'role="img" aria-label="' in html
    assert "<style>" in html and "<link" not in html and "<script" not in html
    assert not re.search(r"""(src|href)=["']https?:""", html)  # nothing fetched
    for n in paper.footnotes:
        assert f'id="note-{n.number}"' in html and f'href="#note-{n.number}"' in html
    assert 'class="num"' in html  # figures right-aligned
    page = text_of(html)
    assert "Contact officer: Alex Example" in page


# -- the command ---------------------------------------------------------------------------------------------

def test_cyplan_report_writes_html_and_pdf(paper: Paper, demo_workspace: Path, tmp_path: Path,
                                           run_cli: Callable[..., tuple[int, str, str]],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["report", "-w", demo_workspace, "--draws", "20"])
    assert code == 0, err
    written = tmp_path / "board-paper-E10999999.html"
    assert "Wrote the board paper for Exampleshire to board-paper-E10999999.html" in err
    assert ">Recommendations</h2>" in written.read_text(encoding="utf-8")
    out = tmp_path / "papers" / "paper.pdf"
    out.parent.mkdir()
    code, _, err = run_cli(["report", "-w", demo_workspace, "--format", "pdf", "--out", out, "--draws", "0"])
    assert code == 0, err
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    # the PDF (render_pdf, from the same HTML) holds every heading, the page numbers and the key figures
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    flat = re.sub(r"\s+", " ", text)
    for heading in (*HEADINGS, "Notes: where each figure comes from"):
        assert heading in flat, heading
    assert "Page 1 of" in flat
    need_total = next(b for b in paper.section("need").blocks if isinstance(b, Table)).rows[-1][1]
    assert need_total in flat  # the central need does not depend on the draws
    assert "rated 3 out of 4" in flat and "Figure 1: Need by year" in flat


def test_cyplan_report_errors(demo_workspace: Path, tmp_path: Path,
                              run_cli: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = run_cli(["report", "-w", demo_workspace, "--area", "X99", "--draws", "0"])
    assert code == 2 and "unknown area X99" in err
    code, _, err = run_cli(["report", "-w", demo_workspace, "--out", tmp_path / "no" / "such" / "p.html",
                            "--draws", "0"])
    assert code == 1 and "cannot write" in err
    code, _, err = run_cli(["report", "-w", tmp_path / "nothing-here"])
    assert code == 1 and "is not a cyplan workspace" in err


def test_the_paper_says_which_inputs_drive_the_gap(paper: Paper, demo_path: Path, run_cli) -> None:
    """The sensitivity section's sentence names the inputs `cyplan sensitivity` ranks first, for the plan's last
    year, and its note says how they were found. Catches a paper and a CLI that disagree on what drives the gap."""
    section = next(s for s in paper.sections if s.key == "sensitivity")
    first = section.blocks[0].text  # type: ignore[union-attr]
    code, out, err = run_cli(["sensitivity", "-w", demo_path, "--area", "E10999999", "--format", "json"])
    assert code == 0, err
    top = [r["input"] for r in json.loads(out)[:3]]
    assert first.startswith(f"The 2035 gap depends most on: the {top[0]}, {top[1]} and the {top[2]}.")
    note = paper.footnotes[int(first.split("[")[1].split("]")[0]) - 1].text
    assert "each input that has a low and a high value set to its low, then to its high" in note
