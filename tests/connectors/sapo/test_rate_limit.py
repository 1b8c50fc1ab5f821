"""COM-08 on Sapo: the 40-call bucket leaking 2/s is used to the full (burst of 40, then 2/s)
and never overrun; a 429 is waited exactly as long as Retry-After says."""
from __future__ import annotations

import httpx
import pytest
import respx

from contract.records import Entity
from contract.connector import RateLimited
from connectors.sandbox_base import Fault
from connectors.sapo.sandbox import sapo_sandbox
from tests.connectors.sapo.conftest import BASE, FakeClock, build_connector, collect, run


def test_com08_burst_of_40_then_two_per_second_and_never_a_429_from_the_sandbox():
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=3, products=30, clock=clock)
    sapo = build_connector(sandbox.transport(), clock=clock)
    start = clock()

    async def many(count):
        for _ in range(count):
            await sapo._get("/admin/custom_collections.json", {"limit": 1})
    run(many(40))
    assert clock() == start and clock.slept == []          # the burst goes out at once
    run(many(20))
    # … and each further call waits for one call's worth of leak (0.5 s).
    assert clock() - start == pytest.approx(10.0, abs=1e-6)
    assert sandbox.throttled == 0 and sapo.request_count == 60


def test_com08_a_full_pull_against_the_rate_limited_sandbox_meets_no_429():
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=5, products=3000, clock=clock)
    sapo = build_connector(sandbox.transport(), clock=clock)
    for entity in (Entity.CATEGORY, Entity.PRODUCT, Entity.CUSTOMER, Entity.ORDER, Entity.NEWS):
        run(collect(sapo, entity))
    assert sapo.request_count > 40 and sandbox.throttled == 0 and sapo.http.throttled_count == 0


def test_com08_sandbox_bucket_answers_429_with_retry_after_when_overrun():
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=3, products=5, clock=clock)
    client = httpx.Client(transport=sandbox.transport(), base_url=BASE,
                          auth=("sandbox-api-key", "sandbox-api-secret"))
    answers = [client.get("/admin/store.json") for _ in range(41)]
    assert [a.status_code for a in answers[:40]] == [200] * 40
    assert answers[39].headers["x-sapo-api-call-limit"] == "40/40"
    assert answers[40].status_code == 429 and float(answers[40].headers["retry-after"]) == 0.5
    clock.advance(0.5)
    assert client.get("/admin/store.json").status_code == 200
    assert sapo_sandbox(seed=3, products=5, clock=clock, rate_limits=False) is not None


def test_com08_a_429_is_waited_exactly_retry_after_seconds_then_retried():
    clock = FakeClock()
    sapo = build_connector(None, clock=clock)
    with respx.mock(base_url=BASE) as api:
        route = api.get("/admin/blogs.json").mock(side_effect=[
            httpx.Response(429, json={"errors": "Exceeded"}, headers={"Retry-After": "3.5"}),
            httpx.Response(200, json={"blogs": []})])
        start = clock()
        run(sapo._get("/admin/blogs.json"))
    assert route.call_count == 2
    assert clock.slept == [3.5] and clock() - start == 3.5


def test_com08_sandbox_throttle_fault_has_sapos_shape_and_is_waited_out():
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=3, products=5, clock=clock)
    sapo = build_connector(sandbox.transport(), clock=clock)
    sandbox.inject(Fault.THROTTLE)
    run(sapo._get("/admin/blogs.json"))
    assert sapo.http.throttled_count == 1 and clock.slept == [1.0]


def test_com08_a_429_without_retry_after_waits_the_one_to_two_second_fallback():
    clock = FakeClock()
    sapo = build_connector(None, clock=clock)
    with respx.mock(base_url=BASE) as api:
        api.get("/admin/blogs.json").mock(side_effect=[
            httpx.Response(429, json={"errors": "Exceeded"}), httpx.Response(200, json={"blogs": []})])
        run(sapo._get("/admin/blogs.json"))
    assert clock.slept == [1.5]


def test_com08_throttling_that_never_ends_gives_up_with_a_rate_limited_error():
    clock = FakeClock()
    sapo = build_connector(None, clock=clock)
    with respx.mock(base_url=BASE) as api:
        api.get("/admin/blogs.json").respond(429, json={"errors": "Exceeded"})
        with pytest.raises(RateLimited) as raised:
            run(sapo._get("/admin/blogs.json"))
    assert raised.value.message_vi and raised.value.message_en
    assert all(1.0 <= s <= 7.5 for s in clock.slept)
