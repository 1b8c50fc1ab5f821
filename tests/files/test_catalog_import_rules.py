"""`shopsync catalog import` refuses what is wrong, with row and column, and imports nothing
(issue 18 §2). CSV and JSON here; Excel in test_excel_import.py."""
from __future__ import annotations

import json
import sys
from decimal import Decimal

import pytest

from contract.records import Entity

EXIT_USAGE = 2


def write(tmp_path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_import_money_vietnamese_thousands_dot_is_twenty_five_thousand(shop, tmp_path):
    path = write(tmp_path, "gia.csv", "entity,name,sku,price\n"
                 "product,Cà phê,CF-1,25.000\nproduct,Trà,TR-1,\"1.250.000\"\n"
                 "product,Bánh,B-1,\"25,000\"\nproduct,Kem,K-1,42.000 ₫\n"
                 "product,Sữa,S-1,42.000đ\nproduct,Nước,N-1,25000\n")
    code, out, err = shop.cli("catalog", "import", str(path))
    assert code == 0, err
    prices = {sku: p.variants[0].price for sku, p in shop.products().items()}
    assert prices == {"CF-1": 25000, "TR-1": 1250000, "B-1": 25000, "K-1": 42000,
                      "S-1": 42000, "N-1": 25000}


def test_import_money_ambiguous_decimal_is_refused_with_row_column_and_forms(shop, tmp_path):
    path = write(tmp_path, "mo-ho.csv", "entity,name,sku,price\n"
                 "product,Cà phê,CF-1,25000\nproduct,Trà,TR-1,\"25,5\"\nproduct,Kem,K-1,1.5\n")
    code, _, err = shop.cli("catalog", "import", str(path))
    assert code == EXIT_USAGE
    assert "Dòng 3, price: “25,5”" in err and "Dòng 4, price: “1.5”" in err
    assert "25.000" in err and "42.000đ" in err          # the accepted forms
    assert shop.products() == {}                          # nothing imported


def test_import_unquoted_comma_price_splits_the_row_and_is_refused(shop, tmp_path):
    path = write(tmp_path, "phay.csv", "entity,name,sku,price,category\n"
                 "product,Cà phê,CF-1,25,000,Đồ uống\n")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "Row 2" in err and "double quotes" in err
    assert shop.products() == {}


def test_import_negative_price_and_order_quantity_zero_or_negative_are_refused(shop, tmp_path):
    path = write(tmp_path, "am.csv", "entity,name,sku,price,number,quantity\n"
                 "product,Cà phê,CF-1,-5000,,\n"
                 "order,Cà phê,CF-1,25000,DH-1,0\n"
                 "order,Cà phê,CF-1,25000,DH-2,-3\n")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE
    assert "Row 2, price" in err and "negative" in err
    assert "Row 3, quantity" in err and "Row 4, quantity" in err and "more than 0" in err
    assert shop.records(Entity.ORDER) == [] and shop.products() == {}


@pytest.mark.parametrize("price", ["1e30", "1e400", "9" * 400])
def test_import_huge_price_is_refused_with_row_and_column_not_unexpected_error(shop, tmp_path,
                                                                               price):
    path = write(tmp_path, "lon.csv", f"entity,name,sku,price\nproduct,Cà phê,CF-1,{price}\n")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "Row 2, price" in err
    assert "Unexpected" not in err and "Traceback" not in err


def test_import_json_money_uses_the_same_reader_and_refuses_huge_numbers(shop, tmp_path):
    good = write(tmp_path, "ok.json", json.dumps({"products": [
        {"name": "Cà phê", "variants": [{"key": "v1", "sku": "J-1", "price": "25.000"}]},
        {"name": "Trà", "variants": [{"key": "v1", "sku": "J-2", "price": 35000}]}]}))
    code, _, err = shop.cli("catalog", "import", str(good))
    assert code == 0, err
    assert {s: p.variants[0].price for s, p in shop.products().items()} == {
        "J-1": Decimal(25000), "J-2": Decimal(35000)}
    bad = tmp_path / "bad.json"
    bad.write_text('{"products": [{"name": "X", "variants": [{"key": "v1", "sku": "J-3", '
                   '"price": 1e400}]}], "orders": [{"number": "D", "lines": [{"sku": "J-1", '
                   '"name": "x", "quantity": "0", "price": "1"}]}]}', encoding="utf-8")
    code, _, err = shop.cli("catalog", "import", str(bad), lang="en")
    assert code == EXIT_USAGE and "Unexpected" not in err
    assert "Row 1, products.variants[0].price" in err
    assert "Row 1, orders.lines[0].quantity" in err


def test_import_deeply_nested_json_is_refused_with_its_place_not_recursion_error(shop, tmp_path):
    depth = sys.getrecursionlimit() * 2
    nested = "[" * depth + "]" * depth
    path = tmp_path / "sau.json"
    path.write_text('{"products": [{"name": "A"}, {"name": ' + nested + "}]}", encoding="utf-8")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE
    assert "Row 2, products" in err and "nested too deeply" in err
    assert "RecursionError" not in err and "Unexpected" not in err
    shallow = tmp_path / "vua.json"      # parses, but nests deeper than any record
    shallow.write_text('{"products": [{"name": "A", "options": ' + "[" * 40 + "]" * 40 + "}]}",
                       encoding="utf-8")
    code, _, err = shop.cli("catalog", "import", str(shallow), lang="en")
    assert code == EXIT_USAGE and "nested too deeply" in err and "Row 1" in err


def test_com02_import_refuses_a_sku_or_barcode_repeated_in_the_file(shop, tmp_path):
    path = write(tmp_path, "trung.csv", "entity,name,sku,barcode,price\n"
                 "product,Cà phê,CF-1,893001,25000\n"
                 "product,Cà phê đá,cf-1,,26000\n"
                 "product,Trà,TR-1,893001,20000\n")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE
    assert "Row 3, sku: “cf-1” is already on row 2" in err
    assert "Row 4, barcode: “893001” is already on row 2" in err and "COM-02" in err
    assert shop.products() == {}


def test_com02_import_refuses_a_sku_another_app_product_has(shop, tmp_path):
    first = write(tmp_path, "mot.csv", "entity,name,sku,price\nproduct,Cà phê,CF-1,25000\n")
    assert shop.cli("catalog", "import", str(first))[0] == 0
    owner = shop.products()["CF-1"].key
    again = write(tmp_path, "hai.csv", "entity,name,sku,price\nproduct,Cà phê mới,CF-1,30000\n")
    code, _, err = shop.cli("catalog", "import", str(again), lang="en")
    assert code == EXIT_USAGE
    assert f"already belongs to App product {owner} (Cà phê)" in err
    assert len(shop.products()) == 1
    # The same product, named by its id, is an edit, not a duplicate.
    edit = write(tmp_path, "sua.csv", f"entity,id,name,sku,price\nproduct,{owner},Cà phê,CF-1,"
                 "30.000\n")
    code, _, err = shop.cli("catalog", "import", str(edit))
    assert code == 0, err
    assert shop.products()["CF-1"].variants[0].price == 30000


@pytest.mark.parametrize("content", ["", "entity,name,sku,price\n", "entity,name\n,\n"])
def test_import_empty_file_says_it_has_no_rows_exit_2(shop, tmp_path, content):
    path = write(tmp_path, "rong.csv", content)
    code, out, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "no data rows" in err and "Imported" not in out


def test_import_empty_json_says_it_has_no_records_exit_2(shop, tmp_path):
    path = write(tmp_path, "rong.json", '{"products": []}')
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "no records" in err


def test_b03_bad_last_row_after_written_batches_rolls_everything_back(shop, tmp_path):
    """Big files are written a batch at a time while read: an error on the last row must
    still leave the catalog as it was (categories created on the way included)."""
    before = write(tmp_path, "co-san.csv", "entity,name,sku,price\nproduct,Có sẵn,OLD-1,1000\n")
    assert shop.cli("catalog", "import", str(before))[0] == 0
    rows = "".join(f"product,Món {i},M-{i},{1000 + i},Nhóm {i % 7}\n" for i in range(4500))
    path = write(tmp_path, "lon.csv", "entity,name,sku,price,category\n" + rows
                 + "product,Món hỏng,M-X,\"25,5\",Nhóm 1\n")
    code, _, err = shop.cli("catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "Row 4502, price" in err
    assert list(shop.products()) == ["OLD-1"]
    assert shop.records(Entity.CATEGORY) == []
    good = write(tmp_path, "tot.csv", "entity,name,sku,price,category\n" + rows)
    code, out, err = shop.cli("catalog", "import", str(good))
    assert code == 0 and "4500 sản phẩm" in out, err
