"""The sign-in tests' real OpenID Connect provider (tests/oidc/provider.mjs, npm oauth2-mock-server) and a shared
server set up around it: a data folder with the server workspace and two areas, and the browser's way through
the sign-in (the app in this process, the provider over HTTP on loopback)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from cyplan.auth.config import load
from cyplan.auth.roles import Role, grant
from cyplan.store.workspace import Workspace
from cyplan.web.app import create_server_app

PROVIDER_SCRIPT = Path(__file__).parent / "oidc" / "provider.mjs"
PUBLIC = "http://127.0.0.1:8765"  # the server's public address in the config (the app runs in this process)
CLIENT_ID = "cyplan-tests"
ANN = {"email": "Ann.Analyst@Council.gov.uk", "name": "Ann Analyst"}


@dataclass
class Provider:
    url: str
    proc: subprocess.Popen[bytes]

    @property
    def discovery(self) -> str:
        return self.url + "/.well-known/openid-configuration"

    def next_token(self, claims: dict[str, Any] | None = None, **next_only: Any) -> None:
        """The claims of every ID token from now on (the user), and what the next one alone gets."""
        r = httpx.post(self.url + "/test/claims", json={"claims": claims or ANN, "next": next_only or None})
        assert r.status_code == 204

    def authorize_log(self) -> list[dict[str, str]]:
        return httpx.get(self.url + "/test/authorize-log").json()


def start_provider() -> Iterator[Provider]:
    if shutil.which("node") is None or not (PROVIDER_SCRIPT.parent.parent.parent / "node_modules" /
                                            "oauth2-mock-server").exists():
        pytest.fail("the OIDC test provider needs node and npm's oauth2-mock-server: run scripts/build_web_assets.sh")
    proc = subprocess.Popen(["node", str(PROVIDER_SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdin is not None
    url = proc.stdout.readline().decode().strip()
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        said = proc.stderr.read().decode() if proc.stderr else ""
        pytest.fail(f"the OIDC test provider did not start: {url}\n{said}")
    provider = Provider(url, proc)
    deadline = time.monotonic() + 15
    while httpx.get(provider.discovery).status_code != 200:  # listening is printed once it listens: a formality
        assert time.monotonic() < deadline, "the OIDC test provider's discovery document never answered"
        time.sleep(0.1)
    try:
        yield provider
    finally:
        proc.stdin.close()  # the script stops when its input ends
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def write_config(folder: Path, provider: Provider, public: str = PUBLIC, **session: str | int) -> Path:
    settings = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in session.items())
    path = folder / "server.toml"
    path.write_text(f"""data_dir = "data"
public_url = "{public}"

[session]
{settings}
[oidc]
discovery_url = "{provider.discovery}"
client_id = "{CLIENT_ID}"
client_secret = "not-a-real-secret"

[[areas]]
code = "north"
name = "North Council"

[[areas]]
code = "south"
name = "South ICB"
""")
    return path


def data_template(folder: Path, demo: Path) -> Path:
    """The data folder: the demo workspace as area north, an empty one as area south, the server workspace."""
    data = folder / "data"
    shutil.copytree(demo, data / "areas" / "north")
    Workspace.create(data / "areas" / "south").close()
    Workspace.create(data / "server").close()
    return data


def give(config_path: Path, user: str, area: str, role: Role) -> None:
    ws = Workspace.open(load(config_path).server_dir)
    with ws.engine.begin() as conn:
        grant(conn, user, area, role, by="test")
    ws.close()


def server_client(config_path: Path) -> TestClient:
    app = create_server_app(load(config_path))
    return TestClient(app, base_url=PUBLIC)


def to_provider_and_back(client: TestClient, provider: Provider, next_path: str = "/data") -> httpx.Response:
    """What a browser does: /signin, the provider's /authorize (over HTTP), back to the callback. The callback's
    answer."""
    r = client.get("/signin", params={"next": next_path}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(provider.url + "/authorize?")
    at_provider = httpx.get(r.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == PUBLIC and back.path == "/signin/callback"
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)
