"""Sapo JSON ↔ canonical records: Vietnamese text, Decimal money, UTC times, statuses."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from contract.records import (Customer, Entity, InvalidValue, Order, OrderLine, OrderStatus, Product,
                        StockLevel, Variant, fingerprint)
from connectors.sapo import mapping


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


@pytest.mark.parametrize("sapo, status", [
    ({"status": "closed", "financial_status": "paid", "fulfillment_status": "fulfilled"}, OrderStatus.ARCHIVED),
    ({"status": "cancelled"}, OrderStatus.CANCELLED),
    ({"status": "open", "fulfillment_status": "fulfilled"}, OrderStatus.SHIPPED_OUT),
    ({"status": "open", "fulfillment_status": "partial"}, OrderStatus.PACKED),
    ({"status": "open", "financial_status": "paid"}, OrderStatus.APPROVED),
    ({"status": "open", "financial_status": "pending", "fulfillment_status": None}, OrderStatus.PLACED),
])
def test_sapo10_closed_order_is_archived_and_other_statuses_map(sapo, status):
    assert mapping.order_status_from_sapo(sapo) is status


def test_sapo_time_filter_has_a_zone_and_naive_is_refused():
    assert mapping.sapo_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2026-01-02T03:04:05Z"
    with pytest.raises(InvalidValue):
        mapping.sapo_time(datetime(2026, 1, 2, 3, 4, 5))
    assert mapping.parse_time("2025-05-13T08:53:30Z") == datetime(2025, 5, 13, 8, 53, 30, tzinfo=timezone.utc)
    assert mapping.parse_time("2025-05-13T15:53:30+07:00") == datetime(2025, 5, 13, 8, 53, 30, tzinfo=timezone.utc)
    assert mapping.parse_time(None) is None


@pytest.mark.parametrize("phone", ["+84981234567", "84981234567", "0981234567", "098 123 4567",
                                   "+84 98-123-4567"])
def test_com02_vietnamese_phone_spellings_compare_equal(phone):
    assert mapping.phone_digits(phone) == "0981234567"
    assert mapping.phone_query(phone) == "981234567"


def test_sapo_product_reads_numbers_as_decimal_and_text_as_nfc():
    sapo = {"id": 5, "name": nfd("Bánh bông lan trứng muối"), "content": "<p>Ngon</p>",
            "published_on": None, "modified_on": "2026-11-20T01:00:00Z",
            "options": [{"name": "Tiêu đề", "position": 1}],
            "variants": [{"id": 6, "sku": "BBL", "price": "35000.50", "compare_at_price": 0.0,
                          "option1": "Default Title", "inventory_item_id": 7,
                          "inventory_quantity": 2.5}],
            "images": [{"src": "https://bizweb.dktcdn.net/a.jpg", "position": 1}]}
    product = mapping.product_from_sapo(sapo, ["1001"], single_branch="501")
    assert product.name == "Bánh bông lan trứng muối" and product.visible is False
    variant = product.variants[0]
    assert variant.price == Decimal("35000.5") and variant.compare_at_price is None
    assert product.option_names == () and variant.options == ()        # Sapo's "Default Title"
    assert variant.stock == (StockLevel("501", Decimal("2.5")),)
    assert product.updated_at == datetime(2026, 11, 20, 1, tzinfo=timezone.utc)


def test_sapo03_product_round_trip_keeps_vietnamese_text_prices_and_variants():
    app = Product("app-1", nfd("Áo thun cổ tròn"), description="<p>Cotton 100%</p>",
                  category_keys=("1007",), option_names=("Màu", "Kích cỡ"),
                  variants=(Variant("a", sku="AT-DEN-M", price=Decimal("149000"),
                                    compare_at_price=Decimal("199000"), options=("Đen", "M")),
                            Variant("b", sku="AT-DEN-L", price=Decimal("159000.5"),
                                    options=("Đen", "L"))),
                  images=("https://bizweb.dktcdn.net/at.jpg",))
    body = mapping.product_to_sapo(app, published_on="2026-11-23T03:00:00Z")
    assert body["variants"][1]["price"] == 159000.5 and body["variants"][0]["price"] == 149000
    # What Sapo sends back for that body:
    echoed = {"id": 9, **body, "options": [{"name": n, "position": i + 1}
                                           for i, n in enumerate(app.option_names)],
              "variants": [{**v, "id": 90 + i, "option3": None} for i, v in enumerate(body["variants"])],
              "images": [{"src": s, "position": 1} for s in app.images]}
    back = mapping.product_from_sapo(echoed, ["1007"])
    assert fingerprint(back) == fingerprint(app)
    assert back.name == "Áo thun cổ tròn"


def test_sapo03_update_keeps_sapo_variant_ids_and_never_blanks_a_value():
    existing = {"id": 9, "published_on": "2026-01-01T00:00:00Z",
                "images": [{"src": "https://x/a.jpg"}],
                "variants": [{"id": 91, "sku": "S-1", "option1": "S"}, {"id": 92, "sku": "S-2", "option1": "M"}]}
    app = Product("9", "Trà đào", option_names=("Kích cỡ",), images=("https://x/a.jpg",),
                  variants=(Variant("x", sku="S-2", price=Decimal(1), options=("M",)),
                            Variant("y", sku="", price=Decimal(2), options=("L",))))
    body = mapping.product_to_sapo(app, existing=existing, published_on="now")
    assert [v.get("id") for v in body["variants"]] == [92, None]
    assert "content" not in body and "images" not in body and "published_on" not in body   # COM-05
    assert "sku" not in body["variants"][1]
    hidden = mapping.product_to_sapo(Product("9", "Trà đào", visible=False), existing=existing)
    assert hidden["published_on"] is None                 # SAPO-07: hide, never delete


def test_sapo08_zero_or_several_categories_are_blocked_with_a_message():
    for keys in ((), ("1", "2")):
        with pytest.raises(Exception) as raised:
            mapping.validate_push(Entity.PRODUCT, Product("p", "Trà sen", category_keys=keys))
        assert raised.value.rule == "SAPO-08"
        assert "danh mục" in raised.value.message_vi and "categor" in raised.value.message_en
    mapping.validate_push(Entity.PRODUCT, Product("p", "Trà sen", category_keys=("1",)))


def test_sapo05_customer_round_trip_full_name_phone_and_address():
    app = Customer("c1", nfd("Nguyễn Thị Thu Hà"), phone="+84981234567", email="ha@example.vn",
                   address="25 Điện Biên Phủ, Phường Điện Biên, Quận Ba Đình, Hà Nội",
                   birthday=date(1990, 5, 12), gender="female")
    body = mapping.customer_to_sapo(app)
    assert body["first_name"] == app.name and body["last_name"] == ""
    echoed = {"id": 3, **body, "dob": "1990-05-11T17:00:00Z",
              "default_address": body["addresses"][0]}
    back = mapping.customer_from_sapo(echoed)
    assert fingerprint(back) == fingerprint(app)
    assert mapping.customer_name("Lan", "Nguyễn Thị") == "Nguyễn Thị Lan"
    unchanged = mapping.customer_to_sapo(app, existing=back)
    assert "addresses" not in unchanged


def test_sapo04_order_to_sapo_refuses_unknown_stock_behaviour_and_keeps_custom_lines():
    order = Order("A1", lines=(OrderLine("X-1", "Bánh tét", Decimal(1), Decimal("55000")),))
    body = mapping.order_to_sapo(order, inventory_behaviour="bypass")
    assert body["line_items"] == [{"quantity": 1, "price": 55000, "title": "Bánh tét", "sku": "X-1"}]
    with pytest.raises(InvalidValue):
        mapping.order_to_sapo(order, inventory_behaviour="anything")


def test_sapo06_article_maps_blog_as_category_and_hidden_when_unpublished():
    article = mapping.article_from_sapo(
        {"id": 1, "title": "Khai trương", "content": "<p>Vui</p>", "published_on": None,
         "image": {"src": "https://x/k.jpg"}, "modified_on": "2026-11-01T00:00:00Z"},
        {"id": 900, "name": "Tin tức"})
    assert (article.category_key, article.category_name, article.visible) == ("900", "Tin tức", False)
    assert article.image == "https://x/k.jpg"
