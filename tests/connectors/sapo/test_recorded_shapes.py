"""A recorded-style Sapo shop (tests/connectors/sapo/fixtures/recorded_shop.json, written from the
field lists of Sapo's public API docs) fed through the connector and the mapping: every field a
shop owner sees (issue 23): ids, SKUs, Vietnamese names, Decimal prices, discounts and totals,
stock per branch, variants and units (pack sizes), dates with their zone, statuses."""
from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import respx

from contract.records import VIETNAM, Customer, Entity, OrderStatus, StockLevel
from connectors.sapo import mapping
from tests.connectors.sapo.conftest import BASE, build_connector, collect, run

from tests.connectors.order_sums import parts_total  # noqa: E402

RECORDED = json.loads((Path(__file__).parent / "fixtures" / "recorded_shop.json").read_text("utf-8"))


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


@pytest.fixture
def pulled_product():
    with respx.mock(base_url=BASE, assert_all_called=False) as api:
        api.get("/admin/locations.json").respond(json={"locations": RECORDED["locations"]})
        api.get("/admin/products.json").respond(json={"products": [RECORDED["product"]]})
        api.get("/admin/collects.json").respond(json={"collects": [
            {"id": 1, "collection_id": 5001, "product_id": RECORDED["product"]["id"]}]})

        def levels(request: httpx.Request) -> httpx.Response:
            location = int(request.url.params["location_id"])
            items = request.url.params["inventory_item_ids"].split(",")
            return httpx.Response(200, json={"inventory_levels": [
                row for row in RECORDED["inventory_levels"]
                if row["location_id"] == location and str(row["inventory_item_id"]) in items]})
        api.get("/admin/inventory_levels.json").mock(side_effect=levels)
        pages = run(collect(build_connector(None), Entity.PRODUCT))
    return pages[0].records[0]


def test_sapo03_recorded_product_every_field_an_owner_sees(pulled_product):
    product = pulled_product
    assert (product.key, product.name) == ("52001907", "Trà ô long Bảo Lộc")
    assert product.name == unicodedata.normalize("NFC", product.name)
    assert product.description == "<p>Trà ô long hái tay ở Bảo Lộc, Lâm Đồng.</p>"
    assert product.category_keys == ("5001",) and product.visible
    assert product.option_names == ("Khối lượng",)
    assert product.images == ("https://bizweb.dktcdn.net/100/574/092/products/tra-o-long.jpg",)
    assert product.updated_at == datetime(2025, 11, 20, 8, 15, 42, tzinfo=timezone.utc)
    small, big, box = product.variants
    assert (small.key, small.sku, small.barcode, small.options, small.unit) == (
        "150001", "OL-100", "8936000100011", ("100g",), "gói")
    assert small.price == Decimal("120000") and small.compare_at_price == Decimal("150000")
    assert isinstance(small.price, Decimal) and big.price == Decimal("275000")   # a numeric string
    assert big.compare_at_price is None                                          # 0.0 = none
    # Stock per branch, as "available" (có thể bán), fractional quantities kept.
    assert small.stock == (StockLevel("771001", Decimal(28)), StockLevel("771002", Decimal(7)))
    assert big.stock == (StockLevel("771001", Decimal("7.5")), StockLevel("771002", Decimal(0)))


def test_sapo03_issue23_a_pack_size_variant_is_a_unit_of_its_base_never_a_fake_option(pulled_product):
    box = pulled_product.variants[2]
    assert (box.key, box.sku, box.price) == ("150003", "OL-100-H4", Decimal("450000"))
    assert box.options == ("100g",)            # the base variant it is a pack of
    assert box.unit == "Hộp 4"                 # what the App shows next to it
    assert all(" - " not in value for v in pulled_product.variants for value in v.options)
    assert box.stock == (StockLevel("771001", Decimal(7)), StockLevel("771002", Decimal(1)))


def test_sapo03_a_pack_size_variant_of_a_product_without_options_has_none_either():
    product = mapping.product_from_sapo({
        "id": 1, "name": "Hạt điều rang muối", "published_on": None,
        "options": [{"name": "Tiêu đề", "position": 1, "values": ["Default Title", "20g - Phiên bản gốc"]}],
        "variants": [
            {"id": 11, "sku": "HD", "price": 20000, "option1": "Default Title", "type": "normal"},
            {"id": 12, "sku": "HD-20G", "price": 18000, "option1": "20g - Phiên bản gốc",
             "type": "packsize", "requires_components": True}]})
    assert product.option_names == ()
    assert [(v.options, v.unit) for v in product.variants] == [((), ""), ((), "20g")]


def test_sapo03_updating_a_product_never_writes_the_app_view_of_a_pack_back_as_an_option():
    body = mapping.product_to_sapo(mapping.product_from_sapo(RECORDED["product"]),
                                   existing=RECORDED["product"])
    box = next(v for v in body["variants"] if v["id"] == 150003)
    assert "option1" not in box and "unit" not in box


def test_sapo04_recorded_order_money_lines_dates_and_status():
    order = mapping.order_from_sapo(RECORDED["order"])
    assert (order.key, order.number, order.status) == ("780012345", "#1042", OrderStatus.APPROVED)
    assert order.total == Decimal("565000") and isinstance(order.total, Decimal)
    assert order.created_at == datetime(2025, 11, 20, 16, 45, tzinfo=timezone.utc)
    assert order.created_at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M") == "20/11/2025 23:45"
    assert (order.customer_key, order.customer_name, order.customer_phone) == (
        "9100045", "Phạm Thu Trang", "0912345678")
    assert order.branch_key == "771002" and order.note == "Gói quà giúp em"
    assert order.shipping_address == ("18 Lý Thường Kiệt, Phường Phan Chu Trinh, Quận Hoàn Kiếm, "
                                      "Hà Nội")
    first, box = order.lines
    # Issue 19 point 2: each line keeps the variant Sapo names.
    assert (first.sku, first.product_key, first.variant_key) == ("OL-100", "52001907", "150001")
    assert (box.sku, box.variant_key, box.price, box.quantity) == (
        "OL-100-H4", "150003", Decimal("450000"), Decimal(1))
    assert box.name == "Trà ô long Bảo Lộc - Hộp 4 - 100g"
    amounts = mapping.order_amounts(RECORDED["order"])
    assert (amounts.lines, amounts.line_discounts, amounts.order_discount, amounts.fees) == (
        Decimal("570000"), Decimal("25000"), Decimal("10000"), Decimal("30000"))
    assert amounts.computed == amounts.total == order.total


def test_sapo04_issue23_recorded_order_carries_line_and_order_discounts_and_fees():
    order = mapping.order_from_sapo(RECORDED["order"])
    first, box = order.lines
    # List prices, each line's own discount (total_discount: the whole line's), no note.
    assert (first.price, first.discount) == (Decimal("120000"), Decimal(0))
    assert (box.price, box.discount) == (Decimal("450000"), Decimal("25000"))
    assert first.note == box.note == ""
    assert order.discount == Decimal("10000")                  # the TRAVIET10 code
    assert order.fees == Decimal("30000")                      # the GHTK shipping line
    # 120.000 + 450.000 − 25.000 − 10.000 + 30.000 = 565.000 = total_price
    assert parts_total(order) == order.total == Decimal(RECORDED["order"]["total_price"])


def test_sapo04_issue23_tax_added_on_top_of_prices_is_part_of_the_fees():
    order = mapping.order_from_sapo({**RECORDED["order"], "total_tax": 53500.0,
                                     "total_price": 618500.0})
    assert order.fees == Decimal("83500") and parts_total(order) == order.total


def test_sapo05_recorded_customer_and_gender_as_the_docs_list_it():
    customer = mapping.customer_from_sapo(RECORDED["customer"])
    assert (customer.key, customer.name, customer.phone, customer.email) == (
        "9100045", "Phạm Thu Trang", "+84912345678", "thu.trang@example.vn")
    assert customer.gender == "female" and customer.birthday == date(1992, 8, 20)
    assert customer.address == ("18 Lý Thường Kiệt, Phường Phan Chu Trinh, Quận Hoàn Kiếm, Hà Nội")
    assert customer.updated_at == datetime(2025, 11, 19, 14, 2, 11, tzinfo=timezone.utc)


@pytest.mark.parametrize("sapo, app", [("Male", "male"), ("FEMALE", "female"), ("male", "male"),
                                       ("Other", ""), (None, "")])
def test_sapo05_gender_is_read_whatever_its_case(sapo, app):
    assert mapping.customer_from_sapo({"id": 1, "gender": sapo}).gender == app


@pytest.mark.parametrize("app, sapo", [("male", "Male"), ("female", "Female")])
def test_sapo05_gender_is_sent_as_sapo_lists_it(app, sapo):
    assert mapping.customer_to_sapo(Customer("k", nfd("Lê Văn Tám"), gender=app))["gender"] == sapo
    assert "gender" not in mapping.customer_to_sapo(Customer("k", "Lê Văn Tám"))


def test_sapo05_sandbox_refuses_a_gender_spelling_sapo_does_not_list_and_the_push_passes():
    from contract.connector import InvalidData
    from connectors.sapo.sandbox import sapo_sandbox
    from tests.connectors.sapo.conftest import FakeClock
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=3, products=5, clock=clock)
    sapo = build_connector(sandbox.transport(), clock=clock)
    with pytest.raises(InvalidData):
        run(sapo.http.request("POST", "/admin/customers.json",
                              json={"customer": {"first_name": "A", "gender": "female"}}))
    outcome = run(sapo.create(Entity.CUSTOMER, [Customer("k", "Lê Thị Bé", phone="0933000111",
                                                         gender="female")]))[0]
    assert outcome.error is None and sandbox.customers[int(outcome.pos_key)]["gender"] == "Female"
