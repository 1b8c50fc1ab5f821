"""Faults at random points through every platform's sandbox (COM-08, COM-09, COM-02).

Each sandbox injects 5xx, timeouts, connection resets, malformed JSON, HTML error pages and 429
storms (on Nhanh: locks) on a fixed-seed fraction of requests. All waits run on a virtual
clock. Whatever happens, a run either completes or stops with a message in both languages, and
once re-run until done the App and the POS agree: no duplicate, no lost item.
"""
from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from contract.records import Customer, Entity, Product, Variant
from connectors.sandbox_base import Fault
from tests.reliability.agreement import disagreements, read_pos
from tests.reliability.harness import PLATFORM_KEYS, Shop, run_until_done

ALL_FAULTS = (Fault.SERVER_ERROR, Fault.TIMEOUT, Fault.RESET, Fault.MALFORMED, Fault.HTML,
              Fault.THROTTLE)
SEEDS = (101, 202)


def _assert_clear_failures(results) -> None:
    for finished in results:
        assert finished.status in ("done", "failed", "interrupted"), finished
        if finished.status != "done":
            assert finished.message_vi and finished.message_en, finished


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("platform_key", PLATFORM_KEYS)
def test_com09_com08_first_sync_under_random_faults_ends_with_app_and_pos_agreeing(
        catalog, platform_key, seed):
    shop = Shop(catalog, platform_key, seed=seed, products=40)
    shop.sandbox.chaos(0.15, ALL_FAULTS, seed=seed)
    results = run_until_done(shop.sync, attempts=8)
    _assert_clear_failures(results)
    assert results[-1].status == "done", results[-1]
    assert shop.sandbox.count() > 0
    if platform_key.startswith("nhanh"):
        assert shop.sandbox.rejected_during_lock == []   # COM-08: a lock is waited out
    assert disagreements(shop) == []


@pytest.mark.parametrize("platform_key", PLATFORM_KEYS)
def test_com09_heavy_faults_stop_with_a_clear_message_then_resume_without_loss(catalog,
                                                                              platform_key):
    """Half of all requests fail: runs may stop; each stop says what happened, and runs after
    the trouble clears finish the job with nothing lost or doubled."""
    shop = Shop(catalog, platform_key, seed=7, products=40)
    shop.sandbox.chaos(0.5, ALL_FAULTS, seed=7)
    results = [shop.sync() for _ in range(3)]
    _assert_clear_failures(results)
    shop.sandbox.chaos(0.0, ALL_FAULTS)
    results = run_until_done(shop.sync, attempts=3)
    assert results[-1].status == "done", results[-1]
    assert disagreements(shop) == []


@pytest.mark.parametrize("platform_key", ("sapo", "kiotviet-fnb", "nhanh-v3", "nhanh-v2"))
def test_com08_429_storm_and_nhanh_locks_are_waited_out_not_failed(catalog, platform_key):
    shop = Shop(catalog, platform_key, seed=3, products=20)
    shop.sandbox.inject(*([Fault.THROTTLE] * 8))
    finished = shop.sync()
    assert finished.status == "done", finished
    assert shop.clock.slept > 0          # the waits were taken (on the virtual clock)
    if platform_key == "sapo":
        assert shop.sandbox.throttled == 0           # no real bucket overflow on top
    if platform_key.startswith("nhanh"):
        assert shop.sandbox.rejected_during_lock == []   # never a call that lengthens a lock
    assert disagreements(shop) == []


class LostAnswers:
    """A network that loses the answer of some writes AFTER the POS processed them: the
    hardest case for COM-02 (the create reached the POS; we never heard back)."""

    def __init__(self, sandbox, every: int) -> None:
        self.sandbox, self.every, self.writes = sandbox, every, 0

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            response = self.sandbox.handle(request)
            if request.method in ("POST", "PUT") and "token" not in request.url.path:
                self.writes += 1
                if self.writes % self.every == 0:
                    raise httpx.ReadTimeout("answer lost", request=request)
            return response
        return httpx.MockTransport(handle)


def _app_customers(shop: Shop, count: int) -> list[Customer]:
    return [shop.catalog.put(Entity.CUSTOMER, Customer(
        key="", name=f"Khách Ứng dụng {i}", phone=f"09{77000000 + i:08d}",
        email=f"app{i}@example.vn")) for i in range(count)]


def _digits(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("84") else digits


@pytest.mark.parametrize("platform_key", ("sapo", "kiotviet-fnb", "kiotviet-retail"))
def test_com02_customer_push_with_lost_answers_creates_each_customer_once(catalog,
                                                                          platform_key):
    shop = Shop(catalog, platform_key, seed=5, products=10)
    mine = _app_customers(shop, 12)
    lossy = LostAnswers(shop.sandbox, every=3)
    original = shop.connector
    shop.connector = lambda transport=None: original(transport or lossy.transport())
    results = run_until_done(lambda: shop.sync([Entity.CUSTOMER]), attempts=6)
    _assert_clear_failures(results)
    shop.connector = original
    assert run_until_done(lambda: shop.sync([Entity.CUSTOMER]), attempts=3)[-1].status == "done"
    assert lossy.writes >= 3
    # pushed App customers are now POS customers too: one link each, no extra App record
    assert disagreements(shop, only=(Entity.CUSTOMER,)) == []
    phones = [_digits(c.phone) for c in _pos_customers(shop)]
    for customer in mine:
        assert phones.count(_digits(customer.phone)) == 1, customer.phone


def _pos_customers(shop: Shop) -> list[Customer]:
    import asyncio

    async def go():
        connector = shop.connector()
        try:
            return [r async for page in connector.pull(Entity.CUSTOMER, None)
                    for r in page.records]
        finally:
            await connector.aclose()
    return asyncio.run(go())


def _app_products(shop: Shop, count: int) -> list[Product]:
    shop.sync([Entity.CATEGORY])
    category = next(iter(shop.catalog.iter_records(Entity.CATEGORY)))
    return [shop.catalog.put(Entity.PRODUCT, Product(
        key="", name=f"Bánh mì Ứng dụng {i}", category_keys=(category.key,),
        variants=(Variant(key="", sku=f"APP-{i:04d}", price=Decimal(15000 + i)),)))
        for i in range(count)]


WITHOUT_MALFORMED = tuple(f for f in ALL_FAULTS if f != Fault.MALFORMED)


@pytest.mark.parametrize("platform_key,seed,kinds,lost_every", [
    ("sapo", 101, ALL_FAULTS, None), ("sapo", 202, WITHOUT_MALFORMED, None),
    ("sapo", 101, (), 4), ("sapo", 202, ALL_FAULTS, 4),
    ("kiotviet-retail", 101, ALL_FAULTS, 4), ("kiotviet-retail", 202, ALL_FAULTS, 4)])
def test_com02_product_push_under_faults_and_lost_answers_creates_each_product_once(
        catalog, platform_key, seed, kinds, lost_every):
    shop = Shop(catalog, platform_key, seed=seed, products=10)
    mine = _app_products(shop, 10)
    if kinds:
        shop.sandbox.chaos(0.15, kinds, seed=seed)
    original = shop.connector
    if lost_every:
        lossy = LostAnswers(shop.sandbox, every=lost_every)
        shop.connector = lambda transport=None: original(transport or lossy.transport())
    results = run_until_done(lambda: shop.push_products(all_new=True), attempts=6)
    _assert_clear_failures(results)
    shop.connector = original
    shop.sandbox.chaos(0.0, ALL_FAULTS)
    assert run_until_done(lambda: shop.push_products(all_new=True), attempts=3)[-1].status == "done"
    pos = read_pos(shop, [Entity.PRODUCT])[Entity.PRODUCT]
    assert len(pos) == len(set(pos))
    skus = [v.sku for p in _pos_products(shop) for v in p.variants]
    for product in mine:
        assert skus.count(product.variants[0].sku) == 1, product.variants[0].sku


def _pos_products(shop: Shop) -> list[Product]:
    import asyncio

    async def go():
        connector = shop.connector()
        try:
            return [r async for page in connector.pull(Entity.PRODUCT, None)
                    for r in page.records]
        finally:
            await connector.aclose()
    return asyncio.run(go())
