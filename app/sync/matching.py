"""Match before create (COM-02): the same real thing on both sides is linked, never doubled.

Products match by SKU, then barcode; customers by phone, then email; categories by name under
the same parent; orders by the App order number; branches by name. The keys and their one
spelling come from the catalog (app.store.catalog.natural_keys); only the order of trust is
decided here. Towards the POS the connector's own `find()` looks up (pushing.py), because
only it knows the POS's search API.
"""
from __future__ import annotations

from typing import Any, Callable

from contract.records import Entity, Record
from app.store.catalog import natural_keys

# Stronger keys first: a SKU names one product, a barcode may be shared by a pack and a unit.
PRECEDENCE = ("sku", "barcode", "phone", "email", "number", "name")


def match_in_app(catalog: Any, entity: Entity, record: Record,
                 is_free: Callable[[str], bool] = lambda app_id: True,
                 find: Callable[[str, str], list[str]] | None = None) -> str | None:
    """App id of the catalog record that is the same thing as `record` (already carrying App
    ids inside), or None. `is_free` rejects App records already linked to another POS record;
    `find` (kind, value) → App ids replaces the catalog look-up (a page looks up at once)."""
    keys = sorted(natural_keys(entity, record), key=lambda pair: (PRECEDENCE.index(pair[0]),
                                                                  pair[1]))
    find = find or (lambda kind, value: catalog.find(entity, kind, value))
    for kind, value in keys:
        for app_id in find(kind, value):
            if is_free(app_id):
                return app_id
    return None
