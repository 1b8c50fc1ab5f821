"""Match before create (COM-02): the same real thing on both sides is linked, never doubled.

Products match by SKU, then barcode; customers by phone, then email; categories by name under
the same parent; orders by the App order number; branches by name. Spelling (phone
forms, case) is normalised by the catalog (app.store.catalog.match_value). Towards the POS the
connector's own `find()` looks up, because only it knows the POS's search API.
"""
from __future__ import annotations

from typing import Any, Callable

from app.domain import (Branch, Category, Customer, Entity, Order, Product, Record,
                        text)
from connectors.base import Connector


def natural_keys(entity: Entity, record: Record) -> list[tuple[str, list[str]]]:
    """(kind, values) pairs in matching order; the first kind that finds something wins."""
    if isinstance(record, Product):
        return [("sku", [v.sku for v in record.variants if text(v.sku)]),
                ("barcode", [v.barcode for v in record.variants if text(v.barcode)])]
    if isinstance(record, Customer):
        return [("phone", [record.phone]), ("email", [record.email])]
    if isinstance(record, Category):
        # The catalog keys a category by "parent|name": same name under another parent is
        # another category.
        return [("name", [f"{record.parent_key or ''}|{text(record.name)}"])]
    if isinstance(record, Order):
        return [("number", [record.number] if text(record.number) else [])]
    if isinstance(record, Branch):
        return [("name", [record.name])]
    return []


def match_in_app(catalog: Any, entity: Entity, record: Record,
                 is_free: Callable[[str], bool] = lambda app_id: True) -> str | None:
    """App id of the catalog record that is the same thing as `record` (already carrying App
    ids inside), or None. `is_free` rejects App records already linked to another POS record."""
    for kind, values in natural_keys(entity, record):
        for value in values:
            value = text(value)
            if not value:
                continue
            for app_id in catalog.find(entity, kind, value):
                if is_free(app_id):
                    return app_id
    return None


async def match_on_pos(connector: Connector, entity: Entity, record: Record) -> Record | None:
    """The POS record that is the same thing as the App `record` (with POS ids inside)."""
    return await connector.find(entity, record)
