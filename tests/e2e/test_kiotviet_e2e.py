"""KiotViet FnB end to end: the real engine and store over the in-process KiotViet sandbox.

One café, one profile; each test walks a shop owner's story from the seed (001, KVF) through
`SyncEngine`, checking both the App catalog and what KiotViet received.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from contract.records import Entity, Order, OrderLine, OrderStatus
from app.store import models as m
from app.store.profiles import create_profile
from app.sync.engine import SyncEngine
from app.sync.events import ItemResult, RunFinished
from connectors.kiotviet.platform import KIOTVIET_FNB
from connectors.kiotviet.sandbox import kiotviet_sandbox
from tests.connectors.kiotviet.conftest import FakeClock, build_connector
from tests.e2e.order_edits import sync_an_app_edit

KVF04 = (OrderStatus.PLACED, OrderStatus.APPROVED, OrderStatus.PACKED,
         OrderStatus.SHIPPED_OUT, OrderStatus.COMPLETED)


class Cafe:
    """A café on KiotViet FnB synced into the App catalog, on one fake clock."""

    def __init__(self, catalog, *, expire_tokens_after: int | None = None,
                 uses_delivery: bool = True) -> None:
        self.uses_delivery = uses_delivery      # the café delivers through KiotViet
        self.clock = FakeClock()
        self.sandbox = kiotviet_sandbox(kind="fnb", clock=self.clock)
        self.catalog = catalog
        self.profile = create_profile("Cà phê Mộc", KIOTVIET_FNB.key,
                                      fields=dict(KIOTVIET_FNB.sandbox_settings))
        self.events: list = []
        self.expire_after = expire_tokens_after

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def transport(self) -> httpx.MockTransport:
        sent = 0

        def handle(request: httpx.Request) -> httpx.Response:
            nonlocal sent
            sent += 1
            if self.expire_after is not None and sent == self.expire_after:
                self.sandbox.expire_tokens()      # the token dies in the middle of the run
            return self.sandbox.handle(request)
        return httpx.MockTransport(handle)

    def sync(self, entities=None) -> RunFinished:
        connector = build_connector("fnb", self.transport(), clock=self.clock, now=self.now,
                                    options={"uses_delivery": self.uses_delivery})
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

    def app_order(self, status: OrderStatus, note: str = "Ít đá", delivery_at=None) -> Order:
        coffee = self.app_product("Cà phê sữa đá")
        line = OrderLine(sku=coffee.variants[1].sku, name="Cà phê sữa đá L",
                         quantity=Decimal(2), price=Decimal(35000), product_key=coffee.key)
        return self.catalog.put(Entity.ORDER, Order(
            key="", status=status, lines=(line,), customer_name="Nguyễn Thị Lan",
            customer_phone="0903123456", shipping_address="10 Nguyễn Huệ, Quận 1", note=note,
            delivery_at=delivery_at, created_at=self.now()))


@pytest.fixture
def cafe(catalog):
    return Cafe(catalog)


def test_first_sync_brings_the_cafe_into_the_app(cafe):
    finished = cafe.sync()
    assert finished.status == "done"
    assert cafe.catalog.count(Entity.BRANCH) == 2
    assert cafe.catalog.count(Entity.CATEGORY) == 5
    assert cafe.catalog.count(Entity.CUSTOMER) == 4
    coffee = cafe.app_product("Cà phê sữa đá")
    assert [v.options for v in coffee.variants] == [("M",), ("L",)] and coffee.visible  # KVF-03
    # KVF-08: of the four invoices (status 1, 2, 3, 5) only the completed one is an App order
    orders = list(cafe.catalog.iter_records(Entity.ORDER))
    assert len(orders) == 2 and {o.status for o in orders} == {OrderStatus.COMPLETED}
    # Issue 23/1: the discounted sale arrives with its discounts and KiotViet's exact total.
    [sale] = [o for o in orders if o.discount]
    assert (sale.discount, sale.fees) == (Decimal(5000), Decimal(10000))
    assert sum(l.price * l.quantity - l.discount for l in sale.lines) - sale.discount \
        + sale.fees == sale.total
    assert not cafe.items(outcome="failed")


def test_kvf04_only_orders_in_the_five_statuses_are_pushed_with_kvf06_note_and_kvf07_time(cafe):
    cafe.sync()
    later = cafe.now() + timedelta(hours=3)
    pushed = {status: cafe.app_order(status, delivery_at=later if status is
                                     OrderStatus.PLACED else None) for status in KVF04}
    held = [cafe.app_order(status) for status in (OrderStatus.CANCELLED,
                                                  OrderStatus.ARCHIVED,
                                                  OrderStatus.RECONCILED)]
    push_moment = cafe.now()
    cafe.sync([Entity.ORDER])
    kiotviet = list(cafe.sandbox.tables["orders"].values())
    assert len(kiotviet) == 5
    assert {o["description"] for o in kiotviet} == {f"ShopSync #{o.key}" for o in
                                                    pushed.values()}
    assert all(o["orderDetails"][0]["note"] == f"Ít đá · {o['description']}"     # KVF-06
               for o in kiotviet)
    by_app = {o["description"].split("#")[1]: o for o in kiotviet}
    placed = by_app[pushed[OrderStatus.PLACED].key]["orderDelivery"]["expectedDelivery"]
    approved = by_app[pushed[OrderStatus.APPROVED].key]["orderDelivery"]["expectedDelivery"]
    vn = timezone(timedelta(hours=7))
    assert placed == later.astimezone(vn).strftime("%Y-%m-%dT%H:%M:%S")             # KVF-07
    assert approved == (push_moment + timedelta(hours=1)).astimezone(vn).strftime(
        "%Y-%m-%dT%H:%M:%S")
    skipped = {i.app_id: i.rule for i in cafe.items(entity="order", action="skip")}
    assert all(skipped.get(o.key) == "KVF-04" for o in held)
    assert all(m.Link.get_or_none(m.Link.app_id == o.key) is None for o in held)


def test_kvf05_cancel_after_push_becomes_a_do_it_yourself_item(cafe):
    cafe.sync()
    order = cafe.app_order(OrderStatus.APPROVED)
    cafe.sync([Entity.ORDER])
    cafe.catalog.put(Entity.ORDER, Order(**{**order.__dict__, "status": OrderStatus.CANCELLED}))
    cafe.sync([Entity.ORDER])
    [manual] = cafe.items(app_id=order.key, action="manual")
    assert manual.rule == "KVF-05" and manual.outcome == "skipped"
    assert [o["status"] for o in cafe.sandbox.tables["orders"].values()] == [1]


def test_kvf10_invoice_of_a_pushed_order_completes_that_app_order(cafe):
    cafe.sync()
    order = cafe.app_order(OrderStatus.PLACED)
    cafe.sync([Entity.ORDER])
    code = next(iter(cafe.sandbox.tables["orders"].values()))["code"]
    cafe.sandbox.complete_order(code)
    before = cafe.catalog.count(Entity.ORDER)
    cafe.sync([Entity.ORDER])
    assert cafe.catalog.count(Entity.ORDER) == before
    assert cafe.catalog.get(Entity.ORDER, order.key).status is OrderStatus.COMPLETED


def test_kvf10_app_edit_of_a_pushed_order_is_a_conflict_holding_the_kiotviet_order(cafe):
    """KVF-10: an App order pushed two runs ago, then edited in the App, is a conflict (not
    a create-only skip) whose POS side is the KiotViet order, found by the App order id it
    carries in one read of recent orders; nothing is sent to KiotViet."""
    cafe.sync()
    order = cafe.app_order(OrderStatus.PLACED)
    assert cafe.sync([Entity.ORDER]).status == "done"
    assert cafe.sync([Entity.ORDER]).status == "done"        # a run with nothing to do
    [kiotviet_order] = cafe.sandbox.tables["orders"].values()
    requests, row, conflict = sync_an_app_edit(cafe, order.key, shipping_address="5 Lê Duẩn")
    assert (row.action, row.outcome, row.rule) == ("conflict", "skipped", "KVF-10")
    assert (conflict.rule, conflict.pos_id) == ("KVF-10", kiotviet_order["code"])
    pos = json.loads(conflict.pos_data)
    assert (pos["key"], pos["shipping_address"]) == (kiotviet_order["code"],
                                                     "10 Nguyễn Huệ, Quận 1")
    assert json.loads(conflict.app_data)["shipping_address"] == "5 Lê Duẩn"
    assert sum(1 for r in requests if r.url.path.startswith("/orders")) == 1
    assert not [r for r in requests if r.method != "GET" and "token" not in r.url.path]
    assert len(cafe.sandbox.tables["orders"]) == 1


def test_kvf08_completed_invoice_arrives_and_unfinished_one_does_not(cafe):
    cafe.sync()
    first = next(iter(cafe.sandbox.tables["products"]))
    done = cafe.sandbox.add_invoice(status=1, lines=[(first, 1)])
    cafe.sandbox.add_invoice(status=3, lines=[(first, 4)])
    before = cafe.catalog.count(Entity.ORDER)
    cafe.sync([Entity.ORDER])
    numbers = {o.number for o in cafe.catalog.iter_records(Entity.ORDER)}
    assert cafe.catalog.count(Entity.ORDER) == before + 1 and done["code"] in numbers


def test_kvf12_product_deleted_in_kiotviet_is_flagged_not_deleted_com01(cafe):
    cafe.sync()
    tea = cafe.app_product("Trà vải")
    link = m.Link.get(m.Link.app_id == tea.key)
    cafe.sandbox.delete("products", int(link.pos_id))
    cafe.sync([Entity.PRODUCT])
    [flag] = cafe.items(action="deleted_on_pos")
    assert flag.app_id == tea.key and flag.rule == "COM-01"
    assert cafe.catalog.get(Entity.PRODUCT, tea.key) is not None


def test_token_expiring_mid_run_costs_no_failed_item(catalog):
    cafe = Cafe(catalog, expire_tokens_after=4)
    finished = cafe.sync()
    assert finished.status == "done" and not cafe.items(outcome="failed")
    assert len(cafe.sandbox.token_requests) == 2
    assert cafe.catalog.count(Entity.CUSTOMER) == 4


def test_store_setting_switched_off_stops_the_run_with_kiotviets_words(cafe):
    cafe.sync()
    cafe.app_order(OrderStatus.PLACED)
    cafe.sandbox.set_setting("Cho phép đặt hàng", False)
    finished = cafe.sync([Entity.ORDER])
    assert finished.status == "failed"
    assert 'Thiết lập "Cho phép đặt hàng" đang không được bật' in finished.message_vi
    cafe.sandbox.set_setting("Cho phép đặt hàng", True)
    assert cafe.sync([Entity.ORDER]).status == "done"
    assert len(cafe.sandbox.tables["orders"]) == 1


def test_b01_sample_shop_profile_connects_to_the_sandbox(catalog):
    from app.sync.connect import open_connector
    profile = create_profile("Quán mẫu", KIOTVIET_FNB.key, options={"sandbox": True})
    connector = open_connector(profile, None)

    async def go():
        try:
            return await connector.test_connection()
        finally:
            await connector.aclose()
    info = asyncio.run(go())
    assert info.shop_name == "caphemoc" and len(info.branches) == 2


# -- the same café through the `shopsync` command line, over real HTTP on 127.0.0.1 ----------

@pytest.fixture
def served_cafe():
    from connectors.sandbox_base import serve
    box = kiotviet_sandbox(kind="fnb", seed=1)
    server = serve(box)
    box.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield box
    server.shutdown()


@pytest.fixture
def shopsync(home, store):
    from tests.cli.conftest import Runner
    return Runner(home, store)


def test_cli_first_sync_and_order_push_against_the_served_sandbox(shopsync, served_cafe,
                                                                 catalog):
    import json
    secret = KIOTVIET_FNB.sandbox_secrets["client_secret"]
    settings = KIOTVIET_FNB.sandbox_settings
    code, out, err = shopsync(
        "profile", "add", "Cà phê Mộc", "--platform", "kiotviet-fnb",
        "--set", f"retailer={settings['retailer']}", "--set", f"client_id={settings['client_id']}",
        "--set", "branch=1", "--set", f"api_base={served_cafe.url}",
        "--set", f"token_url={served_cafe.url}/connect/token",
        env={"SHOPSYNC_SECRET_CLIENT_SECRET": secret})
    assert code == 0, err
    code, out, err = shopsync("--lang", "en", "test", "Cà phê Mộc")
    assert code == 0, err
    assert "Chi nhánh trung tâm" in out and "KVF-09" in out

    def sync(*extra):
        code, out, err = shopsync("sync", "Cà phê Mộc", "--json", *extra)
        assert code == 0, err + out
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert lines[-1]["status"] == "done"
        assert not [line for line in lines if line.get("outcome") == "failed"]
        return lines
    sync()
    coffee = next(p for p in catalog.iter_records(Entity.PRODUCT) if p.name == "Cà phê sữa đá")
    order = catalog.put(Entity.ORDER, Order(
        key="", status=OrderStatus.PLACED, note="Mang đi", customer_phone="0903123456",
        lines=(OrderLine(sku=coffee.variants[0].sku, name="Cà phê sữa đá M",
                         quantity=Decimal(1), price=Decimal(29000), product_key=coffee.key),)))
    lines = sync("--entity", "order")
    [created] = [line for line in lines if line.get("app_id") == order.key]
    assert (created["action"], created["outcome"]) == ("create", "ok")
    [pushed] = served_cafe.tables["orders"].values()
    assert pushed["orderDetails"][0]["note"].startswith("Mang đi")
    assert pushed["code"] == created["pos_id"]
    transcript = "".join(shopsync.transcript)
    assert secret not in transcript and "kvtoken-" not in transcript           # COM-07
    # Issue 19/13: `profile add` checks the branch with a token of its own (KVF-14); `test`
    # keeps its token in the keyring and every later command reuses it.
    assert served_cafe.count("POST", "/connect/token") == 2


def test_kvf14_profile_add_refuses_a_branch_that_is_not_the_shops(shopsync, served_cafe):
    """Issue 19/11: `profile add … --set branch=74531` against a shop whose branches are 1 and
    2 is refused with exit 2 and the shop's list, and nothing is saved."""
    secret = KIOTVIET_FNB.sandbox_secrets["client_secret"]
    settings = KIOTVIET_FNB.sandbox_settings
    args = ["profile", "add", "Cà phê Mộc", "--platform", "kiotviet-fnb",
            "--set", f"retailer={settings['retailer']}",
            "--set", f"client_id={settings['client_id']}", "--set", "branch=74531",
            "--set", f"api_base={served_cafe.url}",
            "--set", f"token_url={served_cafe.url}/connect/token"]
    for lang, words in (("vi", "không thuộc cửa hàng"), ("en", "not one of")):
        code, out, err = shopsync("--lang", lang, *args,
                                  env={"SHOPSYNC_SECRET_CLIENT_SECRET": secret})
        assert code == 2, (out, err)
        assert words in err and "1 – Chi nhánh trung tâm" in err and "74531" in err
        assert "Traceback" not in err and secret not in out + err
    code, out, err = shopsync("profile", "list")
    assert "Cà phê Mộc" not in out
    args[args.index("branch=74531")] = "branch=2"
    code, out, err = shopsync(*args, env={"SHOPSYNC_SECRET_CLIENT_SECRET": secret})
    assert code == 0, err
