"""The sync engine: compares POS records with the App catalog through links and decides, item
by item, create / update / skip / conflict / blocked, as the platform's policy allows.

One `SyncEngine` serves one profile over one connector. It runs in whatever asyncio loop it is
given (the UI's worker thread owns one, the command line another) and reports only through
`emit(event)`. Every write on the App side commits together with its link and its result row,
so a run killed at any point resumes with nothing lost or duplicated (COM-09).
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence

from contract.records import Entity, Order, Record, SYNC_ORDER, from_plain, now_utc
from contract.rules import RuleId
from app.store import models as m
from app.store.errors import storage_problem
from app.sync import events as ev
from app.sync.events import Action, Outcome, RunKind, RunStatus
from app.sync.collector import collector_paused
from app.sync.ledger import Ledger, stored_utc
from app.sync.merge import merge
from app.sync.messages import say
from app.sync.policy import EntityPolicy, policies, profile_options
from app.sync.pulling import PullSteps
from app.sync.pushing import PushSteps
from app.sync.schedule import slow_entities_not_due
from app.sync.steps import (BATCH_SIZE, DELETION_SCAN_EVERY, OVERLAP, PAGE_RECORDS, PULL, PUSH,
                            STOPPING_ERRORS, Cancelled, RunContext, RunState, RunSteps,
                            StoreWrites, display_name, from_context)
from app.sync.translate import to_app, to_pos
from contract.connector import Connector, PosError

__all__ = ["SyncEngine", "Cancelled", "PULL", "PUSH"]


class SyncEngine:
    """Plan ▸ preview ▸ apply for one profile. See the module docstring.

    Composed, not inherited: `pulling` (POS → App) and `pushing` (App → POS) are objects over
    one `RunContext`; `steps` is the shared result sink and commit helpers."""

    catalog = from_context("catalog")
    ledger = from_context("ledger")
    connector = from_context("connector")
    platform = from_context("platform")
    policies = from_context("policies")
    emit = from_context("emit")
    clock = from_context("clock")
    monotonic = from_context("monotonic")
    cancel = from_context("cancel")

    def __init__(self, catalog: Any, profile: Any, connector: Connector | None,
                 emit: ev.Emit = ev.ignore, *, platform: Any = None,
                 clock: Callable[[], datetime] = now_utc,
                 cancel: threading.Event | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 batch_size: int = BATCH_SIZE, page_records: int = PAGE_RECORDS,
                 overlap: timedelta = OVERLAP,
                 deletion_scan_every: timedelta = DELETION_SCAN_EVERY,
                 ledger: Ledger | None = None) -> None:
        self.profile = profile
        # Without a connector (undo, delete in App) the platform is given directly.
        platform = platform if platform is not None else connector.platform
        self.options = profile_options(profile, platform)
        self.context = RunContext(
            catalog=catalog,
            # A preview of an unsaved connection passes a ledger that writes nothing.
            ledger=ledger if ledger is not None else Ledger(profile, clock),
            connector=connector, platform=platform,
            policies=policies(platform, self.options), emit=emit, clock=clock,
            monotonic=monotonic, cancel=cancel or threading.Event(),
            batch_size=max(1, batch_size), page_records=max(1, page_records),
            overlap=overlap, deletion_scan_every=deletion_scan_every)
        self.steps = RunSteps(self.context)
        self.pulling = PullSteps(self.context)
        self.pushing = PushSteps(self.context)

    # =========================================================================================
    # Public API
    # =========================================================================================

    async def run(self, entities: Iterable[Entity | str] | None = None,
                  dry_run: bool = False, full: bool = False,
                  scan_deletions: bool | None = None,
                  defer_slow: bool | None = None) -> ev.RunFinished:
        """Sync the given entities (all by default) in dependency order. With `dry_run`, every
        item gets a planned result and nothing is written on either side (COM-03). `full`
        reads everything instead of the changes since the last run (a periodic safety net:
        edits the POS did not date correctly are caught too). `scan_deletions`: None = ask the
        POS for its id list when the last scan is older than `deletion_scan_every` (scheduled
        runs); True = always (the owner pressed the sync button and expects to see deletions).
        `defer_slow`: read branches, categories and news only when due (schedule.py); None =
        when the run is scheduled (every entity, no `full`, no `scan_deletions`)."""
        asked = None if entities is None else {Entity(e) for e in entities}
        wanted = [e for e in SYNC_ORDER if asked is None or e in asked]
        previous = None if dry_run else self.ledger.unfinished_run("sync")
        if previous is not None and previous.status == RunStatus.RUNNING:
            previous.status = RunStatus.INTERRUPTED   # the process running it was killed
            previous.save()
        ctx = self._start(RunKind.SYNC, wanted, dry_run, previous)
        if defer_slow if defer_slow is not None else (
                asked is None and scan_deletions is None and not full):   # a scheduled run
            ctx.deferred = slow_entities_not_due(
                {e: self._last_pulled(e) for e in wanted if self.policies[e].pulls},
                self.clock())

        async def body() -> None:
            for entity in wanted:
                policy = self.policies[entity]
                if not policy.active:
                    if asked is not None:
                        self.steps._entity_off(ctx, policy)
                    continue
                if policy.pulls and entity not in ctx.deferred:
                    await self.pulling._pull(ctx, policy, full=full, scan_deletions=scan_deletions)
                if policy.pushes:
                    await self.pushing._push_entity(ctx, policy)
        return await self._drive(ctx, body)

    def _last_pulled(self, entity: Entity) -> datetime | None:
        """When the last complete pull of `entity` started (its watermark is that, less the
        overlap); None when it never finished or is half-way (a resume is pending)."""
        point = self.ledger.checkpoint(entity, PULL)
        if point is None or point.watermark is None or point.resume:
            return None
        return stored_utc(point.watermark) + self.context.overlap

    async def push_products(self, app_ids: Sequence[str] | None = None, all_new: bool = False,
                            dry_run: bool = False) -> ev.RunFinished:
        """Push App-created products the user picked (or all new ones) to the POS (SAPO-03)."""
        policy = self.policies[Entity.PRODUCT]
        ctx = self._start(RunKind.PUSH, [Entity.PRODUCT], dry_run, None)

        async def body() -> None:
            chosen: list[Record] = []
            if not policy.pushes:
                for app_id in app_ids or []:
                    self.steps._not_offered(ctx, policy, app_id)
                return
            unresolved = set(await self.pushing._resolve_intents(ctx, policy))
            if all_new:
                ids = [r.key for r in self.catalog.iter_records(Entity.PRODUCT)]
            else:
                ids = list(dict.fromkeys(list(app_ids or [])))
            ids += [i for i in unresolved if i not in ids]
            for app_id in ids:
                self.steps._check_cancel()
                record = self.catalog.get(Entity.PRODUCT, app_id)
                if record is None:
                    self.steps._item(ctx, Entity.PRODUCT, PUSH, Action.SKIP, Outcome.FAILED,
                               app_id=app_id, text=say("not_in_app"))
                elif self.ledger.link_by_app(Entity.PRODUCT, app_id) is not None:
                    if not all_new:
                        self.steps._item(ctx, Entity.PRODUCT, PUSH, Action.SKIP, Outcome.SKIPPED,
                                   app_id=app_id, name=display_name(record),
                                   text=say("already_on_pos"))
                elif all_new and self.catalog.origin(Entity.PRODUCT, app_id) != "app":
                    continue
                else:
                    chosen.append(record)
            await self.pushing._create_all(ctx, policy, chosen)
        return await self._drive(ctx, body)

    async def retry_failed(self, run_id: int) -> ev.RunFinished:
        """A new run over only the failed items of `run_id` (COM-06)."""
        failed = list(m.ItemResult.select().where((m.ItemResult.run == run_id)
                                                  & (m.ItemResult.outcome == Outcome.FAILED)))
        entities = [e for e in SYNC_ORDER if any(r.entity == e.value for r in failed)]
        ctx = self._start(RunKind.RETRY, entities, False, None)

        async def body() -> None:
            for entity in entities:
                policy = self.policies[entity]
                rows = [r for r in failed if r.entity == entity.value]
                pos_keys = {r.pos_id for r in rows if r.direction == PULL and r.pos_id}
                if pos_keys and policy.pulls:
                    await self.pulling._pull(ctx, policy, only_keys=pos_keys)
                app_ids = list(dict.fromkeys(r.app_id for r in rows
                                             if r.direction == PUSH and r.app_id))
                creates = []
                for app_id in app_ids:
                    record = self.catalog.get(entity, app_id)
                    link = self.ledger.link_by_app(entity, app_id)
                    if record is None:
                        self.steps._item(ctx, entity, PUSH, Action.SKIP, Outcome.FAILED, app_id=app_id,
                                   text=say("not_in_app"))
                    elif link is None:
                        creates.append(record)
                    else:
                        await self.pushing._push_change(ctx, policy, record, link)
                if creates and policy.pushes:
                    await self.pushing._create_all(ctx, policy, creates)
        return await self._drive(ctx, body)

    def undo_last_run(self, plan: Any = None) -> ev.RunFinished:
        """Put the App side back as it was before the latest run (B-02), safely: see
        app/sync/undo.py (`plan`: an UndoPlan already shown to the user). POS-side writes of
        that run are not undone."""
        from app.sync.undo import undo_last_run
        return undo_last_run(self, plan)

    def restore_last_undo(self) -> ev.RunFinished:
        """Bring back what the latest undo removed (B-02)."""
        from app.sync.undo import restore_last_undo
        return restore_last_undo(self)

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
        ctx = self._start(RunKind.RESOLVE, [entity], False, None)
        pos_fp = policy.comparable(pos) if pos is not None else (link.pos_fingerprint if link
                                                                  else "")
        try:
            rule = conflict.rule
            if keep == "app" and app is not None and link is not None:
                locked = conflict.rule not in ("", RuleId.COM_04)
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
            with self.steps._committing(ctx):
                if keep == "pos" and pos is not None and link is not None:
                    self.steps._write_app(ctx, entity, app, merged)
                    app = merged
                if link is not None and app is not None:
                    self.ledger.save_link(entity, conflict.app_id, link.pos_id,
                                          policy.comparable(app), pos_fp,
                                          pushed_status=(app.status.value
                                                         if isinstance(app, Order) else None))
                conflict.status, conflict.resolution = "resolved", keep
                conflict.resolved_at = self.clock()
                conflict.save()
                result = self.steps._item(ctx, entity, PUSH if keep == "app" else PULL,
                                    Action.UPDATE, Outcome.OK,
                                    app_id=conflict.app_id, pos_id=conflict.pos_id,
                                    name=display_name(app or pos), rule=rule, text=message)
        except PosError as error:
            result = self.steps._item(ctx, entity, PUSH, Action.UPDATE, Outcome.FAILED,
                                app_id=conflict.app_id, pos_id=conflict.pos_id, rule=error.rule,
                                text=(error.message_vi, error.message_en))
            self.steps._flush(ctx)
        self._finish(ctx, RunStatus.DONE, say("run_done"))
        return result

    def delete_in_app(self, entity: Entity | str, app_id: str) -> ev.ItemResult:
        """The one-click action next to "deleted on POS" (COM-01); undoable like a run."""
        entity = Entity(entity)
        ctx = self._start(RunKind.DELETE, [entity], False, None)
        with self.steps._committing(ctx):
            before = self.catalog.get(entity, app_id)
            link = self.ledger.link_by_app(entity, app_id)
            if before is not None:
                self.catalog.delete(entity, app_id)
                self.ledger.add_change(ctx.row, entity, app_id, before, None)
            if link is not None:
                self.ledger.drop_link(link)
            result = self.steps._item(ctx, entity, PULL, Action.DELETED_ON_POS, Outcome.OK, app_id=app_id,
                                pos_id=link.pos_id if link else "", name=display_name(before),
                                rule=RuleId.COM_01, text=say("deleted_in_app_by_user"))
        self._finish(ctx, RunStatus.DONE, say("run_done"))
        return result

    def request_cancel(self) -> None:
        self.cancel.set()

    # The shared steps under the names undo_last_run uses.
    def _item(self, *args: Any, **kwargs: Any) -> ev.ItemResult:
        return self.steps._item(*args, **kwargs)

    def _committing(self, ctx: RunState):
        return self.steps._committing(ctx)

    # =========================================================================================
    # Run bookkeeping
    # =========================================================================================

    def _start(self, kind: str, entities: Sequence[Entity], dry_run: bool,
               resumed_from: m.Run | None) -> RunState:
        row = self.ledger.start_run(kind, entities, dry_run, resumed_from)
        ctx = RunState(row=row, kind=kind, dry_run=dry_run, started=self.monotonic(),
                       writes=StoreWrites(self.catalog, self.ledger, row))
        self.emit(ev.RunStarted(row.id, self.profile.name, tuple(e.value for e in entities),
                                dry_run, kind))
        return ctx

    async def _drive(self, ctx: RunState, body: Callable[[], Any]) -> ev.RunFinished:
        # A pause worth telling (the POS asked, its budget, a retry) reaches the user as an
        # event: a CLI line, the window's "continuing at 14:05".
        listening = ev.report_waits(self.emit, ctx.row.id)
        try:
            with collector_paused():
                await body()
        except Cancelled:
            return self._finish(ctx, RunStatus.CANCELLED, say("run_cancelled"))
        except STOPPING_ERRORS as error:
            return self._finish(ctx, RunStatus.FAILED,
                                (say("run_failed", detail=error.message_vi)[0],
                                 say("run_failed", detail=error.message_en)[1]))
        except PosError as error:
            vi = say("run_interrupted", detail=error.message_vi)[0]
            en = say("run_interrupted", detail=error.message_en)[1]
            return self._finish(ctx, RunStatus.INTERRUPTED, (vi, en))
        except asyncio.CancelledError:
            # The task was cancelled (window closed, second Ctrl-C): like Stop, resumable.
            self._finish(ctx, RunStatus.CANCELLED, say("run_cancelled"))
            raise
        except BaseException as error:
            problem = storage_problem(error, _data_folder()) if isinstance(error, Exception) else None
            if problem is not None:
                # Another process holds the database, the disk is full, the folder turned
                # read-only: the run is resumable, not broken (COM-09), and the user is told
                # what to do. Marking it may fail for the same reason: then the error goes up
                # in these words and the next start marks the run.
                try:
                    return self._finish(ctx, RunStatus.INTERRUPTED, (problem.message_vi,
                                                                     problem.message_en))
                except Exception:
                    raise problem from error
            self._finish(ctx, RunStatus.FAILED, say("run_bug"))
            raise
        finally:
            ev.stop_reporting_waits(listening)
        if ctx.counts.get(Outcome.FAILED):
            return self._finish(ctx, RunStatus.DONE,
                                say("run_done_failed", failed=ctx.counts[Outcome.FAILED]))
        return self._finish(ctx, RunStatus.DONE, say("run_done"))

    def _finish(self, ctx: RunState, status: str, message: tuple[str, str]) -> ev.RunFinished:
        counts = dict(ctx.counts)
        counts["by_action"] = dict(ctx.actions)
        requests = int(getattr(self.connector, "request_count", 0) or 0)
        error = "" if status == RunStatus.DONE else f"{message[0]}\n{message[1]}"
        self.ledger.finish_run(ctx.row, status, counts, requests, error)
        finished = ev.RunFinished(ctx.row.id, status, counts, requests,
                                  round(self.monotonic() - ctx.started, 3), *message)
        self.emit(finished)
        return finished


def _data_folder():
    """The folder of the database the models are bound to (named in disk-full messages)."""
    from pathlib import Path
    try:
        return Path(m.database_proxy.obj.database).parent
    except Exception:
        return None
