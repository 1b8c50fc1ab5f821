"""The App catalog: upsert by App id, natural keys for matching (COM-02), search, paging."""
from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from contract.records import (Branch, Category, Customer, Entity, InvalidValue, NewsArticle, Order,
                        OrderStatus, Product, Variant)
from app.store.catalog import Catalog, category_name_key, normalise_phone, search_text
from app.store.models import CatalogKey


def product(key="", name="Cà phê sữa", sku="CF-01", barcode="8930001", **extra):
    return Product(key, name, variants=(Variant("v1", sku=sku, barcode=barcode,
                                                price=Decimal("25000")),), **extra)


def test_put_assigns_a_new_app_id_and_get_returns_the_same_record(catalog):
    stored = catalog.put(Entity.PRODUCT, product())
    assert stored.key == "P000001"
    assert catalog.get(Entity.PRODUCT, "P000001") == stored
    assert catalog.get(Entity.PRODUCT, "P999999") is None
    assert catalog.get(Entity.CUSTOMER, "P000001") is None  # ids are per entity


def test_new_ids_are_monotonic_and_never_reused_after_delete_or_restart(home, catalog):
    first = catalog.new_id(Entity.CUSTOMER)
    second = catalog.put(Entity.CUSTOMER, Customer("", "An")).key
    assert (first, second) == ("K000001", "K000002")
    assert catalog.delete(Entity.CUSTOMER, second)
    from app.store.connection import open_store
    catalog.db.close()
    reopened = Catalog(open_store(home))
    assert reopened.new_id(Entity.CUSTOMER) == "K000003"
    assert reopened.new_id(Entity.PRODUCT) == "P000001"


def test_new_id_skips_an_id_that_was_given_explicitly(catalog):
    catalog.put(Entity.ORDER, Order("O000001", number="DH1"))
    assert catalog.new_id(Entity.ORDER) == "O000002"


def test_put_with_the_same_id_replaces_and_keeps_the_first_origin(catalog):
    catalog.put(Entity.PRODUCT, product("P1"), origin="sapo")
    catalog.put(Entity.PRODUCT, product("P1", name="Trà đào", sku="TD-01", barcode=""))
    assert catalog.count(Entity.PRODUCT) == 1
    assert catalog.get(Entity.PRODUCT, "P1").name == "Trà đào"
    assert catalog.origin(Entity.PRODUCT, "P1") == "sapo"


def test_com02_products_are_found_by_each_variant_sku_and_barcode(catalog):
    two_sizes = Product("P1", "Trà", variants=(Variant("s", sku="TRA-S", barcode="111"),
                                               Variant("l", sku="TRA-L", barcode="222")))
    catalog.put(Entity.PRODUCT, two_sizes)
    for kind, value in (("sku", "tra-s"), ("sku", " TRA-L "), ("barcode", "222")):
        assert catalog.find(Entity.PRODUCT, kind, value) == ["P1"]
    assert catalog.find(Entity.PRODUCT, "sku", "") == []   # an empty SKU matches nothing


def test_com02_old_keys_are_forgotten_when_a_record_changes(catalog):
    catalog.put(Entity.PRODUCT, product("P1", sku="OLD"))
    catalog.put(Entity.PRODUCT, product("P1", sku="NEW"))
    assert catalog.find(Entity.PRODUCT, "sku", "OLD") == []
    assert catalog.find(Entity.PRODUCT, "sku", "NEW") == ["P1"]


@pytest.mark.parametrize("raw", ["0912345678", "+84 912 345 678", "84912345678",
                                 "0084-912-345-678", "(091) 234.5678", "912345678",
                                 "+84 (0) 912 345 678", "0084 0912345678"])
def test_com02_phone_spellings_of_one_customer_normalise_to_one(raw):
    assert normalise_phone(raw) == "0912345678"


@given(st.text(alphabet="+0123456789 -().", max_size=20))
def test_com02_phone_normalisation_is_idempotent_and_digits_only(raw):
    once = normalise_phone(raw)
    assert once.isdigit() or once == ""
    assert normalise_phone(once) == once


def test_com02_landline_without_leading_zero_and_empty_phone():
    assert normalise_phone("2438123456") == "02438123456"
    assert normalise_phone("843123456") == "0843123456"    # an 084 mobile, not a +84 prefix
    assert normalise_phone("+84 24 3812 3456") == "02438123456"
    assert normalise_phone("") == "" and normalise_phone(None) == ""


def test_com02_customers_are_found_by_phone_then_email_case_insensitively(catalog):
    catalog.put(Entity.CUSTOMER, Customer("K1", "An", phone="+84 912 345 678",
                                          email="An.Nguyen@Example.VN"))
    assert catalog.find(Entity.CUSTOMER, "phone", "0912.345.678") == ["K1"]
    assert catalog.find(Entity.CUSTOMER, "email", "an.nguyen@example.vn") == ["K1"]
    assert catalog.find(Entity.CUSTOMER, "email", "other@example.vn") == []


def test_com02_categories_match_by_name_under_the_same_parent_only(catalog):
    catalog.put(Entity.CATEGORY, Category("C1", "Đồ uống"))
    catalog.put(Entity.CATEGORY, Category("C2", "Cà phê", parent_key="C1"))
    decomposed = unicodedata.normalize("NFD", "CÀ PHÊ")
    assert catalog.find(Entity.CATEGORY, "name", category_name_key(decomposed, "C1")) == ["C2"]
    assert catalog.find(Entity.CATEGORY, "name", category_name_key("Cà phê")) == []
    assert catalog.find(Entity.CATEGORY, "name", category_name_key("đồ uống")) == ["C1"]


def test_com02_orders_match_by_number_and_branches_by_name(catalog):
    catalog.put(Entity.ORDER, Order("O1", number="DH-0001", status=OrderStatus.PACKED))
    catalog.put(Entity.BRANCH, Branch("B1", "Chi nhánh Quận 1"))
    assert catalog.find(Entity.ORDER, "number", "dh-0001") == ["O1"]
    assert catalog.find(Entity.BRANCH, "name", "CHI NHÁNH QUẬN 1") == ["B1"]


def test_keys_are_stored_nfc_and_casefolded(catalog):
    catalog.put(Entity.PRODUCT, product("P1", sku=unicodedata.normalize("NFD", "ÁO-Đỏ")))
    values = {k.value for k in CatalogKey.select().where(CatalogKey.kind == "sku")}
    assert values == {"áo-đỏ"}
    assert all(unicodedata.is_normalized("NFC", v) for v in values)


def test_put_refuses_a_record_of_another_entity(catalog):
    with pytest.raises(InvalidValue):
        catalog.put(Entity.PRODUCT, Customer("K1", "An"))


def test_delete_removes_the_record_its_keys_and_its_search_entry(catalog):
    catalog.put(Entity.PRODUCT, product("P1"))
    assert catalog.delete(Entity.PRODUCT, "P1")
    assert not catalog.delete(Entity.PRODUCT, "P1")
    assert catalog.find(Entity.PRODUCT, "sku", "CF-01") == []
    assert catalog.count(Entity.PRODUCT, "cà phê") == 0
    assert CatalogKey.select().count() == 0


def test_search_ignores_accents_and_case_and_covers_code(catalog):
    catalog.put(Entity.PRODUCT, product("P1", name="Cà phê sữa đá", sku="CF-01", barcode="1"))
    catalog.put(Entity.PRODUCT, product("P2", name="Trà đào cam sả", sku="TD-02", barcode="2"))
    assert [r.app_id for r in catalog.list(Entity.PRODUCT, "ca phe")] == ["P1"]
    assert [r.app_id for r in catalog.list(Entity.PRODUCT, "ĐÀO")] == ["P2"]
    assert [r.app_id for r in catalog.list(Entity.PRODUCT, "dao")] == ["P2"]
    assert [r.app_id for r in catalog.list(Entity.PRODUCT, "td-0")] == ["P2"]
    assert catalog.count(Entity.PRODUCT, "") == 2
    assert catalog.count(Entity.PRODUCT, "%") == 0   # LIKE wildcards are literal text
    assert search_text("Đường") == "duong"


def test_list_pages_in_name_order_with_columns_for_the_table(catalog):
    catalog.put_many(Entity.CUSTOMER, [Customer(f"K{i}", f"Khách {i:02d}", phone=f"09000000{i:02d}")
                                       for i in range(30)])
    page = catalog.list(Entity.CUSTOMER, limit=10, offset=10)
    assert [r.name for r in page] == [f"Khách {i:02d}" for i in range(10, 20)]
    assert page[0].code == "0900000010" and page[0].origin == "app"
    assert len(catalog.list(Entity.CUSTOMER, offset=25)) == 5
    assert catalog.count(Entity.CUSTOMER, "khach 1") == 10


def test_order_status_and_hidden_products_fill_the_status_column(catalog):
    catalog.put(Entity.ORDER, Order("O1", number="DH1", status=OrderStatus.SHIPPED_OUT,
                                    customer_name="An"))
    catalog.put(Entity.NEWS, NewsArticle("N1", "Khai trương", visible=False))
    assert catalog.list(Entity.ORDER)[0].status == "shipped_out"
    assert catalog.list(Entity.NEWS)[0].status == "hidden"


@pytest.mark.slow
def test_ten_thousand_records_are_written_in_one_transaction(catalog):
    """A page of a pull commits as a whole: one bad record and none of the page is kept;
    and rows go in batches, not one statement per row."""
    good = [Customer(f"K{i:05d}", f"Khách {i}", phone=f"09{i:08d}") for i in range(10_000)]
    with pytest.raises(InvalidValue):
        catalog.put_many(Entity.CUSTOMER, good + [Product("P1", "not a customer")])
    assert catalog.count(Entity.CUSTOMER) == 0
    statements = []
    catalog.db.connection().set_trace_callback(statements.append)
    try:
        catalog.put_many(Entity.CUSTOMER, good)
    finally:
        catalog.db.connection().set_trace_callback(None)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO \"CATALOG_ITEM")]
    assert 0 < len(inserts) <= len(good) // 50
    assert sum(s.upper().startswith(("BEGIN", "COMMIT")) for s in statements) == 2
    assert catalog.count(Entity.CUSTOMER) == 10_000
    assert catalog.find(Entity.CUSTOMER, "phone", "+84 900 009 999") == ["K09999"]
    assert catalog.count(Entity.CUSTOMER, "khach 9999") == 1


def test_iter_records_streams_every_record_in_chunks(catalog):
    catalog.STREAM_CHUNK = 7
    catalog.put_many(Entity.CATEGORY, [Category(f"C{i}", f"Nhóm {i}") for i in range(20)])
    catalog.put(Entity.PRODUCT, product("P1"))
    keys = [record.key for record in catalog.iter_records(Entity.CATEGORY)]
    assert sorted(keys) == sorted(f"C{i}" for i in range(20))


def test_iter_raw_reads_the_json_only_of_records_the_caller_needs(catalog, monkeypatch):
    """After a 100k first pull the push step needs no stored JSON: it is not read at all."""
    catalog.STREAM_CHUNK = 3
    keys = [catalog.put(Entity.CUSTOMER, Customer("", f"Khách {i}")).key for i in range(7)]
    needed = set(keys[1::3])
    rows = list(catalog.iter_raw(Entity.CUSTOMER, without_data=set(keys) - needed))
    assert [app_id for app_id, _, _ in rows] == keys
    assert {app_id for app_id, _, data in rows if data is not None} == needed
    assert all(catalog.parse(Entity.CUSTOMER, data).key == app_id
               for app_id, _, data in rows if data is not None)
    asked = []
    real = catalog.db.execute_sql
    monkeypatch.setattr(catalog.db, "execute_sql",
                        lambda sql, *args: asked.append(sql) or real(sql, *args))
    assert all(data is None for _, _, data in catalog.iter_raw(Entity.CUSTOMER, set(keys)))
    assert asked and not any("data" in sql for sql in asked)


def test_put_many_keeps_the_last_spelling_of_a_repeated_id(catalog):
    catalog.put_many(Entity.CUSTOMER, [Customer("K1", "Old", phone="0911111111"),
                                       Customer("K1", "New", phone="0922222222")])
    assert catalog.get(Entity.CUSTOMER, "K1").name == "New"
    assert catalog.find(Entity.CUSTOMER, "phone", "0911111111") == []


def test_get_many_returns_a_page_of_records_by_app_id(catalog):
    catalog.STREAM_CHUNK = 3
    catalog.put_many(Entity.CUSTOMER, [Customer(f"K{i}", f"Khách {i}") for i in range(10)])
    found = catalog.get_many(Entity.CUSTOMER, ["K1", "K7", "K9", "K1", "missing", "K4"])
    assert sorted(found) == ["K1", "K4", "K7", "K9"]
    assert found["K7"] == Customer("K7", "Khách 7")
    assert catalog.get_many(Entity.PRODUCT, ["K1"]) == {}


def test_new_ids_skip_an_id_given_explicitly_in_the_same_write(catalog):
    """A keyless record must not get the id another record of the same write names, or one
    would overwrite the other."""
    saved = catalog.put_many(Entity.CATEGORY, [Category("", "Mới"), Category("C000001", "Cũ")])
    assert saved[0].key != "C000001"
    assert catalog.count(Entity.CATEGORY) == 2
    assert catalog.get(Entity.CATEGORY, "C000001").name == "Cũ"
