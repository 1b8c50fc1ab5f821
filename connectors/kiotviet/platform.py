"""KiotViet FnB (seed 001, KVF) and KiotViet Retail (B-06) described as data for the wizard
and the engine. The two account types share one connector; only this data and a few body
shapes differ."""
from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any, Mapping

from contract.records import Entity, OrderStatus
from contract.connector import (CredentialField, EntityCapability, InvalidInput, Mode, OptionSpec,
                             Platform, SetupStep, StatusChange)
from connectors.kiotviet.sample_shop import SANDBOX_CREDENTIALS
from connectors.kiotviet.token import FNB_TOKEN_URL, FNB_TOKEN_URL_CANDIDATES, RETAIL_TOKEN_URL

# The caveat text (resources/caveats.json) next to the "uses delivery" option; not a rule of
# RULES.md, so it is named apart from the KVF numbers.
DELIVERY_CAVEAT = "KVF-DELIVERY"

FNB_API = "https://publicfnb.kiotapi.com"
RETAIL_API = "https://public.kiotapi.com"

def clean_retailer(value: str) -> str:
    """The connection name ("Tên kết nối" = the store's KiotViet name); a pasted address such
    as https://caphemoc.kiotviet.vn or caphemoc.fnb.kiotviet.vn is reduced to the name."""
    raw = value.strip().lower()
    raw = re.sub(r"^https?://", "", raw).split("/")[0]
    if raw.endswith(".kiotviet.vn"):
        raw = raw.split(".")[0]
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,63}", raw):
        raise InvalidInput(
            "Tên kết nối chỉ gồm chữ không dấu và số, đúng như trong KiotViet → Thiết lập kết "
            "nối API (ví dụ: caphemoc).",
            "The connection name is letters without accents and digits, exactly as in "
            "KiotViet → API connection settings (e.g. caphemoc).", rule="KVF-14")
    return raw


def _required(label_vi: str, label_en: str):
    def check(value: str) -> str:
        cleaned = value.strip()
        if not cleaned or any(ch.isspace() for ch in cleaned):
            raise InvalidInput(f"Hãy dán {label_vi} (không có khoảng trắng) từ KiotViet → "
                               "Thiết lập kết nối API.",
                               f"Paste the {label_en} (no spaces) from KiotViet → API "
                               "connection settings.", rule="KVF-14")
        return cleaned
    return check


def _token_url(value: str) -> str:
    cleaned = value.strip()
    if cleaned and not re.fullmatch(r"https?://\S+", cleaned):
        raise InvalidInput("Địa chỉ cấp mã phải bắt đầu bằng https://.",
                           "The token address must start with https://.")
    return cleaned


def _fields(kind: str) -> tuple[CredentialField, ...]:
    fields = [
        CredentialField(
            "retailer", "Tên kết nối", "Connection name (Retailer)",
            help_vi="Tên gian hàng KiotViet, xem ở Thiết lập cửa hàng → Thiết lập kết nối API.",
            help_en="The KiotViet store name, shown under Store settings → API connection.",
            caveats=("KVF-14",), validate=clean_retailer, placeholder="caphemoc"),
        CredentialField(
            "client_id", "Client ID", "Client ID",
            help_vi="Bấm \"Tạo mã\" trong Thiết lập kết nối API nếu chưa có.",
            help_en="Press \"Tạo mã\" (Create code) under API connection if there is none.",
            caveats=("KVF-14",), validate=_required("Client ID", "Client ID")),
        CredentialField(
            "client_secret", "Mã bảo mật", "Client secret (\"Mã bảo mật\")", secret=True,
            help_vi="Hiện cạnh Client ID; ShopSync chỉ cất trong kho khoá của hệ thống "
                    "(Windows Credential Manager, macOS Keychain, …).",
            help_en="Shown next to the Client ID; ShopSync keeps it only in the system "
                    "keyring (Windows Credential Manager, macOS Keychain, …).",
            caveats=("KVF-14",), validate=_required("Mã bảo mật", "client secret")),
        CredentialField(
            "branch", "Chi nhánh", "Branch",
            help_vi="Bấm Kiểm tra kết nối rồi chọn chi nhánh trung tâm.",
            help_en="Press Test connection, then pick the central branch.",
            caveats=("KVF-14",)),   # choices come from test_connection()'s branches
    ]
    if kind == "fnb":
        fields.append(CredentialField(
            "token_url", "Địa chỉ cấp mã (nâng cao)", "Token address (advanced)", required=False,
            help_vi="Để trống để dùng mặc định " + FNB_TOKEN_URL + ". Chỉ đổi khi KiotViet báo "
                    "khác; địa chỉ đã gặp: " + ", ".join(FNB_TOKEN_URL_CANDIDATES) + ".",
            help_en="Leave empty for the default " + FNB_TOKEN_URL + ". Change it only if "
                    "KiotViet says so; known addresses: " + ", ".join(FNB_TOKEN_URL_CANDIDATES)
                    + ".",
            validate=_token_url, placeholder=FNB_TOKEN_URL))
    return tuple(fields)


def _steps(kind: str) -> tuple[SetupStep, ...]:
    site_vi = "https://fnb.kiotviet.vn/" if kind == "fnb" else "trang quản lý KiotViet Bán lẻ"
    site_en = "https://fnb.kiotviet.vn/" if kind == "fnb" else "the KiotViet Retail admin"
    steps = [
        SetupStep(f"Đăng nhập {site_vi} bằng tài khoản chủ cửa hàng.",
                  f"Sign in to {site_en} with the store owner's account."),
        SetupStep("Vào Thiết lập cửa hàng → Thiết lập kết nối API (đây là nơi KiotViet hiện "
                  "Client ID).",
                  "Open Store settings (Thiết lập cửa hàng) → API connection (Thiết lập kết "
                  "nối API): KiotViet shows the Client ID there."),
        SetupStep("Bấm \"Tạo mã\" để có Client ID và Mã bảo mật, rồi đặt trạng thái "
                  "\"Hoạt động\".",
                  "Press \"Tạo mã\" (Create code) to get the Client ID and secret, then set the "
                  "status to \"Hoạt động\" (Active)."),
        SetupStep("Chép Tên kết nối, Client ID, Mã bảo mật vào đây, bấm Kiểm tra kết nối và "
                  "chọn chi nhánh trung tâm.",
                  "Copy the connection name, Client ID and secret here, press Test connection "
                  "and pick the central branch."),
    ]
    if kind == "fnb":
        steps.insert(0, SetupStep(
            "Loại tài khoản: chọn \"Cửa hàng ăn uống\" (KiotViet FnB).",
            "Account type: choose \"Cửa hàng ăn uống\" (food and beverage, KiotViet FnB)."))
        steps.append(SetupStep(
            "Trong KiotViet FnB bật \"Cho phép đặt hàng\" và \"Cho phép gọi món khi hết tồn "
            "kho\"; API đơn hàng chỉ chạy trên giao diện FnB cũ.",
            "In KiotViet FnB switch on \"Cho phép đặt hàng\" (allow orders) and \"Cho phép gọi "
            "món khi hết tồn kho\" (order when out of stock); the order API needs the old FnB "
            "interface."))
    else:
        steps.insert(0, SetupStep("Loại tài khoản: chọn \"Bán lẻ\" (KiotViet Retail).",
                                  "Account type: choose \"Bán lẻ\" (KiotViet Retail)."))
    steps.append(SetupStep(
        "Nếu cửa hàng giao hàng qua KiotViet: bật \"Sử dụng tính năng giao hàng\" trong "
        "KiotViet, rồi bật tuỳ chọn \"Cửa hàng dùng tính năng giao hàng của KiotViet\" ở bước "
        "Tuỳ chọn.",
        "If the store delivers through KiotViet: switch on \"Sử dụng tính năng giao hàng\" "
        "(use the delivery feature) in KiotViet, then the option \"The shop uses KiotViet's "
        "delivery feature\" in the Options step."))
    return tuple(steps)


def _options(kind: str) -> tuple[OptionSpec, ...]:
    options = [
        # KVF-03. FnB: KiotViet returns no selling/stopped status, so it is locked on. Retail
        # returns `isActive` ("đang kinh doanh"), so the seed's reason does not hold there: on
        # by default (same result as FnB), but the shop may let KiotViet hide products.
        OptionSpec("keep_app_product_status",
                   "Không để trạng thái sản phẩm trên POS quyết định trạng thái sản phẩm trên App",
                   "Don't let the POS product status drive the App product status",
                   default=True, locked=kind == "fnb", lock_rule="KVF-03" if kind == "fnb"
                   else "", caveats=("KVF-03",)),
        OptionSpec("sync_products", "Đồng bộ danh mục và sản phẩm", "Sync categories and products",
                   default=True, caveats=("KVF-02", "KVF-12", "KVF-13")),
        OptionSpec("sync_customers", "Đồng bộ khách hàng", "Sync customers", default=True),
        OptionSpec("sync_orders", "Đồng bộ đơn hàng", "Sync orders", default=True,
                   caveats=("KVF-05", "KVF-06", "KVF-08", "KVF-10", "KVF-11")
                   + (("KVF-09",) if kind == "fnb" else ())),
    ]
    # Issue 19/15: KiotViet refuses delivery data when the store's "Sử dụng tính năng giao
    # hàng" is off (KVDOC 2.5, FNBPDF), so delivery data is sent only when the shop says so.
    options.append(OptionSpec(
        "uses_delivery", "Cửa hàng dùng tính năng giao hàng của KiotViet",
        "The shop uses KiotViet's delivery feature", default=False,
        caveats=(DELIVERY_CAVEAT,)))
    if kind == "fnb":
        options.append(OptionSpec(
            "fnb_order_path", "Địa chỉ tạo đơn KiotViet FnB (nâng cao)",
            "KiotViet FnB order endpoint (advanced)", default="/orders",
            caveats=("KVF-09",),
            choices=(("/orders", "/orders (theo tài liệu KiotViet)",
                      "/orders (KiotViet's manual)"),
                     ("/orders/create", "/orders/create (theo SDK, trả về mã UUID)",
                      "/orders/create (per the SDK, answers a UUID)"))))
    return tuple(options)


def _entities(kind: str) -> Mapping[Entity, EntityCapability]:
    product_caveats = ("KVF-02", "KVF-03", "KVF-12", "KVF-13")
    if kind == "fnb":
        products = EntityCapability(Entity.PRODUCT, pull=Mode.FULL, push=Mode.NONE,
                                    caveats=product_caveats, rule="KVF-01",
                                    enabled_by="sync_products", unavailable_reason="KVF-01")
    else:
        products = EntityCapability(Entity.PRODUCT, pull=Mode.FULL, push=Mode.FULL,
                                    caveats=product_caveats, rule="B-06",
                                    enabled_by="sync_products")
    order_caveats = ("KVF-05", "KVF-06", "KVF-08", "KVF-10", "KVF-11", DELIVERY_CAVEAT) + \
        (("KVF-09",) if kind == "fnb" else ())
    status_changes = {status: StatusChange.IGNORE for status in OrderStatus}
    status_changes[OrderStatus.CANCELLED] = StatusChange.MANUAL
    entities = {
        Entity.BRANCH: EntityCapability(Entity.BRANCH, pull=Mode.FULL, rule="KVF-14"),
        Entity.CATEGORY: EntityCapability(Entity.CATEGORY, pull=Mode.FULL, rule="KVF-01",
                                          enabled_by="sync_products",
                                          unavailable_reason="KVF-01"),
        Entity.PRODUCT: products,
        Entity.CUSTOMER: EntityCapability(Entity.CUSTOMER, pull=Mode.FULL, push=Mode.FULL,
                                          rule="KVF-01", enabled_by="sync_customers"),
        # Pull = completed invoices only, as App orders (KVF-08, a caveat); push = create
        # only, in the five statuses of KVF-04 — the rule a skipped App order is reported with.
        Entity.ORDER: EntityCapability(
            Entity.ORDER, pull=Mode.FULL, push=Mode.CREATE_ONLY, caveats=order_caveats,
            rule="KVF-04", enabled_by="sync_orders",
            push_statuses=frozenset({OrderStatus.PLACED, OrderStatus.APPROVED,
                                     OrderStatus.PACKED, OrderStatus.SHIPPED_OUT,
                                     OrderStatus.COMPLETED}),
            status_changes=MappingProxyType(status_changes),
            status_change_rules=MappingProxyType({OrderStatus.CANCELLED: "KVF-05"}),
            app_edit_after_push=StatusChange.CONFLICT, app_edit_rule="KVF-10"),
    }
    return MappingProxyType(entities)


def _connect(kind: str):
    def build(settings: Any, secrets: Mapping[str, str], transport: Any = None, **kwargs: Any):
        from connectors.kiotviet.client import connect
        return connect(settings, secrets, transport, kind=kind,
                       platform=KIOTVIET_FNB if kind == "fnb" else KIOTVIET_RETAIL, **kwargs)
    return build


def _sandbox(kind: str):
    def build(**kwargs: Any):
        from connectors.kiotviet.sandbox import kiotviet_sandbox
        return kiotviet_sandbox(kind=kind, **kwargs)
    return build


def _platform(kind: str) -> Platform:
    credentials = SANDBOX_CREDENTIALS[kind]
    fnb = kind == "fnb"
    return Platform(
        key="kiotviet-fnb" if fnb else "kiotviet-retail",
        name_vi="KiotViet FnB (Cửa hàng ăn uống)" if fnb else "KiotViet Bán lẻ",
        name_en="KiotViet FnB (food & beverage)" if fnb else "KiotViet Retail",
        credential_fields=_fields(kind), options=_options(kind),
        hosts=MappingProxyType({"api_base": FNB_API if fnb else RETAIL_API,
                                "token_url": FNB_TOKEN_URL if fnb else RETAIL_TOKEN_URL}),
        entities=_entities(kind),
        caveats=("KVF-14", "KVF-09") if fnb else ("KVF-14",),
        setup_steps=_steps(kind), connect=_connect(kind), sandbox=_sandbox(kind),
        sandbox_settings=MappingProxyType({k: v for k, v in credentials.items()
                                           if k != "client_secret"}),
        sandbox_secrets=MappingProxyType({"client_secret": credentials["client_secret"]}),
        branch_field="branch", branch_rule="KVF-14")


KIOTVIET_FNB = _platform("fnb")
KIOTVIET_RETAIL = _platform("retail")
