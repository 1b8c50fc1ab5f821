"""Run-level rules: preview, results, retry, resume, cancel, undo, errors, progress, schedule."""
from __future__ import annotations

import asyncio
import dataclasses
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from contract.records import Customer, Entity, Product, Variant
from app.store import models as m
from app.sync.events import Progress, RunFinished, RunStarted, to_json
from app.sync.schedule import next_run_at
from contract.connector import AuthError, InvalidData, TransientError


def products(shop, n):
    for i in range(n):
        shop.pos.put(Entity.PRODUCT, Product(key="", name=f"Món {i}",
                                             variants=(Variant(key=f"v{i}", sku=f"M-{i:02d}",
                                                               price=Decimal(1000 + i)),)))


def test_com03_dry_run_previews_every_item_and_writes_nothing_on_either_side(shop):
    """COM-03."""
    products(shop, 3)
    shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Mới", phone="0900000001"))
    finished = shop.sync(dry_run=True)
    assert finished.status == "done"
    planned = shop.items(outcome="planned")
    assert {(r.entity, r.action) for r in planned} == {("product", "create"),
                                                       ("customer", "create")}
    assert len(planned) == 4
    assert shop.catalog.count(Entity.PRODUCT) == 0
    assert m.Link.select().count() == 0 and m.Checkpoint.select().count() == 0
    assert m.AppChange.select().count() == 0 and m.WriteIntent.select().count() == 0
    assert shop.pos.created == [] and shop.pos.updated == []
    # The real run afterwards does what the preview said.
    shop.events.clear()
    shop.sync()
    assert len(shop.items(outcome="ok")) == 4


def test_com06_every_item_has_a_stored_result_row_with_both_languages(shop):
    """COM-06."""
    products(shop, 3)
    finished = shop.sync()
    rows = list(m.ItemResult.select().where(m.ItemResult.run == finished.run_id))
    assert len(rows) == 3
    assert all(r.message_vi and r.message_en and r.entity == "product" and r.pos_id
               and r.app_id and r.direction == "pos_to_app" for r in rows)
    assert finished.counts["ok"] == 3 and finished.request_count > 0
    lines = [to_json(e) for e in shop.events]
    assert '"event": "run_finished"' in lines[-1]


def test_com06_retry_runs_only_the_failed_items(shop):
    """COM-06."""
    first = shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="A", phone="0900000001"))
    shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="B", phone="0900000002"))
    shop.pos.fail("create", InvalidData("POS từ chối.", "Refused.", rule="X-1"))
    finished = shop.sync([Entity.CUSTOMER], batch_size=1)
    assert finished.counts["failed"] == 1 and finished.counts["ok"] == 1
    [failed] = shop.items(outcome="failed")
    assert failed.app_id == first.key and failed.rule == "X-1"
    shop.events.clear()
    calls_before = len(shop.pos.created)
    retried = asyncio.run(shop.engine().retry_failed(finished.run_id))
    assert retried.status == "done" and retried.counts == {"ok": 1, "by_action": {"create": 1}}
    assert [r.phone for _, r in shop.pos.created[calls_before:]] == ["0900000001"]


def _cut_at_page(pull, page_number: int):
    """The POS's pull, broken by a network error when page `page_number` arrives."""
    state = {"pages": 0}

    async def cut(entity, since, resume=None):
        async for page in pull(entity, since, resume):
            state["pages"] += 1
            if state["pages"] == page_number:
                raise TransientError("Mạng lỗi.", "Network down.")
            yield page
    return cut


def test_com09_small_pos_pages_are_written_in_groups_and_a_cut_resumes_after_the_last_group(
        shop, monkeypatch):
    """Pages of 2 written in groups of at least 4 records: cut during page 4, the first group
    (pages 1-2) is committed with page 2's resume token, pages 3-4 are read again."""
    products(shop, 10)           # 5 pages of 2
    original_pull = shop.pos.pull
    shop.pos.pull = _cut_at_page(original_pull, 4)
    transactions = []
    from app.sync import pulling
    original_write = pulling.PullSteps._pull_page

    def counted(self, ctx, policy, records, deleted, checkpoint=None, **more):
        transactions.append(len(records))
        return original_write(self, ctx, policy, records, deleted, checkpoint, **more)
    monkeypatch.setattr(pulling.PullSteps, "_pull_page", counted)
    assert shop.sync([Entity.PRODUCT], page_records=4).status == "interrupted"
    assert shop.catalog.count(Entity.PRODUCT) == 4 and transactions == [4]
    assert m.Checkpoint.get(m.Checkpoint.entity == "product").resume == "4"
    shop.pos.pull = original_pull
    assert shop.sync([Entity.PRODUCT], page_records=4).status == "done"
    assert transactions == [4, 4, 2]                   # pages 3-4, then the last page alone
    assert shop.catalog.count(Entity.PRODUCT) == 10
    assert len(shop.items(entity="product", action="create")) == 10   # none twice


def test_com09_interrupted_pull_resumes_from_last_committed_page(shop):
    """COM-09."""
    products(shop, 6)            # 3 pages of 2
    shop.pos.fail("pull", TransientError("Mạng lỗi.", "Network down."))
    # First page ok, then the second page request fails.
    shop.pos.faults.clear()
    original_pull = shop.pos.pull
    shop.pos.pull = _cut_at_page(original_pull, 2)
    t1 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    first = shop.sync([Entity.PRODUCT], clock=lambda: t1)
    assert first.status == "interrupted" and "continues" in first.message_en
    assert shop.catalog.count(Entity.PRODUCT) == 2
    point = m.Checkpoint.get(m.Checkpoint.entity == "product")
    assert point.resume == "2" and point.watermark is None
    shop.pos.pull = original_pull
    shop.pos.calls.clear()
    second = shop.sync([Entity.PRODUCT], clock=lambda: t1 + timedelta(hours=2))
    assert second.status == "done"
    assert ("pull", (Entity.PRODUCT, 2)) in shop.pos.calls
    assert ("pull", (Entity.PRODUCT, 0)) not in shop.pos.calls
    assert shop.catalog.count(Entity.PRODUCT) == 6
    assert m.Run.get_by_id(second.run_id).resumed_from_id == first.run_id
    point = m.Checkpoint.get(m.Checkpoint.entity == "product")
    # The next incremental read starts before the *first* run of the interrupted pull.
    from app.sync.ledger import stored_utc
    assert point.resume is None and stored_utc(point.watermark) == t1 - timedelta(minutes=5)


def test_com09_create_that_reached_the_pos_before_a_crash_is_looked_up_not_repeated(make_shop):
    """COM-09."""
    from contract.connector import EntityCapability, Mode
    from tests.fakes import fake_platform
    # Push-only customers: the pull cannot link it by phone first, the intent must do it.
    shop = make_shop(fake_platform(customer=EntityCapability(Entity.CUSTOMER, push=Mode.FULL)))
    customer = shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Lan",
                                                          phone="0912345678"))
    shop.pos.lose_create_answer = True
    first = shop.sync([Entity.CUSTOMER])
    assert first.status == "interrupted"
    assert m.WriteIntent.select().count() == 1 and m.Link.select().count() == 0
    shop.pos.lose_create_answer = False
    shop.events.clear()
    second = shop.sync([Entity.CUSTOMER])
    assert second.status == "done"
    assert len(shop.pos.created) == 1
    [row] = shop.items(entity="customer")
    assert row.rule == "COM-09" and row.outcome == "ok"
    assert m.Link.get(m.Link.app_id == customer.key).pos_id == shop.pos.created[0][1].key
    assert m.WriteIntent.select().count() == 0


def test_com09_next_incremental_run_reads_from_watermark_with_overlap(shop):
    """COM-09."""
    products(shop, 2)
    clock_now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    shop.sync([Entity.PRODUCT], clock=lambda: clock_now)
    seen = {}
    original_pull = shop.pos.pull

    def spy(entity, since, resume=None):
        seen["since"] = since
        return original_pull(entity, since, resume)
    shop.pos.pull = spy
    shop.sync([Entity.PRODUCT])
    assert seen["since"] == clock_now - timedelta(minutes=5)


def test_cancel_stops_between_items_and_keeps_the_checkpoint(shop):
    products(shop, 6)
    cancel = threading.Event()

    def emit(event):
        shop.events.append(event)
        if isinstance(event, Progress) and event.done >= 2:
            cancel.set()
    from app.sync.engine import SyncEngine
    engine = SyncEngine(shop.catalog, shop.profile, shop.pos, emit, cancel=cancel,
                        page_records=1)
    finished = asyncio.run(engine.run([Entity.PRODUCT]))
    assert finished.status == "cancelled"
    assert m.Checkpoint.get(m.Checkpoint.entity == "product").resume == "2"
    second = shop.sync([Entity.PRODUCT])
    assert second.status == "done" and shop.catalog.count(Entity.PRODUCT) == 6


def test_auth_error_stops_the_run_with_a_clear_message(shop):
    products(shop, 2)
    shop.pos.fail("pull", AuthError("Sai khoá API.", "Wrong API key."))
    finished = shop.sync([Entity.PRODUCT])
    assert finished.status == "failed"
    assert "Wrong API key." in finished.message_en and "Sai khoá API." in finished.message_vi
    assert m.Run.get_by_id(finished.run_id).status == "failed"


def test_progress_reports_done_total_and_eta(shop):
    products(shop, 4)
    ticks = iter(range(100))
    shop.sync([Entity.PRODUCT], monotonic=lambda: float(next(ticks)))
    progress = [e for e in shop.events if isinstance(e, Progress) and e.direction == "pos_to_app"]
    # The first event is said before the first page (issue 20 pt 7: named from the first
    # second), without a count or a time left yet.
    assert [(p.done, p.total) for p in progress] == [(0, None), (2, 4), (4, 4)]
    assert progress[0].eta_seconds is None
    assert progress[1].eta_seconds is not None and progress[1].eta_seconds > 0
    assert progress[-1].eta_seconds == 0
    assert isinstance(shop.events[0], RunStarted) and isinstance(shop.events[-1], RunFinished)


def test_b02_undo_puts_the_app_back_as_before_the_last_run(shop):
    """B-02."""
    products(shop, 1)
    shop.sync([Entity.PRODUCT])
    pos_key = next(iter(shop.pos.records[Entity.PRODUCT]))
    app_id = m.Link.get().app_id
    shop.pos.put(Entity.PRODUCT, dataclasses.replace(shop.pos.records[Entity.PRODUCT][pos_key],
                                                     name="Tên mới"))
    shop.sync([Entity.PRODUCT])
    assert shop.catalog.get(Entity.PRODUCT, app_id).name == "Tên mới"
    shop.engine().undo_last_run()
    assert shop.catalog.get(Entity.PRODUCT, app_id).name == "Món 0"
    # Undoing again never reaches into the run before (the first pull): nothing is deleted.
    assert shop.engine().undo_last_run().status == "refused"
    assert shop.catalog.get(Entity.PRODUCT, app_id).name == "Món 0"


def test_b02_undo_row_of_a_created_record_holds_no_copy_of_it(shop):
    """B-02: undoing a create takes the catalog row, so the undo row does not store the
    record a second time (it was a third of a first pull's bytes), only a short digest to
    see an App edit made since; an update keeps both."""
    products(shop, 1)
    shop.sync([Entity.PRODUCT])
    created = m.AppChange.get()
    assert created.before is None and created.after.startswith("b2:")
    assert len(created.after) < 40 and "Món" not in created.after
    pos_key = next(iter(shop.pos.records[Entity.PRODUCT]))
    shop.pos.put(Entity.PRODUCT, dataclasses.replace(shop.pos.records[Entity.PRODUCT][pos_key],
                                                     name="Tên mới"))
    shop.sync([Entity.PRODUCT])
    updated = m.AppChange.select().order_by(m.AppChange.id.desc()).get()
    assert "Món 0" in updated.before and "Tên mới" in updated.after


def test_com10_sync_runs_per_entity(shop):
    """COM-10."""
    products(shop, 1)
    shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    shop.sync([Entity.CUSTOMER])
    assert shop.catalog.count(Entity.CUSTOMER) == 1 and shop.catalog.count(Entity.PRODUCT) == 0
    assert {call[1][0] for call in shop.pos.calls if call[0] == "pull"} == {Entity.CUSTOMER}


def test_com10_next_scheduled_run(shop):
    """COM-10."""
    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    on_demand = SimpleNamespace(schedule_minutes=0)
    every_15 = SimpleNamespace(schedule_minutes=15)
    assert next_run_at(on_demand, None, now) is None
    assert next_run_at(every_15, None, now) == now
    done = SimpleNamespace(status="done", started_at=now, finished_at=now + timedelta(minutes=1))
    assert next_run_at(every_15, done, now) == now + timedelta(minutes=16)
    broken = SimpleNamespace(status="interrupted", started_at=now, finished_at=now)
    assert next_run_at(every_15, broken, now) == now + timedelta(minutes=2)
    running = SimpleNamespace(status="running", started_at=now, finished_at=None)
    assert next_run_at(every_15, running, now) is None


def test_option_off_entity_is_not_synced_and_says_why(make_shop):
    from contract.connector import EntityCapability, Mode, OptionSpec
    from tests.fakes import fake_platform
    option = OptionSpec("sync_orders", "Đồng bộ đơn", "Sync orders")
    shop = make_shop(fake_platform(options=(option,), customer=EntityCapability(
        Entity.CUSTOMER, pull=Mode.FULL, push=Mode.FULL, enabled_by="sync_orders")),
        options={"sync_orders": "off"})
    shop.pos.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    shop.sync([Entity.CUSTOMER])
    assert shop.catalog.count(Entity.CUSTOMER) == 0 and shop.pos.calls == []
    [row] = shop.items()
    assert "sync_orders" in row.message_en
    shop.set_options(sync_orders="on")
    shop.sync([Entity.CUSTOMER])
    assert shop.catalog.count(Entity.CUSTOMER) == 1


def test_com01_resumed_full_read_asks_the_pos_for_its_ids(shop):
    """COM-01."""
    products(shop, 4)
    original_pull = shop.pos.pull

    async def cut_after_first_page(entity, since, resume=None):
        async for page in original_pull(entity, since, resume):
            yield page
            raise TransientError("Mạng lỗi.", "Network down.")
    shop.pos.pull = cut_after_first_page
    assert shop.sync([Entity.PRODUCT]).status == "interrupted"
    gone = m.Link.select().first().pos_id
    shop.pos.remove(Entity.PRODUCT, gone, report=False)
    shop.pos.pull = original_pull
    shop.events.clear()
    shop.sync([Entity.PRODUCT])
    assert ("list_keys", Entity.PRODUCT) in shop.pos.calls
    assert [r.pos_id for r in shop.items(action="deleted_on_pos")] == [gone]


def test_com03_preview_inside_a_rolled_back_transaction_still_reports_every_item(shop, store):
    """COM-03: the wizard previews inside its own transaction and rolls it back; every
    planned item must still reach the event stream and the counts."""
    products(shop, 2)
    shop.catalog.put(Entity.CUSTOMER, Customer(key="", name="Mới", phone="0900000001"))
    with store.atomic() as transaction:
        finished = shop.sync(dry_run=True)
        transaction.rollback()
    assert len(shop.items(outcome="planned")) == 3
    assert finished.counts["planned"] == 3


def test_a_run_relaxes_the_garbage_collector_and_restores_it_after(shop):
    """Performance of a 100k pull: objects alive before the run are out of the collector's
    passes and young passes are rarer while it works; both come back when it ends, also
    when the run fails."""
    import gc

    from app.sync.collector import YOUNG_THRESHOLD, collector_paused

    products(shop, 3)
    before = gc.get_threshold()
    seen = []
    engine = shop.engine()
    engine.emit = lambda event: seen.append((gc.get_threshold()[0], gc.get_freeze_count()))
    asyncio.run(engine.run([Entity.PRODUCT]))
    during = seen[1:-1]                   # between RunStarted and RunFinished
    assert during and all(t == YOUNG_THRESHOLD and frozen > 0 for t, frozen in during)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with collector_paused():              # overlapping runs: the last one out restores
        with collector_paused():
            pass
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    try:
        with collector_paused():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
