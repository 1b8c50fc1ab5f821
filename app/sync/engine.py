"""The sync engine: compares POS records with the App catalog through links and decides, item
by item, create / update / skip / conflict / blocked, as the platform's policy allows.

One `SyncEngine` serves one profile over one connector. It runs in whatever asyncio loop it is
given (the UI's worker thread owns one, the command line another) and reports only through
`emit(event)`. Every write on the App side commits together with its link and its result row,
so a run killed at any point resumes with nothing lost or duplicated (COM-09).
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Iterator, Sequence

from app.domain import (Entity, Order, OrderStatus, Record, SYNC_ORDER, from_plain, now_utc,
                        text)
from app.store import models as m
from app.sync import events as ev
from app.sync.ledger import Ledger, atomic
from app.sync.matching import match_in_app
from app.sync.merge import merge
from app.sync.messages import say
from app.sync.policy import (EntityPolicy, blank_fields, policies, profile_options)
from app.sync.translate import to_app, to_pos
from connectors.base import (AuthError, Connector, InvalidData, Mode, NotSupported,
                             PermissionDenied, PosError, SettingOff, StatusChange)

PULL, PUSH = "pos_to_app", "app_to_pos"
# The next incremental pull starts this long before the last one started, so a record saved on
# the POS while we were reading is not missed (duplicates are harmless: same fingerprint).
OVERLAP = timedelta(minutes=5)
BATCH_SIZE = 100
# New App records of these entities go to the POS only when the user picks them (SAPO-03):
# a shop's App catalog may hold products it never meant to sell on the POS.
CHOSEN_CREATES = frozenset({Entity.PRODUCT})
# Errors that no retry can fix: the run stops and says what the user must do.
STOPPING_ERRORS = (AuthError, PermissionDenied, SettingOff, NotSupported)


class Cancelled(Exception):
    """The user pressed Stop; the run ends between two items with its checkpoint kept."""


def display_name(record: Record | None) -> str:
    if record is None:
        return ""
    for name in ("name", "title", "number", "customer_name"):
        value = getattr(record, name, "")
        if value:
            return text(value)
    return ""


@dataclass
class _Run:
    row: m.Run
    kind: str
    dry_run: bool
    started: float
    counts: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    pending: list = field(default_factory=list)


class SyncEngine:
    """Plan ▸ preview ▸ apply for one profile. See the module docstring."""

    def __init__(self, catalog: Any, profile: Any, connector: Connector | None,
                 emit: ev.Emit = ev.ignore, *, platform: Any = None,
                 clock: Callable[[], datetime] = now_utc,
                 cancel: threading.Event | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 batch_size: int = BATCH_SIZE, overlap: timedelta = OVERLAP) -> None:
        self.catalog = catalog
        self.profile = profile
        self.connector = connector
        # Without a connector (undo, delete in App) the platform is given directly.
        self.platform = platform if platform is not None else connector.platform
        self.emit = emit
        self.clock = clock
        self.cancel = cancel or threading.Event()
        self.monotonic = monotonic
        self.batch_size = max(1, batch_size)
        self.overlap = overlap
        self.options = profile_options(profile, self.platform)
        self.policies: dict[Entity, EntityPolicy] = policies(self.platform, self.options)
        self.ledger = Ledger(profile, clock)

    # =========================================================================================
    # Public API
    # =========================================================================================

    async def run(self, entities: Iterable[Entity | str] | None = None,
                  dry_run: bool = False) -> ev.RunFinished:
        """Sync the given entities (all by default) in dependency order. With `dry_run`, every
        item gets a planned result and nothing is written on either side (COM-03)."""
        asked = None if entities is None else {Entity(e) for e in entities}
        wanted = [e for e in SYNC_ORDER if asked is None or e in asked]
        previous = None if dry_run else self.ledger.unfinished_run("sync")
        if previous is not None and previous.status == "running":
            previous.status = "interrupted"   # the process running it was killed
            previous.save()
        ctx = self._start("sync", wanted, dry_run, previous)

        async def body() -> None:
            for entity in wanted:
                policy = self.policies[entity]
                if not policy.active:
                    if asked is not None:
                        self._entity_off(ctx, policy)
                    continue
                if policy.pulls:
                    await self._pull(ctx, policy)
                if policy.pushes:
                    await self._push_entity(ctx, policy)
        return await self._drive(ctx, body)

    async def push_products(self, app_ids: Sequence[str] | None = None, all_new: bool = False,
                            dry_run: bool = False) -> ev.RunFinished:
        """Push App-created products the user picked (or all new ones) to the POS (SAPO-03)."""
        policy = self.policies[Entity.PRODUCT]
        ctx = self._start("push", [Entity.PRODUCT], dry_run, None)

        async def body() -> None:
            chosen: list[Record] = []
            if not policy.pushes:
                for app_id in app_ids or []:
                    self._not_offered(ctx, policy, app_id)
                return
            unresolved = set(await self._resolve_intents(ctx, policy))
            if all_new:
                ids = [r.key for r in self.catalog.iter_records(Entity.PRODUCT)]
            else:
                ids = list(dict.fromkeys(list(app_ids or [])))
            ids += [i for i in unresolved if i not in ids]
            for app_id in ids:
                self._check_cancel()
                record = self.catalog.get(Entity.PRODUCT, app_id)
                if record is None:
                    self._item(ctx, Entity.PRODUCT, PUSH, "skip", "failed", app_id=app_id,
                               text=say("not_in_app"))
                elif self.ledger.link_by_app(Entity.PRODUCT, app_id) is not None:
                    if not all_new:
                        self._item(ctx, Entity.PRODUCT, PUSH, "skip", "skipped", app_id=app_id,
                                   name=display_name(record), text=say("already_on_pos"))
                elif all_new and self.catalog.origin(Entity.PRODUCT, app_id) != "app":
                    continue
                else:
                    chosen.append(record)
            await self._create_all(ctx, policy, chosen)
        return await self._drive(ctx, body)

    async def retry_failed(self, run_id: int) -> ev.RunFinished:
        """A new run over only the failed items of `run_id` (COM-06)."""
        failed = list(m.ItemResult.select().where((m.ItemResult.run == run_id)
                                                  & (m.ItemResult.outcome == "failed")))
        entities = [e for e in SYNC_ORDER if any(r.entity == e.value for r in failed)]
        ctx = self._start("retry", entities, False, None)

        async def body() -> None:
            for entity in entities:
                policy = self.policies[entity]
                rows = [r for r in failed if r.entity == entity.value]
                pos_keys = {r.pos_id for r in rows if r.direction == PULL and r.pos_id}
                if pos_keys and policy.pulls:
                    await self._pull(ctx, policy, only_keys=pos_keys)
                app_ids = list(dict.fromkeys(r.app_id for r in rows
                                             if r.direction == PUSH and r.app_id))
                creates = []
                for app_id in app_ids:
                    record = self.catalog.get(entity, app_id)
                    link = self.ledger.link_by_app(entity, app_id)
                    if record is None:
                        self._item(ctx, entity, PUSH, "skip", "failed", app_id=app_id,
                                   text=say("not_in_app"))
                    elif link is None:
                        creates.append(record)
                    else:
                        await self._push_change(ctx, policy, record, link)
                if creates and policy.pushes:
                    await self._create_all(ctx, policy, creates)
        return await self._drive(ctx, body)

    def undo_last_run(self) -> ev.RunFinished:
        """Put the App side back as it was before the last run (B-02). POS-side writes of that
        run are not undone: the POS keeps them and the next sync sees them as POS changes."""
        last = (m.Run.select().join(m.AppChange, on=(m.AppChange.run == m.Run.id))
                .where((m.Run.profile == self.ledger.profile) & (m.Run.kind != "undo"))
                .order_by(m.Run.id.desc()).first())
        ctx = self._start("undo", [], False, None)
        if last is None:
            return self._finish(ctx, "done", say("nothing_to_undo"))
        changes = list(m.AppChange.select().where(m.AppChange.run == last)
                       .order_by(m.AppChange.id.desc()))
        for change in changes:
            entity = Entity(change.entity)
            before = None if change.before is None else from_plain(entity,
                                                                   json.loads(change.before))
            with self._committing(ctx):
                link = self.ledger.link_by_app(entity, change.app_id)
                if before is None:
                    self.catalog.delete(entity, change.app_id)
                    if link is not None:
                        link.delete_instance()
                    message = say("undone_created")
                else:
                    self.catalog.put(entity, before)
                    if link is not None:
                        # Re-decide on the next run: the POS side is taken again if it still
                        # differs, as if the undone run had not happened.
                        link.app_fingerprint = self.policies[entity].comparable(before)
                        link.pos_fingerprint = ""
                        link.save()
                    message = say("undone_updated" if change.after else "undone_deleted")
                self._item(ctx, entity, PULL, "update", "ok", app_id=change.app_id,
                           pos_id=link.pos_id if link else "", name=display_name(before),
                           rule="B-02", text=message)
            m.AppChange.delete().where(m.AppChange.id == change.id).execute()
        return self._finish(ctx, "done", say("run_done"))

    async def resolve_conflict(self, conflict_id: int, keep: str) -> ev.ItemResult:
        """Close a conflict (COM-04): keep "app" (push the App values when the entity pushes,
        else only re-baseline), keep "pos" (write the POS values into the App) or "skip"."""
        if keep not in ("app", "pos", "skip"):
            raise ValueError(f"keep must be app, pos or skip, not {keep!r}")
        conflict = m.Conflict.get_by_id(conflict_id)
        entity = Entity(conflict.entity)
        policy = self.policies[entity]
        link = self.ledger.link_by_app(entity, conflict.app_id)
        app = self.catalog.get(entity, conflict.app_id)
        pos_plain = json.loads(conflict.pos_data or "null")
        pos = from_plain(entity, pos_plain) if pos_plain else None
        ctx = self._start("resolve", [entity], False, None)
        pos_fp = policy.comparable(pos) if pos is not None else (link.pos_fingerprint if link
                                                                  else "")
        try:
            rule = conflict.rule
            if keep == "app" and app is not None and link is not None:
                locked = conflict.rule not in ("", "COM-04")
                if policy.pushes and not locked:
                    sent = to_pos(entity, app, self.ledger, link.pos_id).record
                    answer = await self.connector.update(entity, link.pos_id,
                                                         merge(pos, sent) if pos else sent)
                    pos_fp = policy.comparable(answer) if answer is not None else pos_fp
                    message = say("resolved_app")
                else:
                    message = say("resolved_app_not_pushed", rule=rule)
            elif keep == "pos" and pos is not None and link is not None:
                incoming = to_app(entity, pos, self.ledger, conflict.app_id).record
                merged = merge(app, incoming, policy.untouched_fields)
                message = say("resolved_pos")
            else:
                message = say("resolved_skip")
            with self._committing(ctx):
                if keep == "pos" and pos is not None and link is not None:
                    self._write_app(ctx, entity, app, merged)
                    app = merged
                if link is not None and app is not None:
                    self.ledger.save_link(entity, conflict.app_id, link.pos_id,
                                          policy.comparable(app), pos_fp,
                                          pushed_status=(app.status.value
                                                         if isinstance(app, Order) else None))
                conflict.status, conflict.resolution = "resolved", keep
                conflict.resolved_at = self.clock()
                conflict.save()
                result = self._item(ctx, entity, PUSH if keep == "app" else PULL, "update", "ok",
                                    app_id=conflict.app_id, pos_id=conflict.pos_id,
                                    name=display_name(app or pos), rule=rule, text=message)
        except PosError as error:
            result = self._item(ctx, entity, PUSH, "update", "failed", app_id=conflict.app_id,
                                pos_id=conflict.pos_id, rule=error.rule,
                                text=(error.message_vi, error.message_en))
            self._flush(ctx)
        self._finish(ctx, "done", say("run_done"))
        return result

    def delete_in_app(self, entity: Entity | str, app_id: str) -> ev.ItemResult:
        """The one-click action next to "deleted on POS" (COM-01); undoable like a run."""
        entity = Entity(entity)
        ctx = self._start("delete", [entity], False, None)
        with self._committing(ctx):
            before = self.catalog.get(entity, app_id)
            link = self.ledger.link_by_app(entity, app_id)
            if before is not None:
                self.catalog.delete(entity, app_id)
                self.ledger.add_change(ctx.row, entity, app_id, before, None)
            if link is not None:
                link.delete_instance()
            result = self._item(ctx, entity, PULL, "deleted_on_pos", "ok", app_id=app_id,
                                pos_id=link.pos_id if link else "", name=display_name(before),
                                rule="COM-01", text=say("deleted_in_app_by_user"))
        self._finish(ctx, "done", say("run_done"))
        return result

    def request_cancel(self) -> None:
        self.cancel.set()

    # =========================================================================================
    # Run bookkeeping
    # =========================================================================================

    def _start(self, kind: str, entities: Sequence[Entity], dry_run: bool,
               resumed_from: m.Run | None) -> _Run:
        row = self.ledger.start_run(kind, entities, dry_run, resumed_from)
        ctx = _Run(row=row, kind=kind, dry_run=dry_run, started=self.monotonic())
        self.emit(ev.RunStarted(row.id, self.profile.name, tuple(e.value for e in entities),
                                dry_run, kind))
        return ctx

    async def _drive(self, ctx: _Run, body: Callable[[], Any]) -> ev.RunFinished:
        try:
            await body()
        except Cancelled:
            return self._finish(ctx, "cancelled", say("run_cancelled"))
        except STOPPING_ERRORS as error:
            return self._finish(ctx, "failed", (say("run_failed", detail=error.message_vi)[0],
                                                say("run_failed", detail=error.message_en)[1]))
        except PosError as error:
            vi = say("run_interrupted", detail=error.message_vi)[0]
            en = say("run_interrupted", detail=error.message_en)[1]
            return self._finish(ctx, "interrupted", (vi, en))
        except asyncio.CancelledError:
            # The task was cancelled (window closed, second Ctrl-C): like Stop, resumable.
            self._finish(ctx, "cancelled", say("run_cancelled"))
            raise
        except BaseException:
            self._finish(ctx, "failed", say("run_bug"))
            raise
        if ctx.counts.get("failed"):
            return self._finish(ctx, "done", say("run_done_failed", failed=ctx.counts["failed"]))
        return self._finish(ctx, "done", say("run_done"))

    def _finish(self, ctx: _Run, status: str, message: tuple[str, str]) -> ev.RunFinished:
        counts = dict(ctx.counts)
        counts["by_action"] = dict(ctx.actions)
        requests = int(getattr(self.connector, "request_count", 0) or 0)
        error = "" if status == "done" else f"{message[0]}\n{message[1]}"
        self.ledger.finish_run(ctx.row, status, counts, requests, error)
        finished = ev.RunFinished(ctx.row.id, status, counts, requests,
                                  round(self.monotonic() - ctx.started, 3), *message)
        self.emit(finished)
        return finished

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    @contextmanager
    def _committing(self, ctx: _Run) -> Iterator[None]:
        """One item's App write, link and result row commit together; events go out only
        after the commit, so the UI never shows a result the database does not hold."""
        ctx.pending.clear()
        try:
            with atomic():
                yield
        except BaseException:
            ctx.pending.clear()
            raise
        self._flush(ctx)

    def _flush(self, ctx: _Run) -> None:
        for event in ctx.pending:
            if isinstance(event, ev.ItemResult):
                ctx.counts[event.outcome] += 1
                ctx.actions[event.action] += 1
            self.emit(event)
        ctx.pending.clear()

    def _item(self, ctx: _Run, entity: Entity, direction: str, action: str, outcome: str, *,
              app_id: str = "", pos_id: str = "", name: str = "", rule: str = "",
              text: tuple[str, str] = ("", "")) -> ev.ItemResult:
        """Store a result row (COM-06); emitted when the surrounding commit succeeds (or at
        once outside `_committing`)."""
        if ctx.dry_run and outcome == "ok":
            outcome = "planned"
        self.ledger.add_result(ctx.row, entity=entity.value, direction=direction, app_id=app_id,
                               pos_id=pos_id, name=name[:255], action=action, outcome=outcome,
                               rule=rule, message_vi=text[0], message_en=text[1])
        event = ev.ItemResult(ctx.row.id, entity.value, direction, app_id, pos_id, name, action,
                              outcome, rule, text[0], text[1])
        ctx.pending.append(event)
        if not m.database_proxy.in_transaction():
            self._flush(ctx)
        return event

    def _progress(self, entity: Entity, direction: str, done: int, total: int | None,
                  began: float) -> None:
        eta = None
        if total and done:
            elapsed = self.monotonic() - began
            eta = round(max(0.0, elapsed / done * (total - done)), 1)
        self.emit(ev.Progress(entity.value, direction, done, total, eta))

    def _entity_off(self, ctx: _Run, policy: EntityPolicy) -> None:
        if policy.off_reason:
            message = say("entity_off", option=policy.off_reason)
        else:
            cap = self.platform.capability(policy.entity)
            message = say("entity_none", rule=cap.unavailable_reason or cap.rule or "—")
        self._item(ctx, policy.entity, PULL, "skip", "skipped",
                   rule=self.platform.capability(policy.entity).unavailable_reason or policy.rule,
                   text=message)

    def _not_offered(self, ctx: _Run, policy: EntityPolicy, app_id: str) -> None:
        cap = self.platform.capability(policy.entity)
        rule = cap.unavailable_reason or cap.rule
        self._item(ctx, policy.entity, PUSH, "blocked", "skipped", app_id=app_id, rule=rule,
                   text=say("push_not_offered", entity=policy.entity.value, rule=rule or "—"))

    def _write_app(self, ctx: _Run, entity: Entity, before: Record | None,
                   after: Record, origin: str = "app") -> Record:
        """Write one App record and remember the old one for undo (B-02)."""
        saved = self.catalog.put(entity, after, origin=origin)
        self.ledger.add_change(ctx.row, entity, saved.key, before, saved)
        return saved

    # =========================================================================================
    # POS → App
    # =========================================================================================

    async def _pull(self, ctx: _Run, policy: EntityPolicy,
                    only_keys: set[str] | None = None) -> None:
        entity = policy.entity
        point = self.ledger.checkpoint(entity, PULL)
        bookkeeping = not ctx.dry_run and only_keys is None
        since = (_aware(point.watermark) if point is not None and point.watermark
                 and only_keys is None else None)
        resume = point.resume if bookkeeping and point is not None else None
        # A resumed pull continues the interrupted one: its watermark is that run's start.
        began_at = self.clock()
        if resume and point.run is not None:
            began_at = min(began_at, _aware(point.run.started_at))
        seen: set[str] = set()
        done, total, began = 0, None, self.monotonic()
        async for page in self.connector.pull(entity, since, resume):
            self._check_cancel()
            if page.total is not None:
                total = page.total
            for record in page.records:
                self._check_cancel()
                if record.key in seen:
                    continue
                seen.add(record.key)
                if only_keys is not None and record.key not in only_keys:
                    continue
                self._pull_item(ctx, policy, record)
                done += 1
            for key in page.deleted_keys:
                if only_keys is None:
                    self._pos_deleted(ctx, policy, key)
            if bookkeeping:
                with atomic():
                    self.ledger.save_checkpoint(entity, PULL, resume=page.resume, run=ctx.row)
            self._progress(entity, PULL, done, total, began)
        if only_keys is not None:
            return
        keys = seen if since is None and resume is None else await self.connector.list_keys(
            entity)
        if keys is not None:
            for link in self.ledger.links(entity):
                if link.pos_deleted_at is None and link.pos_id not in keys:
                    self._check_cancel()
                    self._pos_deleted(ctx, policy, link.pos_id)
        if bookkeeping:
            with atomic():
                self.ledger.save_checkpoint(entity, PULL, watermark=began_at - self.overlap,
                                            resume=None, run=None)

    def _pull_item(self, ctx: _Run, policy: EntityPolicy, pos: Record) -> None:
        entity = policy.entity
        link = self.ledger.link_by_pos(entity, pos.key)
        pos_fp = policy.comparable(pos)
        name = display_name(pos)
        ids = dict(pos_id=pos.key, name=name)
        if link is None:
            incoming = blank_fields(to_app(entity, pos, self.ledger, "").record,
                                    policy.untouched_fields)
            app_id = match_in_app(self.catalog, entity, incoming,
                                  lambda candidate: self.ledger.link_by_app(entity,
                                                                            candidate) is None)
            with self._committing(ctx):
                if app_id is not None:
                    current = self.catalog.get(entity, app_id)
                    merged = merge(current, dataclasses.replace(incoming, key=app_id),
                                   policy.untouched_fields)
                    changed = merged != current
                    if not ctx.dry_run:
                        if changed:
                            self._write_app(ctx, entity, current, merged)
                        self._link(entity, merged, pos.key, policy, pos_fp)
                    self._item(ctx, entity, PULL, "update" if changed else "skip", "ok",
                               app_id=app_id, rule="COM-02",
                               text=say("linked_app", how=_how(entity)), **ids)
                else:
                    app_id = ""
                    if not ctx.dry_run:
                        saved = self._write_app(ctx, entity, None, incoming,
                                                origin=self.platform.key)
                        self._link(entity, saved, pos.key, policy, pos_fp)
                        app_id = saved.key
                    self._item(ctx, entity, PULL, "create", "ok", app_id=app_id,
                               text=say("would_create_app" if ctx.dry_run else "created_app"),
                               **ids)
            return
        app = self.catalog.get(entity, link.app_id)
        ids["app_id"] = link.app_id
        with self._committing(ctx):
            if app is None:
                self._item(ctx, entity, PULL, "skip", "skipped", text=say("deleted_in_app"),
                           **ids)
                return
            if link.pos_deleted_at is not None and not ctx.dry_run:
                link.pos_deleted_at = None   # it came back on the POS
                link.save()
            if pos_fp == link.pos_fingerprint:
                return   # unchanged on the POS: no row, or a 100k-product shop drowns in them
            app_changed = policy.comparable(app) != link.app_fingerprint
            create_only = policy.pull is Mode.CREATE_ONLY
            if create_only and not policy.kept_updated_fields:
                if not ctx.dry_run:
                    link.pos_fingerprint = pos_fp   # report each POS change once
                    link.save()
                self._item(ctx, entity, PULL, "skip", "skipped", rule=policy.rule,
                           text=say("create_only", rule=policy.rule), **ids)
                return
            if app_changed:
                self._conflict(ctx, entity, app, pos, link, "COM-04", say("conflict"))
                return
            keep = policy.untouched_fields | policy.first_time_fields
            if create_only:
                keep = _all_field_names(app) - policy.kept_updated_fields
            incoming = to_app(entity, pos, self.ledger, link.app_id).record
            merged = merge(app, incoming, keep)
            if not ctx.dry_run:
                if merged != app:
                    self._write_app(ctx, entity, app, merged)
                self._link(entity, merged, pos.key, policy, pos_fp)
            self._item(ctx, entity, PULL, "update", "ok", text=say("updated_app"), **ids)

    def _link(self, entity: Entity, app: Record, pos_id: str, policy: EntityPolicy,
              pos_fp: str) -> None:
        status = app.status.value if isinstance(app, Order) else None
        self.ledger.save_link(entity, app.key, pos_id, policy.comparable(app), pos_fp,
                              pushed_status=status)

    def _pos_deleted(self, ctx: _Run, policy: EntityPolicy, pos_id: str) -> None:
        """COM-01: flag, report, never delete in the App."""
        entity = policy.entity
        link = self.ledger.link_by_pos(entity, pos_id)
        if link is None or link.pos_deleted_at is not None:
            return
        create_only = policy.pull is Mode.CREATE_ONLY
        with self._committing(ctx):
            if not ctx.dry_run:
                link.pos_deleted_at = self.clock()
                link.save()
            if create_only:
                self._item(ctx, entity, PULL, "skip", "skipped", app_id=link.app_id,
                           pos_id=pos_id, rule=policy.rule,
                           text=say("create_only_delete", rule=policy.rule))
            else:
                self._item(ctx, entity, PULL, "deleted_on_pos", "skipped", app_id=link.app_id,
                           pos_id=pos_id,
                           name=display_name(self.catalog.get(entity, link.app_id)),
                           rule="COM-01", text=say("deleted_on_pos"))

    def _conflict(self, ctx: _Run, entity: Entity, app: Record, pos: Record | None,
                  link: m.Link, rule: str, message: tuple[str, str]) -> None:
        """COM-04 / SAPO-09: store both sides, overwrite nothing, let the user decide."""
        conflict_id = 0
        if not ctx.dry_run:
            conflict = self.ledger.add_conflict(ctx.row, entity, link.app_id, link.pos_id, app,
                                                pos, rule)
            conflict_id = conflict.id
        self._item(ctx, entity, PULL if pos is not None else PUSH, "conflict", "skipped",
                   app_id=link.app_id, pos_id=link.pos_id, name=display_name(app), rule=rule,
                   text=message)
        if conflict_id:
            ctx.pending.append(ev.ConflictRaised(conflict_id, entity.value, link.app_id,
                                                 link.pos_id, rule))

    # =========================================================================================
    # App → POS
    # =========================================================================================

    async def _push_entity(self, ctx: _Run, policy: EntityPolicy) -> None:
        entity = policy.entity
        unresolved = [] if ctx.dry_run else await self._resolve_intents(ctx, policy)
        creates: list[Record] = []
        done, began = 0, self.monotonic()
        for app in self.catalog.iter_records(entity):
            self._check_cancel()
            link = self.ledger.link_by_app(entity, app.key)
            if link is not None:
                await self._push_change(ctx, policy, app, link)
            elif entity in CHOSEN_CREATES and app.key not in unresolved:
                continue
            elif self.catalog.origin(entity, app.key) != "app":
                continue   # pulled records always have a link; a stray one is not ours to push
            elif isinstance(app, Order) and not policy.may_push_order(app.status):
                rule = self.platform.capability(entity).rule or policy.rule
                allowed = ", ".join(sorted(s.value for s in policy.push_statuses))
                self._item(ctx, entity, PUSH, "skip", "skipped", app_id=app.key,
                           name=display_name(app), rule=rule,
                           text=say("status_not_pushed", allowed=allowed, rule=rule))
            else:
                creates.append(app)
            if len(creates) >= self.batch_size:
                await self._create_batch(ctx, policy, creates)
                creates = []
            done += 1
            if done % 200 == 0:
                self._progress(entity, PUSH, done, None, began)
        if creates:
            await self._create_batch(ctx, policy, creates)
        self._progress(entity, PUSH, done, done, began)

    async def _resolve_intents(self, ctx: _Run, policy: EntityPolicy) -> list[str]:
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
                self._item(ctx, entity, PUSH, "create", "ok", app_id=app_id, pos_id=found.key,
                           name=display_name(app), rule="COM-09", text=say("found_after_crash"))
        return unresolved

    def _link_pushed(self, entity: Entity, policy: EntityPolicy, app: Record, pos_id: str,
                     pos: Record | None) -> None:
        pos_fp = policy.comparable(pos) if pos is not None else policy.comparable(app)
        status = app.status.value if isinstance(app, Order) else None
        self.ledger.save_link(entity, app.key, pos_id, policy.comparable(app), pos_fp,
                              pushed_status=status)

    async def _create_all(self, ctx: _Run, policy: EntityPolicy, records: list[Record]) -> None:
        for start in range(0, len(records), self.batch_size):
            self._check_cancel()
            await self._create_batch(ctx, policy, records[start:start + self.batch_size])

    async def _create_batch(self, ctx: _Run, policy: EntityPolicy,
                            records: list[Record]) -> None:
        entity = policy.entity
        ready: list[tuple[Record, Record]] = []
        cap = self.platform.capability(entity)
        for app in records:
            self._check_cancel()
            ids = dict(app_id=app.key, name=display_name(app))
            translation = to_pos(entity, app, self.ledger, app.key)
            missing = [key for ref, key in translation.missing if ref is Entity.PRODUCT]
            if isinstance(app, Order) and missing:
                self._item(ctx, entity, PUSH, "blocked", "skipped",
                           text=say("product_not_on_pos", refs=", ".join(missing)), **ids)
                continue
            sent = translation.record
            problem = cap.validate_push(sent) if cap.validate_push is not None else None
            if problem is not None:
                self._item(ctx, entity, PUSH, "blocked", "skipped", rule=problem.rule,
                           text=(problem.message_vi, problem.message_en), **ids)
                continue
            existing = await self.connector.find(entity, sent)
            if existing is not None:   # COM-02: link, never a second copy
                with self._committing(ctx):
                    if not ctx.dry_run:
                        self._link_pushed(entity, policy, app, existing.key, existing)
                    self._item(ctx, entity, PUSH, "skip", "ok", pos_id=existing.key,
                               rule="COM-02", text=say("linked_pos"), **ids)
                continue
            ready.append((app, sent))
        if not ready:
            return
        if ctx.dry_run:
            for app, _ in ready:
                self._item(ctx, entity, PUSH, "create", "planned", app_id=app.key,
                           name=display_name(app), text=say("would_create_pos"))
            return
        with atomic():
            for app, _ in ready:
                self.ledger.add_intent(ctx.row, entity, app.key)
        try:
            outcomes = await self.connector.create(entity, [sent for _, sent in ready])
        except InvalidData as error:
            # Refused before anything was created: try one by one so only the bad items fail.
            with atomic():
                for app, _ in ready:
                    self.ledger.drop_intent(entity, app.key)
            if len(ready) == 1:
                app = ready[0][0]
                self._item(ctx, entity, PUSH, "create", "failed", app_id=app.key,
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
                    self._item(ctx, entity, PUSH, "create", "failed",
                               rule=error.rule if error else "",
                               text=(error.message_vi, error.message_en) if error else (
                                   "POS không trả lời cho mục này.",
                                   "The POS gave no answer for this item."), **ids)
                    continue
                self._link_pushed(entity, policy, app, outcome.pos_key, outcome.record)
                self.ledger.drop_intent(entity, app.key)
                self._item(ctx, entity, PUSH, "create", "ok", pos_id=outcome.pos_key,
                           text=say("created_pos"), **ids)

    async def _push_change(self, ctx: _Run, policy: EntityPolicy, app: Record,
                           link: m.Link) -> None:
        """A linked App record: push its edit and, for orders, its status change."""
        entity = policy.entity
        if link.pos_deleted_at is not None:
            return
        if self.ledger.open_conflict(entity, app.key) is not None:
            return
        known = link.pushed_status
        baseline = app
        if isinstance(app, Order) and known:
            baseline = dataclasses.replace(app, status=OrderStatus(known))
        edited = policy.comparable(baseline) != link.app_fingerprint
        ids = dict(app_id=app.key, pos_id=link.pos_id, name=display_name(app))
        if edited:
            if policy.push is Mode.CREATE_ONLY:
                with self._committing(ctx):
                    if not ctx.dry_run:
                        link.app_fingerprint = policy.comparable(app)
                        link.save()
                    self._item(ctx, entity, PUSH, "skip", "skipped", rule=policy.rule,
                               text=say("create_only", rule=policy.rule), **ids)
                return
            change, rule = policy.app_edit_after_push, policy.app_edit_rule
            if change is StatusChange.CONFLICT:
                with self._committing(ctx):
                    self._conflict(ctx, entity, app, None, link, rule or "COM-04",
                                   say("locked_edit", rule=rule or "COM-04"))
                return
            if change is StatusChange.PUSH:
                if not await self._push_update(ctx, policy, app, link):
                    return
            else:
                with self._committing(ctx):
                    if not ctx.dry_run:
                        link.app_fingerprint = policy.comparable(baseline)
                        link.save()
                    if change is StatusChange.MANUAL:
                        self._item(ctx, entity, PUSH, "manual", "skipped", rule=rule,
                                   text=say("edit_manual", rule=rule), **ids)
        if isinstance(app, Order) and known and app.status.value != known:
            await self._push_status(ctx, policy, app, link)

    async def _push_update(self, ctx: _Run, policy: EntityPolicy, app: Record,
                           link: m.Link) -> bool:
        """Send an App edit; the POS's current record is fetched first so an empty App value
        never blanks a POS value (COM-05) and a POS-side change becomes a conflict (COM-04)."""
        entity = policy.entity
        ids = dict(app_id=app.key, pos_id=link.pos_id, name=display_name(app))
        sent = to_pos(entity, app, self.ledger, link.pos_id).record
        cap = self.platform.capability(entity)
        problem = cap.validate_push(sent) if cap.validate_push is not None else None
        if problem is not None:
            self._item(ctx, entity, PUSH, "blocked", "skipped", rule=problem.rule,
                       text=(problem.message_vi, problem.message_en), **ids)
            return False
        current = await self.connector.find(entity, sent)
        if current is not None and current.key != link.pos_id:
            current = None
        if current is not None and policy.comparable(current) != link.pos_fingerprint:
            with self._committing(ctx):
                self._conflict(ctx, entity, app, current, link, "COM-04", say("conflict"))
            return False
        if ctx.dry_run:
            self._item(ctx, entity, PUSH, "update", "planned", **ids)
            return True
        payload = merge(current, sent) if current is not None else sent
        try:
            answer = await self.connector.update(entity, link.pos_id, payload)
        except InvalidData as error:
            self._item(ctx, entity, PUSH, "update", "failed", rule=error.rule,
                       text=(error.message_vi, error.message_en), **ids)
            return False
        with self._committing(ctx):
            link.app_fingerprint = policy.comparable(
                dataclasses.replace(app, status=OrderStatus(link.pushed_status))
                if isinstance(app, Order) and link.pushed_status else app)
            link.pos_fingerprint = policy.comparable(answer if answer is not None else payload)
            link.synced_at = self.clock()
            link.save()
            self._item(ctx, entity, PUSH, "update", "ok", text=say("updated_pos"), **ids)
        return True

    async def _push_status(self, ctx: _Run, policy: EntityPolicy, app: Order,
                           link: m.Link) -> None:
        """A later App status of a pushed order, as the platform's table says (KVF-05,
        NH-04, SAPO-09)."""
        entity = policy.entity
        change, rule = policy.status_change(app.status)
        ids = dict(app_id=app.key, pos_id=link.pos_id, name=display_name(app))
        if change is StatusChange.CONFLICT:
            with self._committing(ctx):
                self._conflict(ctx, entity, app, None, link, rule,
                               say("locked_edit", rule=rule))
            return
        answer = None
        if change is StatusChange.PUSH and not ctx.dry_run:
            try:
                answer = await self.connector.set_order_status(link.pos_id, app.status)
            except InvalidData as error:
                self._item(ctx, entity, PUSH, "status", "failed", rule=error.rule,
                           text=(error.message_vi, error.message_en), **ids)
                return
        with self._committing(ctx):
            if not ctx.dry_run:
                link.pushed_status = app.status.value
                link.app_fingerprint = policy.comparable(app)
                if answer is not None:
                    link.pos_fingerprint = policy.comparable(answer)
                link.save()
            if change is StatusChange.PUSH:
                self._item(ctx, entity, PUSH, "status", "ok", rule=rule if rule != policy.rule
                           else "", text=say("status_pushed", status=app.status), **ids)
            elif change is StatusChange.MANUAL:
                self._item(ctx, entity, PUSH, "manual", "skipped", rule=rule,
                           text=say("status_manual", status=app.status, rule=rule), **ids)
            else:
                self._item(ctx, entity, PUSH, "skip", "skipped", rule=rule,
                           text=say("status_ignored", status=app.status, rule=rule), **ids)


def _how(entity: Entity) -> str:
    return {Entity.PRODUCT: "SKU/barcode", Entity.CUSTOMER: "phone/email",
            Entity.CATEGORY: "name", Entity.ORDER: "number", Entity.BRANCH: "name"}.get(
        entity, "key")


def _all_field_names(record: Any) -> frozenset[str]:
    """Every field name at any depth, except the lists that hold nested records (those are
    merged item by item)."""
    names: set[str] = set()
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for item in value:
                names |= _all_field_names(item)
        else:
            names.add(f.name)
    return frozenset(names)


def _aware(value: datetime | str) -> datetime:
    """Datetimes read back from SQLite may come as text or naive; they were stored as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
