"""Saved connections (profiles): the non-secret settings of one shop's link to one POS.

Secrets never pass through here (COM-07): a profile stores only the *names* of its keyring
entries, and saving a field the platform marks secret is refused outright.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from contract.records import now_utc, text
from contract.connector import ConnectionSettings, InvalidInput, Platform
from connectors.registry import UnknownPlatform, get_platform
from app.connection_values import check_connection_values
from app.store.models import Profile

PlatformLookup = Callable[[str], Platform]
NAME_MAX = 64
_NAME_PUNCTUATION = " -_"


class ProfileNotFound(InvalidInput):
    def __init__(self, name: str) -> None:
        super().__init__(f"Không có kết nối tên “{name}”. Xem danh sách kết nối đã lưu.",
                         f"There is no connection named “{name}”. See the saved connections.")
        self.name = name


class ProfileExists(InvalidInput):
    def __init__(self, name: str) -> None:
        super().__init__(f"Đã có kết nối tên “{name}”. Hãy chọn tên khác.",
                         f"A connection named “{name}” already exists. Choose another name.")
        self.name = name


class SecretInStore(InvalidInput):
    """A secret reached the database layer: a programming error, refused loudly (COM-07)."""

    def __init__(self, field_name: str) -> None:
        super().__init__(
            f"Trường “{field_name}” là bí mật và chỉ được lưu trong kho khóa của hệ điều hành, "
            f"không lưu trong cơ sở dữ liệu.",
            f"Field “{field_name}” is a secret and is kept only in the system keyring, never "
            f"in the database.", rule="COM-07")
        self.field_name = field_name


@dataclass(frozen=True)
class ConnectionProfile:
    """A saved connection as the rest of the app sees it (plain values, no ORM object)."""

    id: int
    name: str
    platform: str
    fields: Mapping[str, str]
    options: Mapping[str, Any]
    hosts: Mapping[str, str]
    secret_names: tuple[str, ...]
    schedule_minutes: int
    token_expires_at: datetime | None
    created_at: datetime


def validate_profile_name(name: object) -> str:
    """1–64 letters (Vietnamese included), digits, spaces, '-' or '_'; returns it NFC."""
    cleaned = text(name)
    if (not cleaned or len(cleaned) > NAME_MAX
            or not all(ch.isalnum() or ch in _NAME_PUNCTUATION for ch in cleaned)):
        raise InvalidInput(
            f"Tên kết nối phải dài 1–{NAME_MAX} ký tự, chỉ gồm chữ (có dấu được), số, dấu cách, "
            f"“-” hoặc “_”. Ví dụ: “Cửa hàng Quận 1”.",
            f"A connection name is 1–{NAME_MAX} characters: letters (accents allowed), digits, "
            f"spaces, “-” or “_”. Example: “Cua hang Quan 1”.")
    return cleaned


def _platform(key: str, lookup: PlatformLookup) -> Platform:
    try:
        return lookup(key)
    except (UnknownPlatform, KeyError, ImportError):
        raise InvalidInput(f"Không hỗ trợ nền tảng “{key}”.",
                           f"Platform “{key}” is not supported.") from None


def _guard_secrets(platform: Platform, fields: Mapping[str, str]) -> dict[str, str]:
    secret = {f.name for f in platform.credential_fields if f.secret}
    for name in fields:
        if name in secret:
            raise SecretInStore(name)
    return {str(k): text(v) for k, v in fields.items()}


def _to_profile(row: Profile) -> ConnectionProfile:
    return ConnectionProfile(
        id=row.id, name=row.name, platform=row.platform, fields=json.loads(row.fields),
        options=json.loads(row.options), hosts=json.loads(row.hosts),
        secret_names=tuple(json.loads(row.secret_names)), schedule_minutes=row.schedule_minutes,
        token_expires_at=row.token_expires_at, created_at=row.created_at)


def _row(name: str) -> Profile:
    row = Profile.get_or_none(Profile.name == text(name))
    if row is None:
        raise ProfileNotFound(text(name))
    return row


def create_profile(name: str, platform: str, fields: Mapping[str, str] | None = None,
                   options: Mapping[str, Any] | None = None,
                   hosts: Mapping[str, str] | None = None,
                   secret_names: Iterable[str] = (), *, schedule_minutes: int = 0,
                   lookup: PlatformLookup = get_platform) -> ConnectionProfile:
    name = validate_profile_name(name)
    spec = _platform(platform, lookup)
    clean = _guard_secrets(spec, fields or {})
    clean, hosts = check_connection_values(spec, clean, hosts or {})
    if Profile.select().where(Profile.name == name).exists():
        raise ProfileExists(name)
    row = Profile.create(
        name=name, platform=platform, fields=json.dumps(clean, ensure_ascii=False),
        options=json.dumps(dict(options or {}), ensure_ascii=False),
        hosts=json.dumps(dict(hosts or {}), ensure_ascii=False),
        secret_names=json.dumps(sorted(set(secret_names))), schedule_minutes=schedule_minutes,
        created_at=now_utc())
    return _to_profile(row)


def get_profile(name: str) -> ConnectionProfile:
    return _to_profile(_row(name))


def find_profile(name: str) -> ConnectionProfile | None:
    row = Profile.get_or_none(Profile.name == text(name))
    return None if row is None else _to_profile(row)


def list_profiles() -> list[ConnectionProfile]:
    return [_to_profile(row) for row in Profile.select().order_by(Profile.name)]


_UNSET: Any = object()


def update_profile(name: str, *, new_name: str | None = None,
                   fields: Mapping[str, str] | None = None,
                   options: Mapping[str, Any] | None = None,
                   hosts: Mapping[str, str] | None = None,
                   secret_names: Iterable[str] | None = None,
                   schedule_minutes: int | None = None,
                   token_expires_at: datetime | None = _UNSET,
                   lookup: PlatformLookup = get_platform) -> ConnectionProfile:
    """Replace the given parts of a profile; parts left as None stay as they are."""
    row = _row(name)
    if new_name is not None and text(new_name) != row.name:
        new_name = validate_profile_name(new_name)
        if Profile.select().where(Profile.name == new_name).exists():
            raise ProfileExists(new_name)
        row.name = new_name
    if fields is not None:
        clean = _guard_secrets(_platform(row.platform, lookup), fields)
        clean, _ = check_connection_values(_platform(row.platform, lookup), clean, {})
        row.fields = json.dumps(clean, ensure_ascii=False)
    if options is not None:
        row.options = json.dumps(dict(options), ensure_ascii=False)
    if hosts is not None:
        _, checked = check_connection_values(_platform(row.platform, lookup), {}, hosts)
        row.hosts = json.dumps(checked, ensure_ascii=False)
    if secret_names is not None:
        row.secret_names = json.dumps(sorted(set(secret_names)))
    if schedule_minutes is not None:
        row.schedule_minutes = schedule_minutes
    if token_expires_at is not _UNSET:
        row.token_expires_at = token_expires_at
    row.save()
    return _to_profile(row)


def remove_profile(name: str, secrets: Any) -> None:
    """Delete the profile, its keyring entries first (so a locked keyring stops the removal
    before anything is gone), then its row and, by cascade, its links, runs and results."""
    from app.secrets import ACCESS_TOKEN_FIELD       # a POS token kept between runs
    row = _row(name)
    for field_name in (*json.loads(row.secret_names), ACCESS_TOKEN_FIELD):
        secrets.delete(row.name, field_name)
    row.delete_instance()


def connection_settings(profile: ConnectionProfile,
                        lookup: PlatformLookup = get_platform) -> ConnectionSettings:
    """What a connector receives: the platform's real hosts and option defaults, overridden
    by the profile — except locked options, which always keep their default (KVF-03)."""
    spec = _platform(profile.platform, lookup)
    options = spec.option_defaults()
    locked = {o.name for o in spec.options if o.locked}
    options.update({k: v for k, v in profile.options.items() if k not in locked})
    hosts = dict(spec.hosts)
    # A profile saved before these checks existed is refused here, in words, not later
    # as "InvalidURL" from the HTTP library.
    fields, saved_hosts = check_connection_values(spec, profile.fields, profile.hosts)
    hosts.update(saved_hosts)
    return ConnectionSettings(platform=profile.platform, fields=dict(fields),
                              options=options, hosts=hosts)
