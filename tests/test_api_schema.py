"""schemathesis against the app's own OpenAPI spec, on the demo workspace with referral returns: for each API
route, generated values of every parameter (areas, years, scenarios, table names, limits that exist and that do
not), sent to `cyplan serve`. Catches a 5xx, or a status code, content type or body the spec does not declare;
and a method a route does not take answered without a 405 naming the methods it does take (Allow)."""

from __future__ import annotations

import datetime as dt
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from browser_support import Server
from cyplan.returns import service
from cyplan.store.workspace import Workspace

SEED004 = Path(__file__).parents[1] / "examples" / "returns" / "seed004_records.csv"
EXAMPLES_PER_ROUTE = 12  # bounded: the whole module runs in well under a minute
ROUTES = ["/api/inputs", "/api/inputs/{kind}", "/api/overview", "/api/workforce", "/api/services", "/api/returns",
          "/api/returns/tables/{name}", "/api/returns/quality", "/api/returns/equality", "/api/evidence",
          "/api/evidence/{intervention}", "/api/evidence/topics/{topic}", "/api/compare",
          "/api/scenarios/difference"]


@pytest.fixture(scope="module")
def server(_demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`cyplan serve` on the demo workspace with seed 004's records. A real server in a child process: the routes
    run as a user's requests would (and a crash there cannot take pytest with it)."""
    folder = tmp_path_factory.mktemp("schema")
    path = Path(shutil.copytree(_demo_template, folder / "workspace"))
    ws = Workspace.open(path)
    try:
        service.import_returns(ws, SEED004, today=dt.date(2024, 1, 1))
    finally:
        ws.close()
    running = Server(path, folder / "server.log").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api_schema(server: Server) -> Any:
    return schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_a_method_a_route_does_not_take_is_405_with_allow(server: Server, method: str) -> None:
    for path in ROUTES:
        request = urllib.request.Request(server.url + path.replace("{kind}", "areas").replace("{name}", "summary"),
                                         method=method, data=b"")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        allowed = [m.strip() for m in refused.value.headers["Allow"].split(",")]
        assert refused.value.code == 405 and "GET" in allowed and "HEAD" in allowed and method not in allowed, path


def test_the_spec_lists_every_api_route(api_schema: Any) -> None:
    assert sorted(result.ok().path for result in api_schema.get_all_operations()) == sorted(ROUTES)


@pytest.mark.parametrize("path", ROUTES)
def test_every_api_route_answers_as_its_spec_says(api_schema: Any, path: str) -> None:
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def answers_as_specified(case: schemathesis.Case) -> None:
        # schemathesis gives up on a request after 10 s by default: on a loaded machine that is a timed
        # assertion, which the suite does not make (the web load benchmark measures speed)
        case.call_and_validate(timeout=300)

    answers_as_specified()
