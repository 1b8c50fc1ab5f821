"""Every platform ShopSync can connect to, by key (the `--platform` of the command line)."""
from __future__ import annotations

import importlib

from connectors.base import Platform

# key → (module, attribute). Modules are imported on first use so the command line starts fast.
_PLATFORMS: dict[str, tuple[str, str]] = {
    "sapo": ("connectors.sapo.platform", "SAPO"),
    "kiotviet-fnb": ("connectors.kiotviet.platform", "KIOTVIET_FNB"),
    "kiotviet-retail": ("connectors.kiotviet.platform", "KIOTVIET_RETAIL"),
    "nhanh-v3": ("connectors.nhanh.platform", "NHANH_V3"),
    "nhanh-v2": ("connectors.nhanh.platform", "NHANH_V2"),
}


class UnknownPlatform(KeyError):
    pass


def platform_keys() -> tuple[str, ...]:
    return tuple(_PLATFORMS)


def get_platform(key: str) -> Platform:
    try:
        module, attribute = _PLATFORMS[key]
    except KeyError:
        raise UnknownPlatform(key) from None
    return getattr(importlib.import_module(module), attribute)


def all_platforms() -> list[Platform]:
    return [get_platform(key) for key in _PLATFORMS]
