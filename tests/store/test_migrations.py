"""Numbered migrations: in order, atomic with their version, backup before migrating."""
from __future__ import annotations

import pytest

from app.store.connection import open_store
from app.store.errors import MigrationFailed, NewerDatabase
from app.store.migrations import (BACKUPS_KEPT, MIGRATIONS, MigrationRegistry, current_version,
                                  list_backups)


def registry_with(*extra):
    """The real migrations plus test steps after them."""
    registry = MigrationRegistry(dict(MIGRATIONS.steps))
    for number, step in extra:
        registry.register(number)(step)
    return registry


def test_fresh_database_reaches_the_latest_version_without_a_backup(home):
    db = open_store(home)
    assert current_version(db) == MIGRATIONS.latest >= 2
    assert list_backups(home.backups) == []
    db.close()


def test_migrations_run_in_number_order(home):
    ran = []
    registry = MigrationRegistry()
    registry.register(2)(lambda db: ran.append(2))
    registry.register(1)(lambda db: ran.append(1))
    registry.register(3)(lambda db: ran.append(3))
    db = open_store(home, registry=registry)
    assert ran == [1, 2, 3] and current_version(db) == 3
    db.close()


def test_existing_database_is_backed_up_before_migrating(home):
    open_store(home).close()
    step = lambda db: db.execute_sql("CREATE TABLE extra (x INTEGER)")  # noqa: E731
    db = open_store(home, registry=registry_with((MIGRATIONS.latest + 1, step)))
    db.close()
    backups = list_backups(home.backups)
    assert len(backups) == 1 and f"-v{MIGRATIONS.latest}" in backups[0].name


def test_a_failing_migration_leaves_the_database_at_the_previous_version(home):
    open_store(home).close()
    before = MIGRATIONS.latest

    def half_done(db):
        db.execute_sql("CREATE TABLE half (x INTEGER)")
        db.execute_sql("INSERT INTO half VALUES (1)")
        raise RuntimeError("boom")

    with pytest.raises(MigrationFailed) as caught:
        open_store(home, registry=registry_with((before + 1, half_done)))
    assert caught.value.version == before + 1
    assert caught.value.backup is not None and caught.value.backup.exists()
    assert caught.value.message_vi and caught.value.message_en
    db = open_store(home)
    assert current_version(db) == before
    assert not db.table_exists("half")       # the step's DDL rolled back with it
    db.close()


def test_a_later_step_failing_keeps_the_earlier_steps_of_the_same_open(home):
    open_store(home).close()
    base = MIGRATIONS.latest
    ok = lambda db: db.execute_sql("CREATE TABLE step_ok (x INTEGER)")  # noqa: E731

    def bad(db):
        raise RuntimeError("boom")

    with pytest.raises(MigrationFailed):
        open_store(home, registry=registry_with((base + 1, ok), (base + 2, bad)))
    db = open_store(home, registry=registry_with((base + 1, ok)))
    assert current_version(db) == base + 1 and db.table_exists("step_ok")
    db.close()


def test_only_the_last_five_backups_are_kept(home):
    open_store(home).close()
    registry = registry_with()
    for n in range(BACKUPS_KEPT + 2):
        registry.register(MIGRATIONS.latest + n + 1)(lambda db: None)
        open_store(home, registry=registry).close()
    backups = list_backups(home.backups)
    assert len(backups) == BACKUPS_KEPT
    assert f"-v{MIGRATIONS.latest + BACKUPS_KEPT + 1}" in backups[0].name  # newest first


def test_a_database_from_a_newer_version_is_refused(home):
    registry = registry_with((MIGRATIONS.latest + 1, lambda db: None))
    open_store(home, registry=registry).close()
    with pytest.raises(NewerDatabase) as caught:
        open_store(home)
    assert "ShopSync" in caught.value.message_en and caught.value.message_vi


def test_registering_a_number_twice_is_a_programming_error():
    registry = MigrationRegistry()
    registry.register(1)(lambda db: None)
    with pytest.raises(ValueError):
        registry.register(1)(lambda db: None)


# The indexes migration 3 drops: (name, table, column) as databases made before it had them.
_DROPPED = (("catalog_item_name", "catalog_item", "name"),
            ("catalog_item_code", "catalog_item", "code"),
            ("catalog_item_updated_at", "catalog_item", "updated_at"),
            ("link_profile_id", "link", "profile_id"),
            ("item_result_entity", "item_result", "entity"))


def _indexes(db) -> set[str]:
    return {row[0] for row in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()}


def test_v3_drops_the_indexes_no_query_needs_and_queries_still_use_an_index(home):
    """Databases made before v3 had single-column indexes every pulled row paid for."""
    before_v3 = MigrationRegistry({n: s for n, s in MIGRATIONS.steps.items() if n < 3})
    db = open_store(home, registry=before_v3)
    for name, table, column in _DROPPED:
        db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')
    db.close()
    db = open_store(home)
    assert current_version(db) == MIGRATIONS.latest >= 3
    assert not _indexes(db) & {name for name, _, _ in _DROPPED}
    plans = {
        "list": "SELECT app_id FROM catalog_item WHERE entity = 'product' ORDER BY name, app_id",
        "chunk": "SELECT id, data FROM catalog_item WHERE entity = 'product' AND id > 5 "
                 "ORDER BY id LIMIT 500",
        "one": "SELECT data FROM catalog_item WHERE entity = 'product' AND app_id = 'P1'",
        "links": "SELECT id FROM link WHERE profile_id = 1",
        "results": "SELECT id FROM item_result WHERE run_id = 1 AND entity = 'product'",
    }
    for what, sql in plans.items():
        plan = " ".join(str(row[-1]) for row in db.execute_sql(f"EXPLAIN QUERY PLAN {sql}"))
        assert "USING" in plan and "TEMP B-TREE" not in plan, (what, plan)
    db.close()


def test_b02_v4_adds_the_undo_recycle_state_to_a_v3_database_and_keeps_its_runs(home):
    """B-02 (issue 18): migration 4 gives a database made before it the recycle table undo
    moves removed records into, and the run column that names the run an undo put back;
    the runs already there are kept."""
    import re
    before_v4 = MigrationRegistry({n: s for n, s in MIGRATIONS.steps.items() if n < 4})
    db = open_store(home, registry=before_v4)
    # Migration 1 builds today's tables: take them back to how v3 databases have them.
    ddl = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'run'").fetchone()[0]
    old = re.sub(r',\s*"undoes_id" INTEGER', "", ddl)
    old = re.sub(r',\s*FOREIGN KEY \("undoes_id"\)[^,)]*\([^)]*\)( ON DELETE SET NULL)?', "",
                 old)
    assert "undoes" not in old
    db.execute_sql("PRAGMA foreign_keys = OFF")
    db.execute_sql(old.replace('CREATE TABLE "run"', 'CREATE TABLE "run_v3"', 1))
    db.execute_sql('DROP TABLE "run"')
    db.execute_sql('ALTER TABLE "run_v3" RENAME TO "run"')
    db.execute_sql('DROP TABLE "recycled_item"')
    db.execute_sql("INSERT INTO profile (name, platform, fields, options, hosts, secret_names, "
                   "schedule_minutes, created_at) VALUES ('Quán', 'sapo', '{}', '{}', '{}', "
                   "'[]', 0, '2026-12-01 00:00:00')")
    db.execute_sql("INSERT INTO run (profile_id, kind, dry_run, entities, status, started_at, "
                   "counts, request_count, error) VALUES (1, 'sync', 0, '[]', 'done', "
                   "'2026-12-01 00:00:00', '{}', 0, '')")
    db.close()

    db = open_store(home)
    assert current_version(db) == MIGRATIONS.latest >= 4
    columns = {c.name for c in db.get_columns("run")}
    assert "undoes_id" in columns and db.table_exists("recycled_item")
    from app.store import models as m
    assert m.Run.get_by_id(1).kind == "sync" and m.Run.get_by_id(1).undoes_id is None
    undo = m.Run.create(profile=1, kind="undo", started_at="2026-12-02 00:00:00", undoes=1)
    m.RecycledItem.create(profile=1, undo_run=undo, entity="product", app_id="P000001",
                          data="{}", recycled_at="2026-12-02 00:00:00")
    assert m.Run.get_by_id(undo.id).undoes_id == 1 and m.RecycledItem.select().count() == 1
    assert [p for p in list_backups(home.backups) if p.name.endswith("-v3.db")]  # before


def test_v5_gives_existing_rows_a_revision_and_the_push_mark_table(home):
    """COM-10: a database from before v5 (no revision column, no push marks) is upgraded in
    place; its rows start at revision 0, so the first scan after the upgrade reads them all."""
    before_v5 = MigrationRegistry({n: s for n, s in MIGRATIONS.steps.items() if n < 5})
    db = open_store(home, registry=before_v5)
    db.execute_sql('DROP INDEX IF EXISTS "catalog_item_entity_revision"')
    db.execute_sql('ALTER TABLE "catalog_item" DROP COLUMN "revision"')
    db.execute_sql('DROP TABLE IF EXISTS "push_mark"')
    db.execute_sql("INSERT INTO catalog_item (entity, app_id, name, code, status, origin, data, "
                   "created_at, updated_at) VALUES ('customer', 'K1', 'Lan', '', '', 'app', "
                   "'{}', '2026-01-01', '2026-01-01')")
    db.close()
    db = open_store(home)
    assert current_version(db) == MIGRATIONS.latest >= 5
    assert db.execute_sql("SELECT revision FROM catalog_item").fetchall() == [(0,)]
    assert db.table_exists("push_mark")
    plan = " ".join(str(row[-1]) for row in db.execute_sql(
        "EXPLAIN QUERY PLAN SELECT id FROM catalog_item WHERE entity = 'customer' "
        "AND revision > 5 AND (revision, id) > (5, 0) ORDER BY revision, id LIMIT 500"))
    assert "catalog_item_entity_revision" in plan and "TEMP B-TREE" not in plan, plan
    db.close()
