"""The board paper as data: sections of paragraphs, tables and figures, and the numbered notes that say where each
figure comes from.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt

from cyplan.reports import charts


@dataclass(frozen=True)
class Ref:
    """A note marker in running text."""

    number: int


Run = str | Ref  # running text is a sequence of these


@dataclass(frozen=True)
class Footnote:
    number: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    items: tuple[tuple[Run, ...], ...] = ()  # lettered points under it: a), b), …

    @property
    def text(self) -> str:
        """Plain text, notes as [n]: for tests and for the web app's summaries."""
        def flat(runs: Sequence[Run]) -> str:
            return "".join(r if isinstance(r, str) else f"[{r.number}]" for r in runs)
        return " ".join([flat(self.runs), *(flat(i) for i in self.items)]).strip()


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    numeric: tuple[bool, ...]  # right-aligned columns
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[int, ...]
    total: bool = False  # the last row is a total


@dataclass
class Figure:
    """A chart with its number, title, text description and notes."""

    number: int
    title: str
    chart: alt.TopLevelMixin
    notes: tuple[int, ...]
    kept: Path | None = None  # the workspace's folder of charts drawn (charts.svg_of), if any

    @property
    def description(self) -> str:
        return str(self.spec.get("description", ""))

    @functools.cached_property
    def spec(self) -> dict[str, Any]:
        return charts.to_spec(self.chart)

    @functools.cached_property
    def svg(self) -> str:
        """From the spec already made for the description (one Altair to_dict a chart, not two), drawn by cyplan's
        own renderer (reports/svg.py), not vl-convert's JavaScript engine, wherever it draws the chart whole."""
        return charts.svg_of(self.spec, self.kept, own=True)


@dataclass(frozen=True)
class Heading:
    """A heading inside a section (an annex's topic, a field of it): level 3 under the section's 2, or 4 under it."""

    text: str
    level: int = 3


Block = Paragraph | Table | Figure | Heading


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # label: value lines (contact details)
    missing: str | None = None  # what is missing for this part and how to load it
    numbered: bool = True  # its paragraphs are numbered 1, 2, … through the body, as in seed 004
    annex: bool = False  # after the body, on a new page, its paragraphs not numbered


@dataclass
class Paper:
    area: str | None
    area_name: str
    title: str
    cover: list[tuple[str, str]]  # meeting, date, time, venue, item, lead member, wards affected
    sections: list[Section]
    footnotes: list[Footnote]
    made: dt.date
    demo: bool
    draws: int
    seed: int

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]

    @property
    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]


class Notes:
    """Numbered notes, one per distinct source text, numbered in order of first use."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def ref(self, text: str) -> Ref:
        if text not in self.texts:
            self.texts.append(text)
        return Ref(self.texts.index(text) + 1)

    def footnotes(self) -> list[Footnote]:
        return [Footnote(i + 1, t) for i, t in enumerate(self.texts)]
