"""Canonical records: the one shape every POS and the App catalog are translated into.

Frozen dataclasses so a record read from one side cannot be mutated by accident while the
engine compares it with the other. Money is Decimal, datetimes are aware UTC, text is NFC.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Callable
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class Entity(str, Enum):
    BRANCH = "branch"
    CATEGORY = "category"
    PRODUCT = "product"
    CUSTOMER = "customer"
    ORDER = "order"
    NEWS = "news"


# Dependency order of a run: a product needs its category, an order its customer and products.
SYNC_ORDER: tuple[Entity, ...] = (
    Entity.BRANCH, Entity.CATEGORY, Entity.PRODUCT, Entity.CUSTOMER, Entity.ORDER, Entity.NEWS,
)


class OrderStatus(str, Enum):
    """The App's own order statuses (the POS statuses are mapped onto these)."""

    PLACED = "placed"            # Đặt hàng
    APPROVED = "approved"        # Duyệt
    PACKED = "packed"            # Đóng gói
    SHIPPED_OUT = "shipped_out"  # Xuất kho
    COMPLETED = "completed"      # Hoàn thành
    CANCELLED = "cancelled"      # Huỷ
    ARCHIVED = "archived"        # Lưu trữ
    RECONCILED = "reconciled"    # Đã đối soát


ORDER_STATUS_VI = {
    OrderStatus.PLACED: "Đặt hàng", OrderStatus.APPROVED: "Duyệt",
    OrderStatus.PACKED: "Đóng gói", OrderStatus.SHIPPED_OUT: "Xuất kho",
    OrderStatus.COMPLETED: "Hoàn thành", OrderStatus.CANCELLED: "Đã huỷ",
    OrderStatus.ARCHIVED: "Lưu trữ", OrderStatus.RECONCILED: "Đã đối soát",
}


class InvalidValue(ValueError):
    """A value that cannot become part of a canonical record (bad input, never stored)."""


def text(value: object | None) -> str:
    """NFC-normalised, stripped text; None becomes ''.

    Vietnamese arrives both precomposed and decomposed (macOS, some POS exports); comparing
    or hashing without NFC would see 'Cà phê' and 'Cà phê' as different names.
    """
    if value is None:
        return ""
    value = str(value)
    if value.isascii():   # SKUs, codes, phones: nothing to compose (and it is the hot path)
        return value.strip()
    return unicodedata.normalize("NFC", value).strip()


_WHOLE = 10 ** 15   # below it every whole float is exact, and any real amount fits


def money(value: object | None) -> Decimal:
    """Decimal from a POS number or string; floats go through str() to avoid binary noise."""
    kind = value.__class__
    # Whole numbers, as POS JSON mostly sends them: the same Decimal as the general route
    # below (exponent 0), without going through text. Zero takes the general route, which
    # keeps the sign of -0.0.
    if kind is int and 0 < abs(value) < _WHOLE:
        return Decimal(value)
    if kind is float and value.is_integer() and 0 < abs(value) < _WHOLE:
        return Decimal(int(value))
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value).replace(",", "")) if not isinstance(value, bool) else None
        except InvalidOperation:
            result = None
    if result is None or not result.is_finite():
        raise InvalidValue(f"not an amount of money: {value!r}")
    # 150000.0 and 150000 are the same price: store one spelling, never an exponent.
    if result == result.to_integral_value():
        return result.quantize(Decimal(1))
    return result.normalize()


def quantity(value: object | None) -> Decimal:
    """Stock and line quantities may be fractional on some POS (kg, litres)."""
    return money(value)


def utc(value: datetime | None) -> datetime | None:
    """Aware UTC datetime; a naive one is a programming error (say which zone it is in)."""
    if value is None:
        return None
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidValue(f"naive datetime {value!r}: attach the platform's zone first")
    return value.astimezone(timezone.utc)


def from_vietnam_time(value: datetime) -> datetime:
    """A naive wall-clock time read as Vietnam time (UTC+7, no DST), returned as UTC."""
    return value.replace(tzinfo=VIETNAM).astimezone(timezone.utc)


def parse_stored_time(value: object | None) -> datetime | None:
    """An ISO time ShopSync itself stored (e.g. a token's expiry in a profile field) as an
    aware datetime; None when missing or unreadable. Stored times without a zone are UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Branch:
    key: str
    name: str
    address: str = ""
    phone: str = ""
    active: bool = True


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    parent_key: str | None = None
    visible: bool = True
    position: int = 0
    updated_at: datetime | None = None


@dataclass(frozen=True)
class StockLevel:
    branch_key: str
    available: Decimal


@dataclass(frozen=True)
class Variant:
    key: str
    sku: str = ""
    barcode: str = ""
    price: Decimal = Decimal("0")
    compare_at_price: Decimal | None = None
    options: tuple[str, ...] = ()
    stock: tuple[StockLevel, ...] = ()
    unit: str = ""


@dataclass(frozen=True)
class Product:
    key: str
    name: str
    description: str = ""
    category_keys: tuple[str, ...] = ()
    option_names: tuple[str, ...] = ()
    variants: tuple[Variant, ...] = ()
    images: tuple[str, ...] = ()
    visible: bool = True
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Customer:
    key: str
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""
    birthday: date | None = None
    gender: str = ""  # "male" | "female" | ""
    note: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    quantity: Decimal
    price: Decimal
    product_key: str = ""
    variant_key: str = ""
    note: str = ""
    # Amount taken off the whole line (not per unit): the line costs price × quantity − discount.
    discount: Decimal = Decimal("0")


@dataclass(frozen=True)
class Order:
    key: str
    number: str = ""
    status: OrderStatus = OrderStatus.PLACED
    lines: tuple[OrderLine, ...] = ()
    customer_key: str = ""
    customer_name: str = ""
    customer_phone: str = ""
    shipping_address: str = ""
    branch_key: str = ""
    note: str = ""
    delivery_at: datetime | None = None
    total: Decimal = Decimal("0")
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # What makes `total` differ from the sum of the lines: an amount off the whole order, and
    # fees the customer pays on top (surcharges, shipping charged to the customer, and tax a
    # POS adds on top of prices that exclude it: Nhanh's line VAT, Sapo's `total_tax` when its
    # prices exclude tax). With them
    # Σ(line price × quantity − line discount) − discount + fees == total, to the đồng.
    discount: Decimal = Decimal("0")
    fees: Decimal = Decimal("0")


@dataclass(frozen=True)
class NewsArticle:
    key: str
    title: str
    content: str = ""
    summary: str = ""
    category_key: str = ""
    category_name: str = ""
    author: str = ""
    image: str = ""
    visible: bool = True
    published_at: datetime | None = None
    updated_at: datetime | None = None


Record = Branch | Category | Product | Customer | Order | NewsArticle

def evolve(record: Any, **changes: Any) -> Any:
    """`dataclasses.replace` for the frozen records here, without running `__init__` again.

    These records have no `__post_init__` and no slots (tests/unit/test_domain pins both), so
    copying the field values and applying the changes builds the same record; replace()
    re-runs the generated frozen __init__ field by field, and a 100,000-product pull replaces
    several hundred thousand variants and stock levels. Only field names may be changed."""
    copy = object.__new__(record.__class__)
    values = copy.__dict__
    values.update(record.__dict__)
    values.update(changes)
    return copy


RECORD_TYPES: dict[Entity, type] = {
    Entity.BRANCH: Branch, Entity.CATEGORY: Category, Entity.PRODUCT: Product,
    Entity.CUSTOMER: Customer, Entity.ORDER: Order, Entity.NEWS: NewsArticle,
}

# Fields that describe where or when a record was seen, not what the shop owner edited:
# they never make two records "different" for conflict detection.
UNSYNCED_FIELDS = frozenset({"key", "updated_at", "created_at", "product_key", "variant_key",
                             "customer_key", "branch_key", "parent_key", "category_keys",
                             "category_key", "number",
                             # Parts of an order's total, added after links stored their
                             # fingerprints: a change of them changes `total`, which is compared.
                             "discount", "fees"})


class _PerType:
    """Encoders built once per value type, the first time the type is met: a generic walk
    (getattr and isinstance per field) was a fifth of a 100,000-product first pull."""

    def __init__(self) -> None:
        self.by_type: dict[type, Callable[[Any], Any]] = {}

    def _for(self, kind: type) -> Callable[[Any], Any]:
        encode = self.by_type.get(kind)
        if encode is None:
            encode = self.by_type[kind] = self._encoder(kind)
        return encode

    def _encoder(self, kind: type) -> Callable[[Any], Any]:
        raise NotImplementedError


class _Plainer(_PerType):
    """Turns a record into JSON-ready values (dicts, lists, strings, numbers), every field
    kept and text as it is: exports, undo rows, conflicts. Each dataclass gets one small
    compiled function that reads its fields directly."""

    # Values that are already JSON-ready (exact types: a str Enum is not one of them).
    _AS_IS = frozenset({str, int, bool, float, type(None)})

    def __call__(self, value: object) -> object:
        kind = type(value)
        if kind in self._AS_IS:
            return value
        return self._for(kind)(value)

    def _encoder(self, kind: type) -> Callable[[Any], Any]:
        if is_dataclass(kind):
            return self._record_encoder(kind)
        if issubclass(kind, (tuple, list)):
            return lambda items: [self(item) for item in items]
        if issubclass(kind, Enum):
            return lambda member: member.value
        if issubclass(kind, Decimal):
            return lambda amount: format(amount, "f")
        if issubclass(kind, (datetime, date)):
            return lambda moment: moment.isoformat()
        return lambda other: other

    def _record_encoder(self, kind: type) -> Callable[[Any], Any]:
        """`lambda o: {"name": <o.name encoded>, ...}` for one dataclass, as compiled code:
        strings and plain numbers are handled inline, anything else goes back to __call__."""
        parts = [f"{f.name!r}: (v if (v := o.{f.name}).__class__ in same else c(v))"
                 for f in fields(kind)]
        source = "def encode(o):\n    return {" + ", ".join(parts) + "}\n"
        namespace: dict[str, Any] = {"same": self._AS_IS, "c": self}
        exec(compile(source, f"<plain {kind.__name__}>", "exec"), namespace)  # noqa: S102
        return namespace["encode"]


_STORAGE_PLAIN = _Plainer()


class _FingerprintText(_PerType):
    """The fingerprint's payload, written directly as JSON text: the plain dict of the
    record without UNSYNCED_FIELDS, text NFC-normalised and stripped, amounts normalised
    (150000.0 == 150000), as `json.dumps(..., sort_keys=True, ensure_ascii=False)` spells it.

    Links store fingerprints, so this spelling may never change (tests/unit/
    test_record_encoding pins it, and compares this writer with the generic plain-dict route
    over random records). Building the dicts and sorting their keys again for every record
    was most of a fingerprint's cost, and a 100,000-product pull makes one per product: a
    record's field names are known, so each dataclass gets one compiled function that writes
    its fields in sorted order.
    """

    def __call__(self, value: object) -> str:
        kind = value.__class__
        if kind is str:
            return _json_string(text(value))
        if value is None:
            return "null"
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return int.__repr__(value)
        return self._for(kind)(value)

    def _encoder(self, kind: type) -> Callable[[Any], str]:
        if is_dataclass(kind):
            return self._record_encoder(kind)
        if issubclass(kind, (tuple, list)):
            return lambda items: "[" + ", ".join([self(item) for item in items]) + "]"
        if issubclass(kind, Enum):
            return lambda member: _json_value(member.value)
        if issubclass(kind, Decimal):
            # Only digits, sign and point (or NaN/Infinity words): nothing to escape.
            return lambda amount: '"' + format(amount.normalize(), "f") + '"'
        if issubclass(kind, (datetime, date)):
            return lambda moment: '"' + moment.isoformat() + '"'
        if issubclass(kind, str):
            return lambda value: _json_string(text(value))
        return _json_value   # float, a dict or anything else: as json.dumps writes it

    def _record_encoder(self, kind: type) -> Callable[[Any], str]:
        names = sorted(f.name for f in fields(kind) if f.name not in UNSYNCED_FIELDS)
        if not names:
            return lambda record: "{}"
        parts = []
        for position, name in enumerate(names):
            label = ("{" if position == 0 else ", ") + json.dumps(name) + ": "
            parts.append(repr(label))
            parts.append(f"(s(t(v)) if (v := o.{name}).__class__ is str else c(v))")
        source = "def encode(o):\n    return ''.join((" + ", ".join(parts) + ", '}'))\n"
        namespace: dict[str, Any] = {"s": _json_string, "t": text, "c": self}
        exec(compile(source, f"<fingerprint {kind.__name__}>", "exec"), namespace)  # noqa: S102
        return namespace["encode"]


_json_string = json.encoder.encode_basestring   # the C escaper json.dumps uses (non-ASCII kept)


def _json_value(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


_FINGERPRINT_TEXT = _FingerprintText()


def fingerprint(record: Record) -> str:
    """Hash of the fields a shop owner edits; equal records on both sides hash equal.

    Ids, timestamps and cross-references are left out because they differ between the App and
    the POS for the same real thing.
    """
    payload = _FINGERPRINT_TEXT(record)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def to_plain(record: Record) -> dict:
    """JSON-ready dict of a record (all fields), for storage, exports and the CLI."""
    return _STORAGE_PLAIN(record)  # type: ignore[return-value]


def from_plain(entity: Entity, data: dict) -> Record:
    """Inverse of to_plain; raises InvalidValue on anything that does not fit."""
    try:
        return _build(RECORD_TYPES[entity], data)
    except (TypeError, KeyError, ValueError) as exc:
        raise InvalidValue(f"{entity.value}: {exc}") from exc


def _build(kind: type, data: dict):  # noqa: C901 - one small switch per field type
    values = {}
    for f in fields(kind):
        if f.name not in data:
            continue
        raw = data[f.name]
        hint = str(f.type)
        if raw is None:
            values[f.name] = None
        elif f.name == "stock":
            values[f.name] = tuple(StockLevel(text(s["branch_key"]), quantity(s["available"]))
                                   for s in raw)
        elif f.name == "variants":
            values[f.name] = tuple(_build(Variant, v) for v in raw)
        elif f.name == "lines":
            values[f.name] = tuple(_build(OrderLine, line) for line in raw)
        elif f.name == "status":
            values[f.name] = OrderStatus(raw)
        elif "Decimal" in hint:
            values[f.name] = money(raw)
        elif "datetime" in hint:
            values[f.name] = utc(datetime.fromisoformat(raw))
        elif "date" in hint:
            values[f.name] = date.fromisoformat(raw)
        elif "tuple" in hint:
            values[f.name] = tuple(text(item) for item in raw)
        elif "bool" in hint:
            if not isinstance(raw, bool):
                raise InvalidValue(f"{f.name} must be true or false, got {raw!r}")
            values[f.name] = raw
        elif "int" in hint:
            values[f.name] = int(raw)
        else:
            values[f.name] = text(raw)
    return kind(**values)


def later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


ONE_HOUR = timedelta(hours=1)
