"""Nhanh.vn as data: the connection form, options and what each entity may do (NH-01…NH-13).

Two platforms share one connector: `nhanh-v3` for every new connection and `nhanh-v2`, kept
selectable for existing setups until Nhanh retires v2 after 2026-11-30 (NH-12).
"""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from contract.records import Entity, OrderStatus
from contract.connector import (BrowserLogin, ConnectionSettings, CredentialField,
                                EntityCapability, InvalidInput, LoginAddresses, LoginOutcome, Mode,
                                OptionSpec, Platform, SetupStep, StatusChange)
from connectors.nhanh import login
from connectors.nhanh.client import API_BASE
from connectors.nhanh.login import DEFAULT_REDIRECT_URL, OAUTH_BASE, validate_verify_token


def _optional_verify_token(value: str) -> str:
    value = value.strip()
    return validate_verify_token(value) if value else ""


CREDENTIAL_FIELDS = (
    CredentialField(
        "app_id", "App ID", "App ID", caveats=("NH-01",), placeholder="73021",
        help_vi="Mã App ID của ứng dụng bạn tạo trên open.nhanh.vn.",
        help_en="The App ID of the app you created on open.nhanh.vn."),
    CredentialField(
        "secret_key", "Secret key", "Secret key", secret=True, caveats=("NH-01",),
        help_vi="Secret key của ứng dụng (open.nhanh.vn/apps). Chỉ lưu trong kho khoá của "
                "hệ thống (Windows Credential Manager, macOS Keychain, …).",
        help_en="The app's secret key (open.nhanh.vn/apps). Stored only in the system "
                "keyring (Windows Credential Manager, macOS Keychain, …)."),
    CredentialField(
        "access_token", "Mã đăng nhập (access token)", "Access token", secret=True,
        required=False, caveats=("NH-13",),
        help_vi="Tự điền sau khi bấm \"Đăng nhập Nhanh.vn\". Nhân viên hỗ trợ có thể dán mã "
                "có sẵn.",
        help_en="Filled in by \"Log in to Nhanh.vn\". Support staff may paste an existing "
                "token."),
    CredentialField(
        "business_id", "Mã doanh nghiệp (businessId)", "Business id", required=False,
        caveats=("NH-13",),
        help_vi="Tự điền sau khi đăng nhập; có thể dán nếu đã biết.",
        help_en="Filled in by the login; may be pasted when known."),
    CredentialField(
        "webhook_verify_token", "Webhooks verify token", "Webhook verify token", secret=True,
        required=False, caveats=("NH-01",), validate=_optional_verify_token,
        help_vi="Không bắt buộc. Nếu bật Webhooks trên open.nhanh.vn, nhập cùng mã ở đây "
                "(16–128 chữ cái/chữ số).",
        help_en="Optional. If webhooks are on at open.nhanh.vn, enter the same token here "
                "(16–128 letters/digits)."),
    CredentialField(
        "default_user_role", "Vai trò mặc định của người dùng", "Default user role",
        required=False, caveats=("NH-01", "NH-10"), placeholder="Nhân viên bán hàng",
        help_vi="Vai trò gán cho người dùng đồng bộ. Hiện ShopSync không đồng bộ người dùng "
                "Nhanh.vn (NH-10), nên giá trị này chỉ được lưu lại.",
        help_en="Role given to synced users. ShopSync does not sync Nhanh.vn users (NH-10), so "
                "this value is only kept."),
)

# The seed names the switches but not their defaults:
# - sync_orders OFF: pushing orders writes into the shop's POS (stock is held, staff start
#   processing), so the owner turns it on knowingly, once products are linked.
# - sync_stock_price ON: the App needs prices and stock to sell, and reading them never changes
#   anything on Nhanh.
OPTIONS = (
    OptionSpec("sync_orders", "Đồng bộ đơn hàng từ App sang Nhanh.vn",
               "Sync orders from the App to Nhanh.vn", default=False, caveats=("NH-02", "NH-04")),
    OptionSpec("sync_stock_price", "Đồng bộ tồn kho và giá sản phẩm từ Nhanh.vn",
               "Sync product stock and price from Nhanh.vn", default=True, caveats=("NH-03",)),
    OptionSpec("keep_stock_price_updated", "Cập nhật tồn kho và giá ở mỗi lần đồng bộ",
               "Keep stock and price updated on every sync", default=False,
               caveats=("NH-09",)),
    OptionSpec("sync_branches", "Đồng bộ chi nhánh (kho)", "Sync branches (depots)",
               default=True, caveats=("NH-05",)),
    OptionSpec("sync_categories", "Đồng bộ nhóm sản phẩm", "Sync product categories",
               default=True, caveats=("NH-08",)),
    OptionSpec("sync_products", "Đồng bộ sản phẩm", "Sync products", default=True,
               caveats=("NH-08",)),
    OptionSpec("sync_customers", "Đồng bộ khách hàng", "Sync customers", default=True,
               caveats=("NH-06", "NH-07")),
)

_PRICE_STOCK = ("price", "compare_at_price", "stock")

ENTITIES: Mapping[Entity, EntityCapability] = {
    Entity.BRANCH: EntityCapability(
        Entity.BRANCH, pull=Mode.CREATE_ONLY, rule="NH-05", caveats=(),
        enabled_by="sync_branches"),
    Entity.CATEGORY: EntityCapability(
        Entity.CATEGORY, pull=Mode.CREATE_ONLY, rule="NH-08", caveats=("NH-08",),
        enabled_by="sync_categories"),
    Entity.PRODUCT: EntityCapability(
        Entity.PRODUCT, pull=Mode.CREATE_ONLY, rule="NH-08", caveats=("NH-08", "NH-03", "NH-09"),
        enabled_by="sync_products",
        gated_fields={name: "sync_stock_price" for name in _PRICE_STOCK},
        # "available" too: the engine keeps nested fields by name, and a stock level's
        # quantity is its `available` (a stock list kept updated must not keep it).
        update_fields_option={name: "keep_stock_price_updated"
                              for name in (*_PRICE_STOCK, "available")}),
    Entity.CUSTOMER: EntityCapability(
        Entity.CUSTOMER, pull=Mode.CREATE_ONLY, rule="NH-06", caveats=("NH-06", "NH-07"),
        enabled_by="sync_customers"),
    Entity.ORDER: EntityCapability(
        Entity.ORDER, push=Mode.CREATE_ONLY, rule="NH-04", caveats=("NH-02", "NH-04"),
        enabled_by="sync_orders",
        # "Only new orders": an App order still waiting (placed/approved) when first seen.
        push_statuses=frozenset({OrderStatus.PLACED, OrderStatus.APPROVED}),
        status_changes={status: (StatusChange.PUSH if status in (OrderStatus.RECONCILED,
                                                                  OrderStatus.CANCELLED)
                                 else StatusChange.IGNORE) for status in OrderStatus},
        status_change_rules={status: "NH-04" for status in OrderStatus},
        app_edit_after_push=StatusChange.IGNORE, app_edit_rule="NH-04",
        app_delete=StatusChange.MANUAL, app_delete_rule="NH-04"),
}

SETUP_STEPS = (
    SetupStep("Đăng nhập open.nhanh.vn bằng tài khoản Nhanh.vn của doanh nghiệp.",
              "Log in to open.nhanh.vn with the business's Nhanh.vn account."),
    SetupStep("Bấm \"Thêm mới\" và điền: Tên app (ví dụ ShopSync); Trạng thái: Đang hoạt động; "
              "Redirect URL: dán địa chỉ ShopSync hiển thị bên dưới.",
              "Click \"Thêm mới\" (Add) and fill in: app name (e.g. ShopSync); status: active; "
              "Redirect URL: paste the address ShopSync shows below."),
    SetupStep("Webhooks: không cần cho ShopSync (máy bán hàng không có địa chỉ https công khai; "
              "ShopSync đồng bộ theo lịch). Nếu bật, nhập Webhooks callback URL và verify token "
              "16–128 ký tự chữ/số, rồi tích các sự kiện muốn nhận.",
              "Webhooks: not needed by ShopSync (a shop PC has no public https address; "
              "ShopSync syncs on a schedule). If you turn them on, enter the callback URL and a "
              "16–128 letter/digit verify token, then tick the events to receive."),
    SetupStep("Bấm \"Lưu\", rồi chép App ID và Secret key của ứng dụng vào ShopSync.",
              "Click \"Lưu\" (Save), then copy the app's App ID and secret key into ShopSync."),
    SetupStep("Chủ doanh nghiệp bật \"Cho phép kết nối Open API\" (Cài đặt chung > Cài đặt "
              "Open API) nếu chưa bật.",
              "The business owner turns on \"Cho phép kết nối Open API\" (Cài đặt chung > Cài "
              "đặt Open API) if it is off."),
    SetupStep("Bấm \"Đăng nhập Nhanh.vn\", chọn quyền và kho, bấm đồng ý, rồi dán địa chỉ trang "
              "được chuyển tới vào ShopSync trong vòng 10 phút.",
              "Click \"Log in to Nhanh.vn\", pick permissions and depots, approve, then paste "
              "the address you land on into ShopSync within 10 minutes."),
)

HOSTS = {
    "api_base": API_BASE,
    "oauth_base": OAUTH_BASE,
    "redirect_url": DEFAULT_REDIRECT_URL,   # UNVERIFIED placeholder, see login.py
    "webhook_callback_url": "",             # none: a counter PC cannot receive webhooks
}


def _connect(version: str):
    def connect(settings: ConnectionSettings, secrets: Mapping[str, str],
                transport: Any = None, **clocks: Any):
        """`clocks` (clock, wall_clock, sleep) are injected by tests and benchmarks."""
        from connectors.nhanh.connector import NhanhConnector
        return NhanhConnector(NHANH_V3 if version == "3" else NHANH_V2, settings, secrets,
                              transport, version=version, **clocks)
    return connect


def _sandbox(version: str):
    def sandbox(**kwargs: Any):
        from connectors.nhanh.sandbox import nhanh_sandbox
        return nhanh_sandbox(version=version, **kwargs)
    return sandbox


def _sandbox_values(version: str) -> tuple[dict[str, str], dict[str, str]]:
    from connectors.nhanh.sandbox import SANDBOX_APP_ID, SANDBOX_BUSINESS_ID, sandbox_token
    from connectors.nhanh.sandbox import SANDBOX_SECRET_KEY
    return ({"app_id": SANDBOX_APP_ID, "business_id": SANDBOX_BUSINESS_ID},
            {"secret_key": SANDBOX_SECRET_KEY, "access_token": sandbox_token(version)})


# NH-12: "Nhanh ngừng hỗ trợ API v2 sau ngày 30/11/2026".
V2_LAST_DAY = date(2026, 11, 30)


def _login(version: str) -> BrowserLogin:
    """Nhanh's authorize → catch or paste → exchange (NH-13), with the API version bound."""
    def addresses(fields: Mapping[str, str], hosts: Mapping[str, str]) -> LoginAddresses:
        urls = login.callback_urls(hosts)
        try:
            authorize = login.authorize_url(fields.get("app_id", ""), urls.redirect_url, version,
                                            hosts.get("oauth_base") or OAUTH_BASE)
        except InvalidInput:          # no App ID yet: the wizard shows the rest meanwhile
            authorize = ""
        return LoginAddresses(authorize, urls.redirect_url, urls.webhook_url, urls.note_vi,
                              urls.note_en)

    def read_code(pasted: str) -> str:
        return login.extract_access_code(pasted)

    async def exchange(code: str, fields: Mapping[str, str], secrets: Mapping[str, str],
                       hosts: Mapping[str, str], transport: Any = None,
                       **kwargs: Any) -> LoginOutcome:
        result = await login.exchange(code, fields.get("app_id", ""),
                                      secrets.get("secret_key", ""), version=version,
                                      api_base=hosts.get("api_base") or API_BASE,
                                      transport=transport, **kwargs)
        learned = {"business_id": result.business_id}
        if result.expires_at is not None:
            learned["token_expires_at"] = result.expires_at.isoformat()
        return LoginOutcome(learned, {"access_token": result.access_token}, result.expires_at)

    return BrowserLogin(addresses, read_code, exchange, code_minutes=login.ACCESS_CODE_MINUTES,
                        catches=login.is_loopback, catch=login.catch_access_code)


def _platform(version: str) -> Platform:
    settings, secrets = _sandbox_values(version)
    v2 = version == "2"
    return Platform(
        key=f"nhanh-v{version}",
        # Whether v2 is retiring or retired depends on the day: the window says it (NH-12).
        name_vi="Nhanh.vn (API v2)" if v2 else "Nhanh.vn",
        name_en="Nhanh.vn (API v2)" if v2 else "Nhanh.vn",
        credential_fields=CREDENTIAL_FIELDS, options=OPTIONS, hosts=HOSTS, entities=ENTITIES,
        caveats=("NH-12", "NH-13", "NH-10", "NH-11"),
        setup_steps=SETUP_STEPS, connect=_connect(version), sandbox=_sandbox(version),
        sandbox_settings=settings, sandbox_secrets=secrets, deprecated=v2,
        login=_login(version),
        retired_after=V2_LAST_DAY if v2 else None)


NHANH_V3 = _platform("3")
NHANH_V2 = _platform("2")
