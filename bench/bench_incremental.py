"""Incremental sync: k products changed on the POS among N (k = 0, 10, 1,000): requests made
and seconds spent by the next run, through the real engine.

The first full sync is not timed. Then the POS clock moves on an hour, k products are edited
on the POS, and the next (incremental) sync is measured: wall seconds (ShopSync's own work),
paced seconds (what the platform's rate limit adds, on a virtual clock) and requests; the
products it updated must be exactly k, or, where products are create-only (Nhanh, NH-08),
the products it reported as changed but not taken. Fixed seed 1.

    PYTHONPATH=. python bench/bench_incremental.py [--n 100000] [--platforms sapo,...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SHOPSYNC_KEYRING", "memory")

from app.config import get_paths  # noqa: E402
from contract.records import Entity  # noqa: E402
from app.store.catalog import Catalog  # noqa: E402
from app.store.connection import open_store  # noqa: E402
from bench.machine import machine  # noqa: E402
from tests.reliability.harness import Shop  # noqa: E402

KS = (0, 10, 1000)


GOAL = 1.1          # issue 21: requests ÷ fewest possible, every platform, every k

FEWEST_FORMULA = ("fewest = R0 + ⌈k ÷ P⌉ − 1 (+ Sapo: branches × ⌈changed variants ÷ "
                  "INVENTORY_IDS_PER_REQUEST⌉ + min(k, C, ⌈collects ÷ 250⌉) membership reads, "
                  "since a Sapo product carries no collections: one collects read per changed "
                  "product, one changed-products read per collection, or one scan of all "
                  "collects); R0 = the requests of the no-change run (its fixed reads, one of "
                  "them the empty first page of changed products), P = the POS's largest "
                  "product page, C = the shop's collections")


def page_size(platform_key: str) -> int:
    """The largest page of products the POS gives (the connectors' own settings)."""
    if platform_key == "sapo":
        from connectors.sapo.client import LIMIT
        return LIMIT
    if platform_key.startswith("kiotviet"):
        from connectors.kiotviet.client import PAGE_SIZE
        return PAGE_SIZE
    if platform_key == "nhanh-v2":
        from connectors.nhanh.v2 import PRODUCT_ICPP
        return PRODUCT_ICPP
    from connectors.nhanh.v3 import PAGE_SIZE as NHANH_PAGE
    return NHANH_PAGE


def fewest(platform_key: str, k: int, no_change_requests: int, changed_variants: int = 0,
           branches: int = 1, collections: int = 0, collects: int = 0) -> int:
    """The fewest requests an incremental run with k changed products can make (FEWEST_FORMULA):
    the no-change run's fixed reads, the further pages of changed products, and (Sapo) the
    stock reads of their variants — Sapo's list carries stock only for a one-branch shop."""
    extra_pages = max(0, -(-k // page_size(platform_key)) - 1)
    stock = 0
    if platform_key == "sapo" and branches > 1 and changed_variants:
        from connectors.sapo.client import INVENTORY_IDS_PER_REQUEST
        stock = branches * -(-changed_variants // INVENTORY_IDS_PER_REQUEST)
    membership = 0
    if platform_key == "sapo" and k:
        membership = min(k, collections, -(-collects // 250))
    return no_change_requests + extra_pages + stock + membership


def edit(shop: Shop, k: int, round_: int) -> int:
    """Change the name of k products on the POS (distinct products, deterministic); returns
    how many variants those products have (Sapo reads their stock)."""
    box = shop.sandbox
    if shop.platform_key == "sapo":
        from connectors.sapo import sample_shop
        variants = 0
        for i in range(k):
            edited = box.edit_product(sample_shop.PRODUCT_BASE + i * 7 % box.product_count,
                                      name=f"Đổi tên lần {round_} – {i}")
            variants += len(edited["variants"])
        return variants
    elif shop.platform_key.startswith("kiotviet"):
        ids = sorted(r for r, row in box.tables["products"].items()
                     if not row.get("masterProductId") and not row.get("masterUnitId"))
        for i in range(k):
            box.touch("products", ids[i * 7 % len(ids)], name=f"Đổi tên lần {round_} – {i}")
    else:
        ids = sorted(p for p, row in box.product_rows.items() if row["parentId"] <= 0)
        for i in range(k):
            box.edit_product(ids[i * 7 % len(ids)], name=f"Đổi tên lần {round_} – {i}")
    return 0


def branches(shop: Shop) -> int:
    return len(shop.sandbox.locations) if shop.platform_key == "sapo" else 1


def sapo_collections(shop: Shop) -> tuple[int, int]:
    """(collections, collects) of a Sapo sandbox; (0, 0) elsewhere."""
    if shop.platform_key != "sapo":
        return 0, 0
    box = shop.sandbox
    return len(box.collections), len(getattr(box, "collects", ()) or ())


def bench(platform_key: str, n: int) -> list[dict]:
    home = get_paths(Path(tempfile.mkdtemp(prefix="bench-incr-")))
    db = open_store(home)
    shop = Shop(Catalog(db), platform_key, seed=1, products=n, rate_limits=True)
    started = time.perf_counter()
    first = shop.sync()
    first_seconds = time.perf_counter() - started
    rows = []
    for round_, k in enumerate(KS, start=1):
        shop.clock.now += 3600
        variants = edit(shop, k, round_)
        shop.events.clear()
        paced_from, requests_from = shop.clock.now, shop.requests_sent
        seen = len(shop.sandbox.requests)
        started = time.perf_counter()
        finished = shop.sync()
        seconds = time.perf_counter() - started
        updated = len(shop.items(entity="product", action="update"))
        # A create-only platform (Nhanh, NH-08) takes no later change: each changed product
        # gets one "skipped" row instead of an update.
        create_only_rule = shop.platform.capability(Entity.PRODUCT).rule
        create_only = len(shop.items(entity="product", action="skip", outcome="skipped",
                                     direction="pos_to_app", rule=create_only_rule))
        requests = shop.requests_sent - requests_from
        no_change = rows[0]["requests"] if rows else requests       # KS starts with k = 0
        least = fewest(platform_key, k, no_change, variants, branches(shop),
                       *sapo_collections(shop))
        rows.append({"platform": platform_key, "n": n, "k": k, "status": finished.status,
                     "requests": requests, "fewest": least,
                     "ratio": round(requests / least, 2), "goal": GOAL,
                     "goal_ok": requests / least <= GOAL,
                     "fewest_formula": FEWEST_FORMULA, "page_size": page_size(platform_key),
                     "changed_variants": variants,
                     "seconds": round(seconds, 2),
                     "paced_seconds": round(shop.clock.now - paced_from, 1),
                     "products_updated": updated,
                     "products_create_only_skipped": create_only,
                     "first_sync_seconds": round(first_seconds, 1),
                     "first_sync_requests": first.request_count,
                     "by_path": dict(Counter(
                         f"{r.method} {r.url.path}" for r in shop.sandbox.requests[seen:]))})
    db.close()
    shutil.rmtree(home.home, ignore_errors=True)   # a 100k store is ~450 MB of disk
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--platforms",
                        default="sapo,kiotviet-fnb,kiotviet-retail,nhanh-v3,nhanh-v2")
    args = parser.parse_args()
    rows = [row for key in args.platforms.split(",") for row in bench(key, args.n)]
    print(f"{'platform':14} {'N':>7} {'k':>5} {'requests':>8} {'fewest':>6} {'ratio':>5} "
          f"{'goal':>6} {'s':>7} {'paced s':>8} {'updated':>7} status")
    for r in rows:
        print(f"{r['platform']:14} {r['n']:>7} {r['k']:>5} {r['requests']:>8} {r['fewest']:>6} "
              f"{r['ratio']:>5} {'ok' if r['goal_ok'] else 'MISSED':>6} {r['seconds']:>7} "
              f"{r['paced_seconds']:>8} {r['products_updated']:>7} {r['status']}")
    print(FEWEST_FORMULA + f"; goal ≤ {GOAL}")
    print(json.dumps({"bench": "incremental", "machine": machine(), "results": rows},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
