"""What the App already holds of the POS's records, as a connector may ask before a pull
(`Connector.know_records`, issue 21): an incremental run then need not re-read, record by
record, what the App already has of a changed, linked record."""
from __future__ import annotations

from typing import Collection, Mapping

from contract.connector import KnownRecord
from contract.records import Entity, Record
from app.sync.ledger import Ledger
from app.sync.policy import EntityPolicy
from app.sync.translate import references, to_pos


class _LinkedIds:
    """POS ids of the references of a few App records, read in one query per entity."""

    def __init__(self, ledger: Ledger, records: Collection[Record]) -> None:
        wanted: dict[Entity, set[str]] = {}
        for record in records:
            for entity, app_id in references(record):
                wanted.setdefault(entity, set()).add(app_id)
        self._pos = {(entity, app_id): link.pos_id
                     for entity, ids in wanted.items()
                     for app_id, link in ledger.links_by_app(entity, ids).items()}

    def pos_id(self, entity: Entity, app_id: str) -> str | None:
        return self._pos.get((entity, app_id))

    def app_id(self, entity: Entity, pos_id: str) -> str | None:   # KeyMap; unused here
        return None


class StoreKnowledge:
    """The engine's answer to `KnownRecords`: reads links and App records, never the POS."""

    def __init__(self, ledger: Ledger, catalog, policies: Mapping[Entity, EntityPolicy]) -> None:
        self.ledger, self.catalog, self.policies = ledger, catalog, policies

    def __call__(self, entity: Entity, pos_keys: Collection[str]) -> dict[str, KnownRecord]:
        links = {pos_id: link for pos_id, link in self.ledger.links_by_pos(entity, pos_keys).items()
                 if link.pos_deleted_at is None}
        apps = self.catalog.get_many(entity, [link.app_id for link in links.values()])
        ids = _LinkedIds(self.ledger, apps.values())
        policy = self.policies.get(entity)
        known: dict[str, KnownRecord] = {}
        for pos_id, link in links.items():
            app = apps.get(link.app_id)
            if app is None:
                continue          # deleted in the App: the pull reports it from the link
            translation = to_pos(entity, app, ids, pos_id)
            # The App copy stands in for the POS's only when neither side's synced fields
            # moved apart since the last sync: equal fingerprints then and now, and every
            # reference in it still names a linked POS record.
            same = (policy is not None and not translation.missing
                    and link.app_fingerprint == link.pos_fingerprint
                    and policy.comparable(app) == link.app_fingerprint)
            known[pos_id] = KnownRecord(translation.record, same)
        return known
