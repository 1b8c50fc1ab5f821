"""Request shapes of API v2, checked with respx against what DOC /v2 describes."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from contract.records import Entity, Order, OrderLine, OrderStatus
from contract.connector import AuthError
from connectors.nhanh.platform import NHANH_V2

from .conftest import NOW, FakeClock, collect, run, settings_for

API = "https://pos.open.nhanh.vn"
TOKEN = "sbxV2Token73021168888"


def form(request: httpx.Request) -> dict:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def ok(data):
    return httpx.Response(200, json={"code": 1, "messages": [], "data": data})


def connector_v2(**options):
    clock = FakeClock()
    return NHANH_V2.connect(settings_for("2", options), NHANH_V2.sandbox_secrets, None,
                            clock=clock, wall_clock=clock, sleep=clock.sleep)


@respx.mock
def test_v2_requests_are_form_fields_with_data_as_a_json_string():
    route = respx.post(f"{API}/api/customer/search").mock(
        return_value=ok({"totalPages": 1, "customers": []}))
    connector = connector_v2()
    since = datetime(2026, 11, 1, 17, 0, tzinfo=timezone.utc)
    run(collect(connector, Entity.CUSTOMER, since))
    request = route.calls.last.request
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert "authorization" not in request.headers
    fields = form(request)
    assert fields["version"] == "2.0" and fields["appId"] == "73021"
    assert fields["businessId"] == "168888" and fields["accessToken"] == TOKEN
    data = json.loads(fields["data"])
    # Vietnam wall-clock time, "Y-m-d H:i:s": 17:00 UTC is 00:00 next day in Vietnam.
    assert data == {"updatedAtFrom": "2026-11-02 00:00:00", "page": 1, "icpp": 50}


@respx.mock
def test_v2_pages_by_page_and_icpp_until_total_pages_and_reads_id_keyed_objects():
    pages_seen = []

    def answer(request):
        data = json.loads(form(request)["data"])
        pages_seen.append((data["page"], data["icpp"]))
        products = {str(3000 + data["page"]): {"idNhanh": 3000 + data["page"], "parentId": -1,
                                               "code": f"C{data['page']}", "name": "Áo",
                                               "price": "159000", "status": "Active",
                                               "inventory": {"depots": {"101": {"available": 4}}},
                                               "updatedDateTime": "2026-11-20 10:00:00"}}
        return ok({"totalPages": 2, "products": products})

    respx.post(f"{API}/api/product/search").mock(side_effect=answer)
    pages = run(collect(connector_v2(), Entity.PRODUCT))
    assert pages_seen == [(1, 100), (2, 100)]
    records = [r for p in pages for r in p.records]
    assert [r.key for r in records] == ["3001", "3002"]
    assert records[0].variants[0].price == Decimal("159000")
    assert records[0].variants[0].stock[0].branch_key == "101"
    # 10:00 in Vietnam is 03:00 UTC.
    assert records[0].updated_at == datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


@respx.mock
def test_v2_empty_collections_may_arrive_as_a_list():
    respx.post(f"{API}/api/store/depot").mock(return_value=ok([]))
    pages = run(collect(connector_v2(), Entity.BRANCH))
    assert pages[0].records == ()


@respx.mock
def test_v2_category_tree_is_flattened_with_parents():
    respx.post(f"{API}/api/product/category").mock(return_value=ok([
        {"id": 11, "parentId": None, "name": "Thời trang nữ", "status": 1,
         "childs": [{"id": 12, "parentId": 11, "name": "Áo", "status": 1, "childs": []}]}]))
    connector = connector_v2()
    [page] = run(collect(connector, Entity.CATEGORY))
    assert [(c.key, c.parent_key) for c in page.records] == [("11", None), ("12", "11")]
    request = respx.calls.last.request
    assert form(request)["data"] == "productcategory"   # scalar data, not JSON


@respx.mock
def test_v2_order_add_and_update_use_text_statuses_and_shop_order_id():
    # DOC /v2: the new id keyed by our own order id.
    add = respx.post(f"{API}/api/order/add").mock(return_value=ok({"APP-7": 555}))
    update = respx.post(f"{API}/api/order/update").mock(return_value=ok({"orderId": 555}))
    # The linked product's children, read once: none, so it sells itself (no SKU search).
    children = respx.post(f"{API}/api/product/search").mock(
        return_value=ok({"totalPages": 1, "products": []}))
    connector = connector_v2()
    order = Order(key="APP-7", status=OrderStatus.APPROVED, customer_name="Trần Văn Minh",
                  customer_phone="0987654321",
                  shipping_address="45 Cộng Hoà, Quận Tân Bình, TP. Hồ Chí Minh",
                  lines=(OrderLine(sku="", name="Son", quantity=Decimal(1),
                                   price=Decimal("189000"), product_key="3000031"),))
    [outcome] = run(connector.create(Entity.ORDER, [order]))
    assert outcome.pos_key == "555"
    data = json.loads(form(add.calls.last.request)["data"])
    assert data["id"] == "APP-7" and data["status"] == "Confirmed"
    assert data["customerMobile"] == "0987654321"
    assert data["customerCityName"] == "TP. Hồ Chí Minh"
    assert data["customerDistrictName"] == "Quận Tân Bình"
    assert data["productList"][0]["idNhanh"] == 3000031
    assert json.loads(form(children.calls.last.request)["data"])["parentId"] == 3000031
    run(connector.set_order_status("555", OrderStatus.RECONCILED))
    run(connector.set_order_status("555", OrderStatus.CANCELLED))
    statuses = [json.loads(form(c.request)["data"])["status"] for c in update.calls]
    assert statuses == ["Success", "Canceled"]


@respx.mock
def test_v2_order_lookup_uses_whole_vietnam_dates_in_windows_of_at_most_10_days():
    route = respx.post(f"{API}/api/order/index").mock(
        return_value=ok({"totalPages": 1, "orders": []}))
    connector = connector_v2()
    order = Order(key="APP-1", created_at=NOW - timedelta(days=25))
    assert run(connector.find(Entity.ORDER, order)) is None
    windows = [json.loads(form(c.request)["data"]) for c in route.calls]
    assert len(windows) == 3
    previous_last = None
    for window in windows:
        first, last = date.fromisoformat(window["fromDate"]), date.fromisoformat(window["toDate"])
        assert (last - first).days + 1 <= 10
        if previous_last is not None:
            assert first == previous_last + timedelta(days=1)   # no gap, no overlap
        previous_last = last
    assert previous_last == date(2026, 11, 23)


@respx.mock
def test_v2_error_envelope_with_message_list_is_read():
    respx.post(f"{API}/api/store/depot").mock(return_value=httpx.Response(200, json={
        "code": 0, "errorCode": "ERR_INVALID_ACCESS_TOKEN", "messages": ["accessToken invalid"]}))
    with pytest.raises(AuthError) as caught:
        run(collect(connector_v2(), Entity.BRANCH))
    assert "ERR_INVALID_ACCESS_TOKEN" in caught.value.detail
    assert TOKEN not in caught.value.detail
