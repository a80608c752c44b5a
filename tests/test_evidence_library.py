"""The evidence library's inputs, ratings and search (issue 15): the mapping of every scheme's ratings to the common
scale, pinned row by row from docs/method.md's table; the summary's rules; located errors for bad input with the
workspace unchanged; an intervention imported from Excel; briefs; the starter library; full-text search on SQLite
and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backends import Backend
from conftest import CliResult, folder_bytes, write_workbook
from cyplan import reference
from cyplan.io.brief import read_brief
from cyplan.model import evidence_ratings as er
from cyplan.store.evidence import briefs, store_brief
from cyplan.store.evidence_search import search
from cyplan.transfer import Source, import_inputs

Run = Callable[[Sequence[str]], CliResult]
DOCS = Path(__file__).parents[1] / "docs"

# docs/method.md's table, written out by hand: scheme, measure, rating as given, strength (0–4), cost (1–5)
MAPPING = [
    ("foundations", "evidence", "4+", 4, None), ("foundations", "evidence", "4", 4, None),
    ("foundations", "evidence", "3+", 3, None), ("foundations", "evidence", "3", 3, None),
    ("foundations", "evidence", "2+", 2, None), ("foundations", "evidence", "2", 2, None),
    ("foundations", "evidence", "NL2", 1, None), ("foundations", "evidence", "NE", 0, None),
    ("foundations", "cost", "1", None, 1), ("foundations", "cost", "2", None, 2), ("foundations", "cost", "3", None, 3),
    ("foundations", "cost", "4", None, 4), ("foundations", "cost", "5", None, 5),
    ("yef", "evidence", "5", 4, None), ("yef", "evidence", "4", 4, None), ("yef", "evidence", "3", 3, None),
    ("yef", "evidence", "2", 2, None), ("yef", "evidence", "1", 1, None),
    ("yef", "evidence", "very high", 4, None), ("yef", "evidence", "high", 4, None),
    ("yef", "evidence", "moderate", 3, None), ("yef", "evidence", "low", 2, None),
    ("yef", "evidence", "very low", 1, None),
    ("yef", "cost", "1", None, 1), ("yef", "cost", "2", None, 2), ("yef", "cost", "3", None, 3),
    ("yef", "cost", "4", None, 4), ("yef", "cost", "5", None, 5),
    ("yef", "cost", "£", None, 1), ("yef", "cost", "££", None, 2), ("yef", "cost", "£££", None, 3),
    ("yef", "cost", "££££", None, 4), ("yef", "cost", "£££££", None, 5),
    ("eef", "padlocks", "5", 4, None), ("eef", "padlocks", "4", 4, None), ("eef", "padlocks", "3", 3, None),
    ("eef", "padlocks", "2", 2, None), ("eef", "padlocks", "1", 1, None), ("eef", "padlocks", "0", 1, None),
    ("eef", "cost", "£", None, 1), ("eef", "cost", "££", None, 2), ("eef", "cost", "£££", None, 3),
    ("eef", "cost", "££££", None, 4), ("eef", "cost", "£££££", None, 5),
    ("eef", "cost", "1", None, 1), ("eef", "cost", "2", None, 2), ("eef", "cost", "3", None, 3),
    ("eef", "cost", "4", None, 4), ("eef", "cost", "5", None, 5),
    ("local", "evidence", "strong", 4, None), ("local", "evidence", "moderate", 3, None),
    ("local", "evidence", "promising", 2, None), ("local", "evidence", "limited", 1, None),
    ("local", "evidence", "none-found", 0, None),
]


@pytest.mark.parametrize(("scheme", "measure", "rating", "strength", "cost"), MAPPING)
def test_each_rating_maps_to_the_documented_strength_and_cost(scheme: str, measure: str, rating: str,
                                                              strength: int | None, cost: int | None) -> None:
    """Catches a rating mapped to another step of the common scale than the method page's table says."""
    assert er.is_allowed(scheme, measure, rating)
    assert er.common_strength(scheme, measure, rating) == strength
    assert er.common_cost(scheme, measure, rating) == cost


def test_the_mapping_holds_no_row_the_table_does_not_pin() -> None:
    """Catches a rating added to the code's mapping without a row in this table (and so in the method page)."""
    coded = {(s, m, r) for table in (er.STRENGTH, er.COST) for (s, m), values in table.items() for r in values}
    assert coded == {(s, m, er.normal(r)) for s, m, r, _, _ in MAPPING}


def test_the_method_page_table_is_the_mapping() -> None:
    """Catches the method page's table and the code disagreeing: each of its rows names a scheme, measure, the
    ratings as given and the strength or cost, and every pinned rating is on a row with its value."""
    text = (DOCS / "method.md").read_text(encoding="utf-8")
    section = text.split("## The evidence library: ratings on one scale")[1].split("\n## ")[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if line.startswith("| ") and "---" not in line]
    rows = [r for r in rows if len(r) == 5 and r[0] != "scheme"]  # the mapping table's rows, not the others
    table = {(r[0], r[1], rating.strip()): r[3] for r in rows for rating in r[2].split(",")}
    for scheme, measure, rating, strength, cost in MAPPING:
        assert table[(er.SCHEME_NAMES[scheme], measure, rating)] == str(strength if strength is not None else cost)


@given(st.sampled_from([r for r in MAPPING if r[0] == "foundations"]), st.text(" \t", max_size=3),
       st.text(" ", max_size=3), st.booleans())
def test_a_rating_is_matched_whatever_its_case_and_spaces(row: tuple, before: str, after: str, lower: bool) -> None:
    """Catches ' ne' or 'nl2' refused, or mapped elsewhere, when 'NE' and 'NL2' are taken."""
    scheme, measure, rating, strength, _cost = row
    given_as = before + (rating.lower() if lower else rating) + after
    assert er.is_allowed(scheme, measure, given_as)
    assert er.common_strength(scheme, measure, given_as) == strength


@given(st.text(max_size=6))
def test_anything_off_the_foundations_scale_is_refused(text: str) -> None:
    """Catches a check that lets through a Foundations evidence rating the Guidebook does not give (5, 3-, A)."""
    assert er.is_allowed("foundations", "evidence", text) == (er.normal(text) in er.STRENGTH[("foundations",
                                                                                              "evidence")])


@pytest.mark.parametrize(("scheme", "measure", "rating", "ok"), [
    ("eef", "months", "+5", True), ("eef", "months", "-2", True), ("eef", "months", "−2", True),
    ("eef", "months", "13", False), ("eef", "months", "five", False),
    ("yef", "impact", "moderate", True), ("yef", "impact", "13%", True), ("yef", "impact", "-5%", True),
    ("yef", "impact", "huge", False), ("eef", "padlocks", "6", False), ("foundations", "cost", "0", False),
    ("local", "evidence", "excellent", False),
])
def test_impact_and_months_are_kept_on_their_own_scales(scheme: str, measure: str, rating: str, ok: bool) -> None:
    """Catches an EEF months or YEF impact rating refused when it is on the scheme's scale (or taken when not),
    and a size of effect given a strength: impact is not strength of evidence."""
    assert er.is_allowed(scheme, measure, rating) == ok
    assert er.common_strength(scheme, measure, rating) is None


def _summary(rows: list[tuple[str, str, str, str]], names: Sequence[str]) -> dict[str, dict[str, object]]:
    frames = {"interventions": pl.DataFrame({"intervention": list(names)}),
              "evidence_ratings": pl.DataFrame(rows, schema=["intervention", "scheme", "measure", "rating"],
                                               orient="row")}
    return {r["intervention"]: r for r in er.evidence_summary(frames).iter_rows(named=True)}


def test_the_summary_takes_the_best_strength_and_the_dearest_cost() -> None:
    """Catches the summary taking the first or the worst rating, or the cheapest cost: Foundations 3+ and EEF 4
    padlocks give strength 4 (padlocks 4 → 4); Foundations cost 2 and EEF £££ give cost 3."""
    got = _summary([("a", "foundations", "evidence", "3+"), ("a", "eef", "padlocks", "4"),
                    ("a", "eef", "months", "5"), ("a", "foundations", "cost", "2"), ("a", "eef", "cost", "£££")], ["a"])
    assert got["a"]["strength"] == 4 and got["a"]["cost"] == 3
    assert got["a"]["ratings_text"] == "Foundations 3+, cost 2; EEF 4 padlocks, +5 months, cost £££"
    assert not got["a"]["no_benefit"] and not got["a"]["disputed"]


def test_no_benefit_found_alone_is_zero_and_flagged() -> None:
    """Catches NE read as a missing rating (null) or as limited evidence: NE alone is strength 0, flagged; beside
    NL2 (not even preliminary evidence of a benefit) it still is."""
    got = _summary([("ne", "foundations", "evidence", "NE"), ("both", "foundations", "evidence", "NE"),
                    ("both", "yef", "evidence", "1")], ["ne", "both", "none"])
    assert (got["ne"]["strength"], got["ne"]["no_benefit"]) == (0, True)
    assert (got["both"]["strength"], got["both"]["no_benefit"]) == (0, True)
    assert (got["none"]["strength"], got["none"]["no_benefit"], got["none"]["ratings_text"]) == (None, False, "")


def test_no_benefit_beside_a_positive_rating_keeps_the_best_and_says_they_disagree() -> None:
    """Catches the chosen rule broken (method.md): a local 'none-found' beside Foundations 3 gives strength 3,
    not flagged as no benefit but as disputed, with both ratings in the text."""
    got = _summary([("x", "foundations", "evidence", "3"), ("x", "local", "evidence", "none-found")], ["x"])
    assert (got["x"]["strength"], got["x"]["no_benefit"], got["x"]["disputed"]) == (3, False, True)
    assert got["x"]["ratings_text"] == "Foundations 3; Local evaluation none-found"


# -- located errors, workspace unchanged ------------------------------------------------------------------------


def refused(run: Run, ws: Path, args: Sequence[str]) -> str:
    before = folder_bytes(ws)
    code, out, err = run([*args, "-w", ws])
    assert code == 2, (out, err)
    assert folder_bytes(ws) == before
    assert "Traceback" not in err
    return err


@pytest.fixture
def library_ws(run_cli: Run, tmp_path: Path) -> Path:
    """A new workspace with the Smalltown examples' roles and the evidence library's example files."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    examples = Path(__file__).parents[1] / "examples" / "inputs"
    for kind in ("roles", "practice_guides", "interventions", "intervention_cells", "intervention_delivery",
                 "evidence_ratings"):
        code, _out, err = run_cli(["import", kind, examples / f"{kind}.csv", "-w", ws])
        assert code == 0, err
    return ws


def test_bad_ratings_are_refused_naming_row_column_and_what_is_allowed(run_cli: Run, library_ws: Path,
                                                                       tmp_path: Path) -> None:
    """Catches an unknown rating or a measure the scheme does not have stored, or refused without the row, the
    column and what the scheme allows."""
    bad = tmp_path / "ratings.csv"
    bad.write_text("intervention,scheme,measure,rating\nparents_group,foundations,evidence,5+\n"
                   "parents_group,eef,impact,high\nparents_group,eef,padlocks,4\n", encoding="utf-8")
    err = refused(run_cli, library_ws, ["import", "evidence_ratings", bad])
    assert (f"{bad}, row 2, column 'rating': '5+' is not a Foundations evidence rating; the allowed ones are: 4+, 4, "
            "3+, 3, 2+, 2, NL2, NE") in err
    assert f"{bad}, row 3, column 'measure': EEF has no measure 'impact'; its measures are: padlocks, months, cost" \
        in err


def test_a_cell_the_specification_does_not_have_is_refused(run_cli: Run, library_ws: Path, tmp_path: Path) -> None:
    """Catches an intervention linked to a cell that does not exist (its gaps would never be found)."""
    bad = tmp_path / "cells.csv"
    bad.write_text("intervention,band,level,provision\nparents_group,early_years,targeted,tea_and_biscuits\n",
                   encoding="utf-8")
    err = refused(run_cli, library_ws, ["import", "intervention_cells", bad])
    assert f"{bad}, row 2, column 'provision': 'tea_and_biscuits' is not a targeted provision for early_years" in err


def test_delivery_rows_need_one_form_and_no_negative_hours(run_cli: Run, library_ws: Path, tmp_path: Path) -> None:
    """Catches hours below zero, a row with both forms (hours counted twice), neither, or half a group form."""
    bad = tmp_path / "delivery.csv"
    bad.write_text("intervention,role,hours_per_case,hours_per_session,sessions,group_size\n"
                   "parents_group,practitioner,-2,,,\n"
                   "parents_group,psychologist,4,2,10,8\n"
                   "school_counselling,practitioner,,,,\n"
                   "school_counselling,psychologist,,2,,8\n", encoding="utf-8")
    err = refused(run_cli, library_ws, ["import", "intervention_delivery", bad])
    assert f"{bad}, row 2, column 'hours_per_case': hours per case -2 is negative; it must be 0 or more" in err, err
    assert f"{bad}, row 3, column 'hours_per_case': gives both hours_per_case and a group programme's" in err
    assert f"{bad}, row 4, column 'hours_per_case': no hours for role 'practitioner'" in err
    assert (f"{bad}, row 5, column 'hours_per_session': a group programme needs hours_per_session, sessions and "
            "group_size; sessions blank") in err


def test_ages_the_wrong_way_round_and_an_unknown_topic_are_refused(run_cli: Run, library_ws: Path,
                                                                   tmp_path: Path) -> None:
    """Catches age_from after age_to stored (the intervention would fit no age) and a topic that is no practice
    guide's."""
    bad = tmp_path / "interventions.csv"
    bad.write_text("intervention,name,age_from,age_to,level,topic\nparents_group,P,9,4,targeted,\n"
                   "school_counselling,S,11,15,targeted,knitting\n", encoding="utf-8")
    err = refused(run_cli, library_ws, ["import", "interventions", bad])
    assert f"{bad}, row 2, column 'age_from': age_from 9 is after age_to 4" in err
    assert f"{bad}, row 3, column 'topic': topic 'knitting' is not in the practice guides" in err


def test_an_intervention_imported_from_excel_is_listed_and_shown(run_cli: Run, library_ws: Path,
                                                                 tmp_path: Path) -> None:
    """Catches a workbook's interventions and ratings not read (or read as text where numbers belong): imported
    from .xlsx sheets, the intervention is listed with its rating on the common scale and shown with its
    group-programme hours worked out (2 × 12 ÷ 6 = 4 hours a case)."""
    book = write_workbook(tmp_path / "library.xlsx", {
        "interventions": [["intervention", "name", "age_from", "age_to", "level", "outcomes"],
                          ["incredible", "Incredible parents", 3, 6, "targeted", "child behaviour"]],
        "intervention_cells": [["intervention", "band", "level", "provision"],
                               ["incredible", "early_years", "targeted", "parenting_support"]],
        "intervention_delivery": [["intervention", "role", "hours_per_session", "sessions", "group_size"],
                                  ["incredible", "practitioner", 2, 12, 6]],
        "evidence_ratings": [["intervention", "scheme", "measure", "rating", "citation"],
                             ["incredible", "foundations", "evidence", "4+", "Made up for the test"]],
    })
    code, out, err = run_cli(["import", "all", book, "-w", library_ws])
    assert code == 0, err
    code, out, err = run_cli(["evidence", "list", "-w", library_ws, "--outcome", "behaviour", "--min-strength", "4",
                              "--format", "csv"])
    assert code == 0, err
    listed = pl.read_csv(out.encode())
    assert listed.select("intervention", "strength").rows() == [("incredible", 4)]
    code, out, err = run_cli(["evidence", "show", "incredible", "-w", library_ws])
    assert code == 0, err
    assert "practitioner, 2 hours a session × 12 sessions ÷ 6 in a group = 4 hours a case" in out + err
    assert "foundations evidence: 4+ → strength 4 (strong)" in out + err
    assert er.RATINGS_STATEMENT in out + err


def test_the_list_filters_by_age_level_strength_and_cost(run_cli: Run, library_ws: Path) -> None:
    """Catches a filter that lets through what it should hold back: Smalltown's parents' group (ages 1–4, cost 2,
    promising) and school counselling (11–15, 3 padlocks: moderate, no cost rating)."""
    def listed(*args: str) -> list[str]:
        code, out, err = run_cli(["evidence", "list", "-w", library_ws, "--format", "csv", *args])
        assert code == 0, err
        return pl.read_csv(out.encode())["intervention"].to_list() if out.strip().count("\n") else []
    assert listed() == ["school_counselling", "parents_group"]  # moderate (3) before promising (2)
    assert listed("--age", "3") == ["parents_group"]
    assert listed("--age", "16") == []
    assert listed("--min-strength", "3") == ["school_counselling"]
    assert listed("--max-cost", "2") == ["parents_group"]  # no cost rating: not known to be within a ceiling
    assert listed("--level", "universal") == []
    assert run_cli(["evidence", "list", "-w", library_ws, "--level", "everyone"])[0] == 2


# -- briefs ---------------------------------------------------------------------------------------------------------


BRIEF = "Some preamble\n\n# Evidence brief: parenting groups\n\n## Key messages\n\n1. Groups help [1].\n"


def test_a_brief_is_stored_with_its_title_and_an_audit_entry(run_cli: Run, library_ws: Path, tmp_path: Path) -> None:
    """Catches a brief stored under the wrong title (not its first heading), without an audit entry, or twice."""
    path = tmp_path / "brief.md"
    path.write_text(BRIEF, encoding="utf-8")
    for _ in range(2):  # a second import replaces the topic's brief
        code, out, err = run_cli(["evidence", "brief", "parenting", path, "-w", library_ws])
        assert code == 0, err
    code, out, err = run_cli(["audit", "list", "-w", library_ws, "--format", "csv"])
    assert out.count('""kind"":""evidence_brief""') == 2, out  # one entry an import
    assert run_cli(["audit", "verify", "-w", library_ws])[0] == 0  # the chain holds the brief's entries
    code, out, err = run_cli(["evidence", "search", "groups", "help", "-w", library_ws])
    assert "brief: Evidence brief: parenting groups (parenting)" in out


def test_a_bad_brief_is_refused_with_the_workspace_unchanged(run_cli: Run, library_ws: Path, tmp_path: Path) -> None:
    """Catches a brief kept for a topic that is no practice guide's, a file with no heading, or one not UTF-8."""
    good, headless, latin = tmp_path / "good.md", tmp_path / "none.md", tmp_path / "latin.md"
    good.write_text(BRIEF, encoding="utf-8")
    headless.write_text("Just words, no heading.\n", encoding="utf-8")
    latin.write_bytes("# Caf\u00e9\n".encode("latin-1"))
    err = refused(run_cli, library_ws, ["evidence", "brief", "knitting", good])
    assert f"{good}: topic 'knitting' is not in the practice guides; their topics are: parenting" in err
    err = refused(run_cli, library_ws, ["evidence", "brief", "parenting", headless])
    assert f"{headless}: has no heading: the brief's title is its first heading" in err
    err = refused(run_cli, library_ws, ["evidence", "brief", "parenting", latin])
    assert f"{latin}, row 1: is not UTF-8 text" in err


# -- the starter library --------------------------------------------------------------------------------------------


def test_the_starter_library_cites_a_seed_on_every_row_and_invents_no_rating() -> None:
    """Catches a starter row without its seed, a rating for an intervention the seeds give none for, and a practice
    guide with findings the seed does not give (seed 004 lists topics and fields only)."""
    folder = reference.EVIDENCE
    for path in sorted(folder.glob("*.csv")):
        frame = pl.read_csv(path, infer_schema=False)
        assert frame["source"].str.contains(r"^Seed 00[034] ").all(), path.name
    ratings = pl.read_csv(folder / "evidence_ratings.csv", infer_schema=False)
    assert ratings.select("intervention", "scheme", "measure", "rating").rows() == [
        ("jigso", "local", "evidence", "promising")]  # seed 000's abstract: "the findings are promising"
    guides = pl.read_csv(folder / "practice_guides.csv", infer_schema=False)
    assert guides["topic"].to_list() == ["kinship_care", "parenting_up_to_12", "mentoring_befriending"]
    for field in ("what_works", "why_how", "who_for", "barriers_enablers", "perspectives", "cost_benefit"):
        assert guides[field].is_null().all(), field
    demo = pl.read_csv(folder / "demo" / "intervention_delivery.csv", infer_schema=False)
    assert demo["source"].str.starts_with("Demo assumption (made up").all()


def test_init_with_the_starter_loads_the_library_and_its_brief(run_cli: Run, tmp_path: Path) -> None:
    """Catches `cyplan init --starter england` leaving the library or its brief out: SEAL is listed for the school
    age cell seed 003 names it for, and a search finds the starter brief."""
    ws = tmp_path / "ws"
    code, out, err = run_cli(["init", ws, "--starter", "england"])
    assert code == 0, err
    code, out, err = run_cli(["evidence", "show", "seal", "-w", ws])
    assert code == 0, err
    assert "school_age / universal / social_emotional_skills" in out + err
    code, out, err = run_cli(["evidence", "search", "parenting", "-w", ws])
    assert "brief: Evidence brief: parenting interventions for children up to 12 (parenting_up_to_12)" in out


# -- search, on both databases --------------------------------------------------------------------------------------


def test_search_finds_interventions_guides_and_briefs_on_either_database(backend: Backend,
                                                                         tmp_path: Path) -> None:
    """Catches search missing a kind of record, not stemming (parent → parenting), taking any word rather than
    every word, or failing on words the full-text syntax reads as its own (AND, quotes, NEAR, *)."""
    ws = backend.create(tmp_path / "ws")
    try:
        files = sorted(reference.DEFAULTS.glob("*.csv")) + sorted(reference.EVIDENCE.glob("*.csv"))
        import_inputs(ws, [Source(p.stem, p) for p in files])
        topics = ws.read("practice_guides")["topic"].to_list()
        path = reference.EVIDENCE / "briefs" / "parenting_up_to_12.md"
        store_brief(ws, read_brief(path, "parenting_up_to_12", topics), path.name)
        assert briefs(ws)["title"].to_list() == ["Evidence brief: parenting interventions for children up to 12"]

        hits = search(ws, "parent")
        kinds = set(zip(hits["kind"], hits["key"], strict=True))
        assert {("intervention", "parenting_programmes"), ("practice guide", "parenting_up_to_12"),
                ("brief", "parenting_up_to_12")} <= kinds
        assert all(re.search(r"\[[^\]]+\]", s) for s in hits["snippet"])  # the word found, marked

        both = search(ws, "kinship carers")
        assert both.select("kind", "key").rows() == [("practice guide", "kinship_care")]
        assert search(ws, "kinship connexions").is_empty()  # every word, not any
        for odd in ('"', "AND", "NEAR(", "seal*", "-", "'; DROP TABLE interventions; --"):
            search(ws, odd)  # no error: a user's words are only words
        assert ws.read("interventions").height == 10
    finally:
        ws.close()


LINE = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="#\ufeff")


@given(st.lists(st.text(alphabet=LINE, max_size=20), max_size=4),
       st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp"), blacklist_characters="#"),
               min_size=1, max_size=20),
       st.integers(1, 3))
def test_a_briefs_title_is_its_first_heading(before: list[str], title: str, level: int) -> None:
    """Catches the title taken from a line that is not a heading, or with its '#' marks or spaces kept."""
    import tempfile
    text = "\n".join([*before, f"{'#' * level} {title}  ", "# Later heading", "text"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "brief.md"
        path.write_bytes(text.encode("utf-8"))
        got = read_brief(path, "t", ["t"])
    assert got.title == title.strip()
    assert got.markdown == text


def test_the_demo_loads_the_library_with_hours_for_its_own_roles(tmp_path: Path) -> None:
    """Catches the demo's made-up delivery hours naming a role Exampleshire does not have, or the library not
    importing beside the demo's inputs (`cyplan demo` would fail): imported as the demo imports them, the parenting
    programmes take 3 × 12 ÷ 8 = 4.5 family support worker hours a family."""
    from conftest import demo_sources
    from cyplan.commands.evidence import demo_sources as library_sources
    from cyplan.store.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws")
    try:
        import_inputs(ws, demo_sources() + library_sources("cyplan demo"))
        delivery = ws.read("intervention_delivery")
    finally:
        ws.close()
    row = delivery.filter(pl.col("intervention") == "parenting_programmes").row(0, named=True)
    assert row["role"] == "family_support_worker"
    assert row["hours_per_session"] * row["sessions"] / row["group_size"] == pytest.approx(4.5)
