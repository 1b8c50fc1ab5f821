"""Issue 20: the window a shop owner reads at the counter — a home page per connection, progress
that tells the truth, notices one per subject, plain words without internal keys or rule IDs."""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone


from app.store import models as m
from app.sync import events as ev
from contract.records import Entity
from tests.ui.wizard_driver import save_sample_profile
from ui.main_window import CONFLICTS, HOME, SYNC, MainWindow

from tests.ui.window_driver import run_and_wait
RULE_ID = re.compile(r"\b(?:COM|SAPO|KVF|NH|B)-\d+")
INTERNAL_KEYS = re.compile(r"\b(branch|category|product|customer|order|news|pos_to_app|"
                           r"app_to_pos)\b")




# -- point 5: plain words -------------------------------------------------------------------------

def test_progress_names_entities_in_plain_words_without_internal_keys_or_empty_brackets(
        qtbot, services, window):
    """The bar read "Đang đồng bộ branch, category, product, customer, order, news (): 0" —
    English keys, empty brackets and "news", which KiotViet does not have."""
    profile = save_sample_profile(services, "kiotviet-fnb")
    window.refresh_profiles(profile.name)
    window.nav.setCurrentRow(SYNC)
    seen: list[str] = []
    window.controller.run_started.connect(lambda _e: seen.append(window.status_label.text()))
    window.controller.progress.connect(lambda _e: seen.append(window.sync_page.status.text()))
    finished = run_and_wait(qtbot, window, window.sync_page.all_button.click)
    assert finished.status == "done", finished.message_en
    assert seen[0].startswith("Đang bắt đầu đồng bộ: Chi nhánh, Danh mục sản phẩm, Sản phẩm")
    assert "Tin tức" not in seen[0]                     # KiotViet has no news
    for text in seen:
        assert not INTERNAL_KEYS.search(text), text
        assert "()" not in text, text
        assert not RULE_ID.search(text), text


def test_interrupted_run_is_one_sentence_shows_stopped_not_full_and_names_its_connection(
        qtbot, services, window):
    """A network failure read "Đồng bộ có lỗi: Đồng bộ dừng vì lỗi: Bị gián đoạn: …" with the
    bar at 100 %; the banner did not say which connection."""
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    window.nav.setCurrentRow(SYNC)
    box = services.sandbox_for(services.platform("sapo"))
    box.inject(*["timeout"] * 12)
    finished = run_and_wait(qtbot, window, window.sync_page.all_button.click)
    assert finished.status == "interrupted"
    page = window.sync_page
    status = page.status.text()
    assert status.count("Đồng bộ") <= 1 and "dừng vì lỗi" not in status
    assert not RULE_ID.search(status)
    assert page.state == "failed"
    bar = page.progress
    assert bar.maximum() == 0 or bar.value() < bar.maximum() or bar.maximum() == 1 and \
        bar.value() == 0
    assert "Bị gián đoạn" in bar.text() or "Bị gián đoạn" in bar.format()
    notices = window.banner.notices()
    assert f"run:{profile.name}" in notices
    text = notices[f"run:{profile.name}"]
    assert text.startswith(profile.name + ":")
    assert "Đồng bộ có lỗi" not in text and not RULE_ID.search(text)
    assert window.home_page.health.state.value == "attention"


def test_stop_shows_stopped_not_a_full_bar(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    window.sync_page.set_busy(True)
    window.sync_page.show_progress(ev.Progress("product", "pos_to_app", 40, 200))
    window.sync_page.show_finished(ev.RunFinished(1, "cancelled"))
    bar = window.sync_page.progress
    assert bar.value() == 40 and bar.maximum() == 200
    assert bar.text().startswith("Đã dừng")
    assert window.sync_page.status.text().startswith("Đã dừng")


# -- points 6 and 7: retrying and waiting say so, a note only on its platform -----------------------

def test_retrying_a_network_error_says_retrying_not_ready(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    window.nav.setCurrentRow(SYNC)
    services.sandbox_for(services.platform("sapo")).inject("timeout")
    texts: list[str] = []
    window.controller.progress.connect(
        lambda e: texts.append(window.sync_page.status.text()) if isinstance(e, ev.Waiting)
        else None)
    finished = run_and_wait(qtbot, window, window.sync_page.all_button.click)
    assert finished.status == "done", finished.message_en
    assert texts, "no Waiting event reached the window while retrying"
    assert texts[0].startswith("Không kết nối được tới Sapo — thử lại lần 1 lúc ")
    assert "Sẵn sàng" not in texts[0]


def test_a_long_wait_says_what_it_waits_for_and_until_when(qtbot, services, window):
    """A run read "… 0 · Còn khoảng đang tính…" for minutes while KiotViet's limit paced it."""
    import asyncio

    from connectors.http import SlidingWindow
    events: list = []
    token = ev.report_waits(events.append)
    try:
        now = [0.0]
        limiter = SlidingWindow(2, 120.0, clock=lambda: now[0],
                                sleep=lambda s: asyncio.sleep(0, result=now.__setitem__(
                                    0, now[0] + s)))

        async def three_requests():
            for _ in range(3):
                await limiter.acquire("GET")
        asyncio.run(three_requests())
    finally:
        ev.stop_reporting_waits(token)
    assert [e.reason for e in events] == ["pacing"]
    assert events[0].seconds == 120.0
    profile = save_sample_profile(services, "kiotviet-fnb")
    window.refresh_profiles(profile.name)
    window.sync_page.set_busy(True)
    window.sync_page.show_progress(events[0])
    until = datetime.fromisoformat(events[0].until).astimezone().strftime("%H:%M")
    assert window.sync_page.status.text() == \
        f"Đang chờ giới hạn của KiotViet — tiếp tục lúc {until}."
    assert window.sync_page.state == "waiting"


def test_short_limiter_pauses_are_not_announced():
    events: list = []
    token = ev.report_waits(events.append)
    try:
        from connectors.http import announce_wait
        announce_wait(0.4, "pacing")
        announce_wait(0.4, "retry", 1)
    finally:
        ev.stop_reporting_waits(token)
    assert [e.reason for e in events] == ["retry"]


def test_kvf15_first_sync_note_only_on_kiotviet(qtbot, services, window):
    sapo = save_sample_profile(services, "sapo", "Mẫu Sapo")
    kiotviet = save_sample_profile(services, "kiotviet-fnb", "Mẫu KiotViet")
    window.refresh_profiles(sapo.name)
    assert window.sync_page.first_run_note.isHidden()
    window.refresh_profiles(kiotviet.name)
    assert not window.sync_page.first_run_note.isHidden()


# -- point 4: the home page and notices -------------------------------------------------------------

def _conflicts(services, window, qtbot, n: int):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, window.sync_page.all_button.click)
    links = list(m.Link.select().where(m.Link.entity == "product").limit(n))
    catalog = services.catalog()
    box = services.sandbox_for(services.platform("sapo"))
    for index, link in enumerate(links):
        record = catalog.get(Entity.PRODUCT, link.app_id)
        catalog.put(Entity.PRODUCT, dataclasses.replace(record, name=f"Tên App {index}"))
        box.edit_product(int(link.pos_id), name=f"Tên Sapo {index}")
    run_and_wait(qtbot, window, window.sync_page.entity_buttons["product"].click)
    return profile


def test_home_page_reads_in_five_seconds_and_conflict_notice_follows_the_state(
        qtbot, services, window):
    profile = _conflicts(services, window, qtbot, 2)
    window.nav.setCurrentRow(HOME)
    home = window.home_page
    assert home.health.state.value == "attention"
    assert home.title.text() == f"{profile.name}: cần bạn xem"
    assert home.reason.text().startswith("Đã sửa ở cả App và POS: 2 mục")
    assert home.action.text() == "Xem xung đột"
    rows = {row[0]: row for row in home.row_texts()}
    assert rows["Sản phẩm"][1] == "App ⇄ POS"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", rows["Sản phẩm"][2])
    assert int(rows["Sản phẩm"][3].replace(".", "")) > 0
    assert rows["Sản phẩm"][5] == "2"
    key = f"conflicts:{profile.name}"
    assert window.banner.notices()[key].startswith(f"{profile.name}: Đã sửa ở cả App và POS: 2 mục")
    # one per subject: a second refresh does not stack a second banner
    window.update_notices(profile.name)
    assert list(window.banner.notices()).count(key) == 1
    # resolving one of two: the notice says 1; resolving the other: it goes
    home.action.click()
    assert window.nav.currentRow() == CONFLICTS
    page = window.conflicts_page
    page.table.selectRow(0)
    run_and_wait(qtbot, window, page.keep_pos.click)
    assert window.banner.notices()[key].startswith(f"{profile.name}: Đã sửa ở cả App và POS: 1 mục")
    page.table.selectRow(0)
    run_and_wait(qtbot, window, page.keep_app.click)
    assert key not in window.banner.notices()
    assert window.home_page.health.state.value == "good"
    assert window.home_page.title.text() == f"{profile.name}: mọi thứ ổn"


def test_after_a_push_the_last_run_is_the_push(qtbot, services, window):
    from contract.records import Product, Variant
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, window.sync_page.all_button.click)
    catalog = services.catalog()
    category = catalog.list(Entity.CATEGORY, limit=1)[0].app_id
    product = catalog.put(Entity.PRODUCT, Product(key="", name="Bánh mì", category_keys=(
        category,), variants=(Variant(key="", sku="APP-BM-9", price=25000),)))
    run_and_wait(qtbot, window, lambda: window.push_products([product.key]))
    assert "đẩy sản phẩm" in window.home_page.last_run.text()
    push = m.Run.select().order_by(m.Run.id.desc()).first()
    assert push.kind == "push"
    assert window.sync_page.last_run.text().startswith("Lần chạy cuối:")
    when = (push.finished_at or push.started_at)
    assert when is not None


def test_token_notice_names_its_connection_and_home_says_what_to_do(qtbot, services):
    from app.store.profiles import update_profile
    profile = save_sample_profile(services, "nhanh-v3")
    update_profile(profile.name, token_expires_at=datetime.now(timezone.utc) + timedelta(days=5))
    window = MainWindow(services)
    qtbot.addWidget(window)
    text = window.banner.notices()[f"token:{profile.name}"]
    assert text.startswith(f"{profile.name}: Token hết hạn sau")
    assert window.home_page.action.text() == "Đăng nhập lại…"


def test_switching_language_keeps_the_current_connection(qtbot, services, home):
    from PySide6.QtWidgets import QApplication
    from ui.app import DesktopApp
    first = save_sample_profile(services, "sapo", "Mẫu Sapo")
    second = save_sample_profile(services, "kiotviet-fnb", "Mẫu KiotViet")
    desktop = DesktopApp(QApplication.instance(), home, services)
    window = desktop.show()
    qtbot.addWidget(window)
    window.select_profile(second.name)
    assert first.name != second.name
    window.settings_page.language_changed.emit("en")
    new = desktop.window
    qtbot.addWidget(new)
    assert new.profile.name == second.name
    assert new.home_page.title.text().startswith(second.name)


def test_a_pull_names_what_it_reads_from_its_first_second(qtbot, services, window):
    """A resumed KiotViet pull showed "… 0 · Còn khoảng đang tính…" for minutes."""
    profile = save_sample_profile(services, "kiotviet-fnb")
    window.refresh_profiles(profile.name)
    first: list = []
    window.controller.progress.connect(
        lambda e: first.append((e, window.sync_page.status.text())) if not first else None)
    finished = run_and_wait(qtbot, window, window.sync_page.all_button.click)
    assert finished.status == "done"
    event, text = first[0]
    assert event.done == 0 and event.total is None
    assert text == "Đang đọc Chi nhánh (POS → App)…"
