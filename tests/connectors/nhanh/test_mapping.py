"""Common-shape Nhanh records → canonical records."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.nhanh import mapping


@pytest.mark.parametrize("raw, expected", [("1990-05-12", date(1990, 5, 12)),
                                           ("12/05/1990", date(1990, 5, 12)),
                                           ("không nhớ", None), ("", None)])
def test_customer_birthday_in_either_spelling_or_dropped(raw, expected):
    record = mapping.customer({"id": 1, "name": "Lan", "mobile": "0912345678",
                               "birthday": raw})
    assert record.birthday == expected


@pytest.mark.parametrize("raw, expected", [(1, "male"), ("2", "female"), ("Nữ", "female"),
                                           (None, ""), ("?", "")])
def test_customer_gender(raw, expected):
    assert mapping.customer({"id": 1, "name": "Lan", "gender": raw}).gender == expected


def test_single_product_is_its_own_variant_and_decomposed_text_is_nfc():
    record = mapping.product({"id": "7", "parentId": "-1", "code": "SKL", "status": 3,
                              "name": "Son kem li\u0300", "prices": {"retail": "189000.0",
                                                                     "old": 0},
                              "depots": [{"id": "101", "available": 4}]})
    assert record.name == "Son kem lì" and not record.visible
    [variant] = record.variants
    assert variant.key == "7" and variant.price == Decimal(189000)
    assert variant.compare_at_price is None
    assert variant.stock[0].branch_key == "101"


def test_new_order_refuses_missing_mobile():
    from contract.records import InvalidValue, Order, OrderLine
    order = Order(key="A", customer_name="Lan", lines=(OrderLine(
        sku="S", name="x", quantity=Decimal(1), price=Decimal(1)),))
    with pytest.raises(InvalidValue):
        mapping.new_order(order, {0: "1"})


@pytest.mark.parametrize("raw", ["2026-11-23 10:00:00", "2026-11-23 10:00:00.123",
                                 "2026-1-3 1:2:3", "2026-11-23", "2026-11-23T10:00:00",
                                 "0000-00-00 00:00:00", "", None, "2026-13-01 00:00:00",
                                 "２０２６-11-23 10:00:00", "2026-11-23 10:00:0Z",
                                 " 2026-11-23 23:59:59 "])
def test_nh_v2_dates_read_as_the_documented_format_says_in_vietnam_time(raw):
    """v2 "Y-m-d H:i:s" in Vietnam time: the fast reading of the documented shape gives what
    strptime gives, and anything else still goes through strptime (or is no date)."""
    from datetime import datetime

    from contract.records import from_vietnam_time, text
    from connectors.nhanh.v2 import from_vn
    cleaned = text(raw)[:19]
    try:
        expected = (None if not cleaned or cleaned.startswith("0000") else
                    from_vietnam_time(datetime.strptime(cleaned, "%Y-%m-%d %H:%M:%S")))
    except ValueError:
        expected = None
    assert from_vn(raw) == expected
    if raw == "2026-11-23 10:00:00":
        assert expected.isoformat() == "2026-11-23T03:00:00+00:00"
