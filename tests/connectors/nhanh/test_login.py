"""The login service the wizard uses (NH-01, NH-13), against the sandbox's consent page and
token exchange."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from contract.connector import InvalidInput
from connectors.nhanh.login import (DEFAULT_REDIRECT_URL, LoginError, authorize_url,
                                    callback_urls, exchange, extract_access_code, token_warning,
                                    validate_verify_token)
from connectors.nhanh.sandbox import (SANDBOX_APP_ID, SANDBOX_BUSINESS_ID, SANDBOX_SECRET_KEY,
                                      nhanh_sandbox)

from .conftest import NOW, FakeClock, run


def consent(sandbox, version="3") -> str:
    """Open the consent page, click "Đồng ý", return the redirected address."""
    transport = sandbox.transport()
    with httpx.Client(transport=transport, base_url="https://nhanh.vn") as browser:
        page = browser.get(authorize_url(SANDBOX_APP_ID, DEFAULT_REDIRECT_URL, version))
        assert page.status_code == 200 and "Đồng ý" in page.text
        href = page.text.split('id=approve href="')[1].split('"')[0].replace("&amp;", "&")
        answer = browser.get(href)
        assert answer.status_code == 302
        return answer.headers["location"]


def test_nh13_authorize_url_v3_has_app_id_and_return_link_only():
    url = authorize_url("73021", "https://example.com/cb", "3")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "nhanh.vn", "/oauth")
    assert parse_qs(parts.query) == {"appId": ["73021"], "returnLink": ["https://example.com/cb"]}
    assert parse_qs(urlsplit(authorize_url("73021", "https://example.com/cb", "2")).query)[
        "version"] == ["2.0"]


def test_nh01_authorize_url_refuses_a_non_https_redirect_url_off_this_pc():
    with pytest.raises(InvalidInput) as caught:
        authorize_url("73021", "http://shop.example:8080/cb")
    assert "https://" in caught.value.message_vi and caught.value.rule == "NH-01"


@pytest.mark.parametrize("pasted", [
    "https://example.com/shopsync/nhanh?accessCode=abc123XYZ789",
    "http://example.com/shopsync/nhanh?foo=1&accessCode=abc123XYZ789&bar=2",
    "https://example.com/shopsync/nhanh?accessCode=abc123XYZ789#section",
    "https://example.com/shopsync/nhanh#accessCode=abc123XYZ789",
    "  example.com/shopsync/nhanh?accessCode=abc123XYZ789  ",
    "accessCode=abc123XYZ789",
    "abc123XYZ789",
    "'abc123XYZ789'",
])
def test_nh13_extract_access_code_from_any_pasted_form(pasted):
    assert extract_access_code(pasted) == "abc123XYZ789"


@pytest.mark.parametrize("pasted, words", [
    ("", "dán địa chỉ"),
    ("https://example.com/shopsync/nhanh?error=denied", "không có accessCode"),
    ("mã của tôi là abc", "không đúng dạng"),
])
def test_nh13_extract_access_code_explains_what_is_wrong(pasted, words):
    with pytest.raises(InvalidInput) as caught:
        extract_access_code(pasted)
    assert words in caught.value.message_vi and caught.value.message_en


@pytest.mark.parametrize("version", ["3", "2"])
def test_nh13_exchange_turns_the_pasted_redirect_into_a_year_long_token(version):
    clock = FakeClock()
    sandbox = nhanh_sandbox(version=version, clock=clock)
    redirected = consent(sandbox, version)
    assert redirected.startswith(DEFAULT_REDIRECT_URL + "?accessCode=")
    result = run(exchange(redirected, SANDBOX_APP_ID, SANDBOX_SECRET_KEY, version=version,
                          transport=sandbox.transport(), wall_clock=clock, sleep=clock.sleep))
    assert result.business_id == SANDBOX_BUSINESS_ID
    assert result.access_token in sandbox.tokens
    assert result.expires_at.tzinfo is not None
    assert result.expires_at - NOW == timedelta(days=365)
    assert result.depot_ids == ()          # all depots
    assert "order" in result.permissions
    assert result.access_token not in repr(result)


def test_nh13_v2_token_answer_under_data_is_accepted_too():
    clock = FakeClock()
    sandbox = nhanh_sandbox(version="2", clock=clock, v2_token_shape="data")
    code = sandbox.mint_access_code()
    result = run(exchange(code, SANDBOX_APP_ID, SANDBOX_SECRET_KEY, version="2",
                          transport=sandbox.transport(), wall_clock=clock))
    assert result.access_token in sandbox.tokens


def test_nh13_exchange_posts_v3_json_to_getaccesstoken_with_app_id_in_query():
    clock = FakeClock()
    sandbox = nhanh_sandbox(clock=clock)
    code = sandbox.mint_access_code()
    run(exchange(code, SANDBOX_APP_ID, SANDBOX_SECRET_KEY, transport=sandbox.transport(),
                 wall_clock=clock))
    request = sandbox.requests[-1]
    assert request.url.path == "/v3.0/app/getaccesstoken"
    assert request.url.params["appId"] == SANDBOX_APP_ID
    assert sandbox.body(request) == {"accessCode": code, "secretKey": SANDBOX_SECRET_KEY}


def test_nh13_an_access_code_older_than_10_minutes_is_reported_expired():
    clock = FakeClock()
    sandbox = nhanh_sandbox(clock=clock)
    code = sandbox.mint_access_code()
    clock.advance(10 * 60 + 1)
    with pytest.raises(LoginError) as caught:
        run(exchange(code, SANDBOX_APP_ID, SANDBOX_SECRET_KEY, transport=sandbox.transport(),
                     wall_clock=clock))
    assert "hết hạn" in caught.value.message_vi and "10" in caught.value.message_vi
    assert code not in caught.value.detail


def test_nh13_an_access_code_works_only_once():
    clock = FakeClock()
    sandbox = nhanh_sandbox(clock=clock)
    code = sandbox.mint_access_code()
    run(exchange(code, SANDBOX_APP_ID, SANDBOX_SECRET_KEY, transport=sandbox.transport(),
                 wall_clock=clock))
    with pytest.raises(LoginError) as caught:
        run(exchange(code, SANDBOX_APP_ID, SANDBOX_SECRET_KEY, transport=sandbox.transport(),
                     wall_clock=clock))
    assert "đã được dùng" in caught.value.message_vi
    assert "already used" in caught.value.message_en


def test_nh01_a_wrong_secret_key_says_so():
    clock = FakeClock()
    sandbox = nhanh_sandbox(clock=clock)
    code = sandbox.mint_access_code()
    with pytest.raises(LoginError) as caught:
        run(exchange(code, SANDBOX_APP_ID, "wrongSecret", transport=sandbox.transport(),
                     wall_clock=clock))
    assert "Secret key" in caught.value.message_vi


def test_nh13_a_new_v3_token_stops_the_old_one_after_15_minutes():
    from contract.connector import AuthError
    from contract.records import Entity
    from .conftest import build, collect
    connector, sandbox, clock = build("3")
    run(collect(connector, Entity.BRANCH))                    # the old token works
    run(exchange(sandbox.mint_access_code(), SANDBOX_APP_ID, SANDBOX_SECRET_KEY,
                 transport=sandbox.transport(), wall_clock=clock))
    clock.advance(14 * 60)
    run(collect(connector, Entity.BRANCH))                    # still inside the 15 minutes
    clock.advance(2 * 60)
    with pytest.raises(AuthError) as caught:
        run(collect(connector, Entity.BRANCH))
    assert "đăng nhập lại" in caught.value.message_vi


@pytest.mark.parametrize("days, level", [(400, None), (31, None), (29, "info"), (6, "warning"),
                                         (0.5, "urgent"), (-1, "urgent")])
def test_nh13_token_warning_ahead_of_expiry(days, level):
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    warning = token_warning(now + timedelta(days=days), now)
    if level is None:
        assert warning is None
    else:
        assert warning.level == level and warning.rule == "NH-13"
        assert "đăng nhập lại" in warning.message_vi.lower()


@pytest.mark.parametrize("value, ok", [
    ("a" * 16, True), ("Ab1" * 40, True), ("a" * 128, True), ("a" * 15, False),
    ("a" * 129, False), ("abc def ghi jkl mno", False), ("đồngbộđồngbộđồngbộ", False),
    ("abcd-efgh-ijkl-mnop", False)])
def test_nh01_verify_token_is_16_to_128_letters_or_digits(value, ok):
    if ok:
        assert validate_verify_token(value) == value
    else:
        with pytest.raises(InvalidInput) as caught:
            validate_verify_token(value)
        assert "16–128" in caught.value.message_vi


def test_nh01_callback_urls_show_the_redirect_url_and_explain_webhooks_need_public_https():
    urls = callback_urls({"redirect_url": "https://shop.example/cb"})
    assert urls.redirect_url == "https://shop.example/cb"
    assert urls.webhook_url == ""
    assert "https" in urls.note_vi and "định kỳ" in urls.note_vi
    assert "polling" in urls.note_en or "schedule" in urls.note_en
    assert callback_urls({}).redirect_url == DEFAULT_REDIRECT_URL


@respx.mock
def test_nh13_v3_depot_ids_all_means_every_depot_and_expiry_is_aware_utc():
    respx.post("https://pos.open.nhanh.vn/v3.0/app/getaccesstoken").mock(
        return_value=httpx.Response(200, json={"code": 1, "data": {
            "accessToken": "tokenXYZ123456", "version": "3.0", "expiredAt": 1795402800,
            "businessId": 168888, "depotIds": "All", "permissions": ["product"]}}))
    result = run(exchange("abcdefgh1234", "73021", "secret"))
    assert result.depot_ids == ()
    assert result.expires_at == datetime.fromtimestamp(1795402800, timezone.utc)
    assert result.business_id == "168888"


@respx.mock
def test_nh13_v2_flat_answer_with_only_a_vietnam_expiry_datetime():
    route = respx.post("https://pos.open.nhanh.vn/api/oauth/access_token").mock(
        return_value=httpx.Response(200, json={
            "code": 1, "accessToken": "tokenV2abc123", "expiredDateTime": "2027-11-23 10:00:00",
            "businessId": "168888", "depotIds": [101, 102], "permissions": []}))
    result = run(exchange("abcdefgh1234", "73021", "secret", version="2"))
    assert result.expires_at == datetime(2027, 11, 23, 3, 0, tzinfo=timezone.utc)
    assert result.depot_ids == ("101", "102")
    sent = parse_qs(route.calls.last.request.content.decode())
    assert sent["version"] == ["2.0"] and sent["accessCode"] == ["abcdefgh1234"]


# -- Issue 19.8: a Redirect URL the owner controls, caught by ShopSync on this PC -------------

def _free_port() -> int:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nh01_the_default_redirect_is_this_pc_never_a_strangers_domain():
    from connectors.nhanh.login import is_loopback
    assert is_loopback(DEFAULT_REDIRECT_URL)
    assert "example.com" not in DEFAULT_REDIRECT_URL
    urls = callback_urls({})
    assert "ShopSync tự nhận mã" in urls.note_vi and "catches the code" in urls.note_en
    assert "https page of the shop's own" in urls.note_en      # the paste-back fallback named
    assert "returnLink=http%3A%2F%2F127.0.0.1%3A" in authorize_url("73021",
                                                                    DEFAULT_REDIRECT_URL, "3")
    with pytest.raises(InvalidInput):
        authorize_url("73021", "http://shop.example/cb", "3")   # plain http elsewhere: no


@pytest.mark.parametrize("version", ["3", "2"])
def test_nh13_login_through_the_loopback_catcher_end_to_end(version):
    """Consent on the (sandbox) Nhanh page, the browser follows the redirect to this PC,
    ShopSync's catcher takes the code and the exchange gives the year-long token."""
    from connectors.nhanh.login import catch_access_code
    port = _free_port()
    redirect = f"http://127.0.0.1:{port}/shopsync/nhanh"
    sandbox = nhanh_sandbox(version=version, registered_redirects=(redirect,))

    async def flow():
        ready = asyncio.Event()
        catcher = asyncio.create_task(catch_access_code(redirect, timeout=30, ready=ready))
        await ready.wait()
        async with httpx.AsyncClient(transport=sandbox.transport(),
                                     base_url="https://nhanh.vn") as nhanh:
            page = await nhanh.get(authorize_url(SANDBOX_APP_ID, redirect, version))
            href = page.text.split('id=approve href="')[1].split('"')[0].replace("&amp;", "&")
            location = (await nhanh.get(href)).headers["location"]
        assert location.startswith(redirect + "?accessCode=")
        async with httpx.AsyncClient() as browser:        # the real browser hop to this PC
            await browser.get(f"http://127.0.0.1:{port}/favicon.ico")
            shown = await browser.get(location)
        assert shown.status_code == 200 and "đóng thẻ" in shown.text
        code = await catcher
        return await exchange(code, SANDBOX_APP_ID, SANDBOX_SECRET_KEY, version=version,
                              transport=sandbox.transport())
    result = asyncio.run(flow())
    assert result.access_token and result.business_id


def test_nh13_the_catcher_reports_declined_consent_a_timeout_and_a_busy_port():
    import socket
    from connectors.nhanh.login import catch_access_code
    port = _free_port()
    redirect = f"http://127.0.0.1:{port}/shopsync/nhanh"

    async def declined():
        ready = asyncio.Event()
        catcher = asyncio.create_task(catch_access_code(redirect, timeout=30, ready=ready))
        await ready.wait()
        async with httpx.AsyncClient() as browser:
            await browser.get(redirect + "?error=denied")
        return await catcher
    with pytest.raises(LoginError) as caught:
        asyncio.run(declined())
    assert "đồng ý" in caught.value.message_vi
    with pytest.raises(LoginError) as caught:
        asyncio.run(catch_access_code(redirect, timeout=0.2))
    assert "10 phút" in caught.value.message_vi and "paste" in caught.value.message_en
    busy = _free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", busy))
        taken.listen()
        with pytest.raises(LoginError) as caught:
            asyncio.run(catch_access_code(f"http://127.0.0.1:{busy}/shopsync/nhanh",
                                          timeout=1))
    assert "dán địa chỉ" in caught.value.message_vi and "busy" in caught.value.message_en


def test_nh01_a_nhanh_that_refuses_loopback_leaves_the_paste_back_flow():
    sandbox = nhanh_sandbox(version="3", accepts_loopback=False,
                            registered_redirects=(DEFAULT_REDIRECT_URL, "https://shop.vn/cb"))
    with httpx.Client(transport=sandbox.transport(), base_url="https://nhanh.vn") as browser:
        refused = browser.get(authorize_url(SANDBOX_APP_ID, DEFAULT_REDIRECT_URL, "3"))
        assert refused.status_code == 400
        page = browser.get(authorize_url(SANDBOX_APP_ID, "https://shop.vn/cb", "3"))
        href = page.text.split('id=approve href="')[1].split('"')[0].replace("&amp;", "&")
        location = browser.get(href).headers["location"]
    result = asyncio.run(exchange(location, SANDBOX_APP_ID, SANDBOX_SECRET_KEY,
                                  transport=sandbox.transport()))
    assert result.access_token
