"""Need from counts (need counts × need shares) in the model, in-process: cases in the count's ages spread as the
population, each year at the rate of the latest count, the warnings when counts and shares do not meet, and the
same cases in the simulation's draws and its bands. In the selection `make mutate` runs (tests/test_send_therapy.py
runs the SEND demo as a user does, through the command line)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cyplan.model.build import build, empty
from cyplan.model.plan import need_table, run
from cyplan.model.simulate import simulate
from cyplan.schema import KINDS

# -- the model: need from counts --------------------------------------------------------------------------


def frames_with(population: pl.DataFrame, counts: list[tuple[int, int, int, float]],
                share: float = 0.5) -> dict[str, pl.DataFrame]:
    """An area with this population, one level fed only by counts (year, age_from, age_to, count) of one need."""
    frames = {k: empty(k) for k in KINDS}
    frames["areas"] = pl.DataFrame({"code": ["A"], "name": ["A"], "kind": ["custom"], "parent": [""],
                                    "source": [""]})
    frames["population"] = population
    frames["levels"] = pl.DataFrame({"level": ["therapy"], "label": ["Therapy"], "coverage": [1.0], "source": [""]})
    frames["need_counts"] = pl.DataFrame(
        {"area": ["A"] * len(counts), "year": [c[0] for c in counts], "need": ["ASD"] * len(counts),
         "status": ["EHC plan"] * len(counts), "age_from": [c[1] for c in counts], "age_to": [c[2] for c in counts],
         "count": [float(c[3]) for c in counts], "source": [""] * len(counts)})
    frames["need_shares"] = pl.DataFrame({"need": ["ASD"], "status": ["EHC plan"], "level": ["therapy"],
                                          "low": [share], "central": [share], "high": [share], "source": [""]})
    return frames


def population_frame(counts: dict[int, list[float]]) -> pl.DataFrame:
    """year → 52 counts (ages 0–25, female then male for each age)."""
    rows = [(y, age, sex, c[2 * age + i]) for y, c in counts.items() for age in range(26)
            for i, sex in enumerate(("female", "male"))]
    return pl.DataFrame({"area": ["A"] * len(rows), "year": [r[0] for r in rows], "age": [r[1] for r in rows],
                         "sex": [r[2] for r in rows], "count": [float(r[3]) for r in rows],
                         "source": [""] * len(rows)}, schema_overrides={"year": pl.Int64, "age": pl.Int64})


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 5_000), min_size=52, max_size=52), st.integers(0, 20), st.integers(0, 5),
       st.floats(0, 3_000), st.floats(0, 1))
def test_counted_cases_in_the_count_year_are_count_times_share_spread_as_the_population(
        pop: list[float], age_from: int, span: int, count: float, share: float) -> None:
    """Property: whatever the population's shape, the count's year has count × share cases at the level, all
    in the count's ages, each age and sex holding its share of the population (catches a count spread evenly,
    into the wrong ages, or scaled by the population a second time)."""
    age_to = min(age_from + span, 25)
    plan = run(frames_with(population_frame({2025: pop}), [(2025, age_from, age_to, count)], share))
    cases = plan.cases.values[0, 0, :, :, 0]  # [age, sex]
    assert cases.sum() == pytest.approx(count * share, rel=1e-9, abs=1e-9)
    people = np.array(pop).reshape(26, 2)
    inside = np.zeros((26, 2), bool)
    inside[age_from:age_to + 1] = True
    assert np.all(cases[~inside] == 0)
    assert cases[inside] == pytest.approx(count * share * people[inside] / people[inside].sum(), rel=1e-9, abs=1e-9)


def test_each_year_takes_the_rate_of_the_latest_count_at_or_before_it() -> None:
    """Catches the wrong count used for a year: 2025 has no count of its own and takes 2026's rate; 2027 takes
    2026's; 2028 its own. 100 children a year of age and sex, 200 at each age: 10 ages = 2,000 children."""
    flat = {y: [100.0] * 52 for y in (2025, 2026, 2027, 2028)}
    flat[2027] = [150.0] * 52  # half as many again: 2026's rate gives 1.5 × its count
    plan = run(frames_with(population_frame(flat), [(2026, 5, 14, 200), (2028, 5, 14, 500)], share=1))
    cases = need_table(plan, [])["cases"].to_list()
    assert cases == pytest.approx([200, 200, 300, 500])


def test_a_count_split_into_narrower_ages_later_replaces_the_earlier_one() -> None:
    """Catches the 2025 count for ages 5 to 14 still applied in 2026, when 2026 gives the same need in two age
    ranges: 2026 has 150 + 150 = 300 cases, not 300 + 200."""
    flat = {y: [100.0] * 52 for y in (2025, 2026)}
    plan = run(frames_with(population_frame(flat), [(2025, 5, 14, 200), (2026, 5, 9, 150), (2026, 10, 14, 150)],
                           share=1))
    assert need_table(plan, [])["cases"].to_list() == pytest.approx([200, 300])


def test_counts_warn_when_they_cannot_add_cases() -> None:
    """Catches a count with no shares, or shares with no count, dropping cases without a word; and a level fed
    only by counts being reported as having no cases."""
    frames = frames_with(population_frame({2025: [100.0] * 52}), [(2025, 5, 14, 200)])
    frames["need_shares"] = frames["need_shares"].with_columns(pl.lit("Autism").alias("need"))
    warnings = build(frames).warnings
    assert "need count 'ASD, EHC plan' has no need shares: it adds no cases" in warnings
    assert "need shares for 'Autism, EHC plan' match no need count: they add no cases" in warnings
    assert not any("has no prevalence" in w for w in build(frames_with(
        population_frame({2025: [100.0] * 52}), [(2025, 5, 14, 200)])).warnings)



def test_a_workspace_whose_need_is_all_counted_needs_no_prevalence() -> None:
    """Catches results.plan refusing a workspace with counts but no prevalence ('no prevalence yet')."""
    from cyplan import results

    frames = frames_with(population_frame({2025: [100.0] * 52}), [(2025, 5, 14, 200)])
    assert results.missing_need_inputs(frames) == []
    assert float(results.plan(frames).cases.values.sum()) == pytest.approx(100)
    del frames["need_counts"]
    assert results.missing_need_inputs({**frames, "need_counts": empty("need_counts")}) == ["prevalence"]


def test_each_bands_cases_from_counts_are_the_counts_times_their_shares_in_the_bands_ages() -> None:
    """Two needs counted in 2025: ASD, 200 children aged 5–14, half of them at the level (100 cases); SLCN, 40 aged
    16–17, a quarter (10). 200 children at every age (100 of each sex) in 2025 and 2026. Bands young 0–4, school
    5–11, older 12–25. ASD's 100 cases spread as the population over its 10 ages, 10 an age: school 7 ages = 70,
    older 3 ages = 30; SLCN's 10 are all older: 40. Young: 0. 2026 takes 2025's rates on the same population: the
    same. Every draw (2) alike, the shares having no range. The population by band: 5, 7 and 14 ages × 200 = 1,000,
    1,400 and 2,800. Wrong answers caught: the counted cases left out of the bands, subtracted, or summed over the
    wrong axis (two needs: a share for each), and the band population wrong."""
    frames = frames_with(population_frame({2025: [100.0] * 52, 2026: [100.0] * 52}), [(2025, 5, 14, 200)])
    frames["need_counts"] = pl.concat([frames["need_counts"], frames["need_counts"].with_columns(
        need=pl.lit("SLCN"), age_from=pl.lit(16, pl.Int64), age_to=pl.lit(17, pl.Int64), count=pl.lit(40.0))],
        how="vertical_relaxed")
    frames["need_shares"] = pl.concat([frames["need_shares"], frames["need_shares"].with_columns(
        need=pl.lit("SLCN"), low=pl.lit(0.25), central=pl.lit(0.25), high=pl.lit(0.25))])
    frames["age_bands"] = pl.DataFrame({"band": ["young", "school", "older"], "label": ["Young", "School", "Older"],
                                        "age_from": [0, 5, 12], "age_to": [4, 11, 25], "source": [""] * 3})
    bands = simulate(frames, draws=2, by_band=True).bands
    assert bands is not None
    assert bands.cases.shape == (1, 2, 3, 2)  # [area, year, band, draw]
    assert bands.cases[0].transpose(2, 0, 1) == pytest.approx(np.tile([[0.0, 70.0, 40.0]] * 2, (2, 1, 1)))
    assert bands.population[0].tolist() == [[1000.0, 1400.0, 2800.0]] * 2


def test_counts_that_cannot_be_spread_or_exceed_the_children_are_named_in_a_warning() -> None:
    """Three warnings, each in full. A count of 200 for ages 5–14 where no child of those ages lives: it adds no
    cases. A count of 2,500 for ages 5–14, where 2,000 children live (200 an age): more than the population. A
    count for 2026, a year the population does not reach: its rate per head is taken on 2025's population. The
    2026 count of 400 for ages 16–17 is exactly their 400 children (a rate of 1): no warning. Wrong answers
    caught: a warning lost or with a field of the count missing, and one given for a count equal to the children."""
    nobody = [100.0] * 52
    for age in range(5, 15):
        nobody[2 * age] = nobody[2 * age + 1] = 0.0
    assert build(frames_with(population_frame({2025: nobody}), [(2025, 5, 14, 200)])).warnings[1:] == (
        "need count 'ASD, EHC plan' in A for 2025 has no population aged 5 to 14: it adds no cases",)
    warned = build(frames_with(population_frame({2025: [100.0] * 52}),
                               [(2025, 5, 14, 2500), (2026, 16, 17, 400)])).warnings
    assert warned[1:] == (
        "need counts for 2026: there is no population for 2026, so their rate per head is taken on the population "
        "of 2025",
        "need count 'ASD, EHC plan' in A for 2025 is 2,500, more than the population aged 5 to 14 (2,000): check "
        "the count and the population")
