"""The shared server's config file and `cyplan serve --config` (issue 14 part 1): every class of mistake a located
message and exit 2 before anything is made or listens; secrets from the environment; the loopback app refusing to
listen beyond loopback; forwarded headers believed from the named proxies alone (a real uvicorn server)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest

from browser_support import CYPLAN, child_env, free_port, stop_group
from cyplan.auth.config import CLIENT_SECRET_ENV, ConfigError, load
from cyplan.store import audit
from cyplan.store.workspace import Workspace

GOOD = """data_dir = "data"
public_url = "https://plan.council.example"
workers = 2
trusted_proxies = ["10.0.0.5", "10.0.1.0/24"]

[session]
idle_timeout = "20m"
absolute_timeout = "8h"

[oidc]
discovery_url = "https://login.microsoftonline.com/tenant-id/v2.0/.well-known/openid-configuration"
client_id = "6731de76-14a6-49ae-97bc-6eba6914391e"
client_secret = "from-the-file"

[[areas]]
code = "leeds"
name = "Leeds City Council"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "server.toml"
    path.write_text(text)
    return path


def test_a_good_file_is_read_with_its_units_and_the_redirect_uri(tmp_path: Path) -> None:
    """Catches minutes or hours read as seconds, a relative data folder taken from the working directory instead of
    the file's, and a redirect URI not built from the public address."""
    c = load(write(tmp_path, GOOD), env={})
    assert c.session_idle == 20 * 60 and c.session_absolute == 8 * 3600
    assert c.data_dir == tmp_path / "data" and c.area_dir("leeds") == tmp_path / "data" / "areas" / "leeds"
    assert c.redirect_uri == "https://plan.council.example/signin/callback" and c.secure
    assert c.workers == 2 and c.trusted_proxies == ("10.0.0.5", "10.0.1.0/24") and c.database_url is None
    assert c.oidc.scopes == ("openid", "email", "profile") and c.oidc.client_secret == "from-the-file"


def test_secrets_from_the_environment_take_the_files_place(tmp_path: Path) -> None:
    """Catches the environment ignored (secrets are better kept out of files) or the file's value winning."""
    c = load(write(tmp_path, GOOD), env={CLIENT_SECRET_ENV: "from-env", "CYPLAN_DATABASE_URL": "postgresql://db/x",
                                         "CYPLAN_SESSION_SECRET": "s3cret"})
    assert c.oidc.client_secret == "from-env" and c.database_url == "postgresql://db/x"
    assert c.session_secret == b"s3cret"
    no_secret = GOOD.replace('client_secret = "from-the-file"\n', "")
    assert load(write(tmp_path, no_secret), env={CLIENT_SECRET_ENV: "x"}).oidc.client_secret == "x"
    with pytest.raises(ConfigError, match=f"oidc.client_secret is missing: set the environment variable "
                                          f"{CLIENT_SECRET_ENV}"):
        load(write(tmp_path, no_secret), env={})


MISTAKES = [  # (what is changed, the words the message must have)
    (("public_url = \"https://plan.council.example\"", "public_url = https://plan"), ["not a TOML file", "line 2"]),
    (("workers = 2", "wrkers = 2"), ["wrkers is not a setting", "workers"]),
    (("idle_timeout = \"20m\"", "idle_time = \"20m\""), ["session.idle_time is not a setting"]),
    (("workers = 2", "workers = \"two\""), ["workers:", "whole number from 1", "for example workers = 1"]),
    (("workers = 2", "workers = 0"), ["workers:", "whole number from 1 to 64"]),
    (("data_dir = \"data\"\n", ""), ["data_dir: this is missing", "for example data_dir = \"/srv/cyplan\""]),
    (("idle_timeout = \"20m\"", "idle_timeout = \"20 minutes\""), ["session.idle_timeout:", "unit s, m, h or d",
                                                                   "\"30m\""]),
    (("idle_timeout = \"20m\"", "idle_timeout = 20"), ["session.idle_timeout:", "unit s, m, h or d"]),
    (("\"10.0.0.5\"", "\"proxy.council.local\""), ["trusted_proxies:", "'proxy.council.local' is not an IP",
                                                   "10.0.1.0/24"]),
    (("https://plan.council.example", "http://plan.council.example"), ["public_url:", "not encrypted"]),
    (("https://plan.council.example", "https://plan.council.example/cyplan"), ["public_url:", "without a path"]),
    (("https://login.microsoftonline.com", "ftp://login.microsoftonline.com"), ["oidc.discovery_url:",
                                                                                "starting https://"]),
    (("client_id = \"6731de76-14a6-49ae-97bc-6eba6914391e\"\n", ""), ["oidc.client_id: this is missing"]),
    (("[oidc]", "[oauth]"), ["oauth is not a setting"]),
    (("code = \"leeds\"", "code = \"Leeds City\""), ["areas[1].code:", "lower-case letters"]),
    (("[[areas]]\ncode = \"leeds\"", "[[areas]]\ncode = \"leeds\"\nname = \"L\"\n[[areas]]\ncode = \"leeds\""),
     ["areas[2].code:", "code of an area above"]),
    (("[[areas]]\ncode = \"leeds\"", "[[areas]]\ncode = \"leeds\"\nname = \"L\"\n[[areas]]\ncode = \"LEEDS\""),
     ["areas[2].code:", "code of an area above"]),  # one folder on a file system blind to capitals
    (("[[areas]]\ncode = \"leeds\"\nname = \"Leeds City Council\"\n", ""), ["areas: the server needs at least one"]),
]


@pytest.mark.parametrize(("change", "words"), MISTAKES, ids=[m[1][0][:30] for m in MISTAKES])
def test_each_mistake_names_the_file_the_key_and_a_right_value(tmp_path: Path, change: tuple[str, str],
                                                               words: list[str]) -> None:
    """Catches a mistake let through (to fail later, or silently use a default) or a message without the file, the
    key and what to write instead."""
    assert change[0] in GOOD
    path = write(tmp_path, GOOD.replace(change[0], change[1], 1))
    with pytest.raises(ConfigError) as e:
        load(path, env={})
    assert str(e.value).startswith(f"{path}: ")
    for word in words:
        assert word in str(e.value)


def test_serve_with_a_bad_config_says_so_exit_2_and_makes_nothing(tmp_path: Path,
                                                                  run_cli: Callable[[Sequence[str]], tuple]) -> None:
    """Catches a traceback, a wrong exit code, or a data folder made before the config was found wrong."""
    path = write(tmp_path, GOOD.replace("workers = 2", "workers = -1"))
    code, _, err = run_cli(["serve", "--config", path])
    assert code == 2 and "server.toml: workers:" in " ".join(err.split()) and "Traceback" not in err
    code, _, err = run_cli(["serve", "--config", tmp_path / "missing.toml"])
    assert code == 2 and "there is no such file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["server.toml"]


def test_serve_beyond_loopback_without_sign_in_is_refused(demo_workspace: Path,
                                                         run_cli: Callable[[Sequence[str]], tuple]) -> None:
    """Catches the one-person app opened to the network with no sign-in (it used to warn and go on)."""
    for host in ("0.0.0.0", "192.168.1.20", "::"):
        code, _, err = run_cli(["serve", "-w", demo_workspace, "--host", host])
        said = " ".join(err.split())
        assert code == 2 and "cyplan serve --config server.toml" in said and "without signing in" in said


# -- a real server: forwarded headers --------------------------------------------------------------------------


def _serve(tmp_path: Path, proxies: str, workers: int) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    folder = tmp_path / f"server-{port}"
    folder.mkdir()
    Workspace.create(folder / "data" / "areas" / "north").close()
    config = write(folder, f"""data_dir = "data"
public_url = "http://127.0.0.1:{port}"
host = "127.0.0.1"
port = {port}
workers = {workers}
trusted_proxies = {proxies}

[oidc]
discovery_url = "http://127.0.0.1:9/.well-known/openid-configuration"
client_id = "x"
client_secret = "y"

[[areas]]
code = "north"
name = "North"
""")
    log = (folder / "log.txt").open("wb")
    proc = subprocess.Popen([CYPLAN, "serve", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT,
                            env=child_env(), cwd=folder, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a hang, not a speed: two workers importing cyplan on a loaded machine
    while True:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return proc, url, folder
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_group(proc)
            pytest.fail(f"cyplan serve --config did not start:\n{(folder / 'log.txt').read_text()}")
        time.sleep(0.2)


def _failed_sign_in_source(tmp_path: Path, proxies: str, workers: int) -> str:
    proc, url, folder = _serve(tmp_path, proxies, workers)
    try:
        r = httpx.get(url + "/signin/callback?code=x&state=y", headers={"X-Forwarded-For": "203.0.113.7"})
        assert r.status_code == 400
    finally:
        stop_group(proc)
    ws = Workspace.open(folder / "data" / "server")
    with ws.engine.connect() as conn:
        [entry] = audit.read(conn, "sign-in failed")
    ws.close()
    return entry["source"]


def test_forwarded_addresses_are_believed_from_named_proxies_only(tmp_path: Path) -> None:
    """Catches X-Forwarded-For believed from anyone (a client could then name any address in the audit trail and
    dodge the failed-sign-in limit) — and, the other way, a proxy that is named not believed. Through the real
    command: uvicorn with its workers, the app made by the factory in each."""
    if shutil.which(CYPLAN) is None:
        pytest.fail(f"{CYPLAN} is not installed")
    assert _failed_sign_in_source(tmp_path, '["10.9.9.9"]', 1) == "web 127.0.0.1"
    assert _failed_sign_in_source(tmp_path, '["127.0.0.1"]', 2) == "web 203.0.113.7"


def test_add_area_takes_the_data_folder_and_the_areas_name_from_the_config(
        tmp_path: Path, run_cli: Callable[[Sequence[str]], tuple]) -> None:
    """Catches `server add-area --config` ignoring the file: the area made somewhere other than the config's
    data_dir (relative to the file), or without the name the file gives it; and an area the file does not list
    made without a name."""
    path = write(tmp_path, GOOD)
    code, _, err = run_cli(["server", "add-area", "leeds", "--config", path])
    assert code == 0, err
    ws = Workspace.open(tmp_path / "data" / "areas" / "leeds")
    try:
        assert ws.info()["area_name"] == "Leeds City Council"
    finally:
        ws.close()
    assert (tmp_path / "data" / "server").is_dir()
    code, _, err = run_cli(["server", "add-area", "york", "--config", path])
    assert code == 2 and "give the area's name with --name (or list york in" in " ".join(err.split())
    assert not (tmp_path / "data" / "areas" / "york").exists()


def test_grant_and_members_find_the_server_by_the_config(tmp_path: Path,
                                                          run_cli: Callable[[Sequence[str]], tuple]) -> None:
    """Catches `server grant --config` writing the role somewhere other than the config's data folder (where the
    server reads roles), and a command with neither --config nor --data-dir guessing one."""
    path = write(tmp_path, GOOD)
    assert run_cli(["server", "add-area", "leeds", "--config", path])[0] == 0
    code, _, err = run_cli(["server", "grant", "Lead@Leeds.gov.uk", "--area", "leeds", "--role", "admin",
                            "--config", path])
    assert code == 0, err
    code, out, _ = run_cli(["server", "members", "--area", "leeds", "--data-dir", tmp_path / "data",
                            "--format", "csv"])
    assert code == 0 and "lead@leeds.gov.uk,admin" in out
    code, _, err = run_cli(["server", "members", "--area", "leeds"])
    assert code == 2 and "give the server's data folder with --data-dir (or --config" in " ".join(err.split())
