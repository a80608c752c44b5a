"""The `cyplan` command: every command listed here, and each loaded from its module only when it is run.

Why: importing every command's module (Polars, NumPy, SQLAlchemy and Alembic, the model, the server's settings)
took about a second before `cyplan --help` could answer, and every command paid it (issue 17 part 3). So this
module imports nothing of cyplan's: `COMMANDS` says where each command is defined, `cyplan --help` lists them
with their help read from their modules' source (a command's docstring, or a group's help given here) without
importing them, and `cyplan need …` imports cyplan.commands.plan and what it needs, nothing else. A command
loaded is registered exactly as `app.command()` or `app.add_typer()` would have registered it, so its options,
help and behaviour are what they were. tests/test_cli_lazy.py holds the listing to what the commands say of
themselves, and `import cyplan.cli` to loading none of the heavy modules.
"""

from __future__ import annotations

import ast
import atexit
import functools
import gc
import importlib
import importlib.util
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Command:
    """A top-level command: `target` is "module:attribute", a function (one command) or a typer.Typer (a group
    of them); `help` is a group's (as add_typer's help=); `doc` is where the listing's help is read from when
    it is a docstring elsewhere than the target's."""

    name: str
    target: str
    help: str | None = None
    doc: str | None = None


# In the order `cyplan --help` lists them (Typer's: the commands, then the groups).
COMMANDS = (
    Command("init", "cyplan.commands.workspace:init"),
    Command("demo", "cyplan.commands.workspace:demo"),
    Command("need", "cyplan.commands.plan:need"),
    Command("demand", "cyplan.commands.plan:demand"),
    Command("costs", "cyplan.commands.plan:costs"),
    Command("import", "cyplan.commands.workspace:import_"),
    Command("export", "cyplan.commands.workspace:export_"),
    Command("status", "cyplan.commands.workspace:status"),
    Command("history", "cyplan.commands.history:history"),
    Command("gap", "cyplan.commands.workforce:gap"),
    Command("skills", "cyplan.commands.skills:skills"),
    Command("neighbours", "cyplan.commands.neighbours:neighbours"),
    Command("sensitivity", "cyplan.commands.sensitivity:sensitivity"),
    Command("compare", "cyplan.commands.compare:compare"),
    Command("report", "cyplan.commands.report:report"),
    Command("serve", "cyplan.commands.serve:serve"),
    Command("services", "cyplan.commands.services:app",
            help="The early intervention service register: coverage, rating, actions."),
    Command("supply", "cyplan.commands.backtest:supply_app", doc="cyplan.commands.workforce:supply"),
    Command("evidence", "cyplan.commands.evidence:app",
            help="The evidence library: interventions, their ratings, practice guides and briefs."),
    Command("scenario", "cyplan.commands.workforce:scenario_app",
            help="Named sets of changes to the inputs, run beside the baseline."),
    Command("returns", "cyplan.commands.returns:returns_app",
            help="Referral returns: import records, quality report, quarterly tables (with disclosure control)."),
    Command("ons", "cyplan.commands.ons:ons_app", help="ONS population files as published: write the areas they give."),
    Command("audit", "cyplan.commands.audit:audit_app",
            help="The audit trail: check its hash chain, list who did what and when."),
    Command("server", "cyplan.commands.server_roles:server_app",
            help="The shared server: its database's migrations, its areas and users' roles."),
)
SETTINGS: dict[str, Any] = {"no_args_is_help": True, "add_completion": False, "pretty_exceptions_enable": False}


@functools.cache
def _source(module: str) -> ast.Module:
    """A module's source, parsed, not run: found where `import` would find it."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    with open(spec.origin, encoding="utf-8") as f:
        return ast.parse(f.read(), spec.origin)


def docstring(where: str) -> str:
    """The docstring of the function "module:name", as inspect.getdoc gives it (so as Typer shows it)."""
    module, _, name = where.partition(":")
    found = [node for node in _source(module).body if isinstance(node, ast.FunctionDef) and node.name == name]
    assert found, f"no function {where}"
    return inspect.cleandoc(ast.get_docstring(found[0], clean=False) or "")


class Listed(TyperCommand):
    """What `cyplan --help` needs of a command, its name and help, without importing its module. The help is read
    when it is shown: reading the 17 modules' source for it was 15 ms of every command's start (`cyplan need`'s
    too), where only the listing shows it."""

    def __init__(self, command: Command) -> None:
        self.command = command
        super().__init__(command.name)

    @property  # type: ignore[override]
    def help(self) -> str:
        return self.command.help or docstring(self.command.doc or self.command.target)

    @help.setter
    def help(self, given: str | None) -> None:
        pass  # Click's __init__ sets it (to None): the help is always the command's own


def load(command: Command) -> TyperCommand | TyperGroup:
    """The command itself: its module imported and the command registered as `app.command()` or `app.add_typer()`
    would have registered it on the `cyplan` group."""
    module, _, attribute = command.target.partition(":")
    target = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer(**SETTINGS)
    holder.callback()(lambda: None)  # a group even when it holds one command (else Typer makes that the program)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=command.name, **({"help": command.help} if command.help else {}))
    else:
        holder.command(command.name)(target)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    loaded = group.commands[command.name]
    assert isinstance(loaded, TyperCommand | TyperGroup)
    return loaded


class LazyGroup(TyperGroup):
    """The `cyplan` group: every command listed from COMMANDS, and loaded when it is the one run (or its own help
    is asked for)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands.update({c.name: Listed(c) for c in COMMANDS})
        self.program = False

    def main(self, args: Sequence[str] | None = None, *rest: Any, **options: Any) -> Any:
        # No arguments given: this is the `cyplan` program, its arguments its command line (a caller in Python, such
        # as a test's CliRunner, gives them). Its objects then need no garbage collector after it: Python's last
        # collections at exit walked every module's objects, a tenth of a second of `cyplan need`'s 0.9 s processor
        # time. Frozen at exit (after the other exit handlers), they are left to the end of the process.
        if args is None:
            self.program = True
            atexit.register(gc.freeze)
        return super().main(args, *rest, **options)

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> tuple[Any, Any, list[str]]:
        name, found, rest = super().resolve_command(ctx, args)
        if isinstance(found, Listed):
            found = self.commands[found.name] = load(found.command)
            if self.program:
                # the command's modules are loaded and live as long as the process: kept out of the collector's
                # walks from here on (another tenth of a second of `cyplan need`), as gc.freeze's documentation
                # suggests for a process's long-lived objects
                gc.freeze()
        return name, found, rest


app = typer.Typer(cls=LazyGroup, help="Needs-based planning for children and young people's services.", **SETTINGS)


@app.callback()
def _program() -> None:
    pass  # `cyplan` itself does nothing but hold its commands: a callback makes it a group before any is loaded


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
