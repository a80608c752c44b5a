"""What a committee member would stumble on in the board paper, each pinned so it cannot come back: an
interval whose two ends read the same, a sentence of categories that does not read for none, one or several,
internal references (seed numbers, docs/ pages, file paths) in place of the published documents' names."""

from __future__ import annotations

import datetime as dt
import html as html_text
import re
from pathlib import Path

import pytest

from cyplan import reference
from cyplan.display import NO_RANGE, cell, headline
from cyplan.reports.paper import Paper, build_paper, render_html
from cyplan.reports.paper.equalities import differences
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs

DRAWS = 50


# -- an interval whose ends are shown the same -------------------------------------------------------------

def test_an_interval_shown_as_142_6_to_142_6_says_there_is_no_range() -> None:
    """Catches '(90% interval 142.6 to 142.6)': draws that vary a figure by less than its last digit."""
    row = {"demand_fte": 142.6, "demand_fte_p5": 142.58, "demand_fte_p95": 142.62, "demand_fte_mcse": 0.001,
           "demand_fte_p5_mcse": 0.001, "demand_fte_p95_mcse": 0.001}
    assert headline(row, "demand_fte", 1000, " FTE") == f"142.6 FTE ({NO_RANGE})"
    assert "142.6 to 142.6" not in headline(row, "demand_fte", 1000)
    assert cell(row, "demand_fte") == ("142.6", "no range")


def test_an_undrawn_figure_with_floating_point_noise_is_the_figure_alone() -> None:
    """Catches p5 = p95 with a median a few bits off them read as an interval ('142.6 to 142.6')."""
    row = {"supply_fte": 142.6 + 1e-13, "supply_fte_p5": 142.6, "supply_fte_p95": 142.6, "supply_fte_mcse": 0.0}
    assert headline(row, "supply_fte", 1000, " FTE") == "142.6 FTE"
    assert cell(row, "supply_fte") == ("142.6", "")


# -- the sentence of categories referred above and below the area's rate --------------------------------------

def test_no_category_differs() -> None:
    """Catches a dangling 'By ethnicity, .' when no category differs."""
    assert differences("ethnicity", [], []) == \
        "By ethnicity, no category's referral rate differs clearly from the area's"


def test_one_category_above_has_its_own_subject() -> None:
    """Catches 'By ethnicity, above it: White British.' ('it' with nothing to stand for)."""
    text = differences("ethnicity", [], ["White British"])
    assert text == ("By ethnicity, one category is referred at a rate clearly above the area's (the whole 95% "
                    "interval of the rate ratio over 1): White British")
    assert "above it" not in text


def test_one_below_and_several_above() -> None:
    """Catches a wrong number ('one categories are') and 'it' used before the area's rate is named."""
    text = differences("age", ["7 to 9"], ["10 to 11", "12 to 15", "18"])
    assert text == ("By age, one category is referred at a rate clearly below the area's (the whole 95% interval "
                    "of the rate ratio under 1): 7 to 9; three categories are referred at a rate clearly above it "
                    "(the whole interval over 1): 10 to 11, 12 to 15 and 18")
    assert differences("religion", ["Muslim", "Hindu"], []).startswith(
        "By religion, two categories are referred at a rate clearly below the area's")


# -- internal references: a reader has the paper, not cyplan's files ---------------------------------------------

@pytest.fixture(scope="module")
def paper(_demo_paper: Paper) -> Paper:
    """The demo's paper with its referral returns, as `cyplan demo` then `cyplan report` make it: DRAWS draws dated
    1 June 2026, built once for the files that read it (tests/shared_demo.py; read only)."""
    assert (_demo_paper.draws, _demo_paper.made) == (DRAWS, dt.date(2026, 6, 1))
    return _demo_paper


INTERNAL = re.compile(r"(?<!random )\bseeds?\b|docs/|\.md\b|\.py\b|scripts/|DESIGN\b", re.IGNORECASE)


def _internal(text: str) -> list[str]:
    return [text[max(0, m.start() - 60):m.end() + 30] for m in INTERNAL.finditer(text)]


def test_the_demo_paper_cites_published_documents_not_seed_numbers_or_files(paper: Paper) -> None:
    """Catches 'seed 003', 'seed 004', 'docs/method.md', 'scripts/….py' in the paper, its notes and the
    inputs' sources they quote, in the HTML and in its text; the random seed is the simulation's, and stays."""
    page = render_html(paper)
    words = html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    assert _internal(words) == []
    assert _internal(html_text.unescape(page)) == []
    assert "random seed 1" in words  # the simulation's own seed is said, and is not a document
    # the documents by name, where the seed numbers were
    assert "Commissioning early intervention support services (2009)" in words
    assert "2020 Children and Young People's Workforce Strategy: the evidence base (2008)" in words
    assert "LGA Children and Young People Board's papers of 23 January 2024" in words


def test_the_send_therapy_demo_paper_cites_no_internal_reference(tmp_path: Path) -> None:
    """The other built-in model's paper (no register, no returns, no skills census): its missing parts' messages
    and its inputs' sources cite no seed number or file either."""
    ws = Workspace.create(tmp_path / "send")
    try:
        files = sorted(reference.DEFAULTS.glob("*.csv")) + sorted(reference.DEMO_SEND.glob("*.csv"))
        import_inputs(ws, [Source(f.stem, f) for f in files])
        words = html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", render_html(
            build_paper(ws, draws=0, today=dt.date(2026, 6, 1))))))
    finally:
        ws.close()
    assert "Therap" in words and _internal(words) == []


def test_the_paper_states_the_period_of_its_equality_rates(paper: Paper) -> None:
    """Catches rates titled with the population's year alone: the referrals' period is stated with them."""
    words = html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", render_html(paper))))
    assert "Rates are a year's: referrals 1 Apr 2025 – 31 Mar 2026, against the population of 2025" in words
    assert "above it:" not in words  # the old dangling sentence
