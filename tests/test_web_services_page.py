"""The Services page as a committee member reads it: the specification's cells and groups in words, never
their codes, and each reason that holds the rating back said once, with what it covers."""

from __future__ import annotations

import html as html_text
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from cyplan.web.app import create_app
from cyplan.web.routes.services import item_label, reason_groups


@pytest.fixture(scope="module")
def page(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's Services page."""
    path = Path(shutil.copytree(_demo_template, tmp_path_factory.mktemp("services") / "workspace"))
    app = create_app(path)
    with TestClient(app, base_url="http://localhost") as client:
        r = client.get("/services")
        assert r.status_code == 200
        yield r.text
    app.state.workspace.close()


def _words(html: str) -> str:
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_the_reasons_show_labels_not_codes(page: str) -> None:
    """Catches 'pre_post_birth / universal / information_advice' on the page."""
    html = page
    reasons = html.split('id="reasons"')[1].split('<h2')[0]
    words = _words(reasons)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", words), re.findall(r"\b[a-z]+_[a-z_]+\b", words)
    assert " / " not in words
    # the demo's first reason's first cell and a group, in the specification's and the register's words
    assert "Pre- and post-birth (under 1), targeted: Action to identify vulnerable parents" in words
    assert "0 to 5 (ages 1 to 4): Children in need" in words


def test_each_reason_is_said_once_with_what_it_covers(page: str) -> None:
    """Catches one reason repeated on every row (15 rows of 'rating 4 needs 12 more of these …' in the demo)."""
    html = page
    words = _words(html.split('id="reasons"')[1].split('<h2')[0])
    assert words.count("Rating 4 needs 12 more of these in place across the whole area") == 1
    assert words.count("Rating 4 needs targeted provision in place for this group across the whole area") == 1
    assert "across the whole area (a full range" in words and "(15)" in words and "(6)" in words


def test_reason_groups_keep_order_and_count_by_hand() -> None:
    """Two reasons over three rows: each once, in the order first seen, with its own items and states."""
    reasons = pl.DataFrame({"kind": ["cell", "group", "cell"],
                            "item": ["b1 / targeted / p1", "b1 / g1", "b2 / universal / p2"],
                            "state": ["planned", "nothing", "in place, part of area"],
                            "why": ["needs more cells", "needs the group", "needs more cells"]})
    labels = {"band": {"b1": "Band one", "b2": "Band two"}, "group": {"g1": "Group one"}}
    groups = reason_groups(reasons, labels, {"p1": "Provision one"})
    assert [g["why"] for g in groups] == ["Needs more cells", "Needs the group"]
    assert groups[0]["items"] == [{"label": "Band one, targeted: Provision one", "state": "planned"},
                                  {"label": "Band two, universal: p2", "state": "in place, part of area"}]
    assert groups[1]["items"] == [{"label": "Band one: Group one", "state": "nothing"}]
    assert item_label("other", "x / y", labels, {}) == "x / y"
