"""The one question every reliability test asks at the end: do the App and the POS agree, with
no duplicate and no lost item? Read from the POS afresh (no faults) and from the App catalog +
links."""
from __future__ import annotations

import asyncio
from collections import Counter

from contract.records import Entity
from app.store import models as m
from app.sync.policy import policies, profile_options
from tests.reliability.harness import Shop, pos_keys  # noqa: F401 (ServedShop: crash tests)

CHECKED = (Entity.BRANCH, Entity.CATEGORY, Entity.PRODUCT, Entity.CUSTOMER, Entity.ORDER)


def pulled_entities(shop: Shop) -> list[Entity]:
    rules = policies(shop.platform, profile_options(shop.profile, shop.platform))
    return [e for e in CHECKED if rules[e].pulls]


def read_pos(shop: Shop, entities: list[Entity]) -> dict[Entity, list[str]]:
    async def go() -> dict[Entity, list[str]]:
        connector = shop.connector()
        try:
            return {entity: await pos_keys(connector, entity) for entity in entities}
        finally:
            await connector.aclose()
    saved = (shop.sandbox.fault_rate, tuple(shop.sandbox.pending_faults))
    shop.sandbox.fault_rate = 0.0
    shop.sandbox.pending_faults.clear()
    try:
        return asyncio.run(go())
    finally:
        shop.sandbox.fault_rate = saved[0]


def disagreements(shop: "Shop | ServedShop", app_created: dict[Entity, int] | None = None,
                  only: tuple[Entity, ...] | None = None) -> list[str]:
    """Human-readable differences; [] = the App and the POS agree.

    `app_created`: how many records of an entity the App held before the first sync (created in
    the App, not from the POS); they are allowed on top of the POS ones."""
    problems: list[str] = []
    entities = [e for e in pulled_entities(shop) if only is None or e in only]
    pos = read_pos(shop, entities)
    for entity in entities:
        keys = pos[entity]
        dupes = [k for k, n in Counter(keys).items() if n > 1]
        if dupes:
            problems.append(f"{entity.value}: POS lists {len(dupes)} keys twice: {dupes[:3]}")
        links = {row.pos_id: row.app_id for row in m.Link.select().where(
            (m.Link.entity == entity.value) & (m.Link.profile == shop.profile.id))}
        missing = set(keys) - set(links)
        if missing:
            problems.append(f"{entity.value}: {len(missing)} POS records never reached the App: "
                            f"{sorted(missing)[:3]}")
        app_ids = list(links.values())
        if len(app_ids) != len(set(app_ids)):
            problems.append(f"{entity.value}: two POS records linked to one App record")
        absent = [a for a in app_ids if shop.catalog.get(entity, a) is None]
        if absent:
            problems.append(f"{entity.value}: {len(absent)} links point at no App record")
        expected = len(set(keys)) + (app_created or {}).get(entity, 0)
        count = shop.catalog.count(entity)
        if count != expected:
            problems.append(f"{entity.value}: App holds {count} records, expected {expected} "
                            f"(duplicate or lost)")
    return problems
