"""The main window over a sample shop: runs in the worker thread, results, conflicts, pushes."""
from __future__ import annotations



from contract.records import Entity, Product, Variant
from app.store import models as m
from PySide6.QtWidgets import QListWidget

from tests.ui.wizard_driver import save_sample_profile
from ui.widgets.caveat_note import CaveatNote
from ui.main_window import APP_DATA, CONFLICTS, RESULTS, SYNC

from tests.ui.window_driver import TIMEOUT, run_and_wait




def test_kvf15_first_sync_runs_in_worker_with_progress_and_time_left(qtbot, services, window):
    profile = save_sample_profile(services, "kiotviet-fnb")
    window.refresh_profiles(profile.name)
    window.nav.setCurrentRow(SYNC)
    progress, time_left = [], []
    window.controller.progress.connect(progress.append)
    window.controller.progress.connect(
        lambda _e: time_left.append(window.sync_page.time_left.text()))
    finished = run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    assert finished.status == "done", finished.message_en
    assert progress, "no progress reached the window"
    assert any(p.total for p in progress)
    assert time_left and all(text.startswith("Còn khoảng") for text in time_left)
    assert window.sync_page.progress.value() == window.sync_page.progress.maximum()
    assert m.ItemResult.select().count() > 0
    assert window.sync_page.cancel_button.isEnabled() is False


def test_nh11_each_entity_has_its_own_button_with_direction_arrow(qtbot, services, window):
    profile = save_sample_profile(services, "nhanh-v3")
    window.refresh_profiles(profile.name)
    page = window.sync_page
    platform = services.platform("nhanh-v3")
    for entity, cap in platform.entities.items():
        arrow = page.findChild(type(page.status), f"arrow_{entity.value}")
        assert arrow is not None and arrow.text()
        if cap.direction.value != "none":
            assert entity.value in page.entity_buttons
    finished = run_and_wait(qtbot, window, lambda: page.entity_buttons["customer"].click())
    assert finished.status == "done"
    assert {r.entity for r in m.ItemResult.select()} <= {"customer"}


def test_com06_results_filter_search_and_csv_export(qtbot, services, window, tmp_path):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    window.nav.setCurrentRow(RESULTS)
    page = window.results_page
    total = m.ItemResult.select().count()
    assert page.model.total() == total
    page.entity_filter.setCurrentIndex(page.entity_filter.findData("product"))
    page._apply_filters()
    assert 0 < page.model.total() < total
    assert all(page.model.row_at(i).entity == "product" for i in range(page.model.rowCount()))
    path = tmp_path / "ket-qua.csv"
    count = page.export_to(path)                                  # B-03
    assert count == page.model.total()
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == count + 1 and lines[0].startswith("run,entity")


def _make_conflict(services, window, qtbot):
    """Sync a Sapo sample shop, then rename one linked product on both sides."""
    import dataclasses
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    link = m.Link.select().where(m.Link.entity == "product").first()
    assert link is not None
    catalog = services.catalog()
    record = catalog.get(Entity.PRODUCT, link.app_id)
    catalog.put(Entity.PRODUCT, dataclasses.replace(record, name="Tên sửa trong App"))
    box = services.sandbox_for(services.platform("sapo"))
    box.edit_product(int(link.pos_id), name="Tên sửa trên Sapo")
    finished = run_and_wait(qtbot, window, lambda: window.sync_page.entity_buttons["product"]
                            .click())
    assert finished.status == "done", finished.message_en
    return link


def test_com04_conflict_shown_side_by_side_and_resolved_in_the_table(qtbot, services, window):
    link = _make_conflict(services, window, qtbot)
    window.nav.setCurrentRow(CONFLICTS)
    page = window.conflicts_page
    assert page.model.rowCount() == 1
    assert "Tên" in page.differing_fields()
    page.table.selectRow(0)
    run_and_wait(qtbot, window, lambda: page.keep_pos.click())
    assert m.Conflict.get().status == "resolved"
    assert m.Conflict.get().resolution == "pos"
    assert page.model.rowCount() == 0
    record = services.catalog().get(Entity.PRODUCT, link.app_id)
    assert record.name == "Tên sửa trên Sapo"


def _select_ids(tab, app_ids):
    from PySide6.QtCore import QItemSelectionModel
    tab.reload()
    while tab.model.canFetchMore():
        tab.model.fetchMore()
    selection = tab.table.selectionModel()
    selection.clearSelection()
    for row in range(tab.model.rowCount()):
        if tab.model.line(row).app_id in app_ids:
            selection.select(tab.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                             | QItemSelectionModel.SelectionFlag.Rows)


def test_sapo08_push_of_selected_app_products_blocks_none_or_several_categories(
        qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    catalog = services.catalog()
    categories = [row.app_id for row in catalog.list(Entity.CATEGORY, limit=2)]
    assert len(categories) == 2
    good = catalog.put(Entity.PRODUCT, Product(key="", name="Bánh mì App", category_keys=(
        categories[0],), variants=(Variant(key="", sku="APP-BM-1", price=25000),)))
    none = catalog.put(Entity.PRODUCT, Product(key="", name="Không danh mục",
                                               variants=(Variant(key="", sku="APP-KDM"),)))
    several = catalog.put(Entity.PRODUCT, Product(key="", name="Hai danh mục",
                                                  category_keys=tuple(categories),
                                                  variants=(Variant(key="", sku="APP-HDM"),)))
    window.nav.setCurrentRow(APP_DATA)
    page = window.app_data_page
    _select_ids(page.entity_tabs["product"], {good.key, none.key, several.key})
    dialog = page.prepare_push()
    assert [p.key for p in dialog.ready] == [good.key]
    blocked = dialog.findChild(QListWidget, "pushBlocked")
    assert blocked.count() == 2
    assert "SAPO-08" in {note.rule for note in dialog.findChildren(CaveatNote)}
    finished = run_and_wait(qtbot, window, dialog.go.click)
    assert finished.status == "done", finished.message_en
    row = m.ItemResult.select().where(m.ItemResult.app_id == good.key).get()
    assert row.action == "create" and row.outcome == "ok", row.message_en
    assert m.Link.select().where(m.Link.app_id == good.key).exists()
    assert not m.Link.select().where(m.Link.app_id == none.key).exists()


def test_sapo08_product_form_for_sapo_requires_exactly_one_category(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.entity_buttons["category"].click())
    page = window.app_data_page
    dialog = page.open_product(None)
    from PySide6.QtWidgets import QComboBox
    assert isinstance(dialog.categories, QComboBox)        # a single choice, not a list
    dialog.name.setText("Trà sữa")
    dialog.price.setText("30000")
    dialog.accept()
    assert dialog.saved is None and dialog.error.text()     # no category yet
    dialog.categories.setCurrentIndex(1)
    dialog.accept()
    assert dialog.saved is not None and len(dialog.saved.category_keys) == 1
    assert services.catalog().origin(Entity.PRODUCT, dialog.saved.key) == "app"


def test_sapo09_synced_orders_are_locked_against_status_changes(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    link = m.Link.select().where(m.Link.entity == "order").first()
    assert link is not None
    page = window.app_data_page
    page.tabs.setCurrentWidget(page.entity_tabs["order"])
    _select_ids(page.entity_tabs["order"], {link.app_id})
    messages = []
    page.message.connect(messages.append)
    assert page.order_lock(link.app_id) == "SAPO-09"
    assert page.change_order_status() is None
    assert messages and "SAPO-09" in messages[0]


def test_kvf10_kiotviet_orders_are_locked_too(qtbot, services, window):
    profile = save_sample_profile(services, "kiotviet-fnb")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    link = m.Link.select().where(m.Link.entity == "order").first()
    assert link is not None
    assert window.app_data_page.order_lock(link.app_id) == "KVF-10"


def test_close_during_a_run_asks_then_cancels_cleanly(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    asked = []
    window.ask = lambda text: asked.append(text) or True
    window.show()
    with qtbot.waitSignal(window.controller.run_finished, timeout=TIMEOUT) as blocker:
        window.sync_page.all_button.click()
        assert window.controller.is_running()
        window.close()
        assert asked and window.isVisible()      # still open until the worker stopped
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT)
    assert blocker.args[0].status in ("cancelled", "done")
    assert not window.controller.is_running()


def test_close_during_a_run_can_be_refused(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    window.ask = lambda text: False
    window.show()
    with qtbot.waitSignal(window.controller.run_finished, timeout=TIMEOUT):
        window.sync_page.all_button.click()
        window.close()
        assert window.isVisible()
    assert window.isVisible()


def test_wizard_finish_starts_the_first_sync(qtbot, services, window):
    from tests.ui.wizard_driver import pass_connection, to_preview
    from ui.wizard import setup_wizard as W
    wizard = window.open_wizard()
    wizard.pages[W.WELCOME].sample.setChecked(True)
    wizard.next()
    wizard.pages[W.PLATFORM].select("kiotviet-retail")
    wizard.next()
    pass_connection(qtbot, wizard)
    to_preview(qtbot, wizard)
    wizard.next()
    with qtbot.waitSignal(window.controller.run_finished, timeout=TIMEOUT) as blocker:
        wizard.accept()
    assert blocker.args[0].status == "done"
    assert window.profile is not None and window.profile.platform == "kiotviet-retail"
    assert window.stack.currentIndex() == SYNC


def test_com01_deleted_on_pos_is_shown_and_deleted_in_app_with_one_click(qtbot, services,
                                                                          window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    link = m.Link.select().where(m.Link.entity == "product").first()
    services.sandbox_for(services.platform("sapo")).delete_product(int(link.pos_id))
    run_and_wait(qtbot, window, lambda: window.sync_page.entity_buttons["product"].click())
    window.nav.setCurrentRow(RESULTS)
    page = window.results_page
    page.action_filter.setCurrentIndex(page.action_filter.findData("deleted_on_pos"))
    page._apply_filters()
    assert page.model.total() >= 1
    row = next(page.model.row_at(i) for i in range(page.model.rowCount())
               if page.model.row_at(i).app_id == link.app_id)
    assert row.rule == "COM-01"
    assert services.catalog().get(Entity.PRODUCT, link.app_id) is not None   # kept in App
    page.table.selectRow(0)
    run_and_wait(qtbot, window, lambda: window._delete_rows([row]))
    assert services.catalog().get(Entity.PRODUCT, link.app_id) is None


def test_com07_removing_a_connection_removes_its_secrets(qtbot, services, window):
    profile = save_sample_profile(services, "kiotviet-fnb")
    window.refresh_profiles(profile.name)
    assert services.secrets.get(profile.name, "client_secret")
    assert window.remove_profile(profile.name)
    assert services.secrets.get(profile.name, "client_secret") is None
    assert services.list_profiles() == []


def test_editing_a_connection_reopens_the_wizard_with_its_values(qtbot, services, window):
    from ui.wizard import setup_wizard as W
    profile = save_sample_profile(services, "sapo", name="Sửa thử")
    window.refresh_profiles(profile.name)
    wizard = window.edit_profile(profile.name)
    assert wizard.currentId() == W.PLATFORM
    assert not wizard.pages[W.PLATFORM].buttons["sapo"].isEnabled() or \
        wizard.pages[W.PLATFORM].buttons["sapo"].isChecked()
    wizard.next()
    page = wizard.pages[W.CONNECTION]
    assert page.editors["shop"].raw() == profile.fields["shop"]
    assert page.editors["api_secret"].raw() == services.secrets.get(profile.name, "api_secret")
    wizard.reject()
