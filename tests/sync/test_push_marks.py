"""COM-10: frequent runs cost almost nothing when little changed. The push step reads only the
App records written since its last complete scan, plus those it left unsettled; everything
else it skips without parsing. These tests pin that it skips nothing it should have pushed."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.store import models as m
from app.store.catalog import Catalog
from app.sync.push_marks import PushMarks
from contract.connector import InvalidData, TransientError
from contract.records import Customer, Entity, Order, OrderLine, OrderStatus, Product, Variant


@pytest.fixture
def parsed(monkeypatch):
    """Counts the App records the push step parses from their stored JSON."""
    seen: list[str] = []
    real = Catalog.parse

    def counting(entity, data):
        record = real(entity, data)
        seen.append(record.key)
        return record
    monkeypatch.setattr(Catalog, "parse", staticmethod(counting))
    return seen


def customers(shop, n):
    return [shop.catalog.put(Entity.CUSTOMER, Customer(key="", name=f"Khách {i}",
                                                       phone=f"09000000{i:02d}"))
            for i in range(n)]


def test_com10_a_run_with_no_app_change_parses_no_app_record(shop, parsed):
    customers(shop, 30)
    shop.sync([Entity.CUSTOMER])
    assert len(shop.pos.created) == 30
    parsed.clear()
    shop.sync([Entity.CUSTOMER])
    assert parsed == []
    assert len(shop.pos.created) == 30


def test_com10_an_app_edit_after_the_mark_is_pushed_and_only_it_is_read(shop, parsed):
    made = customers(shop, 30)
    shop.sync([Entity.CUSTOMER])
    edited = shop.catalog.put(Entity.CUSTOMER, Customer(key=made[7].key, name="Khách bảy mới",
                                                        phone=made[7].phone))
    parsed.clear()
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    assert parsed == [edited.key]
    [row] = shop.items(entity="customer", direction="app_to_pos")
    assert (row.app_id, row.action, row.outcome) == (edited.key, "update", "ok")


def test_com10_a_new_app_record_after_the_mark_is_created_on_the_pos(shop):
    customers(shop, 3)
    shop.sync([Entity.CUSTOMER])
    late = shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Khách mới",
                                                      phone="0911111111"))
    shop.sync([Entity.CUSTOMER])
    assert [r.phone for _, r in shop.pos.created][-1] == "0911111111"
    assert m.Link.get(m.Link.app_id == late.key)


def test_com10_a_failed_push_is_tried_again_next_run_without_any_app_change(shop, parsed):
    made = customers(shop, 5)
    shop.pos.fail("create", InvalidData("Sai dữ liệu.", "Bad data."), times=2)
    shop.sync([Entity.CUSTOMER])
    failed = [r.app_id for r in shop.items(outcome="failed")]
    assert len(failed) == 1
    parsed.clear()
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    assert parsed == failed      # the one left unsettled, nothing else
    [row] = shop.items(entity="customer", direction="app_to_pos")
    assert (row.app_id, row.outcome) == (failed[0], "ok")
    assert len({r.phone for _, r in shop.pos.created}) == len(made)


def test_com10_an_order_blocked_on_an_unpushed_product_is_pushed_once_the_product_is(shop):
    """The order itself never changes; it stays unsettled until its product reaches the POS."""
    product = shop.catalog.put(Entity.PRODUCT, Product(
        key="", name="Cà phê", variants=(Variant(key="v", sku="CF-1", price=Decimal(25000)),)))
    order = shop.catalog.put(Entity.ORDER, Order(
        key="", number="DH-1", status=OrderStatus.PLACED, customer_name="Lan",
        lines=(OrderLine(sku="CF-1", name="Cà phê", quantity=Decimal(1), price=Decimal(25000),
                         product_key=product.key),)))
    shop.sync([Entity.ORDER])
    assert [r.action for r in shop.items(entity="order")] == ["blocked"]
    import asyncio
    asyncio.run(shop.engine().push_products(app_ids=[product.key]))
    shop.events.clear()
    shop.sync([Entity.ORDER])
    [row] = shop.items(entity="order")
    assert (row.app_id, row.action, row.outcome) == (order.key, "create", "ok")


def test_com10_a_stopped_scan_keeps_the_old_mark_so_nothing_is_skipped(shop):
    customers(shop, 4)
    shop.pos.fail("create", TransientError("Mất kết nối.", "Connection lost."), times=1)
    finished = shop.sync([Entity.CUSTOMER])
    assert finished.status != "done"
    assert PushMarks(shop.profile.id).load(Entity.CUSTOMER, "any") is None
    assert m.PushMark.select().count() == 0
    shop.sync([Entity.CUSTOMER])
    assert len(shop.pos.created) == 4


def test_com10_changed_push_rules_make_the_next_scan_read_everything(make_shop, parsed):
    from tests.fakes import both, fake_platform
    shop = make_shop(fake_platform())
    customers(shop, 6)
    shop.sync([Entity.CUSTOMER])
    row = m.PushMark.get()
    row.basis = "made under other options"
    row.save()
    parsed.clear()
    shop.sync([Entity.CUSTOMER])
    assert len(parsed) == 6


def test_com10_a_dry_run_leaves_no_mark(shop):
    customers(shop, 3)
    shop.sync([Entity.CUSTOMER], dry_run=True)
    assert m.PushMark.select().count() == 0
    shop.sync([Entity.CUSTOMER])
    assert len(shop.pos.created) == 3


def test_com10_every_catalog_write_takes_a_new_revision(catalog):
    first = catalog.put(Entity.CUSTOMER, Customer(key="", name="A", phone="0900000001"))
    r1 = catalog.revision()
    catalog.put(Entity.CUSTOMER, Customer(key=first.key, name="A2", phone="0900000001"))
    r2 = catalog.revision()
    assert r2 > r1 > 0
    assert [app_id for app_id, _, _ in catalog.iter_raw_changed(Entity.CUSTOMER, r1)] == [
        first.key]
    assert list(catalog.iter_raw_changed(Entity.CUSTOMER, r2)) == []
    assert [a for a, _, _ in catalog.iter_raw_changed(Entity.CUSTOMER, r2, also=[first.key])] \
        == [first.key]
