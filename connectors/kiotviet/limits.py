"""KiotViet's only documented limit: 5,000 GET requests per hour per retailer (KVR).

A plain sliding window would let a first sync of a big shop fire 5,000 GETs in minutes and then
stand still for the rest of the hour; the GETs are spread instead (a short burst, then ≈1.37/s),
so a long first sync never meets the cap and the window stays a hard guarantee behind it.
Writes are not paced (nothing documented) but still wait out a 429 the platform sends.
"""
from __future__ import annotations

import asyncio
import time

import httpx

from connectors.http import Clock, LeakyBucket, Sleep, SlidingWindow

GETS_PER_HOUR = 5000
BURST = 50


def limiter_key(method: str, path: str) -> str:
    return "GET" if method.upper() == "GET" else "write"


class GetBudget:
    def __init__(self, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep,
                 per_hour: int = GETS_PER_HOUR, burst: int = BURST) -> None:
        self.window = SlidingWindow(per_hour, 3600, clock=clock, sleep=sleep)
        self.spread = LeakyBucket(burst, (per_hour - burst) / 3600, clock=clock, sleep=sleep)
        self.writes = SlidingWindow(10 ** 9, 1, clock=clock, sleep=sleep)

    async def acquire(self, key: str) -> None:
        if key == "GET":
            await self.spread.acquire(key)
            await self.window.acquire(key)
        else:
            await self.writes.acquire(key)

    def observe(self, key: str, response: httpx.Response) -> None:
        return None

    def lock(self, key: str, seconds: float) -> None:
        (self.window if key == "GET" else self.writes).lock(key, seconds)

    def gets_in_last_hour(self) -> int:
        return self.window.requests_in_window("GET")
