"""Stock reads (issue 19 point 4): inventory_levels asked with the largest batch (one setting,
UNVERIFIED value), one level per item and location, and no stock lost if a store reads fewer
ids per call than the setting."""
from __future__ import annotations

import math

import pytest

from contract.records import Entity
from connectors.sapo import client
from connectors.sapo.sandbox import sapo_sandbox
from tests.connectors.sapo.conftest import FakeClock, build_connector, collect, run


def pulled(products: int, **kwargs):
    clock = FakeClock()
    sandbox = sapo_sandbox(seed=2, products=products, clock=clock, **kwargs)
    sapo = build_connector(sandbox.transport(), clock=clock)
    records = [p for page in run(collect(sapo, Entity.PRODUCT)) for p in page.records]
    return sandbox, records


def expected_stock(sandbox):
    return {str(v["id"]): [sandbox.available(v["inventory_item_id"], loc["id"])
                           for loc in sandbox.locations]
            for pid in sandbox.product_ids for v in sandbox.product(pid)["variants"]}


def test_sapo_stock_is_read_with_the_largest_batch_one_call_per_location_per_batch():
    sandbox, records = pulled(500, location_count=2)
    items = sum(len(sandbox.product(pid)["variants"]) for pid in sandbox.product_ids)
    reads = [r for r in sandbox.requests if r.url.path == "/admin/inventory_levels.json"]
    assert client.INVENTORY_IDS_PER_REQUEST == 250
    assert max(len(r.url.params["inventory_item_ids"].split(",")) for r in reads) == 250
    # Per product page (250 products), each location reads ceil(items on the page / 250).
    pages = [sum(len(sandbox.product(pid)["variants"]) for pid in sandbox.product_ids[k:k + 250])
             for k in range(0, 500, 250)]
    assert len(reads) == 2 * sum(math.ceil(n / 250) for n in pages)
    assert len(reads) < 2 * math.ceil(items / 40)         # the old 40-id batches
    got = {v.key: [float(s.available) for s in v.stock] for p in records for v in p.variants}
    assert got == expected_stock(sandbox)


@pytest.mark.parametrize("read", [40, 100])
def test_sapo_a_store_reading_fewer_ids_per_call_still_gives_every_items_stock(read):
    sandbox, records = pulled(300, location_count=2, inventory_ids_read=read)
    got = {v.key: [float(s.available) for s in v.stock] for p in records for v in p.variants}
    assert got == expected_stock(sandbox)
