"""Sapo benchmark (not a test): how close the connector gets to Sapo's own limits.

1. Push N App products against the sandbox with its real-time 40-call bucket (leak 2/s):
   measured time ÷ the bucket's minimum for the requests made ((R − 40) / 2 s). Goal ≤ 1.1.
2. A full product pull: requests made ÷ the fewest the API allows (one per 250 products, one
   per 250 collects, and with several branches one inventory read per branch per 250 items).

Fixed seed. Prints a table and one JSON line. Run: python bench/bench_sapo.py [--n 100]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contract.records import Entity, Product, StockLevel, Variant  # noqa: E402
from contract.connector import ConnectionSettings  # noqa: E402
from connectors.sapo.client import LIMIT  # noqa: E402
from connectors.sapo.platform import SAPO  # noqa: E402
from connectors.sapo.sandbox import sapo_sandbox  # noqa: E402

SEED = 20261123


class SkippedTime:
    """For the request-count part: the bucket's waits are counted, not slept."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def connector_for(sandbox, clock=None):
    settings = ConnectionSettings("sapo", dict(SAPO.sandbox_settings), SAPO.option_defaults(),
                                  dict(SAPO.hosts))
    timing = {} if clock is None else {"clock": clock, "sleep": clock.sleep}
    return SAPO.connect(settings, SAPO.sandbox_secrets, sandbox.transport(), **timing)


def app_products(n: int, branch: str) -> list[Product]:
    return [Product(f"APP{i:06d}", f"Sản phẩm thử {i + 1} – Trà sữa", category_keys=("1001",),
                    variants=(Variant("", sku=f"BENCH-{i:06d}", price=Decimal(30000 + i),
                                      stock=(StockLevel(branch, Decimal(10)),)),))
            for i in range(n)]


async def push(n: int, branches: int) -> dict:
    sandbox = sapo_sandbox(seed=SEED, products=50, location_count=branches)
    sapo = connector_for(sandbox)
    records = app_products(n, "501")
    started = time.monotonic()
    outcomes = await sapo.create(Entity.PRODUCT, records)
    seconds = time.monotonic() - started
    await sapo.aclose()
    requests = sapo.request_count
    minimum = max(0.0, (requests - 40) / 2)
    return {"push_n": n, "push_failed": sum(1 for o in outcomes if o.error),
            "push_requests": requests, "push_seconds": round(seconds, 2),
            "push_min_seconds": minimum,
            "push_ratio": round(seconds / minimum, 3) if minimum else None,
            "push_throttled": sandbox.throttled + sapo.http.throttled_count}


async def pull(n: int, branches: int) -> dict:
    clock = SkippedTime()
    sandbox = sapo_sandbox(seed=SEED, products=n, location_count=branches, clock=clock)
    sapo = connector_for(sandbox, clock)
    started = time.monotonic()
    count = 0
    async for page in sapo.pull(Entity.PRODUCT, None):
        count += len(page.records)
    seconds = time.monotonic() - started
    await sapo.aclose()
    items = sum(len(sandbox.product(pid)["variants"]) for pid in sandbox.product_ids)
    floor = math.ceil(n / LIMIT) + math.ceil(len(sandbox.collects) / LIMIT) + 1   # + locations
    if branches > 1:
        floor += branches * math.ceil(items / LIMIT)
    by_path: dict[str, int] = {}
    for request in sandbox.requests:
        by_path[request.url.path] = by_path.get(request.url.path, 0) + 1
    return {"pull_n": count, "pull_requests": sapo.request_count, "pull_min_requests": floor,
            "pull_ratio": round(sapo.request_count / floor, 3), "pull_cpu_seconds": round(seconds, 2),
            "pull_by_path": by_path, "pull_throttled": sandbox.throttled,
            "pull_bucket_minutes": round(clock() / 60, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="App products to push")
    parser.add_argument("--pull-n", type=int, default=10_000, help="products in the pulled shop")
    parser.add_argument("--branches", type=int, default=1, help="sandbox branches (1–3)")
    args = parser.parse_args()
    result = {"bench": "sapo", "seed": SEED, "branches": args.branches}
    result.update(asyncio.run(push(args.n, args.branches)))
    result.update(asyncio.run(pull(args.pull_n, args.branches)))
    rows = [("push: products", result["push_n"]), ("push: requests", result["push_requests"]),
            ("push: seconds", result["push_seconds"]),
            ("push: bucket minimum (R−40)/2 s", result["push_min_seconds"]),
            ("push: ratio (goal ≤ 1.1)", result["push_ratio"]),
            ("push: 429s met", result["push_throttled"]),
            ("pull: products", result["pull_n"]), ("pull: requests", result["pull_requests"]),
            ("pull: fewest possible", result["pull_min_requests"]),
            ("pull: ratio", result["pull_ratio"]),
            ("pull: minutes at 2 calls/s", result["pull_bucket_minutes"])]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
