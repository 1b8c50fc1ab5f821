"""Every platform ShopSync can connect to, by key (the `--platform` of the command line)."""
from __future__ import annotations

import importlib
import os

from contract.connector import Platform

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


# Test-only platforms (e.g. a fake POS for command-line tests in a subprocess):
# SHOPSYNC_EXTRA_PLATFORMS="tests.fakes:FAKE_HTTP,other.module:ATTR". Never set in production.
EXTRA_ENV = "SHOPSYNC_EXTRA_PLATFORMS"


def _extra() -> dict[str, Platform]:
    found: dict[str, Platform] = {}
    for spec in filter(None, (s.strip() for s in os.environ.get(EXTRA_ENV, "").split(","))):
        module, _, attribute = spec.partition(":")
        platform = getattr(importlib.import_module(module), attribute)
        found[platform.key] = platform
    return found


def platform_keys() -> tuple[str, ...]:
    return tuple(_PLATFORMS) + tuple(k for k in _extra() if k not in _PLATFORMS)


def get_platform(key: str) -> Platform:
    try:
        module, attribute = _PLATFORMS[key]
    except KeyError:
        extra = _extra().get(key) if os.environ.get(EXTRA_ENV) else None
        if extra is None:
            raise UnknownPlatform(key) from None
        return extra
    return getattr(importlib.import_module(module), attribute)


def all_platforms() -> list[Platform]:
    return [get_platform(key) for key in platform_keys()]
