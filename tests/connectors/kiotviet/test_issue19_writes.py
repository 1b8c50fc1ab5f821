"""Issue 19, KiotViet points 11–17: the branch is the shop's, a wrong connection name says so,
the token outlives the process, delivery data only where the shop uses it, no duplicate order
after a lost answer, and no look-up the run already knows the answer to.

Every case runs against the sandbox, which models what the old code got wrong: a refused
branch, a shop setting switched off, an answer lost after KiotViet committed the order, a
store that keeps neither `Description` nor line notes."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.secrets import ACCESS_TOKEN_FIELD, MemoryKeyring, SecretStore, TokenShelf
from contract.connector import AuthError, InvalidInput, SettingOff
from contract.records import Customer, Entity, Order, OrderLine, OrderStatus
from connectors.kiotviet.errors import BranchNotInShop, RetailerNotFound
from connectors.kiotviet.sandbox import DELIVERY, OUT_OF_STOCK_ORDERING, kiotviet_sandbox
from connectors.sandbox_base import Fault

from .conftest import PUSHED_AT, FakeClock, build_connector, collect, run


def app_order(key="A-1", sku="CPSD-M", address="10 Nguyễn Huệ", qty=2, **changes):
    base = dict(key=key, status=OrderStatus.PLACED, customer_name="Nguyễn Thị Lan",
                customer_phone="0903 123 456", shipping_address=address, note="Ít đường",
                lines=(OrderLine(sku=sku, name="Cà phê sữa đá", quantity=Decimal(qty),
                                 price=Decimal(29000)),),
                created_at=PUSHED_AT - timedelta(minutes=5))
    base.update(changes)
    return Order(**base)


def sku_of(kind):
    return "CPSD-M" if kind == "fnb" else "ATC-M"


def posts(sandbox, path="/orders"):
    return [r for r in sandbox.requests if r.method == "POST" and r.url.path == path]


# -- point 11: KVF-14, the branch ----------------------------------------------------------

def test_kvf14_connection_test_refuses_a_branch_that_is_not_the_shops(kind, clock):
    sandbox = kiotviet_sandbox(kind=kind, clock=clock)
    connector = build_connector(kind, sandbox.transport(), clock=clock,
                                fields={"branch": "74531"})
    with pytest.raises(BranchNotInShop) as caught:
        run(connector.test_connection())
    error = caught.value
    assert isinstance(error, InvalidInput) and error.rule == "KVF-14"
    for message in (error.message_vi, error.message_en):
        assert "74531" in message
        assert "1 – Chi nhánh trung tâm" in message and "2 – Chi nhánh Thảo Điền" in message
    assert "không thuộc cửa hàng" in error.message_vi and "not one of" in error.message_en


def test_kvf14_connection_test_accepts_the_shops_branch_and_returns_the_list(kind, clock):
    sandbox = kiotviet_sandbox(kind=kind, clock=clock)
    info = run(build_connector(kind, sandbox.transport(), clock=clock,
                               fields={"branch": "2"}).test_connection())
    assert [(b.key, b.name) for b in info.branches] == [("1", "Chi nhánh trung tâm"),
                                                        ("2", "Chi nhánh Thảo Điền")]
    # Without a branch yet (the wizard's first test) the list is given, nothing refused.
    info = run(build_connector(kind, sandbox.transport(), clock=clock,
                               fields={"branch": ""}).test_connection())
    assert len(info.branches) == 2


# -- point 12: a wrong connection name -----------------------------------------------------

@pytest.mark.parametrize("refusal", ["named", "token"])
def test_kvf14_wrong_connection_name_says_not_found_and_where_to_read_it(kind, clock, refusal):
    """Whether KiotViet names the store in its refusal or answers like an expired token
    (UNVERIFIED which), the owner reads that the connection name was not found."""
    sandbox = kiotviet_sandbox(kind=kind, clock=clock, retailer_refusal=refusal)
    connector = build_connector(kind, sandbox.transport(), clock=clock,
                                fields={"retailer": "caphemoc-sai"})
    with pytest.raises(RetailerNotFound) as caught:
        run(connector.test_connection())
    error = caught.value
    assert isinstance(error, AuthError) and error.rule == "KVF-14"
    assert "«caphemoc-sai»" in error.message_vi and "«caphemoc-sai»" in error.message_en
    assert "Thiết lập kết nối API" in error.message_vi and "API connection" in error.message_en
    assert "hết hạn" not in error.message_vi and "expired" not in error.message_en
    # At most one renewal is tried before saying so.
    assert len(sandbox.token_requests) <= 2


# -- point 13: the token outlives the process ----------------------------------------------

def test_com07_token_is_kept_in_the_keyring_and_15_cli_like_runs_ask_for_it_once(kind, clock):
    sandbox = kiotviet_sandbox(kind=kind, clock=clock)
    keyring = SecretStore(backend=MemoryKeyring())
    for _ in range(15):                               # one connector per process, as the CLI
        connector = build_connector(kind, sandbox.transport(), clock=clock)
        connector.keep_token_on(TokenShelf(keyring, "Cà phê Mộc"))
        run(connector.test_connection())
        run(connector.aclose())
        clock.advance(60)
    assert len(sandbox.token_requests) == 1
    kept = keyring.get("Cà phê Mộc", ACCESS_TOKEN_FIELD)
    assert kept and next(iter(sandbox.tokens)) in kept          # in the keyring, not elsewhere
    assert "sandbox-" not in kept.replace(sandbox.client_id, "")  # no client secret in it


def test_com07_kept_token_is_renewed_when_expired_or_refused(kind, clock):
    sandbox = kiotviet_sandbox(kind=kind, clock=clock, token_lifetime=7200)
    keyring = SecretStore(backend=MemoryKeyring())

    def one_run():
        connector = build_connector(kind, sandbox.transport(), clock=clock)
        connector.keep_token_on(TokenShelf(keyring, "p"))
        run(connector.test_connection())
        run(connector.aclose())
    one_run()
    sandbox.expire_tokens()                 # revoked on KiotViet's side: refused, renewed once
    one_run()
    assert len(sandbox.token_requests) == 2
    one_run()
    assert len(sandbox.token_requests) == 2


def test_com07_open_connector_keeps_the_token_of_a_saved_profile(store, clock):
    from app.store.profiles import create_profile
    from app.sync.connect import open_connector
    from connectors.kiotviet.platform import KIOTVIET_FNB
    sandbox = kiotviet_sandbox(kind="fnb", clock=clock)
    keyring = SecretStore(backend=MemoryKeyring())
    keyring.set("Cà phê Mộc", "client_secret", KIOTVIET_FNB.sandbox_secrets["client_secret"])
    profile = create_profile("Cà phê Mộc", KIOTVIET_FNB.key,
                             fields=dict(KIOTVIET_FNB.sandbox_settings),
                             secret_names=["client_secret"])

    async def one_run():
        connector = open_connector(profile, keyring, transport=sandbox.transport())
        try:
            await connector.test_connection()
        finally:
            await connector.aclose()
    for _ in range(15):
        run(one_run())
    assert len(sandbox.token_requests) == 1
    # Removing the connection removes the kept token with the other secrets (COM-07).
    from app.store.profiles import remove_profile
    assert keyring.get("Cà phê Mộc", ACCESS_TOKEN_FIELD)
    remove_profile("Cà phê Mộc", keyring)
    assert keyring.get("Cà phê Mộc", ACCESS_TOKEN_FIELD) is None


# -- point 15: delivery data and the two shop settings --------------------------------------

def test_kvf07_no_delivery_data_unless_the_order_delivers_and_the_shop_uses_delivery(kind,
                                                                                      clock):
    """The shop's "Sử dụng tính năng giao hàng" is off: KiotViet refuses delivery data. With
    the option off (the default) the order goes through without it."""
    sandbox = kiotviet_sandbox(kind=kind, clock=clock)
    sandbox.set_setting(DELIVERY, False)
    connector = build_connector(kind, sandbox.transport(), clock=clock)
    [outcome] = run(connector.create(Entity.ORDER, [app_order(sku=sku_of(kind))]))
    assert outcome.error is None, outcome.error
    sent = sandbox.body(posts(sandbox)[0])
    assert not {"DeliveryDetail", "orderDelivery"} & set(sent)
    # An order without an address sends none either, even for a shop that delivers.
    connector = build_connector(kind, sandbox.transport(), clock=clock,
                                options={"uses_delivery": True})
    [outcome] = run(connector.create(Entity.ORDER, [app_order("A-2", sku=sku_of(kind),
                                                              address="")]))
    assert outcome.error is None
    assert not {"DeliveryDetail", "orderDelivery"} & set(sandbox.body(posts(sandbox)[-1]))


def test_kvf07_delivery_refused_by_the_shop_setting_names_it_and_the_option(kind, clock):
    sandbox = kiotviet_sandbox(kind=kind, clock=clock)
    sandbox.set_setting(DELIVERY, False)
    connector = build_connector(kind, sandbox.transport(), clock=clock,
                                options={"uses_delivery": True})
    with pytest.raises(SettingOff) as caught:
        run(connector.create(Entity.ORDER, [app_order(sku=sku_of(kind))]))
    error = caught.value
    assert "Sử dụng tính năng giao hàng" in error.message_vi
    assert "Sử dụng tính năng giao hàng" in error.message_en and "delivery" in error.message_en
    assert "Cửa hàng dùng tính năng giao hàng của KiotViet" in error.message_vi
    assert "The shop uses KiotViet's delivery feature" in error.message_en
    assert not sandbox.tables["orders"]
    # Switched on in KiotViet: the same order goes through with its delivery data.
    sandbox.set_setting(DELIVERY, True)
    [outcome] = run(connector.create(Entity.ORDER, [app_order(sku=sku_of(kind))]))
    assert outcome.error is None
    [stored] = sandbox.tables["orders"].values()
    assert stored["orderDelivery"]["address"] == "10 Nguyễn Huệ"


def test_com06_out_of_stock_refusal_names_the_fnb_setting(clock):
    sandbox = kiotviet_sandbox(kind="fnb", clock=clock)
    sandbox.set_setting(OUT_OF_STOCK_ORDERING, False)
    connector = build_connector("fnb", sandbox.transport(), clock=clock)
    with pytest.raises(SettingOff) as caught:
        run(connector.create(Entity.ORDER, [app_order(qty=500)]))
    assert "Cho phép gọi món khi hết tồn kho" in caught.value.message_vi
    assert "Cho phép gọi món khi hết tồn kho" in caught.value.message_en
    assert "allow ordering when out of stock" in caught.value.message_en
    [outcome] = run(connector.create(Entity.ORDER, [app_order(qty=1)]))
    assert outcome.error is None


# -- point 16: COM-02, a lost answer never makes a second order ------------------------------

@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.TIMEOUT, Fault.RESET])
@pytest.mark.parametrize("kept", ["everything", "no description", "neither"])
def test_com02_order_committed_then_answer_lost_is_found_not_sent_again(kind, clock, fault,
                                                                        kept):
    sandbox = kiotviet_sandbox(kind=kind, clock=clock,
                               keeps_order_description=kept == "everything",
                               keeps_line_notes=kept != "neither")
    connector = build_connector(kind, sandbox.transport(), clock=clock)
    if kind == "retail" and kept != "everything":
        pytest.skip("Retail documents `description` on order create (KVDOC 2.5.3)")
    sandbox.lose_answer("POST", "/orders", fault)
    [outcome] = run(connector.create(Entity.ORDER, [app_order(sku=sku_of(kind))]))
    assert outcome.error is None, outcome.error and outcome.error.message_en
    [stored] = sandbox.tables["orders"].values()
    assert outcome.pos_key == stored["code"]
    assert len(posts(sandbox)) == 1


def test_com02_content_match_never_takes_an_order_another_app_order_made(clock):
    """Two identical App orders, the second's answer lost, the store keeping no marker: the
    second is not mistaken for the first (already claimed), it is sent again — and found."""
    sandbox = kiotviet_sandbox(kind="fnb", clock=clock, keeps_order_description=False,
                               keeps_line_notes=False)
    connector = build_connector("fnb", sandbox.transport(), clock=clock)
    [first] = run(connector.create(Entity.ORDER, [app_order("A-1")]))
    sandbox.lose_answer("POST", "/orders", Fault.TIMEOUT)
    [second] = run(connector.create(Entity.ORDER, [app_order("A-2")]))
    assert first.error is None and second.error is None
    assert len(sandbox.tables["orders"]) == 2 and first.pos_key != second.pos_key


def test_com02_find_recognises_an_order_by_its_line_note_when_description_is_dropped(clock):
    sandbox = kiotviet_sandbox(kind="fnb", clock=clock, keeps_order_description=False)
    run(build_connector("fnb", sandbox.transport(), clock=clock).create(
        Entity.ORDER, [app_order("A-7")]))
    found = run(build_connector("fnb", sandbox.transport(), clock=clock).find(
        Entity.ORDER, app_order("A-7")))
    [stored] = sandbox.tables["orders"].values()
    assert found is not None and found.key == stored["code"]


# -- point 17: no look-up the run already knows the answer to --------------------------------

def test_com02_linked_lines_read_their_family_once_not_each_code(kind, clock):
    sandbox = kiotviet_sandbox(kind=kind, clock=clock)
    connector = build_connector(kind, sandbox.transport(), clock=clock)
    family = "CPSD" if kind == "fnb" else "ATC"
    root = str(sandbox._family_root(sandbox.product_by_code(f"{family}-M")))
    sizes = ("M", "L")
    orders = [app_order(f"A-{i}", lines=tuple(
        OrderLine(sku=f"{family}-{size}", name="x", quantity=Decimal(1), price=Decimal(1000),
                  product_key=root) for size in sizes)) for i in range(3)]
    outcomes = run(connector.create(Entity.ORDER, orders))
    assert all(o.error is None for o in outcomes)
    assert sandbox.count("GET", "/products/code/") == 0
    assert sum(1 for r in sandbox.requests if r.url.path == "/products"
               and r.url.params.get("masterProductId") == root) == 1
    # The right rows were used: each line names its own size's row.
    codes = [[d["productCode"] for d in o["orderDetails"]]
             for o in sandbox.tables["orders"].values()]
    assert codes == [[f"{family}-{size}" for size in sizes]] * 3


def test_com02_unlinked_line_is_looked_up_once_per_run(clock):
    sandbox = kiotviet_sandbox(kind="fnb", clock=clock)
    connector = build_connector("fnb", sandbox.transport(), clock=clock)
    run(connector.create(Entity.ORDER, [app_order(f"A-{i}") for i in range(4)]))
    assert sandbox.count("GET", "/products/code/") == 1


def test_com02_customer_created_this_run_is_not_looked_up_again(kind, clock):
    sandbox = kiotviet_sandbox(kind=kind, clock=clock)
    connector = build_connector(kind, sandbox.transport(), clock=clock)
    new = Customer(key="app-9", name="Võ Thị Hồng", phone="0977 000 111")
    assert run(connector.find(Entity.CUSTOMER, new)) is None          # the engine's COM-02 check
    [made] = run(connector.create(Entity.CUSTOMER, [new]))
    before = sandbox.count("GET", "/customers")
    [outcome] = run(connector.create(Entity.ORDER, [app_order(
        sku=sku_of(kind), customer_phone="0977000111", customer_name="Võ Thị Hồng")]))
    assert outcome.error is None
    assert sandbox.count("GET", "/customers") == before == 1
    [stored] = sandbox.tables["orders"].values()
    assert str(stored["customerId"]) == made.pos_key


# -- point 14: the hourly budget's 429 goes through the shared path (connectors/http.py) ------

def test_com08_hourly_budget_429_is_left_to_the_shared_throttle_path(clock):
    """KiotViet's own classifier leaves a 429 alone, so the one generic RateLimited handling
    (Retry-After, the wait the run announces) applies; nothing KiotViet-specific waits."""
    import httpx
    from connectors.http import default_classifier
    from connectors.kiotviet.client import classify_with_token
    from contract.connector import RateLimited
    sandbox = kiotviet_sandbox(kind="fnb", clock=clock)
    sandbox.get_stamps.extend([clock()] * 5000)                 # the hour's 5,000 GETs spent
    connector = build_connector("fnb", sandbox.transport(), clock=clock)
    answer = sandbox.handle(httpx.Request("GET", "https://publicfnb.kiotapi.com/branches",
                                          headers={"Retailer": "caphemoc",
                                                   "Authorization": "Bearer " + run(
                                                       connector.tokens.token())}))
    assert answer.status_code == 429 and 3500 < int(answer.headers["retry-after"]) <= 3601
    assert classify_with_token(answer) is None
    error = default_classifier(answer)
    assert isinstance(error, RateLimited) and error.retry_after > 3500
