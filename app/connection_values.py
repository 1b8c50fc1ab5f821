"""The one check of what a user types for a connection: `profile add`/edit, the wizard and the
connection about to be opened all use it, so a bad value is refused where it is typed, with
what is allowed, instead of failing later as "Unexpected error: InvalidURL".

Refused: a line break or other control character in any value (a pasted key with its Enter
would end the HTTP header and start another one), a user name or password inside an address
(it would be stored and shown in plain text; the secret belongs in the keyring, COM-07), and
plain http:// to anything but this computer (HTTP Basic would cross the network readable).
"""
from __future__ import annotations

import ipaddress
from typing import Any, Mapping
from urllib.parse import urlsplit

from contract.connector import CredentialField, InvalidInput, Platform

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def _has_control(value: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value)


def check_one_line(label_vi: str, label_en: str, value: str) -> str:
    """`value` unchanged, or InvalidInput when it holds a line break or control character.
    Empty labels: the caller shows the field's name itself (the wizard's inline error, the
    command line's "Label: message")."""
    if _has_control(value):
        what_vi = f"“{label_vi}” có" if label_vi else "Giá trị này có"
        what_en = f"“{label_en}” holds" if label_en else "This value holds"
        raise InvalidInput(
            f"{what_vi} ký tự xuống dòng hoặc ký tự điều khiển. Chỉ được dùng một dòng chữ, "
            f"số và dấu câu: hãy chép lại giá trị, không kèm phím Enter hay Tab.",
            f"{what_en} a line break or a control character. Only one line of letters, "
            f"digits and punctuation is allowed: copy the value again without Enter or Tab.")
    return value


def check_credential(spec: CredentialField, value: str) -> str:
    """A connection field or secret after its own `validate`: one line only. The message
    leaves the field's name to the caller, which shows it beside or before the message."""
    return check_one_line("", "", value)


def is_local(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOCAL_HOSTS or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(name: str, value: str) -> str:
    """A host setting (api_base, token_url …): returns it without a trailing '/', or refuses
    it saying what is allowed."""
    value = value.strip()
    allowed_vi = (f"“{name}” phải là địa chỉ https://… (ví dụ https://tencuahang.mysapo.net), "
                  f"hoặc http://127.0.0.1:CỔNG cho cửa hàng mẫu trên máy này.")
    allowed_en = (f"“{name}” must be an https://… address (e.g. https://yourshop.mysapo.net), "
                  f"or http://127.0.0.1:PORT for a sample shop on this computer.")
    if _has_control(value) or " " in value:
        raise InvalidInput(f"Địa chỉ có dấu cách, ký tự xuống dòng hoặc ký tự điều khiển. "
                           f"{allowed_vi}",
                           f"The address holds a space, a line break or a control character. "
                           f"{allowed_en}")
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port                         # raises on a port that is not a number
    except ValueError:
        raise InvalidInput(f"Địa chỉ không hợp lệ. {allowed_vi}",
                           f"The address is not valid. {allowed_en}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput(f"Địa chỉ không hợp lệ. {allowed_vi}",
                           f"The address is not valid. {allowed_en}")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidInput(
            f"Không ghi tên đăng nhập hay mật khẩu trong địa chỉ (dạng người:mật-khẩu@…): nó sẽ "
            f"bị lưu và hiện ra dạng đọc được. Khoá và mật khẩu nhập ở ô riêng, được giữ trong "
            f"kho khoá của máy. {allowed_vi}",
            f"Put no user name or password in the address (user:password@…): it would be "
            f"stored and shown readable. Keys and passwords go in their own fields, kept in "
            f"the system keyring. {allowed_en}")
    if parts.scheme == "http" and not is_local(host):
        raise InvalidInput(
            f"“{value}” dùng http:// không mã hoá tới máy khác: khoá API sẽ đi qua mạng dạng "
            f"đọc được. {allowed_vi}",
            f"“{value}” uses unencrypted http:// to another computer: the API key would cross "
            f"the network readable. {allowed_en}")
    return value.rstrip("/")


def check_connection_values(platform: Platform, fields: Mapping[str, Any],
                            hosts: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields and hosts of a profile, checked (hosts cleaned); refuses the first bad one."""
    specs = {f.name: f for f in platform.credential_fields}
    checked_fields: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            spec = specs.get(name)
            label_vi, label_en = (spec.label_vi, spec.label_en) if spec else (name, name)
            check_one_line(label_vi, label_en, value)
        checked_fields[name] = value
    checked_hosts = {name: check_host(name, str(value)) for name, value in hosts.items()
                     if str(value or "").strip()}
    return checked_fields, checked_hosts
