"""How the paper writes numbers, dates, lists and sources in its sentences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from cyplan import results
from cyplan.display import MEASURE_FORMATS, cell, headline
from cyplan.schema import KINDS

# The published documents the paper cites, by name: a reader has the paper, not cyplan's files.
SPECIFICATION = ("DCSF's Improving the psychological wellbeing and mental health of children and young people: "
                 "Commissioning early intervention support services (2009)")
WORKFORCE_EVIDENCE = "DCSF's 2020 Children and Young People's Workforce Strategy: the evidence base (2008)"
METHOD = "cyplan's method notes"  # the documentation published with cyplan (its docs/method.md)
SERVICE_MAP = "cyplan's service map notes"  # docs/services.md
RETURNS_NOTES = "cyplan's referral returns notes"  # docs/returns.md


def measure(what: str, x: float | None) -> str:
    """A measure as the CLI shows it (display.py's formats)."""
    return "—" if x is None else MEASURE_FORMATS[what].format(x)


def millions(x: float | None) -> str:
    """Money in millions, as the CLI shows a cost to close with its interval."""
    return "—" if x is None else f"£{x / 1e6:,.1f}m"


def whole(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def interval(row: Mapping[str, Any], what: str, draws: int, unit: str = "") -> str:
    """A median with its 90% interval and Monte Carlo error, in the words the CLI and pages use
    (display.headline)."""
    return headline(row, what, draws, unit)


def cell_interval(row: Mapping[str, Any], what: str) -> str:
    median, spread = cell(row, what)
    return f"{median}\n({spread})" if spread else median  # interval below


def join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def count_words(n: int, one: str, many: str) -> str:
    """'one category', 'two categories', '12 categories': a count as a sentence writes it."""
    return f"{NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else f'{n:,}'} {one if n == 1 else many}"


def published_count(value: object) -> str:
    """A published count ('*', or a rounded count as text) with thousands separators."""
    text = "" if value is None else str(value)
    return f"{int(text):,}" if text.isdigit() else text or "—"


def stop(text: str) -> str:
    """A message as the end of a sentence: a full stop last."""
    text = text.strip()
    return text + ("" if text.endswith(".") else ".")


def sentence(text: str) -> str:
    """A message as a sentence: capital first, full stop last."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def long_date(d: dt.date) -> str:
    """6 December 2026."""
    return f"{d.day} {d:%B %Y}"


# -- where figures come from ------------------------------------------------------------------------------

def inputs_note(frames: results.Frames, kinds: Sequence[str], area: str | None, sources: bool = True) -> str:
    """'population (572 rows; source: '…'); prevalence (6 rows; sources: '…'; '…')' for the inputs that
    have rows (of this area, for an input that has areas); the row counts alone with `sources=False` (an
    input whose rows cite their publications in the paper's text, as the evidence library's do)."""
    parts = []
    for kind in kinds:
        frame = frames[kind]
        if area and "area" in frame.columns:
            frame = frame.filter(pl.col("area") == area)
        if frame.is_empty():
            continue
        what = f"{KINDS[kind].title.lower()} ({frame.height:,} row{'s' if frame.height != 1 else ''}"
        if sources and "source" in frame.columns:
            sources = [s for s in frame["source"].unique(maintain_order=True).to_list() if s]
            if sources:
                what += f"; source{'s' if len(sources) > 1 else ''}: " + "; ".join(f"‘{s}’" for s in sources)
            else:
                what += "; no source given"
        parts.append(what + ")")
    return "; ".join(parts) or "none"


def sim_words(draws: int, seed: int) -> str:
    if draws == 0:
        return "central values only (no Monte Carlo draws)"
    return (f"median and 90% interval (5th to 95th percentile) of {draws:,} Monte Carlo draws, triangular between "
            f"each input's low and high values, random seed {seed}")
