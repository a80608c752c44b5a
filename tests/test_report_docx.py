"""The board paper as a Word document (issue 18, part 7): read back by python-docx it has the paper's headings,
numbered paragraphs, lettered points, tables, charts and notes, the same as the HTML; LibreOffice opens it and
turns it into a PDF holding the title and the headline figures; `cyplan report --format docx` and the web app's
download write it; a bad or contradictory format is refused with the workspace untouched. Few draws, to be quick."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import io
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import nsmap, qn
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from conftest import folder_bytes
from cyplan import results
from cyplan.reports.paper import Paper, Paragraph, Ref, Table, build_paper, render_docx, render_html
from cyplan.store.workspace import Workspace
from cyplan.web import app as web_app
from cyplan.web.routes import overview
from cyplan.web.routes import report as web_report
from test_web_report_background import made_file

DRAWS = 50
TODAY = dt.date(2026, 6, 1)
HEADINGS = ("Purpose of report", "Summary", "Recommendations", "Contact details", "Background", "Need",
            "Services: the rating and the gaps", "What the evidence says", "Workforce: the gap and the options",
            "Which inputs drive the gap",
            "Who services reach", "Financial implications", "Equalities implications", "Next steps",
            "Notes: where each figure comes from")
# the module, not its function of the same name that the package exports
docx_module = importlib.import_module("cyplan.reports.paper.render_docx")
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def paper(_demo_paper: Paper) -> Paper:
    """The demo paper with its referral returns, so that every section, table and chart is there: DRAWS draws dated
    TODAY, built once for the files that read it (tests/shared_demo.py; read only)."""
    assert (_demo_paper.draws, _demo_paper.made) == (DRAWS, TODAY)
    return _demo_paper


@pytest.fixture(scope="module")
def content(paper: Paper) -> bytes:
    return render_docx(paper)


@pytest.fixture(scope="module")
def doc(content: bytes) -> Document:
    return docx.Document(io.BytesIO(content))


@pytest.fixture(scope="module")
def html(paper: Paper) -> str:
    return render_html(paper)


def flat(runs: Sequence[str | Ref]) -> str:
    """Running text as Word shows it: a note marker is its number, in superscript."""
    return "".join(r if isinstance(r, str) else str(r.number) for r in runs)


def numbering(doc: Document, paragraph: docx.text.paragraph.Paragraph) -> tuple[int, int] | None:
    """(list id, level) of a paragraph in a Word list, or None."""
    num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    if num_pr is None:
        return None
    return int(num_pr.numId.val), int(num_pr.ilvl.val)


def level_format(doc: Document, num_id: int, level: int) -> tuple[str, str, int | None]:
    """(number format, text, start override) of a list's level, looked up through its abstract definition."""
    numbering_xml = doc.part.numbering_part.element
    num = numbering_xml.num_having_numId(num_id)
    abstract = numbering_xml.xpath(f'./w:abstractNum[@w:abstractNumId="{num.abstractNumId.val}"]')[0]
    lvl = abstract.xpath(f'./w:lvl[@w:ilvl="{level}"]', namespaces=nsmap)[0]
    start = num.xpath(f'./w:lvlOverride[@w:ilvl="{level}"]/w:startOverride/@w:val')
    return (lvl.find(qn("w:numFmt")).get(qn("w:val")), lvl.find(qn("w:lvlText")).get(qn("w:val")),
            int(start[0]) if start else None)


# -- read back by python-docx -------------------------------------------------------------------------------

def test_the_headings_are_the_papers_in_order_under_its_title(paper: Paper, doc: Document) -> None:
    """Catches a section left out or moved, or the notes' heading missing."""
    assert [p.text for p in doc.paragraphs if p.style.name == "Title"] == [paper.title]
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == list(HEADINGS)
    assert doc.core_properties.title == paper.title
    assert "Meeting\tExampleshire Health and Wellbeing Board" in "\n".join(p.text for p in doc.paragraphs)


def test_the_numbered_paragraphs_are_the_htmls_one_list_1_2_3_through_the_body(paper: Paper, doc: Document,
                                                                                 html: str) -> None:
    """Catches paragraphs unnumbered, numbered on the cover, numbering restarting in each section (a list per
    section), or words that differ from the paper's (a second copy of the text)."""
    body = [(p, n) for p in doc.paragraphs if (n := numbering(doc, p)) and n[1] == 0
            and level_format(doc, n[0], 0)[0] == "decimal"]
    assert len(body) == html.count('class="para numbered"') >= 20
    assert {n for _, n in body} == {body[0][1]}  # one list: the numbers run on through the sections
    assert level_format(doc, body[0][1][0], 0) == ("decimal", "%1.", None)
    expected = [flat(b.runs) for s in paper.sections if s.numbered for b in s.blocks if isinstance(b, Paragraph)]
    assert [p.text for p, _ in body] == expected


def test_lettered_points_start_at_a_under_each_paragraph(paper: Paper, doc: Document) -> None:
    """Catches the recommendations' points a), b), … run on from another list, or numbered 1, 2, …"""
    recommendation = next(b for b in paper.section("recommendations").blocks if isinstance(b, Paragraph))
    assert len(recommendation.items) >= 3
    texts = [p.text for p in doc.paragraphs]
    first = texts.index(flat(recommendation.items[0]))
    points = doc.paragraphs[first:first + len(recommendation.items)]
    assert [p.text for p in points] == [flat(i) for i in recommendation.items]
    ids = {numbering(doc, p) for p in points}
    assert len(ids) == 1
    num_id, level = ids.pop()  # type: ignore[misc]
    assert level_format(doc, num_id, level) == ("lowerLetter", "%1)", 1)
    assert all(r.bold for p in points for r in p.runs)  # as the HTML's points


def test_every_table_has_the_papers_columns_and_cells(paper: Paper, doc: Document) -> None:
    """Catches a table missing, a cell in the wrong column, an interval's second line lost, or figures not
    right-aligned."""
    assert len(doc.tables) == len(paper.tables) >= 8
    for table, block in zip(doc.tables, paper.tables, strict=True):
        rows = [[c.text for c in row.cells] for row in table.rows]
        assert rows == [list(block.columns), *[[str(v) for v in r] for r in block.rows]]
        j = block.numeric.index(True, 1)
        assert table.rows[1].cells[j].paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT
        widths = [int(c.w) for c in table._tbl.tblGrid.gridCol_lst]
        assert sum(widths) <= docx_module.TEXT_WIDTH and min(widths) > 0
    assert any("\n" in c for b in paper.tables for r in b.rows for c in r)  # intervals were there to lose


def test_every_chart_is_an_image_with_its_description_and_caption(paper: Paper, doc: Document) -> None:
    """Catches a chart missing or left as SVG (which older Word shows as a blank box), or its alt text lost."""
    shapes = doc.inline_shapes
    assert len(shapes) == len(paper.figures) >= 6
    for shape, figure in zip(shapes, paper.figures, strict=True):
        doc_pr = shape._inline.docPr
        assert doc_pr.get("descr") == figure.description
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        assert doc.part.related_parts[blip].content_type == "image/png"
        assert 0 < shape.width <= docx_module.TEXT_WIDTH
    captions = [p.text for p in doc.paragraphs if p.text.startswith("Figure ")]
    assert captions == [f"Figure {f.number}: {f.title}" + "".join(map(str, f.notes)) for f in paper.figures]


def test_notes_are_at_the_end_and_every_marker_links_to_its_note(paper: Paper, doc: Document) -> None:
    """Catches a note missing, numbered differently from the HTML, or a marker that links nowhere."""
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("Notes: where each figure comes from")
    assert texts[start + 1:start + 1 + len(paper.footnotes)] == [f"{n.number}.\t{n.text}" for n in paper.footnotes]
    body = doc.element.body
    bookmarks = set(body.xpath(".//w:bookmarkStart/@w:name"))
    anchors = body.xpath(".//w:hyperlink/@w:anchor")
    assert bookmarks == {f"note_{n.number}" for n in paper.footnotes}
    assert set(anchors) == bookmarks  # every note is used and every marker has its note
    markers = body.xpath(".//w:hyperlink/w:r")
    assert markers and all(r.xpath("./w:rPr/w:vertAlign/@w:val") == ["superscript"] for r in markers)


def test_pages_are_a4_and_numbered_page_n_of_m(doc: Document) -> None:
    """Catches a US Letter page or a footer without page numbers."""
    page = doc.sections[0]
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)
    footer = page.footer.paragraphs[0]._p
    assert footer.xpath("./w:fldSimple/@w:instr") == ["PAGE", "NUMPAGES"]


def test_a_paper_with_parts_missing_says_so_and_demo_data_are_flagged(tmp_path: Path, paper: Paper) -> None:
    """Catches the Word paper failing, or dropping the 'Not available' box, where the HTML shows one (an empty
    workspace: no area, no figures, no tables), and the demo banner left out of a demo paper."""
    ws = Workspace.create(tmp_path / "ws")
    try:
        empty = build_paper(ws, draws=0, today=TODAY)
    finally:
        ws.close()
    read = docx.Document(io.BytesIO(render_docx(empty)))
    texts = [p.text for p in read.paragraphs]
    missing = [s for s in empty.sections if s.missing]
    assert missing and sum(t.startswith("Not available. ") for t in texts) == len(missing)
    assert f"Not available. {missing[0].missing}" in texts
    demo = docx.Document(io.BytesIO(render_docx(dataclasses.replace(paper, demo=True))))
    assert demo.paragraphs[0].text == "Demonstration data: not figures for any real place"


@given(st.lists(st.tuples(st.text(" abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
                          st.lists(st.text("0123456789,.± ()–\n", max_size=60), min_size=1, max_size=1)),
                min_size=1, max_size=9),
       st.integers(0, 6))
def test_column_widths_fill_the_text_width_and_give_each_column_room(columns: list[tuple[str, list[str]]],
                                                                      rows: int) -> None:
    """Catches widths that overflow the page, a column given nothing, or a short column squeezed while there is
    room for it: each column gets at least its longest line (or heading word) when all of them fit."""
    names = tuple(name for name, _ in columns)
    block = Table("t", names, (False,) * len(names), tuple(tuple(v[0] for _, v in columns) for _ in range(rows)),
                  (1,))
    widths = docx_module._widths(block)
    assert len(widths) == len(names) and min(widths) > 0
    assert docx_module.TEXT_WIDTH - len(widths) * docx_module.TWIP <= sum(widths) <= docx_module.TEXT_WIDTH
    chars = [min(40, max([len(w) for w in n.split()] + [len(line) for r in block.rows for line in r[j].split("\n")],
                         default=0)) for j, n in enumerate(names)]
    natural = [docx_module.CHAR * n + docx_module.CELL_PADDING for n in chars]
    if sum(natural) <= docx_module.TEXT_WIDTH:
        assert all(w > n - docx_module.TWIP for w, n in zip(widths, natural, strict=True))


# -- opened by LibreOffice ----------------------------------------------------------------------------------

@functools.cache
def soffice() -> str:
    found = shutil.which("libreoffice") or shutil.which("soffice")
    assert found, "LibreOffice is needed to show the Word paper opens: run scripts/system_deps.sh --test"
    return found


def test_libreoffice_opens_it_and_prints_the_title_figures_and_page_numbers(paper: Paper, content: bytes,
                                                                              tmp_path: Path) -> None:
    """Catches a file Word-like programs cannot open (python-docx reads things Word refuses, and back), and
    numbering that shows wrong once laid out: the last body paragraph must print as the HTML numbers it."""
    (tmp_path / "paper.docx").write_bytes(content)
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: no clash with a LibreOffice already running
    subprocess.run([soffice(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "paper.docx")], check=True, capture_output=True,
                   timeout=180)
    text = subprocess.run(["pdftotext", str(tmp_path / "paper.pdf"), "-"], capture_output=True, check=True,
                          text=True).stdout
    page = re.sub(r"\s+", " ", text)
    assert paper.title in page
    need_total = next(b for b in paper.section("need").blocks if isinstance(b, Table)).rows[-1][1]
    assert f"estimated {need_total} cases of need" in page  # the headline figure, in the summary's words
    assert "Figure 1: Need by year" in page and "Page 1 of " in page
    numbered = [b for s in paper.sections if s.numbered for b in s.blocks if isinstance(b, Paragraph)]
    last = flat(numbered[-1].runs)
    assert f"{len(numbered)}. {' '.join(last.split()[:4])}" in page


# -- the command and the web app --------------------------------------------------------------------------

def test_cyplan_report_format_docx_writes_the_paper(demo_workspace: Path, tmp_path: Path,
                                                    run_cli: Callable[..., tuple[int, str, str]],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches --format docx not offered, the default name without .docx, or a .docx that is HTML inside; and
    --out paper.docx alone writing HTML into a file named .docx."""
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["report", "-w", demo_workspace, "--format", "docx", "--draws", "0"])
    assert code == 0, err
    assert "Wrote the board paper for Exampleshire to board-paper-E10999999.docx" in err
    written = docx.Document(str(tmp_path / "board-paper-E10999999.docx"))
    assert [p.text for p in written.paragraphs if p.style.name == "Heading 1"][:3] == list(HEADINGS[:3])
    code, _, err = run_cli(["report", "-w", demo_workspace, "--out", tmp_path / "paper.DOCX", "--draws", "0"])
    assert code == 0, err
    assert docx.Document(str(tmp_path / "paper.DOCX")).core_properties.title.startswith("Children and young")


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "doc"], "Invalid value for '--format'"),
    (["--format", "pdf", "--out", "paper.docx"],
     "--out paper.docx ends in .docx but --format is pdf: a PDF named .docx would not open. Give --format docx, "
     "or an --out ending in .pdf."),
    (["--out", "paper.doc"], "--out paper.doc: cyplan writes the paper as .html, .pdf or .docx, not .doc"),
])
def test_a_bad_format_is_refused_and_nothing_is_touched(args: list[str], message: str, demo_workspace: Path,
                                                        tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a traceback, a wrong exit code, a paper written anyway, or a workspace changed."""
    monkeypatch.chdir(tmp_path)
    before, files = folder_bytes(demo_workspace), set(tmp_path.iterdir())
    code, _, err = run_cli(["report", "-w", demo_workspace, *args, "--draws", "0"])
    assert code == 2
    assert message in re.sub(r"[\s│╭╮╰╯─]+", " ", err)
    if "doc" in args:
        assert "'html', 'pdf', 'docx'" in err
    assert folder_bytes(demo_workspace) == before and set(tmp_path.iterdir()) == files


@pytest.fixture
def web(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    # the pages' 1,000 draws are not what is tested here: few, to be quick
    quick = functools.partial(build_paper, draws=0, today=TODAY)
    monkeypatch.setattr(web_report, "build_paper", lambda ws, code: quick(ws, code))
    monkeypatch.setattr(overview, "simulation", lambda st, scenario=results.BASELINE: st.cached(
        ("simulation", scenario), lambda: results.simulation(st.frames(), scenario, draws=20)))
    app = web_app.create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as client:
        yield client
    app.state.workspace.close()


def test_the_overview_offers_the_paper_in_word_and_it_downloads(web: TestClient) -> None:
    """Catches the Word button missing, or a download with the PDF's type or name, or one Word cannot read."""
    page = web.get("/").text
    assert 'name="format" value="docx"' in page and "Download the board paper (Word)" in page
    response = made_file(web, "docx")  # made in the background, then downloaded (test_web_report_background.py)
    assert response.headers["content-type"] == WORD
    assert response.headers["content-disposition"] == 'attachment; filename="board-paper-E10999999.docx"'
    read = docx.Document(io.BytesIO(response.content))
    assert [p.text for p in read.paragraphs if p.style.name == "Heading 1"] == list(HEADINGS)
    assert made_file(web, "pdf").headers["content-type"] == "application/pdf"
