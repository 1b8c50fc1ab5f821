"""The wire contract with KiotViet, checked with respx: token, headers, paging, filters."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from contract.records import Entity
from contract.connector import AuthError, SettingOff
from connectors.kiotviet.token import FNB_TOKEN_URL, RETAIL_TOKEN_URL, token_form

from .conftest import FakeClock, build_connector, collect, run

FNB_API = "https://publicfnb.kiotapi.com"
RETAIL_API = "https://public.kiotapi.com"


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def token_answer(token: str = "tok-1", expires_in: int = 86400) -> httpx.Response:
    return httpx.Response(200, json={"access_token": token, "expires_in": expires_in,
                                     "token_type": "Bearer"})


def page(rows, total=None, **extra):
    return httpx.Response(200, json={"total": len(rows) if total is None else total,
                                     "pageSize": 100, "data": rows, **extra})


@respx.mock
def test_token_is_a_form_post_with_scopes_client_credentials_fnb():
    token = respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    respx.get(f"{FNB_API}/branches").mock(return_value=page([]))
    connector = build_connector("fnb")
    run(connector.test_connection())
    sent = form(token.calls[0].request)
    assert token.calls[0].request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent == {"scopes": "PublicApi.Access.FNB", "grant_type": "client_credentials",
                    "client_id": "sandbox-fnb-client-id",
                    "client_secret": "sandbox-fnb-ma-bao-mat"}


@respx.mock
def test_retail_token_uses_id_kiotviet_and_public_api_access_scope():
    token = respx.post(RETAIL_TOKEN_URL).mock(return_value=token_answer())
    respx.get(f"{RETAIL_API}/branches").mock(return_value=page([]))
    run(build_connector("retail").test_connection())
    assert form(token.calls[0].request)["scopes"] == "PublicApi.Access"


def test_standard_scope_field_is_one_switch_in_one_function():
    assert "scope" not in token_form("fnb", "id", "secret")
    assert token_form("fnb", "id", "secret", send_standard_scope=True)["scope"] == \
        "PublicApi.Access.FNB"


@respx.mock
def test_fnb_token_url_can_be_overridden_by_the_advanced_field():
    other = "https://id.kiotviet.vn/connect/token"
    token = respx.post(other).mock(return_value=token_answer())
    respx.get(f"{FNB_API}/branches").mock(return_value=page([]))
    run(build_connector("fnb", fields={"token_url": other}).test_connection())
    assert token.called


@respx.mock
def test_every_call_sends_retailer_and_bearer_token():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer("abc"))
    branches = respx.get(f"{FNB_API}/branches").mock(return_value=page([
        {"id": 1, "branchName": "Chi nhánh trung tâm"}]))
    info = run(build_connector("fnb").test_connection())
    headers = branches.calls[0].request.headers
    assert headers["Retailer"] == "caphemoc"
    assert headers["Authorization"] == "Bearer abc"
    assert info.shop_name == "caphemoc" and info.branches[0].name == "Chi nhánh trung tâm"


@respx.mock
def test_token_is_cached_until_expiry_minus_margin_then_refreshed():
    clock = FakeClock()
    token = respx.post(FNB_TOKEN_URL).mock(side_effect=[token_answer("t1"), token_answer("t2")])
    branches = respx.get(f"{FNB_API}/branches").mock(return_value=page([]))
    connector = build_connector("fnb", clock=clock)

    async def scenario():
        await connector.test_connection()
        await connector.test_connection()
        clock.advance(86400 - 3600 - 1)          # still inside the margin
        await connector.test_connection()
        clock.advance(2)                          # an hour before expiry: refresh
        await connector.test_connection()
    run(scenario())
    assert token.call_count == 2
    used = [call.request.headers["Authorization"] for call in branches.calls]
    assert used == ["Bearer t1", "Bearer t1", "Bearer t1", "Bearer t2"]


@respx.mock
def test_concurrent_requests_share_one_token_refresh():
    async def slow_token(request):
        await asyncio.sleep(0)
        return token_answer("shared")
    token = respx.post(FNB_TOKEN_URL).mock(side_effect=slow_token)
    respx.get(f"{FNB_API}/branches").mock(return_value=page([]))
    connector = build_connector("fnb")

    async def scenario():
        await asyncio.gather(*(connector.test_connection() for _ in range(8)))
    run(scenario())
    assert token.call_count == 1


@respx.mock
def test_401_renews_the_token_once_and_repeats_the_request():
    respx.post(FNB_TOKEN_URL).mock(side_effect=[token_answer("old"), token_answer("new")])
    branches = respx.get(f"{FNB_API}/branches").mock(side_effect=[
        httpx.Response(401, json={"responseStatus": {"errorCode": "Unauthorized"}}),
        page([{"id": 1, "branchName": "CN1"}])])
    info = run(build_connector("fnb").test_connection())
    assert [c.request.headers["Authorization"] for c in branches.calls] == \
        ["Bearer old", "Bearer new"]
    assert len(info.branches) == 1


@respx.mock
def test_token_exception_in_body_renews_the_token():
    token = respx.post(FNB_TOKEN_URL).mock(side_effect=[token_answer("a"), token_answer("b")])
    respx.get(f"{FNB_API}/branches").mock(side_effect=[
        httpx.Response(400, json={"responseStatus": {"errorCode": "TokenException",
                                                     "message": "Token hết hạn"}}),
        page([])])
    run(build_connector("fnb").test_connection())
    assert token.call_count == 2


@respx.mock
def test_concurrent_401s_cause_a_single_refresh():
    token = respx.post(FNB_TOKEN_URL).mock(side_effect=[token_answer("old"),
                                                        token_answer("new")])

    def answer(request):
        if request.headers["Authorization"] == "Bearer old":
            return httpx.Response(401, json={})
        return page([])
    respx.get(f"{FNB_API}/branches").mock(side_effect=answer)
    connector = build_connector("fnb")

    async def scenario():
        await connector.tokens.token()
        await asyncio.gather(*(connector.test_connection() for _ in range(5)))
    run(scenario())
    assert token.call_count == 2


@respx.mock
def test_kvf14_a_brand_new_token_refused_says_connection_name_not_found_not_expired():
    """Issue 19/12: the identity server accepted the Client ID, the API refuses the token it
    just issued: nothing expired, the `Retailer` (connection name) is wrong."""
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    respx.get(f"{FNB_API}/branches").mock(return_value=httpx.Response(401, json={}))
    with pytest.raises(AuthError) as caught:
        run(build_connector("fnb").test_connection())
    error = caught.value
    assert "hết hạn" not in error.message_vi and "expired" not in error.message_en
    assert "không tìm thấy gian hàng" in error.message_vi and "«caphemoc»" in error.message_vi
    assert "found no store" in error.message_en
    assert "Thiết lập kết nối API" in error.message_vi and "API connection" in error.message_en
    assert error.rule == "KVF-14"


@respx.mock
def test_invalid_client_says_wrong_client_id_secret_or_connection_name():
    respx.post(FNB_TOKEN_URL).mock(return_value=httpx.Response(
        400, json={"error": "invalid_client"}))
    with pytest.raises(AuthError) as caught:
        run(build_connector("fnb").test_connection())
    assert "sai Client ID / Mã bảo mật hoặc tên kết nối" in caught.value.message_vi
    assert "sandbox-fnb-ma-bao-mat" not in caught.value.detail + caught.value.message_vi


@respx.mock
def test_paging_uses_page_size_100_and_current_item_offsets_until_total():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    rows = [{"id": i, "code": f"KH{i}", "name": f"Khách {i}"} for i in range(250)]

    def answer(request):
        start = int(request.url.params["currentItem"])
        return page(rows[start:start + 100], total=250)
    route = respx.get(f"{FNB_API}/customers").mock(side_effect=answer)
    pages = run(collect(build_connector("fnb"), Entity.CUSTOMER))
    params = [c.request.url.params for c in route.calls]
    assert [p["pageSize"] for p in params] == ["100"] * 3
    assert [p["currentItem"] for p in params] == ["0", "100", "200"]
    assert sum(len(p.records) for p in pages) == 250
    assert [p.resume is None for p in pages] == [False, False, True]
    assert all(p.total == 250 for p in pages)


@respx.mock
def test_paging_stops_on_an_empty_page_when_total_is_missing():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    route = respx.get(f"{FNB_API}/customers").mock(side_effect=[
        httpx.Response(200, json={"data": [{"id": 1, "name": "A"}]}),
        httpx.Response(200, json={"data": []})])
    run(collect(build_connector("fnb"), Entity.CUSTOMER))
    assert route.call_count == 2


@respx.mock
def test_incremental_pull_sends_last_modified_from_in_vietnam_time_with_overlap():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    route = respx.get(f"{FNB_API}/customers").mock(return_value=page([]))
    since = datetime(2026, 11, 23, 1, 0, 0, tzinfo=timezone.utc)
    run(collect(build_connector("fnb"), Entity.CUSTOMER, since))
    assert route.calls[0].request.url.params["lastModifiedFrom"] == "2026-11-23T07:58:00"


@respx.mock
def test_categories_are_read_as_a_flat_list_with_parent_ids():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    route = respx.get(f"{FNB_API}/categories").mock(return_value=page([
        {"categoryId": 3, "parentId": 2, "categoryName": "Trà trái cây",
         "modifiedDate": "2026-11-20T08:00:00.0000000"}], removedIds=[9]))
    pages = run(collect(build_connector("fnb"), Entity.CATEGORY))
    assert route.calls[0].request.url.params["hierachicalData"] == "false"
    category = pages[0].records[0]
    assert (category.key, category.parent_key, category.name) == ("3", "2", "Trà trái cây")
    assert pages[0].deleted_keys == ("9",)


@respx.mock
def test_products_are_read_with_inventory():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    route = respx.get(f"{FNB_API}/products").mock(return_value=page([]))
    run(collect(build_connector("fnb"), Entity.PRODUCT))
    assert route.calls[0].request.url.params["includeInventory"] == "true"


@respx.mock
def test_kvf08_invoices_are_pulled_with_status_1_only():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    route = respx.get(f"{FNB_API}/invoices").mock(return_value=page([
        {"id": 1, "code": "HD1", "status": 1, "total": 50000},
        {"id": 2, "code": "HD2", "status": 2, "total": 50000}]))
    orders = run(collect(build_connector("fnb"), Entity.ORDER))
    assert route.calls[0].request.url.params["status"] == "1"
    assert all("/orders" not in c.request.url.path for c in respx.calls)
    assert [o.number for o in orders[0].records] == ["HD1"]


@respx.mock
def test_store_setting_refusal_becomes_setting_off_with_kiotviet_words():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    message = 'Thiết lập "Cho phép đặt hàng" đang không được bật'
    respx.get(f"{FNB_API}/customers").mock(return_value=httpx.Response(
        400, json={"responseStatus": {"errorCode": "BadRequest", "message": message}}))
    with pytest.raises(SettingOff) as caught:
        run(collect(build_connector("fnb"), Entity.CUSTOMER))
    assert message in caught.value.message_vi and message in caught.value.message_en
    assert "bật \"Cho phép đặt hàng\"" in caught.value.message_vi


@respx.mock
def test_server_errors_are_retried_with_backoff():
    respx.post(FNB_TOKEN_URL).mock(return_value=token_answer())
    route = respx.get(f"{FNB_API}/customers").mock(side_effect=[
        httpx.Response(503), httpx.Response(429, headers={"retry-after": "3"}), page([])])
    clock = FakeClock()
    run(collect(build_connector("fnb", clock=clock), Entity.CUSTOMER))
    assert route.call_count == 3
    assert 3 in [round(s) for s in clock.slept]
