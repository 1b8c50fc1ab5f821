"""App catalog from and to files: `shopsync catalog import FILE` / `catalog export DIR`.

Import is all or nothing: every row is checked first, and the errors name the row and the
field in both languages; only a clean file is written, in one transaction. Columns are
documented in docs/catalog-import.md and in the command's help (IMPORT_HELP).

CSV, Excel (.xlsx, app/sync/catalog_excel.py) and the POS's own product exports all become
the same rows here — (row number, {column: cell value}) — and go through one checker, so a
price or a duplicate SKU is judged the same way whatever the file.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple

from app.store.catalog import match_value
from app.sync.written_amounts import AmountKind, AmountRefused, read_amount
from contract.records import (VIETNAM, Category, Customer, Entity, InvalidValue, Order,
                              OrderLine, OrderStatus, Product, Record, Variant, evolve,
                              from_plain, money, text, to_plain)

IMPORT_HELP = """\
Excel (.xlsx) or CSV: one header row; column `entity` = product | customer | order on every row
(`shopsync catalog template FILE.xlsx` writes an Excel template with notes).
  product : name*, sku, barcode, price, category (top-level name; created if missing),
            description, visible (true/false), id (App id to replace; empty = new)
  customer: name*, phone or email*, address, note, id
  order   : number*, status (placed|approved|packed|shipped_out|completed|cancelled|
            archived|reconciled; default placed), customer_name, customer_phone,
            shipping_address, note, created_at, sku*, name, quantity*, price*  — one row per
            line; rows with the same number form one order.
Prices as Vietnamese shops write them: 25000, 25.000, 25,000, 1.250.000, 42.000 ₫ (whole đồng);
"25,5" or "1.5" are refused as ambiguous. A SKU or barcode used twice is refused (COM-02).
Product exports of KiotViet, Sapo and Nhanh (.xlsx) are recognised by their header row.
JSON: {"products": [...], "customers": [...], "orders": [...]} with the fields of the
canonical records (contract/records.py); "key" empty or missing = new App id.
(* = required.) Nothing is written unless every row is valid."""

_ENTITY_OF_JSON = {"products": Entity.PRODUCT, "customers": Entity.CUSTOMER,
                   "orders": Entity.ORDER, "categories": Entity.CATEGORY}

# Fields of the canonical records that hold money or quantities (JSON import reads them with
# the same reader as a CSV cell, so "25.000" is 25,000 đ there too).
_MONEY_FIELDS = frozenset({"price", "compare_at_price", "total"})
_QUANTITY_FIELDS = frozenset({"quantity"})
# More cells on a CSV row than in its header: almost always "25,5" or "25,000" unquoted.
_EXTRA = "\0extra"
# Deeper than any canonical record (order → lines → line → field): a value nested past this
# is not a record, and parsing it would only burn the stack.
_JSON_DEPTH = 12


@dataclass(frozen=True)
class RowError:
    row: int          # as a spreadsheet shows it: header is row 1, first data row is 2; 0 = file
    field: str
    message_vi: str
    message_en: str
    sheet: str = ""   # Excel: the sheet the row is on

    def line(self, lang: str) -> str:
        message = self.message_vi if lang == "vi" else self.message_en
        where = []
        if self.sheet:
            where.append(f"Trang “{self.sheet}”" if lang == "vi" else f"Sheet “{self.sheet}”")
        if self.row:
            where.append(f"{'Dòng' if lang == 'vi' else 'Row'} {self.row}")
        if self.field:
            where.append(self.field)
        if not where:
            return message
        return ", ".join(where) + ": " + message


class ImportRefused(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


@dataclass
class ImportReport:
    """What an import wrote, and what the user should know about the file (columns that were
    not imported, the POS export that was recognised)."""

    counts: dict[str, int] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)   # (vi, en)


@dataclass
class SheetRows:
    """Rows of one table, whatever the file: (row number, {column: cell value})."""

    rows: Iterable[tuple[int, dict[str, Any]]]
    sheet: str = ""
    notes: list[tuple[str, str]] = field(default_factory=list)


class _Item(NamedTuple):
    entity: Entity
    record: Record
    category: str       # category name to resolve (products)
    row: int


# Records of a row are built from these with `evolve` (no frozen __init__ per field): a
# 100,000-row sheet builds 200,000 of them (bench/bench_excel_import.py).
_VARIANT = Variant(key="v1")
_PRODUCT = Product(key="", name="")


def file_error(message_vi: str, message_en: str) -> ImportRefused:
    return ImportRefused([RowError(0, "", message_vi, message_en)])


# -------------------------------------------------------------------------------------------
# Cells
# -------------------------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """A text column's value as the shop sees it: an Excel number cell holding a code
    (123 or 8934567890123.0) is its digits, a date is its ISO date; "00123" stays as typed."""
    kind = value.__class__
    if kind is str:                    # the common case first: a 100k-row sheet has 800k cells
        return text(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return text(value)


def _filled(value: Any) -> bool:
    return value is not None and (not isinstance(value, str) or bool(value.strip()))


class _Checker:
    """Collects the errors of one table; each check returns a usable value either way, so
    every error of the file is found in one pass."""

    def __init__(self, sheet: str = "") -> None:
        self.sheet = sheet
        self.errors: list[RowError] = []

    def add(self, row: int, column: str, vi: str, en: str) -> None:
        self.errors.append(RowError(row, column, vi, en, self.sheet))

    def required(self, row: int, column: str, value: Any) -> str:
        found = cell_text(value)
        if not found:
            self.add(row, column, "bắt buộc, đang để trống.", "required, but empty.")
        return found

    def amount(self, row: int, column: str, value: Any, kind: AmountKind,
               default: Decimal | None = None) -> Decimal:
        if not _filled(value):
            if default is not None:
                return default
            self.add(row, column, "bắt buộc, đang để trống.", "required, but empty.")
            return Decimal(0)
        try:
            return read_amount(value, kind)
        except AmountRefused as refused:
            self.add(row, column, refused.message_vi, refused.message_en)
            return Decimal(0)

    def flag(self, row: int, column: str, value: Any) -> bool:
        raw = cell_text(value).lower()
        if raw in ("", "true", "1", "yes", "có", "co"):
            return True
        if raw in ("false", "0", "no", "không", "khong"):
            return False
        self.add(row, column, "phải là true hoặc false (có/không).",
                 "must be true or false (có/không).")
        return True

    def moment(self, row: int, column: str, value: Any) -> datetime | None:
        """An order's date: an Excel date cell is Vietnam wall-clock time; text may be ISO
        (with or without a zone) or dd/mm/yyyy as Vietnamese shops write dates."""
        if not _filled(value):
            return None
        if isinstance(value, datetime):
            found = value
        elif isinstance(value, date):
            found = datetime.combine(value, time(0))
        else:
            raw = cell_text(value)
            found = None
            for parse in (datetime.fromisoformat,
                          lambda s: datetime.strptime(s, "%d/%m/%Y %H:%M"),
                          lambda s: datetime.strptime(s, "%d/%m/%Y")):
                try:
                    found = parse(raw)
                    break
                except ValueError:
                    continue
            if found is None:
                self.add(row, column, f"“{raw}” không phải ngày (viết 31/12/2025 hoặc "
                         "2025-12-31).", f"“{raw}” is not a date (write 31/12/2025 or "
                         "2025-12-31).")
                return None
        if found.tzinfo is None:
            found = found.replace(tzinfo=VIETNAM)
        return found.astimezone(timezone.utc)


# -------------------------------------------------------------------------------------------
# Reading
# -------------------------------------------------------------------------------------------

@dataclass
class FileScan:
    """A file being read: `items` yields the checked records one by one (a 100,000-row sheet
    is never held whole); `errors` fills while they are read and is complete once `items` is
    exhausted."""

    items: Iterator[_Item]
    errors: list[RowError]
    notes: list[tuple[str, str]] = field(default_factory=list)
    sheet: str = ""


def scan_file(path: Path) -> FileScan:
    """Open and check a file row by row (nothing written). File-level problems (missing,
    unreadable, not a workbook) raise ImportRefused at once."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise file_error(f"Không thấy tệp {path}.", f"File not found: {path}.")
    if suffix == ".json":
        items, errors = _read_json(path)
        return FileScan(iter(items), errors)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        from app.sync.catalog_excel import read_workbook
        table = read_workbook(path)
    else:
        table = SheetRows(_csv_rows(path))
    check = _Checker(table.sheet)
    return FileScan(iter_items(table.rows, check), check.errors, table.notes, table.sheet)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise file_error(f"không đọc được CSV ({exc}). Lưu tệp dạng CSV UTF-8 rồi thử lại.",
                         f"cannot read CSV ({exc}). Save it as CSV UTF-8 and try "
                         "again.") from None
    for index, raw in enumerate(rows, start=2):
        row: dict[str, Any] = {k.strip().lower(): (v or "") for k, v in raw.items() if k}
        if raw.get(None):
            row[_EXTRA] = raw[None]
        yield index, row


def check_rows(rows: Iterable[tuple[int, dict[str, Any]]], sheet: str = ""
               ) -> tuple[list[_Item], list[RowError]]:
    """Every row checked at once: (items, errors)."""
    check = _Checker(sheet)
    items = list(iter_items(rows, check))
    return items, check.errors


def iter_items(rows: Iterable[tuple[int, dict[str, Any]]], check: _Checker) -> Iterator[_Item]:
    """The records of the rows, each checked as it is read (errors go to `check`). Rows
    without any value are skipped (Excel keeps formatted empty rows at the end of a sheet).
    Order lines are grouped by number, so orders come last."""
    orders: dict[str, tuple[Order, int]] = {}
    seen = 0
    for index, row in rows:
        for value in row.values():
            if value is not None and (value.__class__ is not str or value.strip()):
                break
        else:
            continue
        seen += 1
        if row.get(_EXTRA):
            check.add(index, "", "dòng có nhiều ô hơn dòng tiêu đề: giá trị có dấu phẩy "
                      "(như 25,000) phải đặt trong ngoặc kép \"25,000\", hoặc viết 25.000.",
                      "the row has more cells than the header: a value with a comma (like "
                      "25,000) must be in double quotes \"25,000\", or write 25.000.")
            continue
        kind = cell_text(row.get("entity")).lower()
        if kind == "product":
            yield _product(check, index, row)
        elif kind == "customer":
            yield _customer(check, index, row)
        elif kind == "order":
            _order_line(check, index, row, orders)
        else:
            check.add(index, "entity", f"“{kind}” không phải product, customer hoặc order.",
                      f"“{kind}” is not product, customer or order.")
    for order, first in orders.values():
        total = sum((line.quantity * line.price for line in order.lines), Decimal(0))
        yield _Item(Entity.ORDER, replace(order, total=money(total)), "", first)
    if not seen and not check.errors:
        check.add(0, "", "tệp không có dòng dữ liệu nào (chỉ có dòng tiêu đề hoặc trống). "
                  "Thêm sản phẩm, khách hàng hoặc đơn hàng rồi nhập lại.",
                  "the file has no data rows (only a header, or nothing). Add products, "
                  "customers or orders and import again.")


def _product(check: _Checker, index: int, row: dict[str, Any]) -> _Item:
    get = row.get
    name = check.required(index, "name", get("name"))
    variant = evolve(_VARIANT, sku=cell_text(get("sku")), barcode=cell_text(get("barcode")),
                     price=check.amount(index, "price", get("price"), AmountKind.MONEY,
                                        Decimal(0)))
    product = evolve(_PRODUCT, key=cell_text(get("id")), name=name,
                     description=cell_text(get("description")),
                     visible=check.flag(index, "visible", get("visible")), variants=(variant,))
    return _Item(Entity.PRODUCT, product, cell_text(get("category")), index)


def _customer(check: _Checker, index: int, row: dict[str, Any]) -> _Item:
    name = check.required(index, "name", row.get("name"))
    if not cell_text(row.get("phone")) and not cell_text(row.get("email")):
        check.add(index, "phone/email", "cần số điện thoại hoặc email.",
                  "a phone or an email is required.")
    return _Item(Entity.CUSTOMER, Customer(
        key=cell_text(row.get("id")), name=name, phone=cell_text(row.get("phone")),
        email=cell_text(row.get("email")), address=cell_text(row.get("address")),
        note=cell_text(row.get("note"))), "", index)


def _order_line(check: _Checker, index: int, row: dict[str, Any],
                orders: dict[str, tuple[Order, int]]) -> None:
    number = check.required(index, "number", row.get("number"))
    status_text = cell_text(row.get("status")) or "placed"
    try:
        status = OrderStatus(status_text)
    except ValueError:
        check.add(index, "status", f"trạng thái “{status_text}” không có; dùng một trong: "
                  + ", ".join(s.value for s in OrderStatus) + ".",
                  f"unknown status “{status_text}”; use one of: "
                  + ", ".join(s.value for s in OrderStatus) + ".")
        status = OrderStatus.PLACED
    line = OrderLine(sku=check.required(index, "sku", row.get("sku")),
                     name=cell_text(row.get("name")),
                     quantity=check.amount(index, "quantity", row.get("quantity"),
                                           AmountKind.QUANTITY),
                     price=check.amount(index, "price", row.get("price"), AmountKind.MONEY))
    created = check.moment(index, "created_at", row.get("created_at"))
    if number in orders:
        order, first = orders[number]
        orders[number] = (replace(order, lines=order.lines + (line,)), first)
    else:
        orders[number] = (Order(
            key=cell_text(row.get("id")), number=number, status=status, lines=(line,),
            customer_name=cell_text(row.get("customer_name")),
            customer_phone=cell_text(row.get("customer_phone")),
            shipping_address=cell_text(row.get("shipping_address")),
            note=cell_text(row.get("note")), created_at=created), index)


# -------------------------------------------------------------------------------------------
# JSON
# -------------------------------------------------------------------------------------------

def _read_json(path: Path) -> tuple[list[_Item], list[RowError]]:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [RowError(0, "", f"không đọc được JSON ({exc}).",
                             f"cannot read JSON ({exc}).")]
    try:
        data = json.loads(raw)
    except RecursionError:
        section, item = _deepest_place(raw)
        return [], [RowError(item, section, "dữ liệu lồng quá sâu, không phải một bản ghi.",
                             "nested too deeply to be a record.")]
    except ValueError as exc:
        return [], [RowError(0, "", f"không đọc được JSON ({exc}).",
                             f"cannot read JSON ({exc}).")]
    if not isinstance(data, dict):
        return [], [RowError(0, "", "cần một đối tượng JSON có products/customers/orders.",
                             "expected a JSON object with products/customers/orders.")]
    errors: list[RowError] = []
    items: list[_Item] = []
    seen = 0
    for section, values in data.items():
        entity = _ENTITY_OF_JSON.get(section)
        if entity is None:
            errors.append(RowError(0, section, "mục không được hỗ trợ (dùng products, "
                                   "customers, orders, categories).",
                                   "unsupported section (use products, customers, orders, "
                                   "categories)."))
            continue
        if not isinstance(values, list):
            errors.append(RowError(0, section, "phải là một danh sách.", "must be a list."))
            continue
        for number, value in enumerate(values, start=1):
            seen += 1
            where = f"{section}"
            if not isinstance(value, dict):
                errors.append(RowError(number, where, "phải là một đối tượng.",
                                       "must be an object."))
                continue
            problem = _json_problem(value)
            if problem is not None:
                path_text, vi, en = problem
                errors.append(RowError(number, f"{section}.{path_text}", vi, en))
                continue
            try:
                record = from_plain(entity, {"key": "", **value})
            except InvalidValue as exc:
                errors.append(RowError(number, where, f"dữ liệu không hợp lệ: {exc}",
                                       f"invalid data: {exc}"))
                continue
            items.append(_Item(entity, record, "", number))
    if not seen and not errors:
        errors.append(RowError(0, "", "tệp không có bản ghi nào.", "the file has no records."))
    return items, errors


def _json_problem(value: Any, path: str = "", depth: int = 0):
    """(path, vi, en) of the first value that no record field can hold, after reading money
    and quantities in place (with the same reader as a CSV cell); None when all is well."""
    if depth > _JSON_DEPTH:
        return path, "dữ liệu lồng quá sâu.", "nested too deeply."
    if isinstance(value, dict):
        for key, inner in list(value.items()):
            here = f"{path}.{key}" if path else str(key)
            if key in _MONEY_FIELDS or key in _QUANTITY_FIELDS:
                if inner is None or inner == "":
                    continue
                kind = AmountKind.MONEY if key in _MONEY_FIELDS else AmountKind.QUANTITY
                try:
                    value[key] = format(read_amount(inner, kind), "f")
                except AmountRefused as refused:
                    return here, refused.message_vi, refused.message_en
                continue
            if key == "available" and inner not in (None, ""):   # stock may be 0 or negative
                continue
            found = _json_problem(inner, here, depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            found = _json_problem(inner, f"{path}[{position}]", depth + 1)
            if found is not None:
                return found
    return None


def _deepest_place(raw: str, limit: int = 200) -> tuple[str, int]:
    """(section, item number) where the JSON text nests past `limit`, read without parsing
    (parsing is what ran out of stack)."""
    depth, in_string, escaped = 0, False, False
    section, item, key, reading_key = "", 0, [], False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                if reading_key and depth == 1:
                    section = "".join(key)
            elif reading_key and depth == 1:
                key.append(ch)
            continue
        if ch == '"':
            in_string, reading_key = True, depth == 1
            key = []
        elif ch in "[{":
            depth += 1
            if depth == 3:
                item += 1
            if depth > limit:
                break
        elif ch in "]}":
            depth -= 1
            if depth == 1:
                item = 0 if ch == "]" else item
        elif ch == ":" and depth == 1:
            reading_key = False
    return section, item


# -------------------------------------------------------------------------------------------
# Duplicates (COM-02)
# -------------------------------------------------------------------------------------------

class CodeBook:
    """A SKU or barcode may belong to one product only: twice in the file, or already on
    another App product, and the next push would create two POS products with it (COM-02).
    Checked a batch at a time, so a big file is never held whole."""

    def __init__(self, catalog: Any, sheet: str = "") -> None:
        self.catalog, self.sheet = catalog, sheet
        self.errors: list[RowError] = []
        self.first_row: dict[tuple[str, str], int] = {}
        self.written: set[str] = set()       # App ids this import wrote (not "another")

    def check(self, items: list[_Item]) -> None:
        wanted: list[tuple[tuple[str, str], _Item, str]] = []
        for item in items:
            if item.entity is not Entity.PRODUCT:
                continue
            for variant in item.record.variants:
                for kind, shown in (("sku", variant.sku), ("barcode", variant.barcode)):
                    value = match_value(kind, shown)
                    if not value:
                        continue
                    pair = (kind, value)
                    other = self.first_row.get(pair)
                    if other is not None:
                        self.errors.append(RowError(
                            item.row, kind,
                            f"“{shown}” đã có ở dòng {other} của tệp; mỗi mã chỉ dùng cho một "
                            "sản phẩm (COM-02). Sửa một trong hai dòng.",
                            f"“{shown}” is already on row {other} of the file; each code "
                            "belongs to one product only (COM-02). Change one of the two rows.",
                            self.sheet))
                        continue
                    self.first_row[pair] = item.row
                    wanted.append((pair, item, shown))
        if not wanted:
            return
        found = self.catalog.find_many(Entity.PRODUCT, [pair for pair, _, _ in wanted])
        for pair, item, shown in wanted:
            owners = [app_id for app_id in found.get(pair, [])
                      if app_id != item.record.key and app_id not in self.written]
            if owners:
                other = self.catalog.get(Entity.PRODUCT, owners[0])
                name = other.name if other is not None else ""
                self.errors.append(RowError(
                    item.row, pair[0],
                    f"“{shown}” đã thuộc sản phẩm {owners[0]} ({name}) trong App (COM-02). "
                    f"Đổi mã, hoặc ghi {owners[0]} vào cột id để sửa sản phẩm đó.",
                    f"“{shown}” already belongs to App product {owners[0]} ({name}) "
                    f"(COM-02). Change the code, or put {owners[0]} in the id column to edit "
                    "that product.", self.sheet))


def check_codes(catalog: Any, items: list[_Item], sheet: str = "") -> list[RowError]:
    book = CodeBook(catalog, sheet)
    book.check(items)
    return book.errors


# -------------------------------------------------------------------------------------------
# Import / export
# -------------------------------------------------------------------------------------------

_BATCH = 2000


def import_file(catalog: Any, path: Path | str) -> ImportReport:
    """Check the whole file and write it in one transaction, a batch at a time while it is
    read; on the first error writing stops, checking goes on to the end, and the transaction
    is rolled back. Raises ImportRefused with every error (nothing is written)."""
    scan = scan_file(Path(path))
    codes = CodeBook(catalog, scan.sheet)
    report = ImportReport(notes=list(scan.notes))
    categories: dict[str, str] = {}

    def flush(batch: list[_Item]) -> None:
        codes.check(batch)
        if scan.errors or codes.errors:
            return                      # refused: the rest is only checked, never written
        by_entity: dict[Entity, list[Record]] = {}
        for item in batch:
            record = item.record
            if item.category:
                if item.category not in categories:
                    found = catalog.find(Entity.CATEGORY, "name", f"|{item.category}")
                    categories[item.category] = found[0] if found else catalog.put(
                        Entity.CATEGORY, Category(key="", name=item.category)).key
                record = evolve(record, category_keys=(categories[item.category],))
            by_entity.setdefault(item.entity, []).append(record)
        for entity, records in by_entity.items():
            stored = catalog.put_many(entity, records, origin="app")
            if entity is Entity.PRODUCT:
                codes.written.update(r.key for r in stored)
            report.counts[entity.value] = report.counts.get(entity.value, 0) + len(stored)

    with catalog.db.atomic() as transaction:
        batch: list[_Item] = []
        for item in scan.items:
            batch.append(item)
            if len(batch) >= _BATCH:
                flush(batch)
                batch = []
        flush(batch)
        errors = sorted(scan.errors + codes.errors, key=lambda e: e.row)
        if errors:
            transaction.rollback()
    if errors:
        raise ImportRefused(errors)
    return report


def export_catalog(catalog: Any, folder: Path | str, fmt: str = "json") -> list[Path]:
    """json: one file per entity, a list of canonical records (import takes such lists under
    "products"/"customers"/"orders"). csv / xlsx: one table in the import columns, so the
    file can be edited and imported again."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt in ("csv", "xlsx"):
        from app.sync.catalog_excel import CATALOG_COLUMNS, catalog_table_rows
        from app.tables import write_table
        target = folder / f"catalog.{fmt}"
        write_table(target, CATALOG_COLUMNS, catalog_table_rows(catalog), sheet="catalog")
        return [target]
    written = []
    for entity in Entity:
        records = [to_plain(record) for record in catalog.iter_records(entity)]
        target = folder / f"{entity.value}.json"
        target.write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
        written.append(target)
    return written
