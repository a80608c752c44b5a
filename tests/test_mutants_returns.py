"""Tests written to kill surviving mutants of `make mutate` in returns/ (docs/testing.md lists them): each
test's name says the wrong answer it catches. Expected figures are worked by hand in the comments."""

from __future__ import annotations

import numpy as np

from cyplan.returns.classify import Column


def test_a_label_no_record_holds_is_counted_as_zero_not_dropped() -> None:
    """Labels blank, 'a', 'b'; records hold blank and 'a' once each: counts 1, 1, 0 — one per label, so
    that counts line up with labels. Wrong answer caught: a count array cut short after the last label
    that some record holds (1, 1), which shifts or drops the labels after it."""
    column = Column(ids=np.array([0, 1], dtype=np.int32), labels=[None, "a", "b"])
    assert column.count().tolist() == [1, 1, 0]
