"""Sapo's HTTP answers → ShopSync errors with Vietnamese and English text that says what to do.

Sapo-specific because a 403 means two things there (a missing private-app permission when the
body says `access_denied`, a non-existent route otherwise), a 302 means a custom domain, and
422 bodies carry per-field errors either as a dict or as a string.
"""
from __future__ import annotations

import httpx

from contract.connector import (AuthError, InvalidData, NotFound, NotSupported, PermissionDenied,
                             PosError, RateLimited)
from connectors.http import body_json

# Resource (URL segment) → the permission group to tick in the private app's form.
_PRODUCTS = ("Sản phẩm, phiên bản và danh mục", "Products, variants and collections")
_CONTENT = ("Nội dung (blog, bài viết)", "Content (blogs, articles)")
_STOCK = ("Kho", "Inventory")
PERMISSION_GROUPS: dict[str, tuple[str, str]] = {
    "products": _PRODUCTS, "variants": _PRODUCTS, "custom_collections": _PRODUCTS,
    "smart_collections": _PRODUCTS, "collects": _PRODUCTS, "images": _PRODUCTS,
    "orders": ("Đơn hàng", "Orders"),
    "customers": ("Khách hàng", "Customers"),
    "blogs": _CONTENT, "articles": _CONTENT,
    "inventory_levels": _STOCK, "locations": _STOCK,
    "store": ("Thông tin cửa hàng", "Store info"), "shop": ("Thông tin cửa hàng", "Store info"),
}


def resource_of(path: str) -> str:
    """`/admin/blogs/5/articles/9.json` → `articles` (the innermost known resource)."""
    parts = [p.removesuffix(".json") for p in path.split("/") if p]
    for part in reversed(parts):
        if part in PERMISSION_GROUPS:
            return part
    return parts[-1] if parts else ""


def permission_group(path: str) -> tuple[str, str]:
    return PERMISSION_GROUPS.get(resource_of(path), ("(quyền tương ứng)", "(matching permission)"))


def field_errors(body: object) -> str:
    """`{"errors": {"name": ["can't be blank"]}}` or `{"errors": "text"}` → one readable line."""
    errors = body.get("errors", body) if isinstance(body, dict) else body
    if isinstance(errors, dict):
        parts = []
        for field_name, messages in errors.items():
            if isinstance(messages, (list, tuple)):
                messages = ", ".join(str(m) for m in messages)
            parts.append(f"{field_name}: {messages}")
        return "; ".join(parts)
    if isinstance(errors, (list, tuple)):
        return "; ".join(str(e) for e in errors)
    return str(errors or "")


def _json_or_none(response: httpx.Response) -> object:
    try:
        return body_json(response)
    except ValueError:
        return None


def _is_html(response: httpx.Response) -> bool:
    """Asked of every answer: the first bytes tell, decoding a whole page to text did not."""
    content_type = response.headers.get("content-type", "")
    return "html" in content_type or response.content[:512].lstrip()[:1] == b"<"


def shop_not_found() -> NotFound:
    return NotFound("Không tìm thấy cửa hàng Sapo này. Hãy kiểm tra tên cửa hàng (phần TÊN trong "
                    "địa chỉ TÊN.mysapo.net).",
                    "This Sapo shop was not found. Check the shop name (the NAME in "
                    "NAME.mysapo.net).", rule="SAPO-11", status=404)


def classify(response: httpx.Response) -> PosError | None:
    """Sapo's own meaning of a response; None = fine (or leave it to the generic classifier)."""
    status = response.status_code
    path = response.request.url.path if response.request is not None else ""
    if status < 300:
        if status != 204 and response.content and _is_html(response):
            return NotFound(
                "Sapo trả về một trang web thay vì dữ liệu. Hãy kiểm tra tên cửa hàng (TÊN.mysapo.net); "
                "nếu đúng, chức năng này không mở cho ứng dụng riêng.",
                "Sapo answered a web page instead of data. Check the shop name (NAME.mysapo.net); "
                "if it is right, this function is not open to private apps.",
                rule="SAPO-11", detail=f"HTML body on {path}", status=status)
        return None
    if 300 <= status < 400:
        target = response.headers.get("location", "")
        return NotFound(
            "Sapo chuyển hướng sang địa chỉ khác: có thể bạn đã nhập tên miền riêng. Hãy dùng tên "
            "cửa hàng dạng TÊN.mysapo.net (trong địa chỉ trang quản trị Sapo).",
            "Sapo redirected to another address: this looks like a custom domain. Use the shop "
            "name of NAME.mysapo.net (in your Sapo admin address).",
            rule="SAPO-11", detail=f"redirect to {target}", status=status)
    body = _json_or_none(response)
    if status == 401:
        return AuthError(
            "API key hoặc API secret không đúng. Hãy sao chép lại cả hai từ Sapo: Ứng dụng → Ứng "
            "dụng riêng → ứng dụng bạn đã tạo.",
            "The API key or API secret is wrong. Copy both again from Sapo: Apps → Private apps "
            "→ the app you created.", rule="SAPO-11", status=status)
    if status == 403:
        if "access_denied" in response.text:
            vi, en = permission_group(path)
            return PermissionDenied(
                f"Ứng dụng riêng chưa được cấp quyền “{vi}”. Trong Sapo, mở Ứng dụng → Ứng dụng "
                "riêng → ứng dụng của bạn, chọn “Đọc và ghi” cho quyền này rồi Lưu (API key và "
                "secret giữ nguyên).",
                f"The private app lacks the “{en}” permission. In Sapo open Apps → Private apps → "
                "your app, set it to “Read and write” and save (the key and secret stay the same).",
                rule="SAPO-11", detail=f"access_denied on {path}", status=status)
        if body is None:
            return NotSupported(
                "Sapo không có chức năng này cho ứng dụng riêng.",
                "Sapo does not offer this function to private apps.",
                detail=f"403 HTML on {path}", status=status)
        return None
    if status == 404:
        if resource_of(path) in ("store", "shop"):
            return shop_not_found()
        return NotFound("Không còn bản ghi này trên Sapo (có thể đã bị xoá).",
                        "This record no longer exists on Sapo (it may have been deleted).",
                        rule="SAPO-07", detail=f"404 on {path}", status=status)
    if status == 405:
        return NotSupported("Sapo không cho phép thao tác này.",
                            "Sapo does not allow this operation.",
                            detail=f"405 on {path}", status=status)
    if status in (400, 422):
        detail = field_errors(body) if body is not None else response.text[:300]
        return InvalidData(f"Sapo từ chối dữ liệu: {detail}. Hãy sửa lại rồi đồng bộ lại mục này.",
                           f"Sapo refused the data: {detail}. Correct it and sync this item again.",
                           detail=detail, status=status)
    if status == 429:
        retry = response.headers.get("retry-after")
        try:
            wait = max(0.0, float(retry)) if retry is not None else None
        except ValueError:
            wait = None
        return RateLimited("Sapo đang giới hạn tốc độ; ShopSync sẽ tự chờ rồi gửi lại.",
                           "Sapo is throttling; ShopSync waits and retries.",
                           retry_after=wait, status=status)
    return None


def sku_taken(error: PosError) -> bool:
    """A 422 saying a variant's SKU is already used in the shop (Sapo keeps SKUs unique).
    UNVERIFIED wording: "sku … has already been taken" as reported from a store; a Vietnamese
    "đã tồn tại"/"đã được sử dụng" is accepted too. The product is then looked up, not failed."""
    detail = (error.detail or "").casefold()
    return (isinstance(error, InvalidData) and error.status == 422 and "sku" in detail
            and any(word in detail for word in ("taken", "already", "đã tồn tại", "đã được sử dụng")))
