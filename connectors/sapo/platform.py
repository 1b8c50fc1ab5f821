"""Sapo Web / Sapo Omni as data: what the wizard asks, what each entity may do (RULES.md SAPO)."""
from __future__ import annotations

import time
from typing import Any, Mapping

from contract.records import Entity, OrderStatus
from contract.connector import (ConnectionSettings, CredentialField, EntityCapability, Mode,
                             OptionSpec, Platform, SetupStep, StatusChange)
from connectors.sapo.mapping import push_problem
from connectors.sapo.sample_shop import SANDBOX_KEY, SANDBOX_SECRET, SANDBOX_SHOP
from connectors.sapo.shop_name import api_base, shop_name

API_BASE = "https://{shop}.mysapo.net"

SETUP_STEPS = (
    SetupStep("Bước 1: Đăng nhập tài khoản Sapo, chọn Quản trị website.",
              "Step 1: Sign in to Sapo and open the website admin (Quản trị website)."),
    SetupStep("Bước 2: Chọn mục Ứng dụng → Ứng dụng riêng.",
              "Step 2: Open Apps (Ứng dụng) → Private apps (Ứng dụng riêng)."),
    SetupStep("Bước 3: Bấm Tạo ứng dụng riêng.",
              "Step 3: Click Create private app (Tạo ứng dụng riêng)."),
    SetupStep("Bước 4: Cho phép quyền Đọc và ghi cho Sản phẩm, phiên bản và danh mục; Kho; Đơn hàng; "
              "Khách hàng; Nội dung — rồi bấm Lưu. Sao chép API key và API secret vào đây.",
              "Step 4: Allow Read and write for Products, variants and collections; Inventory; "
              "Orders; Customers; Content — then Save. Copy the API key and API secret here."),
)

# SAPO-09: once on Sapo, every App-side status change of an order is a conflict, never pushed.
_LOCKED = {status: StatusChange.CONFLICT for status in OrderStatus}
_LOCKED_RULES = {status: "SAPO-09" for status in OrderStatus}

ENTITIES: dict[Entity, EntityCapability] = {
    Entity.BRANCH: EntityCapability(Entity.BRANCH, pull=Mode.FULL, rule="SAPO-11"),
    Entity.CATEGORY: EntityCapability(Entity.CATEGORY, pull=Mode.FULL, rule="SAPO-02",
                                      caveats=("SAPO-02", "SAPO-07"), unavailable_reason="SAPO-02"),
    Entity.PRODUCT: EntityCapability(Entity.PRODUCT, pull=Mode.FULL, push=Mode.FULL, rule="SAPO-03",
                                     caveats=("SAPO-07", "SAPO-08"), validate_push=push_problem),
    Entity.CUSTOMER: EntityCapability(Entity.CUSTOMER, pull=Mode.FULL, push=Mode.FULL,
                                      rule="SAPO-05", enabled_by="sync_customers"),
    Entity.ORDER: EntityCapability(
        Entity.ORDER, pull=Mode.FULL, push=Mode.CREATE_ONLY, rule="SAPO-04",
        caveats=("SAPO-04", "SAPO-09"), enabled_by="sync_orders",
        push_statuses=frozenset({OrderStatus.PLACED, OrderStatus.APPROVED, OrderStatus.PACKED,
                                 OrderStatus.SHIPPED_OUT, OrderStatus.COMPLETED}),
        status_changes=_LOCKED, status_change_rules=_LOCKED_RULES,
        app_edit_after_push=StatusChange.CONFLICT, app_edit_rule="SAPO-09"),
    Entity.NEWS: EntityCapability(Entity.NEWS, pull=Mode.FULL, rule="SAPO-06", caveats=("SAPO-07",),
                                  unavailable_reason="SAPO-06"),
}

OPTIONS = (
    # SAPO-04: an API order leaves stock alone unless told otherwise (Sapo's default "bypass").
    OptionSpec("inventory_behaviour", "Trừ tồn kho khi đẩy đơn sang Sapo",
               "Stock deduction when pushing orders to Sapo", default="decrement_obeying_policy",
               caveats=("SAPO-04",), choices=(
                   ("decrement_obeying_policy", "Trừ kho, không bán quá tồn",
                    "Deduct stock, never below what is available"),
                   ("decrement_ignoring_policy", "Trừ kho, cho phép bán quá tồn",
                    "Deduct stock, even below zero"),
                   ("bypass", "Không trừ kho", "Do not deduct stock"))),
    # The seed: order and customer sync are switched on per shop on request (SAPO-04, SAPO-05).
    OptionSpec("sync_orders", "Đồng bộ đơn hàng (App đẩy đơn, Sapo trả trạng thái)",
               "Sync orders (the App pushes, Sapo sends statuses back)", default=True,
               caveats=("SAPO-04", "SAPO-09")),
    OptionSpec("sync_customers", "Đồng bộ khách hàng hai chiều", "Sync customers both ways",
               default=True, caveats=("SAPO-05",)),
)



def _connect(settings: ConnectionSettings, secrets: Mapping[str, str], transport: Any = None,
             **kwargs: Any):
    from connectors.sapo.client import SapoConnector
    shop = shop_name(settings.fields.get("shop", ""))
    template = settings.hosts.get("api_base") or API_BASE
    api_key = secrets.get("api_key") or settings.fields.get("api_key", "")
    return SapoConnector(SAPO, shop=shop, api_key=api_key, api_secret=secrets.get("api_secret", ""),
                         base_url=api_base(template, shop), options=settings.options,
                         transport=transport, **kwargs)


def _sandbox(seed: int = 1, products: int = 200, clock=time.time, rate_limits: bool = True,
             **kwargs: Any):
    from connectors.sapo.sandbox import sapo_sandbox
    return sapo_sandbox(seed=seed, products=products, clock=clock, rate_limits=rate_limits, **kwargs)


SAPO = Platform(
    key="sapo", name_vi="Sapo Web / Sapo Omni", name_en="Sapo Web / Sapo Omni",
    credential_fields=(
        CredentialField("shop", "Tên cửa hàng", "Shop name", validate=shop_name,
                        placeholder="banhangonline", caveats=("SAPO-11", "SAPO-01"),
                        help_vi="Phần TÊN trong địa chỉ quản trị https://TÊN.mysapo.net (hoặc "
                                "TÊN.sapo.net). Có thể dán cả địa chỉ.",
                        help_en="The NAME in your admin address https://NAME.mysapo.net (or "
                                "NAME.sapo.net). You may paste the whole address."),
        CredentialField("api_key", "API key", "API key", caveats=("SAPO-11",),
                        help_vi="Của ứng dụng riêng đã tạo trong Sapo.",
                        help_en="Of the private app you created in Sapo."),
        CredentialField("api_secret", "API secret", "API secret", secret=True, caveats=("SAPO-11",),
                        help_vi="Của ứng dụng riêng; được cất trong kho khoá của hệ thống "
                                "(Windows Credential Manager, macOS Keychain, …).",
                        help_en="Of the private app; kept in the system keyring (Windows "
                                "Credential Manager, macOS Keychain, …)."),
    ),
    options=OPTIONS,
    hosts={"api_base": API_BASE},
    entities=ENTITIES,
    caveats=("SAPO-01", "SAPO-11"),
    setup_steps=SETUP_STEPS,
    connect=_connect,
    sandbox=_sandbox,
    sandbox_settings={"shop": SANDBOX_SHOP, "api_key": SANDBOX_KEY},
    sandbox_secrets={"api_key": SANDBOX_KEY, "api_secret": SANDBOX_SECRET},
)
