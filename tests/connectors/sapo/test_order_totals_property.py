"""Property (issue 23): for any order the Sapo sandbox can produce (lines with their own
discounts, order-level discount codes, shipping fees), the App's total equals Sapo's to the
đồng, and so does an App order pushed to Sapo with its own discount or fee (SAPO-04)."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.records import Entity, Order, OrderLine
from connectors.sapo import mapping
from connectors.sapo.sandbox import sapo_sandbox
from tests.connectors.order_sums import parts_total
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
    # Issue 23: the App order itself carries the parts: lines − discounts + fees = total.
    assert parts_total(app) == app.total
    assert [line.discount for line in app.lines] == [discount for *_, discount in built]
    assert app.fees == sum((Decimal(fee) for fee in fees), Decimal(0))
    assert app.discount == Decimal(str(order["total_discounts"])) - sum(
        (discount for *_, discount in built), Decimal(0))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.tuples(st.integers(0, len(VARIANTS) - 1), st.integers(1, 4),
                                st.sampled_from((0, 1000, 3333, 12500))),
                      min_size=1, max_size=3),
       order_discount=st.sampled_from((0, 5000, 20000)), order_fees=st.sampled_from((0, 30000)),
       adjustment=st.one_of(st.just(None),
                            st.integers(-30_000, 40_000).map(lambda v: v - v % 500)))
def test_sapo04_a_pushed_app_order_totals_the_same_on_sapo(lines, order_discount, order_fees,
                                                           adjustment):
    """An App order with line discounts, an order discount and fees (issue 23), whose total
    is what its parts add up to, or any other total typed in by hand (the fallback)."""
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=9, products=PRODUCTS, clock=clock, rate_limits=False)
    order_lines = tuple(OrderLine(VARIANTS[i][1]["sku"], VARIANTS[i][0]["name"], Decimal(qty),
                                  Decimal(str(VARIANTS[i][1]["price"])),
                                  product_key=str(VARIANTS[i][0]["id"]),
                                  variant_key=str(VARIANTS[i][1]["id"]),
                                  discount=min(Decimal(off),
                                               Decimal(str(VARIANTS[i][1]["price"])) * qty))
                        for i, qty, off in lines)
    draft = Order("app-o", lines=order_lines, discount=Decimal(order_discount),
                  fees=Decimal(order_fees))
    parts = parts_total(draft)
    total = parts if adjustment is None else parts + adjustment
    if total <= 0:
        return                   # nothing to sell: the App never pushes a free order
    outcome = run(build_connector(sandbox.transport(), clock=clock, options={
        "inventory_behaviour": "decrement_ignoring_policy"}).create(
        Entity.ORDER, [dataclasses.replace(draft, total=total)]))[0]
    assert outcome.error is None
    sapo = sandbox.orders[int(outcome.pos_key)]
    assert Decimal(str(sapo["total_price"])) == total
    # List prices reach Sapo as they are; the discounts and fees ride beside them.
    assert [Decimal(str(item["price"])) for item in sapo["line_items"]] == [
        line.price for line in order_lines]
    assert outcome.record.total == total and parts_total(outcome.record) == total
    discounts = order_discount + sum((line.discount for line in order_lines), Decimal(0))
    worth = sum((line.price * line.quantity for line in order_lines), Decimal(0))
    if adjustment is None and discounts <= worth:
        # The App's own discounts and fees, each where Sapo shows it.
        assert Decimal(str(sapo["total_discounts"])) == discounts
        assert Decimal(str(sapo["total_shipping_price"])) == order_fees
