"""Undo of the last run's App-side changes (B-02), and the restore that takes an undo back.

An undo never destroys the catalog (issue 18):

- It looks at the **latest** real run of the connection only. A run that changed nothing in the
  App, or that was already undone, is not a reason to reach further back: the user is told.
- It is planned before anything changes (`plan_undo`): per entity, the records put back to
  their earlier values, the records the run created that would be removed, and the records
  skipped because they were edited in the App after the run or because another record refers
  to them. `shopsync undo NAME --dry-run` and the window's confirm dialog show that plan.
- The first pull of an entity is refused: its records mirror the POS, and removing them would
  only make the next sync bring them back under new App ids.
- What it removes goes to a recycle state (`RecycledItem`, out of the catalog, whole, with its
  link) that `restore_last_undo` brings back.
- It is applied in one transaction: a killed or failed undo leaves the catalog as it was, and
  its run row is marked interrupted at the next start (`Ledger.start_run`).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Iterable

from contract.records import Entity, SYNC_ORDER, from_plain
from app.store import models as m
from app.sync.ledger import DIGEST_PREFIX, created_digest, stored_utc
from app.sync.steps import PULL, display_name

RULE = "B-02"
UNDO_KIND, RESTORE_KIND = "undo", "restore"
# Runs an undo can act on: they may change the App. Undo and restore runs are not themselves
# undone (restore is the way back from an undo).
UNDOABLE_KINDS = ("sync", "push", "retry", "resolve", "delete")

ENTITY_WORDS: dict[Entity, tuple[str, str]] = {
    Entity.BRANCH: ("Chi nhánh", "Branches"),
    Entity.CATEGORY: ("Danh mục sản phẩm", "Product categories"),
    Entity.PRODUCT: ("Sản phẩm", "Products"),
    Entity.CUSTOMER: ("Khách hàng", "Customers"),
    Entity.ORDER: ("Đơn hàng", "Orders"),
    Entity.NEWS: ("Tin tức", "News"),
}

# Fields of a record (at any depth of its canonical JSON) that hold another record's App id.
# App ids carry their entity's prefix (P…, K…, C…), so the values alone identify the record.
REFERENCE_FIELDS = frozenset({"product_key", "customer_key", "branch_key", "parent_key",
                              "category_keys", "category_key"})


class UndoAction(str, Enum):
    """What undo does, or would do, to one record; the value is the result row's action."""

    RESTORE = "restored"            # put back as it was before the run (or brought back)
    REMOVE = "removed"              # the run created it: moved to the recycle state
    SKIP_EDITED = "skip_edited"     # edited (or deleted) in the App after the run: untouched
    SKIP_REFERENCED = "skip_referenced"   # another record refers to it: never removed


class Refusal(str, Enum):
    NO_RUN = "no_run"
    NOTHING_CHANGED = "nothing_changed"
    ALREADY_UNDONE = "already_undone"
    FIRST_PULL = "first_pull"


@dataclass(frozen=True)
class UndoItem:
    change_id: int
    entity: Entity
    app_id: str
    name: str
    action: UndoAction
    before: str | None          # the JSON to put back (RESTORE)


@dataclass
class UndoPlan:
    """What an undo of the latest run would do, decided before anything changes."""

    run: m.Run | None
    refusal: Refusal | None = None
    items: list[UndoItem] = field(default_factory=list)
    first_pull: tuple[Entity, ...] = ()
    first_pull_count: int = 0

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def refused_for_safety(self) -> bool:
        """Refused because undoing would harm the catalog (not merely nothing to do)."""
        return self.refusal is Refusal.FIRST_PULL

    def counts(self) -> dict[Entity, Counter]:
        """Entity → UndoAction → number of records, in sync order."""
        found: dict[Entity, Counter] = {}
        for item in self.items:
            found.setdefault(item.entity, Counter())[item.action] += 1
        return {e: found[e] for e in SYNC_ORDER if e in found}

    def totals(self) -> Counter:
        return Counter(item.action for item in self.items)

    def explanation(self) -> tuple[str, str]:
        """Why nothing is undone (a refusal), or the plan's one-line summary."""
        run = _run_words(self.run) if self.run is not None else ("", "")
        if self.refusal is Refusal.NO_RUN:
            return ("Kết nối này chưa có lần chạy nào để hoàn tác.",
                    "This connection has no run to undo yet.")
        if self.refusal is Refusal.NOTHING_CHANGED:
            return (f"Lần chạy cuối ({run[0]}) không thay đổi gì trong App, nên không có gì để "
                    f"hoàn tác. Các lần chạy trước đó không bị đụng tới.",
                    f"The last run ({run[1]}) changed nothing in the App, so there is nothing "
                    f"to undo. Earlier runs are left alone.")
        if self.refusal is Refusal.ALREADY_UNDONE:
            return (f"Lần chạy cuối ({run[0]}) đã được hoàn tác rồi. Các lần chạy trước đó "
                    f"không bị đụng tới. Muốn lấy lại những gì lần hoàn tác đã gỡ: "
                    f"“Khôi phục” (shopsync restore TÊN).",
                    f"The last run ({run[1]}) was already undone. Earlier runs are left alone. "
                    f"To bring back what the undo removed: “Restore” (shopsync restore NAME).")
        if self.refusal is Refusal.FIRST_PULL:
            vi = ", ".join(ENTITY_WORDS[e][0].lower() for e in self.first_pull)
            en = ", ".join(ENTITY_WORDS[e][1].lower() for e in self.first_pull)
            return (f"Không hoàn tác: lần chạy cuối ({run[0]}) là lần lấy dữ liệu đầu tiên từ "
                    f"POS ({vi}; {self.first_pull_count} bản ghi). Các bản ghi này là bản sao "
                    f"của POS: xoá chúng thì lần đồng bộ sau chỉ lấy lại y như cũ với mã App "
                    f"mới. Không có gì bị thay đổi. Muốn bỏ hẳn một kết nối, hãy xoá kết nối "
                    f"đó; muốn bớt bản ghi, hãy ẩn hoặc xoá chúng trên POS.",
                    f"Not undone: the last run ({run[1]}) was the first pull from the POS "
                    f"({en}; {self.first_pull_count} records). These records mirror the POS: "
                    f"removing them would only make the next sync bring them back under new "
                    f"App ids. Nothing was changed. To drop a connection, remove it; to have "
                    f"fewer records, hide or delete them on the POS.")
        totals = self.totals()
        pos_vi = pos_en = ""
        if totals[UndoAction.RESTORE]:
            pos_vi = (" POS không bị thay đổi: lần đồng bộ sau sẽ lấy lại giá trị của POS ở "
                      "những bản ghi mà POS vẫn khác.")
            pos_en = (" The POS is not changed: the next sync takes the POS values again "
                      "where the POS still differs.")
        return (f"Hoàn tác lần chạy cuối ({run[0]}): trả lại giá trị cũ "
                f"{totals[UndoAction.RESTORE]}, gỡ bản ghi do lần chạy tạo "
                f"{totals[UndoAction.REMOVE]} (khôi phục lại được), bỏ qua vì đã sửa sau lần "
                f"chạy {totals[UndoAction.SKIP_EDITED]}, giữ lại vì bản ghi khác dùng tới "
                f"{totals[UndoAction.SKIP_REFERENCED]}.{pos_vi}",
                f"Undo the last run ({run[1]}): restore earlier values "
                f"{totals[UndoAction.RESTORE]}, remove records the run created "
                f"{totals[UndoAction.REMOVE]} (restorable), skip as edited since the run "
                f"{totals[UndoAction.SKIP_EDITED]}, keep as other records refer to them "
                f"{totals[UndoAction.SKIP_REFERENCED]}.{pos_en}")

    def entity_lines(self) -> list[tuple[str, str]]:
        """One (vi, en) line per entity with its counts, for the CLI and the confirm dialog."""
        lines = []
        for entity, counts in self.counts().items():
            vi_name, en_name = ENTITY_WORDS[entity]
            lines.append((
                f"{vi_name}: trả lại giá trị cũ {counts[UndoAction.RESTORE]}, gỡ "
                f"{counts[UndoAction.REMOVE]}, bỏ qua (đã sửa sau lần chạy) "
                f"{counts[UndoAction.SKIP_EDITED]}, giữ lại (đang được dùng) "
                f"{counts[UndoAction.SKIP_REFERENCED]}",
                f"{en_name}: restored {counts[UndoAction.RESTORE]}, removed "
                f"{counts[UndoAction.REMOVE]}, skipped (edited since) "
                f"{counts[UndoAction.SKIP_EDITED]}, kept (referred to) "
                f"{counts[UndoAction.SKIP_REFERENCED]}"))
        return lines


PLANNED_WORDS: dict[UndoAction, tuple[str, str]] = {
    UndoAction.RESTORE: ("sẽ trả lại giá trị cũ", "would restore earlier values"),
    UndoAction.REMOVE: ("sẽ gỡ (khôi phục được)", "would remove (restorable)"),
    UndoAction.SKIP_EDITED: ("bỏ qua: đã sửa sau lần chạy", "skipped: edited since the run"),
    UndoAction.SKIP_REFERENCED: ("giữ lại: bản ghi khác đang dùng",
                                 "kept: other records refer to it"),
}


def undo_words(plan: UndoPlan, itemised: bool = False) -> list[tuple[str, str]]:
    """What the command line prints before an undo (and all of it for --dry-run): the
    summary or the refusal, one line per entity, and with `itemised` one line per record."""
    lines = [plan.explanation()]
    if not plan.allowed:
        return lines
    lines += [(f"  {vi}", f"  {en}") for vi, en in plan.entity_lines()]
    if itemised:
        for item in plan.items:
            vi, en = PLANNED_WORDS[item.action]
            lines.append((f"    {item.entity.value:<9} {item.app_id:<10} {item.name[:40]} — {vi}",
                          f"    {item.entity.value:<9} {item.app_id:<10} {item.name[:40]} — {en}"))
        lines.append(("Chạy thử: chưa thay đổi gì.", "Dry run: nothing was changed."))
    return lines


ITEM_WORDS: dict[UndoAction, tuple[str, str]] = {
    UndoAction.RESTORE: ("Hoàn tác: đã trả lại giá trị trước lần chạy.",
                         "Undo: restored the values from before the run."),
    UndoAction.REMOVE: ("Hoàn tác: đã gỡ bản ghi do lần chạy tạo (lấy lại được bằng nút "
                        "“Khôi phục bản ghi đã gỡ” hoặc lệnh shopsync restore).",
                        "Undo: removed the record the run created (restorable with "
                        "“Restore removed records” or shopsync restore)."),
    UndoAction.SKIP_EDITED: ("Bỏ qua: bản ghi đã được sửa hoặc xoá trong App sau lần chạy; "
                             "không ghi đè. Sửa tay nếu cần.",
                             "Skipped: edited since the run (changed or deleted in the App "
                             "after it); not overwritten. Fix it by hand if needed."),
    UndoAction.SKIP_REFERENCED: ("Giữ lại: bản ghi khác (đơn hàng, sản phẩm…) đang dùng bản "
                                 "ghi này nên không gỡ.",
                                 "Kept: another record (an order, a product…) refers to it, "
                                 "so it is not removed."),
}

# Result row action of each undo action: what happened, in words the results table shows.
ROW_ACTION = {UndoAction.RESTORE: "restored", UndoAction.REMOVE: "removed",
              UndoAction.SKIP_EDITED: "skip", UndoAction.SKIP_REFERENCED: "skip"}


def _run_words(run: m.Run) -> tuple[str, str]:
    started = stored_utc(run.started_at).astimezone().strftime("%d/%m/%Y %H:%M")
    kinds = {"sync": ("đồng bộ", "sync"), "push": ("đẩy sản phẩm", "product push"),
             "retry": ("chạy lại mục lỗi", "retry"), "resolve": ("xử lý xung đột", "resolve conflicts"),
             "delete": ("xoá trong App", "delete in App")}
    vi, en = kinds.get(run.kind, (run.kind, run.kind))
    return f"#{run.id}, {vi}, {started}", f"#{run.id}, {en}, {started}"


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------

def latest_run(profile_id: int) -> m.Run | None:
    """The latest real run of the connection that could have changed the App."""
    return (m.Run.select().where((m.Run.profile == profile_id)
                                 & (m.Run.kind.in_(UNDOABLE_KINDS))
                                 & (m.Run.dry_run == False))  # noqa: E712
            .order_by(m.Run.id.desc()).first())


def _undone(run: m.Run) -> bool:
    return (m.Run.select().where((m.Run.undoes == run.id) & (m.Run.kind == UNDO_KIND)
                                 & (m.Run.status == "done")).exists())


def _first_pull_entities(run: m.Run, created: Iterable[Entity]) -> list[Entity]:
    """Entities whose records this run (with the runs it resumed) pulled from the POS for the
    first time: no earlier real run of the connection synced any of them, either way (a
    product pushed earlier is linked, so a later pull of new products is not a first one)."""
    root = run
    while root.resumed_from_id is not None:
        root = m.Run.get_by_id(root.resumed_from_id)
    found = []
    for entity in dict.fromkeys(created):
        earlier = (m.ItemResult.select().join(m.Run)
                   .where((m.Run.profile == run.profile_id) & (m.Run.id < root.id)
                          & (m.Run.dry_run == False)  # noqa: E712
                          & (m.Run.kind.in_(UNDOABLE_KINDS))
                          & (m.ItemResult.entity == entity.value)
                          & (m.ItemResult.outcome == "ok")).exists())
        if not earlier:
            found.append(entity)
    return [e for e in SYNC_ORDER if e in found]


def _same_record(entity: Entity, current: str, wanted: str) -> bool:
    """The stored JSON `current` is the record `wanted` (same text, or same content when the
    writer spelled it differently)."""
    if current == wanted:
        return True
    try:
        return from_plain(entity, json.loads(current)) == from_plain(entity, json.loads(wanted))
    except (ValueError, TypeError, KeyError):
        return False


def _created_unchanged(change: m.AppChange, item: m.CatalogItem, run: m.Run) -> bool:
    if change.after and change.after.startswith(DIGEST_PREFIX):
        return created_digest(item.data) == change.after
    # A row from before migration 4 kept nothing of the record: trust the row's time.
    if run.finished_at is None:
        return True
    return stored_utc(item.updated_at) <= stored_utc(run.finished_at)


def _referenced_ids(skip: set[tuple[str, str]]) -> set[str]:
    """App ids that some catalog record (other than those in `skip`) refers to. Branches
    refer to nothing; a record with no reference field is not parsed."""
    found: set[str] = set()
    for entity, app_id, data in m.database_proxy.execute_sql(
            "SELECT entity, app_id, data FROM catalog_item WHERE entity != ?",
            (Entity.BRANCH.value,)):
        if (entity, app_id) not in skip and "_key" in data:
            found |= _references_of(data)
    return found


def plan_undo(profile: Any) -> UndoPlan:
    """Decide, without changing anything, what undoing the connection's latest run does."""
    run = latest_run(profile.id)
    if run is None:
        return UndoPlan(None, Refusal.NO_RUN)
    changes = list(m.AppChange.select().where(m.AppChange.run == run.id)
                   .order_by(m.AppChange.id.desc()))
    if _undone(run):
        return UndoPlan(run, Refusal.ALREADY_UNDONE)
    if not changes:
        return UndoPlan(run, Refusal.NOTHING_CHANGED)
    items_by_key: dict[tuple[str, str], m.CatalogItem] = {}
    wanted = {(c.entity, c.app_id) for c in changes}
    for entity in {e for e, _ in wanted}:
        ids = [a for e, a in wanted if e == entity]
        for start in range(0, len(ids), 500):
            for item in m.CatalogItem.select().where(
                    (m.CatalogItem.entity == entity)
                    & (m.CatalogItem.app_id.in_(ids[start:start + 500]))):
                items_by_key[(item.entity, item.app_id)] = item
    pulled = [Entity(c.entity) for c in changes if c.before is None
              and (c.entity, c.app_id) in items_by_key
              and items_by_key[(c.entity, c.app_id)].origin != "app"]
    first = _first_pull_entities(run, pulled) if run.kind in ("sync", "retry") else []
    if first:
        count = sum(1 for e in pulled if e in first)
        return UndoPlan(run, Refusal.FIRST_PULL, first_pull=tuple(first), first_pull_count=count)

    plan = UndoPlan(run)
    removals: list[tuple[m.AppChange, m.CatalogItem]] = []
    # A record the run wrote twice has two rows: the oldest holds the state before the run,
    # the newest the state the run left.
    first_rows: dict[tuple[str, str], m.AppChange] = {}
    for change in reversed(changes):
        first_rows.setdefault((change.entity, change.app_id), change)
    last_rows: dict[tuple[str, str], m.AppChange] = {}
    for change in changes:
        last_rows.setdefault((change.entity, change.app_id), change)
    for key, change in first_rows.items():
        entity = Entity(change.entity)
        last = last_rows[key]
        item = items_by_key.get(key)
        if change.before is None:       # created by the run
            if item is None:
                unchanged = False       # deleted in the App since: nothing to remove
            elif last is change:
                unchanged = _created_unchanged(change, item, run)
            else:
                unchanged = last.after is not None and _same_record(entity, item.data,
                                                                    last.after)
            if unchanged:
                removals.append((change, item))
            else:
                plan.items.append(UndoItem(change.id, entity, change.app_id,
                                           item.name if item else "", UndoAction.SKIP_EDITED,
                                           None))
            continue
        name = display_name(from_plain(entity, json.loads(change.before)))
        if last.after is None:          # deleted by the run: back if still absent
            action = UndoAction.RESTORE if item is None else UndoAction.SKIP_EDITED
        elif item is None or not _same_record(entity, item.data, last.after):
            action = UndoAction.SKIP_EDITED
        else:
            action = UndoAction.RESTORE
        if action is UndoAction.SKIP_EDITED and item is not None:
            name = item.name or name     # the record as the user sees it now
        plan.items.append(UndoItem(change.id, entity, change.app_id, name, action,
                                   change.before))
    if removals:
        leaving = {(c.entity, c.app_id) for c, _ in removals}
        referenced = _referenced_ids(leaving)
        # A removal candidate that stays (referred to) keeps what it refers to, in turn.
        staying = {(c.entity, c.app_id) for c, _ in removals if c.app_id in referenced}
        while staying:
            leaving -= staying
            more: set[str] = set()
            for _, item in removals:
                if (item.entity, item.app_id) in staying:
                    more |= _references_of(item.data)
            staying = {(c.entity, c.app_id) for c, _ in removals
                       if c.app_id in more and (c.entity, c.app_id) in leaving}
            referenced |= more
        for change, item in removals:
            action = (UndoAction.REMOVE if (item.entity, item.app_id) in leaving
                      else UndoAction.SKIP_REFERENCED)
            plan.items.append(UndoItem(change.id, Entity(change.entity), change.app_id,
                                       item.name, action, None))
    order = {e: i for i, e in enumerate(SYNC_ORDER)}
    plan.items.sort(key=lambda i: (order[i.entity], i.app_id))
    return plan


def _references_of(data: str) -> set[str]:
    found: set[str] = set()

    def walk(value: Any, field_name: str = "") -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, key)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, field_name)
        elif field_name in REFERENCE_FIELDS and isinstance(value, str) and value:
            found.add(value)
    walk(json.loads(data))
    return found


# --------------------------------------------------------------------------------------------
# Applying (through the engine's run bookkeeping, so results and events are a run's)
# --------------------------------------------------------------------------------------------

def undo_last_run(engine: Any, plan: UndoPlan | None = None):
    """Apply `plan` (planned now when not given) in one transaction; returns RunFinished.
    A refused plan starts no run and changes nothing: the returned event says why."""
    from app.sync import events as ev
    plan = plan or plan_undo(engine.profile)
    if not plan.allowed:
        vi, en = plan.explanation()
        finished = ev.RunFinished(0, "refused", {}, 0, 0.0, vi, en)
        engine.emit(finished)
        return finished
    ctx = engine._start(UNDO_KIND, [], False, None)
    ctx.row.undoes = plan.run.id
    ctx.row.save()
    now = engine.clock()
    with engine._committing(ctx):
        for item in plan.items:
            entity = item.entity
            link = engine.ledger.link_by_app(entity, item.app_id)
            pos_id = link.pos_id if link else ""
            if item.action is UndoAction.RESTORE:
                before = from_plain(entity, json.loads(item.before))
                engine.catalog.put(entity, before)
                if link is not None:
                    # Re-decide on the next run: the POS side is taken again if it still
                    # differs, as if the undone run had not happened.
                    engine.ledger.update_link(
                        link, app_fingerprint=engine.policies[entity].comparable(before),
                        pos_fingerprint="")
            elif item.action is UndoAction.REMOVE:
                _recycle(engine, ctx.row, entity, item.app_id, link, now)
            engine._item(ctx, entity, PULL, ROW_ACTION[item.action],
                         "skipped" if ROW_ACTION[item.action] == "skip" else "ok",
                         app_id=item.app_id, pos_id=pos_id, name=item.name, rule=RULE,
                         text=ITEM_WORDS[item.action])
        changes = [i.change_id for i in plan.items if i.action in (UndoAction.RESTORE,
                                                                   UndoAction.REMOVE)]
        for start in range(0, len(changes), 500):
            m.AppChange.delete().where(m.AppChange.id.in_(changes[start:start + 500])).execute()
    totals = plan.totals()
    return engine._finish(ctx, "done", (
        f"Đã hoàn tác: trả lại {totals[UndoAction.RESTORE]}, gỡ {totals[UndoAction.REMOVE]} "
        f"(khôi phục được), bỏ qua {totals[UndoAction.SKIP_EDITED]} đã sửa sau lần chạy, giữ "
        f"{totals[UndoAction.SKIP_REFERENCED]} đang được dùng.",
        f"Undone: restored {totals[UndoAction.RESTORE]}, removed {totals[UndoAction.REMOVE]} "
        f"(restorable), skipped {totals[UndoAction.SKIP_EDITED]} edited since the run, kept "
        f"{totals[UndoAction.SKIP_REFERENCED]} referred to."))


def _recycle(engine: Any, undo_run: m.Run, entity: Entity, app_id: str, link: m.Link | None,
             now: datetime) -> None:
    item = m.CatalogItem.get((m.CatalogItem.entity == entity.value)
                             & (m.CatalogItem.app_id == app_id))
    m.RecycledItem.create(
        profile=engine.ledger.profile, undo_run=undo_run, entity=entity.value, app_id=app_id,
        name=item.name, origin=item.origin, data=item.data,
        link_pos_id=link.pos_id if link else "",
        link_app_fingerprint=link.app_fingerprint if link else "",
        link_pos_fingerprint=link.pos_fingerprint if link else "",
        link_pushed_status=link.pushed_status if link else "", recycled_at=now)
    engine.catalog.delete(entity, app_id)
    if link is not None:
        engine.ledger.drop_link(link)


# --------------------------------------------------------------------------------------------
# Restore: the way back from an undo
# --------------------------------------------------------------------------------------------

def recycled(profile_id: int) -> list[m.RecycledItem]:
    """Records removed by undo and not restored yet, newest undo first."""
    return list(m.RecycledItem.select().where((m.RecycledItem.profile == profile_id)
                                              & (m.RecycledItem.restored_at.is_null()))
                .order_by(m.RecycledItem.id.desc()))


RESTORE_WORDS = {
    "restored": ("Khôi phục: bản ghi đã được đưa lại vào App, cùng mã App và liên kết POS.",
                 "Restored: the record is back in the App, with its App id and POS link."),
    "back_from_pos": ("Bỏ qua: bản ghi POS này đã về lại App với mã {other}; khôi phục thêm sẽ "
                      "thành trùng. Bản ghi cũ vẫn được giữ trong thùng rác.",
                      "Skipped: this POS record is already back in the App as {other}; "
                      "restoring it too would make a duplicate. The old copy stays in the "
                      "recycle bin."),
}


def restore_last_undo(engine: Any):
    """Bring back what the latest undo of the connection removed, in one transaction."""
    from app.sync import events as ev
    waiting = recycled(engine.ledger.profile)
    if not waiting:
        vi, en = ("Không có bản ghi nào do hoàn tác gỡ ra để khôi phục.",
                  "There is nothing removed by an undo to restore.")
        finished = ev.RunFinished(0, "refused", {}, 0, 0.0, vi, en)
        engine.emit(finished)
        return finished
    latest = waiting[0].undo_run_id
    batch = [r for r in waiting if r.undo_run_id == latest]
    ctx = engine._start(RESTORE_KIND, [], False, None)
    now = engine.clock()
    with engine._committing(ctx):
        for row in batch:
            entity = Entity(row.entity)
            taken = (engine.ledger.link_by_pos(entity, row.link_pos_id)
                     if row.link_pos_id else None)
            if taken is not None and taken.app_id != row.app_id:
                engine._item(ctx, entity, PULL, "skip", "skipped", app_id=row.app_id,
                             pos_id=row.link_pos_id, name=row.name, rule=RULE,
                             text=tuple(t.format(other=taken.app_id)
                                        for t in RESTORE_WORDS["back_from_pos"]))
                continue
            record = from_plain(entity, json.loads(row.data))
            engine.catalog.put(entity, record, origin=row.origin)
            if row.link_pos_id and taken is None:
                engine.ledger.save_link(entity, row.app_id, row.link_pos_id,
                                        row.link_app_fingerprint, row.link_pos_fingerprint,
                                        pushed_status=row.link_pushed_status)
            row.restored_at = now
            row.save()
            engine._item(ctx, entity, PULL, "restored", "ok", app_id=row.app_id,
                         pos_id=row.link_pos_id, name=row.name, rule=RULE,
                         text=RESTORE_WORDS["restored"])
    return engine._finish(ctx, "done", (f"Đã khôi phục {ctx.counts.get('ok', 0)} bản ghi.",
                                        f"Restored {ctx.counts.get('ok', 0)} records."))
