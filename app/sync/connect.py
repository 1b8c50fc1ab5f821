"""From a saved profile to a live connector: settings from the store, secrets from the
keyring, or the platform's sandbox for the sample shop (B-01)."""
from __future__ import annotations

import gc
import threading
from typing import Any, Callable, Mapping

from app.redaction import learn_profile
from app.store.profiles import connection_settings
from app.sync.policy import is_on
from contract.connector import AuthError, ConnectionSettings, Connector, InvalidInput, Platform
from connectors.http import Redactor
from connectors.registry import get_platform

SANDBOX_OPTION = "sandbox"          # profile option: this is the sample shop (B-01)
SANDBOX_SEED_OPTION = "sandbox_seed"


class MissingSecret(AuthError):
    def __init__(self, field_label_vi: str, field_label_en: str) -> None:
        super().__init__(
            f"Chưa có “{field_label_vi}” trong kho khoá của máy. Hãy mở kết nối và nhập lại.",
            f"“{field_label_en}” is not in this computer's keyring. Open the connection and "
            f"enter it again.")


def is_sandbox(profile: Any) -> bool:
    return is_on((profile.options or {}).get(SANDBOX_OPTION, False))


def profile_secrets(profile: Any, secrets: Any, platform: Platform) -> dict[str, str]:
    """The profile's secrets from the keyring (its credential fields and what a login stored);
    a required one missing stops here."""
    values: dict[str, str] = {}
    for spec in platform.credential_fields:
        if not spec.secret:
            continue
        value = secrets.get(profile.name, spec.name) if secrets is not None else None
        if value:
            values[spec.name] = value
        elif spec.required:
            raise MissingSecret(spec.label_vi, spec.label_en)
    for name in getattr(profile, "secret_names", ()) or ():
        if name not in values and secrets is not None:
            value = secrets.get(profile.name, name)
            if value:
                values[name] = value
    return values


def redactor_for(profile: Any, secrets: Any, lookup: Callable[[str], Platform] = get_platform,
                 redactor: Redactor | None = None) -> Redactor:
    """A Redactor knowing every secret of the profile (COM-07), for all output."""
    redactor = redactor or Redactor()
    platform = lookup(profile.platform)
    known: dict[str, str] = {}
    for spec in platform.credential_fields:
        if spec.secret and secrets is not None:
            try:
                value = secrets.get(profile.name, spec.name)
            except Exception:   # a locked keyring must not stop us printing a result
                continue
            if value:
                known[spec.name] = value
    known.update({f"sandbox:{k}": v for k, v in platform.sandbox_secrets.items()})
    fields = {**dict(platform.sandbox_settings), **dict(getattr(profile, "fields", {}) or {})}
    for value in known.values():
        redactor.add(value)
        for plain in fields.values():
            if isinstance(plain, str) and plain:
                redactor.add_pair(plain, value)
    learn_profile(known, fields)
    return redactor


class SampleShops:
    """The sample shops (B-01) of one process: one sandbox per platform and seed, kept as long
    as this object so the wizard's test, the preview and every later run see the same shop."""

    def __init__(self, **options: Any) -> None:
        self.options = options          # passed to platform.sandbox() (tests: rate_limits off)
        self._shops: dict[tuple[str, int], Any] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._shops)

    def shop(self, platform: Platform, seed: int = 1) -> Any:
        with self._lock:
            box = self._shops.get((platform.key, seed))
            if box is None:
                if platform.sandbox is None:
                    raise NoSampleShop()
                # Built in the sync worker; thousands of long-lived sample rows would
                # otherwise trigger full collector passes that hold the GIL and stall the
                # window.
                collecting = gc.isenabled()
                gc.disable()
                try:
                    box = platform.sandbox(seed=seed, **self.options)
                finally:
                    if collecting:
                        gc.enable()
                self._shops[(platform.key, seed)] = box
            return box


class NoSampleShop(InvalidInput):
    def __init__(self) -> None:
        super().__init__("Phần mềm này chưa có cửa hàng mẫu.", "This POS has no sample shop yet.",
                         "B-01")


class NotBuilt(InvalidInput):
    """A POS this build cannot connect to yet (its connector module is missing)."""

    def __init__(self) -> None:
        super().__init__("Bản này chưa kết nối được với phần mềm này.",
                         "This build cannot connect to this POS yet.")


def sample_seed(profile: Any) -> int:
    return int((profile.options or {}).get(SANDBOX_SEED_OPTION, 1) or 1)


def open_connector(profile: Any, secrets: Any, transport: Any = None, *,
                   lookup: Callable[[str], Platform] = get_platform,
                   sample_shops: SampleShops | None = None,
                   connect_options: Mapping[str, Any] | None = None) -> Connector:
    """Connector for `profile`. A sample-shop profile talks to the platform's in-process
    sandbox from `sample_shops` (a fresh one when not given)."""
    platform = lookup(profile.platform)
    settings = connection_settings(profile, lookup)
    if platform.connect is None:
        raise NotBuilt()
    extra = dict(connect_options or {})
    if is_sandbox(profile) and platform.sandbox is not None:
        shops = sample_shops if sample_shops is not None else SampleShops()
        box = shops.shop(platform, sample_seed(profile))
        settings = _with_sandbox_settings(settings, platform)
        # What the wizard stored wins (a login on the sample shop gave its own token); the
        # sample's own values are public, so a missing keyring costs nothing (issue 20.1).
        return platform.connect(settings, {**platform.sandbox_secrets,
                                           **_stored_sample_secrets(profile, secrets)},
                                transport or box.transport(), **extra)
    values = profile_secrets(profile, secrets, platform)
    learn_profile(values, settings.fields)          # COM-07: Basic pairs too
    connector = platform.connect(settings, values, transport, **extra)
    keep_token_on = getattr(connector, "keep_token_on", None)
    if keep_token_on is not None and hasattr(secrets, "set") and hasattr(secrets, "delete"):
        from app.secrets import TokenShelf        # the POS token outlives the run (KiotViet)
        keep_token_on(TokenShelf(secrets, profile.name))
    return connector


def _stored_sample_secrets(profile: Any, secrets: Any) -> dict[str, str]:
    stored: dict[str, str] = {}
    for name in getattr(profile, "secret_names", ()) or ():
        try:
            value = secrets.get(profile.name, name) if secrets is not None else None
        except Exception:   # no usable keyring: the sample shop's public values serve
            value = None
        if value:
            stored[name] = value
    return stored


def _with_sandbox_settings(settings: ConnectionSettings, platform: Platform) -> ConnectionSettings:
    fields, hosts = dict(settings.fields), dict(settings.hosts)
    for name, value in platform.sandbox_settings.items():
        if name in platform.hosts:
            hosts[name] = value
        else:                       # the profile's own choice (e.g. its branch) wins
            fields[name] = fields.get(name) or value
    return ConnectionSettings(settings.platform, fields, settings.options, hosts)


def secret_field_names(platform: Platform) -> tuple[str, ...]:
    return tuple(f.name for f in platform.credential_fields if f.secret)


def non_secret_fields(platform: Platform) -> Mapping[str, Any]:
    return {f.name: f for f in platform.credential_fields if not f.secret}
