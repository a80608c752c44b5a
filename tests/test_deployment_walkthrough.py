"""Issue 14's "Done when", as a new user and as a test: docs/deployment.md's "Try it on one computer", run as written.

The commands are read from that section's code blocks, so the page and the test cannot drift apart: every
`cyplan` line is run as a child process (server migrate, add-area, import, returns import, grant, then
`serve --config` with two workers), the heredoc writes server.toml, `export`s set the environment, and the SQL
blocks are run as the role each names. The two blocks the test does its own way are the throwaway PostgreSQL
(test_postgres's `server` fixture: the same initdb and pg_ctl, trust on a socket only) and the stand-in identity
provider (tests/oidc/provider.mjs, started by oidc_support, told the claims the page's curl line gives); their
text is checked to still say what the fixtures do. The setting-up commands run without the OIDC client secret
(only `serve` is given it), as a database administrator who does not hold it would run them. Any other kind of
line in a block the test runs fails it, so a step added to the page is run or noticed.

Then Debian's Chromium signs in through the provider (its login is a redirect), checks what Ann sees as analyst
of Hampshire and, after switching, as viewer of the ICB, and signs out; last, `cyplan audit verify` passes on
Hampshire and fails once a row of its trail is edited by the tables' owner with the audit trigger turned off (the
only way past it: the trigger refuses the owner's edit otherwise, which is checked too).

The walk's tests share it (module-scoped fixtures) and run in the file's order: the audit test, last of them,
edits the trail. Two quick tests after them check what the walk found wrong in the product, without a walk.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from backends import Server, started_server
from browser_support import CYPLAN, REPO, Watch, child_env, free_port, stop_group
from cyplan.auth.config import CLIENT_SECRET_ENV
from oidc_support import Provider, start_provider
from test_docs import sections

DOC = REPO / "docs" / "deployment.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
HEREDOC = re.compile(r"cat > (\S+) <<EOF")
VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)\}")
GIVEN = ("TRY", "PROVIDER", "PORT")  # the test's own: its PostgreSQL's folder, its provider, a free port
# the blocks of the section, in order, and what each is
KINDS = ["sh", "sql", "sh", "sh", "sh", "sh", "sql", "sh"]
POSTGRES, OWNER_SQL, PROVIDER, SETUP, SERVE, VERIFY, TAMPER, VERIFY_AGAIN = range(8)
ANALYST_OF, VIEWER_OF = ("E10000014", "Hampshire"), ("wy-icb", "West Yorkshire ICB")
STARTUP_SECONDS = 180


def blocks() -> list[tuple[str, str]]:
    found = BLOCK.findall(sections(DOC.read_text(encoding="utf-8"))["Try"])
    assert [kind for kind, _ in found] == KINDS, "docs/deployment.md's 'Try it on one computer' changed its steps"
    return found


def expand(text: str, env: dict[str, str]) -> str:
    """$NAME as the shell expands it; a variable the page never set fails (the reader's shell would leave it
    empty, and the step would go wrong quietly)."""
    def value(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        assert name in env, f"docs/deployment.md uses ${name} before setting it"
        return env[name]
    return VARIABLE.sub(value, text)


def run_block(text: str, env: dict[str, str], expect: int = 0) -> list[subprocess.CompletedProcess[str]]:
    """Runs a block as a shell would: exports, one heredoc writing a file, `cyplan` commands (each must exit
    `expect`). Any other line is refused: the test would not be doing what the page says."""
    done = []
    lines = iter(text.splitlines())
    for line in lines:
        words = shlex.split(expand(line, env), comments=True)
        if not words:
            continue
        if heredoc := HEREDOC.fullmatch(line.strip()):
            body = []
            for inner in lines:
                if inner == "EOF":
                    break
                body.append(inner)
            Path(expand(heredoc.group(1), env)).write_text(expand("\n".join(body) + "\n", env), encoding="utf-8")
        elif words[0] == "export":
            name, _, value = words[1].partition("=")
            if name not in GIVEN:
                env[name] = value
        elif words[0] == "cyplan":
            result = subprocess.run([CYPLAN, *words[1:]], cwd=REPO, env=env, capture_output=True, text=True,
                                    timeout=600)
            assert result.returncode == expect, f"{line}\nexit {result.returncode}\n{result.stdout}\n{result.stderr}"
            assert "Traceback" not in result.stderr, result.stderr
            done.append(result)
        else:
            pytest.fail(f"docs/deployment.md: a step the walkthrough test does not know how to run: {line}")
    return done


def run_sql(pg: Server, text: str, role_of: dict[str, str]) -> None:
    """The block's statements as the role its first line names (-- as ROLE), in the database it works in."""
    first, _, statements = text.partition("\n")
    role = role_of[first.removeprefix("-- as ").strip()]
    database = "postgres" if "CREATE DATABASE" in statements else "cyplan"
    with psycopg.connect(host=str(pg.folder), user=role, dbname=database, autocommit=True) as conn:
        if database == "cyplan":  # as psql sends the page's lines: its own BEGIN and COMMIT
            conn.execute(statements)
            return
        for statement in filter(str.strip, statements.split(";")):  # CREATE DATABASE cannot share a transaction
            conn.execute(statement)


@dataclass
class Walk:
    pg: Server
    env: dict[str, str]
    url: str
    roles: dict[str, str]  # the page's role names -> the throwaway server's

    @property
    def try_dir(self) -> Path:
        return Path(self.env["TRY"])


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    yield from start_provider()


@pytest.fixture(scope="module")
def own_server() -> Iterator[Server]:
    """A PostgreSQL server of the walk's own, as on a fresh machine: the page makes cluster-wide roles
    (cyplan_owner) that other modules' tests make on the session's shared server too."""
    with started_server() as pg:
        yield pg


@pytest.fixture(scope="module")
def walk(own_server: Server, provider: Provider, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    server = own_server
    steps = blocks()
    assert "initdb" in steps[POSTGRES][1] and "--auth=trust" in steps[POSTGRES][1] and "-k $TRY" in steps[POSTGRES][1]
    assert "node tests/oidc/provider.mjs" in steps[PROVIDER][1]
    curl = next(line for line in steps[PROVIDER][1].splitlines() if line.startswith("curl "))
    words = shlex.split(curl)
    provider.next_token(json.loads(words[words.index("-d") + 1])["claims"])  # who signs in: as the page says

    port = free_port()
    env = {**child_env(), "TRY": str(server.folder), "PROVIDER": provider.url, "PORT": str(port)}
    made = Walk(server, env, f"http://127.0.0.1:{port}", {"postgres": "cyplan", "cyplan_owner": "cyplan_owner"})
    run_sql(server, steps[OWNER_SQL][1], made.roles)
    run_block(steps[SETUP][1], env)  # without the client secret: setting up signs nobody in

    *first, last = [line for line in steps[SERVE][1].splitlines() if line.strip()]
    assert CLIENT_SECRET_ENV not in env
    run_block("\n".join(first), env)  # the exports before it
    serve = shlex.split(expand(last, env))
    assert serve[:3] == ["cyplan", "serve", "--config"], steps[SERVE][1]
    log = tmp_path_factory.mktemp("walk") / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([CYPLAN, *serve[1:]], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(made.url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"cyplan serve --config did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.3)
        yield made
    finally:
        stop_group(proc)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False



@dataclass
class Tab:
    page: Any
    watch: Watch
    url: str

    def open(self, path: str) -> str:
        """The page's main text after going to `path` (which must answer 200 once signed in)."""
        response = self.page.goto(self.url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        return str(self.page.inner_text("main"))

    def count(self, selector: str) -> int:
        return int(self.page.locator(selector).count())

    def downloads(self) -> list[str]:
        return sorted(set(self.page.eval_on_selector_all("a[download]", "els => els.map(e => e.getAttribute('href'))")))

    def status(self, path: str) -> int:
        """What the server answers this session for `path`, redirects not followed."""
        return int(self.page.request.get(self.url + path, max_redirects=0).status)


@pytest.fixture(scope="module")
def tab(walk: Walk, browser: Any) -> Iterator[Tab]:
    """Ann, signed in through the provider in a fresh context: the first page sends her there and back."""
    context = browser.new_context()
    page = context.new_page()
    watch = Watch()
    watch.attach(context, page)
    made = Tab(page, watch, walk.url)
    made.open("/")
    yield made
    context.close()


def test_the_documented_commands_made_each_area_on_the_shared_database(walk: Walk) -> None:
    """Catches a step of the page that does not give what it says: an area's workspace.json not naming the
    database and the area, or a role not held by Ann as granted."""
    for code, _ in (ANALYST_OF, VIEWER_OF):
        said = json.loads((walk.try_dir / "srv" / "areas" / code / "workspace.json").read_text())
        assert said == {"database_url": f"postgresql+psycopg://cyplan_app@/cyplan?host={walk.try_dir}", "tenant": code}
    with psycopg.connect(host=str(walk.pg.folder), user="cyplan", dbname="cyplan") as conn:  # beyond RLS
        held = conn.execute('SELECT tenant, area, "user", role FROM user_roles ORDER BY area').fetchall()
    assert held == [("server", "E10000014", "ann@council.gov.uk", "analyst"),
                    ("server", "wy-icb", "ann@council.gov.uk", "viewer")]


def test_ann_signs_in_through_the_provider_and_works_in_hampshire_first(tab: Tab) -> None:
    """Catches a sign-in that does not land back signed in as the name the provider's token carries."""
    assert tab.page.url == tab.url + "/"
    header = tab.page.inner_text("#signed-in")
    assert "Signed in as Ann Analyst (ann@council.gov.uk)" in header and "working in Hampshire" in header
    tab.watch.check()


def test_as_analyst_of_hampshire_she_sees_the_quality_report_unpublished_counts_and_the_upload_form(tab: Tab) -> None:
    """Catches an analyst denied what the role allows: the quality report, the exact counts (the page's
    warning that they are not for publication), the upload form and the unpublished referral tables."""
    tab.open("/returns")
    assert tab.count("#quality") == 1 and tab.count("#counts-unpublished") == 1
    assert "Not for publication. These are exact counts" in tab.open("/returns?counts=unpublished")
    tab.open("/data")
    assert tab.count("form[action^='/data/upload']") == 1
    links = tab.downloads()
    assert "/data/results/returns-unpublished.xlsx" in links and "/data/inputs/population.csv" in links
    assert tab.status("/data/results/returns-unpublished.xlsx") == 200
    assert tab.status("/api/returns/quality") == 200
    tab.watch.check()


def test_after_switching_to_the_icb_as_its_viewer_she_sees_published_figures_only(tab: Tab) -> None:
    """Catches a viewer shown anything unpublished: the exact counts (even when asked for in the address), the
    quality report (page or API), the upload form, an input's or an unpublished table's download link, or the file
    itself."""
    tab.page.select_option("#tenant-choice", VIEWER_OF[0])
    tab.page.click("#signed-in button:has-text('Switch')")
    assert f"working in {VIEWER_OF[1]}" in tab.page.inner_text("#signed-in")
    tab.open("/returns")
    assert tab.count("#quality") == 0 and tab.count("#counts-unpublished") == 0
    assert "For publication." in tab.open("/returns?counts=published")
    assert tab.status("/returns?counts=unpublished") == 403  # asked for in the address: refused, not shown
    tab.open("/data")
    assert tab.count("form[action^='/data/upload']") == 0
    links = tab.downloads()
    assert "/data/results/returns-published.xlsx" in links
    assert all(link.startswith("/data/results/") and "unpublished" not in link for link in links), links
    assert tab.status("/data/results/returns-unpublished.xlsx") == 403
    assert tab.status("/api/returns/quality") == 403  # nor through the API
    tab.watch.check()


def test_signing_out_ends_the_session(tab: Tab) -> None:
    """Catches a sign-out that leaves the session working: after it, a page sends the browser to sign in."""
    tab.page.click("#signed-in button:has-text('Sign out')")
    assert "You have signed out" in tab.page.inner_text("main")
    answer = tab.page.request.get(tab.url + "/data", max_redirects=0)
    assert answer.status == 303 and answer.headers["location"].startswith("/signin")
    tab.watch.check()


def test_audit_verify_passes_after_the_walk_and_fails_once_the_owner_edits_a_row_past_the_trigger(walk: Walk) -> None:
    """Catches a trail that verify cannot check or that hides an edit (the issue's last sentence), and a trigger
    that lets the owner edit the trail without first turning it off."""
    steps = blocks()
    (passed,) = run_block(steps[VERIFY][1], walk.env, expect=0)
    assert "chain intact" in passed.stdout
    with (psycopg.connect(host=str(walk.pg.folder), user="cyplan_owner", dbname="cyplan") as conn,
          pytest.raises(psycopg.errors.RaiseException)):
        conn.execute("SELECT set_config('cyplan.tenant', 'E10000014', true)")
        conn.execute("UPDATE audit SET who = 'someone else'")
    run_sql(walk.pg, steps[TAMPER][1], walk.roles)
    (failed,) = run_block(steps[VERIFY_AGAIN][1], walk.env, expect=1)
    edited = walk.pg.rows("cyplan", "SELECT min(id) FROM audit WHERE tenant = 'E10000014' AND who = 'someone else'")
    assert edited[0][0] is not None
    assert f"broken at entry {edited[0][0]}: its hash does not match its contents" in " ".join(failed.stderr.split())


def test_serve_names_the_add_area_command_for_an_area_listed_but_not_made(tmp_path: Path, run_cli: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the advice a new user got before: 'run cyplan init' (a workspace that is not the server's area) for
    an area added to server.toml but not made; and a refused start that leaves a server workspace behind."""
    from conftest import folder_bytes
    from cyplan.store.workspace import Workspace

    monkeypatch.setenv(CLIENT_SECRET_ENV, "anything")
    Workspace.create(tmp_path / "srv" / "areas" / "north").close()
    config = tmp_path / "server.toml"
    config.write_text('data_dir = "srv"\npublic_url = "http://127.0.0.1:8000"\n[oidc]\ndiscovery_url = '
                      '"http://127.0.0.1:9/.well-known/openid-configuration"\nclient_id = "cyplan"\n'
                      '[[areas]]\ncode = "north"\nname = "North"\n[[areas]]\ncode = "kent"\nname = "Kent"\n')
    before = folder_bytes(tmp_path)
    code, _, err = run_cli(["serve", "--config", config])
    said = " ".join(err.split())
    assert code == 2 and "the area kent (Kent) has not been made" in said, err
    assert f"Run 'cyplan server add-area kent --config {config}'" in said and "cyplan init" not in said
    assert folder_bytes(tmp_path) == before


def test_an_ons_code_is_an_area_code_to_add_area_and_server_toml_alike_and_setting_up_needs_no_secret(
        tmp_path: Path) -> None:
    """Catches the trap the page's own example fell into: add-area making E10000014, which server.toml then
    refused (lower case only); and a code one accepts that the other refuses; and migrate/add-area --config
    asking for the client secret, which setting up does not use."""
    from cyplan.auth.config import ConfigError, load
    from cyplan.commands import server as server_commands

    config = tmp_path / "server.toml"
    config.write_text('data_dir = "srv"\npublic_url = "https://plan.council.example"\n[oidc]\ndiscovery_url = '
                      '"https://login.example/.well-known/openid-configuration"\nclient_id = "cyplan"\n'
                      '[[areas]]\ncode = "E10000014"\nname = "Hampshire"\n')
    assert [a.code for a in load(config, env={}, signing_in=False).areas] == ["E10000014"]
    with pytest.raises(ConfigError, match="client_secret is missing"):
        load(config, env={})
    for code in ("E10000014", "wy-icb", "a", "x" * 40, "-a", "_a", "x" * 41, "a b", "..", "a/b"):
        text = config.read_text().replace('"E10000014"', f'"{code}"')
        (tmp_path / "other.toml").write_text(text)
        try:
            load(tmp_path / "other.toml", env={}, signing_in=False)
            in_config = True
        except ConfigError:
            in_config = False
        assert bool(server_commands.CODE.fullmatch(code)) == in_config, code
