"""Prices and quantities as Vietnamese shops write them (issue 18 §2): one reader for CSV,
JSON, Excel and the App data form. Money is never silently rescaled."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.sync.written_amounts import AmountKind, AmountRefused, read_amount, shown_money


@pytest.mark.parametrize("written, amount", [
    ("25.000", 25000), ("1.250.000", 1250000), ("25000", 25000), ("25,000", 25000),
    ("42.000 ₫", 42000), ("42.000đ", 42000), ("42.000 đ", 42000), ("25 000", 25000),
    ("1.500", 1500), ("0", 0), (25000, 25000), (25000.0, 25000), (Decimal("19990"), 19990),
])
def test_import_money_vietnamese_thousands_forms_are_whole_dong(written, amount):
    assert read_amount(written) == Decimal(amount)


@pytest.mark.parametrize("written", ["25,5", "1.5", "1.234,5", "25.00", "2.5000", "1,2,3"])
def test_import_money_ambiguous_form_is_refused_with_the_accepted_forms(written):
    with pytest.raises(AmountRefused) as refused:
        read_amount(written)
    assert "25.000" in refused.value.message_vi and "42.000đ" in refused.value.message_en
    assert "hai cách" in refused.value.message_vi


@pytest.mark.parametrize("written", ["-5000", "-5.000", -5000, "−5000"])
def test_import_money_negative_price_is_refused(written):
    with pytest.raises(AmountRefused, match="negative"):
        read_amount(written)


@pytest.mark.parametrize("written", ["1e30", "1e400", "9" * 400, 1e30, float("inf"),
                                     float("nan"), "1" + "000" * 6, "abc", True])
def test_import_money_huge_or_nonsense_is_refused_not_an_unexpected_error(written):
    with pytest.raises(AmountRefused) as refused:
        read_amount(written)
    assert refused.value.message_vi and refused.value.message_en


@pytest.mark.parametrize("written, amount", [("2", 2), ("1,5", "1.5"), ("0,25", "0.25"),
                                             ("1.000", 1000), (1.5, "1.5")])
def test_order_quantity_reads_whole_and_short_fractions(written, amount):
    assert read_amount(written, AmountKind.QUANTITY) == Decimal(str(amount))


@pytest.mark.parametrize("written", ["0", "-3", 0, -3, "0,00"])
def test_order_quantity_zero_or_negative_is_refused(written):
    with pytest.raises(AmountRefused, match="more than 0"):
        read_amount(written, AmountKind.QUANTITY)


def test_shown_money_uses_dots_and_dong_sign():
    assert shown_money(Decimal(42000)) == "42.000 ₫"
