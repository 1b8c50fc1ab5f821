"""App → POS: chosen product pushes, matching before create, orders and their statuses."""
from __future__ import annotations

import asyncio
import dataclasses
import json
from decimal import Decimal

from contract.records import Customer, Entity, Order, OrderLine, OrderStatus, Product, Variant
from app.store import models as m
from contract.connector import (AuthError, EntityCapability, InvalidData, Mode, NotSupported,
                             StatusChange, TransientError)
from tests.fakes import both, fake_platform, pull_only


def app_product(catalog, name="Bánh mì", sku="BM-01", categories=()):
    return catalog.put(Entity.PRODUCT, Product(key="", name=name, category_keys=categories,
                                               variants=(Variant(key="a1", sku=sku,
                                                                 price=Decimal(20000)),)))


def push(shop, **kwargs):
    return asyncio.run(shop.engine().push_products(**kwargs))


def test_sapo03_push_products_creates_only_the_chosen_ones(shop):
    """SAPO-03."""
    chosen = app_product(shop.catalog)
    other = app_product(shop.catalog, "Bánh bao", "BB-01")
    finished = push(shop, app_ids=[chosen.key])
    assert finished.status == "done"
    assert [r.name for _, r in shop.pos.created] == ["Bánh mì"]
    assert m.Link.get(m.Link.app_id == chosen.key).pos_id == shop.pos.created[0][1].key
    assert m.Link.get_or_none(m.Link.app_id == other.key) is None
    # A plain sync never pushes App-created products nobody picked.
    shop.sync()
    assert len(shop.pos.created) == 1


def test_push_all_new_skips_products_that_came_from_the_pos(shop):
    shop.pos.put(Entity.PRODUCT, Product(key="", name="Từ POS",
                                         variants=(Variant(key="p", sku="POS-1"),)))
    shop.sync([Entity.PRODUCT])
    app_product(shop.catalog)
    push(shop, all_new=True)
    assert [r.name for _, r in shop.pos.created] == ["Bánh mì"]


def test_com02_push_links_existing_pos_product_instead_of_creating(shop):
    """COM-02."""
    shop.pos.put(Entity.PRODUCT, Product(key="", name="Bánh mì POS",
                                         variants=(Variant(key="p", sku="BM-01"),)))
    chosen = app_product(shop.catalog)
    push(shop, app_ids=[chosen.key])
    assert shop.pos.created == []
    [row] = shop.items(app_id=chosen.key)
    assert row.rule == "COM-02" and m.Link.get(m.Link.app_id == chosen.key)


def test_com02_an_app_twin_of_a_linked_product_is_reported_and_the_link_stays(shop):
    """COM-02: a second App product with the SKU of one already linked finds the same POS
    product; re-pointing the link would unlink the first, and the next run would point it
    back. It is reported for the owner to merge, every time, and nothing moves."""
    shop.pos.put(Entity.PRODUCT, Product(key="", name="Bánh mì POS",
                                         variants=(Variant(key="p", sku="BM-01"),)))
    first = app_product(shop.catalog)
    push(shop, app_ids=[first.key])
    pos_id = m.Link.get(m.Link.app_id == first.key).pos_id
    twin = app_product(shop.catalog, "Bánh mì (nhập lại)")
    for _ in range(2):
        assert push(shop, app_ids=[twin.key]).status == "done"
        assert m.Link.get(m.Link.pos_id == pos_id).app_id == first.key
        assert m.Link.get_or_none(m.Link.app_id == twin.key) is None
    assert shop.pos.created == []
    rows = shop.items(app_id=twin.key)
    assert len(rows) == 2 and {(r.outcome, r.rule, r.pos_id) for r in rows} == {
        ("skipped", "COM-02", pos_id)}
    assert first.key in rows[-1].message_en and first.key in rows[-1].message_vi


def test_com02_new_app_customer_matching_pos_customer_by_phone_is_linked(shop):
    """COM-02."""
    shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    # The App customer exists first and the POS pull links it (same phone); no POS create.
    shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    shop.sync([Entity.CUSTOMER])
    assert shop.pos.created == [] and shop.catalog.count(Entity.CUSTOMER) == 1


def test_new_app_customer_is_pushed_by_sync(shop):
    customer = shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Minh",
                                                          phone="0987654321"))
    shop.sync([Entity.CUSTOMER])
    assert [r.phone for _, r in shop.pos.created] == ["0987654321"]
    assert m.Link.get(m.Link.app_id == customer.key)


def test_sapo08_platform_validation_blocks_push_before_any_request(make_shop):
    """SAPO-08."""
    def exactly_one_category(record):
        if len(record.category_keys) != 1:
            return InvalidData("Sản phẩm phải có đúng một danh mục.",
                               "A product must have exactly one category.", rule="SAPO-08")
        return None
    shop = make_shop(fake_platform(product=both(Entity.PRODUCT,
                                                validate_push=exactly_one_category)))
    chosen = app_product(shop.catalog)
    push(shop, app_ids=[chosen.key])
    [row] = shop.items(app_id=chosen.key)
    assert (row.action, row.rule) == ("blocked", "SAPO-08")
    assert shop.pos.calls == []


def test_connector_invalid_data_fails_that_item_only(shop):
    first, second = app_product(shop.catalog), app_product(shop.catalog, "Bánh bao", "BB-01")
    # The batch is refused, then the first item alone: only that item fails.
    shop.pos.fail("create", InvalidData("Sai dữ liệu.", "Bad data.", rule="SAPO-08"), times=2)
    finished = push(shop, app_ids=[first.key, second.key])
    assert finished.status == "done" and finished.counts["failed"] == 1
    assert finished.counts["ok"] == 1


def test_push_is_refused_where_the_platform_takes_no_products(make_shop):
    shop = make_shop(fake_platform(product=pull_only(Entity.PRODUCT, unavailable_reason="KVF-01")))
    chosen = app_product(shop.catalog)
    push(shop, app_ids=[chosen.key])
    [row] = shop.items()
    assert row.action == "blocked" and row.rule == "KVF-01" and shop.pos.created == []


def test_app_edit_of_linked_product_is_pushed_without_blanking_pos_values(shop):
    """COM-05 towards the POS: an empty App value does not erase the POS value."""
    chosen = app_product(shop.catalog)
    push(shop, app_ids=[chosen.key])
    pos_key = shop.pos.created[0][1].key
    stored = shop.pos.records[Entity.PRODUCT][pos_key]
    import dataclasses
    shop.pos.records[Entity.PRODUCT][pos_key] = dataclasses.replace(stored, description="POS mô tả")
    link = m.Link.get(m.Link.app_id == chosen.key)
    from app.sync.policy import EntityPolicy
    link.pos_fingerprint = EntityPolicy(Entity.PRODUCT, Mode.FULL, Mode.FULL).comparable(
        shop.pos.records[Entity.PRODUCT][pos_key])
    link.save()
    shop.catalog.put(Entity.PRODUCT, dataclasses.replace(chosen, name="Bánh mì pate"))
    shop.sync([Entity.PRODUCT])
    now = shop.pos.records[Entity.PRODUCT][pos_key]
    assert now.name == "Bánh mì pate" and now.description == "POS mô tả"


# -- orders ----------------------------------------------------------------------------------

PUSHABLE = frozenset({OrderStatus.PLACED, OrderStatus.APPROVED, OrderStatus.PACKED,
                      OrderStatus.SHIPPED_OUT, OrderStatus.COMPLETED})


def _order_platform(push=Mode.FULL, **extra):
    return fake_platform(order=EntityCapability(Entity.ORDER, pull=Mode.FULL, push=push,
                                                rule="KVF-04", **extra))


def _linked_product(shop):
    shop.pos.put(Entity.PRODUCT, Product(key="", name="Cà phê",
                                         variants=(Variant(key="v", sku="CF-1"),)))
    shop.sync([Entity.PRODUCT])
    return next(shop.catalog.iter_records(Entity.PRODUCT))


def _app_order(shop, product, status=OrderStatus.PLACED, number="DH-1"):
    return shop.catalog.put(Entity.ORDER, Order(
        key="", number=number, status=status, customer_name="Lan",
        lines=(OrderLine(sku="CF-1", name="Cà phê", quantity=Decimal(2), price=Decimal(25000),
                         product_key=product.key),)))


def test_kvf04_only_orders_in_push_statuses_are_pushed(make_shop):
    """KVF-04."""
    shop = make_shop(_order_platform(push_statuses=PUSHABLE))
    product = _linked_product(shop)
    _app_order(shop, product, OrderStatus.CANCELLED, "DH-0")
    placed = _app_order(shop, product, OrderStatus.PLACED, "DH-1")
    shop.sync([Entity.ORDER])
    assert [r.number for e, r in shop.pos.created if e is Entity.ORDER] == ["DH-1"]
    skipped = shop.items(action="skip", entity="order")
    assert skipped[0].rule == "KVF-04"
    shop.events.clear()
    shop.sync([Entity.ORDER])
    assert shop.items(entity="order") == []      # said once, not on every run
    pushed = [r for e, r in shop.pos.created if e is Entity.ORDER][0]
    # App product id became the POS product id on the way out.
    assert pushed.lines[0].product_key == m.Link.get(m.Link.entity == "product").pos_id
    assert m.Link.get(m.Link.app_id == placed.key).pushed_status == "placed"


def test_order_line_with_product_not_on_pos_is_blocked_with_a_clear_message(shop):
    lonely = app_product(shop.catalog)
    _app_order(shop, lonely)
    shop.sync([Entity.ORDER])
    [row] = shop.items(entity="order")
    assert row.action == "blocked" and "push that product first" in row.message_en
    assert shop.pos.created == []


def _pushed_order(shop, change_table, rules):
    product = _linked_product(shop)
    order = _app_order(shop, product)
    shop.sync([Entity.ORDER])
    shop.events.clear()
    return order


def test_kvf05_cancel_after_push_becomes_a_do_it_yourself_item(make_shop):
    """KVF-05."""
    shop = make_shop(_order_platform(
        status_changes={OrderStatus.CANCELLED: StatusChange.MANUAL},
        status_change_rules={OrderStatus.CANCELLED: "KVF-05"}))
    order = _pushed_order(shop, None, None)
    import dataclasses
    shop.catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus.CANCELLED))
    shop.sync([Entity.ORDER])
    [row] = shop.items(entity="order")
    assert (row.action, row.rule) == ("manual", "KVF-05")
    assert "yourself" in row.message_en and shop.pos.statuses == []
    shop.events.clear()
    shop.sync([Entity.ORDER])
    assert shop.items(entity="order") == []   # said once, not every run


def test_nh04_status_change_pushed_or_ignored_per_table(make_shop):
    """NH-04."""
    shop = make_shop(_order_platform(
        status_changes={OrderStatus.RECONCILED: StatusChange.PUSH,
                        OrderStatus.PACKED: StatusChange.IGNORE},
        status_change_rules={OrderStatus.RECONCILED: "NH-04", OrderStatus.PACKED: "NH-04"}))
    order = _pushed_order(shop, None, None)
    import dataclasses
    shop.catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus.PACKED))
    shop.sync([Entity.ORDER])
    assert shop.pos.statuses == []
    assert shop.items(entity="order")[0].rule == "NH-04"
    shop.catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus.RECONCILED))
    shop.sync([Entity.ORDER])
    assert [s for _, s in shop.pos.statuses] == [OrderStatus.RECONCILED]


def test_sapo09_app_change_of_pushed_order_is_a_conflict_never_pushed(make_shop):
    """SAPO-09."""
    shop = make_shop(_order_platform(
        status_changes={OrderStatus.CANCELLED: StatusChange.CONFLICT},
        status_change_rules={OrderStatus.CANCELLED: "SAPO-09"},
        app_edit_after_push=StatusChange.CONFLICT, app_edit_rule="SAPO-09"))
    order = _pushed_order(shop, None, None)
    import dataclasses
    shop.catalog.put(Entity.ORDER, dataclasses.replace(order, shipping_address="Hà Nội"))
    shop.sync([Entity.ORDER])
    [row] = shop.items(entity="order")
    assert (row.action, row.rule) == ("conflict", "SAPO-09")
    assert shop.pos.updated == [] and shop.pos.statuses == []
    assert m.Conflict.get().rule == "SAPO-09"


def test_sapo10_pos_status_change_updates_the_app_order(shop):
    """SAPO-10."""
    product = _linked_product(shop)
    order = _app_order(shop, product)
    shop.sync([Entity.ORDER])
    pos_key = m.Link.get(m.Link.app_id == order.key).pos_id
    import dataclasses
    pos_order = shop.pos.records[Entity.ORDER][pos_key]
    shop.pos.put(Entity.ORDER, dataclasses.replace(pos_order, status=OrderStatus.ARCHIVED))
    shop.sync([Entity.ORDER])
    assert shop.catalog.get(Entity.ORDER, order.key).status is OrderStatus.ARCHIVED
    assert shop.pos.statuses == []   # coming back from the POS is not pushed again
    assert m.Link.get(m.Link.app_id == order.key).pushed_status == "archived"


def test_sapo09_conflict_keep_pos_puts_the_pos_order_back_in_the_app(make_shop):
    """SAPO-09: the conflict holds the POS copy, so "keep POS" undoes the App-side cancel."""
    shop = make_shop(_order_platform(
        status_changes={OrderStatus.CANCELLED: StatusChange.CONFLICT},
        status_change_rules={OrderStatus.CANCELLED: "SAPO-09"}))
    order = _pushed_order(shop, None, None)
    import dataclasses
    shop.catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus.CANCELLED))
    shop.sync([Entity.ORDER])
    conflict = m.Conflict.get()
    assert conflict.rule == "SAPO-09" and conflict.pos_data != "null"
    asyncio.run(shop.engine().resolve_conflict(conflict.id, "pos"))
    assert shop.catalog.get(Entity.ORDER, order.key).status is OrderStatus.PLACED
    shop.events.clear()
    shop.sync([Entity.ORDER])
    assert shop.items(entity="order") == [] and shop.pos.statuses == []


def test_sapo09_kvf10_app_edit_of_an_order_pushed_once_is_a_conflict_not_a_create_only_skip(
        make_shop):
    """SAPO-09 / KVF-10: orders are pushed once (create-only), yet an App edit of one already
    on the POS is reported as a conflict holding the POS order, never taken in silently."""
    shop = make_shop(_order_platform(push=Mode.CREATE_ONLY,
                                     app_edit_after_push=StatusChange.CONFLICT,
                                     app_edit_rule="SAPO-09"))
    order = _pushed_order(shop, None, None)
    pos_key = m.Link.get(m.Link.app_id == order.key).pos_id
    shop.catalog.put(Entity.ORDER, dataclasses.replace(order, shipping_address="Hà Nội"))
    shop.sync([Entity.ORDER])
    [row] = shop.items(entity="order")
    assert (row.action, row.outcome, row.rule) == ("conflict", "skipped", "SAPO-09")
    conflict = m.Conflict.get()
    assert json.loads(conflict.pos_data)["key"] == pos_key
    assert json.loads(conflict.app_data)["shipping_address"] == "Hà Nội"
    assert shop.pos.updated == [] and shop.pos.statuses == []
    shop.events.clear()
    shop.sync([Entity.ORDER])
    assert shop.items(entity="order") == []        # an open conflict is not raised again


def _cancelled_after_push(shop, get):
    """A pushed order cancelled in the App (SAPO-09: a conflict), over a POS whose by-id read
    is `get(pos, entity, key)`; returns the order's POS id."""
    order = _pushed_order(shop, None, None)
    pos_key = m.Link.get(m.Link.app_id == order.key).pos_id

    async def read_by_id(entity, key):
        shop.pos._call("get", (entity, key))
        return get(shop.pos, entity, key)
    shop.pos.get = read_by_id
    shop.pos.calls.clear()
    shop.catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus.CANCELLED))
    return pos_key


def _locked_orders():
    return _order_platform(status_changes={OrderStatus.CANCELLED: StatusChange.CONFLICT},
                           status_change_rules={OrderStatus.CANCELLED: "SAPO-09"})


def test_sapo09_conflict_reads_the_pos_copy_by_its_pos_id_in_one_call(make_shop):
    """SAPO-09: where the connector reads by POS id, the conflict's POS side is that one
    read; no natural-key look-up is made."""
    shop = make_shop(_locked_orders())
    pos_key = _cancelled_after_push(shop, lambda pos, entity, key: pos.records[entity].get(key))
    assert shop.sync([Entity.ORDER]).status == "done"
    asked = [call for call in shop.pos.calls if call[0] in ("get", "find")]
    assert asked == [("get", (Entity.ORDER, pos_key))]
    conflict = m.Conflict.get()
    assert conflict.rule == "SAPO-09" and json.loads(conflict.pos_data)["key"] == pos_key
    assert shop.pos.statuses == []


def test_sapo09_an_order_gone_from_the_pos_leaves_the_conflict_with_the_app_side_only(make_shop):
    """SAPO-09: a by-id read answering "no such record" (404) is the answer: no look-up
    after it, and the conflict is still recorded."""
    shop = make_shop(_locked_orders())
    pos_key = _cancelled_after_push(shop, lambda pos, entity, key: None)
    assert shop.sync([Entity.ORDER]).status == "done"
    assert [call for call in shop.pos.calls if call[0] in ("get", "find")] == [
        ("get", (Entity.ORDER, pos_key))]
    conflict = m.Conflict.get()
    assert conflict.rule == "SAPO-09" and json.loads(conflict.pos_data) is None


def test_sapo09_an_entity_the_connector_cannot_read_by_id_is_looked_up_by_natural_key(
        make_shop):
    """SAPO-09: a connector that refuses the by-id read for an entity (before any request)
    leaves the POS side to `find`, keyed by the App id: for orders that is the natural key."""
    shop = make_shop(_locked_orders())

    def refuse(pos, entity, key):
        raise NotSupported("Không đọc theo mã.", "No read by id.")
    pos_key = _cancelled_after_push(shop, refuse)
    app_id = m.Link.get(m.Link.pos_id == pos_key).app_id
    assert shop.sync([Entity.ORDER]).status == "done"
    asked = [call for call in shop.pos.calls if call[0] in ("get", "find")]
    assert asked == [("get", (Entity.ORDER, pos_key)), ("find", (Entity.ORDER, app_id))]
    assert json.loads(m.Conflict.get().pos_data)["key"] == pos_key


def test_sapo09_com04_a_pos_copy_that_cannot_be_read_still_records_the_conflict(make_shop):
    """SAPO-09 / COM-04: nothing is written for a conflict, so a POS read still failing after
    the HTTP layer's retries leaves the App side only and the run goes on."""
    shop = make_shop(_locked_orders())

    def down(pos, entity, key):
        raise TransientError("Mất kết nối.", "Connection lost.")
    _cancelled_after_push(shop, down)
    finished = shop.sync([Entity.ORDER])
    assert finished.status == "done" and not finished.counts.get("failed")
    conflict = m.Conflict.get()
    assert conflict.rule == "SAPO-09" and json.loads(conflict.pos_data) is None


def test_sapo09_a_refused_login_while_reading_the_pos_copy_stops_the_run(make_shop):
    """SAPO-09: an error no later request escapes either (login refused) stops the run, as
    it would at its next request; no conflict is half recorded."""
    shop = make_shop(_locked_orders())

    def refused(pos, entity, key):
        raise AuthError("Sai khoá.", "Wrong key.")
    _cancelled_after_push(shop, refused)
    assert shop.sync([Entity.ORDER]).status == "failed"
    assert m.Conflict.select().count() == 0


def test_nh04_com06_order_deleted_in_app_after_push_asks_to_handle_it_on_the_pos_once(
        make_shop):
    """NH-04 / COM-06: the POS has no order-delete call, so one result row tells the user to
    cancel or delete the order on the POS; later runs do not repeat it."""
    shop = make_shop(_order_platform(app_delete=StatusChange.MANUAL, app_delete_rule="NH-04"))
    order = _pushed_order(shop, None, None)
    pos_key = m.Link.get(m.Link.app_id == order.key).pos_id
    shop.catalog.delete(Entity.ORDER, order.key)
    shop.sync([Entity.ORDER])
    [row] = shop.items(entity="order", direction="app_to_pos")
    assert (row.action, row.outcome, row.rule) == ("manual", "skipped", "NH-04")
    assert (row.app_id, row.pos_id) == (order.key, pos_key)
    assert "on the POS yourself" in row.message_en and "trên POS" in row.message_vi
    assert pos_key in shop.pos.records[Entity.ORDER]       # nothing deleted for the user
    shop.events.clear()
    shop.sync([Entity.ORDER])
    assert shop.items(entity="order", direction="app_to_pos") == []   # said once


def test_com06_order_deleted_in_app_where_app_delete_is_ignore_says_nothing(make_shop):
    """COM-06: IGNORE (the default) leaves no result row for an App-side delete."""
    shop = make_shop(_order_platform())
    order = _pushed_order(shop, None, None)
    shop.catalog.delete(Entity.ORDER, order.key)
    shop.sync([Entity.ORDER])
    assert shop.items(entity="order", direction="app_to_pos") == []


def test_com02_two_unlinked_app_products_sharing_a_sku_are_both_blocked_naming_each_other(shop):
    """COM-02 (issue 18 §2): `push --all-new` must not make two POS products with one SKU.
    Neither exists on the POS, so matching cannot help: both wait, each naming the other."""
    first = app_product(shop.catalog, "Bánh mì", "BM-01")
    second = app_product(shop.catalog, "Bánh mì (nhập lại)", "BM-01")
    other = app_product(shop.catalog, "Bánh bao", "BB-01")
    finished = push(shop, all_new=True)
    assert finished.status == "done"
    assert [r.name for _, r in shop.pos.created] == ["Bánh bao"]
    blocked = {r.app_id: r for r in shop.items(action="blocked")}
    assert set(blocked) == {first.key, second.key}
    assert second.key in blocked[first.key].message_en and first.key in blocked[second.key].message_vi
    assert all(r.rule == "COM-02" for r in blocked.values())
    assert m.Link.get_or_none(m.Link.app_id == other.key) is not None
