"""Saved connections: names, the COM-07 guard, merged connection settings."""
from __future__ import annotations

import pytest

from contract.records import Entity
from contract.connector import CredentialField, InvalidInput, OptionSpec, Platform
from app.store.models import Link, Profile
from app.store.profiles import (ProfileExists, ProfileNotFound, SecretInStore,
                                connection_settings, create_profile, get_profile,
                                list_profiles, remove_profile, update_profile,
                                validate_profile_name)

DEMO = Platform(
    key="demo", name_vi="Thử", name_en="Demo",
    credential_fields=(CredentialField("shop", "Cửa hàng", "Shop"),
                       CredentialField("api_secret", "Mã bí mật", "API secret", secret=True)),
    options=(OptionSpec("sync_stock", "Tồn kho", "Stock", default=True),
             OptionSpec("status_from_pos", "Trạng thái", "Status", default=False, locked=True,
                        lock_rule="KVF-03")),
    hosts={"api_base": "https://api.example.vn", "auth_base": "https://id.example.vn"},
    entities={})


def lookup(key):
    if key != "demo":
        raise KeyError(key)
    return DEMO


def make(name="Cửa hàng Quận 1", **extra):
    return create_profile(name, "demo", {"shop": "quan1"}, extra.pop("options", {}),
                          extra.pop("hosts", {}), ["api_secret"], lookup=lookup, **extra)


def test_create_and_get_profile_round_trip(store):
    created = make()
    assert get_profile("Cửa hàng Quận 1") == created
    assert created.fields == {"shop": "quan1"} and created.secret_names == ("api_secret",)
    assert [p.name for p in list_profiles()] == ["Cửa hàng Quận 1"]


@pytest.mark.parametrize("name", ["Cửa hàng Quận 1", "shop_2", "KV-FnB", "a" * 64, "Đà Nẵng"])
def test_profile_names_allow_vietnamese_letters_digits_space_dash_underscore(name):
    assert validate_profile_name(name) == name


@pytest.mark.parametrize("name", ["", "   ", "a" * 65, "shop/1", "shop:1", "tên;DROP", "a\nb"])
def test_bad_profile_names_get_a_message_in_both_languages(name):
    with pytest.raises(InvalidInput) as caught:
        validate_profile_name(name)
    assert "1–64" in caught.value.message_vi and "1–64" in caught.value.message_en


def test_duplicate_and_missing_profiles_are_clear_errors(store):
    make()
    with pytest.raises(ProfileExists):
        make()
    with pytest.raises(ProfileNotFound) as caught:
        get_profile("Không có")
    assert caught.value.message_vi and caught.value.message_en


def test_unknown_platform_is_refused(store):
    with pytest.raises(InvalidInput):
        create_profile("x", "nope", lookup=lookup)


def test_com07_store_refuses_to_save_a_secret_field(store):
    with pytest.raises(SecretInStore) as caught:
        create_profile("x", "demo", {"shop": "a", "api_secret": "s3cr3t"}, lookup=lookup)
    assert caught.value.rule == "COM-07"
    assert Profile.select().count() == 0
    make("y")
    with pytest.raises(SecretInStore):
        update_profile("y", fields={"api_secret": "s3cr3t"}, lookup=lookup)
    assert "s3cr3t" not in Profile.get(Profile.name == "y").fields


def test_update_profile_changes_only_what_is_given(store):
    make("a")
    updated = update_profile("a", new_name="b", options={"sync_stock": False},
                             schedule_minutes=15, lookup=lookup)
    assert updated.name == "b" and updated.fields == {"shop": "quan1"}
    assert updated.options == {"sync_stock": False} and updated.schedule_minutes == 15
    with pytest.raises(ProfileNotFound):
        get_profile("a")


def test_connection_settings_merge_platform_defaults_with_profile_overrides(store):
    profile = make(hosts={"api_base": "http://127.0.0.1:8765", "auth_base": ""},
                   options={"sync_stock": False, "status_from_pos": True})
    settings = connection_settings(profile, lookup=lookup)
    assert settings.hosts == {"api_base": "http://127.0.0.1:8765",
                              "auth_base": "https://id.example.vn"}
    assert settings.options["sync_stock"] is False
    assert settings.options["status_from_pos"] is False   # locked: the default always wins
    assert settings.fields == {"shop": "quan1"} and settings.platform == "demo"


def test_remove_profile_deletes_its_keyring_entries_and_its_links(store, secrets):
    profile = make()
    secrets.set(profile.name, "api_secret", "s3cr3t")
    from contract.records import now_utc
    Link.create(profile=profile.id, entity=Entity.PRODUCT.value, app_id="P1", pos_id="9",
                synced_at=now_utc())
    remove_profile(profile.name, secrets)
    assert secrets.get(profile.name, "api_secret") is None
    assert Profile.select().count() == 0 and Link.select().count() == 0
