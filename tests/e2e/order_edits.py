"""What the platforms' end-to-end tests share about App edits of orders already pushed."""
from __future__ import annotations

import dataclasses
from typing import Any

from contract.records import Entity
from app.store import models as m


def sync_an_app_edit(shop: Any, order_key: str, **changes: Any) -> tuple[list, Any, m.Conflict]:
    """Edit a pushed App order, then run an order sync: the run's requests, the order's one
    result row and its open conflict. `shop` is a platform e2e harness (catalog, sandbox,
    events, sync, items)."""
    pushed = shop.catalog.get(Entity.ORDER, order_key)
    shop.catalog.put(Entity.ORDER, dataclasses.replace(pushed, **changes))
    shop.events.clear()
    sent = len(shop.sandbox.requests)
    assert shop.sync([Entity.ORDER]).status == "done"
    [row] = shop.items(app_id=order_key)
    conflict = m.Conflict.get((m.Conflict.app_id == order_key) & (m.Conflict.status == "open"))
    return shop.sandbox.requests[sent:], row, conflict
