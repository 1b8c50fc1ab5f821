"""Each request the Sapo connector sends, pinned to the facts of platforms/sapo.md: path,
query, Basic auth, body; and each Sapo answer mapped to the right error with vi+en text."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
import respx

from contract.records import Branch, Entity, InvalidValue, Order, OrderLine, OrderStatus, Product, StockLevel, Variant
from contract.connector import (AuthError, InvalidData, NotFound, NotSupported, PermissionDenied)
from connectors.sapo.platform import SANDBOX_KEY, SANDBOX_SECRET
from tests.connectors.sapo.conftest import BASE, FakeClock, build_connector, collect, run

AUTH = "Basic " + base64.b64encode(f"{SANDBOX_KEY}:{SANDBOX_SECRET}".encode()).decode()
ONE_LOCATION = {"locations": [{"id": 501, "name": "Chi nhánh Hà Nội", "active": True}]}
TWO_LOCATIONS = {"locations": [{"id": 501, "name": "Chi nhánh Hà Nội", "active": True},
                               {"id": 502, "name": "Chi nhánh Huế", "active": True}]}
PRODUCT = {"id": 11, "name": "Cà phê sữa đá", "published_on": "2026-11-01T00:00:00Z",
           "modified_on": "2026-11-20T01:02:03Z", "options": [{"name": "Kích cỡ", "position": 1}],
           "variants": [{"id": 21, "inventory_item_id": 31, "sku": "CF-M", "price": 29000.0,
                         "option1": "M", "inventory_quantity": 5.0}]}


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


@pytest.fixture
def api():
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def sapo():
    return build_connector(None, clock=FakeClock())


def test_sapo_list_reads_250_per_page_with_basic_auth_and_no_redirects(api, sapo):
    api.get("/admin/locations.json").respond(json=ONE_LOCATION)
    products = api.get("/admin/products.json").respond(json={"products": [PRODUCT]})
    collects = api.get("/admin/collects.json").respond(
        json={"collects": [{"id": 1, "product_id": 11, "collection_id": 1001}]})
    pages = run(collect(sapo, Entity.PRODUCT))
    sent = products.calls.last.request
    assert sent.headers["authorization"] == AUTH
    assert params(sent) == {"limit": "250", "page": "1"}
    assert params(collects.calls.last.request) == {"limit": "250", "page": "1"}
    product = pages[0].records[0]
    assert product.category_keys == ("1001",) and pages[0].total == 1
    assert product.variants[0].stock == (StockLevel("501", Decimal(5)),)   # one branch: no inventory call


def test_sapo_incremental_filter_is_sent_with_a_zone_and_naive_dates_are_refused(api, sapo):
    api.get("/admin/locations.json").respond(json=ONE_LOCATION)
    products = api.get("/admin/products.json").respond(json={"products": []})
    since = datetime(2026, 11, 23, 8, 0, tzinfo=timezone(timedelta(hours=7)))
    run(collect(sapo, Entity.PRODUCT, since))
    assert params(products.calls.last.request)["modified_on_min"] == "2026-11-23T01:00:00Z"
    with pytest.raises(InvalidValue):
        run(collect(sapo, Entity.PRODUCT, datetime(2026, 11, 23, 8, 0)))
    assert products.call_count == 1


def test_sapo_orders_are_read_per_status_never_status_any(api, sapo):
    orders = api.get("/admin/orders.json").respond(json={"orders": []})
    run(collect(sapo, Entity.ORDER))
    statuses = [params(call.request).get("status") for call in orders.calls]
    assert statuses == ["open", "closed", "cancelled"]


def test_sapo04_order_create_body_sets_stock_behaviour_and_app_id_and_never_source_name(api):
    sapo = build_connector(None, options={"inventory_behaviour": "decrement_ignoring_policy"})
    linked = api.get("/admin/products.json", params={"ids": "11"}).respond(
        json={"products": [PRODUCT]})
    created = api.post("/admin/orders.json").respond(201, json={"order": {
        "id": 77, "name": "#1001", "status": "open", "line_items": [], "total_price": 58000}})
    order = Order("app-42", lines=(OrderLine("CF-M", "Cà phê sữa đá", Decimal(2), Decimal(29000),
                                             product_key="11"),),
                  customer_name="Nguyễn Thị Lan", customer_phone="0981234567", note="Ít đá")
    outcome = run(sapo.create(Entity.ORDER, [order]))[0]
    body = json.loads(created.calls.last.request.content)["order"]
    assert "source_name" not in body
    assert body["inventory_behaviour"] == "decrement_ignoring_policy"
    assert body["line_items"] == [{"quantity": 2, "price": 29000, "variant_id": 21, "product_id": 11}]
    assert linked.call_count == 1
    assert {"name": "app_order_id", "value": "app-42"} in body["note_attributes"]
    assert "shopsync-app-42" in body["tags"] and body["note"] == "Ít đá"
    assert body["customer"]["phone"] == "0981234567"
    assert (outcome.app_key, outcome.pos_key, outcome.error) == ("app-42", "77", None)


def test_sapo_cancel_body_is_wrapped_in_order_cancel_and_close_sends_empty_body(api, sapo):
    cancel = api.post("/admin/orders/77/cancel.json").respond(json={"order": {"id": 77}})
    close = api.post("/admin/orders/78/close.json").respond(json={"order": {"id": 78}})
    api.get("/admin/orders/77.json").respond(json={"order": {"id": 77, "status": "cancelled"}})
    api.get("/admin/orders/78.json").respond(json={"order": {"id": 78, "status": "closed"}})
    assert run(sapo.set_order_status("77", OrderStatus.CANCELLED)).status is OrderStatus.CANCELLED
    assert json.loads(cancel.calls.last.request.content) == {
        "order_cancel": {"reason": "other", "note": "ShopSync"}}
    assert run(sapo.set_order_status("78", OrderStatus.ARCHIVED)).status is OrderStatus.ARCHIVED
    assert json.loads(close.calls.last.request.content) == {}
    with pytest.raises(NotSupported):
        run(sapo.set_order_status("78", OrderStatus.PACKED))


def test_sapo_stock_per_branch_is_written_with_the_wrapped_put_set_json(api, sapo):
    api.get("/admin/locations.json").respond(json=TWO_LOCATIONS)
    api.post("/admin/products.json").respond(201, json={"product": PRODUCT})
    api.post("/admin/collects.json").respond(201, json={"collect": {"id": 5}})
    stock_set = api.put("/admin/inventory_levels/set.json").respond(json={"inventory_level": {}})
    product = Product("app-p", "Cà phê sữa đá", category_keys=("1001",), option_names=("Kích cỡ",),
                      variants=(Variant("v", sku="CF-M", price=Decimal(29000), options=("M",),
                                        stock=(StockLevel("501", Decimal(5)),
                                               StockLevel("502", Decimal(7)))),))
    outcome = run(sapo.create(Entity.PRODUCT, [product]))[0]
    bodies = [json.loads(call.request.content) for call in stock_set.calls]
    assert bodies == [{"inventory_level": {"location_id": 501, "inventory_item_id": 31, "available": 5}},
                      {"inventory_level": {"location_id": 502, "inventory_item_id": 31, "available": 7}}]
    assert outcome.pos_key == "11" and outcome.error is None
    assert outcome.record.variants[0].stock == (StockLevel("501", Decimal(5)), StockLevel("502", Decimal(7)))


def test_sapo03_a_product_without_stock_is_created_from_the_known_branches_with_no_location_read(api, sapo):
    """Nothing to place: the App's active branches (last branch pull) decide how the new
    product is recorded, here one active location whose quantity is its stock."""
    locations = api.get("/admin/locations.json").respond(json=TWO_LOCATIONS)
    created = api.post("/admin/products.json").respond(201, json={"product": PRODUCT})
    api.post("/admin/collects.json").respond(201, json={"collect": {"id": 5}})
    sapo.know_branches([Branch("501", "Chi nhánh Hà Nội"), Branch("502", "Huế", active=False)])
    product = Product("app-p", "Cà phê sữa đá", category_keys=("1001",), option_names=("Kích cỡ",),
                      variants=(Variant("v", sku="CF-M", price=Decimal(29000), options=("M",)),))
    outcome = run(sapo.create(Entity.PRODUCT, [product]))[0]
    assert locations.call_count == 0 and created.call_count == 1
    assert outcome.error is None
    assert outcome.record.variants[0].stock == (StockLevel("501", Decimal(5)),)


def test_sapo03_stock_to_place_is_written_by_todays_locations_not_the_known_branches(api, sapo):
    """The App knew one branch, Sapo now has two: stock goes by the list read now, never by
    a stale one (a wrong guess would put real stock on the wrong branch). A branch without
    App stock is recorded at zero, as a pull reads it."""
    locations = api.get("/admin/locations.json").respond(json=TWO_LOCATIONS)
    created = api.post("/admin/products.json").respond(201, json={"product": PRODUCT})
    api.post("/admin/collects.json").respond(201, json={"collect": {"id": 5}})
    stock_set = api.put("/admin/inventory_levels/set.json").respond(json={"inventory_level": {}})
    sapo.know_branches([Branch("501", "Chi nhánh Hà Nội")])
    product = Product("app-p", "Cà phê sữa đá", category_keys=("1001",), option_names=("Kích cỡ",),
                      variants=(Variant("v", sku="CF-M", price=Decimal(29000), options=("M",),
                                        stock=(StockLevel("501", Decimal(5)),)),))
    outcome = run(sapo.create(Entity.PRODUCT, [product]))[0]
    assert locations.call_count == 1
    assert "inventory_quantity" not in json.loads(created.calls.last.request.content)[
        "product"]["variants"][0]
    assert [json.loads(call.request.content) for call in stock_set.calls] == [
        {"inventory_level": {"location_id": 501, "inventory_item_id": 31, "available": 5}}]
    assert outcome.record.variants[0].stock == (StockLevel("501", Decimal(5)),
                                                StockLevel("502", Decimal(0)))


@pytest.mark.parametrize("status, body, headers, kind, words_vi, words_en", [
    (401, {"errors": "[API] Invalid API key"}, {}, AuthError, "API secret", "API secret"),
    (403, {"errors": "access_denied"}, {}, PermissionDenied, "Đơn hàng", "Orders"),
    (404, {"errors": "Not Found"}, {}, NotFound, "có thể đã bị xoá", "deleted"),
    (422, {"errors": {"name": ["can't be blank"]}}, {}, InvalidData, "name: can't be blank", "name: can't be blank"),
    (422, {"errors": "Ward is not supported"}, {}, InvalidData, "Ward is not supported", "Ward is not supported"),
    (302, None, {"location": "https://abc.mysapo.net/admin/orders/9.json"}, NotFound, "mysapo.net", "custom domain"),
])
def test_sapo_errors_become_clear_vi_en_messages(api, sapo, status, body, headers, kind, words_vi, words_en):
    route = api.get("/admin/orders/9.json").respond(status, json=body, headers=headers)
    with pytest.raises(kind) as raised:
        run(sapo._get("/admin/orders/9.json"))
    assert words_vi in raised.value.message_vi and words_en in raised.value.message_en
    assert route.call_count == 1                       # never retried, never redirected


def test_sapo_permission_message_names_the_group_to_tick_per_resource(api, sapo):
    api.get("/admin/products.json").respond(403, json={"errors": "access_denied"})
    api.get("/admin/blogs.json").respond(403, json={"errors": "access_denied"})
    with pytest.raises(PermissionDenied) as products:
        run(sapo._get("/admin/products.json"))
    assert "Sản phẩm, phiên bản và danh mục" in products.value.message_vi
    with pytest.raises(PermissionDenied) as blogs:
        run(sapo._get("/admin/blogs.json"))
    assert "Nội dung" in blogs.value.message_vi and "Content" in blogs.value.message_en


def test_sapo11_unknown_shop_on_store_json_says_check_the_shop_name(api, sapo):
    api.get("/admin/store.json").respond(404, json={"errors": "Not Found"})
    with pytest.raises(NotFound) as raised:
        run(sapo.test_connection())
    assert raised.value.rule == "SAPO-11" and "tên cửa hàng" in raised.value.message_vi


def test_sapo_html_page_instead_of_json_is_a_clear_error_not_a_crash(api, sapo):
    api.get("/admin/customers.json").respond(200, text="<html><body>Đăng nhập</body></html>",
                                             headers={"content-type": "text/html"})
    with pytest.raises(NotFound) as raised:
        run(sapo._get("/admin/customers.json"))
    assert "trang web" in raised.value.message_vi and "web page" in raised.value.message_en


def test_sapo11_html_page_labelled_as_json_is_still_recognised_by_its_first_bytes(api, sapo):
    api.get("/admin/customers.json").respond(
        200, content="\r\n  <!DOCTYPE html><html><body>Đăng nhập</body></html>".encode(),
        headers={"content-type": "application/json; charset=utf-8"})
    with pytest.raises(NotFound) as raised:
        run(sapo._get("/admin/customers.json"))
    assert raised.value.rule == "SAPO-11" and "web page" in raised.value.message_en


def test_sapo_connection_test_falls_back_when_store_json_is_forbidden_and_lists_permissions(api, sapo):
    api.get("/admin/store.json").respond(403, json={"errors": "access_denied"})
    fallback = api.get("/admin/custom_collections.json").respond(json={"custom_collections": []})
    api.get("/admin/products.json").respond(json={"products": []})
    api.get("/admin/customers.json").respond(json={"customers": []})
    api.get("/admin/orders.json").respond(403, json={"errors": "access_denied"})
    api.get("/admin/blogs.json").respond(json={"blogs": []})
    api.get("/admin/locations.json").respond(json=TWO_LOCATIONS)
    info = run(sapo.test_connection())
    assert params(fallback.calls[0].request) == {"limit": "1"}
    assert info.shop_name == "cuahangmau"
    assert [b.name for b in info.branches] == ["Chi nhánh Hà Nội", "Chi nhánh Huế"]
    assert any("Đơn hàng" in w for w in info.warnings_vi)
    assert any(p.startswith("Đơn hàng") and p.endswith("✗") for p in info.permissions)


def test_com07_secret_never_appears_in_an_error_detail(api, sapo):
    api.get("/admin/orders/9.json").respond(422, json={"errors": f"bad {SANDBOX_SECRET}"})
    with pytest.raises(InvalidData) as raised:
        run(sapo._get("/admin/orders/9.json"))
    assert SANDBOX_SECRET not in raised.value.detail


def test_com09_order_look_ups_read_shopsync_orders_once_per_run_per_status(api, sapo):
    """One listing per status (tag `shopsync`, created since 3 days before now) answers every
    look-up of the run, instead of three calls per App order."""
    orders = api.get("/admin/orders.json").mock(side_effect=[
        httpx.Response(200, json={"orders": []}),
        httpx.Response(200, json={"orders": [{"id": 5, "status": "closed", "note_attributes": [
            {"name": "app_order_id", "value": "O000042"}]}]}),
        httpx.Response(200, json={"orders": []})])
    found = run(sapo.find(Entity.ORDER, Order("O000042")))
    missing = run(sapo.find(Entity.ORDER, Order("O000043")))
    sent = [params(call.request) for call in orders.calls]
    assert [p["status"] for p in sent] == ["open", "closed", "cancelled"]
    assert all(p["tag"] == "shopsync" and "tags" not in p and p["created_on_min"].endswith("Z")
               for p in sent)
    assert found.key == "5" and found.status is OrderStatus.ARCHIVED and missing is None


def test_com09_an_old_app_order_is_looked_up_by_its_exact_tag_per_status(api, sapo):
    """An App order older than the run index's longest window is asked about on its own."""
    orders = api.get("/admin/orders.json").mock(side_effect=[
        httpx.Response(200, json={"orders": []}),
        httpx.Response(200, json={"orders": [{"id": 5, "status": "closed", "note_attributes": [
            {"name": "app_order_id", "value": "O000042"}]}]})])
    old = datetime(2025, 1, 1, tzinfo=timezone.utc)
    found = run(sapo.find(Entity.ORDER, Order("O000042", created_at=old)))
    sent = [params(call.request) for call in orders.calls]
    assert [p["status"] for p in sent] == ["open", "closed"]
    assert all(p["tag"] == "shopsync-O000042" and "tags" not in p for p in sent)
    assert found.key == "5" and found.status is OrderStatus.ARCHIVED


def test_sapo09_an_order_on_sapo_is_never_edited_from_the_app(api, sapo):
    with pytest.raises(InvalidData) as refused:
        run(sapo.update(Entity.ORDER, "5", Order("O1", note="sửa")))
    assert refused.value.rule == "SAPO-09" and not api.calls


def test_com02_customer_look_up_searches_the_digits_and_compares_exactly(api, sapo):
    route = api.get("/admin/customers.json").respond(json={"customers": [
        {"id": 1, "phone": "0981234567999", "first_name": "Khác"},
        {"id": 2, "phone": "+84981234567", "first_name": "Lan"}]})
    from contract.records import Customer
    found = run(sapo.find(Entity.CUSTOMER, Customer("K1", "Lan", phone="098 123 4567")))
    assert params(route.calls.last.request)["query"] == "981234567"
    assert found.key == "2"


def test_sapo09_an_order_is_read_by_its_sapo_id_in_one_call(api, sapo):
    """SAPO-09: a conflict's POS side is `GET /admin/orders/{id}.json`, whatever this run's
    order pull read."""
    one = api.get("/admin/orders/77.json").respond(json={"order": {
        "id": 77, "name": "#1001", "status": "closed", "line_items": [], "total_price": 58000}})
    order = run(sapo.get(Entity.ORDER, "77"))
    assert one.call_count == 1 and len(api.calls) == 1
    assert one.calls.last.request.headers["authorization"] == AUTH
    assert (order.key, order.number, order.status) == ("77", "#1001", OrderStatus.ARCHIVED)


def test_sapo_a_record_gone_from_sapo_reads_as_none_but_a_web_page_is_an_error(api, sapo):
    """404 = Sapo no longer has it (the conflict keeps the App side only); an HTML page means
    a wrong shop address and is never taken for a deleted record."""
    api.get("/admin/orders/77.json").respond(404, json={"errors": "Not Found"})
    api.get("/admin/customers/5.json").respond(404, json={"errors": "Not Found"})
    api.get("/admin/orders/78.json").respond(200, text="<html><body>Đăng nhập</body></html>",
                                             headers={"content-type": "text/html"})
    assert run(sapo.get(Entity.ORDER, "77")) is None
    assert run(sapo.get(Entity.CUSTOMER, "5")) is None
    with pytest.raises(NotFound) as raised:
        run(sapo.get(Entity.ORDER, "78"))
    assert raised.value.rule == "SAPO-11"


def test_sapo_a_product_read_by_id_carries_its_collections_and_stock_like_a_pulled_one(api, sapo):
    api.get("/admin/locations.json").respond(json=TWO_LOCATIONS)
    one = api.get("/admin/products/11.json").respond(json={"product": PRODUCT})
    collects = api.get("/admin/collects.json").respond(
        json={"collects": [{"id": 1, "product_id": 11, "collection_id": 1001}]})
    levels = api.get("/admin/inventory_levels.json").mock(side_effect=lambda request: (
        httpx.Response(200, json={"inventory_levels": [
            {"inventory_item_id": 31, "location_id": int(params(request)["location_id"]),
             "available": {"501": 4, "502": 7}[params(request)["location_id"]]}]})))
    product = run(sapo.get(Entity.PRODUCT, "11"))
    assert one.call_count == 1 and params(collects.calls.last.request)["product_id"] == "11"
    assert levels.call_count == 2                                    # one per branch
    assert (product.key, product.category_keys) == ("11", ("1001",))
    assert product.variants[0].stock == (StockLevel("501", Decimal(4)),
                                         StockLevel("502", Decimal(7)))


def test_sapo_a_customer_is_read_by_its_sapo_id(api, sapo):
    one = api.get("/admin/customers/5.json").respond(json={"customer": {
        "id": 5, "first_name": "Lan", "phone": "+84981234567"}})
    customer = run(sapo.get(Entity.CUSTOMER, "5"))
    assert one.call_count == 1 and (customer.key, customer.name) == ("5", "Lan")


def test_sapo_entities_shopsync_never_pushes_are_not_read_by_id(api, sapo):
    """The engine then uses `find`; refusing costs no request."""
    with pytest.raises(NotSupported):
        run(sapo.get(Entity.NEWS, "9"))
    assert not api.calls
