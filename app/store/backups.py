"""Copies of the shop's database to come back to (issue 18, section 7).

Besides the copy taken before each schema migration (migrations.backup_database), ShopSync
keeps a rolling daily copy: the first time the database is opened on a day (so before that
day's first run), SQLite's online backup copies it to `backups/`, and the last
`DAILY_KEPT` daily copies are kept. When the file is damaged, the newest copy that itself
opens and passes SQLite's quick check is the one offered (`newest_good_backup`).
"""
from __future__ import annotations

import logging
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from app.store.migrations import backup_database, list_backups

log = logging.getLogger("shopsync.store")

DAILY_LABEL = "daily"
DAILY_KEPT = 3   # three days to notice a problem; each copy is the whole database on the disk


def _stamp_day(copy: Path, stem: str) -> str:
    """The UTC day (YYYYMMDD) in a copy's name `<stem>-<YYYYMMDDTHHMMSS…Z>-<label>.db`."""
    return copy.name[len(stem) + 1:len(stem) + 9]


def take_daily_copy(database: Path, backups: Path, now: datetime | None = None,
                    keep: int = DAILY_KEPT) -> Path | None:
    """Copy `database` once per UTC day; returns the new copy, or None when today's exists.
    A copy that cannot be written (disk full, read-only folder) is logged, never fatal: the
    shop's work goes on, and the next start tries again."""
    now = now or datetime.now(timezone.utc)
    today = now.strftime("%Y%m%d")
    stem = database.stem
    dailies = [p for p in list_backups(backups, stem) if p.name.endswith(f"-{DAILY_LABEL}.db")]
    if dailies and _stamp_day(dailies[0], stem) >= today:
        return None
    try:
        return backup_database(database, backups, DAILY_LABEL, keep=keep, now=now)
    except (OSError, sqlite3.Error) as exc:
        log.warning("daily database copy not taken: %s", exc)
        return None


def is_good_copy(copy: Path) -> bool:
    """The copy opens, passes SQLite's quick check and holds ShopSync's schema."""
    if not copy.is_file() or copy.stat().st_size == 0:
        return False
    try:
        con = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return False
    try:
        if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            return False
        return con.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'"
                           ).fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        con.close()


def newest_good_backup(backups: Path, stem: str) -> Path | None:
    """The newest copy (daily or before a migration) that is itself readable."""
    for copy in list_backups(backups, stem):
        if is_good_copy(copy):
            return copy
    return None
