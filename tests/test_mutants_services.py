"""Tests written for the mutants of model/services.py (the services rating) that no other test killed: each
names the wrong answer it catches, with the figures worked by hand. docs/testing.md lists every survivor."""

from __future__ import annotations

import pytest

from cyplan.model.services import Judgement, Rules, service_coverage
from test_services_rating import register


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
