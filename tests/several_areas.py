"""A workspace holding several areas, made from the demo's inputs: Exampleshire (E10999999) and two made-up
councils in one made-up region (E12999999), and a council in no region, each with the demo's figures scaled by its
size, for the comparison's tests (tests/test_compare_*.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from cyplan import reference
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs

REGION = "E12999999"
DEMO = "E10999999"
# code: (name, parent, population against Exampleshire's, its 12 to 25 year-olds' too, staff against Exampleshire's)
AREAS = {DEMO: ("Exampleshire", REGION, 1.0, 1.0, 1.0), "E10999998": ("Sampleton", REGION, 0.5, 0.8, 0.3),
         "E10999997": ("Testbury", REGION, 0.2, 0.2, 0.4), "E06999999": ("Islandshire", "", 0.3, 0.3, 0.3)}
# the columns counting people or staff, scaled by an area's size (rates and shares kept)
COUNTED = {"population": ("count",), "population_groups": ("count",), "group_sizes": ("count",),
           "workforce": ("headcount", "fte_in_post", "fte_in_post_low", "fte_in_post_high", "vacant_fte",
                         "agency_fte", "joiners_per_year", "joiners_low", "joiners_high"),
           "training_pipelines": ("places",)}


def _scaled(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The demo area's rows again for every area, counts of people scaled by the area's size."""
    parts = []
    for code, (_, _, size, older, staff) in AREAS.items():
        part = frame.filter(pl.col("area") == DEMO).with_columns(pl.lit(code).alias("area"))
        scale = pl.lit(staff if kind == "workforce" else size)
        if kind == "population":  # an older population: more need per 1,000 (prevalence rises with age)
            scale = pl.when(pl.col("age") >= 12).then(pl.lit(older)).otherwise(pl.lit(size))
        if code != DEMO:
            part = part.with_columns((pl.col(c) * scale).round(0).cast(frame.schema[c]) for c in COUNTED.get(kind, ())
                                     if c in part.columns)
        parts.append(part)
    return pl.concat(parts)


def write_inputs(folder: Path) -> list[Source]:
    """The demo's input files with every area, written to `folder`, as the Sources to import."""
    folder.mkdir(parents=True, exist_ok=True)
    areas = pl.DataFrame({"code": [REGION, *AREAS], "name": ["Made-up Region", *(a[0] for a in AREAS.values())],
                          "kind": ["region", *(["council"] * len(AREAS))],
                          "parent": ["", *(a[1] for a in AREAS.values())],
                          "source": ["made up for cyplan's tests"] * (len(AREAS) + 1)})
    sources = [Source(p.stem, p) for p in sorted(reference.DEFAULTS.glob("*.csv"))]
    for path in sorted(reference.DEMO.glob("*.csv")):
        out = folder / path.name
        if path.stem == "areas":
            areas.write_csv(out)
        else:
            frame = pl.read_csv(path, infer_schema_length=0)
            if "area" in frame.columns:
                typed = pl.read_csv(path)
                frame = _scaled(typed, path.stem)
            frame.write_csv(out)
        sources.append(Source(path.stem, out))
    return sources


def several_areas(path: Path) -> Path:
    """A workspace at `path` holding the several areas (no referral returns: records carry no area)."""
    sources = write_inputs(path.parent / f"{path.name}-inputs")
    ws = Workspace.create(path)
    try:
        import_inputs(ws, sources)
    finally:
        ws.close()
    return path
