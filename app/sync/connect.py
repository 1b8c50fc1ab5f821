"""From a saved profile to a live connector: settings from the store, secrets from the
keyring, or the platform's sandbox for the sample shop (B-01)."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from app.redaction import learn_profile
from app.store.profiles import connection_settings
from app.sync.policy import is_on
from contract.connector import AuthError, ConnectionSettings, Connector, Platform
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
    """The profile's secrets from the keyring; a required one missing stops here."""
    values: dict[str, str] = {}
    for spec in platform.credential_fields:
        if not spec.secret:
            continue
        value = secrets.get(profile.name, spec.name) if secrets is not None else None
        if value:
            values[spec.name] = value
        elif spec.required:
            raise MissingSecret(spec.label_vi, spec.label_en)
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


def open_connector(profile: Any, secrets: Any, transport: Any = None, *,
                   lookup: Callable[[str], Platform] = get_platform,
                   sandboxes: dict | None = None) -> Connector:
    """Connector for `profile`. A sample-shop profile talks to the platform's in-process
    sandbox; `sandboxes` (profile name → sandbox) keeps its state between runs of one
    process."""
    platform = lookup(profile.platform)
    settings = connection_settings(profile, lookup)
    if platform.connect is None:
        raise NotImplementedError(f"{platform.key}: no connector")
    if is_sandbox(profile) and platform.sandbox is not None:
        box = None if sandboxes is None else sandboxes.get(profile.name)
        if box is None:
            seed = int((profile.options or {}).get(SANDBOX_SEED_OPTION, 1) or 1)
            box = platform.sandbox(seed=seed)
            if sandboxes is not None:
                sandboxes[profile.name] = box
        settings = _with_sandbox_settings(settings, platform)
        return platform.connect(settings, dict(platform.sandbox_secrets),
                                transport or box.transport())
    values = profile_secrets(profile, secrets, platform)
    learn_profile(values, settings.fields)          # COM-07: Basic pairs too
    connector = platform.connect(settings, values, transport)
    keep_token_on = getattr(connector, "keep_token_on", None)
    if keep_token_on is not None and hasattr(secrets, "set") and hasattr(secrets, "delete"):
        from app.secrets import TokenShelf        # the POS token outlives the run (KiotViet)
        keep_token_on(TokenShelf(secrets, profile.name))
    return connector


def _with_sandbox_settings(settings: ConnectionSettings, platform: Platform) -> ConnectionSettings:
    fields, hosts = dict(settings.fields), dict(settings.hosts)
    for name, value in platform.sandbox_settings.items():
        (hosts if name in platform.hosts else fields)[name] = value
    return ConnectionSettings(settings.platform, fields, settings.options, hosts)


def secret_field_names(platform: Platform) -> tuple[str, ...]:
    return tuple(f.name for f in platform.credential_fields if f.secret)


def non_secret_fields(platform: Platform) -> Mapping[str, Any]:
    return {f.name: f for f in platform.credential_fields if not f.secret}
