"""The input kinds: their columns, types, keys and references.

This is the one definition of every input. The readers validate against it, the store makes its
tables from it, the writers export in its column order and the data-formats page is checked
against it. Nothing else lists an input's columns. Each part of the plan keeps its inputs in its
own module here; KINDS lists them all, in the order they are shown and exported.
"""

from cyplan.schema.areas import AREAS_KINDS
from cyplan.schema.backtest import BACKTEST_KINDS
from cyplan.schema.columns import (
    AGES,
    AREA_KINDS,
    ESTIMATES,
    SEXES,
    Column,
    ColumnType,
    InputKind,
    Reference,
    age_range_columns,
    estimate_columns,
    source_column,
)
from cyplan.schema.evidence import EVIDENCE_KINDS
from cyplan.schema.planning import PLANNING_KINDS
from cyplan.schema.report import REPORT_KINDS
from cyplan.schema.returns import RETURNS_KINDS
from cyplan.schema.services import SERVICE_KINDS
from cyplan.schema.skills import SKILLS_KINDS
from cyplan.schema.supply import SUPPLY_KINDS

KINDS: dict[str, InputKind] = {k.name: k for k in (*PLANNING_KINDS, *SUPPLY_KINDS, *BACKTEST_KINDS, *SKILLS_KINDS,
                                                       *SERVICE_KINDS, *EVIDENCE_KINDS, *AREAS_KINDS,
                                                       *RETURNS_KINDS, *REPORT_KINDS)}

__all__ = ["AGES", "AREA_KINDS", "ESTIMATES", "KINDS", "SEXES", "Column", "ColumnType", "InputKind", "Reference",
           "age_range_columns", "estimate_columns", "source_column"]
