"""App → POS: creates (matched first, COM-02; behind write intents, COM-09), edits and
order status changes, each as the platform's capability table says."""
from __future__ import annotations

import dataclasses
import logging
from typing import Iterable, Iterator

from contract.records import Branch, Entity, Order, OrderStatus, Record
from contract.rules import RuleId
from app.store import models as m
from app.sync.ledger import atomic
from app.sync.merge import merge
from app.sync.messages import say
from app.sync.policy import EntityPolicy
from app.sync.events import Action, Outcome
from app.sync.push_marks import PushMarks, push_basis
from app.sync.push_screening import shared_code_blocks
from app.sync.steps import (CHOSEN_CREATES, PUSH, STOPPING_ERRORS, RunState, RunSteps,
                            display_name)
from app.sync.translate import to_pos
from contract.connector import InvalidData, Mode, NotSupported, PosError, StatusChange

log = logging.getLogger("shopsync.sync")


class PushSteps(RunSteps):
    async def _push_entity(self, ctx: RunState, policy: EntityPolicy) -> None:
        entity = policy.entity
        unresolved = set() if ctx.dry_run else set(await self._resolve_intents(ctx, policy))
        creates: list[Record] = []
        done, began = 0, self.monotonic()
        synced = ctx.synced.get(entity, set())
        conflicted = self.ledger.open_conflict_ids(entity)
        status_rule = self.platform.capability(entity).rule or policy.rule
        told = (self.ledger.reported(entity, PUSH, Action.SKIP, status_rule)
                if policy.push_statuses else set())
        marks, basis = PushMarks(self.ledger.profile), push_basis(policy)
        mark = None if ctx.dry_run else marks.load(entity, basis)
        scan_from = self.catalog.revision()
        # Raw rows in chunks, links read per chunk: only records that may need pushing are
        # parsed, and memory does not grow with the catalog. With a mark, only the rows
        # written since the last complete scan and the ones it left unsettled.
        if mark is None:
            rows_in_scan = self.catalog.iter_raw(entity, without_data=synced)
        else:
            rows_in_scan = self.catalog.iter_raw_changed(
                entity, mark.revision, also=[*mark.pending, *unresolved], without_data=synced)
        for rows in _chunks(rows_in_scan, self.ledger.CHUNK):
            links = self.ledger.links_by_app(
                entity, [app_id for app_id, _, _ in rows if app_id not in synced])
            for app_id, origin, data in rows:
                self._check_cancel()
                done += 1
                if done % 200 == 0:
                    self._progress(entity, PUSH, done, None, began)
                if app_id in synced:
                    continue
                link = links.get(app_id)
                if link is not None:
                    if link.pos_deleted_at is None and app_id not in conflicted:
                        await self._push_change(ctx, policy, self.catalog.parse(entity, data),
                                                link, conflict_checked=True)
                    continue
                if entity in CHOSEN_CREATES and app_id not in unresolved:
                    continue
                if origin != "app":
                    continue   # pulled records always have a link; a stray one is not ours
                app = self.catalog.parse(entity, data)
                if isinstance(app, Order) and not policy.may_push_order(app.status):
                    if app.key not in told:
                        allowed = ", ".join(sorted(s.value for s in policy.push_statuses))
                        self._item(ctx, entity, PUSH, Action.SKIP, Outcome.SKIPPED, app_id=app.key,
                                   name=display_name(app), rule=status_rule,
                                   text=say("status_not_pushed", allowed=allowed,
                                            rule=status_rule))
                    continue
                creates.append(app)
                if len(creates) >= self.batch_size:
                    await self._create_batch(ctx, policy, creates)
                    creates = []
        if creates:
            await self._create_batch(ctx, policy, creates)
        if not ctx.dry_run:
            self._leave_mark(ctx, policy, marks, basis, scan_from,
                             mark.pending if mark is not None else ())
        self._deleted_in_app(ctx, policy)
        self._progress(entity, PUSH, done, done, began)

    def _leave_mark(self, ctx: RunState, policy: EntityPolicy, marks: PushMarks, basis: str,
                    scan_from: int, pending_before: Iterable[str]) -> None:
        """The scan finished: the next one starts after `scan_from` and looks again at what
        this one left unsettled. Only records it reported on (or left pending before) can be
        unsettled, so this reads a handful of records, not the catalog."""
        entity = policy.entity
        candidates = marks.reported(ctx.row.id, entity, PUSH) | set(pending_before)
        pending = [app_id for app_id in candidates if self._unsettled(policy, app_id)]
        with atomic():
            marks.save(entity, scan_from, basis, pending)

    def _unsettled(self, policy: EntityPolicy, app_id: str) -> bool:
        """Would the next scan act on this record although it did not change? (The same
        decisions as the scan above, without acting.)"""
        entity = policy.entity
        app = self.catalog.get(entity, app_id)
        if app is None:
            return False
        link = self.ledger.link_by_app(entity, app_id)
        if link is None:
            if entity in CHOSEN_CREATES or self.catalog.origin(entity, app_id) != "app":
                return False
            return not (isinstance(app, Order) and not policy.may_push_order(app.status))
        if link.pos_deleted_at is not None:
            return False
        known = link.pushed_status
        if isinstance(app, Order) and known:
            if app.status.value != known:
                return True
            app = dataclasses.replace(app, status=OrderStatus(known))
        return policy.comparable(app) != link.app_fingerprint

    def _deleted_in_app(self, ctx: RunState, policy: EntityPolicy) -> None:
        """A record on the POS that the user deleted in the App: where the POS has no delete
        call (NH-04 orders) one result row, once, tells the user to act on the POS; IGNORE
        says nothing (COM-06)."""
        entity = policy.entity
        cap = self.platform.capability(entity)
        if cap.app_delete is not StatusChange.MANUAL:
            return
        rule = cap.app_delete_rule or policy.rule
        message = say("app_deleted_manual", rule=rule)
        told = self.ledger.reported(entity, PUSH, Action.MANUAL, rule, message_en=message[1])
        for app_id, pos_id in self.ledger.links_without_app_record(entity):
            self._check_cancel()
            if app_id not in told:
                self._item(ctx, entity, PUSH, Action.MANUAL, Outcome.SKIPPED, app_id=app_id,
                           pos_id=pos_id, rule=rule, text=message)

    async def _resolve_intents(self, ctx: RunState, policy: EntityPolicy) -> list[str]:
        """COM-09: a create that may have reached the POS before a crash is looked up, never
        repeated. Returns the App ids that were not created after all (to create again)."""
        entity = policy.entity
        unresolved = []
        for app_id in self.ledger.intents(entity):
            self._check_cancel()
            app = self.catalog.get(entity, app_id)
            if app is None or self.ledger.link_by_app(entity, app_id) is not None:
                with atomic():
                    self.ledger.drop_intent(entity, app_id)
                continue
            sent = to_pos(entity, app, self.ledger, app_id).record
            found = await self.connector.find(entity, sent)
            with self._committing(ctx):
                self.ledger.drop_intent(entity, app_id)
                if found is None:
                    unresolved.append(app_id)
                    continue
                self._link_pushed(entity, policy, app, found.key, found)
                self._item(ctx, entity, PUSH, Action.CREATE, Outcome.OK, app_id=app_id,
                           pos_id=found.key, name=display_name(app), rule=RuleId.COM_09,
                           text=say("found_after_crash"))
        return unresolved

    def _link_pushed(self, entity: Entity, policy: EntityPolicy, app: Record, pos_id: str,
                     pos: Record | None) -> None:
        pos_fp = policy.comparable(pos) if pos is not None else policy.comparable(app)
        status = app.status.value if isinstance(app, Order) else None
        self.ledger.save_link(entity, app.key, pos_id, policy.comparable(app), pos_fp,
                              pushed_status=status)

    def _pos_branches(self) -> list[Branch]:
        """The App's branches that are linked to the POS, keyed by their POS id."""
        branches = list(self.catalog.iter_records(Entity.BRANCH))
        links = self.ledger.links_by_app(Entity.BRANCH, [b.key for b in branches])
        return [dataclasses.replace(branch, key=link.pos_id) for branch in branches
                if (link := links.get(branch.key)) is not None and link.pos_deleted_at is None]

    async def _create_all(self, ctx: RunState, policy: EntityPolicy, records: list[Record]) -> None:
        for start in range(0, len(records), self.batch_size):
            self._check_cancel()
            await self._create_batch(ctx, policy, records[start:start + self.batch_size])

    async def _create_batch(self, ctx: RunState, policy: EntityPolicy,
                            records: list[Record]) -> None:
        """New App records to the POS: screen what the POS would refuse, link what it already
        has (COM-02), create the rest behind write intents (COM-09)."""
        candidates = self._screen_creates(ctx, policy, records)
        ready = await self._match_existing(ctx, policy, candidates)
        if ready:
            await self._create_new(ctx, policy, ready)

    def _screen_creates(self, ctx: RunState, policy: EntityPolicy,
                        records: list[Record]) -> list[tuple[Record, Record]]:
        """(App record, what would be sent) for those the POS can take; the others get a
        blocked result (an order whose products are not on the POS, a shape the platform
        refuses, SAPO-08)."""
        entity = policy.entity
        cap = self.platform.capability(entity)
        candidates: list[tuple[Record, Record]] = []
        # COM-02: two App products not on the POS yet that share a SKU or barcode would become
        # two POS products with one code; matching cannot help, so both wait for the owner.
        shared = (shared_code_blocks(
            self.catalog, records,
            lambda app_id: self.ledger.link_by_app(Entity.PRODUCT, app_id) is not None)
            if entity is Entity.PRODUCT else {})
        for app in records:
            self._check_cancel()
            ids = dict(app_id=app.key, name=display_name(app))
            if (block := shared.get(app.key)) is not None:
                self._item(ctx, entity, PUSH, Action.BLOCKED, Outcome.SKIPPED, rule=block.rule,
                           text=(block.message_vi, block.message_en), **ids)
                continue
            translation = to_pos(entity, app, self.ledger, app.key)
            missing = [key for ref, key in translation.missing if ref is Entity.PRODUCT]
            if isinstance(app, Order) and missing:
                self._item(ctx, entity, PUSH, Action.BLOCKED, Outcome.SKIPPED,
                           text=say("product_not_on_pos", refs=", ".join(missing)), **ids)
                continue
            sent = translation.record
            problem = cap.validate_push(sent) if cap.validate_push is not None else None
            if problem is not None:
                self._item(ctx, entity, PUSH, Action.BLOCKED, Outcome.SKIPPED, rule=problem.rule,
                           text=(problem.message_vi, problem.message_en), **ids)
                continue
            candidates.append((app, sent))
        return candidates

    async def _match_existing(self, ctx: RunState, policy: EntityPolicy,
                              candidates: list[tuple[Record, Record]]
                              ) -> list[tuple[Record, Record]]:
        """COM-02: a record the POS already has is linked, never created a second time.
        Returns those still to create."""
        entity = policy.entity
        ready: list[tuple[Record, Record]] = []
        if candidates:
            # The whole batch is announced first: a POS that searches one value per call may
            # answer the batch's COM-02 look-ups from one read of its list instead.
            await self.connector.prepare_find(entity, [sent for _, sent in candidates])
        for app, sent in candidates:
            self._check_cancel()
            ids = dict(app_id=app.key, name=display_name(app))
            existing = await self.connector.find(entity, sent)
            twin = (self.ledger.link_by_pos(entity, existing.key)
                    if existing is not None else None)
            if twin is not None and twin.app_id != app.key:
                # Two App records share a key and the POS record is already the other one's:
                # re-pointing the link would unlink that one, and the next run would point it
                # back. The owner decides which App record is the real one.
                self._item(ctx, entity, PUSH, Action.SKIP, Outcome.SKIPPED, pos_id=existing.key,
                           rule=RuleId.COM_02, text=say("twin_in_app", other=twin.app_id),
                           **ids)
                continue
            if existing is not None:   # COM-02: link, never a second copy
                with self._committing(ctx):
                    if not ctx.dry_run:
                        self._link_pushed(entity, policy, app, existing.key, existing)
                    self._item(ctx, entity, PUSH, Action.SKIP, Outcome.OK, pos_id=existing.key,
                               rule=RuleId.COM_02, text=say("linked_pos"), **ids)
                continue
            ready.append((app, sent))
        return ready

    async def _create_new(self, ctx: RunState, policy: EntityPolicy,
                          ready: list[tuple[Record, Record]]) -> None:
        """Create on the POS what it does not have: an intent row commits first, the link
        after the POS answered (COM-09); a preview only says what would be created."""
        entity = policy.entity
        if ctx.dry_run:
            for app, _ in ready:
                self._item(ctx, entity, PUSH, Action.CREATE, Outcome.PLANNED, app_id=app.key,
                           name=display_name(app), text=say("would_create_pos"))
            return
        with atomic():
            for app, _ in ready:
                self.ledger.add_intent(ctx.row, entity, app.key)
        if not ctx.branches_told:
            self.connector.know_branches(self._pos_branches())
            ctx.branches_told = True
        try:
            outcomes = await self.connector.create(entity, [sent for _, sent in ready])
        except InvalidData as error:
            # Refused before anything was created: try one by one so only the bad items fail.
            with atomic():
                for app, _ in ready:
                    self.ledger.drop_intent(entity, app.key)
            if len(ready) == 1:
                app = ready[0][0]
                self._item(ctx, entity, PUSH, Action.CREATE, Outcome.FAILED, app_id=app.key,
                           name=display_name(app), rule=error.rule,
                           text=(error.message_vi, error.message_en))
                return
            for app, _ in ready:
                await self._create_batch(ctx, policy, [app])
            return
        by_key = {outcome.app_key: outcome for outcome in outcomes}
        for app, sent in ready:
            outcome = by_key.get(app.key)
            with self._committing(ctx):
                ids = dict(app_id=app.key, name=display_name(app))
                if outcome is None or outcome.error is not None or not outcome.pos_key:
                    self.ledger.drop_intent(entity, app.key)
                    error = outcome.error if outcome is not None else None
                    self._item(ctx, entity, PUSH, Action.CREATE, Outcome.FAILED,
                               rule=error.rule if error else "",
                               text=(error.message_vi, error.message_en) if error else (
                                   "POS không trả lời cho mục này.",
                                   "The POS gave no answer for this item."), **ids)
                    continue
                self._link_pushed(entity, policy, app, outcome.pos_key, outcome.record)
                self.ledger.drop_intent(entity, app.key)
                self._item(ctx, entity, PUSH, Action.CREATE, Outcome.OK, pos_id=outcome.pos_key,
                           text=say("created_pos"), **ids)

    async def _push_change(self, ctx: RunState, policy: EntityPolicy, app: Record,
                           link: m.Link, conflict_checked: bool = False) -> None:
        """A linked App record: push its edit and, for orders, its status change."""
        entity = policy.entity
        if link.pos_deleted_at is not None:
            return
        if not conflict_checked and self.ledger.open_conflict(entity, app.key) is not None:
            return
        known = link.pushed_status
        baseline = app
        if isinstance(app, Order) and known:
            baseline = dataclasses.replace(app, status=OrderStatus(known))
        edited = policy.comparable(baseline) != link.app_fingerprint
        ids = dict(app_id=app.key, pos_id=link.pos_id, name=display_name(app))
        if edited:
            change, rule = policy.app_edit_after_push, policy.app_edit_rule
            # Checked before create-only: orders are pushed once (SAPO-04, KVF-04), and an App
            # edit of one the App must not change (SAPO-09, KVF-10) is reported, not taken in
            # silently as a create-only skip would.
            if change is StatusChange.CONFLICT:
                pos = await self._pos_side(entity, app, link)
                with self._committing(ctx):
                    self._conflict(ctx, entity, app, pos, link, rule or RuleId.COM_04,
                                   say("locked_edit", rule=rule or RuleId.COM_04), PUSH)
                return
            if policy.push is Mode.CREATE_ONLY:
                with self._committing(ctx):
                    if not ctx.dry_run:
                        self.ledger.update_link(link, app_fingerprint=policy.comparable(app))
                    self._item(ctx, entity, PUSH, Action.SKIP, Outcome.SKIPPED, rule=policy.rule,
                               text=say("create_only", rule=policy.rule), **ids)
                return
            if change is StatusChange.PUSH:
                if not await self._push_update(ctx, policy, app, link):
                    return
            else:
                with self._committing(ctx):
                    if not ctx.dry_run:
                        self.ledger.update_link(link, app_fingerprint=policy.comparable(baseline))
                    if change is StatusChange.MANUAL:
                        self._item(ctx, entity, PUSH, Action.MANUAL, Outcome.SKIPPED, rule=rule,
                                   text=say("edit_manual", rule=rule), **ids)
        if isinstance(app, Order) and known and app.status.value != known:
            await self._push_status(ctx, policy, app, link)

    async def _pos_version(self, entity: Entity, app: Record, link: m.Link) -> Record | None:
        """The POS's current copy of a linked record, so a conflict shows both sides and "keep
        POS" has something to keep: read by its POS id where the connector can (one request;
        None when the POS no longer has it), else looked up by its natural key."""
        read_by_id = getattr(self.connector, "get", None)
        if read_by_id is not None:
            try:
                return await read_by_id(entity, link.pos_id)
            except NotSupported:
                pass   # no by-id read for this entity: the natural key below
        # Keyed by the App id: for orders that is the natural key (the App order id the POS
        # order carries), not the POS id.
        sent = to_pos(entity, app, self.ledger, link.app_id).record
        found = await self.connector.find(entity, sent)
        return found if found is not None and found.key == link.pos_id else None

    async def _pos_side(self, entity: Entity, app: Record, link: m.Link) -> Record | None:
        """The POS copy stored with a conflict. Nothing is written to either side, so a read
        that still fails after the HTTP layer's retries leaves the App side only, as when the
        POS no longer has the record, instead of interrupting the run; what stops every
        later request too (login, permission) still stops it."""
        try:
            return await self._pos_version(entity, app, link)
        except STOPPING_ERRORS:
            raise
        except PosError as error:
            log.warning("POS copy of %s %s not read for its conflict: %s", entity.value,
                        link.pos_id, error.detail or error.message_en)
            return None

    async def _push_update(self, ctx: RunState, policy: EntityPolicy, app: Record,
                           link: m.Link) -> bool:
        """Send an App edit; the POS's current record is fetched first so an empty App value
        never blanks a POS value (COM-05) and a POS-side change becomes a conflict (COM-04)."""
        entity = policy.entity
        ids = dict(app_id=app.key, pos_id=link.pos_id, name=display_name(app))
        sent = to_pos(entity, app, self.ledger, link.pos_id).record
        # No validate_push here: it guards creates (SAPO-08 is about products made in the App);
        # a POS record edited from the App keeps the shape the POS gave it.
        current = await self._pos_version(entity, app, link)
        if current is not None and policy.comparable(current) != link.pos_fingerprint:
            with self._committing(ctx):
                self._conflict(ctx, entity, app, current, link, RuleId.COM_04, say("conflict"),
                               PUSH)
            return False
        if ctx.dry_run:
            self._item(ctx, entity, PUSH, Action.UPDATE, Outcome.PLANNED, **ids)
            return True
        payload = merge(current, sent) if current is not None else sent
        try:
            answer = await self.connector.update(entity, link.pos_id, payload)
        except InvalidData as error:
            self._item(ctx, entity, PUSH, Action.UPDATE, Outcome.FAILED, rule=error.rule,
                       text=(error.message_vi, error.message_en), **ids)
            return False
        with self._committing(ctx):
            self.ledger.update_link(
                link,
                app_fingerprint=policy.comparable(
                    dataclasses.replace(app, status=OrderStatus(link.pushed_status))
                    if isinstance(app, Order) and link.pushed_status else app),
                pos_fingerprint=policy.comparable(answer if answer is not None else payload),
                synced_at=self.clock())
            self._item(ctx, entity, PUSH, Action.UPDATE, Outcome.OK, text=say("updated_pos"), **ids)
        return True

    async def _push_status(self, ctx: RunState, policy: EntityPolicy, app: Order,
                           link: m.Link) -> None:
        """A later App status of a pushed order, as the platform's table says (KVF-05,
        NH-04, SAPO-09)."""
        entity = policy.entity
        change, rule = policy.status_change(app.status)
        ids = dict(app_id=app.key, pos_id=link.pos_id, name=display_name(app))
        if change is StatusChange.CONFLICT:
            pos = await self._pos_side(entity, app, link)
            with self._committing(ctx):
                self._conflict(ctx, entity, app, pos, link, rule,
                               say("locked_edit", rule=rule), PUSH)
            return
        answer = None
        if change is StatusChange.PUSH and not ctx.dry_run:
            try:
                answer = await self.connector.set_order_status(link.pos_id, app.status)
            except InvalidData as error:
                self._item(ctx, entity, PUSH, Action.STATUS, Outcome.FAILED, rule=error.rule,
                           text=(error.message_vi, error.message_en), **ids)
                return
        with self._committing(ctx):
            if not ctx.dry_run:
                changes = dict(pushed_status=app.status.value,
                               app_fingerprint=policy.comparable(app))
                if answer is not None:
                    changes["pos_fingerprint"] = policy.comparable(answer)
                self.ledger.update_link(link, **changes)
            if change is StatusChange.PUSH:
                self._item(ctx, entity, PUSH, Action.STATUS, Outcome.OK, rule=rule,
                           text=say("status_pushed", status=app.status), **ids)
            elif change is StatusChange.MANUAL:
                self._item(ctx, entity, PUSH, Action.MANUAL, Outcome.SKIPPED, rule=rule,
                           text=say("status_manual", status=app.status, rule=rule), **ids)
            else:
                self._item(ctx, entity, PUSH, Action.SKIP, Outcome.SKIPPED, rule=rule,
                           text=say("status_ignored", status=app.status, rule=rule), **ids)




def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
