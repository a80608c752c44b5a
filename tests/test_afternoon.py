"""Issue 18's "Done when", tried as a council analyst would: a made-up county of our own (Westshire, E10000099),
its files as a council has them (tests/data/westshire/, written by make_files.py there), and the user guide's
"Your own area in an afternoon" path from `cyplan init --starter england` to a Word board paper, through the CLI.
"""

import csv
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from conftest import WIDE, CliResult, folder_bytes
from cyplan.cli import app

Path_ = list[tuple[list[str], CliResult]]  # each command of the path, as run, and what it said
Afternoon = tuple[Path, Path_, tuple[str, str]]
DATA = Path(__file__).parent / "data" / "westshire"
GUIDE = Path(__file__).parent.parent / "docs" / "user-guide.md"
# what the analyst writes into the blanks of roles-to-complete.csv: local figures, not national ones
LOCAL_ROLE_VALUES = {"sickness_days": "11", "training_days": "5", "direct_work_share": "0.6"}
PSYCHIATRIST = {"contracted_hours_per_week": "40", "working_days_per_week": "5", "annual_leave_days": "32",
                "public_holiday_days": "8", "sickness_days": "5", "training_days": "10", "direct_work_share": "0.55",
                "salary": "125000", "on_cost_rate": "0.38",
                "source": "Westshire NHS FT finance, 2025/26 budget (made up)"}


def complete_roles(path: Path) -> None:
    """Fill in the starter's blanks as the guide says: the analyst's own sickness, training and direct work, and
    the consultant psychiatrist's pay and terms (no national figure)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        fill = PSYCHIATRIST if row["role"] == "psychiatrist" else LOCAL_ROLE_VALUES
        row.update({k: v for k, v in fill.items() if not row[k] or k == "source"})
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)


def paper_text(path: Path) -> str:
    document = docx.Document(str(path))
    return "\n".join(p.text for p in document.paragraphs)


@pytest.fixture(scope="module")
def afternoon(tmp_path_factory: pytest.TempPathFactory) -> Afternoon:
    """The whole path, run once (as run_cli runs a command, but once for the module): the paper, each command of
    the path with what it said, and what the two tries the population file refuses said (each checked to change
    nothing, and not counted in the path)."""
    runner = CliRunner()

    def run(args: list[object]) -> CliResult:
        result = runner.invoke(app, [str(a) for a in args], env=WIDE)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr

    here = tmp_path_factory.mktemp("afternoon")
    ws = here / "westshire"
    path: Path_ = []

    def step(*args: object) -> CliResult:
        got = run([*args])
        assert got[0] == 0, (args, got)
        path.append(([str(a) for a in args], got))
        return got

    def refused(*args: object) -> str:
        before = folder_bytes(ws)
        code, _, err = run([*args])
        assert code == 2 and folder_bytes(ws) == before, err
        return err

    pop = DATA / "population-mid-2025.xlsx"
    step("init", ws, "--starter", "england")
    step("import", "areas", DATA / "areas.csv", "-w", ws)
    titled = refused("import", "population", pop, "-w", ws)
    banded = refused("import", "population", pop, "-w", ws, "--header-row", "4")
    step("import", "population", pop, "-w", ws, "--header-row", "4", "--split-age-bands")
    complete_roles(ws / "roles-to-complete.csv")
    step("import", "roles", ws / "roles-to-complete.csv", "-w", ws)
    step("import", "prevalence", DATA / "prevalence.csv", "-w", ws)
    step("import", "role_mix", DATA / "role_mix.csv", "-w", ws)
    step("import", "workforce", DATA / "workforce-census-2025.xlsx", "-w", ws)
    step("import", "services", DATA / "services.csv", "-w", ws)
    step("returns", "import", DATA / "referrals-2025.csv", "-w", ws)
    step("need", "-w", ws, "--year", "2025", "--by", "level")
    step("gap", "-w", ws, "--draws", "50")
    paper = here / "paper.docx"
    step("report", "-w", ws, "--format", "docx", "--draws", "50", "--out", paper)
    return paper, path, (titled, banded)


def said(path: Path_, *command: str) -> str:
    """Everything the first command starting with these words wrote, out and err."""
    _, out, err = next(r for a, r in path if a[:len(command)] == list(command))
    return out + err


def test_the_refused_population_file_says_in_one_line_what_to_do_each_time(afternoon: Afternoon) -> None:
    """Catches a title row read as the header (one message per row, 185 times in the issue) and age bands refused
    without the option that splits them."""
    _, _, (titled, banded) = afternoon
    assert "1 problem found" in titled and "the header seems to be row 4 — use `--header-row 4`" in titled
    assert "is an age band, not a single year of age: import with --split-age-bands" in banded


def test_each_local_file_imports_as_the_council_has_it(afternoon: Afternoon) -> None:
    """Catches ONS and NHS column names, M/F, Y/N, NHS ethnic codes or UK dates refused, and bands split to the
    wrong number of rows (6 bands by 2 sexes into 26 single years by 2 = 52)."""
    _, path, _ = afternoon
    assert "Imported 52 rows of population" in said(path, "import", "population")
    assert "column 'FTE' was read as 'fte_in_post'" in said(path, "import", "workforce")
    assert "Imported 4 rows of workforce census" in said(path, "import", "workforce")
    assert "Imported 2 rows of services" in said(path, "import", "services")
    returns = said(path, "returns", "import")
    assert "Imported 120 referrals" in returns and "No queries." in returns
    assert "dates such as 05/04/2025 were read as day/month/year (UK), so 05/04/2025 is 5 April 2025" in returns


def test_need_is_the_hand_worked_total(afternoon: Afternoon) -> None:
    """Catches a band split unevenly, probable disorder not net of tertiary, or prevalence at the wrong ages.
    By hand: tertiary 30,800 × 1.5% + 86,440 × 3% + 46,710 × 2% = 3,989.4; probable disorder net of it
    20,060 × 12.7% + 40,200 × 19.6% + 6,380 × 20.3% + 12,760 × 21.3% + 33,950 × 19.7% = 21,128.0; 25,117 in all,
    of 163,950 children and young people."""
    _, path, _ = afternoon
    out = said(path, "need")
    assert re.search(r"Probable mental disorder\s*│\s*163,950\s*│\s*21,128", out)
    assert re.search(r"Tertiary-level need\s*│\s*163,950\s*│\s*3,989", out)
    assert re.search(r"Total\s*│\s*163,950\s*│\s*25,117", out)
    assert "above the national rate" not in out  # given net of tertiary, the levels stay within the survey's rate


def test_the_paper_names_the_county_marks_national_values_and_cites_sources(afternoon: Afternoon) -> None:
    """Catches a paper about the demo, national figures passed off as local, sources left out or named by cyplan's
    own files, and 'and 25,117 by 2025' when only one year of population is given."""
    paper, _, _ = afternoon
    text = paper_text(paper)
    assert "Children and young people's services in Westshire" in text
    assert "estimated 25,117 cases of need" in text
    assert "Some of the figures behind this estimate are national, not Westshire's own" in text
    assert "National starting value: replace with local data" in text
    for source in ("NHS England (2023)", "Segal", "Agenda for Change", "Westshire NHS FT workforce census"):
        assert source in text, source
    for wrong in ("Exampleshire", "Demo assumption", "seed 00", "docs/method.md", "and 25,117 by 2025"):
        assert wrong not in text, wrong
    assert "The population is given for 2025 only, so need is not projected" in text


def test_the_path_takes_no_more_commands_than_the_guide_promises(afternoon: Afternoon) -> None:
    """Catches the path growing past the guide's promise of twelve commands, and the guide's walk-through drifting
    from the path run here: its commands, files and options are these, in this order (with the two refused tries
    of the population file)."""
    _, path, _ = afternoon
    section = GUIDE.read_text(encoding="utf-8").split("## Your own area in an afternoon", 1)[1].split("\n## ", 1)[0]
    promised = re.search(r"takes (\w+) commands", section)
    assert promised and promised.group(1) == "twelve" and len(path) <= 12
    shown = [line.split()[2:] for line in section.splitlines() if line.startswith("$ cyplan ")]
    run = [[Path(a).name if "/" in a else a for a in args] for args, _ in path]
    for args in run:  # the guide names the output file of the paper by its default, and the roles file in its folder
        if args[0] == "report":
            del args[args.index("--out"):args.index("--out") + 2]
    pop = ["import", "population", "population-mid-2025.xlsx", "-w", "westshire"]
    expected = [*run[:2], pop, [*pop, "--header-row", "4"], *run[2:]]
    expected[5][2] = "westshire/roles-to-complete.csv"
    assert shown == expected


def test_the_word_paper_opens_in_libreoffice(afternoon: Afternoon, tmp_path: Path) -> None:
    """Catches a .docx that python-docx reads but an office program cannot open: converted to PDF, it prints the
    county's title."""
    paper, _, _ = afternoon
    office = shutil.which("libreoffice") or shutil.which("soffice")
    assert office, "LibreOffice is needed to show the Word paper opens: run scripts/system_deps.sh --test"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run([office, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir",
                    str(tmp_path), str(paper)], check=True, capture_output=True, timeout=180)
    text = subprocess.run(["pdftotext", str(tmp_path / "paper.pdf"), "-"], capture_output=True, check=True,
                          text=True).stdout
    assert "Westshire" in re.sub(r"\s+", " ", text)


def test_a_referral_extract_without_a_column_it_does_not_record_is_told_to_add_it_blank(
        run_cli: Callable[[list[object]], CliResult], demo_workspace: Path, tmp_path: Path) -> None:
    """Catches a bare 'this column is missing' for a field that may be blank (the analyst cannot tell that a
    blank column is accepted), and the same leniency offered for a column every record needs."""
    lines = (DATA / "referrals-2025.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    keep = [i for i, name in enumerate(header) if name not in ("religion", "accepted")]
    cut = tmp_path / "extract.csv"
    cut.write_text("\n".join(",".join(line.split(",")[i] for i in keep) for line in lines) + "\n", encoding="utf-8")
    before = folder_bytes(demo_workspace)
    code, _, err = run_cli(["returns", "import", cut, "-w", demo_workspace])
    assert code == 2 and folder_bytes(demo_workspace) == before
    assert (f"{cut}, row 1, column 'religion': this column is missing: add it, with its cells left blank if your "
            "records do not hold it") in err
    assert re.search(rf"{re.escape(str(cut))}, row 1, column 'accepted': this column is missing\n", err)
