"""KiotViet's error answers → the shared error taxonomy, with messages a shop owner can act on.

KiotViet (ServiceStack) answers `{"responseStatus": {"errorCode", "message", "errors"}}`, with an
HTTP status that is not reliable for validation errors (its own web API uses 420), so the body
decides first and the status second (platforms/kiotviet.md §8).
"""
from __future__ import annotations

import re
from typing import Any

import httpx

from contract.connector import (AuthError, InvalidData, InvalidInput, NotFound,
                                PermissionDenied, PosError, SettingOff)
from connectors.http import body_json
from connectors.kiotviet import payload

# `Thiết lập "Cho phép đặt hàng" đang không được bật` — a store setting gates the call.
_SETTING_OFF = re.compile(r"[Tt]hiết lập\s*[\"“”']?(?P<name>[^\"“”']+?)[\"“”']?\s*"
                         r"đang không được bật")


class TokenRejected(AuthError):
    """The access token expired or was revoked: the connector fetches a new one once and
    retries; only a second rejection reaches the user."""


# Where the owner reads the connection name (KVDOC §authentication: "Retailer" is the store's
# connection name shown next to the Client ID).
WHERE_RETAILER_VI = ("Tên kết nối là tên gian hàng KiotViet: xem ở KiotViet → Thiết lập cửa "
                     "hàng → Thiết lập kết nối API (cũng là phần đầu địa chỉ đăng nhập, ví dụ "
                     "caphemoc trong caphemoc.kiotviet.vn). Sửa lại Tên kết nối rồi kiểm tra "
                     "kết nối.")
WHERE_RETAILER_EN = ("The connection name is the KiotViet store name: read it in KiotViet → "
                     "Store settings → API connection (it is also the first part of the sign-in "
                     "address, e.g. caphemoc in caphemoc.kiotviet.vn). Correct the connection "
                     "name, then test the connection.")


class RetailerNotFound(AuthError):
    """KiotViet does not know the connection name (`Retailer` header) — nothing expired."""

    def __init__(self, retailer: str, detail: str = "", status: int | None = None) -> None:
        super().__init__(
            f"KiotViet không tìm thấy gian hàng có tên kết nối «{retailer}». " + WHERE_RETAILER_VI,
            f"KiotViet found no store with the connection name «{retailer}». "
            + WHERE_RETAILER_EN, rule="KVF-14", detail=detail, status=status)


def names_retailer(code: str, message: str) -> bool:
    """Whether KiotViet's refusal is about the `Retailer` header rather than the token.
    UNVERIFIED: the real wording is not documented; a token refused right after it was issued
    is treated the same way (see KiotVietConnector.call)."""
    folded = f"{code} {message}".casefold()
    return "retailer" in folded or "gian hàng" in folded or "cửa hàng" in folded


class BranchNotInShop(InvalidInput):
    """KVF-14: the configured branch is not one of the shop's branches; the message lists
    them so the owner can pick the right one."""

    def __init__(self, branch: str, branches: "list[tuple[str, str]]") -> None:
        listed = "; ".join(f"{key} – {name}" for key, name in branches) or "—"
        super().__init__(
            f"Chi nhánh «{branch}» không thuộc cửa hàng này trên KiotViet. Các chi nhánh của "
            f"cửa hàng: {listed}. Hãy chọn lại chi nhánh trung tâm trong danh sách này.",
            f"Branch «{branch}» is not one of this store's KiotViet branches. The store's "
            f"branches: {listed}. Pick the central branch from this list.", rule="KVF-14")
        self.branch = branch
        self.branches = tuple(branches)


WRONG_CREDENTIALS_VI = ("KiotViet không chấp nhận thông tin kết nối: sai Client ID / Mã bảo mật "
                        "hoặc tên kết nối. Hãy mở KiotViet → Thiết lập cửa hàng → Thiết lập kết "
                        "nối API, kiểm tra kết nối đang \"Hoạt động\", rồi chép lại Client ID và "
                        "Mã bảo mật.")
WRONG_CREDENTIALS_EN = ("KiotViet refused the connection details: wrong Client ID / secret "
                        "(\"Mã bảo mật\") or connection name. Open KiotViet → Store settings → "
                        "API connection, check the connection is \"Active\", then copy the Client "
                        "ID and secret again.")


def _body(response: httpx.Response) -> Any:
    try:
        return body_json(response)
    except ValueError:
        return None


def error_parts(body: Any) -> tuple[str, str]:
    """(errorCode, message) from any of the shapes KiotViet uses."""
    status = payload.get(body, "responseStatus")
    code = payload.get(status, "errorCode") or payload.get(body, "errorCode") or ""
    message = (payload.get(status, "message") or payload.get(body, "message")
               or payload.get(body, "error_description") or payload.get(body, "error") or "")
    if not message:
        errors = payload.get(status, "errors")
        if isinstance(errors, list) and errors:
            message = payload.get(errors[0], "message") or ""
    return str(code), str(message)


# What to do about the settings an order push meets (KVDOC 2.5; FNBPDF): besides switching
# the setting on in KiotViet, the shop can stop ShopSync sending what the setting gates.
DELIVERY_SETTING = "Sử dụng tính năng giao hàng"
OUT_OF_STOCK_SETTING = "Cho phép gọi món khi hết tồn kho"
_SETTING_ADVICE = {
    DELIVERY_SETTING: (
        "Đơn có địa chỉ giao hàng nhưng cửa hàng chưa bật tính năng giao hàng trên KiotViet. "
        "Hãy vào KiotViet → Thiết lập cửa hàng, bật \"Sử dụng tính năng giao hàng\"; hoặc nếu "
        "cửa hàng không giao hàng qua KiotViet, tắt tuỳ chọn \"Cửa hàng dùng tính năng giao "
        "hàng của KiotViet\" trong ShopSync. Rồi đồng bộ lại.",
        "The order has a delivery address but the store has not switched on KiotViet's "
        "delivery feature. In KiotViet → Store settings switch on \"Sử dụng tính năng giao "
        "hàng\" (use the delivery feature); or, if the store does not deliver through "
        "KiotViet, switch off \"The shop uses KiotViet's delivery feature\" in ShopSync. Then "
        "sync again."),
    OUT_OF_STOCK_SETTING: (
        "Đơn có món đã hết tồn kho trên KiotViet FnB và cửa hàng không cho gọi món khi hết "
        "tồn kho. Hãy vào KiotViet FnB → Thiết lập cửa hàng, bật \"Cho phép gọi món khi hết "
        "tồn kho\", hoặc nhập thêm tồn kho cho món, rồi đồng bộ lại.",
        "The order has an item that is out of stock in KiotViet FnB and the store does not "
        "allow ordering out-of-stock items. In KiotViet FnB → Store settings switch on \"Cho "
        "phép gọi món khi hết tồn kho\" (allow ordering when out of stock), or add stock for "
        "the item, then sync again."),
}


def setting_off(message: str, status: int | None = None) -> SettingOff | None:
    """The store-setting refusal, with KiotViet's own words shown verbatim and the setting
    named (KiotViet's own text has stray punctuation: “… giao hàng.” đang không được bật)."""
    match = _SETTING_OFF.search(message)
    if match is None:
        return None
    name = match.group("name").strip().rstrip(".").strip()
    if name in _SETTING_ADVICE:
        vi, en = _SETTING_ADVICE[name]
        return SettingOff(f"KiotViet báo: «{message}». {vi}", f"KiotViet says: «{message}». {en}",
                          detail=message, status=status)
    return SettingOff(
        f"KiotViet báo: «{message}». Hãy vào KiotViet → Thiết lập cửa hàng, bật \"{name}\", "
        "rồi đồng bộ lại.",
        f"KiotViet says: «{message}». In KiotViet → Store settings, switch on \"{name}\", then "
        "sync again.", detail=message, status=status)


def classify(response: httpx.Response) -> PosError | None:
    """KiotViet API answer → error (None for success and for what PosHttp's default handles:
    429 and 5xx, which are retried)."""
    status = response.status_code
    if status < 300:
        return None
    code, message = error_parts(_body(response))
    if code == "TokenException" or status == 401:
        if code != "TokenException" and names_retailer(code, message):
            return RetailerNotFound(response.request.headers.get("retailer", ""),
                                    detail=f"{code}: {message}"[:300], status=status)
        return TokenRejected(
            "Phiên đăng nhập KiotViet đã hết hạn và không làm mới được. " + WRONG_CREDENTIALS_VI,
            "The KiotViet session expired and could not be renewed. " + WRONG_CREDENTIALS_EN,
            detail=f"{code}: {message}"[:300], status=status)
    if status == 429 or status >= 500:
        return None
    if message:
        off = setting_off(message, status)
        if off is not None:
            return off
    if status == 403:
        return PermissionDenied(
            "Kết nối API KiotViet không có quyền cho thao tác này. Hãy kiểm tra gói dịch vụ và "
            "quyền của kết nối trong Thiết lập kết nối API.",
            "The KiotViet API connection may not do this. Check the plan and the connection's "
            "permissions under API connection settings.", detail=message, status=status)
    if status == 404:
        return NotFound(
            "KiotViet không tìm thấy mục này (có thể đã bị xoá trên KiotViet).",
            "KiotViet cannot find this item (it may have been deleted in KiotViet).",
            detail=message, status=status)
    if status >= 400:
        shown = message or response.text[:200]
        return InvalidData(
            f"KiotViet từ chối dữ liệu: «{shown}». Hãy sửa mục này trong App rồi thử lại.",
            f"KiotViet refused the data: «{shown}». Fix this item in the App and retry.",
            detail=shown, status=status)
    return None


def classify_token(response: httpx.Response) -> PosError | None:
    """The identity server: a refused client is the user's typo, never a retry."""
    status = response.status_code
    if status < 300 or status == 429 or status >= 500:
        return None
    code, message = error_parts(_body(response))
    if status in (400, 401, 403):
        return AuthError(WRONG_CREDENTIALS_VI, WRONG_CREDENTIALS_EN,
                         detail=f"{code}: {message}"[:300], status=status)
    return None
