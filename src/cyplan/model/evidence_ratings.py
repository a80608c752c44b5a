"""Evidence ratings on one scale: what each scheme allows, and how its ratings map to a common strength (0–4) and a
common cost (1–5). docs/method.md ("The evidence library: ratings on one scale") gives the table and its sources.

This is the one definition of the schemes' ratings: the import's checks (io/validate_evidence.py) take the allowed
values from here. Ratings are kept as given; they are matched here without regard to case, spaces at either end or
the kind of minus sign, so "ne", " NE" and "NE" are one rating.

Pure: frames in, frames out.
"""

from __future__ import annotations

import re

import polars as pl

RATINGS_STATEMENT = ("A rating is an opinion about the strength of evidence, not a recommendation: the schemes rate "
                     "what studies have found, and whether an intervention suits this area, its children and its "
                     "services is a judgement for the partnership.")

STRONG, MODERATE, PROMISING, LIMITED, NO_BENEFIT = 4, 3, 2, 1, 0
STRENGTH_WORDS = {STRONG: "strong", MODERATE: "moderate", PROMISING: "promising or preliminary",
                  LIMITED: "limited, or not yet rated at level 2", NO_BENEFIT: "no benefit found"}
SCHEME_NAMES = {"foundations": "Foundations", "yef": "YEF", "eef": "EEF", "local": "Local evaluation"}

POUNDS = {"£" * n: n for n in range(1, 6)}
ONE_TO_FIVE = {str(n): n for n in range(1, 6)}

# strength on 0–4, for each (scheme, measure) that rates the strength of evidence
STRENGTH: dict[tuple[str, str], dict[str, int]] = {
    ("foundations", "evidence"): {"4+": 4, "4": 4, "3+": 3, "3": 3, "2+": 2, "2": 2, "nl2": 1, "ne": 0},
    ("yef", "evidence"): {"5": 4, "4": 4, "3": 3, "2": 2, "1": 1,
                          "very high": 4, "high": 4, "moderate": 3, "low": 2, "very low": 1},
    ("eef", "padlocks"): {"5": 4, "4": 4, "3": 3, "2": 2, "1": 1, "0": 1},
    ("local", "evidence"): {"strong": 4, "moderate": 3, "promising": 2, "limited": 1, "none-found": 0},
}
# cost on 1–5 (1 cheapest), for each (scheme, measure) that rates cost
COST: dict[tuple[str, str], dict[str, int]] = {
    ("foundations", "cost"): ONE_TO_FIVE,
    ("yef", "cost"): {**ONE_TO_FIVE, **POUNDS},
    ("eef", "cost"): {**ONE_TO_FIVE, **POUNDS},
}
# measures rated on a scheme's own scale with no common counterpart: the size of an effect, not the strength of
# its evidence (an impact rating is shown as given, beside the strength)
YEF_IMPACT_WORDS = ("harmful", "no effect", "low", "moderate", "medium", "high")
PERCENT = re.compile(r"^[+-]?\d{1,3}(\.\d+)?%$")
MONTHS = re.compile(r"^[+-]?\d{1,2}$")
MAX_MONTHS = 12  # a school year: the EEF Toolkit's months of progress lie well inside it

MEASURES_OF: dict[str, tuple[str, ...]] = {
    "foundations": ("evidence", "cost"),
    "yef": ("evidence", "impact", "cost"),
    "eef": ("padlocks", "months", "cost"),
    "local": ("evidence",),
}


def normal(rating: str) -> str:
    """The rating as matched: trimmed, lower case, a true minus sign or en dash read as '-'."""
    return " ".join(str(rating).replace("−", "-").replace("–", "-").strip().lower().split())


def allowed(scheme: str, measure: str) -> str:
    """What a scheme allows for a measure, in words for a message (empty if the scheme has no such measure)."""
    key = (scheme, measure)
    if key in STRENGTH or key in COST:
        values = list((STRENGTH.get(key) or COST[key]).keys())
        shown = [v.upper() if v in ("ne", "nl2") else v for v in values]
        return ", ".join(shown)
    if key == ("yef", "impact"):
        return ", ".join(YEF_IMPACT_WORDS) + ", or a percentage such as 13% or -5%"
    if key == ("eef", "months"):
        return f"a whole number of months from -{MAX_MONTHS} to +{MAX_MONTHS}, such as +5 or -1"
    return ""


def is_allowed(scheme: str, measure: str, rating: str) -> bool:
    """Whether `rating` is one the scheme gives for the measure."""
    key, value = (scheme, measure), normal(rating)
    if key in STRENGTH:
        return value in STRENGTH[key]
    if key in COST:
        return value in COST[key]
    if key == ("yef", "impact"):
        return value in YEF_IMPACT_WORDS or bool(PERCENT.match(value))
    if key == ("eef", "months"):
        return bool(MONTHS.match(value)) and abs(int(value)) <= MAX_MONTHS
    return False


def common_strength(scheme: str, measure: str, rating: str) -> int | None:
    """The rating's strength of evidence on 0–4 (4 strong … 0 no benefit found); None for a measure that does not
    rate strength, or a rating the scheme does not give."""
    return STRENGTH.get((scheme, measure), {}).get(normal(rating))


def common_cost(scheme: str, measure: str, rating: str) -> int | None:
    """The rating's cost on 1–5 (1 cheapest); None for a measure that does not rate cost."""
    return COST.get((scheme, measure), {}).get(normal(rating))


def _normal(rating: pl.Expr) -> pl.Expr:
    """normal(), as an expression over a column."""
    return (rating.str.replace_all("−", "-", literal=True).str.replace_all("–", "-", literal=True)
            .str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " "))


def _mapping(table: dict[tuple[str, str], dict[str, int]], name: str) -> pl.DataFrame:
    rows = [(s, m, r, v) for (s, m), values in table.items() for r, v in values.items()]
    return pl.DataFrame(rows, schema={"scheme": pl.String, "measure": pl.String, "key": pl.String, name: pl.Int64},
                        orient="row")


def _shown(scheme: str, measure: str, rating: str) -> str:
    """One rating as the summary words it: '3+', '4 padlocks', '+5 months', 'cost 2'."""
    text = str(rating).strip()
    if measure == "padlocks":
        return f"{text} padlock{'' if text == '1' else 's'}"
    if measure == "months":
        months = int(normal(text)) if MONTHS.match(normal(text)) else None
        return f"{months:+d} months" if months is not None else f"{text} months"
    if measure in ("cost", "impact"):
        return f"{measure} {text}"
    return text if scheme in ("foundations", "local") else f"evidence {text}"


def evidence_summary(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per intervention: its best common strength over its evidence ratings (`strength`, None without any),
    its common cost (the dearest any scheme gives, None without any), `ratings_text` (e.g. "Foundations 3+, cost 2;
    EEF 4 padlocks, +5 months"), `no_benefit` (a rating of no benefit found — Foundations NE, a local 'none-found' —
    and no rating of promising or better beside it) and `disputed` (such a rating beside one of promising or
    better: the strength is the better one, as the schemes rate on an intervention's best evidence, and the
    no-benefit rating is shown in ratings_text beside it)."""
    interventions = frames["interventions"].select("intervention")
    ratings = frames["evidence_ratings"].select("intervention", "scheme", "measure", "rating")
    places = [(s, m, i * 10 + j) for i, (s, ms) in enumerate(MEASURES_OF.items()) for j, m in enumerate(ms)]
    order = pl.DataFrame(places,
                         schema={"scheme": pl.String, "measure": pl.String, "_order": pl.Int64}, orient="row")
    rated = (ratings
             .with_columns(_normal(pl.col("rating")).alias("key"),
                           # a few rows a library: the words are made row by row, as _shown says them
                           pl.struct("scheme", "measure", "rating").map_elements(
                               lambda r: _shown(r["scheme"], r["measure"], r["rating"]),
                               return_dtype=pl.String).alias("_shown"))
             .join(order, on=["scheme", "measure"], how="left")
             .with_columns((pl.col("_order") // 10).alias("_s"))
             .join(_mapping(STRENGTH, "strength"), on=["scheme", "measure", "key"], how="left")
             .join(_mapping(COST, "cost"), on=["scheme", "measure", "key"], how="left")
             .sort("intervention", "_order"))
    per_scheme = (rated.group_by("intervention", "scheme", "_s", maintain_order=True)
                  .agg(pl.col("_shown").str.join(", ").alias("_text"))
                  .with_columns((pl.col("scheme").replace_strict(SCHEME_NAMES, default=pl.col("scheme"))
                                 + " " + pl.col("_text")).alias("_text"))
                  .sort("intervention", "_s")
                  .group_by("intervention", maintain_order=True)
                  .agg(pl.col("_text").str.join("; ").alias("ratings_text")))
    best = (rated.group_by("intervention")
            .agg(pl.col("strength").max().alias("strength"), pl.col("cost").max().alias("cost"),
                 (pl.col("strength") == NO_BENEFIT).any().alias("_none"),
                 (pl.col("strength") >= PROMISING).any().alias("_some")))
    return (interventions.join(best, on="intervention", how="left").join(per_scheme, on="intervention", how="left")
            .with_columns(pl.col("ratings_text").fill_null(""),
                          (pl.col("_none").fill_null(False) & ~pl.col("_some").fill_null(False)).alias("no_benefit"),
                          (pl.col("_none").fill_null(False) & pl.col("_some").fill_null(False)).alias("disputed"))
            .with_columns(pl.when(pl.col("no_benefit")).then(pl.lit(NO_BENEFIT, pl.Int64))
                          .otherwise(pl.col("strength")).alias("strength"))
            .select("intervention", "strength", "cost", "ratings_text", "no_benefit", "disputed"))
