"""The web app's smaller faults (issue 11 part 8): an oversize chunked upload is 413, a file field sent as text
gets a plain message, an unknown area, year or scenario is 404 naming the ones there are (never the default's
figures), a 405 names the methods allowed, the OpenAPI spec declares the errors the app gives, uploads are logged
under the user's own file name (not the server's temporary copy), and a long upload name keeps its extension."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import CliResult, folder_bytes
from cyplan.returns import service
from cyplan.store.workspace import Workspace
from cyplan.web import security
from cyplan.web.app import create_app

LOCAL = "http://localhost"
AREA = "E10999999"
SEED004 = Path(__file__).parents[1] / "examples" / "returns" / "seed004_records.csv"
AREAS = b"code,name,kind,parent,source\nE10999999,Exampleshire Borough,council,,renamed\n"
PYTHON = re.compile(r"Traceback|<class |UploadFile|File \".*\.py\"")


@pytest.fixture
def with_returns(demo_workspace: Path) -> Path:
    ws = Workspace.open(demo_workspace)
    try:
        service.import_returns(ws, SEED004, today=dt.date(2024, 1, 1))
    finally:
        ws.close()
    return demo_workspace


def _client(path: Path, **kwargs: int) -> Iterator[TestClient]:
    app = create_app(path, **kwargs)
    with TestClient(app, base_url=LOCAL) as c:
        yield c
    app.state.workspace.close()


@pytest.fixture
def client(with_returns: Path) -> Iterator[TestClient]:
    yield from _client(with_returns)


def token_of(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/data").text).group(1)  # type: ignore[union-attr]


def _upload(client: TestClient, name: str, body: bytes, kind: str = "auto") -> tuple[int, str]:
    r = client.post("/data/upload", data={"kind": kind, "mode": "replace", security.CSRF_FIELD: token_of(client)},
                    files={"file": (name, body)})
    return r.status_code, r.text


# -- uploads --------------------------------------------------------------------------------------------


def test_an_oversize_chunked_upload_is_413_not_a_parse_error(demo_workspace: Path) -> None:
    """Without Content-Length the limit is met while the form is parsed: it was reported as 400 'There was an
    error parsing the body'."""
    for c in _client(demo_workspace, upload_limit=1000):
        token = token_of(c)
        before = folder_bytes(demo_workspace)
        head = (f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
                '--b\r\nContent-Disposition: form-data; name="file"; filename="areas.csv"\r\n\r\n').encode()

        def body(head: bytes = head) -> Iterator[bytes]:  # a generator: sent chunked, with no Content-Length
            yield head
            for _ in range(10):
                yield b"x" * 500
            yield b"\r\n--b--\r\n"

        r = c.post("/data/upload", content=body(), headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413 and "the limit is 0.001 MB" in r.text, r.text[:300]
        assert "parsing the body" not in r.text and not PYTHON.search(r.text)
        assert folder_bytes(demo_workspace) == before


def test_a_file_field_sent_as_text_gets_a_plain_message(client: TestClient) -> None:
    r = client.post("/data/upload", data={"file": "not a file", "kind": "areas", security.CSRF_FIELD:
                                          token_of(client)})
    assert r.status_code == 400 and "file: choose a file to upload" in r.text
    assert not PYTHON.search(r.text), re.findall(r"<p[^>]*>.*?</p>", r.text)[:3]


def test_a_long_upload_name_keeps_its_extension(client: TestClient) -> None:
    """A name over 120 characters was cut, losing '.csv', and then refused as not a CSV file."""
    status, html = _upload(client, "a" * 150 + ".csv", AREAS, kind="areas")
    assert status == 200 and "Imported 1 row of areas." in html


# -- the user's own file name as provenance ---------------------------------------------------------------


def test_an_upload_is_logged_under_the_users_file_name(client: TestClient, run_cli: Callable[[Sequence[str]],
                                                                                                 CliResult],
                                                       with_returns: Path) -> None:
    """The import log held the server's temporary copy (/tmp/tmpXXXX/areas.csv): `cyplan status`, the Data
    page and the API showed it."""
    status, _ = _upload(client, "Exampleshire areas (v2).csv", AREAS, kind="areas")
    assert status == 200
    areas = next(i for i in client.get("/api/inputs").json() if i["kind"] == "areas")
    assert areas["file"] == "Exampleshire areas (v2).csv"
    code, out, _ = run_cli(["status", "-w", str(with_returns)])
    row = next(line for line in out.splitlines() if line.lstrip("│ ").startswith("areas "))
    assert code == 0 and "Exampleshire areas (v2).csv" in row and "tmp" not in row


def test_referral_returns_name_the_users_file_in_the_quality_report(client: TestClient) -> None:
    body = SEED004.read_bytes()
    status, html = _upload(client, "Q1 referrals.csv", body, kind="referral_returns")
    assert status == 200 and "from Q1 referrals.csv" in html
    quality = client.get("/api/returns/quality", params={"limit": 100_000}).json()
    files = {q["file"] for q in quality["queries"]}
    assert quality["queries_total"] > 0 and files == {"Q1 referrals.csv"}  # the upload replaced every quarter
    page = client.get("/returns").text
    assert "Q1 referrals.csv" in client.get("/data").text
    assert "/tmp" not in page and "/tmp" not in str(quality)


# -- unknown area, year or scenario: 404 naming what there is ----------------------------------------------


@pytest.mark.parametrize("path", ["/api/overview", "/api/workforce", "/api/returns/equality"])
def test_an_unknown_area_is_404_in_the_api(client: TestClient, path: str) -> None:
    """It answered with the first area's figures, under no sign that the area asked for was not there."""
    r = client.get(path, params={"area": "NOPE"})
    assert r.status_code == 404
    assert r.json() == {"detail": f"There is no area ‘NOPE’. The areas are: {AREA}."}


@pytest.mark.parametrize("path", ["/", "/workforce", "/returns", "/report?format=html"])
def test_an_unknown_area_is_404_on_the_pages(client: TestClient, path: str) -> None:
    r = client.get(path, params={"area": "NOPE"})
    assert r.status_code == 404 and "There is no area ‘NOPE’. The areas are: E10999999." in r.text
    assert not PYTHON.search(r.text)


def test_the_equality_view_takes_a_year_and_refuses_one_without_a_population(client: TestClient) -> None:
    """year=1800 was ignored: the first year's view came back."""
    r = client.get("/api/returns/equality", params={"year": 1800})
    assert r.status_code == 404
    assert r.json()["detail"].startswith(f"There is no population for area {AREA} in 1800, so no equality view. "
                                         "Its years are: 2025, 2026,")
    default = client.get("/api/returns/equality").json()
    assert default["year"] == 2025
    assert client.get("/api/returns/equality", params={"year": 2025}).json() == default
    later = client.get("/api/returns/equality", params={"year": 2030, "by": "age"}).json()
    assert later["year"] == 2030 and later["rows"] != client.get("/api/returns/equality",
                                                                 params={"by": "age"}).json()["rows"]


def test_the_known_area_still_answers(client: TestClient) -> None:
    for path in ("/api/overview", "/api/workforce", "/api/returns/equality"):
        assert client.get(path, params={"area": AREA}).json() == client.get(path).json()


# -- the HTTP details: 405 and the spec -------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "allow"), [("POST", "/api/overview", "GET"),
                                                       ("DELETE", "/api/returns", "GET"),
                                                       ("PUT", "/data/upload", "POST"),
                                                       ("POST", "/static/charts.js", "GET")])
def test_a_405_names_the_methods_allowed(client: TestClient, method: str, path: str, allow: str) -> None:
    r = client.request(method, path)
    allowed = [m.strip() for m in r.headers["allow"].split(",")]
    assert r.status_code == 405 and allow in allowed
    assert ("HEAD" in allowed) == ("GET" in allowed)  # HEAD is answered wherever GET is
    assert f"does not take {method}" in r.text


@pytest.mark.parametrize("path", ["/", "/workforce", "/services", "/returns", "/data", "/api/overview",
                                  "/api/returns", "/api/docs", "/api/openapi.json", "/data/inputs/areas.csv",
                                  "/static/charts.js"])
def test_head_is_answered_wherever_get_is_with_no_body(client: TestClient, path: str) -> None:
    """Catches 405 for HEAD on a page (`curl -I`): RFC 9110 asks a GET resource to answer HEAD, with GET's
    headers and no body."""
    got, head = client.get(path), client.head(path)
    assert got.status_code == 200 and head.status_code == 200, (path, head.status_code, head.text)
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]


def test_head_where_get_is_not_answered_is_refused_as_get_would_be(client: TestClient) -> None:
    """HEAD is no way round the checks: 404 for no page, 405 (Allow: POST) for an upload address, a foreign Host
    refused."""
    assert client.head("/no-such-page").status_code == 404
    r = client.head("/data/upload")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.content == b""
    assert client.head("/", headers={"Host": "evil.example"}).status_code == 400


def test_the_spec_declares_the_errors_the_app_gives(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    for path, item in spec["paths"].items():
        responses = item["get"]["responses"]
        assert {"200", "400", "404"} <= set(responses), path
        assert "text/plain" in responses["400"]["content"]  # the refused host's answer
        if item["get"].get("parameters"):
            assert "422" in responses, path
