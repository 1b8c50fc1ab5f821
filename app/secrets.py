"""The OS keyring, and nothing else, holds secrets (COM-07).

Only backends known to encrypt at rest are accepted: Windows Credential Manager, macOS
Keychain, Secret Service / libsecret, KWallet. Anything else (plaintext files, the "fail" and
"null" backends, a chain with no safe member) is refused with a message, unless the user
explicitly accepted an insecure store — there is no silent fallback. Every keyring failure
reaches callers as one `SecretsUnavailable` with a title and message in both languages.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from typing import Mapping

import keyring
import keyring.backend
from keyring.backends import chainer, fail, null
from jaraco.classes import properties

from app.config import Paths
from app.redaction import learn
from app.settings import load_settings, save_setting

log = logging.getLogger("shopsync.secrets")

SERVICE = "ShopSync"
KEYRING_ENV = "SHOPSYNC_KEYRING"
INSECURE_SETTING = "accept_insecure_keyring"
BACKEND_SETTING = "keyring_backend"

SAFE_BACKENDS = frozenset({
    "keyring.backends.Windows.WinVaultKeyring",
    "keyring.backends.macOS.Keyring",
    "keyring.backends.SecretService.Keyring",
    "keyring.backends.libsecret.Keyring",
    "keyring.backends.kwallet.DBusKeyring",
    "keyring.backends.kwallet.DBusKeyringKWallet4",
})


class SecretsUnavailable(Exception):
    """The keyring cannot be used right now (locked, missing, refused, or it failed)."""

    title_vi = "Không dùng được kho khóa"
    title_en = "Keyring unavailable"

    def __init__(self, message_vi: str | None = None, message_en: str | None = None,
                 *, detail: str = "") -> None:
        self.message_vi = message_vi or (
            "Không đọc/ghi được khóa bí mật trong kho khóa của hệ điều hành. Hãy mở khóa kho "
            "khóa (đăng nhập lại Windows nếu cần) rồi thử lại.")
        self.message_en = message_en or (
            "The secret could not be read or written in the system keyring. Unlock the "
            "keyring (sign in to Windows again if needed) and try again.")
        self.detail = detail        # exception class name only: never the secret or its key
        super().__init__(self.message_en)


class InsecureKeyring(SecretsUnavailable):
    """Only an unsafe keyring is available. `can_accept` says if the user may choose to use
    it anyway (plaintext or unknown backend) — a fail/null backend cannot hold anything."""

    title_vi = "Kho khóa không an toàn"
    title_en = "Insecure keyring"

    def __init__(self, backend_name: str, can_accept: bool) -> None:
        self.backend_name = backend_name
        self.can_accept = can_accept
        if can_accept:
            vi = (f"Máy này chỉ có kho khóa không mã hoá ({backend_name}): khóa API sẽ được lưu "
                  f"dạng đọc được. Hãy cài kho khóa an toàn của hệ điều hành; chỉ khi chấp "
                  f"nhận rủi ro, trả lời Có khi cửa sổ ShopSync hỏi lúc mở có dùng kho khoá "
                  f"này không.")
            en = (f"This computer only has an unencrypted keyring ({backend_name}): API keys "
                  f"would be stored readable. Install the system's secure keyring; only if you "
                  f"accept the risk, answer Yes when the ShopSync window asks at start whether "
                  f"to use this keyring anyway.")
        else:
            vi = (f"Máy này không có kho khóa an toàn của hệ điều hành ({backend_name}), nên "
                  f"không thể lưu khóa API. Trên Windows, hãy bật Trình quản lý thông tin xác "
                  f"thực (Credential Manager); trên Linux, cài và mở GNOME Keyring hoặc KWallet.")
            en = (f"This computer has no secure system keyring ({backend_name}), so API keys "
                  f"cannot be saved. On Windows, make sure Credential Manager is available; on "
                  f"Linux, install and unlock GNOME Keyring or KWallet.")
        super().__init__(vi, en, detail=backend_name)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Secrets held in this process only: for tests and CI (`SHOPSYNC_KEYRING=memory`).

    Never chosen by keyring's own detection (its priority raises), so a real install can
    never end up silently keeping API keys in memory and losing them on exit.
    """

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("MemoryKeyring is chosen explicitly, never detected")

    def __init__(self) -> None:
        super().__init__()
        self._values: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._values.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._values[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._values.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


def backend_id(backend: keyring.backend.KeyringBackend) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def default_backend(environ: Mapping[str, str] | None = None,
                    platform: str | None = None) -> keyring.backend.KeyringBackend:
    """The keyring to use on this machine.

    Windows and macOS get their native backend explicitly: a frozen app's entry-point
    discovery can miss it and land on the "fail" backend.
    """
    environ = os.environ if environ is None else environ
    platform = platform or sys.platform
    if environ.get(KEYRING_ENV, "").lower() == "memory":
        return MemoryKeyring()
    if platform == "win32":
        from keyring.backends.Windows import WinVaultKeyring
        return WinVaultKeyring()
    if platform == "darwin":
        from keyring.backends.macOS import Keyring as MacKeyring
        return MacKeyring()
    return keyring.get_keyring()


def _choose(backend: keyring.backend.KeyringBackend,
            allow_insecure: bool) -> keyring.backend.KeyringBackend:
    """The backend itself if safe, the best safe member of a chain, or a refusal."""
    if isinstance(backend, MemoryKeyring) or backend_id(backend) in SAFE_BACKENDS:
        return backend
    if isinstance(backend, chainer.ChainerBackend):
        members = list(backend.backends)
        for member in members:
            if backend_id(member) in SAFE_BACKENDS:
                return member
        usable = [m for m in members if not isinstance(m, (fail.Keyring, null.Keyring))]
        if usable and allow_insecure:
            return usable[0]
        raise InsecureKeyring(", ".join(backend_id(m) for m in members) or backend_id(backend),
                              can_accept=bool(usable))
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        raise InsecureKeyring(backend_id(backend), can_accept=False)
    if allow_insecure:
        log.warning("using insecure keyring %s: accepted by the user", backend_id(backend))
        return backend
    raise InsecureKeyring(backend_id(backend), can_accept=True)


class SecretStore:
    """Secrets of saved connections, keyed "{profile}:{field}" under one service name."""

    # A secret set here is still there for the next command (NoKeyringStore: it is not).
    persistent = True

    def __init__(self, service: str = SERVICE,
                 backend: keyring.backend.KeyringBackend | None = None,
                 allow_insecure: bool = False) -> None:
        self.service = service
        try:
            candidate = backend if backend is not None else default_backend()
        except Exception as exc:  # keyring's own detection can raise on broken installs
            raise SecretsUnavailable(detail=type(exc).__name__) from exc
        self._backend = _choose(candidate, allow_insecure)

    @classmethod
    def for_home(cls, paths: Paths, service: str = SERVICE,
                 backend: keyring.backend.KeyringBackend | None = None) -> "SecretStore":
        """A store honouring the user's saved choice about an insecure keyring."""
        settings = load_settings(paths)
        store = cls(service, backend, allow_insecure=bool(settings.get(INSECURE_SETTING)))
        if settings.get(BACKEND_SETTING) not in (None, store.backend_name()):
            # Secrets saved under the previous backend are not visible here: say so in the log
            # so support can explain "it asks for my API key again".
            log.warning("keyring backend changed from %s to %s",
                        settings.get(BACKEND_SETTING), store.backend_name())
        if settings.get(BACKEND_SETTING) != store.backend_name():
            save_setting(paths, BACKEND_SETTING, store.backend_name())
        return store

    @staticmethod
    def key(profile: str, field: str) -> str:
        return f"{profile}:{field}"

    def backend_name(self) -> str:
        return backend_id(self._backend)

    def get(self, profile: str, field: str) -> str | None:
        try:
            value = self._backend.get_password(self.service, self.key(profile, field))
        except Exception as exc:
            raise SecretsUnavailable(detail=type(exc).__name__) from None
        learn(value)      # whatever reads a secret, every output masks it from now on
        return value

    def set(self, profile: str, field: str, value: str) -> None:
        if not value:
            self.delete(profile, field)
            return
        learn(value)
        try:
            self._backend.set_password(self.service, self.key(profile, field), value)
        except Exception as exc:
            raise SecretsUnavailable(detail=type(exc).__name__) from None

    def delete(self, profile: str, field: str) -> None:
        """Remove a secret; one that is not there is already deleted."""
        try:
            if self._backend.get_password(self.service, self.key(profile, field)) is None:
                return
            self._backend.delete_password(self.service, self.key(profile, field))
        except keyring.errors.PasswordDeleteError:
            return
        except Exception as exc:
            raise SecretsUnavailable(detail=type(exc).__name__) from None


class KeyringMissing(InsecureKeyring):
    """There is no system keyring to keep a real shop's secret: what is missing and how to get
    it, and that the sample shop works without one (issue 20 point 1)."""

    def __init__(self, backend_name: str) -> None:
        super().__init__(backend_name, can_accept=False)
        self.message_vi = (
            "Máy này chưa có kho khoá của hệ điều hành, nơi ShopSync cất khoá API (mật khẩu "
            "kết nối) của cửa hàng thật một cách an toàn. Cửa hàng mẫu vẫn dùng được mà không "
            "cần kho khoá. Để kết nối cửa hàng thật: trên Windows, bật dịch vụ “Credential "
            "Manager” (Trình quản lý thông tin xác thực); trên Linux, cài GNOME Keyring "
            "(sudo apt install gnome-keyring) hoặc KWallet, đăng xuất rồi đăng nhập lại; sau đó "
            f"mở lại ShopSync. (Cho bộ phận hỗ trợ: {backend_name})")
        self.message_en = (
            "This computer has no system keyring, where ShopSync keeps a real shop's API key "
            "(its connection password) safe. The sample shop works without one. To connect a "
            "real shop: on Windows, turn on the “Credential Manager” service; on Linux, "
            "install GNOME Keyring (sudo apt install gnome-keyring) or KWallet, then sign out "
            f"and in again; then reopen ShopSync. (For support: {backend_name})")
        self.args = (self.message_en,)


def _public_sample_secrets() -> frozenset[str]:
    """The sample shops' "secrets": published in the platform descriptors, so holding them
    outside a keyring reveals nothing (B-01)."""
    from connectors.registry import get_platform, platform_keys
    values: set[str] = set()
    for key in platform_keys():
        try:
            values.update(v for v in get_platform(key).sandbox_secrets.values() if v)
        except Exception:  # a connector not built in this version
            continue
    return frozenset(values)


class NoKeyringStore:
    """What stands in for the SecretStore on a computer without a usable keyring.

    The app starts and the sample shop works (its public values are kept in this process);
    anything that needs a real secret meets `KeyringMissing`, in plain words. Nothing is ever
    written anywhere else: there is no silent fallback to a file (COM-07)."""

    service = SERVICE
    # What it holds ends with this process: a real connection's secret must never be
    # "saved" here (finding 2), only the sample shops' public values.
    persistent = False

    def __init__(self, problem: InsecureKeyring) -> None:
        self.problem = KeyringMissing(getattr(problem, "backend_name", "") or problem.detail)
        self._samples: dict[tuple[str, str], str] = {}
        self._public = _public_sample_secrets()

    @staticmethod
    def key(profile: str, field: str) -> str:
        return SecretStore.key(profile, field)

    def backend_name(self) -> str:
        return self.problem.backend_name

    def get(self, profile: str, field: str) -> str | None:
        value = self._samples.get((profile, field))
        if value is None:
            raise self.problem
        return value

    def set(self, profile: str, field: str, value: str) -> None:
        if not value:
            self.delete(profile, field)
        elif value in self._public:
            self._samples[(profile, field)] = value
        else:
            raise self.problem

    def delete(self, profile: str, field: str) -> None:
        self._samples.pop((profile, field), None)      # nothing else was ever stored

    def __getattr__(self, name: str):
        """Any other keyring operation (e.g. a cached token) meets the same plain refusal,
        which callers already handle as SecretsUnavailable."""
        if name.startswith("_"):
            raise AttributeError(name)

        def refuse(*args, **kwargs):
            raise self.problem
        return refuse


def secrets_for_home(paths: Paths) -> "SecretStore | NoKeyringStore":
    """The home's SecretStore, or a NoKeyringStore when this computer has no keyring that can
    hold anything (or only an unsafe one the user has not accepted): the app and the sample
    shop work; a real connection says what is missing."""
    try:
        return SecretStore.for_home(paths)
    except InsecureKeyring as exc:
        log.warning("no usable keyring (%s): sample shops only", exc.backend_name)
        return NoKeyringStore(exc)


def accept_insecure_keyring(paths: Paths, accepted: bool = True) -> None:
    """Remember the user's explicit choice to use an unencrypted keyring (or withdraw it)."""
    save_setting(paths, INSECURE_SETTING, bool(accepted))


# -- a POS access token kept between runs ------------------------------------------------------
# A token the POS issued lives as long as the POS says (KiotViet: 24 h). Asking for a new one in
# every CLI run wastes the POS's token endpoint and the user's time (issue 19 point 13), so it is
# kept here, in the keyring like every other secret (COM-07), with its expiry and the identity it
# was issued to ("owner": a fingerprint of client id + token address, never the secret).
ACCESS_TOKEN_FIELD = "kept_access_token"


def save_access_token(store: "SecretStore", profile: str, token: str, expires_at: "datetime",
                      lifetime: float, owner: str = "") -> None:
    store.set(profile, ACCESS_TOKEN_FIELD, json.dumps(
        {"token": token, "expires_at": expires_at.isoformat(), "lifetime": lifetime,
         "owner": owner}))


def load_access_token(store: "SecretStore", profile: str, owner: str = ""
                      ) -> "tuple[str, datetime, float] | None":
    """(token, aware expiry, lifetime in seconds) kept for `owner`, or None."""
    raw = store.get(profile, ACCESS_TOKEN_FIELD)
    try:
        kept = json.loads(raw) if raw else None
        if not kept or kept.get("owner", "") != owner or not kept.get("token"):
            return None
        expires_at = datetime.fromisoformat(kept["expires_at"])
        if expires_at.tzinfo is None:
            return None
        return str(kept["token"]), expires_at, float(kept.get("lifetime") or 0)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def forget_access_token(store: "SecretStore", profile: str) -> None:
    store.delete(profile, ACCESS_TOKEN_FIELD)


class TokenShelf:
    """The keyring slot of one profile's access token, as a connector uses it. A keyring that
    fails here only costs a fresh token: it never stops a run."""

    def __init__(self, store: "SecretStore", profile: str) -> None:
        self.store, self.profile = store, profile

    def load(self, owner: str = "") -> "tuple[str, datetime, float] | None":
        try:
            return load_access_token(self.store, self.profile, owner)
        except SecretsUnavailable:
            return None

    def save(self, token: str, expires_at: "datetime", lifetime: float, owner: str = "") -> None:
        try:
            save_access_token(self.store, self.profile, token, expires_at, lifetime, owner)
        except SecretsUnavailable:
            log.warning("access token not kept: keyring unavailable")

    def forget(self) -> None:
        try:
            forget_access_token(self.store, self.profile)
        except SecretsUnavailable:
            return
