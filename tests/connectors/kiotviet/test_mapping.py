"""KiotViet JSON → canonical records (products as families, stock, customers, invoices)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from contract.records import OrderStatus
from connectors.kiotviet import mapping


def row(pid, **extra):
    base = {"id": pid, "code": f"SP{pid}", "name": "Cà phê sữa đá", "basePrice": 29000,
            "categoryId": 1, "modifiedDate": "2026-11-20T08:00:00.1230000"}
    base.update(extra)
    return base


def test_variant_rows_are_grouped_by_master_product_id_into_one_product():
    rows = [row(1, hasVariants=True, attributes=[{"attributeName": "Size",
                                                  "attributeValue": "M"}]),
            row(2, masterProductId=1, basePrice=35000,
                attributes=[{"attributeName": "Size", "attributeValue": "L"}])]
    families = mapping.group_families(rows)
    assert list(families) == ["1"]
    product = mapping.product_from_family(families["1"])
    assert product.key == "1" and product.option_names == ("Size",)
    assert [(v.key, v.options, v.price) for v in product.variants] == \
        [("1", ("M",), Decimal(29000)), ("2", ("L",), Decimal(35000))]


def test_unit_rows_join_their_base_product_by_master_unit_id():
    rows = [row(10, unit="cái", units=[{"id": 11}]),
            row(11, unit="hộp 4 cái", masterUnitId=10, basePrice=110000)]
    product = mapping.product_from_family(mapping.group_families(rows)["10"])
    assert [v.unit for v in product.variants] == ["cái", "hộp 4 cái"]


def test_stock_per_branch_is_on_hand_minus_reserved_floored_at_zero():
    stock = mapping.sellable_stock({"inventories": [
        {"branchId": 1, "onHand": 10, "reserved": 3},
        {"branchId": 2, "onHand": 1, "reserved": 4}]})
    assert [(s.branch_key, s.available) for s in stock] == [("1", Decimal(7)), ("2", Decimal(0))]


def test_images_are_read_as_objects_or_plain_urls():
    assert mapping.image_urls([{"Image": "https://a/1.jpg"}, "https://a/2.jpg"]) == \
        ("https://a/1.jpg", "https://a/2.jpg")


def test_product_times_are_vietnam_time_converted_to_utc():
    product = mapping.product_from_family([row(1)])
    assert product.updated_at == datetime(2026, 11, 20, 1, 0, 0, 123000, tzinfo=timezone.utc)


def test_customer_fields_and_gender():
    customer = mapping.customer_from({
        "id": 7, "name": "Nguyễn Thị Lan", "contactNumber": "0903123456", "gender": False,
        "birthDate": "1990-05-01T00:00:00.0000000", "address": "10 Nguyễn Huệ",
        "wardName": "Bến Nghé", "locationName": "Hồ Chí Minh - Quận 1"})
    assert customer.gender == "female" and customer.birthday == date(1990, 5, 1)
    assert customer.address == "10 Nguyễn Huệ, Bến Nghé, Hồ Chí Minh - Quận 1"


def test_customer_body_never_sends_empty_values_com05():
    from contract.records import Customer
    body = mapping.customer_body(Customer(key="a", name="Lan", phone="0903123456"))
    assert body == {"name": "Lan", "contactNumber": "0903123456"}


def test_phones_compare_on_digits_with_country_code():
    assert mapping.same_phone("+84 903 123 456", "0903123456")
    assert not mapping.same_phone("0903123456", "0903123457")


def test_invoice_closing_an_order_is_keyed_by_the_order_code_kvf10():
    order = mapping.order_from_invoice({"id": 5, "code": "HD000005", "orderCode": "DH000002",
                                        "status": 1, "total": 58000,
                                        "description": "ShopSync #A-17 giao nhanh"})
    assert order.key == "DH000002" and order.number == "HD000005"
    assert order.status is OrderStatus.COMPLETED and order.note == "giao nhanh"


def test_b06_pushed_product_sends_stock_per_kiotviet_branch():
    from contract.records import Product, StockLevel, Variant
    product = Product(key="a", name="Nón lá", category_keys=("4",), variants=(
        Variant(key="v", sku="NL09", price=Decimal(65000),
                stock=(StockLevel("1", Decimal(5)), StockLevel("2", Decimal(3)))),))
    [body] = mapping.product_rows_for_push(product, "4")
    assert body["categoryId"] == 4 and body["code"] == "NL09" and body["basePrice"] == 65000
    assert body["inventories"] == [{"branchId": 1, "onHand": 5}, {"branchId": 2, "onHand": 3}]
