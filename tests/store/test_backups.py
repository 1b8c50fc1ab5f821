"""Issue 18 §7, a copy to come back to: rolling daily copies (SQLite online backup), the
newest good copy offered when the file is damaged, a 0-byte file treated as damaged, and
`selfcheck` naming the user's own file."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from app.cli import main
from app.selfcheck import check_database
from app.store.backups import (DAILY_KEPT, is_good_copy, newest_good_backup,
                               take_daily_copy)
from app.store.catalog import Catalog
from app.store.connection import open_store
from app.store.errors import DamagedDatabase
from app.store.migrations import backup_database, list_backups
from app.store.models import database_proxy
from app.store.profiles import create_profile
from contract.records import Customer, Entity
from tests.fakes import fake_platform


def _shop_database(home):
    """A database with a connection and a customer, closed."""
    db = open_store(home)
    platform = fake_platform()
    create_profile("Quán", platform.key, lookup=lambda key: platform)
    Catalog(db).put(Entity.CUSTOMER, Customer("K1", "An"))
    db.close()


def _dailies(home):
    return [p for p in list_backups(home.backups) if p.name.endswith("-daily.db")]


def test_a_daily_copy_is_taken_at_the_first_open_of_a_day_only(home):
    db = open_store(home)
    db.close()
    assert _dailies(home) == []                  # an empty new install has nothing to keep
    _shop_database(home)
    open_store(home).close()
    [copy] = _dailies(home)
    assert is_good_copy(copy)
    open_store(home).close()
    assert _dailies(home) == [copy]              # the same day: no second copy
    copied = open_store(copy, home.home / "other", daily_copy=False)
    assert Catalog(copied).get(Entity.CUSTOMER, "K1").name == "An"
    copied.close()


def test_daily_copies_roll_and_never_push_out_the_copies_taken_before_a_migration(home):
    _shop_database(home)
    before_migration = backup_database(home.database, home.backups, "v3")
    start = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)
    for day in range(DAILY_KEPT + 3):
        assert take_daily_copy(home.database, home.backups, now=start + timedelta(days=day))
        assert take_daily_copy(home.database, home.backups,
                               now=start + timedelta(days=day, hours=5)) is None
    assert len(_dailies(home)) == DAILY_KEPT
    assert before_migration.exists()


def test_a_zero_byte_database_is_damaged_not_silently_recreated_empty(home):
    _shop_database(home)
    open_store(home).close()                     # takes today's copy
    [copy] = _dailies(home)
    home.database.write_bytes(b"")
    with pytest.raises(DamagedDatabase) as caught:
        open_store(home)
    assert caught.value.backup == copy
    assert "0 bytes" in caught.value.message_en and "0 byte" in caught.value.message_vi
    assert "shopsync backup restore" in caught.value.message_en
    assert home.database.stat().st_size == 0     # nothing was created over it


def test_the_newest_good_copy_is_offered_a_damaged_copy_is_skipped(home):
    _shop_database(home)
    good = backup_database(home.database, home.backups, "v3")
    broken = backup_database(home.database, home.backups, "v3")
    broken.write_bytes(b"half written" * 400)
    assert newest_good_backup(home.backups, home.database.stem) == good
    home.database.write_bytes(b"not a database" * 500)
    with pytest.raises(DamagedDatabase) as caught:
        open_store(home)
    assert caught.value.backup == good and good.name in caught.value.message_vi


def test_cli_offers_the_copy_for_a_zero_byte_file_and_backup_restore_brings_it_back(home,
                                                                                    store):
    store.close()
    _shop_database(home)
    open_store(home).close()
    home.database.write_bytes(b"")

    def shopsync(*argv):
        out, err = io.StringIO(), io.StringIO()
        code = main(["--home", str(home.home), "--lang", "en", *argv], out=out, err=err,
                    environ={}, stdin_is_tty=False)
        return code, out.getvalue(), err.getvalue()
    code, out, err = shopsync("profile", "list")
    assert code == 2 and "0 bytes" in err and "shopsync backup restore" in err
    assert "Traceback" not in err and home.database.stat().st_size == 0
    code, out, err = shopsync("backup", "list")
    assert code == 0 and "-daily.db\t" in out and "good" in out
    code, out, err = shopsync("backup", "restore")
    assert code == 0, err
    assert "Restored" in out and ".damaged-" in out
    code, out, err = shopsync("profile", "list")
    assert code == 0 and "Quán" in out
    db = open_store(home)
    assert Catalog(db).get(Entity.CUSTOMER, "K1").name == "An"
    db.close()


def test_selfcheck_names_the_users_own_database_file_not_its_temporary_copy(home):
    _shop_database(home)
    good = backup_database(home.database, home.backups, "v3")
    previous = database_proxy.obj
    home.database.write_bytes(b"")
    check = check_database(home)
    assert not check.ok
    assert str(home.database) in check.detail_en and str(home.database) in check.detail_vi
    assert "shopsync-selfcheck-" not in check.detail_en + check.detail_vi
    assert good.name in check.detail_en
    assert database_proxy.obj is previous
    home.database.unlink()
    _shop_database(home)
    passed = check_database(home)
    assert passed.ok and str(home.database) in passed.detail_en


def test_a_daily_copy_that_cannot_be_written_is_not_left_half_written_and_work_goes_on(
        home, monkeypatch):
    """Disk full while copying: no partial file stays in backups/, and opening goes on."""
    import app.store.migrations as migrations
    _shop_database(home)

    def disk_full(source, target):
        target.write_bytes(b"partial")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(migrations, "copy_database", disk_full)
    db = open_store(home)
    assert Catalog(db).get(Entity.CUSTOMER, "K1").name == "An"
    db.close()
    assert list_backups(home.backups) == []
