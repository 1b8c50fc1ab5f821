"""COM-07: secrets live only in a safe OS keyring; every failure is one clear error."""
from __future__ import annotations

import keyring.backend
import keyring.errors
import pytest
from jaraco.classes import properties
from keyring.backends import chainer, fail, null

from app.config import get_paths
from app.secrets import (InsecureKeyring, MemoryKeyring, SecretStore, SecretsUnavailable,
                         accept_insecure_keyring, default_backend)
from app.settings import load_settings


class _Undetectable(keyring.backend.KeyringBackend):
    """Test backends must never be picked by keyring's own detection in other tests."""

    @properties.classproperty
    def priority(cls):
        raise RuntimeError("test only")


class PlaintextKeyring(_Undetectable):
    def __init__(self):
        super().__init__()
        self.values = {}

    def get_password(self, service, username):
        return self.values.get((service, username))

    def set_password(self, service, username, password):
        self.values[(service, username)] = password

    def delete_password(self, service, username):
        del self.values[(service, username)]


class LockedKeyring(_Undetectable):
    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked: s3cr3t-token")

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError(f"cannot store {password}")

    def delete_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")


class BrokenDbusKeyring(_Undetectable):
    """A keyring whose transport raises something that is not a KeyringError."""

    def get_password(self, service, username):
        raise ConnectionError("dbus went away")

    set_password = delete_password = get_password


class FakeChain(chainer.ChainerBackend):
    def __init__(self, members):
        super().__init__()
        self._members = members

    @property
    def backends(self):
        return self._members


def test_com07_memory_keyring_sets_gets_and_deletes(secrets):
    secrets.set("Cửa hàng 1", "api_secret", "s3cr3t")
    assert secrets.get("Cửa hàng 1", "api_secret") == "s3cr3t"
    assert secrets.get("Cửa hàng 2", "api_secret") is None
    secrets.delete("Cửa hàng 1", "api_secret")
    secrets.delete("Cửa hàng 1", "api_secret")  # already gone: not an error
    assert secrets.get("Cửa hàng 1", "api_secret") is None


def test_com07_keys_are_profile_colon_field_under_one_service():
    backend = MemoryKeyring()
    SecretStore(backend=backend).set("Shop", "client_secret", "x")
    assert backend.get_password("ShopSync", "Shop:client_secret") == "x"


def test_com07_setting_an_empty_secret_removes_it(secrets):
    secrets.set("Shop", "token", "abc")
    secrets.set("Shop", "token", "")
    assert secrets.get("Shop", "token") is None


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_com07_fail_and_null_backends_are_refused_even_when_insecure_is_accepted(backend):
    for allow in (False, True):
        with pytest.raises(InsecureKeyring) as caught:
            SecretStore(backend=backend, allow_insecure=allow)
        assert caught.value.can_accept is False
        assert caught.value.message_vi and caught.value.message_en


def test_com07_plaintext_backend_is_refused_without_explicit_acceptance():
    with pytest.raises(InsecureKeyring) as caught:
        SecretStore(backend=PlaintextKeyring())
    assert caught.value.can_accept is True
    assert "PlaintextKeyring" in caught.value.message_en
    assert "không" in caught.value.message_vi.lower()


def test_com07_plaintext_backend_works_once_the_user_accepts_it():
    store = SecretStore(backend=PlaintextKeyring(), allow_insecure=True)
    store.set("Shop", "api_secret", "x")
    assert store.get("Shop", "api_secret") == "x"


def test_com07_acceptance_is_remembered_in_the_home_settings(tmp_path):
    paths = get_paths(tmp_path / "home")
    with pytest.raises(InsecureKeyring):
        SecretStore.for_home(paths, backend=PlaintextKeyring())
    accept_insecure_keyring(paths)
    store = SecretStore.for_home(paths, backend=PlaintextKeyring())
    assert store.backend_name().endswith("PlaintextKeyring")
    assert load_settings(paths)["keyring_backend"] == store.backend_name()
    accept_insecure_keyring(paths, False)
    with pytest.raises(InsecureKeyring):
        SecretStore.for_home(paths, backend=PlaintextKeyring())


def test_com07_chain_with_nothing_safe_is_refused():
    with pytest.raises(InsecureKeyring) as caught:
        SecretStore(backend=FakeChain([fail.Keyring()]))
    assert caught.value.can_accept is False
    with pytest.raises(InsecureKeyring) as caught:
        SecretStore(backend=FakeChain([PlaintextKeyring()]))
    assert caught.value.can_accept is True


def test_com07_chain_uses_its_safe_member_only():
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring
    safe = SecretServiceKeyring()
    store = SecretStore(backend=FakeChain([PlaintextKeyring(), safe]))
    assert store.backend_name() == "keyring.backends.SecretService.Keyring"


@pytest.mark.parametrize("backend", [LockedKeyring(), BrokenDbusKeyring()])
def test_com07_keyring_failures_become_one_error_without_the_secret(backend):
    store = SecretStore(backend=backend, allow_insecure=True)
    for call in (lambda: store.get("Shop", "api_secret"),
                 lambda: store.set("Shop", "api_secret", "s3cr3t-value"),
                 lambda: store.delete("Shop", "api_secret")):
        with pytest.raises(SecretsUnavailable) as caught:
            call()
        error = caught.value
        assert error.title_vi and error.title_en and error.message_vi and error.message_en
        for shown in (str(error), error.message_vi, error.message_en, error.detail):
            assert "s3cr3t" not in shown
        assert error.__cause__ is None and error.__suppress_context__


def test_com07_memory_backend_is_never_detected_by_keyring_itself():
    viable = {type(b) for b in keyring.backend.get_all_keyring()}
    assert MemoryKeyring not in viable


def test_com07_env_selects_memory_and_windows_gets_credential_manager_explicitly():
    assert isinstance(default_backend({"SHOPSYNC_KEYRING": "memory"}), MemoryKeyring)
    win = default_backend({}, platform="win32")
    assert type(win).__name__ == "WinVaultKeyring"
