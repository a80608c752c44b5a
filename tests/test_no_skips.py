"""The suite's rule that no test may skip (tests/no_skips.py), run on a small suite of its own in a child pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent

SUITE = '''
import pytest

def test_passes():
    pass

@pytest.mark.skip(reason="marked to skip")
def test_marked():
    pass

def test_skips_inside():
    pytest.skip("no server here")

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_to_fail():
    assert False
'''


def test_every_kind_of_skip_is_a_failure_that_says_why(tmp_path: Path) -> None:
    """Catches a skip (a marker, pytest.skip in a test, or a module-level importorskip) passing silently."""
    hooks = "from no_skips import pytest_make_collect_report, pytest_runtest_makereport\n"
    (tmp_path / "conftest.py").write_text(f"import sys\nsys.path.insert(0, {str(TESTS)!r})\n{hooks}")
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "test_module.py").write_text("import pytest\npytest.importorskip('no_such_package_here')\n"
                                             "def test_never_collected():\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
                           "--continue-on-collection-errors", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 passed, 1 xfailed, 2 errors" in summary, done.stdout
    assert "no test may skip" in done.stdout
    for reason in ("marked to skip", "no server here", "no_such_package_here"):
        assert reason in done.stdout, reason
