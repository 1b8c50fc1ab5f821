"""The Sapo connector against the stateful sandbox: the shop owner's flows and Sapo's quirks."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import httpx
import pytest

from contract.records import (Customer, Entity, Order, OrderLine, OrderStatus, Product, StockLevel,
                        Variant, fingerprint)
from contract.connector import NotFound, TransientError
from connectors.sapo.sandbox import sapo_sandbox
from tests.connectors.sapo.conftest import BASE, FakeClock, build_connector, collect, run


def raw(sandbox, **auth):
    return httpx.Client(transport=sandbox.transport(), base_url=auth.pop("base", BASE),
                        auth=auth.pop("auth", ("sandbox-api-key", "sandbox-api-secret")))


def new_product(**changes) -> Product:
    values = dict(key="app-p1", name="Trà sen vàng đặc biệt", description="<p>Sen Tây Hồ</p>",
                  category_keys=("1001",), option_names=("Kích cỡ",),
                  variants=(Variant("v1", sku="TSV-M", price=Decimal("45000"), options=("M",),
                                    stock=(StockLevel("501", Decimal(12)), StockLevel("502", Decimal(3)))),
                            Variant("v2", sku="TSV-L", price=Decimal("52000"), options=("L",),
                                    stock=(StockLevel("501", Decimal(4)), StockLevel("502", Decimal(0))))))
    values.update(changes)
    return Product(**values)


def test_sapo08_product_without_one_category_is_blocked_before_any_request(sandbox, connector):
    outcomes = run(connector.create(Entity.PRODUCT, [new_product(category_keys=()),
                                                      new_product(key="x", category_keys=("1001", "1002"))]))
    assert [o.error.rule for o in outcomes] == ["SAPO-08", "SAPO-08"]
    assert sandbox.requests == [] and connector.request_count == 0


def test_sapo03_app_product_is_created_in_sapo_and_reads_back_unchanged(sandbox, connector):
    app = new_product()
    outcome = run(connector.create(Entity.PRODUCT, [app]))[0]
    assert outcome.error is None and outcome.app_key == "app-p1"
    pages = run(collect(connector, Entity.PRODUCT))
    pulled = next(p for page in pages for p in page.records if p.key == outcome.pos_key)
    assert pulled.category_keys == ("1001",)
    assert fingerprint(pulled) == fingerprint(app) == fingerprint(outcome.record)
    assert sandbox.count("PUT", "/inventory_levels/set") == 4     # one per branch level


def test_sapo03_update_changes_price_and_hides_without_deleting(sandbox, connector):
    outcome = run(connector.create(Entity.PRODUCT, [new_product()]))[0]
    changed = new_product(key=outcome.pos_key, visible=False, variants=(
        Variant("v1", sku="TSV-M", price=Decimal("47000"), options=("M",)),
        Variant("v2", sku="TSV-L", price=Decimal("52000"), options=("L",))))
    answer = run(connector.update(Entity.PRODUCT, outcome.pos_key, changed))
    stored = sandbox.product(int(outcome.pos_key))
    assert stored["published_on"] is None and answer.visible is False
    assert [v["price"] for v in stored["variants"]] == [47000.0, 52000.0]
    assert [v["id"] for v in stored["variants"]] == [int(v.key) for v in outcome.record.variants]


def test_sapo07_com01_product_deleted_in_sapo_is_found_by_the_id_scan(sandbox, connector):
    before = run(connector.list_keys(Entity.PRODUCT))
    assert len(before) == 60
    sandbox.delete_product(100_003)
    after = run(connector.list_keys(Entity.PRODUCT))
    assert before - after == {"100003"}
    with pytest.raises(NotFound) as gone:
        run(connector._get("/admin/products/100003.json"))
    assert gone.value.rule == "SAPO-07"


def test_sapo04_app_order_is_pushed_with_stock_deducted_and_found_again_after_a_crash(sandbox, connector):
    product = sandbox.product(100_001)
    variant = product["variants"][0]
    before = sandbox.available(variant["inventory_item_id"], 501)
    order = Order("app-o-9", lines=(OrderLine(variant["sku"], product["name"], Decimal(1),
                                              Decimal(str(variant["price"])), product_key="100001"),),
                  customer_name="Trần Văn Nam", customer_phone="0912345678", note="Giao trước 9h")
    outcome = run(connector.create(Entity.ORDER, [order]))[0]
    assert outcome.error is None and outcome.record.status is OrderStatus.PLACED
    assert sandbox.available(variant["inventory_item_id"], 501) == before - 1
    found = run(connector.find(Entity.ORDER, order))                  # COM-09 look-up
    assert found is not None and found.key == outcome.pos_key
    assert run(connector.find(Entity.ORDER, Order("never-pushed"))) is None


def test_sapo10_order_closed_in_sapo_comes_back_archived(sandbox, connector):
    order = Order("app-o-1", lines=(OrderLine("", "Bánh tét lá cẩm", Decimal(1), Decimal(60000)),))
    pos_key = run(connector.create(Entity.ORDER, [order]))[0].pos_key
    sandbox.close_order(int(pos_key))
    pulled = {o.key: o for page in run(collect(connector, Entity.ORDER)) for o in page.records}
    assert pulled[pos_key].status is OrderStatus.ARCHIVED
    assert {o.status for o in pulled.values()} >= {OrderStatus.PLACED, OrderStatus.CANCELLED,
                                                   OrderStatus.ARCHIVED, OrderStatus.SHIPPED_OUT}


def test_com02_customer_is_found_by_phone_whatever_its_spelling(sandbox, connector):
    stored = next(c for c in sandbox.customers.values() if c["phone"].startswith("+84"))
    local = "0" + stored["phone"][3:]
    found = run(connector.find(Entity.CUSTOMER, Customer("app-c", "X", phone=local)))
    assert found is not None and found.key == str(stored["id"])
    created = run(connector.create(Entity.CUSTOMER, [Customer("app-c2", "Lê Thị Mai", phone="0387654321")]))[0]
    assert created.error is None and created.record.name == "Lê Thị Mai"
    again = run(connector.find(Entity.CUSTOMER, Customer("app-c2", "", phone="+84 387 654 321")))
    assert again.key == created.pos_key


def test_sapo05_customer_update_is_sent_and_read_back(sandbox, connector):
    key = str(next(iter(sandbox.customers)))
    current = run(connector.find(Entity.CUSTOMER, Customer("", "", phone=sandbox.customers[int(key)]["phone"])))
    answer = run(connector.update(Entity.CUSTOMER, key, Customer(key, "Phạm Quốc Bảo", phone=current.phone,
                                                                  note="Khách quen")))
    assert answer.name == "Phạm Quốc Bảo" and answer.note == "Khách quen"
    assert answer.address == current.address             # unchanged address not re-sent


def test_com09_products_pull_resumes_after_its_last_committed_page():
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=2, products=600, clock=clock, rate_limits=False)
    sapo = build_connector(sandbox.transport(), clock=clock)
    pages = run(collect(sapo, Entity.PRODUCT))
    assert [len(p.records) for p in pages] == [250, 250, 100] and pages[0].total == 600
    resumed = run(collect(sapo, Entity.PRODUCT, None, pages[0].resume))
    assert [p.records for p in resumed] == [p.records for p in pages[1:]]


def test_incremental_pull_asks_only_for_what_changed(sandbox, connector, clock):
    run(collect(connector, Entity.PRODUCT))
    since = datetime.fromtimestamp(clock(), timezone.utc)
    clock.advance(60)
    sandbox.edit_product(100_010, name="Cà phê muối Huế")
    sent = len(sandbox.requests)
    pages = run(collect(connector, Entity.PRODUCT, since))
    assert [p.name for page in pages for p in page.records] == ["Cà phê muối Huế"]
    # one products page, that product's collects, its stock at each of the 2 branches
    paths = [r.url.path for r in sandbox.requests[sent:]]
    assert paths == ["/admin/products.json", "/admin/collects.json",
                     "/admin/inventory_levels.json", "/admin/inventory_levels.json"]


def test_sapo06_news_pull_reads_every_blog_with_hidden_articles(connector):
    articles = [a for page in run(collect(connector, Entity.NEWS)) for a in page.records]
    assert {a.category_name for a in articles} == {"Tin tức", "Khuyến mãi"}
    assert any(not a.visible for a in articles) and all(a.title for a in articles)


# -- the sandbox's own Sapo quirks --------------------------------------------------------------

def test_sandbox_orders_status_any_is_empty_and_unknown_or_naive_filters_are_ignored(sandbox):
    client = raw(sandbox)
    assert client.get("/admin/orders.json", params={"status": "any"}).json() == {"orders": []}
    everything = client.get("/admin/products/count.json").json()["count"]
    for params in ({"modified_on_min": "2099-01-01T00:00:00"}, {"updated_at_min": "2099-01-01T00:00:00Z"},
                   {"title": "nothing"}):
        assert client.get("/admin/products/count.json", params=params).json()["count"] == everything
    assert client.get("/admin/products/count.json",
                      params={"modified_on_min": "2099-01-01T00:00:00Z"}).json()["count"] == 0
    order = client.get("/admin/orders.json", params={"fields": "id", "limit": 1}).json()["orders"][0]
    assert "line_items" in order                            # fields= is ignored on orders
    product = client.get("/admin/products.json", params={"fields": "id", "limit": 1}).json()["products"][0]
    assert product == {"id": 100_000}


def test_sandbox_refuses_source_name_unwrapped_cancel_and_wrong_stock_writes(sandbox):
    client = raw(sandbox)
    refused = client.post("/admin/orders.json", json={"order": {"source_name": "web", "line_items": [
        {"variant_id": 1_000_000, "quantity": 1}]}})
    assert refused.status_code == 422 and "source_name" in refused.json()["errors"]
    order_id = next(iter(sandbox.orders))
    assert client.post(f"/admin/orders/{order_id}/cancel.json", json={"reason": "other"}).status_code == 400
    assert client.post("/admin/inventory_levels/set.json", json={}).status_code == 405
    assert client.put("/admin/inventory_levels/5.json", json={}).status_code == 403
    assert client.get("/admin/shop.json").status_code == 403
    assert client.delete("/admin/products/100000.json").json() == {}
    assert client.get("/admin/products/100000.json").status_code == 404
    assert client.delete("/admin/products/100000.json").status_code == 404


def test_sandbox_auth_shop_domain_and_denied_permissions(clock):
    sandbox = sapo_sandbox(seed=1, products=5, clock=clock, denied={"orders"})
    assert raw(sandbox, auth=("sandbox-api-key", "wrong")).get("/admin/store.json").status_code == 401
    assert raw(sandbox, base="https://khac.mysapo.net").get("/admin/store.json").status_code == 404
    moved = raw(sandbox, base="https://www.cuahangcuatoi.vn").get("/admin/store.json")
    assert moved.status_code == 302 and moved.headers["location"].startswith("https://cuahangmau.mysapo.net/")
    denied = raw(sandbox).get("/admin/orders.json")
    assert denied.status_code == 403 and "access_denied" in denied.text
    assert raw(sandbox).get("/admin/pos_shifts.json").headers["content-type"].startswith("text/html")


def test_sandbox_scales_to_100000_products_lazily():
    sandbox = sapo_sandbox(seed=1, products=100_000, rate_limits=False)
    client = raw(sandbox)
    assert client.get("/admin/products/count.json").json() == {"count": 100_000}
    last = client.get("/admin/products.json", params={"limit": 250, "page": 400}).json()["products"]
    assert len(last) == 250 and last[-1]["id"] == 199_999
    assert sandbox.products == {}                           # nothing materialised by reading


def test_com01_a_deletion_during_the_id_scan_never_hides_a_live_product():
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=2, products=600, clock=clock, rate_limits=False)
    deleted = []

    def handle(request: httpx.Request) -> httpx.Response:
        answer = sandbox.handle(request)
        if request.url.params.get("fields") == "id" and request.url.params.get("page") == "1" \
                and not deleted:
            sandbox.delete_product(100_001)        # rows of later pages shift one place up
            deleted.append(100_001)
        return answer
    sapo = build_connector(httpx.MockTransport(handle), clock=clock)
    keys = run(sapo.list_keys(Entity.PRODUCT))
    assert keys == {str(pid) for pid in sandbox.product_ids}
    assert len(keys) == 599


def _losing_first_answer(sandbox, path: str, fault: str):
    """The sandbox does the write, then the answer is lost on the way back (once)."""
    lost = []

    def handle(request: httpx.Request) -> httpx.Response:
        answer = sandbox.handle(request)
        if request.method == "POST" and request.url.path == path and not lost:
            lost.append(request)
            if fault == "timeout":
                raise httpx.ReadTimeout("answer lost", request=request)
            return httpx.Response(200, content=b'{"product": {"id": 1', request=request)
        return answer
    return httpx.MockTransport(handle), lost


@pytest.mark.parametrize("fault", ["timeout", "cut-off body"])
def test_com02_lost_answer_to_a_product_create_is_looked_up_never_sent_twice(fault):
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=4, products=10, clock=clock, location_count=1)
    transport, lost = _losing_first_answer(sandbox, "/admin/products.json", fault)
    sapo = build_connector(transport, clock=clock)
    outcome = run(sapo.create(Entity.PRODUCT, [new_product(variants=(
        Variant("v", sku="LOST-1", price=Decimal(10000)),))]))[0]
    assert lost and outcome.error is None
    assert sandbox.count("POST", "/admin/products.json") == 1
    created = [p for p in sandbox.products.values() if p["variants"][0]["sku"] == "LOST-1"]
    assert len(created) == 1 and outcome.pos_key == str(created[0]["id"])
    assert any(c[1] == created[0]["id"] for c in sandbox.collects)     # category set once found


def test_com02_lost_answer_without_any_sku_stops_instead_of_risking_a_copy():
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=4, products=10, clock=clock, location_count=1)
    transport, _ = _losing_first_answer(sandbox, "/admin/products.json", "timeout")
    sapo = build_connector(transport, clock=clock)
    with pytest.raises(TransientError):
        run(sapo.create(Entity.PRODUCT, [new_product(variants=(Variant("v", price=Decimal(1)),))]))
    assert sandbox.count("POST", "/admin/products.json") == 1


def test_com09_lost_answer_to_an_order_create_is_found_by_its_app_order_tag():
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=4, products=10, clock=clock)
    transport, lost = _losing_first_answer(sandbox, "/admin/orders.json", "timeout")
    sapo = build_connector(transport, clock=clock)
    order = Order("app-o-77", lines=(OrderLine("", "Bánh flan", Decimal(2), Decimal(15000)),))
    outcome = run(sapo.create(Entity.ORDER, [order]))[0]
    assert lost and outcome.error is None
    assert sandbox.count("POST", "/admin/orders.json") == 1
    assert sandbox.orders[int(outcome.pos_key)]["note_attributes"] == [
        {"name": "app_order_id", "value": "app-o-77"}]


def test_com02_order_pages_name_the_app_order_shopsync_made_each_sapo_order_from(sandbox, clock):
    made = run(build_connector(sandbox.transport(), clock=clock).create(Entity.ORDER, [Order(
        "O000077", lines=(OrderLine("", "Bánh flan", Decimal(2), Decimal(15000)),))]))[0]
    pages = run(collect(build_connector(sandbox.transport(), clock=clock), Entity.ORDER))
    named = {pos: app for page in pages for pos, app in page.made_from.items()}
    assert named == {made.pos_key: "O000077"}     # the shop's own orders name nothing
    assert all(set(page.made_from) <= {r.key for r in page.records} for page in pages)


def test_com02_after_a_whole_order_pull_the_look_ups_read_nothing_after_a_resumed_one_they_do(
        sandbox, clock):
    """A whole order pull has read every order ShopSync made that no earlier pull linked, so
    the look-ups before creating are answered from it. A resumed pull read only part of the
    orders: the look-ups read ShopSync's orders (tag `shopsync`) as before."""
    order = Order("O000078", lines=(OrderLine("", "Bánh flan", Decimal(2), Decimal(15000)),))
    made = run(build_connector(sandbox.transport(), clock=clock).create(Entity.ORDER, [order]))[0]
    whole = build_connector(sandbox.transport(), clock=clock)
    run(collect(whole, Entity.ORDER))
    sent = len(sandbox.requests)
    assert run(whole.find(Entity.ORDER, order)).key == made.pos_key
    assert run(whole.find(Entity.ORDER, Order("O000079"))) is None
    assert len(sandbox.requests) == sent
    resumed = build_connector(sandbox.transport(), clock=clock)
    run(collect(resumed, Entity.ORDER, resume='{"phase": "cancelled", "page": 1}'))
    sent = len(sandbox.requests)
    assert run(resumed.find(Entity.ORDER, order)).key == made.pos_key
    assert sorted(r.url.params["status"] for r in sandbox.requests[sent:]
                  if r.url.params.get("tag") == "shopsync") == ["cancelled", "closed", "open"]


def test_sandbox_dated_product_lists_equal_a_scan_of_every_product():
    """A `modified_on_min` after every generated product's stamp looks only at edited and
    created products: it must list what dating every product lists, and earlier bounds
    still date every product."""
    clock = FakeClock()
    sandbox = sapo_sandbox(products=300, clock=clock)
    edited = sandbox.product_ids[123]
    sandbox.edit_product(edited, name="Trà sữa đổi tên")
    for bound in (sandbox.base_time + sandbox.span, sandbox.base_time + sandbox.span / 2,
                  sandbox.base_time):
        stamp = datetime.fromtimestamp(bound, timezone.utc).isoformat()
        expected = [pid for pid in sandbox.product_ids if sandbox._product_modified(pid) >= bound]
        assert sandbox._product_ids_matching({"modified_on_min": stamp}) == expected, bound
    late = datetime.fromtimestamp(sandbox.base_time + sandbox.span, timezone.utc).isoformat()
    assert sandbox._product_ids_matching({"modified_on_min": late}) == [edited]
