"""App catalog at shop scale: write 100k products, then search and page as the App data view
does. Fixed seed; prints milliseconds and the ratio of a searched page to an unsearched one
(the trigram index keeps it a small constant, not a function of the catalog size).

    PYTHONPATH=. python bench/catalog_search.py [rows]
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from contract.records import Entity, Product, Variant
from app.store.catalog import Catalog
from app.store.connection import open_store

WORDS = ["Cà phê", "Trà", "Sữa", "Bánh mì", "Áo thun", "Quần jean", "Nước cam", "Đá xay",
         "Kem", "Sinh tố"]


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return (time.perf_counter() - start) * 1000, result


def main(rows: int = 100_000) -> None:
    rng = random.Random(7)
    folder = Path(tempfile.mkdtemp(prefix="shopsync-bench-"))
    db = open_store(folder / "bench.db")
    catalog = Catalog(db)
    products = [Product(f"P{i:06d}", f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}",
                        variants=(Variant("v", sku=f"SP{i:06d}", barcode=f"893{i:09d}",
                                          price=Decimal(i)),)) for i in range(rows)]
    write_ms, _ = timed(lambda: catalog.put_many(Entity.PRODUCT, products))
    print(f"write {rows} products: {write_ms / 1000:.2f} s "
          f"({write_ms * 1000 / rows:.0f} µs per product)")
    base_ms, _ = timed(lambda: (catalog.count(Entity.PRODUCT),
                                catalog.list(Entity.PRODUCT, limit=100, offset=500)))
    print(f"unsearched count + page of 100: {base_ms:.1f} ms")
    for query in ("ca phe", "SP0999", "kem 12345"):
        ms, (count, _) = timed(lambda: (catalog.count(Entity.PRODUCT, query),
                                        catalog.list(Entity.PRODUCT, query, limit=100)))
        print(f"search {query!r}: {count} rows, {ms:.1f} ms, ×{ms / base_ms:.1f} unsearched")
    ms, found = timed(lambda: catalog.find(Entity.PRODUCT, "sku", "sp012345"))
    print(f"match by SKU: {found} in {ms:.2f} ms")
    db.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
