"""Logging in to Nhanh.vn (NH-01, NH-13): what the connection wizard calls.

Nhanh gives tokens only through browser consent: the owner opens `authorize_url`, approves,
and Nhanh redirects the browser to the registered Redirect URL with `?accessCode=…`. The
Redirect URL is an address the owner controls, never a stranger's domain:

- by default a loopback address on this PC (`DEFAULT_REDIRECT_URL`, http://127.0.0.1:…),
  caught by ShopSync itself with `catch_access_code` — UNVERIFIED: Nhanh's docs ask for an
  https link and document no localhost exception, so whether open.nhanh.vn accepts it is one
  setting (hosts.redirect_url);
- otherwise an https page of the owner's own (their shop's website): the owner pastes the
  address the browser shows after approving (or just the code) back into ShopSync
  (`extract_access_code`), the fallback that always works.

Either way the code is exchanged (`exchange`) within its 10 minutes. The code works once; the token lasts a year, has no
refresh, and a new v3 token makes the previous one stop 15 minutes later (one token per app and
business: logging in on a second PC logs the first one out).
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from contract.records import from_vietnam_time, text
from contract.connector import AuthError, InvalidInput, PosError
from connectors.http import Redactor, WriteOutcomeUnknown
from connectors.nhanh.client import API_BASE, NhanhClient
from connectors.nhanh.errors import message_text

OAUTH_BASE = "https://nhanh.vn"
# UNVERIFIED default (one setting: hosts.redirect_url): a loopback address ShopSync catches
# itself. If open.nhanh.vn refuses it, the owner registers an https page of their own and
# pastes the redirected address back. Never a third party's domain: the access code travels in
# this address.
LOOPBACK_HOST = "127.0.0.1"
LOOPBACK_PORT = 53682
LOOPBACK_PATH = "/shopsync/nhanh"
DEFAULT_REDIRECT_URL = f"http://{LOOPBACK_HOST}:{LOOPBACK_PORT}{LOOPBACK_PATH}"
ACCESS_CODE_MINUTES = 10
TOKEN_REPLACED_MINUTES = 15           # a new v3 token kills the previous one after this
WARN_DAYS = (30, 7, 1)

_CODE = re.compile(r"^[A-Za-z0-9._~\-]{8,512}$")
_VERIFY_TOKEN = re.compile(r"^[A-Za-z0-9]{16,128}$")


@dataclass(frozen=True)
class LoginResult:
    access_token: str = field(repr=False)
    business_id: str
    expires_at: datetime | None          # aware UTC
    depot_ids: tuple[str, ...] = ()      # empty = every depot, now and future
    permissions: tuple[str, ...] = ()
    version: str = "3"


@dataclass(frozen=True)
class TokenWarning:
    days_left: int
    level: str                           # "info" (≤30 days), "warning" (≤7), "urgent" (≤1/expired)
    message_vi: str
    message_en: str
    rule: str = "NH-13"


class LoginError(AuthError):
    """A login step failed; the message says what to do (usually: log in again now)."""


# -- the consent page ------------------------------------------------------------------------

def authorize_url(app_id: str, redirect_url: str = DEFAULT_REDIRECT_URL, version: str = "3",
                  oauth_base: str = OAUTH_BASE) -> str:
    """The Nhanh consent page to open in the browser.

    v3 docs take only appId and returnLink (third-party code adds version=3.0, UNVERIFIED, so
    it is left out); v2 adds version=2.0."""
    app_id = text(app_id)
    if not app_id:
        raise InvalidInput("Hãy nhập App ID (lấy trên open.nhanh.vn) trước khi đăng nhập.",
                           "Enter the App ID (from open.nhanh.vn) before logging in.", "NH-01")
    if not (text(redirect_url).lower().startswith("https://") or is_loopback(redirect_url)):
        raise InvalidInput("Redirect URL phải bắt đầu bằng https:// (một trang của chính cửa "
                           "hàng) hoặc là địa chỉ của máy này (http://127.0.0.1:…), và phải "
                           "được khai báo trong ứng dụng trên open.nhanh.vn.",
                           "The Redirect URL must start with https:// (a page of the shop's "
                           "own) or be this PC's address (http://127.0.0.1:…), and be "
                           "registered in the app on open.nhanh.vn.", "NH-01")
    query: dict[str, str] = {"appId": app_id, "returnLink": text(redirect_url)}
    if version == "2":
        query["version"] = "2.0"
    return f"{oauth_base.rstrip('/')}/oauth?{urlencode(query)}"


def is_loopback(redirect_url: str) -> bool:
    """An http address on this PC (127.0.0.1 / localhost / [::1]) that ShopSync can catch."""
    parts = urlsplit(text(redirect_url))
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1") \
        and parts.port is not None


_CAUGHT_PAGE = (
    "<!doctype html><html lang=vi><meta charset=utf-8><title>ShopSync</title>"
    "<h1>{vi}</h1><p>{en}</p></html>")


async def catch_access_code(redirect_url: str = DEFAULT_REDIRECT_URL, *,
                            timeout: float = ACCESS_CODE_MINUTES * 60,
                            ready: "asyncio.Event | None" = None) -> str:
    """Wait on this PC for the browser's redirect to the loopback `redirect_url` and return
    its access code (public: the CLI `shopsync login` and the window both use it).

    Listens on the URL's own host and port only (never on the network), answers the browser
    with a short page saying the tab can be closed, and stops at the first redirect that
    reaches the URL's path. `ready` is set once listening. Raises LoginError when nothing
    arrives within `timeout` (the code's 10 minutes), when the owner declined consent, or
    when the port is taken (then: paste the address instead)."""
    if not is_loopback(redirect_url):
        raise InvalidInput("Redirect URL này không phải địa chỉ của máy này; hãy dán địa chỉ "
                           "trình duyệt hiện ra sau khi đồng ý.",
                           "This Redirect URL is not on this PC; paste the address the browser "
                           "shows after approving.", "NH-13")
    target = urlsplit(text(redirect_url))
    path = target.path or "/"
    loop = asyncio.get_running_loop()
    caught: asyncio.Future[str] = loop.create_future()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 10)).decode("latin-1")
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass
            method, _, rest = line.partition(" ")
            asked = urlsplit(rest.rpartition(" ")[0] or rest)
            if method != "GET" or asked.path != path:
                await _reply(writer, 404, "Không có trang này.", "Not found.")
                return
            codes = parse_qs(asked.query).get("accessCode")
            if codes and text(codes[0]):
                await _reply(writer, 200, "Đã nhận mã đăng nhập Nhanh.vn. Bạn có thể đóng thẻ "
                             "này và quay lại ShopSync.", "ShopSync received the Nhanh.vn login "
                             "code. You can close this tab and return to ShopSync.")
                if not caught.done():
                    caught.set_result(text(codes[0]))
                return
            await _reply(writer, 400, "Nhanh.vn không gửi mã đăng nhập (có thể bạn chưa bấm "
                         "đồng ý).", "Nhanh.vn sent no login code (consent may not have been "
                         "given).")
            if not caught.done():
                caught.set_exception(LoginError(
                    "Nhanh.vn không gửi mã đăng nhập: có thể bạn chưa bấm đồng ý. Hãy đăng nhập "
                    "lại và bấm \"Đồng ý\" trên trang Nhanh.vn.",
                    "Nhanh.vn sent no login code: consent may not have been given. Log in "
                    "again and approve on the Nhanh.vn page.", rule="NH-13"))
        except (asyncio.TimeoutError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    try:
        server = await asyncio.start_server(answer, target.hostname, target.port)
    except OSError as exc:
        raise LoginError(
            f"Cổng {target.port} trên máy này đang bận nên ShopSync không tự nhận được mã. Hãy "
            "dán địa chỉ trình duyệt hiện ra sau khi đồng ý.",
            f"Port {target.port} on this PC is busy, so ShopSync cannot catch the code itself. "
            "Paste the address the browser shows after approving.", rule="NH-13",
            detail=str(exc)) from exc
    try:
        if ready is not None:
            ready.set()
        try:
            code = await asyncio.wait_for(asyncio.shield(caught), timeout)
        except asyncio.TimeoutError:
            raise LoginError(
                "Hết 10 phút mà chưa nhận được mã từ Nhanh.vn. Hãy bấm \"Đăng nhập Nhanh.vn\" "
                "lại; nếu trình duyệt báo không mở được trang 127.0.0.1, hãy dán địa chỉ đó vào "
                "ShopSync.",
                "No code arrived from Nhanh.vn within 10 minutes. Click \"Log in to Nhanh.vn\" "
                "again; if the browser could not open the 127.0.0.1 page, paste that address "
                "into ShopSync.", rule="NH-13") from None
        return _checked_code(code)
    finally:
        server.close()
        await server.wait_closed()


async def _reply(writer: asyncio.StreamWriter, status: int, vi: str, en: str) -> None:
    body = _CAUGHT_PAGE.format(vi=vi, en=en).encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
                 f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
    await writer.drain()


def extract_access_code(pasted: str) -> str:
    """The access code from what the owner pasted: the whole redirected address (any order of
    parameters, http or https, with or without a #fragment) or the bare code."""
    raw = text(pasted).strip("'\" <>")
    if not raw:
        raise InvalidInput(
            "Hãy dán địa chỉ trang mà Nhanh.vn chuyển tới sau khi bạn bấm đồng ý (hoặc mã "
            "accessCode).",
            "Paste the address Nhanh.vn sent you to after you approved (or the accessCode).",
            "NH-13")
    if "accessCode" in raw or "://" in raw or "?" in raw:
        parts = urlsplit(raw if "://" in raw else f"https://x/{raw.lstrip('/')}")
        for chunk in (parts.query, parts.fragment, parts.fragment.partition("?")[2],
                      raw.rpartition("?")[2]):
            values = parse_qs(chunk).get("accessCode")
            if values and text(values[0]):
                return _checked_code(values[0])
        raise InvalidInput(
            "Địa chỉ vừa dán không có accessCode. Có thể bạn chưa bấm đồng ý trên Nhanh.vn, hoặc "
            "đã dán nhầm địa chỉ. Hãy đăng nhập lại và dán địa chỉ ngay sau khi được chuyển tới.",
            "The pasted address has no accessCode. Perhaps consent was not given on Nhanh.vn or "
            "another address was pasted. Log in again and paste the address right after the "
            "redirect.", "NH-13")
    return _checked_code(raw)


def _checked_code(code: str) -> str:
    code = text(code)
    if not _CODE.match(code):
        raise InvalidInput(
            "Mã accessCode không đúng dạng (chỉ gồm chữ, số; không có dấu cách). Hãy sao chép lại "
            "toàn bộ địa chỉ trên thanh địa chỉ của trình duyệt.",
            "The accessCode does not look right (letters and digits, no spaces). Copy the whole "
            "address from the browser's address bar again.", "NH-13")
    return code


# -- the exchange ----------------------------------------------------------------------------

async def exchange(access_code: str, app_id: str, secret_key: str, *, version: str = "3",
                   api_base: str = API_BASE, transport: httpx.AsyncBaseTransport | None = None,
                   wall_clock=time.time, sleep=asyncio.sleep,
                   authorized_at: datetime | None = None) -> LoginResult:
    """Trade the one-time access code for the year-long token.

    `authorized_at` (when the browser was opened) only sharpens the message when the code is
    refused after more than 10 minutes."""
    code = extract_access_code(access_code)
    client = NhanhClient(api_base=api_base, transport=transport, wall_clock=wall_clock,
                         sleep=sleep, secrets=(code, text(secret_key)))
    try:
        if version == "3":
            body = await _call(client, "/v3.0/app/getaccesstoken",
                               params={"appId": text(app_id)},
                               json={"accessCode": code, "secretKey": text(secret_key)},
                               wall_clock=wall_clock, authorized_at=authorized_at)
        else:
            body = await _call(client, "/api/oauth/access_token",
                               data={"version": "2.0", "appId": text(app_id),
                                     "accessCode": code, "secretKey": text(secret_key)},
                               wall_clock=wall_clock, authorized_at=authorized_at)
    finally:
        await client.aclose()
    return _result(body, version)


async def _call(client: NhanhClient, path: str, *, wall_clock, authorized_at, **kwargs) -> dict:
    try:
        return await client.post(path, **kwargs)
    except WriteOutcomeUnknown as lost:
        # The single-use code may have been spent on a token that never arrived: sending it
        # again would only be refused as "used". A fresh consent is the one way on.
        raise LoginError(
            "Nhanh.vn không trả lời kịp khi đổi mã đăng nhập (mã chỉ dùng được một lần). Hãy "
            "bấm \"Đăng nhập Nhanh.vn\" lại để lấy mã mới.",
            "Nhanh.vn's answer to the login exchange was lost (the code works only once). "
            "Click \"Log in to Nhanh.vn\" again to get a new code.", rule="NH-13",
            detail=lost.detail, status=lost.status) from lost
    except PosError as exc:
        if exc.retryable:
            raise
        raise _login_error(exc, wall_clock, authorized_at) from exc


def _login_error(exc: PosError, wall_clock, authorized_at: datetime | None) -> LoginError:
    detail = (exc.detail or "").lower()
    late = authorized_at is not None and (
        datetime.fromtimestamp(wall_clock(), tz=timezone.utc) - authorized_at
        > timedelta(minutes=ACCESS_CODE_MINUTES))
    if "secret" in detail:
        return LoginError("Secret key không đúng. Hãy sao chép lại Secret key trên "
                          "open.nhanh.vn/apps rồi đăng nhập lại.",
                          "The secret key is wrong. Copy it again from open.nhanh.vn/apps and "
                          "log in again.", rule="NH-01", detail=exc.detail, status=exc.status)
    if "err_invalid_app_id" in detail:
        return LoginError("App ID không đúng hoặc ứng dụng chưa hoạt động trên open.nhanh.vn.",
                          "The App ID is wrong or the app is not active on open.nhanh.vn.",
                          rule="NH-01", detail=exc.detail, status=exc.status)
    if "used" in detail or "đã sử dụng" in detail or "đã được sử dụng" in detail:
        return LoginError(
            "Mã accessCode này đã được dùng (mỗi mã chỉ dùng một lần). Hãy bấm \"Đăng nhập "
            "Nhanh.vn\" lại để lấy mã mới.",
            "This accessCode was already used (each code works once). Click \"Log in to "
            "Nhanh.vn\" again to get a new one.", rule="NH-13", detail=exc.detail,
            status=exc.status)
    if late or "expire" in detail or "hết hạn" in detail:
        return LoginError(
            "Mã accessCode đã hết hạn (chỉ có hiệu lực 10 phút). Hãy bấm \"Đăng nhập Nhanh.vn\" "
            "lại và dán địa chỉ ngay sau khi đồng ý.",
            "The accessCode expired (it is valid for 10 minutes). Click \"Log in to Nhanh.vn\" "
            "again and paste the address right after approving.", rule="NH-13",
            detail=exc.detail, status=exc.status)
    return LoginError(
        "Nhanh.vn không nhận mã đăng nhập: mã có thể đã hết hạn (10 phút), đã được dùng, hoặc "
        "App ID / Secret key không khớp. Hãy kiểm tra rồi đăng nhập lại. Chi tiết: "
        f"{exc.message_vi}",
        "Nhanh.vn did not accept the login code: it may have expired (10 minutes), been used "
        "already, or the App ID / secret key do not match. Check them and log in again. "
        f"Detail: {exc.message_en}", rule="NH-13", detail=exc.detail, status=exc.status)


def _result(body: dict, version: str) -> LoginResult:
    data: Mapping[str, Any] = body.get("data") if isinstance(body.get("data"), dict) else {}
    # v2 documents a flat answer, the PHP SDK reads data.*; accept both.
    source = data if data.get("accessToken") else body
    token = text(source.get("accessToken"))
    if not token:
        raise LoginError("Nhanh.vn không trả về mã đăng nhập. Hãy đăng nhập lại.",
                         "Nhanh.vn returned no access token. Log in again.", rule="NH-13",
                         detail=Redactor()(message_text(body)))
    expires = _expiry(source)
    depots = source.get("depotIds") or ()
    if isinstance(depots, str) or isinstance(depots, dict):
        depots = () if str(depots).lower() == "all" or not depots else tuple(depots)
    return LoginResult(
        access_token=token, business_id=text(source.get("businessId")), expires_at=expires,
        depot_ids=tuple(text(d) for d in depots if text(d).lower() != "all"),
        permissions=tuple(text(p) for p in (source.get("permissions") or ())),
        version=version)


def _expiry(source: Mapping[str, Any]) -> datetime | None:
    raw = source.get("expiredAt")
    if raw not in (None, "", 0):
        try:
            return datetime.fromtimestamp(int(raw), tz=timezone.utc)
        except (TypeError, ValueError):
            pass
    local = text(source.get("expiredDateTime"))
    if local:
        try:
            return from_vietnam_time(datetime.strptime(local[:19], "%Y-%m-%d %H:%M:%S"))
        except ValueError:
            return None
    return None


# -- around the token ------------------------------------------------------------------------

def token_warning(expires_at: datetime | None, now: datetime,
                  warn_days: tuple[int, ...] = WARN_DAYS) -> TokenWarning | None:
    """A warning when the year-long token ends within `max(warn_days)` days (NH-13): it cannot
    be refreshed, so the owner must log in again before it stops."""
    if expires_at is None:
        return None
    left = expires_at - now
    days = int(left.total_seconds() // 86400)
    if left.total_seconds() <= 0:
        return TokenWarning(0, "urgent",
                            "Phiên đăng nhập Nhanh.vn đã hết hạn: đồng bộ đã dừng. Hãy bấm "
                            "\"Đăng nhập Nhanh.vn\" để đăng nhập lại.",
                            "The Nhanh.vn login has expired and syncing stopped. Click \"Log in "
                            "to Nhanh.vn\" to log in again.")
    if left > timedelta(days=max(warn_days)):
        return None
    level = ("urgent" if left <= timedelta(days=min(warn_days))
             else "warning" if left <= timedelta(days=sorted(warn_days)[len(warn_days) // 2])
             else "info")
    return TokenWarning(days, level,
                        f"Phiên đăng nhập Nhanh.vn hết hạn sau {days} ngày "
                        f"({expires_at.astimezone(timezone.utc):%d/%m/%Y}) và không gia hạn "
                        "được. Hãy đăng nhập lại trước ngày đó.",
                        f"The Nhanh.vn login expires in {days} days "
                        f"({expires_at.astimezone(timezone.utc):%Y-%m-%d}) and cannot be "
                        "renewed. Log in again before then.")


ONE_TOKEN_NOTE_VI = ("Mỗi ứng dụng chỉ có một mã đăng nhập cho một doanh nghiệp: khi đăng nhập "
                     "lại (ở máy này hay máy khác), mã cũ ngừng hoạt động sau 15 phút. Máy nào "
                     "đăng nhập sau cùng sẽ đồng bộ được.")
ONE_TOKEN_NOTE_EN = ("One login token exists per app and business: after logging in again (on "
                     "this or another PC) the old token stops working 15 minutes later. Only the "
                     "PC that logged in last keeps syncing.")


def validate_verify_token(value: str) -> str:
    """Webhooks verify token as open.nhanh.vn accepts it: 16–128 letters or digits."""
    token = text(value)
    if not _VERIFY_TOKEN.match(token):
        raise InvalidInput("Webhooks verify token phải dài 16–128 ký tự và chỉ gồm chữ cái "
                           "không dấu và chữ số.",
                           "The webhook verify token must be 16–128 characters, letters "
                           "(no accents) and digits only.", "NH-01")
    return token


@dataclass(frozen=True)
class CallbackUrls:
    redirect_url: str
    webhook_url: str
    note_vi: str
    note_en: str


def callback_urls(settings: Any) -> CallbackUrls:
    """What to register on open.nhanh.vn (NH-01), with copy buttons in the wizard.

    `settings` is a ConnectionSettings or a plain hosts mapping."""
    hosts = getattr(settings, "hosts", settings) or {}
    redirect = text(hosts.get("redirect_url")) or DEFAULT_REDIRECT_URL
    webhook = text(hosts.get("webhook_callback_url"))
    return CallbackUrls(
        redirect_url=redirect, webhook_url=webhook,
        note_vi=("Dán Redirect URL vào mục Redirect URL của ứng dụng trên open.nhanh.vn. "
                 + ("Đây là địa chỉ của chính máy này: sau khi bạn đồng ý, ShopSync tự nhận mã. "
                    "Nếu open.nhanh.vn không nhận địa chỉ 127.0.0.1, hãy dùng một trang https "
                    "của chính cửa hàng (ví dụ website của shop) và dán địa chỉ trình duyệt hiện "
                    "ra sau khi đồng ý. " if is_loopback(redirect) else
                    "Sau khi đồng ý, hãy dán địa chỉ trình duyệt hiện ra vào ShopSync. ") +
                 "Webhooks cần một địa chỉ https công khai luôn bật, mà máy tính bán hàng không "
                 "có; vì vậy có thể để tắt Webhooks: ShopSync tự cập nhật bằng cách hỏi Nhanh.vn "
                 "định kỳ (đồng bộ theo lịch)."),
        note_en=("Paste the Redirect URL into the app's Redirect URL list on open.nhanh.vn. "
                 + ("It is this PC's own address: after you approve, ShopSync catches the code "
                    "itself. If open.nhanh.vn refuses a 127.0.0.1 address, use an https page of "
                    "the shop's own (e.g. its website) and paste the address the browser shows "
                    "after approving. " if is_loopback(redirect) else
                    "After approving, paste the address the browser shows into ShopSync. ") +
                 "Webhooks need a public, always-on https address that a shop PC does not have, "
                 "so they can stay off: ShopSync keeps the App up to date by asking Nhanh.vn on "
                 "a schedule (incremental sync)."))
