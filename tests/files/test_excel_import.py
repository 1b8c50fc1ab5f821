"""Excel in (issue 22): .xlsx import with the CSV columns and checks, Excel's row numbers and
the sheet's name, values not formulas, text codes kept, the POS exports recognised by their
header row, and bad workbooks refused with nothing imported. Workbooks are built in code."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from contract.records import Entity

EXIT_USAGE = 2


def book(rows, title="Sản phẩm", path=None, before=()):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in before:
        ws.append(row)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_b03_xlsx_import_reads_numbers_text_codes_and_dates_as_excel_stores_them(shop, tmp_path):
    path = tmp_path / "catalog.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["entity", "name", "sku", "barcode", "price", "number", "quantity", "created_at"])
    ws.append(["product", "Cà phê sữa", "00123", 8934567890123, 25000, None, None, None])
    ws.append(["product", "Trà đào", "TR-1", None, "35.000", None, None, None])
    ws.append(["order", "Cà phê sữa", "00123", None, 25000, "DH-1", 2,
               datetime(2025, 12, 31, 9, 30)])
    wb.save(path)
    code, out, err = shop.cli("catalog", "import", str(path))
    assert code == 0, err
    products = shop.products()
    assert set(products) == {"00123", "TR-1"}                  # "00123" stays text
    assert products["00123"].variants[0].barcode == "8934567890123"
    assert products["00123"].variants[0].price == Decimal(25000)   # number cell 25000 = 25,000 đ
    assert products["TR-1"].variants[0].price == Decimal(35000)
    order = shop.records(Entity.ORDER)[0]
    assert order.total == Decimal(50000)
    # An Excel date cell is Vietnam wall-clock time: 09:30 in Hà Nội is 02:30 UTC.
    assert order.created_at == datetime(2025, 12, 31, 2, 30, tzinfo=timezone.utc)


def test_b03_xlsx_formula_cell_is_read_as_its_cached_value_never_its_text(shop, tmp_path):
    path = tmp_path / "cong-thuc.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["entity", "name", "sku", "price"])
    ws.append(["product", "Cà phê", "CF-1", "=20000+5000"])
    wb.save(path)
    # openpyxl stores no cached value; Excel would. Put one in, as Excel does on save.
    data, cached = io.BytesIO(), False
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(data, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body.replace(b"<f>20000+5000</f><v></v>", b"<f>20000+5000</f><v>25000</v>")
                body = body.replace(b"<f>20000+5000</f><v />", b"<f>20000+5000</f><v>25000</v>")
                cached = b"<v>25000</v>" in body
            dst.writestr(item, body)
    assert cached
    path.write_bytes(data.getvalue())
    code, _, err = shop.cli("catalog", "import", str(path))
    assert code == 0, err
    assert shop.products()["CF-1"].variants[0].price == Decimal(25000)


def test_b03_xlsx_errors_name_the_sheet_and_excel_row_and_nothing_is_imported(shop, tmp_path):
    path = book([["entity", "name", "sku", "price"],
                 ["product", "Cà phê", "CF-1", 25000],
                 ["product", "", "CF-2", "25,5"],
                 ["product", "Kem", "CF-1", -1]], path=tmp_path / "loi.xlsx",
                before=[["Danh sách hàng — tháng 12"], []])
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE
    assert "Sheet “Sản phẩm”, Row 5, name: required" in err       # header on row 3
    assert "Sheet “Sản phẩm”, Row 5, price: “25,5”" in err
    assert "Sheet “Sản phẩm”, Row 6, price" in err and "negative" in err
    assert "Sheet “Sản phẩm”, Row 6, sku: “CF-1” is already on row 4" in err
    assert shop.products() == {}


def test_b03_xlsx_with_only_a_header_has_no_rows_exit_2(shop, tmp_path):
    path = book([["entity", "name", "sku", "price"], [None, None, None, None]],
                path=tmp_path / "rong.xlsx")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "no data rows" in err


KIOTVIET = ["Loại hàng", "Nhóm hàng(3 Cấp)", "Mã hàng", "Mã vạch", "Tên hàng", "Thương hiệu",
            "Giá bán", "Giá vốn", "Tồn kho", "ĐVT", "Đang kinh doanh", "Mô tả", "Cột riêng"]


def test_kiotviet_product_export_is_recognised_by_its_header_row(shop, tmp_path):
    path = book([KIOTVIET,
                 ["Hàng hóa", "Đồ uống>>Cà phê", "SP000001", "8930001", "Cà phê đen", "ABC",
                  18000, 9000, 12, "Ly", 1, "Pha phin", "x"],
                 ["Hàng hóa", "Đồ uống>>Trà", "SP000002", None, "Trà tắc", None, 15000, 5000,
                  3, "Ly", 0, None, None]], title="DanhSachSanPham", path=tmp_path / "kv.xlsx")
    code, out, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == 0, err
    assert "Recognised a KiotViet product export (UNVERIFIED)" in out
    assert "Columns not imported" in out and "Giá vốn" in out and "Tồn kho" in out
    assert "Unknown columns, not imported" in out and "Cột riêng" in out
    products = shop.products()
    assert products["SP000001"].name == "Cà phê đen"
    assert products["SP000001"].variants[0].price == Decimal(18000)
    assert products["SP000002"].visible is False
    categories = {c.name for c in shop.records(Entity.CATEGORY)}
    assert categories == {"Cà phê", "Trà"}


@pytest.mark.parametrize("headers, row, sku, pos", [
    (["Tên sản phẩm*", "Mã SKU*", "Barcode", "Giá bán lẻ", "Loại sản phẩm", "Giá nhập"],
     ["Áo thun", "AT-01", "8931", "150.000", "Thời trang", 90000], "AT-01", "Sapo"),
    (["ID", "Mã sản phẩm", "Tên sản phẩm", "Mã vạch", "Giá bán", "Danh mục"],
     [101, "NH-01", "Bánh mì", None, 20000, "Đồ ăn"], "NH-01", "Nhanh.vn"),
])
def test_sapo_and_nhanh_product_exports_are_recognised_and_marked_unverified(
        shop, tmp_path, headers, row, sku, pos):
    path = book([headers, row], path=tmp_path / "pos.xlsx")
    code, out, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == 0, err
    assert f"Recognised a {pos} product export (UNVERIFIED)" in out
    assert shop.products()[sku].variants[0].price in (Decimal(150000), Decimal(20000))


def test_pos_export_rows_are_checked_like_csv_rows_com02(shop, tmp_path):
    path = book([KIOTVIET[:7], ["Hàng hóa", "", "SP1", "", "A", "", "1.5"],
                 ["Hàng hóa", "", "SP1", "", "B", "", 1000]], path=tmp_path / "kv.xlsx")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE
    assert "Row 2, price: “1.5”" in err and "Row 3, sku: “SP1” is already on row 2" in err


def test_workbook_without_a_recognisable_header_is_refused(shop, tmp_path):
    path = book([["Tên", "Giá"], ["Cà phê", 25000]], path=tmp_path / "la.xlsx")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "no sheet of this workbook has a header row" in err
    assert "catalog template" in err and shop.products() == {}


def test_old_xls_is_refused_with_save_as_xlsx(shop, tmp_path):
    path = tmp_path / "cu.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000)
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "old-format Excel file (.xls)" in err and "Save As" in err


def test_password_protected_workbook_is_refused_with_what_to_do(shop, tmp_path):
    # An encrypted .xlsx is an OLE2 container holding an "EncryptedPackage" stream.
    path = tmp_path / "mat-khau.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500
                     + "EncryptedPackage".encode("utf-16-le") + b"\0" * 500)
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "password-protected" in err and "remove the password" in err


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really a zip", b"hello", b""])
def test_corrupt_workbook_is_refused_without_a_traceback(shop, tmp_path, content):
    path = tmp_path / "hong.xlsx"
    path.write_bytes(content)
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "damaged or not an Excel workbook" in err
    assert "Traceback" not in err and "Unexpected" not in err


def test_workbook_with_a_damaged_sheet_part_is_refused(shop, tmp_path):
    good = book([["entity", "name"], ["product", "A"]], path=tmp_path / "tot.xlsx")
    data = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(data, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]
            dst.writestr(item, body)
    path = tmp_path / "hong-trang.xlsx"
    path.write_bytes(data.getvalue())
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "damaged" in err and "Traceback" not in err


def test_template_carries_notes_and_validation(shop, tmp_path):
    path = tmp_path / "mau.xlsx"
    code, out, err = shop.cli("catalog", "template", str(path))
    assert code == 0, err
    wb = load_workbook(path)
    ws = wb["Nhập dữ liệu"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["entity", "id", "name"] and "price" in headers
    assert ws.freeze_panes == "A2"
    assert all(c.comment is not None and c.comment.text for c in ws[1])
    kinds = sorted((v.type, v.formula1) for v in ws.data_validations.dataValidation)
    assert ("list", '"product,customer,order"') in kinds
    assert any(t == "list" and "reconciled" in f for t, f in kinds)
    assert ("decimal", "0") in [(v.type, v.formula1) for v in
                                ws.data_validations.dataValidation if v.operator ==
                                "greaterThanOrEqual"]
    sku = ws.cell(row=2, column=headers.index("sku") + 1)
    assert sku.number_format == "@"
    assert "Hướng dẫn" in wb.sheetnames


def test_com02_template_examples_stay_on_the_guide_and_never_import_as_data(shop, tmp_path):
    """Finding 14: the unchanged template imported "Chị Nguyễn Thị Lan" (whose phone then
    linked a POS customer, COM-02) and order DH-0001 (refused by every Sapo sync) as real
    data. The examples are on the guide sheet; the unchanged template imports nothing and
    says why; examples copied to the data sheet on purpose do import."""
    path = tmp_path / "mau.xlsx"
    assert shop.cli("catalog", "template", str(path))[0] == 0
    wb = load_workbook(path)
    ws = wb["Nhập dữ liệu"]
    assert ws.max_row == 1 or all(c.value is None for row in ws.iter_rows(min_row=2)
                                  for c in row)
    guide = [[c.value for c in row] for row in wb["Hướng dẫn"].iter_rows()]
    assert any("CF-001" in row for row in guide) and any("0912345678" in row for row in guide)
    code, out, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "no data rows" in err and shop.products() == {}
    # Copied over by the owner on purpose: those import.
    start = next(i for i, row in enumerate(guide) if row[0] == "entity (ví dụ)")
    for row in guide[start + 1:]:
        if any(v is not None for v in row):
            ws.append(row)
    wb.save(path)
    code, out, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == 0, err
    assert shop.products()["CF-001"].name == "Cà phê sữa đá"


def test_template_name_must_end_in_xlsx(shop, tmp_path):
    code, _, err = shop.cli("catalog", "template", str(tmp_path / "mau.csv"), lang="en")
    assert code == EXIT_USAGE and ".xlsx" in err


def test_sheet_damaged_after_its_header_is_refused_with_the_row(shop, tmp_path):
    rows = [["entity", "name", "sku", "price"]] + [["product", f"Món {i}", f"M-{i}", 1000]
                                                   for i in range(3000)]
    good = book(rows, path=tmp_path / "tot.xlsx")
    data = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(data, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) * 2 // 3]
            dst.writestr(item, body)
    path = tmp_path / "hong-giua.xlsx"
    path.write_bytes(data.getvalue())
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "is damaged from row" in err and "Traceback" not in err
    assert shop.products() == {}
