"""First sync of a 10,000-product KiotViet FnB shop: requests used ÷ the minimum.

The minimum is one token request plus ceil(rows / 100) GETs per entity (100 is KiotViet's
largest page). GETs are paced by the connector's budget (5,000/hour, spread); the pacing runs on
a fake clock here, so the "paced time" column is what the pacing alone would add on a real
store, and the wall time is ShopSync's own work. Fixed seed.

    PYTHONPATH=. python bench/bench_kiotviet.py [products] [--engine]
"""
from __future__ import annotations

import asyncio
import json
import math
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from contract.records import Entity
from contract.connector import ConnectionSettings
from connectors.kiotviet.platform import KIOTVIET_FNB
from connectors.kiotviet.sandbox import kiotviet_sandbox

ENTITIES = (Entity.BRANCH, Entity.CATEGORY, Entity.PRODUCT, Entity.CUSTOMER, Entity.ORDER)
TABLES = {Entity.BRANCH: "branches", Entity.CATEGORY: "categories", Entity.PRODUCT: "products",
          Entity.CUSTOMER: "customers", Entity.ORDER: "invoices"}
PATHS = {Entity.BRANCH: "/branches", Entity.CATEGORY: "/categories",
         Entity.PRODUCT: "/products", Entity.CUSTOMER: "/customers", Entity.ORDER: "/invoices"}


class VirtualClock:
    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def connector_for(sandbox, clock):
    settings = ConnectionSettings(KIOTVIET_FNB.key, dict(KIOTVIET_FNB.sandbox_settings),
                                  KIOTVIET_FNB.option_defaults(), {})
    return KIOTVIET_FNB.connect(settings, KIOTVIET_FNB.sandbox_secrets, sandbox.transport(),
                                clock=clock, sleep=clock.sleep)


async def pull_everything(connector) -> dict[Entity, int]:
    records = {}
    for entity in ENTITIES:
        records[entity] = 0
        async for page in connector.pull(entity, None):
            records[entity] += len(page.records)
    return records


def through_engine(sandbox, clock) -> dict[Entity, int]:
    from app.store.catalog import Catalog
    from app.store.connection import open_store
    from app.store.profiles import create_profile
    from app.sync.engine import SyncEngine
    db = open_store(Path(tempfile.mkdtemp(prefix="shopsync-bench-")) / "bench.db")
    catalog = Catalog(db)
    profile = create_profile("Bench FnB", KIOTVIET_FNB.key,
                             fields=dict(KIOTVIET_FNB.sandbox_settings))
    connector = connector_for(sandbox, clock)
    engine = SyncEngine(catalog, profile, connector, clock=lambda: datetime.fromtimestamp(
        clock(), timezone.utc), monotonic=clock)
    finished = asyncio.run(engine.run(ENTITIES))
    assert finished.status == "done", finished
    counts = {entity: catalog.count(entity) for entity in ENTITIES}
    db.close()
    return counts, connector


def main(products: int = 10_000, engine: bool = False) -> dict:
    started = time.perf_counter()
    sandbox = kiotviet_sandbox(kind="fnb", seed=1, products=products, rate_limits=True,
                               clock=time.time)
    built = time.perf_counter() - started
    clock = VirtualClock()
    began = time.perf_counter()
    if engine:
        records, connector = through_engine(sandbox, clock)
    else:
        connector = connector_for(sandbox, clock)
        records = asyncio.run(pull_everything(connector))
    wall = time.perf_counter() - began
    paced = clock.now - 1_795_000_000.0
    rows = {entity: len(sandbox.tables[TABLES[entity]]) for entity in ENTITIES}
    rows[Entity.ORDER] = sum(1 for r in sandbox.tables["invoices"].values() if r["status"] == 1)
    minimum = {entity: max(1, math.ceil(count / 100)) for entity, count in rows.items()}
    used = {entity: sandbox.count("GET", PATHS[entity]) for entity in ENTITIES}
    total_min = sum(minimum.values()) + 1
    total_used = sum(used.values()) + len(sandbox.token_requests)
    print(f"KiotViet FnB first sync, {products} product rows "
          f"({'engine + store' if engine else 'connector only'}); sandbox built in {built:.2f}s")
    print(f"{'entity':<10}{'rows':>8}{'records':>9}{'GETs':>7}{'minimum':>9}{'ratio':>7}")
    for entity in ENTITIES:
        print(f"{entity.value:<10}{rows[entity]:>8}{records[entity]:>9}{used[entity]:>7}"
              f"{minimum[entity]:>9}{used[entity] / minimum[entity]:>7.2f}")
    print(f"{'token':<10}{'':>8}{'':>9}{len(sandbox.token_requests):>7}{1:>9}")
    print(f"{'total':<10}{'':>8}{'':>9}{total_used:>7}{total_min:>9}"
          f"{total_used / total_min:>7.2f}")
    print(f"paced time (GET budget, 5000/h spread): {paced:.0f} s; wall time: {wall:.2f} s; "
          f"GETs within the hour: {connector.api.limiter.gets_in_last_hour()}")
    result = {"bench": "kiotviet_first_sync", "products": products, "engine": engine,
              "requests": total_used, "minimum": total_min,
              "ratio": round(total_used / total_min, 3), "paced_seconds": round(paced, 1),
              "wall_seconds": round(wall, 2),
              "per_entity": {e.value: {"gets": used[e], "minimum": minimum[e]}
                             for e in ENTITIES}}
    print(json.dumps(result, ensure_ascii=False))
    return result


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 10_000, engine="--engine" in sys.argv)
