"""The files a workspace's data version is read from (web/state.py's WorkspaceState._files, issue 14 part 8).

It was Path.rglob, and is now an os.scandir walk (rglob took about a quarter of a shared-server page's processor
time). The version decides whether kept results are still valid: a walk that missed a data file would keep results
over a change of it; one that counted the cache folder, a log or a database's scratch file would throw the results
away at every paper made or every write. These tests hold the new walk to the old one's answer on made-up trees."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cyplan.reports.kept import CACHE
from cyplan.web.state import TRANSIENT, WorkspaceState


def _by_rglob(path: Path) -> tuple[tuple[str, int, int], ...]:
    """The walk as it was (the reference the new one must agree with)."""
    return tuple((str(p), s.st_mtime_ns, s.st_size) for p in sorted(path.rglob("*"))
                 if p.is_file() and not p.name.endswith(TRANSIENT) and p.relative_to(path).parts[0] != CACHE
                 and (s := p.stat()))


def _files(path: Path) -> tuple[tuple[str, int, int], ...]:
    state = WorkspaceState.__new__(WorkspaceState)  # no workspace needed: the walk reads only the folder
    state.path = path
    return state._files()


# names that sort differently as paths and as strings ("a-b" vs "a/b"), the cache folder's, the scratch suffixes
NAMES = st.sampled_from(["a", "a-b", "b", "a b", CACHE, "x.log", "db-wal", "t.tmp", "data.sqlite", "z"])
TREE = st.lists(st.tuples(st.lists(NAMES, min_size=1, max_size=4), st.sampled_from(["file", "dir", "link"]),
                          st.binary(max_size=5)), max_size=25)


@settings(max_examples=150, deadline=None)
@given(TREE)
def test_the_walk_lists_what_rglob_listed(tree: list[tuple[list[str], str, bytes]]) -> None:
    """Catches a data file left out (a nested folder, a name sorting oddly), a file under the top cache folder or a
    log/scratch file counted, a cache folder lower down skipped, and a folder reached through a link walked (rglob
    lists the link's target files once, where they are)."""
    root = Path(tempfile.mkdtemp(prefix="cyplan-files-"))
    try:
        for parts, kind, content in tree:
            path = root.joinpath(*parts)
            if path.exists() or path.is_symlink() or not _room(path.parent):
                continue
            if kind == "file":
                path.write_bytes(content)
            elif kind == "dir":
                path.mkdir()
            else:  # a link to the first folder or file there is, or a broken one
                target = next((p for p in sorted(root.rglob("*")) if not p.is_symlink() and p != path), root / "gone")
                os.symlink(target, path)
        assert _files(root) == _by_rglob(root)
    finally:
        shutil.rmtree(root)


def _room(folder: Path) -> bool:
    """Make `folder` (a file or link in the way: no room, the entry is skipped)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        return False
    return folder.is_dir() and not folder.is_symlink()


def test_a_changed_file_changes_the_listing_and_the_cache_folder_does_not(tmp_path: Path) -> None:
    """Hand-made case: a data file's new size shows; a paper kept in the cache folder, a log and a -journal do not."""
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "one.arrow").write_bytes(b"12345")
    before = _files(tmp_path)
    assert [(Path(p).name, size) for p, _, size in before] == [("one.arrow", 5)]
    (tmp_path / CACHE).mkdir()
    (tmp_path / CACHE / "paper.pdf").write_bytes(b"%PDF")
    (tmp_path / "cyplan-web.log").write_text("x")
    (tmp_path / "cyplan.sqlite-journal").write_text("x")
    assert _files(tmp_path) == before
    (tmp_path / "records" / "one.arrow").write_bytes(b"123456")
    assert [size for _, _, size in _files(tmp_path)] == [6]
