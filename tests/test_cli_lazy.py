"""The `cyplan` command loads a command's module only when that command is run (issue 17 part 3): `cyplan --help`
answers without Polars, NumPy, SQLAlchemy or the web app, and says of every command what the command itself says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cyplan import cli
from cyplan.cli import COMMANDS, Listed, load

# What no command's listing needs: each is tens to hundreds of milliseconds to import, or megabytes to hold.
HEAVY = ("polars", "numpy", "sqlalchemy", "alembic", "pydantic", "altair", "vl_convert", "fastapi", "starlette",
         "uvicorn", "jinja2", "weasyprint", "docx", "duckdb", "openpyxl", "yaml", "httpx", "authlib", "pyarrow",
         "dask", "distributed", "SALib", "scipy")


def modules_after(code: str) -> set[str]:
    """The modules loaded after running `code` in a new interpreter (this one has loaded everything already)."""
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
                          capture_output=True, text=True, check=True, timeout=120)
    return set(done.stdout.split())


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_importing_the_cli_loads_nothing_heavy() -> None:
    """Catches a heavy import creeping back into `import cyplan.cli` (Altair, the web app, SQLAlchemy's migrations,
    Polars…): every command, `--help` too, would start a second later again."""
    modules = modules_after("import cyplan.cli")
    assert heavy_in(modules) == []
    assert sorted(m for m in modules if m.startswith("cyplan.")) == ["cyplan.cli"]


def test_the_listing_loads_no_command() -> None:
    """Catches `cyplan --help` (or `cyplan` alone) importing the commands to list them."""
    for args in (["--help"], []):
        modules = modules_after("from typer.testing import CliRunner\nfrom cyplan.cli import app\n"
                                f"assert 'need' in CliRunner().invoke(app, {args!r}).stdout")
        assert heavy_in(modules) == [], args
        # cyplan.commands, the package (an empty __init__), is imported to find its modules' source files
        assert sorted(m for m in modules if m.startswith("cyplan.")) == ["cyplan.cli", "cyplan.commands"], args


def test_a_command_loads_its_own_module_and_not_the_others() -> None:
    """Catches a loader that imports every command to run one (`cyplan need` paying for the board paper, the
    web app and the referral returns)."""
    modules = modules_after("from typer.testing import CliRunner\nfrom cyplan.cli import app\n"
                            "assert 'Cases of need' in CliRunner().invoke(app, ['need', '--help']).stdout")
    assert "cyplan.commands.plan" in modules
    others = ("cyplan.commands.services", "cyplan.commands.returns", "cyplan.commands.report", "cyplan.web",
              "cyplan.reports", "cyplan.commands.server")
    assert [m for m in modules if m.startswith(others)] == []
    assert [m for m in ("alembic", "altair", "fastapi", "duckdb") if m in modules] == []


@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_the_listing_says_what_the_command_says(command: cli.Command) -> None:
    """Catches the help `cyplan --help` reads from the source differing from the help the loaded command gives
    (a docstring edited, help= given in a decorator, a group's help moved): the listing would say one thing and
    `cyplan NAME --help` another."""
    listed, loaded = Listed(command), load(command)
    assert loaded.name == listed.name == command.name
    assert loaded.help == listed.help
    assert listed.help and len(listed.help) > 20


def test_the_commands_are_listed_as_before(run_cli) -> None:  # type: ignore[no-untyped-def]
    """Catches a command lost or reordered in the listing: the commands first, then the groups, as Typer listed
    them when every command was registered at import."""
    code, out, _ = run_cli(["--help"])
    assert code == 0
    shown = [line.split()[1] for line in out.splitlines() if line.startswith("│ ") and not line.startswith("│  ")
             and line.split()[1] not in ("--help",)]
    assert shown == ["init", "demo", "need", "demand", "costs", "import", "export", "status", "history", "gap",
                     "skills", "neighbours", "sensitivity", "compare", "report", "serve", "services", "supply",
                     "evidence", "scenario", "returns", "ons", "audit", "server"]


def test_a_misspelt_command_is_still_named_and_suggested(run_cli) -> None:  # type: ignore[no-untyped-def]
    """Catches the suggestion lost with the commands not loaded: Typer suggests from the names it holds."""
    code, _, err = run_cli(["neeed", "-w", "x"])
    assert code == 2
    assert "No such command 'neeed'" in err and "Did you mean 'need'?" in err


def test_a_group_and_its_subcommands_run_as_before(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Catches a group loaded without its own help (given where it is registered) or without a subcommand: the
    server group gets grant, revoke and members from another module."""
    code, out, _ = run_cli(["server", "--help"])
    assert code == 0
    assert "The shared server: its database's migrations, its areas and users' roles." in out
    for sub in ("migrate", "add-area", "grant", "revoke", "members"):
        assert f"│ {sub} " in out, sub
    code, out, _ = run_cli(["supply", "--help"])
    assert code == 0 and "│ backtest " in out
    code, _, err = run_cli(["status", "-w", tmp_path / "nothing"])
    assert code != 0 and "is not a cyplan workspace" in err


def test_need_loads_only_what_the_plan_needs(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    """Catches `cyplan need` paying again for what it does not use (issue 17 part 3): the input rules, the
    simulation, the gap, the service register, the evidence library and the backtest (results.py imports each
    where it is used), nor the board paper, the web app, the sensitivity analysis, Alembic or Altair; nor
    SQLAlchemy (a quarter of its time) to read a workspace that opening would leave as it is."""
    modules = modules_after("from typer.testing import CliRunner\nfrom cyplan.cli import app\n"
                            f"done = CliRunner().invoke(app, ['need', '-w', {str(demo_workspace)!r}])\n"
                            "assert done.exit_code == 0 and 'Exampleshire' in done.stdout, done.output")
    assert "cyplan.commands.plan" in modules and "cyplan.model.plan" in modules
    lazy = ("cyplan.io.validate", "cyplan.model.simulate", "cyplan.model.gap", "cyplan.model.services",
            "cyplan.model.evidence", "cyplan.model.backtest", "cyplan.model.sensitivity", "cyplan.sweep",
            "cyplan.web", "cyplan.reports", "cyplan.commands.report", "cyplan.model.skills", "cyplan.model.supply",
            "cyplan.model.neighbours", "cyplan.model.comparison")
    assert sorted(m for m in modules if m.startswith(lazy)) == []
    assert [m for m in ("alembic", "altair", "vl_convert", "fastapi", "jinja2", "weasyprint", "duckdb", "openpyxl",
                        "scipy", "dask", "SALib") if m in modules] == []
    # the demo, up to date and its referral records settled, is read at rest (store/folder.py): no SQLAlchemy
    assert [m for m in ("sqlalchemy", "cyplan.store.workspace", "cyplan.store.tables") if m in modules] == []


def freeze_count_at_exit(demo: object, runner: bool) -> int:
    """How many objects the garbage collector had frozen when a new interpreter that ran `cyplan need` exited."""
    call = (f"from typer.testing import CliRunner\nassert CliRunner().invoke(app, ['need', '-w', {str(demo)!r}])"
            ".exit_code == 0" if runner else f"sys.argv = ['cyplan', 'need', '-w', {str(demo)!r}]\napp()")
    code = ("import atexit, gc, sys\natexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"
            f"from cyplan.cli import app\n{call}")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split("frozen")[-1])


def test_the_program_leaves_its_objects_to_its_exit_and_a_caller_in_python_is_untouched(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    """Catches the garbage collector's freeze (a fifth of `cyplan need`'s processor time: cli.LazyGroup.main) lost
    from the program, or applied where cyplan is called from Python (a test's CliRunner, a notebook): there every
    object alive at that moment would never be collected again."""
    assert freeze_count_at_exit(demo_workspace, runner=False) > 10_000
    assert freeze_count_at_exit(demo_workspace, runner=True) == 0
