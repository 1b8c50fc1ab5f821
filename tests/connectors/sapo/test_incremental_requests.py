"""Incremental pulls near the request minimum (issue 21, Sapo part): the way each changed
product's collections are read is chosen once per pull from the number that changed, not per
page. Request counts are pinned at a small size so a regression fails the suite."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from contract.records import Entity
from connectors.sapo.sandbox import sapo_sandbox
from tests.connectors.sapo.conftest import FakeClock, build_connector, collect, run


def changed_pull(products: int, changed: int, locations: int = 2):
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=5, products=products, clock=clock, location_count=locations)
    since = datetime.fromtimestamp(clock(), timezone.utc)
    clock.advance(60)
    step = products // changed
    for k in range(changed):
        sandbox.edit_product(100_000 + k * step, name=f"Đã sửa {k}")
    clock.advance(60)
    sapo = build_connector(sandbox.transport(), clock=clock)
    sent = len(sandbox.requests)
    pages = run(collect(sapo, Entity.PRODUCT, since=since - timedelta(seconds=1)))
    records = [p for page in pages for p in page.records]
    paths = Counter(r.url.path for r in sandbox.requests[sent:])
    return sandbox, records, paths


def test_com10_50_changes_of_2000_products_cost_the_fewest_requests():
    sandbox, records, paths = changed_pull(2000, 50)
    assert len(records) == 50
    assert all(p.category_keys for p in records)
    # 1 page of changed products + 1 locations + 2 locations × 1 stock batch (≤ 250 items)
    # + collections: 1 list + 1 count + 2,000 collects read in 8 pages and the empty 9th
    # (a scan beats 8 collections + 1 page, and 50 look-ups one by one).
    assert dict(paths) == {"/admin/products.json": 1, "/admin/locations.json": 1,
                           "/admin/inventory_levels.json": 2,
                           "/admin/custom_collections.json": 1, "/admin/collects/count.json": 1,
                           "/admin/collects.json": 9}
    assert sum(paths.values()) == 15


def test_com10_few_changes_are_looked_up_one_by_one():
    _, records, paths = changed_pull(2000, 3)
    assert len(records) == 3 and paths["/admin/collects.json"] == 3
    assert "/admin/custom_collections.json" not in paths and "/admin/collects/count.json" not in paths


@pytest.mark.slow
def test_com10_1000_changes_of_100k_read_collections_per_collection_not_per_product():
    sandbox, records, paths = changed_pull(100_000, 1000)
    assert len(records) == 1000
    categories = {p.key: p.category_keys for p in records}
    assert all(len(keys) == 1 for keys in categories.values())
    # Per collection (one page per 250 changed products in it, and the short last one)
    # instead of 1,000 look-ups one by one or a 400-page scan of every collect.
    per_collection = Counter(keys[0] for keys in categories.values())
    assert "/admin/collects.json" not in paths
    assert paths["/admin/products.json"] == 4 + sum(n // 250 + 1 for n in per_collection.values()) \
        + (len(sandbox.collections) - len(per_collection))
    assert sum(paths.values()) <= 4 + 16 + 1 + 1 + 1 + 2 * 8 + 1
