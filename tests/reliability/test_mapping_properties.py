"""Property-based round trips of every platform's mapping: App record → POS JSON → App record
comes back unchanged (NFC text, Decimal money, aware UTC datetimes at the platform's precision,
variant sets).

The "POS echo" step adds only what the POS itself adds to a body it stores (ids, positions):
everything else the mapping wrote is read back as the POS would return it. Vietnamese text is
generated precomposed AND decomposed (NFD), with emoji and long strings.
"""
from __future__ import annotations

import json
import unicodedata
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.records import (Customer, Entity, Order, OrderLine, OrderStatus, Product, StockLevel,
                        Variant, from_plain, text, to_plain)
from connectors.kiotviet import dates as kv_dates
from connectors.kiotviet import mapping as kv
from connectors.nhanh import mapping as nh
from connectors.nhanh import v2 as nh_v2
from connectors.nhanh import v3 as nh_v3
from connectors.sapo import mapping as sapo

PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# -------------------------------------------------------------------------------------------
# Strategies
# -------------------------------------------------------------------------------------------

VIETNAMESE = ("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY"
              "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
              "ĂẮẰẲẴẶÔỐỒỔỖỘƠỚỜỞỠỢƯỨỪỬỮỰĐ0123456789 -/&().,")
EMOJI = "☕🍜🥖🧋✨🇻🇳"
COMBINING = "\u0300\u0301\u0303\u0309\u0323"


@st.composite
def vietnamese(draw, min_size: int = 1, max_size: int = 40) -> str:
    """Text a shop owner types; sometimes decomposed (macOS, some exports), sometimes with
    emoji or loose combining marks, sometimes very long."""
    alphabet = st.sampled_from(VIETNAMESE + EMOJI + COMBINING) if draw(st.booleans()) \
        else st.sampled_from(VIETNAMESE)
    size = draw(st.sampled_from((max_size, max_size, 400)))
    value = draw(st.text(alphabet, min_size=min_size, max_size=size))
    form = draw(st.sampled_from(("NFC", "NFD")))
    value = unicodedata.normalize(form, value)
    if min_size and not text(value):
        value = "Cà phê " + value
    return value


optional_text = st.one_of(st.just(""), vietnamese())
code = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=20)
vnd = st.integers(min_value=0, max_value=2_000_000_000).map(Decimal)
fractional = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False,
                         allow_infinity=False)
phone = st.integers(min_value=300_000_000, max_value=999_999_999).map(lambda n: f"0{n}")
email = st.from_regex(r"[a-z][a-z0-9]{0,10}@[a-z]{2,8}\.vn", fullmatch=True)
birthday = st.dates(min_value=date(1930, 1, 1), max_value=date(2020, 12, 31))
aware = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=7)),
                                                timezone(timedelta(hours=-5))]))


def normalised(entity: Entity, record):
    """The record as the App stores it (NFC, stripped, one spelling of each amount)."""
    return from_plain(entity, to_plain(record))


def same(entity: Entity, got, sent, ignore: tuple[str, ...] = ()) -> None:
    """Equal on every field a shop owner edits; ids/timestamps are the POS's own."""
    skip = {"key", "updated_at", "created_at", *ignore}

    def plain(record) -> dict:
        data = to_plain(normalised(entity, record))
        for variant in data.get("variants", ()):
            variant.pop("key", None)
        for line in data.get("lines", ()):          # POS ids of the ordered products
            line.pop("product_key", None)
            line.pop("variant_key", None)
        return {k: v for k, v in data.items() if k not in skip}
    assert plain(got) == plain(sent)


@st.composite
def variant_sets(draw, money=vnd, with_options: bool = True, stock_branch: str | None = None,
                 compare: bool = True, units: bool = True):
    """1–5 variants; with options, each has a distinct value tuple (a real variant set)."""
    option_count = draw(st.integers(0, 3)) if with_options else 0
    names = tuple(draw(st.lists(vietnamese(max_size=12), min_size=option_count,
                                max_size=option_count,
                                unique_by=lambda s: text(s).casefold())))
    count = draw(st.integers(1, 5)) if option_count else 1
    values = draw(st.lists(st.tuples(*[vietnamese(max_size=10) for _ in names]),
                           min_size=count, max_size=count,
                           unique_by=lambda t: tuple(text(v).casefold() for v in t)))
    skus = draw(st.lists(code, min_size=count, max_size=count, unique=True))
    variants = []
    for index in range(count):
        price = draw(money)
        compare_at = draw(st.one_of(st.none(), money.filter(lambda v: v > 0))) if compare \
            else None
        stock = ()
        if stock_branch is not None and draw(st.booleans()):
            stock = (StockLevel(stock_branch, Decimal(draw(st.integers(0, 100_000)))),)
        variants.append(Variant(key=f"v{index}", sku=skus[index],
                                barcode=draw(st.one_of(st.just(""), code)), price=price,
                                compare_at_price=compare_at, options=tuple(values[index]),
                                stock=stock,
                                unit=draw(st.one_of(st.just(""), vietnamese(max_size=8)))
                                if units else ""))
    return names, tuple(variants)


# -------------------------------------------------------------------------------------------
# Sapo
# -------------------------------------------------------------------------------------------

@st.composite
def sapo_products(draw):
    names, variants = draw(variant_sets(money=st.one_of(vnd, fractional)))
    return Product(key="", name=draw(vietnamese(max_size=120)),
                   description=draw(optional_text), category_keys=("1001",),
                   option_names=names, variants=variants,
                   images=tuple(draw(st.lists(st.from_regex(r"https://img\.vn/[a-z0-9]{1,12}\.jpg",
                                                             fullmatch=True),
                                              max_size=3, unique=True))),
                   visible=draw(st.booleans()))


def _sapo_echo_product(body: dict) -> dict:
    """What Sapo stores and returns for a created product: ids and positions added."""
    stored = json.loads(json.dumps({**body}))          # through JSON, as on the wire
    stored["id"] = 20_000_001
    stored["options"] = [{"name": o["name"], "position": i + 1}
                         for i, o in enumerate(stored.get("options") or [])]
    stored["images"] = [{"src": img["src"], "position": i + 1}
                        for i, img in enumerate(stored.get("images") or [])]
    stored["variants"] = [{**v, "id": 30_000_001 + i, "inventory_item_id": 40_000_001 + i}
                          for i, v in enumerate(stored["variants"])]
    stored["modified_on"] = "2026-11-23T03:00:00Z"
    return stored


@PROPERTY
@given(product=sapo_products())
def test_sapo03_product_survives_app_to_sapo_json_and_back(product):
    body = sapo.product_to_sapo(product, published_on="2026-11-23T03:00:00Z")
    back = sapo.product_from_sapo(_sapo_echo_product(body), category_keys=("1001",))
    same(Entity.PRODUCT, back, product)
    assert all(isinstance(v.price, Decimal) for v in back.variants)


@PROPERTY
@given(name=vietnamese(max_size=80), phone=phone, email=st.one_of(st.just(""), email),
       address=optional_text, note=optional_text, born=st.one_of(st.none(), birthday),
       gender=st.sampled_from(("", "male", "female")))
def test_sapo05_customer_survives_app_to_sapo_json_and_back(name, phone, email, address, note,
                                                            born, gender):
    customer = Customer(key="", name=name, phone=phone, email=email, address=address,
                        birthday=born, gender=gender, note=note)
    body = json.loads(json.dumps(sapo.customer_to_sapo(customer)))
    stored = {**body, "id": 600_001, "modified_on": "2026-11-23T03:00:00Z",
              "default_address": (body.get("addresses") or [None])[0]}
    same(Entity.CUSTOMER, sapo.customer_from_sapo(stored), customer)


@PROPERTY
@given(moment=aware)
def test_sapo_timestamps_round_trip_to_the_second_in_utc(moment):
    back = sapo.parse_time(sapo.sapo_time(moment))
    assert back == moment.replace(microsecond=0)
    assert back.tzinfo == timezone.utc


# -------------------------------------------------------------------------------------------
# KiotViet (FnB and Retail share the mapping)
# -------------------------------------------------------------------------------------------

@st.composite
def kiotviet_products(draw):
    # KiotViet has no compare-at price.
    names, variants = draw(variant_sets(stock_branch="1", compare=False))
    return Product(key="", name=draw(vietnamese(max_size=120)),
                   description=draw(optional_text), category_keys=("7",), option_names=names,
                   variants=variants,
                   images=tuple(draw(st.lists(st.from_regex(r"https://kv\.vn/[a-z0-9]{1,12}\.png",
                                                             fullmatch=True),
                                              max_size=3, unique=True))),
                   visible=True)


def _kiotviet_echo_rows(bodies: list[dict]) -> list[dict]:
    """KiotViet rows for a pushed family: ids, the master id on the others, images as
    `[{"Image": url}]` (list-answer shape), the default 0 reserved."""
    rows = []
    for index, body in enumerate(json.loads(json.dumps(bodies))):
        row = {**body, "id": 500 + index, "modifiedDate": "2026-11-23T10:00:00.1234567"}
        if index:
            row["masterProductId"] = 500
        row["images"] = [{"Image": url} for url in body.get("images") or ()]
        row["inventories"] = [{**inv, "reserved": 0} for inv in body.get("inventories") or ()]
        rows.append(row)
    return rows


@PROPERTY
@given(product=kiotviet_products())
def test_b06_kiotviet_product_family_survives_push_rows_and_back(product):
    bodies = kv.product_rows_for_push(product, category_id="7", branch_id="1")
    back = kv.product_from_family(_kiotviet_echo_rows(bodies), keep_app_status=True)
    same(Entity.PRODUCT, back, product)
    assert back.updated_at is not None and back.updated_at.tzinfo == timezone.utc


@PROPERTY
@given(name=vietnamese(max_size=80), phone=phone, email=st.one_of(st.just(""), email),
       address=optional_text, note=optional_text, born=st.one_of(st.none(), birthday),
       gender=st.sampled_from(("", "male", "female")))
def test_kvf01_customer_survives_app_to_kiotviet_json_and_back(name, phone, email, address,
                                                               note, born, gender):
    customer = Customer(key="", name=name, phone=phone, email=email, address=address,
                        birthday=born, gender=gender, note=note)
    row = {**json.loads(json.dumps(kv.customer_body(customer, branch_id="1"))), "id": 9001}
    if "birthDate" in row:
        row["birthDate"] += "T00:00:00.0000000"        # KiotViet answers a full timestamp
    same(Entity.CUSTOMER, kv.customer_from(row), customer)


@PROPERTY
@given(moment=aware, digits=st.integers(0, 7))
def test_kiotviet_times_read_back_in_vietnam_time_with_up_to_7_fraction_digits(moment, digits):
    wall = kv_dates.vietnam_wall_clock(moment)
    assert kv_dates.parse_datetime(wall) == moment.replace(microsecond=0)
    fraction = f"{moment.microsecond:06d}0"[:digits]
    stamped = wall + (f".{fraction}" if digits else "")
    expected_micro = int(fraction.ljust(6, "0")[:6]) if digits else 0
    assert kv_dates.parse_datetime(stamped) == moment.replace(microsecond=expected_micro)


# -------------------------------------------------------------------------------------------
# Nhanh (products and customers come from Nhanh; orders go to it)
# -------------------------------------------------------------------------------------------

@st.composite
def nhanh_families(draw):
    """A canonical product and the v3 product/list rows Nhanh would list for it."""
    # The v3 product list carries no unit per row (v3._product drops it).
    names, variants = draw(variant_sets(money=vnd, stock_branch="11", units=False))
    name = text(draw(vietnamese(max_size=80)))
    updated = draw(st.integers(1_600_000_000, 1_900_000_000))
    product = Product(key="", name=name, description=draw(optional_text),
                      category_keys=("3",), option_names=names, variants=variants,
                      visible=draw(st.booleans()))
    status = 1 if product.visible else nh.HIDDEN_PRODUCT_STATUS

    def row(variant: Variant, ident: int, parent: int | None, title: str) -> dict:
        return {"id": ident, "parentId": parent, "code": variant.sku, "barcode": variant.barcode,
                "name": title, "status": status, "categoryId": 3,
                "prices": {"retail": int(variant.price),
                           "old": int(variant.compare_at_price or 0)},
                "inventory": {"depots": [{"id": 11, "available": int(s.available)}
                                         for s in variant.stock]},
                "updatedAt": updated, "description": product.description, "unit": variant.unit,
                "attributes": [{"name": n, "value": v}
                               for n, v in zip(product.option_names, variant.options)]}
    if product.option_names:
        parent = {**row(Variant(key=""), 100, None, name), "prices": {}, "inventory": {}}
        children = [row(v, 101 + i, 100, f"{name} - {' - '.join(v.options)}")
                    for i, v in enumerate(variants)]
        return product, parent, children
    return product, row(variants[0], 100, None, name), []


@PROPERTY
@given(family=nhanh_families())
def test_nh08_nhanh_v3_product_rows_become_the_same_app_product(family):
    expected, parent, children = family
    wire = json.loads(json.dumps([parent, *children]))
    common = [nh_v3._product(item) for item in wire]
    back = nh.product(common[0], common[1:])
    same(Entity.PRODUCT, back, expected)


@PROPERTY
@given(name=vietnamese(max_size=80), phone=phone, address=optional_text, note=optional_text,
       lines=st.lists(st.tuples(code, vietnamese(max_size=30), st.integers(1, 50), vnd),
                      min_size=1, max_size=5),
       status=st.sampled_from((OrderStatus.PLACED, OrderStatus.APPROVED)))
def test_nh04_new_app_order_survives_nhanh_order_shape_and_back(name, phone, address, note,
                                                                lines, status):
    order = Order(key="APP-1", number="APP-1", status=status, customer_name=name,
                  customer_phone=phone, shipping_address=address, note=note,
                  lines=tuple(OrderLine(sku=sku, name=title, quantity=Decimal(qty), price=price)
                              for sku, title, qty, price in lines))
    body = nh.new_order(order, {i: str(700 + i) for i in range(len(order.lines))})
    stored = json.loads(json.dumps({**body, "id": "88001"}, default=str))
    back = nh.order(stored)
    assert back.status == status
    assert back.number == order.key
    same(Entity.ORDER, back, order, ignore=("total", "status"))
    assert back.total == sum((line.price * line.quantity for line in order.lines), Decimal(0))


@PROPERTY
@given(moment=aware)
def test_nhanh_times_round_trip_in_unix_seconds_v3_and_vietnam_wall_clock_v2(moment):
    exact = moment.replace(microsecond=0)
    assert nh_v3.from_unix(nh_v3.unix(moment)) == exact
    assert nh_v2.from_vn(nh_v2.vn_datetime(moment)) == exact
