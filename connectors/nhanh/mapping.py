"""Nhanh records (in the adapters' common shape) ↔ canonical records.

The v3 and v2 adapters both hand over the same plain dicts (v3 names, numeric v3 statuses,
aware UTC datetimes, ids as strings), so nothing here knows which API version spoke:

- depot    {id, name, mobile, address}
- category {id, parentId, name, code, order, status}
- product  {id, parentId, code, barcode, name, status, categoryId, prices{retail, old},
            images[], depots[{id, available}], updatedAt, unit, description, attributes[]}
- customer {id, name, mobile, email, address, gender, birthday, updatedAt}
- order    {id, appOrderId, status, depotId, createdAt, updatedAt, name, mobile, address,
            description, customerId, discount (order level), shipFee (charged to the customer),
            products[{id, quantity, price (excl. VAT), discount (per unit), vat (%), name,
            code}]}
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping

from contract.records import (Branch, Category, Customer, InvalidValue, Order, OrderLine, OrderStatus,
                        Product, StockLevel, Variant, money, quantity, text)

# v3 order statuses (DOC /v3/modelconstant); v2's text names are mapped in v2.py.
NEW, CONFIRMING, CONFIRMED = 54, 55, 56
SUCCESS, CANCELED_BY_CUSTOMER, ABORTED = 60, 63, 64
CANCELLABLE = frozenset({NEW, CONFIRMING, CONFIRMED})

# The App statuses Nhanh hears about (NH-04). "Đã đối soát" is no Nhanh status: the App's
# reconciled order is marked Thành công 60 (product decision, UNVERIFIED in platforms/nhanh.md).
PUSHED_STATUS: Mapping[OrderStatus, int] = {
    OrderStatus.RECONCILED: SUCCESS,
    OrderStatus.CANCELLED: CANCELED_BY_CUSTOMER,
}
# The status a new App order is created with on Nhanh (order/add accepts 54/55/56 only).
CREATE_STATUS: Mapping[OrderStatus, int] = {
    OrderStatus.PLACED: NEW,
    OrderStatus.APPROVED: CONFIRMED,
}
APP_STATUS: Mapping[int, OrderStatus] = {
    NEW: OrderStatus.PLACED, CONFIRMING: OrderStatus.PLACED, CONFIRMED: OrderStatus.APPROVED,
    42: OrderStatus.PACKED, 40: OrderStatus.PACKED, 43: OrderStatus.SHIPPED_OUT,
    59: OrderStatus.SHIPPED_OUT, SUCCESS: OrderStatus.COMPLETED,
    CANCELED_BY_CUSTOMER: OrderStatus.CANCELLED, ABORTED: OrderStatus.CANCELLED,
    58: OrderStatus.CANCELLED, 61: OrderStatus.CANCELLED, 68: OrderStatus.CANCELLED,
}

HIDDEN_PRODUCT_STATUS = 3  # Ngừng bán


def _key(value: object) -> str:
    return text(value) if value not in (None, "", 0, "0") else ""


def branch(depot: Mapping) -> Branch:
    return Branch(key=_key(depot.get("id")), name=text(depot.get("name")),
                  address=text(depot.get("address")), phone=text(depot.get("mobile")))


def category(item: Mapping) -> Category:
    parent = _key(item.get("parentId"))
    return Category(key=_key(item.get("id")), name=text(item.get("name")),
                    parent_key=parent if parent and not parent.startswith("-") else None,
                    visible=int(item.get("status") or 1) == 1,
                    position=int(item.get("order") or 0))


def is_variant(item: Mapping) -> bool:
    """Nhanh children carry their parent's id; parents and single products carry none (or a
    negative marker)."""
    parent = _key(item.get("parentId"))
    return bool(parent) and not parent.startswith("-")


def _stock(item: Mapping) -> tuple[StockLevel, ...]:
    levels = []
    for depot in item.get("depots") or ():
        key = _key(depot.get("id"))
        if key:
            levels.append(StockLevel(branch_key=key, available=quantity(depot.get("available"))))
    return tuple(levels)


def _variant(item: Mapping, options: tuple[str, ...] = ()) -> Variant:
    prices = item.get("prices") or {}
    old = money(prices.get("old"))
    return Variant(key=_key(item.get("id")), sku=text(item.get("code")),
                   barcode=text(item.get("barcode")), price=money(prices.get("retail")),
                   compare_at_price=old if old > 0 else None, options=options,
                   stock=_stock(item), unit=text(item.get("unit")))


def attribute_pairs(raw: object) -> tuple[tuple[str, str], ...]:
    """UNVERIFIED: a product's attributes as (option name, value) pairs, in Nhanh's order.

    v2's docs send an object keyed by attribute id, each {attributeName, name}; v3 documents
    only `attributes[]` (read as a list of {name, value}); either shape is accepted with
    either pair of keys, so a live answer that differs from its docs still maps."""
    rows = raw.values() if isinstance(raw, Mapping) else raw if isinstance(raw, list) else ()
    pairs = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        if "attributeName" in row:
            name, value = row.get("attributeName"), row.get("name", row.get("value"))
        else:
            name, value = row.get("name"), row.get("value")
        pairs.append((text(name), text(value)))
    return tuple(pairs)


def _options(parent_name: str, child: Mapping) -> tuple[str, ...]:
    """A child's option values: its attributes when Nhanh sends them, else the part of its
    name after the parent's ("Áo thun cotton - Trắng - M" → ("Trắng", "M"))."""
    values = tuple(value for _, value in attribute_pairs(child.get("attributes")) if value)
    if values:
        return values
    name = text(child.get("name"))
    rest = name[len(parent_name):] if parent_name and name.startswith(parent_name) else name
    return tuple(part for part in (text(p) for p in rest.split(" - ")) if part)


def _id_order(item: Mapping) -> int:
    return int(_key(item.get("id")) or 0)


def product(parent: Mapping, children: Iterable[Mapping] = ()) -> Product:
    """One canonical product: a single Nhanh product is its own only variant; a parent's
    children become its variants."""
    children = sorted(children, key=_id_order)
    name = text(parent.get("name"))
    if children:
        variants = tuple(_variant(child, _options(name, child)) for child in children)
    else:
        variants = (_variant(parent),)
    names = tuple(name for name, _ in attribute_pairs(children[0].get("attributes"))
                  if name) if children else ()
    category_key = _key(parent.get("categoryId"))
    updated = [t for t in [parent.get("updatedAt"), *(c.get("updatedAt") for c in children)] if t]
    return Product(key=_key(parent.get("id")), name=name,
                   description=text(parent.get("description")),
                   category_keys=(category_key,) if category_key else (),
                   option_names=names, variants=variants,
                   images=tuple(text(i) for i in parent.get("images") or () if text(i)),
                   visible=int(parent.get("status") or 2) != HIDDEN_PRODUCT_STATUS,
                   updated_at=max(updated) if updated else None)


def product_beside_known(parent: Mapping, known: Product) -> Product:
    """A changed parent of a product the App already holds, listed by an incremental read
    without its unchanged children: the App's copy supplies the variants instead of a
    `product_children` read (issue 21). Only for a linked product: products are create-only
    (NH-08), so these variants decide nothing but the fingerprint that reports the change
    once. A single product (its own only variant) is the parent row alone, exactly."""
    own = product(parent)
    if [variant.key for variant in known.variants] in ([], [own.key]):
        return own
    return replace(own, option_names=known.option_names, variants=known.variants)


_GENDERS = {"1": "male", "2": "female", "male": "male", "female": "female", "nam": "male",
            "nữ": "female"}


def _birthday(raw: str) -> date | None:
    """yyyy-mm-dd (documented) or dd/mm/yyyy (what shop staff type); anything else is
    dropped rather than failing the customer."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw[:10], pattern).date()
        except ValueError:
            continue
    return None


def customer(item: Mapping) -> Customer:
    gender = _GENDERS.get(text(item.get("gender")).lower(), "")
    raw = text(item.get("birthday"))
    birthday = _birthday(raw) if raw else None
    return Customer(key=_key(item.get("id")), name=text(item.get("name")),
                    phone=text(item.get("mobile")), email=text(item.get("email")),
                    address=text(item.get("address")), birthday=birthday, gender=gender,
                    updated_at=item.get("updatedAt"))


def line_total(line: Mapping) -> Decimal:
    """What Nhanh charges for a line: (price − per-unit discount) × quantity, plus the line's
    VAT (`price` excludes VAT, DOC /v3), to the đồng."""
    net = (money(line.get("price")) - money(line.get("discount"))) * quantity(line.get("quantity"))
    # UNVERIFIED: how Nhanh rounds VAT to the đồng; half up, as the sandbox does.
    return money((net * (100 + money(line.get("vat"))) / 100).quantize(Decimal("1"),
                                                                         ROUND_HALF_UP))


def order_total(item: Mapping) -> Decimal:
    """The order's total as Nhanh shows it: its lines, less the order-level discount, plus
    the shipping fee charged to the customer."""
    lines = sum((line_total(line) for line in item.get("products") or ()), Decimal("0"))
    return money(lines - money(item.get("discount")) + money(item.get("shipFee")))


def line_vat(line: Mapping) -> Decimal:
    """The VAT Nhanh adds on top of a line (its `price` excludes VAT), to the đồng."""
    net = (money(line.get("price")) - money(line.get("discount"))) * quantity(line.get("quantity"))
    return money(line_total(line) - net)


def _line(line: Mapping) -> OrderLine:
    """An order line as Nhanh lists it: the list price of one unit (before VAT), the line's
    discount as a whole (Nhanh's `discount` is per unit: × quantity), and the VAT rate in the
    note, the one part of the line the App has no field for (its amount is in the order's
    fees)."""
    count = quantity(line.get("quantity"))
    vat = money(line.get("vat"))
    return OrderLine(sku=text(line.get("code")), name=text(line.get("name")), quantity=count,
                     price=money(line.get("price")), variant_key=_key(line.get("id")),
                     note=f"VAT {vat}%" if vat else "",
                     discount=money(money(line.get("discount")) * count))


def order(item: Mapping) -> Order:
    products = item.get("products") or ()
    lines = tuple(_line(line) for line in products)
    vat = sum((line_vat(line) for line in products), Decimal("0"))
    return Order(key=_key(item.get("id")), number=text(item.get("appOrderId")),
                 status=APP_STATUS.get(int(item.get("status") or NEW), OrderStatus.PLACED),
                 lines=lines, customer_key=_key(item.get("customerId")),
                 customer_name=text(item.get("name")),
                 customer_phone=text(item.get("mobile")),
                 shipping_address=text(item.get("address")), branch_key=_key(item.get("depotId")),
                 note=text(item.get("description")), total=order_total(item),
                 discount=money(item.get("discount")),
                 # What the customer pays above the lines: the shipping fee charged to them
                 # and the VAT Nhanh adds on top of prices that exclude it.
                 fees=money(money(item.get("shipFee")) + vat),
                 created_at=item.get("createdAt"), updated_at=item.get("updatedAt"))


# UNVERIFIED: that order/add takes the fee charged to the customer as `customerShipFee`
# (v3: inside `carrier`, documented there beside `sendCarrierType`; v2: at the top, as
# order/index lists it) when no carrier is chosen. False sends no fee: Nhanh's total is then
# lower than the App's by the order's fees (the behaviour before issue 23).
SEND_CUSTOMER_FEE = True


def unit_discount(line: OrderLine) -> Decimal | None:
    """The App line's discount as Nhanh's per-unit `discount` (DOC /v3: the order list's
    `products[].discount` is per unit; order/add is read the same way, UNVERIFIED), or None
    when it does not split into whole đồng per unit (it then goes to the order's discount)."""
    if not line.discount:
        return Decimal("0")
    if not line.quantity:
        return None
    per_unit = line.discount / line.quantity
    return money(per_unit) if per_unit == per_unit.to_integral_value() else None


def new_order(record: Order, product_ids: Mapping[int, str]) -> dict:
    """The common-shape order/add body of an App order; `product_ids[i]` is the Nhanh id of
    line i. Raises InvalidValue with the reason when Nhanh would refuse it.

    Lines go at their list price with their discount per unit; the order's discount (plus any
    line discount that is no whole đồng per unit) as the order discount, its fees as the fee
    charged to the customer, so Nhanh's total is the App's (issue 23)."""
    if not text(record.customer_name) or not text(record.customer_phone):
        raise InvalidValue("order needs the customer's name and mobile")
    if not record.lines:
        raise InvalidValue("order has no lines")
    status = CREATE_STATUS.get(record.status, NEW)
    products, folded = [], Decimal("0")
    for index, line in enumerate(record.lines):
        per_unit = unit_discount(line)
        if per_unit is None:
            folded += line.discount
            per_unit = Decimal("0")
        products.append({"id": product_ids[index], "price": line.price,
                         "quantity": line.quantity, "discount": per_unit,
                         "name": text(line.name), "code": text(line.sku)})
    listed = sum((line.price * line.quantity for line in record.lines), Decimal("0"))
    computed = (listed - sum((line.discount for line in record.lines), Decimal("0"))
                - record.discount + record.fees)
    discount, fee = folded + record.discount, record.fees
    # An App total that differs from what its parts add up to (an order typed in by hand):
    # below it is more discount Nhanh must know, above it more fee.
    if Decimal("0") < record.total != computed:
        if record.total < computed:
            discount += computed - record.total
        else:
            fee += record.total - computed
    if not SEND_CUSTOMER_FEE:
        fee = Decimal("0")
    return {
        "appOrderId": text(record.key),
        "status": status,
        "depotId": _key(record.branch_key),
        "name": text(record.customer_name),
        "mobile": text(record.customer_phone),
        "address": text(record.shipping_address),
        "description": text(record.note),
        "discount": money(discount),
        "shipFee": money(fee),
        "products": products,
    }
