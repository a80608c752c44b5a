"""The six areas of the Common Core of Skills and Knowledge, with the seed's wording and source.

Seed 001 (the 2020 Children and Young People's Workforce Strategy evidence base) gives the Common Core's
areas twice: para 3.10 as "modules" and para 5.21 as "six areas of expertise that people must demonstrate
in order to be considered competent at even the most basic level for working with children". The codes
here are cyplan's own; the labels are para 5.21's words. Seed 003 asks the same of an area as a
pre-requisite (section 2): "Issues around workforce development and service reconfiguration are being
considered in a coherent way across children's services" — the skills input and its training needs are
cyplan's way of putting numbers on that.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

COMMON_CORE_FILE = Path(__file__).parent / "common_core.csv"
PREREQUISITE = ("Issues around workforce development and service reconfiguration are being considered in a "
                "coherent way across children's services.")
PREREQUISITE_SOURCE = ("Seed 003: Commissioning early intervention support services (PSA 12, indicator 4), "
                       "section 2, 'Pre-requisites for delivering this model on a sustainable basis'")


@dataclass(frozen=True)
class SkillArea:
    code: str
    label: str
    wording_5_21: str  # as para 5.21 lists it
    wording_3_10: str  # as para 3.10 lists it
    source: str


def _load() -> tuple[SkillArea, ...]:
    with COMMON_CORE_FILE.open(encoding="utf-8", newline="") as f:
        return tuple(SkillArea(r["skill_area"], r["label"], r["wording_para_5_21"], r["wording_para_3_10"],
                               r["source"]) for r in csv.DictReader(f))


COMMON_CORE: tuple[SkillArea, ...] = _load()
SKILL_AREAS: tuple[str, ...] = tuple(a.code for a in COMMON_CORE)
SKILL_LABELS: dict[str, str] = {a.code: a.label for a in COMMON_CORE}
