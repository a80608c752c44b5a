"""The paper as a Word document (DOCX) for committee services, who lay papers out in Word: built from the same
`Paper` as the HTML and PDF, so the words are written once (docs/decisions/0010-board-paper-docx.md).

What the PDF has, in Word's own terms: the title and meeting details, a heading per section, the body's
paragraphs numbered 1, 2, … by Word's list numbering (so they renumber when the committee team edits), lettered
points a), b), … under them, tables with a repeated header row, the charts as PNG images with their text
description as alt text, note markers linked to the notes at the end, and "Page N of M" in the footer.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from collections.abc import Sequence

import docx
import vl_convert as vlc
from docx.document import Document
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph

from cyplan.reports.paper.document import Figure, Heading, Paper, Paragraph, Ref, Section, Table
from cyplan.reports.paper.render import _version
from cyplan.reports.paper.words import long_date

FONT = "Arial"
GREY = RGBColor(0x50, 0x5A, 0x5F)  # the HTML's secondary text colour
TEXT_WIDTH = Mm(210 - 18 - 18)  # A4 less the PDF's side margins
CHART_SCALE = 2  # PNG pixels per chart pixel: sharp in print
CHAR, CELL_PADDING = Mm(2.3), Mm(5)  # a bold character at 9.5 pt (room for wider fonts than Arial), cell margins
TEXT_FLOOR = 10  # characters: a column of text gives way down to this before the figures do
TWIP = 635  # EMU
INDENT = 567  # twips (1 cm): the hanging indent of numbered paragraphs and of lettered points
DEMO_BANNER = "Demonstration data: not figures for any real place"  # as the HTML's masthead
NOTES_TITLE = "Notes: where each figure comes from"


def render_docx(paper: Paper) -> bytes:
    """The paper as a DOCX file's bytes."""
    doc = docx.Document()
    _set_up(doc, paper)
    lists = _Lists(doc)
    _masthead(doc, paper)
    for section in paper.sections:
        _section(doc, section, lists)
    _notes(doc, paper)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- the page, the styles and the list numbering -----------------------------------------------------------

def _set_up(doc: Document, paper: Paper) -> None:
    """A4 with the PDF's margins, Arial as in the HTML, British English for the spelling checker, page
    numbers in the footer, and the document's title and date in its properties."""
    page = doc.sections[0]
    page.page_width, page.page_height = Mm(210), Mm(297)
    page.top_margin, page.bottom_margin, page.left_margin, page.right_margin = Mm(20), Mm(22), Mm(18), Mm(18)
    page.start_type = WD_SECTION_START.NEW_PAGE
    for name, size in (("Normal", 11), ("Title", 20), ("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 11)):
        style = doc.styles[name]
        style.font.name, style.font.size = FONT, Pt(size)
        style.font.color.rgb = RGBColor(0x0B, 0x0C, 0x0C)
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):  # the themes' fonts would win otherwise
            fonts.set(qn(attr), FONT)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-GB")
    doc.styles["Normal"].element.get_or_add_rPr().append(lang)
    doc.styles["Normal"].paragraph_format.space_after = Pt(6)
    footer = page.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for part in ("Page ", "PAGE", " of ", "NUMPAGES"):
        if part.isupper():
            footer._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="{part}"><w:r><w:t>1</w:t></w:r>'
                                       f'</w:fldSimple>'))
        else:
            footer.add_run(part)
    footer.style.font.size = Pt(9)  # the style's, so that the fields' numbers are the same size as the words
    props = doc.core_properties
    props.title, props.author, props.language = paper.title, f"cyplan {_version()}", "en-GB"
    props.created = props.modified = dt.datetime.combine(paper.made, dt.time())
    props.comments = f"Board paper for {paper.area_name}" + (f" ({paper.area})" if paper.area else "")


class _Lists:
    """Word list numbering: the body's paragraphs 1, 2, … with their points a), b), … (one list, so the
    numbers run on through the sections as in the PDF, and the letters start again under each paragraph), and
    a list of its own for each cover paragraph's points, starting at a)."""

    def __init__(self, doc: Document) -> None:
        self.numbering = doc.part.numbering_part.element
        ids = [int(i) for i in self.numbering.xpath("./w:abstractNum/@w:abstractNumId")]
        self.paras_abstract = self._abstract(max(ids, default=0) + 1, [("decimal", "%1.", 0), ("lowerLetter",
                                                                                               "%2)", INDENT)])
        self.points_abstract = self._abstract(max(ids, default=0) + 2, [("lowerLetter", "%1)", 0)])
        self.body = int(self.numbering.add_num(self.paras_abstract).numId)

    def _abstract(self, number: int, levels: Sequence[tuple[str, str, int]]) -> int:
        lvls = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
            f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{left + INDENT}" w:hanging="{INDENT}"/></w:pPr></w:lvl>'
            for i, (fmt, text, left) in enumerate(levels))
        element = parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{number}">'
                            f'<w:multiLevelType w:val="multilevel"/>{lvls}</w:abstractNum>')
        # the schema puts every abstractNum before the first num
        first_num = self.numbering.find(qn("w:num"))
        if first_num is None:
            self.numbering.append(element)
        else:
            first_num.addprevious(element)
        return number

    def points(self) -> int:
        """A new list of lettered points, starting at a)."""
        num = self.numbering.add_num(self.points_abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        return int(num.numId)


def _number(paragraph: DocxParagraph, num_id: int, level: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = level
    num_pr.get_or_add_numId().val = num_id


# -- the content --------------------------------------------------------------------------------------------

def _masthead(doc: Document, paper: Paper) -> None:
    if paper.demo:
        banner = doc.add_paragraph().add_run(DEMO_BANNER)
        banner.bold = True
    for label, value in paper.cover:
        _label_line(doc, label, value)
    doc.add_paragraph(paper.title, style="Title")


def _label_line(doc: Document, label: str, value: str) -> None:
    line = doc.add_paragraph()
    line.paragraph_format.space_after = Pt(0)
    line.paragraph_format.tab_stops.add_tab_stop(Mm(35))
    line.add_run(label).bold = True
    line.add_run(f"\t{value}")


def _section(doc: Document, section: Section, lists: _Lists) -> None:
    heading = doc.add_heading(section.title, level=1)
    heading.paragraph_format.page_break_before = section.annex or None  # as the PDF: an annex starts a page
    if section.missing:
        missing = doc.add_paragraph()
        missing.add_run("Not available. ").bold = True
        missing.add_run(section.missing)
    for label, value in section.pairs:
        _label_line(doc, f"{label}:", value)
    for block in section.blocks:
        if isinstance(block, Paragraph):
            _paragraph(doc, block, lists, section.numbered)
        elif isinstance(block, Table):
            _table(doc, block)
        elif isinstance(block, Heading):
            doc.add_heading(block.text, level=block.level - 1)  # the HTML's h3 and h4 under its h2: Word's 2 and 3
        else:
            _figure(doc, block)


def _paragraph(doc: Document, block: Paragraph, lists: _Lists, numbered: bool) -> None:
    para = doc.add_paragraph()
    _runs(para, block.runs)
    if numbered:
        _number(para, lists.body, 0)
    points = lists.body if numbered else lists.points()
    for item in block.items:
        point = doc.add_paragraph()
        _runs(point, item, bold=True)  # as the HTML's points
        _number(point, points, 1 if numbered else 0)


def _runs(para: DocxParagraph, runs: Sequence[str | Ref], bold: bool = False) -> None:
    for r in runs:
        if isinstance(r, Ref):
            _note_ref(para, r.number)
        else:
            para.add_run(r).bold = bold or None


def _note_ref(para: DocxParagraph, number: int) -> None:
    """A superscript note number that links to its note (a bookmark at the end)."""
    para._p.append(parse_xml(
        f'<w:hyperlink {nsdecls("w")} w:anchor="{_bookmark(number)}" w:history="1"><w:r><w:rPr>'
        f'<w:vertAlign w:val="superscript"/></w:rPr><w:t>{number}</w:t></w:r></w:hyperlink>'))


def _bookmark(number: int) -> str:
    return f"note_{number}"


def _notes_after(para: DocxParagraph, numbers: Sequence[int]) -> None:
    for n in numbers:
        _note_ref(para, n)


def _table(doc: Document, block: Table) -> None:
    caption = doc.add_paragraph()
    caption.paragraph_format.keep_with_next = True
    caption.add_run(block.caption).bold = True
    _notes_after(caption, block.notes)
    table = doc.add_table(rows=1 + len(block.rows), cols=len(block.columns), style="Table Grid")
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    for column, width in zip(table.columns, _widths(block), strict=True):
        column.width = width  # the grid's, which LibreOffice reads, and each cell's, which Word reads
        for cell in column.cells:
            cell.width = width
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeated on each page
    for cell, name, numeric in zip(header.cells, block.columns, block.numeric, strict=True):
        _cell(cell.paragraphs[0], name, numeric, bold=True)
    for i, row in enumerate(block.rows):
        total = block.total and i == len(block.rows) - 1
        cells = table.rows[i + 1].cells
        for j, (cell, value) in enumerate(zip(cells, row, strict=True)):
            _cell(cell.paragraphs[0], value, block.numeric[j] and j > 0, bold=total)
    doc.add_paragraph()  # space before what follows, as the HTML's table margin


def _widths(block: Table) -> list[int]:
    """Column widths that fill the text width: each column as wide as its longest line or heading word (at most
    40 characters); when that is too wide, the long text columns give way first (down to 10 characters), so that
    descriptions wrap and figures do not. Neither Word nor LibreOffice sizes a table's columns to their contents
    by itself when the file gives no widths (LibreOffice makes them equal)."""
    chars = [min(40, max([len(word) for word in name.split()]  # a heading wraps between its words
                         + [len(line) for row in block.rows for line in str(row[j]).split("\n")], default=0))
             for j, name in enumerate(block.columns)]
    widths = [float(CHAR * n + CELL_PADDING) for n in chars]
    give = [max(0.0, w - (CHAR * TEXT_FLOOR + CELL_PADDING)) for w in widths]  # what each text column can give
    excess = sum(widths) - TEXT_WIDTH
    if excess > 0 and sum(give):
        widths = [w - g * min(1.0, excess / sum(give)) for w, g in zip(widths, give, strict=True)]
    grow = [g > 0 for g in give] if any(give) and sum(widths) < TEXT_WIDTH else [True] * len(widths)
    spare = TEXT_WIDTH - sum(widths)  # shared by the text columns if there is room, else taken from all
    base = sum(w for w, g in zip(widths, grow, strict=True) if g)
    return [_twips(w + spare * w / base if g else w) for w, g in zip(widths, grow, strict=True)]


def _twips(width: float) -> int:
    """Down to a whole twip (635 EMU), the unit a DOCX stores widths in: rounding up could overflow the page."""
    return int(width) // TWIP * TWIP


def _cell(para: DocxParagraph, value: str, numeric: bool, bold: bool) -> None:
    """A cell's text at the table's smaller size; a second line (an interval) in grey, as in the HTML."""
    para.paragraph_format.space_after = Pt(0)
    if numeric:
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    first, *rest = str(value).split("\n")
    run = para.add_run(first)
    run.bold, run.font.size = bold or None, Pt(9.5)
    for line in rest:
        run.add_break()
        run = para.add_run(line)
        run.font.size, run.font.color.rgb = Pt(8.5), GREY


def _figure(doc: Document, figure: Figure) -> None:
    png = _png(figure)
    width = min(TEXT_WIDTH, int(Pt(0.75 * _png_width(png) / CHART_SCALE)))  # a CSS pixel is 0.75 pt
    holder = doc.add_paragraph()
    holder.paragraph_format.keep_with_next = True
    shape = holder.add_run().add_picture(io.BytesIO(png), width=width)
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", figure.description)  # the alt text a screen reader reads, as the HTML's aria-label
    doc_pr.set("title", f"Figure {figure.number}: {figure.title}")
    caption = doc.add_paragraph()
    caption.add_run(f"Figure {figure.number}: {figure.title}").bold = True
    _notes_after(caption, figure.notes)


def _png(figure: Figure) -> bytes:
    """The chart as PNG (Word cannot be relied on to show SVG), rasterised from the very SVG the HTML and PDF
    show, by the same vl-convert: a fifth of the time of drawing it again from its spec."""
    return vlc.svg_to_png(figure.svg, scale=CHART_SCALE)


def _png_width(png: bytes) -> int:
    """Pixels across, from the PNG's header (IHDR is always the first chunk)."""
    return int(struct.unpack(">I", png[16:20])[0])


def _notes(doc: Document, paper: Paper) -> None:
    heading = doc.add_heading(NOTES_TITLE, level=1)
    heading.paragraph_format.page_break_before = True  # as the PDF
    for note in paper.footnotes:
        para = doc.add_paragraph()
        para.paragraph_format.left_indent = Mm(10)
        para.paragraph_format.first_line_indent = -Mm(10)
        bookmark = _bookmark(note.number)
        para._p.append(parse_xml(f'<w:bookmarkStart {nsdecls("w")} w:id="{note.number}" w:name="{bookmark}"/>'))
        para.add_run(f"{note.number}.\t{note.text}").font.size = Pt(9)
        para._p.append(parse_xml(f'<w:bookmarkEnd {nsdecls("w")} w:id="{note.number}"/>'))
    colophon = (f"Prepared with cyplan {_version()} on {long_date(paper.made)}"
                + (f" for {paper.area_name} ({paper.area})" if paper.area else "") + ".")
    run = doc.add_paragraph().add_run(colophon)
    run.font.size, run.font.color.rgb = Pt(9), GREY
