"""Excel in, Excel out: the App catalog from .xlsx (ShopSync's own columns, or the product
export of KiotViet, Sapo or Nhanh), the import template, and the catalog as a table.

openpyxl does the file format. Workbooks are read in read-only (streaming) mode with cached
values (a formula's last result, never its text), so a 100,000-row sheet is read row by row
(bench/bench_excel_import.py). Rows go on to the same checker as CSV
(app/sync/catalog_files.check_rows): what is refused there is refused here, with Excel's
row numbers and the sheet's name.
"""
from __future__ import annotations

import tomllib
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from app.sync.catalog_files import SheetRows, cell_text, file_error
from app.tables import Column, ColumnKind, MONEY_FORMAT
from contract.records import Entity, OrderStatus

# The import columns, in the order the template and the export write them.
IMPORT_COLUMNS = ("entity", "id", "name", "sku", "barcode", "price", "category", "description",
                  "visible", "phone", "email", "address", "note", "number", "status",
                  "customer_name", "customer_phone", "shipping_address", "created_at",
                  "quantity")
_KINDS = {"price": ColumnKind.MONEY, "quantity": ColumnKind.NUMBER,
          "created_at": ColumnKind.DATE}
CATALOG_COLUMNS = tuple(Column(key, _KINDS.get(key, ColumnKind.TEXT)) for key in IMPORT_COLUMNS)

# How far down a sheet a header row is looked for (exports often start with a title).
_HEADER_SEARCH_ROWS = 10
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # old .xls, and encrypted .xlsx, containers
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")

# Column notes (template comments and its "Hướng dẫn" sheet): (vi, en, example).
COLUMN_NOTES: dict[str, tuple[str, str]] = {
    "entity": ("Bắt buộc: product (sản phẩm), customer (khách hàng) hoặc order (dòng đơn hàng).",
               "Required: product, customer or order."),
    "id": ("Mã App để sửa bản ghi có sẵn (vd P000012). Để trống = tạo mới.",
           "App id of a record to replace (e.g. P000012). Empty = new."),
    "name": ("Tên sản phẩm / khách hàng (bắt buộc); với đơn hàng: tên món trên dòng.",
             "Product / customer name (required); for an order: the line's item name."),
    "sku": ("Mã hàng (SKU). Không trùng trong tệp hay với sản phẩm khác (COM-02). Bắt buộc với "
            "dòng đơn hàng. Ô dạng chữ: 00123 giữ nguyên số 0.",
            "SKU. Unique in the file and in the App (COM-02). Required on order lines. A text "
            "cell: 00123 keeps its zeros."),
    "barcode": ("Mã vạch. Không trùng trong tệp hay với sản phẩm khác.",
                "Barcode. Unique in the file and in the App."),
    "price": ("Giá bán, đồng, ≥ 0: 25000 hoặc 25.000 (không có phần lẻ).",
              "Price in đồng, ≥ 0: 25000 or 25.000 (whole đồng)."),
    "category": ("Tên nhóm hàng cấp 1; chưa có thì App tạo.",
                 "Top-level category name; created if missing."),
    "description": ("Mô tả sản phẩm.", "Product description."),
    "visible": ("true = đang bán (mặc định), false = ẩn.", "true = on sale (default), false = hidden."),
    "phone": ("Số điện thoại khách (cần số điện thoại hoặc email).",
              "Customer phone (a phone or an email is required)."),
    "email": ("Email khách.", "Customer email."),
    "address": ("Địa chỉ khách.", "Customer address."),
    "note": ("Ghi chú.", "Note."),
    "number": ("Mã đơn hàng (bắt buộc với đơn); các dòng cùng mã là một đơn.",
               "Order number (required for orders); rows with the same number are one order."),
    "status": ("Trạng thái đơn: " + ", ".join(s.value for s in OrderStatus) + " (mặc định placed).",
               "Order status: " + ", ".join(s.value for s in OrderStatus) + " (default placed)."),
    "customer_name": ("Tên khách của đơn.", "The order's customer name."),
    "customer_phone": ("Điện thoại khách của đơn.", "The order's customer phone."),
    "shipping_address": ("Địa chỉ giao hàng.", "Shipping address."),
    "created_at": ("Ngày đặt (ô ngày, giờ Việt Nam) — không bắt buộc.",
                   "Order date (a date cell, Vietnam time) — optional."),
    "quantity": ("Số lượng trên dòng đơn, > 0 (bắt buộc với đơn).",
                 "Line quantity, > 0 (required for orders)."),
}


# -------------------------------------------------------------------------------------------
# POS export tables (data: app/sync/pos_exports/*.toml)
# -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PosExport:
    pos: str
    name: str
    export: str
    verified: bool
    signature: tuple[str, ...]
    columns: dict[str, str]          # folded POS header → import column
    known: frozenset[str]            # folded POS headers deliberately not imported


def header_key(value: Any) -> str:
    """One spelling of a header cell: NFC, casefolded, spaces collapsed, a trailing '*'
    (required-column mark) dropped."""
    raw = unicodedata.normalize("NFC", cell_text(value)).casefold().rstrip("*").strip()
    return " ".join(raw.split())


@lru_cache(maxsize=1)
def pos_exports() -> tuple[PosExport, ...]:
    folder = Path(__file__).with_name("pos_exports")
    tables = []
    for name in ("kiotviet", "sapo", "nhanh"):
        data = tomllib.loads((folder / f"{name}.toml").read_text(encoding="utf-8"))
        tables.append(PosExport(
            pos=data["pos"], name=data["name"], export=data["export"],
            verified=bool(data.get("verified")),
            signature=tuple(header_key(h) for h in data["signature"]),
            columns={header_key(k): v for k, v in data["columns"].items()},
            known=frozenset(header_key(h) for h in data.get("known", {}).get("names", []))))
    return tuple(tables)


def recognise(headers: list[Any]) -> PosExport | None:
    present = {header_key(h) for h in headers if cell_text(h)}
    for table in pos_exports():
        if all(name in present for name in table.signature):
            return table
    return None


# -------------------------------------------------------------------------------------------
# Reading
# -------------------------------------------------------------------------------------------

def read_workbook(path: Path) -> SheetRows:
    """The first sheet that has a recognisable header row, as rows for the checker. Refuses
    (ImportRefused, nothing imported) an old .xls, a password-protected or damaged workbook,
    and a workbook where no sheet has a header ShopSync knows."""
    _refuse_unreadable(path)
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:   # noqa: BLE001 - openpyxl raises many types for a bad file
        raise _damaged(path, exc) from None
    try:
        for ws in book.worksheets:
            found = _find_header(ws)
            if found is not None:
                header_row, headers = found
                return _table(book, ws, header_row, headers)
    except Exception as exc:   # noqa: BLE001 - a damaged sheet part inside a valid zip
        book.close()
        raise _damaged(path, exc) from None
    book.close()
    ours = ", ".join(IMPORT_COLUMNS[:8])
    raise file_error(
        "không tìm thấy dòng tiêu đề nào ShopSync hiểu trong các trang của tệp. Dùng mẫu "
        f"(`shopsync catalog template mau.xlsx`, cột {ours}, …) hoặc tệp xuất sản phẩm của "
        "KiotViet, Sapo, Nhanh.",
        "no sheet of this workbook has a header row ShopSync knows. Use the template "
        f"(`shopsync catalog template template.xlsx`, columns {ours}, …) or a product export "
        "of KiotViet, Sapo or Nhanh.")


def _refuse_unreadable(path: Path) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            ole = head == _OLE2
            encrypted = ole and _ENCRYPTED in handle.read(2_000_000)
    except OSError as exc:
        raise file_error(f"không mở được tệp ({exc}).", f"cannot open the file ({exc}).") \
            from None
    if encrypted:
        raise file_error(
            "tệp Excel có mật khẩu. Mở nó trong Excel, bỏ mật khẩu (Tệp › Thông tin › Bảo vệ "
            "sổ làm việc) rồi lưu lại và nhập lại.",
            "the workbook is password-protected. Open it in Excel, remove the password "
            "(File › Info › Protect Workbook), save it and import again.")
    if ole or path.suffix.lower() == ".xls":
        raise file_error(
            "đây là tệp Excel kiểu cũ (.xls). Mở nó trong Excel và chọn Lưu thành › Sổ làm "
            "việc Excel (.xlsx), rồi nhập tệp .xlsx.",
            "this is an old-format Excel file (.xls). Open it in Excel, choose Save As › "
            "Excel Workbook (.xlsx), and import the .xlsx file.")
    if not zipfile.is_zipfile(path):
        raise _damaged(path, None)


def _damaged(path: Path, exc: Exception | None):
    detail = f" ({type(exc).__name__})" if exc is not None else ""
    return file_error(
        f"tệp {path.name} bị hỏng hoặc không phải sổ làm việc Excel (.xlsx){detail}. Mở nó "
        "trong Excel, lưu lại dạng .xlsx rồi nhập lại.",
        f"{path.name} is damaged or not an Excel workbook (.xlsx){detail}. Open it in Excel, "
        "save it again as .xlsx and import again.")


def _find_header(ws) -> tuple[int, list[Any]] | None:
    for number, values in enumerate(ws.iter_rows(min_row=1, max_row=_HEADER_SEARCH_ROWS,
                                                 values_only=True), start=1):
        keys = {header_key(v) for v in values if cell_text(v)}
        if "entity" in keys and "name" in keys or recognise(list(values)) is not None:
            return number, list(values)
    return None


def _table(book, ws, header_row: int, headers: list[Any]) -> SheetRows:
    pos = recognise(headers)
    notes: list[tuple[str, str]] = []
    if pos is None:
        names = [header_key(h) for h in headers]
        unknown = [cell_text(h) for h, k in zip(headers, names)
                   if cell_text(h) and k not in IMPORT_COLUMNS]
    else:
        names = [pos.columns.get(header_key(h), "") for h in headers]
        state = "" if pos.verified else " (UNVERIFIED)"
        notes.append((f"Nhận ra tệp xuất sản phẩm của {pos.name}{state}: mỗi dòng là một sản "
                      "phẩm.", f"Recognised a {pos.name} product export{state}: each row is "
                      "one product."))
        skipped = [cell_text(h) for h in headers
                   if cell_text(h) and header_key(h) in pos.known]
        if skipped:
            notes.append(("Cột không nhập (ShopSync không dùng): " + ", ".join(skipped) + ".",
                          "Columns not imported (ShopSync does not use them): "
                          + ", ".join(skipped) + "."))
        unknown = [cell_text(h) for h in headers if cell_text(h)
                   and header_key(h) not in pos.columns and header_key(h) not in pos.known]
    if unknown:
        notes.append(("Cột lạ, không nhập (ShopSync không đoán nghĩa): " + ", ".join(unknown)
                      + ".", "Unknown columns, not imported (ShopSync does not guess them): "
                      + ", ".join(unknown) + "."))
    return SheetRows(_rows(book, ws, header_row, names, pos), ws.title, notes)


def _rows(book, ws, header_row: int, names: list[str], pos: PosExport | None
          ) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = ws.iter_rows(min_row=header_row + 1, values_only=True)
    number = header_row
    try:
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as exc:   # noqa: BLE001 - a sheet damaged past its header
                raise _damaged_at(ws.title, number + 1, exc) from None
            number += 1
            row = {name: value for name, value in zip(names, values) if name}
            if pos is not None:
                row = _from_pos(row)
            yield number, row
    finally:
        book.close()


def _damaged_at(sheet: str, row: int, exc: Exception):
    return file_error(
        f"trang “{sheet}” bị hỏng từ dòng {row} ({type(exc).__name__}). Mở tệp trong Excel, "
        "lưu lại dạng .xlsx rồi nhập lại.",
        f"sheet “{sheet}” is damaged from row {row} ({type(exc).__name__}). Open the file in "
        "Excel, save it again as .xlsx and import again.")


def _from_pos(row: dict[str, Any]) -> dict[str, Any]:
    """A POS export row in the import columns: every row is a product; KiotViet's
    "Nhóm 1>>Nhóm 2>>Nhóm 3" becomes its most specific group."""
    if not any(v is not None and cell_text(v) for v in row.values()):
        return {}
    row["entity"] = "product"
    path = row.pop("category_path", None)
    if path is not None and cell_text(path):
        row["category"] = cell_text(path).split(">>")[-1].strip()
    return row


# -------------------------------------------------------------------------------------------
# Writing: the template, and the catalog as a table
# -------------------------------------------------------------------------------------------

EXAMPLE_ROWS = (
    {"entity": "product", "name": "Cà phê sữa đá", "sku": "CF-001", "barcode": "08934567000012",
     "price": 25000, "category": "Đồ uống", "description": "Cà phê phin, sữa đặc, đá",
     "visible": "true"},
    {"entity": "customer", "name": "Chị Nguyễn Thị Lan", "phone": "0912345678",
     "email": "lan@example.vn", "address": "12 Lê Lợi, Quận 1, TP. Hồ Chí Minh"},
    {"entity": "order", "number": "DH-0001", "status": "placed", "customer_name": "Chị Lan",
     "customer_phone": "0912345678", "sku": "CF-001", "name": "Cà phê sữa đá", "quantity": 2,
     "price": 25000},
)


def write_template(path: Path | str) -> Path:
    """An import workbook: header row (with a note on each column), example rows in
    Vietnamese, data validation (lists for entity, status and visible; numbers ≥ 0), code
    columns formatted as text so 00123 keeps its zeros, and a "Hướng dẫn" sheet."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    book = Workbook()
    ws = book.active
    ws.title = "Nhập dữ liệu"
    letters = {key: get_column_letter(i) for i, key in enumerate(IMPORT_COLUMNS, start=1)}
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for key in IMPORT_COLUMNS:
        cell = ws[f"{letters[key]}1"]
        cell.value = key
        cell.font, cell.fill = bold, fill
        vi, en = COLUMN_NOTES[key]
        cell.comment = Comment(f"{vi}\n\n{en}", "ShopSync", width=320, height=140)
    last_row = 2000
    for key in ("sku", "barcode", "phone", "customer_phone", "id", "number"):
        for row in range(2, last_row + 1):
            ws[f"{letters[key]}{row}"].number_format = "@"
    for row in range(2, last_row + 1):
        ws[f"{letters['price']}{row}"].number_format = MONEY_FORMAT
        ws[f"{letters['created_at']}{row}"].number_format = "dd/mm/yyyy hh:mm"
    rules = [
        (f'"{",".join(e.value for e in (Entity.PRODUCT, Entity.CUSTOMER, Entity.ORDER))}"',
         "entity", "list"),
        (f'"{",".join(s.value for s in OrderStatus)}"', "status", "list"),
        ('"true,false"', "visible", "list"),
    ]
    for formula, key, kind in rules:
        check = DataValidation(type=kind, formula1=formula, allow_blank=True,
                               showErrorMessage=True, errorTitle="ShopSync",
                               error="Chọn một giá trị trong danh sách. / Pick a value "
                                     "from the list.")
        check.add(f"{letters[key]}2:{letters[key]}{last_row}")
        ws.add_data_validation(check)
    for key, operator, floor, message in (
            ("price", "greaterThanOrEqual", "0", "Giá phải là số ≥ 0. / A price is a number "
                                                 "≥ 0."),
            ("quantity", "greaterThan", "0", "Số lượng phải > 0. / A quantity is > 0.")):
        check = DataValidation(type="decimal", operator=operator, formula1=floor,
                               allow_blank=True, showErrorMessage=True, errorTitle="ShopSync",
                               error=message)
        check.add(f"{letters[key]}2:{letters[key]}{last_row}")
        ws.add_data_validation(check)
    ws.freeze_panes = "A2"
    _print_wide(ws)
    ws.print_title_rows = "1:1"
    for key in IMPORT_COLUMNS:
        longest = max([len(key) + 3] + [len(cell_text(r.get(key))) for r in EXAMPLE_ROWS])
        ws.column_dimensions[letters[key]].width = min(max(longest + 2, 10), 40)
    guide = book.create_sheet("Hướng dẫn")
    guide.append(["Cột / Column", "Ý nghĩa", "Meaning"])
    for cell in guide[1]:
        cell.font, cell.fill = bold, fill
    for key in IMPORT_COLUMNS:
        vi, en = COLUMN_NOTES[key]
        guide.append([key, vi, en])
    guide.append([])
    guide.append(["", "Cả tệp được kiểm tra trước; có một lỗi là không nhập gì cả.",
                  "The whole file is checked first; one error and nothing is imported."])
    # Finding 14: the example rows live here, not on the sheet that is imported: an owner who
    # imports the template unchanged must not get "Chị Nguyễn Thị Lan" and order DH-0001 as
    # real data. Their header cells are marked "(ví dụ)", so no reader takes this table for
    # the import header even if the first sheet's header row is deleted.
    guide.append([])
    guide.append(["Ví dụ / Examples",
                  "Chép các dòng bên dưới sang trang “Nhập dữ liệu” nếu muốn dùng, rồi sửa.",
                  "Copy the rows below to the “Nhập dữ liệu” sheet to use them, then edit."])
    guide[guide.max_row][0].font = bold
    guide.append([f"{key} (ví dụ)" for key in IMPORT_COLUMNS])
    for cell in guide[guide.max_row]:
        cell.font, cell.fill = bold, fill
    for example in EXAMPLE_ROWS:
        guide.append([example.get(key) for key in IMPORT_COLUMNS])
        for cell in guide[guide.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["B"].width = 70
    guide.column_dimensions["C"].width = 70
    for row in guide.iter_rows(min_row=2):
        lines = 1
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            lines = max(lines, -(-len(cell_text(cell.value)) // 64))
        # Spreadsheets do not grow a row for wrapped text written by a program: say how tall.
        guide.row_dimensions[row[0].row].height = 15 * lines
    _print_wide(guide)
    book.save(path)
    return path


def _print_wide(ws) -> None:
    """Printed (or saved as PDF) on landscape pages one sheet wide, with grid lines: the
    owner who prints the template sees every column."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = True


def catalog_table_rows(catalog: Any) -> Iterator[dict[str, Any]]:
    """The App catalog in the import columns (one row per product variant, customer and order
    line), so an exported file can be edited and imported again."""
    names = {c.key: c.name for c in catalog.iter_records(Entity.CATEGORY)}
    for product in catalog.iter_records(Entity.PRODUCT):
        category = next((names[k] for k in product.category_keys if k in names), "")
        for variant in product.variants or ():
            yield {"entity": "product", "id": product.key, "name": product.name,
                   "sku": variant.sku, "barcode": variant.barcode, "price": variant.price,
                   "category": category, "description": product.description,
                   "visible": "true" if product.visible else "false"}
    for customer in catalog.iter_records(Entity.CUSTOMER):
        yield {"entity": "customer", "id": customer.key, "name": customer.name,
               "phone": customer.phone, "email": customer.email, "address": customer.address,
               "note": customer.note}
    for order in catalog.iter_records(Entity.ORDER):
        for line in order.lines:
            yield {"entity": "order", "id": order.key, "number": order.number,
                   "status": order.status.value, "customer_name": order.customer_name,
                   "customer_phone": order.customer_phone,
                   "shipping_address": order.shipping_address, "note": order.note,
                   "created_at": order.created_at, "sku": line.sku, "name": line.name,
                   "quantity": line.quantity, "price": line.price}
