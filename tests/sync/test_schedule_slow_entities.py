"""COM-10 on a 1-minute schedule: branches, categories and news (rarely changed) are read by
scheduled runs at most every 15 minutes; a record that names one the App does not know yet
has it read at once, in the same run, so no reference is ever dropped."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from app.sync.schedule import SLOW_REFRESH
from contract.records import Branch, Category, Entity, Product, Variant

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


def scheduled(shop, at, **kwargs):
    """A run as the scheduler makes it: every entity, deletions scanned when due."""
    engine = shop.engine(clock=lambda: at)
    return asyncio.run(engine.run(None, **kwargs))


def pulled(shop):
    return [detail[0] for method, detail in shop.pos.calls if method == "pull"]


def test_com10_scheduled_runs_read_slow_entities_at_most_every_15_minutes(shop):
    shop.pos.fixed_now = T0
    shop.pos.put(Entity.CATEGORY, Category(key="", name="Đồ uống"))
    scheduled(shop, T0)
    assert Entity.CATEGORY in pulled(shop) and Entity.BRANCH in pulled(shop)
    shop.pos.calls.clear()
    scheduled(shop, T0 + timedelta(minutes=1))
    assert Entity.CATEGORY not in pulled(shop) and Entity.BRANCH not in pulled(shop)
    assert Entity.PRODUCT in pulled(shop) and Entity.ORDER in pulled(shop)
    shop.pos.calls.clear()
    scheduled(shop, T0 + SLOW_REFRESH + timedelta(seconds=1))
    assert Entity.CATEGORY in pulled(shop) and Entity.BRANCH in pulled(shop)


def test_com10_a_product_in_a_new_category_has_the_category_read_in_the_same_run(shop):
    shop.pos.fixed_now = T0
    scheduled(shop, T0)
    later = T0 + timedelta(minutes=1)
    shop.pos.fixed_now = later
    drinks = shop.pos.put(Entity.CATEGORY, Category(key="", name="Trà"))
    shop.pos.put(Entity.PRODUCT, Product(key="", name="Trà đào", category_keys=(drinks.key,),
                                         variants=(Variant(key="v", sku="TD-1"),)))
    shop.pos.calls.clear()
    scheduled(shop, later)
    assert pulled(shop).count(Entity.CATEGORY) >= 1
    [product] = [p for p in shop.catalog.iter_records(Entity.PRODUCT)]
    [category] = [c for c in shop.catalog.iter_records(Entity.CATEGORY)]
    assert product.category_keys == (category.key,) and category.name == "Trà"


def test_com10_stock_at_a_new_branch_has_the_branch_read_in_the_same_run(shop):
    from contract.records import StockLevel
    from decimal import Decimal
    shop.pos.fixed_now = T0
    scheduled(shop, T0)
    later = T0 + timedelta(minutes=2)
    shop.pos.fixed_now = later
    branch = shop.pos.put(Entity.BRANCH, Branch(key="", name="Chi nhánh Quận 3"))
    shop.pos.put(Entity.PRODUCT, Product(key="", name="Bánh flan", variants=(
        Variant(key="v", sku="BF-1", stock=(StockLevel(branch_key=branch.key,
                                                       available=Decimal(7)),)),)))
    scheduled(shop, later)
    [product] = list(shop.catalog.iter_records(Entity.PRODUCT))
    [app_branch] = list(shop.catalog.iter_records(Entity.BRANCH))
    assert [(s.branch_key, s.available) for s in product.variants[0].stock] == [
        (app_branch.key, Decimal(7))]


def test_com10_a_run_the_owner_starts_reads_every_entity(shop):
    shop.pos.fixed_now = T0
    scheduled(shop, T0)
    shop.pos.calls.clear()
    scheduled(shop, T0 + timedelta(minutes=1), scan_deletions=True)
    assert Entity.CATEGORY in pulled(shop) and Entity.BRANCH in pulled(shop)
    shop.pos.calls.clear()
    asyncio.run(shop.engine(clock=lambda: T0 + timedelta(minutes=2)).run(
        [Entity.CATEGORY]))
    assert pulled(shop) == [Entity.CATEGORY]

