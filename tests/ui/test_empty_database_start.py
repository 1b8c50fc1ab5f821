"""Issue 18 §7 at the window's start: a 0-byte database is damaged, not a new empty shop; the
newest good copy is offered and restoring it brings the shop back."""
from __future__ import annotations

from app.config import get_paths
from app.store.catalog import Catalog
from app.store.connection import open_store
from app.store.migrations import backup_database
from app.store.profiles import create_profile
from contract.records import Category, Entity
from tests.fakes import fake_platform


def test_zero_byte_database_at_start_offers_the_newest_good_copy_and_restores_it(
        qapp, tmp_path, monkeypatch):
    from ui import app as ui_app
    monkeypatch.setenv("SHOPSYNC_KEYRING", "memory")
    paths = get_paths(str(tmp_path / "home"))
    db = open_store(paths)
    platform = fake_platform()
    create_profile("Quán", platform.key, lookup=lambda key: platform)
    Catalog(db).put(Entity.CATEGORY, Category(key="C1", name="Cà phê"))
    db.close()
    good = backup_database(paths.database, paths.backups, "v3")
    newer_but_broken = backup_database(paths.database, paths.backups, "v3")
    newer_but_broken.write_bytes(b"broken copy" * 300)
    paths.database.write_bytes(b"")
    questions: list[str] = []
    services = ui_app.open_services(paths, ask=lambda text: questions.append(text) or True)
    assert services is not None
    assert len(questions) == 1 and good.name in questions[0] and "0 byte" in questions[0]
    assert Catalog(services.db).get(Entity.CATEGORY, "C1").name == "Cà phê"
    services.db.close()
