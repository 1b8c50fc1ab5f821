"""KiotViet JSON ↔ canonical records, and the FnB seed's order rules (KVF-06, KVF-07).

Pure functions only: no I/O, the push time is passed in, so every rule here is tested without a
server or a clock.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from contract.records import (ONE_HOUR, VIETNAM, Branch, Category, Customer, InvalidValue, Order,
                        OrderLine, OrderStatus, Product, StockLevel, Variant, money, quantity,
                        text)
from connectors.kiotviet import payload
from connectors.kiotviet.dates import parse_datetime, vietnam_wall_clock

Row = Mapping[str, Any]

# KiotViet order status codes (platforms/kiotviet.md §4, UNVERIFIED table; statusValue is the
# fallback): 1 Phiếu tạm, 2 Đang giao hàng, 3 Hoàn thành, 4 Đã hủy, 5 Đã xác nhận.
ORDER_STATUS = {1: OrderStatus.PLACED, 2: OrderStatus.SHIPPED_OUT, 3: OrderStatus.COMPLETED,
                4: OrderStatus.CANCELLED, 5: OrderStatus.APPROVED}
# Invoice status codes (KVDOC): only 1 is synced to the App (KVF-08).
INVOICE_COMPLETED = 1
INVOICE_STATUS_VI = {1: "Hoàn thành", 2: "Đã hủy", 3: "Đang xử lý", 5: "Không giao được"}

# Written into the order's description so a create that may have reached KiotViet before a
# crash is found again (COM-02) — it is a reference, not the App order's note (KVF-06).
ORDER_MARKER = "ShopSync #"


def _key(value: Any) -> str:
    return "" if value is None else text(value)


def _id(value: str) -> int | str:
    """KiotViet ids are numbers on the wire; keys are strings in ShopSync."""
    return int(value) if value.isdigit() else value


def _when(row: Row, *names: str) -> datetime | None:
    found = [parse_datetime(payload.get(row, name)) for name in names]
    found = [moment for moment in found if moment is not None]
    return max(found) if found else None


def _first_time(row: Row, *names: str) -> datetime | None:
    """The first of `names` that is present: e.g. the sale time (`purchaseDate`) before the
    moment it was typed in (`createdDate`), which can be hours later (issue 23/3)."""
    for name in names:
        moment = parse_datetime(payload.get(row, name))
        if moment is not None:
            return moment
    return None


def number(value: Decimal) -> int | float:
    """Decimal → JSON number KiotViet accepts (integral amounts stay integers)."""
    return int(value) if value == value.to_integral_value() else float(value)


def digits(phone: object) -> str:
    return re.sub(r"\D", "", text(phone))


def _national(value: object) -> str:
    d = digits(value)
    if d.startswith("84") and len(d) >= 11:
        d = d[2:]
    return d.lstrip("0")


def phone_query(phone: object) -> str:
    """The form KiotViet stores phones in (0xxxxxxxxx), for its `contactNumber` filter."""
    national = _national(phone)
    return "0" + national if national else ""


def same_phone(a: object, b: object) -> bool:
    """Phones compared on digits, with +84/84 and a leading 0 treated alike."""
    left, right = _national(a), _national(b)
    return bool(left) and left == right


# -------------------------------------------------------------------------------------------
# Branches and categories
# -------------------------------------------------------------------------------------------

def _full_address(row: Row) -> str:
    """Street, ward, then KiotViet's `locationName` ("Hồ Chí Minh - Quận 1"), as one line."""
    parts = [text(payload.get(row, name)) for name in ("address", "wardName", "locationName")]
    return ", ".join(part for part in parts if part)


def branch_from(row: Row) -> Branch:
    return Branch(key=_key(payload.get(row, "id")), name=text(payload.get(row, "branchName")),
                  address=_full_address(row),
                  phone=text(payload.get(row, "contactNumber")))


def category_from(row: Row) -> Category:
    parent = payload.get(row, "parentId")
    return Category(key=_key(payload.get(row, "categoryId")),
                    name=text(payload.get(row, "categoryName")),
                    parent_key=_key(parent) if parent not in (None, "", 0) else None,
                    position=payload.as_int(payload.get(row, "rank")) or 0,
                    updated_at=_when(row, "modifiedDate", "createdDate"))


# -------------------------------------------------------------------------------------------
# Products: variants and units arrive as separate rows; the App wants one product per family
# -------------------------------------------------------------------------------------------

def family_key(row: Row, rows_by_id: Mapping[str, Row] | None = None) -> str:
    """The id of the row a product family hangs on: `masterProductId` for variants, the base
    product (and its own master) for units (`masterUnitId`), the row itself otherwise."""
    master = payload.get(row, "masterProductId")
    if master not in (None, "", 0):
        return _key(master)
    base = payload.get(row, "masterUnitId")
    if base not in (None, "", 0):
        base_row = (rows_by_id or {}).get(_key(base))
        if base_row is not None and base_row is not row:
            return family_key(base_row, rows_by_id)
        return _key(base)
    return _key(payload.get(row, "id"))


def has_family(row: Row) -> bool:
    """Whether this row may have sibling rows (variants or other units) on other pages."""
    return bool(payload.get(row, "hasVariants")
                or payload.get(row, "masterProductId") not in (None, "", 0)
                or payload.get(row, "masterUnitId") not in (None, "", 0)
                or payload.get(row, "units"))


def sellable_stock(row: Row) -> tuple[StockLevel, ...]:
    """Per-branch stock the App may sell: onHand − reserved, never below 0 (as KiotViet's own
    plugin computes it). `onhand` is lower-case on /productOnHands."""
    levels = []
    for inventory in payload.get(row, "inventories") or ():
        branch = _key(payload.get(inventory, "branchId"))
        if not branch:
            continue
        on_hand = quantity(payload.get(inventory, "onHand") or 0)
        reserved = quantity(payload.get(inventory, "reserved") or 0)
        levels.append(StockLevel(branch, max(Decimal(0), on_hand - reserved)))
    return tuple(sorted(levels, key=lambda level: level.branch_key))


def image_urls(value: Any) -> tuple[str, ...]:
    """`images` is `[{"Image": url}]` in list answers and `[url]` in detail answers."""
    urls = []
    for image in value or ():
        url = payload.get(image, "image") if isinstance(image, Mapping) else image
        if text(url):
            urls.append(text(url))
    return tuple(dict.fromkeys(urls))


def product_from_family(rows: Sequence[Row], keep_app_status: bool = True) -> Product:
    """One App product from a family's rows.

    With `keep_app_status` (KVF-03, locked on for FnB) the product arrives visible whatever
    KiotViet says; otherwise Retail's `isActive` ("đang kinh doanh") decides."""
    if not rows:
        raise InvalidValue("a product family needs at least one row")
    by_id = {_key(payload.get(row, "id")): row for row in rows}
    root = family_key(rows[0], by_id)
    master = by_id.get(root) or min(rows, key=lambda r: payload.as_int(payload.get(r, "id")) or 0)
    ordered = sorted(rows, key=lambda r: (r is not master,
                                          payload.as_int(payload.get(r, "id")) or 0))
    option_names: list[str] = []
    for row in ordered:
        for attribute in payload.get(row, "attributes") or ():
            name = text(payload.get(attribute, "attributeName"))
            if name and name not in option_names:
                option_names.append(name)
    variants = []
    for row in ordered:
        values = {text(payload.get(a, "attributeName")): text(payload.get(a, "attributeValue"))
                  for a in payload.get(row, "attributes") or ()}
        variants.append(Variant(
            key=_key(payload.get(row, "id")), sku=text(payload.get(row, "code")),
            barcode=text(payload.get(row, "barCode")), price=money(payload.get(row, "basePrice")),
            options=tuple(values.get(name, "") for name in option_names),
            stock=sellable_stock(row), unit=text(payload.get(row, "unit"))))
    category = payload.get(master, "categoryId")
    visible = True if keep_app_status else payload.get(master, "isActive") is not False
    updated = [moment for moment in (_when(row, "modifiedDate", "createdDate") for row in rows)
               if moment is not None]
    return Product(key=root, name=text(payload.get(master, "name")),
                   description=text(payload.get(master, "description")),
                   category_keys=(_key(category),) if category not in (None, "", 0) else (),
                   option_names=tuple(option_names), variants=tuple(variants),
                   images=image_urls(payload.get(master, "images")), visible=visible,
                   updated_at=max(updated) if updated else None)


def rows_of_known(product: Product) -> list[dict[str, Any]] | None:
    """The rows a linked family had at the last sync, rebuilt from the App's copy of it (its
    ids the POS's: a pulled product keeps KiotViet's row ids as variant keys), in the shape
    `product_from_family` reads — so changed rows can replace theirs and the rest need not be
    read again (issue 21). None when the copy cannot say which rows it came from (a variant
    key that is not a KiotViet row id, or no row for the family's own id)."""
    keys = [variant.key for variant in product.variants]
    if not keys or product.key not in keys or not all(key.isdigit() for key in keys) \
            or len(set(keys)) != len(keys):
        return None
    rows: list[dict[str, Any]] = []
    for variant in product.variants:
        row: dict[str, Any] = {
            "id": int(variant.key), "code": variant.sku, "barCode": variant.barcode,
            "basePrice": variant.price, "unit": variant.unit,
            # Every option name on every row, in the product's order: product_from_family
            # then finds the names in the order the App holds them.
            "attributes": [{"attributeName": name, "attributeValue": value}
                           for name, value in zip(product.option_names, variant.options)],
            # Sellable stock as on-hand with nothing reserved: the same sellable amount.
            "inventories": [{"branchId": level.branch_key, "onHand": level.available}
                            for level in variant.stock]}
        if variant.key == product.key:
            row.update(name=product.name, description=product.description,
                       categoryId=product.category_keys[0] if product.category_keys else None,
                       images=list(product.images), isActive=product.visible,
                       modifiedDate=product.updated_at.isoformat()
                       if product.updated_at else None)
        else:
            row["masterProductId"] = int(product.key)
        rows.append(row)
    return rows


def family_from_known(changed: Sequence[Row], known: Product, removed: Iterable[str] = (),
                      keep_app_status: bool = True) -> Product | None:
    """A linked family from the rows KiotViet listed as changed plus the App's copy of the
    rest (`rows_of_known`); rows KiotViet reported removed are left out. A changed row
    KiotViet added later (a new variant) joins the family. None when the copy cannot be used:
    the family is then read whole."""
    rows = rows_of_known(known)
    if rows is None:
        return None
    by_id: dict[str, Row] = {_key(row["id"]): row for row in rows}
    for row in changed:
        by_id[_key(payload.get(row, "id"))] = row
    for key in removed:
        if key != known.key:
            by_id.pop(key, None)
    return product_from_family(list(by_id.values()), keep_app_status)


def group_families(rows: Iterable[Row]) -> dict[str, list[Row]]:
    rows = list(rows)
    by_id = {_key(payload.get(row, "id")): row for row in rows}
    families: dict[str, list[Row]] = {}
    for row in rows:
        families.setdefault(family_key(row, by_id), []).append(row)
    return families


def product_rows_for_push(product: Product, category_id: str = "",
                          branch_id: str = "") -> list[dict[str, Any]]:
    """Retail `POST /products` bodies (B-06): the first variant becomes the family master, the
    others are sent with `masterProductId` filled in by the caller once the master exists."""
    variants = product.variants or (Variant(key=product.key),)
    bodies = []
    for variant in variants:
        body: dict[str, Any] = {"name": product.name, "code": variant.sku or None,
                                "barCode": variant.barcode or None,
                                "basePrice": number(variant.price), "allowsSale": True,
                                "description": product.description or None,
                                "unit": variant.unit or None}
        if category_id:
            body["categoryId"] = _id(category_id)
        attributes = [{"attributeName": name, "attributeValue": value}
                      for name, value in zip(product.option_names, variant.options) if value]
        if attributes:
            body["attributes"] = attributes
            body["hasVariants"] = True
        if product.images:
            body["images"] = list(product.images)
        # Branch keys are KiotViet's here (the engine translated them); `branch_id` (the
        # connection's central branch) stands in for a level that names none.
        levels = [(level.branch_key or branch_id, level.available) for level in variant.stock]
        if any(branch for branch, _ in levels):
            body["inventories"] = [{"branchId": _id(branch), "onHand": number(available)}
                                   for branch, available in levels if branch]
        bodies.append({k: v for k, v in body.items() if v is not None})
    return bodies


# -------------------------------------------------------------------------------------------
# Customers
# -------------------------------------------------------------------------------------------

def customer_from(row: Row) -> Customer:
    gender = payload.get(row, "gender")
    birth = parse_datetime(payload.get(row, "birthDate"))
    address = _full_address(row)
    return Customer(key=_key(payload.get(row, "id")), name=text(payload.get(row, "name")),
                    phone=text(payload.get(row, "contactNumber")),
                    email=text(payload.get(row, "email")), address=address,
                    birthday=birth.astimezone(VIETNAM).date() if birth else None,
                    gender="male" if gender is True else "female" if gender is False else "",
                    note=text(payload.get(row, "comments")),
                    updated_at=_when(row, "modifiedDate", "createdDate"))


def customer_body(customer: Customer, branch_id: str = "") -> dict[str, Any]:
    """Create/update body; empty App values are left out so they never blank KiotViet's
    (COM-05)."""
    body: dict[str, Any] = {"name": customer.name, "contactNumber": customer.phone,
                            "email": customer.email, "address": customer.address,
                            "comments": customer.note}
    body = {k: v for k, v in body.items() if v}
    if customer.gender in ("male", "female"):
        body["gender"] = customer.gender == "male"
    if customer.birthday is not None:
        body["birthDate"] = customer.birthday.isoformat()
    if branch_id:
        body["branchId"] = int(branch_id) if branch_id.isdigit() else branch_id
    return body


# -------------------------------------------------------------------------------------------
# Orders: App → KiotViet
# -------------------------------------------------------------------------------------------

def delivery_time(app_delivery: datetime | None, pushed_at: datetime) -> datetime:
    """KVF-07: the App's delivery time if it is later than the push, else push time + 1 hour
    (a time equal to the push moment is not later, so it is replaced too)."""
    if app_delivery is not None and app_delivery > pushed_at:
        return app_delivery
    return pushed_at + ONE_HOUR


def line_notes(order: Order) -> list[str]:
    """KVF-06: the App order's note goes into the FIRST line's note (KiotViet FnB shows line
    notes to the kitchen, not an order note); a line's own note is kept after it."""
    notes = [line.note for line in order.lines]
    if order.note and notes:
        notes[0] = " — ".join(part for part in (order.note, notes[0]) if part)
    return notes


# Where the FnB order body carries the marker besides the first line's note. UNVERIFIED: no
# public FnB document shows `Description` on order create (one public client lists
# `historyNote`); the line `Note` is documented (FNBPDF) and always carries it too, and a lost
# answer is also resolved by the order's exact content (`already_there` in
# KiotVietConnector._create_order), so duplicate safety never rests on this one field.
# Retail documents `description` (KVDOC 2.5.3).
FNB_ORDER_MARKER_FIELD = "Description"


def order_marker(app_key: str) -> str:
    return f"{ORDER_MARKER}{app_key}"


def marker_key(description: object) -> str:
    """The App order id written by `order_marker`, or ''."""
    match = re.search(re.escape(ORDER_MARKER) + r"(\S+)", text(description))
    return match.group(1) if match else ""


def row_marker_key(row: Row) -> str:
    """The App order id a KiotViet order carries: in its description, else in a line note."""
    found = marker_key(payload.get(row, "description"))
    for line in payload.get(row, "orderDetails") or ():
        if found:
            break
        found = marker_key(payload.get(line, "note"))
    return found


def content_of(row: Row) -> tuple:
    """What KiotViet certainly keeps of an order we sent: branch, customer and each line's
    product, quantity and unit price (compared as a multiset)."""
    lines = sorted((_key(payload.get(d, "productId")), str(quantity(payload.get(d, "quantity"))),
                    str(money(payload.get(d, "price"))))
                   for d in payload.get(row, "orderDetails") or ())
    return (_key(payload.get(row, "branchId")), _key(payload.get(row, "customerId")),
            tuple(lines))


def sent_as_row(body: Mapping[str, Any]) -> dict[str, Any]:
    """An order create body (FnB PascalCase or Retail camelCase) in the shape KiotViet lists
    orders in, for `content_of`."""
    customer = payload.get(body, "customerId") or payload.get(payload.get(body, "customer"), "id")
    return {"branchId": payload.get(body, "branchId"), "customerId": customer,
            "orderDetails": [{"productId": payload.get(d, "productId"),
                              "quantity": payload.get(d, "quantity"),
                              "price": payload.get(d, "price")}
                             for d in payload.get(body, "orderDetails") or ()]}


def made_at(row: Row) -> datetime | None:
    """When KiotViet made the order (the later of its creation and sale times)."""
    return _when(row, "createdDate", "purchaseDate")


def has_delivery(order: Order) -> bool:
    """An App order is delivered when it names an address to deliver to."""
    return bool(order.shipping_address)


def _unit_discount(line: OrderLine) -> Decimal:
    """The App's line discount (on the whole line) as KiotViet's per-unit amount."""
    if not line.discount or not line.quantity:
        return Decimal(0)
    return money(line.discount / line.quantity) if LINE_DISCOUNT_PER_UNIT else line.discount


def _without_marker(description: object) -> str:
    return text(re.sub(re.escape(ORDER_MARKER) + r"\S+", "", text(description)))


def fnb_order_body(order: Order, *, branch_id: str, product_ids: Sequence[str],
                   customer_id: str = "", pushed_at: datetime,
                   with_delivery: bool = False) -> dict[str, Any]:
    """FnB `POST /orders`, PascalCase (FNBPDF p17–18). `DeliveryDetail` only for a delivered
    order of a shop that uses KiotViet's delivery feature (issue 19/15); FnB documents no
    line discount, so a discounted line is sent at its net unit price."""
    notes = line_notes(order)
    if notes:      # the marker rides on a documented field too (see FNB_ORDER_MARKER_FIELD)
        notes[0] = " · ".join(part for part in (notes[0], order_marker(order.key)) if part)
    details = [{"ProductId": _id(product_ids[i]),
                "Price": number(line.price - _unit_discount(line)),
                "Quantity": number(line.quantity), "Note": notes[i], "Rank": i + 1}
               for i, line in enumerate(order.lines)]
    body: dict[str, Any] = {"BranchId": _id(branch_id),
                            FNB_ORDER_MARKER_FIELD: order_marker(order.key),
                            "OrderDetails": details}
    if order.discount:
        body["Discount"] = number(order.discount)      # UNVERIFIED on FnB (Retail: discount)
    if customer_id:
        body["CustomerId"] = _id(customer_id)
    if with_delivery:
        body["DeliveryDetail"] = {
            "Receiver": order.customer_name, "ContactNumber": order.customer_phone,
            "Address": order.shipping_address,
            "ExpectedDelivery": vietnam_wall_clock(delivery_time(order.delivery_at, pushed_at)),
            "Status": 3}
    return body


def retail_order_body(order: Order, *, branch_id: str, product_ids: Sequence[str],
                      customer_id: str = "", pushed_at: datetime,
                      with_delivery: bool = False) -> dict[str, Any]:
    """Retail `POST /orders`, camelCase (KVDOC 2.5.3): the customer as `customer{id, …}`,
    line and order discounts as documented, `orderDelivery` only for a delivered order of a
    shop that uses KiotViet's delivery feature."""
    notes = line_notes(order)
    details = [{"productId": _id(product_ids[i]), "productCode": line.sku or None,
                "price": number(line.price), "quantity": number(line.quantity),
                "discount": number(_unit_discount(line)) if line.discount else None,
                "note": notes[i] or None}
               for i, line in enumerate(order.lines)]
    body: dict[str, Any] = {"branchId": _id(branch_id), "description": order_marker(order.key),
                            "makeInvoice": False,
                            "orderDetails": [{k: v for k, v in d.items() if v is not None}
                                             for d in details]}
    customer = {"id": _id(customer_id) if customer_id else None, "name": order.customer_name,
                "contactNumber": order.customer_phone, "address": order.shipping_address}
    customer = {k: v for k, v in customer.items() if v}
    if customer:
        body["customer"] = customer
    if order.discount:
        body["discount"] = number(order.discount)
    if with_delivery:
        body["orderDelivery"] = {
            "receiver": order.customer_name, "contactNumber": order.customer_phone,
            "address": order.shipping_address,
            "expectedDelivery": vietnam_wall_clock(delivery_time(order.delivery_at, pushed_at))}
    return body


# -------------------------------------------------------------------------------------------
# Orders: KiotViet → App
# -------------------------------------------------------------------------------------------

# KiotViet's line `discount` ("giảm giá trên sản phẩm theo tiền", KVDOC 2.5/2.12) is read as
# an amount off EACH UNIT, as the KiotViet sales screen applies it: the line costs
# (price − discount) × quantity. UNVERIFIED for quantities above 1 (every published example
# has quantity 1); False would read it as an amount off the whole line.
LINE_DISCOUNT_PER_UNIT = True


def line_discount(row: Row) -> Decimal:
    """The amount off one KiotViet order/invoice line as a whole, in đồng."""
    off = money(payload.get(row, "discount"))
    if LINE_DISCOUNT_PER_UNIT:
        off *= quantity(payload.get(row, "quantity") or 0)
    return money(off)


def _lines(rows: Any) -> tuple[OrderLine, ...]:
    return tuple(OrderLine(sku=text(payload.get(r, "productCode")),
                           name=text(payload.get(r, "productName")),
                           quantity=quantity(payload.get(r, "quantity") or 0),
                           price=money(payload.get(r, "price")),
                           product_key=_key(payload.get(r, "productId")),
                           variant_key=_key(payload.get(r, "productId")),
                           note=_without_marker(payload.get(r, "note")).rstrip(" ·"),
                           discount=line_discount(r))
                 for r in rows or ())


def fees(row: Row) -> Decimal:
    """Surcharges (thu khác) the customer pays on top of the lines; KiotViet adds them to
    `total`. The delivery partner's fee (`orderDelivery.price`) is not: the shop pays it."""
    charges = payload.get(row, "invoiceOrderSurcharges") or ()
    return money(sum((money(payload.get(c, "price")) for c in charges
                      if isinstance(c, Mapping)), Decimal(0)))


def order_key(row: Row) -> str:
    """Orders are keyed by their KiotViet code (`DH…`): a pushed order and the invoice that
    completes it (`orderCode`) then land on the same App order (KVF-10)."""
    return text(payload.get(row, "code")) or _key(payload.get(row, "id"))


def order_from(row: Row) -> Order:
    """A KiotViet order (the answer to our create, or a `find`)."""
    status = ORDER_STATUS.get(payload.as_int(payload.get(row, "status")) or 0,
                              OrderStatus.PLACED)
    delivery = payload.get(row, "orderDelivery") or payload.get(row, "deliveryDetail") or {}
    return Order(key=order_key(row), number=text(payload.get(row, "code")), status=status,
                 lines=_lines(payload.get(row, "orderDetails")),
                 customer_key=_key(payload.get(row, "customerId")),
                 customer_name=text(payload.get(row, "customerName")
                                    or payload.get(delivery, "receiver")),
                 customer_phone=text(payload.get(delivery, "contactNumber")),
                 shipping_address=text(payload.get(delivery, "address")),
                 branch_key=_key(payload.get(row, "branchId")),
                 delivery_at=parse_datetime(payload.get(delivery, "expectedDelivery")),
                 total=money(payload.get(row, "total")),
                 discount=money(payload.get(row, "discount")), fees=fees(row),
                 created_at=_first_time(row, "purchaseDate", "createdDate"),
                 updated_at=_when(row, "modifiedDate", "createdDate"))


def invoice_is_completed(row: Row) -> bool:
    return payload.as_int(payload.get(row, "status")) == INVOICE_COMPLETED


def order_from_invoice(row: Row) -> Order:
    """KVF-08: a completed KiotViet invoice becomes a completed App order. An invoice that
    closes an order takes the order's code as key, so the App order it came from is updated."""
    delivery = payload.get(row, "invoiceDelivery") or {}
    return Order(key=text(payload.get(row, "orderCode")) or order_key(row),
                 number=text(payload.get(row, "code")), status=OrderStatus.COMPLETED,
                 lines=_lines(payload.get(row, "invoiceDetails")),
                 customer_key=_key(payload.get(row, "customerId")),
                 customer_name=text(payload.get(row, "customerName")),
                 customer_phone=text(payload.get(delivery, "contactNumber")),
                 shipping_address=text(payload.get(delivery, "address")),
                 branch_key=_key(payload.get(row, "branchId")),
                 note=_without_marker(payload.get(row, "description")),
                 total=money(payload.get(row, "total")),
                 discount=money(payload.get(row, "discount")), fees=fees(row),
                 # The sale time, not when it was typed in (issue 23/3); the typing time is
                 # still seen through `updated_at` (modifiedDate ≥ createdDate).
                 created_at=_first_time(row, "purchaseDate", "createdDate"),
                 updated_at=_when(row, "modifiedDate", "createdDate", "purchaseDate"))
