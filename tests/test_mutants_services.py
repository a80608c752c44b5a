"""Tests written for the mutants of model/services.py (the services rating) that no other test killed: each
names the wrong answer it catches, with the figures worked by hand. docs/testing.md lists every survivor."""

from __future__ import annotations

import polars as pl
import pytest

from cyplan.model.services import Judgement, Rules, coverage_matrix, group_matrix, service_coverage
from test_services_rating import CELLS, SPEC, register


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
