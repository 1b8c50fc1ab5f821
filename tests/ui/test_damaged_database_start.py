"""A damaged database at start: the desktop app explains it and offers the newest backup."""
from __future__ import annotations

from app.config import get_paths
from contract.records import Category, Entity
from app.store.catalog import Catalog
from app.store.connection import open_store
from app.store.migrations import backup_database


def _damaged_home_with_backup(tmp_path):
    paths = get_paths(str(tmp_path / "home"))
    db = open_store(paths)
    Catalog(db).put(Entity.CATEGORY, Category(key="C1", name="Cà phê"))
    db.close()
    backup_database(paths.database, paths.backups, "test")
    paths.database.write_bytes(b"this is not a database" * 500)
    return paths


def test_com09_damaged_database_offers_the_backup_and_restores_it(qapp, tmp_path, monkeypatch):
    from ui import app as ui_app
    monkeypatch.setenv("SHOPSYNC_KEYRING", "memory")
    paths = _damaged_home_with_backup(tmp_path)
    questions: list[str] = []
    services = ui_app.open_services(paths, ask=lambda text: questions.append(text) or True)
    assert services is not None
    assert questions and ("sao lưu" in questions[0] or "backup" in questions[0])
    assert Catalog(services.db).get(Entity.CATEGORY, "C1").name == "Cà phê"
    services.db.close()


def test_com09_damaged_database_refused_restore_stops_with_the_message(qapp, tmp_path,
                                                                       monkeypatch):
    from ui import app as ui_app
    monkeypatch.setenv("SHOPSYNC_KEYRING", "memory")
    shown: list[str] = []
    monkeypatch.setattr(ui_app, "_error_box", lambda title, text: shown.append(text))
    paths = _damaged_home_with_backup(tmp_path)
    assert ui_app.open_services(paths, ask=lambda text: False) is None
    assert shown and paths.database.read_bytes().startswith(b"this is not")
