"""Request shapes of API v3, checked with respx against what DOC /v3 describes."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
import respx

from contract.records import Entity, Order, OrderLine, OrderStatus
from contract.connector import AuthError, InvalidData, PermissionDenied, SettingOff
from connectors.nhanh.platform import NHANH_V3

from .conftest import NOW, FakeClock, collect, run, settings_for

API = "https://pos.open.nhanh.vn"
TOKEN = "sbxV3Token73021168888"


def envelope(data, next_=None, **extra):
    body = {"code": 1, "data": data, **extra}
    if next_ is not None or "paginator" not in extra:
        body["paginator"] = {"next": next_}
    return httpx.Response(200, json=body)


def product(pid, parent=-1, code="SP", updated=1763866800):
    return {"id": pid, "parentId": parent, "code": f"{code}{pid}", "barcode": "", "name":
            f"Sản phẩm {pid}", "status": 2, "categoryId": 12,
            "prices": {"retail": 150000, "old": 0},
            "inventory": {"depots": [{"id": 101, "available": 3}]}, "updatedAt": updated}


@respx.mock
def test_v3_requests_are_post_json_with_ids_in_query_and_token_without_bearer():
    route = respx.post(f"{API}/v3.0/business/depot").mock(
        return_value=envelope([{"id": 101, "name": "Cửa hàng Quận 1", "mobile": "0283",
                                "locationV2": {"address": "12 Lê Lợi"}}]))
    connector, _, _ = _respx_connector()
    pages = run(collect(connector, Entity.BRANCH))
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["authorization"] == TOKEN          # no "Bearer"
    assert not request.headers["authorization"].lower().startswith("bearer")
    assert request.url.params["appId"] == "73021"
    assert request.url.params["businessId"] == "168888"
    assert request.headers["content-type"].startswith("application/json")
    assert json.loads(request.content) == {"filters": {}}
    assert pages[0].records[0].name == "Cửa hàng Quận 1"
    assert pages[0].records[0].address == "12 Lê Lợi"


def _respx_connector(**options):
    clock = FakeClock()
    connector = NHANH_V3.connect(settings_for("3", options), NHANH_V3.sandbox_secrets, None,
                                 clock=clock, wall_clock=clock, sleep=clock.sleep)
    return connector, None, clock


@respx.mock
def test_v3_cursor_next_is_echoed_verbatim_and_a_short_page_with_next_continues():
    bodies = []

    def answer(request):
        body = json.loads(request.content)
        bodies.append(body)
        following = body["paginator"].get("next")
        if following is None:
            return envelope([product(1)], {"id": 1, "tag": "opaque"})   # short page + next
        if following == {"id": 1, "tag": "opaque"}:
            return envelope([product(2)], None)
        return httpx.Response(200, json={"code": 0, "errorCode": "ERR_INVALID_FORM_FIELDS",
                                         "messages": {"paginator.next": "bad"}})

    respx.post(f"{API}/v3.0/product/list").mock(side_effect=answer)
    connector, _, _ = _respx_connector()
    pages = run(collect(connector, Entity.PRODUCT))
    assert [r.key for p in pages for r in p.records] == ["1", "2"]
    assert "next" not in bodies[0]["paginator"]
    assert bodies[1]["paginator"]["next"] == {"id": 1, "tag": "opaque"}
    assert bodies[0]["paginator"]["size"] == 100
    assert pages[-1].resume is None


@respx.mock
def test_v3_since_is_sent_as_unix_seconds():
    route = respx.post(f"{API}/v3.0/customer/list").mock(return_value=envelope([], None))
    connector, _, _ = _respx_connector()
    since = datetime(2026, 11, 1, 17, 0, tzinfo=timezone.utc)   # 00:00 on 2 Nov in Vietnam
    run(collect(connector, Entity.CUSTOMER, since))
    body = json.loads(route.calls.last.request.content)
    assert body["filters"] == {"updatedAtFrom": int(since.timestamp())}


@respx.mock
def test_v3_order_add_body_carries_app_order_id_numeric_ids_and_plain_numbers():
    route = respx.post(f"{API}/v3.0/order/add").mock(
        return_value=envelope({"id": 777, "trackingUrl": "", "carrierCode": ""}))
    children = respx.post(f"{API}/v3.0/product/list").mock(return_value=envelope([], None))
    connector, _, _ = _respx_connector()
    order = Order(key="APP-1", status=OrderStatus.PLACED, customer_name="Nguyễn Thị Lan",
                  customer_phone="0912345678", branch_key="101",
                  lines=(OrderLine(sku="", name="Áo", quantity=Decimal("2"),
                                   price=Decimal("159000"), product_key="3000002"),))
    [outcome] = run(connector.create(Entity.ORDER, [order]))
    assert outcome.pos_key == "777" and outcome.error is None
    body = json.loads(route.calls.last.request.content)
    assert body["channel"] == {"appOrderId": "APP-1"}
    assert body["info"]["status"] == 54 and body["info"]["depotId"] == 101
    assert body["shippingAddress"]["name"] == "Nguyễn Thị Lan"
    assert body["products"] == [{"id": 3000002, "price": 159000, "quantity": 2}]
    # The linked product's children, read once: none, so it sells itself (no SKU search).
    assert json.loads(children.calls.last.request.content)["filters"] == {"parentId": 3000002}


@respx.mock
def test_v3_status_push_uses_order_edit_with_numeric_status():
    route = respx.post(f"{API}/v3.0/order/edit").mock(return_value=envelope({"id": 5}))
    connector, _, _ = _respx_connector()
    run(connector.set_order_status("5", OrderStatus.RECONCILED))
    run(connector.set_order_status("5", OrderStatus.CANCELLED))
    sent = [json.loads(c.request.content) for c in route.calls]
    assert sent == [{"info": {"id": 5, "status": 60}}, {"info": {"id": 5, "status": 63}}]


@respx.mock
def test_v3_order_lookup_splits_windows_into_at_most_31_days():
    route = respx.post(f"{API}/v3.0/order/list").mock(return_value=envelope([], None))
    connector, _, clock = _respx_connector()
    order = Order(key="APP-9", created_at=NOW - timedelta(days=50))
    assert run(connector.find(Entity.ORDER, order)) is None
    windows = [json.loads(c.request.content)["filters"] for c in route.calls]
    assert len(windows) == 2
    for window in windows:
        assert window["createdAtTo"] - window["createdAtFrom"] <= 31 * 86400
    assert windows[0]["createdAtTo"] + 1 == windows[1]["createdAtFrom"]


@pytest.mark.parametrize("code, kind, words", [
    ("ERR_INVALID_ACCESS_TOKEN", AuthError, "đăng nhập lại"),
    ("ERR_BUSINESS_NOT_ENABLE_API", SettingOff, "Cho phép kết nối Open API"),
    ("ERR_403", PermissionDenied, "cấp quyền"),
    ("ERR_INVALID_DEPOT_ID", PermissionDenied, "Kho"),
    ("ERR_INVALID_VERSION", AuthError, "phiên bản"),
])
@respx.mock
def test_v3_error_codes_in_http_200_become_clear_messages(code, kind, words):
    respx.post(f"{API}/v3.0/business/depot").mock(return_value=httpx.Response(
        200, json={"code": 0, "errorCode": code, "messages": "x"}))
    connector, _, _ = _respx_connector()
    with pytest.raises(kind) as caught:
        run(collect(connector, Entity.BRANCH))
    assert words in caught.value.message_vi
    assert caught.value.message_en
    assert TOKEN not in caught.value.detail


@respx.mock
def test_v3_invalid_form_fields_lists_the_fields_from_a_message_map():
    respx.post(f"{API}/v3.0/order/add").mock(return_value=httpx.Response(200, json={
        "code": 0, "errorCode": "ERR_INVALID_FORM_FIELDS",
        "messages": {"shippingAddress.mobile": "Số điện thoại không hợp lệ"}}))
    respx.post(f"{API}/v3.0/product/list").mock(return_value=envelope([], None))
    connector, _, _ = _respx_connector()
    order = Order(key="A", customer_name="Lan", customer_phone="12",
                  lines=(OrderLine(sku="", name="x", quantity=Decimal(1), price=Decimal(1),
                                   product_key="1"),))
    [outcome] = run(connector.create(Entity.ORDER, [order]))
    assert isinstance(outcome.error, InvalidData)
    assert "shippingAddress.mobile: Số điện thoại không hợp lệ" in outcome.error.message_vi
