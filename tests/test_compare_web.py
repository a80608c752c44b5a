"""The comparison page and /api/compare on a workspace of several areas (tests/several_areas.py) with each area's
referral counts, numbers worked here from the input files; and the area kept in every link of every page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from fastapi.testclient import TestClient

from cyplan.commands import evidence
from cyplan.model.comparison import Z95, Z998
from cyplan.store.workspace import Workspace
from cyplan.transfer import Source, import_inputs
from cyplan.web.app import NAV, create_app
from several_areas import AREAS, DEMO, REGION, several_areas

AREA = "E10999998"  # Sampleton: in the region, not the first area
COUNTS = {DEMO: 2100, "E10999998": 900, "E10999997": 600, "E06999999": 400}  # accepted referrals in 2025


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = several_areas(tmp_path_factory.mktemp("compare-web") / "workspace")
    counts = path.parent / "referral_counts.csv"
    pl.DataFrame({"area": list(COUNTS), "year": [2025] * len(COUNTS), "referrals": list(COUNTS.values()),
                  "source": ["made up for a test"] * len(COUNTS)}).write_csv(counts)
    ws = Workspace.open(path)
    try:
        # the evidence library too, as the demo has it: its pages' links are walked
        import_inputs(ws, [Source("referral_counts", counts), *evidence.demo_sources("test")])
    finally:
        ws.close()
    return path


@pytest.fixture(scope="module")
def client(workspace: Path) -> Iterator[TestClient]:
    app = create_app(workspace)
    with TestClient(app, base_url="http://localhost") as c:
        yield c
    app.state.workspace.close()


def _population(workspace: Path, year: int) -> dict[str, float]:
    """Each area's people aged 0 to 25 in the year, summed here from the population file imported."""
    frame = pl.read_csv(workspace.parent / f"{workspace.name}-inputs" / "population.csv")
    sums = frame.filter(pl.col("year") == year).group_by("area").agg(pl.col("count").sum())
    return dict(sums.iter_rows())


def test_region_funnel_worked_from_the_files(client: TestClient, workspace: Path) -> None:
    """The region's pooled rate is its three areas' referrals over their people (Islandshire, of no region, left
    out), and each area's limits θ ± z√(θ/n): catches a pooled rate over the wrong areas or a limit at the wrong
    exposure."""
    d = client.get("/api/compare", params={"area": AREA}).json()
    region = next(g for g in d["groups"] if g["against"] == "region")
    pop = _population(workspace, 2025)
    members = [AREA, "E10999997", DEMO]
    theta = sum(COUNTS[a] for a in members) / sum(pop[a] for a in members)
    assert [r["area"] for r in region["rows"]] == [AREA, "E10999997", DEMO]
    for row in region["rows"]:
        half95, half998 = Z95 * (theta / pop[row["area"]]) ** 0.5, Z998 * (theta / pop[row["area"]]) ** 0.5
        assert row["pooled_rate_per_1000"] == pytest.approx(theta * 1000)
        assert row["referral_rate_per_1000"] == pytest.approx(COUNTS[row["area"]] / pop[row["area"]] * 1000)
        assert (row["low_95"], row["high_95"]) == (pytest.approx((theta - half95) * 1000),
                                                   pytest.approx((theta + half95) * 1000))
        assert row["high_998"] == pytest.approx((theta + half998) * 1000)
    # Testbury: 600 in about 50,000 (12 per 1,000) against the region's 3,600 in about 465,000 (7.7): above
    assert next(r for r in region["rows"] if r["area"] == "E10999997")["funnel"] == "above 99.8%"
    every = next(g for g in d["groups"] if g["against"] == "all")
    assert sorted(r["area"] for r in every["rows"]) == sorted(AREAS)
    neighbours = next(g for g in d["groups"] if g["against"] == "neighbours")
    assert neighbours["note"] and "no indicators and no published list" in neighbours["note"]


def test_page_marks_the_area_in_words_in_accessible_tables(client: TestClient) -> None:
    """Catches the chosen area marked by colour alone, a table without a caption or row headers, or a group
    missing from the page."""
    page = client.get("/compare", params={"area": AREA})
    assert page.status_code == 200
    text = page.text
    for title in ("Against its statistical neighbours", "Against the other areas of Made-up Region",
                  "Against all areas held of kind council"):
        assert title in text
    tables = re.findall(r'<table class="govuk-table" id="compare-(region|all)">(.*?)</table>', text, re.S)
    assert [t[0] for t in tables] == ["region", "all"]
    for _, body in tables:
        assert "<caption" in body and 'scope="col"' in body
        first = re.search(r'<tr class="govuk-table__row">\s*<th scope="row"[^>]*>\s*(.*?)\s*</th>',
                          body.split("<tbody")[1], re.S)
        assert first is not None and html.unescape(first.group(1)) == "Sampleton (▶ this area)"
    for chart in ("chart-dots-region", "chart-funnel-region", "chart-dots-all", "chart-funnel-all"):
        assert f'id="{chart}"' in text
    assert "Nothing to compare with: E10999998 has no indicators" in text


def test_unknown_year_or_area_is_not_found(client: TestClient) -> None:
    """Catches another year's or the first area's figures shown under the one asked for."""
    r = client.get("/compare", params={"area": AREA, "year": 1999})
    assert r.status_code == 404 and "There is no year 1999: the years are 2025 to" in r.text
    assert client.get("/api/compare", params={"area": "E10000001"}).status_code == 404


def test_a_year_without_counts_says_so(client: TestClient) -> None:
    """Catches 2025's referral counts used against 2030's population."""
    d = client.get("/api/compare", params={"area": AREA, "year": 2030}).json()
    assert all(r["referral_rate_per_1000"] is None for g in d["groups"] for r in g["rows"])
    assert "no counts for 2030 (its years: 2025)" in d["referrals_missing"]


def _links(page: str) -> list[str]:
    """The page's links to cyplan's own pages (not files, the API or static assets)."""
    hrefs = [html.unescape(h) for h in re.findall(r'href="(/[^"]*)"', page)]
    return [h for h in hrefs if not h.startswith(("/static", "/api/", "/data/results", "/data/inputs",
                                                  "/data/template", "/data/problems"))]


def test_every_link_of_every_page_keeps_the_area(client: TestClient) -> None:
    """Walks the menu from each page with ?area= a second area, and every link on each page to another of
    cyplan's pages: each keeps the area. Catches a link that falls back to the first area, as the evidence
    library's and the Data page's did."""
    seen: set[str] = set()
    todo = [f"{href}?area={AREA}" for _, _, href in NAV]
    while todo and len(seen) < 60:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        assert r.status_code == 200, url
        menu = re.search(r'<ul class="govuk-service-navigation__list" id="navigation">(.*?)</ul>', r.text, re.S)
        assert menu is not None and len(re.findall(r"href=", menu.group(1))) == len(NAV) + 1  # + Admin
        assert f'<option value="{AREA}" selected>' in r.text, url  # the chooser shows the area
        for link in _links(r.text):
            assert parse_qs(urlsplit(link).query).get("area") == [AREA], (url, link)
            if urlsplit(link).path.startswith(("/evidence/", "/data/history/")) and len(seen) < 40:
                todo.append(link)
    assert any(u.startswith("/evidence/") for u in seen) and any(u.startswith("/data/history/") for u in seen)


def test_region_is_no_council_of_its_own(client: TestClient) -> None:
    """The region itself is an area of another kind: never among the councils compared."""
    d = client.get("/api/compare", params={"area": DEMO}).json()
    assert REGION not in {r["area"] for g in d["groups"] for r in g["rows"]}


def test_an_empty_workspace_says_what_to_load(tmp_path: Path) -> None:
    """No areas, then areas without a population: the page and the API say what to load, never a traceback."""
    path = tmp_path / "empty"
    Workspace.create(path).close()
    app = create_app(path)
    with TestClient(app, base_url="http://localhost") as c:
        r = c.get("/compare")
        assert r.status_code == 200 and "The workspace has no areas yet" in r.text and "Traceback" not in r.text
        assert c.get("/api/compare").json()["not_ready"].startswith("The workspace has no areas yet")
        areas = tmp_path / "areas.csv"
        areas.write_text("code,name,kind,parent,source\nE10999999,Exampleshire,council,,test\n", encoding="utf-8")
        ws = Workspace.open(path)
        try:
            import_inputs(ws, [Source("areas", areas)])
        finally:
            ws.close()
        r = c.get("/compare")
        assert r.status_code == 200 and "No comparison can be made: the workspace has no population" in r.text
    app.state.workspace.close()


def test_the_comparison_page_and_the_workforce_page_keep_their_results_apart(workspace: Path) -> None:
    """Catches the two pages keeping their views under one cache key: after the comparison page for an area and
    year, the workforce page for the same took the comparison's view as its own scenarios side by side (a 500)."""
    app = create_app(workspace)
    with TestClient(app, base_url="http://localhost") as fresh:
        area, year = "E10999998", 2025  # Sampleton, not the first area: the one a page shows unasked
        assert fresh.get("/compare", params={"area": area, "year": year}).status_code == 200
        for _ in range(2):  # the first page loads the scenarios after it; the second has them in the page
            page = fresh.get("/workforce", params={"area": area, "year": year})
            assert page.status_code == 200
            fresh.get("/workforce/scenarios", params={"area": area, "year": year})
        assert "The baseline and each scenario in" in page.text
    app.state.workspace.close()
