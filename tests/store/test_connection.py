"""Opening the database: private file, WAL with a concurrent reader, damage detection."""
from __future__ import annotations

import os
import stat
import sys
import threading

import pytest

from contract.records import Customer, Entity
from app.store.catalog import Catalog
from app.store.connection import open_store, restore_backup
from app.store.errors import DamagedDatabase
from app.store.migrations import backup_database
from app.store.models import CatalogItem


def test_pragmas_are_wal_foreign_keys_and_busy_timeout(store):
    pragma = lambda name: store.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") == 5000
    assert pragma("synchronous") == 1  # NORMAL


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_com07_database_file_is_readable_by_its_owner_only(home, store):
    catalog = Catalog(store)
    catalog.put(Entity.CUSTOMER, Customer("K1", "An", phone="0912345678"))
    for path in (home.database, home.database.with_name(home.database.name + "-wal")):
        if path.exists():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_com07_existing_database_with_loose_permissions_is_tightened(home):
    open_store(home).close()       # a real database (a 0-byte file is a damaged one)
    home.database.chmod(0o644)
    open_store(home).close()
    assert stat.S_IMODE(os.stat(home.database).st_mode) == 0o600


def test_reader_thread_reads_while_a_worker_thread_holds_a_write(store):
    """The UI thread keeps showing committed data while a sync worker writes (WAL)."""
    catalog = Catalog(store)
    catalog.put(Entity.CUSTOMER, Customer("K1", "An"))
    writing, reader_done, errors = threading.Event(), threading.Event(), []

    def worker():
        try:
            with store.atomic():
                catalog.put(Entity.CUSTOMER, Customer("K2", "Bình"))
                writing.set()
                assert reader_done.wait(10), "reader blocked by the writer"
        except Exception as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            store.close()

    thread = threading.Thread(target=worker)
    thread.start()
    assert writing.wait(10)
    seen_during_write = catalog.count(Entity.CUSTOMER)
    reader_done.set()
    thread.join(10)
    assert not errors
    assert seen_during_write == 1          # uncommitted row invisible, reader not blocked
    assert catalog.count(Entity.CUSTOMER) == 2


def test_a_file_that_is_not_a_database_is_reported_damaged_naming_the_newest_backup(home):
    db = open_store(home)
    Catalog(db).put(Entity.CUSTOMER, Customer("K1", "An"))
    db.close()
    older = backup_database(home.database, home.backups, "v2")
    newest = backup_database(home.database, home.backups, "v2")
    home.database.write_bytes(b"this is not sqlite" * 300)
    with pytest.raises(DamagedDatabase) as caught:
        open_store(home)
    error = caught.value
    assert error.backup == newest and newest != older
    assert newest.name in error.message_vi and newest.name in error.message_en


def test_damaged_database_without_backup_says_what_to_do(home):
    home.database.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(DamagedDatabase) as caught:
        open_store(home)
    assert caught.value.backup is None
    assert "support" in caught.value.message_en and "hỗ trợ" in caught.value.message_vi


def test_corrupted_pages_are_caught_by_the_quick_check(home):
    db = open_store(home)
    Catalog(db).put_many(Entity.CUSTOMER, [Customer(f"K{i}", "x" * 200) for i in range(300)])
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(home.database.read_bytes())
    page = 4096
    for offset in range(page * 3, min(len(data), page * 12), page):
        data[offset:offset + 64] = b"\xff" * 64   # smash b-tree page headers
    home.database.write_bytes(bytes(data))
    with pytest.raises(DamagedDatabase):
        open_store(home)


def test_restore_backup_replaces_the_damaged_file_and_keeps_it(home):
    db = open_store(home)
    Catalog(db).put(Entity.CUSTOMER, Customer("K1", "An"))
    db.close()
    backup = backup_database(home.database, home.backups, "v2")
    home.database.write_bytes(b"broken" * 500)
    kept = restore_backup(home, backup)
    assert kept.read_bytes().startswith(b"broken")
    db = open_store(home)
    assert Catalog(db).get(Entity.CUSTOMER, "K1").name == "An"
    assert CatalogItem.select().count() == 1
    db.close()


def test_two_writer_threads_queue_instead_of_failing(store):
    """The UI (deleting an App item) and a sync worker (writing a page) may write at once:
    transactions that read before they write must wait for each other, not raise 'locked'."""
    catalog = Catalog(store)
    errors = []

    def ui_thread():
        try:
            for i in range(40):
                catalog.put(Entity.CUSTOMER, Customer(f"U{i}", "x"))
                catalog.delete(Entity.CUSTOMER, f"U{i}")   # reads, then writes
        except Exception as exc:
            errors.append(exc)
        finally:
            store.close()

    def worker_thread():
        try:
            for _ in range(40):
                with store.atomic():
                    catalog.get(Entity.CUSTOMER, "W")       # read first …
                    catalog.put(Entity.CUSTOMER, Customer(catalog.new_id(Entity.CUSTOMER), "w"))
        except Exception as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=ui_thread), threading.Thread(target=worker_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert catalog.count(Entity.CUSTOMER) == 40


def test_a_locked_database_is_not_mistaken_for_a_damaged_one(home):
    """Offering to restore a backup over a file that is merely busy would lose data."""
    import sqlite3

    from app.store.errors import DatabaseUnavailable
    open_store(home, check=False).close()
    holder = sqlite3.connect(home.database, isolation_level=None)
    holder.execute("PRAGMA journal_mode=DELETE")  # switching back to WAL now needs the lock
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseUnavailable) as caught:
            open_store(home, busy_timeout=0)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not isinstance(caught.value, DamagedDatabase)
    assert caught.value.message_vi and caught.value.message_en
