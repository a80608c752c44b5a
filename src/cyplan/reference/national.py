"""The national demo's made-up country (`cyplan demo --national`, issue 16 part 4): about 150 upper-tier councils in
9 regions, with the model's inputs from the one synthetic generator (reference/synthetic.py) and indicators for
their statistical neighbours. Every name, code and value is made up and says so in its source.

Codes follow ONS's kinds for children's services (E06 unitary, E08 metropolitan district, E09 London borough,
E10 county; E12 region) but with 99 after the kind, which no real code has, so none is taken for a real area.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from cyplan.reference.synthetic import synthetic_inputs, typed

N_AREAS, N_REGIONS, SEED = 150, 9, 20261206
SOURCE = "Made up: cyplan demo --national (not a real area or figure)"
INDICATOR_YEARS = (2023, 2024)
PREFIXES = ("Aldr", "Brin", "Cors", "Dalm", "Esk", "Fraw", "Glen", "Harn", "Ith", "Kell", "Lorn", "Mird", "Nesh",
            "Orv", "Pell")
SUFFIXES = ("ford", "ley", "ton", "bury", "wick", "field", "mouth", "ham", "by", "stead")
REGIONS = ("Arden Vale", "Brackmoor", "Carrow Coast", "Drayland", "Elderwold", "Fenholm", "Greyhaven", "Highmarch",
           "Isleden")
KIND_PREFIXES = ("E06", "E10", "E08", "E09")  # unitary, county, metropolitan, London: shares 4 : 3 : 2 : 1 below
KIND_SHARES = (0.4, 0.3, 0.2, 0.1)
# The benchmark's inputs are sized for timing, not realism: their levels add up to 29–53% of children and their
# census to about 500 FTE per 100,000 children. Scaled to below the national rate of probable disorder (15.7% at
# ages 8 to 10, the tightest) and near the national figure of about 90 FTE, so that the demo's pages show figures of
# the right size and no warning against national figures (model/sanity.py).
PREVALENCE_SCALE = 0.35
WORKFORCE_SCALE = 0.2
WORKFORCE_COUNTS = ("fte_in_post", "fte_in_post_low", "fte_in_post_high", "vacant_fte", "agency_fte",
                    "joiners_per_year", "joiners_low", "joiners_high")
# how dense each kind is, people a hectare (median): London boroughs far denser than counties
DENSITY = {"E06": 12.0, "E10": 2.5, "E08": 20.0, "E09": 60.0}


def council_codes(n: int, rng: np.random.Generator) -> list[str]:
    """n made-up codes of the four kinds (E06990001, E10990002, …): the 99 marks them as made up."""
    kinds = rng.choice(KIND_PREFIXES, n, p=KIND_SHARES)
    return [f"{k}99{i:04d}" for i, k in enumerate(kinds, start=1)]


def council_names(n: int) -> list[str]:
    names = [p + s for s in SUFFIXES for p in PREFIXES]
    return [names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "") for i in range(n)]


def national_inputs(n_areas: int = N_AREAS, seed: int = SEED) -> dict[str, pl.DataFrame]:
    """Every input the model reads for n_areas made-up councils in min(9, n_areas) made-up regions, their
    indicators and a weight; every row's source says it is made up."""
    rng = np.random.default_rng(seed)
    codes = council_codes(n_areas, rng)
    frames = _plausible(synthetic_inputs(n_areas, seed, codes=codes))
    n_regions = min(N_REGIONS, n_areas)
    region = np.arange(n_areas) * n_regions // n_areas  # blocks of about equal size
    region_codes = [f"E129999{r + 1:02d}" for r in range(n_regions)]
    frames["areas"] = typed("areas", {
        "code": region_codes + codes,
        "name": [f"{name} (made up)" for name in REGIONS[:n_regions]] + [f"{x} (made up)" for x in
                                                                        council_names(n_areas)],
        "kind": ["region"] * n_regions + ["council"] * n_areas,
        "parent": [None] * n_regions + [region_codes[r] for r in region],
    })
    frames["area_indicators"] = indicators(codes, region, rng)
    frames["indicator_weights"] = typed("indicator_weights", {"indicator": ["children_in_need_per_10k"],
                                                              "weight": [2.0]})
    frames["referral_counts"] = referral_counts(frames["population"], frames["area_indicators"], rng)
    return {kind: _made_up(frame) for kind, frame in frames.items()}


def indicators(codes: list[str], region: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    """Deprivation (a regional level and each council's own), and figures that follow it more or less closely:
    children in need and looked after per 10,000, the share on free school meals; density by the kind of council.
    Children in need for two years, the others for the latest."""
    n = len(codes)
    level = rng.uniform(0.1, 0.3, region.max() + 1)
    deprivation = np.clip(level[region] + rng.normal(0, 0.05, n), 0.04, 0.45)
    density = np.array([DENSITY[c[:3]] for c in codes]) * rng.lognormal(0, 0.4, n)
    latest = {
        "idaci_average_score": deprivation,
        "children_in_need_per_10k": 180 + 700 * deprivation + rng.normal(0, 25, n),
        "looked_after_per_10k": 25 + 160 * deprivation + rng.normal(0, 8, n),
        "free_school_meals_share": np.clip(0.06 + 0.6 * deprivation + rng.normal(0, 0.02, n), 0.02, 0.6),
        "population_per_hectare": density,
    }
    rows = [(code, name, INDICATOR_YEARS[-1], float(round(v[i], 3))) for name, v in latest.items()
            for i, code in enumerate(codes)]
    earlier = latest["children_in_need_per_10k"] * rng.uniform(0.92, 1.05, n)
    rows += [(code, "children_in_need_per_10k", INDICATOR_YEARS[0], float(round(earlier[i], 3)))
             for i, code in enumerate(codes)]
    return typed("area_indicators", {"area": [r[0] for r in rows], "indicator": [r[1] for r in rows],
                                     "year": [r[2] for r in rows], "value": [r[3] for r in rows]})


def referral_counts(population: pl.DataFrame, indicators: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Each council's accepted referrals in the plan's first year, for the comparison page's referral rates: about
    1 for every 40 children in need per 10,000, per 1,000 children and young people (5 to 12 per 1,000), drawn
    as Poisson counts and rounded to the nearest 5 as a published count would be."""
    first = int(population["year"].min())  # type: ignore[arg-type]
    people = population.filter(pl.col("year") == first).group_by("area").agg(pl.col("count").sum()).sort("area")
    need = indicators.filter(pl.col("indicator") == "children_in_need_per_10k").sort("year").group_by(
        "area").agg(pl.col("value").last())
    rows = people.join(need, on="area", how="left").with_columns(pl.col("value").fill_null(300.0))
    expected = rows["count"].to_numpy() / 1000 * rows["value"].to_numpy() / 40
    counts = (np.round(rng.poisson(expected) / 5) * 5).astype(np.int64)
    return typed("referral_counts", {"area": rows["area"].to_list(), "year": [first] * rows.height,
                                     "referrals": counts})


def _plausible(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The generator's prevalence and workforce scaled to national sizes (PREVALENCE_SCALE, WORKFORCE_SCALE)."""
    prevalence = frames["prevalence"].with_columns((pl.col(c) * PREVALENCE_SCALE).round(6)
                                                   for c in ("low", "central", "high"))
    workforce = frames["workforce"].with_columns(
        *((pl.col(c) * WORKFORCE_SCALE).round(1) for c in WORKFORCE_COUNTS),
        (pl.col("headcount") * WORKFORCE_SCALE).ceil())
    places = frames["training_pipelines"].with_columns((pl.col("places") * WORKFORCE_SCALE).round(1).clip(0.1))
    return frames | {"prevalence": prevalence, "workforce": workforce, "training_pipelines": places}


def _made_up(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.lit(SOURCE).alias("source")) if "source" in frame.columns else frame


def readme(frames: dict[str, pl.DataFrame]) -> str:
    """The national demo folder's README: what it holds, and that all of it is made up."""
    areas = frames["areas"]
    councils = areas.filter(pl.col("kind") == "council")
    names = ", ".join(sorted(set(frames["area_indicators"]["indicator"])))
    return f"""# cyplan's national demo: a made-up country

**Every name, code and figure in this folder is made up.** It was built by `cyplan demo --national` so that the
comparison pages and statistical neighbours have many areas to show; it describes no real place, and nothing in
it is evidence about any real council. The source column of every row says so.

- {councils.height} made-up upper-tier councils in {areas.height - councils.height} made-up regions (each council's
  `parent`). Codes follow ONS's kinds (E06 unitary, E08 metropolitan, E09 London, E10 county; E12 region) with
  99 after the kind, which no real code has.
- The model's inputs (population aged 0 to 25 for {min(frames['population']['year'])} to
  {max(frames['population']['year'])}, levels and prevalence, vulnerable groups, pathways, 12 roles, a
  workforce census and training places) from cyplan's synthetic generator, the one the national benchmark uses
  (src/cyplan/reference/synthetic.py).
- Indicators for computing statistical neighbours: {names}; children in need counts twice
  (`indicator_weights.csv`).
- Each council's accepted referrals in the first year (`referral_counts.csv`), rounded to 5 as published, for the
  comparison's referral rates and funnel plots. No record-level referral returns: records do not say which area
  they are from (the Exampleshire demo, `cyplan demo`, has returns for its one area).

`inputs/` holds each input as the CSV file that was imported: open them to see what a national set looks like,
or change one and import it again (`cyplan import KIND inputs/KIND.csv -w .`).
"""
