"""App catalog from and to files: `shopsync catalog import FILE` / `catalog export DIR`.

Import is all or nothing: every row is checked first, and the errors name the row and the
field in both languages; only a clean file is written, in one transaction. Columns are
documented in docs/catalog-import.md and in the command's help (IMPORT_HELP).
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from contract.records import (Category, Customer, Entity, InvalidValue, Order, OrderLine, OrderStatus,
                        Product, Record, Variant, from_plain, money, quantity, text, to_plain)

IMPORT_HELP = """\
CSV: one header row; column `entity` = product | customer | order on every row.
  product : name*, sku, barcode, price, category (top-level name; created if missing),
            description, visible (true/false), id (App id to replace; empty = new)
  customer: name*, phone or email*, address, note, id
  order   : number*, status (placed|approved|packed|shipped_out|completed|cancelled|
            archived|reconciled; default placed), customer_name, customer_phone,
            shipping_address, note, sku*, name, quantity*, price*  — one row per line;
            rows with the same number form one order.
JSON: {"products": [...], "customers": [...], "orders": [...]} with the fields of the
canonical records (contract/records.py); "key" empty or missing = new App id.
(* = required.) Nothing is written unless every row is valid."""

_ENTITY_OF_JSON = {"products": Entity.PRODUCT, "customers": Entity.CUSTOMER,
                   "orders": Entity.ORDER, "categories": Entity.CATEGORY}


@dataclass(frozen=True)
class RowError:
    row: int          # 1-based data row (CSV: header is row 1, first data row is 2)
    field: str
    message_vi: str
    message_en: str

    def line(self, lang: str) -> str:
        label = "Dòng" if lang == "vi" else "Row"
        return f"{label} {self.row}, {self.field}: " + (self.message_vi if lang == "vi"
                                                        else self.message_en)


class ImportRefused(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def _required(errors, row, name, value):
    if not text(value):
        errors.append(RowError(row, name, "bắt buộc, đang để trống.",
                               "required, but empty."))
    return text(value)


def _number(errors, row, name, value, parse=money, default="0"):
    try:
        return parse(value if text(value) else default)
    except InvalidValue:
        errors.append(RowError(row, name, f"“{value}” không phải là số.",
                               f"“{value}” is not a number."))
        return Decimal(0)


def _bool(errors, row, name, value):
    raw = text(value).lower()
    if raw in ("", "true", "1", "yes", "có"):
        return True
    if raw in ("false", "0", "no", "không"):
        return False
    errors.append(RowError(row, name, "phải là true hoặc false.", "must be true or false."))
    return True


def read_file(path: Path) -> tuple[list[tuple[Entity, Record, str]], list[RowError]]:
    """(entity, record, category name to resolve) triples and the errors found."""
    if path.suffix.lower() == ".json":
        return _read_json(path)
    return _read_csv(path)


def _read_json(path: Path):
    errors: list[RowError] = []
    items = []
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        return [], [RowError(0, "file", f"không đọc được JSON ({exc}).",
                             f"cannot read JSON ({exc}).")]
    if not isinstance(data, dict):
        return [], [RowError(0, "file", "cần một đối tượng JSON có products/customers/orders.",
                             "expected a JSON object with products/customers/orders.")]
    row = 0
    for section, values in data.items():
        entity = _ENTITY_OF_JSON.get(section)
        if entity is None:
            errors.append(RowError(0, section, "mục không được hỗ trợ.", "unsupported section."))
            continue
        for value in values:
            row += 1
            try:
                record = from_plain(entity, {"key": "", **value})
            except InvalidValue as exc:
                errors.append(RowError(row, section, f"dữ liệu không hợp lệ: {exc}",
                                       f"invalid data: {exc}"))
                continue
            items.append((entity, record, ""))
    return items, errors


def _read_csv(path: Path):
    errors: list[RowError] = []
    items: list[tuple[Entity, Record, str]] = []
    orders: dict[str, tuple[Order, int]] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], [RowError(0, "file", f"không đọc được CSV ({exc}).",
                             f"cannot read CSV ({exc}).")]
    for index, raw in enumerate(rows, start=2):
        row = {k.strip().lower(): (v or "") for k, v in raw.items() if k}
        kind = text(row.get("entity")).lower()
        if kind == "product":
            name = _required(errors, index, "name", row.get("name"))
            variant = Variant(key="v1", sku=text(row.get("sku")), barcode=text(row.get("barcode")),
                              price=_number(errors, index, "price", row.get("price")))
            items.append((Entity.PRODUCT, Product(
                key=text(row.get("id")), name=name, description=text(row.get("description")),
                visible=_bool(errors, index, "visible", row.get("visible")),
                variants=(variant,)), text(row.get("category"))))
        elif kind == "customer":
            name = _required(errors, index, "name", row.get("name"))
            if not text(row.get("phone")) and not text(row.get("email")):
                errors.append(RowError(index, "phone/email", "cần số điện thoại hoặc email.",
                                       "a phone or an email is required."))
            items.append((Entity.CUSTOMER, Customer(
                key=text(row.get("id")), name=name, phone=text(row.get("phone")),
                email=text(row.get("email")), address=text(row.get("address")),
                note=text(row.get("note"))), ""))
        elif kind == "order":
            number = _required(errors, index, "number", row.get("number"))
            status_text = text(row.get("status")) or "placed"
            try:
                status = OrderStatus(status_text)
            except ValueError:
                errors.append(RowError(index, "status", f"trạng thái “{status_text}” không có.",
                                       f"unknown status “{status_text}”."))
                status = OrderStatus.PLACED
            line = OrderLine(sku=_required(errors, index, "sku", row.get("sku")),
                             name=text(row.get("name")),
                             quantity=_number(errors, index, "quantity", row.get("quantity"),
                                              quantity, ""),
                             price=_number(errors, index, "price", row.get("price"), money, ""))
            if number in orders:
                order, first = orders[number]
                orders[number] = (replace(order, lines=order.lines + (line,)), first)
            else:
                orders[number] = (Order(
                    key=text(row.get("id")), number=number, status=status, lines=(line,),
                    customer_name=text(row.get("customer_name")),
                    customer_phone=text(row.get("customer_phone")),
                    shipping_address=text(row.get("shipping_address")),
                    note=text(row.get("note"))), index)
        else:
            errors.append(RowError(index, "entity", f"“{kind}” không phải product, customer "
                                   "hoặc order.", f"“{kind}” is not product, customer or order."))
    for order, _ in orders.values():
        total = sum((line.quantity * line.price for line in order.lines), Decimal(0))
        items.append((Entity.ORDER, replace(order, total=money(total)), ""))
    return items, errors


def import_file(catalog: Any, path: Path | str) -> dict[str, int]:
    """Validate the whole file, then write it in one transaction; returns counts per entity.
    Raises ImportRefused with every error when anything is wrong (nothing is written)."""
    items, errors = read_file(Path(path))
    if errors:
        raise ImportRefused(errors)
    counts: dict[str, int] = {}
    with catalog.db.atomic():
        categories: dict[str, str] = {}
        for entity, record, category in items:
            if category:
                if category not in categories:
                    found = catalog.find(Entity.CATEGORY, "name", f"|{category}")
                    categories[category] = found[0] if found else catalog.put(
                        Entity.CATEGORY, Category(key="", name=category)).key
                record = replace(record, category_keys=(categories[category],))
            catalog.put(entity, record, origin="app")
            counts[entity.value] = counts.get(entity.value, 0) + 1
    return counts


def export_catalog(catalog: Any, folder: Path | str) -> list[Path]:
    """One JSON file per entity: a list of canonical records (import takes such lists under
    "products"/"customers"/"orders")."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for entity in Entity:
        records = [to_plain(record) for record in catalog.iter_records(entity)]
        target = folder / f"{entity.value}.json"
        target.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(target)
    return written
