"""Issue 18.6, the data folder itself fails: a full disk says the disk is full, names the
folder, loses nothing (the next run completes with no duplicate) and prints no "--- Logging
error ---" traceback; a read-only data home names the folder and the problem, even for
`profile list`, and never points at a log it could not write.

Each fault is tried for real where the machine allows it (a size-limited tmpfs mounted by
root; root with its override capabilities dropped by `setpriv`, so file permissions apply as
they do to a shop owner's account) and by injection everywhere."""
from __future__ import annotations

import os
import shutil
from contextlib import closing
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app.cli import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from app.sync.ledger import Ledger

REPO = Path(__file__).resolve().parents[2]
SAMPLE_TOTAL = 326          # records of the Sapo sample shop (seed 1)


def _counts(database: Path) -> dict[str, int]:
    with closing(sqlite3.connect(database)) as db:
        return dict(db.execute("SELECT entity, count(*) FROM catalog_item GROUP BY entity"))


def _links_unique(database: Path) -> bool:
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute("SELECT entity, pos_id, count(*) FROM link GROUP BY entity, pos_id "
                          "HAVING count(*) > 1").fetchall()
    return rows == []


# ------------------------------------------------------------------------------------------
# Disk full
# ------------------------------------------------------------------------------------------

def test_disk_full_mid_run_says_so_names_the_folder_and_loses_nothing(shopsync, home,
                                                                     monkeypatch):
    """Injected: SQLite's own SQLITE_FULL on the third page's commit, and the log file's
    ENOSPC on every line written after it."""
    import logging
    from app.logs import LogFileHandler
    assert shopsync("profile", "add", "demo", "--platform", "sapo", "--set", "sandbox=on")[0] == 0
    real_add = Ledger.add_results
    pages = {"n": 0}
    full = {"on": False}

    def add_results(self, rows):
        pages["n"] += 1
        if pages["n"] >= 3:
            full["on"] = True
            raise sqlite3.OperationalError("database or disk is full")
        return real_add(self, rows)

    real_emit = logging.FileHandler.emit

    def emit(self, record):
        if full["on"]:
            try:
                raise OSError(28, "No space left on device")
            except OSError:
                self.handleError(record)
            return
        return real_emit(self, record)
    monkeypatch.setattr(Ledger, "add_results", add_results)
    monkeypatch.setattr(LogFileHandler, "emit", emit)
    code, out, err = shopsync("--lang", "en", "sync", "demo")
    assert code == EXIT_INTERRUPTED, out + err
    said = out + err
    assert "disk" in said and "is full" in said and str(home.home) in said
    assert "Logging error" not in said and "Traceback" not in said
    assert "Unexpected" not in said
    monkeypatch.setattr(Ledger, "add_results", real_add)
    monkeypatch.setattr(LogFileHandler, "emit", real_emit)
    full["on"] = False
    code, out, err = shopsync("--lang", "en", "sync", "demo")
    assert code == EXIT_OK, out + err
    assert sum(_counts(home.database).values()) == SAMPLE_TOTAL     # nothing lost, no copy
    assert _links_unique(home.database)


def _can_mount_tmpfs() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs root to mount a small tmpfs")
def test_disk_full_for_real_on_a_small_tmpfs(tmp_path):
    disk = tmp_path / "small-disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("mount refused (no CAP_SYS_ADMIN in this container)")
    try:
        home = disk / "home"
        env = {**os.environ, "SHOPSYNC_KEYRING": "memory", "PYTHONPATH": str(REPO)}

        def shopsync(*argv):
            return subprocess.run([sys.executable, "-m", "app.cli", "--home", str(home),
                                   "--lang", "en", *argv], capture_output=True, text=True,
                                  env=env, cwd=REPO, timeout=120)
        assert shopsync("profile", "add", "demo", "--platform", "sapo",
                        "--set", "sandbox=on").returncode == 0
        free = shutil.disk_usage(disk).free
        filler = disk / "filler"
        filler.write_bytes(b"\0" * max(0, free - 380 * 1024))    # a first page fits, not all
        done = shopsync("sync", "demo")
        said = done.stdout + done.stderr
        assert done.returncode == EXIT_INTERRUPTED, said
        assert "is full" in said and str(home) in said
        assert "Logging error" not in said and "Traceback" not in said
        filler.unlink()
        again = shopsync("sync", "demo")
        assert again.returncode == EXIT_OK, again.stdout + again.stderr
        assert sum(_counts(home / "shopsync.db").values()) == SAMPLE_TOTAL
        assert _links_unique(home / "shopsync.db")
    finally:
        unmounted = subprocess.run(["umount", str(disk)], capture_output=True)
    assert unmounted.returncode == 0, unmounted.stderr


# ------------------------------------------------------------------------------------------
# Read-only data home
# ------------------------------------------------------------------------------------------

NO_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner",
               "--inh-caps", "-dac_override,-dac_read_search,-fowner"]


def _can_drop_caps() -> bool:
    if not (hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("setpriv")):
        return False
    probe = subprocess.run([*NO_OVERRIDE, "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_drop_caps(), reason="needs root and setpriv to drop capabilities")
@pytest.mark.parametrize("command", [("profile", "list"), ("sync", "demo"), ("results",)])
def test_read_only_home_names_the_folder_and_the_problem(tmp_path, command):
    home = tmp_path / f"home-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "SHOPSYNC_KEYRING": "memory", "PYTHONPATH": str(REPO)}

    def shopsync(*argv, as_user=False):
        prefix = NO_OVERRIDE if as_user else []
        return subprocess.run([*prefix, sys.executable, "-m", "app.cli", "--home", str(home),
                               "--lang", "en", *argv], capture_output=True, text=True,
                              env=env, cwd=REPO, timeout=120)
    assert shopsync("profile", "add", "demo", "--platform", "sapo",
                    "--set", "sandbox=on").returncode == 0
    for path in [home, *home.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        done = shopsync(*command, as_user=True)
    finally:
        for path in [home, *home.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
    said = done.stdout + done.stderr
    assert done.returncode == EXIT_USAGE, said
    assert str(home) in said and "read-only" in said
    assert "Traceback" not in said and "Logging error" not in said
    assert "See the log" not in said


@pytest.mark.skipif(not _can_drop_caps(), reason="needs root and setpriv to drop capabilities")
def test_a_data_home_that_cannot_be_created_is_named(tmp_path):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    env = {**os.environ, "SHOPSYNC_KEYRING": "memory", "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run([*NO_OVERRIDE, sys.executable, "-m", "app.cli", "--home",
                               str(parent / "home"), "--lang", "en", "profile", "list"],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    finally:
        parent.chmod(0o755)
    assert done.returncode == EXIT_USAGE
    assert str(parent / "home") in done.stderr and "Traceback" not in done.stderr


def test_read_only_home_injected_eacces_names_the_folder(shopsync, home, monkeypatch):
    """Injected (any machine): the database refuses to open as SQLite does on a read-only
    folder, and the log cannot be written either."""
    import app.store.connection as connection
    from app.store.errors import DatabaseUnavailable

    def refuse(*args, **kwargs):
        raise DatabaseUnavailable(home.database, "attempt to write a readonly database")
    monkeypatch.setattr(connection, "open_store", refuse)
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False)
    code, out, err = shopsync("--lang", "en", "profile", "list")
    assert code == EXIT_USAGE
    assert str(home.home) in err and "read-only" in err and "See the log" not in err
