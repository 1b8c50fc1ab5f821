"""Findings 6 and 11: without a system keyring, `selfcheck` warns and names what still works
(exit 0: the sample shop needs no keyring), `diagnostics` says it in the chosen language, and
the secret hints do not promise a Windows store on every system (COM-07, B-04)."""
from __future__ import annotations

import pytest
from keyring.backends import fail

import app.secrets as secrets_module
from connectors.registry import get_platform, platform_keys


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.delenv(secrets_module.KEYRING_ENV, raising=False)
    monkeypatch.setattr(secrets_module, "default_backend", lambda *a, **k: fail.Keyring())


def test_com07_selfcheck_without_a_keyring_warns_names_what_works_and_exits_0(
        shopsync, no_keyring):
    code, out, err = shopsync("selfcheck")
    assert code == 0, out + err
    [line] = [line for line in out.splitlines() if " keyring:" in line]
    assert line.startswith("[WARN] keyring") and "Cửa hàng mẫu" in line
    code, out, _ = shopsync("--lang", "en", "selfcheck")
    assert "sample shop works" in out and "[FAIL]" not in out


def test_b04_diagnostics_keyring_problem_in_the_chosen_language(shopsync, no_keyring,
                                                              tmp_path):
    assert shopsync("profile", "add", "demo", "--platform", "sapo", "--set", "sandbox=on")[0] == 0
    code, out, _ = shopsync("diagnostics", str(tmp_path / "a.zip"))
    assert code == 0 and "không đọc được kho khoá" in out and "not readable" not in out
    code, out, _ = shopsync("--lang", "en", "diagnostics", str(tmp_path / "b.zip"))
    assert "keyring not readable" in out


def test_com07_secret_hints_name_the_system_keyring_not_only_windows():
    for key in platform_keys():
        for spec in get_platform(key).credential_fields:
            if spec.secret and spec.help_vi:
                assert "kho khoá của Windows" not in spec.help_vi, (key, spec.name)
                assert "Windows credential store" not in spec.help_en, (key, spec.name)
