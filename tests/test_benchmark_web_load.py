"""The pieces of benchmarks/web_load.py --server (issue 14 part 8) that could make its figures wrong: the users'
spread over the areas, wrk's script sending every user's cookies and counting every answer but 200 (a redirect to
sign-in included, which wrk's own count lets through), and the failures as reported.

wrk is Debian's (scripts/system_deps.sh --test installs it); without it these tests fail, they do not skip.
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from conftest import load_benchmark

web_load = load_benchmark("web_load")


def test_fifty_users_over_ten_areas_are_five_to_an_area_with_viewers_and_analysts_in_each() -> None:
    """Catches users piled into a few areas, one left empty, or areas of viewers only (the analysts' pages, which
    show unpublished counts, never loaded)."""
    areas = [f"area{i:02d}" for i in range(1, 11)]
    users = web_load.users_of(50, areas)
    assert len({u.email for u in users}) == 50
    per_area = Counter(u.area for u in users)
    assert per_area == dict.fromkeys(areas, 5)
    for area in areas:
        roles = Counter(u.role for u in users if u.area == area)
        assert roles == {"viewer": 3, "analyst": 2}


def test_a_redirect_counts_as_a_failure_though_wrk_counts_only_4xx_and_5xx() -> None:
    """Catches a signed-out user's 303 to the sign-in page reported as a success (wrk's status errors)."""
    stats = {"requests": 10, "duration_us": 1e6, "connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0,
             "not200": 3}
    assert web_load.Result("overview", 5, stats).failures == 3
    assert web_load.Result("overview", 5, {**stats, "not200": 0, "read": 2}).failures == 2


class _Handler(BaseHTTPRequestHandler):
    seen: ClassVar[Counter[str]] = Counter()

    def do_GET(self) -> None:
        cookie = self.headers.get("Cookie", "")
        self.seen[cookie] += 1
        self.send_response(200 if "signed-in" in cookie else 303)
        if "signed-in" not in cookie:
            self.send_header("Location", "/signin")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.seen = Counter()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_lua_script_sends_each_users_cookies_in_turn_and_counts_every_answer_but_200(server: str,
                                                                                          tmp_path: Path) -> None:
    """Catches every request carrying one user's cookie (or none: then the load would be the sign-in page), and a
    count of failures that misses the redirects of a session that ended."""
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.fail("wrk is missing: run scripts/system_deps.sh --test (Debian's wrk)")
    cookies = tmp_path / "cookies.txt"
    cookies.write_text("cyplan_session=signed-in-1\ncyplan_session=signed-in-2\ncyplan_session=ended\n")
    script = tmp_path / "rotate.lua"
    script.write_text(web_load.ROTATE_LUA)
    web_load.PAGES["probe"] = "/"
    try:
        (result,), _ = web_load.run_wrk(wrk, script, {"probe": 1}, server, 1, cookies)
    finally:
        del web_load.PAGES["probe"]
    seen = _Handler.seen
    assert set(seen) == {"cyplan_session=signed-in-1", "cyplan_session=signed-in-2", "cyplan_session=ended"}
    assert max(seen.values()) - min(seen.values()) <= 1  # in turn: one connection, so strictly round the list
    # the last request may be cut off by the end of the run: received by the server, never answered to wrk
    assert 0 <= sum(seen.values()) - result.stats["requests"] <= 1
    assert 0 <= seen["cyplan_session=ended"] - result.failures <= 1 and result.failures > 0
