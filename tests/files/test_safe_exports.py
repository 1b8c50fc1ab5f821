"""Exports are safe to open in Excel (issue 18 §3) and Excel out (issue 22 §4): every CSV and
.xlsx the project writes goes through app/tables.py."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.store import models as m
from app.tables import Column, ColumnKind, csv_text, safe_text, write_table

ATTACKS = ['=HYPERLINK("http://evil.example/x","click")', "+cmd|' /C calc'!A0", "=1+2",
           "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("cell", ATTACKS)
def test_b03_csv_cell_starting_like_a_formula_is_neutralised(cell):
    assert safe_text(cell) == "'" + cell
    text = csv_text([Column("name"), Column("n", ColumnKind.NUMBER)], [{"name": cell, "n": 1}])
    # A carriage return reads as a line break (a bare CR would end the record for most
    # readers); everything else is exactly what was there, after the apostrophe.
    assert list(csv.reader(io.StringIO(text))) == [["name", "n"],
                                                   ["'" + cell.replace("\r", "\n"), "1"]]


def test_b03_csv_keeps_ordinary_text_and_numbers_in_numeric_columns_as_they_are():
    cols = [Column("name"), Column("price", ColumnKind.MONEY), Column("stock", ColumnKind.NUMBER)]
    rows = [{"name": "Cà phê - đá", "price": Decimal("25000"), "stock": -5},
            {"name": "-5", "price": None, "stock": None}]
    lines = list(csv.reader(io.StringIO(csv_text(cols, rows))))
    assert lines[1] == ["Cà phê - đá", "25000", "-5"]     # a negative stock is a number
    assert lines[2] == ["'-5", "", ""]                   # the same text in a text column is not


def _results(home, messages):
    profile = m.Profile.create(name="p", platform="sapo",
                               created_at=datetime.now(timezone.utc))
    run = m.Run.create(profile=profile, started_at=datetime.now(timezone.utc))
    for text in messages:
        m.ItemResult.create(run=run, entity="product", direction="pos_to_app", name=text,
                            action="create", outcome="ok", message_vi=text, message_en=text,
                            at=datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc))
    return run


def test_b03_cli_results_csv_neutralises_formula_cells(shop, store):
    _results(shop.home, ATTACKS)
    store.close()
    code, out, err = shop.cli("results", "--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["Lần chạy", "Loại", "Chiều"]
    names = [row[5] for row in rows[1:]]
    assert names == ["'" + cell.replace("\r", "\n") for cell in ATTACKS]
    assert not any(row[i].startswith(("=", "+", "-", "@", "\t", "\r"))
                   for row in rows[1:] for i in range(len(row)))


def test_cli_results_xlsx_has_frozen_header_filters_widths_dates_and_text_not_formulas(
        shop, store, tmp_path):
    _results(shop.home, ATTACKS)
    store.close()
    target = tmp_path / "ket-qua.xlsx"
    code, out, err = shop.cli("results", "--format", "xlsx", "--out", str(target))
    assert code == 0, err
    ws = load_workbook(target).active
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:L{len(ATTACKS) + 1}"
    assert ws["F2"].value == ATTACKS[0] and ws["F2"].data_type == "s"   # text, not a formula
    assert ws["L2"].is_date and ws["L2"].value == datetime(2025, 1, 2, 10, 4)  # Vietnam time
    assert ws.column_dimensions["F"].width > len("name") + 2


def test_cli_results_xlsx_without_out_is_a_usage_error(shop, store):
    _results(shop.home, ["x"])
    store.close()
    code, _, err = shop.cli("results", "--format", "xlsx", lang="en")
    assert code == 2 and "--out FILE.xlsx" in err


def test_catalog_export_xlsx_money_as_formatted_numbers_and_reimports(shop, tmp_path):
    source = tmp_path / "a.csv"
    source.write_text("entity,name,sku,price,category,phone\n"
                      "product,=1+2 Cà phê,00123,25.000,Đồ uống,\n"
                      "customer,Chị Lan,,,,0912345678\n", encoding="utf-8")
    assert shop.cli("catalog", "import", str(source))[0] == 0
    code, out, err = shop.cli("catalog", "export", str(tmp_path / "out"), "--format", "xlsx")
    assert code == 0, err
    ws = load_workbook(tmp_path / "out" / "catalog.xlsx").active
    headers = [c.value for c in ws[1]]
    price = ws.cell(row=2, column=headers.index("price") + 1)
    assert price.value == 25000 and price.number_format == '#,##0 "₫"'
    name = ws.cell(row=2, column=headers.index("name") + 1)
    assert name.value == "=1+2 Cà phê" and name.data_type == "s"
    assert ws.cell(row=2, column=headers.index("sku") + 1).value == "00123"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    # The exported file is an import file: editing it and importing it again works.
    code, _, err = shop.cli("catalog", "import", str(tmp_path / "out" / "catalog.xlsx"))
    assert code == 0, err
    code, _, err = shop.cli("catalog", "export", str(tmp_path / "csv"), "--format", "csv")
    text = (tmp_path / "csv" / "catalog.csv").read_text(encoding="utf-8-sig")
    assert "'=1+2 Cà phê" in text and ",25000," in text


def test_write_table_chooses_xlsx_or_csv_by_suffix(tmp_path):
    cols = [Column("name"), Column("at", ColumnKind.DATE)]
    rows = [{"name": "=x", "at": datetime(2025, 1, 1, 17, 0, tzinfo=timezone.utc)}]
    assert write_table(tmp_path / "a.csv", cols, rows) == 1
    assert (tmp_path / "a.csv").read_bytes().startswith(b"\xef\xbb\xbf")   # Excel reads UTF-8
    assert "'=x,2025-01-02 00:00:00" in (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    assert write_table(tmp_path / "a.xlsx", cols, rows) == 1
    assert load_workbook(tmp_path / "a.xlsx").active["B2"].value == datetime(2025, 1, 2, 0, 0)
