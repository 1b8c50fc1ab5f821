"""Nhanh's error envelope → ShopSync errors with a Vietnamese and an English message.

Nhanh answers failures in the body (`code == 0`, an `errorCode`, `messages` as a string, list
or field map; ERR_429 says `message`), with HTTP 200 as far as the docs show (UNVERIFIED), so
the body is read whatever the HTTP status is.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from contract.connector import (AuthError, InvalidData, PermissionDenied, PosError, RateLimited,
                             SettingOff)

# Seconds added to Nhanh's `unlockedAt`: the PC clock and Nhanh's may disagree a little, and a
# request that lands one second early extends the lock (COM-08).
UNLOCK_MARGIN_SECONDS = 1.0


def message_text(body: Any) -> str:
    """`messages` / `message` flattened to one line, whatever shape Nhanh used."""
    if not isinstance(body, dict):
        return ""
    raw = body.get("messages", body.get("message", ""))
    if isinstance(raw, dict):
        return "; ".join(f"{field}: {message_text({'messages': value})}"
                         for field, value in raw.items())
    if isinstance(raw, (list, tuple)):
        return "; ".join(message_text({"messages": item}) for item in raw)
    return "" if raw is None else str(raw)


def is_success(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    try:
        return int(body.get("code", 0)) == 1
    except (TypeError, ValueError):
        return False


def unlock_wait(body: dict, wall_now: float) -> float:
    """Seconds until Nhanh lifts an ERR_429 lock, from `data.unlockedAt` (wall-clock unix)."""
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    unlocked_at = data.get("unlockedAt")
    if unlocked_at is not None:
        try:
            return max(0.0, float(unlocked_at) - wall_now) + UNLOCK_MARGIN_SECONDS
        except (TypeError, ValueError):
            pass
    try:
        return float(data.get("lockedSeconds", 10)) + UNLOCK_MARGIN_SECONDS
    except (TypeError, ValueError):
        return 10.0 + UNLOCK_MARGIN_SECONDS


def nhanh_error(body: Any, *, wall_clock: Callable[[], float] = time.time,
                status: int | None = None) -> PosError | None:
    """The error a failed Nhanh envelope means, or None when it succeeded."""
    if is_success(body):
        return None
    if not isinstance(body, dict) or ("code" not in body and "errorCode" not in body):
        return None  # not Nhanh's envelope (proxy page, 5xx): the HTTP status decides
    code = str(body.get("errorCode") or "")
    detail = f"{code}: {message_text(body)}".strip(": ")
    if code in ("ERR_429", "ERR_EXCEEDED_RATE_LIMIT"):
        return RateLimited(
            "Nhanh.vn tạm khoá vì gọi quá nhanh; ShopSync chờ đến giờ mở khoá rồi tự gửi tiếp.",
            "Nhanh.vn paused this connection for calling too fast; ShopSync waits until the "
            "unlock time and continues by itself.",
            rule="COM-08", retry_after=unlock_wait(body, wall_clock()), detail=detail,
            status=status)
    maker = _ERRORS.get(code)
    if maker is not None:
        return maker(detail, body, status)
    fields = message_text(body) or code or "?"
    return InvalidData(f"Nhanh.vn từ chối yêu cầu: {fields}. Hãy sửa dữ liệu rồi thử lại.",
                       f"Nhanh.vn refused the request: {fields}. Fix the data and try again.",
                       detail=detail, status=status)


def _auth(vi: str, en: str, rule: str = "NH-13"):
    return lambda detail, body, status: AuthError(vi, en, rule=rule, detail=detail,
                                                  status=status)


def _permission(vi: str, en: str, rule: str = "NH-13"):
    return lambda detail, body, status: PermissionDenied(vi, en, rule=rule, detail=detail,
                                                         status=status)


def _form_fields(detail: str, body: dict, status: int | None) -> PosError:
    fields = message_text(body) or "?"
    return InvalidData(f"Nhanh.vn báo dữ liệu chưa hợp lệ: {fields}. Hãy sửa các trường này "
                       "trong App rồi đồng bộ lại.",
                       f"Nhanh.vn says some fields are invalid: {fields}. Fix them in the App "
                       "and sync again.", detail=detail, status=status)


def _not_enabled(detail: str, body: dict, status: int | None) -> PosError:
    return SettingOff(
        "Doanh nghiệp chưa bật kết nối Open API. Chủ doanh nghiệp vào Nhanh.vn > Cài đặt chung > "
        "Cài đặt Open API, bật \"Cho phép kết nối Open API\" rồi thử lại.",
        "The business has not enabled the Open API. The owner opens Nhanh.vn > Cài đặt chung > "
        "Cài đặt Open API, turns on \"Cho phép kết nối Open API\", then tries again.",
        rule="NH-01", detail=detail, status=status)


_ERRORS: dict[str, Callable[[str, dict, int | None], PosError]] = {
    "ERR_INVALID_ACCESS_TOKEN": _auth(
        "Phiên đăng nhập Nhanh.vn đã hết hạn hoặc đã bị thay bằng lần đăng nhập khác (mỗi ứng "
        "dụng chỉ có một mã cho một doanh nghiệp). Hãy bấm \"Đăng nhập Nhanh.vn\" để đăng nhập "
        "lại.",
        "The Nhanh.vn login expired or was replaced by another login (one token per app and "
        "business). Click \"Log in to Nhanh.vn\" to log in again."),
    "ERR_INVALID_VERSION": _auth(
        "Mã đăng nhập này thuộc phiên bản API khác của Nhanh.vn (v2/v3). Hãy đăng nhập lại với "
        "đúng phiên bản của kết nối này.",
        "This login token belongs to the other Nhanh.vn API version (v2/v3). Log in again with "
        "this connection's version.", rule="NH-12"),
    "ERR_INVALID_APP_ID": _auth(
        "App ID không đúng hoặc ứng dụng chưa ở trạng thái \"Đang hoạt động\" trên "
        "open.nhanh.vn. Hãy kiểm tra App ID và trạng thái ứng dụng.",
        "The App ID is wrong or the app is not \"active\" on open.nhanh.vn. Check the App ID "
        "and the app's status.", rule="NH-01"),
    "ERR_INVALID_BUSINESS_ID": _auth(
        "Mã doanh nghiệp không khớp với mã đăng nhập. Hãy đăng nhập lại Nhanh.vn.",
        "The business id does not match the login token. Log in to Nhanh.vn again."),
    "ERR_403": _permission(
        "Lúc đăng nhập Nhanh.vn chưa cấp quyền cho thao tác này. Hãy đăng nhập lại và tích chọn "
        "quyền (ví dụ \"Danh sách sản phẩm\", \"Danh sách đơn hàng\") ở trang đồng ý.",
        "This permission was not granted when logging in to Nhanh.vn. Log in again and tick it "
        "(e.g. \"Danh sách sản phẩm\", \"Danh sách đơn hàng\") on the consent page."),
    "ERR_INVALID_DEPOT_ID": _permission(
        "Kho/chi nhánh này chưa được cấp khi đăng nhập Nhanh.vn. Hãy đăng nhập lại và chọn kho "
        "này (hoặc \"tất cả kho\").",
        "This depot was not granted when logging in to Nhanh.vn. Log in again and pick it (or "
        "\"all depots\")."),
    "ERR_BUSINESS_NOT_ENABLE_API": _not_enabled,
    "ERR_INVALID_FORM_FIELDS": _form_fields,
    "ERR_INVALID_DATA": lambda detail, body, status: InvalidData(
        "Nhanh.vn không đọc được dữ liệu gửi lên. Hãy báo bộ phận hỗ trợ ShopSync.",
        "Nhanh.vn could not read the data sent. Report this to ShopSync support.",
        detail=detail, status=status),
}


def is_duplicate_order(error: PosError) -> bool:
    """UNVERIFIED: how Nhanh refuses an order/add whose own order id it already has.

    v3 documents only that order/add de-duplicates on appId+appOrderId; what a repeat gets
    back is not shown (the issue-19 stand-in answered ERR_INVALID_FORM_FIELDS naming
    appOrderId). v2 documents no de-duplication at all; a refusal naming the order `id` with
    "đã tồn tại"/"exist" is read the same way. One function, so a live answer that differs is
    fixed here only."""
    if not isinstance(error, InvalidData):
        return False
    detail = (error.detail or "").lower()
    names_the_id = "apporderid" in detail or "shoporderid" in detail or detail.startswith(
        "err_invalid_form_fields: id:")
    return names_the_id and any(word in detail for word in (
        "tồn tại", "exist", "duplicate", "trùng", "already"))
