"""Which inputs drive the gap: the tornado (one input at a time at its low and its high) and the sentence a board
reads, "The 2035 gap depends most on: …"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cyplan import results, sweep
from cyplan.display import sensitivity_formats
from cyplan.reports import charts
from cyplan.reports.paper.document import Paragraph, Section, Table
from cyplan.reports.paper.words import METHOD, stop

if TYPE_CHECKING:
    from cyplan.reports.paper.builder import Builder

SHOWN = 5  # the inputs the paper's table lists; the chart shows charts.TORNADO_INPUTS


def section(b: Builder) -> Section:
    s = Section("sensitivity", "Which inputs drive the gap")
    try:
        swings, year = results.drivers(b.frames, [b.area] if b.area else None)
    except results.NotReady as e:
        s.missing = f"What drives the gap cannot be worked out yet: {stop(str(e))}"
        return s
    if swings.is_empty():
        s.missing = "No input has a low and a high value, so no input moves the gap."
        return s
    base = b.workforce_note()
    ref = b.notes.ref(
        f"Sensitivity ({METHOD}, ‘Which inputs drive the gap’): the model of note {base.number} on central values, "
        f"run again with each input that has a low and a high value set to its low, then to its high, every other "
        f"input central; the gap every role together in {year}, for {b.name}. {swings.height} inputs have a range. "
        "'cyplan sensitivity --method sobol' gives variance-based (Sobol) indices, which move every input at once.")
    b.findings["sensitivity"] = {"year": year, "top": swings["input"].head(SHOWN).to_list(), "ref": ref}
    s.blocks.append(Paragraph((
        f"{sweep.depends_most(swings, year, 'gap')} Setting each of these to its low or its high value, the others "
        f"held, moves the gap more than any other input: these are the figures most worth checking, and the "
        f"assumptions a board should know the plan rests on", ref, ".")))
    money = sensitivity_formats("gap")
    rows = tuple((r["input"], money["at_low"].format(r["at_low"]), money["at_high"].format(r["at_high"]),
                  money["swing"].format(r["swing"])) for r in swings.head(SHOWN).iter_rows(named=True))
    central = money["at_central"].format(swings["at_central"][0])
    s.blocks.append(Table(f"The gap in {year} (FTE) with each input at its low and its high, the rest central "
                          f"({central} FTE): the {min(SHOWN, swings.height)} widest swings",
                          ("Input", "Input at low", "Input at high", "Swing"),
                          (False, True, True, True), rows, (ref.number,)))
    s.blocks.append(b.figure(f"What drives the {year} gap", charts.tornado(swings, year, "gap", b.name), [ref]))
    return s
