"""What every step of a run shares: the run's state, result rows, commits and progress.

The engine (engine.py) composes one pull (pulling.py) and one push (pushing.py) object over one
`RunContext`; both build on `RunSteps`, the shared result sink and commit helpers.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, Protocol

from contract.records import Entity, Record, text
from app.store import models as m
from app.sync import events as ev
from app.sync.events import Action, Direction, Outcome
from app.sync.ledger import Ledger, atomic
from app.sync.messages import say
from app.sync.policy import EntityPolicy
from contract.connector import (AuthError, Connector, NotSupported, PermissionDenied, Platform,
                             SettingOff)

PULL, PUSH = Direction.PULL, Direction.PUSH
# The next incremental pull starts this long before the last one started, so a record saved on
# the POS while we were reading is not missed (duplicates are harmless: same fingerprint).
OVERLAP = timedelta(minutes=5)
# A POS that cannot report deletions is asked for its whole id list (COM-01) at most this
# often on incremental runs: frequent scheduled runs (COM-10) stay a few requests each, and a
# deletion still shows up within hours. A full run always checks.
DELETION_SCAN_EVERY = timedelta(hours=6)
DELETION_SCAN = "deletion_scan"   # checkpoint direction whose watermark = last id scan
BATCH_SIZE = 100
# A pull writes POS pages in groups of at least this many records, or of PAGE_SECONDS.
# Each commit rewrites every index page its rows touched, and natural keys (SKUs, barcodes)
# land all over their index: at 100k products, groups of 250 made commits a seventh of the
# pull. A killed run re-reads at most one group.
PAGE_RECORDS = 1000
PAGE_SECONDS = 1.0
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


class ItemWrites(Protocol):
    """Where one item's result row (COM-06) and App write with its undo row (B-02) go."""

    def result(self, row: tuple) -> None:
        """(run_id, entity, direction, app_id, pos_id, name, action, outcome, rule,
        message_vi, message_en, at)."""

    def put(self, entity: Entity, before: Record | None, after: Record,
            origin: str) -> Record: ...


class StoreWrites:
    """Outside a page of a pull: each row goes to the store at once, inside the item's own
    commit (`RunSteps._committing`)."""

    def __init__(self, catalog: Any, ledger: Ledger, run: m.Run) -> None:
        self.catalog, self.ledger, self.run = catalog, ledger, run

    def result(self, row: tuple) -> None:
        (_, entity, direction, app_id, pos_id, name, action, outcome, rule, vi, en, _) = row
        self.ledger.add_result(self.run, entity=entity, direction=direction, app_id=app_id,
                               pos_id=pos_id, name=name, action=action, outcome=outcome,
                               rule=rule, message_vi=vi, message_en=en)

    def put(self, entity: Entity, before: Record | None, after: Record,
            origin: str) -> Record:
        saved = self.catalog.put(entity, after, origin=origin)
        self.ledger.add_change(self.run, entity, saved.key, before, saved)
        return saved


@dataclass
class RunState:
    row: m.Run
    kind: str
    dry_run: bool
    started: float
    counts: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    pending: list = field(default_factory=list)
    open_commits: int = 0      # > 0 while inside `_committing`: events wait for the commit
    # Where an item's result row and App write go (`ItemWrites`): the store at once, or a
    # page of a pull that keeps them and writes the page whole (PageWrites, page.py). Set by
    # the engine when the run starts; a pull swaps its page in with `PullSteps._page_writes`.
    writes: Any = None
    # App ids whose link this run's pull wrote (App and POS agree as of now): the push pass
    # after it has nothing to check for them (a 100k first pull parses nothing twice).
    synced: dict = field(default_factory=dict)
    branches_told: bool = False   # the connector knows the App's POS branches (know_branches)
    # Slow entities a scheduled run did not read (schedule.SLOW_ENTITIES): read on demand when
    # a pulled record names one the App has not linked yet.
    deferred: set = field(default_factory=set)



@dataclass
class RunContext:
    """What the steps of one engine share, in one owned place: the pull and the push are
    separate objects over the same context (no attribute is declared in one class and set
    in another)."""

    catalog: Any
    ledger: Ledger
    connector: Connector | None
    platform: Platform
    policies: dict[Entity, EntityPolicy]
    emit: ev.Emit
    clock: Callable[[], datetime]
    monotonic: Callable[[], float]
    cancel: threading.Event
    batch_size: int
    page_records: int
    overlap: timedelta
    deletion_scan_every: timedelta


def from_context(name: str) -> property:
    """An attribute read and written through the run context, so every step sees one value
    (a test that swaps the engine's `emit` swaps it for the pull and the push too)."""
    return property(lambda self: getattr(self.context, name),
                    lambda self, value: setattr(self.context, name, value))


class RunSteps:
    """What every step does with the run's results: result rows and events (the result
    sink), commits, progress, cancel checks. The pull and the push build on it."""

    def __init__(self, context: RunContext) -> None:
        self.context = context

    catalog = from_context("catalog")
    ledger = from_context("ledger")
    connector = from_context("connector")
    platform = from_context("platform")
    policies = from_context("policies")
    emit = from_context("emit")
    clock = from_context("clock")
    monotonic = from_context("monotonic")
    cancel = from_context("cancel")
    batch_size = from_context("batch_size")
    page_records = from_context("page_records")
    overlap = from_context("overlap")
    deletion_scan_every = from_context("deletion_scan_every")

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    @contextmanager
    def _committing(self, ctx: RunState) -> Iterator[None]:
        """One item's App write, link and result row commit together; events go out only
        after the commit, so the UI never shows a result the database does not hold."""
        ctx.pending.clear()
        ctx.open_commits += 1
        try:
            with atomic():
                yield
        except BaseException:
            ctx.pending.clear()
            raise
        finally:
            ctx.open_commits -= 1
        self._flush(ctx)

    def _flush(self, ctx: RunState) -> None:
        for event in ctx.pending:
            if isinstance(event, ev.ItemResult):
                ctx.counts[event.outcome] += 1
                ctx.actions[event.action] += 1
            self.emit(event)
        ctx.pending.clear()

    def _item(self, ctx: RunState, entity: Entity, direction: str, action: str, outcome: str, *,
              app_id: str = "", pos_id: str = "", name: str = "", rule: str = "",
              text: tuple[str, str] = ("", "")) -> ev.ItemResult:
        """Store a result row (COM-06); emitted when the surrounding commit succeeds (or at
        once outside `_committing`)."""
        if ctx.dry_run and outcome == Outcome.OK:
            outcome = Outcome.PLANNED
        ctx.writes.result((ctx.row.id, entity.value, direction, app_id, pos_id, name[:255],
                           action, outcome, rule, text[0], text[1], self.clock()))
        event = ev.ItemResult(ctx.row.id, entity.value, direction, app_id, pos_id, name, action,
                              outcome, rule, text[0], text[1])
        ctx.pending.append(event)
        if not ctx.open_commits:
            self._flush(ctx)
        return event

    def _progress(self, entity: Entity, direction: str, done: int, total: int | None,
                  began: float) -> None:
        eta = None
        if total and done:
            elapsed = self.monotonic() - began
            eta = round(max(0.0, elapsed / done * (total - done)), 1)
        self.emit(ev.Progress(entity.value, direction, done, total, eta))

    def _entity_off(self, ctx: RunState, policy: EntityPolicy) -> None:
        if policy.off_reason:
            message = say("entity_off", option=policy.off_reason)
        else:
            cap = self.platform.capability(policy.entity)
            message = say("entity_none", rule=cap.unavailable_reason or cap.rule or "—")
        self._item(ctx, policy.entity, PULL, Action.SKIP, Outcome.SKIPPED,
                   rule=self.platform.capability(policy.entity).unavailable_reason or policy.rule,
                   text=message)

    def _not_offered(self, ctx: RunState, policy: EntityPolicy, app_id: str) -> None:
        cap = self.platform.capability(policy.entity)
        rule = cap.unavailable_reason or cap.rule
        self._item(ctx, policy.entity, PUSH, Action.BLOCKED, Outcome.SKIPPED, app_id=app_id,
                   rule=rule,
                   text=say("push_not_offered", entity=policy.entity.value, rule=rule or "—"))

    def _write_app(self, ctx: RunState, entity: Entity, before: Record | None,
                   after: Record, origin: str = "app") -> Record:
        """Write one App record and remember the old one for undo (B-02)."""
        return ctx.writes.put(entity, before, after, origin)


    def _conflict(self, ctx: RunState, entity: Entity, app: Record, pos: Record | None,
                  link: m.Link, rule: str, message: tuple[str, str],
                  direction: str = PULL) -> None:
        """COM-04 / SAPO-09: store both sides, overwrite nothing, let the user decide."""
        conflict_id = 0
        if not ctx.dry_run:
            conflict = self.ledger.add_conflict(ctx.row, entity, link.app_id, link.pos_id, app,
                                                pos, rule)
            conflict_id = conflict.id
        self._item(ctx, entity, direction, Action.CONFLICT, Outcome.SKIPPED,
                   app_id=link.app_id, pos_id=link.pos_id, name=display_name(app), rule=rule,
                   text=message)
        if conflict_id:
            ctx.pending.append(ev.ConflictRaised(conflict_id, entity.value, link.app_id,
                                                 link.pos_id, rule, run_id=ctx.row.id))

