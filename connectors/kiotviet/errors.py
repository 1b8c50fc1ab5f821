"""KiotViet's error answers → the shared error taxonomy, with messages a shop owner can act on.

KiotViet (ServiceStack) answers `{"responseStatus": {"errorCode", "message", "errors"}}`, with an
HTTP status that is not reliable for validation errors (its own web API uses 420), so the body
decides first and the status second (platforms/kiotviet.md §8).
"""
from __future__ import annotations

import re
from typing import Any

import httpx

from contract.connector import (AuthError, InvalidData, NotFound, PermissionDenied, PosError,
                             SettingOff)
from connectors.http import body_json
from connectors.kiotviet import payload

# `Thiết lập "Cho phép đặt hàng" đang không được bật` — a store setting gates the call.
_SETTING_OFF = re.compile(r"[Tt]hiết lập\s*[\"“”']?(?P<name>[^\"“”']+?)[\"“”']?\s*"
                         r"đang không được bật")


class TokenRejected(AuthError):
    """The access token expired or was revoked: the connector fetches a new one once and
    retries; only a second rejection reaches the user."""


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


def setting_off(message: str, status: int | None = None) -> SettingOff | None:
    """The store-setting refusal, with KiotViet's own words shown verbatim."""
    match = _SETTING_OFF.search(message)
    if match is None:
        return None
    name = match.group("name").strip()
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
