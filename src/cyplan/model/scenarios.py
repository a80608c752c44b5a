"""Scenarios: named sets of changes applied to the inputs before the model runs.

A change names an input, a numeric column, the rows it applies to ('column=value' pairs, all of which must
match) and an operation: set, add or multiply the value; or move a share of a pathway step's hours from one
role to another (role mix); or commission an intervention for a gap of the services action list from a year
on, which changes no input but adds the intervention's staff to demand (`commissions`; results.simulation adds
them, model/evidence.py works them out). A change touches only the cells it names, and a change that matches no row or
leaves a value outside what the input allows is an error, not a silent no-op.
"""

from __future__ import annotations

import polars as pl

from cyplan.schema import KINDS, Column

BASELINE = "baseline"


class ScenarioError(ValueError):
    """A scenario that cannot be applied; the message names the scenario and the change, and `field` the column of
    the change that is wrong (input, column, where, to_role or value), for a form to show the message beside it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def names(scenarios: pl.DataFrame) -> list[str]:
    return list(dict.fromkeys(scenarios["scenario"].to_list()))


def apply(frames: dict[str, pl.DataFrame], scenarios: pl.DataFrame, name: str) -> dict[str, pl.DataFrame]:
    if name == BASELINE:
        return frames
    changes = scenarios.filter(pl.col("scenario") == name)
    if changes.is_empty():
        raise ScenarioError(f"no scenario named '{name}'; the scenarios are: "
                            + (", ".join(names(scenarios)) or "none yet (import some with 'cyplan import scenarios')"))
    out = dict(frames)
    for change in changes.filter(pl.col("operation") != COMMISSION).iter_rows(named=True):
        out[change["input"]] = _apply_one(out, change)
    return out


COMMISSION = "commission"
COMMISSION_SCHEMA = {"intervention": pl.String, "gap": pl.String, "from_year": pl.Int64}


def commissions(scenarios: pl.DataFrame, name: str) -> pl.DataFrame:
    """The interventions a scenario commissions: intervention, gap (an item of the action list) and from_year.
    A commission row reads input 'interventions', column 'from_year', where 'intervention=X; gap=ITEM' and the
    first year as its value."""
    rows = [] if name == BASELINE else scenarios.filter((pl.col("scenario") == name)
                                                        & (pl.col("operation") == COMMISSION)).to_dicts()
    out = []
    for change in rows:  # a loop over the scenario's few rows
        label = f"scenario '{name}', commission"
        if change["input"] != "interventions" or change["column"] != "from_year":
            raise ScenarioError(f"{label}: write input 'interventions' and column 'from_year' (the value is the "
                                f"first year), not {change['input']}.{change['column']}",
                                "input" if change["input"] != "interventions" else "column")
        try:
            where = parse_where(str(change["where"] or ""))
        except ValueError as e:
            raise ScenarioError(f"{label}: {e}", "where") from None
        if sorted(where) != ["gap", "intervention"]:
            raise ScenarioError(f"{label}: where must name the intervention and the gap, as 'intervention=X; "
                                f"gap=ITEM' (ITEM as the services action list gives it), not '{change['where'] or ''}'",
                                "where")
        value = float(change["value"])
        if value != int(value):
            raise ScenarioError(f"{label}: the value is the first year, a whole number, not {value:g}", "value")
        out.append((where["intervention"], where["gap"], int(value)))
    return pl.DataFrame(out, schema=COMMISSION_SCHEMA, orient="row")


def parse_where(text: str) -> dict[str, str]:
    pairs = [p.strip() for p in (text or "").split(";") if p.strip()]
    out = {}
    for pair in pairs:
        column, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"'{pair}' is not 'column=value'")
        if column.strip() in out:  # 'level=targeted;level=tertiary' picks no row: a typing error
            raise ValueError(f"'{column.strip()}' is given twice")
        out[column.strip()] = value.strip()
    return out


def _apply_one(frames: dict[str, pl.DataFrame], change: dict[str, object]) -> pl.DataFrame:
    label = f"scenario '{change['scenario']}', change to {change['input']}.{change['column']}"
    kind = KINDS.get(str(change["input"]))
    if kind is None or kind.name == "scenarios":
        raise ScenarioError(f"{label}: '{change['input']}' is not an input that can be changed", "input")
    column = str(change["column"])
    if column not in kind.column_names or kind.column(column).type not in ("number", "share", "integer"):
        numeric = [c.name for c in kind.columns if c.type in ("number", "share", "integer")]
        raise ScenarioError(f"{label}: '{column}' is not a numeric column of {kind.name} ({', '.join(numeric)})",
                            "column")
    try:
        where = parse_where(str(change["where"] or ""))
    except ValueError as e:
        raise ScenarioError(f"{label}: {e}", "where") from None
    unknown = [c for c in where if c not in kind.column_names]
    if unknown:
        raise ScenarioError(f"{label}: {kind.name} has no column {', '.join(unknown)}", "where")
    frame = frames[kind.name]
    match = pl.all_horizontal([pl.col(c).cast(pl.String) == v for c, v in where.items()] or [pl.lit(True)])
    if frame.filter(match).is_empty():
        raise ScenarioError(f"{label}: no row of {kind.name} matches '{change['where']}'", "where")
    if change["operation"] == "move":
        return _move(frame, match, change, label, set(frames["roles"]["role"]))
    value, op, col = float(change["value"]), str(change["operation"]), pl.col(column)  # type: ignore[arg-type]
    new = {"set": pl.lit(value), "add": col + value, "multiply": col * value}[op]
    updates = [pl.when(match).then(new).otherwise(col).cast(frame.schema[column]).alias(column)]
    # the value's low and high move with it: by the same amount for set and add, in proportion for multiply
    for bound in kind.range_of(column) or ():
        b = pl.col(bound).fill_null(col)
        moved = b * value if op == "multiply" else b + (new - col)
        updates.append(pl.when(match).then(moved).otherwise(pl.col(bound)).cast(frame.schema[bound]).alias(bound))
    result = frame.with_columns(updates)
    for name in (column, *(kind.range_of(column) or ())):
        _check_range(result.filter(match), kind.column(name), label)
    if kind.name == "correlations":
        _check_correlations(result, label)
    return result


def _check_correlations(frame: pl.DataFrame, label: str) -> None:
    """Changed correlations must still be able to hold at once, as the import checks."""
    from cyplan.model import correlations  # it reads 'where' as this module does: imported here, not above

    low = correlations.smallest_eigenvalue(correlations.rank_matrix(correlations.pairs(frame))[1])
    if low < -correlations.PSD_TOLERANCE:
        raise ScenarioError(f"{label}: the correlations can no longer all hold at once (as a matrix they are not "
                            f"positive semi-definite: its smallest eigenvalue is {low:.3g})", "value")


def _move(frame: pl.DataFrame, match: pl.Expr, change: dict[str, object], label: str,
          roles: set[str]) -> pl.DataFrame:
    """Move `value` of each matched step's hours from the matched role to `to_role`."""
    if change["input"] != "role_mix" or change["column"] != "share":
        raise ScenarioError(f"{label}: move applies to role_mix.share only", "operation")
    to_role, value = str(change["to_role"] or ""), float(change["value"])  # type: ignore[arg-type]
    if to_role not in roles:
        raise ScenarioError(f"{label}: move needs to_role, a role of the roles input, to take the share"
                            + (f" ('{to_role}' is not one)" if to_role else ""), "to_role")
    given = frame.filter(match)
    short = given.filter(pl.col("share") < value - 1e-12)
    if short.height:
        r = short.row(0, named=True)
        raise ScenarioError(f"{label}: role '{r['role']}' has only {r['share']:g} of step '{r['step']}' to move, "
                            f"not {value:g}", "value")
    frame = frame.with_columns(pl.when(match).then(pl.col("share") - value).otherwise(pl.col("share")).alias("share"))
    steps = given.select("level", "step").unique(maintain_order=True)
    receiving = (steps.with_columns(pl.lit(to_role).alias("role"))
                 .join(frame, on=["level", "step", "role"], how="left")
                 .with_columns(pl.col("share").fill_null(0.0) + value, pl.col("source").fill_null(""))
                 .select(frame.columns))
    kept = frame.join(receiving.select("level", "step", "role"), on=["level", "step", "role"], how="anti")
    return pl.concat([kept, receiving])


def _check_range(rows: pl.DataFrame, column: Column, label: str) -> None:
    values = rows[column.name]
    low = column.minimum if column.minimum is not None else (0.0 if column.type == "share" else None)
    if low is not None and (values < low).any():
        raise ScenarioError(f"{label}: makes {column.name} {values.min():g}, below {low:g}", "value")
    if column.maximum is not None and (values > column.maximum).any():
        raise ScenarioError(f"{label}: makes {column.name} {values.max():g}, above {column.maximum:g}", "value")
