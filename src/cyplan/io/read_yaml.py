"""Read a YAML file into rows, numbered by the line each row starts on, for `read.read_table`.

Two shapes are read. A list of mappings is a table: one row per mapping, the keys are the columns. A
mapping of names to groups of rows, each group a mapping with a `changes` list, is the scenario shape:

    retention:
      description: Leaver rates 3 points lower
      changes:
        - {input: workforce, column: leaver_rate, operation: add, value: -0.03}

Each change becomes a row with `scenario` set to the group's name and the group's other fields (such as
description and source) filled in where the change does not give its own.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cyplan.io.problems import InputError, Problem

GROUP_ROWS = "changes"
GROUP_NAME = "scenario"


def yaml_rows(path: Path, label: str) -> list[tuple[int, list[str]]]:
    """[(line, cells)], the first being the header (line 1 before the first row)."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError([Problem(label, None, None, "not UTF-8 text: save the file as UTF-8")]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError([Problem(label, mark.line + 1 if mark else None, None,
                                  f"not valid YAML: {getattr(e, 'problem', e)}")]) from None
    if root is None:
        raise InputError([Problem(label, None, None, "the file is empty")])
    records = _records(root, label)
    columns = list(dict.fromkeys(k for _, rec in records for k in rec))
    return [(1, columns)] + [(line, [rec.get(c, "") for c in columns]) for line, rec in records]


def _records(root: yaml.Node, label: str) -> list[tuple[int, dict[str, str]]]:
    if isinstance(root, yaml.SequenceNode):
        return [_record(item, label) for item in root.value]
    if isinstance(root, yaml.MappingNode):
        out = []
        for key, group in root.value:
            if not isinstance(group, yaml.MappingNode):
                raise InputError([Problem(label, group.start_mark.line + 1, None,
                                          f"'{key.value}' should hold fields and a list of {GROUP_ROWS}")])
            fields = {k.value: v for k, v in group.value}
            changes = fields.pop(GROUP_ROWS, None)
            if not isinstance(changes, yaml.SequenceNode):
                raise InputError([Problem(label, group.start_mark.line + 1, None,
                                          f"'{key.value}' has no list of {GROUP_ROWS}")])
            shared = {k: _scalar(v, k, label) for k, v in fields.items()}
            for item in changes.value:
                line, record = _record(item, label)
                out.append((line, {GROUP_NAME: str(key.value), **shared, **record}))
        return out
    raise InputError([Problem(label, root.start_mark.line + 1, None, "expected a list of rows or a mapping of "
                              f"named groups of {GROUP_ROWS}")])


def _record(node: yaml.Node, label: str) -> tuple[int, dict[str, str]]:
    if not isinstance(node, yaml.MappingNode):
        raise InputError([Problem(label, node.start_mark.line + 1, None, "each row should be a mapping of "
                                  "column: value")])
    return node.start_mark.line + 1, {k.value: _scalar(v, k.value, label) for k, v in node.value}


def _scalar(node: yaml.Node, key: str, label: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise InputError([Problem(label, node.start_mark.line + 1, key, "should be a single value")])
    return "" if node.tag.endswith(":null") else str(node.value)
