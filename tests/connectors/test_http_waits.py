"""COM-08 and issue 18.6: what a pause the POS asks for looks like to the user, and what a web
page instead of data says. A long Retry-After is announced (when the run continues) or, past
the cap, stops the run with the time to come back; a negative or nonsense one gets the normal
growing back-off, never a burst; a 200 maintenance page is a web page, not a wrong shop name."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from connectors.http import (NoLimit, PosHttp, RetryPolicy, SlidingWindow, ThrottleWait,
                             WaitTooLong, throttle_listener)
from contract.connector import RateLimited, TransientError


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.waits: list[float] = []
        self.sent_at: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def _client(answers, t: FakeTime, **kwargs) -> PosHttp:
    def handler(request: httpx.Request) -> httpx.Response:
        t.sent_at.append(t.now)
        return answers(request)
    return PosHttp(base_url="https://pos.example", transport=httpx.MockTransport(handler),
                   limiter=NoLimit(clock=t.clock, sleep=t.sleep), sleep=t.sleep,
                   wall=t.clock, seed=1, **kwargs)


def _get(client: PosHttp, heard: list | None = None, times: int = 1):
    async def go():
        token = throttle_listener.set(heard.append if heard is not None else None)
        try:
            for _ in range(times):
                await client.request("GET", "/x")
        finally:
            throttle_listener.reset(token)
            await client.aclose()
    return asyncio.run(go())


def _throttled_then_ok(retry_after: str | None, then: int = 1):
    seen = {"n": 0}

    def answer(request):
        seen["n"] += 1
        if seen["n"] <= then:
            headers = {} if retry_after is None else {"retry-after": retry_after}
            return httpx.Response(429, headers=headers)
        return httpx.Response(200, json={"ok": True})
    return answer


def test_com08_an_hour_long_retry_after_stops_the_run_with_the_time_to_come_back():
    """KiotViet's hourly GET budget (issue 19 point 14): 429 with Retry-After ≈ 3600."""
    t = FakeTime()
    client = _client(lambda r: httpx.Response(429, headers={"retry-after": "3600"}), t)
    with pytest.raises(WaitTooLong) as stopped:
        _get(client)
    until = datetime.fromtimestamp(t.now + 3600).astimezone()
    assert stopped.value.until == until
    assert until.strftime("%H:%M") in stopped.value.message_vi
    assert until.strftime("%H:%M") in stopped.value.message_en
    assert "60 min" in stopped.value.message_en and "Sync again after" in stopped.value.message_en
    assert isinstance(stopped.value, RateLimited) and stopped.value.retryable   # exit 4
    assert len(t.sent_at) == 1 and t.waits == []          # no silent hour, no second request


def test_com08_after_stopping_no_request_is_sent_before_the_pos_said():
    t = FakeTime()
    client = _client(lambda r: httpx.Response(429, headers={"retry-after": "3600"}), t)

    async def go():
        for _ in range(3):
            with pytest.raises(WaitTooLong):
                await client.request("GET", "/x")
        await client.aclose()
    asyncio.run(go())
    assert len(t.sent_at) == 1


def test_com08_a_wait_under_the_cap_is_announced_with_the_time_the_run_continues():
    t = FakeTime()
    heard: list[ThrottleWait] = []
    client = _client(_throttled_then_ok("120"), t)
    _get(client, heard)
    assert t.waits == [120.0] and len(t.sent_at) == 2
    assert len(heard) == 1 and heard[0].seconds == 120.0 and heard[0].reason == "throttled"
    assert heard[0].until == datetime.fromtimestamp(1_800_000_000.0 + 120).astimezone()


def test_com08_a_short_wait_is_honoured_exactly_and_not_announced():
    """The HTTP layer tells every pause; the run's event stream (what the CLI and the window
    show) says only those worth a sentence."""
    from app.sync import events as ev
    t = FakeTime()
    said: list = []
    client = _client(_throttled_then_ok("1.5"), t)

    async def go():
        token = ev.report_waits(said.append)
        try:
            await client.request("GET", "/x")
        finally:
            ev.stop_reporting_waits(token)
            await client.aclose()
    asyncio.run(go())
    assert t.waits == [1.5] and said == []


@pytest.mark.parametrize("nonsense", ["-5", "0", "soon", "nan", "inf", "", "1e400x"])
def test_com08_negative_or_nonsense_retry_after_gets_a_growing_back_off_never_a_burst(nonsense):
    t = FakeTime()
    client = _client(lambda r: httpx.Response(429, headers={"retry-after": nonsense}), t,
                     retry=RetryPolicy(throttle_attempts=30))
    with pytest.raises(RateLimited):
        _get(client)
    gaps = [b - a for a, b in zip(t.sent_at, t.sent_at[1:])]
    assert gaps and min(gaps) >= 2.0                         # never back to back
    assert t.sent_at[-1] - t.sent_at[0] > 60                 # 30 tries spread, not 1.3 s
    assert gaps[:3] == sorted(gaps[:3])                      # growing


def test_com08_retry_after_as_an_http_date_is_understood():
    t = FakeTime()
    moment = datetime.fromtimestamp(t.now, timezone.utc) + timedelta(seconds=45)
    _get(_client(_throttled_then_ok(format_datetime(moment, usegmt=True)), t))
    assert t.waits == [pytest.approx(45.0)]


def test_com08_many_short_pauses_adding_up_past_the_cap_also_stop_the_run():
    t = FakeTime()
    client = _client(lambda r: httpx.Response(429, headers={"retry-after": "200"}), t)
    with pytest.raises(WaitTooLong):
        _get(client)
    assert sum(t.waits) <= RetryPolicy().max_throttle_wait


def test_com08_our_own_pacing_under_an_hourly_budget_is_announced():
    t = FakeTime()
    window = SlidingWindow(2, 3600.0, clock=t.clock, sleep=t.sleep)
    heard: list[ThrottleWait] = []

    async def go():
        token = throttle_listener.set(heard.append)
        try:
            for _ in range(3):
                await window.acquire("GET")
        finally:
            throttle_listener.reset(token)
    asyncio.run(go())
    assert t.waits == [3600.0]
    assert heard and heard[0].reason == "pacing" and heard[0].seconds == 3600.0


MAINTENANCE = ("<!DOCTYPE html><html><head><title>Bảo trì hệ thống</title></head><body>Hệ "
               "thống đang bảo trì, vui lòng thử lại sau.</body></html>")


def test_a_200_maintenance_page_says_web_page_instead_of_data_and_is_retried():
    t = FakeTime()
    seen = {"n": 0}

    def answer(request):
        seen["n"] += 1
        if seen["n"] <= 2:
            return httpx.Response(200, text=MAINTENANCE, headers={"content-type": "text/html"})
        return httpx.Response(200, json={"ok": True})
    assert _get(_client(answer, t)) is None
    assert len(t.sent_at) == 3 and len(t.waits) == 2


def test_a_pos_that_stays_in_maintenance_ends_with_retry_later_not_check_the_shop_name():
    t = FakeTime()
    client = _client(lambda r: httpx.Response(200, text=MAINTENANCE,
                                              headers={"content-type": "text/html"}), t)
    with pytest.raises(TransientError) as failed:
        _get(client)
    assert "web page instead of data" in failed.value.message_en
    assert "maintenance" in failed.value.message_en and "proxy" in failed.value.message_en
    assert "trang web thay vì dữ liệu" in failed.value.message_vi
    assert "shop name" not in failed.value.message_en


def test_sapo_maintenance_page_is_not_taken_for_a_wrong_shop_name():
    from connectors.registry import get_platform
    from connectors.sandbox_base import Fault
    platform = get_platform("sapo")
    sandbox = platform.sandbox(seed=1, products=3, rate_limits=False)
    sandbox.inject(*[Fault.MAINTENANCE_PAGE] * 10)
    from connectors.sapo.client import SapoConnector
    t = FakeTime()
    connector = SapoConnector(platform, shop="cuahangmau", api_key=sandbox.api_key,
                              api_secret=sandbox.api_secret, base_url="http://127.0.0.1:1",
                              transport=sandbox.transport(), sleep=t.sleep, clock=t.clock)

    async def go():
        try:
            await connector.http.request("GET", "/admin/products.json", expect_json=True)
        finally:
            await connector.aclose()
    with pytest.raises(TransientError) as failed:
        asyncio.run(go())
    assert "web page instead of data" in failed.value.message_en
    assert "shop name" not in failed.value.message_en
