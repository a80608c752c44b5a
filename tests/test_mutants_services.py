"""Tests written for the mutants of model/services.py (the services rating) that no other test killed: each
names the wrong answer it catches, with the figures worked by hand. docs/testing.md lists every survivor."""

from __future__ import annotations

import polars as pl
import pytest

from cyplan.model.services import (
    MARGIN_SCHEMA,
    Counts,
    Judgement,
    Rating,
    Register,
    Rules,
    actions,
    band_need_shares,
    checklist,
    coverage_matrix,
    group_matrix,
    level,
    margins,
    nearness,
    need_against_capacity,
    rate,
    service_coverage,
)
from test_services_rating import CELLS, SPEC, frame, register
from test_services_rating_edges import EARLY, IN_PLACE, cells_in_place


def test_localities_with_no_shares_given_each_hold_an_equal_share_of_the_area() -> None:
    """Four localities, none with a share: each is a quarter of the area, so a service listing one of them covers
    0.25 and one listing three covers 0.75 (not 0: a blank share is 'equal shares', not 'nothing')."""
    reg = register(
        [{"service": "a", "label": "A", "provider": "p", "status": "in place", "coverage": None},
         {"service": "b", "label": "B", "provider": "p", "status": "in place", "coverage": None}],
        localities=[{"locality": loc, "label": loc.title(), "share": None} for loc in ("n", "e", "s", "w")],
        service_localities=[{"service": "a", "locality": "n"},
                            *({"service": "b", "locality": loc} for loc in ("n", "e", "s"))])
    coverage = dict(service_coverage(reg).select("service", "coverage").iter_rows())
    assert coverage == {"a": 0.25, "b": 0.75}


@pytest.mark.parametrize("reason", ["Pending the new contract.", "We are sure!", "Is it enough?"])
def test_a_judgements_reason_ending_in_a_full_stop_or_a_mark_gets_no_second_full_stop(reason: str) -> None:
    same = Judgement(2, "the board", "2026-03-01", reason, computed=2).difference
    assert same.endswith(f"register. {reason}")
    other = Judgement(3, "the board", "2026-03-01", reason, computed=2).difference
    assert other.endswith(f"Why: {reason}")


def test_a_judgements_reason_without_a_full_stop_gets_one() -> None:
    assert Judgement(3, "the board", "2026-03-01", " Pending review ", computed=2).difference.endswith(
        "Why: Pending review.")


@pytest.mark.parametrize("name", ["whole_area", "most", "plans_in_place", "full_range"])
def test_a_threshold_of_zero_is_refused(name: str) -> None:
    """Each threshold is a share 'more than 0 and at most 1': 0 would make every register meet it."""
    with pytest.raises(ValueError, match=f"{name.replace('_', ' ')} must be more than 0 and at most 1, not 0"):
        Rules(**{name: 0.0})


def test_a_locality_left_blank_beside_others_with_shares_holds_none_of_the_area() -> None:
    """Shares given for north (0.6) and south (0.4), east left blank: 'blank in every row means equal shares', so
    one blank among given shares is no share. A service in east alone covers 0; one in north and east, 0.6."""
    reg = register(
        [{"service": "a", "label": "A", "provider": "p", "status": "in place", "coverage": None},
         {"service": "b", "label": "B", "provider": "p", "status": "in place", "coverage": None}],
        localities=[{"locality": "n", "label": "N", "share": 0.6}, {"locality": "s", "label": "S", "share": 0.4},
                    {"locality": "e", "label": "E", "share": None}],
        service_localities=[{"service": "a", "locality": "e"}, {"service": "b", "locality": "n"},
                            {"service": "b", "locality": "e"}])
    coverage = dict(service_coverage(reg).select("service", "coverage").iter_rows())
    assert coverage == {"a": 0.0, "b": 0.6}


def test_localities_whose_shares_add_to_more_than_one_give_a_service_in_all_of_them_the_whole_area_not_more() -> None:
    """Shares are not checked to add to 1: north 0.7 and south 0.7 add to 1.4, and a service in both covers the
    whole area (1), not 140% of it; one in north alone covers 0.7."""
    reg = register(
        [{"service": "a", "label": "A", "provider": "p", "status": "in place", "coverage": None},
         {"service": "b", "label": "B", "provider": "p", "status": "in place", "coverage": None}],
        localities=[{"locality": "n", "label": "N", "share": 0.7}, {"locality": "s", "label": "S", "share": 0.7}],
        service_localities=[{"service": "a", "locality": "n"}, {"service": "a", "locality": "s"},
                            {"service": "b", "locality": "n"}])
    coverage = dict(service_coverage(reg).select("service", "coverage").iter_rows())
    assert coverage == {"a": 1.0, "b": 0.7}


def test_a_cell_no_service_reaches_lists_no_services_not_a_blank() -> None:
    """One service in one cell: every other cell of the specification has empty lists of services in place and
    being developed (the page and the paper count them), not nulls."""
    first = CELLS[0]
    reg = register([{"service": "s", "label": "S", "provider": "p", "status": "in place", "coverage": 1.0}],
                   [{"service": "s", "band": first[0], "level": first[1], "provision": first[2]}])
    matrix = coverage_matrix(reg, SPEC.provisions)
    others = matrix.filter((pl.col("band") != first[0]) | (pl.col("level") != first[1])
                           | (pl.col("provision") != first[2]))
    assert others.height == len(CELLS) - 1
    assert others["in_place"].to_list() == [[]] * others.height
    assert others["developing"].to_list() == [[]] * others.height
    assert matrix.filter(pl.col("state") == "in place, whole area")["in_place"].to_list() == [["s"]]


def test_a_group_no_service_reaches_lists_no_services_nor_provisions_not_a_blank() -> None:
    """One targeted service for one group in one band: every other band × group has empty lists of services in
    place, being developed and provisions delivered, not nulls; the one reached lists the service and provision."""
    band, level, provision = next(c for c in CELLS if c[1] == "targeted")
    group = SPEC.band_groups.filter(pl.col("band") == band)["group"][0]
    reg = register([{"service": "s", "label": "S", "provider": "p", "status": "in place", "coverage": 1.0}],
                   [{"service": "s", "band": band, "level": level, "provision": provision}],
                   [{"service": "s", "group": group}])
    matrix = group_matrix(reg, SPEC.band_groups)
    reached = (pl.col("band") == band) & (pl.col("group") == group)
    others = matrix.filter(~reached)
    assert others.height == SPEC.band_groups.height - 1
    for column in ("in_place", "developing", "provisions"):
        assert others[column].to_list() == [[]] * others.height, column
    assert matrix.filter(reached).select("in_place", "developing", "provisions").row(0) == (["s"], [], [provision])


# -- the reasons a rating gives, word for word (docs/services.md) -----------------------------------------------

def _rated(reg: Register) -> Rating:
    return rate(reg, SPEC.provisions, SPEC.band_groups)


def test_rating_1_gives_each_plan_not_in_place_as_its_reason() -> None:
    rating = _rated(register(plans=[EARLY]))
    assert rating.rating == 1
    assert rating.reasons.rows() == [("plan", "p2", "early stage",
                                      "no plan or protocol is in place (rating 2 needs at least one)")]


def test_rating_2_with_every_plan_in_place_but_no_service_gives_each_cell_as_its_reason() -> None:
    """All 35 cells of the specification have no service, the one plan is in place: rating 2, and each cell is
    a reason, saying rating 3 needs one service."""
    rating = _rated(register(plans=[IN_PLACE]))
    assert rating.rating == 2
    assert rating.reasons.height == len(CELLS) == 35
    assert set(rating.reasons.select("kind", "state", "why").rows()) == {
        ("cell", "nothing", "no service in place: rating 3 needs at least one")}


def test_rating_2_with_a_plan_to_come_and_no_service_says_both_ways_to_rating_3() -> None:
    """One plan in place, one at an early stage, no service: rating 2. Rating 3 needs every plan in place and one
    cell with a service, or 'most services' no longer true: at most 17 of 35 cells without (17.5 is half), so 18
    more cells with a service."""
    rating = _rated(register(plans=[IN_PLACE, EARLY]))
    assert rating.rating == 2
    assert rating.reasons.row(0) == (
        "plan", "p2", "early stage", "not in place: rating 3 needs 100% of plans and protocols in place and one cell "
        "with a service in place, or 18 more cells with a service in place")
    cells = rating.reasons.filter(pl.col("kind") == "cell")
    assert cells.height == 35
    assert set(cells["why"]) == {"no service in place: 35 of 35 cells have none, more than 50% ('most services have "
                                 "yet to be put in place'); rating 3 needs 18 more in place, or the plans in place"}


def test_rating_3_with_a_plan_to_come_gives_that_plan_first() -> None:
    """20 of 35 cells in place across the whole area (15 without: not 'most'), one plan at an early stage: rating 3,
    and the first reason is that plan; a full range needs 32 cells (90% of 35 is 31.5), so 12 more."""
    rating = _rated(cells_in_place(20, [IN_PLACE, EARLY]))
    assert rating.rating == 3
    assert rating.reasons.row(0) == ("plan", "p2", "early stage",
                                     "not in place: rating 4 needs 100% of plans and protocols in place")
    assert rating.reasons.filter(pl.col("kind") == "plan").height == 1
    cells = rating.reasons.filter(pl.col("kind") == "cell")
    assert cells.height == 15
    assert set(cells["why"]) == {"rating 4 needs 12 more of these in place across the whole area (a full range: 90% "
                                 "of the cells)"}


def test_most_services_yet_to_be_in_place_is_more_than_the_share_not_the_share_itself() -> None:
    """With 'most' set to 40%, 14 of 35 cells without a service is exactly 40%: not more, so not 'most services
    have yet to be put in place', and with a plan to come the rating is 3; 15 cells without is more: rating 2."""
    rules = Rules(most=0.4)
    counts = {"plans": 2, "plans_in_place": 1, "cells": 35, "cells_in_place_whole_area": 0, "band_groups": 0,
              "band_groups_whole_area": 0}
    assert level(Counts.of({**counts, "cells_none": 14}), rules)[0] == 3
    assert level(Counts.of({**counts, "cells_none": 15}), rules)[0] == 2


def _first_cells_no_groups(k: int, plans: list[dict[str, object]]) -> Register:
    """One service in place across the whole area in the first k cells (targeted first), listing no group."""
    chosen = (sorted(c for c in CELLS if c[1] == "targeted") + sorted(c for c in CELLS if c[1] == "universal"))[:k]
    return register([{"service": "s", "label": "S", "provider": "p", "status": "in place", "coverage": 1.0}],
                    [{"service": "s", "band": b, "level": lv, "provision": p} for b, lv, p in chosen], plans=plans)


def test_a_full_range_of_cells_with_a_group_short_gives_the_groups_and_no_cell_as_reasons() -> None:
    """33 of 35 cells in place across the whole area (a full range is 32: 90% of 35 is 31.5) but no vulnerable group
    reached: rating 3, and the reasons are every group, none a cell (no more cells are needed)."""
    rating = _rated(_first_cells_no_groups(33, [IN_PLACE]))
    assert rating.rating == 3
    assert rating.reasons.filter(pl.col("kind") == "cell").height == 0
    groups = rating.reasons.filter(pl.col("kind") == "group")
    assert groups.height == SPEC.band_groups.height
    assert set(groups["why"]) == {"rating 4 needs targeted provision in place for this group across the whole area"}


def test_rating_3_says_a_full_range_is_in_place_only_when_every_cell_and_group_is_across_the_whole_area() -> None:
    """A plan still to come keeps both registers at 3. With all 35 cells and every group in place across the whole
    area the services clause says a full range is in place; with 33 of 35 cells (a full range by count, but not
    every cell) it says some are still to be developed."""
    every = _rated(cells_in_place(35, [IN_PLACE, EARLY]))
    assert every.rating == 3
    assert every.title.endswith(": a full range of early intervention support services, universal and targeted, are "
                                "in place and being delivered across the whole area (every cell of the specification "
                                "and every age band × vulnerable group the targeted level names).")
    most = _rated(cells_in_place(33, [IN_PLACE, EARLY]))
    assert most.rating == 3
    assert most.title.endswith(": some services are in place and being delivered, some are still to be developed "
                               "(33 of 35 cells of the specification have a service in place, 33 across the whole "
                               "area).")


def test_a_full_range_share_that_makes_a_whole_number_of_cells_is_met_by_that_number() -> None:
    """With a full range set at 80%, 28 of 35 cells is exactly 80%: met (rating 4 with every plan in place and no
    group to reach), and a register with 20 such cells is 8 short."""
    rules = Rules(full_range=0.8)
    counts = {"plans": 1, "plans_in_place": 1, "cells": 35, "cells_none": 0, "band_groups": 0,
              "band_groups_whole_area": 0}
    assert level(Counts.of({**counts, "cells_in_place_whole_area": 28}), rules)[0] == 4
    assert level(Counts.of({**counts, "cells_in_place_whole_area": 27}), rules)[0] == 3
    rating = rate(cells_in_place(20, [IN_PLACE]), SPEC.provisions, SPEC.band_groups, rules)
    assert set(rating.reasons.filter(pl.col("kind") == "cell")["why"]) == {
        "rating 4 needs 8 more of these in place across the whole area (a full range: 80% of the cells)"}


def test_the_measures_give_the_share_of_plans_in_place() -> None:
    """The Services API returns the measures as they are named: one of two plans in place is a share of 0.5."""
    assert _rated(register(plans=[IN_PLACE, EARLY])).measures["plans_in_place_share"] == 0.5


def test_the_share_of_plans_in_place_is_0_when_none_is_listed() -> None:
    assert _rated(register()).measures["plans_in_place_share"] == 0.0


def test_rating_1_with_most_cells_without_a_service_says_most_services_are_yet_to_be_in_place() -> None:
    """No plan in place (rating 1), a service in 5 of the 35 cells: the services clause says most services have yet
    to be put in place, with the counts (30 have none)."""
    rating = _rated(cells_in_place(5, [EARLY]))
    assert rating.rating == 1
    assert rating.title.endswith(": most services have yet to be put in place across the whole area (5 of 35 cells of "
                                 "the specification have a service in place; 30 have none).")


def test_the_margins_are_read_from_the_rating_under_the_rules_given() -> None:
    """Most set at 40%: 15 of 35 cells without a service is 'most', so with one of two plans in place the rating is
    2 (it would be 3 at the default 50%). The margins start from 2: every move up reaches 3 or above, every move down
    reaches 1."""
    rules = Rules(most=0.4)
    counts = Counts.of({"plans": 2, "plans_in_place": 1, "cells": 35, "cells_none": 15,
                        "cells_in_place_whole_area": 20, "band_groups": 0, "band_groups_whole_area": 0})
    assert level(counts, rules)[0] == 2 and level(counts)[0] == 3
    table = margins(counts, rules)
    assert table.height > 0
    assert set(table.filter(pl.col("direction") == "down")["rating"]) <= {1}
    assert set(table.filter(pl.col("direction") == "up")["rating"]) <= {3, 4}
    assert table.filter(pl.col("direction") == "up").height > 0


def test_a_margin_that_takes_every_cell_is_found_alone() -> None:
    """A full range set at 100%, every plan in place, all 35 cells with a service in part of the area only: rating 3,
    and rating 4 takes all 35 cells across the whole area, one kind of change alone (the margins try up to the most
    there is of anything, plus one)."""
    counts = Counts.of({"plans": 1, "plans_in_place": 1, "cells": 35, "cells_none": 0, "cells_in_place_whole_area": 0,
                        "band_groups": 0, "band_groups_whole_area": 0})
    rules = Rules(full_range=1.0)
    assert level(counts, rules)[0] == 3
    up = margins(counts, rules).filter(pl.col("direction") == "up").rows()
    assert up == [("up", 4, "cell_whole", 35, "35 more cells with a service in place across the whole area")]


def test_plans_at_an_early_stage_and_not_started_are_counted_and_said_apart() -> None:
    """Three plans: one in place, one at an early stage, one not started; 20 cells in place: rating 3, and the words
    give each count."""
    rating = _rated(cells_in_place(20, [IN_PLACE, EARLY, {"plan": "p3", "label": "R", "status": "none"}]))
    assert rating.rating == 3
    assert (rating.measures["plans_early_stage"], rating.measures["plans_none"]) == (1, 1)
    assert rating.title.startswith("1 of 3 protocols and plans are in place; the others are at an early stage of "
                                   "development (1) or not yet started (1):")


def test_a_margin_that_takes_more_plans_than_there_are_cells_is_found() -> None:
    """38 plans listed, 37 in place, no service: rating 2 (one plan to come, most services yet to be in place). Only
    taking away all 37 plans in place brings it to 1: more than the 35 cells, so the moves must go up to the plans."""
    counts = Counts.of({"plans": 38, "plans_in_place": 37, "cells": 35, "cells_none": 35,
                        "cells_in_place_whole_area": 0, "band_groups": 23, "band_groups_whole_area": 0})
    assert level(counts)[0] == 2
    down = margins(counts).filter(pl.col("direction") == "down").rows()
    assert ("down", 1, "plan", 37, "37 fewer plans or protocols in place") in down


def test_the_margins_of_rating_3_and_rating_4_row_by_row() -> None:
    """One plan, in place; 35 cells none without a service; no group to reach.

    20 cells across the whole area: rating 3 (32 needed for a full range). Down: the plan taken away gives 1; the
    plan and 18 cells losing their service together give 2 (17 of 35 is the most that is not 'most'; one plan
    fewer leaves the plans short); cells alone give 2 only when all 35 have none (while one has a service, 'some are
    in place' keeps 3). Up: 12 more cells across the whole area give 4.

    All 35 across the whole area: rating 4. Down: the plan gives 1; 4 cells without a service, or 4 in part of the
    area only, leave 31 across the whole area, short of 31.5: 3. No 'together' row at 4."""
    base = {"plans": 1, "plans_in_place": 1, "cells": 35, "cells_none": 0, "band_groups": 0,
            "band_groups_whole_area": 0}
    assert margins(Counts.of({**base, "cells_in_place_whole_area": 20})).rows() == [
        ("down", 1, "plan", 1, "one fewer plan or protocol in place"),
        ("down", 2, "together", 19, "one fewer plan or protocol in place and 18 more cells without a service in place"),
        ("down", 2, "cell_none", 35, "35 more cells without a service in place"),
        ("up", 4, "cell_whole", 12, "12 more cells with a service in place across the whole area")]
    assert margins(Counts.of({**base, "cells_in_place_whole_area": 35})).rows() == [
        ("down", 1, "plan", 1, "one fewer plan or protocol in place"),
        ("down", 3, "cell_none", 4, "4 more cells without a service in place"),
        ("down", 3, "cell_part", 4, "4 more cells not in place across the whole area")]


def test_the_measures_give_the_share_of_cells_yet_to_be_in_place() -> None:
    """20 of 35 cells with a service: 15 without, a share of 15/35."""
    assert _rated(cells_in_place(20, [IN_PLACE])).measures["cells_yet_to_be_in_place_share"] == 15 / 35


@pytest.mark.parametrize("plans, expected", [([EARLY], 1), ([IN_PLACE, EARLY], 2), ([IN_PLACE], 4)])
def test_the_descriptor_is_the_seeds_words_for_the_rating(plans: list[dict[str, object]], expected: int) -> None:
    """Section 4 of seed 003, word for word, for ratings 1, 2 and 4."""
    seed = {1: "No protocols or plans are in place to commission early intervention support services.",
            2: "Some protocols and plans are in place while others are at an early stage of development: most "
               "services have yet to be put in place across the whole area.",
            4: "Protocols and plans are in place, and a full range of early intervention support services, universal "
               "and targeted, are in place and being delivered across the whole area."}
    rating = _rated(cells_in_place(35 if expected == 4 else 0, plans))
    assert (rating.rating, rating.descriptor) == (expected, seed[expected])


def test_the_words_are_read_under_the_rules_given() -> None:
    """Most set at 40%: with no plan in place (rating 1) and 15 of 35 cells without a service (more than 40%), the
    services clause says most services have yet to be put in place; at the default 50% it would not."""
    rating = rate(cells_in_place(20, [EARLY]), SPEC.provisions, SPEC.band_groups, Rules(most=0.4))
    assert rating.rating == 1
    assert rating.title.endswith(": most services have yet to be put in place across the whole area (20 of 35 cells "
                                 "of the specification have a service in place; 15 have none).")


def test_the_margins_of_rating_1_and_of_rating_2_with_every_plan_in_place() -> None:
    """One plan, no service in any of the 35 cells. Not in place: rating 1, and only putting the plan in place lifts
    it (to 2: no service yet); no cell can while no plan is in place. In place: rating 2; taking it away gives 1, and
    one cell with a service gives 3 ('some services are in place'). No 'together' row in either."""
    base = {"plans": 1, "cells": 35, "cells_none": 35, "cells_in_place_whole_area": 0, "band_groups": 0,
            "band_groups_whole_area": 0}
    assert margins(Counts.of({**base, "plans_in_place": 0})).rows() == [
        ("up", 2, "plan", 1, "one more plan or protocol in place")]
    assert margins(Counts.of({**base, "plans_in_place": 1})).rows() == [
        ("down", 1, "plan", 1, "one fewer plan or protocol in place"),
        ("up", 3, "cell_whole", 1, "one more cell with a service in place across the whole area")]


def test_rate_gives_the_margins_under_the_rules_given() -> None:
    """Most set at 40%: 15 of 35 cells without a service and a plan to come is rating 2 (3 at the default 50%); the
    margins rate gives start from 2, so every move down reaches 1."""
    rating = rate(cells_in_place(20, [IN_PLACE, EARLY]), SPEC.provisions, SPEC.band_groups, Rules(most=0.4))
    assert rating.rating == 2
    assert set(rating.margins.filter(pl.col("direction") == "down")["rating"]) == {1}


@pytest.mark.parametrize("plans, words", [
    ([], "No protocols or plans are in place to commission early intervention support services (none is listed)"),
    ([EARLY], "No protocols or plans are in place to commission early intervention support services (0 of 1)"),
    ([IN_PLACE, {"plan": "p3", "label": "R", "status": "none"}],
     "1 of 2 protocols and plans are in place; the other is not yet started (1)"),
    ([IN_PLACE, EARLY, {"plan": "p4", "label": "S", "status": "early stage"}],
     "1 of 3 protocols and plans are in place; the others are at an early stage of development (2)"),
])
def test_the_plans_clause_counts_what_is_listed(plans: list[dict[str, object]], words: str) -> None:
    """The plans clause of the words, with 20 of 35 cells in place (ratings 1 and 3)."""
    assert _rated(cells_in_place(20, plans)).title.startswith(words + ":")


def test_a_margin_that_takes_every_cell_across_the_whole_area_down_to_part_is_found() -> None:
    """A full range set at 2% (one cell of 35 is enough), every plan in place, every cell with a service, 3 of them
    across the whole area: rating 4, and it falls to 3 only when all 3 are in part of the area only."""
    counts = Counts.of({"plans": 1, "plans_in_place": 1, "cells": 35, "cells_none": 0, "cells_in_place_whole_area": 3,
                        "band_groups": 0, "band_groups_whole_area": 0})
    rules = Rules(full_range=0.02)
    assert level(counts, rules)[0] == 4
    assert ("down", 3, "cell_part", 3, "3 more cells not in place across the whole area") in margins(counts,
                                                                                                     rules).rows()


def test_the_margins_down_from_4_take_the_cells_in_part_of_the_area_first() -> None:
    """One plan, in place; of the 35 cells 32 across the whole area, 2 in part of it, 1 with none; the one band ×
    group reached across the whole area: rating 4 (32 ≥ 31.5, the full range at 90%).

    Cells losing their service lose it first where a service reaches part of the area: two such cells leave 32
    across the whole area, still 4; the third is one of the 32, leaving 31: 3, so 3 cells (not 1, as if each lost
    cell took a whole-area one too). One cell more in part of the area leaves 31: 3 at once. The one band × group
    no longer reached across the whole area also gives 3 (it is the only one, and is still a possible move)."""
    counts = Counts.of({"plans": 1, "plans_in_place": 1, "cells": 35, "cells_none": 1,
                        "cells_in_place_whole_area": 32, "band_groups": 1, "band_groups_whole_area": 1})
    assert margins(counts).rows() == [
        ("down", 3, "cell_part", 1, "one more cell not in place across the whole area"),
        ("down", 3, "group", 1, "one more age band × group not reached across the whole area"),
        ("down", 1, "plan", 1, "one fewer plan or protocol in place"),
        ("down", 3, "cell_none", 3, "3 more cells without a service in place")]


def test_the_margin_up_to_4_with_three_kinds_together_lists_each() -> None:
    """Two plans, one in place (so not 'plans are in place'); 20 of 35 cells across the whole area and none without
    a service (not 'most yet to be in place', some in place): rating 3. Four band × group pairs, 2 across the whole
    area. No one kind alone reaches 4: the plan gives plans in place but not a full range; cells or groups alone
    leave the plan short. Together: 1 plan, 32 − 20 = 12 cells (90% of 35 is 31.5) and 2 pairs, 15 changes,
    written "A, B and C". Down: the one plan in place taken away gives 1; 18 cells without a service (more than
    half of 35) give 2, the plans not all in place."""
    counts = Counts.of({"plans": 2, "plans_in_place": 1, "cells": 35, "cells_none": 0,
                        "cells_in_place_whole_area": 20, "band_groups": 4, "band_groups_whole_area": 2})
    assert margins(counts).rows() == [
        ("down", 1, "plan", 1, "one fewer plan or protocol in place"),
        ("down", 2, "cell_none", 18, "18 more cells without a service in place"),
        ("up", 4, "together", 15, "one more plan or protocol in place, 12 more cells with a service in place across "
                                  "the whole area and 2 more age band × group pairs reached across the whole area")]


def test_with_no_plan_listed_the_first_put_in_place_is_listed_too() -> None:
    """No plan listed, a full range of services across the whole area and every pair reached: rating 1 (no plan in
    place). One plan put in place is a new plan, listed and in place, so 'plans are in place' holds and the rating
    is 4, not 3 (as it would be were the plan in place but not listed: 1 of 0 listed)."""
    counts = Counts.of({"plans": 0, "plans_in_place": 0, "cells": 35, "cells_none": 0,
                        "cells_in_place_whole_area": 35, "band_groups": 4, "band_groups_whole_area": 4})
    assert margins(counts).rows() == [("up", 4, "plan", 1, "one more plan or protocol in place")]


def test_the_margins_of_rating_3_with_every_plan_in_place_count_plans_and_cells_from_what_there_is() -> None:
    """35 cells, none without a service, 20 across the whole area (31.5 needed): rating 3.

    Two plans, both in place, no band × group: down, both plans taken away give 1 (one alone leaves the plans not
    all in place but some services in place: still 3); 2 falls 1 plan short of 'plans are in place' with 18 cells
    without a service (more than half of 35): 'one fewer plan and 18 more cells' (19), not 2 plans; cells alone
    give 2 only when all 35 have none. Up: 12 cells across the whole area give 4.

    One plan, in place, and four band × group pairs, two reached across the whole area: the same down, with one
    plan; up, no one kind alone reaches 4, and together it takes the 12 cells and the 2 pairs — no plan, every
    plan being in place already."""
    cells = {"cells": 35, "cells_none": 0, "cells_in_place_whole_area": 20}
    assert margins(Counts.of({**cells, "plans": 2, "plans_in_place": 2, "band_groups": 0,
                              "band_groups_whole_area": 0})).rows() == [
        ("down", 1, "plan", 2, "2 fewer plans or protocols in place"),
        ("down", 2, "together", 19, "one fewer plan or protocol in place and 18 more cells without a service in place"),
        ("down", 2, "cell_none", 35, "35 more cells without a service in place"),
        ("up", 4, "cell_whole", 12, "12 more cells with a service in place across the whole area")]
    assert margins(Counts.of({**cells, "plans": 1, "plans_in_place": 1, "band_groups": 4,
                              "band_groups_whole_area": 2})).rows() == [
        ("down", 1, "plan", 1, "one fewer plan or protocol in place"),
        ("down", 2, "together", 19, "one fewer plan or protocol in place and 18 more cells without a service in place"),
        ("down", 2, "cell_none", 35, "35 more cells without a service in place"),
        ("up", 4, "together", 14, "12 more cells with a service in place across the whole area and 2 more age band × "
                                  "group pairs reached across the whole area")]


def test_the_cells_most_allows_are_counted_exactly_when_the_share_gives_a_whole_number() -> None:
    """'Most' at 40%: 40% of 35 is exactly 14 cells, so 14 without a service are allowed and the 15th makes 'most'.
    One plan, in place; 5 cells without a service, 20 across the whole area: rating 3. Down to 2 together: the plan
    and 15 − 5 = 10 cells (11 changes; 9 were the 14th cell taken as 'most', 20 were the 5 added, not taken
    away); all 30 cells still with a service losing it gives 2 alone. Up: 12 cells across the whole area give 4."""
    counts = Counts.of({"plans": 1, "plans_in_place": 1, "cells": 35, "cells_none": 5, "cells_in_place_whole_area": 20,
                        "band_groups": 0, "band_groups_whole_area": 0})
    assert margins(counts, Rules(most=0.4)).rows() == [
        ("down", 1, "plan", 1, "one fewer plan or protocol in place"),
        ("down", 2, "together", 11, "one fewer plan or protocol in place and 10 more cells without a service in place"),
        ("down", 2, "cell_none", 30, "30 more cells without a service in place"),
        ("up", 4, "cell_whole", 12, "12 more cells with a service in place across the whole area")]


def test_a_full_range_of_cells_with_two_pairs_short_is_lifted_to_4_by_the_pairs_alone() -> None:
    """One plan, in place; all 35 cells across the whole area; 2 of 4 band × group pairs reached across it: rating
    3. Up: the 2 pairs give 4, alone (not 'together'). Down as at any 3 with no cell without a service: the plan
    gives 1; the plan and 18 cells together, or all 35 cells, give 2."""
    counts = Counts.of({"plans": 1, "plans_in_place": 1, "cells": 35, "cells_none": 0, "cells_in_place_whole_area": 35,
                        "band_groups": 4, "band_groups_whole_area": 2})
    assert margins(counts).rows() == [
        ("down", 1, "plan", 1, "one fewer plan or protocol in place"),
        ("down", 2, "together", 19, "one fewer plan or protocol in place and 18 more cells without a service in place"),
        ("down", 2, "cell_none", 35, "35 more cells without a service in place"),
        ("up", 4, "group", 2, "2 more age band × group pairs reached across the whole area")]


def test_rating_1_with_no_plan_listed_says_so_as_its_reason() -> None:
    rating = _rated(register())
    assert rating.rating == 1
    assert rating.reasons.rows() == [("plan", "(none listed)", "none", "no plans or protocols are listed: no plan or "
                                      "protocol is in place (rating 2 needs at least one)")]


def _table(*rows: tuple[str, int, str, int, str]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=MARGIN_SCHEMA, orient="row")


def test_nearness_names_the_next_level_first_then_any_level_then_the_ends() -> None:
    """At 2, a way up to 3 (5 changes) and one to 4 (2 changes): the next level, 3, is named though 4 takes fewer.
    At 3 with the only way down reaching 1: that one is named (no way to 2). At 4, nothing goes up: 'the top
    rating'; at 1 nothing goes down: 'nothing lower'."""
    assert nearness(2, _table(("down", 1, "plan", 1, "A"), ("up", 3, "cell_whole", 5, "B"),
                              ("up", 4, "together", 2, "C"))) == "2; A would make it 1; B would make it 3"
    assert nearness(3, _table(("down", 1, "plan", 1, "A"), ("up", 4, "group", 2, "D"))) == \
        "3; A would make it 1; D would make it 4"
    assert nearness(4, _table(("down", 3, "group", 1, "E"))) == "4; E would make it 3; the top rating"
    assert nearness(1, _table(("up", 2, "plan", 1, "F"))) == "1; nothing lower; F would make it 2"


# -- the action list: what to do next, on a specification small enough to work by hand -------------------------

SMALL_SPEC = pl.DataFrame(
    [("a", "universal", "info", "Info", "Leaflets", "x"),
     ("a", "targeted", "identify_vulnerable_parents", "Vulnerable parents", "Family workers", "x"),
     ("a", "targeted", "parenting", "Parenting", "Parenting groups", "x"),
     ("b", "targeted", "therapy", "Therapy", "Therapists", "x"),
     ("b", "targeted", "group_work", "Group work", "Youth workers", "x"),
     ("c", "universal", "clubs", "Clubs", "Clubs", "x")], schema=SPEC.provisions.schema, orient="row")
SMALL_GROUPS = pl.DataFrame([("a", "looked_after", "x"), ("b", "bme", "x"), ("c", "young_carers", "x")],
                            schema=SPEC.band_groups.schema, orient="row")
SMALL_NEED = pl.DataFrame({"band": ["a", "b"], "cases": [30.0, 10.0]})  # band c has no need figure


def _small_register(plans: list[dict[str, object]]) -> Register:
    """s1, in place over 40% of the area, delivers a's parenting and lists looked-after children; s2, planned, a
    therapy in b."""
    return register([{"service": "s1", "label": "S1", "provider": "p", "status": "in place", "coverage": 0.4},
                     {"service": "s2", "label": "S2", "provider": "p", "status": "planned", "coverage": None}],
                    [{"service": "s1", "band": "a", "level": "targeted", "provision": "parenting"},
                     {"service": "s2", "band": "b", "level": "targeted", "provision": "therapy"}],
                    [{"service": "s1", "group": "looked_after"}], plans)


COLUMNS = ("kind", "item", "label", "state", "covered", "delivery_vehicles", "need_share", "weight", "holds_rating")


def test_the_action_list_weighs_each_gap_by_its_bands_need_and_the_area_still_uncovered() -> None:
    """Need: a 30 cases, b 10 (shares 0.75 and 0.25), c none given (share blank, weight 0). Every cell and band ×
    group not across the whole area is a gap: a's parenting and a's looked-after children are reached over 40% of
    the area, so weigh 0.75 × 0.6 = 0.45; the rest nothing (or only planned), so their band's share. One plan, in
    place; 5 of 6 cells without a service (most), some in place: rating 3, and every gap keeps it from 4.

    A group's vehicles are those of its band's targeted provisions for vulnerable groups or parents (a: family
    workers), else of all its targeted ones (b: therapists and youth workers); c has none (blank, still listed).
    Ordered by weight, then kind, then item."""
    out = actions(_small_register([{"plan": "p1", "label": "P1", "status": "in place"}]), SMALL_SPEC, SMALL_GROUPS,
                  SPEC.prerequisites, SMALL_NEED)
    assert out["rank"].to_list() == list(range(1, 10))
    assert out.select(COLUMNS).with_columns(pl.col("weight").round(12)).rows() == [  # 0.75 × 0.6 in binary
        ("cell", "a / targeted / identify_vulnerable_parents", "Vulnerable parents", "nothing", 0.0, "Family workers",
         0.75, 0.75, True),
        ("cell", "a / universal / info", "Info", "nothing", 0.0, "Leaflets", 0.75, 0.75, True),
        ("cell", "a / targeted / parenting", "Parenting", "in place, part of area", 0.4, "Parenting groups", 0.75,
         0.45, True),
        ("group", "a / looked_after", "targeted provision reaching looked_after", "in place, part of area", 0.4,
         "Family workers", 0.75, 0.45, True),
        ("cell", "b / targeted / group_work", "Group work", "nothing", 0.0, "Youth workers", 0.25, 0.25, True),
        ("cell", "b / targeted / therapy", "Therapy", "planned", 0.0, "Therapists", 0.25, 0.25, True),
        ("group", "b / bme", "targeted provision reaching bme", "nothing", 0.0, "Therapists; Youth workers", 0.25,
         0.25, True),
        ("cell", "c / universal / clubs", "Clubs", "nothing", 0.0, "Clubs", None, 0.0, True),
        ("group", "c / young_carers", "targeted provision reaching young_carers", "nothing", 0.0, None, None, 0.0,
         True)]


def test_the_action_list_is_made_under_the_rules_given() -> None:
    """Whole area at 40% and 'most' at 90%: s1's 40% is across the whole area, so a's parenting and looked-after
    children are no gap; 5 of 6 cells without a service is not 'most' (5.4 allowed), so with p2 at an early stage
    the rating is 3, and every gap holds it from 4: the plan (weight 1) first, then the rest. (Under the default
    rules the same register is 2, where a group is no reason: the groups would not hold the rating.)"""
    plans = [{"plan": "p1", "label": "P1", "status": "in place"},
             {"plan": "p2", "label": "P2", "status": "early stage"}]
    out = actions(_small_register(plans), SMALL_SPEC, SMALL_GROUPS, SPEC.prerequisites, SMALL_NEED,
                  Rules(whole_area=0.4, most=0.9))
    assert out.select("item", "weight", "holds_rating").rows() == [
        ("p2", 1.0, True), ("a / targeted / identify_vulnerable_parents", 0.75, True),
        ("a / universal / info", 0.75, True), ("b / targeted / group_work", 0.25, True),
        ("b / targeted / therapy", 0.25, True), ("b / bme", 0.25, True), ("c / universal / clubs", 0.0, True),
        ("c / young_carers", 0.0, True)]
    # a plan's row: no band, nothing covered or developing, its one action
    assert out.row(0, named=True) == {
        "rank": 1, "kind": "plan", "item": "p2", "band": None, "label": "P2", "state": "early stage", "covered": 0.0,
        "developing": "", "delivery_vehicles": "put the plan in place", "cases": None, "need_share": None,
        "weight": 1.0, "holds_rating": True}


def test_with_no_cases_of_need_every_bands_share_is_0() -> None:
    shares = band_need_shares(pl.DataFrame({"band": ["a", "b"], "cases": [0.0, 0.0]}))
    assert shares.rows() == [("a", 0.0, 0.0), ("b", 0.0, 0.0)]


def test_only_a_service_in_place_with_no_coverage_nor_localities_is_warned_of() -> None:
    """s1 in place, no coverage, no localities: it counts as covering none of the area, and says so. s2 in place with
    a coverage, s3 planned with none: no warning (a planned service covers nothing yet either way)."""
    reg = register([{"service": "s1", "label": "S1", "provider": "p", "status": "in place", "coverage": None},
                    {"service": "s2", "label": "S2", "provider": "p", "status": "in place", "coverage": 0.5},
                    {"service": "s3", "label": "S3", "provider": "p", "status": "planned", "coverage": None}])
    assert _rated(reg).warnings == ("service 's1' gives neither a coverage nor localities: it counts as covering none "
                                    "of the area",)


def test_need_against_capacity_shares_each_services_capacity_by_need_and_counts_what_gives_none() -> None:
    """Need: a 30, b 10, c 0, d 50 cases. s1 (in place, 40 a year) serves a (two cells) and b: 30/40 and 10/40 of
    it, 30 and 10. s2 (in place, 12) serves c and e, bands with no cases (e has no need figure): half each, so c
    gets 6. s3 (in place, no capacity given) serves a: counted as a service without capacity. s4 (planned, 100)
    serves d: not in place, so d has none, and a shortfall of all its 50 cases. s5 (in place, 3) serves f and g,
    with less than a case between them (0.5 and 0.25): still shared by need, 2 and 1. Capacity per case: 30/30,
    10/10, none for c (no cases), 0/50, 2/0.5 and 1/0.25; shortfall: cases less capacity, never below 0."""
    services = [{"service": s, "label": s, "provider": "p", "status": status, "coverage": 1.0, "capacity": capacity}
                for s, status, capacity in (("s1", "in place", 40.0), ("s2", "in place", 12.0),
                                            ("s3", "in place", None), ("s4", "planned", 100.0),
                                            ("s5", "in place", 3.0))]
    cells = [{"service": s, "band": band, "level": "targeted", "provision": provision} for s, band, provision in (
        ("s1", "a", "x"), ("s1", "a", "y"), ("s1", "b", "x"), ("s2", "c", "x"), ("s2", "e", "x"), ("s3", "a", "x"),
        ("s4", "d", "x"), ("s5", "f", "x"), ("s5", "g", "x"))]
    need = pl.DataFrame({"band": ["a", "b", "c", "d", "f", "g"], "cases": [30.0, 10.0, 0.0, 50.0, 0.5, 0.25]})
    table = need_against_capacity(register(services, cells), need)
    assert table.columns == ["band", "cases", "capacity", "services_with_capacity", "services_without_capacity",
                             "capacity_per_case", "shortfall"]
    assert table.rows() == [
        ("a", 30.0, 30.0, 1, 1, 1.0, 0.0), ("b", 10.0, 10.0, 1, 0, 1.0, 0.0), ("c", 0.0, 6.0, 1, 0, None, 0.0),
        ("d", 50.0, 0.0, 0, 0, 0.0, 50.0), ("f", 0.5, 2.0, 1, 0, 4.0, 0.0), ("g", 0.25, 1.0, 1, 0, 4.0, 0.0)]


@pytest.mark.parametrize(("with_service", "words"), [(20, "one more cell"), (15, "6 more cells")])
def test_rating_2_says_how_many_more_cells_rating_3_needs_in_words(with_service: int, words: str) -> None:
    """'Most' at 40% of 35 cells: 14 without a service allowed. One plan in place, one at an early stage: with 20
    cells with a service, 15 have none, so one more cell would do ('one more cell', not '1 more cells'); with 15,
    20 have none, so 6 more."""
    rating = rate(cells_in_place(with_service, [IN_PLACE, EARLY]), SPEC.provisions, SPEC.band_groups, Rules(most=0.4))
    assert rating.rating == 2
    assert rating.reasons.row(0) == ("plan", "p2", "early stage", "not in place: rating 3 needs 100% of plans and "
                                     f"protocols in place, or {words} with a service in place")


def test_the_checklist_keeps_the_specifications_order_then_local_agencies_and_marks_who_is_missing() -> None:
    """Three agencies in the specification's order (school, GP, CAMHS) and two local ones. The school engaged with
    a representative: not missing. The GP not recorded: missing. CAMHS engaged with nobody named: missing. Local
    agencies come after, by name, as 'Others (local)' with no key representative: housing (not engaged) missing,
    the police (engaged, a DI) not."""
    stakeholders = pl.DataFrame([("school", "School", "Core", "Head teacher", "x"),
                                 ("gp", "GP", "Some", "Practice manager", "x"),
                                 ("camhs", "CAMHS", "Core", "Team manager", "x")],
                                schema=SPEC.stakeholders.schema, orient="row")
    engaged = frame("stakeholders", [{"agency": "camhs", "engaged": "yes", "representative": ""},
                                     {"agency": "school", "engaged": "yes", "representative": "Ms A"},
                                     {"agency": "police", "label": "Police", "engaged": "yes", "representative": "DI"},
                                     {"agency": "housing", "label": "Housing", "engaged": "no"}])
    table = checklist(stakeholders, engaged)
    assert table.columns == ["agency", "name", "involvement", "key_representative", "engaged", "representative",
                             "missing"]
    assert table.rows() == [
        ("school", "School", "Core", "Head teacher", "yes", "Ms A", False),
        ("gp", "GP", "Some", "Practice manager", "not recorded", "", True),
        ("camhs", "CAMHS", "Core", "Team manager", "yes", "", True),
        ("housing", "Housing", "Others (local)", None, "no", "", True),
        ("police", "Police", "Others (local)", None, "yes", "DI", False)]


def test_a_plan_with_a_prerequisite_and_a_cell_with_services_being_developed_say_so_in_the_action_list() -> None:
    """Plan p3, not started, meets the needs assessment pre-requisite: its action names it. Two services being
    developed for a's information cell: the cell is planned, and both are listed, joined by '; '."""
    reg = register([{"service": s, "label": s.upper(), "provider": "p", "status": "being developed", "coverage": 1.0}
                    for s in ("s3", "s4")],
                   [{"service": s, "band": "a", "level": "universal", "provision": "info"} for s in ("s3", "s4")], [],
                   [{"plan": "p3", "label": "P3", "status": "none", "prerequisite": "needs_assessment"}])
    out = actions(reg, SMALL_SPEC, SMALL_GROUPS, SPEC.prerequisites, SMALL_NEED)
    assessment = SPEC.prerequisites.filter(pl.col("prerequisite") == "needs_assessment")["label"][0]
    assert out.filter(pl.col("item").is_in(["p3", "a / universal / info"])).select(
        "item", "state", "developing", "delivery_vehicles").rows() == [
        ("p3", "none", "", f"put the plan in place (pre-requisite: {assessment})"),
        ("a / universal / info", "planned", "s3; s4", "Leaflets")]
