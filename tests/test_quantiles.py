"""The model's quantiles (uncertainty.quantiles: rows sorted in place and interpolated) are np.quantile's, bit for
bit (issue 17 part 5): the same doubles, down to the sign of a zero and the NaN of a row holding one."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from cyplan.model import uncertainty
from cyplan.model.uncertainty import INTERVAL, in_order, quantile_errors, quantiles, summarise, summarise_with_errors


def same_bits(ours: np.ndarray, numpys: np.ndarray) -> bool:
    """Equal as stored: shape, type and every byte (so -0.0 is not 0.0, and a NaN is the same NaN)."""
    ours, numpys = np.asarray(ours), np.asarray(numpys)
    return ours.shape == numpys.shape and ours.dtype == numpys.dtype and ours.tobytes() == numpys.tobytes()


# values with many ties, both zeros, NaN and infinities: the cases where a figure's bits could differ
ROUGH = st.one_of(st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, np.nan, -np.nan, np.inf, -np.inf]),
                  st.floats(-1e6, 1e6, allow_nan=False, width=64))
QUANTILES = st.lists(st.floats(0, 1), min_size=1, max_size=9).map(lambda q: np.array(q, dtype=float))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=arrays(np.float64, array_shapes(min_dims=1, max_dims=4, max_side=9), elements=ROUGH),
       q=QUANTILES, data=st.data())
def test_quantiles_are_numpys_bit_for_bit(values: np.ndarray, q: np.ndarray, data: st.DataObject) -> None:
    """Catches any difference from np.quantile: an order statistic off by one, the interpolation's other branch
    (γ ≥ ½), the top index, a NaN row or a zero's sign, on any axis."""
    axis = data.draw(st.integers(-values.ndim, values.ndim - 1))
    with np.errstate(invalid="ignore"):  # inf − inf, as np.quantile meets it too
        expected = np.quantile(values, q, axis=axis)
        assert same_bits(quantiles(values, q, axis), expected)
        assert same_bits(quantiles(values, q, axis, in_order(values, axis)), expected)


def test_draws_as_the_model_makes_them() -> None:
    """Catches a difference at the model's own size and shape, [area, year, role, draw] with 1,000 draws: the
    three figures summarise reports and the six quantile_errors reads, with ties (rows of one value, as a
    role with no uncertainty gives) and a row holding a NaN, both zeros and an infinity."""
    rng = np.random.default_rng(17)
    values = rng.gamma(2.0, 3.0, size=(6, 11, 12, 1000))
    values[0, 0] = 4.0  # every draw the same
    values[1, 1] = np.round(values[1, 1])  # ties
    values[2, 2, 3, 10] = np.nan
    values[3, 3, 4, :600] = 0.0
    values[3, 3, 4, 600:] = -0.0  # both zeros, the figures zero
    values[4, 4, 5, 7] = np.inf
    expected = np.quantile(values, INTERVAL, axis=-1)
    assert all(same_bits(a, b) for a, b in zip(summarise(values), expected, strict=True))
    n, q = 1000, np.asarray(INTERVAL)
    s = uncertainty.RANK_Z * np.sqrt(q * (1 - q) / n)
    bounds = np.quantile(values, np.concatenate([q - s, q + s]), axis=-1)
    errors = (bounds[3:] - bounds[:3]) / (2 * uncertainty.RANK_Z)
    assert all(same_bits(a, b) for a, b in zip(quantile_errors(values), errors, strict=True))
    (p5, p50, p95), (e5, e50, e95) = summarise_with_errors(values)
    assert same_bits(np.stack([p5, p50, p95]), expected) and same_bits(np.stack([e5, e50, e95]), errors)
    assert np.isnan(p50[2, 2, 3]) and p50[3, 3, 4] == 0


@pytest.mark.parametrize("draws", [2, 3, 5, 8, 11, 16, 40])
def test_rows_of_both_zeros(draws: int) -> None:
    """Catches a zero's sign taken from the sorted rows: NumPy's SIMD sort of a short row can write -0.0 where
    0.0 was (its min and max take either of two equal values), so whether a row holds both zeros must be read
    from the row as given."""
    rng = np.random.default_rng(draws)
    values = np.where(rng.random((300, draws)) < 0.5, 0.0, -0.0)
    values[rng.random(values.shape) < 0.3] = 1.0
    values[rng.random(values.shape) < 0.2] = -1.0
    q = np.linspace(0, 1, 13)
    assert same_bits(quantiles(values, q), np.quantile(values, q, axis=-1))


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_threads_change_nothing(threads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches rows lost or sorted twice where the rows are shared out between threads (fewer rows than threads,
    an odd number)."""
    monkeypatch.setattr(uncertainty, "SORT_THREADS", threads)
    rng = np.random.default_rng(3)
    for shape in [(1, 7), (2, 5), (7, 3, 100)]:
        values = rng.normal(size=shape)
        assert same_bits(quantiles(values, INTERVAL), np.quantile(values, INTERVAL, axis=-1))
        assert same_bits(in_order(values), np.sort(values, axis=-1))


def test_what_numpy_refuses_or_does_its_own_way_it_still_does() -> None:
    """Catches quantiles outside [0, 1] accepted, and whole-number quantiles or values (np.quantile takes the
    order statistic without interpolating, and keeps the values' type) given another answer."""
    values = np.arange(20.0).reshape(2, 10)
    with pytest.raises(ValueError, match="Quantiles must be in the range"):
        quantiles(values, [0.5, 1.5])
    assert same_bits(quantiles(values, np.array([0, 1])), np.quantile(values, np.array([0, 1]), axis=-1))
    ints = np.arange(20).reshape(2, 10)
    assert same_bits(quantiles(ints, INTERVAL), np.quantile(ints, INTERVAL, axis=-1))


def test_what_the_fast_way_does_not_take_goes_to_numpy_with_its_axis_and_quantiles() -> None:
    """Catches float32 draws, a two-dimensional list of quantiles or no draws at all put through the fast way
    (or sent to np.quantile without their axis or quantiles): each must be np.quantile's answer, or its error.
    Float32 draws along axis 0 of a 3 × 4 array: the 0.25-quantile of column j (draws 4 apart: j, j + 4, j + 8)
    is j + 0.5 × 4 = j + 2."""
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    out = quantiles(values, np.array([0.25, 0.5]), axis=0)
    assert same_bits(out, np.quantile(values, np.array([0.25, 0.5]), axis=0))
    assert out[0].tolist() == [2.0, 3.0, 4.0, 5.0]
    grid = np.array([[0.1, 0.5], [0.9, 1.0]])
    assert same_bits(quantiles(np.arange(20.0).reshape(2, 10), grid), np.quantile(np.arange(20.0).reshape(2, 10),
                                                                                    grid, axis=-1))
    with pytest.raises(IndexError):
        quantiles(np.array([], dtype=float), INTERVAL)


def test_the_threads_sort_each_row_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """300 rows of 1,000 draws (300,000 values, past PARALLEL_SIZE, so shared between SORT_THREADS threads): the
    rows each thread is given are 0–149 and 150–299, every row once. Catches parts that overlap (two threads then
    sort the same row at once, which comes out wrong only when their writes interleave: 3 runs in 60 by hand)
    or leave rows out."""
    given: list[slice] = []

    class Recording:
        def __init__(self, workers: int) -> None:
            pass

        def __enter__(self) -> Recording:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def map(self, work: object, parts: list[slice]) -> list[object]:
            given.extend(parts)
            return [work(part) for part in parts]  # type: ignore[operator]

    monkeypatch.setattr(uncertainty, "ThreadPoolExecutor", Recording)
    monkeypatch.setattr(uncertainty, "SORT_THREADS", 2)
    values = np.random.default_rng(2).random((300, 1000))
    out = in_order(values)
    assert [(p.start, p.stop) for p in given] == [(0, 150), (150, 300)]
    assert np.array_equal(out, np.sort(values, axis=-1))
