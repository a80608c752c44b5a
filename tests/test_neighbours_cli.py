"""Statistical neighbours through the CLI (issue 16 part 2): the three inputs imported from CSV and Excel, bad files
refused with the file, row, column and what is wrong and the workspace unchanged, a weight for an indicator no area
has warned of, and `cyplan neighbours` giving the hand-worked example of tests/test_neighbours.py (A's neighbours
B 0.67, D 2.21, C 2.83, with x weight 1 and y weight 2) on screen and in a file."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from conftest import CliResult, folder_bytes, write_workbook

Run = Callable[[Sequence[str]], CliResult]
AREAS = ("code,name,kind,parent,source\nE10000001,Aford,council,,made up\nE10000002,Bford,council,,made up\n"
         "E10000003,Cford,council,,made up\nE10000004,Dford,council,,made up\nE54000001,Some ICB,ICB,,made up\n")
# x = 9, 7, 9, 15 and y = 13, 13, 7, 15 for A, B, C, D (the hand-worked example); the ICB has A's figures
VALUES = {"E10000001": (9, 13), "E10000002": (7, 13), "E10000003": (9, 7), "E10000004": (15, 15),
          "E54000001": (9, 13)}


def indicator_rows() -> list[list[object]]:
    return [[area, name, 2024, v, "made up"] for area, xy in VALUES.items() for name, v in zip("xy", xy, strict=True)]


@pytest.fixture
def ws(run_cli: Run, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    (tmp_path / "areas.csv").write_text(AREAS, encoding="utf-8")
    text = "area,indicator,year,value,source\n" + "".join(",".join(map(str, r)) + "\n" for r in indicator_rows())
    (tmp_path / "ind.csv").write_text(text, encoding="utf-8")
    for kind, name in (("areas", "areas.csv"), ("area_indicators", "ind.csv")):
        code, _out, err = run_cli(["import", kind, tmp_path / name, "-w", ws])
        assert code == 0, err
    return ws


def refused(run: Run, ws: Path, args: Sequence[str]) -> str:
    before = folder_bytes(ws)
    code, out, err = run([*args, "-w", ws])
    assert code == 2, (out, err)
    assert folder_bytes(ws) == before
    assert "Traceback" not in err
    return err


def test_a_published_list_with_its_own_area_a_repeated_rank_or_an_unknown_area_is_refused_where_it_is(
        run_cli: Run, ws: Path, tmp_path: Path) -> None:
    """Catches an area listed as its own neighbour, two neighbours at one rank, or a code not in the areas stored."""
    bad = tmp_path / "sn.csv"
    bad.write_text("area,neighbour,rank,source\nE10000001,E10000001,1,DfE\nE10000001,E10000003,2,DfE\n"
                   "E10000001,E10000002,2,DfE\nE10999999,E10000002,1,DfE\nE10000002,E10999998,1,DfE\n",
                   encoding="utf-8")
    err = refused(run_cli, ws, ["import", "statistical_neighbours", bad])
    assert f"{bad}, row 2, column 'neighbour': 'E10000001' is given as its own neighbour" in err
    assert (f"{bad}, row 4, column 'rank': rank 2 of area 'E10000001' is already given to 'E10000003' on row 3: "
            "each rank once in an area's list") in err
    assert f"{bad}, row 5, column 'area': area 'E10999999' is not in the areas" in err
    assert f"{bad}, row 6, column 'neighbour'" in err and "'E10999998' is not in the areas" in err


def test_a_negative_weight_and_an_indicator_named_as_a_column_are_refused(run_cli: Run, ws: Path,
                                                                          tmp_path: Path) -> None:
    bad = tmp_path / "w.csv"
    bad.write_text("indicator,weight\nx,-0.5\n", encoding="utf-8")
    err = refused(run_cli, ws, ["import", "indicator_weights", bad])
    assert f"{bad}, row 2, column 'weight': weight -0.5 is negative; it must be 0 or more" in err
    clash = tmp_path / "ind.csv"
    clash.write_text("area,indicator,year,value\nE10000001,distance,2024,3\n", encoding="utf-8")
    err = refused(run_cli, ws, ["import", "area_indicators", clash])
    assert f"{clash}, row 2, column 'indicator': 'distance' cannot name an indicator" in err


def test_a_weight_for_an_indicator_no_area_has_is_imported_with_a_warning(run_cli: Run, ws: Path,
                                                                          tmp_path: Path) -> None:
    """Catches a misspelt indicator's weight taken silently (its indicator keeps weight 1 without a word)."""
    w = tmp_path / "w.csv"
    w.write_text("indicator,weight\ny,2\nchildren_in_ned,3\n", encoding="utf-8")
    code, _out, err = run_cli(["import", "indicator_weights", w, "-w", ws])
    assert code == 0, err
    assert ("Warning: indicator_weights: no area has indicator 'children_in_ned', so its weight does nothing; the "
            "indicators held are: x, y") in " ".join(err.split())


def test_a_refused_indicators_file_says_nothing_of_the_weights_as_if_it_were_held(run_cli: Run, ws: Path,
                                                                                   tmp_path: Path) -> None:
    """Catches the unused-weight warning worked from a refused file (it was): with weights for x and y held, a file of
    indicator z refused for its value warned that x and y's weights do nothing as 'the indicators held are: z'."""
    w = tmp_path / "w.csv"
    w.write_text("indicator,weight\nx,2\ny,1\n", encoding="utf-8")
    assert run_cli(["import", "indicator_weights", w, "-w", ws])[0] == 0
    bad = tmp_path / "z.csv"
    bad.write_text("area,indicator,year,value\nE10000001,z,2024,inf\n", encoding="utf-8")
    err = refused(run_cli, ws, ["import", "area_indicators", bad])
    assert f"{bad}, row 2, column 'value': 'inf' is not a number" in err
    assert "does nothing" not in err and "held are: z" not in " ".join(err.split())


def test_a_published_neighbour_of_another_kind_is_imported_with_a_warning(run_cli: Run, ws: Path,
                                                                          tmp_path: Path) -> None:
    """Catches a council's published list naming an ICB (a code mistyped, a list for the wrong geography) taken
    without a word, then shown among the council's neighbours; a council's council neighbour says nothing."""
    sn = tmp_path / "sn.csv"
    sn.write_text("area,neighbour,rank,source\nE10000001,E54000001,1,DfE\nE10000001,E10000002,2,DfE\n",
                  encoding="utf-8")
    code, _out, err = run_cli(["import", "statistical_neighbours", sn, "-w", ws])
    assert code == 0, err
    said = " ".join(err.split())
    assert ("Warning: statistical_neighbours: a neighbour of another kind than its area: E54000001 (ICB) for "
            "E10000001 (council)") in said
    assert "E10000002 (council) for" not in said


def test_neighbours_shows_the_hand_worked_order_distances_and_drivers(run_cli: Run, ws: Path, tmp_path: Path) -> None:
    """Catches the wrong order, distance or drivers on screen, an ICB among a council's neighbours, or the method
    and source not said."""
    w = tmp_path / "w.csv"
    w.write_text("indicator,weight\ny,2\n", encoding="utf-8")
    assert run_cli(["import", "indicator_weights", w, "-w", ws])[0] == 0
    code, out, err = run_cli(["neighbours", "E10000001", "-w", ws])
    assert code == 0, err
    lines = [" ".join(line.replace("│", " ").split()) for line in out.splitlines()]
    assert "1 Bford 0.67 x 100%, y 0%" in lines
    assert "2 Dford 2.21 x 82%, y 18%" in lines
    assert "3 Cford 2.83 y 100%, x 0%" in lines
    assert "Some ICB" not in out
    said = " ".join(err.split())
    assert "Method: computed. Source: computed from 2 indicators (x, y) over 4 areas" in said
    assert "Note: x: the figures for 2024." in said


def test_neighbours_out_writes_the_shares_to_csv_and_n_limits(run_cli: Run, ws: Path, tmp_path: Path) -> None:
    """Catches --out ignored (the table printed instead) or --n not applied; equal weights: B 2/3, C 2."""
    out_file = tmp_path / "n.csv"
    code, _out, err = run_cli(["neighbours", "E10000001", "--n", "2", "--out", out_file, "-w", ws])
    assert code == 0, err
    with out_file.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["neighbour"] for r in rows] == ["E10000002", "E10000003"]
    assert [r["name"] for r in rows] == ["Bford", "Cford"]
    assert [float(r["distance"]) for r in rows] == pytest.approx([2 / 3, 2], abs=1e-6)
    assert [(float(r["x"]), float(r["y"])) for r in rows] == [(1, 0), (0, 1)]


def test_a_published_list_imported_from_excel_is_shown_as_given(run_cli: Run, ws: Path, tmp_path: Path) -> None:
    book = write_workbook(tmp_path / "published.xlsx", {"statistical_neighbours": [
        ["area", "neighbour", "rank", "source"], ["E10000001", "E10000004", 1, "DfE children's services 2024"],
        ["E10000001", "E10000003", 2, "DfE children's services 2024"]]})
    code, _out, err = run_cli(["import", "statistical_neighbours", book, "-w", ws])
    assert code == 0, err
    code, out, err = run_cli(["neighbours", "E10000001", "-w", ws])
    assert code == 0, err
    assert out.index("Dford") < out.index("Cford") and "Bford" not in out and "Distance" not in out
    assert "Method: published. Source: published list: DfE children's services 2024." in " ".join(err.split())


def test_an_unknown_area_or_one_with_nothing_to_go_on_is_an_error_saying_what_to_do(run_cli: Run, ws: Path,
                                                                                    tmp_path: Path) -> None:
    code, _out, err = run_cli(["neighbours", "E1", "-w", ws])
    assert code == 2 and "there is no area 'E1' in the workspace" in err and "Traceback" not in err
    bare = tmp_path / "bare"
    assert run_cli(["init", bare])[0] == 0
    assert run_cli(["import", "areas", tmp_path / "areas.csv", "-w", bare])[0] == 0
    code, _out, err = run_cli(["neighbours", "E10000001", "-w", bare])
    assert code == 2 and "import area_indicators or statistical_neighbours" in " ".join(err.split())


def test_the_example_folder_imports_cleanly_and_gives_its_readmes_figures(run_cli: Run, tmp_path: Path) -> None:
    """Catches examples/neighbours/README.md and the code disagreeing (Ashby: Brockley 0.67, Dunmere 2.21, Colbury
    2.83; Brockley's 2023 figure not used), a published list not used for Dunmere, or a warning about the region's
    missing population."""
    ws = tmp_path / "ws"
    assert run_cli(["init", ws])[0] == 0
    code, _out, err = run_cli(["import", "all", Path(__file__).parents[1] / "examples" / "neighbours", "-w", ws])
    assert code == 0 and "Warning" not in err, err
    readme = (Path(__file__).parents[1] / "examples" / "neighbours" / "README.md").read_text(encoding="utf-8")
    code, out, err = run_cli(["neighbours", "E10999991", "-w", ws, "--format", "csv"])
    assert code == 0, err
    rows = list(csv.DictReader(out.splitlines()))
    assert [r["name"] for r in rows] == ["Brockley (made up)", "Dunmere (made up)", "Colbury (made up)"]
    for r, shown in zip(rows, ("0.67", "2.21", "2.83"), strict=True):
        assert f"{float(r['distance']):.2f}" == shown and f"**{shown}**" in readme
    code, out, err = run_cli(["neighbours", "E10999994", "-w", ws, "--format", "csv"])
    assert [r["neighbour"] for r in csv.DictReader(out.splitlines())] == ["E10999993", "E10999991", "E10999992"]
    code, _out, err = run_cli(["need", "-w", ws])
    assert "E12999999" not in err  # the region holds the councils: no 'has no population' warning for it
