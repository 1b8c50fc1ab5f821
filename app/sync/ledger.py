"""The sync bookkeeping in the store: runs, item results, links, checkpoints, write intents,
conflicts and App-side changes. The engine talks to the tables only through here."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Iterable

from contract.records import Entity, Record, now_utc, to_plain
from app.redaction import redact
from app.store import models as m
from app.store.catalog import serialise

DIGEST_PREFIX = "b2:"   # 128-bit BLAKE2b: short, as the row is written per created record


def created_digest(stored_json: str | None) -> str | None:
    """What an undo row keeps of a record its run created: a digest of the catalog JSON as
    written (None when the writer did not give it, as rows from before migration 4)."""
    if not stored_json:
        return None
    return DIGEST_PREFIX + hashlib.blake2b(stored_json.encode("utf-8"),
                                                 digest_size=16).hexdigest()


def stored_utc(value: datetime | str) -> datetime:
    """Datetimes read back from SQLite may come as text or naive; they were stored as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def atomic():
    """One transaction on the store the models are bound to."""
    return m.database_proxy.atomic()


class Ledger:
    """Bookkeeping of one profile. `clock` is injected so tests control time."""

    def __init__(self, profile: Any, clock=now_utc) -> None:
        # A ConnectionProfile or a Profile row: only its id is used.
        self.profile = profile.id
        self.clock = clock

    # -- runs --------------------------------------------------------------------------------
    def start_run(self, kind: str, entities: Iterable[Entity], dry_run: bool,
                  resumed_from: m.Run | None = None) -> m.Run:
        if not dry_run:
            self.mark_killed_runs()
        return m.Run.create(profile=self.profile, kind=kind, dry_run=dry_run,
                            entities=json.dumps([e.value for e in entities]),
                            status="running", started_at=self.clock(),
                            resumed_from=resumed_from)

    def finish_run(self, run: m.Run, status: str, counts: dict, request_count: int,
                   error: str = "") -> None:
        run.status, run.counts = status, json.dumps(counts)
        run.request_count, run.finished_at = request_count, self.clock()
        run.error = redact(error)        # a POS may quote our credentials back (COM-07)
        run.save()

    KILLED = ("Bị dừng giữa chừng (chương trình bị tắt hoặc máy tắt). Những gì đã lưu vẫn "
              "còn; hãy chạy lại nếu cần.",
              "Stopped before finishing (the program was closed or the computer shut down). "
              "What was saved is kept; run it again if needed.")

    def mark_killed_runs(self) -> int:
        """Real runs of this profile still "running" when a new real run starts were killed:
        real runs of one connection never overlap (app.sync.run_lock), so they are marked
        interrupted, whatever their kind (sync, push, undo, restore …). Dry runs take no lock
        and are left alone. Returns how many were marked."""
        return (m.Run.update(status="interrupted", error="\n".join(self.KILLED))
                .where((m.Run.profile == self.profile) & (m.Run.status == "running")
                       & (m.Run.dry_run == False))  # noqa: E712
                .execute())

    def unfinished_run(self, kind: str = "sync") -> m.Run | None:
        """The last run of this profile that stopped before finishing (killed or interrupted)."""
        return (m.Run.select().where((m.Run.profile == self.profile) & (m.Run.kind == kind)
                                     & (m.Run.dry_run == False)  # noqa: E712
                                     & (m.Run.status.in_(("running", "interrupted",
                                                          "cancelled"))))
                .order_by(m.Run.id.desc()).first())

    def last_run(self, kinds: Iterable[str] = ("sync", "push", "retry")) -> m.Run | None:
        return (m.Run.select().where((m.Run.profile == self.profile)
                                     & (m.Run.kind.in_(tuple(kinds)))
                                     & (m.Run.dry_run == False))  # noqa: E712
                .order_by(m.Run.id.desc()).first())

    # -- results -----------------------------------------------------------------------------
    def add_result(self, run: m.Run, **values: Any) -> m.ItemResult:
        for column in ("message_vi", "message_en"):
            if column in values:
                values[column] = redact(values[column])      # COM-07
        return m.ItemResult.create(run=run, at=self.clock(), **values)

    def has_result(self, run_ids: Iterable[int], entity: Entity, direction: str,
                   app_id: str = "", pos_id: str = "") -> bool:
        query = m.ItemResult.select().where(m.ItemResult.run.in_(tuple(run_ids))
                                            & (m.ItemResult.entity == entity.value)
                                            & (m.ItemResult.direction == direction))
        if pos_id:
            query = query.where(m.ItemResult.pos_id == pos_id)
        else:
            query = query.where(m.ItemResult.app_id == app_id)
        return query.exists()

    def reported(self, entity: Entity, direction: str, action: str, rule: str,
                 message_en: str | None = None) -> set[str]:
        """App ids that already got this kind of result in an earlier real run, so a standing
        condition (an order whose status is never pushed) is said once, not every run.
        `message_en` narrows it to one message when one action and rule say several things."""
        query = (m.ItemResult.select(m.ItemResult.app_id).join(m.Run)
                 .where((m.Run.profile == self.profile) & (m.Run.dry_run == False)  # noqa: E712
                        & (m.ItemResult.entity == entity.value)
                        & (m.ItemResult.direction == direction)
                        & (m.ItemResult.action == action) & (m.ItemResult.rule == rule)))
        if message_en is not None:
            query = query.where(m.ItemResult.message_en == message_en)
        return {row.app_id for row in query}

    def links_without_app_record(self, entity: Entity) -> list[tuple[str, str]]:
        """(app_id, pos_id) of links whose App record is gone (deleted in the App) while the
        POS still has it."""
        return list(m.database_proxy.execute_sql(
            "SELECT l.app_id, l.pos_id FROM link l LEFT JOIN catalog_item c "
            "ON c.entity = l.entity AND c.app_id = l.app_id "
            "WHERE l.profile_id = ? AND l.entity = ? AND l.pos_deleted_at IS NULL "
            "AND c.id IS NULL ORDER BY l.id", (self.profile, entity.value)))

    # -- links -------------------------------------------------------------------------------
    def _links(self, entity: Entity):
        return m.Link.select().where((m.Link.profile == self.profile)
                                     & (m.Link.entity == entity.value))

    def link_by_pos(self, entity: Entity, pos_id: str) -> m.Link | None:
        return self._links(entity).where(m.Link.pos_id == pos_id).first()

    def link_by_app(self, entity: Entity, app_id: str) -> m.Link | None:
        return self._links(entity).where(m.Link.app_id == app_id).first()

    def links(self, entity: Entity) -> list[m.Link]:
        return list(self._links(entity))

    def save_link(self, entity: Entity, app_id: str, pos_id: str, app_fp: str, pos_fp: str,
                  pushed_status: str | None = None) -> m.Link:
        link = self.link_by_app(entity, app_id) or self.link_by_pos(entity, pos_id)
        if link is None:
            link = m.Link(profile=self.profile, entity=entity.value)
        link.app_id, link.pos_id = app_id, pos_id
        link.app_fingerprint, link.pos_fingerprint = app_fp, pos_fp
        link.synced_at = self.clock()
        link.pos_deleted_at = None
        if pushed_status is not None:
            link.pushed_status = pushed_status
        link.save()
        return link

    # -- whole pages at once (a 100k first pull is not 100k round trips) ----------------------
    CHUNK = 500

    def drop_link(self, link: m.Link) -> None:
        """Forget a link (the App record it joined was deleted or moved to the recycle state):
        with `save_link` and `update_link`, the only ways a link changes."""
        link.delete_instance()

    def update_link(self, link: m.Link, **changes: Any) -> m.Link:
        """Change a read link's stored fields (fingerprints, pushed status, synced time): the
        one way the engine rewrites a link besides `save_link`."""
        for name, value in changes.items():
            setattr(link, name, value)
        link.save()
        return link

    def links_by_pos(self, entity: Entity, pos_ids: Iterable[str]) -> dict[str, m.Link]:
        wanted = list(dict.fromkeys(pos_ids))
        found: dict[str, m.Link] = {}
        for start in range(0, len(wanted), self.CHUNK):
            for link in self._links(entity).where(
                    m.Link.pos_id.in_(wanted[start:start + self.CHUNK])):
                found[link.pos_id] = link
        return found

    def links_by_app(self, entity: Entity, app_ids: Iterable[str]) -> dict[str, m.Link]:
        wanted = list(dict.fromkeys(app_ids))
        found: dict[str, m.Link] = {}
        for start in range(0, len(wanted), self.CHUNK):
            for link in self._links(entity).where(
                    m.Link.app_id.in_(wanted[start:start + self.CHUNK])):
                found[link.app_id] = link
        return found

    def linked_app_ids(self, entity: Entity, app_ids: Iterable[str]) -> set[str]:
        """Those of `app_ids` that already have a link (are not free to match, COM-02)."""
        wanted = list(dict.fromkeys(app_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), self.CHUNK):
            chunk = wanted[start:start + self.CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(row[0] for row in m.database_proxy.execute_sql(
                f"SELECT app_id FROM link WHERE profile_id = ? AND entity = ? "
                f"AND app_id IN ({marks})", [self.profile, entity.value, *chunk]))
        return found

    def linked_elsewhere(self, entity: Entity, app_id: str) -> bool:
        """Whether another connection already links this App record (it would push a change
        of it to its own POS: a pull here must not change it without asking, COM-04)."""
        return (m.Link.select(m.Link.id)
                .where((m.Link.entity == entity.value) & (m.Link.app_id == app_id)
                       & (m.Link.profile != self.profile)).exists())

    def app_ids(self, refs: Iterable[tuple[Entity, str]]) -> dict[tuple[Entity, str], str]:
        """App ids of many (entity, POS id) references at once (unlinked ones are absent)."""
        by_entity: dict[Entity, list[str]] = {}
        for entity, pos_id in dict.fromkeys(refs):
            if pos_id:
                by_entity.setdefault(entity, []).append(pos_id)
        found: dict[tuple[Entity, str], str] = {}
        for entity, pos_ids in by_entity.items():
            for start in range(0, len(pos_ids), self.CHUNK):
                chunk = pos_ids[start:start + self.CHUNK]
                marks = ", ".join("?" * len(chunk))
                for pos_id, app_id in m.database_proxy.execute_sql(
                        f"SELECT pos_id, app_id FROM link WHERE profile_id = ? AND entity = ? "
                        f"AND pos_id IN ({marks})", [self.profile, entity.value, *chunk]):
                    found[(entity, pos_id)] = app_id
        return found

    def unseen_links(self, entity: Entity, seen: set[str]) -> list[str]:
        """POS ids of live links of `entity` that are not in `seen` (deleted on the POS)."""
        rows = m.database_proxy.execute_sql(
            "SELECT pos_id FROM link WHERE profile_id = ? AND entity = ? "
            "AND pos_deleted_at IS NULL ORDER BY id", (self.profile, entity.value))
        return [pos_id for (pos_id,) in rows if pos_id not in seen]

    def write_links(self, new: list[m.Link], changed: Iterable[m.Link]) -> None:
        """Insert new and update changed links of one page, one statement kind each."""
        cursor = m.database_proxy.cursor()
        if new:
            cursor.executemany(
                "INSERT INTO link (profile_id, entity, app_id, pos_id, app_fingerprint, "
                "pos_fingerprint, synced_at, pos_deleted_at, pushed_status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(self.profile, link.entity, link.app_id, link.pos_id, link.app_fingerprint,
                  link.pos_fingerprint, link.synced_at, link.pos_deleted_at,
                  link.pushed_status or "") for link in new])
        rows = [(link.app_id, link.pos_id, link.app_fingerprint, link.pos_fingerprint,
                 link.synced_at, link.pos_deleted_at, link.pushed_status or "", link.id)
                for link in changed]
        if rows:
            cursor.executemany(
                "UPDATE link SET app_id = ?, pos_id = ?, app_fingerprint = ?, "
                "pos_fingerprint = ?, synced_at = ?, pos_deleted_at = ?, pushed_status = ? "
                "WHERE id = ?", rows)

    def add_results(self, rows: list[tuple]) -> None:
        """Result rows (run_id, entity, direction, app_id, pos_id, name, action, outcome,
        rule, message_vi, message_en, at) in one statement."""
        if rows:
            m.database_proxy.cursor().executemany(
                "INSERT INTO item_result (run_id, entity, direction, app_id, pos_id, name, "
                "action, outcome, rule, message_vi, message_en, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*row[:9], redact(row[9]), redact(row[10]), *row[11:]) for row in rows])

    def add_changes(self, rows: list[tuple]) -> None:
        """Undo rows (run_id, entity, app_id, before JSON, after JSON, at), B-02. A created
        record's row (no before) keeps no copy of it: undo takes what the catalog holds
        (models.AppChange), and the copy was a third of a first pull's bytes written. It keeps
        a digest of the JSON as written instead (`created_digest`), so undo can tell a record
        edited in the App since the run from one left as the run wrote it."""
        if rows:
            m.database_proxy.cursor().executemany(
                "INSERT INTO app_change (run_id, entity, app_id, before, after, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(run, entity, app_id, before,
                  created_digest(after) if before is None else after, at)
                 for run, entity, app_id, before, after, at in rows])

    # KeyMap for app.sync.translate
    def app_id(self, entity: Entity, pos_id: str) -> str | None:
        link = self.link_by_pos(entity, pos_id)
        return link.app_id if link else None

    def pos_id(self, entity: Entity, app_id: str) -> str | None:
        link = self.link_by_app(entity, app_id)
        return link.pos_id if link else None

    # -- checkpoints -------------------------------------------------------------------------
    def checkpoint(self, entity: Entity, direction: str) -> m.Checkpoint | None:
        return m.Checkpoint.get_or_none(profile=self.profile, entity=entity.value,
                                        direction=direction)

    def save_checkpoint(self, entity: Entity, direction: str, **values: Any) -> None:
        point = self.checkpoint(entity, direction) or m.Checkpoint(
            profile=self.profile, entity=entity.value, direction=direction)
        for name, value in values.items():
            setattr(point, name, value)
        point.updated_at = self.clock()
        point.save()

    def save_resume(self, entity: Entity, direction: str, resume: str | None,
                    run: m.Run) -> None:
        """`save_checkpoint(resume=…, run=…)` in one statement: it runs once per page."""
        cursor = m.database_proxy.execute_sql(
            "UPDATE checkpoint SET resume = ?, run_id = ?, updated_at = ? "
            "WHERE profile_id = ? AND entity = ? AND direction = ?",
            (resume, run.id, self.clock(), self.profile, entity.value, direction))
        if cursor.rowcount == 0:
            self.save_checkpoint(entity, direction, resume=resume, run=run)

    # -- write intents (COM-09) --------------------------------------------------------------
    def add_intent(self, run: m.Run, entity: Entity, app_id: str) -> None:
        m.WriteIntent.insert(profile=self.profile, run=run, entity=entity.value, app_id=app_id,
                             created_at=self.clock()).on_conflict_ignore().execute()

    def drop_intent(self, entity: Entity, app_id: str) -> None:
        m.WriteIntent.delete().where((m.WriteIntent.profile == self.profile)
                                     & (m.WriteIntent.entity == entity.value)
                                     & (m.WriteIntent.app_id == app_id)).execute()

    def intents(self, entity: Entity) -> list[str]:
        return [row.app_id for row in m.WriteIntent.select().where(
            (m.WriteIntent.profile == self.profile) & (m.WriteIntent.entity == entity.value))]

    # -- conflicts ---------------------------------------------------------------------------
    def open_conflict(self, entity: Entity, app_id: str) -> m.Conflict | None:
        return m.Conflict.select().where((m.Conflict.profile == self.profile)
                                         & (m.Conflict.entity == entity.value)
                                         & (m.Conflict.app_id == app_id)
                                         & (m.Conflict.status == "open")).first()

    def open_conflict_ids(self, entity: Entity) -> set[str]:
        """App ids of `entity` with an open conflict: nothing is pushed for them (COM-04)."""
        return {row[0] for row in m.database_proxy.execute_sql(
            "SELECT app_id FROM conflict WHERE profile_id = ? AND entity = ? AND status = 'open'",
            (self.profile, entity.value))}

    def add_conflict(self, run: m.Run, entity: Entity, app_id: str, pos_id: str,
                     app_record: Record | None, pos_record: Record | None,
                     rule: str = "COM-04") -> m.Conflict:
        existing = self.open_conflict(entity, app_id)
        data = dict(app_data=json.dumps(to_plain(app_record) if app_record else None,
                                        ensure_ascii=False),
                    pos_data=json.dumps(to_plain(pos_record) if pos_record else None,
                                        ensure_ascii=False), rule=rule, run=run)
        if existing is not None:
            for name, value in data.items():
                setattr(existing, name, value)
            existing.save()
            return existing
        return m.Conflict.create(profile=self.profile, entity=entity.value, app_id=app_id,
                                 pos_id=pos_id, created_at=self.clock(), **data)

    # -- App-side changes (undo, B-02) -------------------------------------------------------
    def add_change(self, run: m.Run, entity: Entity, app_id: str, before: Record | None,
                   after: Record | None) -> None:
        def dump(record):
            return None if record is None else json.dumps(to_plain(record), ensure_ascii=False)
        # A create's digest is of the text the catalog stores (serialise), as the page path.
        written = serialise(after) if before is None and after is not None else dump(after)
        self.add_changes([(run.id, entity.value, app_id, dump(before), written,
                           self.clock())])
