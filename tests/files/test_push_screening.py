"""COM-02 at push: two App products not yet on the POS that share a SKU or barcode would
become two POS products with one code; both are blocked, each message naming the other."""
from __future__ import annotations

from contract.records import Entity, Product, Variant
from app.sync.push_screening import shared_code_blocks


def product(catalog, name, sku, barcode=""):
    return catalog.put(Entity.PRODUCT, Product(key="", name=name, variants=(
        Variant(key="v1", sku=sku, barcode=barcode),)))


def test_com02_two_unlinked_app_products_sharing_a_sku_are_both_blocked_naming_each_other(
        catalog):
    a = product(catalog, "Cà phê sữa", "CF-1")
    b = product(catalog, "Cà phê sữa (lớn)", "cf-1 ")
    c = product(catalog, "Trà", "TR-1")
    blocks = shared_code_blocks(catalog, [a, b, c], lambda app_id: False)
    assert set(blocks) == {a.key, b.key}
    assert blocks[a.key].others == ((b.key, "Cà phê sữa (lớn)"),)
    assert b.key in blocks[a.key].message_en and "CF-1" in blocks[a.key].message_en
    assert a.key in blocks[b.key].message_vi and blocks[b.key].rule == "COM-02"


def test_com02_a_product_is_blocked_even_when_only_it_was_chosen_for_the_push(catalog):
    a = product(catalog, "Bánh mì", "BM-1", barcode="893")
    b = product(catalog, "Bánh mì thịt", "BM-2", barcode="893")
    blocks = shared_code_blocks(catalog, [a], lambda app_id: False)
    assert blocks[a.key].code == "barcode" and blocks[a.key].others[0][0] == b.key


def test_com02_a_linked_twin_does_not_block_and_unique_codes_pass(catalog):
    a = product(catalog, "Kem", "K-1")
    b = product(catalog, "Kem dâu", "K-1")
    assert shared_code_blocks(catalog, [a], lambda app_id: app_id == b.key) == {}
    c = product(catalog, "Sữa", "S-1")
    assert shared_code_blocks(catalog, [c], lambda app_id: False) == {}
