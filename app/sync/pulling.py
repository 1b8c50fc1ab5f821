"""POS → App: read pages, create or update App records, detect POS deletions (COM-01).

A page is decided and written as a whole (page.py): its App writes, links, undo rows, result
rows and its checkpoint commit in one transaction, so a killed run re-reads at most one page
and never finds a checkpoint ahead of the results (COM-09).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from contract.records import Entity, Order, Record, SYNC_ORDER, UNSYNCED_FIELDS
from contract.rules import RuleId
from app.sync.known import StoreKnowledge
from app.sync.ledger import atomic, stored_utc
from app.sync.merge import is_empty, merge
from app.sync.messages import say
from app.sync.page import PageWrites
from app.sync.policy import EntityPolicy, blank_fields
from app.sync.events import Action, Outcome
from app.sync.steps import (DELETION_SCAN, PAGE_SECONDS, PULL, RunState, RunSteps,
                             display_name)
from app.sync.translate import references, to_app
from contract.connector import Mode


@dataclass
class PullGroup:
    """POS pages read but not written yet, with the resume token of the last one."""

    started: float                                       # when this group began filling
    records: list[Record] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    made_from: dict[str, str] = field(default_factory=dict)   # the pages' Page.made_from
    held: tuple[str | None] | None = None                # resume token of the unwritten group
    done: int = 0                                         # records written so far
    total: int | None = None                              # as the POS reported it

    def size(self) -> int:
        return len(self.records) + len(self.deleted)

    def restart(self, now: float) -> None:
        self.records, self.deleted, self.made_from = [], [], {}
        self.held, self.started = None, now


class PullSteps(RunSteps):
    async def _pull(self, ctx: RunState, policy: EntityPolicy, only_keys: set[str] | None = None,
                    full: bool = False, scan_deletions: bool | None = None) -> None:
        entity = policy.entity
        point = self.ledger.checkpoint(entity, PULL)
        bookkeeping = not ctx.dry_run and only_keys is None
        since = (stored_utc(point.watermark) if point is not None and point.watermark
                 and only_keys is None and not full else None)
        resume = point.resume if bookkeeping and point is not None else None
        # A resumed pull continues the interrupted one (perhaps resumed several times): its
        # watermark is the start of the first run of that chain.
        began_at = self.clock()
        if resume and point.run is not None:
            first = point.run
            while first.resumed_from is not None:
                first = first.resumed_from
            began_at = min(began_at, stored_utc(first.started_at))
        seen: set[str] = set()
        began = self.monotonic()
        # Small POS pages (Nhanh: 100 rows, ~30 products) are written several at a time, with
        # the last one's resume token: a transaction per 30 products spent a tenth of a big
        # pull committing. A group is written once it holds `page_records` records or after
        # PAGE_SECONDS, so a slow, rate-limited read still commits (and shows) its progress.
        group = PullGroup(started=self.monotonic())
        # Issue 21: a connector that asks may build a changed, linked record from what the
        # App holds instead of re-reading it whole; one that does not is left as it was.
        know_records = getattr(self.connector, "know_records", None)
        if callable(know_records):
            know_records(StoreKnowledge(self.ledger, self.catalog, self.policies))
        # Said at once, before the first page (a resumed or rate-limited read may take a
        # while to bring one): the window names what is being read from the first second.
        self._progress(entity, PULL, 0, None, began)
        async for page in self.connector.pull(entity, since, resume):
            self._check_cancel()
            if page.total is not None:
                group.total = page.total
            for record in page.records:
                if record.key in seen:
                    continue
                seen.add(record.key)
                if only_keys is None or record.key in only_keys:
                    group.records.append(record)
            group.made_from.update(page.made_from)   # prefetch keeps those of unlinked records
            if only_keys is None:
                group.deleted.extend(page.deleted_keys)
            group.held = (page.resume,)
            if ctx.deferred:
                await self._pull_deferred_references(ctx, page.records)
            if (page.resume is None or group.size() >= self.page_records
                    or self.monotonic() - group.started >= PAGE_SECONDS):
                self._write_group(ctx, policy, group, bookkeeping, began)
        if group.held is not None:   # the POS stopped paging without saying it was the last page
            self._write_group(ctx, policy, group, bookkeeping, began)
        if only_keys is not None:
            return
        # Deletions the POS did not report: after a whole read, every linked id not seen is
        # gone. After a partial read (incremental or resumed) the POS's id list is asked for,
        # at most every `deletion_scan_every`; a connector whose scan is too costly, or whose
        # POS reports deletions in its pages, answers None (KiotViet's hourly budget).
        keys: set[str] | None = None
        scanned = self.ledger.checkpoint(entity, DELETION_SCAN)
        if since is None and resume is None:
            keys = seen
        elif (scan_deletions or scanned is None or scanned.watermark is None
              or self.clock() - stored_utc(scanned.watermark) >= self.deletion_scan_every):
            keys = await self.connector.list_keys(entity)
        if keys is not None:
            gone = self.ledger.unseen_links(entity, keys)
            for start in range(0, len(gone), self.ledger.CHUNK):
                self._check_cancel()
                self._pull_page(ctx, policy, [], gone[start:start + self.ledger.CHUNK])
        if bookkeeping:
            with atomic():
                self.ledger.save_checkpoint(entity, PULL, watermark=began_at - self.overlap,
                                            resume=None, run=None)
                if keys is not None:
                    self.ledger.save_checkpoint(entity, DELETION_SCAN, watermark=began_at)

    def _write_group(self, ctx: RunState, policy: EntityPolicy, group: "PullGroup",
                     bookkeeping: bool, began: float) -> None:
        """Write the group's records (and its resume token when the run keeps checkpoints),
        report progress, and start the next group."""
        self._pull_page(ctx, policy, group.records, group.deleted,
                        checkpoint=group.held if bookkeeping else None, made_from=group.made_from)
        group.done += len(group.records)
        self._progress(policy.entity, PULL, group.done, group.total, began)
        group.restart(self.monotonic())

    async def _pull_deferred_references(self, ctx: RunState, records: list[Record]) -> None:
        """A record naming a branch or category this scheduled run did not read, and that the
        App has not linked yet, has that entity read now, before the record is written: an
        unlinked reference would be dropped (translate.py) and the App would never get it."""
        refs = [ref for record in records for ref in references(record)
                if ref[0] in ctx.deferred]
        if not refs:
            return
        known = self.ledger.app_ids(refs)
        for entity in sorted({e for e, pos_id in refs if (e, pos_id) not in known},
                             key=SYNC_ORDER.index):
            ctx.deferred.discard(entity)
            await self._pull(ctx, self.policies[entity])

    def _pull_page(self, ctx: RunState, policy: EntityPolicy, records: list[Record],
                   deleted: list[str], checkpoint: tuple[str | None] | None = None,
                   made_from: Mapping[str, str] | None = None) -> None:
        """Decide and write one page in one transaction; `checkpoint` (the page's resume
        token) commits with it, so the checkpoint never runs ahead of the results (COM-09).
        `made_from`: POS id → the App id ShopSync created that POS record from."""
        entity = policy.entity
        with self._committing(ctx):
            page = PageWrites(self.catalog, self.ledger, entity, ctx.row, self.clock)
            # The page's items write into the page (one set of statements at its end), not
            # into the store one by one: the run's sink is swapped for this page, said here.
            outside, ctx.writes = ctx.writes, page
            try:
                page.prefetch(records, deleted, made_from)
                for record in records:
                    self._pull_item(ctx, policy, record, page)
                for key in deleted:
                    self._pos_deleted(ctx, policy, key, page)
                # Stopped while deciding: nothing of this page is written; a resumed run
                # reads it again.
                self._check_cancel()
                page.write()
                if checkpoint is not None:
                    self.ledger.save_resume(entity, PULL, checkpoint[0], ctx.row)
            finally:
                ctx.writes = outside
        if not ctx.dry_run:
            ctx.synced.setdefault(entity, set()).update(page.new_by_app)

    def _pull_item(self, ctx: RunState, policy: EntityPolicy, pos: Record,
                   page: PageWrites) -> None:
        entity = policy.entity
        link = page.link_by_pos(pos.key)
        pos_fp = policy.comparable(pos)
        name = display_name(pos)
        ids = dict(pos_id=pos.key, name=name)
        if link is None:
            translation = to_app(entity, pos, page, "")
            incoming = blank_fields(translation.record, policy.untouched_fields)
            # A POS record ShopSync made from an App record whose answer was lost (the App
            # record has no link) is that App record, whatever its natural keys say (COM-02).
            app_id = page.made_from_app(pos.key)
            made_from = app_id is not None
            if not made_from:
                app_id = page.match(incoming)
            if app_id is not None:
                current = page.app(app_id)
                merged = merge(current, dataclasses.replace(incoming, key=app_id),
                               policy.untouched_fields)
                changed = merged != current
                if (changed and not made_from and _overwritten(current, merged)
                        and policy.comparable(merged) != policy.comparable(current)
                        and self._ask_before_overwrite(entity, app_id)):
                    self._link_in_conflict(ctx, policy, page, current, merged, pos, pos_fp)
                    return
                if not ctx.dry_run:
                    if changed:
                        self._write_app(ctx, entity, current, merged)
                    self._link(page, merged, pos.key, policy, pos_fp)
                self._item(ctx, entity, PULL, Action.UPDATE if changed else Action.SKIP, Outcome.OK,
                           app_id=app_id, rule=RuleId.COM_02,
                           text=say("linked_made_from") if made_from
                           else say("linked_app", how=_how(entity)), **ids)
            else:
                app_id = ""
                if not ctx.dry_run:
                    saved = self._write_app(ctx, entity, None, incoming,
                                            origin=self.platform.key)
                    # Translating changed only ids, which fingerprints leave out, unless a
                    # reference was dropped (stock of an unlinked branch): then the new App
                    # record's fingerprint is the POS one, and hashing it again is waste.
                    self._link(page, saved, pos.key, policy, pos_fp,
                               app_fp=None if translation.missing else pos_fp)
                    app_id = saved.key
                self._item(ctx, entity, PULL, Action.CREATE, Outcome.OK, app_id=app_id,
                           text=say("would_create_app" if ctx.dry_run else "created_app"),
                           **ids)
            return
        app = page.app(link.app_id)
        ids["app_id"] = link.app_id
        if app is None:
            self._item(ctx, entity, PULL, Action.SKIP, Outcome.SKIPPED, text=say("deleted_in_app"),
                       **ids)
            return
        if link.pos_deleted_at is not None and not ctx.dry_run:
            page.change_link(link, pos_deleted_at=None)   # it came back on the POS
        if pos_fp == link.pos_fingerprint:
            return   # unchanged on the POS: no row, or a 100k-product shop drowns in them
        app_changed = policy.comparable(app) != link.app_fingerprint
        create_only = policy.pull is Mode.CREATE_ONLY
        if create_only and not policy.kept_updated_fields:
            if not ctx.dry_run:
                page.change_link(link, pos_fingerprint=pos_fp)   # report each change once
            self._item(ctx, entity, PULL, Action.SKIP, Outcome.SKIPPED, rule=policy.rule,
                       text=say("create_only", rule=policy.rule), **ids)
            return
        if app_changed:
            self._conflict(ctx, entity, app, pos, link, RuleId.COM_04, say("conflict"))
            return
        keep = policy.untouched_fields | policy.first_time_fields
        if create_only:
            keep = (_all_field_names(app, policy.kept_updated_fields)
                    - policy.kept_updated_fields)
        incoming = to_app(entity, pos, page, link.app_id).record
        merged = merge(app, incoming, keep)
        if not ctx.dry_run:
            if merged != app:
                self._write_app(ctx, entity, app, merged)
            self._link(page, merged, pos.key, policy, pos_fp)
        self._item(ctx, entity, PULL, Action.UPDATE, Outcome.OK, text=say("updated_app"), **ids)

    def _ask_before_overwrite(self, entity: Entity, app_id: str) -> bool:
        """Finding 1 (COM-02 with COM-04): an App record matched by phone/SKU/… whose synced
        fields differ from the POS's is not overwritten quietly when it belongs to someone
        else: made in the App (the shop's own data, an Excel import) or already linked to
        another connection (which would then push the change to its own POS). Only a record
        this platform's pulls made and no one else links is simply brought up to date."""
        if self.ledger.linked_elsewhere(entity, app_id):
            return True
        return self.catalog.origin(entity, app_id) != self.platform.key

    def _link_in_conflict(self, ctx: RunState, policy: EntityPolicy, page: PageWrites,
                          current: Record, merged: Record, pos: Record, pos_fp: str) -> None:
        """Link (so nothing is created twice, COM-02) with the App record as it is, and keep
        both sides in a conflict for the owner to choose (COM-04). The link's fingerprints
        are today's sides: neither this connection nor another one pushes anything of it
        until the conflict is resolved."""
        entity = policy.entity
        if ctx.dry_run:
            link: Any = _PlannedLink(current.key, pos.key)
        else:
            link = page.save_link(current.key, pos.key, policy.comparable(current), pos_fp,
                                  pushed_status=(current.status.value
                                                 if isinstance(current, Order) else None))
        fields = ", ".join(_differing(current, merged))
        self._conflict(ctx, entity, current, pos, link, RuleId.COM_04,
                       say("linked_differs", how=_how(entity), fields=fields))

    def _link(self, page: PageWrites, app: Record, pos_id: str, policy: EntityPolicy,
              pos_fp: str, app_fp: str | None = None) -> None:
        status = app.status.value if isinstance(app, Order) else None
        page.save_link(app.key, pos_id, app_fp or policy.comparable(app), pos_fp,
                       pushed_status=status)

    def _pos_deleted(self, ctx: RunState, policy: EntityPolicy, pos_id: str,
                     page: PageWrites) -> None:
        """COM-01: flag, report, never delete in the App."""
        entity = policy.entity
        link = page.link_by_pos(pos_id)
        if link is None or link.pos_deleted_at is not None:
            return
        if not ctx.dry_run:
            page.change_link(link, pos_deleted_at=self.clock())
        if policy.pull is Mode.CREATE_ONLY:
            self._item(ctx, entity, PULL, Action.SKIP, Outcome.SKIPPED, app_id=link.app_id,
                       pos_id=pos_id, rule=policy.rule,
                       text=say("create_only_delete", rule=policy.rule))
        else:
            self._item(ctx, entity, PULL, Action.DELETED_ON_POS, Outcome.SKIPPED,
                       app_id=link.app_id, pos_id=pos_id, name=display_name(page.app(link.app_id)),
                       rule=RuleId.COM_01, text=say("deleted_on_pos"))


# A POS's display order of a category is its own arrangement, not the shop's data: two POS
# sorting the same category differently is no reason to ask the owner anything.
_ARRANGEMENT_FIELDS = frozenset({"position"})


def _differing(current: Record, merged: Record) -> list[str]:
    """Top-level fields the pull would change, leaving out ids, times and arrangement."""
    return [f.name for f in dataclasses.fields(current)
            if f.name not in UNSYNCED_FIELDS and f.name not in _ARRANGEMENT_FIELDS
            and getattr(current, f.name) != getattr(merged, f.name)]


def _overwritten(current: Record, merged: Record) -> list[str]:
    """Differing fields where the App has a value of its own: filling a blank App field from
    the POS loses nothing (COM-05's other side) and asks nobody."""
    return [name for name in _differing(current, merged)
            if not is_empty(getattr(current, name))]


@dataclass(frozen=True)
class _PlannedLink:
    """What a dry run would link: the ids a conflict row names, nothing written."""
    app_id: str
    pos_id: str


def _how(entity: Entity) -> str:
    return {Entity.PRODUCT: "SKU/barcode", Entity.CUSTOMER: "phone/email",
            Entity.CATEGORY: "name", Entity.ORDER: "number", Entity.BRANCH: "name"}.get(
        entity, "key")




def _all_field_names(record: Any, whole: frozenset[str] = frozenset()) -> frozenset[str]:
    """Every field name at any depth, except the lists that hold nested records (those are
    merged item by item). A list named in `whole` (an option naming "stock") is one field:
    its items' own fields (a stock level's `available`) are not looked into, or keeping them
    would keep the very list the option says to update."""
    names: set[str] = set()
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if (f.name not in whole and isinstance(value, tuple) and value
                and dataclasses.is_dataclass(value[0])):
            for item in value:
                names |= _all_field_names(item, whole)
        else:
            names.add(f.name)
    return frozenset(names)
