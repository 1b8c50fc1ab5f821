"""Small things a new user met on the first walk (walk finding 15)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QStyleOptionHeader

from tests.ui.window_driver import run_and_wait
from tests.ui.wizard_driver import save_sample_profile
from ui.main_window import HOME, RESULTS, SETTINGS
from ui.widgets.sort_arrow import ReadableSortArrows, readable_arrow


def test_b04_default_connection_name_keeps_the_platforms_name_readable(services):
    platform = services.platform("sapo")
    name = services.suggest_name(platform, sample=False)
    assert name.startswith("Sapo Web - Sapo Omni"), name
    assert services.check_profile_name(name) == ""


def test_com06_results_sort_arrow_matches_newest_first(qtbot, services, window):  # noqa: F811
    profile = save_sample_profile(services, "sapo")
    window.refresh_profiles(profile.name)
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    run_and_wait(qtbot, window, lambda: window.sync_page.all_button.click())
    window.nav.setCurrentRow(RESULTS)
    page = window.results_page
    header = page.table.horizontalHeader()
    assert header.sortIndicatorSection() == 0
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    runs = [page.proxy.row_object(r).run_id for r in range(page.proxy.rowCount())]
    assert runs == sorted(runs, reverse=True)
    assert isinstance(page._arrows, ReadableSortArrows)   # the header draws through it


def test_com06_sort_arrow_drawn_down_for_largest_first(qtbot):
    """Qt hands the style SortUp (▲) for DescendingOrder; owners read ▲ as smallest first."""
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QCommonStyle, QStyle
    seen = []

    class Recorder(QCommonStyle):
        def drawPrimitive(self, element, option, painter, widget=None):
            if element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow:
                seen.append(option.sortIndicator)

    style = ReadableSortArrows(Recorder())
    image = QImage(20, 20, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    option = QStyleOptionHeader()
    option.sortIndicator = QStyleOptionHeader.SortIndicator.SortUp   # Qt's DescendingOrder
    style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorHeaderArrow, option, painter, None)
    painter.end()
    assert seen == [readable_arrow(Qt.SortOrder.DescendingOrder)]
    assert seen == [QStyleOptionHeader.SortIndicator.SortDown]


def test_com06_rule_and_message_columns_fit_at_1280_px(qtbot, services, window):  # noqa: F811
    window.resize(1280, 800)
    window.show()
    window.nav.setCurrentRow(RESULTS)
    qtbot.waitExposed(window)
    table = window.results_page.table
    columns = window.results_page.model.columnCount()
    used = sum(table.columnWidth(c) for c in range(columns) if not table.isColumnHidden(c))
    assert used <= table.viewport().width() + 2, (used, table.viewport().width())
    assert table.columnWidth(9) >= 150       # the message still has room to be read
    window.results_page.ids_box.setChecked(True)           # support can see the ids
    assert not table.isColumnHidden(4) and not table.isColumnHidden(5)


def test_b05_status_bar_message_cleared_when_changing_page(qtbot, services, window):  # noqa: F811
    window.nav.setCurrentRow(SETTINGS)
    window.show_message("Đã xuất 3 dòng")
    assert window.status_label.text() == "Đã xuất 3 dòng"
    window.nav.setCurrentRow(HOME)
    assert window.status_label.text() == ""
    assert window.statusBar().currentMessage() == ""


def test_b05_ctrl_q_quits_and_the_tray_quit_action_shows_it(qtbot, services, window):  # noqa: F811
    action = window.quit_action
    assert action.shortcut() == QKeySequence("Ctrl+Q")
    assert action in window.actions()
    closed = []
    window.closeEvent = lambda event: closed.append(True) or event.accept()
    action.trigger()
    assert closed == [True]



def test_b01_after_a_good_connection_test_focus_is_on_next(qtbot, services):
    from PySide6.QtWidgets import QApplication, QWizard

    from tests.ui.wizard_driver import run_connection_test, start_sample
    from ui.wizard import setup_wizard as W
    wizard = start_sample(qtbot, services, "sapo")
    wizard.activateWindow()
    run_connection_test(qtbot, wizard, W.CONNECTION)
    assert wizard.state.info is not None
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    qtbot.waitUntil(lambda: next_button.hasFocus() or QApplication.focusWidget() is next_button)


def test_com07_settings_names_the_keyring_in_words_never_a_class_path():
    """Issue 20 (walk-through finding 6): Settings showed `keyring.backends.fail.Keyring`."""
    from ui.pages.settings_page import keyring_name
    for backend in ("keyring.backends.fail.Keyring", "app.secrets.NoKeyringStore",
                    "some.unknown.Backend"):
        shown = keyring_name(backend)
        assert "." not in shown and "Backend" not in shown and "Store" not in shown, shown
    assert "mẫu" in keyring_name("keyring.backends.fail.Keyring")
