"""Nhanh.vn end to end, API v3 and v2: the login service, the real engine and store, over the
in-process Nhanh sandbox on one fake clock.

One fashion and cosmetics shop; each test walks a shop owner's story from the seed (003, NH).
"""
from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from contract.records import Entity, Order, OrderLine, OrderStatus
from app.store import models as m
from app.store.profiles import create_profile
from app.sync.engine import SyncEngine
from app.sync.events import ItemResult, RunFinished
from contract.connector import ConnectionSettings
from connectors.nhanh import login
from connectors.nhanh.platform import NHANH_V2, NHANH_V3
from connectors.nhanh.sandbox import SANDBOX_APP_ID, SANDBOX_SECRET_KEY, nhanh_sandbox
from connectors.sandbox_base import Fault
from tests.connectors.nhanh.conftest import FakeClock

VERSIONS = pytest.mark.parametrize("version", ["3", "2"])


class Shop:
    """A shop on Nhanh logged in through the consent page, synced into the App catalog."""

    def __init__(self, catalog, version: str, **options) -> None:
        self.version = version
        self.platform = NHANH_V3 if version == "3" else NHANH_V2
        self.clock = FakeClock()
        self.sandbox = nhanh_sandbox(version=version, clock=self.clock)
        self.catalog = catalog
        self.events: list = []
        self.login_from_pasted_address()
        self.options = {**self.platform.option_defaults(), **options}
        self.profile = create_profile(f"Thời trang Mai v{version}", self.platform.key,
                                      fields={"app_id": SANDBOX_APP_ID,
                                              "business_id": self.result.business_id},
                                      options=self.options)

    def login_from_pasted_address(self) -> None:
        with httpx.Client(transport=self.sandbox.transport()) as browser:
            url = login.authorize_url(SANDBOX_APP_ID, login.DEFAULT_REDIRECT_URL, self.version)
            page = browser.get(url)
            href = page.text.split('id=approve href="')[1].split('"')[0].replace("&amp;", "&")
            redirected = browser.get(f"https://nhanh.vn{href}").headers["location"]
        pasted = f"  {redirected}#top  "       # as copied from a browser's address bar
        self.result = asyncio.run(login.exchange(
            pasted, SANDBOX_APP_ID, SANDBOX_SECRET_KEY, version=self.version,
            transport=self.sandbox.transport(), wall_clock=self.clock, sleep=self.clock.sleep))

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def sync(self, entities=None, **options) -> RunFinished:
        self.options.update(options)
        self.profile = dataclasses.replace(self.profile, options=dict(self.options))
        settings = ConnectionSettings(self.platform.key,
                                      {"app_id": SANDBOX_APP_ID,
                                       "business_id": self.result.business_id},
                                      self.options, self.platform.hosts)
        connector = self.platform.connect(
            settings, {"secret_key": SANDBOX_SECRET_KEY,
                       "access_token": self.result.access_token},
            self.sandbox.transport(), clock=self.clock, wall_clock=self.clock,
            sleep=self.clock.sleep)
        engine = SyncEngine(self.catalog, self.profile, connector, self.events.append,
                            clock=self.now, monotonic=self.clock)

        async def go():
            try:
                return await engine.run(entities)
            finally:
                await connector.aclose()
        finished = asyncio.run(go())
        self.clock.advance(600)
        return finished

    def items(self, **match) -> list[ItemResult]:
        return [e for e in self.events if isinstance(e, ItemResult)
                and all(getattr(e, k) == v for k, v in match.items())]

    def app_product(self, name: str):
        return next(p for p in self.catalog.iter_records(Entity.PRODUCT) if p.name == name)

    def app_order(self, status: OrderStatus) -> Order:
        shirt = self.app_product("Áo thun cotton")
        line = OrderLine(sku=shirt.variants[4].sku, name="Áo thun cotton Đen M",
                         quantity=Decimal(2), price=Decimal(159000), product_key=shirt.key)
        return self.catalog.put(Entity.ORDER, Order(
            key="", status=status, lines=(line,), customer_name="Nguyễn Thị Lan",
            customer_phone="0903123456", shipping_address="10 Nguyễn Huệ, Quận 1, TP. Hồ Chí Minh",
            created_at=self.now()))

    def pushed(self) -> list[dict]:
        return [o for o in self.sandbox.orders.values() if o.get("appOrderId")]


@VERSIONS
def test_nh05_nh06_nh08_first_sync_creates_branches_categories_products_customers(catalog,
                                                                                   version):
    shop = Shop(catalog, version)
    finished = shop.sync()
    assert finished.status == "done", finished
    assert catalog.count(Entity.BRANCH) == 3
    assert catalog.count(Entity.CATEGORY) == 8
    assert catalog.count(Entity.PRODUCT) == 10
    assert catalog.count(Entity.CUSTOMER) == 25
    shirt = shop.app_product("Áo thun cotton")
    assert len(shirt.variants) == 9 and shirt.variants[0].price == Decimal(159000)   # NH-03 on
    assert shirt.variants[0].stock
    assert not shop.items(outcome="failed")
    assert shop.pushed() == []                       # NH-02: order sync is off by default


@VERSIONS
def test_nh06_nh08_second_sync_after_pos_edits_changes_nothing(catalog, version):
    shop = Shop(catalog, version)
    shop.sync()
    shirt = shop.app_product("Áo thun cotton")
    before_products = {p.key: p for p in catalog.iter_records(Entity.PRODUCT)}
    before_customers = {c.key: c for c in catalog.iter_records(Entity.CUSTOMER)}
    shop.sandbox.edit_product(3000001, name="Áo thun cotton 100%")
    shop.sandbox.edit_product(3000002, price=175000)
    shop.sandbox.edit_customer(5000001, name="Tên Mới")
    shop.sync()
    assert {p.key: p for p in catalog.iter_records(Entity.PRODUCT)} == before_products
    assert {c.key: c for c in catalog.iter_records(Entity.CUSTOMER)} == before_customers
    assert shop.app_product("Áo thun cotton").key == shirt.key
    assert not shop.items(outcome="failed")


@VERSIONS
def test_nh09_keeping_stock_and_price_updated_takes_them_but_not_the_name(catalog, version):
    shop = Shop(catalog, version, keep_stock_price_updated=True)
    shop.sync()
    shop.sandbox.edit_product(3000002, price=175000, name="Tên mới trên Nhanh")
    lipstick = next(r for r in shop.sandbox.product_rows.values() if r["code"] == "SKL-HD")
    shop.sandbox.set_stock(lipstick["id"], 101, 77)   # stock moves leave updatedAt alone
    shop.sync([Entity.PRODUCT])
    shirt = shop.app_product("Áo thun cotton")
    assert shirt.variants[0].price == Decimal(175000)
    assert shirt.variants[0].options == ("Trắng", "S")
    son = shop.app_product("Son kem lì Hồng đất")
    branch_101 = m.Link.get(m.Link.entity == "branch", m.Link.pos_id == "101").app_id
    assert {s.branch_key: s.available for s in son.variants[0].stock}[branch_101] == 77
    assert not shop.items(outcome="failed")


@VERSIONS
def test_nh03_stock_and_price_switched_off_are_never_touched(catalog, version):
    shop = Shop(catalog, version, sync_stock_price=False)
    shop.sync()
    shirt = shop.app_product("Áo thun cotton")
    assert shirt.variants[0].price == Decimal(0) and shirt.variants[0].stock == ()


@VERSIONS
def test_nh02_nh04_orders_pushed_only_when_switched_on_and_only_new_ones(catalog, version):
    shop = Shop(catalog, version)
    shop.sync()
    placed = shop.app_order(OrderStatus.PLACED)
    shop.app_order(OrderStatus.COMPLETED)
    shop.sync([Entity.ORDER])
    assert shop.pushed() == []                       # NH-02 off: nothing
    shop.sync([Entity.ORDER], sync_orders=True)
    [pushed] = shop.pushed()
    assert pushed["appOrderId"] == placed.key and pushed["status"] == 54
    product = shop.sandbox.product_rows[pushed["products"][0]["productId"]]
    assert product["code"] == shop.app_product("Áo thun cotton").variants[4].sku
    # NH-04: packing is not sent, reconciled is (as Thành công 60)
    catalog.put(Entity.ORDER, dataclasses.replace(placed, status=OrderStatus.PACKED))
    shop.sync([Entity.ORDER])
    assert shop.pushed()[0]["status"] == 54
    catalog.put(Entity.ORDER, dataclasses.replace(placed, status=OrderStatus.RECONCILED))
    shop.sync([Entity.ORDER])
    assert shop.pushed()[0]["status"] == 60
    assert len(shop.pushed()) == 1


@VERSIONS
def test_nh04_cancel_in_the_app_cancels_the_new_nhanh_order(catalog, version):
    shop = Shop(catalog, version, sync_orders=True)
    shop.sync()
    order = shop.app_order(OrderStatus.PLACED)
    shop.sync([Entity.ORDER])
    catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus.CANCELLED))
    shop.sync([Entity.ORDER])
    assert shop.pushed()[0]["status"] == 63
    assert not shop.items(outcome="failed")


@VERSIONS
def test_com08_forced_err_429_is_waited_out_with_no_request_during_the_lock(catalog, version):
    shop = Shop(catalog, version)
    shop.sandbox.inject(Fault.THROTTLE)
    finished = shop.sync()
    assert finished.status == "done"
    assert catalog.count(Entity.BRANCH) == 3
    [(locked_at, key, unlocked_at)] = shop.sandbox.lock_events
    path = key.rsplit("|", 1)[1]
    later = [t for t, p in shop.sandbox.timeline if p == path and t > locked_at]
    assert later and min(later) >= unlocked_at
    assert shop.sandbox.rejected_during_lock == []


def test_nh13_the_login_token_is_what_the_sync_uses(catalog):
    shop = Shop(catalog, "3")
    assert shop.result.access_token in shop.sandbox.tokens
    assert shop.sync([Entity.BRANCH]).status == "done"
    used = {r.headers["authorization"] for r in shop.sandbox.requests
            if r.url.path.startswith("/v3.0/business")}
    assert used == {shop.result.access_token}
    assert m.Link.select().count() == 3


@pytest.fixture
def shopsync(home, store):
    from tests.cli.conftest import Runner
    return Runner(home, store)


@VERSIONS
def test_shopsync_cli_syncs_a_nhanh_shop_served_on_loopback(shopsync, version):
    """`shopsync` over real HTTP: the sandbox on 127.0.0.1, the token a login produced."""
    from connectors.sandbox_base import serve
    box = nhanh_sandbox(version=version)
    server = serve(box)
    try:
        code_value = box.mint_access_code()
        result = asyncio.run(login.exchange(code_value, SANDBOX_APP_ID, SANDBOX_SECRET_KEY,
                                            version=version, transport=box.transport()))
        url = f"http://127.0.0.1:{server.server_address[1]}"
        env = {"SHOPSYNC_SECRET_SECRET_KEY": SANDBOX_SECRET_KEY,
               "SHOPSYNC_SECRET_ACCESS_TOKEN": result.access_token}
        code, out, err = shopsync("profile", "add", "Mỹ phẩm Hoa", "--platform",
                                  f"nhanh-v{version}", "--set", f"app_id={SANDBOX_APP_ID}",
                                  "--set", f"business_id={result.business_id}",
                                  "--set", f"api_base={url}", env=env)
        assert code == 0, err
        code, out, err = shopsync("sync", "Mỹ phẩm Hoa")
        assert code == 0, err + out
        assert result.access_token not in out + err
        assert m.CatalogItem.select().where(m.CatalogItem.entity == "product").count() == 10
        assert m.CatalogItem.select().where(m.CatalogItem.entity == "customer").count() == 25
    finally:
        server.shutdown()


@VERSIONS
def test_issue23_a_pushed_orders_total_on_nhanh_equals_the_apps(catalog, version):
    from connectors.nhanh.sandbox import order_total
    shop = Shop(catalog, version, sync_orders=True)
    shop.sync()
    order = shop.app_order(OrderStatus.PLACED)
    catalog.put(Entity.ORDER, dataclasses.replace(order, total=Decimal(298000)))  # 20.000 off
    shop.sync([Entity.ORDER])
    [pushed] = shop.pushed()
    assert Decimal(order_total(pushed)) == Decimal(298000)
    assert not shop.items(outcome="failed")


@VERSIONS
def test_com02_an_order_push_whose_answer_is_lost_makes_one_nhanh_order(catalog, version):
    from connectors.nhanh.sandbox import LOST_TIMEOUT
    shop = Shop(catalog, version, sync_orders=True)
    shop.sync()
    order = shop.app_order(OrderStatus.PLACED)
    shop.sandbox.lose_next_answer("order/add", LOST_TIMEOUT)   # saved, answer never arrives
    finished = shop.sync([Entity.ORDER])
    assert finished.status == "done" and not shop.sandbox.lost_answers["order/add"]
    [pushed] = shop.pushed()
    assert pushed["appOrderId"] == order.key
    assert not shop.items(outcome="failed")
    assert [e for e in shop.items(action="create", outcome="ok", app_id=order.key)
            if e.pos_id == str(pushed["id"])]


@VERSIONS
def test_issue23_nh04_an_order_pushed_before_the_upgrade_is_cancelled_after_it_quietly(
        catalog, version, monkeypatch):
    """Nhanh orders are never pulled into the App (NH-04: App → Nhanh only); what a link
    keeps of Nhanh's reading is the order read back after a push. An order pushed, with a
    discount, by the version before issue 23 (lines read at their net price, discounts in the
    note), then cancelled in the App after the upgrade: the cancel reaches Nhanh with no
    conflict and no update row, and the App order keeps its total."""
    from connectors.nhanh import mapping
    from contract.records import evolve

    today = mapping.order

    def before_issue23(item):
        order = today(item)
        return evolve(order, discount=Decimal(0), fees=Decimal(0), lines=tuple(
            evolve(line, price=(line.price * line.quantity - line.discount) / line.quantity,
                   note="Giá cũ", discount=Decimal(0)) for line in order.lines))

    shop = Shop(catalog, version, sync_orders=True)
    shop.sync()
    order = shop.app_order(OrderStatus.PLACED)
    order = catalog.put(Entity.ORDER, dataclasses.replace(order, total=Decimal(298000)))
    monkeypatch.setattr(mapping, "order", before_issue23)
    shop.sync([Entity.ORDER])
    monkeypatch.setattr(mapping, "order", today)
    shop.events.clear()
    catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus.CANCELLED))
    assert shop.sync([Entity.ORDER]).status == "done"
    assert shop.pushed()[0]["status"] == 63
    assert not shop.items(entity="order", action="conflict")
    assert not shop.items(entity="order", action="update")
    assert catalog.get(Entity.ORDER, order.key).total == Decimal(298000)
