"""Sapo Web / Omni end to end: the real engine and store over the in-process Sapo sandbox.

One shop, one profile, one fake clock shared by the connector's bucket and the sandbox's;
each test walks a story of the seed (000, SAPO) through `SyncEngine`.
"""
from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from contract.records import Entity, Order, OrderLine, OrderStatus, Product, StockLevel, Variant
from app.store import models as m
from app.store.profiles import create_profile
from app.sync.steps import DELETION_SCAN_EVERY
from app.sync.engine import SyncEngine
from app.sync.events import ItemResult, RunFinished
from connectors.sapo.platform import SAPO, SANDBOX_KEY, SANDBOX_SECRET
from connectors.sapo.sandbox import sapo_sandbox
from tests.connectors.sapo.conftest import BASE, FakeClock, build_connector
from tests.e2e.order_edits import sync_an_app_edit


class Shop:
    """A Sapo shop synced into the App catalog."""

    def __init__(self, catalog, products: int = 40) -> None:
        self.clock = FakeClock()
        self.sandbox = sapo_sandbox(seed=11, products=products, clock=self.clock)
        self.catalog = catalog
        self.profile = create_profile("Cửa hàng Sapo", SAPO.key, fields=dict(SAPO.sandbox_settings))
        self.events: list = []

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def _engine(self, transport=None):
        connector = build_connector(transport or self.sandbox.transport(), clock=self.clock)
        return connector, SyncEngine(self.catalog, self.profile, connector, self.events.append,
                                     clock=self.now, monotonic=self.clock)

    def _drive(self, action, transport=None) -> RunFinished:
        connector, engine = self._engine(transport)

        async def go():
            try:
                return await action(engine)
            finally:
                await connector.aclose()
        finished = asyncio.run(go())
        self.clock.advance(600)
        return finished

    def sync(self, entities=None, transport=None) -> RunFinished:
        """One run; `transport` replaces the sandbox's own (a network that fails)."""
        return self._drive(lambda engine: engine.run(entities), transport)

    def push_products(self, app_ids) -> RunFinished:
        return self._drive(lambda engine: engine.push_products(app_ids))

    def items(self, **match) -> list[ItemResult]:
        return [e for e in self.events if isinstance(e, ItemResult)
                and all(getattr(e, k) == v for k, v in match.items())]

    def app_id(self, entity: Entity, pos_id: object) -> str:
        return m.Link.get((m.Link.entity == entity.value) & (m.Link.pos_id == str(pos_id))).app_id

    def pos_id(self, entity: Entity, app_id: str) -> str:
        return m.Link.get((m.Link.entity == entity.value) & (m.Link.app_id == app_id)).pos_id


@pytest.fixture
def shop(catalog):
    return Shop(catalog)


def test_first_sync_of_an_empty_app_pulls_everything(shop):
    finished = shop.sync()
    assert finished.status == "done", finished
    assert not shop.items(outcome="failed")
    assert shop.catalog.count(Entity.BRANCH) == 2
    assert shop.catalog.count(Entity.CATEGORY) == 8                                  # SAPO-02
    assert shop.catalog.count(Entity.PRODUCT) == 40                                  # SAPO-03
    assert shop.catalog.count(Entity.CUSTOMER) == 60                                 # SAPO-05
    assert shop.catalog.count(Entity.ORDER) == len(shop.sandbox.orders)              # SAPO-04
    assert shop.catalog.count(Entity.NEWS) == 8                                      # SAPO-06
    orders = list(shop.catalog.iter_records(Entity.ORDER))
    assert {o.status for o in orders} >= {OrderStatus.ARCHIVED, OrderStatus.CANCELLED}   # SAPO-10
    product = next(p for p in shop.catalog.iter_records(Entity.PRODUCT) if p.variants[0].stock)
    # categories arrive as App ids of the pulled collections, not as Sapo ids
    assert len(product.category_keys) == 1
    assert shop.catalog.get(Entity.CATEGORY, product.category_keys[0]) is not None
    assert shop.sandbox.throttled == 0


def test_second_sync_reads_only_what_changed(shop):
    shop.sync()
    shop.sandbox.edit_product(100_005, name="Cà phê muối đặc biệt")
    sent = len(shop.sandbox.requests)
    assert shop.sync().status == "done"
    lists = [r for r in shop.sandbox.requests[sent:] if r.method == "GET"
             and r.url.path in ("/admin/products.json", "/admin/customers.json",
                                "/admin/custom_collections.json", "/admin/orders.json")]
    # every list read is "changed since"; the id scan for deletions (SAPO-07) is not due yet
    assert all("modified_on_min" in r.url.params for r in lists), [str(r.url) for r in lists]
    assert all(r.url.params["modified_on_min"].endswith("Z") for r in lists
               if "modified_on_min" in r.url.params)
    updated = shop.items(direction="pos_to_app", entity="product", action="update")
    assert [i.pos_id for i in updated] == ["100005"]
    assert shop.catalog.get(Entity.PRODUCT, shop.app_id(Entity.PRODUCT, 100_005)).name == \
        "Cà phê muối đặc biệt"


def test_sapo03_app_products_are_pushed_and_sapo08_blocks_the_one_without_a_category(shop):
    shop.sync()
    tea = next(c for c in shop.catalog.iter_records(Entity.CATEGORY) if c.name == "Trà")
    branch = next(iter(shop.catalog.iter_records(Entity.BRANCH)))
    good = shop.catalog.put(Entity.PRODUCT, Product(
        "", "Trà mãng cầu", category_keys=(tea.key,), option_names=("Kích cỡ",),
        variants=(Variant("", sku="TMC-M", price=Decimal(39000), options=("M",),
                          stock=(StockLevel(branch.key, Decimal(20)),)),)))
    bad = shop.catalog.put(Entity.PRODUCT, Product(
        "", "Bánh pía sầu riêng", variants=(Variant("", sku="BP-1", price=Decimal(25000)),)))
    before = shop.sandbox.count("POST", "/admin/products.json")
    finished = shop.push_products([good.key, bad.key])
    assert finished.status == "done"
    assert shop.sandbox.count("POST", "/admin/products.json") == before + 1
    [blocked] = shop.items(app_id=bad.key, action="blocked")
    assert blocked.rule == "SAPO-08"
    created = shop.sandbox.product(int(shop.pos_id(Entity.PRODUCT, good.key)))
    assert created["name"] == "Trà mãng cầu" and created["variants"][0]["sku"] == "TMC-M"
    assert any(c[1] == created["id"] and c[2] == int(shop.pos_id(Entity.CATEGORY, tea.key))
               for c in shop.sandbox.collects)


def _made_at_the_sapo_counter(shop, sku: str) -> int:
    """A product created in Sapo itself, never seen by ShopSync."""
    with httpx.Client(transport=shop.sandbox.transport(), base_url=BASE,
                      auth=(SANDBOX_KEY, SANDBOX_SECRET)) as client:
        answer = client.post("/admin/products.json", json={"product": {
            "name": "Bánh mì que", "variants": [{"sku": sku, "price": 15000}]}})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["product"]["id"]


def _six_new_teas_and_a_counter_twin(shop, name: str, prefix: str, twin_sku: str):
    """After a first sync: six new App teas, and an App product whose SKU the counter has
    just made on Sapo (COM-02 must link it, not copy it). Returns (new, twin, Sapo id)."""
    shop.sync()
    tea = next(c for c in shop.catalog.iter_records(Entity.CATEGORY) if c.name == "Trà")
    counter_id = _made_at_the_sapo_counter(shop, twin_sku)
    new = [shop.catalog.put(Entity.PRODUCT, Product(
        "", f"{name} {i}", category_keys=(tea.key,),
        variants=(Variant("", sku=f"{prefix}-{i}", price=Decimal(35000)),))) for i in range(6)]
    twin = shop.catalog.put(Entity.PRODUCT, Product(
        "", "Bánh mì que", category_keys=(tea.key,),
        variants=(Variant("", sku=twin_sku, price=Decimal(15000)),)))
    return new, twin, counter_id


def test_com02_a_batch_of_new_app_products_is_matched_from_one_read_of_the_sapo_list(shop):
    """Searching Sapo once per new product would cost 7 calls; its list is 1 page here."""
    new, twin, counter_id = _six_new_teas_and_a_counter_twin(shop, "Trà trái cây", "TTC",
                                                              "BMQ-1")
    sent = len(shop.sandbox.requests)
    posts = shop.sandbox.count("POST", "/admin/products.json")
    assert shop.push_products([p.key for p in new] + [twin.key]).status == "done"
    searches = [r for r in shop.sandbox.requests[sent:] if r.method == "GET"
                and r.url.path == "/admin/products.json" and "query" in r.url.params]
    assert searches == []
    assert shop.sandbox.count("POST", "/admin/products.json") == posts + 6
    assert shop.pos_id(Entity.PRODUCT, twin.key) == str(counter_id)    # linked, not copied
    assert [i.rule for i in shop.items(app_id=twin.key)] == ["COM-02"]


def test_com02_a_small_shop_answers_the_look_ups_from_its_first_list_page_without_a_count(shop):
    """40 products fit one page of 250: that page is the whole list, so no count is asked."""
    new, twin, counter_id = _six_new_teas_and_a_counter_twin(shop, "Trà hoa", "THO", "BMQ-2")
    sent = len(shop.sandbox.requests)
    assert shop.push_products([p.key for p in new] + [twin.key]).status == "done"
    reads = [r for r in shop.sandbox.requests[sent:] if r.method == "GET"
             and r.url.path.startswith("/admin/products")]
    assert [(r.url.path, r.url.params.get("page")) for r in reads] == [
        ("/admin/products.json", "1")]
    assert shop.pos_id(Entity.PRODUCT, twin.key) == str(counter_id)    # still linked, not copied


def test_com02_a_first_order_pull_answers_the_duplicate_checks_of_the_same_run(shop):
    """The first run reads every Sapo order anyway: ShopSync's own orders among them answer
    the look-ups before pushing, with no read of their own. One made by ShopSync whose answer
    was lost (it is on Sapo, not linked) is linked by the pull to the App order it was made
    from: created neither twice on Sapo nor a second time in the App."""
    for entity in (Entity.BRANCH, Entity.CATEGORY, Entity.PRODUCT, Entity.CUSTOMER):
        assert shop.sync([entity]).status == "done"
    orders = [shop.catalog.put(Entity.ORDER, Order(
        "", status=OrderStatus.PLACED, customer_name="Lê Thị Mai",
        customer_phone=f"09880001{i:02d}", created_at=shop.now(),
        lines=(OrderLine("SP000005", "Quà tặng", Decimal(1), Decimal(10000)),)))
        for i in range(3)]
    # The answer to this POST is lost: Sapo holds ShopSync's order, the App has no link.
    from connectors.sapo import mapping
    body = mapping.order_to_sapo(orders[0], inventory_behaviour="bypass")
    made = httpx.Client(transport=shop.sandbox.transport(), base_url=BASE,
                        auth=(SANDBOX_KEY, SANDBOX_SECRET)).post(
        "/admin/orders.json", json={"order": body}).json()["order"]
    sent = len(shop.sandbox.requests)
    assert shop.sync([Entity.ORDER]).status == "done"
    requests = shop.sandbox.requests[sent:]
    assert not [r for r in requests if r.url.params.get("tag", "").startswith("shopsync")]
    assert sum(1 for r in requests if r.method == "POST"
               and r.url.path == "/admin/orders.json") == 2
    assert shop.pos_id(Entity.ORDER, orders[0].key) == str(made["id"])
    assert m.Link.select().where((m.Link.entity == "order")
                                 & (m.Link.pos_id == str(made["id"]))).count() == 1
    # One App order per Sapo order: the lost-answer order was not pulled in as a new one.
    assert shop.catalog.count(Entity.ORDER) == len(shop.sandbox.orders)
    assert not [o for o in shop.catalog.iter_records(Entity.ORDER)
                if o.customer_phone == orders[0].customer_phone and o.key != orders[0].key]
    [pulled] = shop.items(direction="pos_to_app", pos_id=str(made["id"]))
    assert (pulled.app_id, pulled.rule) == (orders[0].key, "COM-02")
    assert shop.catalog.get(Entity.ORDER, orders[0].key).number == made["name"]


def _network_down_after_the_order_post(sandbox) -> httpx.MockTransport:
    """The order POST reaches Sapo, its answer is lost and the network stays down: the
    connector's look-up after the lost answer cannot run either."""
    down: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if down:
            raise httpx.ConnectError("network down", request=request)
        answer = sandbox.handle(request)
        if request.method == "POST" and request.url.path == "/admin/orders.json":
            down.append(request)
            raise httpx.ReadTimeout("answer lost", request=request)
        return answer
    return httpx.MockTransport(handle)


def test_com02_com09_a_lost_answer_order_is_linked_by_the_next_pull_with_no_look_up(shop):
    """A run creates an App order on Sapo and loses the answer (its write intent stays).
    The next run's order pull reads that Sapo order and links it to the App order it names;
    the push then has nothing to create or look up: one order on each side, linked."""
    assert shop.sync().status == "done"
    order = shop.catalog.put(Entity.ORDER, Order(
        "", status=OrderStatus.PLACED, customer_name="Phan Thị Hoa", customer_phone="0988000777",
        created_at=shop.now(), lines=(OrderLine("SP000005", "Quà tặng", Decimal(1),
                                                Decimal(10000)),)))
    app_orders = shop.catalog.count(Entity.ORDER)
    sapo_orders = len(shop.sandbox.orders)
    assert shop.sync([Entity.ORDER], transport=_network_down_after_the_order_post(
        shop.sandbox)).status == "interrupted"
    [made] = [o for o in shop.sandbox.orders.values()
              if {"name": "app_order_id", "value": order.key} in o["note_attributes"]]
    assert m.WriteIntent.select().where(m.WriteIntent.app_id == order.key).count() == 1
    sent = len(shop.sandbox.requests)
    assert shop.sync([Entity.ORDER]).status == "done"
    requests = shop.sandbox.requests[sent:]
    assert not [r for r in requests if r.url.params.get("tag", "").startswith("shopsync")]
    assert not [r for r in requests if r.method != "GET"]
    assert len(shop.sandbox.orders) == sapo_orders + 1
    assert shop.catalog.count(Entity.ORDER) == app_orders
    assert shop.pos_id(Entity.ORDER, order.key) == str(made["id"])
    assert m.WriteIntent.select().where(m.WriteIntent.app_id == order.key).count() == 0
    [pulled] = shop.items(direction="pos_to_app", pos_id=str(made["id"]))
    assert (pulled.app_id, pulled.rule) == (order.key, "COM-02")
    assert shop.sync([Entity.ORDER]).status == "done"             # and it stays that way
    assert len(shop.sandbox.orders) == sapo_orders + 1
    assert shop.catalog.count(Entity.ORDER) == app_orders


def test_com09_orders_of_a_later_run_are_checked_against_its_own_pull_and_one_sku_search(shop):
    """Five new App orders on a later run: the run's order pull, which reads every order
    ShopSync made since the last pull, answers every duplicate check (no read of ShopSync's
    orders of its own), and the line's SKU is searched once for the batch, not per order."""
    shop.sync()
    for i in range(5):
        shop.catalog.put(Entity.ORDER, Order(
            "", status=OrderStatus.PLACED, customer_name="Võ Thị Yến",
            customer_phone=f"09770001{i:02d}", created_at=shop.now(),
            lines=(OrderLine("SP000005", "Quà tặng", Decimal(1), Decimal(10000)),)))
    sent = len(shop.sandbox.requests)
    assert shop.sync([Entity.ORDER]).status == "done"
    made = shop.sandbox.requests[sent:]
    assert not [r for r in made if r.url.params.get("tag", "").startswith("shopsync")]
    # The line's SKU (no product link) is found in one read of the product list for the whole
    # batch: Sapo's `query` matches names, not SKUs, so it is never searched for.
    assert not [r for r in made if "query" in r.url.params]
    assert len([r for r in made if r.url.path == "/admin/products.json"
                and r.url.params.get("page") == "1" and "ids" not in r.url.params]) == 1
    assert sum(1 for r in made if r.method == "POST" and r.url.path == "/admin/orders.json") == 5
    assert shop.sync([Entity.ORDER]).status == "done"          # a second run creates nothing
    assert len(shop.items(entity="order", direction="app_to_pos", action="create")) == 5


def test_sapo04_sapo10_app_order_is_pushed_then_archived_when_closed_in_sapo(shop):
    shop.sync()
    product = shop.catalog.get(Entity.PRODUCT, shop.app_id(Entity.PRODUCT, 100_002))
    order = shop.catalog.put(Entity.ORDER, Order(
        "", status=OrderStatus.PLACED, customer_name="Võ Thị Yến", customer_phone="0977000111",
        lines=(OrderLine(product.variants[0].sku, product.name, Decimal(1), product.variants[0].price,
                         product_key=product.key),), note="Gọi trước khi giao",
        created_at=shop.now()))
    assert shop.sync([Entity.ORDER]).status == "done"
    pos_id = int(shop.pos_id(Entity.ORDER, order.key))
    sapo_order = shop.sandbox.orders[pos_id]
    assert "source_name" not in shop.sandbox.body(next(
        r for r in shop.sandbox.requests if r.method == "POST" and r.url.path == "/admin/orders.json"))["order"]
    line = sapo_order["line_items"][0]
    assert (line["variant_id"], line["sku"]) == (int(product.variants[0].key), product.variants[0].sku)
    assert {"name": "app_order_id", "value": order.key} in sapo_order["note_attributes"]
    shop.sandbox.close_order(pos_id)
    shop.clock.advance(5)
    assert shop.sync([Entity.ORDER]).status == "done"
    assert shop.catalog.get(Entity.ORDER, order.key).status is OrderStatus.ARCHIVED


def test_sapo09_app_edit_or_cancel_of_a_pushed_order_is_a_conflict_never_pushed(shop):
    shop.sync()
    product = shop.catalog.get(Entity.PRODUCT, shop.app_id(Entity.PRODUCT, 100_003))
    order = shop.catalog.put(Entity.ORDER, Order(
        "", status=OrderStatus.PLACED, lines=(OrderLine(product.variants[0].sku, product.name,
                                                        Decimal(1), product.variants[0].price,
                                                        product_key=product.key),),
        created_at=shop.now()))
    shop.sync([Entity.ORDER])
    shop.catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus.CANCELLED))
    sent = len(shop.sandbox.requests)
    shop.sync([Entity.ORDER])
    conflicts = shop.items(app_id=order.key, action="conflict")
    assert conflicts and conflicts[0].rule == "SAPO-09"
    assert not [r for r in shop.sandbox.requests[sent:] if r.method != "GET"]


def test_sapo09_app_edit_of_an_order_pushed_runs_ago_is_a_conflict_holding_the_sapo_order(shop):
    """SAPO-09: an App order pushed two runs ago, then edited in the App. This run's order
    pull reads only orders Sapo changed since the last run, so not this one: the conflict's
    Sapo side is read by its id, in one request, nothing is written to Sapo, and "keep POS"
    puts Sapo's values back in the App."""
    shop.sync()
    product = shop.catalog.get(Entity.PRODUCT, shop.app_id(Entity.PRODUCT, 100_003))
    order = shop.catalog.put(Entity.ORDER, Order(
        "", status=OrderStatus.PLACED, customer_name="Trần Văn Bình",
        customer_phone="0977000222", shipping_address="12 Lê Lợi, Huế",
        lines=(OrderLine(product.variants[0].sku, product.name, Decimal(1),
                         product.variants[0].price, product_key=product.key),),
        created_at=shop.now()))
    assert shop.sync([Entity.ORDER]).status == "done"
    assert shop.sync([Entity.ORDER]).status == "done"        # a run with nothing to do
    pos_id = shop.pos_id(Entity.ORDER, order.key)
    requests, row, conflict = sync_an_app_edit(shop, order.key, shipping_address="99 Trần Phú")
    assert (row.action, row.outcome, row.rule) == ("conflict", "skipped", "SAPO-09")
    assert (conflict.rule, conflict.pos_id) == ("SAPO-09", pos_id)
    pos = json.loads(conflict.pos_data)
    assert (pos["key"], pos["number"]) == (pos_id, shop.sandbox.orders[int(pos_id)]["name"])
    assert pos["shipping_address"] != "99 Trần Phú"
    assert json.loads(conflict.app_data)["shipping_address"] == "99 Trần Phú"
    assert [r.url.path for r in requests if r.url.path.startswith("/admin/orders/")] == [
        f"/admin/orders/{pos_id}.json"]
    assert not [r for r in requests if r.method != "GET"]
    shop._drive(lambda engine: engine.resolve_conflict(conflict.id, "pos"))
    assert shop.catalog.get(Entity.ORDER, order.key).shipping_address == pos["shipping_address"]


def test_com04_product_edited_on_both_sides_is_a_conflict(shop):
    shop.sync()
    app_id = shop.app_id(Entity.PRODUCT, 100_007)
    current = shop.catalog.get(Entity.PRODUCT, app_id)
    shop.catalog.put(Entity.PRODUCT, dataclasses.replace(current, name=current.name + " (App)"))
    shop.sandbox.edit_product(100_007, name="Tên mới trên Sapo")
    shop.sync([Entity.PRODUCT])
    assert shop.items(app_id=app_id, action="conflict")
    assert shop.sandbox.product(100_007)["name"] == "Tên mới trên Sapo"


def test_sapo07_com01_product_deleted_in_sapo_is_flagged_not_deleted(shop):
    shop.sync()
    app_id = shop.app_id(Entity.PRODUCT, 100_009)
    shop.sandbox.delete_product(100_009)
    # Sapo keeps no deletion list: the id scan runs once its interval has passed (COM-10).
    shop.clock.advance(DELETION_SCAN_EVERY.total_seconds())
    shop.sync([Entity.PRODUCT])
    [flag] = shop.items(action="deleted_on_pos")
    assert flag.app_id == app_id and flag.rule in ("COM-01", "SAPO-07")
    assert shop.catalog.get(Entity.PRODUCT, app_id) is not None


# -- through the command line ---------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _shopsync_in_process(home, store, keyring, *argv, env=None):
    from app.cli import main
    from app.store.models import database_proxy
    out, err = io.StringIO(), io.StringIO()
    code = main(["--home", str(home.home), *argv], secrets=keyring, out=out, err=err,
                environ=env or {}, stdin_is_tty=False)
    database_proxy.initialize(store)       # the command bound the models to its own connection
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_b01_shopsync_syncs_a_sapo_shop_served_by_shopsync_sandbox_serve(home, store, catalog):
    """`shopsync sandbox serve --platform sapo` in its own process, real HTTP on 127.0.0.1,
    and `shopsync profile add` + `shopsync sync` against it (SAPO-11 fields, B-01)."""
    from app.secrets import MemoryKeyring, SecretStore
    env = dict(os.environ, PYTHONPATH=str(ROOT), SHOPSYNC_KEYRING="memory")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "--home", str(home.home), "--lang",
                               "en", "sandbox", "serve", "--platform", "sapo", "--products", "30"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        # One whole `profile add` line to copy (finding 2): its --set values as printed.
        while True:
            line = server.stdout.readline()
            assert line, server.stderr.read()
            if "profile add srv" in line:
                break
        words = line.split()
        settings = [words[i + 1] for i, word in enumerate(words) if word == "--set"]
        assert any(s.startswith("api_base=http://127.0.0.1:") for s in settings)
        assert f"SHOPSYNC_SECRET_API_SECRET={SAPO.sandbox_secrets['api_secret']}" in words
        keyring = SecretStore(backend=MemoryKeyring())
        args = [part for setting in settings for part in ("--set", setting)]
        code, out, err = _shopsync_in_process(
            home, store, keyring, "profile", "add", "Sapo mẫu", "--platform", "sapo", *args,
            env={"SHOPSYNC_SECRET_API_SECRET": SAPO.sandbox_secrets["api_secret"]})
        assert code == 0, err
        code, out, err = _shopsync_in_process(home, store, keyring, "sync", "Sapo mẫu", "--json")
        assert code == 0, err + out
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert lines[-1]["status"] == "done"
        assert catalog.count(Entity.PRODUCT) == 30 and catalog.count(Entity.BRANCH) == 2
        assert SAPO.sandbox_secrets["api_secret"] not in out + err           # COM-07
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.slow
def test_b01_sample_shop_profile_syncs_in_a_shopsync_subprocess(home):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SHOPSYNC_KEYRING="memory")

    def shopsync(*argv):
        return subprocess.run([sys.executable, "-m", "app.cli", "--home", str(home.home), *argv],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    added = shopsync("profile", "add", "Mẫu", "--platform", "sapo", "--set", "sandbox=on")
    assert added.returncode == 0, added.stderr
    synced = shopsync("sync", "Mẫu", "--json")
    assert synced.returncode == 0, synced.stderr + synced.stdout
    events = [json.loads(line) for line in synced.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["status"] == "done"
    assert any(e.get("entity") == "product" and e.get("outcome") == "ok" for e in events)


def test_sapo08_applies_to_creates_only_an_app_edit_of_a_product_in_two_sapo_groups_is_pushed(shop):
    shop.sandbox.collects.append((9_999_001, 100_004, 1_001 + 5, "2026-11-01T00:00:00Z"))
    shop.sync()
    app_id = shop.app_id(Entity.PRODUCT, 100_004)
    current = shop.catalog.get(Entity.PRODUCT, app_id)
    assert len(current.category_keys) == 2
    shop.catalog.put(Entity.PRODUCT, dataclasses.replace(current, name="Tên mới từ App"))
    shop.sync([Entity.PRODUCT])
    assert not shop.items(app_id=app_id, action="blocked")
    assert shop.sandbox.product(100_004)["name"] == "Tên mới từ App"
    assert sum(1 for c in shop.sandbox.collects if c[1] == 100_004) == 2


def test_sapo03_products_without_stock_are_pushed_without_a_locations_read_and_stay_in_step(shop):
    """A push-only run of products with no stock to place uses the branches the App pulled
    (no location read); the next run finds App and Sapo agreeing on the new products."""
    new, _twin, _counter = _six_new_teas_and_a_counter_twin(shop, "Trà sen", "TSE", "BMQ-3")
    sent = len(shop.sandbox.requests)
    assert shop.push_products([p.key for p in new]).status == "done"
    paths = [r.url.path for r in shop.sandbox.requests[sent:]]
    assert "/admin/locations.json" not in paths
    assert all(shop.pos_id(Entity.PRODUCT, p.key) for p in new)
    events = len(shop.events)
    assert shop.sync().status == "done"
    touched = [e for e in shop.events[events:] if isinstance(e, ItemResult)
               and e.app_id in {p.key for p in new} and e.outcome != "skipped"]
    assert touched == []


def test_sapo04_pulled_order_lines_keep_their_sapo_variant(shop):
    """Issue 19 point 2: an order pulled from Sapo keeps, on each line, the variant it sold."""
    assert shop.sync().status == "done"
    orders = list(shop.catalog.iter_records(Entity.ORDER))
    lines = [line for order in orders for line in order.lines]
    assert lines and all(line.variant_key for line in lines)
    pulled = {str(o["id"]): o for o in shop.sandbox.orders.values()}
    for order in orders:
        sapo = pulled[shop.pos_id(Entity.ORDER, order.key)]
        assert [line.variant_key for line in order.lines] == [
            str(item["variant_id"]) for item in sapo["line_items"]]


def test_sapo04_an_app_order_of_linked_products_moves_sapo_stock_of_each_variant(shop):
    """Issue 19 point 1 through the engine: the App order names App products; Sapo receives
    each line's variant and product ids and takes the stock of exactly those variants."""
    shop.sync()
    location = shop.sandbox.locations[0]["id"]
    products = [shop.catalog.get(Entity.PRODUCT, shop.app_id(Entity.PRODUCT, 100_000 + i))
                for i in range(12)]
    in_stock = [(p, v) for p in products for v in p.variants[::-1] if shop.sandbox.available(
        shop.sandbox.variant(int(v.key))[1]["inventory_item_id"], location) >= 2]
    chosen = [in_stock[0], next(pv for pv in in_stock if pv[0].key != in_stock[0][0].key)]
    items = {int(v.key): shop.sandbox.variant(int(v.key))[1]["inventory_item_id"] for _, v in chosen}
    before = {vid: shop.sandbox.available(item, location) for vid, item in items.items()}
    order = shop.catalog.put(Entity.ORDER, Order(
        "", status=OrderStatus.PLACED, customer_name="Hồ Văn Lâm", customer_phone="0977000222",
        created_at=shop.now(), lines=tuple(
            OrderLine(v.sku, p.name, Decimal(2), v.price, product_key=p.key) for p, v in chosen)))
    assert shop.sync([Entity.ORDER]).status == "done"
    sapo = shop.sandbox.orders[int(shop.pos_id(Entity.ORDER, order.key))]
    assert [(i["variant_id"], i["product_id"]) for i in sapo["line_items"]] == [
        (int(v.key), int(shop.pos_id(Entity.PRODUCT, p.key))) for p, v in chosen]
    assert {vid: shop.sandbox.available(item, location) for vid, item in items.items()} == {
        vid: level - 2 for vid, level in before.items()}


def test_sapo04_an_order_line_sapo_has_no_variant_for_is_a_failed_row_that_says_why(shop):
    shop.sync()
    shop.catalog.put(Entity.ORDER, Order(
        "", status=OrderStatus.PLACED, customer_name="Hồ Văn Lâm", customer_phone="0977000333",
        created_at=shop.now(), lines=(OrderLine("CHUA-CO-TREN-SAPO", "Bánh cốm", Decimal(1),
                                                Decimal(30000)),)))
    posted = shop.sandbox.count("POST", "/admin/orders.json")
    assert shop.sync([Entity.ORDER]).status == "done"
    failed = shop.items(entity="order", direction="app_to_pos", outcome="failed")
    assert len(failed) == 1 and failed[0].rule == "SAPO-04"
    assert "Bánh cốm" in failed[0].message_vi and "Sapo" in failed[0].message_en
    assert shop.sandbox.count("POST", "/admin/orders.json") == posted


def test_com02_push_all_new_links_a_product_whose_sku_sapo_already_has_in_the_same_run(shop):
    """Issue 19 point 3: the App product is named differently, so the look-up by name finds
    nothing; Sapo refuses the create (422, SKU taken) and the product is linked at once."""
    shop.sync()
    existing = shop.sandbox.product(100_006)
    category = shop.app_id(Entity.CATEGORY, shop.sandbox.collects[6][2])
    app = shop.catalog.put(Entity.PRODUCT, Product(
        "", "Sản phẩm cùng mã trong App", category_keys=(category,),
        variants=(Variant("v1", sku=existing["variants"][0]["sku"], price=Decimal(10000)),)))
    before = len(shop.sandbox.product_ids)
    finished = shop.push_products([app.key])
    assert finished.status == "done"
    assert shop.pos_id(Entity.PRODUCT, app.key) == str(existing["id"])
    assert len(shop.sandbox.product_ids) == before
    assert not shop.items(entity="product", direction="app_to_pos", outcome="failed")


@pytest.mark.parametrize("fault", ["timeout", "5xx", "reset"])
def test_com02_writes_sapo_commits_and_whose_answers_are_lost_are_linked_once(shop, fault):
    """Sapo carries out each create, then the answer is lost (a timeout, a gateway 5xx, a
    reset): the run links what Sapo made, and nothing exists twice on either side."""
    from contract.records import Customer
    shop.sync()
    category = shop.app_id(Entity.CATEGORY, shop.sandbox.collects[0][2])
    product = shop.catalog.put(Entity.PRODUCT, Product(
        "", "Bánh pía Sóc Trăng", category_keys=(category,),
        variants=(Variant("v1", sku="PIA-ST-1", price=Decimal(55000), stock=tuple(
            StockLevel(shop.app_id(Entity.BRANCH, loc["id"]), Decimal(10))
            for loc in shop.sandbox.locations)),)))
    for path in ("/admin/products.json", "/admin/customers.json", "/admin/orders.json"):
        shop.sandbox.lose_answer_after("POST", path, fault)
    assert shop.push_products([product.key]).status == "done"
    customer = shop.catalog.put(Entity.CUSTOMER, Customer("", "Lâm Thị Kiều", phone="0909123456"))
    order = shop.catalog.put(Entity.ORDER, Order(
        "", status=OrderStatus.PLACED, customer_name="Lâm Thị Kiều", customer_phone="0909123456",
        created_at=shop.now(), lines=(OrderLine("PIA-ST-1", "Bánh pía", Decimal(1), Decimal(55000),
                                                product_key=product.key),)))
    assert shop.sync([Entity.CUSTOMER, Entity.ORDER]).status == "done"
    assert not shop.sandbox.lost_answers                          # every answer was lost once
    made = [p for p in shop.sandbox.products.values() if p["variants"][0]["sku"] == "PIA-ST-1"]
    assert len(made) == 1 and shop.pos_id(Entity.PRODUCT, product.key) == str(made[0]["id"])
    assert sum(1 for c in shop.sandbox.customers.values() if c["phone"] == "0909123456") == 1
    assert shop.pos_id(Entity.CUSTOMER, customer.key)
    ours = [o for o in shop.sandbox.orders.values()
            if {"name": "app_order_id", "value": order.key} in o["note_attributes"]]
    assert len(ours) == 1 and shop.pos_id(Entity.ORDER, order.key) == str(ours[0]["id"])
    assert ours[0]["line_items"][0]["variant_id"] == made[0]["variants"][0]["id"]
    assert shop.sync().status == "done"                           # a later run makes nothing new
    assert len([p for p in shop.sandbox.products.values()
                if p["variants"][0]["sku"] == "PIA-ST-1"]) == 1


def test_issue23_sapo04_orders_linked_before_the_discount_fields_stay_quiet_after_the_upgrade(
        shop, monkeypatch):
    """An order pulled and linked by the mapping before issue 23 (no discount or fee fields),
    then read again by today's (each line's and the order's discount, its fees): the same
    fingerprint, so no conflict and no update row; the App total stays Sapo's."""
    from app.sync.policy import policy_for
    from connectors.sapo import mapping
    from contract.records import evolve

    today = mapping.order_from_sapo

    def before_issue23(row):
        order = today(row)
        return evolve(order, discount=Decimal(0), fees=Decimal(0),
                      lines=tuple(evolve(line, discount=Decimal(0)) for line in order.lines))

    monkeypatch.setattr(mapping, "order_from_sapo", before_issue23)
    assert shop.sync().status == "done"
    discounted = [o for o in shop.sandbox.orders.values()
                  if o["total_discounts"] or o["shipping_lines"]]
    assert discounted                       # the sandbox's orders carry discounts and fees
    monkeypatch.setattr(mapping, "order_from_sapo", today)
    for row in shop.sandbox.orders.values():         # touched on Sapo (a tag, a payment
        row["modified_on"] = shop.sandbox.now()       # note): every order is read again
    shop.events.clear()
    assert shop.sync([Entity.ORDER]).status == "done"
    assert not shop.items(entity="order", action="conflict")
    assert not shop.items(entity="order", action="update")
    policy = policy_for(SAPO, Entity.ORDER, SAPO.option_defaults())
    for row in discounted:
        link = m.Link.get((m.Link.entity == "order") & (m.Link.pos_id == str(row["id"])))
        assert policy.comparable(today(row)) == link.pos_fingerprint
        app = shop.catalog.get(Entity.ORDER, link.app_id)
        assert app.total == Decimal(str(row["total_price"]))
