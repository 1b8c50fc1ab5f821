"""The shared HTTP layer: pacing before sending, waiting as the POS says, redaction (COM-07/08)."""
from __future__ import annotations

import asyncio

import httpx
import pytest

from contract.connector import AuthError, InvalidData, NotFound, RateLimited, TransientError
from connectors.http import LeakyBucket, NoLimit, PosHttp, Redactor, RetryPolicy, SlidingWindow


class FakeTime:
    """A clock whose sleep advances it instantly, recording every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def run(coro):
    return asyncio.run(coro)


def test_com08_leaky_bucket_allows_burst_then_paces_at_leak_rate():
    t = FakeTime()
    bucket = LeakyBucket(40, 2.0, clock=t.clock, sleep=t.sleep)

    async def go():
        for _ in range(44):
            await bucket.acquire("*")
    run(go())
    # 40 immediately, then 4 more at one per half second.
    assert t.now - 1000.0 == pytest.approx(2.0)


def test_com08_leaky_bucket_follows_the_servers_call_limit_header():
    t = FakeTime()
    bucket = LeakyBucket(40, 2.0, header="X-Sapo-Api-Call-Limit", clock=t.clock, sleep=t.sleep)
    bucket.observe("*", httpx.Response(200, headers={"X-Sapo-Api-Call-Limit": "39/40"}))

    async def go():
        await bucket.acquire("*")
        await bucket.acquire("*")
    run(go())
    assert t.waits and t.waits[-1] == pytest.approx(0.5)


def test_com08_sliding_window_keeps_each_endpoint_under_its_limit():
    t = FakeTime()
    window = SlidingWindow(150, 30.0, clock=t.clock, sleep=t.sleep)

    async def go():
        for _ in range(150):
            await window.acquire("/product/list")
        await window.acquire("/customer/list")  # another endpoint is not held back
        assert t.now == 1000.0
        await window.acquire("/product/list")
    run(go())
    assert t.now == pytest.approx(1030.0)


def test_com08_no_request_is_sent_during_a_platform_lock():
    t = FakeTime()
    window = SlidingWindow(150, 30.0, clock=t.clock, sleep=t.sleep)
    window.lock("/order/add", 12.5)

    async def go():
        await window.acquire("/order/add")
    run(go())
    assert t.now == pytest.approx(1012.5)


def _client(handler, t: FakeTime, **kwargs) -> PosHttp:
    kwargs.setdefault("limiter", NoLimit(clock=t.clock, sleep=t.sleep))
    return PosHttp("https://pos.example", transport=httpx.MockTransport(handler),
                   sleep=t.sleep, seed=1, **kwargs)


def test_com08_429_waits_exactly_retry_after_then_succeeds():
    t = FakeTime()
    answers = iter([httpx.Response(429, headers={"Retry-After": "3.5"}),
                    httpx.Response(200, json={"ok": True})])
    limiter = SlidingWindow(1000, 1.0, clock=t.clock, sleep=t.sleep)
    client = _client(lambda request: next(answers), t, limiter=limiter)

    async def go():
        body = await client.json("GET", "/x")
        await client.aclose()
        return body
    assert run(go()) == {"ok": True}
    assert t.now == pytest.approx(1003.5)
    assert client.request_count == 2 and client.throttled_count == 1


def test_transient_errors_are_retried_with_backoff_then_reported():
    t = FakeTime()
    client = _client(lambda request: httpx.Response(503), t, retry=RetryPolicy(attempts=3))

    async def go():
        try:
            await client.request("GET", "/x")
        finally:
            await client.aclose()
    with pytest.raises(TransientError):
        run(go())
    assert client.request_count == 3
    assert len(t.waits) == 2


def test_network_failure_and_non_json_body_are_retried():
    t = FakeTime()
    calls = {"n": 0}

    def handler(request):
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("down", request=request)
        if calls["n"] == 2:
            return httpx.Response(200, text="<html>proxy</html>",
                                  headers={"content-type": "text/html"})
        return httpx.Response(200, json=[1])
    client = _client(handler, t)

    async def go():
        body = await client.json("GET", "/x")
        await client.aclose()
        return body
    assert run(go()) == [1]


@pytest.mark.parametrize("status,error", [(401, AuthError), (404, NotFound), (422, InvalidData)])
def test_final_errors_are_not_retried_and_speak_both_languages(status, error):
    t = FakeTime()
    client = _client(lambda request: httpx.Response(status, json={"errors": "no"}), t)

    async def go():
        try:
            await client.request("GET", "/x")
        finally:
            await client.aclose()
    with pytest.raises(error) as caught:
        run(go())
    assert client.request_count == 1
    assert caught.value.message_vi and caught.value.message_en


def test_redirects_are_never_followed():
    t = FakeTime()
    client = _client(lambda request: httpx.Response(
        302, headers={"location": "https://other.example/admin"}), t)

    async def go():
        try:
            await client.request("GET", "/admin/products.json")
        finally:
            await client.aclose()
    with pytest.raises(NotFound) as caught:
        run(go())
    assert "other.example" in caught.value.detail


def test_com07_secrets_are_redacted_from_error_details():
    secret = "s3cr3t-token-value"
    redact = Redactor([secret])
    t = FakeTime()
    client = _client(lambda request: httpx.Response(422, text=f"bad token {secret}"), t,
                     redact=redact)

    async def go():
        try:
            await client.request("GET", "/x")
        finally:
            await client.aclose()
    with pytest.raises(InvalidData) as caught:
        run(go())
    assert secret not in caught.value.detail and "***" in caught.value.detail
    assert secret not in redact(f"Basic {__import__('base64').b64encode(secret.encode()).decode()}")


def test_com08_throttle_storm_gives_up_after_the_policy_limit_with_a_clear_error():
    t = FakeTime()
    client = _client(lambda request: httpx.Response(429), t,
                     retry=RetryPolicy(throttle_attempts=4))

    async def go():
        try:
            await client.request("GET", "/x")
        finally:
            await client.aclose()
    with pytest.raises(RateLimited) as caught:
        run(go())
    assert client.request_count == 4
    assert "chờ" in caught.value.message_vi
    # Each throttled answer without Retry-After waits longer: 2 + 4 + 6 s before giving up.
    assert t.now - 1000.0 == pytest.approx(12.0)


def test_a_read_response_is_freed_without_the_cyclic_collector():
    """A 100k pull reads thousands of pages: a response left in a reference cycle (httpx's
    response and stream point at each other) kept its body and parsed page until a
    collector pass, hundreds of MB at that size."""
    import gc
    import weakref

    t = FakeTime()
    client = _client(lambda request: httpx.Response(200, json={"rows": [{"a": 1}] * 50}), t)

    async def go():
        response = await client.request("GET", "/x", expect_json=True)
        assert response.json()["rows"][0] == {"a": 1}
        gone = weakref.ref(response)
        del response
        await client.aclose()
        return gone
    collecting = gc.isenabled()
    gc.disable()
    try:
        assert run(go())() is None
    finally:
        if collecting:
            gc.enable()


# -- COM-02: a write whose answer was lost is never sent again by the HTTP layer -------------

def _lost_answer(kind: str):
    """A handler that 'commits' each request it gets and then loses the answer."""
    committed: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        committed.append(request.method)
        if kind == "502":
            return httpx.Response(502, json={"message": "Bad Gateway"})
        if kind == "timeout":
            raise httpx.ReadTimeout("lost", request=request)
        if kind == "reset":
            raise httpx.RemoteProtocolError("reset", request=request)
        return httpx.Response(200, content=b'{"cut": ')   # body cut off after the commit
    return handler, committed


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("kind", ["502", "timeout", "reset", "cut-off"])
def test_com02_a_write_with_a_lost_answer_is_sent_once_and_reported_as_outcome_unknown(
        method, kind):
    from connectors.http import WriteOutcomeUnknown
    t = FakeTime()
    handler, committed = _lost_answer(kind)
    client = _client(handler, t)
    with pytest.raises(WriteOutcomeUnknown) as raised:
        run(client.json(method, "/orders", json={"id": 1}))
    assert committed == [method]                  # sent once, never blindly again
    assert raised.value.retryable and raised.value.rule == "COM-02"
    assert "kiểm tra" in raised.value.message_vi and "checks" in raised.value.message_en


@pytest.mark.parametrize("kind", ["502", "timeout", "reset", "cut-off"])
def test_com02_reads_and_writes_marked_idempotent_are_still_retried(kind):
    t = FakeTime()
    for method, flag in (("GET", None), ("POST", True), ("PUT", True)):
        handler, committed = _lost_answer(kind)
        client = _client(handler, t, retry=RetryPolicy(attempts=3))
        with pytest.raises(TransientError) as raised:
            run(client.json(method, "/orders", idempotent=flag))
        assert len(committed) == 3, method
        assert type(raised.value) is TransientError   # not "outcome unknown": a plain retry


def test_com02_a_get_marked_not_idempotent_is_not_retried():
    from connectors.http import WriteOutcomeUnknown
    t = FakeTime()
    handler, committed = _lost_answer("502")
    with pytest.raises(WriteOutcomeUnknown):
        run(_client(handler, t).request("GET", "/x", idempotent=False))
    assert committed == ["GET"]


def test_com02_a_write_that_never_left_the_pc_or_was_throttled_is_retried():
    t = FakeTime()
    answers = iter(["connect", "429", "ok"])
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        kind = next(answers)
        if kind == "connect":
            raise httpx.ConnectError("refused", request=request)
        sent.append(kind)
        if kind == "429":
            return httpx.Response(429, headers={"Retry-After": "1"})
        return httpx.Response(201, json={"id": 7})
    body = run(_client(handler, t).json("POST", "/orders", json={}))
    assert body == {"id": 7} and sent == ["429", "ok"]


def test_com02_a_refused_write_is_not_outcome_unknown():
    from connectors.http import WriteOutcomeUnknown
    t = FakeTime()
    client = _client(lambda request: httpx.Response(422, json={"errors": "bad"}), t)
    with pytest.raises(InvalidData) as raised:
        run(client.json("POST", "/orders", json={}))
    assert not isinstance(raised.value, WriteOutcomeUnknown)
