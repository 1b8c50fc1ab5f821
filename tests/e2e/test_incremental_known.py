"""Incremental runs build a changed, already-linked product from what the App holds (issue 21,
COM-10: frequent runs must cost few requests) — end to end over the sandboxes.

KiotViet lists only the rows that changed: a family the App holds as last synced is completed
from the App's copy instead of a `masterProductId` read; anything the App cannot vouch for
(a new family, an App-side edit) is still read whole. Nhanh products are create-only (NH-08):
a linked parent needs no `product_children` read to give its "skipped" row.
"""
from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import pytest

from contract.connector import KnownRecord
from contract.records import Entity, fingerprint
from app.store import models as m
from app.sync.known import StoreKnowledge
from app.sync.policy import policies, profile_options
from connectors.kiotviet import mapping as kv_mapping
from tests.e2e.test_kiotviet_e2e import Cafe
from tests.reliability.harness import Shop


def _family_reads(sandbox, since: int) -> int:
    return sum(1 for r in sandbox.requests[since:]
               if r.url.path == "/products" and "masterProductId" in r.url.params)


def _full_read(cafe: Cafe, key: str):
    """The product as a first pull would build it now, read straight from the sandbox."""
    from tests.connectors.kiotviet.conftest import build_connector

    async def go():
        connector = build_connector("fnb", cafe.transport(), clock=cafe.clock, now=cafe.now)
        try:
            async for page in connector.pull(Entity.PRODUCT, None):
                for record in page.records:
                    if record.key == key:
                        return record
        finally:
            await connector.aclose()
    return asyncio.run(go())


def _plain(variants) -> list[tuple]:
    """Variants without the branch ids (App ids in the App, KiotViet's in a read)."""
    return [(v.key, v.sku, v.price, v.options, tuple(s.available for s in v.stock))
            for v in variants]


def _link(key: str) -> m.Link:
    return m.Link.get((m.Link.entity == Entity.PRODUCT.value) & (m.Link.pos_id == key))


@pytest.fixture
def cafe(catalog):
    cafe = Cafe(catalog)
    assert cafe.sync().status == "done"
    return cafe


def _rows(cafe: Cafe, name: str) -> list[dict]:
    coffee = cafe.app_product(name)
    return [cafe.sandbox.tables["products"][int(v.key)] for v in coffee.variants]


def test_com10_kvf_variant_changed_alone_is_taken_without_a_family_read(cafe):
    coffee = cafe.app_product("Cà phê sữa đá")
    master, large = _rows(cafe, "Cà phê sữa đá")
    cafe.sandbox.touch("products", large["id"], basePrice=41000)
    before = len(cafe.sandbox.requests)
    assert cafe.sync(["product"]).status == "done"
    assert _family_reads(cafe.sandbox, before) == 0
    after = cafe.app_product("Cà phê sữa đá")
    assert [v.price for v in after.variants] == [coffee.variants[0].price, Decimal(41000)]
    assert after.name == coffee.name and after.variants[0] == coffee.variants[0]
    pos_key = _link_pos(Entity.PRODUCT, coffee.key)
    assert cafe.items(entity=Entity.PRODUCT.value, action="update", pos_id=pos_key)
    # The link holds the fingerprint a whole read gives: the next change is judged right.
    full = _full_read(cafe, pos_key)
    assert _link(pos_key).pos_fingerprint == fingerprint(full)
    assert _plain(after.variants) == _plain(full.variants)


def test_com10_kvf_unchanged_rows_listed_again_give_no_row_and_no_conflict(cafe):
    """A row KiotViet lists as modified with nothing the App syncs changed: the family built
    from the App's copy fingerprints equal to the last sync, so nothing is reported."""
    master, large = _rows(cafe, "Cà phê sữa đá")
    cafe.sandbox.touch("products", master["id"])
    cafe.sandbox.touch("products", large["id"])
    cafe.events.clear()
    before = len(cafe.sandbox.requests)
    assert cafe.sync(["product"]).status == "done"
    assert _family_reads(cafe.sandbox, before) == 0
    assert not cafe.items(entity=Entity.PRODUCT.value)
    assert m.Conflict.select().count() == 0


def test_com10_kvf_new_variant_of_a_linked_product_is_picked_up(cafe):
    coffee = cafe.app_product("Cà phê sữa đá")
    master, _ = _rows(cafe, "Cà phê sữa đá")
    added = cafe.sandbox._product(name=master["name"], code="CFSD-XL", price=45000,
                                  category=master["categoryId"],
                                  attributes=[("Size", "XL")], master=master["id"],
                                  when=cafe.clock())
    before = len(cafe.sandbox.requests)
    assert cafe.sync(["product"]).status == "done"
    assert _family_reads(cafe.sandbox, before) == 0
    after = cafe.app_product("Cà phê sữa đá")
    assert [v.sku for v in after.variants][-1] == "CFSD-XL"
    assert after.variants[-1].key == str(added["id"]) and len(after.variants) == 3
    assert after.variants[:2] == coffee.variants
    pos_key = _link_pos(Entity.PRODUCT, coffee.key)
    assert _link(pos_key).pos_fingerprint == fingerprint(_full_read(cafe, pos_key))


def test_com04_kvf_app_edited_product_is_read_whole_and_the_conflict_holds_kiotviets_rows(cafe):
    """The App's copy was edited since the last sync: it cannot stand in for KiotViet's, so
    the family is read and the conflict shows what KiotViet really has."""
    coffee = cafe.app_product("Cà phê sữa đá")
    edited = coffee.variants[0].__class__(**{**coffee.variants[0].__dict__,
                                             "price": Decimal(99000)})
    cafe.catalog.put(Entity.PRODUCT, coffee.__class__(**{**coffee.__dict__,
                                                         "variants": (edited,
                                                                      coffee.variants[1])}))
    _, large = _rows(cafe, "Cà phê sữa đá")
    cafe.sandbox.touch("products", large["id"], basePrice=41000)
    before = len(cafe.sandbox.requests)
    cafe.sync(["product"])
    assert _family_reads(cafe.sandbox, before) == 1
    conflict = m.Conflict.get(m.Conflict.app_id == coffee.key)
    prices = [Decimal(str(v["price"])) for v in json.loads(conflict.pos_data)["variants"]]
    assert prices == [coffee.variants[0].price, Decimal(41000)]


def test_com10_kvf_deleted_variant_leaves_the_family_built_from_the_app_copy(cafe):
    coffee = cafe.app_product("Cà phê sữa đá")
    master, large = _rows(cafe, "Cà phê sữa đá")
    cafe.sandbox.delete("products", large["id"])
    cafe.sandbox.touch("products", master["id"], name="Cà phê sữa đá (mới)")
    assert cafe.sync(["product"]).status == "done"
    after = cafe.catalog.get(Entity.PRODUCT, coffee.key)
    assert after.name == "Cà phê sữa đá (mới)"
    # The removed row is not in what KiotViet was read as: the same as a whole read.
    pos_key = _link_pos(Entity.PRODUCT, coffee.key)
    full = _full_read(cafe, pos_key)
    assert [v.key for v in full.variants] == [str(master["id"])]
    assert _link(pos_key).pos_fingerprint == fingerprint(full)


def test_com10_known_records_tell_linked_products_and_whether_they_stand_in(cafe):
    """The engine's answer: linked ids only, in the POS's ids; an App edit withdraws the
    stand-in but not the knowledge that the product is linked."""
    coffee = cafe.app_product("Cà phê sữa đá")
    knowledge = StoreKnowledge(cafe_ledger(cafe), cafe.catalog, cafe_policies(cafe))
    pos_key = _link_pos(Entity.PRODUCT, coffee.key)
    known = knowledge(Entity.PRODUCT, [pos_key, "999999"])
    assert set(known) == {pos_key}
    assert known[pos_key].as_last_synced
    record = known[pos_key].record
    assert record.key == pos_key and [v.key for v in record.variants] == \
        [v.key for v in coffee.variants]
    assert record.category_keys == tuple(_link_pos(Entity.CATEGORY, c)
                                         for c in coffee.category_keys)
    cafe.catalog.put(Entity.PRODUCT, coffee.__class__(**{**coffee.__dict__, "name": "Khác"}))
    again = knowledge(Entity.PRODUCT, [pos_key])
    assert isinstance(again[pos_key], KnownRecord) and not again[pos_key].as_last_synced


def test_com10_kvf_rows_of_known_rebuild_the_same_product():
    """The App's copy as rows, back through product_from_family: the same product."""
    from contract.records import Product, StockLevel, Variant
    product = Product(key="10", name="Trà đào", description="Ngon", category_keys=("3",),
                      option_names=("Size", "Đá"),
                      variants=(Variant(key="10", sku="TD-M", price=Decimal(30000),
                                        options=("M", "Ít"), stock=(StockLevel("1", Decimal(4)),
                                                                    StockLevel("2", Decimal(0)))),
                                Variant(key="12", sku="TD-L", price=Decimal(35000),
                                        options=("L", ""), unit="ly")),
                      images=("https://cdn/x.jpg",), visible=True)
    rebuilt = kv_mapping.family_from_known([], product)
    assert fingerprint(rebuilt) == fingerprint(product)
    assert rebuilt.variants == product.variants
    app_keys = Product(key="10", name="x", variants=(Variant(key="a1b2"),))
    assert kv_mapping.family_from_known([], app_keys) is None


def cafe_ledger(cafe):
    from app.sync.ledger import Ledger
    return Ledger(cafe.profile)


def cafe_policies(cafe):
    from connectors.kiotviet.platform import KIOTVIET_FNB
    return policies(KIOTVIET_FNB, profile_options(cafe.profile, KIOTVIET_FNB))


def _link_pos(entity: Entity, app_id: str) -> str:
    return m.Link.get((m.Link.entity == entity.value) & (m.Link.app_id == app_id)).pos_id


# -- Nhanh (NH-08) -----------------------------------------------------------------------

def _children_reads(shop: Shop, since: int) -> int:
    return sum(1 for r in shop.sandbox.requests[since:]
               if b"parentId" in r.content)


@pytest.mark.parametrize("platform_key", ["nhanh-v3", "nhanh-v2"])
def test_nh08_linked_parent_changed_gives_its_skipped_row_without_a_children_read(
        catalog, platform_key):
    shop = Shop(catalog, platform_key, products=60)
    assert shop.sync().status == "done"
    box = shop.sandbox
    parents = sorted(p for p, row in box.product_rows.items() if row["parentId"] <= 0
                     and box._children(p))
    shop.clock.now += 3600
    for i, parent in enumerate(parents[:5]):
        box.edit_product(parent, name=f"Đổi tên {i}")
    shop.events.clear()
    before = len(box.requests)
    assert shop.sync().status == "done"
    assert _children_reads(shop, before) == 0
    skipped = shop.items(entity="product", action="skip", outcome="skipped", rule="NH-08")
    assert sorted(r.pos_id for r in skipped) == sorted(str(p) for p in parents[:5])
    # Create-only: the App keeps its products and their variants as they were.
    for parent in parents[:5]:
        app_id = shop.links(Entity.PRODUCT)[str(parent)]
        product = shop.catalog.get(Entity.PRODUCT, app_id)
        assert not product.name.startswith("Đổi tên") and len(product.variants) > 1
    # Reported once: the same change is not reported again by the next run.
    shop.clock.now += 3600
    shop.events.clear()
    assert shop.sync().status == "done"
    assert not shop.items(entity="product", rule="NH-08")


@pytest.mark.parametrize("platform_key", ["nhanh-v3"])
def test_nh08_parent_the_app_does_not_hold_is_still_read_with_its_children(catalog,
                                                                         platform_key):
    """Not linked (here: its link lost): emitted without its variants it would be created
    variant-less, so its children are read as before."""
    shop = Shop(catalog, platform_key, products=60)
    assert shop.sync().status == "done"
    box = shop.sandbox
    parent = next(p for p, row in sorted(box.product_rows.items())
                  if row["parentId"] <= 0 and box._children(p))
    m.Link.delete().where((m.Link.entity == Entity.PRODUCT.value)
                          & (m.Link.pos_id == str(parent))).execute()
    shop.clock.now += 3600
    box.edit_product(parent, name="Sản phẩm lại về")
    shop.events.clear()
    before = len(box.requests)
    assert shop.sync().status == "done"
    assert _children_reads(shop, before) == 1
    app_id = shop.links(Entity.PRODUCT)[str(parent)]
    product = shop.catalog.get(Entity.PRODUCT, app_id)
    assert len(product.variants) == len(box._children(parent))
