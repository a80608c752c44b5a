"""Sanity checks of a workspace's inputs against national figures, and what a national starter leaves to the user.

Pure: the national figures come in as a frame (the starter's prevalence, reference/starter/), so the CLI, the web
app and the board paper all show the same warnings from this one definition. They are warnings, not errors: a local
rate can be above the national one, but it is the first thing to check (an area once split probable disorder
between levels so that 30% of 12 to 16 year olds had a level of need, against about 1 in 5 nationally).
"""

from __future__ import annotations

import polars as pl

SEXES = ("female", "male")


def _by_age(frame: pl.DataFrame, value: str) -> pl.DataFrame:
    """Rows with age_from..age_to spread to single years of age, and sex 'all' to each sex."""
    frame = frame.with_columns(pl.col("sex").cast(pl.String))  # a stored enum or a CSV's string alike
    return (frame.with_columns(pl.int_ranges(pl.col("age_from"), pl.col("age_to") + 1).alias("age"),
                               pl.when(pl.col("sex") == "all").then(pl.lit(list(SEXES)))
                               .otherwise(pl.concat_list(pl.col("sex"))).alias("sex"))
            .explode("age").explode("sex")
            .with_columns(pl.col("age").cast(pl.Int64), pl.col(value).cast(pl.Float64)))


def prevalence_totals(prevalence: pl.DataFrame) -> pl.DataFrame:
    """(age, total): the central share of children at any level, each sex's total averaged over the sexes given.

    A level given net of another (`net_of`) already holds the two levels' total, so the other level's share is
    taken off once: the total is never counted twice."""
    if prevalence.is_empty():
        return pl.DataFrame(schema={"age": pl.Int64, "total": pl.Float64})
    rows = _by_age(prevalence.with_columns(pl.col("level").cast(pl.String),
                                           pl.col("net_of").cast(pl.String).fill_null("")
                                           if "net_of" in prevalence.columns else pl.lit("").alias("net_of")),
                   "central")
    shares = rows.select("level", "age", "sex", "central")
    netted = (rows.filter(pl.col("net_of") != "").select("net_of", "age", "sex")
              .join(shares.rename({"level": "net_of"}), on=["net_of", "age", "sex"]))
    totals = (shares.group_by("age", "sex").agg(pl.col("central").sum())
              .join(netted.group_by("age", "sex").agg(pl.col("central").sum().alias("less")), on=["age", "sex"],
                    how="left")
              .with_columns((pl.col("central") - pl.col("less").fill_null(0.0)).alias("total")))
    return totals.group_by("age").agg(pl.col("total").mean()).sort("age")


def _ages(ages: list[int]) -> str:
    return f"age {ages[0]}" if len(ages) == 1 else f"ages {ages[0]} to {ages[-1]}"


def prevalence_warnings(prevalence: pl.DataFrame, national: pl.DataFrame, national_name: str) -> list[str]:
    """A warning for each run of ages at which the levels' prevalence adds up to more than the national rate.

    `national`: rows of age_from, age_to, sex ('all'), central — the national share with any level of need, such
    as probable mental disorder; ages it does not cover are not checked."""
    nat = _by_age(national, "central").group_by("age").agg(pl.col("central").mean().alias("national"))
    over = (prevalence_totals(prevalence).join(nat, on="age")
            .filter(pl.col("total") > pl.col("national") + 1e-9).sort("age"))
    runs: list[tuple[list[int], float, float]] = []
    for age, total, rate in over.select("age", "total", "national").iter_rows():
        last = runs[-1] if runs else None
        if last and last[0][-1] == age - 1 and abs(last[1] - total) < 1e-9 and abs(last[2] - rate) < 1e-9:
            last[0].append(age)
        else:
            runs.append(([age], total, rate))
    return [f"at {_ages(ages)} the levels of need add up to {total:.1%} of children, above the national rate of "
            f"{rate:.1%} ({national_name}): check how need is split between levels, and that a level that includes "
            "another is given net of it" for ages, total, rate in runs]


def starter_gaps(frames: dict[str, pl.DataFrame]) -> list[str]:
    """What a national starter could not fill, still missing from the workspace: 'no national figure: you must
    supply X'. Only the gaps that remain are named, so the list shrinks as local data comes in."""
    levels = set(frames["levels"]["level"].cast(pl.String)) if not frames["levels"].is_empty() else set()
    prevalence, steps = frames["prevalence"], frames["pathway_steps"]
    with_rates = set(prevalence["level"].cast(pl.String)) if not prevalence.is_empty() else set()
    with_steps = set(steps["level"].cast(pl.String)) if not steps.is_empty() else set()
    covered = set(_by_age(prevalence, "central")["age"].to_list()) if not prevalence.is_empty() else set()
    gaps = [f"the share of children at level '{lvl}' (how probable disorder splits between levels)"
            for lvl in sorted(levels - with_rates)]
    young = [a for a in range(26) if a not in covered]
    if young:
        gaps.append(f"prevalence at {_ages(young)} (the 2023 survey covers ages 8 to 25)" if young == list(range(8))
                    else f"prevalence for ages {', '.join(map(str, young))}")
    gaps += [f"a care pathway (pathway steps) for level '{lvl}'" for lvl in sorted(levels - with_steps)]
    if frames["roles"].is_empty():
        gaps.append("the roles' sickness days, training days and direct work share (fill in the roles-to-complete.csv "
                    "that 'cyplan init --starter' wrote, and import it)")
    if frames["role_mix"].is_empty():
        gaps.append("the role mix: which roles deliver each pathway step")
    groups = set(frames["groups"]["group"].cast(pl.String)) if not frames["groups"].is_empty() else set()
    risks = frames["group_risks"]
    risked = set(risks["group"].cast(pl.String)) if not risks.is_empty() else set()
    if groups - risked:
        gaps.append(f"relative risks for the groups {', '.join(sorted(groups - risked))}")
    return [f"no national figure: you must supply {g}" for g in gaps]


WORKFORCE_FACTOR = 5  # how far from the national figure an area's FTE per child must be to be warned of


def workforce_warnings(workforce: pl.DataFrame, population: pl.DataFrame, national: dict[str, object] | None
                       ) -> list[str]:
    """A warning for each area whose FTE in post working with children and young people (× the census's CYP share,
    as supply counts it) per 100,000 children is more than WORKFORCE_FACTOR times the
    national figure, or less than 1/WORKFORCE_FACTOR of it.

    The children are the area's population in the national figure's age range in the first year the population
    input holds (the plan's base year). The band is wide on purpose: the national figure is an average of areas,
    years old, and covers community mental health services only, while an area's census may hold early help or
    school roles too. What it is there to catch is an error of kind — the staff of a whole trust, hours entered as
    FTE, a population missing most of its ages — which is larger than that."""
    if national is None or workforce.is_empty() or population.is_empty():
        return []
    per, low, high = float(national["per_children"]), int(national["age_from"]), int(national["age_to"])
    rate = float(national["value"]) / per * 100_000
    pop = population.with_columns(pl.col("area").cast(pl.String))
    base = pop.group_by("area").agg(pl.col("year").min().alias("year"))
    children = (pop.join(base, on=["area", "year"]).filter(pl.col("age").is_between(low, high))
                .group_by("area", "year").agg(pl.col("count").sum().alias("children")))
    share = pl.col("cyp_share").fill_null(1.0) if "cyp_share" in workforce.columns else pl.lit(1.0)
    fte = (workforce.with_columns(pl.col("area").cast(pl.String))
           .group_by("area").agg((pl.col("fte_in_post") * share).sum().alias("fte")))
    per_100k = (fte.join(children, on="area").filter(pl.col("children") > 0)
                .with_columns((pl.col("fte") / pl.col("children") * 100_000).alias("per_100k"))
                .filter((pl.col("per_100k") > rate * WORKFORCE_FACTOR) | (pl.col("per_100k") < rate / WORKFORCE_FACTOR))
                .sort("area"))
    return [f"area {area}: {fte:,.1f} FTE in post is {value:,.0f} per 100,000 children aged {low} to {high} ({year}), "
            + (f"more than {WORKFORCE_FACTOR} times" if value > rate else f"less than 1/{WORKFORCE_FACTOR} of")
            + f" the national figure of about {rate:,.0f} ({national['name']}, {national['period']}): check that "
            "the census counts FTE (not headcount or hours) of the services the plan covers, and the population's ages"
            for area, fte, year, value in per_100k.select("area", "fte", "year", "per_100k").iter_rows()]
