"""Prices and quantities as Vietnamese shops write them, read one way everywhere.

In Vietnam "25.000" is twenty-five thousand đồng: the dot groups thousands. Spreadsheets,
POS exports and people also write "25000", "25,000", "1.250.000", "42.000 ₫" or "42.000đ".
Every one of those means the same whole number of đồng, so they are accepted. A form that
could mean two different amounts ("25,5", "1.5": one and a half thousand, or 1.5 đồng?) is
refused with the forms that are accepted: money is never silently rescaled.

Numbers that already are numbers (an Excel number cell, a JSON number) are exact and are
taken as they are. The same reader serves CSV, JSON and Excel import and the App data form.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import Enum

from contract.records import InvalidValue, text

# Above this no real price or quantity exists (a thousand trillion đồng); it also keeps a
# 400-digit or 1e400 value from reaching Decimal arithmetic or the POS.
LIMIT = Decimal(10) ** 15

_CURRENCY = re.compile(r"\s*(₫|đồng|đ|vnđ|vnd)\s*$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_PLAIN = re.compile(r"\d+")
# One separator, used only between groups of exactly three digits.
_GROUPED = re.compile(r"\d{1,3}(?P<sep>[.,\s\u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*")
# A quantity may have a fraction (kg, litres): one separator followed by one or two digits.
_FRACTION = re.compile(r"(?P<whole>\d+)[.,](?P<part>\d{1,2})")


class AmountKind(str, Enum):
    MONEY = "money"          # a price or a total, in đồng: never negative
    QUANTITY = "quantity"    # an order line quantity: more than zero


class AmountRefused(InvalidValue):
    """A written amount that is not accepted; carries the words for the user."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi, self.message_en = message_vi, message_en


MONEY_FORMS_VI = "25000, 25.000, 25,000, 1.250.000, 42.000 ₫ hoặc 42.000đ"
MONEY_FORMS_EN = "25000, 25.000, 25,000, 1.250.000, 42.000 ₫ or 42.000đ"
QUANTITY_FORMS = "2, 10, 1.000, 1,5, 0,25"


def read_amount(value: object, kind: AmountKind = AmountKind.MONEY) -> Decimal:
    """The amount `value` means, or AmountRefused saying why and what is accepted.

    Empty is not an amount here: callers decide what an empty cell means."""
    if value.__class__ is int and 0 < value < LIMIT:     # an Excel or JSON whole number
        if kind is AmountKind.MONEY or value > 0:
            return Decimal(value)
    if isinstance(value, bool):
        raise _not_a_number(value, kind)
    if isinstance(value, (int, float, Decimal)):
        amount = _exact(value, kind)
    else:
        amount = _written(text(value), kind)
    return _checked(amount, value, kind)


def _exact(value: int | float | Decimal, kind: AmountKind) -> Decimal:
    try:
        # str() for floats: 0.1 is "0.1", not its binary expansion.
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, OverflowError):
        raise _not_a_number(value, kind) from None
    if not amount.is_finite():
        raise _not_a_number(value, kind)
    return amount


def _written(raw: str, kind: AmountKind) -> Decimal:
    if not raw:
        raise _not_a_number(raw, kind)
    if len(raw) > 40:      # "1" followed by 400 zeros: refuse before any parsing work
        raise _too_large(raw, kind)
    body = _CURRENCY.sub("", raw) if kind is AmountKind.MONEY else raw
    body = body.strip()
    negative = body.startswith("-") or body.startswith("−")
    if negative:
        body = body[1:].strip()
    if _PLAIN.fullmatch(body) or _GROUPED.fullmatch(body):
        digits = _SPACES.sub("", body).replace(".", "").replace(",", "")
        if len(digits) > 16:
            raise _too_large(raw, kind)
        amount = Decimal(digits)
    elif kind is AmountKind.QUANTITY and (found := _FRACTION.fullmatch(body)):
        amount = Decimal(f"{found['whole']}.{found['part']}")
    elif kind is AmountKind.MONEY and (_FRACTION.fullmatch(body) or _looks_numeric(body)):
        raise _ambiguous(raw, kind)
    elif kind is AmountKind.QUANTITY and _looks_numeric(body):
        raise _ambiguous(raw, kind)
    else:
        raise _not_a_number(raw, kind)
    return -amount if negative else amount


def _looks_numeric(body: str) -> bool:
    """Digits and separators only, but not in an accepted arrangement ("1.5", "25,50,0")."""
    return bool(body) and any(ch.isdigit() for ch in body) and all(
        ch.isdigit() or ch in ".,  \u00a0\u202f" for ch in body)


def _checked(amount: Decimal, value: object, kind: AmountKind) -> Decimal:
    if abs(amount) >= LIMIT:
        raise _too_large(value, kind)
    if kind is AmountKind.MONEY and amount < 0:
        raise AmountRefused(f"“{_shown(value)}”: giá tiền không được âm.",
                            f"“{_shown(value)}”: a price cannot be negative.")
    if kind is AmountKind.QUANTITY and amount <= 0:
        raise AmountRefused(f"“{_shown(value)}”: số lượng phải lớn hơn 0.",
                            f"“{_shown(value)}”: the quantity must be more than 0.")
    # 150000.0 and 150000 are one amount: one spelling, never an exponent.
    if amount == amount.to_integral_value():
        return amount.quantize(Decimal(1))
    return amount.normalize()


def _shown(value: object) -> str:
    shown = str(value)
    return shown if len(shown) <= 24 else shown[:20] + "…"


def _forms(kind: AmountKind) -> tuple[str, str]:
    if kind is AmountKind.MONEY:
        return MONEY_FORMS_VI, MONEY_FORMS_EN
    return QUANTITY_FORMS, QUANTITY_FORMS


def _not_a_number(value: object, kind: AmountKind) -> AmountRefused:
    vi, en = _forms(kind)
    return AmountRefused(f"“{_shown(value)}” không phải là số. Viết như: {vi}.",
                         f"“{_shown(value)}” is not a number. Write it like: {en}.")


def _ambiguous(value: object, kind: AmountKind) -> AmountRefused:
    vi, en = _forms(kind)
    if kind is AmountKind.MONEY:
        return AmountRefused(
            f"“{_shown(value)}” có thể hiểu theo hai cách (đồng không có phần lẻ; dấu chấm "
            f"hoặc phẩy chỉ dùng để tách hàng nghìn). Viết như: {vi}.",
            f"“{_shown(value)}” could mean two amounts (đồng have no fraction; a dot or "
            f"comma only separates thousands). Write it like: {en}.")
    return AmountRefused(
        f"“{_shown(value)}” có thể hiểu theo hai cách. Viết như: {vi} "
        "(phần lẻ tối đa hai chữ số).",
        f"“{_shown(value)}” could mean two quantities. Write it like: {en} "
        "(at most two decimals).")


def _too_large(value: object, kind: AmountKind) -> AmountRefused:
    return AmountRefused(f"“{_shown(value)}” quá lớn (tối đa 999.999.999.999.999).",
                         f"“{_shown(value)}” is too large (at most 999,999,999,999,999).")


def shown_money(amount: Decimal) -> str:
    """'42.000 ₫': how the App shows an amount to a Vietnamese user."""
    whole = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,}"
    return whole.replace(",", ".") + " ₫"
