"""B-02 on the command line: `shopsync undo NAME [--dry-run]` and `shopsync restore NAME`,
starting with issue 18's reproduction on the Sapo sample shop."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from contract.records import Entity, Product, Variant
from app.store import models as m


def catalog_size(catalog) -> int:
    return sum(catalog.count(entity) for entity in Entity)


def test_b02_sapo_sandbox_sync_twice_then_undo_keeps_all_326_records(shopsync, catalog):
    """B-02, issue 18's reproduction: `profile add demo --platform sapo --set sandbox=on`,
    `sync demo` twice, `undo demo` deleted all 326 records. Now the second sync changed
    nothing, so undo says so and the catalog stays whole; undoing the first pull is refused."""
    code, _, err = shopsync("profile", "add", "demo", "--platform", "sapo",
                            "--set", "sandbox=on")
    assert code == 0, err
    code, out, err = shopsync("--lang", "en", "sync", "demo")
    assert code == 0, err
    pulled = catalog_size(catalog)
    assert pulled == 326

    code, out, err = shopsync("--lang", "en", "undo", "demo", "--dry-run")
    assert code == 2 and "first pull" in out and "326 records" in out
    code, out, err = shopsync("undo", "demo")
    assert code == 2 and "lần lấy dữ liệu đầu tiên" in out
    assert catalog_size(catalog) == 326

    code, out, err = shopsync("sync", "demo")
    assert code == 0, err
    code, out, err = shopsync("--lang", "en", "undo", "demo", "--dry-run")
    assert code == 0 and "changed nothing in the App" in out
    code, out, err = shopsync("undo", "demo")
    assert code == 0 and "không thay đổi gì trong App" in out
    assert catalog_size(catalog) == 326
    assert not m.Run.select().where(m.Run.kind == "undo").exists()


def seed(box, i, name=None):
    return box.state.put(Entity.PRODUCT, Product(key="", name=name or f"Cà phê {i}", variants=(
        Variant(key=f"v{i}", sku=f"CF-{i}", price=Decimal(20000 + i)),)))


def test_b02_undo_dry_run_prints_the_plan_then_undo_and_restore(shopsync, fake_profile,
                                                                fake_pos, catalog):
    """B-02: --dry-run prints per entity and per record what would change and changes
    nothing; undo then does it with truthful result rows; restore brings back the removed."""
    first = seed(fake_pos, 0)
    seed(fake_pos, 1)
    shopsync("sync", fake_profile, "--entity", "product")
    fake_pos.state.put(Entity.PRODUCT, dataclasses.replace(
        fake_pos.state.records[Entity.PRODUCT][first.key], name="Cà phê sữa"))
    seed(fake_pos, 2)
    shopsync("sync", fake_profile, "--entity", "product")
    assert sorted(r.name for r in catalog.iter_records(Entity.PRODUCT)) == [
        "Cà phê 1", "Cà phê 2", "Cà phê sữa"]

    code, out, _ = shopsync("--lang", "en", "undo", fake_profile, "--dry-run")
    assert code == 0
    assert "Products: restored 1, removed 1, skipped (edited since) 0" in out
    assert "Cà phê 2 — would remove (restorable)" in out
    assert "Cà phê 0 — would restore earlier values" in out
    assert "Dry run: nothing was changed." in out
    assert catalog.count(Entity.PRODUCT) == 3

    code, out, _ = shopsync("--lang", "en", "undo", fake_profile)
    assert code == 0
    assert sorted(r.name for r in catalog.iter_records(Entity.PRODUCT)) == [
        "Cà phê 0", "Cà phê 1"]
    code, out, _ = shopsync("--lang", "en", "results")
    lines = out.splitlines()
    assert any("removed" in line and "Cà phê 2" in line for line in lines)
    assert any("restored" in line and "Cà phê 0" in line for line in lines)
    assert not any(" update " in line for line in lines)

    code, out, _ = shopsync("--lang", "en", "restore", fake_profile)
    assert code == 0 and "Restored 1 records." in out
    assert catalog.count(Entity.PRODUCT) == 3
    code, out, _ = shopsync("--lang", "en", "restore", fake_profile)
    assert code == 0 and "nothing removed by an undo" in out
