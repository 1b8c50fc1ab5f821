"""Request counts of incremental runs, pinned at a small size (issue 21: "tests pin the request
counts of the incremental cases at a small size so a regression fails the suite").

2,000 products on each platform's sandbox, first sync untimed, then k products changed on the
POS and the next run counted through the real engine with rate limits on. `fewest` is the
bench's formula (bench/bench_incremental.py: the no-change run's fixed reads + the further pages
of changed products + Sapo's stock reads); KiotViet and Nhanh must sit on it (goal ≤ 1.1).
"""
from __future__ import annotations

from collections import Counter

import pytest

from bench.bench_incremental import GOAL, branches, edit, fewest
from contract.records import Entity
from tests.reliability.harness import Shop

N = 2000


def _counted_run(shop: Shop) -> tuple[int, Counter]:
    shop.clock.now += 3600
    seen, before = len(shop.sandbox.requests), shop.requests_sent
    shop.events.clear()
    assert shop.sync().status == "done"
    return (shop.requests_sent - before,
            Counter(f"{r.method} {r.url.path}" for r in shop.sandbox.requests[seen:]))


def _shop(catalog, platform_key: str) -> Shop:
    shop = Shop(catalog, platform_key, seed=1, products=N, rate_limits=True)
    assert shop.sync().status == "done"
    return shop


def _kiotviet_variant_edits(shop: Shop, k: int) -> None:
    """k variant rows (not masters) changed alone, each of another family, and one variant
    added to a linked family: none of them may cost a family read."""
    box = shop.sandbox
    rows = box.tables["products"]
    variants = sorted(r for r, row in rows.items() if row.get("masterProductId"))
    by_family: dict[int, int] = {}
    for row_id in variants:
        by_family.setdefault(rows[row_id]["masterProductId"], row_id)
    chosen = sorted(by_family.values())[:k]
    for row_id in chosen:
        box.touch("products", row_id, basePrice=rows[row_id]["basePrice"] + 500)
    master = rows[rows[chosen[0]]["masterProductId"]]
    box._product(name=master["name"], code="PIN-NEW", price=9000,
                 category=master["categoryId"], attributes=[("Size", "XXL")],
                 master=master["id"], when=box.clock())


# platform → (requests with nothing changed, with 50 changed): measured 2026-12-06 and pinned.
PINNED = {"sapo": (10, 23), "kiotviet-fnb": (6, 6), "kiotviet-retail": (6, 6),
          "nhanh-v3": (4, 4), "nhanh-v2": (4, 4)}


@pytest.mark.slow
@pytest.mark.parametrize("platform_key", sorted(PINNED))
def test_com10_50_changes_of_2000_products_cost_the_pinned_requests(catalog, platform_key):
    shop = _shop(catalog, platform_key)
    nothing, _ = _counted_run(shop)
    variants = edit(shop, 50, 1)
    changed, paths = _counted_run(shop)
    assert (nothing, changed) == PINNED[platform_key], paths
    if platform_key == "sapo":
        # Sapo's gap to the formula is its collection reads (products do not say their
        # collections): pinned, not yet at the goal (docs/performance/incremental.md).
        assert paths["GET /admin/collects.json"] == 9
    else:
        assert changed <= GOAL * fewest(platform_key, 50, nothing, variants, branches(shop))
    taken = shop.items(entity="product", direction="pos_to_app")
    assert len({item.pos_id for item in taken}) == 50


@pytest.mark.slow
@pytest.mark.parametrize("platform_key", ["kiotviet-fnb", "kiotviet-retail"])
def test_kvf_variants_changed_alone_and_a_new_variant_cost_no_family_read(catalog, platform_key):
    shop = _shop(catalog, platform_key)
    _kiotviet_variant_edits(shop, 50)
    changed, paths = _counted_run(shop)
    assert changed == 6 and paths["GET /products"] == 1, paths
    updated = shop.items(entity="product", action="update")
    assert len(updated) == 50
    new = [v for p in shop.catalog.iter_records(Entity.PRODUCT) for v in p.variants
           if v.sku == "PIN-NEW"]
    assert len(new) == 1


@pytest.mark.slow
@pytest.mark.parametrize("platform_key", ["kiotviet-fnb", "nhanh-v3", "nhanh-v2"])
def test_com10_nh08_kvf_250_changes_cost_one_request_per_further_page(catalog, platform_key):
    shop = _shop(catalog, platform_key)
    nothing, _ = _counted_run(shop)
    edit(shop, 250, 1)
    changed, paths = _counted_run(shop)
    assert changed == fewest(platform_key, 250, nothing) == nothing + 2, paths
