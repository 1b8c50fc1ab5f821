"""B-02 in the window: "Hoàn tác lần chạy cuối" explains a refused undo and asks with the
per-entity counts; "Khôi phục" brings back what an undo removed."""
from __future__ import annotations

from contract.records import Entity
from app.store import models as m
from tests.ui.window_driver import run_and_wait
from tests.ui.wizard_driver import save_sample_profile


def catalog_size() -> int:
    return m.CatalogItem.select().count()


def test_b02_window_undo_refuses_a_first_pull_and_says_so_without_starting_a_run(
        qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    pulled = catalog_size()
    told, asked = [], []
    window.tell, window.ask = told.append, lambda text: asked.append(text) or True
    window.sync_page.undo_button.click()
    assert asked == [] and len(told) == 1
    assert "lần lấy dữ liệu đầu tiên" in told[0] and "mã App mới" in told[0]
    assert not window.controller.is_running() and catalog_size() == pulled
    # A second sync that changes nothing: undo says there is nothing to undo.
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    window.sync_page.undo_button.click()
    assert "không thay đổi gì trong App" in told[-1] and asked == []
    assert catalog_size() == pulled


def _synced_then_renamed_on_sapo(qtbot, services, window) -> tuple:
    """A first sync of the Sapo sample shop, then one product renamed on Sapo (the next sync
    changes it in the App: an undo has something to put back). Returns its link and old name."""
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    box = services.sandbox_for(services.platform("sapo"))
    [link] = m.Link.select().where(m.Link.entity == "product").limit(1)
    product = box._written(int(link.pos_id))
    old_name = product["title"] if "title" in product else product["name"]
    product["title" if "title" in product else "name"] = "Cà phê đổi tên"
    product["modified_on"] = box.now()
    return link, old_name


def test_b02_window_undo_confirm_shows_counts_per_entity_then_undoes(qtbot, services, window):
    link, old_name = _synced_then_renamed_on_sapo(qtbot, services, window)
    finished = run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    assert finished.counts.get("ok"), finished
    asked = []
    window.ask = lambda text: asked.append(text) or True
    run_and_wait(qtbot, window, lambda: window.sync_page.undo_button.click())
    assert len(asked) == 1
    assert "Sản phẩm: trả lại giá trị cũ 1, gỡ 0" in asked[0]
    item = m.CatalogItem.get((m.CatalogItem.entity == Entity.PRODUCT.value)
                             & (m.CatalogItem.app_id == link.app_id))
    assert item.name == old_name
    rows = list(m.ItemResult.select().join(m.Run).where(m.Run.kind == "undo"))
    assert [(r.action, r.name) for r in rows] == [("restored", old_name)]


def test_b02_window_restore_brings_back_what_the_undo_removed(qtbot, services, window):
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    told = []
    window.tell = told.append
    window.sync_page.restore_button.click()
    assert "nothing removed by an undo" in told[-1] or "Không có bản ghi nào" in told[-1]
    box = services.sandbox_for(services.platform("sapo"))
    # A new product appears on the POS (made there, as the shop would); the next sync pulls
    # it; undo removes it.
    box._create_product({"product": {"name": "Bánh mới", "variants": [
        {"sku": "BANH-MOI-1", "price": "25000"}]}}, {})
    new_id = box.product_ids[-1]
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    new_app_id = m.Link.get((m.Link.entity == "product")
                            & (m.Link.pos_id == str(new_id))).app_id
    asked = []
    window.ask = lambda text: asked.append(text) or True
    run_and_wait(qtbot, window, lambda: window.sync_page.undo_button.click())
    assert "gỡ 1" in asked[-1]
    gone = m.CatalogItem.select().where(m.CatalogItem.app_id == new_app_id)
    assert not gone.exists()
    run_and_wait(qtbot, window, lambda: window.sync_page.restore_button.click())
    assert "1" in asked[-1]
    assert m.CatalogItem.select().where(m.CatalogItem.app_id == new_app_id).exists()
    assert m.Link.get((m.Link.entity == "product")
                      & (m.Link.pos_id == str(new_id))).app_id == new_app_id


def test_b02_window_undo_confirm_names_the_records_and_says_what_the_undo_did(
        qtbot, services, window):
    """Walk finding 5: the confirm names the records as `undo --dry-run` does, and after the
    undo the Sync page says what the undo did, not "Đồng bộ xong"."""
    link, old_name = _synced_then_renamed_on_sapo(qtbot, services, window)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    asked = []
    window.ask = lambda text: asked.append(text) or True
    run_and_wait(qtbot, window, lambda: window.sync_page.undo_button.click())
    assert f"Sản phẩm {old_name} — sẽ trả lại giá trị cũ" in asked[0], asked[0]
    assert window.sync_page.status.text().startswith("Đã hoàn tác: trả lại 1")
    assert "Đồng bộ xong" not in window.sync_page.status.text()


def test_b02_undo_confirm_names_ten_records_then_counts_the_rest():
    from app.sync.undo import UndoAction, UndoItem, UndoPlan
    from ui.widgets.undo_confirm import records_text
    items = [UndoItem(i, Entity.PRODUCT, f"P{i}", f"Áo {i}", UndoAction.REMOVE, None)
             for i in range(13)]
    text = records_text(UndoPlan(None, items=items))
    assert "Áo 9 — sẽ gỡ" in text and "Áo 10" not in text
    assert text.endswith("và 3 bản ghi khác")


def test_b02_resolve_run_has_one_name_in_both_languages():
    from ui.i18n import set_language
    from ui.pages.results_page import run_kind_name
    assert run_kind_name("resolve") == "xử lý xung đột"
    set_language("en")
    assert run_kind_name("resolve") == "resolve conflicts"
