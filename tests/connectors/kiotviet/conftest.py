"""Shared pieces for the KiotViet tests: a fake clock whose sleeps return at once, and
connectors built the way the app builds them (through the Platform's `connect`)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from contract.connector import ConnectionSettings
from connectors.kiotviet.platform import KIOTVIET_FNB, KIOTVIET_RETAIL
from connectors.kiotviet.sandbox import kiotviet_sandbox

PUSHED_AT = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)   # 10:00 in Vietnam


class FakeClock:
    """Monotonic seconds that move only when someone sleeps (or the test says so)."""

    def __init__(self, start: float = PUSHED_AT.timestamp()) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def platform_for(kind: str):
    return KIOTVIET_FNB if kind == "fnb" else KIOTVIET_RETAIL


def build_connector(kind: str = "fnb", transport=None, *, clock: FakeClock | None = None,
                    options: dict | None = None, fields: dict | None = None, hosts=None,
                    now=lambda: PUSHED_AT):
    platform = platform_for(kind)
    clock = clock or FakeClock()
    settings = ConnectionSettings(platform.key, {**platform.sandbox_settings, **(fields or {})},
                                  {**platform.option_defaults(), **(options or {})},
                                  hosts or {})
    return platform.connect(settings, platform.sandbox_secrets, transport, clock=clock,
                            sleep=clock.sleep, now=now)


def run(coro):
    return asyncio.run(coro)


async def collect(connector, entity, since=None, resume=None):
    return [page async for page in connector.pull(entity, since, resume)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["fnb", "retail"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def shop(kind, clock):
    """(sandbox, connector) sharing one fake clock."""
    sandbox = kiotviet_sandbox(kind=kind, clock=clock)
    return sandbox, build_connector(kind, sandbox.transport(), clock=clock)
