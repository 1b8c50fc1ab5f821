"""POS → App: create, match, update, delete detection, create-only, gated fields."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from contract.records import (Branch, Category, Customer, Entity, Order, OrderStatus, Product,
                        StockLevel, Variant)
from app.store import models as m
from contract.connector import EntityCapability, Mode, OptionSpec
from app.sync.steps import DELETION_SCAN_EVERY
from tests.fakes import fake_platform, pull_only


def product(name="Cà phê sữa", sku="CF-01", barcode="", price=25000, key="", **kw):
    return Product(key=key, name=name, variants=(Variant(key="v-" + sku, sku=sku,
                                                         barcode=barcode,
                                                         price=Decimal(price)),), **kw)


def test_pull_creates_app_records_and_links_them(shop):
    pos_record = shop.pos.put(Entity.PRODUCT, product())
    finished = shop.sync([Entity.PRODUCT])
    assert finished.status == "done"
    [row] = shop.items(entity="product", action="create")
    assert row.outcome == "ok" and row.pos_id == pos_record.key
    app = shop.catalog.get(Entity.PRODUCT, row.app_id)
    assert app.name == "Cà phê sữa"
    assert shop.catalog.origin(Entity.PRODUCT, row.app_id) == "fake"
    link = m.Link.get(m.Link.app_id == row.app_id)
    assert link.pos_id == pos_record.key and link.app_fingerprint and link.pos_fingerprint


def test_second_run_without_changes_writes_nothing_and_reports_nothing(shop):
    shop.pos.put(Entity.PRODUCT, product())
    shop.sync([Entity.PRODUCT])
    shop.events.clear()
    shop.sync([Entity.PRODUCT])
    assert shop.items() == []
    assert shop.catalog.count(Entity.PRODUCT) == 1


def test_pos_change_updates_app_record(shop):
    pos_record = shop.pos.put(Entity.PRODUCT, product())
    shop.sync([Entity.PRODUCT])
    shop.pos.put(Entity.PRODUCT, product(key=pos_record.key, name="Cà phê sữa đá", price=29000))
    shop.events.clear()
    shop.sync([Entity.PRODUCT])
    [row] = shop.items(action="update")
    app = shop.catalog.get(Entity.PRODUCT, row.app_id)
    assert app.name == "Cà phê sữa đá" and app.variants[0].price == Decimal(29000)


def test_com02_pull_links_existing_app_product_by_sku_instead_of_creating(shop):
    """COM-02."""
    # Equal values: a quiet link. (Differing values raise a conflict instead of overwriting
    # the shop's own record: tests/cli/test_link_to_existing_app_record.py.)
    existing = shop.catalog.put(Entity.PRODUCT, product(name="Cà phê sữa"))
    shop.pos.put(Entity.PRODUCT, product(name="Cà phê sữa"))
    shop.sync([Entity.PRODUCT])
    assert shop.catalog.count(Entity.PRODUCT) == 1
    [row] = shop.items(entity="product")
    assert row.app_id == existing.key and row.rule == "COM-02"


def test_com02_pull_links_by_barcode_when_sku_differs(shop):
    """COM-02."""
    existing = shop.catalog.put(Entity.PRODUCT, product(sku="APP-1", barcode="8938505974192"))
    shop.pos.put(Entity.PRODUCT, product(sku="POS-1", barcode="8938505974192"))
    shop.sync([Entity.PRODUCT])
    assert shop.catalog.count(Entity.PRODUCT) == 1
    assert shop.items()[0].app_id == existing.key


def test_com02_pull_links_customer_by_phone_in_another_spelling(shop):
    """COM-02."""
    existing = shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Chị Lan",
                                                          phone="0912345678"))
    shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Nguyễn Thị Lan",
                                           phone="+84 912 345 678"))
    shop.sync([Entity.CUSTOMER])
    assert shop.catalog.count(Entity.CUSTOMER) == 1
    assert shop.items(entity="customer")[0].app_id == existing.key


def test_com02_pull_links_customer_by_email_when_phone_missing(shop):
    """COM-02."""
    existing = shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Lan",
                                                          email="lan@example.vn"))
    shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Lan", email="LAN@example.vn"))
    shop.sync([Entity.CUSTOMER])
    assert shop.catalog.count(Entity.CUSTOMER) == 1
    assert shop.items(entity="customer")[0].app_id == existing.key


def test_com02_category_with_same_name_under_another_parent_is_another_category(shop):
    """COM-02."""
    drinks = shop.pos.put(Entity.CATEGORY, Category(key="", name="Đồ uống"))
    food = shop.pos.put(Entity.CATEGORY, Category(key="", name="Đồ ăn"))
    shop.pos.put(Entity.CATEGORY, Category(key="", name="Khác", parent_key=drinks.key))
    shop.pos.put(Entity.CATEGORY, Category(key="", name="Khác", parent_key=food.key))
    shop.sync([Entity.CATEGORY])
    assert shop.catalog.count(Entity.CATEGORY) == 4
    # Run again after forgetting the links: every category matches its twin, nothing doubles.
    m.Link.delete().execute()
    shop.sync([Entity.CATEGORY])
    assert shop.catalog.count(Entity.CATEGORY) == 4


def test_pos_ids_inside_records_become_app_ids(shop):
    shop.pos.put(Entity.BRANCH, Branch(key="", name="Chi nhánh 1"))
    branch = list(shop.pos.records[Entity.BRANCH].values())[0]
    category = shop.pos.put(Entity.CATEGORY, Category(key="", name="Trà"))
    child = shop.pos.put(Entity.CATEGORY, Category(key="", name="Trà sữa",
                                                   parent_key=category.key))
    shop.pos.put(Entity.PRODUCT, Product(
        key="", name="Trà sữa trân châu", category_keys=(child.key,),
        variants=(Variant(key="v1", sku="TS-1", stock=(StockLevel(branch.key, Decimal(7)),)),)))
    shop.sync()
    app_product = next(shop.catalog.iter_records(Entity.PRODUCT))
    app_child = shop.catalog.get(Entity.CATEGORY, app_product.category_keys[0])
    assert app_child.name == "Trà sữa"
    assert shop.catalog.get(Entity.CATEGORY, app_child.parent_key).name == "Trà"
    app_branch = shop.catalog.get(Entity.BRANCH, app_product.variants[0].stock[0].branch_key)
    assert app_branch.name == "Chi nhánh 1"


def test_com05_empty_pos_value_never_blanks_app_value(shop):
    """COM-05."""
    pos_record = shop.pos.put(Entity.PRODUCT, product(barcode="8938505974192",
                                                      description="Đậm vị"))
    shop.sync([Entity.PRODUCT])
    # The POS now sends the product without description and without the variant's barcode.
    shop.pos.put(Entity.PRODUCT, product(key=pos_record.key, barcode="", description="",
                                         price=30000))
    shop.sync([Entity.PRODUCT])
    app = next(shop.catalog.iter_records(Entity.PRODUCT))
    assert app.description == "Đậm vị"
    assert app.variants[0].barcode == "8938505974192"
    assert app.variants[0].price == Decimal(30000)


def test_com01_pos_deleted_record_is_flagged_and_kept_in_app(shop):
    """COM-01."""
    pos_record = shop.pos.put(Entity.PRODUCT, product())
    shop.sync([Entity.PRODUCT])
    shop.pos.remove(Entity.PRODUCT, pos_record.key)
    shop.events.clear()
    shop.sync([Entity.PRODUCT])
    assert shop.catalog.count(Entity.PRODUCT) == 1
    [row] = shop.items(action="deleted_on_pos")
    assert row.rule == "COM-01" and "delete it in the App yourself" in row.message_en
    assert "tự xoá trong App" in row.message_vi
    assert m.Link.get(m.Link.pos_id == pos_record.key).pos_deleted_at is not None


def test_com01_id_scan_finds_deletions_the_pos_did_not_report(shop):
    """COM-01: an incremental run, once the scan interval has passed, asks the POS for its
    ids (list_keys) and flags the linked ones that are gone."""
    pos_record = shop.pos.put(Entity.PRODUCT, product())
    shop.pos.put(Entity.PRODUCT, product(sku="CF-02"))
    shop.sync([Entity.PRODUCT])
    shop.pos.remove(Entity.PRODUCT, pos_record.key, report=False)
    shop.events.clear()
    later = datetime.now(timezone.utc) + DELETION_SCAN_EVERY + timedelta(minutes=1)
    shop.sync([Entity.PRODUCT], clock=lambda: later)
    assert [r.pos_id for r in shop.items(action="deleted_on_pos")] == [pos_record.key]
    assert shop.catalog.count(Entity.PRODUCT) == 2


def test_com01_com10_frequent_incremental_runs_skip_the_id_scan_until_it_is_due(shop):
    """COM-10: scheduled runs minutes apart read only changes; the costly id scan for
    deletions (COM-01) runs at most every DELETION_SCAN_EVERY, and a full run always scans."""
    scans = []
    original = shop.pos.list_keys

    async def counting_list_keys(entity):
        scans.append(entity)
        return await original(entity)
    shop.pos.list_keys = counting_list_keys
    pos_record = shop.pos.put(Entity.PRODUCT, product())
    shop.sync([Entity.PRODUCT])
    shop.pos.remove(Entity.PRODUCT, pos_record.key, report=False)
    soon = datetime.now(timezone.utc) + timedelta(minutes=10)
    shop.sync([Entity.PRODUCT], clock=lambda: soon)
    assert scans == [] and shop.items(action="deleted_on_pos") == []
    shop.sync([Entity.PRODUCT], full=True)
    assert [r.pos_id for r in shop.items(action="deleted_on_pos")] == [pos_record.key]


def test_com01_sync_button_scans_for_deletions_even_before_the_interval(shop):
    """COM-01/COM-10: the owner pressing "sync" (scan_deletions=True) sees a POS deletion at
    once; only scheduled runs wait for the interval."""
    pos_record = shop.pos.put(Entity.PRODUCT, product())
    shop.sync([Entity.PRODUCT])
    shop.pos.remove(Entity.PRODUCT, pos_record.key, report=False)
    shop.events.clear()
    asyncio.run(shop.engine().run([Entity.PRODUCT], scan_deletions=True))
    assert [r.pos_id for r in shop.items(action="deleted_on_pos")] == [pos_record.key]


def test_com01_without_an_id_scan_only_reported_deletions_count(make_shop):
    """COM-01: a connector that cannot list ids (None) relies on the POS's own reports;
    a full run (a whole read) finds the rest."""
    shop = make_shop(list_keys_supported=False)
    kept = shop.pos.put(Entity.PRODUCT, product())
    reported = shop.pos.put(Entity.PRODUCT, product(sku="CF-02"))
    shop.sync([Entity.PRODUCT])
    shop.pos.remove(Entity.PRODUCT, kept.key, report=False)
    shop.pos.remove(Entity.PRODUCT, reported.key)
    shop.events.clear()
    shop.sync([Entity.PRODUCT])
    assert [r.pos_id for r in shop.items(action="deleted_on_pos")] == [reported.key]
    shop.events.clear()
    shop.sync([Entity.PRODUCT], full=True)
    assert [r.pos_id for r in shop.items(action="deleted_on_pos")] == [kept.key]


def test_com01_delete_in_app_is_one_click_and_undoable(shop):
    """COM-01."""
    pos_record = shop.pos.put(Entity.PRODUCT, product())
    shop.sync([Entity.PRODUCT])
    shop.pos.remove(Entity.PRODUCT, pos_record.key)
    shop.sync([Entity.PRODUCT])
    app_id = shop.items(action="deleted_on_pos")[0].app_id
    result = shop.engine().delete_in_app(Entity.PRODUCT, app_id)
    assert result.outcome == "ok" and shop.catalog.get(Entity.PRODUCT, app_id) is None
    shop.engine().undo_last_run()
    assert shop.catalog.get(Entity.PRODUCT, app_id) is not None


def test_create_only_entity_ignores_later_pos_edits_with_a_result_row(make_shop):
    shop = make_shop(fake_platform(customer=pull_only(Entity.CUSTOMER, Mode.CREATE_ONLY,
                                                      rule="NH-06")))
    pos_record = shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    shop.sync([Entity.CUSTOMER])
    shop.pos.put(Entity.CUSTOMER, Customer(key=pos_record.key, name="Lan Nguyễn",
                                           phone="0912345678"))
    shop.pos.remove(Entity.CUSTOMER, "nothing-linked")
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    app = next(shop.catalog.iter_records(Entity.CUSTOMER))
    assert app.name == "Lan"
    [row] = shop.items(entity="customer")
    assert row.action == "skip" and row.rule == "NH-06" and "create-only" in row.message_en


def test_create_only_entity_ignores_pos_delete(make_shop):
    shop = make_shop(fake_platform(customer=pull_only(Entity.CUSTOMER, Mode.CREATE_ONLY,
                                                      rule="NH-06")))
    pos_record = shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    shop.sync([Entity.CUSTOMER])
    shop.pos.remove(Entity.CUSTOMER, pos_record.key)
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    [row] = shop.items(entity="customer")
    assert row.action == "skip" and row.rule == "NH-06"
    assert shop.catalog.count(Entity.CUSTOMER) == 1


STOCK_OPTION = OptionSpec("sync_stock_price", "Đồng bộ tồn kho và giá", "Sync stock and price")
KEEP_OPTION = OptionSpec("keep_stock_price_updated", "Luôn cập nhật", "Keep updated")


def _nhanh_like_products():
    return fake_platform(options=(STOCK_OPTION, KEEP_OPTION), product=EntityCapability(
        Entity.PRODUCT, pull=Mode.CREATE_ONLY, rule="NH-08",
        gated_fields={"stock": "sync_stock_price", "price": "sync_stock_price"},
        update_fields_option={"stock": "keep_stock_price_updated",
                              "price": "keep_stock_price_updated"}))


def test_gated_fields_off_never_touch_app_stock_and_price(make_shop):
    """NH-03 as data: with the option off, stock and price are not taken from the POS."""
    shop = make_shop(_nhanh_like_products(), options={"sync_stock_price": False})
    shop.pos.put(Entity.PRODUCT, product(price=25000))
    shop.sync([Entity.PRODUCT])
    app = next(shop.catalog.iter_records(Entity.PRODUCT))
    assert app.variants[0].price == Decimal(0)


def test_create_only_fields_updated_only_when_keep_updated_option_on(make_shop):
    """NH-09 as data: stock/price are first-time only unless the keep-updated option is on."""
    shop = make_shop(_nhanh_like_products(), options={"sync_stock_price": True})
    pos_record = shop.pos.put(Entity.PRODUCT, product(price=25000))
    shop.sync([Entity.PRODUCT])
    shop.pos.put(Entity.PRODUCT, product(key=pos_record.key, name="Đổi tên", price=27000))
    shop.sync([Entity.PRODUCT])
    app = next(shop.catalog.iter_records(Entity.PRODUCT))
    assert (app.name, app.variants[0].price) == ("Cà phê sữa", Decimal(25000))
    shop.set_options(sync_stock_price=True, keep_stock_price_updated=True)
    shop.pos.put(Entity.PRODUCT, product(key=pos_record.key, name="Đổi tên nữa", price=28000))
    shop.sync([Entity.PRODUCT])
    app = next(shop.catalog.iter_records(Entity.PRODUCT))
    assert (app.name, app.variants[0].price) == ("Cà phê sữa", Decimal(28000))


def test_nh09_keep_updated_stock_list_takes_new_quantities_without_naming_nested_fields(
        make_shop):
    """NH-09: an option naming the list field "stock" updates the whole list; the platform
    need not also name a stock level's own `available` field."""
    shop = make_shop(_nhanh_like_products(),
                     options={"sync_stock_price": True, "keep_stock_price_updated": True})
    branch = shop.pos.put(Entity.BRANCH, Branch(key="", name="Chi nhánh 1"))

    def stocked(quantity, key=""):
        return Product(key=key, name="Cà phê sữa", variants=(Variant(
            key="v-CF-01", sku="CF-01", price=Decimal(25000),
            stock=(StockLevel(branch.key, Decimal(quantity)),)),))
    pos_record = shop.pos.put(Entity.PRODUCT, stocked(5))
    shop.sync([Entity.BRANCH, Entity.PRODUCT])
    shop.pos.put(Entity.PRODUCT, stocked(12, pos_record.key))
    shop.sync([Entity.BRANCH, Entity.PRODUCT])
    app = next(shop.catalog.iter_records(Entity.PRODUCT))
    assert [s.available for s in app.variants[0].stock] == [Decimal(12)]


def test_com02_two_pos_products_with_one_sku_in_one_page_link_one_app_record_only(shop):
    """COM-02 inside one page: the App record linked by the first item is not free for the
    second, which becomes its own App record (never two links to one App record)."""
    existing = shop.catalog.put(Entity.PRODUCT, product(name="Cà phê (App)"))
    first = shop.pos.put(Entity.PRODUCT, product(name="Cà phê 1"))
    second = shop.pos.put(Entity.PRODUCT, product(name="Cà phê 2"))
    shop.sync([Entity.PRODUCT])
    links = {link.pos_id: link.app_id for link in m.Link.select()}
    assert links[first.key] == existing.key
    assert links[second.key] != existing.key
    assert shop.catalog.count(Entity.PRODUCT) == 2


def order(number="", phone="0912000111", key="", **kw):
    return Order(key=key, number=number, status=OrderStatus.PLACED, customer_name="Chị Lan",
                 customer_phone=phone, **kw)


def test_com02_pull_links_a_pos_order_to_the_app_order_it_was_made_from(shop):
    """A POS order ShopSync made from an App order (the answer to the create was lost) names
    that App order: the pull links the two instead of pulling the POS order in as a second
    App order, and the push has nothing left to create; a dry run only says so."""
    made_from = shop.catalog.put(Entity.ORDER, order(note="Giao trước 9h"))
    made = shop.pos.put(Entity.ORDER, order(number="#1049"))
    shop.pos.made_from[made.key] = made_from.key
    assert shop.sync([Entity.ORDER], dry_run=True).status == "done"
    [planned] = shop.items(entity="order", direction="pos_to_app")
    assert (planned.app_id, planned.outcome, planned.rule) == (made_from.key, "planned", "COM-02")
    assert m.Link.select().count() == 0 and shop.catalog.count(Entity.ORDER) == 1
    shop.events.clear()
    assert shop.sync([Entity.ORDER]).status == "done"
    [row] = shop.items(entity="order")
    assert (row.app_id, row.pos_id, row.rule, row.direction) == (
        made_from.key, made.key, "COM-02", "pos_to_app")
    assert {link.pos_id: link.app_id for link in m.Link.select()} == {made.key: made_from.key}
    assert shop.catalog.count(Entity.ORDER) == 1
    linked = shop.catalog.get(Entity.ORDER, made_from.key)
    assert (linked.number, linked.note) == ("#1049", "Giao trước 9h")     # COM-05 merge
    assert shop.pos.created == [] and len(shop.pos.records[Entity.ORDER]) == 1


def test_com02_a_pos_order_naming_an_app_order_linked_elsewhere_or_gone_becomes_its_own(shop):
    """The App order a POS order names is taken only while it is free: once linked (earlier
    in the same page, or in an earlier run) or gone from the App, the POS order is matched
    as any other and, matching nothing, becomes its own App order. Never two links to one."""
    app_order = shop.catalog.put(Entity.ORDER, order())
    first = shop.pos.put(Entity.ORDER, order(number="#1049"))
    same_page = shop.pos.put(Entity.ORDER, order(number="#1050"))
    shop.pos.made_from.update({first.key: app_order.key, same_page.key: app_order.key})
    assert shop.sync([Entity.ORDER]).status == "done"
    later = shop.pos.put(Entity.ORDER, order(number="#1051"))
    stray = shop.pos.put(Entity.ORDER, order(number="#1052"))
    shop.pos.made_from.update({later.key: app_order.key, stray.key: "O999999"})
    assert shop.sync([Entity.ORDER]).status == "done"
    links = {link.pos_id: link.app_id for link in m.Link.select()}
    assert links[first.key] == app_order.key
    assert len(links) == len(set(links.values())) == 4
    created = shop.items(entity="order", direction="pos_to_app", action="create")
    assert {r.pos_id for r in created} == {same_page.key, later.key, stray.key}
    assert shop.catalog.count(Entity.ORDER) == 4
    assert shop.catalog.get(Entity.ORDER, "O999999") is None
