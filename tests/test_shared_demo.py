"""The guards of what tests share (tests/shared_demo.py): a shared workspace or paper changed by one test must fail
that test, since every later test would read the changed one; what is not data (the cache folder) may change."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import altair as alt

from cyplan.reports.paper.document import Figure, Footnote, Paper, Paragraph, Section
from cyplan.store.workspace import Workspace
from shared_demo import data_bytes, paper_print


def small_paper() -> Paper:
    chart = alt.Chart({"values": [{"x": 1}]}).mark_point().encode(x="x:Q")
    need = Section("need", "Need", [Paragraph(("Children in need: 1,200.",)), Figure(1, "Need by year", chart, (1,))])
    return Paper("E1", "Area One", "A title", [("Meeting", "Board")], [need], [Footnote(1, "A source.")],
                 dt.date(2026, 6, 1), True, 50, 1)


def test_a_paper_changed_in_any_part_prints_differently() -> None:
    """Catches a print that misses a change a test could make to the shared paper: a paragraph swapped, a block
    added, a chart replaced, a title or a footnote changed, a section dropped."""
    paper = small_paper()
    before = paper_print(paper)
    assert paper_print(paper) == before  # the same paper, read again: the same print
    changes = [
        lambda p: p.sections[0].blocks.__setitem__(0, Paragraph(("Children in need: 1,300.",))),
        lambda p: p.sections[0].blocks.append(Paragraph(("More.",))),
        lambda p: setattr(p.sections[0].blocks[1], "chart", alt.Chart({"values": []}).mark_bar()),
        lambda p: setattr(p.sections[0].blocks[1], "title", "Need by age"),
        lambda p: setattr(p, "title", "Another title"),
        lambda p: p.footnotes.__setitem__(0, Footnote(1, "Another source.")),
        lambda p: p.sections.pop(),
        lambda p: setattr(p.sections[0], "missing", "import it"),
    ]
    for change in changes:
        paper = small_paper()
        before = paper_print(paper)
        change(paper)
        assert paper_print(paper) != before


def test_data_bytes_sees_the_data_change_but_not_the_cache(_empty_template: Path, tmp_path: Path) -> None:
    """Catches a guard blind to a write into the workspace (its database, or a file in a folder of it such as the
    referral returns' store), or one that fails a test for a paper or chart kept in the cache folder, which is
    not data (reports/kept.py)."""
    path = Path(shutil.copytree(_empty_template, tmp_path / "ws"))
    before = data_bytes(path)
    (path / "cache" / "papers").mkdir(parents=True)
    (path / "cache" / "papers" / "kept.html").write_text("a paper kept")
    assert data_bytes(path) == before
    (path / "returns-records").mkdir()
    (path / "returns-records" / "manifest.json").write_text("{}")
    assert data_bytes(path) != before
    shutil.rmtree(path / "returns-records")
    assert data_bytes(path) == before
    ws = Workspace.open(path)
    try:
        with ws.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO workspace_info (key, value) VALUES ('changed', 'yes')")
    finally:
        ws.close()
    assert data_bytes(path) != before
