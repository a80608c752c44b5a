"""The board paper's PDF printed by Chromium (docs/decisions/0020-pdf-renderer.md): every figure of the HTML paper
in its text, A4, a page number on every page, the headings as its outline, tagged; WeasyPrint where Chromium is
missing or fails; the browser started before the figures are worked out, and gone when the paper is made."""

from __future__ import annotations

import collections
import html as markup
import itertools
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyplan.reports.paper import Paper, build_paper, chromium, render_html, render_pdf
from cyplan.reports.paper.made import made
from cyplan.store.workspace import Workspace

NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
A4 = (595.28, 841.89)  # points: 210 × 297 mm


@pytest.fixture(scope="module")
def paper(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Paper:
    path = Path(shutil.copytree(_demo_template, tmp_path_factory.mktemp("pdf") / "workspace"))
    ws = Workspace.open(path)
    try:
        return build_paper(ws, draws=50)
    finally:
        ws.close()


@pytest.fixture(scope="module")
def pdf(paper: Paper, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("printed") / "paper.pdf"
    out.write_bytes(render_pdf(paper))
    return out


def text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def html_numbers(html: str) -> collections.Counter[str]:
    """Every number the HTML paper shows in its text (the charts' axis labels aside: a chart is a picture of figures
    the tables and paragraphs also give)."""
    shown = re.sub(r"<(style|title|svg)\b.*?</\1>", " ", html, flags=re.S)
    return collections.Counter(NUMBER.findall(markup.unescape(re.sub(r"<[^>]+>", " ", shown))))


def test_the_pdf_holds_every_number_of_the_html_paper_as_often(paper: Paper, pdf: Path) -> None:
    """Catches a PDF that loses text: a table, a section, a note or a row cut off at a page's foot, or numbers
    drawn as shapes rather than selectable text."""
    want = html_numbers(render_html(paper))
    assert sum(want.values()) > 1000  # the demo's paper: its tables, paragraphs and notes
    missing = want - collections.Counter(NUMBER.findall(text(pdf)))
    assert not missing, f"in the HTML paper, not in the PDF's text: {dict(missing)}"
    for figure in paper.figures:
        assert f"Figure {figure.number}: {figure.title}" in re.sub(r"\s+", " ", text(pdf))


def test_the_pdf_is_a4_numbered_page_by_page_with_its_headings_as_outline_and_tagged(paper: Paper,
                                                                                      pdf: Path) -> None:
    """Catches the wrong paper size (Chromium's default is US Letter), page numbers lost or wrong (the stylesheet's
    @page margin box), no bookmarks to the sections, an untagged PDF, and WeasyPrint printing it silently where a
    Chromium is there (its producer says which printed it)."""
    about = info(pdf)
    width, height = (float(x) for x in re.findall(r"[\d.]+", about["Page size"])[:2])
    assert abs(width - A4[0]) < 1 and abs(height - A4[1]) < 1, about["Page size"]
    pages = int(about["Pages"])
    assert 15 <= pages <= 40  # the demo's paper: 26 pages when written
    by_page = text(pdf).split("\f")[:pages]
    for n, page in enumerate(by_page, 1):
        assert f"Page {n} of {pages}" in page, n
    assert about["Tagged"] == "yes" and about["Producer"].startswith("Skia/PDF")
    outline = subprocess.run(["pdftohtml", "-stdout", "-xml", "-i", "-q", str(pdf)], capture_output=True, text=True,
                             check=True).stdout
    items = [markup.unescape(i) for i in re.findall(r"<item page=\"\d+\">([^<]*)</item>", outline)]
    for section in paper.sections:
        assert section.title in items, section.title
    assert "Notes: where each figure comes from" in items


def test_a_chromium_that_fails_or_is_missing_leaves_the_paper_to_weasyprint(paper: Paper, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a PDF lost (a traceback, or a hang) when the browser dies mid-way: the paper is made all the same,
    by WeasyPrint, with the same numbers. And no Chromium named means none is looked for."""
    monkeypatch.setenv("CYPLAN_CHROMIUM", "")
    assert chromium.executable() is None and chromium.Chromium.start() is None
    monkeypatch.delenv("CYPLAN_CHROMIUM")
    browser = chromium.Chromium.start()
    assert browser is not None
    os.killpg(browser.pid, 9)  # the browser killed before it prints
    out = tmp_path / "paper.pdf"
    out.write_bytes(render_pdf(paper, browser))
    browser.close()
    assert info(out)["Producer"].startswith("WeasyPrint")
    assert not html_numbers(render_html(paper)) - collections.Counter(NUMBER.findall(text(out)))


def running_in_group(group: int) -> list[int]:
    """The processes of a process group that are not zombies (/proc/PID/stat: state, then the group, after the
    command's name in brackets)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except OSError:  # ended while we looked
            continue
        if int(pgrp) == group and state != "Z":
            found.append(int(stat.parent.name))
    return found


def test_the_browser_is_gone_when_the_paper_is_printed(paper: Paper) -> None:
    """Catches a browser left running (a zombie or a live process per paper made, on a web server) or its profile
    folder left in the temporary folder."""
    browser = chromium.Chromium.start()
    assert browser is not None
    assert made(paper, "pdf", printer=browser).content.startswith(b"%PDF-")
    browser.close()
    with pytest.raises(ProcessLookupError):
        os.kill(browser.pid, 0)  # reaped: not even a zombie
    for _ in range(200):  # a bound on the wait, not a timing: killed helpers end as soon as the kernel gets to them
        if not running_in_group(browser.pid):  # (their zombies are init's to reap)
            break
        time.sleep(0.05)
    assert not running_in_group(browser.pid), "a helper of the browser is still running"
    assert not Path(browser.profile).exists()


def test_cyplan_report_starts_the_browser_before_working_out_the_figures(
        demo_workspace: Path, tmp_path: Path, run_cli: Callable[..., tuple[int, str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the browser started only once the HTML is ready, which puts its whole start-up into the PDF's time;
    and a PDF printed by another browser than the one started. An HTML paper starts none."""
    events: list[str] = []
    start, build = chromium.Chromium.start, build_paper

    def started() -> chromium.Chromium | None:
        events.append("browser")
        return start()

    def built(*args: object, **kwargs: object) -> Paper:
        events.append("figures")
        return build(*args, **kwargs)  # type: ignore[arg-type]

    def printed(self: chromium.Chromium, page: str) -> bytes:
        events.append("printed")
        return real_pdf(self, page)

    real_pdf = chromium.Chromium.pdf
    monkeypatch.setattr(chromium.Chromium, "start", staticmethod(started))
    monkeypatch.setattr(chromium.Chromium, "pdf", printed)
    monkeypatch.setattr("cyplan.reports.paper.build_paper", built)
    code, _, err = run_cli(["report", "-w", demo_workspace, "--out", tmp_path / "p.pdf", "--draws", "0"])
    assert code == 0, err
    assert events == ["browser", "figures", "printed"]
    assert info(tmp_path / "p.pdf")["Producer"].startswith("Skia/PDF")
    events.clear()
    code, _, err = run_cli(["report", "-w", demo_workspace, "--out", tmp_path / "p.html", "--draws", "0"])
    assert code == 0 and events == ["figures"], err


MESSAGE = st.dictionaries(st.sampled_from(["id", "method", "result", "sessionId", "params"]),
                          st.one_of(st.integers(), st.text(), st.dictionaries(st.text(max_size=5), st.text())),
                          max_size=5)


@settings(deadline=None)  # no timed assertion: on the shared machine one example took over Hypothesis's 200 ms
@given(st.lists(MESSAGE, max_size=6), st.lists(st.integers(min_value=0), max_size=8))
def test_answers_read_in_any_pieces_are_the_messages_sent(sent: list[dict[str, object]], cuts: list[int]) -> None:
    """The browser's answers come through the pipe in pieces of any size (a 700 KB PDF in many reads, or several
    answers in one): catches a message lost, cut in two, or read as two, at a piece's edge — JSON text may hold
    anything but a NUL byte, which ends each message."""
    stream = b"".join(json.dumps(m).encode() + b"\0" for m in sent)
    edges = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    got, buffer = [], b""
    for start, end in itertools.pairwise(edges):
        found, buffer = chromium.messages(buffer + stream[start:end])
        got += found
    assert got == sent and buffer == b""


def test_an_answer_that_is_not_a_message_is_a_chromium_failure() -> None:
    """Catches a garbled answer raised as a JSON error, which the PDF's fallback to WeasyPrint would not catch."""
    for garbled in (b"{\"id\": 1\0", b"[1, 2]\0", b"not json\0"):
        with pytest.raises(chromium.ChromiumError):
            chromium.messages(garbled)
    assert chromium.messages(b'{"id": 1}\0{"id"') == ([{"id": 1}], b'{"id"')
