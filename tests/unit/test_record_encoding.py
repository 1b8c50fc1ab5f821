"""Fingerprints keep their exact spelling; stored JSON keeps its content.

Links store both sides' fingerprints (COM-04 compares against them): if their spelling changed,
every linked item of every shop would look changed on both sides after an upgrade. The catalog
stores each record's JSON, which is only ever read back, never compared as text: its content
must not change (older rows must read back the same), its spacing and key order may. The
expected strings were produced by the original, generic encoder.
"""
from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.records import (RECORD_TYPES, UNSYNCED_FIELDS, Branch, Category, Customer, NewsArticle,
                        Order, OrderLine, OrderStatus, Product, StockLevel, Variant,
                        fingerprint, from_plain, text, to_plain)
from app.store.catalog import serialise

NFD = "Ca\u0300 phe\u0302\u0301 sư\u0303a đá "   # decomposed Vietnamese, trailing space

RECORDS = [
    Product("p1", NFD, description="<p>Mô tả</p>", category_keys=("c1", "c2"),
            option_names=("Size", "Màu"),
            variants=(Variant("v1", sku=" SKU-1 ", barcode="893", price=Decimal("150000.0"),
                              compare_at_price=Decimal("1.50"), options=("M", "Đỏ"),
                              stock=(StockLevel("b1", Decimal("2.500")),
                                     StockLevel("b2", Decimal("0"))), unit="ly"),
                      Variant("v2", sku="SKU-2", price=Decimal("1E+5"))),
            images=("https://x/1.jpg",), visible=False,
            updated_at=datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)),
    Category("c1", "Đồ uống", parent_key="c0", visible=True, position=3),
    Customer("k1", "Nguyễn Văn A", phone="0987654321", email="a@b.vn", address="Hà Nội",
             birthday=date(1990, 1, 2), gender="male", note=NFD),
    Order("o1", number="#1001", status=OrderStatus.RECONCILED,
          lines=(OrderLine("SKU-1", NFD, Decimal("2"), Decimal("150000.00"), "p1", "v1",
                           "ít đá"),),
          customer_key="k1", customer_name="Chị Hoa", customer_phone="0912",
          shipping_address="Q1", branch_key="b1", note="giao nhanh",
          delivery_at=datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc),
          total=Decimal("300000"), created_at=datetime(2026, 11, 23, tzinfo=timezone.utc)),
    NewsArticle("n1", "Khai trương", content="<b>x</b>", summary="s", category_key="nc",
                category_name="Tin", author="A", image="i", visible=True,
                published_at=datetime(2026, 11, 1, tzinfo=timezone.utc)),
    Branch("b1", "Chi nhánh 1", address="1 Lê Lợi", phone="028", active=False),
]

EXPECTED = [
    ('122f1c3a34f7a4184d49f81134a3bc51',
     '{"category_keys": ["c1", "c2"], "description": "<p>Mô tả</p>", "images": ["https://x/1.jpg"], "key": "p1", "name": "Cà phế sữa đá ", "option_names": ["Size", "Màu"], "updated_at": "2026-11-23T03:00:00+00:00", "variants": [{"barcode": "893", "compare_at_price": "1.50", "key": "v1", "options": ["M", "Đỏ"], "price": "150000.0", "sku": " SKU-1 ", "stock": [{"available": "2.500", "branch_key": "b1"}, {"available": "0", "branch_key": "b2"}], "unit": "ly"}, {"barcode": "", "compare_at_price": null, "key": "v2", "options": [], "price": "100000", "sku": "SKU-2", "stock": [], "unit": ""}], "visible": false}'),
    ('0fe8203f3d03e01c458e13de4d86327e',
     '{"key": "c1", "name": "Đồ uống", "parent_key": "c0", "position": 3, "updated_at": null, "visible": true}'),
    ('114481a7bea76dc29314fc2d8fefd812',
     '{"address": "Hà Nội", "birthday": "1990-01-02", "email": "a@b.vn", "gender": "male", "key": "k1", "name": "Nguyễn Văn A", "note": "Cà phế sữa đá ", "phone": "0987654321", "updated_at": null}'),
    ('fa2f7b3889fc10308704d9dc9b9dd3e4',
     '{"branch_key": "b1", "created_at": "2026-11-23T00:00:00+00:00", "customer_key": "k1", "customer_name": "Chị Hoa", "customer_phone": "0912", "delivery_at": "2026-11-24T03:00:00+00:00", "key": "o1", "lines": [{"discount": "0", "name": "Cà phế sữa đá ", "note": "ít đá", "price": "150000.00", "product_key": "p1", "quantity": "2", "sku": "SKU-1", "variant_key": "v1"}], "note": "giao nhanh", "number": "#1001", "shipping_address": "Q1", "status": "reconciled", "total": "300000", "updated_at": null, "discount": "0", "fees": "0"}'),
    ('cc696c498c99f161d5058dd34bcdbea8',
     '{"author": "A", "category_key": "nc", "category_name": "Tin", "content": "<b>x</b>", "image": "i", "key": "n1", "published_at": "2026-11-01T00:00:00+00:00", "summary": "s", "title": "Khai trương", "updated_at": null, "visible": true}'),
    ('da94f8527aa39b73f1c94211bcb60a0b',
     '{"active": false, "address": "1 Lê Lợi", "key": "b1", "name": "Chi nhánh 1", "phone": "028"}'),
]


@pytest.mark.parametrize("record, expected", list(zip(RECORDS, EXPECTED)),
                         ids=[type(r).__name__ for r in RECORDS])
def test_fingerprint_keeps_its_spelling_and_stored_json_its_content_COM_04(record, expected):
    fp, stored = expected
    assert fingerprint(record) == fp
    assert json.loads(serialise(record)) == json.loads(stored)


@pytest.mark.parametrize("record", RECORDS, ids=[type(r).__name__ for r in RECORDS])
def test_stored_json_is_compact_utf8_and_reads_back_like_the_old_spelling(record):
    entity = next(e for e, kind in RECORD_TYPES.items() if kind is type(record))
    new = serialise(record)
    old = json.dumps(to_plain(record), ensure_ascii=False, sort_keys=True)
    assert "\\u" not in new and ", " not in new.replace(NFD, "")
    assert len(new) < len(old)
    assert from_plain(entity, json.loads(new)) == from_plain(entity, json.loads(old))


def test_a_number_past_64_bits_is_still_stored():
    huge = Category("c9", "Lớn", position=2 ** 70)
    assert json.loads(serialise(huge))["position"] == 2 ** 70


@pytest.mark.parametrize("record", RECORDS, ids=[type(r).__name__ for r in RECORDS])
def test_stored_json_reads_back_to_the_same_record(record):
    entity = next(e for e, kind in RECORD_TYPES.items() if kind is type(record))
    back = from_plain(entity, to_plain(record))
    # Reading back normalises text (NFC, stripped): the same record for every comparison.
    assert fingerprint(back) == fingerprint(record)
    assert to_plain(from_plain(entity, to_plain(back))) == to_plain(back)


def test_fingerprint_ignores_ids_times_and_text_spelling_COM_04():
    product = RECORDS[0]
    other = Product("pos-9", product.name.strip() + " ", description=product.description,
                    category_keys=("x",), option_names=product.option_names,
                    variants=tuple(Variant("pv" + v.key, sku=v.sku, barcode=v.barcode,
                                           price=v.price.normalize(),
                                           compare_at_price=v.compare_at_price,
                                           options=v.options, stock=v.stock, unit=v.unit)
                                   for v in product.variants),
                    images=product.images, visible=product.visible, updated_at=None)
    assert fingerprint(other) == fingerprint(product)
    assert fingerprint(Order("o1", status=OrderStatus.PLACED)) != fingerprint(
        Order("o1", status=OrderStatus.CANCELLED))



# Text that json must escape, text to normalise (NFD, spaces), emoji and control characters.
_TRICKY = st.lists(st.sampled_from(list('aàăâđ"\\/\n\t\r\b\f\x00\x1f\u2028 ☕🇻🇳') +
                                   ["e\u0302\u0301", "\u0301"]), max_size=12).map("".join)
_AMOUNTS = st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=3,
                                 min_value=-10 ** 9, max_value=10 ** 9),
                     st.integers(0, 10 ** 12).map(Decimal),
                     st.sampled_from([Decimal("1E+5"), Decimal("150000.00"), Decimal("-0")]))
_MOMENTS = st.one_of(st.none(), st.datetimes(timezones=st.just(timezone.utc)))


@st.composite
def _records(draw):
    """Every record type, with the awkward values a fingerprint must spell as before."""
    def variant(key):
        return Variant(key, sku=draw(_TRICKY), barcode=draw(_TRICKY), price=draw(_AMOUNTS),
                       compare_at_price=draw(st.one_of(st.none(), _AMOUNTS)),
                       options=tuple(draw(st.lists(_TRICKY, max_size=3))),
                       stock=tuple(StockLevel(draw(_TRICKY), draw(_AMOUNTS))
                                   for _ in range(draw(st.integers(0, 3)))),
                       unit=draw(_TRICKY))
    kind = draw(st.sampled_from(["product", "category", "customer", "order", "news", "branch"]))
    if kind == "product":
        return Product(draw(_TRICKY), draw(_TRICKY), description=draw(_TRICKY),
                       category_keys=tuple(draw(st.lists(_TRICKY, max_size=2))),
                       option_names=tuple(draw(st.lists(_TRICKY, max_size=2))),
                       variants=tuple(variant(f"v{i}") for i in range(draw(st.integers(0, 3)))),
                       images=tuple(draw(st.lists(_TRICKY, max_size=2))),
                       visible=draw(st.booleans()), updated_at=draw(_MOMENTS))
    if kind == "category":
        return Category(draw(_TRICKY), draw(_TRICKY),
                        parent_key=draw(st.one_of(st.none(), _TRICKY)), visible=draw(st.booleans()), position=draw(st.integers(-2 ** 70, 2 ** 70)))
    if kind == "customer":
        return Customer(draw(_TRICKY), draw(_TRICKY), phone=draw(_TRICKY), email=draw(_TRICKY),
                        birthday=draw(st.one_of(st.none(), st.dates())), note=draw(_TRICKY))
    if kind == "order":
        lines = tuple(OrderLine(draw(_TRICKY), draw(_TRICKY), draw(_AMOUNTS), draw(_AMOUNTS),
                                note=draw(_TRICKY)) for _ in range(draw(st.integers(0, 2))))
        return Order(draw(_TRICKY), number=draw(_TRICKY),
                     status=draw(st.sampled_from(list(OrderStatus))), lines=lines,
                     customer_name=draw(_TRICKY), total=draw(_AMOUNTS),
                     delivery_at=draw(_MOMENTS), created_at=draw(_MOMENTS))
    if kind == "news":
        return NewsArticle(draw(_TRICKY), draw(_TRICKY), content=draw(_TRICKY),
                           visible=draw(st.booleans()), published_at=draw(_MOMENTS))
    return Branch(draw(_TRICKY), draw(_TRICKY), address=draw(_TRICKY), active=draw(st.booleans()))


def _generic_payload(value):
    """The fingerprint payload as the original generic walk built it: synced fields only,
    text NFC-normalised and stripped, amounts normalised."""
    if dataclasses.is_dataclass(value):
        return {f.name: _generic_payload(getattr(value, f.name))
                for f in dataclasses.fields(value) if f.name not in UNSYNCED_FIELDS}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return text(value)
    if isinstance(value, (tuple, list)):
        return [_generic_payload(item) for item in value]
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


@settings(max_examples=300, deadline=None)
@given(_records())
def test_fingerprint_text_is_what_json_dumps_writes_for_the_plain_record_COM_04(record):
    """The direct writer against the original route: plain dicts, then json.dumps."""
    from contract.records import _FINGERPRINT_TEXT
    plain = _generic_payload(record)
    assert _FINGERPRINT_TEXT(record) == json.dumps(plain, sort_keys=True, ensure_ascii=False)
