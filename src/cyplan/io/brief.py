"""Reading an evidence brief (issue 15 part 5): a Markdown file in the shape of seed 000 — key messages with
numbered references — for a practice guide topic; its title is its first heading."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cyplan.io.problems import InputError, Problem
from cyplan.io.validate import CONTROL

MAX_BRIEF_BYTES = 1_000_000  # a brief is pages of text, not a book: far more than any brief takes


@dataclass(frozen=True)
class Brief:
    topic: str
    title: str
    markdown: str
    sha256: str


def read_brief(path: Path, topic: str, topics: list[str], shown: str | None = None) -> Brief:
    """The brief in `path` for `topic`, or InputError naming the file (and the line, where there is one) and what
    is wrong: a topic that is not a practice guide's, a file that is not UTF-8 text or holds a control character, no
    heading for its title."""
    name = shown or str(path)
    if topic not in topics:
        listed = ", ".join(topics) if topics else "none yet: import practice guides first"
        raise InputError([Problem(name, None, None, f"topic '{topic}' is not in the practice guides; their topics "
                                  f"are: {listed}")])
    data = path.read_bytes()
    if len(data) > MAX_BRIEF_BYTES:
        raise InputError([Problem(name, None, None, f"the brief is {len(data):,} bytes, more than "
                                  f"{MAX_BRIEF_BYTES:,}: a brief is a short summary with references")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise InputError([Problem(name, line, None, "is not UTF-8 text: save the brief as UTF-8 Markdown")]) from None
    control = re.search(CONTROL, text)  # as in every input's cells: a right-to-left override can disguise a title
    if control:
        raise InputError([Problem(name, text[:control.start()].count("\n") + 1, None, "contains a control "
                                  "character (an invisible character such as an escape or a right-to-left "
                                  "override): retype that line")])
    title = next((ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#") and ln.lstrip("#").strip()),
                 None)
    if title is None:
        raise InputError([Problem(name, None, None, "has no heading: the brief's title is its first heading, a line "
                                  "starting with '#', e.g. '# Evidence brief: parenting programmes'")])
    return Brief(topic, title, text, hashlib.sha256(data).hexdigest())
