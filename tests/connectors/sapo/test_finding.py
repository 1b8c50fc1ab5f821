"""The batch index behind COM-02 product look-ups (connectors/sapo/finding.py)."""
from __future__ import annotations

from decimal import Decimal

from contract.records import Product, Variant
from connectors.sapo.finding import ProductIndex

ROWS = [{"id": 1, "variants": [{"sku": "CF-M", "barcode": "8930001"}]},
        {"id": 2, "variants": [{"sku": "TRA-1", "barcode": None}]},
        {"id": 3, "variants": [{"sku": "KHAC", "barcode": "8930002"}]}]


def product(key: str, sku: str = "", barcode: str = "") -> Product:
    return Product(key, "Sản phẩm", variants=(Variant("", sku=sku, barcode=barcode,
                                                         price=Decimal(1000)),))


def test_com02_sku_is_matched_before_barcode_and_unknown_keys_find_nothing():
    wanted = [product("A", sku="TRA-1", barcode="8930002"), product("B", barcode="8930001"),
              product("C", sku="MOI")]
    index = ProductIndex(wanted)
    index.add(ROWS)
    assert index.take(wanted[0]) == (True, ROWS[1])      # SKU wins over the barcode
    assert index.take(wanted[1]) == (True, ROWS[0])
    assert index.take(wanted[2]) == (True, None)


def test_com02_the_index_answers_each_prepared_record_once_then_sapo_is_asked():
    """A product created after the list was read is not in the index: a second look-up of the
    same record (after a lost answer) must not trust it."""
    record = product("A", sku="CF-M")
    index = ProductIndex([record])
    index.add(ROWS)
    assert index.take(record) == (True, ROWS[0])
    assert index.take(record) == (False, None)
    assert index.take(product("Z", sku="CF-M")) == (False, None)   # never prepared


def test_com02_the_index_keeps_only_rows_the_batch_asks_for():
    index = ProductIndex([product("A", sku="TRA-1")])
    index.add(ROWS)
    assert list(index._rows) == [("sku", "TRA-1")]
