"""Every Nhanh rule of RULES.md (NH-01…NH-13), one test (at least) named after it."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.caveats import has_text
from contract.records import Customer, Entity, OrderStatus
from app.sync.policy import policy_for
from contract.connector import (AuthError, ConnectionSettings, InvalidInput, Mode, NotSupported,
                             StatusChange)
from connectors.nhanh.platform import NHANH_V2, NHANH_V3
from connectors.registry import get_platform, platform_keys

from .conftest import NOW, build, collect, run

PLATFORMS = pytest.mark.parametrize("platform", [NHANH_V3, NHANH_V2], ids=["v3", "v2"])


def field(platform, name):
    return next(f for f in platform.credential_fields if f.name == name)


def option(platform, name):
    return next(o for o in platform.options if o.name == name)


@PLATFORMS
def test_nh01_connection_fields_secrets_verify_token_default_role_and_steps(platform):
    names = [f.name for f in platform.credential_fields]
    assert names[:2] == ["app_id", "secret_key"]
    assert field(platform, "secret_key").secret and field(platform, "access_token").secret
    assert field(platform, "webhook_verify_token").secret
    assert not field(platform, "webhook_verify_token").required
    assert field(platform, "webhook_verify_token").validate("") == ""
    with pytest.raises(InvalidInput):
        field(platform, "webhook_verify_token").validate("ngan")
    role = field(platform, "default_user_role")
    assert "NH-01" in role.caveats and "vai trò mặc định" in role.label_vi.lower()
    assert any("open.nhanh.vn" in step.text_vi for step in platform.setup_steps)
    assert any("Redirect URL" in step.text_vi for step in platform.setup_steps)
    assert any("16–128" in step.text_vi for step in platform.setup_steps)
    # An address the owner controls: this PC (caught by ShopSync), never a stranger's domain.
    assert platform.hosts["redirect_url"].startswith("http://127.0.0.1:")
    assert platform.hosts["api_base"] == "https://pos.open.nhanh.vn"
    assert platform.hosts["oauth_base"] == "https://nhanh.vn"


@PLATFORMS
def test_nh02_sync_orders_switch_turns_order_push_on_and_off(platform):
    cap = platform.capability(Entity.ORDER)
    assert cap.enabled_by == "sync_orders" and cap.push is not Mode.NONE
    assert option(platform, "sync_orders").default is False
    assert not policy_for(platform, Entity.ORDER, {"sync_orders": False}).pushes
    assert policy_for(platform, Entity.ORDER, {"sync_orders": True}).pushes


@PLATFORMS
def test_nh03_sync_stock_and_price_switch_gates_those_fields(platform):
    cap = platform.capability(Entity.PRODUCT)
    assert set(cap.gated_fields) >= {"stock", "price"}
    assert set(cap.gated_fields.values()) == {"sync_stock_price"}
    off = policy_for(platform, Entity.PRODUCT, {"sync_stock_price": False, "sync_products": True})
    on = policy_for(platform, Entity.PRODUCT, {"sync_stock_price": True, "sync_products": True})
    assert {"stock", "price"} <= off.untouched_fields
    assert not ({"stock", "price"} & on.untouched_fields)


@PLATFORMS
def test_nh04_only_new_orders_reconciled_and_cancelled_statuses_are_pushed(platform):
    cap = platform.capability(Entity.ORDER)
    assert cap.pull is Mode.NONE
    assert cap.push_statuses == {OrderStatus.PLACED, OrderStatus.APPROVED}
    for status in OrderStatus:
        expected = StatusChange.PUSH if status in (OrderStatus.RECONCILED,
                                                   OrderStatus.CANCELLED) else StatusChange.IGNORE
        assert cap.status_changes[status] is expected
        assert cap.status_change_rules[status] == "NH-04"
    assert cap.app_edit_after_push is StatusChange.IGNORE
    # Nhanh has no order-delete call: an App deletion becomes an item for the user.
    assert cap.app_delete is StatusChange.MANUAL and cap.app_delete_rule == "NH-04"


@pytest.mark.parametrize("version", ["3", "2"])
def test_nh04_other_statuses_are_never_sent(version):
    connector, sandbox, _ = build(version)
    with pytest.raises(NotSupported) as caught:
        run(connector.set_order_status("9000001", OrderStatus.PACKED))
    assert caught.value.rule == "NH-04"
    assert sandbox.count("POST", "order/") == 0


@pytest.mark.parametrize("version", ["3", "2"])
def test_nh05_branches_are_created_in_the_app_from_nhanh_depots_on_first_sync(version):
    assert NHANH_V3.capability(Entity.BRANCH).pull is Mode.CREATE_ONLY
    assert NHANH_V3.capability(Entity.BRANCH).rule == "NH-05"
    connector, _, _ = build(version)
    branches = [r for p in run(collect(connector, Entity.BRANCH)) for r in p.records]
    assert [b.key for b in branches] == ["101", "102", "103"]
    assert branches[0].address.startswith("12 Lê Lợi")


@PLATFORMS
def test_nh06_customers_are_pos_to_app_create_only(platform):
    cap = platform.capability(Entity.CUSTOMER)
    assert (cap.pull, cap.push, cap.rule) == (Mode.CREATE_ONLY, Mode.NONE, "NH-06")
    assert "NH-06" in cap.caveats


def test_nh06_customer_updates_are_not_sent_to_nhanh():
    connector, _, _ = build("3")
    with pytest.raises(NotSupported) as caught:
        run(connector.update(Entity.CUSTOMER, "5000001", Customer(key="x", name="y")))
    assert caught.value.rule == "NH-06"


@PLATFORMS
def test_nh07_customer_groups_are_not_synced(platform):
    assert "NH-07" in platform.capability(Entity.CUSTOMER).caveats
    assert "NH-07" in option(platform, "sync_customers").caveats
    assert not hasattr(Customer, "group")


def test_nh07_customer_group_from_nhanh_is_dropped():
    from connectors.nhanh import mapping
    record = mapping.customer({"id": "1", "name": "Lan", "mobile": "0912345678",
                               "group": {"id": 3, "name": "VIP"}})
    assert "VIP" not in repr(record)


@PLATFORMS
def test_nh08_products_and_categories_are_pos_to_app_create_only(platform):
    for entity in (Entity.PRODUCT, Entity.CATEGORY):
        cap = platform.capability(entity)
        assert (cap.pull, cap.push, cap.rule) == (Mode.CREATE_ONLY, Mode.NONE, "NH-08")
        assert "NH-08" in cap.caveats


@PLATFORMS
def test_nh09_stock_and_price_are_create_only_unless_kept_updated(platform):
    cap = platform.capability(Entity.PRODUCT)
    assert option(platform, "keep_stock_price_updated").default is False
    assert set(cap.update_fields_option.values()) == {"keep_stock_price_updated"}
    off = policy_for(platform, Entity.PRODUCT, {"sync_stock_price": True})
    on = policy_for(platform, Entity.PRODUCT, {"sync_stock_price": True,
                                               "keep_stock_price_updated": True})
    assert {"stock", "price"} <= off.first_time_fields
    assert {"stock", "price"} <= on.kept_updated_fields


def test_nh09_keeping_stock_updated_reads_every_product_because_stock_moves_no_timestamp():
    connector, sandbox, clock = build("3", options={"keep_stock_price_updated": True})
    since = NOW
    clock.advance(60)
    sandbox.set_stock(3000031, 101, 99)          # no updatedAt change on Nhanh
    got = [r for p in run(collect(connector, Entity.PRODUCT, since)) for r in p.records]
    assert len(got) == 10
    son = next(p for p in got if p.key == "3000031")
    assert son.variants[0].stock[0].available == Decimal(99)
    plain, sandbox2, clock2 = build("3")
    clock2.advance(60)
    sandbox2.set_stock(3000031, 101, 99)
    assert [r for p in run(collect(plain, Entity.PRODUCT, NOW)) for r in p.records] == []


@PLATFORMS
def test_nh10_users_are_not_synced(platform):
    assert "NH-10" in platform.caveats
    assert "NH-10" in field(platform, "default_user_role").caveats
    assert "user" not in {e.value for e in platform.entities}


@PLATFORMS
def test_nh11_each_entity_has_its_own_switch_and_pulls_alone(platform):
    for entity in platform.entities:
        cap = platform.capability(entity)
        assert cap.enabled_by in {o.name for o in platform.options}
    assert "NH-11" in platform.caveats


@pytest.mark.parametrize("version", ["3", "2"])
def test_nh11_one_entity_sync_touches_only_its_endpoint(version):
    connector, sandbox, _ = build(version)
    run(collect(connector, Entity.CUSTOMER))
    assert {path.rsplit("/", 2)[-2] for _, path in sandbox.timeline} == {"customer"}


def test_nh12_v3_is_for_new_connections_and_v2_is_deprecated_with_a_warning():
    assert get_platform("nhanh-v3") is NHANH_V3 and get_platform("nhanh-v2") is NHANH_V2
    keys = platform_keys()
    assert keys.index("nhanh-v3") < keys.index("nhanh-v2")
    assert not NHANH_V3.deprecated and NHANH_V2.deprecated
    assert "NH-12" in NHANH_V2.caveats
    connector, _, _ = build("2")
    info = run(connector.test_connection())
    assert any("30/11/2026" in w for w in info.warnings_vi)
    assert any("2026-11-30" in w for w in info.warnings_en)


@PLATFORMS
def test_nh13_access_token_and_business_id_are_filled_by_the_login(platform):
    token = field(platform, "access_token")
    assert token.secret and not token.required and "NH-13" in token.caveats
    assert not field(platform, "business_id").required
    assert "NH-13" in platform.caveats


def test_nh13_without_a_login_the_connector_says_to_log_in():
    with pytest.raises(AuthError) as caught:
        build("3", secrets={"access_token": ""})
    assert "Đăng nhập Nhanh.vn" in caught.value.message_vi


@PLATFORMS
def test_every_nhanh_caveat_shown_has_vietnamese_and_english_text(platform):
    shown = set(platform.caveats)
    for item in (*platform.credential_fields, *platform.options):
        shown |= set(item.caveats)
    for cap in platform.entities.values():
        shown |= set(cap.caveats)
    assert {"NH-01", "NH-06", "NH-07", "NH-08", "NH-09", "NH-10", "NH-12", "NH-13"} <= shown
    assert all(has_text(rule) for rule in shown)


@PLATFORMS
def test_b01_sample_shop_profile_connects_to_the_sandbox(platform):
    sandbox = platform.sandbox()
    settings = ConnectionSettings(platform.key, platform.sandbox_settings,
                                  platform.option_defaults(), platform.hosts)
    connector = platform.connect(settings, platform.sandbox_secrets, sandbox.transport())
    info = run(connector.test_connection())
    assert len(info.branches) == 3
    run(connector.aclose())
