"""COM-08 on Nhanh: 150 requests / 30 s per appId+businessId+URL, and an ERR_429 lock that a
request made during it would extend. The sandbox logs every request with its time, so these
tests prove no request is sent before `unlockedAt`."""
from __future__ import annotations

import pytest

from contract.records import Entity
from connectors.nhanh.client import NhanhClient
from connectors.nhanh.errors import UNLOCK_MARGIN_SECONDS
from connectors.sandbox_base import Fault

from .conftest import build, collect, run


def requests_to(sandbox, suffix):
    return [t for t, path in sandbox.timeline if path.endswith(suffix)]


@pytest.mark.parametrize("version", ["3", "2"])
def test_com08_forced_err_429_is_waited_out_with_no_request_during_the_lock(version):
    connector, sandbox, clock = build(version)
    sandbox.inject(Fault.THROTTLE)
    pages = run(collect(connector, Entity.BRANCH))
    assert len(pages[0].records) == 3
    [(locked_at, _key, unlocked_at)] = sandbox.lock_events
    first, second = requests_to(sandbox, "depot")
    assert first == locked_at
    assert second >= unlocked_at                      # nothing before the unlock time
    assert sandbox.rejected_during_lock == []          # so the lock was never extended
    assert clock.slept and clock.slept[-1] <= unlocked_at - locked_at + UNLOCK_MARGIN_SECONDS


def test_com08_a_lock_caused_by_another_client_is_read_from_unlocked_at():
    """Another program of the shop used up the window: Nhanh answers ERR_429 with
    unlockedAt; ShopSync waits until then (wall clock) and sends nothing meanwhile."""
    connector, sandbox, clock = build("3")
    key = f"73021|168888|/v3.0/customer/list"
    sandbox.windows[key].extend([clock.now] * 150)
    pages = run(collect(connector, Entity.CUSTOMER))
    assert sum(len(p.records) for p in pages) == 25
    [(locked_at, _, unlocked_at)] = sandbox.lock_events
    times = requests_to(sandbox, "customer/list")
    assert times[0] == locked_at and all(t >= unlocked_at for t in times[1:])
    assert sandbox.rejected_during_lock == []


def test_com08_a_request_during_the_lock_would_extend_it_in_the_sandbox():
    """The emulation the tests above rely on: calling during the lock makes it longer."""
    connector, sandbox, clock = build("3")
    sandbox.inject(Fault.THROTTLE)
    transport = sandbox.transport()
    import httpx
    with httpx.Client(transport=transport) as raw:
        params = {"appId": "73021", "businessId": "168888"}
        headers = {"Authorization": "sbxV3Token73021168888"}
        first = raw.post("https://pos.open.nhanh.vn/v3.0/business/depot", params=params,
                         headers=headers, json={})
        unlocked = first.json()["data"]["unlockedAt"]
        clock.advance(5)
        again = raw.post("https://pos.open.nhanh.vn/v3.0/business/depot", params=params,
                         headers=headers, json={})
    assert again.json()["errorCode"] == "ERR_429"
    assert again.json()["data"]["unlockedAt"] > unlocked
    assert len(sandbox.rejected_during_lock) == 1


@pytest.mark.parametrize("version", ["3", "2"])
def test_com08_long_pulls_stay_under_150_per_30_seconds_per_url(version):
    connector, sandbox, clock = build(version, products=400, page_cap=2)
    pages = run(collect(connector, Entity.PRODUCT))
    assert sum(len(p.records) for p in pages) == 400
    times = requests_to(sandbox, "product/list" if version == "3" else "product/search")
    assert len(times) > 150
    assert sandbox.lock_events == []
    for index in range(len(times) - 150):
        assert times[index + 150] - times[index] >= 30


def test_com08_the_limiter_is_keyed_by_url_so_other_endpoints_are_not_slowed():
    client = NhanhClient()
    assert client.http.limiter_key("POST", "/v3.0/product/list") == "/v3.0/product/list"
    assert client.http.limiter_key("POST", "/v3.0/order/add") == "/v3.0/order/add"
    assert (client.limiter.limit, client.limiter.window) == (150, 30.5)
    run(client.aclose())
