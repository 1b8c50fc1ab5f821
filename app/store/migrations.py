"""Numbered schema migrations, registered with a decorator and run in order.

Each migration runs in one transaction together with its `SchemaVersion` row, so a failure
leaves the database exactly at the previous version (SQLite DDL is transactional). The file
is copied to backups/ before an existing database is migrated.

Migration 1 creates the tables of `ALL_MODELS` as they are defined *when it runs*. A later
migration that adds a column must therefore tolerate a fresh database that already has it:
use `add_column_if_missing`.
"""
from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import peewee as pw

from app.store.errors import MigrationFailed, NewerDatabase
from app.store.models import ALL_MODELS, RecycledItem, SchemaVersion

log = logging.getLogger("shopsync.store")

Step = Callable[[pw.SqliteDatabase], None]
BACKUPS_KEPT = 5


@dataclass
class MigrationRegistry:
    """Ordered migration steps; tests build their own registry to exercise failures."""

    steps: dict[int, Step] = field(default_factory=dict)

    def register(self, version: int) -> Callable[[Step], Step]:
        def add(step: Step) -> Step:
            if version in self.steps:
                raise ValueError(f"migration {version} registered twice")
            if version < 1:
                raise ValueError("migration numbers start at 1")
            self.steps[version] = step
            return step
        return add

    @property
    def latest(self) -> int:
        return max(self.steps, default=0)

    def pending(self, current: int) -> list[tuple[int, Step]]:
        return [(v, self.steps[v]) for v in sorted(self.steps) if v > current]


MIGRATIONS = MigrationRegistry()
migration = MIGRATIONS.register


def current_version(db: pw.SqliteDatabase) -> int:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return 0
    with db.bind_ctx([SchemaVersion]):
        return SchemaVersion.select(pw.fn.MAX(SchemaVersion.version)).scalar() or 0


def backup_database(source: Path, backups: Path, label: str, keep: int = BACKUPS_KEPT,
                    now: datetime | None = None) -> Path:
    """Consistent copy of `source` (SQLite online backup, safe with WAL) into `backups`.

    Only the newest `keep` copies are kept: enough to step back over a bad upgrade without
    filling the disk of a shop PC.
    """
    backups.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
    target = backups / f"{source.stem}-{stamp}-{label}.db"
    try:
        copy_database(source, target)
    except BaseException:
        target.unlink(missing_ok=True)   # a half-written copy (disk full) is no copy at all
        raise
    try:
        target.chmod(0o600)
    except OSError:
        pass
    # Each kind of copy rolls on its own: daily copies never push out the copies taken
    # before a migration, nor the other way round.
    same_kind = [p for p in list_backups(backups, source.stem)
                 if p.name.endswith("-daily.db") == (label == "daily")]
    for old in same_kind[keep:]:
        old.unlink(missing_ok=True)
    return target


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy even while ShopSync is writing (SQLite's backup API reads the WAL);
    the source is opened read-only so a copy never changes it."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def list_backups(backups: Path, stem: str = "shopsync") -> list[Path]:
    """Backups of the database named `stem`, newest first (the timestamp sorts)."""
    if not backups.is_dir():
        return []
    return sorted(backups.glob(f"{stem}-*.db"), key=lambda p: p.name, reverse=True)


def run_migrations(db: pw.SqliteDatabase, db_file: Path | None, backups: Path | None,
                   registry: MigrationRegistry = MIGRATIONS) -> int:
    """Bring `db` to the registry's latest version; returns the version reached."""
    current = current_version(db)
    if current > registry.latest:
        raise NewerDatabase(db_file or Path(db.database), current, registry.latest)
    pending = registry.pending(current)
    if not pending:
        return current
    backup = None
    if current > 0 and db_file is not None and backups is not None:
        backup = backup_database(db_file, backups, f"v{current}")
        log.info("backed up database before migrating from v%s: %s", current, backup.name)
    for version, step in pending:
        try:
            with db.atomic():
                step(db)
                with db.bind_ctx([SchemaVersion]):
                    db.create_tables([SchemaVersion], safe=True)  # the ledger outlives any step
                    SchemaVersion.create(version=version,
                                         applied_at=datetime.now(timezone.utc))
        except Exception as exc:
            log.exception("migration %s failed", version)
            raise MigrationFailed(version, backup, f"{type(exc).__name__}: {exc}") from exc
        log.info("database migrated to v%s", version)
        current = version
    return current


def add_column_if_missing(db: pw.SqliteDatabase, table: str, column: str, ddl: str) -> None:
    """`ALTER TABLE … ADD COLUMN` that is a no-op when migration 1 already created it."""
    existing = {c.name for c in db.get_columns(table)}
    if column not in existing:
        db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {ddl}')


# --------------------------------------------------------------------------------------------
# The migrations
# --------------------------------------------------------------------------------------------

@migration(1)
def create_tables(db: pw.SqliteDatabase) -> None:
    with db.bind_ctx(ALL_MODELS):
        db.create_tables(ALL_MODELS, safe=True)


@migration(2)
def catalog_search(db: pw.SqliteDatabase) -> None:
    """Search and paging of the App data view over 100k rows.

    A trigram full-text table makes `LIKE '%text%'` an index lookup; it holds the name and code
    folded (no accents, casefolded) so "ca phe" finds "Cà phê". The composite index serves the
    table's default order without sorting.
    """
    db.execute_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_search "
        "USING fts5(entity UNINDEXED, body, tokenize='trigram')")
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "catalog_item_entity_name_app_id" '
        'ON "catalog_item" ("entity", "name", "app_id")')


@migration(3)
def fewer_indexes(db: pw.SqliteDatabase) -> None:
    """Drop indexes no query needs: each was written for every row of a 100k first pull.

    catalog_item's name and code are served by (entity, app_id) and (entity, name, app_id),
    and no query orders or filters by its updated_at (its entity index stays: reading the
    catalog in id order needs it, or every chunk sorts the whole entity); link's profile by
    the unique indexes that begin with it; item_result's entity is only read within a run,
    through run_id's index.
    """
    for name in ("catalog_item_name", "catalog_item_code",
                 "catalog_item_updated_at", "link_profile_id", "item_result_entity"):
        db.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


@migration(4)
def undo_recycle(db: pw.SqliteDatabase) -> None:
    """A safe undo (B-02, issue 18): an undo run names the run it put back (`run.undoes_id`,
    so undoing twice is refused, not a reach into an older run), and what it removes from
    the catalog is kept in `recycled_item` until `restore` brings it back."""
    add_column_if_missing(db, "run", "undoes_id",
                          'INTEGER NULL REFERENCES "run" ("id") ON DELETE SET NULL')
    with db.bind_ctx([RecycledItem]):
        db.create_tables([RecycledItem], safe=True)


@migration(5)
def push_marks(db: pw.SqliteDatabase) -> None:
    """A revision on every catalog row and a mark per connection and entity, so a run with
    few or no App changes reads only those rows (issue: no-change runs in constant time).
    Existing rows start at revision 0 and no mark exists: the first push scan after the
    upgrade reads everything once, as before, and leaves the mark."""
    from app.store.models import PushMark
    add_column_if_missing(db, "catalog_item", "revision", "INTEGER NOT NULL DEFAULT 0")
    db.execute_sql('CREATE INDEX IF NOT EXISTS "catalog_item_entity_revision" '
                   'ON "catalog_item" ("entity", "revision")')
    with db.bind_ctx([PushMark]):
        db.create_tables([PushMark], safe=True)
