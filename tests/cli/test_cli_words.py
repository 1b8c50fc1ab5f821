"""Findings 3, 9, 10, 13: the command line speaks the chosen language (B-04), its result table
and exports are readable by a person while `--format json` keeps the machine names for
scripts (COM-06, B-03), an empty answer says so, and times carry their zone."""
from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook


def _sample(shopsync):
    assert shopsync("profile", "add", "demo", "--platform", "sapo", "--set", "sandbox=on")[0] == 0
    assert shopsync("sync", "demo")[0] == 0


def test_b04_import_summary_and_order_status_are_vietnamese_words(shopsync, tmp_path):
    source = tmp_path / "a.csv"
    source.write_text("entity,name,sku,price,phone,number,quantity\n"
                      "product,Cà phê,CF-1,25000,,,\n"
                      "customer,Chị Lan,,,0912345678,,\n"
                      "order,Cà phê,CF-1,25000,,O-1,2\n", encoding="utf-8")
    code, out, err = shopsync("catalog", "import", str(source))
    assert code == 0, err
    assert "Đã nhập: 1 sản phẩm, 1 khách hàng, 1 đơn hàng." in out
    other = tmp_path / "b.csv"
    other.write_text("entity,name,sku,price,phone\nproduct,Trà,TR-1,20000,\n"
                     "product,Bánh,BA-1,15000,\ncustomer,Anh Minh,,,0987654321\n",
                     encoding="utf-8")
    code, out, err = shopsync("--lang", "en", "catalog", "import", str(other))
    assert "Imported: 2 products, 1 customer." in out, err
    code, out, err = shopsync("order", "status", "O000001", "cancelled")
    assert code == 0, err
    assert "Đơn O000001: đã huỷ." in out and "cancelled" not in out


def test_com06_results_table_has_a_header_words_and_a_separator(shopsync):
    _sample(shopsync)
    code, out, _ = shopsync("results", "--run", "1")
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["Loại", "Việc", "Kết"]
    assert all("│" in line for line in lines)
    assert any(line.startswith("chi nhánh") and " tạo " in line for line in lines[1:])
    assert "branch" not in out and " ok " not in out
    code, out, _ = shopsync("--lang", "en", "results", "--run", "1")
    assert out.splitlines()[0].startswith("Type") and "Created in the App." in out


def test_b03_result_exports_have_readable_headers_json_keeps_machine_names(shopsync, tmp_path):
    _sample(shopsync)
    code, out, _ = shopsync("results", "--run", "1", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["Lần chạy", "Loại", "Chiều"]
    # Finding 13: the time names its zone in the header and carries its offset.
    assert "giờ Việt Nam" in rows[0][-1] and rows[1][-1].endswith("+07:00")
    code, out, _ = shopsync("--lang", "en", "results", "--run", "1", "--format", "csv")
    assert out.splitlines()[0].startswith("Run,Type,Direction")
    target = tmp_path / "kq.xlsx"
    assert shopsync("results", "--run", "1", "--format", "xlsx", "--out", str(target))[0] == 0
    ws = load_workbook(target).active
    assert ws.title == "Kết quả" and ws["B1"].value == "Loại" and ws["B2"].value == "chi nhánh"
    code, out, _ = shopsync("results", "--run", "1", "--format", "json")
    first = json.loads(out.splitlines()[0])
    assert first["entity"] == "branch" and first["action"] == "create" and first["outcome"] == "ok"


def test_com06_results_of_a_run_without_rows_says_so_and_names_the_run_with_rows(
        shopsync, tmp_path):
    _sample(shopsync)
    assert shopsync("sync", "demo")[0] == 0         # nothing changed: a run with no rows
    code, out, _ = shopsync("results")
    assert code == 0 and "#2" in out and "shopsync results --run 1" in out
    code, out, err = shopsync("results", "--format", "csv")
    assert "shopsync results --run 1" in err and len(out.splitlines()) == 1   # header only
    target = tmp_path / "rong.xlsx"
    code, out, _ = shopsync("--lang", "en", "results", "--format", "xlsx", "--out", str(target))
    assert code == 0 and "0 rows" in out and "--run 1" in out


def test_b02_restore_with_nothing_to_restore_prints_one_plain_sentence(shopsync):
    _sample(shopsync)
    code, out, _ = shopsync("restore", "demo")
    assert code == 0
    assert out.strip().count("\n") == 0 and "refused" not in out and "{}" not in out
