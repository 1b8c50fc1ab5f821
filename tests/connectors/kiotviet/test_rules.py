"""KVF-02 … KVF-15 and B-06: each rule of the FnB seed (and the Retail extension) as a test."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.caveats import caveat
from contract.records import Entity, Order, OrderLine, OrderStatus
from contract.connector import Mode, StatusChange
from connectors.kiotviet import mapping
from connectors.kiotviet.platform import KIOTVIET_FNB, KIOTVIET_RETAIL
from connectors.registry import get_platform

from .conftest import PUSHED_AT


def order(**changes) -> Order:
    base = dict(key="A-17", number="A-17", status=OrderStatus.PLACED,
                lines=(OrderLine(sku="CPSD-M", name="Cà phê sữa đá M", quantity=Decimal(2),
                                 price=Decimal(29000)),
                       OrderLine(sku="TOP-TC", name="Trân châu", quantity=Decimal(1),
                                 price=Decimal(8000), note="ít đá")),
                customer_name="Nguyễn Thị Lan", customer_phone="0903123456",
                shipping_address="10 Nguyễn Huệ", note="Giao trước 9 giờ")
    base.update(changes)
    return Order(**base)


def fnb_body(o: Order, pushed_at=PUSHED_AT, with_delivery=True):
    return mapping.fnb_order_body(o, branch_id="1", product_ids=["1001", "1008"],
                                  pushed_at=pushed_at, with_delivery=with_delivery)


# -- KVF-07 -------------------------------------------------------------------------------

def test_kvf07_later_delivery_time_is_kept():
    later = PUSHED_AT + timedelta(seconds=1)
    assert mapping.delivery_time(later, PUSHED_AT) == later


def test_kvf07_delivery_time_equal_to_push_becomes_push_plus_one_hour():
    assert mapping.delivery_time(PUSHED_AT, PUSHED_AT) == PUSHED_AT + timedelta(hours=1)


def test_kvf07_past_delivery_time_becomes_push_plus_one_hour():
    earlier = PUSHED_AT - timedelta(seconds=1)
    assert mapping.delivery_time(earlier, PUSHED_AT) == PUSHED_AT + timedelta(hours=1)


def test_kvf07_missing_delivery_time_becomes_push_plus_one_hour():
    assert mapping.delivery_time(None, PUSHED_AT) == PUSHED_AT + timedelta(hours=1)


def test_kvf07_expected_delivery_is_sent_in_vietnam_time():
    body = fnb_body(order(delivery_at=None))
    assert body["DeliveryDetail"]["ExpectedDelivery"] == "2026-11-23T11:00:00"
    later = PUSHED_AT + timedelta(hours=5)
    retail = mapping.retail_order_body(order(delivery_at=later), branch_id="1",
                                       product_ids=["1", "2"], pushed_at=PUSHED_AT,
                                       with_delivery=True)
    assert retail["orderDelivery"]["expectedDelivery"] == "2026-11-23T15:00:00"


# -- KVF-06 -------------------------------------------------------------------------------

def test_kvf06_order_note_goes_into_the_first_line_note_not_the_order():
    body = fnb_body(order())
    notes = [d["Note"] for d in body["OrderDetails"]]
    # The App order's code follows the note on the first line (issue 19/16: a field FnB
    # documents, so a lost answer is still found when `Description` is not kept).
    assert notes == ["Giao trước 9 giờ · ShopSync #A-17", "ít đá"]
    assert "Giao trước 9 giờ" not in body["Description"]


def test_kvf06_first_line_keeps_its_own_note_after_the_order_note():
    o = order(lines=(OrderLine(sku="X", name="X", quantity=Decimal(1), price=Decimal(1),
                               note="không đường"),))
    assert mapping.line_notes(o) == ["Giao trước 9 giờ — không đường"]


def test_kvf06_retail_body_puts_the_note_on_the_first_line_too():
    body = mapping.retail_order_body(order(), branch_id="1", product_ids=["1", "2"],
                                     pushed_at=PUSHED_AT)
    assert body["orderDetails"][0]["note"] == "Giao trước 9 giờ"
    assert "Giao trước" not in body["description"]


def test_fnb_order_body_is_pascal_case():
    body = fnb_body(order())
    assert set(body) == {"BranchId", "Description", "OrderDetails", "DeliveryDetail"}
    assert body["OrderDetails"][0] == {"ProductId": 1001, "Price": 29000, "Quantity": 2,
                                       "Note": "Giao trước 9 giờ · ShopSync #A-17", "Rank": 1}
    assert body["DeliveryDetail"]["Receiver"] == "Nguyễn Thị Lan"


def test_retail_order_body_is_camel_case_with_customer_and_description():
    body = mapping.retail_order_body(order(), branch_id="1", product_ids=["1", "2"],
                                     customer_id="55", pushed_at=PUSHED_AT)
    # KVDOC 2.5.3: the customer is `customer.id`; there is no top-level customerId.
    assert body["branchId"] == 1 and body["customer"]["id"] == 55 and "customerId" not in body
    assert body["customer"]["contactNumber"] == "0903123456"
    assert body["orderDetails"][1] == {"productId": 2, "productCode": "TOP-TC",
                                       "price": 8000, "quantity": 1, "note": "ít đá"}
    assert body["description"] == "ShopSync #A-17" and "orderDelivery" not in body
    assert not any(key[0].isupper() for key in body)


# -- capability data ------------------------------------------------------------------------

@pytest.mark.parametrize("platform", [KIOTVIET_FNB, KIOTVIET_RETAIL])
def test_kvf04_only_placed_approved_packed_shipped_completed_orders_are_pushed(platform):
    orders = platform.capability(Entity.ORDER)
    assert orders.push is Mode.CREATE_ONLY
    assert orders.push_statuses == {OrderStatus.PLACED, OrderStatus.APPROVED,
                                    OrderStatus.PACKED, OrderStatus.SHIPPED_OUT,
                                    OrderStatus.COMPLETED}


@pytest.mark.parametrize("platform", [KIOTVIET_FNB, KIOTVIET_RETAIL])
def test_kvf05_cancel_after_push_is_a_manual_item(platform):
    orders = platform.capability(Entity.ORDER)
    assert orders.status_changes[OrderStatus.CANCELLED] is StatusChange.MANUAL
    assert orders.status_change_rules[OrderStatus.CANCELLED] == "KVF-05"
    assert "KVF-05" in orders.caveats
    others = {s for s, change in orders.status_changes.items() if s is not OrderStatus.CANCELLED}
    assert all(orders.status_changes[s] is StatusChange.IGNORE for s in others)


@pytest.mark.parametrize("platform", [KIOTVIET_FNB, KIOTVIET_RETAIL])
def test_kvf10_app_edit_after_push_is_a_conflict(platform):
    orders = platform.capability(Entity.ORDER)
    assert orders.app_edit_after_push is StatusChange.CONFLICT
    assert orders.app_edit_rule == "KVF-10" and "KVF-10" in orders.caveats


def test_kvf08_orders_pull_means_completed_invoices_and_is_shown():
    orders = KIOTVIET_FNB.capability(Entity.ORDER)
    assert orders.pull is Mode.FULL and "KVF-08" in orders.caveats
    assert orders.rule == "KVF-04"      # the rule a skipped App order is reported with


def test_kvf01_entities_and_directions_for_fnb():
    fnb = KIOTVIET_FNB
    assert fnb.capability(Entity.CATEGORY).pull is Mode.FULL
    assert fnb.capability(Entity.CATEGORY).push is Mode.NONE
    products = fnb.capability(Entity.PRODUCT)
    assert (products.pull, products.push, products.unavailable_reason) == \
        (Mode.FULL, Mode.NONE, "KVF-01")
    customers = fnb.capability(Entity.CUSTOMER)
    assert (customers.pull, customers.push) == (Mode.FULL, Mode.FULL)
    assert fnb.capability(Entity.NEWS).pull is Mode.NONE


def test_b06_retail_pushes_products():
    products = KIOTVIET_RETAIL.capability(Entity.PRODUCT)
    assert (products.pull, products.push, products.rule) == (Mode.FULL, Mode.FULL, "B-06")
    assert get_platform("kiotviet-retail") is KIOTVIET_RETAIL


def test_kvf03_status_option_is_on_and_locked_for_fnb():
    option = next(o for o in KIOTVIET_FNB.options if o.name == "keep_app_product_status")
    assert option.default is True and option.locked and option.lock_rule == "KVF-03"


def test_kvf03_status_option_is_on_but_free_for_retail_which_returns_is_active():
    option = next(o for o in KIOTVIET_RETAIL.options if o.name == "keep_app_product_status")
    assert option.default is True and not option.locked


def test_kvf03_products_arrive_visible_even_when_kiotviet_says_inactive():
    row = {"id": 1, "name": "Trà vải", "isActive": False, "basePrice": 42000}
    assert mapping.product_from_family([row], keep_app_status=True).visible is True
    assert mapping.product_from_family([row], keep_app_status=False).visible is False


@pytest.mark.parametrize("rule", ["KVF-02", "KVF-03", "KVF-12", "KVF-13"])
def test_kvf02_kvf03_kvf12_kvf13_caveats_sit_on_products(rule):
    assert rule in KIOTVIET_FNB.capability(Entity.PRODUCT).caveats
    option = next(o for o in KIOTVIET_FNB.options if o.name == "sync_products")
    assert rule in option.caveats or rule == "KVF-03"


@pytest.mark.parametrize("rule", ["KVF-05", "KVF-06", "KVF-08", "KVF-09", "KVF-10", "KVF-11"])
def test_kvf05_kvf06_kvf08_kvf09_kvf10_kvf11_caveats_sit_on_fnb_orders(rule):
    assert rule in KIOTVIET_FNB.capability(Entity.ORDER).caveats


def test_kvf09_old_interface_caveat_is_fnb_only():
    assert "KVF-09" in KIOTVIET_FNB.caveats
    assert "KVF-09" not in KIOTVIET_RETAIL.capability(Entity.ORDER).caveats


def test_kvf14_connection_fields_and_central_branch_picker():
    fields = {f.name: f for f in KIOTVIET_FNB.credential_fields}
    assert list(fields)[:4] == ["retailer", "client_id", "client_secret", "branch"]
    assert fields["client_secret"].secret and fields["client_secret"].label_vi == "Mã bảo mật"
    assert fields["branch"].choices == () and "chi nhánh trung tâm" in fields["branch"].help_vi
    assert all("KVF-14" in fields[name].caveats for name in ("retailer", "client_id",
                                                              "client_secret", "branch"))
    assert "KVF-14" in KIOTVIET_FNB.caveats
    steps = " ".join(step.text_vi for step in KIOTVIET_FNB.setup_steps)
    assert "Thiết lập kết nối API" in steps and "Tạo mã" in steps and "Hoạt động" in steps
    assert "Cửa hàng ăn uống" in steps


def test_kvf14_pasted_store_address_is_reduced_to_the_connection_name():
    validate = next(f for f in KIOTVIET_FNB.credential_fields if f.name == "retailer").validate
    assert validate(" https://CapheMoc.kiotviet.vn/ ") == "caphemoc"
    from contract.connector import InvalidInput
    with pytest.raises(InvalidInput):
        validate("Cà phê Mộc")


def test_kvf14_token_url_candidates_are_listed_in_the_field_help():
    field = next(f for f in KIOTVIET_FNB.credential_fields if f.name == "token_url")
    assert not field.required
    assert "api.fnb.kiotviet.vn/identity/connect/token" in field.help_en
    assert "id.kiotviet.vn/connect/token" in field.help_en
    assert KIOTVIET_FNB.hosts == {"api_base": "https://publicfnb.kiotapi.com",
                                  "token_url": "https://api.fnb.kiotviet.vn/identity/connect/token"}
    assert KIOTVIET_RETAIL.hosts["token_url"] == "https://id.kiotviet.vn/connect/token"


def test_every_kiotviet_caveat_has_vietnamese_and_english_text():
    rules = set(KIOTVIET_FNB.caveats)
    for platform in (KIOTVIET_FNB, KIOTVIET_RETAIL):
        for capability in platform.entities.values():
            rules.update(capability.caveats)
        for option in platform.options:
            rules.update(option.caveats)
    for rule in sorted(rules):
        assert caveat(rule, "vi").text and caveat(rule, "en").text, rule


def test_kvf11_delivery_status_never_changes_the_app_order():
    for delivery_status in (1, 2, 3, 6):
        order_ = mapping.order_from_invoice({
            "id": 9, "code": "HD9", "status": 1,
            "invoiceDelivery": {"status": delivery_status, "contactNumber": "0903123456"}})
        assert order_.status is OrderStatus.COMPLETED


def test_kvf13_hide_show_is_never_sent_to_kiotviet():
    from contract.records import Product, Variant
    hidden = Product(key="1", name="Nón lá", visible=False,
                     variants=(Variant(key="2", sku="NL01", price=Decimal(65000)),))
    bodies = mapping.product_rows_for_push(hidden)
    assert all("isActive" not in body for body in bodies)
