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
                                clock=clock, sleep=clock.sleep,
                                now=lambda: datetime.fromtimestamp(clock(), timezone.utc))


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


def writes() -> dict:
    """Issue 19 (points 13, 16, 17) and 21/3: request counts of the cases that used to cost
    more, at a small size, on the sandbox (fake clock, no pacing).

        PYTHONPATH=. python bench/bench_kiotviet.py --writes
    """
    from decimal import Decimal

    from contract.records import Customer, Order, OrderLine, OrderStatus
    from connectors.sandbox_base import Fault

    def order(key, lines, phone="0977000111"):
        return Order(key=key, status=OrderStatus.PLACED, customer_phone=phone,
                     customer_name="Võ Thị Hồng", lines=lines)

    results = {}
    # 20 orders, each with both sizes of one of 5 linked families (40 lines).
    clock = VirtualClock()
    box = kiotviet_sandbox(kind="fnb", products=50, clock=clock)
    roots = [r for r in box.tables["products"].values() if r.get("hasVariants")
             and not r.get("masterProductId")][:5]
    sizes = {root["id"]: [r for r in box.tables["products"].values()
                          if r["id"] == root["id"] or r.get("masterProductId") == root["id"]]
             for root in roots}
    orders = [order(f"A-{i}", tuple(OrderLine(sku=row["code"], name="x", quantity=Decimal(1),
                                              price=Decimal(row["basePrice"]),
                                              product_key=str(root["id"]))
                                    for row in sizes[root["id"]]))
              for i, root in enumerate(roots * 4)]
    connector = connector_for(box, clock)
    new = Customer(key="c", name="Võ Thị Hồng", phone="0977000111")
    asyncio.run(connector.find(Entity.CUSTOMER, new))
    asyncio.run(connector.create(Entity.CUSTOMER, [new]))
    asyncio.run(connector.create(Entity.ORDER, orders))
    results["push_20_orders_40_linked_lines"] = {
        "code_lookups": box.count("GET", "/products/code/"),
        "family_reads": sum(1 for r in box.requests if r.url.params.get("masterProductId")),
        "phone_lookups": box.count("GET", "/customers"),
        "order_posts": box.count("POST", "/orders"), "token": len(box.token_requests),
        "fewest": {"family_reads": 5, "phone_lookups": 1, "order_posts": 20, "token": 1}}
    # One order whose answer is lost after KiotViet committed it.
    for kept in ("description", "line note", "neither"):
        box = kiotviet_sandbox(kind="fnb", clock=clock,
                               keeps_order_description=kept == "description",
                               keeps_line_notes=kept != "neither")
        connector = connector_for(box, clock)
        one = order("L-1", (OrderLine(sku="CPSD-M", name="x", quantity=Decimal(1),
                                      price=Decimal(29000)),), phone="")
        asyncio.run(connector.find(Entity.ORDER, one))
        before = len(box.requests)
        box.lose_answer("POST", "/orders", Fault.SERVER_ERROR)
        asyncio.run(connector.create(Entity.ORDER, [one]))
        results[f"lost_answer_marker_in_{kept.replace(' ', '_')}"] = {
            "orders_in_kiotviet": len(box.tables["orders"]),
            "requests_for_the_create": len(box.requests) - before}
    # A first pull of 2,000 rows cut after 10 of its 20 pages, then resumed.
    box = kiotviet_sandbox(kind="fnb", products=2000, clock=clock)

    async def cut():
        pages = 0
        async for page in connector_for(box, clock).pull(Entity.PRODUCT, None):
            pages += 1
            if pages == 10:
                return page.resume
    resume = asyncio.run(cut())
    before = box.count("GET", "/products")

    async def rest():
        async for _ in connector_for(box, clock).pull(Entity.PRODUCT, None, resume):
            pass
    asyncio.run(rest())
    results["resumed_first_pull_2000_rows_cut_at_page_10"] = {
        "requests_after_resume": box.count("GET", "/products") - before,
        "family_reads": sum(1 for r in box.requests if r.url.params.get("masterProductId")),
        "fewest": 20}
    print(json.dumps({"bench": "kiotviet_writes", **results}, ensure_ascii=False, indent=1))
    return results


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--writes" in sys.argv:
        writes()
    else:
        main(int(args[0]) if args else 10_000, engine="--engine" in sys.argv)
