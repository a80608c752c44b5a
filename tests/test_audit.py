"""The audit trail (issue 14 part 5): what is recorded, the hash chain `cyplan audit verify` checks, and the
triggers that refuse changes. The tests taking `backend` (or `demo_on`) run on SQLite and on PostgreSQL
(tests/backends.py); those whose names say SQLite open cyplan.db itself.

Every check reads the trail with sqlite3 or psycopg, not through cyplan, and every hash expected is worked out
here from the fields as stored, with hashlib and json, not by cyplan's own function.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from backends import Backend, Server
from conftest import folder_bytes, write_text
from cyplan import faults, reference
from cyplan.store import audit, tables
from cyplan.store.workspace import DB_FILE, Workspace
from cyplan.web import security
from cyplan.web.app import create_app
from test_web_data import page_token

Run = Callable[[Sequence[str]], tuple[int, str, str]]
ZERO = "0" * 64
REFERRALS = reference.DEMO / "returns" / "referrals.csv"
AREA = next(csv.DictReader((reference.DEMO / "areas.csv").open()))["code"]  # the demo's one area
STAKEHOLDERS = "agency,label,engaged,representative,source\nschool,,yes,Head teacher,s9\nhousing,,no,,s9\n"


def rows(backend: Backend, path: Path, where: str = "") -> list[dict[str, object]]:
    """The audit table's rows, oldest first, read with sqlite3 or psycopg."""
    return backend.query(path, f"SELECT * FROM audit {where} ORDER BY id")


def by_hand(r: dict[str, object]) -> str:
    """An entry's hash as docs/decisions/audit-trail.md defines it, worked out here."""
    fields = [r["prev_hash"], r["at"], r["who"], r["area"], r["action"], r["what"], r["source"]]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def tamper(backend: Backend, path: Path, *sql: str) -> None:
    """Change the database as someone with the file or the server's superuser (not cyplan) could: with the
    triggers that refuse changes dropped (SQLite) or not firing (PostgreSQL's replica mode), edit."""
    database = backend.database(path)
    if database is None:
        with closing(sqlite3.connect(path / DB_FILE)) as db:
            db.execute("DROP TRIGGER audit_no_update")
            db.execute("DROP TRIGGER audit_no_delete")
            for s in sql:
                db.execute(s)
            db.commit()
        return
    with backend.server.connect(database) as conn:  # type: ignore[union-attr]
        conn.execute("SET session_replication_role = replica")
        for s in sql:
            conn.execute(s)


def test_one_hash_worked_by_hand() -> None:
    """Catches a hash over other fields, in another order, or joined so that field boundaries can shift: the
    encoding is written out here character by character."""
    entry = {"prev_hash": ZERO, "at": "2026-04-01T09:30:00.000000+00:00", "who": "ann", "area": None,
             "action": "import", "what": '{"file":"areas.csv","rows":2}', "source": "cli"}
    text = ('["' + ZERO + '","2026-04-01T09:30:00.000000+00:00","ann",null,"import",'
            '"{\\"file\\":\\"areas.csv\\",\\"rows\\":2}","cli"]')
    assert audit.entry_hash(entry) == hashlib.sha256(text.encode()).hexdigest()
    assert audit.entry_hash({**entry, "who": "bob"}) != audit.entry_hash(entry)
    assert audit.entry_hash({**entry, "area": ""}) != audit.entry_hash(entry)  # null and blank told apart


def test_imports_exports_scenarios_and_papers_chain_and_verify(backend: Backend, demo_on: Path, tmp_path: Path,
                                                               run_cli: Run) -> None:
    """Catches an action not recorded, a file's SHA-256 or rows recorded wrong, a broken link in the chain, and
    `audit verify` miscounting; the demo's own imports come first."""
    ws = demo_on
    held = len(rows(backend, ws))
    assert held > 30 and rows(backend, ws)[0]["prev_hash"] == ZERO  # the demo's imports, the first chained to zeros
    file = write_text(tmp_path / "stake.csv", STAKEHOLDERS)
    steps = [["import", "stakeholders", file], ["export", "areas", tmp_path / "areas.csv"],
             ["returns", "import", REFERRALS, "--today", "2026-03-31"],
             ["gap", "--scenario", "retention", "--draws", "10", "-f", "csv"],
             ["returns", "tables", "-o", tmp_path / "tables"],
             ["returns", "tables", "-o", tmp_path / "pub", "--publish"],
             ["report", "--draws", "10", "-o", tmp_path / "paper.html"]]
    for args in steps:
        code, _, err = run_cli([*args, "-w", ws])
        assert code == 0, err
    new = rows(backend, ws)[held:]
    # published tables are not audited: they are what disclosure control lets out
    assert [r["action"] for r in new] == ["import", "export", "import", "scenario", "export", "report"]
    imported = json.loads(new[0]["what"])  # type: ignore[arg-type]
    assert imported == {"kind": "stakeholders", "file": str(file), "sheet": None, "mode": "replace", "rows": 2,
                        "sha256": hashlib.sha256(STAKEHOLDERS.encode()).hexdigest()}
    exported = json.loads(new[1]["what"])  # type: ignore[arg-type]
    assert exported["files"] == [{"file": str(tmp_path / "areas.csv"),
                                  "sha256": hashlib.sha256((tmp_path / "areas.csv").read_bytes()).hexdigest()}]
    referrals = json.loads(new[2]["what"])  # type: ignore[arg-type]
    assert referrals["sha256"] == hashlib.sha256(REFERRALS.read_bytes()).hexdigest()
    assert referrals["rows"] == len(REFERRALS.read_text().splitlines()) - 1
    assert json.loads(new[3]["what"])["scenario"] == "retention"  # type: ignore[arg-type]
    assert json.loads(new[4]["what"])["published"] is False  # type: ignore[arg-type]
    assert new[5]["area"] == AREA  # the paper's area
    assert json.loads(new[5]["what"])["files"][0]["sha256"] == hashlib.sha256(  # type: ignore[arg-type]
        (tmp_path / "paper.html").read_bytes()).hexdigest()
    every = rows(backend, ws)
    for before, r in zip([{"hash": ZERO}, *every], every, strict=False):
        assert r["prev_hash"] == before["hash"] and r["hash"] == by_hand(r) and r["source"] == "cli"
    code, out, err = run_cli(["audit", "verify", "-w", ws])
    assert code == 0, err
    assert out.startswith(f"{len(every)} entries, chain intact; latest hash {every[-1]['hash']}")


def test_an_edited_entry_is_named(backend: Backend, demo_on: Path, run_cli: Run) -> None:
    """Catches a verify that checks only the links (an entry's rows changed, its hash left) or stops early."""
    tamper(backend, demo_on, """UPDATE audit SET what = replace(what, '"rows":', '"rows":9') WHERE id = 5""")
    code, out, err = run_cli(["audit", "verify", "-w", demo_on])
    assert code == 1 and "chain intact" not in out
    assert "broken at entry 5: its hash does not match its contents: the entry has been edited" in " ".join(err.split())


def test_an_edited_entry_given_a_new_hash_breaks_the_next_link(backend: Backend, demo_on: Path, run_cli: Run) -> None:
    """Catches a verify that trusts each entry's own hash: the edit is rehashed, so the next entry is named."""
    r = rows(backend, demo_on, "WHERE id = 5")[0]
    r["who"] = "mallory"
    tamper(backend, demo_on, f"UPDATE audit SET who = 'mallory', hash = '{by_hand(r)}' WHERE id = 5")
    code, _, err = run_cli(["audit", "verify", "-w", demo_on])
    assert code == 1
    assert "broken at entry 6: its prev_hash is not the hash of the entry before it" in " ".join(err.split())


def test_a_deleted_entry_is_named(backend: Backend, demo_on: Path, run_cli: Run) -> None:
    """Catches a verify that does not follow prev_hash: entry 3 gone, entry 4 is named."""
    tamper(backend, demo_on, "DELETE FROM audit WHERE id = 3")
    code, _, err = run_cli(["audit", "verify", "-w", demo_on])
    assert code == 1
    message = " ".join(err.split())
    assert "broken at entry 4" in message and "deleted, or the entries reordered" in message


def test_sqlite_refuses_update_and_delete(demo_workspace: Path) -> None:
    """Catches triggers missing or wrong on SQLite: through sqlite3 itself, not cyplan."""
    before = folder_bytes(demo_workspace)
    with closing(sqlite3.connect(demo_workspace / DB_FILE)) as db:
        for sql in ("UPDATE audit SET who = 'x' WHERE id = 1", "DELETE FROM audit WHERE id = 1", "DELETE FROM audit"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(sql)
        db.rollback()
    assert folder_bytes(demo_workspace) == before


def test_a_refused_import_writes_no_entry(backend: Backend, demo_on: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches an entry written before the checks, or outside the import's transaction: a file refused, and an
    import failing after its rows and log were written (before commit), leave the workspace byte-for-byte."""
    before = backend.state(demo_on)
    bad = write_text(tmp_path / "areas.csv", "code,name,kind,parent,source\nE1,,planet,,x\n")
    code, _, _ = run_cli(["import", "areas", bad, "-w", demo_on])
    assert code == 2 and backend.state(demo_on) == before

    def fail(_: str) -> None:
        raise RuntimeError("the disk went away")

    good = write_text(tmp_path / "stake.csv", STAKEHOLDERS)
    from cyplan.transfer import Source, import_inputs

    with faults.inject("inputs-logged", fail), closing(Workspace.open(demo_on)) as ws, \
            pytest.raises(RuntimeError):
        import_inputs(ws, [Source("stakeholders", good)])
    assert backend.state(demo_on) == before


def test_list_filters_and_csv(backend: Backend, demo_on: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches --action or --since ignored, and a CSV without the hashes an outside check needs."""
    code, _, err = run_cli(["export", "areas", tmp_path / "a.csv", "-w", demo_on])
    assert code == 0, err
    code, out, _ = run_cli(["audit", "list", "--action", "export", "--format", "csv", "-w", demo_on])
    listed = list(csv.DictReader(io.StringIO(out)))
    assert [r["action"] for r in listed] == ["export"] and listed[0]["hash"] == rows(backend, demo_on)[-1]["hash"]
    assert listed[0]["hash"] == by_hand({**listed[0], "area": listed[0]["area"] or None})
    code, out, _ = run_cli(["audit", "list", "--since", "2999-01-01", "--format", "csv", "-w", demo_on])
    assert code == 0 and len(list(csv.DictReader(io.StringIO(out)))) == 0
    code, _, err = run_cli(["audit", "list", "--since", "last week", "-w", demo_on])
    assert code == 2 and "--since 'last week' is not a date" in err


@pytest.fixture
def client(demo_on: Path) -> Iterator[TestClient]:
    app = create_app(demo_on)
    with TestClient(app, base_url="http://localhost") as c:
        yield c
    app.state.workspace.close()


def test_web_downloads_of_unpublished_tables_are_recorded_and_keep_the_results(backend: Backend, client: TestClient,
                                                                                demo_on: Path,
                                                                                run_cli: Run) -> None:
    """Catches a download of unpublished figures not recorded, a published one recorded, the client's address
    missing, and an entry (which is not data) throwing away the results the app keeps."""
    code, _, err = run_cli(["returns", "import", REFERRALS, "--today", "2026-03-31", "-w", demo_on])
    assert code == 0, err
    st = client.app.state.workspace  # type: ignore[attr-defined]
    made: list[int] = []
    st.cached(("probe",), lambda: made.append(1))
    held = len(rows(backend, demo_on))
    assert client.get("/data/inputs/areas.csv").status_code == 200
    assert client.get("/data/results/returns-unpublished-summary.csv").status_code == 200
    assert client.get("/data/results/returns-published-summary.csv").status_code == 200
    new = rows(backend, demo_on)[held:]
    assert [(r["action"], json.loads(r["what"]).get("table") or json.loads(r["what"])["inputs"])  # type: ignore
            for r in new] == [("download", ["areas"]), ("download", "returns-unpublished-summary")]
    assert {r["source"] for r in new} == {"web testclient"}
    st.cached(("probe",), lambda: made.append(1))
    assert made == [1]


def test_a_web_upload_is_recorded_with_its_own_name_and_the_clients_address(backend: Backend, client: TestClient,
                                                                            demo_on: Path) -> None:
    """Catches a web import recorded as 'cli', or under the server's temporary copy's name."""
    token = page_token(client)
    r = client.post("/data/upload", data={"kind": "stakeholders", "mode": "replace", security.CSRF_FIELD: token},
                    files={"file": ("my stakeholders.csv", STAKEHOLDERS.encode())})
    assert r.status_code == 200
    last = rows(backend, demo_on)[-1]
    assert (last["action"], last["source"]) == ("import", "web testclient")
    assert json.loads(last["what"])["file"] == "my stakeholders.csv"  # type: ignore[arg-type]
    assert json.loads(last["what"])["sha256"] == hashlib.sha256(STAKEHOLDERS.encode()).hexdigest()  # type: ignore


# -- probe 3: F9, F12, F18, F19 -----------------------------------------------------------------------


def test_an_unknown_action_is_refused_naming_every_action(backend: Backend, demo_on: Path, run_cli: Run) -> None:
    """Catches a typo ('imports') read as "no entries of that action" (exit 0, as if nobody imported anything),
    and an action in capitals not taken."""
    before = backend.state(demo_on)
    code, out, err = run_cli(["audit", "list", "--action", "imports", "-w", demo_on])
    assert code == 2 and out == "" and "No entries" not in err
    assert ("--action 'imports' is not an action: the actions are import, restore, export, download, view, "
            "scenario, report") in " ".join(err.split())
    assert backend.state(demo_on) == before
    code, out, _ = run_cli(["audit", "list", "--action", " Import", "--format", "csv", "-w", demo_on])
    listed = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(listed) == len(rows(backend, demo_on, "WHERE action = 'import'")) > 30
    assert {r["action"] for r in listed} == {"import"}


def test_a_wiped_trail_fails_verify_naming_an_import_and_status_and_imports_warn(
        backend: Backend, demo_on: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches probe 3's F9: every entry deleted verified as "0 entries, chain intact" on a workspace of 33 imports,
    and imports going on after it without a word."""
    first = rows(backend, demo_on)[0]
    tamper(backend, demo_on, "DELETE FROM audit")
    code, out, err = run_cli(["audit", "verify", "-w", demo_on])
    said = " ".join(err.split())
    assert code == 1 and "chain intact" not in out
    kind = json.loads(first["what"])["kind"]  # type: ignore[arg-type]
    assert f"the audit trail is missing entries: the import of {kind} from " in said
    logged = backend.query(demo_on, "SELECT count(*) AS n FROM import_log")[0]["n"]
    assert f"(and {logged - 1} other imports) is in the import log but has no entry in the trail" in said
    code, _, err = run_cli(["status", "-w", demo_on])
    assert code == 0 and "Warning: the audit trail is broken" in err and "entries have been deleted" in err
    code, _, err = run_cli(["import", "stakeholders", write_text(tmp_path / "s.csv", STAKEHOLDERS),
                            "-w", demo_on])  # the trail's one entry is now this import's, intact in itself
    assert code == 0 and "Warning: the audit trail is broken" in err
    assert run_cli(["audit", "verify", "-w", demo_on])[0] == 1


def test_the_last_import_entry_deleted_is_found(backend: Backend, demo_on: Path, tmp_path: Path,
                                                run_cli: Run) -> None:
    """Catches the chain's blind spot (entries removed from the end verify) left open for imports: the import log
    still holds the import."""
    code, _, err = run_cli(["import", "stakeholders", write_text(tmp_path / "mine.csv", STAKEHOLDERS),
                            "-w", demo_on])
    assert code == 0 and "audit trail" not in err
    tamper(backend, demo_on, "DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)")
    code, _, err = run_cli(["audit", "verify", "-w", demo_on])
    assert code == 1
    assert f"the import of stakeholders from {tmp_path / 'mine.csv'} at " in " ".join(err.split())


def test_imports_from_before_the_trail_began_are_not_missing(backend: Backend, demo_on: Path, run_cli: Run) -> None:
    """Catches a verify that fails every workspace upgraded from before the audit trail (its old imports have no
    entries, rightly): only imports since `audit_began` are matched."""
    began = backend.query(demo_on, "SELECT value FROM workspace_info WHERE key = 'audit_began'")[0]["value"]
    first_import = backend.query(demo_on, "SELECT min(imported_at) AS first FROM import_log")[0]["first"]
    assert began <= first_import[:19]  # a new workspace's trail began before its first import
    tamper(backend, demo_on, "DELETE FROM audit", "UPDATE workspace_info SET value = '2999-01-01T00:00:00' "
                                                  "WHERE key = 'audit_began'")
    code, out, err = run_cli(["audit", "verify", "-w", demo_on])
    assert code == 0, err
    assert out.startswith("0 entries, chain intact")


def test_an_edited_latest_entry_warns_on_the_next_import(backend: Backend, demo_on: Path, tmp_path: Path,
                                                         run_cli: Run) -> None:
    """Catches an import that carries on silently on a trail whose latest entry has been edited."""
    tamper(backend, demo_on, "UPDATE audit SET who = 'mallory' WHERE id = (SELECT max(id) FROM audit)")
    last = rows(backend, demo_on)[-1]["id"]
    code, _, err = run_cli(["import", "stakeholders", write_text(tmp_path / "s.csv", STAKEHOLDERS),
                            "-w", demo_on])
    assert code == 0
    assert f"the audit trail is broken: its latest entry ({last}) does not match its hash" in " ".join(err.split())


def test_equality_out_is_marked_and_audited_but_the_screen_is_not(backend: Backend, demo_on: Path, tmp_path: Path,
                                                                   run_cli: Run) -> None:
    """Catches probe 3's F19: `returns equality --out` wrote unrounded counts unmarked and unaudited. The file keeps
    the columns the screen shows (same names, same order) and ends in for_publication = false on every row."""
    code, _, err = run_cli(["returns", "import", REFERRALS, "--today", "2026-03-31", "-w", demo_on])
    assert code == 0, err
    held = len(rows(backend, demo_on))
    code, shown, _ = run_cli(["returns", "equality", "--by", "age", "-w", demo_on])  # on screen: not an export
    assert code == 0 and "Accepted referrals" in shown and len(rows(backend, demo_on)) == held
    out_file = tmp_path / "eq.csv"
    code, _, err = run_cli(["returns", "equality", "--by", "age", "--format", "csv", "--out", out_file,
                            "-w", demo_on])
    assert code == 0, err
    assert "not for publication" in " ".join(err.split())
    table = list(csv.DictReader(out_file.open()))
    header = out_file.read_text().splitlines()[0].split(",")
    assert header[:3] == ["area", "year", "category"] and header[-1] == "for_publication" and "referrals" in header
    assert table and {r["for_publication"] for r in table} == {"false"}
    new = rows(backend, demo_on)[held:]
    assert [r["action"] for r in new] == ["export"]
    what = json.loads(new[0]["what"])  # type: ignore[arg-type]
    assert what["returns_equality"] == "age" and what["published"] is False and what["format"] == "csv"
    assert what["files"] == [{"file": str(out_file), "sha256": hashlib.sha256(out_file.read_bytes()).hexdigest()}]


def test_web_api_reads_of_unpublished_counts_and_inputs_are_recorded(backend: Backend, client: TestClient,
                                                                     demo_on: Path, run_cli: Run) -> None:
    """Catches probe 3's F12: the JSON API served unrounded referral counts and inputs with no entry (the file
    downloads had one). Published counts are not recorded; each API read of unpublished ones is."""
    code, _, err = run_cli(["returns", "import", REFERRALS, "--today", "2026-03-31", "-w", demo_on])
    assert code == 0, err
    held = len(rows(backend, demo_on))
    for url in ("/api/returns", "/api/returns/equality?by=age", "/api/returns/tables/summary"):
        assert client.get(url).status_code == 200
    assert len(rows(backend, demo_on)) == held  # published: not recorded
    taken = ["/api/returns?counts=unpublished", "/api/returns/equality?by=age&counts=unpublished",
             "/api/returns/tables/summary?counts=unpublished", "/api/inputs/workforce", "/api/inputs/workforce"]
    for url in taken:
        assert client.get(url).status_code == 200, url
    new = rows(backend, demo_on)[held:]
    assert [r["action"] for r in new] == ["download"] * 5 and {r["source"] for r in new} == {"web testclient"}
    whats = [json.loads(r["what"]) for r in new]  # type: ignore[arg-type]
    assert [w["api"] for w in whats] == ["/api/returns", "/api/returns/equality", "/api/returns/tables",
                                         "/api/inputs/workforce", "/api/inputs/workforce"]
    assert all(w["published"] is False for w in whats[:3]) and whats[1]["by"] == "age" and new[1]["area"] == AREA
    assert whats[3]["inputs"] == ["workforce"]


def test_the_returns_page_with_unpublished_counts_is_recorded_once_per_choice_until_the_data_change(
        backend: Backend, client: TestClient, demo_on: Path, tmp_path: Path, run_cli: Run) -> None:
    """Catches the page showing unrounded counts unrecorded, and a trail flooded by reloads: one 'view' entry per
    area and field while the data are the same, none for the published page, and again after an import."""
    code, _, err = run_cli(["returns", "import", REFERRALS, "--today", "2026-03-31", "-w", demo_on])
    assert code == 0, err
    held = len(rows(backend, demo_on))
    assert client.get("/returns").status_code == 200
    assert len(rows(backend, demo_on)) == held
    for url in ("/returns?counts=unpublished", "/returns?counts=unpublished", "/returns?counts=unpublished&by=age",
                "/returns?counts=unpublished&by=age"):
        assert client.get(url).status_code == 200
    new = rows(backend, demo_on)[held:]
    assert [(r["action"], json.loads(r["what"])["by"], r["area"]) for r in new] == [  # type: ignore[arg-type]
        ("view", "gender", AREA), ("view", "age", AREA)]
    code, _, err = run_cli(["import", "stakeholders", write_text(tmp_path / "s.csv", STAKEHOLDERS),
                            "-w", demo_on])
    assert code == 0, err
    assert client.get("/returns?counts=unpublished").status_code == 200
    assert [r["action"] for r in rows(backend, demo_on)[held + 2:]] == ["import", "view"]


# -- PostgreSQL --------------------------------------------------------------------------------------------


def test_postgresql_refuses_update_delete_and_truncate_and_verifies(server: Server, tmp_path: Path,
                                                                    run_cli: Run,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches the triggers missing on PostgreSQL (the migration creating them only on SQLite), and a chain that
    does not verify there: the refusals are asked of the server itself, through psycopg."""
    database = server.new_database()
    ws = Workspace.create(tmp_path / "pg", server.url(database))
    from cyplan.transfer import Source, import_inputs

    import_inputs(ws, [Source("areas", reference.DEMO / "areas.csv")])
    audit.append(ws.engine, "export", {"inputs": ["areas"]})
    ws.close()
    with server.connect(database) as conn:
        for sql in ("UPDATE audit SET who = 'x'", "DELETE FROM audit", "TRUNCATE audit"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(sql)
    stored = server.rows(database, "SELECT prev_hash, at, who, area, action, what, source, hash FROM audit ORDER BY id")
    assert [r[4] for r in stored] == ["import", "export"]
    keys = ("prev_hash", "at", "who", "area", "action", "what", "source")
    assert stored[0][0] == ZERO and stored[1][0] == stored[0][7]
    assert all(by_hand(dict(zip(keys, r[:7], strict=True))) == r[7] for r in stored)
    monkeypatch.setenv("CYPLAN_DATABASE_URL", server.url(database))
    code, out, err = run_cli(["audit", "verify", "-w", tmp_path / "pg"])
    assert code == 0, err
    assert out.startswith("2 entries, chain intact")


# -- the chain's invariants, for any entries ---------------------------------------------------------------

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
whats = st.dictionaries(texts, st.none() | st.integers() | texts, max_size=4)
entries = st.lists(st.tuples(texts, st.none() | texts, texts, whats), min_size=2, max_size=6)


def chain(made: list[tuple[str, str | None, str, dict[str, object]]]) -> list[dict[str, object]]:
    """The entries appended through store.audit to a new in-memory database, read back as stored."""
    engine = sa.create_engine("sqlite://")
    tables.metadata.create_all(engine, tables=[tables.audit])
    with engine.begin() as conn:
        for who, area, action, what in made:
            audit.append(conn, action, what, area, who or "-")
        return audit.read(conn)


@settings(max_examples=40, deadline=None)
@given(entries, st.data())
def test_any_chain_verifies_and_any_edit_or_deletion_is_found_where_it_is(
        made: list[tuple[str, str | None, str, dict[str, object]]], data: st.DataObject) -> None:
    """Catches a hash that leaves out a field (an edit to it would pass), text that escapes the encoding (unicode,
    quotes, a null area told from a blank one), and a verify naming the wrong entry."""
    stored = chain(made)
    assert all(r["hash"] == by_hand(r) for r in stored)  # the rule written out in this file, not cyplan's
    assert audit.verify(stored) is None
    i = data.draw(st.integers(0, len(stored) - 1))
    field = data.draw(st.sampled_from(["at", "who", "area", "action", "what", "source", "hash"]))
    edited = [dict(r) for r in stored]
    edited[i][field] = "" if edited[i][field] is None else None if field == "area" else f"{edited[i][field]}x"
    broken = audit.verify(edited)
    assert broken is not None and broken.id == stored[i]["id"] and "edited" in broken.reason
    j = data.draw(st.integers(0, len(stored) - 2))  # the last entry removed leaves a shorter, whole chain
    broken = audit.verify(stored[:j] + stored[j + 1:])
    assert broken is not None and broken.id == stored[j + 1]["id"] and "deleted" in broken.reason


def test_a_writer_that_chained_to_an_entry_already_followed_chains_again_on_sqlite(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Catches a fork in the chain: another process appends between this one reading the last hash and writing
    its entry. The unique prev_hash refuses the second link to the same entry, and the entry is chained again to
    the other's; without either, two entries would follow one and verify would fail. SQLite only: on PostgreSQL
    an append locks the table first, so the other writer waits instead of interleaving (and here would hang)."""
    ws = Workspace.create(tmp_path / "ws")
    other = sa.create_engine(ws.url)
    real = audit.entry_hash
    interleaved: list[str] = []

    def meanwhile(entry: dict[str, object]) -> str:
        if not interleaved:  # once: the other writer's entry lands first
            interleaved.append("")
            monkeypatch.setattr(audit, "entry_hash", real)  # the other writer hashes as usual
            interleaved[0] = audit.append(other, "export", {"by": "the other process"})
        return real(entry)

    monkeypatch.setattr(audit, "entry_hash", meanwhile)
    ours = audit.append(ws.engine, "download", {"by": "this process"})
    monkeypatch.undo()
    stored = rows(Backend("sqlite"), tmp_path / "ws")
    assert [r["hash"] for r in stored][-2:] == [interleaved[0], ours]
    assert stored[-1]["prev_hash"] == interleaved[0] and audit.verify(stored) is None
    with closing(sqlite3.connect(tmp_path / "ws" / DB_FILE)) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO audit (at, who, action, what, source, prev_hash, hash) "
                   "VALUES ('t', 'w', 'a', '{}', 'cli', ?, 'h')", (stored[0]["prev_hash"],))
    other.dispose()
    ws.close()
