"""The evidence pages and the action list with evidence (issue 15 part 7), read as a commissioner reads them.

One workspace for the module: the demo, a role of fixed working time merged into its roles, and a small evidence
library imported from an Excel workbook through the CLI (the issue's done-when: an intervention imported from
Excel appears in the action list for a gap it fits, with the FTE and cost it takes). Figures are worked by hand
from the inputs (population.csv, the roles' hours and pay), never from the functions the pages call.
"""

from __future__ import annotations

import csv
import html as html_text
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import WIDE, write_workbook
from cyplan import reference
from cyplan.cli import app as cli
from cyplan.web.app import create_app
from cyplan.web.routes.evidence import brief_html, filters, safe_url, snippet_html

FIRST_YEAR = 2025  # the demo's population starts here (population.csv)
SCHOOL_AGE = range(5, 16)  # the default age band school_age, 5 to 15 (defaults/age_bands.csv)
SEAL_COVERAGE = 0.7  # the demo register's SEAL service, the one behind school_age / universal / social_emotional_skills
HOURS_PER_CASE = 1.554  # chosen so that one case takes 1.554 / 777 = 0.002 FTE of a family worker (below)
COST_PER_CASE = 5.0
# a family worker: 37 hours over 5 days; 27 days' leave, 8 holidays, 10 sick, 5 training: 52 × 5 − 50 = 210 days,
# 210 × 37 / 5 = 1,554 hours available, half of them direct work: 777 productive hours; £30,000 + 30% on-costs
PRODUCTIVE, FAMILY_WORKER_COST = 777.0, 30_000 * 1.3
# the demo's ratio roles (roles.csv: salary, 35% on-costs, 12% non-pay, 20% overheads; role_ratios.csv: 1 per 8,
# 1 per 5)
TEAM_LEADER_COST, ADMIN_COST = 58_000 * 1.35 * 1.12 * 1.2, 25_500 * 1.35 * 1.12 * 1.2

ROLE_HEADER = ["role", "label", "staff_group", "contracted_hours_per_week", "working_days_per_week",
               "annual_leave_days", "public_holiday_days", "sickness_days", "sickness_days_low", "sickness_days_high",
               "training_days", "direct_work_share", "direct_work_share_low", "direct_work_share_high", "salary",
               "on_cost_rate", "non_pay_rate", "non_pay_per_fte", "overhead_rate", "source"]
FAMILY_WORKER = ["family_worker", "Family worker", "Early help", 37, 5, 27, 8, 10, None, None, 5, 0.5, None, None,
                 30000, 0.3, 0, 0, 0, "test: fixed working time, no ranges"]

SHEETS: dict[str, list[list[Any]]] = {
    "interventions": [
        ["intervention", "name", "description", "owner", "age_from", "age_to", "setting", "delivery_model", "level",
         "outcomes", "topic", "cost_per_case", "source"],
        ["kind_schools", "Kind Schools", "A whole-school programme <script>alert('x')</script>", "Kind Ltd", 5, 11,
         "school", "whole setting", "universal", "social skills; Behaviour", "sel", COST_PER_CASE, "test"],
        ["talk_time", "Talk Time", "Small groups in secondary schools", "", 11, 15, "school", "group", "targeted",
         "wellbeing", "sel", None, "test"],
        ["no_help", "No Help", "A programme a trial found no benefit from", "", 5, 15, "school", "", "universal",
         "behaviour", "", None, "test"],
        ["parents_course", "Parents' Course", "A course for parents of young children", "", 0, 4, "community",
         "group", "targeted", "parenting", "", 100, "test"],
        ["untested", "Untested", "A new service nobody has evaluated", "", 16, 18, "", "", "targeted", "wellbeing",
         "", None, "test"],
    ],
    "intervention_cells": [
        ["intervention", "band", "level", "provision", "source"],
        ["kind_schools", "school_age", "universal", "social_emotional_skills", "test"],
        ["talk_time", "school_age", "targeted", "small_group_support", "test"],
        ["no_help", "school_age", "universal", "social_emotional_skills", "test"],
        ["parents_course", "early_years", "targeted", "parenting_support", "test"],
    ],
    "intervention_groups": [["intervention", "group", "source"], ["parents_course", "bme", "test"]],
    "intervention_delivery": [
        ["intervention", "role", "hours_per_case", "hours_per_session", "sessions", "group_size", "source"],
        ["kind_schools", "family_worker", HOURS_PER_CASE, None, None, None, "test"],
        ["talk_time", "family_worker", None, 2, 8, 6, "test"],
        ["no_help", "family_worker", 1, None, None, None, "test"],
        ["parents_course", "family_worker", None, 3, 10, 8, "test"],
    ],
    "evidence_ratings": [
        ["intervention", "scheme", "measure", "rating", "citation", "url", "retrieved", "licence", "source"],
        ["kind_schools", "foundations", "evidence", "3+", "Foundations Guidebook, Kind Schools",
         "https://guidebook.example.org/kind", "2026-11-30", "Rating quoted as a fact", "test"],
        ["kind_schools", "foundations", "cost", "2", "Foundations Guidebook, Kind Schools", "javascript:alert(1)",
         "", "", "test"],
        ["talk_time", "local", "evidence", "promising", "Our own evaluation, 2025", "", "", "", "test"],
        ["no_help", "foundations", "evidence", "NE", "Foundations Guidebook, No Help", "", "", "", "test"],
        ["no_help", "foundations", "cost", "1", "Foundations Guidebook, No Help", "", "", "", "test"],
        ["parents_course", "foundations", "evidence", "4", "Foundations Guidebook", "", "", "", "test"],
        ["parents_course", "foundations", "cost", "4", "Foundations Guidebook", "", "", "", "test"],
    ],
    "practice_guides": [
        ["topic", "title", "what_works", "why_how", "who_for", "barriers_enablers", "perspectives", "cost_benefit",
         "citation", "url", "retrieved", "source"],
        ["sel", "Social and emotional learning", "Whole-school programmes taught every week",
         "Skills practised across the day", "Girls and boys benefit alike; less is known for disabled children",
         "Teachers' time", "Children say it helps them calm down", "Not well evidenced",
         "Seed 004, para 5", "https://example.org/guide", "2026-11-30", "test"],
    ],
}


# a brief as someone might write it, or paste it: raw HTML, script, a javascript: link, an image from elsewhere
HOSTILE_BRIEF = """# Evidence brief: social and emotional learning

## Key messages

1. Whole-school programmes help most children [1](https://example.org/ref1).

<script>alert(1)</script>

<img src=x onerror=alert(2)>

[click me](javascript:alert(3)) and [data](data:text/html,<b>x</b>) ![pic](https://example.org/p.png)

<a href="javascript:alert(4)">raw link</a>
"""


def _cli(args: list[Any]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args], env=WIDE)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def workspace(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with a family worker of fixed working time and the library above, imported through the CLI."""
    folder = tmp_path_factory.mktemp("evidence")
    ws = Path(shutil.copytree(_demo_template, folder / "workspace"))
    roles = folder / "roles.csv"
    with roles.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([ROLE_HEADER, ["" if v is None else v for v in FAMILY_WORKER]])
    code, out = _cli(["import", "roles", roles, "-w", ws, "--mode", "merge"])
    assert code == 0, out
    book = write_workbook(folder / "library.xlsx", SHEETS)
    code, out = _cli(["import", "all", book, "-w", ws])
    assert code == 0, out
    brief = folder / "sel.md"
    brief.write_text(HOSTILE_BRIEF, encoding="utf-8")
    code, out = _cli(["evidence", "brief", "sel", brief, "-w", ws])
    assert code == 0, out
    return ws


@pytest.fixture(scope="module")
def client(workspace: Path) -> Iterator[TestClient]:
    app = create_app(workspace)
    with TestClient(app, base_url="http://localhost") as c:
        yield c
    app.state.workspace.close()


def words(html: str) -> str:
    return html_text.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def listed(client: TestClient, query: str = "") -> list[str]:
    """The interventions the library page lists for the query, in its order."""
    r = client.get(f"/evidence{query}")
    assert r.status_code == 200, r.text[-500:]
    return re.findall(r'<tr class="govuk-table__row" data-intervention="([^"]+)"', r.text)


def school_age_children(year: int = FIRST_YEAR) -> float:
    """The demo's children aged 5 to 15 in the year, from population.csv by hand."""
    with (reference.DEMO / "population.csv").open(newline="", encoding="utf-8") as f:
        return sum(float(r["count"]) for r in csv.DictReader(f)
                   if int(r["year"]) == year and int(r["age"]) in SCHOOL_AGE)


# -- the library and its filters -------------------------------------------------------------------------------


def test_the_library_lists_strongest_first_and_no_benefit_last(client: TestClient) -> None:
    """Catches an order by name or by the rating's text: 4 before 3+ before a local 'promising' (2), then one with
    no rating, and a Foundations NE (a rigorous evaluation found no benefit) last though its cost is the
    cheapest."""
    assert listed(client) == ["parents_course", "kind_schools", "talk_time", "untested", "no_help"]


@pytest.mark.parametrize(("query", "expected"), [
    ("?age=12", {"talk_time", "no_help"}),  # 5–11 and 0–4 do not reach 12; 11–15 and 5–15 do
    ("?age=11", {"kind_schools", "talk_time", "no_help"}),  # both ends of a range are in it
    ("?age=17", {"untested"}),
    ("?level=targeted", {"talk_time", "parents_course", "untested"}),
    ("?outcome=wellbeing", {"talk_time", "untested"}),
    ("?outcome=behaviour", {"kind_schools", "no_help"}),  # 'Behaviour' as imported is the same outcome
    ("?strength=3", {"parents_course", "kind_schools"}),  # 4 and 3+; promising (2), NE (0) and unrated left
    ("?strength=0", {"parents_course", "kind_schools", "talk_time", "no_help"}),  # every rated one: not unrated
    ("?cost=2", {"no_help", "kind_schools"}),  # 1 and 2; 4 left, and talk_time and untested have no cost rating
    ("?age=8&strength=1", {"kind_schools"}),
    ("?level=&age=&outcome=&strength=&cost=", {"parents_course", "kind_schools", "talk_time", "untested",
                                               "no_help"}),
])
def test_each_filter_leaves_the_rows_worked_by_hand(client: TestClient, query: str, expected: set[str]) -> None:
    """Catches a filter that leaves the wrong rows: an age range read as open at its ends, an outcome matched by
    case, an unrated intervention let through a minimum strength or a maximum cost, blank choices taken as a
    filter; and the JSON twin disagreeing with the page (asked without the blanks, which its types refuse)."""
    assert set(listed(client, query)) == expected
    typed = re.sub(r"[?&]\w+=(?=&|$)", "", query)  # the form's blanks are the page's; the API takes no blank
    api = client.get(f"/api/evidence{typed}").json()["interventions"]
    assert {r["intervention"] for r in api} == expected


@pytest.mark.parametrize("query", ["?age=26", "?age=-1", "?age=x", "?strength=5", "?cost=0", "?level=everyone"])
def test_a_filter_out_of_range_is_a_plain_400(client: TestClient, query: str) -> None:
    """Catches a traceback or a silent empty list for a value the form never offers; the API refuses it as its
    spec says (422, FastAPI's check of the typed parameters)."""
    r = client.get(f"/evidence{query}")
    assert r.status_code == 400 and "Traceback" not in r.text
    assert "Go back and choose again" in words(r.text)
    assert client.get(f"/api/evidence{query}").status_code == 422


def test_the_library_page_shows_ratings_as_given_and_the_statement(client: TestClient) -> None:
    """Catches a rating shown only on the common scale (the scheme's own words lost), the common strength or cost
    missing, and a page of ratings without the statement that a rating is not a recommendation."""
    r = client.get("/evidence")
    text = words(r.text)
    row = words(r.text.split('data-intervention="kind_schools"')[1].split("</tr>")[0])
    assert "Foundations 3+" in row and "3: moderate" in row and row.strip().endswith("2")
    assert "5 to 11" in row and "Universal" in row
    assert "not rated" in words(r.text.split('data-intervention="talk_time"')[1].split("</tr>")[0])
    assert "A rating is an opinion about the strength of evidence, not a recommendation" in text
    # the link keeps the area being looked at (the workspace's one area here)
    assert re.search(r'<a class="govuk-link" href="/evidence/kind_schools\?area=[A-Z0-9]+">Kind Schools</a>', r.text)


def test_the_filters_answer_htmx_with_only_the_results(client: TestClient) -> None:
    """Catches the whole page swapped into itself (two h1s) when the form asks through htmx."""
    r = client.get("/evidence?level=targeted", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<h1" not in r.text and 'data-intervention="talk_time"' in r.text
    assert r.headers["vary"] == "HX-Request"


# -- one intervention ------------------------------------------------------------------------------------------


def test_the_intervention_page_shows_what_it_is_serves_takes_and_its_evidence(client: TestClient) -> None:
    """Catches a field of the library missing from the page: owner, ages, setting, delivery model, its cell in
    words, staff time per case, cost per case, each rating with its citation and date, the statement."""
    r = client.get("/evidence/kind_schools")
    assert r.status_code == 200
    text = words(r.text)
    for said in ("Kind Ltd", "5 to 11", "school", "whole setting", "Universal",
                 "School age (5 to 15), universal: Schools provide a comprehensive social and emotional skills "
                 "programme", "Family worker 1.55", "£5 per case a year", "Foundations Guidebook, Kind Schools",
                 "2026-11-30", "Rating quoted as a fact", "3: moderate",
                 "A rating is an opinion about the strength of evidence, not a recommendation"):
        assert said in text, said


def test_a_group_programmes_hours_per_case_are_its_sessions_shared_by_the_group(client: TestClient) -> None:
    """Catches a group programme shown as hours per session, or as the course's hours for each member: Talk Time
    takes 2 hours a session × 8 sessions ÷ 6 in a group = 2.67 hours of a family worker per case."""
    text = words(client.get("/evidence/talk_time").text)
    assert "Family worker 2.67 2 hours a session × 8 sessions ÷ 6 in a group" in text
    assert client.get("/api/evidence/talk_time").json()["delivery"] == [
        {"role": "Family worker", "hours_per_case": pytest.approx(2 * 8 / 6)}]


def test_links_are_http_or_https_only_and_opened_without_the_referrer(client: TestClient) -> None:
    """Catches a javascript: address made a link (a click would run it) and a link that hands the page's address
    or a window handle to the site it opens; and the description's <script> shown as markup, not run."""
    page = client.get("/evidence/kind_schools").text
    assert ('<a class="govuk-link" href="https://guidebook.example.org/kind" rel="noopener noreferrer">' in page)
    assert 'href="javascript:' not in page and "(javascript:alert(1))" in page  # the address shown as text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert [safe_url(u) for u in ("https://a.org/x", "http://a.org", "javascript:alert(1)", "JAVASCRIPT:x",
                                  " data:text/html,x", "//a.org/x", "ftp://a.org", "https:///x", "")] == [
        "https://a.org/x", "http://a.org", None, None, None, None, None, None, None]


def test_an_unknown_intervention_or_topic_is_the_sites_404_page(client: TestClient) -> None:
    """Catches a 500 or a bare message for an address the library has not: the layout, a plain message naming
    what the library has, and the JSON twins 404 too."""
    for path, named in (("/evidence/no_such_thing", "kind_schools"), ("/evidence/topics/no_such_topic", "sel")):
        r = client.get(path)
        assert r.status_code == 404 and "Page not found" in r.text and named in words(r.text)
        assert 'id="navigation"' in r.text
        assert client.get(f"/api{path}").status_code == 404


# -- a practice guide topic ------------------------------------------------------------------------------------


def test_the_topic_page_shows_every_field_and_its_interventions(client: TestClient) -> None:
    """Catches a practice guide field left off (the equalities point above all: who it works for) and the
    topic's interventions missing or out of order (strongest first: Kind Schools 3+ before Talk Time's local
    'promising'); an intervention of another topic listed."""
    r = client.get("/evidence/topics/sel")
    assert r.status_code == 200
    text = words(r.text)
    for said in ("Social and emotional learning", "What works Whole-school programmes taught every week",
                 "Why and how it works Skills practised across the day",
                 "Who it works for: differences between groups Girls and boys benefit alike; less is known for "
                 "disabled children", "Barriers and enablers of putting it in place Teachers' time",
                 "What children, young people and families say Children say it helps them calm down",
                 "Cost-benefit Not well evidenced", "Seed 004, para 5",
                 "A rating is an opinion about the strength of evidence, not a recommendation"):
        assert said in text, said
    listed = r.text.split('id="topic-interventions"')[1]
    listed_here = re.findall(r'href="/evidence/([a-z_]+)(?:\?area=[^"]*)?"', listed)
    assert listed_here == ["kind_schools", "talk_time"]


def test_a_brief_is_rendered_without_script_raw_html_or_unsafe_links(client: TestClient) -> None:
    """Catches a brief (imported with `cyplan evidence brief`) rendered with raw HTML on (a <script> or an onerror
    handler run in the page), a javascript: or data: link made a link, an image fetched from elsewhere, links
    opened with the referrer, and the brief's headings above the page's own."""
    page = client.get("/evidence/topics/sel").text
    out = page.split('id="brief"')[1].split("</main>")[0]
    assert "<h3>Evidence brief: social and emotional learning</h3>" in out and "<h4>Key messages</h4>" in out
    assert '<a href="https://example.org/ref1" class="govuk-link" rel="noopener noreferrer">1</a>' in out
    assert "<script" not in out and "<img" not in out and "<a href=\"javascript" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "&lt;img src=x onerror=alert(2)&gt;" in out
    assert "javascript:alert(3)" in out and 'href="javascript' not in out and 'href="data' not in out
    assert "src=" not in out.replace("&lt;img src=x", "")  # no image fetched: its Markdown stays text
    assert page.count("<h1") == 1
    assert client.get("/api/evidence/topics/sel").json()["brief"]["markdown"] == HOSTILE_BRIEF
    assert str(brief_html("[a](javascript:alert(1)) <b>x</b>")) == ("<p>[a](javascript:alert(1)) "
                                                                    "&lt;b&gt;x&lt;/b&gt;</p>\n")


# -- search ----------------------------------------------------------------------------------------------------


def test_the_search_finds_words_across_the_library_and_narrows_the_list(client: TestClient) -> None:
    """Catches a search over the interventions alone (the practice guide and the brief hold 'calm' and 'whole-school'
    too), the table not narrowed to the interventions found, and a snippet's text let through as HTML."""
    r = client.get("/evidence", params={"q": "whole-school"})
    found = re.findall(r'<li><a class="govuk-link" href="([^"]+)"', r.text.split('id="found"')[1].split("</ul>")[0])
    assert set(found) == {"/evidence/kind_schools", "/evidence/topics/sel"}  # the intervention, guide and brief
    assert listed(client, "?q=whole-school") == ["kind_schools"]
    assert "<mark>" in r.text.split('id="found"')[1]
    api = client.get("/api/evidence", params={"q": "calm"}).json()
    assert [(h["kind"], h["key"]) for h in api["found"]] == [("practice guide", "sel")] and api["interventions"] == []
    nothing = client.get("/evidence", params={"q": "zebra"})
    assert "Nothing in the library holds every word of ‘zebra’" in words(nothing.text)
    hostile = client.get("/evidence", params={"q": "<script>alert(1)</script>"})
    assert hostile.status_code == 200 and "<script>alert(1)" not in hostile.text
    assert client.get("/evidence", params={"q": "x" * 201}).status_code == 400


# -- the action list with evidence -----------------------------------------------------------------------------


def kind_schools_by_hand() -> dict[str, float]:
    """What closing the school-age social and emotional skills gap with Kind Schools takes in the first year: the
    band's whole population (a universal cell) for the 30% of the area SEAL does not cover, 0.002 FTE of a family
    worker each, a team leader per 8 and an administrator per 5 of them, and £5 a child besides staff."""
    people = school_age_children() * (1 - SEAL_COVERAGE)
    worker = people * HOURS_PER_CASE / PRODUCTIVE
    leader, admin = worker / 8, worker / 5
    cost = worker * FAMILY_WORKER_COST + leader * TEAM_LEADER_COST + admin * ADMIN_COST + people * COST_PER_CASE
    return {"people": people, "worker": worker, "leader": leader, "admin": admin, "fte": worker + leader + admin,
            "cost": cost}


def test_the_services_action_list_shows_the_interventions_that_fit_strongest_first(client: TestClient) -> None:
    """Catches a gap shown with an intervention that does not fit it, its fits in the wrong order (Kind Schools,
    Foundations 3+, before No Help, NE, for the school-age social and emotional skills gap), a gap it fits left
    without it, and the section without the statement."""
    page = client.get("/services").text
    section = page.split('id="action-evidence"')[1].split('id="coverage-section"')[0]
    tables = re.findall(r'data-rank="(\d+)">\s*<caption[^>]*>(.*?)</caption>(.*?)</table>', section, re.S)
    fits = {words(caption).strip(): re.findall(r'data-intervention="([^"]+)"', body) for _, caption, body in tables}
    seal = next(k for k in fits if "Schools provide a comprehensive social and emotional skills programme" in k)
    assert fits[seal] == ["kind_schools", "no_help"]
    small = next(k for k in fits if "Problem-focused small group support" in k)
    assert fits[small] == ["talk_time"]
    parenting = next(k for k in fits if k.startswith("Gap") and "0 to 5" in k and "Parenting support" in k)
    assert fits[parenting] == ["parents_course"]
    bme = next(k for k in fits if "black and minority ethnic" in k and "0 to 5" in k)
    assert fits[bme] == ["parents_course"]  # a band × group gap: targeted, serves the group, ages overlap
    assert sum(len(v) for v in fits.values()) == 5
    assert "A rating is an opinion about the strength of evidence" in words(page.split('id="evidence"')[1])


def test_the_fte_and_cost_it_would_take_are_the_ones_worked_by_hand(client: TestClient) -> None:
    """Catches the wrong people counted (cases of need instead of a universal cell's whole population, coverage
    ignored), hours per case not divided by the role's productive hours, the ratio staff left out, the cost per
    case left out, and an interval invented where nothing is drawn (population and this role's time are fixed)."""
    want = kind_schools_by_hand()
    pair = next(e for e in client.get("/api/services").json()["evidence"]
                if e["intervention"] == "kind_schools")
    assert pair["item"] == "school_age / universal / social_emotional_skills"
    assert pair["people"] == pytest.approx(want["people"], rel=1e-9)
    assert pair["fte_by_role"]["family_worker"] == pytest.approx([want["worker"]] * 3, rel=1e-9)
    assert pair["fte_by_role"]["team_leader"][0] == pytest.approx(want["leader"], rel=1e-9)
    assert pair["fte_by_role"]["administrator"][0] == pytest.approx(want["admin"], rel=1e-9)
    assert set(pair["fte_by_role"]) == {"family_worker", "team_leader", "administrator"}
    assert [pair["fte"], pair["fte_p5"], pair["fte_p95"]] == pytest.approx([want["fte"]] * 3, rel=1e-9)
    assert [pair["cost"], pair["cost_p5"], pair["cost_p95"]] == pytest.approx([want["cost"]] * 3, rel=1e-9)
    # and on the page, as a reader sees them: one decimal of FTE, the cost in £m to one decimal
    row = client.get("/services").text.split('id="action-evidence"')[1].split('data-intervention="kind_schools"')[1]
    row = words(row.split("</tr>")[0])
    assert f"Family worker: {want['worker']:,.1f} ({want['worker']:,.1f} – {want['worker']:,.1f})" in row
    assert f"{want['fte']:,.1f} ({want['fte']:,.1f} – {want['fte']:,.1f})" in row
    assert f"£{want['cost'] / 1e6:,.1f}m" in row
    assert "Foundations 3+" in row


def test_the_cli_shows_the_excel_intervention_for_its_gap_with_what_it_takes(workspace: Path) -> None:
    """The issue's done-when through the CLI: Kind Schools, imported from a workbook, listed by `cyplan services
    actions --evidence` for the gap it fits with the FTE and cost worked by hand."""
    want = kind_schools_by_hand()
    code, out = _cli(["services", "actions", "--evidence", "-w", workspace, "--format", "csv"])
    assert code == 0, out
    rows = [r for r in csv.DictReader(out.splitlines()[out.splitlines().index(next(
        line for line in out.splitlines() if line.startswith("rank,"))):]) if r.get("intervention") == "kind_schools"]
    assert len(rows) == 1
    assert rows[0]["item"] == "school_age / universal / social_emotional_skills"
    assert float(rows[0]["fte"]) == pytest.approx(want["fte"], rel=1e-4)
    assert float(rows[0]["cost"]) == pytest.approx(want["cost"], rel=1e-4)


def test_without_a_library_the_pages_say_what_to_import(demo_workspace: Path) -> None:
    """Catches an empty table (or a 500) where the library is not yet imported: the evidence page and the Services
    page's evidence section say which inputs to import, and the action list is shown as before."""
    app = create_app(demo_workspace)
    with TestClient(app, base_url="http://localhost") as c:
        text = words(c.get("/evidence").text)
        assert "The evidence library is empty: import interventions" in text
        services = c.get("/services")
        assert services.status_code == 200 and 'id="actions"' in services.text
        assert "The workspace has no evidence library yet" in words(services.text.split('id="evidence"')[1])
        assert c.get("/api/services").json()["evidence_missing"].startswith("The workspace has no evidence library")
    app.state.workspace.close()


# -- the parsers, for any input ----------------------------------------------------------------------------------


@given(st.one_of(st.none(), st.text(max_size=30)), st.one_of(st.none(), st.text(max_size=12)),
       st.one_of(st.none(), st.text(max_size=5)), st.one_of(st.none(), st.text(max_size=5)))
@settings(max_examples=300, deadline=None)
def test_the_filters_read_any_address_as_a_choice_or_a_400(age: str | None, level: str | None, strength: str | None,
                                                           cost: str | None) -> None:
    """Catches a value from an address that raises anything but a 400 in words (a ValueError from int('٣'), say),
    and a number let through outside its range."""
    try:
        f = filters(age, level, None, strength, cost)
    except HTTPException as e:
        assert e.status_code == 400 and "Go back" in str(e.detail)
        return
    assert f.age is None or 0 <= f.age <= 25
    assert f.strength is None or 0 <= f.strength <= 4
    assert f.cost is None or 1 <= f.cost <= 5
    assert f.level in (None, "universal", "targeted", "specialist")


@given(st.lists(st.sampled_from([*"ab<>&\"'[]/ =", "script", "onerror", "<script>"]), max_size=30).map("".join))
@settings(max_examples=300, deadline=None)
def test_a_snippet_carries_no_markup_but_its_marks(snippet: str) -> None:
    """Catches library text in a search snippet let through as HTML: whatever the snippet holds, the only tags
    out are <mark> and </mark>, balanced, and its text reads back as it was (brackets aside: a pair is a mark)."""
    out = str(snippet_html(snippet))
    assert set(re.findall(r"<[^>]*>", out)) <= {"<mark>", "</mark>"}
    assert out.count("<mark>") == out.count("</mark>")
    text = html_text.unescape(re.sub(r"</?mark>", "", out))
    assert text.replace("[", "").replace("]", "") == snippet.replace("[", "").replace("]", "")
