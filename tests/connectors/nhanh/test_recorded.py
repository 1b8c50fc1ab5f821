"""Issue 23 (Nhanh): responses shaped as Nhanh's public docs list their fields (written here
from the field tables of apidocs.nhanh.vn /v3/product, /v3/order, /v2 product/search and
order/index, not copied from anyone's recording) through the adapters and the mapping;
every field a shop owner sees is checked. Plus the property: for any order the sandbox can
produce (line discounts, VAT, order discount, shipping fee) the App's total is Nhanh's."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from contract.records import OrderStatus
from connectors.nhanh import mapping, v2, v3
from connectors.nhanh.sandbox import nhanh_sandbox, order_total

from tests.connectors.order_sums import parts_total

from .conftest import FakeClock

# -- v3 ------------------------------------------------------------------------------------

V3_PARENT = {
    "id": 5012001, "parentId": -2, "code": "AL-LINEN", "barcode": "", "name": "Áo linen cổ tàu",
    "status": 2, "categoryId": 301, "brandId": 12, "type": 1,
    "prices": {"retail": 349000, "import": 180000, "old": 420000, "wholesale": 290000,
               "avgCost": 182500},
    "images": {"avatar": "https://pos.nhanh.vn/upload/al-linen.jpg",
               "others": ["https://pos.nhanh.vn/upload/al-linen-2.jpg"]},
    "units": {"id": 3, "name": "Chiếc"},
    "inventory": {"remain": 0, "shipping": 0, "damaged": 0, "holding": 0, "transfering": 0,
                  "available": 0, "depots": []},
    "attributes": [], "createdAt": 1733300000, "updatedAt": 1733387520,
}
V3_CHILD = {
    **V3_PARENT, "id": 5012002, "parentId": 5012001, "code": "AL-LINEN-BE-M",
    "barcode": "8936012002", "name": "Áo linen cổ tàu - Be - M",
    "prices": {"retail": 349000, "import": 180000, "old": 0, "wholesale": 290000,
               "avgCost": 182500},
    "inventory": {"remain": 14, "shipping": 1, "damaged": 0, "holding": 2, "transfering": 0,
                  "available": 11,
                  "depots": [{"id": 31010, "remain": 9, "shipping": 1, "damaged": 0,
                              "holding": 2, "transfering": 0, "available": 6},
                             {"id": 31011, "remain": 5, "shipping": 0, "damaged": 0,
                              "holding": 0, "transfering": 0, "available": 5}]},
    "attributes": [{"name": "Màu", "value": "Be"}, {"name": "Size", "value": "M"}],
}
V3_ORDER = {
    "info": {"id": 14903497, "depotId": 31010, "type": 1, "status": 60, "reason": None,
             "createdAt": 1733387520, "updatedAt": 1733473920,
             "description": "Giao giờ hành chính", "privateDescription": "", "saleId": 0,
             "trackingUrl": "", "tags": []},
    "channel": {"appOrderId": "APP-88", "saleChannel": 10, "marketting": {}},
    "shippingAddress": {"id": 7788, "name": "Nguyễn Văn Cường", "mobile": "0928937476",
                        "email": "", "address": "170 La Thành, Đống Đa, Hà Nội",
                        "cityId": 254, "districtId": 321, "wardId": 1116},
    "products": [{"productId": 1231264453, "code": "AL-LINEN-BE-M", "name": "Áo linen - Be - M",
                  "quantity": 2, "price": 189000, "discount": 9000, "vatPercent": 0,
                  "totalAmount": 360000},
                 {"productId": 1231253490, "code": "SON-01", "name": "Son dưỡng",
                  "quantity": 1, "price": 100000, "discount": 0, "vatPercent": 8,
                  "totalAmount": 108000}],
    "carrier": {"id": 5, "carrierCode": "", "shipFee": 25000, "codFee": 0,
                "customerShipFee": 30000, "carrierPaymentStatus": 0},
    "payment": {"discount": {"amount": 18000}, "deposit": {}, "transfer": {},
                "codAmount": 480000, "businessPaymentStatus": 0},
    "gifts": [],
}


def test_issue23_v3_product_family_maps_every_field_an_owner_sees():
    product = mapping.product(v3._product(V3_PARENT), [v3._product(V3_CHILD)])
    assert product.key == "5012001" and product.name == "Áo linen cổ tàu"
    assert product.category_keys == ("301",) and product.visible
    assert product.images == ("https://pos.nhanh.vn/upload/al-linen.jpg",
                              "https://pos.nhanh.vn/upload/al-linen-2.jpg")
    assert product.option_names == ("Màu", "Size")
    assert product.updated_at == datetime(2024, 12, 5, 8, 32, tzinfo=timezone.utc)
    [variant] = product.variants
    assert variant.key == "5012002" and variant.sku == "AL-LINEN-BE-M"
    assert variant.barcode == "8936012002" and variant.options == ("Be", "M")
    assert variant.price == Decimal("349000") and variant.compare_at_price is None
    assert variant.unit == "Chiếc"                                       # issue 23.4
    assert {(s.branch_key, s.available) for s in variant.stock} == {("31010", 6), ("31011", 5)}


def test_issue23_v3_order_total_includes_line_discounts_vat_order_discount_and_fee():
    order = mapping.order(v3._order(V3_ORDER))
    assert order.key == "14903497" and order.number == "APP-88"
    assert order.status is OrderStatus.COMPLETED
    assert order.customer_key == "7788"                                  # issue 23.4
    assert order.customer_name == "Nguyễn Văn Cường" and order.customer_phone == "0928937476"
    assert order.shipping_address == "170 La Thành, Đống Đa, Hà Nội"
    assert order.branch_key == "31010" and order.note == "Giao giờ hành chính"
    assert order.created_at == datetime(2024, 12, 5, 8, 32, tzinfo=timezone.utc)
    shirt, balm = order.lines
    assert (shirt.variant_key, shirt.sku, shirt.quantity) == ("1231264453", "AL-LINEN-BE-M", 2)
    assert shirt.name == "Áo linen - Be - M"
    # The list price again, the discount in its field (9.000 per unit × 2), not in the note.
    assert shirt.price == Decimal("189000") and shirt.discount == Decimal("18000")
    assert shirt.note == ""
    assert balm.price == Decimal("100000") and balm.discount == 0 and balm.note == "VAT 8%"
    assert order.discount == Decimal("18000")                      # payment.discount
    assert order.fees == Decimal("38000")          # 30.000 charged for shipping + 8.000 VAT
    # 2 × 189.000 − 18.000 + 100.000 − 18.000 order discount + 38.000 = 480.000
    assert order.total == Decimal("480000") == Decimal(V3_ORDER["payment"]["codAmount"])
    assert parts_total(order) == order.total


def test_issue23_v3_order_add_sends_the_app_orders_discount():
    from contract.records import Order, OrderLine
    app = Order(key="APP-1", customer_name="Lan", customer_phone="0912345678",
                total=Decimal("300000"),
                lines=(OrderLine(sku="A", name="Áo", quantity=Decimal(2),
                                 price=Decimal(159000)),))
    payload = mapping.new_order(app, {0: "3000002"})
    assert payload["discount"] == Decimal("18000")


def test_issue23_nh04_order_add_sends_line_discounts_per_unit_the_order_discount_and_fee():
    from contract.records import Order, OrderLine
    app = Order(key="APP-2", customer_name="Lan", customer_phone="0912345678",
                total=Decimal("341000"), discount=Decimal("10000"), fees=Decimal("25000"),
                lines=(OrderLine(sku="A", name="Áo", quantity=Decimal(2), price=Decimal(159000),
                                 discount=Decimal(18000)),
                       # 10.000 off 3 units is no whole đồng per unit: joins the order's.
                       OrderLine(sku="B", name="Son", quantity=Decimal(3),
                                 price=Decimal(12000), discount=Decimal(10000))))
    payload = mapping.new_order(app, {0: "3000002", 1: "3000003"})
    shirt, balm = payload["products"]
    assert (shirt["price"], shirt["discount"]) == (Decimal(159000), Decimal(9000))
    assert (balm["price"], balm["discount"]) == (Decimal(12000), 0)
    assert payload["discount"] == Decimal("20000") and payload["shipFee"] == Decimal("25000")


# -- v2 ------------------------------------------------------------------------------------

V2_CHILD = {
    "idNhanh": 3000006, "parentId": 3000001, "categoryId": 12, "code": "ATC-DEN-M",
    "barcode": "8931234567", "name": "Áo thun cotton - Đen - M", "price": "159000",
    "oldPrice": "0", "importPrice": "87450", "wholesalePrice": "127200", "status": "Active",
    "image": "https://pos.nhanh.vn/upload/atc.jpg",
    "attributes": {"701": {"attributeName": "Màu", "name": "Đen"},
                   "702": {"attributeName": "Size", "name": "M"}},
    "createdDateTime": "2026-01-15 09:30:00",
    "inventory": {"remain": 7, "holding": 1, "damage": 0, "available": 6,
                  "depots": {"101": {"remain": 4, "holding": 1, "damage": 0, "available": 3},
                             "102": {"remain": 3, "holding": 0, "damage": 0, "available": 3}}},
}
V2_PARENT = {**V2_CHILD, "idNhanh": 3000001, "parentId": -2, "code": "ATC",
             "name": "Áo thun cotton", "attributes": [], "inventory": {}}
V2_ORDER = {
    "id": 5174985, "shopOrderId": "3256", "statusCode": "Canceled", "statusName": "Khách hủy",
    "depotId": 101, "createdDateTime": "2026-11-20 14:05:00", "customerId": 42,
    "customerName": "Trần Văn Minh", "customerMobile": "0987654321",
    "customerAddress": "45 Cộng Hoà, Quận Tân Bình, TP. Hồ Chí Minh", "moneyDiscount": 10000,
    "customerShipFee": 20000,
    "products": {"3000006": {"productId": 3000006, "productCode": "ATC-DEN-M",
                             "productName": "Áo thun cotton - Đen - M", "price": 159000,
                             "discount": 5000, "quantity": 2}},
}


def test_issue23_v2_attributes_keyed_by_id_and_created_date_only_map_as_documented():
    product = mapping.product(v2._product(V2_PARENT), [v2._product(V2_CHILD)])
    assert product.option_names == ("Màu", "Size")                       # issue 23.5
    [variant] = product.variants
    assert variant.options == ("Đen", "M") and variant.key == "3000006"
    assert variant.price == Decimal("159000") and variant.sku == "ATC-DEN-M"
    assert {(s.branch_key, s.available) for s in variant.stock} == {("101", 3), ("102", 3)}
    # Only createdDateTime is documented: it is the product's time (Vietnam time, GMT+7).
    assert product.updated_at == datetime(2026, 1, 15, 2, 30, tzinfo=timezone.utc)


def test_issue23_v2_order_reads_discounts_fee_and_customer():
    order = mapping.order(v2._order(V2_ORDER))
    assert order.key == "5174985" and order.number == "3256"
    assert order.status is OrderStatus.CANCELLED and order.customer_key == "42"
    assert order.created_at == datetime(2026, 11, 20, 7, 5, tzinfo=timezone.utc)
    [line] = order.lines
    assert (line.sku, line.name) == ("ATC-DEN-M", "Áo thun cotton - Đen - M")
    assert line.price == Decimal("159000") and line.quantity == 2
    assert line.discount == Decimal("10000") and line.note == ""       # 5.000 per unit × 2
    assert (order.discount, order.fees) == (Decimal("10000"), Decimal("20000"))
    assert order.total == Decimal("318000")          # 2 × 159.000 − 10.000 − 10.000 + 20.000
    assert parts_total(order) == order.total


def test_issue23_v2_order_add_answer_keyed_by_our_id_or_order_id():
    assert v2.new_order_id({"3256": 5174985}, "3256") == "5174985"        # DOC /v2
    assert v2.new_order_id({"orderId": 5174985}, "3256") == "5174985"     # older clients
    assert v2.new_order_id([], "3256") == ""
    assert v2.city_and_district("45 Cộng Hoà, Quận Tân Bình, TP. Hồ Chí Minh") == (
        "TP. Hồ Chí Minh", "Quận Tân Bình")
    assert v2.city_and_district("10 Nguyễn Huệ") == ("", "")


# -- the property ---------------------------------------------------------------------------

LINES = st.lists(st.fixed_dictionaries({
    "price": st.integers(1, 5_000_000),
    "quantity": st.integers(1, 50),
    "discount_share": st.integers(0, 100),          # % of the price taken off per unit
    "vat": st.sampled_from([0, 5, 8, 10]),
}), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(lines=LINES, order_discount=st.integers(0, 500_000), fee=st.integers(0, 100_000),
       version=st.sampled_from(["3", "2"]))
def test_issue23_property_the_apps_total_equals_nhanhs_for_any_sandbox_order(
        lines, order_discount, fee, version):
    sandbox = nhanh_sandbox(version=version, clock=FakeClock())
    products = [{"productId": 3000028, "price": line["price"], "quantity": line["quantity"],
                 "discount": line["price"] * line["discount_share"] // 100, "vat": line["vat"]}
                for line in lines]
    row = sandbox._store_order({"appOrderId": "", "status": 54, "depotId": 101, "name": "Lan",
                                "mobile": "0912345678", "products": products,
                                "discount": order_discount, "shipFee": fee},
                               created=int(sandbox.clock()))
    shown = (sandbox._v3_order(row) if version == "3" else sandbox._v2_order(row))
    common = v3._order(shown) if version == "3" else v2._order(shown)
    app = mapping.order(common)
    assert app.total == Decimal(order_total(row))
    assert parts_total(app) == app.total                  # lines − discounts + fees = total
    assert app.discount == order_discount
    assert [line.price for line in app.lines] == [p["price"] for p in products]
    assert [line.discount for line in app.lines] == [p["discount"] * p["quantity"]
                                                     for p in products]
