"""Ids inside records, translated between the App and the POS through links.

A POS product names its categories by POS id; in the App the same product must name them by
App id, and the other way round when pushing. A reference nobody has linked yet is dropped on
pull (the merge then keeps what the App had, COM-05) and reported to the caller on push.
"""
from __future__ import annotations

import dataclasses
from typing import Protocol

from contract.records import (Category, Entity, Order, OrderLine, Product, Record, StockLevel,
                        Variant, evolve)


class KeyMap(Protocol):
    def app_id(self, entity: Entity, pos_id: str) -> str | None: ...

    def pos_id(self, entity: Entity, app_id: str) -> str | None: ...


@dataclasses.dataclass
class Translation:
    record: Record
    missing: list[tuple[Entity, str]] = dataclasses.field(default_factory=list)


def references(record: Record) -> list[tuple[Entity, str]]:
    """Every (entity, id) a record names, so a whole page's ids can be looked up at once."""
    refs: list[tuple[Entity, str]] = []
    if isinstance(record, Category):
        refs.append((Entity.CATEGORY, record.parent_key or ""))
    elif isinstance(record, Product):
        refs.extend((Entity.CATEGORY, c) for c in record.category_keys)
        refs.extend((Entity.BRANCH, s.branch_key) for v in record.variants for s in v.stock)
    elif isinstance(record, Order):
        refs.append((Entity.CUSTOMER, record.customer_key))
        refs.append((Entity.BRANCH, record.branch_key))
        refs.extend((Entity.PRODUCT, line.product_key) for line in record.lines)
    return [ref for ref in refs if ref[1]]


def to_app(entity: Entity, record: Record, keys: KeyMap, app_key: str) -> Translation:
    """The POS record with App ids inside, keyed `app_key`."""
    return _translate(entity, record, keys.app_id, app_key, pulled=True)


def to_pos(entity: Entity, record: Record, keys: KeyMap, pos_key: str = "") -> Translation:
    """The App record with POS ids inside, keyed `pos_key` ('' for a create)."""
    return _translate(entity, record, keys.pos_id, pos_key)


def _translate(entity: Entity, record: Record, lookup, new_key: str,
               pulled: bool = False) -> Translation:
    missing: list[tuple[Entity, str]] = []

    def one(ref_entity: Entity, value: str) -> str:
        if not value:
            return ""
        found = lookup(ref_entity, value)
        if found is None:
            missing.append((ref_entity, value))
            return ""
        return found

    changes: dict = {"key": new_key}
    if isinstance(record, Category):
        changes["parent_key"] = one(Entity.CATEGORY, record.parent_key or "") or None
    elif isinstance(record, Product):
        changes["category_keys"] = tuple(k for k in (one(Entity.CATEGORY, c)
                                                     for c in record.category_keys) if k)
        changes["variants"] = tuple(_variant(v, one) for v in record.variants)
    elif isinstance(record, Order):
        changes["customer_key"] = one(Entity.CUSTOMER, record.customer_key)
        changes["branch_key"] = one(Entity.BRANCH, record.branch_key)
        changes["lines"] = tuple(_line(line, one, pulled) for line in record.lines)
    return Translation(evolve(record, **changes), missing)


def _variant(variant: Variant, one) -> Variant:
    stock = tuple(StockLevel(key, s.available) for s in variant.stock
                  if (key := one(Entity.BRANCH, s.branch_key)))
    return evolve(variant, stock=stock)


def _line(line: OrderLine, one, pulled: bool = False) -> OrderLine:
    product = one(Entity.PRODUCT, line.product_key)
    # Variant ids are not linked one by one. A pulled line keeps the POS's variant id when its
    # product is linked: a product pulled from the POS keeps the POS's variant ids as its own,
    # and the line names which variant was sold (issue 19). A pushed line drops it: the POS
    # side finds its variant from the linked product and the SKU.
    return evolve(line, product_key=product, variant_key=line.variant_key if pulled and product else "")
