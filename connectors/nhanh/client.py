"""The HTTP side of Nhanh shared by both API versions: pacing, the envelope, errors.

Nhanh counts 150 requests per 30 s for each appId+businessId+URL and, past that, locks the URL
until `unlockedAt`; a request during the lock makes it longer. So the limiter is keyed by the
URL path (one client = one app and business), and an ERR_429 locks that key until the unlock
time read on the wall clock (COM-08).
"""
from __future__ import annotations

import asyncio
import json as jsonlib
import time
from decimal import Decimal
from typing import Any, Mapping

import httpx

from contract.connector import PosError
from connectors.http import (Clock, PosHttp, Redactor, RetryPolicy, Sleep, SlidingWindow,
                             body_json)
from connectors.nhanh.errors import nhanh_error

RATE_LIMIT = 150
# Nhanh's window is 30 s; half a second more absorbs the network delay between our send time
# and Nhanh's arrival time, so a full window never reaches request 151 on Nhanh's count.
RATE_WINDOW_SECONDS = 30.5

API_BASE = "https://pos.open.nhanh.vn"


class NhanhClient:
    """One app+business on one Nhanh host. `post` returns the whole success envelope."""

    def __init__(self, *, api_base: str = API_BASE, transport: httpx.AsyncBaseTransport | None
                 = None, clock: Clock = time.monotonic, wall_clock: Clock = time.time,
                 sleep: Sleep = asyncio.sleep, secrets: tuple[str, ...] = (),
                 limiter: SlidingWindow | None = None, retry: RetryPolicy | None = None) -> None:
        self.wall_clock = wall_clock
        self.limiter = limiter or SlidingWindow(RATE_LIMIT, RATE_WINDOW_SECONDS, clock=clock,
                                                sleep=sleep)
        self.http = PosHttp(base_url=api_base.rstrip("/"), limiter=self.limiter,
                            limiter_key=lambda method, path: path, classify=self._classify,
                            transport=transport, sleep=sleep, redact=Redactor(secrets),
                            retry=retry or RetryPolicy())

    def _classify(self, response: httpx.Response) -> PosError | None:
        try:
            body = body_json(response)
        except ValueError:
            return None  # HTML or cut-off body: the generic classifier / JSON retry handles it
        return nhanh_error(body, wall_clock=self.wall_clock, status=response.status_code)

    @property
    def request_count(self) -> int:
        return self.http.request_count

    @property
    def throttled_count(self) -> int:
        return self.http.throttled_count

    async def post(self, path: str, *, params: Mapping[str, Any] | None = None,
                   json: Any = None, data: Mapping[str, str] | None = None,
                   headers: Mapping[str, str] | None = None,
                   idempotent: bool = False) -> dict:
        """`idempotent`: safe to send again after a lost answer (reads; see NhanhApi.call).
        Nhanh takes everything as POST, so the HTTP layer cannot tell reads by method."""
        return await self.http.json("POST", path, params=params, data=data, headers=headers,
                                    json=plain_json(json) if json is not None else None,
                                    idempotent=idempotent)

    async def aclose(self) -> None:
        await self.http.aclose()


def plain_json(value: Any) -> Any:
    """Decimal money as a plain JSON number (an int when whole: Nhanh prices are đồng)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: plain_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    return value


def dumps(value: Any) -> str:
    """JSON text for v2's `data` form field."""
    return jsonlib.dumps(plain_json(value), ensure_ascii=False)
