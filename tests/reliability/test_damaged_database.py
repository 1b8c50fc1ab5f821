"""A damaged database file is detected when ShopSync starts, with a clear message in both
languages that offers the newest backup; restoring it brings the catalog back (COM-09)."""
from __future__ import annotations

import io
import random
import shutil

import pytest

from app.cli import main
from app.config import get_paths
from contract.records import Entity
from app.store.catalog import Catalog
from app.store.connection import open_store, restore_backup
from app.store.errors import DamagedDatabase
from app.store.migrations import backup_database
from tests.reliability.harness import Shop

PAGE = 4096


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randint(PAGE, len(data) - PAGE)]


def _header(data: bytes, rng: random.Random) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(100)) + data[100:]


def _pages(data: bytes, rng: random.Random) -> bytes:
    """Garbage over several whole pages in the middle (a bad sector, a half-written copy)."""
    damaged = bytearray(data)
    for page in rng.sample(range(1, len(data) // PAGE), k=min(3, len(data) // PAGE - 1)):
        damaged[page * PAGE:(page + 1) * PAGE] = bytes(rng.getrandbits(8) for _ in range(PAGE))
    return bytes(damaged)


DAMAGE = {"truncated": _truncate, "header_overwritten": _header, "pages_overwritten": _pages}


@pytest.fixture(scope="module")
def synced_template(tmp_path_factory):
    """One real sync and one backup, copied into each test's home (saves a sync per case)."""
    paths = get_paths(tmp_path_factory.mktemp("template"))
    db = open_store(paths)
    shop = Shop(Catalog(db), "sapo", products=60)
    assert shop.sync().status == "done"
    counts = {e: shop.catalog.count(e) for e in (Entity.PRODUCT, Entity.CUSTOMER)}
    backup = backup_database(paths.database, paths.backups, "test")
    db.close()
    return paths, counts, backup


@pytest.fixture
def synced_home(home, synced_template):
    paths, counts, backup = synced_template
    home.database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(paths.database, home.database)
    shutil.copytree(paths.backups, home.backups, dirs_exist_ok=True)
    return home, counts, home.backups / backup.name


@pytest.mark.parametrize("seed", (1, 2))
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_com09_damaged_database_is_detected_at_start_and_newest_backup_offered(
        synced_home, damage, seed):
    home, counts, backup = synced_home
    data = home.database.read_bytes()
    home.database.write_bytes(DAMAGE[damage](data, random.Random(seed)))

    with pytest.raises(DamagedDatabase) as caught:
        open_store(home)
    assert caught.value.backup == backup
    assert backup.name in caught.value.message_vi and backup.name in caught.value.message_en

    for lang in ("vi", "en"):
        out, err = io.StringIO(), io.StringIO()
        code = main(["--home", str(home.home), "--lang", lang, "profile", "list"], out=out,
                    err=err, environ={}, stdin_is_tty=False)
        assert code != 0
        assert backup.name in err.getvalue() and "Traceback" not in err.getvalue()

    kept = restore_backup(home, backup)
    assert kept.exists()
    db = open_store(home)
    try:
        catalog = Catalog(db)
        assert {e: catalog.count(e) for e in counts} == counts
    finally:
        db.close()
