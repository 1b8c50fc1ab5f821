"""A near-real-time schedule (a run every minute, COM-10) on each platform's sample shop:
what share of the POS's rate budget it uses when nothing changes, and how long a change made
on the POS takes to reach the App.

After an untimed first sync of N products, `--minutes` scheduled runs follow one a minute on a
virtual clock (the runs' own pacing is kept), with nothing changed. Then one product is renamed
on the POS right after a run ends, and the next run must bring it: its end minus the edit is
the delay. Budgets (shared/platforms): Sapo 120 calls/min (40-call bucket, leak 2/s);
KiotViet 5,000 GET/hour; Nhanh 150 requests / 30 s per URL (the busiest URL counts).
Goals: share ≤ 5 %, delay ≤ 2 minutes. Fixed seed 1.

    PYTHONPATH=. python bench/bench_schedule.py [--n 10000] [--minutes 30] [--platforms …]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SHOPSYNC_KEYRING", "memory")

from app.config import get_paths  # noqa: E402
from app.store.catalog import Catalog  # noqa: E402
from app.store.connection import open_store  # noqa: E402
from bench.bench_incremental import edit  # noqa: E402
from bench.machine import load, machine  # noqa: E402
from contract.records import Entity  # noqa: E402
from tests.reliability.harness import Shop  # noqa: E402

GOAL_SHARE, GOAL_DELAY_S = 0.05, 120.0


def budget_share(platform_key: str, requests: list, minutes: float) -> tuple[float, str]:
    """Share of the platform's sustained budget the requests use, and how it was computed."""
    if platform_key == "sapo":
        per_minute = len(requests) / minutes
        return per_minute / 120, f"{per_minute:.2f} calls/min ÷ 120"
    if platform_key.startswith("kiotviet"):
        gets = sum(1 for r in requests if r.method == "GET") / minutes * 60
        return gets / 5000, f"{gets:.0f} GET/h ÷ 5,000"
    busiest, count = Counter(r.url.path for r in requests).most_common(1)[0]
    per_minute = count / minutes
    return per_minute / 300, f"{per_minute:.2f}/min on {busiest} ÷ 300"


def bench(platform_key: str, n: int, minutes: int) -> dict:
    home = get_paths(Path(tempfile.mkdtemp(prefix="bench-schedule-")))
    db = open_store(home)
    shop = Shop(Catalog(db), platform_key, seed=1, products=n, rate_limits=True)
    shop.sync()
    seen = len(shop.sandbox.requests)
    began = shop.clock.now
    longest = 0.0
    for minute in range(minutes):
        start = began + minute * 60
        shop.clock.now = max(shop.clock.now, start)
        run_start = shop.clock.now
        finished = shop.sync()
        assert finished.status == "done", finished
        longest = max(longest, shop.clock.now - run_start)
    spent = shop.sandbox.requests[seen:]
    share, how = budget_share(platform_key, spent, minutes)
    # The delay: a product renamed on the POS just after a run ended reaches the App when the
    # next scheduled run ends.
    edited_at = shop.clock.now
    edit(shop, 1, 99)
    shop.clock.now = max(shop.clock.now, began + minutes * 60)
    shop.events.clear()
    shop.sync()
    delay = shop.clock.now - edited_at
    brought = (len(shop.items(entity=Entity.PRODUCT.value, direction="pos_to_app"))
               >= 1)
    db.close()
    shutil.rmtree(home.home, ignore_errors=True)
    return {"platform": platform_key, "n": n, "minutes": minutes,
            "requests": len(spent), "per_run": round(len(spent) / minutes, 2),
            "by_path": dict(Counter(f"{r.method} {r.url.path}" for r in spent)),
            "share": round(share, 4), "share_how": how, "share_goal_met": share <= GOAL_SHARE,
            "longest_run_s": round(longest, 2), "delay_s": round(delay, 1),
            "change_brought": brought, "delay_goal_met": brought and delay <= GOAL_DELAY_S,
            "load": load()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--platforms", default="sapo,kiotviet-fnb,kiotviet-retail,nhanh-v3,nhanh-v2")
    args = parser.parse_args()
    rows = [bench(key, args.n, args.minutes) for key in args.platforms.split(",")]
    print(f"{'platform':16} {'req/run':>8} {'share':>7} {'goal':>5} {'delay s':>8} {'goal':>5}  how")
    for r in rows:
        print(f"{r['platform']:16} {r['per_run']:>8} {r['share']:>7.2%} "
              f"{'ok' if r['share_goal_met'] else 'MISS':>5} {r['delay_s']:>8} "
              f"{'ok' if r['delay_goal_met'] else 'MISS':>5}  {r['share_how']} · {r['load']}")
    print(json.dumps({"bench": "schedule", "machine": machine(), "results": rows},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
