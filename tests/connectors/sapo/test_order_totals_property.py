"""Property (issue 23): for any order the Sapo sandbox can produce (lines with their own
discounts, order-level discount codes, shipping fees), the App's total equals Sapo's to the
đồng, and so does an App order pushed to Sapo with its own discount or fee (SAPO-04)."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.records import Entity, Order, OrderLine
from connectors.sapo import mapping
from connectors.sapo.sandbox import sapo_sandbox
from tests.connectors.sapo.conftest import FakeClock, build_connector, run

PRODUCTS = 30
SANDBOX = sapo_sandbox(seed=9, products=PRODUCTS, clock=FakeClock(), rate_limits=False)
VARIANTS = [(p, v) for p in (SANDBOX.product(100_000 + i) for i in range(PRODUCTS))
            for v in p["variants"]]

line = st.tuples(st.integers(0, len(VARIANTS) - 1), st.integers(1, 5),
                 st.sampled_from((0, 1000, 2500, 5000, 12500)))
codes = st.lists(st.tuples(st.sampled_from(("fixed_amount", "percentage")),
                           st.sampled_from((5, 10, 15000, 20000))), max_size=2)
fees = st.lists(st.sampled_from((0, 15000, 22000, 35500)), max_size=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(line, min_size=1, max_size=4), codes=codes, fees=fees)
def test_sapo04_app_total_equals_sapo_total_for_any_sandbox_order(lines, codes, fees):
    built = []
    for index, qty, discount in lines:
        product, variant = VARIANTS[index]
        price = Decimal(str(variant["price"]))
        built.append((product, variant, qty, min(Decimal(discount) * qty, price * qty)))
    order = SANDBOX._build_order(
        {"discount_codes": [{"code": "KM", "type": kind, "amount": amount} for kind, amount in codes],
         "shipping_lines": [{"title": "Giao hàng", "price": fee} for fee in fees]},
        built, None, SANDBOX.clock())
    app = mapping.order_from_sapo(order)
    amounts = mapping.order_amounts(order)
    assert app.total == Decimal(str(order["total_price"]))
    assert amounts.computed == app.total
    assert sum((line.price * line.quantity for line in app.lines), Decimal(0)) == amounts.lines


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.tuples(st.integers(0, len(VARIANTS) - 1), st.integers(1, 4)),
                      min_size=1, max_size=3),
       adjustment=st.integers(-30_000, 40_000).map(lambda v: v - v % 500))
def test_sapo04_a_pushed_app_order_totals_the_same_on_sapo(lines, adjustment):
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=9, products=PRODUCTS, clock=clock, rate_limits=False)
    order_lines = tuple(OrderLine(VARIANTS[i][1]["sku"], VARIANTS[i][0]["name"], Decimal(qty),
                                  Decimal(str(VARIANTS[i][1]["price"])),
                                  product_key=str(VARIANTS[i][0]["id"])) for i, qty in lines)
    lines_total = sum((ln.price * ln.quantity for ln in order_lines), Decimal(0))
    total = max(Decimal(1000), lines_total + adjustment)
    outcome = run(build_connector(sandbox.transport(), clock=clock, options={
        "inventory_behaviour": "decrement_ignoring_policy"}).create(
        Entity.ORDER, [Order("app-o", lines=order_lines, total=total)]))[0]
    assert outcome.error is None
    assert Decimal(str(sandbox.orders[int(outcome.pos_key)]["total_price"])) == total
    assert outcome.record.total == total
