"""Shared pieces for the Sapo tests: one fake clock for the connector AND the sandbox (so the
40/2 bucket is exercised without waiting), and connectors built the way the app builds them."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from contract.connector import ConnectionSettings
from connectors.sapo.platform import SAPO
from connectors.sapo.sandbox import sapo_sandbox

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)   # 10:00 in Vietnam
BASE = "https://cuahangmau.mysapo.net"


class FakeClock:
    """Seconds that move only when someone sleeps (or the test says so)."""

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


def build_connector(transport=None, *, clock: FakeClock | None = None, options: dict | None = None,
                    fields: dict | None = None, hosts: dict | None = None, secrets=None):
    clock = clock or FakeClock()
    settings = ConnectionSettings("sapo", {**SAPO.sandbox_settings, **(fields or {})},
                                  {**SAPO.option_defaults(), **(options or {})},
                                  {**SAPO.hosts, **(hosts or {})})
    return SAPO.connect(settings, secrets or SAPO.sandbox_secrets, transport, clock=clock,
                        sleep=clock.sleep, now=lambda: datetime.fromtimestamp(clock(), timezone.utc))


def run(coro):
    return asyncio.run(coro)


async def collect(connector, entity, since=None, resume=None):
    return [page async for page in connector.pull(entity, since, resume)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock):
    return sapo_sandbox(seed=7, products=60, clock=clock)


@pytest.fixture
def connector(sandbox, clock):
    return build_connector(sandbox.transport(), clock=clock)
