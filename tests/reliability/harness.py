"""One shop on one real platform: sandbox + connector + engine + the App catalog, for the
reliability suite and the benchmarks.

Everything the platform would make us wait for runs on a virtual clock (`VirtualClock`), so a
429 storm or a Nhanh lock costs no real time; the benchmarks pass the real clock instead.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from contract.records import Entity
from app.store import models as m
from app.store.profiles import create_profile
from app.sync.engine import SyncEngine
from app.sync.events import ItemResult, RunFinished
from contract.connector import ConnectionSettings, Platform
from connectors.registry import get_platform

PLATFORM_KEYS = ("sapo", "kiotviet-fnb", "kiotviet-retail", "nhanh-v3", "nhanh-v2")
START = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc).timestamp()


class VirtualClock:
    """Seconds that move only when someone sleeps: platform waits are kept, not spent."""

    def __init__(self, start: float = START) -> None:
        self.now = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.slept += seconds
        self.now += seconds
        await asyncio.sleep(0)

    def wall(self) -> datetime:
        return datetime.fromtimestamp(self.now, timezone.utc)


class RealClock:
    """The real clock, in the same shape, for rate-limit benchmarks."""

    def __call__(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def wall(self) -> datetime:
        return datetime.now(timezone.utc)


def connector_kwargs(platform: Platform, clock: Any) -> dict[str, Any]:
    """The clock/sleep keywords each platform's `connect` accepts (they differ by one name)."""
    if platform.key.startswith("nhanh"):
        return {"clock": clock, "wall_clock": clock, "sleep": clock.sleep}
    return {"clock": clock, "sleep": clock.sleep, "now": clock.wall}


@dataclass
class Shop:
    """A shop on `platform_key` whose POS is the platform's sandbox."""

    catalog: Any
    platform_key: str
    seed: int = 1
    products: int | None = 30
    rate_limits: bool = True
    clock: Any = field(default_factory=VirtualClock)
    profile_name: str = "Cửa hàng thử"
    options: dict = field(default_factory=dict)
    sandbox_kwargs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.platform = get_platform(self.platform_key)
        kwargs = dict(self.sandbox_kwargs)
        if self.products is not None:
            kwargs["products"] = self.products
        self.sandbox = self.platform.sandbox(seed=self.seed, clock=self.clock,
                                             rate_limits=self.rate_limits, **kwargs)
        self.profile = create_profile(self.profile_name, self.platform.key,
                                      fields=dict(self.platform.sandbox_settings),
                                      options=dict(self.options))
        self.events: list = []
        self.requests_sent = 0

    def connector(self, transport: Any = None):
        settings = ConnectionSettings(self.platform.key, dict(self.platform.sandbox_settings),
                                      {**self.platform.option_defaults(), **self.options}, {})
        return self.platform.connect(settings, dict(self.platform.sandbox_secrets),
                                     transport or self.sandbox.transport(),
                                     **connector_kwargs(self.platform, self.clock))

    def engine(self, connector: Any = None, **kwargs: Any) -> SyncEngine:
        connector = connector or self.connector()
        return SyncEngine(self.catalog, self.profile, connector, self.events.append,
                          clock=self.clock.wall, monotonic=self.clock, **kwargs)

    async def _run(self, entities: Any, dry_run: bool, engine_kwargs: dict) -> RunFinished:
        connector = self.connector()
        try:
            finished = await self.engine(connector, **engine_kwargs).run(entities,
                                                                         dry_run=dry_run)
        finally:
            self.requests_sent += connector.request_count
            await connector.aclose()
        return finished

    def sync(self, entities: Any = None, dry_run: bool = False, **engine_kwargs: Any
             ) -> RunFinished:
        return asyncio.run(self._run(entities, dry_run, engine_kwargs))

    def push_products(self, app_ids=None, all_new: bool = False) -> RunFinished:
        async def go() -> RunFinished:
            connector = self.connector()
            try:
                return await self.engine(connector).push_products(app_ids, all_new=all_new)
            finally:
                self.requests_sent += connector.request_count
                await connector.aclose()
        return asyncio.run(go())

    def items(self, **match: Any) -> list[ItemResult]:
        return [e for e in self.events if isinstance(e, ItemResult)
                and all(getattr(e, k) == v for k, v in match.items())]

    def links(self, entity: Entity) -> dict[str, str]:
        """POS id → App id of every link of this shop's profile."""
        rows = (m.Link.select(m.Link.pos_id, m.Link.app_id)
                .where((m.Link.entity == entity.value)))
        return {row.pos_id: row.app_id for row in rows}


async def pos_keys(connector: Any, entity: Entity) -> list[str]:
    """Every record key the POS shows for `entity`, read page by page (duplicates kept, so a
    caller can tell a POS-side duplicate from a missing record)."""
    keys: list[str] = []
    async for page in connector.pull(entity, None):
        keys.extend(record.key for record in page.records)
    return keys


def run_until_done(step: Callable[[], RunFinished], attempts: int = 20) -> list[RunFinished]:
    """Re-run a sync until it reports done (what a user or a scheduler does after a failure)."""
    results = []
    for _ in range(attempts):
        finished = step()
        results.append(finished)
        if finished.status == "done":
            return results
    return results
