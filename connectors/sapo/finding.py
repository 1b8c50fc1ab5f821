"""Looking App products up on Sapo before creating them (COM-02) in as few calls as Sapo allows.

Sapo searches one value per call (`query=`, which matches product names, not SKUs), so looking
each new product up on its own costs one call per product, and the SKUs are compared here. When a batch would need more searches than reading Sapo's whole
product list takes, the list is read once and the batch is matched here instead.

The index answers only the look-ups it was built for, and each of them once: a product created
after the list was read is not in it, so any later look-up (after a lost answer, say) asks Sapo.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from contract.records import Product, text

KEY_FIELDS = ("sku", "barcode")   # COM-02 order: SKU first, then barcode


def wanted_keys(records: Iterable[Product]) -> set[tuple[str, str]]:
    return {(field, value) for record in records for variant in record.variants
            for field in KEY_FIELDS if (value := getattr(variant, field))}


def has_key(record: Product) -> bool:
    """A product with no SKU and no barcode cannot be looked up (and costs no search)."""
    return any(v.sku or v.barcode for v in record.variants)


class ProductIndex:
    """Sapo product rows by the SKUs and barcodes a batch of App products carries."""

    def __init__(self, records: Sequence[Product]) -> None:
        self._wanted = wanted_keys(records)
        self._pending = {record.key for record in records}
        self._rows: dict[tuple[str, str], Mapping] = {}

    def add(self, rows: Iterable[Mapping]) -> None:
        """Keep only the rows a wanted key points at: memory stays small on a big catalog."""
        for row in rows:
            for variant in row.get("variants") or []:
                for field in KEY_FIELDS:
                    key = (field, text(variant.get(field)))
                    if key in self._wanted:
                        self._rows.setdefault(key, row)

    def take(self, record: Product) -> tuple[bool, Mapping | None]:
        """(served, row). served is False when this index was not built for `record` (or has
        already answered for it): the caller then asks Sapo."""
        if record.key not in self._pending:
            return False, None
        self._pending.discard(record.key)
        for field in KEY_FIELDS:
            for value in dict.fromkeys(getattr(v, field) for v in record.variants):
                if value and (field, value) in self._rows:
                    return True, self._rows[(field, value)]
        return True, None
