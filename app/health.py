"""How one connection is doing, read from the store: what its home page and its notices say.

A connection is GOOD (nothing to do), NEEDS ATTENTION (something waits for the owner but syncing
goes on) or BROKEN (syncing cannot go on until the owner acts). Exactly one `Reason` is the one
thing to do; per entity the page shows direction, last sync, records, failures and conflicts.
No UI text here: the window words it (ui/pages/home_page.py), the command line could too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

import peewee as pw

from app.store import models as m
from contract.records import SYNC_ORDER

EXPIRY_WARN_DAYS = 30
REPEATED_FAILURES = 3
_RECENT_RUNS = 50


class State(str, Enum):
    GOOD = "good"
    ATTENTION = "attention"
    BROKEN = "broken"


class Reason(str, Enum):
    """The one thing to do, most urgent first (the order of this enum is the priority)."""

    TOKEN_EXPIRED = "token_expired"          # broken: log in again
    RUN_FAILED = "run_failed"                # broken: the last run stopped (key, permission)
    REPEATED_FAILURES = "repeated_failures"  # broken: three runs in a row did not finish
    RUN_INTERRUPTED = "run_interrupted"      # attention: sync again, it resumes
    CONFLICTS = "conflicts"                  # attention: choose what to keep
    FAILED_ITEMS = "failed_items"            # attention: retry the failed items
    TOKEN_EXPIRING = "token_expiring"        # attention: log in again before the date
    APP_CHANGES = "app_changes"              # attention: App changes not on the POS yet: sync
    POS_LOCKED = "pos_locked"                # attention: kept in the App, the POS cannot take
                                             # it (SAPO-09): the owner changes it on the POS
    NEVER_SYNCED = "never_synced"            # attention: run the first sync
    NONE = "none"


_BROKEN = {Reason.TOKEN_EXPIRED, Reason.RUN_FAILED, Reason.REPEATED_FAILURES}


@dataclass(frozen=True)
class EntityHealth:
    entity: str
    direction: str                     # Direction value
    enabled: bool
    last_synced: datetime | None       # end of the last finished sync run that included it
    records: int                       # records linked between the App and this POS
    failures: int                      # failed items of its latest run
    conflicts: int                     # open conflicts


@dataclass(frozen=True)
class ConnectionHealth:
    profile: str
    state: State
    reason: Reason
    entities: tuple[EntityHealth, ...]
    conflicts: int = 0
    failures: int = 0
    failed_run_id: int | None = None
    last_run_status: str = ""
    last_run_at: datetime | None = None
    last_run_kind: str = ""
    last_error: tuple[str, str] = ("", "")
    token_expires_at: datetime | None = None
    token_days_left: int | None = None
    streak: int = 0
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    unsent: int = 0                    # App records changed since the POS last took them
    locked: tuple[str, ...] = ()       # names of records kept "App" that the POS keeps its own


def _unsent_app_changes(profile_id: int, entities: list[EntityHealth],
                        open_conflicts: set[tuple[str, str]]) -> int:
    """App records whose changes the POS does not have yet (walk finding 4): per pushing
    entity, the ids the push step left unsettled (`PushMark.pending`) and the catalog rows
    written after its last complete scan and after the link was last settled. Open conflicts
    are counted as conflicts, not here.
    An entity the push step never scanned counts nothing: "never synced" says it."""
    pushing = [item.entity for item in entities
               if item.enabled and item.direction in ("app_to_pos", "both")]
    if not pushing:
        return 0
    marks = {row.entity: row for row in m.PushMark.select().where(
        (m.PushMark.profile == profile_id) & m.PushMark.entity.in_(pushing))}
    unsent: set[tuple[str, str]] = set()
    for entity, mark in marks.items():
        unsent.update((entity, app_id) for app_id in json.loads(mark.pending or "[]"))
        # Rows written since the scan that this connection has not settled since: a pull or a
        # "keep POS" writes the row and then the link, so those are not App changes.
        link = m.Link.alias()
        rows = (m.CatalogItem.select(m.CatalogItem.app_id)
                .join(link, pw.JOIN.LEFT_OUTER,
                      on=((link.profile == profile_id) & (link.entity == entity)
                          & (link.app_id == m.CatalogItem.app_id)))
                .where((m.CatalogItem.entity == entity)
                       & (m.CatalogItem.revision > mark.revision)
                       & (link.id.is_null() | (m.CatalogItem.updated_at > link.synced_at)))
                .tuples())
        unsent.update((entity, app_id) for (app_id,) in rows)
    return len(unsent - open_conflicts)


def _locked_differences(profile_id: int) -> tuple[str, ...]:
    """Conflicts resolved "keep App" under a rule that locks the POS side (SAPO-09, KVF-10):
    the engine only re-baselined ("resolved_app_not_pushed"), so the App and the POS still
    differ while the link's two fingerprints differ. Their names, for the owner to fix on the
    POS (or to keep the POS's version)."""
    rows = (m.Conflict.select(m.Conflict, m.Link)
            .join(m.Link, on=((m.Link.profile == m.Conflict.profile)
                              & (m.Link.entity == m.Conflict.entity)
                              & (m.Link.app_id == m.Conflict.app_id)))
            .where((m.Conflict.profile == profile_id) & (m.Conflict.status == "resolved")
                   & (m.Conflict.resolution == "app") & (m.Conflict.rule != "")
                   & (m.Conflict.rule != "COM-04")
                   & (m.Link.app_fingerprint != m.Link.pos_fingerprint))
            .order_by(m.Conflict.id))
    names: dict[tuple[str, str], str] = {}
    for row in rows:
        data = json.loads(row.app_data or "null") or {}
        names[(row.entity, row.app_id)] = str(data.get("number") or data.get("name")
                                              or row.pos_id or row.app_id)
    return tuple(names.values())


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _entities_of(run) -> list[str]:
    try:
        return list(json.loads(run.entities or "[]"))
    except ValueError:
        return []


def connection_health(profile, platform, enabled: set[str] | None = None,
                      now: datetime | None = None) -> ConnectionHealth:
    """`profile` as profiles.list_profiles gives it (has .id, .name, .token_expires_at)."""
    now = now or datetime.now(timezone.utc)
    runs = list(m.Run.select().where((m.Run.profile == profile.id)
                                     & (m.Run.dry_run == False))  # noqa: E712
                .order_by(m.Run.id.desc()).limit(_RECENT_RUNS))
    records = dict(m.Link.select(m.Link.entity, pw.fn.COUNT(m.Link.id))
                   .where(m.Link.profile == profile.id).group_by(m.Link.entity).tuples())
    conflicts = dict(m.Conflict.select(m.Conflict.entity, pw.fn.COUNT(m.Conflict.id))
                     .where((m.Conflict.profile == profile.id) & (m.Conflict.status == "open"))
                     .group_by(m.Conflict.entity).tuples())

    last_synced: dict[str, datetime] = {}
    latest_run: dict[str, int] = {}
    for run in runs:
        for entity in _entities_of(run):
            latest_run.setdefault(entity, run.id)
            if run.kind == "sync" and run.status == "done" and entity not in last_synced:
                last_synced[entity] = _aware(run.finished_at or run.started_at)
    failures: dict[str, int] = {}
    if latest_run:
        wanted = set(latest_run.values())
        rows = (m.ItemResult.select(m.ItemResult.run, m.ItemResult.entity,
                                    pw.fn.COUNT(m.ItemResult.id))
                .where(m.ItemResult.run.in_(list(wanted)) & (m.ItemResult.outcome == "failed"))
                .group_by(m.ItemResult.run, m.ItemResult.entity).tuples())
        for run_id, entity, count in rows:
            if latest_run.get(entity) == run_id:
                failures[entity] = failures.get(entity, 0) + count

    entities = []
    for entity in SYNC_ORDER:
        cap = platform.entities.get(entity)
        if cap is None or cap.direction.value == "none":
            continue
        key = entity.value
        entities.append(EntityHealth(
            key, cap.direction.value, enabled is None or key in enabled, last_synced.get(key),
            int(records.get(key, 0)), failures.get(key, 0), int(conflicts.get(key, 0))))

    reasons: list[Reason] = []
    expires = _aware(profile.token_expires_at)
    days_left = None
    if expires is not None:
        days_left = int((expires - now).total_seconds() // 86400)
        if expires <= now:
            reasons.append(Reason.TOKEN_EXPIRED)
        elif days_left <= EXPIRY_WARN_DAYS:
            reasons.append(Reason.TOKEN_EXPIRING)
    # The last run that was not a mere preview; a finished undo or resolve counts as running fine.
    last = runs[0] if runs else None
    streak = 0
    for run in runs:
        if run.status in ("failed", "interrupted"):
            streak += 1
        else:
            break
    error = ("", "")
    if last is not None and last.error:
        vi, _, en = last.error.partition("\n")
        error = (vi, en or vi)
    if streak >= REPEATED_FAILURES:
        reasons.append(Reason.REPEATED_FAILURES)
    elif last is not None and last.status == "failed":
        reasons.append(Reason.RUN_FAILED)
    elif last is not None and last.status in ("interrupted", "cancelled"):
        reasons.append(Reason.RUN_INTERRUPTED)
    total_conflicts = sum(conflicts.values())
    if total_conflicts:
        reasons.append(Reason.CONFLICTS)
    total_failures = sum(failures.values())
    failed_run = None
    if total_failures:
        reasons.append(Reason.FAILED_ITEMS)
        failed_run = max(run_id for entity, run_id in latest_run.items() if failures.get(entity))
    open_keys = set(m.Conflict.select(m.Conflict.entity, m.Conflict.app_id)
                    .where((m.Conflict.profile == profile.id) & (m.Conflict.status == "open"))
                    .tuples())
    unsent = _unsent_app_changes(profile.id, entities, open_keys)
    if unsent:
        reasons.append(Reason.APP_CHANGES)
    locked = _locked_differences(profile.id)
    if locked:
        reasons.append(Reason.POS_LOCKED)
    if not any(run.kind == "sync" and run.status == "done" for run in runs):
        reasons.append(Reason.NEVER_SYNCED)
    reasons.sort(key=list(Reason).index)
    reason = reasons[0] if reasons else Reason.NONE
    state = (State.BROKEN if reason in _BROKEN else
             State.ATTENTION if reason is not Reason.NONE else State.GOOD)
    return ConnectionHealth(
        profile.name, state, reason, tuple(entities), total_conflicts, total_failures,
        failed_run, last.status if last else "",
        _aware(last.finished_at or last.started_at) if last else None,
        last.kind if last else "", error, expires, days_left, streak, tuple(reasons),
        unsent, locked)
