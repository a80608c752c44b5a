"""Supply by age band, flows between sectors and agency, and the part-time trend (issue 13, parts 3 and 4):
each flow on paper numbers, stock conservation by band and over sectors, located errors for bad input, and a
workspace without the new inputs giving exactly the previous results."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import CliResult, folder_bytes
from cyplan.model import supply
from cyplan.model.flows import flows_table
from cyplan.model.simulate import simulate
from cyplan.model.supply import ALL_FLOWS, ALL_INFLOWS, ALL_OUTFLOWS, Cohorts, Rates, Transfers, flows, project
from test_model import frame
from test_supply import census, inputs

YEARS3 = (2025, 2026, 2027)
Run = Callable[[list[object]], CliResult]
BANDS = ("under_30", "30_to_44", "45_to_54", "55_to_59", "60_plus")


def ages(shares: tuple[float, ...], retire: tuple[float, ...], role: str = "a", **cols: tuple) -> pl.DataFrame:
    rows = [{"area": "T1", "role": role, "sector": "NHS", "band": b, "share": s, "retirement_rate": r}
            | {c: v[i] for c, v in cols.items()} for i, (b, s, r) in enumerate(zip(BANDS, shares, retire, strict=True))]
    return frame("workforce_ages", rows)


def one_row(**over: object) -> dict[str, pl.DataFrame]:
    """Role a only: 100 FTE in post, 10% leave, 20% aged 55+, 5 other joiners, no agency or vacancies, CYP
    share 1."""
    f = inputs(YEARS3, **{"fte_in_post": 100.0, "agency_fte": 0.0, "vacant_fte": 0.0, "joiners_per_year": 5.0,
                          "joiners_low": 5.0, "joiners_high": 5.0, "share_aged_55_plus": 0.2} | over)
    f["workforce"] = f["workforce"].filter(pl.col("role") == "a")
    return f


# -- each flow on paper -----------------------------------------------------------------------------------

def test_age_bands_age_retire_and_take_joiners_on_paper() -> None:
    """Bands 20/30/30/10/10 FTE, 10% leave, 10% of 55–59 and 20% of 60+ retire, 5 joiners shared as the census:
    aged out 20/10 = 2, 30/15 = 2, 30/10 = 3, 10/5 = 2; ends 17, 28.5, 27.5, 9.5, 9.5 = 92 (the 55+ ÷ 10 rule
    would give 100 − 10 − 2 + 5 = 93). Catches ageing by the wrong width, retirement on the wrong band or the
    old rule kept where bands are given."""
    f = one_row()
    f["workforce_ages"] = ages((0.2, 0.3, 0.3, 0.1, 0.1), (0, 0, 0, 0.1, 0.2))
    sim = simulate(f)
    assert sim.census[0, :2, 0] == pytest.approx([100, 92])
    b = flows(sim.detail.rates, 2, by_band=True)
    assert b["aged_out"][0, :, 1, 0] == pytest.approx([2, 2, 3, 2, 0])
    assert b["aged_in"][0, :, 1, 0] == pytest.approx([0, 2, 2, 3, 2])
    assert b["retirements"][0, :, 1, 0] == pytest.approx([0, 0, 0, 1, 2])
    assert b["other_joiners"][0, :, 1, 0] == pytest.approx([1, 1.5, 1.5, 0.5, 0.5])
    assert b["end"][0, :, 1, 0] == pytest.approx([17, 28.5, 27.5, 9.5, 9.5])
    without = simulate(one_row())
    assert without.census[0, 1, 0] == pytest.approx(93)


def test_band_leaver_rates_and_the_trainee_profile_on_paper() -> None:
    """All 100 FTE aged 30–44 leaving at 20% (the row's 10% replaced), 10 trainees a year arriving 60% under 30
    and 40% aged 30–44 by default: year 1 under 30 = 0 + 6, 30–44 = 100 − 20 − 100/15 + 4 + 5 other joiners
    (the census profile: all 30–44). Catches a band's leaver rate ignored or trainees given the census's ages."""
    f = one_row()
    f["workforce_ages"] = ages((0, 1, 0, 0, 0), (0,) * 5, leaver_rate=(None, 0.2, None, None, None))
    sim = simulate(f)
    r = sim.detail.rates
    trained = Rates(**{**r.__dict__, "arrivals": np.array([[0.0, 10.0, 10.0]])[..., None]})
    b = flows(trained, 2, by_band=True)
    assert b["from_training"][0, :, 1, 0] == pytest.approx([6, 4, 0, 0, 0])
    assert b["leavers"][0, :, 1, 0] == pytest.approx([0, 20, 0, 0, 0])
    assert b["end"][0, :2, 1, 0] == pytest.approx([6, 100 - 20 - 100 / 15 + 4 + 5])


def test_a_band_leaver_rate_moves_with_the_rows_leaver_range() -> None:
    """The row's leaver rate drawn between 0.05 and 0.2 (central 0.1) scales a band's 0.2 by drawn ÷ 0.1: a
    band then leaves between 0.1 and 0.4. Catches a band's rate left without the census's uncertainty."""
    f = one_row(leaver_rate_low=0.05, leaver_rate_high=0.2)
    f["workforce_ages"] = ages((0, 1, 0, 0, 0), (0,) * 5, leaver_rate=(None, 0.2, None, None, None))
    r = simulate(f, 200, seed=3).detail.rates
    np.testing.assert_allclose(r.cohorts.leaver[0, 1], 2 * r.leaver[0], rtol=1e-12)
    assert r.cohorts.leaver[0, 1].min() >= 0.1 and r.cohorts.leaver[0, 1].max() <= 0.4


def test_transfers_between_sectors_and_agency_on_paper() -> None:
    """NHS 100 and voluntary 50 in post, nobody leaves or joins; 10% NHS → voluntary, 2% back, 5% of NHS staff
    into agency work, half the NHS's 4 agency FTE take posts: NHS in post 100 − 10 − 5 + 1 + 2 = 88, its agency
    4 + 5 − 2 = 7, voluntary 50 − 1 + 10 = 59; supply 95 and 59, 154 in all as before. Catches a transfer counted
    at one end only, agency held fixed, or a rate applied to the wrong sector's stock."""
    f = inputs(YEARS3, leaver_rate=0.0, leaver_rate_low=0.0, leaver_rate_high=0.0, joiners_per_year=0.0,
               joiners_low=0.0, joiners_high=0.0, vacant_fte=0.0)
    f["workforce"] = pl.concat([census(fte_in_post=100.0, agency_fte=4.0, leaver_rate=0.0, leaver_rate_low=0.0,
                                      leaver_rate_high=0.0, joiners_per_year=0.0, joiners_low=0.0, joiners_high=0.0),
                                census(sector="voluntary", fte_in_post=50.0, agency_fte=0.0, leaver_rate=0.0,
                                       leaver_rate_low=0.0, leaver_rate_high=0.0, joiners_per_year=0.0,
                                       joiners_low=0.0, joiners_high=0.0)]).filter(pl.col("role") == "a")
    f["sector_flows"] = frame("sector_flows", [
        {"role": "a", "from_sector": "NHS", "to_sector": "voluntary", "rate": 0.1},
        {"role": "a", "from_sector": "voluntary", "to_sector": "NHS", "rate": 0.02},
        {"role": "a", "from_sector": "NHS", "to_sector": "agency", "rate": 0.05},
        {"role": "a", "from_sector": "agency", "to_sector": "NHS", "rate": 0.5}])
    sim = simulate(f)
    assert sim.census[:, 1, 0] == pytest.approx([95, 59])
    assert sim.detail.agency_path[:, 1, 0] == pytest.approx([7, 0])
    t = flows_table(sim, together=True).filter(pl.col("year") == 2026).row(0, named=True)
    assert (t["transfers_in"], t["transfers_out"]) == pytest.approx((11, 11))
    assert (t["to_agency"], t["from_agency"]) == pytest.approx((5, 2))
    assert (t["end_fte"], t["agency_fte"]) == pytest.approx((88 + 59, 7))


def test_a_transfer_to_a_sector_with_no_census_row_moves_no_one() -> None:
    """Role a has no education row: NHS → education moves nobody (rather than losing staff into no row)."""
    f = one_row(leaver_rate=0.0, leaver_rate_low=0.0, leaver_rate_high=0.0, share_aged_55_plus=0.0)
    f["sector_flows"] = frame("sector_flows", [{"role": "a", "from_sector": "NHS", "to_sector": "education",
                                                "rate": 0.3}])
    assert simulate(f).census[0, :, 0] == pytest.approx([100, 105, 110])


def test_the_part_time_trend_on_paper() -> None:
    """FTE per head falling 1% a year on 100 FTE, 10% leaving, 5 joining: 100 − 10 − 1 + 5 = 94, then
    94 − 9.4 − 0.94 + 5 = 88.66. Catches the trend applied to joiners, to the first year, or with the wrong sign."""
    f = one_row(fte_per_head_trend=-0.01, share_aged_55_plus=0.0)
    sim = simulate(f)
    assert sim.census[0, :, 0] == pytest.approx([100, 94, 88.66])
    t = flows_table(sim).filter(pl.col("year") == 2026).row(0, named=True)
    assert t["working_pattern"] == pytest.approx(-1)


# -- conservation ---------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(fte0=arrays(float, (4, 3), elements=st.floats(0, 1e5)),
       leaver=arrays(float, (4, 5, 3), elements=st.floats(0, 0.3)),
       retire=arrays(float, (4, 5, 1), elements=st.floats(0, 0.3)),
       share=arrays(float, (4, 5), elements=st.floats(0.01, 1)),
       joiners=arrays(float, (4, 3), elements=st.floats(0, 1e3)),
       rate=arrays(float, (3,), elements=st.floats(0, 0.2)),
       agency=arrays(float, (4, 2), elements=st.floats(0, 0.3)),
       trend=arrays(float, (4, 1), elements=st.floats(-0.05, 0.05)),
       arriving=arrays(float, (4, 6, 3), elements=st.floats(0, 1e3)))
def test_stock_is_conserved_by_band_and_over_sectors(fte0, leaver, retire, share, joiners, rate, agency, trend,
                                                     arriving) -> None:
    """Every year, draw and band: end − start = inflows − outflows (ageing, transfers, agency and the part-time
    trend included); transfers in equal transfers out over the rows; ageing in equals ageing out within a row;
    in post plus agency changes only by joiners, leaving and hours. Catches a move counted at one end only."""
    profile = share / share.sum(axis=1, keepdims=True)
    c = Cohorts(share=profile, leaver=leaver, retire=retire, joiner=profile[..., None],
                trainee=np.tile([[0.6, 0.4, 0, 0, 0]], (4, 1))[..., None],
                ageing=np.tile([0.1, 1 / 15, 0.1, 0.2, 0.0], (4, 1))[..., None])
    groups = ((np.array([0, 1]), np.array([2, 3]), rate[:2]), (np.array([2]), np.array([0]), rate[2:]))
    out_rate = np.zeros(4)
    for src, _, r_ in groups:
        np.add.at(out_rate, src, r_)
    moves = Transfers(groups=groups, out_rate=out_rate, to_agency=agency[:, 0], from_agency=agency[:, 1])
    r = Rates(fte0=fte0, leaver=leaver[:, 0], retire=retire[:, 0], joiners=joiners, establishment=np.zeros((4, 1)),
              fill=np.zeros((4, 1)), arrivals=arriving, cohorts=c, transfers=moves, pattern=trend,
              agency=np.full((4, 1), 10.0))
    for f in (flows(r, 6), flows(r, 6, by_band=True)):
        assert set(f) == set(ALL_FLOWS)
        net = sum(f[k] for k in ALL_INFLOWS) - sum(f[k] for k in ALL_OUTFLOWS)
        np.testing.assert_allclose(f["end"] - f["start"], net, rtol=1e-9, atol=1e-6)
        # (by row, the first year is the census's FTE exactly, and the next starts from its bands' sum)
        np.testing.assert_allclose(f["start"][..., 1:, :], f["end"][..., :-1, :], rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(f["transfers_in"].sum(axis=0), f["transfers_out"].sum(axis=0), rtol=1e-9,
                                   atol=1e-6)
    b = flows(r, 6, by_band=True)
    np.testing.assert_allclose(b["aged_in"].sum(axis=1), b["aged_out"].sum(axis=1), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(project(r, 6), b["end"].sum(axis=1), rtol=1e-12, atol=1e-9)


def _many_rows(n: int = 37, draws: int = 4, years: int = 6) -> Rates:
    """n census rows with bands, transfers between rows far apart (so across blocks), agency moves, recruitment
    into vacancies, joiners from training and a part-time trend: every term of a year's end."""
    rng = np.random.default_rng(13)
    share = rng.dirichlet(np.ones(5), n)
    leaver = rng.uniform(0, 0.2, (n, 5, draws))
    c = Cohorts(share=share, leaver=leaver, retire=rng.uniform(0, 0.2, (n, 5, 1)), joiner=share[..., None],
                trainee=np.tile([[0.6, 0.4, 0, 0, 0]], (n, 1))[..., None],
                ageing=np.tile([0.1, 1 / 15, 0.1, 0.2, 0.0], (n, 1))[..., None])
    groups = tuple((rng.permutation(n)[:k], rng.permutation(n)[:k], rng.uniform(0, 0.05, k)) for k in (n, 11, 5))
    out_rate = np.zeros(n)
    for src, _, rate in groups:
        np.add.at(out_rate, src, rate)
    moves = Transfers(groups=groups, out_rate=out_rate, to_agency=rng.uniform(0, 0.05, n),
                      from_agency=rng.uniform(0, 0.3, n))
    fte0 = rng.uniform(10, 500, (n, draws))
    return Rates(fte0=fte0, leaver=leaver[:, 0], retire=np.zeros((n, 1)), joiners=rng.uniform(0, 20, (n, draws)),
                 establishment=fte0[:, :1] * 1.2, fill=rng.uniform(0, 0.5, (n, 1)),
                 arrivals=rng.uniform(0, 10, (n, years, draws)) * (rng.random((n, 1, 1)) < 0.5), cohorts=c,
                 transfers=moves, pattern=rng.uniform(-0.02, 0.0, (n, 1)), agency=rng.uniform(0, 30, (n, 1)))


@pytest.mark.parametrize(("block", "workers"), [(1, 1), (5, 2), (16, 2), (16, 3), (1000, 2)])
def test_the_projection_by_blocks_of_rows_is_the_flows_year_by_year(monkeypatch: pytest.MonkeyPatch, block: int,
                                                                      workers: int) -> None:
    """The projection works a year BLOCK_ROWS rows at a time, the blocks shared out between WORKERS threads:
    catches a transfer from a row of another block, a last block cut short, a block's joiners or agency taken
    from the wrong rows or a block no thread works (the flows, worked on every row at once, must agree), and any
    dependence of the result on the blocks or threads (bit for bit)."""
    r = _many_rows()
    monkeypatch.setattr(supply, "BLOCK_ROWS", 1000)
    monkeypatch.setattr(supply, "WORKERS", 1)
    whole, whole_agency = supply.project_moving(r, 6)
    f = flows(r, 6)
    np.testing.assert_allclose(whole, f["end"], rtol=1e-12)
    moved = np.cumsum(f["to_agency"] - f["from_agency"], axis=1)  # agency FTE changes only by these moves
    np.testing.assert_allclose(whole_agency, r.agency[:, :, None] + moved, rtol=1e-12)
    monkeypatch.setattr(supply, "BLOCK_ROWS", block)
    monkeypatch.setattr(supply, "WORKERS", workers)
    blocked, agency = supply.project_moving(r, 6)
    np.testing.assert_array_equal(blocked, whole)
    np.testing.assert_array_equal(agency, whole_agency)


# -- a workspace without the new inputs -------------------------------------------------------------------

def test_without_the_new_inputs_the_results_are_exactly_the_previous() -> None:
    """Empty age and sector flow inputs and a blank trend give bit-for-bit the run without them; a row the age
    input does not cover projects bit-for-bit as before while another row has bands. Catches the new engine
    path taken (or its rounding) where nothing asks for it."""
    f = inputs(YEARS3, leaver_rate_low=0.05, leaver_rate_high=0.2, share_aged_55_plus=0.3)
    before = simulate(f, 100, seed=2)
    g = dict(f, workforce_ages=frame("workforce_ages", []), sector_flows=frame("sector_flows", []))
    after = simulate(g, 100, seed=2)
    np.testing.assert_array_equal(after.census, before.census)
    np.testing.assert_array_equal(after.total_supply, before.total_supply)
    assert not after.detail.rates.moving
    g["workforce_ages"] = ages((0.2, 0.3, 0.3, 0.1, 0.1), (0, 0, 0, 0.1, 0.2), role="b")
    banded = simulate(g, 100, seed=2)
    np.testing.assert_allclose(banded.census[0], before.census[0], rtol=1e-15)  # role a: no bands
    assert not np.allclose(banded.census[1], before.census[1])


# -- through the command line -----------------------------------------------------------------------------

AGES_HEADER = "area,role,sector,band,share,retirement_rate\n"


def _ages_file(rows: list[tuple], path: Path) -> Path:
    path.write_text(AGES_HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


PSYCH = [("E10999999", "psychiatrist", "NHS", b, s, r)
         for b, s, r in zip(BANDS, (0.05, 0.35, 0.35, 0.15, 0.1), (0, 0, 0.01, 0.1, 0.3), strict=True)]


def test_bands_and_flows_through_the_command_line(run_cli: Run, demo_workspace: Path, tmp_path: Path) -> None:
    """Importing the psychiatrists' age bands changes their supply from 2026 (not 2025) and leaves other roles
    as they were; the flows view then shows transfers once sector flows are imported. Catches an import that
    the model never reads."""
    def supply() -> dict[tuple[str, int], float]:
        code, out, err = run_cli(["supply", "-w", demo_workspace, "--draws", "0", "--format", "csv"])
        assert code == 0, err
        return {(r["role"], int(r["year"])): float(r["supply_fte"]) for r in csv.DictReader(out.splitlines())}
    before = supply()
    code, _, err = run_cli(["import", "workforce_ages", _ages_file(PSYCH, tmp_path / "ages.csv"), "-w",
                            demo_workspace])
    assert code == 0, err
    after = supply()
    assert after[("psychiatrist", 2025)] == before[("psychiatrist", 2025)]
    assert after[("psychiatrist", 2026)] != pytest.approx(before[("psychiatrist", 2026)])
    assert after[("clinical_psychologist", 2030)] == before[("clinical_psychologist", 2030)]
    moves = tmp_path / "moves.csv"
    moves.write_text("role,from_sector,to_sector,rate\nmh_practitioner,NHS,voluntary,0.04\n")
    code, _, err = run_cli(["import", "sector_flows", moves, "-w", demo_workspace])
    assert code == 0, err
    code, out, err = run_cli(["supply", "-w", demo_workspace, "--view", "flows", "--draws", "0", "--format",
                              "csv"])
    assert code == 0, err
    rows = [r for r in csv.DictReader(out.splitlines()) if r["role"] == "mh_practitioner" and r["year"] == "2026"]
    assert "transfers_out" in out.splitlines()[0] and float(rows[0]["transfers_out"]) == pytest.approx(0.04 * 182)


@pytest.mark.parametrize("rows, column, words", [
    ([(*r[:4], 0.3 if r[3] == "under_30" else r[4], r[5]) for r in PSYCH], "share", "age bands to 1.25"),
    ([("E10999999", "nurse", "NHS", "under_30", 1, 0)], "role", "workforce"),
    ([(*r[:5], 1.5 if r[3] == "60_plus" else r[5]) for r in PSYCH], "retirement_rate", "above"),
])
def test_bad_age_bands_are_located_and_change_nothing(run_cli: Run, demo_workspace: Path, tmp_path: Path,
                                                      rows: list[tuple], column: str, words: str) -> None:
    """Shares that do not sum to 1 over the bands, a band for a census row that is not in the workforce input,
    a rate above 1: each named by file, row and column, exit code 2, the workspace untouched."""
    bad = _ages_file(rows, tmp_path / "ages.csv")
    before = folder_bytes(demo_workspace)
    code, out, err = run_cli(["import", "workforce_ages", bad, "-w", demo_workspace])
    assert code == 2
    text = out + err
    assert "ages.csv" in text and "row " in text and column in text and words in text, text
    assert "Traceback" not in text
    assert folder_bytes(demo_workspace) == before


@pytest.mark.parametrize("line, column, words", [
    ("mh_practitioner,NHS,NHS,0.1", "to_sector", "to itself"),
    ("mh_practitioner,NHS,voluntary,1.2", "rate", "above"),
    ("mh_practitioner,NHS,council,2000", "rate", "above"),
])
def test_bad_sector_flows_are_located_and_change_nothing(run_cli: Run, demo_workspace: Path, tmp_path: Path,
                                                         line: str, column: str, words: str) -> None:
    """A move from a sector to itself, a rate above 1: named by file, row and column, exit 2, nothing changed."""
    bad = tmp_path / "moves.csv"
    bad.write_text("role,from_sector,to_sector,rate\n" + line + "\n")
    before = folder_bytes(demo_workspace)
    code, out, err = run_cli(["import", "sector_flows", bad, "-w", demo_workspace])
    assert code == 2
    text = out + err
    assert "moves.csv" in text and "row 2" in text and column in text and words in text, text
    assert folder_bytes(demo_workspace) == before


def test_rates_out_of_a_sector_adding_to_more_than_everyone_are_refused(run_cli: Run, demo_workspace: Path,
                                                                        tmp_path: Path) -> None:
    """0.6 to voluntary and 0.5 into agency out of the NHS: 1.1 of the staff would move. Catches the check
    made row by row only."""
    bad = tmp_path / "moves.csv"
    bad.write_text("role,from_sector,to_sector,rate\nmh_practitioner,NHS,voluntary,0.6\n"
                   "mh_practitioner,NHS,agency,0.5\n")
    before = folder_bytes(demo_workspace)
    code, out, err = run_cli(["import", "sector_flows", bad, "-w", demo_workspace])
    assert code == 2 and "add up to 1.1" in out + err and "row 3" in out + err, out + err
    assert folder_bytes(demo_workspace) == before


def test_the_waterfall_shows_the_moves_and_still_reaches_the_end() -> None:
    """100 start, +5 other, +3 transfers in, −1 hours per head, −10 leavers, −4 transfers out: the end, 93, is
    where the last step stops. Catches a move drawn the wrong way or left out of the chart."""
    from cyplan.reports.charts import flows_waterfall, to_spec

    flows_ = pl.DataFrame({"year": [2026], "start_fte": [100.0], "from_training": [0.0], "other_joiners": [5.0],
                           "recruited": [0.0], "transfers_in": [3.0], "from_agency": [0.0],
                           "working_pattern": [-1.0], "transfers_out": [4.0], "to_agency": [0.0],
                           "leavers": [10.0], "retirements": [0.0], "end_fte": [93.0]})
    spec = to_spec(flows_waterfall(flows_, 2026, "Tiny"))
    bars = {v["step"]: v for v in spec["data"]["values"]} if "data" in spec else \
        {v["step"]: v for d in spec["datasets"].values() for v in d}
    assert (bars["Transfers in"]["low"], bars["Transfers in"]["high"]) == (105, 108)
    assert (bars["Hours per head"]["low"], bars["Hours per head"]["high"], bars["Hours per head"]["kind"]) == \
        (107, 108, "out")
    assert (bars["Transfers out"]["low"], bars["Transfers out"]["high"]) == (103, 107)
    assert (bars["Retired"]["low"], bars["Retired"]["high"]) == (93, 93)


def _with_moves(run_cli: Run, workspace: Path, tmp_path: Path) -> None:
    """The demo with the psychiatrists by age band and practitioners moving between the NHS, the voluntary
    sector and agency work."""
    assert run_cli(["import", "workforce_ages", _ages_file(PSYCH, tmp_path / "ages.csv"), "-w", workspace])[0] == 0
    moves = tmp_path / "moves.csv"
    moves.write_text("role,from_sector,to_sector,rate\nmh_practitioner,NHS,voluntary,0.04\n"
                     "mh_practitioner,voluntary,NHS,0.02\nmh_practitioner,NHS,agency,0.03\n")
    assert run_cli(["import", "sector_flows", moves, "-w", workspace])[0] == 0


def test_the_board_paper_and_workforce_page_show_the_moves(run_cli: Run, demo_workspace: Path,
                                                           tmp_path: Path) -> None:
    """With moves in, the paper's flows sentence names them and still adds up (start + joiners − leavers −
    retirements + moves in − moves out + hours = end, as rounded), its waterfall has the moves' steps, and the
    workforce page's flows table has their columns. Catches a view that drops the new flows."""
    import re

    from cyplan.reports.paper import build_paper
    from cyplan.reports.paper.document import Figure, Paragraph
    from cyplan.store.workspace import Workspace
    from test_web_pages import _client

    _with_moves(run_cli, demo_workspace, tmp_path)
    ws = Workspace.open(demo_workspace)
    try:
        paper = build_paper(ws, draws=50)
    finally:
        ws.close()
    blocks = paper.section("workforce").blocks
    text = next(b.text for b in blocks if isinstance(b, Paragraph) and b.text.startswith("In 2026 the workforce"))
    text = re.sub(r"\[\d+\]", "", text)
    assert "move in from other sectors or agency work" in text, text
    n = [int(x.replace(",", "")) for x in re.findall(r"\b\d[\d,]*\b", text)[1:]]
    start, joined, left, came, went, hours, end = n[0], n[1], n[5], n[8], n[9], n[10], n[11]
    sign = -1 if "take away" in text else 1
    assert abs(start + joined - left + came - went + sign * hours - end) <= 2, text  # rounding only
    waterfall = next(b for b in blocks if isinstance(b, Figure) and b.title.startswith("Who joins"))
    from cyplan.reports.charts import to_spec

    description = to_spec(waterfall.chart)["description"]
    assert "transfers out" in description and "to agency" in description, description
    for client in _client(demo_workspace):
        html = client.get("/workforce").text
        assert "Transfers out" in html and "To agency" in html and "Change in hours per head" in html
