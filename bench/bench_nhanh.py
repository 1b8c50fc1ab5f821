"""Pushing 1,000 App orders to Nhanh: requests used ÷ the minimum, and 429s met (must be 0).

Nhanh's order/add takes one order per request, so the minimum is one request per order plus
one SKU look-up per distinct product sold and the one-time read of recent orders that find()
uses for COM-02. Nhanh allows 150 requests per 30 s per URL; the connector paces itself under
that window, so a real push of 1,000 orders takes about 3 minutes of pacing: by default the
bench runs on the wall clock against the sandbox's real-time window. `--fake-clock` shares one
fake clock between the connector and the sandbox (which still enforces the window and would
answer ERR_429), so the same run finishes in a second.

`--linked` gives every line the linked Nhanh product id, as the engine does for products the
App has from Nhanh (issue 19.10): then the minimum counts one children read per distinct
product instead of one SKU search per distinct SKU. `--lose N` loses the answer of N order/add
calls after Nhanh saved the order (COM-02): each costs one look-up, never a second order.

    PYTHONPATH=. python bench/bench_nhanh.py [orders] [--v2] [--fake-clock] [--linked]
                                             [--lose N]
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from decimal import Decimal

from contract.records import Entity, Order, OrderLine, OrderStatus
from contract.connector import ConnectionSettings
from connectors.nhanh.platform import NHANH_V2, NHANH_V3
from connectors.nhanh.sandbox import RATE_LIMIT, RATE_WINDOW, nhanh_sandbox


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def app_orders(count: int, skus: list[tuple[str, int, str]]) -> list[Order]:
    orders = []
    for index in range(count):
        sku, price, product_key = skus[index % len(skus)]
        orders.append(Order(
            key=f"APP-{index + 1:05d}", status=OrderStatus.PLACED,
            customer_name="Nguyễn Thị Lan", customer_phone=f"09{index % 100000000:08d}",
            shipping_address="12 Lê Lợi, Quận 1, TP. Hồ Chí Minh", branch_key="101",
            lines=(OrderLine(sku=sku, name=sku, quantity=Decimal(1), price=Decimal(price),
                             product_key=product_key),)))
    return orders


def busiest_window(times: list[float]) -> int:
    best, start = 0, 0
    for end, stamp in enumerate(times):
        while times[start] <= stamp - RATE_WINDOW:
            start += 1
        best = max(best, end - start + 1)
    return best


async def bench(count: int, version: str, real_time: bool, linked: bool = False,
                lose: int = 0) -> dict:
    platform = NHANH_V3 if version == "3" else NHANH_V2
    clock = time.time if real_time else FakeClock(time.time())
    sandbox = nhanh_sandbox(version=version, clock=clock)
    kwargs = {} if real_time else {"clock": clock, "wall_clock": clock, "sleep": clock.sleep}
    settings = ConnectionSettings(platform.key, platform.sandbox_settings,
                                  {**platform.option_defaults(), "sync_orders": True},
                                  platform.hosts)
    connector = platform.connect(settings, platform.sandbox_secrets, sandbox.transport(),
                                 **kwargs)
    skus = [(row["code"], row["prices"]["retail"], str(row["parentId"]) if linked else "")
            for row in sandbox.product_rows.values() if row["parentId"] > 0][:20]
    for _ in range(lose):
        sandbox.lose_next_answer("order/add")
    orders = app_orders(count, skus)
    started_wall, started_clock = time.perf_counter(), clock()
    for order in orders:                    # what the engine does before each create (COM-02)
        assert await connector.find(Entity.ORDER, order) is None
    outcomes = await connector.create(Entity.ORDER, orders)
    await connector.aclose()
    failed = [o for o in outcomes if o.error is not None or not o.pos_key]
    add_path = "order/add"
    adds = [t for t, path in sandbox.timeline if path.endswith(add_path)]
    made = sum(1 for o in sandbox.orders.values() if o.get("appOrderId"))
    looked_up = len({key for _, _, key in skus}) if linked else len({sku for sku, _, _ in skus})
    minimum = count + looked_up + 1 + lose
    return {
        "bench": "nhanh_push_orders", "version": f"v{version}", "orders": count,
        "failed": len(failed), "requests": connector.request_count, "minimum": minimum,
        "ratio": round(connector.request_count / minimum, 3),
        "order_add_requests": len(adds), "linked_lines": linked, "answers_lost": lose,
        "nhanh_orders_made": made,
        "err_429": len(sandbox.lock_events) + len(sandbox.rejected_during_lock),
        "busiest_30s_window": busiest_window(adds), "limit": RATE_LIMIT,
        "paced_seconds": round(clock() - started_clock, 1),
        "wall_seconds": round(time.perf_counter() - started_wall, 2),
        "clock": "real" if real_time else "fake",
    }


def main(argv: list[str]) -> None:
    lose = 0
    if "--lose" in argv:
        at = argv.index("--lose")
        lose = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    numbers = [a for a in argv if a.isdigit()]
    count = int(numbers[0]) if numbers else 1000
    version = "2" if "--v2" in argv else "3"
    result = asyncio.run(bench(count, version, "--fake-clock" not in argv,
                               linked="--linked" in argv, lose=lose))
    rows = [("orders pushed", result["orders"]), ("failed", result["failed"]),
            ("requests / minimum", f"{result['requests']} / {result['minimum']} "
                                   f"(×{result['ratio']})"),
            ("order/add requests", result["order_add_requests"]),
            ("answers lost", result["answers_lost"]),
            ("Nhanh orders made", result["nhanh_orders_made"]),
            ("ERR_429 met", result["err_429"]),
            ("busiest 30 s window", f"{result['busiest_30s_window']} / {result['limit']}"),
            ("pacing time (s)", result["paced_seconds"]),
            ("wall time (s)", result["wall_seconds"])]
    print(f"Nhanh {result['version']} – push {count} App orders ({result['clock']} clock)")
    for name, value in rows:
        print(f"  {name:<22} {value}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
