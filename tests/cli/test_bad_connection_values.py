"""Issue 18.5 (COM-07 and safe connections): bad connection values are refused where they are
typed — `profile add`, profile edit, the wizard — each with a message that says what is
allowed, in Vietnamese and English; nothing is saved, nothing reaches the keyring."""
from __future__ import annotations

import pytest

from app.connection_values import check_credential, check_host
from app.store.profiles import create_profile, get_profile, list_profiles, update_profile
from contract.connector import CredentialField, InvalidInput

SAPO = ["profile", "add", "Cửa hàng", "--platform", "sapo", "--set", "shop=cuahang"]


@pytest.mark.parametrize("setting, words_en", [
    ("api_base=https://cuahang.mysapo.net\r\nX-Evil: 1", "line break"),
    ("api_base=https://cuahang.mysapo.net\n", None),          # a trailing Enter is only trimmed
    ("api_base=http://user:pw@cuahang.mysapo.net", "no user name or password"),
    ("api_base=https://user:pw@cuahang.mysapo.net", "no user name or password"),
    ("api_base=http://cuahang.mysapo.net", "unencrypted http://"),
    ("api_base=ftp://cuahang.mysapo.net", "not valid"),
    ("api_key=abc\r\ndef", "line break"),
])
def test_com07_profile_add_refuses_bad_connection_values_saying_what_is_allowed(
        shopsync, setting, words_en):
    env = {"SHOPSYNC_SECRET_API_SECRET": "secret-value-1"}
    code, out, err = shopsync(*SAPO, "--set", setting, "--set", "api_key=k-123", env=env)
    code_en, _, err_en = shopsync("--lang", "en", *SAPO, "--set", setting, "--set",
                                  "api_key=k-123", env=env) if words_en else (0, "", "")
    if words_en is None:
        assert code == 0, err
        assert get_profile("Cửa hàng").hosts["api_base"] == "https://cuahang.mysapo.net"
        return
    assert code == 2 and code_en == 2
    assert words_en in err_en
    assert ("https://" in err_en or "one line" in err_en.lower()), err_en   # what is allowed
    assert "Lỗi không mong đợi" not in err and err.strip()
    assert list_profiles() == []
    assert shopsync.keyring.get("Cửa hàng", "api_secret") is None


def test_com07_profile_add_refuses_a_secret_with_a_line_break_before_the_keyring(shopsync):
    code, _, err = shopsync("--lang", "en", *SAPO, "--set", "api_key=k-123",
                            env={"SHOPSYNC_SECRET_API_SECRET": "abc\r\nX-Other: 1"})
    assert code == 2 and "line break" in err and "one line" in err.lower()
    assert shopsync.keyring.get("Cửa hàng", "api_secret") is None and list_profiles() == []


def test_com07_a_local_sample_shop_over_http_is_still_accepted(shopsync):
    code, _, err = shopsync(*SAPO, "--set", "api_key=k-123", "--set",
                            "api_base=http://127.0.0.1:8080/",
                            env={"SHOPSYNC_SECRET_API_SECRET": "secret-value-1"})
    assert code == 0, err
    assert get_profile("Cửa hàng").hosts["api_base"] == "http://127.0.0.1:8080"


def test_com07_profile_edit_uses_the_same_check(store):
    create_profile("p", "sapo", fields={"shop": "x", "api_key": "k"})
    with pytest.raises(InvalidInput) as refused:
        update_profile("p", hosts={"api_base": "http://a:b@shop.example"})
    assert "mật khẩu" in refused.value.message_vi and "password" in refused.value.message_en
    with pytest.raises(InvalidInput):
        update_profile("p", fields={"shop": "x", "api_key": "k\nk"})
    assert get_profile("p").hosts == {} and get_profile("p").fields["api_key"] == "k"


def test_com07_a_profile_saved_before_the_check_is_refused_in_words_when_it_connects(shopsync,
                                                                                    store):
    from app.store.models import Profile
    create_profile("cũ", "sapo", fields={"shop": "x", "api_key": "k"})
    Profile.update(hosts='{"api_base": "https://x.mysapo.net\\r\\nA: b"}').execute()
    code, _, err = shopsync("--lang", "en", "test", "cũ")
    assert code == 2 and "line break" in err and "Unexpected" not in err


def test_com07_the_wizard_field_uses_the_same_check(qtbot):
    from ui.wizard.connection_page import FieldEditor
    editor = FieldEditor(CredentialField("api_secret", "Mã bí mật", "API secret", secret=True))
    editor.input.setText("abc\tdef")
    assert editor.check() is None
    assert "xuống dòng" in editor.error.text() or "line break" in editor.error.text()
    editor.input.setText("abc-def")
    assert editor.check() == "abc-def"


def test_check_host_keeps_good_addresses():
    assert check_host("api_base", "https://shop.mysapo.net/") == "https://shop.mysapo.net"
    assert check_host("api_base", "http://localhost:9000") == "http://localhost:9000"
    assert check_host("api_base", "http://[::1]:9000") == "http://[::1]:9000"
    with pytest.raises(InvalidInput):
        check_host("api_base", "http://192.168.1.10:8080")
    spec = CredentialField("client_id", "Client ID", "Client ID")
    assert check_credential(spec, "abc") == "abc"
