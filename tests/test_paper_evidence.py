"""The board paper's "What the evidence says" and its practice guides annex (issue 15 part 7), on the demo with a
small evidence library of our own: the demo's top gap named with the interventions that fit it, strongest evidence
first, their ratings as given under the schemes' publication names, FTE and cost equal to numbers worked by hand
from the demo's inputs, the statement about ratings once; no library → one sentence and no annex; the annex's six
headed fields; the same in the Word document, which LibreOffice opens; `cyplan report` end to end."""

from __future__ import annotations

import csv
import datetime as dt
import html as html_text
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import docx
import polars as pl
import pytest

from cyplan import reference
from cyplan.model.evidence_ratings import RATINGS_STATEMENT
from cyplan.reports.paper import Heading, Paper, Paragraph, build_paper, render_docx, render_html
from cyplan.reports.paper.evidence import NO_LIBRARY, rating_words
from cyplan.reports.paper.practice_guides import TITLE_ONLY
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs
from shared_demo import MadeDemo, copy_demo
from test_paper_wording import _internal
from test_report_docx import flat, numbering, soffice

TODAY = dt.date(2026, 6, 1)
GAP = "post_16,targeted,transition_to_adult_services"  # the demo's first action: post-16 transition, planned
# the library's `source` cites an internal document, as the starter library's do: the paper must not quote it
SOURCE = "seed 003 section 2.1"
LIBRARY = {
    "interventions": [
        "intervention,name,description,owner,age_from,age_to,setting,delivery_model,level,outcomes,topic,"
        "cost_per_case,source",
        f"bridge,Bridge to adult services,A worker stays through the move,,16,25,community,individual,targeted,"
        f"transition,transitions,50,{SOURCE}",
        f"handover,Joint handover clinics,Both teams see the young person,,16,25,clinic,group,targeted,transition,"
        f"transitions,,{SOURCE}",
        f"peers,Peer mentors,Care leavers mentor,,16,25,community,individual,targeted,transition,mentoring,,{SOURCE}",
    ],
    "intervention_cells": ["intervention,band,level,provision,source", f"bridge,{GAP},{SOURCE}",
                           f"handover,{GAP},{SOURCE}", f"peers,{GAP},{SOURCE}"],
    "intervention_groups": ["intervention,group,source", f"peers,looked_after,{SOURCE}"],
    "intervention_delivery": [
        "intervention,role,hours_per_case,hours_per_session,sessions,group_size,source",
        f"bridge,mh_practitioner,6,,,,{SOURCE}",
        f"handover,mh_practitioner,,4,6,4,{SOURCE}",  # a group programme: 4 h × 6 sessions ÷ 4 = 6 h a case
        f"peers,wellbeing_practitioner,2,,,,{SOURCE}",
    ],
    "evidence_ratings": [
        "intervention,scheme,measure,rating,citation,url,retrieved,licence,source",
        f"bridge,foundations,evidence,3+,\"Foundations Guidebook, Bridge\",https://guidebook.foundations.org.uk/,"
        f"2026-11-30,Rating quoted as a fact,{SOURCE}",
        f"bridge,foundations,cost,2,\"Foundations Guidebook, Bridge\",,,,{SOURCE}",
        f"handover,eef,padlocks,2,EEF Teaching and Learning Toolkit,,,,{SOURCE}",
        f"handover,eef,months,+5,EEF Teaching and Learning Toolkit,,,,{SOURCE}",
    ],
    "practice_guides": [  # four topics, more than the annex takes whole: only those of the interventions shown
        "topic,title,what_works,why_how,who_for,barriers_enablers,perspectives,cost_benefit,citation,url,"
        "retrieved,source",
        f"transitions,Moving to adult services,Planning a year ahead,One known worker,Care leavers most,"
        f"Adult thresholds,Young people want one worker,,Foundations practice guide: transitions,,,{SOURCE}",
        f"mentoring,Mentoring,Matched mentors,Trust,Boys more,Training,Liked,,A mentoring review,,,{SOURCE}",
        f"parenting,Parenting programmes,Groups,Skills,All,Crèches,Liked,Saves,A parenting review,,,{SOURCE}",
        f"schools,Whole-school approaches,Whole school,Culture,All,Time,Liked,,A schools review,,,{SOURCE}",
    ],
}


def add_library(path: Path, tmp: Path) -> None:
    """The library above imported into the workspace at `path`, as `cyplan import` would."""
    tmp.mkdir(exist_ok=True)
    sources = []
    for kind, lines in LIBRARY.items():
        (tmp / f"{kind}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        sources.append(Source(kind, tmp / f"{kind}.csv"))
    ws = Workspace.open(path)
    try:
        import_inputs(ws, sources)
    finally:
        ws.close()


def paper_of(path: Path, draws: int = 0) -> Paper:
    ws = Workspace.open(path)
    try:
        return build_paper(ws, draws=draws, today=TODAY)
    finally:
        ws.close()


@pytest.fixture(scope="module")
def with_library(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("evidence")
    path = Path(shutil.copytree(_demo_template, root / "workspace"))
    add_library(path, root / "library")
    return path


@pytest.fixture(scope="module")
def paper(with_library: Path) -> Paper:
    """Central values (no draws): the figures are then exactly the hand-worked ones."""
    return paper_of(with_library)


def words_of(page: str) -> str:
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def text(paper: Paper, key: str) -> str:
    return " ".join(b.text for b in paper.section(key).blocks if isinstance(b, Paragraph | Heading))


# -- by hand, from the demo's inputs --------------------------------------------------------------------------

def population(ages: range) -> int:
    """Exampleshire's children and young people of these ages in 2025 (population.csv), by hand."""
    with (reference.DEMO / "population.csv").open(encoding="utf-8") as f:
        return sum(int(r["count"]) for r in csv.DictReader(f) if r["year"] == "2025" and int(r["age"]) in ages)


# prevalence.csv: from age 5 the targeted rows' total of 1 in 6 (0.1667) takes in the tertiary level (net_of), so
# the cases of need at every level together are population × 0.1667
NEED = 0.1667
# roles.csv: (52 weeks × 5 days − 29 leave − 8 holidays − 11 sickness − 5 training) × 37.5 h ÷ 5 days × direct share
DAYS = 52 * 5 - 29 - 8 - 11 - 5
PRODUCTIVE = {"mh_practitioner": DAYS * 37.5 / 5 * 0.6, "family_support_worker": DAYS * 37.5 / 5 * 0.65}
# salary × 1.35 on-costs × 1.12 non-pay × 1.2 overheads
COST = {"mh_practitioner": 42000 * 1.35 * 1.12 * 1.2, "family_support_worker": 27500 * 1.35 * 1.12 * 1.2,
        "team_leader": 58000 * 1.35 * 1.12 * 1.2, "administrator": 25500 * 1.35 * 1.12 * 1.2}


def hand_worked(people: float, role: str, hours_per_case: float, other_per_case: float) -> str:
    """What the paper should say: the role's FTE, team leaders (1 per 8 clinical FTE, role_ratios.csv) and
    administrators (1 per 5), and the cost a year, in the sentence's words."""
    fte = people * hours_per_case / PRODUCTIVE[role]
    leaders, admin = fte / 8, fte / 5
    cost = (fte * COST[role] + leaders * COST["team_leader"] + admin * COST["administrator"]
            + people * other_per_case)
    label = {"mh_practitioner": "mental health practitioners", "family_support_worker": "family support workers"}
    return (f"{fte:,.1f} more {label[role]}, {admin:,.1f} more administrators and {leaders:,.1f} more team leaders "
            f"(clinical lead and supervisor), £{cost / 1e6:,.1f}m a year")


# -- ratings in words ------------------------------------------------------------------------------------------

def test_ratings_are_printed_as_given_under_the_publications_names_scheme_by_scheme() -> None:
    """Catches a rating rewritten or mapped (3+ shown as 'moderate'), the schemes' short names, measures that do
    not say what they measure (a bare '4' for padlocks), schemes out of the fixed order, a citation repeated, and
    NE without what it means."""
    rows = [("a", "eef", "months", "5", "EEF Teaching and Learning Toolkit"),
            ("a", "eef", "padlocks", "4", "EEF Teaching and Learning Toolkit"),
            ("a", "foundations", "cost", "2", "Foundations Guidebook"),
            ("a", "foundations", "evidence", "3+", "Foundations Guidebook"),
            ("b", "local", "evidence", "promising", "Jones et al. (2021)"),
            ("b", "yef", "impact", "13%", ""), ("b", "yef", "evidence", "4", ""), ("b", "yef", "cost", "££", ""),
            ("c", "foundations", "evidence", "NE", "Foundations Guidebook"),
            ("d", "foundations", "cost", "1", ""), ("d", "eef", "months", "−2", ""), ("d", "eef", "padlocks", "1", "")]
    frame = pl.DataFrame(rows, schema=["intervention", "scheme", "measure", "rating", "citation"], orient="row")
    assert rating_words(frame) == {
        "a": "Foundations Guidebook 3+, cost rating 2; EEF Toolkit: 4 padlocks, +5 months (Foundations Guidebook; "
             "EEF Teaching and Learning Toolkit)",  # the citations in the ratings' order
        "b": "YEF Toolkit: evidence quality 4, impact 13%, cost rating ££; Local evaluation: promising "
             "(Jones et al. (2021))",
        "c": "Foundations Guidebook NE (a rigorous evaluation found no benefit) (Foundations Guidebook)",
        "d": "Foundations Guidebook: cost rating 1; EEF Toolkit: 1 padlock, -2 months",
    }


# -- the section ----------------------------------------------------------------------------------------------

def test_the_top_gap_is_named_with_its_interventions_strongest_first_and_ratings_as_given(paper: Paper) -> None:
    """Catches another gap than the recommendations' first, an order that is not strongest evidence first (the
    Foundations 3+ before the EEF-rated and the unrated), ratings rewritten or under the schemes' short names, and
    citations left out."""
    words = text(paper, "evidence")
    first = paper.section("recommendations").blocks[0].items[1]  # type: ignore[union-attr]
    assert "A smooth transition to adult services where necessary" in "".join(str(r) for r in first)
    assert "The gap ‘Post-16 (16 to 25): A smooth transition to adult services where necessary’ (planned, 0% of " \
           "the area covered): three interventions in the library fit it, strongest evidence first:" in words
    bridge, handover, peers = (words.index(n) for n in ("Bridge to adult services:", "Joint handover clinics:",
                                                         "Peer mentors:"))
    assert bridge < handover < peers
    assert "Bridge to adult services: Foundations Guidebook 3+, cost rating 2 (Foundations Guidebook, Bridge)." in words
    assert "Joint handover clinics: EEF Toolkit: 2 padlocks, +5 months (EEF Teaching and Learning Toolkit)." in words
    assert "Peer mentors: not rated by any scheme in the library." in words


def test_fte_and_cost_are_the_hand_worked_numbers(paper: Paper) -> None:
    """Catches people, FTE or cost off the need model's cases, the roles' productive hours, the ratios, a group
    programme's hours per case or the cost per case (the two interventions differ only by £50 a case)."""
    words = text(paper, "evidence")
    people = population(range(16, 26)) * NEED * (1 - 0.0)  # the transition gap: planned, none of the area covered
    for name, other in (("Bridge to adult services", 50.0), ("Joint handover clinics", 0.0)):
        assert f"closed with {name}: {hand_worked(people, 'mh_practitioner', 6.0, other)}" in words
    assert "90% interval" not in words  # central values only: no interval of one figure twice


def test_with_draws_each_figure_has_its_90_percent_interval(with_library: Path) -> None:
    """Catches the interval dropped from a paper that has draws."""
    words = text(paper_of(with_library, draws=20), "evidence")
    assert words.count("(90% interval ") == 3


def test_the_statement_about_ratings_appears_once_in_the_paper(paper: Paper) -> None:
    """Catches the statement missing, or repeated under every gap."""
    assert words_of(render_html(paper)).count(RATINGS_STATEMENT) == 1
    assert RATINGS_STATEMENT in text(paper, "evidence")


def test_the_evidence_note_counts_the_inputs_and_quotes_no_internal_reference(paper: Paper) -> None:
    """Catches the library's `source` values (which cite seed numbers) quoted in the notes, and a note without
    the model step, the roles' note or the inputs."""
    assert _internal(words_of(render_html(paper))) == []
    note = next(n.text for n in paper.footnotes if n.text.startswith("Evidence library"))
    assert "interventions (3 rows); intervention cells (3 rows); intervention groups (1 row); intervention " \
           "delivery (3 rows); evidence ratings (4 rows)" in note
    assert "Central values only" in note and SOURCE not in note


def test_the_sections_paragraphs_are_numbered_on_from_the_services(paper: Paper) -> None:
    """Catches the section left out of the body's numbering, or put anywhere but after the services."""
    keys = [s.key for s in paper.sections]
    assert keys.index("evidence") == keys.index("services") + 1 and paper.section("evidence").numbered
    page = render_html(paper)
    before = page[:page.index('id="evidence"')].count('class="para numbered"')
    first = page[page.index('id="evidence"'):].split('class="para-number">', 1)[1]
    assert first.startswith(f"{before + 1}.")


# -- the demo as `cyplan demo` makes it, with the starter library -------------------------------------------------

@pytest.fixture(scope="module")
def demo_paper(_cyplan_demo: MadeDemo, tmp_path_factory: pytest.TempPathFactory) -> Paper:
    """`cyplan demo`, as a user runs it: Exampleshire with the starter evidence library and its delivery hours (made
    once for the files that use it, tests/shared_demo.py, and copied here)."""
    return paper_of(copy_demo(_cyplan_demo, tmp_path_factory.mktemp("cyplan-demo") / "exampleshire"))


def test_the_demos_top_gap_is_named_and_its_parenting_gap_costed_by_hand(demo_paper: Paper) -> None:
    """Catches the starter library's interventions fitted to the wrong gap, a rating invented where the seeds give
    none, and FTE or cost off the hand-worked: the school-age parenting gap (the parenting service runs in South,
    25% of the area, and West, 20%) closed with the parenting programmes of the demo's delivery hours (a family
    support worker 3 hours a session × 12 sessions ÷ 8 families a group = 4.5 hours a family)."""
    words = text(demo_paper, "evidence")
    named = re.search(r"starting with (.*?)\[", demo_paper.section("recommendations").blocks[0].text)
    assert named is not None
    leads = re.findall(r"The gap ‘[^:]+: (.*?)’", words)  # the same gaps as the recommendations, in their order
    assert named.group(1) == f"{leads[0]}, {leads[1]} and {leads[2]}" and len(leads) == 3
    assert "The gap ‘Post-16 (16 to 25): A smooth transition to adult services where necessary’ (planned, 0% of " \
           "the area covered): no intervention in the library fits it." in words
    assert "(in place, part of area, 45% of the area covered): one intervention in the library fits it:" in words
    assert "Parenting support programmes: not rated by any scheme in the library." in words
    people = population(range(5, 16)) * NEED * (1 - (0.25 + 0.2))
    said = hand_worked(people, "family_support_worker", 3 * 12 / 8, 0.0)
    assert f"The school age parenting support gap, closed with Parenting support programmes: {said}" in words


def test_the_demo_paper_has_the_statement_once_the_starter_topics_and_no_seed_numbers(demo_paper: Paper) -> None:
    """Catches the statement repeated or missing, the starter library's seed citations quoted, and a topic of
    the starter's three left out of the annex (or given six empty headings)."""
    words = words_of(render_html(demo_paper))
    assert words.count(RATINGS_STATEMENT) == 1
    assert _internal(words) == []
    annex = demo_paper.section("practice_guides")
    topics = [b.text for b in annex.blocks if isinstance(b, Heading)]
    assert topics == ["Mentoring and befriending for children who are care experienced or at risk",
                      "Parenting interventions for children up to the age of 12",
                      "Support for kinship carers and the children they care for"]  # no field headings: none given
    assert sum(isinstance(b, Paragraph) and b.text == TITLE_ONLY for b in annex.blocks) == 3
    assert "as described to the LGA Children & Young People Board, 23 January 2024." in text(demo_paper,
                                                                                          "practice_guides")


# -- no library --------------------------------------------------------------------------------------------------

def test_without_a_library_the_section_says_so_in_one_sentence_and_there_is_no_annex(demo_workspace: Path) -> None:
    """Catches a paper that stops, a 'Not available' box (the library is optional, as scenarios are), or an
    empty annex."""
    paper = paper_of(demo_workspace)
    section = paper.section("evidence")
    assert section.missing is None
    assert [b.text for b in section.blocks] == [NO_LIBRARY]
    assert NO_LIBRARY.count(". ") == 0 and NO_LIBRARY.endswith(".")
    assert "practice_guides" not in [s.key for s in paper.sections]


# -- the annex ------------------------------------------------------------------------------------------------

def test_the_annex_has_the_shown_interventions_topics_with_six_headed_fields_and_the_citation(paper: Paper) -> None:
    """Catches every topic of a long library in the annex (only those of the interventions shown belong), a field
    left out or under another heading, a blank field left blank, and the citation missing."""
    annex = paper.section("practice_guides")
    assert (annex.title, annex.numbered, annex.key) == ("Annex: practice guides", False, "practice_guides")
    assert paper.sections[-1] is annex
    topics = [b.text for b in annex.blocks if isinstance(b, Heading) and b.level == 3]
    assert topics == ["Moving to adult services", "Mentoring"]  # bridge and handover's, then the peer mentors'
    blocks = annex.blocks
    start = next(i for i, b in enumerate(blocks) if isinstance(b, Heading) and b.text == "Moving to adult services")
    pairs = [(blocks[i].text, blocks[i + 1].text) for i in range(start + 1, start + 13, 2)]  # type: ignore[union-attr]
    assert pairs == [("What works", "Planning a year ahead"), ("Why and how it works", "One known worker"),
                     ("Who it works for, and differences between groups", "Care leavers most"),
                     ("Barriers and enablers of putting it in place", "Adult thresholds"),
                     ("What children, young people and families say", "Young people want one worker"),
                     ("Costs and benefits", "Not recorded in the library.")]
    assert blocks[start + 13].text == "Source: Foundations practice guide: transitions."  # type: ignore[union-attr]
    assert '<section class="section-practice_guides annex"' in render_html(paper)


def test_a_library_of_few_topics_has_them_all_in_the_annex(demo_workspace: Path, tmp_path: Path) -> None:
    """Catches a short library's topic left out because no intervention shown names it."""
    guides = LIBRARY["practice_guides"]
    LIBRARY["practice_guides"] = guides[:3]
    try:
        add_library(demo_workspace, tmp_path / "library")
    finally:
        LIBRARY["practice_guides"] = guides
    annex = paper_of(demo_workspace).section("practice_guides")
    assert [b.text for b in annex.blocks if isinstance(b, Heading) and b.level == 3] == \
        ["Mentoring", "Moving to adult services"]  # by title
    assert "every topic in the area's evidence library" in annex.blocks[0].text  # type: ignore[union-attr]


# -- in Word ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def content(paper: Paper) -> bytes:
    return render_docx(paper)


def test_the_word_paper_has_the_section_numbered_on_and_the_annex_on_a_page_of_its_own(paper: Paper,
                                                                                          content: bytes) -> None:
    """Catches the section or annex missing from the DOCX, the section's paragraphs outside the body's one list,
    the annex's numbered into it, and the topics and fields not Word headings."""
    doc = docx.Document(io.BytesIO(content))
    styled = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    h1 = [t for s, t in styled if s == "Heading 1"]
    assert h1.index("What the evidence says") == h1.index("Services: the rating and the gaps") + 1
    assert h1[-2:] == ["Annex: practice guides", "Notes: where each figure comes from"]
    assert ("Heading 2", "Moving to adult services") in styled and ("Heading 3", "What works") in styled
    annex = next(p for p in doc.paragraphs if p.text == "Annex: practice guides")
    assert annex.paragraph_format.page_break_before
    texts = [p.text for p in doc.paragraphs]
    services, evidence = (doc.paragraphs[texts.index(flat(paper.section(k).blocks[0].runs))]  # type: ignore[union-attr]
                          for k in ("services", "evidence"))
    assert numbering(doc, evidence) == numbering(doc, services) is not None  # the body's one list, level 0
    source = doc.paragraphs[texts.index("Source: Foundations practice guide: transitions.")]
    assert numbering(doc, source) is None


def test_libreoffice_opens_the_word_paper_with_the_section_and_annex(content: bytes, tmp_path: Path) -> None:
    """Catches a DOCX that python-docx writes but LibreOffice cannot open or lays out without the new parts."""
    (tmp_path / "paper.docx").write_bytes(content)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "paper.docx")], check=True, capture_output=True,
                   timeout=180)
    page = re.sub(r"\s+", " ", subprocess.run(["pdftotext", str(tmp_path / "paper.pdf"), "-"], capture_output=True,
                                              check=True, text=True).stdout)
    for words in ("What the evidence says", "Foundations Guidebook 3+", "Annex: practice guides",
                  "Who it works for, and differences between groups", RATINGS_STATEMENT[:60]):
        assert words in page


# -- end to end ---------------------------------------------------------------------------------------------------

def test_cyplan_report_prints_the_evidence_after_cyplan_import(demo_workspace: Path, tmp_path: Path,
                                                               run_cli: Callable[..., tuple[int, str, str]],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the section built in the library but not reached by `cyplan import` then `cyplan report`."""
    for kind in ("practice_guides", *(k for k in LIBRARY if k != "practice_guides")):  # topics before their use
        (tmp_path / f"{kind}.csv").write_text("\n".join(LIBRARY[kind]) + "\n", encoding="utf-8")
        code, _, err = run_cli(["import", kind, tmp_path / f"{kind}.csv", "-w", demo_workspace])
        assert code == 0, err
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["report", "-w", demo_workspace, "--draws", "0", "--out", "paper.html"])
    assert code == 0, err
    words = words_of((tmp_path / "paper.html").read_text(encoding="utf-8"))
    said = hand_worked(population(range(16, 26)) * NEED, "mh_practitioner", 6.0, 50.0)
    assert f"closed with Bridge to adult services: {said}" in words
    assert "Annex: practice guides" in words
