"""scripts/system_deps.sh, run against stand-ins for dpkg-query and apt-get that record what they are asked: which
Debian packages `make test` installs on a fresh machine, and that a second run changes nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).parents[1] / "scripts" / "system_deps.sh"
BASE = ["chromium-headless-shell", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"]
FOR_TESTS = ["chromium", "poppler-utils", "postgresql", "libreoffice-writer-nogui", "wrk"]

STUBS = {
    # installed if named in $INSTALLED; dpkg-query's last argument is the package
    "dpkg-query": 'for p in $INSTALLED; do [ "$p" = "${@: -1}" ] && { echo "install ok installed"; exit 0; }; done\n'
                  "exit 1\n",
    "apt-get": 'echo "apt-get $*" >> "$LOG"\n',
    "id": "echo 0\n",  # as root, as in CI: no sudo
}


def run(tmp_path: Path, installed: list[str], *args: str) -> tuple[int, list[str]]:
    bin_ = tmp_path / "bin"
    bin_.mkdir(exist_ok=True)
    for name, body in STUBS.items():
        (bin_ / name).write_text("#!/usr/bin/env bash\n" + body)
        (bin_ / name).chmod(0o755)
    log = tmp_path / "log"
    log.write_text("")
    env = {**os.environ, "PATH": f"{bin_}:{os.environ['PATH']}", "INSTALLED": " ".join(installed), "LOG": str(log)}
    done = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)
    return done.returncode, log.read_text().splitlines()


def test_on_a_fresh_machine_make_test_installs_postgresql_after_an_update(tmp_path: Path) -> None:
    """Catches PostgreSQL's server left out of `make test` (the PostgreSQL tests would then fail in CI), and an
    install without the package lists updated first (a fresh Debian image has none)."""
    code, calls = run(tmp_path, BASE, "--test")
    assert code == 0
    assert calls[0] == "apt-get update -qq"
    assert calls[1].startswith("apt-get install ") and calls[1].split()[-len(FOR_TESTS):] == FOR_TESTS
    assert len(calls) == 2


def test_with_everything_installed_it_asks_for_nothing(tmp_path: Path) -> None:
    """Catches a script that updates or reinstalls every time `make test` runs."""
    assert run(tmp_path, BASE + FOR_TESTS, "--test") == (0, [])


def test_make_demo_does_not_install_the_test_packages(tmp_path: Path) -> None:
    """Catches the test-only packages (a database server, a browser) installed for the demo."""
    assert run(tmp_path, BASE) == (0, [])


def test_the_demo_on_a_fresh_machine_installs_the_pdf_printer(tmp_path: Path) -> None:
    """Catches the headless Chromium that prints the PDF board paper (decision 0020) left out of `make demo`: the
    PDF would then fall back to the slower WeasyPrint on every fresh machine, silently."""
    code, calls = run(tmp_path, [])
    assert code == 0 and calls[0] == "apt-get update -qq"
    assert calls[1].split()[-len(BASE):] == BASE and "chromium-headless-shell" in calls[1].split()
