"""The Sapo platform description: connection fields (SAPO-11, SAPO-01) and the entity matrix
of the seed (SAPO-02 … SAPO-09) as the engine and the wizard read it."""
from __future__ import annotations

import pytest

from contract.records import Category, Entity, OrderStatus, Product
from contract.connector import ConnectionSettings, InvalidInput, Mode, StatusChange
from connectors.registry import get_platform
from connectors.sapo.platform import SAPO
from connectors.sapo.shop_name import api_base, shop_name


@pytest.mark.parametrize("pasted", [
    "banhangonline", "  BanHangOnline  ", "https://banhangonline.sapo.net",
    "banhangonline.mysapo.net/admin", "https://banhangonline.mysapo.net/admin/orders?page=2",
    "http://BANHANGONLINE.mysapo.net/", "banhang online", "www.banhangonline.sapo.net",
])
def test_sapo11_pasted_address_is_reduced_to_the_shop_name(pasted):
    assert shop_name(pasted) == "banhangonline"


@pytest.mark.parametrize("pasted", ["https://banhangonline.mysapogo.com", "banhang.mysapogo.com/admin"])
def test_sapo01_sapo_go_address_is_refused_with_the_reason(pasted):
    with pytest.raises(InvalidInput) as refused:
        shop_name(pasted)
    assert refused.value.rule == "SAPO-01"
    assert "Sapo GO" in refused.value.message_vi and "Sapo Web" in refused.value.message_en


@pytest.mark.parametrize("pasted", ["", "   ", "www.shopcuatoi.vn", "bánhàng", "-abc", "a_b"])
def test_sapo11_custom_domain_or_bad_name_is_refused_in_both_languages(pasted):
    with pytest.raises(InvalidInput) as refused:
        shop_name(pasted)
    assert refused.value.rule == "SAPO-11"
    assert refused.value.message_vi and refused.value.message_en


def test_sapo11_shop_field_validates_and_secret_is_marked_secret():
    fields = {f.name: f for f in SAPO.credential_fields}
    assert fields["shop"].validate("https://banhangonline.sapo.net") == "banhangonline"
    assert fields["api_secret"].secret and not fields["shop"].secret
    assert len(SAPO.setup_steps) == 4
    assert all(step.text_vi and step.text_en for step in SAPO.setup_steps)
    assert "Ứng dụng riêng" in SAPO.setup_steps[1].text_vi
    assert set(SAPO.caveats) == {"SAPO-01", "SAPO-11"}


def test_registry_finds_sapo_and_host_is_a_template_or_a_fixed_override():
    assert get_platform("sapo") is SAPO
    assert api_base(SAPO.hosts["api_base"], "banhangonline") == "https://banhangonline.mysapo.net"
    assert api_base("http://127.0.0.1:8123/", "banhangonline") == "http://127.0.0.1:8123"
    settings = ConnectionSettings("sapo", {"shop": "https://BanHangOnline.sapo.net"}, {},
                                  {"api_base": "https://{shop}.mysapo.net"})
    connector = SAPO.connect(settings, {"api_key": "k", "api_secret": "s" * 8}, None)
    assert str(connector.http._client.base_url) == "https://banhangonline.mysapo.net"


def test_sapo02_sapo06_categories_and_news_only_come_from_sapo():
    for entity, rule in ((Entity.CATEGORY, "SAPO-02"), (Entity.NEWS, "SAPO-06"),
                         (Entity.BRANCH, "SAPO-11")):
        cap = SAPO.capability(entity)
        assert (cap.pull, cap.push, cap.rule) == (Mode.FULL, Mode.NONE, rule)


def test_sapo03_sapo05_products_and_customers_sync_both_ways_fully():
    assert (SAPO.capability(Entity.PRODUCT).pull, SAPO.capability(Entity.PRODUCT).push) == (Mode.FULL, Mode.FULL)
    assert (SAPO.capability(Entity.CUSTOMER).pull, SAPO.capability(Entity.CUSTOMER).push) == (Mode.FULL, Mode.FULL)


def test_sapo07_caveat_sits_on_categories_products_and_news():
    for entity in (Entity.CATEGORY, Entity.PRODUCT, Entity.NEWS):
        assert "SAPO-07" in SAPO.capability(entity).caveats
    assert "SAPO-08" in SAPO.capability(Entity.PRODUCT).caveats


def test_sapo04_sapo09_orders_are_pushed_once_then_every_app_change_is_a_conflict():
    cap = SAPO.capability(Entity.ORDER)
    assert cap.push is Mode.CREATE_ONLY and cap.pull is Mode.FULL and cap.rule == "SAPO-04"
    assert cap.app_edit_after_push is StatusChange.CONFLICT and cap.app_edit_rule == "SAPO-09"
    assert cap.status_changes[OrderStatus.CANCELLED] is StatusChange.CONFLICT
    assert cap.status_change_rules[OrderStatus.CANCELLED] == "SAPO-09"
    assert all(change is StatusChange.CONFLICT for change in cap.status_changes.values())
    assert OrderStatus.CANCELLED not in cap.push_statuses


def test_sapo04_inventory_behaviour_option_defaults_to_deducting_stock():
    defaults = SAPO.option_defaults()
    assert defaults["inventory_behaviour"] == "decrement_obeying_policy"
    option = next(o for o in SAPO.options if o.name == "inventory_behaviour")
    assert {c[0] for c in option.choices} == {"bypass", "decrement_ignoring_policy",
                                              "decrement_obeying_policy"}
    assert all(option.caveats for option in SAPO.options)


def test_sapo08_engine_hook_blocks_zero_or_several_categories_and_passes_one():
    hook = SAPO.capability(Entity.PRODUCT).validate_push
    assert hook(Product("p1", "Trà đào", category_keys=())).rule == "SAPO-08"
    assert hook(Product("p1", "Trà đào", category_keys=("1", "2"))).rule == "SAPO-08"
    assert hook(Product("p1", "Trà đào", category_keys=("1001",))) is None
    assert hook(Category("c", "Trà")) is None
    # an update of a product already on Sapo (keyed by its Sapo id) is not a creation
