"""Opening the local database: owner-only file, WAL, damage check, migrations.

One `SqliteDatabase` object serves the whole process; peewee gives each thread its own
connection, so the UI thread reads while a sync worker writes (WAL lets readers see the last
committed state without waiting). A worker thread calls `db.close()` when it finishes.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import peewee as pw

from app.config import Paths
from app.store.errors import DamagedDatabase, DatabaseUnavailable
from app.store.backups import newest_good_backup, take_daily_copy
from app.store.migrations import MIGRATIONS, MigrationRegistry, run_migrations
from app.store.models import database_proxy

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": "normal",  # with WAL: durable at checkpoints, never corrupt on power loss
    # A 100k first pull touches far more pages than the 2 MB default cache holds; 32 MB keeps
    # the indexes it writes in memory (well inside the 500 MB budget).
    "cache_size": -32000,
    "temp_store": "memory",
    # Copy the WAL into the file every 40 MB instead of 4 MB: a page written by many commits
    # (an index leaf) is copied once per checkpoint, and a 100k pull's checkpoints were
    # half of its commit time. Readers and crash recovery are unaffected.
    "wal_autocheckpoint": 10000,
}


def _create_private(path: Path) -> None:
    """Create an empty file readable by its owner only (it holds the shop's customers)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = os.umask(0o077)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    finally:
        os.umask(old)


def _make_private(path: Path) -> None:
    if os.name == "nt":  # ACLs of the per-user data folder already keep other users out
        return
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if candidate.exists():
            candidate.chmod(0o600)


_DAMAGE_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_DAMAGE_WORDS = ("not a database", "malformed", "quick_check", "corrupt")


def _is_damage(exc: BaseException) -> bool:
    """True when SQLite says the file itself is broken (not merely busy or unreadable)."""
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "sqlite_errorcode", None) in _DAMAGE_CODES:
            return True
        if any(word in str(seen).lower() for word in _DAMAGE_WORDS):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def open_store(path: Path | str | Paths, backups: Path | None = None, *,
               registry: MigrationRegistry = MIGRATIONS,
               check: bool = True, busy_timeout: float = 5.0,
               daily_copy: bool = True) -> pw.SqliteDatabase:
    """Open (creating if needed) and migrate the database; binds `database_proxy` to it.

    Raises DamagedDatabase when the file is broken (an empty, 0-byte file included: a real
    database never is), naming the newest good backup, and DatabaseUnavailable when it is
    only locked or not accessible. `backups` defaults to a `backups` folder beside the file.
    `busy_timeout` (seconds) is how long a writer waits for another one before giving up.
    With `daily_copy`, the first open of a day copies a database that holds connections to
    `backups` (app/store/backups.py).
    """
    if isinstance(path, Paths):
        backups = backups or path.backups
        path = path.database
    path = Path(path)
    backups = backups or path.parent / "backups"
    if path.is_file() and path.stat().st_size == 0:
        # Creating the tables again here would present an empty shop as if nothing happened.
        raise DamagedDatabase(path, newest_good_backup(backups, path.stem),
                              "empty file (0 bytes)")
    _create_private(path)
    _make_private(path)
    # IMMEDIATE: a transaction takes the write lock when it begins, so two writers (UI and
    # sync worker) queue for up to busy_timeout instead of failing when a read turns into a
    # write. Plain reads need no transaction and are never blocked (WAL).
    pragmas = {**PRAGMAS, "busy_timeout": int(busy_timeout * 1000)}
    db = pw.SqliteDatabase(str(path), pragmas=pragmas, timeout=busy_timeout,
                           lock_type="IMMEDIATE")
    try:
        db.connect(reuse_if_open=True)
        if check:
            verdict = db.execute_sql("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {verdict}")
    except (sqlite3.DatabaseError, pw.DatabaseError) as exc:
        if not db.is_closed():
            db.close()
        if not _is_damage(exc):
            # Locked or not permitted is not damage: offering a restore here could throw
            # away good data.
            raise DatabaseUnavailable(path, str(exc)) from exc
        raise DamagedDatabase(path, newest_good_backup(backups, path.stem), str(exc)) from exc
    _make_private(path)
    database_proxy.initialize(db)
    run_migrations(db, path, backups, registry)
    if daily_copy and db.table_exists("profile") and db.execute_sql(
            "SELECT 1 FROM profile LIMIT 1").fetchone():
        take_daily_copy(path, backups)
    return db


def restore_backup(paths: Paths, backup: Path) -> Path:
    """Put `backup` in place of the database; the replaced file is kept beside it.

    Call with the database closed. Returns where the replaced (damaged) file was moved.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = paths.database
    kept = target.with_name(f"{target.name}.damaged-{stamp}")
    if target.exists():
        target.replace(kept)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)  # they belong to the damaged file
    _create_private(target)
    shutil.copyfile(backup, target)
    _make_private(target)
    return kept
