"""COM-04: changed on both sides = conflict; nothing overwritten; keep App / keep POS / skip."""
from __future__ import annotations

import asyncio
import dataclasses

import pytest

from contract.records import Customer, Entity
from app.store import models as m
from app.sync.conflicts import open_conflicts
from app.sync.events import ConflictRaised


@pytest.fixture
def conflicted(shop):
    pos_record = shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678",
                                                        address="Quận 1"))
    shop.sync([Entity.CUSTOMER])
    app = next(shop.catalog.iter_records(Entity.CUSTOMER))
    shop.catalog.put(Entity.CUSTOMER, dataclasses.replace(app, address="Quận 3 (App)"))
    shop.pos.put(Entity.CUSTOMER, dataclasses.replace(pos_record, address="Quận 5 (POS)"))
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    return shop, app.key, pos_record.key


def test_com04_changed_on_both_sides_is_a_conflict_and_nothing_is_overwritten(conflicted):
    """COM-04."""
    shop, app_id, pos_id = conflicted
    assert shop.catalog.get(Entity.CUSTOMER, app_id).address == "Quận 3 (App)"
    assert shop.pos.records[Entity.CUSTOMER][pos_id].address == "Quận 5 (POS)"
    assert shop.pos.updated == []
    [row] = shop.items(entity="customer")
    assert (row.action, row.rule) == ("conflict", "COM-04")
    [raised] = [e for e in shop.events if isinstance(e, ConflictRaised)]
    [stored] = open_conflicts(shop.profile.id)
    assert stored.id == raised.conflict_id and "address" in stored.differing
    # Later runs leave it alone until the user decides.
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    assert shop.pos.updated == []
    assert shop.catalog.get(Entity.CUSTOMER, app_id).address == "Quận 3 (App)"


def _resolve(shop, keep):
    [conflict] = open_conflicts(shop.profile.id)
    return asyncio.run(shop.engine().resolve_conflict(conflict.id, keep))


def test_com04_keep_pos_writes_pos_values_into_the_app(conflicted):
    """COM-04."""
    shop, app_id, pos_id = conflicted
    result = _resolve(shop, "pos")
    assert result.outcome == "ok"
    assert shop.catalog.get(Entity.CUSTOMER, app_id).address == "Quận 5 (POS)"
    assert open_conflicts(shop.profile.id) == []
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    assert shop.items() == []


def test_com04_keep_app_pushes_app_values_to_the_pos(conflicted):
    """COM-04."""
    shop, app_id, pos_id = conflicted
    _resolve(shop, "app")
    assert shop.pos.records[Entity.CUSTOMER][pos_id].address == "Quận 3 (App)"
    assert m.Conflict.get().resolution == "app"
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    assert shop.items() == []


def test_com04_skip_closes_and_rebaselines_without_writing(conflicted):
    """COM-04."""
    shop, app_id, pos_id = conflicted
    _resolve(shop, "skip")
    assert shop.catalog.get(Entity.CUSTOMER, app_id).address == "Quận 3 (App)"
    assert shop.pos.records[Entity.CUSTOMER][pos_id].address == "Quận 5 (POS)"
    shop.events.clear()
    shop.sync([Entity.CUSTOMER])
    assert shop.items() == [] and shop.pos.updated == []


def test_com04_pos_change_seen_while_pushing_an_app_edit_is_a_conflict(shop):
    """COM-04."""
    pos_record = shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    shop.sync([Entity.CUSTOMER])
    app = next(shop.catalog.iter_records(Entity.CUSTOMER))
    shop.catalog.put(Entity.CUSTOMER, dataclasses.replace(app, note="App note"))
    # Changed on the POS after the pull of this run began: only the push step can see it.
    shop.pos.records[Entity.CUSTOMER][pos_record.key] = dataclasses.replace(pos_record,
                                                                            note="POS note")
    shop.pos.changed_at[(Entity.CUSTOMER, pos_record.key)] = shop.pos.now.replace(year=2000)
    shop.sync([Entity.CUSTOMER])
    assert shop.pos.updated == []
    assert shop.items(action="conflict")[0].rule == "COM-04"
