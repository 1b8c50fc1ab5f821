"""B-02: undo of the last run never destroys the catalog (issue 18, section 1).

Each test names the bullet of the issue it protects."""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from contract.records import Customer, Entity, Order, OrderLine, Product, Variant
from app.store import models as m
from app.sync.events import RunFinished
from app.sync.undo import Refusal, UndoAction, plan_undo


def put_product(shop, i, name=None):
    return shop.pos.put(Entity.PRODUCT, Product(
        key="", name=name or f"Món {i}",
        variants=(Variant(key=f"v{i}", sku=f"M-{i:02d}", price=Decimal(1000 + i)),)))


def rename_on_pos(shop, pos_key, name):
    shop.pos.put(Entity.PRODUCT, dataclasses.replace(shop.pos.records[Entity.PRODUCT][pos_key],
                                                     name=name))


def app_id_of(pos_key):
    return m.Link.get((m.Link.entity == "product") & (m.Link.pos_id == pos_key)).app_id


def names(shop):
    return sorted(r.name for r in shop.catalog.iter_records(Entity.PRODUCT))


@pytest.fixture
def pulled(shop):
    """A shop whose products were pulled once (the first pull), then one more product and a
    rename arrived with a second sync: the run an undo is about."""
    first = put_product(shop, 0)
    second = put_product(shop, 1)
    shop.sync([Entity.PRODUCT])
    rename_on_pos(shop, first.key, "Tên mới")
    third = put_product(shop, 2)
    shop.sync([Entity.PRODUCT])
    assert names(shop) == ["Món 1", "Món 2", "Tên mới"]
    shop.keys = (first.key, second.key, third.key)
    return shop


def undo(shop):
    return shop.engine().undo_last_run()


def undo_rows(run_id):
    return list(m.ItemResult.select().where(m.ItemResult.run == run_id)
                .order_by(m.ItemResult.app_id))


def test_b02_undo_acts_on_the_latest_run_only_and_says_when_it_changed_nothing(pulled):
    """B-02: a later run that changed nothing is what undo looks at; it never reaches past it
    to an earlier run (issue 18: after a no-change sync, undo deleted the whole catalog)."""
    shop = pulled
    shop.sync([Entity.PRODUCT])                 # nothing changed on the POS
    before = names(shop)
    shop.events.clear()
    finished = undo(shop)
    assert finished.status == "refused"
    assert "changed nothing in the App" in finished.message_en
    assert "không thay đổi gì trong App" in finished.message_vi
    assert names(shop) == before and m.Link.select().count() == 3
    assert not m.Run.select().where(m.Run.kind == "undo").exists()


def test_b02_undo_after_a_push_run_does_not_reach_past_it(pulled):
    """B-02: a push run changes nothing in the App: undo says so instead of undoing the sync
    before it."""
    shop = pulled
    shop.catalog.put(Entity.PRODUCT, Product(key="", name="Bánh mì",
                                             variants=(Variant(key="a", sku="BM-1"),)))
    asyncio.run(shop.engine().push_products(all_new=True))
    finished = undo(shop)
    assert finished.status == "refused" and "changed nothing" in finished.message_en
    assert names(shop) == ["Bánh mì", "Món 1", "Món 2", "Tên mới"]


def test_b02_plan_shows_per_entity_what_will_change_and_changes_nothing(pulled):
    """B-02: before anything changes, the plan counts per entity the records restored, the
    records removed and the records skipped as edited since the run."""
    shop = pulled
    renamed, _, new = shop.keys
    plan = plan_undo(shop.profile)
    assert plan.allowed
    assert plan.counts() == {Entity.PRODUCT: {UndoAction.RESTORE: 1, UndoAction.REMOVE: 1}}
    assert {(i.app_id, i.action) for i in plan.items} == {
        (app_id_of(renamed), UndoAction.RESTORE), (app_id_of(new), UndoAction.REMOVE)}
    vi, en = plan.entity_lines()[0]
    assert en.startswith("Products: restored 1, removed 1, skipped (edited since) 0")
    assert vi.startswith("Sản phẩm: trả lại giá trị cũ 1, gỡ 1")
    assert names(shop) == ["Món 1", "Món 2", "Tên mới"]     # planning wrote nothing
    assert m.RecycledItem.select().count() == 0


def test_b02_undo_restores_removes_and_names_what_happened_truthfully(pulled):
    """B-02: result rows say "restored" / "removed" with the record's name, never
    "update / OK" with an empty name."""
    shop = pulled
    renamed, _, new = shop.keys
    finished = undo(shop)
    assert finished.status == "done"
    assert names(shop) == ["Món 0", "Món 1"]
    rows = {r.app_id: r for r in undo_rows(finished.run_id)}
    restored, removed = rows[app_id_of(renamed)], rows[
        m.RecycledItem.get().app_id]
    assert (restored.action, restored.outcome, restored.name, restored.rule) == (
        "restored", "ok", "Món 0", "B-02")
    assert (removed.action, removed.outcome, removed.name) == ("removed", "ok", "Món 2")
    assert "restorable" in removed.message_en and "Khôi phục" in removed.message_vi
    assert all(r.action != "update" for r in rows.values())
    assert m.Run.get_by_id(finished.run_id).undoes_id is not None


def test_b02_undoing_twice_does_not_reach_into_an_older_run(pulled):
    """B-02: the second undo says the last run was already undone; the first pull stays."""
    shop = pulled
    undo(shop)
    finished = undo(shop)
    assert finished.status == "refused" and "already undone" in finished.message_en
    assert names(shop) == ["Món 0", "Món 1"]


def test_b02_a_first_pull_is_refused_not_deleted(shop):
    """B-02: the records of a first pull mirror the POS; removing them would only bring them
    back under new App ids. Undo refuses and changes nothing."""
    put_product(shop, 0)
    put_product(shop, 1)
    shop.sync([Entity.PRODUCT])
    plan = plan_undo(shop.profile)
    assert plan.refusal is Refusal.FIRST_PULL and plan.refused_for_safety
    finished = undo(shop)
    assert finished.status == "refused"
    assert "first pull" in finished.message_en and "new App ids" in finished.message_en
    assert "lần lấy dữ liệu đầu tiên" in finished.message_vi
    assert names(shop) == ["Món 0", "Món 1"] and m.Link.select().count() == 2


def test_b02_a_first_pull_resumed_after_a_kill_is_still_a_first_pull(shop):
    """B-02: the run that finishes an interrupted first pull is part of that first pull."""
    put_product(shop, 0)
    put_product(shop, 1)
    put_product(shop, 2)
    original = shop.pos.pull
    calls = {"n": 0}

    async def cut(entity, since, resume=None):
        async for page in original(entity, since, resume):
            calls["n"] += 1
            yield page
            if calls["n"] == 1:
                from contract.connector import TransientError
                raise TransientError("Mất mạng.", "Network lost.")
    shop.pos.pull = cut
    first = shop.sync([Entity.PRODUCT])
    assert first.status == "interrupted"
    shop.pos.pull = original
    resumed = shop.sync([Entity.PRODUCT])
    assert m.Run.get_by_id(resumed.run_id).resumed_from_id == first.run_id
    assert plan_undo(shop.profile).refusal is Refusal.FIRST_PULL


def test_b02_an_app_edit_after_the_run_is_skipped_and_reported(pulled):
    """B-02: an App edit made after the run is never overwritten (both an updated and a
    created record): skipped, and the row says "edited since"."""
    shop = pulled
    renamed, _, new = shop.keys
    for pos_key, name in ((renamed, "Sửa trong App"), (new, "Món mới sửa")):
        record = shop.catalog.get(Entity.PRODUCT, app_id_of(pos_key))
        shop.catalog.put(Entity.PRODUCT, dataclasses.replace(record, name=name))
    plan = plan_undo(shop.profile)
    assert plan.counts() == {Entity.PRODUCT: {UndoAction.SKIP_EDITED: 2}}
    finished = undo(shop)
    assert names(shop) == ["Món 1", "Món mới sửa", "Sửa trong App"]
    rows = undo_rows(finished.run_id)
    assert {(r.action, r.outcome) for r in rows} == {("skip", "skipped")}
    assert all("edited since" in r.message_en for r in rows)
    assert {r.name for r in rows} == {"Sửa trong App", "Món mới sửa"}


def test_b02_a_record_others_refer_to_is_never_removed(pulled):
    """B-02: the product an App order sells stays (an order's product or customer)."""
    shop = pulled
    _, _, new = shop.keys
    product_id = app_id_of(new)
    customer = shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Lan",
                                                          phone="0912345678"))
    shop.catalog.put(Entity.ORDER, Order(
        key="", number="DH-1", customer_key=customer.key,
        lines=(OrderLine(sku="M-02", name="Món 2", product_key=product_id,
                         quantity=Decimal(1), price=Decimal(1000)),)))
    plan = plan_undo(shop.profile)
    assert {(i.app_id, i.action) for i in plan.items
            if i.entity is Entity.PRODUCT and i.app_id == product_id} == {
        (product_id, UndoAction.SKIP_REFERENCED)}
    finished = undo(shop)
    assert shop.catalog.get(Entity.PRODUCT, product_id) is not None
    [row] = [r for r in undo_rows(finished.run_id) if r.app_id == product_id]
    assert row.action == "skip" and "refers to it" in row.message_en


def test_b02_undo_is_reversible_restore_brings_back_what_it_removed(pulled):
    """B-02: a removed record waits in the recycle state (hidden from the catalog) and
    restore brings it back with its App id and its link: the next sync creates no copy."""
    shop = pulled
    _, _, new = shop.keys
    product_id = app_id_of(new)
    undo(shop)
    assert shop.catalog.get(Entity.PRODUCT, product_id) is None
    assert shop.catalog.count(Entity.PRODUCT) == 2          # hidden from the catalog
    [kept] = m.RecycledItem.select()
    assert (kept.app_id, kept.name, kept.link_pos_id) == (product_id, "Món 2", new)
    finished = shop.engine().restore_last_undo()
    assert finished.status == "done" and finished.counts["ok"] == 1
    assert shop.catalog.get(Entity.PRODUCT, product_id).name == "Món 2"
    assert app_id_of(new) == product_id
    [row] = undo_rows(finished.run_id)
    assert (row.action, row.name) == ("restored", "Món 2")
    assert m.RecycledItem.get().restored_at is not None
    shop.sync([Entity.PRODUCT], full=True)
    assert shop.catalog.count(Entity.PRODUCT) == 3          # no duplicate under a new id
    again = shop.engine().restore_last_undo()
    assert again.status == "refused" and "nothing removed by an undo" in again.message_en


def test_b02_undo_is_all_or_nothing_and_a_killed_undo_is_marked_interrupted(pulled,
                                                                           monkeypatch):
    """B-02: an undo that dies midway changes nothing (one transaction), and its run row is
    marked interrupted at the next start instead of staying "running" forever."""
    shop = pulled
    engine = shop.engine()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt   # the process is stopped mid-undo
    monkeypatch.setattr(engine.catalog, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        engine.undo_last_run()
    monkeypatch.undo()
    assert names(shop) == ["Món 1", "Món 2", "Tên mới"]
    assert m.RecycledItem.select().count() == 0
    dead = m.Run.select().where(m.Run.kind == "undo").get()
    assert dead.status == "running"
    finished = undo(shop)                         # the next start
    assert m.Run.get_by_id(dead.id).status == "interrupted"
    assert "Stopped before finishing" in m.Run.get_by_id(dead.id).error
    assert finished.status == "done" and names(shop) == ["Món 0", "Món 1"]


def test_b02_a_killed_push_is_marked_interrupted_at_the_next_start(shop):
    """B-02 / COM-09: a push run row left "running" by a kill is marked interrupted when the
    next run of that connection starts, like a killed sync."""
    killed_push = m.Run.create(profile=shop.profile.id, kind="push", status="running",
                               started_at=datetime.now(timezone.utc))
    preview = m.Run.create(profile=shop.profile.id, kind="sync", dry_run=True,
                           status="running", started_at=killed_push.started_at)
    shop.sync([Entity.PRODUCT])
    assert m.Run.get_by_id(killed_push.id).status == "interrupted"
    assert m.Run.get_by_id(preview.id).status == "running"    # previews take no lock


def test_b02_the_undone_run_keeps_results_readable(pulled):
    """B-02: the RunFinished of an undo carries both languages and the counts."""
    finished = undo(pulled)
    assert isinstance(finished, RunFinished)
    assert "restored 1, removed 1" in finished.message_en
    assert "trả lại 1, gỡ 1" in finished.message_vi
