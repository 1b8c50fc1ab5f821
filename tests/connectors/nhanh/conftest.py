"""Shared pieces for the Nhanh tests: one fake clock driving the sandbox, the connector's
limiter and its wall clock (sleeps return at once), and connectors built the way the app builds
them (through the Platform's `connect`)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from contract.connector import ConnectionSettings
from connectors.nhanh.platform import NHANH_V2, NHANH_V3
from connectors.nhanh.sandbox import nhanh_sandbox

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)   # 10:00 in Vietnam


class FakeClock:
    """Unix seconds that move only when someone sleeps (or the test says so)."""

    def __init__(self, start: float = NOW.timestamp()) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def run(coro):
    return asyncio.run(coro)


def platform_for(version: str):
    return NHANH_V3 if version == "3" else NHANH_V2


def settings_for(version: str, options: dict | None = None, fields: dict | None = None,
                 hosts: dict | None = None) -> ConnectionSettings:
    platform = platform_for(version)
    return ConnectionSettings(platform.key, {**platform.sandbox_settings, **(fields or {})},
                              {**platform.option_defaults(), **(options or {})},
                              {**platform.hosts, **(hosts or {})})


def build(version: str = "3", *, sandbox=None, clock: FakeClock | None = None,
          options: dict | None = None, secrets: dict | None = None, fields: dict | None = None,
          transport=None, **sandbox_kwargs):
    """(connector, sandbox, clock) sharing one fake clock."""
    clock = clock or FakeClock()
    if sandbox is None and transport is None:
        sandbox = nhanh_sandbox(version=version, clock=clock, **sandbox_kwargs)
    platform = platform_for(version)
    connector = platform.connect(settings_for(version, options, fields),
                                 {**platform.sandbox_secrets, **(secrets or {})},
                                 transport or sandbox.transport(), clock=clock, wall_clock=clock,
                                 sleep=clock.sleep)
    return connector, sandbox, clock


async def collect(connector, entity, since=None, resume=None):
    pages = []
    async for page in connector.pull(entity, since, resume):
        pages.append(page)
    return pages
