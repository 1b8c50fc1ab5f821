"""Issue 20, the start: sample shops without dead ends (pt 2), a platform list the keyboard
reaches first with "&" shown as written (pt 3), caveats under the toggle they concern and one
story about token expiry (pt 8)."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.ui.wizard_driver import TIMEOUT, run_connection_test, start_sample
from ui.i18n import set_language
from ui.wizard import setup_wizard as W


def test_nhanh_sample_second_connection_test_still_succeeds(qtbot, services):
    """A second "Test connection" said the code was used, pointing at a disabled button."""
    wizard = start_sample(qtbot, services, "nhanh-v3")
    wizard.next()
    assert wizard.currentId() == W.NHANH_LOGIN
    page = wizard.pages[W.NHANH_LOGIN]
    run_connection_test(qtbot, wizard, W.NHANH_LOGIN)
    assert wizard.state.info is not None, page.test_panel.status.text()
    run_connection_test(qtbot, wizard, W.NHANH_LOGIN)
    assert wizard.state.info is not None, page.test_panel.status.text()
    assert page.isComplete()
    assert wizard.button(W.SetupWizard.WizardButton.NextButton).isEnabled()


def test_nhanh_login_button_is_labelled_as_the_messages_name_it(qtbot, services):
    wizard = start_sample(qtbot, services, "nhanh-v3")
    wizard.next()
    assert wizard.pages[W.NHANH_LOGIN].open_button.text().replace("&", "") == \
        "Đăng nhập Nhanh.vn"


def test_sapo_sample_secret_can_be_changed_to_see_a_failure_and_typed_back(qtbot, services):
    wizard = start_sample(qtbot, services, "sapo")
    page = wizard.pages[W.CONNECTION]
    secret = page.editors["api_secret"].input
    assert isinstance(secret, QLineEdit)
    assert secret.echoMode() == QLineEdit.EchoMode.Normal       # the owner can see it
    original = secret.text()
    assert original
    secret.setText(original + "x")
    run_connection_test(qtbot, wizard, W.CONNECTION)
    assert wizard.state.info is None
    secret.setText(original)
    run_connection_test(qtbot, wizard, W.CONNECTION)
    assert wizard.state.info is not None, page.test_panel.status.text()


def test_platform_page_opens_on_the_list_and_enter_picks_nothing_by_itself(qtbot, services):
    wizard = W.SetupWizard(services)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.pages[W.WELCOME].sample.setChecked(True)
    wizard.next()
    page = wizard.pages[W.PLATFORM]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.buttons["sapo"], timeout=3000)
    assert page.group.checkedButton() is None
    assert not page.isComplete()                     # Enter cannot go on with Sapo
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    assert QApplication.focusWidget() is page.buttons["kiotviet-fnb"]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert page.selected_key() == "kiotviet-fnb"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert wizard.currentId() == W.CONNECTION
    assert wizard.state.platform_key == "kiotviet-fnb"


def test_ampersand_of_food_and_beverage_is_shown_literally_in_english(qtbot, services):
    set_language("en")
    wizard = W.SetupWizard(services)
    qtbot.addWidget(wizard)
    button = wizard.pages[W.PLATFORM].buttons["kiotviet-fnb"]
    assert "food && beverage" in button.text()        # && is how Qt shows one "&"
    assert "_" not in button.text()


def test_nh12_v2_is_called_retired_after_its_last_day(qtbot, services):
    from ui.platform_names import platform_label
    v2 = services.platform("nhanh-v2")
    assert "sắp ngừng" in platform_label(v2, date(2026, 11, 30))
    assert "đã ngừng" in platform_label(v2, date(2026, 12, 1))
    assert "sắp ngừng" not in v2.name_vi


def test_kiotviet_fnb_product_caveats_sit_under_products_not_categories(qtbot, services):
    wizard = start_sample(qtbot, services, "kiotviet-fnb")
    wizard.state.platform_key = "kiotviet-fnb"
    page = wizard.pages[W.OPTIONS]
    page.initializePage()
    under = notes_by_entity(page)
    for rule in ("KVF-02", "KVF-12", "KVF-13"):
        assert rule in under["product"], under
        assert rule not in under["category"], under


def notes_by_entity(page) -> dict[str, set[str]]:
    """Which caveat notes sit in the block right under each entity's checkbox."""
    from ui.widgets.caveat_note import CaveatNote
    layout = page.entity_boxes["product"].parentWidget().layout()
    found: dict[str, set[str]] = {}
    current = None

    def walk(item_layout, into):
        for i in range(item_layout.count()):
            item = item_layout.itemAt(i)
            if item.widget() is not None and isinstance(item.widget(), CaveatNote):
                into.add(item.widget().rule)
            elif item.layout() is not None:
                walk(item.layout(), into)
    for i in range(layout.count()):
        item = layout.itemAt(i)
        widget = item.widget()
        if widget is not None and widget.objectName().startswith("entity_"):
            current = widget.objectName().removeprefix("entity_")
            found[current] = set()
        elif item.layout() is not None and current is not None:
            walk(item.layout(), found[current])
    return found


def test_kiotviet_test_says_the_token_renews_itself_like_the_connections_page(qtbot, services):
    """The test said in green "Token hết hạn ngày 07/12/2026"; Connections said no expiry."""
    wizard = start_sample(qtbot, services, "kiotviet-fnb")
    run_connection_test(qtbot, wizard, W.CONNECTION)
    text = wizard.pages[W.CONNECTION].test_panel.status.text()
    assert "Token hết hạn ngày" not in text
    assert "không cần đăng nhập lại" in text
    assert "Quyền được cấp:" in text


def test_nhanh_permissions_are_words_not_api_scope_names(qtbot, services):
    from ui.wizard.connection_test import permission_text
    assert [permission_text(p) for p in ("product", "customer", "order", "depot", "user")] == \
        ["sản phẩm", "khách hàng", "đơn hàng", "kho", "người dùng"]


def test_caveat_boxes_keep_rule_ids_for_the_tooltip(qtbot):
    from ui.wizard.caveat_notes import caveat_note
    note = caveat_note("SAPO-04")
    qtbot.addWidget(note)
    assert "SAPO-04" not in note.title_label.text()
    assert note.toolTip() == "SAPO-04"
    assert TIMEOUT


def test_nh01_login_page_shows_no_empty_webhook_field(qtbot, services):
    wizard = start_sample(qtbot, services, "nhanh-v3")
    wizard.next()
    page = wizard.pages[W.NHANH_LOGIN]
    assert page.webhook.isHidden()
    assert not page.redirect.isHidden()
