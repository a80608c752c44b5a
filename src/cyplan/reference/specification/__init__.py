"""The early intervention specification of seed 003 as data, each row with its source.

provisions.csv — section 2.1: for each age band and level (universal, targeted), the provisions
expected and their possible delivery vehicles (';'-separated). band_groups.csv — the vulnerable
groups the targeted level of each band names. prerequisites.csv — section 2, the pre-requisites for
delivering the model on a sustainable basis. stakeholders.csv — Annex B, the stakeholder checklist.

Bands and groups are named by the codes of the workspace's defaults (reference/defaults/): the
specification does not define them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

HERE = Path(__file__).parent
LEVELS = ("universal", "targeted")  # the specification's two levels of provision (seed 003, section 1)


@dataclass(frozen=True)
class Specification:
    provisions: pl.DataFrame  # band, level, provision, label, delivery_vehicles, source
    band_groups: pl.DataFrame  # band, group, source
    prerequisites: pl.DataFrame  # prerequisite, label, source
    stakeholders: pl.DataFrame  # agency, label, involvement, representative, source

    @property
    def cells(self) -> set[tuple[str, str, str]]:
        return set(self.provisions.select("band", "level", "provision").iter_rows())

    @property
    def bands(self) -> tuple[str, ...]:
        return tuple(self.provisions["band"].unique(maintain_order=True))


def _read(name: str) -> pl.DataFrame:
    return pl.read_csv(HERE / f"{name}.csv", infer_schema=False)


@cache
def specification() -> Specification:
    return Specification(_read("provisions"), _read("band_groups"), _read("prerequisites"), _read("stakeholders"))
