"""The same workspace on PostgreSQL: a throwaway server on loopback, started by the test."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CYPLAN = str(Path(sys.executable).with_name("cyplan"))
DEMO = Path(__file__).parents[1] / "src" / "cyplan" / "reference" / "demo"


def _as_server_user(command: str) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, so the server runs as 'nobody' there
    return ["su", "nobody", "-s", "/bin/sh", "-c", command] if os.geteuid() == 0 else ["/bin/sh", "-c", command]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if not shutil.which("initdb") or not shutil.which("pg_ctl"):
        pytest.skip("no PostgreSQL server on this machine (initdb, pg_ctl)")
    pytest.importorskip("psycopg")
    root = Path(tempfile.mkdtemp(prefix="cyplan-pg-"))  # not under pytest's folders, which only root may enter
    os.chmod(root, 0o777)
    data, port = root / "data", _free_port()
    subprocess.run(_as_server_user(f"initdb -D {data} -U cyplan --auth=trust"), check=True, capture_output=True)
    start = f"pg_ctl -D {data} -l {root}/log -w -o '-k {root} -c listen_addresses=127.0.0.1 -p {port}' start"
    subprocess.run(_as_server_user(start), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://cyplan@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user(f"pg_ctl -D {data} -m immediate stop"), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def cyplan(*args: str, cwd: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")}, "CYPLAN_DATABASE_URL": url}
    return subprocess.run([CYPLAN, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120)


def test_demo_inputs_on_postgres_give_the_sqlite_figures(postgres_url: str, tmp_path: Path) -> None:
    assert cyplan("init", "pg", cwd=tmp_path, url=postgres_url).returncode == 0
    imported = cyplan("import", "all", str(DEMO), "-w", "pg", cwd=tmp_path, url=postgres_url)
    assert imported.returncode == 0, imported.stderr
    on_pg = cyplan("demand", "-w", "pg", "--format", "csv", cwd=tmp_path, url=postgres_url).stdout
    env = {k: v for k, v in os.environ.items() if not k.startswith("CYPLAN_")}
    subprocess.run([CYPLAN, "demo", "lite"], cwd=tmp_path, capture_output=True, env=env, check=True)
    on_sqlite = subprocess.run([CYPLAN, "demand", "-w", "lite", "--format", "csv"], cwd=tmp_path,
                               capture_output=True, text=True, env=env).stdout
    assert on_pg == on_sqlite
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,kind\nE1,X,council\n")
    refused = cyplan("import", "areas", str(bad), "-w", "pg", cwd=tmp_path, url=postgres_url)
    assert refused.returncode == 2 and "row 2, column 'code'" in refused.stderr
    again = cyplan("demand", "-w", "pg", "--format", "csv", cwd=tmp_path, url=postgres_url).stdout
    assert again == on_pg
