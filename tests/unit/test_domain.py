"""Canonical record helpers: text, money, time, fingerprints, plain round trip."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from contract.records import (Category, Customer, Entity, InvalidValue, Order, OrderLine, OrderStatus,
                        Product, StockLevel, Variant, fingerprint, from_plain, from_vietnam_time,
                        money, text, to_plain, utc)

NFC_NAME = "Cà phê sữa đá"
NFD_NAME = unicodedata.normalize("NFD", NFC_NAME)


def test_text_makes_decomposed_vietnamese_equal_to_precomposed():
    assert NFD_NAME != NFC_NAME
    assert text(NFD_NAME) == NFC_NAME
    assert text(None) == ""
    assert text("  Trà  ") == "Trà"


@pytest.mark.parametrize("raw, expected", [
    (150000, Decimal("150000")), (150000.0, Decimal("150000")), ("150,000", Decimal("150000")),
    ("12.50", Decimal("12.5")), (0.1, Decimal("0.1")), (None, Decimal("0")), ("", Decimal("0")),
])
def test_money_is_decimal_with_one_spelling(raw, expected):
    value = money(raw)
    assert value == expected and isinstance(value, Decimal)
    assert "E" not in format(value, "f") and "E" not in str(value)


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", True, float("inf")])
def test_money_refuses_what_is_not_an_amount(raw):
    with pytest.raises(InvalidValue):
        money(raw)


def test_utc_refuses_naive_and_converts_aware():
    with pytest.raises(InvalidValue):
        utc(datetime(2026, 1, 1, 8, 0))
    hanoi = timezone(timedelta(hours=7))
    assert utc(datetime(2026, 1, 1, 8, 0, tzinfo=hanoi)) == datetime(2026, 1, 1, 1, 0,
                                                                     tzinfo=timezone.utc)
    assert from_vietnam_time(datetime(2026, 1, 1, 8, 0)).hour == 1


def test_fingerprint_is_stable_across_nfd_and_nfc():
    assert fingerprint(Category("a", NFC_NAME)) == fingerprint(Category("b", NFD_NAME))


def test_fingerprint_ignores_ids_and_timestamps_but_sees_edits():
    base = Customer("K1", "An", phone="0912345678")
    other_side = Customer("9981", "An", phone="0912345678",
                          updated_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert fingerprint(base) == fingerprint(other_side)
    assert fingerprint(base) != fingerprint(Customer("K1", "An", phone="0912345679"))


def test_fingerprint_treats_equal_prices_as_equal():
    a = Product("P1", "Trà", variants=(Variant("v", price=Decimal("15000")),))
    b = Product("P1", "Trà", variants=(Variant("v", price=Decimal("15000.00")),))
    assert fingerprint(a) == fingerprint(b)


FULL_PRODUCT = Product(
    "P000001", NFC_NAME, description="Ngon", category_keys=("C000001",), option_names=("Size",),
    variants=(Variant("v1", sku="CF-1", barcode="893", price=Decimal("25000"),
                      compare_at_price=Decimal("30000.5"), options=("L",),
                      stock=(StockLevel("B1", Decimal("2.5")),), unit="ly"),),
    images=("https://x/y.png",), visible=False,
    updated_at=datetime(2026, 3, 1, 2, 3, tzinfo=timezone.utc))

FULL_ORDER = Order(
    "O000001", number="DH1", status=OrderStatus.SHIPPED_OUT,
    lines=(OrderLine("CF-1", "Cà phê", Decimal("2"), Decimal("25000"), note="ít đá"),),
    customer_name="An", delivery_at=datetime(2026, 3, 1, 9, tzinfo=timezone.utc),
    total=Decimal("50000"), created_at=datetime(2026, 3, 1, 8, tzinfo=timezone.utc))


@pytest.mark.parametrize("entity, record", [
    (Entity.PRODUCT, FULL_PRODUCT), (Entity.ORDER, FULL_ORDER),
    (Entity.CUSTOMER, Customer("K1", "Bình", birthday=date(1990, 5, 4), gender="female")),
])
def test_plain_round_trip_keeps_every_field(entity, record):
    assert from_plain(entity, to_plain(record)) == record


@given(name=st.text(max_size=40), price=st.decimals(allow_nan=False, allow_infinity=False,
                                                     places=2, min_value=0, max_value=10**9))
def test_plain_round_trip_of_any_name_and_price(name, price):
    record = Product("P1", text(name), variants=(Variant("v", price=money(price)),))
    assert from_plain(Entity.PRODUCT, to_plain(record)) == record


@pytest.mark.parametrize("entity, data", [
    (Entity.PRODUCT, {"key": "P1", "name": "x", "visible": "yes"}),
    (Entity.PRODUCT, {"key": "P1", "name": "x", "variants": [{"key": "v", "price": "abc"}]}),
    (Entity.ORDER, {"key": "O1", "status": "teleported"}),
    (Entity.ORDER, {"key": "O1", "created_at": "2026-01-01T08:00:00"}),  # naive
    (Entity.CUSTOMER, {"key": "K1", "name": "x", "birthday": "not a date"}),
    (Entity.CATEGORY, {"name": "no key"}),
])
def test_from_plain_turns_bad_input_into_invalid_value(entity, data):
    with pytest.raises(InvalidValue):
        from_plain(entity, data)


def test_evolve_builds_what_dataclasses_replace_builds_for_every_record_type():
    """translate.py copies records with `evolve`: it must stay equal to replace(), which holds
    only while no record type gains a __post_init__ or slots."""
    import dataclasses
    from contract.records import RECORD_TYPES, evolve
    for kind in [*RECORD_TYPES.values(), Variant, StockLevel, OrderLine]:
        assert "__post_init__" not in vars(kind) and not hasattr(kind, "__slots__"), kind
    variant = Variant("v1", sku="A", price=Decimal("1"), stock=(StockLevel("b1", Decimal(2)),))
    product = Product("p1", NFC_NAME, variants=(variant,), category_keys=("c1",))
    changed = evolve(product, key="P000001", category_keys=())
    assert changed == dataclasses.replace(product, key="P000001", category_keys=())
    assert hash(changed) == hash(dataclasses.replace(product, key="P000001", category_keys=()))
    assert product.key == "p1" and product.category_keys == ("c1",)   # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        changed.key = "x"   # type: ignore[misc]
    line = OrderLine("A", "Trà", Decimal(1), Decimal(10), "p", "v")
    assert evolve(line, variant_key="") == dataclasses.replace(line, variant_key="")
