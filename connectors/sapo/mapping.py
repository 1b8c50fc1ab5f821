"""Sapo JSON ↔ canonical records, and the Sapo-only rules applied on the way (SAPO-08, -10).

Sapo names fields Bizweb-style (`name`, `content`, `*_on`); timestamps are UTC `Z`; money comes
as numbers or numeric strings. Reads never trust a float: every amount goes through `money()`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

from contract.records import VIETNAM as _VN  # birthdays are Vietnam calendar days
from contract.records import (Branch, Category, Customer, Entity, InvalidValue, NewsArticle, Order,
                        OrderLine, OrderStatus, Product, Record, StockLevel, Variant, money,
                        quantity, text, utc)
from contract.connector import InvalidData

APP_ORDER_ATTRIBUTE = "app_order_id"
APP_ORDER_TAG_PREFIX = "shopsync-"
SHOPSYNC_ORDER_TAG = "shopsync"
ORDER_DISCOUNT_CODE = "GIAM-GIA-APP"   # the App order's own discount, as one fixed amount
ORDER_FEE_TITLE = "Phí khác"           # what the App order charges above its lines   # on every order ShopSync creates: one filter finds them all
# The option Sapo invents for a product without options ("Title"/"Tiêu đề" = "Default Title").
_DEFAULT_OPTION_VALUES = {"default title", "tiêu đề mặc định"}
INVENTORY_BEHAVIOURS = ("bypass", "decrement_ignoring_policy", "decrement_obeying_policy")
# Customer gender as Sapo's customer docs list it (support.sapo.vn, Customer: Male/Female/Other);
# read back case-insensitively, since stores and older clients also hold lowercase values.
SAPO_GENDERS = {"male": "Male", "female": "Female"}
# A pack-size variant ("đơn vị quy đổi"): sold as a pack of the base variant, its stock made of
# the base's (`requires_components`). Sapo names it "<pack unit> - <base variant title>" in
# option1; the App shows it as a unit of the base variant, never as an option value.
PACK_SIZE_TYPE = "packsize"
_BASE_TITLE_WORDS = {"default title", "tiêu đề mặc định", "phiên bản gốc"}


# -------------------------------------------------------------------------------------------
# Time
# -------------------------------------------------------------------------------------------

def sapo_time(value: datetime) -> str:
    """A filter value Sapo honours: ISO-8601 WITH a zone. Sapo silently ignores a naive one and
    returns everything, so a naive datetime is refused here instead of being sent."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidValue(f"naive datetime {value!r}: Sapo would ignore this filter")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object) -> datetime | None:
    """Sapo timestamps (`2025-05-13T08:53:30Z`, sometimes with an offset) → aware UTC."""
    if not value:
        return None
    raw = str(value).strip().replace(" ", "T", 1)
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:  # responses are documented as UTC
        parsed = parsed.replace(tzinfo=timezone.utc)
    return utc(parsed)


def number(value: Decimal) -> int | float:
    """JSON number for Sapo: integral amounts stay integers (VND has no cents)."""
    return int(value) if value == value.to_integral_value() else float(value)


# -------------------------------------------------------------------------------------------
# Phones
# -------------------------------------------------------------------------------------------

def phone_digits(value: str | None) -> str:
    """Compare key of a Vietnamese phone: `+84 98-123 4567`, `84981234567`, `0981234567` →
    `0981234567`. Sapo stores both spellings and its search is a fuzzy substring match."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    return digits


def phone_query(value: str) -> str:
    """The part of the number every spelling contains (no leading 0 / 84)."""
    digits = phone_digits(value)
    return digits[1:] if digits.startswith("0") else digits


# -------------------------------------------------------------------------------------------
# Branches and categories
# -------------------------------------------------------------------------------------------

def branch_from_sapo(location: Mapping[str, Any]) -> Branch:
    address = ", ".join(text(location.get(k)) for k in ("address1", "address2", "city", "province")
                        if text(location.get(k)))
    return Branch(key=str(location["id"]), name=text(location.get("name")), address=address,
                  phone=text(location.get("phone")), active=location.get("active", True) is not False)


def category_from_sapo(collection: Mapping[str, Any]) -> Category:
    """Sapo collections are flat (SAPO-02): no parent; hidden = `published_on` null."""
    return Category(key=str(collection["id"]), name=text(collection.get("name")), parent_key=None,
                    visible=collection.get("published_on") is not None,
                    updated_at=parse_time(collection.get("modified_on")))


# -------------------------------------------------------------------------------------------
# Products
# -------------------------------------------------------------------------------------------

def is_pack_size(variant: Mapping[str, Any]) -> bool:
    return text(variant.get("type")).casefold() == PACK_SIZE_TYPE


def _is_default_option(product: Mapping[str, Any]) -> bool:
    """A product without real options: its one base variant holds Sapo's invented
    "Default Title" (pack-size variants are units of it, not options)."""
    variants = [v for v in product.get("variants") or [] if not is_pack_size(v)]
    return (len(variants) == 1
            and text(variants[0].get("option1")).lower() in _DEFAULT_OPTION_VALUES
            and not variants[0].get("option2"))


def pack_unit(variant: Mapping[str, Any]) -> str:
    """The pack's unit ("Lốc 6", "20g"): the variant's `unit`, else the part of its option
    before " - <base variant title>"."""
    unit = text(variant.get("unit"))
    if unit:
        return unit
    label = text(variant.get("option1") or variant.get("title"))
    return label.rsplit(" - ", 1)[0] if " - " in label else label


def _pack_options(variant: Mapping[str, Any], bases: list[Mapping[str, Any]],
                  simple: bool) -> tuple[str, ...]:
    """The options of the base variant a pack is made of: the one its label names after
    " - ", else the product's only base variant; () on a product without options."""
    if simple:
        return ()
    label = text(variant.get("option1") or variant.get("title"))
    named = label.rsplit(" - ", 1)[1].strip() if " - " in label else ""
    for base in bases:
        title = text(base.get("title")) or " / ".join(
            text(base.get(f"option{i}")) for i in range(1, 4) if base.get(f"option{i}"))
        if named and title.casefold() == named.casefold():
            return tuple(text(base.get(f"option{i}")) for i in range(1, 4)
                         if base.get(f"option{i}") is not None)
    if len(bases) == 1:
        return tuple(text(bases[0].get(f"option{i}")) for i in range(1, 4)
                     if bases[0].get(f"option{i}") is not None)
    return ()


def new_variant_levels(branches: Sequence[str], written: Mapping[str, Decimal]
                       ) -> tuple[StockLevel, ...]:
    """A new variant's stock on a shop with several locations, as a pull will read it: a level
    at every active location, in their order, zero where nothing was written.
    UNVERIFIED: that Sapo gives a new variant a level at every active location (its list
    answers so for existing ones). If it does not, the next pull updates the App's stock of
    that product to what Sapo holds; nothing else depends on it."""
    return tuple(StockLevel(branch, written.get(branch, Decimal(0))) for branch in branches)


def product_from_sapo(product: Mapping[str, Any], category_keys: Iterable[str] = (),
                      stock: Mapping[str, tuple[StockLevel, ...]] | None = None,
                      single_branch: str | None = None) -> Product:
    """`stock` maps inventory_item_id → levels per location; with one branch only, the
    variant's own `inventory_quantity` (= available, not on hand) is that branch's stock."""
    simple = _is_default_option(product)
    option_names = () if simple else tuple(
        text(o.get("name")) for o in sorted(product.get("options") or [],
                                            key=lambda o: o.get("position") or 0))
    variants = []
    bases = [v for v in product.get("variants") or [] if not is_pack_size(v)]
    for raw in product.get("variants") or []:
        pack = is_pack_size(raw)
        if pack:
            options = _pack_options(raw, bases, simple)
        else:
            options = () if simple else tuple(
                text(raw.get(f"option{i}")) for i in range(1, 4) if raw.get(f"option{i}") is not None)
        item = str(raw.get("inventory_item_id") or "")
        if stock is not None and item in stock:
            levels = stock[item]
        elif single_branch is not None and raw.get("inventory_quantity") is not None:
            levels = (StockLevel(single_branch, quantity(raw.get("inventory_quantity"))),)
        else:
            levels = ()
        compare = money(raw.get("compare_at_price"))
        variants.append(Variant(key=str(raw["id"]), sku=text(raw.get("sku")),
                                barcode=text(raw.get("barcode")), price=money(raw.get("price")),
                                compare_at_price=compare or None, options=options,
                                stock=tuple(levels),
                                unit=pack_unit(raw) if pack else text(raw.get("unit"))))
    images = tuple(text(i.get("src")) for i in sorted(product.get("images") or [],
                                                      key=lambda i: i.get("position") or 0)
                   if i.get("src"))
    return Product(key=str(product["id"]), name=text(product.get("name")),
                   description=text(product.get("content")),
                   category_keys=tuple(dict.fromkeys(str(k) for k in category_keys)),
                   option_names=option_names, variants=tuple(variants), images=images,
                   visible=product.get("published_on") is not None,
                   updated_at=parse_time(product.get("modified_on")))


def validate_push(entity: Entity, record: Record) -> None:
    """Sapo-only checks made BEFORE any request, so a blocked item costs nothing (SAPO-08)."""
    if entity is Entity.PRODUCT and isinstance(record, Product):
        count = len(set(record.category_keys))
        if count != 1:
            if count == 0:
                vi = f"Sản phẩm “{record.name}” chưa có danh mục. Hãy chọn đúng một danh mục rồi đẩy lại."
                en = f"Product “{record.name}” has no category. Pick exactly one category and push again."
            else:
                vi = (f"Sản phẩm “{record.name}” đang có {count} danh mục. Sapo cần đúng một danh mục: "
                      "hãy bỏ bớt rồi đẩy lại.")
                en = (f"Product “{record.name}” has {count} categories. Sapo needs exactly one: "
                      "remove the others and push again.")
            raise InvalidData(vi, en, rule="SAPO-08")
        if len(record.variants) > 100:
            raise InvalidData("Sapo cho phép tối đa 100 phiên bản mỗi sản phẩm.",
                              "Sapo allows at most 100 variants per product.")
        if len(record.option_names) > 3:
            raise InvalidData("Sapo cho phép tối đa 3 thuộc tính (size, màu…) mỗi sản phẩm.",
                              "Sapo allows at most 3 options (size, colour…) per product.")


def push_problem(record: Record) -> InvalidData | None:
    """The engine's pre-create hook (EntityCapability.validate_push): the SAPO-08 error, or
    None. Only creates are checked: a Sapo product sitting in two collections must stay
    editable from the App."""
    try:
        validate_push(Entity.PRODUCT, record)
    except InvalidData as problem:
        return problem
    return None


def _match_variant(variant: Variant, existing: list[Mapping[str, Any]],
                   taken: set[int]) -> Mapping[str, Any] | None:
    """The Sapo variant an App variant stands for: same id, else same SKU, else same options."""
    candidates = [v for v in existing if v.get("id") not in taken]
    for test in (lambda v: str(v.get("id")) == variant.key,
                 lambda v: bool(variant.sku) and text(v.get("sku")) == variant.sku,
                 lambda v: bool(variant.options) and tuple(
                     text(v.get(f"option{i}")) for i in range(1, len(variant.options) + 1))
                 == variant.options):
        for candidate in candidates:
            if test(candidate):
                return candidate
    return None


def product_to_sapo(product: Product, *, existing: Mapping[str, Any] | None = None,
                    published_on: str | None = None,
                    initial_stock_branch: str | None = None) -> dict[str, Any]:
    """Body of `POST/PUT /admin/products.json`. On update (`existing` given), each variant keeps
    its Sapo id (an array without ids would replace the set) and empty App values are left out
    so they never blank a Sapo value (COM-05)."""
    body: dict[str, Any] = {"name": product.name}
    if product.description:
        body["content"] = product.description
    was_visible = existing is not None and existing.get("published_on") is not None
    if not product.visible:
        body["published_on"] = None                       # Sapo hides by a null publish date
    elif not was_visible:
        body["published_on"] = published_on
    if product.option_names:
        body["options"] = [{"name": name} for name in product.option_names]
    old_images = [text(i.get("src")) for i in (existing or {}).get("images") or []]
    if product.images and list(product.images) != old_images:
        body["images"] = [{"src": src} for src in product.images]
    old_variants = list((existing or {}).get("variants") or [])
    taken: set[int] = set()
    variants = []
    for variant in product.variants or (Variant(key=""),):
        match = _match_variant(variant, old_variants, taken) if existing is not None else None
        item: dict[str, Any] = {}
        if match is not None:
            taken.add(match.get("id"))
            item["id"] = match["id"]
        pack = match is not None and is_pack_size(match)
        # A pack-size variant keeps Sapo's own label and unit: the App shows it as a unit of
        # its base variant, and writing that view back would turn it into an option value.
        for index, value in enumerate(() if pack else variant.options[:3], start=1):
            item[f"option{index}"] = value
        item["price"] = number(variant.price)
        if variant.compare_at_price:
            item["compare_at_price"] = number(variant.compare_at_price)
        for name in ("sku", "barcode") if pack else ("sku", "barcode", "unit"):
            if getattr(variant, name):
                item[name] = getattr(variant, name)
        if match is None:
            item["inventory_management"] = "bizweb"
            if initial_stock_branch is not None:
                level = next((s.available for s in variant.stock
                              if s.branch_key == initial_stock_branch), None)
                if level is not None:
                    item["inventory_quantity"] = number(level)
        variants.append(item)
    body["variants"] = variants
    return body


# -------------------------------------------------------------------------------------------
# Customers
# -------------------------------------------------------------------------------------------

def _address_line(address: Mapping[str, Any] | None) -> str:
    if not address:
        return ""
    parts = [text(address.get(k)) for k in ("address1", "address2", "ward", "district",
                                             "province", "city")]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return ", ".join(seen)


def customer_name(first: object, last: object) -> str:
    """Vietnamese order: family name (`last_name`) first; Sapo usually puts it all in first_name."""
    return " ".join(p for p in (text(last), text(first)) if p)


def customer_from_sapo(customer: Mapping[str, Any]) -> Customer:
    gender = text(customer.get("gender")).casefold()
    dob = parse_time(customer.get("dob")) if customer.get("dob") else None
    return Customer(key=str(customer["id"]),
                    name=customer_name(customer.get("first_name"), customer.get("last_name")),
                    phone=text(customer.get("phone")), email=text(customer.get("email")),
                    address=_address_line(customer.get("default_address")),
                    birthday=dob.astimezone(_VN).date() if dob else None,
                    gender=gender if gender in ("male", "female") else "",
                    note=text(customer.get("note")),
                    updated_at=parse_time(customer.get("modified_on")))


def customer_to_sapo(customer: Customer, existing: Customer | None = None) -> dict[str, Any]:
    """Whole name in `first_name` (how Sapo's own screens store it); empty values left out."""
    body: dict[str, Any] = {}
    if customer.name:
        body["first_name"] = customer.name
        body["last_name"] = ""
    for name in ("phone", "email", "note"):
        if getattr(customer, name):
            body[name] = getattr(customer, name)
    if customer.gender in SAPO_GENDERS:
        body["gender"] = SAPO_GENDERS[customer.gender]
    if customer.birthday:
        body["dob"] = customer.birthday.isoformat()
    # Only address1: ward/district codes must be pre-2025 ones and a code without its name is
    # dropped, so a free-text line is the form that survives (platforms/sapo.md, customers).
    if customer.address and (existing is None or existing.address != customer.address):
        body["addresses"] = [{"address1": customer.address, "default": True,
                              **({"phone": customer.phone} if customer.phone else {})}]
    return body


# -------------------------------------------------------------------------------------------
# Orders
# -------------------------------------------------------------------------------------------

def order_status_from_sapo(order: Mapping[str, Any]) -> OrderStatus:
    """Sapo `status`/`fulfillment_status`/`financial_status` → the App's status.

    `closed` is the archived "Lưu trữ" state, which the shop uses for paid-and-delivered:
    the App shows it as completed/archived (SAPO-10)."""
    status = text(order.get("status")).lower()
    if status == "cancelled" or order.get("cancelled_on"):
        return OrderStatus.CANCELLED
    if status == "closed" or order.get("closed_on"):
        return OrderStatus.ARCHIVED
    fulfillment = text(order.get("fulfillment_status")).lower()
    if fulfillment == "fulfilled":
        return OrderStatus.SHIPPED_OUT
    if fulfillment == "partial":
        return OrderStatus.PACKED
    if text(order.get("financial_status")).lower() in ("paid", "partially_paid", "authorized"):
        return OrderStatus.APPROVED
    return OrderStatus.PLACED


def app_order_key(order: Mapping[str, Any]) -> str:
    """The App order id ShopSync wrote into a Sapo order (COM-02/COM-09 look-up), or ''."""
    for attribute in order.get("note_attributes") or []:
        if text(attribute.get("name")) == APP_ORDER_ATTRIBUTE:
            return text(attribute.get("value"))
    return ""


def app_order_tag(app_key: str) -> str:
    return f"{APP_ORDER_TAG_PREFIX}{app_key}"


@dataclass(frozen=True)
class OrderAmounts:
    """What a Sapo order's money is made of, as its documented fields spell it."""

    lines: Decimal            # Σ price × quantity
    line_discounts: Decimal   # Σ line_items[].total_discount
    order_discount: Decimal   # discounts on the whole order (discount codes)
    fees: Decimal             # shipping lines
    total: Decimal            # Sapo's total_price: what the customer pays

    @property
    def computed(self) -> Decimal:
        return self.lines - self.line_discounts - self.order_discount + self.fees


def order_amounts(order: Mapping[str, Any]) -> OrderAmounts:
    """The money of a Sapo order. UNVERIFIED (one place): whether `total_discounts` counts
    the lines' own discounts too (Shopify's, which Sapo copies, does); when it is smaller
    than their sum it is read as the order-level part only."""
    items = order.get("line_items") or []
    lines = sum((money(i.get("price")) * quantity(i.get("quantity")) for i in items), Decimal(0))
    line_discounts = sum((money(i.get("total_discount")) for i in items), Decimal(0))
    discounts = money(order.get("total_discounts"))
    order_discount = discounts - line_discounts if discounts >= line_discounts else discounts
    shipping = order.get("shipping_lines") or []
    fees = (sum((money(s.get("price")) for s in shipping), Decimal(0)) if shipping
            else money(order.get("total_shipping_price")))
    total = money(order.get("total_price"))
    # Prices in VND shops include VAT; a shop whose prices exclude it has `total_tax` added on
    # top: it is then part of what the customer pays above the lines.
    tax = money(order.get("total_tax"))
    if tax and lines - line_discounts - order_discount + fees + tax == total:
        fees += tax
    return OrderAmounts(money(lines), money(line_discounts), money(order_discount), money(fees),
                        total)


def order_from_sapo(order: Mapping[str, Any]) -> Order:
    """A Sapo order: each line at its list price with its own discount (`total_discount`, the
    whole line's), the order's discount codes and its shipping lines, so that the lines less
    the discounts plus the fees are Sapo's `total_price` (issue 23)."""
    amounts = order_amounts(order)
    lines = []
    for line in order.get("line_items") or []:
        name = text(line.get("title") or line.get("name"))
        variant_title = text(line.get("variant_title"))
        if variant_title and variant_title.lower() not in _DEFAULT_OPTION_VALUES:
            name = f"{name} - {variant_title}" if name else variant_title
        lines.append(OrderLine(sku=text(line.get("sku")), name=name,
                               quantity=quantity(line.get("quantity")),
                               price=money(line.get("price")),
                               product_key=str(line.get("product_id") or ""),
                               variant_key=str(line.get("variant_id") or ""),
                               discount=money(line.get("total_discount"))))
    customer = order.get("customer") or {}
    shipping = order.get("shipping_address") or {}
    return Order(
        key=str(order["id"]), number=text(order.get("name") or order.get("order_number")),
        status=order_status_from_sapo(order), lines=tuple(lines),
        customer_key=str(customer.get("id") or ""),
        customer_name=(customer_name(customer.get("first_name"), customer.get("last_name"))
                       or text(shipping.get("name"))),
        customer_phone=text(order.get("phone") or customer.get("phone") or shipping.get("phone")),
        shipping_address=_address_line(shipping), branch_key=str(order.get("location_id") or ""),
        note=text(order.get("note")), total=amounts.total,
        discount=amounts.order_discount, fees=amounts.fees,
        created_at=parse_time(order.get("created_on")),
        updated_at=parse_time(order.get("modified_on")))


def order_adjustments(order: Order) -> tuple[Decimal, Decimal]:
    """What an App order sends besides its lines: one fixed-amount discount and one fee.

    Sapo totals the lines itself and documents no discount on a line it is sent
    (`line_items[{variant_id, quantity, price}]`, support.sapo.vn order API), only
    `discount_codes[{code, amount, type: fixed_amount}]` and `shipping_lines[]`: the lines'
    own discounts join the order's in the one code, the order's fees become the fee line, and
    an App total that differs from what its parts add up to is reached with more of either,
    so both sides show the same total."""
    lines = sum((line.price * line.quantity for line in order.lines), Decimal(0))
    discount = sum((line.discount for line in order.lines), Decimal(0)) + order.discount
    fees = order.fees
    computed = lines - discount + fees
    if order.total > 0 and order.total != computed:
        if order.total < computed:
            discount += computed - order.total
        else:
            fees += order.total - computed
    if discount > lines:
        # Sapo takes no more discount than the lines are worth: the rest comes off the fee
        # (a voucher that also covers the shipping).
        fees, discount = max(fees - (discount - lines), Decimal(0)), lines
    return money(discount), money(fees)


def order_to_sapo(order: Order, *, inventory_behaviour: str) -> dict[str, Any]:
    """Body of `POST /admin/orders.json` for an App order (SAPO-04).

    Never `source_name` (a private app gets 422 for it). `inventory_behaviour` is always sent
    because Sapo's default `bypass` would leave stock untouched. The App order id goes into a
    note attribute and a tag so a create interrupted by a crash is found, not repeated."""
    if inventory_behaviour not in INVENTORY_BEHAVIOURS:
        raise InvalidValue(f"unknown inventory_behaviour {inventory_behaviour!r}")
    line_items = []
    for line in order.lines:
        item: dict[str, Any] = {"quantity": number(line.quantity), "price": number(line.price)}
        if line.variant_key.isdigit():
            # Sapo moves stock only for a line that names its variant (SAPO-04).
            item["variant_id"] = int(line.variant_key)
            if line.product_key.isdigit():
                item["product_id"] = int(line.product_key)
        else:  # no product behind it (a fee, a service): a custom line moves no stock
            item["title"] = line.name or line.sku
            if line.sku:
                item["sku"] = line.sku
        line_items.append(item)
    body: dict[str, Any] = {
        "line_items": line_items,
        "inventory_behaviour": inventory_behaviour,
        "note_attributes": [{"name": APP_ORDER_ATTRIBUTE, "value": order.key}],
        "tags": f"{SHOPSYNC_ORDER_TAG}, {app_order_tag(order.key)}",
        "send_receipt": False,
    }
    if order.note:
        body["note"] = order.note
    customer: dict[str, Any] = {}
    if order.customer_key.isdigit():
        customer["id"] = int(order.customer_key)
    if order.customer_name:
        customer["first_name"] = order.customer_name
        customer["last_name"] = ""
    if order.customer_phone:
        customer["phone"] = order.customer_phone
        body["phone"] = order.customer_phone
    if customer:
        body["customer"] = customer
    if order.shipping_address:
        body["shipping_address"] = {"address1": order.shipping_address,
                                    "name": order.customer_name, "phone": order.customer_phone}
    if order.branch_key.isdigit():
        body["location_id"] = int(order.branch_key)
    discount, fees = order_adjustments(order)
    if discount:
        body["discount_codes"] = [{"code": ORDER_DISCOUNT_CODE, "type": "fixed_amount",
                                   "amount": number(discount)}]
    if fees:
        body["shipping_lines"] = [{"title": ORDER_FEE_TITLE, "code": ORDER_FEE_TITLE,
                                   "price": number(fees)}]
    return body


# -------------------------------------------------------------------------------------------
# News
# -------------------------------------------------------------------------------------------

def article_from_sapo(article: Mapping[str, Any], blog: Mapping[str, Any]) -> NewsArticle:
    """Blog = news category; hidden = `published_on` null, shown from that date (SAPO-06)."""
    image = article.get("image") or {}
    return NewsArticle(key=str(article["id"]), title=text(article.get("title") or article.get("name")),
                       content=text(article.get("content")), summary=text(article.get("summary")),
                       category_key=str(blog.get("id") or article.get("blog_id") or ""),
                       category_name=text(blog.get("name")), author=text(article.get("author")),
                       image=text(image.get("src")) if isinstance(image, dict) else "",
                       visible=article.get("published_on") is not None,
                       published_at=parse_time(article.get("published_on")),
                       updated_at=parse_time(article.get("modified_on")))

