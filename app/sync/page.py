"""One page of a pull, read and written as a whole.

Everything a page's items need from the store (their links, the App records behind them, the
ids their references name, the App records they may match by SKU/phone/…) is read in a few
queries before the first item is decided; everything they write (App records, links, undo
rows, result rows) is kept here and written in a few statements at the end of the page, in
the same transaction as the page's checkpoint (COM-09). Per-item queries made a 100,000
product first pull spend most of its time building SQL.

Items decided later in the page see what earlier ones did: a new link is visible at once
(a child category finds the parent created just before it) and an App record linked in this
page is no longer free to match. An App record written in this page is always linked in it,
so reading the catalog as it was when the page began never matches it by mistake.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping

from contract.records import Entity, Record
from app.store import models as m
from app.store.catalog import IdAllocator, natural_keys, serialise
from app.sync.ledger import Ledger
from app.sync.matching import match_in_app
from app.sync.translate import references, to_app


class PageWrites:
    def __init__(self, catalog: Any, ledger: Ledger, entity: Entity, run: m.Run,
                 clock: Callable[[], datetime]) -> None:
        self.catalog, self.ledger, self.entity, self.run = catalog, ledger, entity, run
        self.clock = clock
        self.links: dict[str, m.Link] = {}            # POS id → link (read or new)
        self.new_by_app: dict[str, m.Link] = {}
        self.refs: dict[tuple[Entity, str], str] = {}
        self.apps: dict[str, Record] = {}
        self.found: dict[tuple[str, str], list[str]] = {}
        self.made_from: Mapping[str, str] = {}       # unlinked POS id → App id it was made from
        self.searched: set[tuple[str, str]] = set()
        self.linked_candidates: set[str] = set()
        self.checked_candidates: set[str] = set()
        self.ids: IdAllocator | None = None
        self.new_links: list[m.Link] = []
        self.changed_links: dict[int, m.Link] = {}
        self.records: list[tuple[Record, str, str]] = []
        self.changes: list[tuple] = []
        self.results: list[tuple] = []

    # -- reading, before the first item -------------------------------------------------------
    def prefetch(self, records: list[Record], deleted: Iterable[str],
                 made_from: Mapping[str, str] | None = None) -> None:
        entity = self.entity
        self.links = self.ledger.links_by_pos(entity, [r.key for r in records] + list(deleted))
        self.refs = self.ledger.app_ids(ref for r in records for ref in references(r))
        linked = [link.app_id for link in self.links.values()]
        self.apps = dict.fromkeys(linked)          # None = deleted in the App
        self.apps.update(self.catalog.get_many(entity, linked))
        unlinked = [r for r in records if r.key not in self.links]
        if not unlinked:
            return
        pairs: set[tuple[str, str]] = set()
        for record in unlinked:
            # Only a category's key (name under its parent) depends on translated ids.
            keyed = to_app(entity, record, self, "").record if entity is Entity.CATEGORY \
                else record
            pairs |= natural_keys(entity, keyed)
        self.found = self.catalog.find_many(entity, pairs)
        self.searched = pairs
        made_from = made_from or {}
        self.made_from = {r.key: made_from[r.key] for r in unlinked if made_from.get(r.key)}
        made = set(self.made_from.values())
        candidates = {app_id for ids in self.found.values() for app_id in ids} | made
        self.checked_candidates = candidates
        self.linked_candidates = self.ledger.linked_app_ids(entity, candidates)
        free = [c for c in candidates if c not in self.linked_candidates]
        # An App id a POS record names may be gone from the App: None, like a deleted one.
        self.apps.update(dict.fromkeys(c for c in free if c in made))
        self.apps.update(self.catalog.get_many(entity, free))

    # -- KeyMap (app.sync.translate) ------------------------------------------------------------
    def app_id(self, entity: Entity, pos_id: str) -> str | None:
        if entity is self.entity:
            link = self.links.get(pos_id)
            if link is not None:
                return link.app_id
        return self.refs.get((entity, pos_id))

    def pos_id(self, entity: Entity, app_id: str) -> str | None:
        return self.ledger.pos_id(entity, app_id)

    # -- what items ask -------------------------------------------------------------------------
    def link_by_pos(self, pos_id: str) -> m.Link | None:
        return self.links.get(pos_id)

    def app(self, app_id: str) -> Record | None:
        if app_id not in self.apps:
            self.apps[app_id] = self.catalog.get(self.entity, app_id)
        return self.apps[app_id]

    def match(self, record: Record) -> str | None:
        """COM-02 over the prefetched look-ups; anything not prefetched asks the store."""
        return match_in_app(self.catalog, self.entity, record, self._is_free, self._find)

    def made_from_app(self, pos_id: str) -> str | None:
        """The App record this POS record was made from, while it is still in the App and
        not linked to another POS record (then the natural keys decide, as for any other)."""
        app_id = self.made_from.get(pos_id)
        if app_id is None or not self._is_free(app_id) or self.app(app_id) is None:
            return None
        return app_id

    def _find(self, kind: str, value: str) -> list[str]:
        if (kind, value) in self.searched:
            return self.found.get((kind, value), [])
        return self.catalog.find(self.entity, kind, value)

    def _is_free(self, app_id: str) -> bool:
        if app_id in self.new_by_app:
            return False
        if app_id in self.checked_candidates:
            return app_id not in self.linked_candidates
        return self.ledger.link_by_app(self.entity, app_id) is None

    # -- writing ----------------------------------------------------------------------------------
    def put(self, entity: Entity, before: Record | None, after: Record, origin: str) -> Record:
        """An App write and its undo row (B-02); a new record gets its App id now. (`entity`
        is the page's own: the same call as `StoreWrites.put`.)"""
        assert entity is self.entity, (entity, self.entity)
        if not after.key:
            self.ids = self.ids or self.catalog.id_allocator(self.entity)
            after = dataclasses.replace(after, key=self.ids.next())
        data = serialise(after)
        self.records.append((after, origin, data))
        self.changes.append((self.run.id, self.entity.value, after.key,
                             None if before is None else serialise(before), data, self.clock()))
        self.apps[after.key] = after
        return after

    def save_link(self, app_id: str, pos_id: str, app_fp: str, pos_fp: str,
                  pushed_status: str | None) -> m.Link:
        link = self.new_by_app.get(app_id) or self.links.get(pos_id)
        if link is None:
            link = m.Link(profile=self.ledger.profile, entity=self.entity.value,
                          pushed_status="")
            self.new_links.append(link)
        link.app_id, link.pos_id = app_id, pos_id
        link.app_fingerprint, link.pos_fingerprint = app_fp, pos_fp
        link.synced_at = self.clock()
        link.pos_deleted_at = None
        if pushed_status is not None:
            link.pushed_status = pushed_status
        self.links[pos_id] = link
        self.new_by_app[app_id] = link
        self.touch(link)
        return link

    def change_link(self, link: m.Link, **changes) -> None:
        """Change a read link; it is written with the page, through the ledger."""
        for name, value in changes.items():
            setattr(link, name, value)
        self.touch(link)

    def touch(self, link: m.Link) -> None:
        """A read link changed (new links are written with their final values anyway)."""
        if link.id is not None:
            self.changed_links[link.id] = link

    def result(self, row: tuple) -> None:
        self.results.append(row)

    def write(self) -> None:
        """Everything of the page, inside the caller's transaction."""
        if self.records:
            self.catalog.write_serialised(self.entity, self.records)
        if self.ids is not None:
            self.ids.save()
        self.ledger.write_links(self.new_links, self.changed_links.values())
        self.ledger.add_changes(self.changes)
        self.ledger.add_results(self.results)
