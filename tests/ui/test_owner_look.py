"""Issue 20 pt 11: a calm, consistent look — one style sheet, an icon per entity and per state,
status colours for meaning only, readable at 1366×768 and at 150 % scaling."""
from __future__ import annotations

import re

from PySide6.QtWidgets import QApplication

from app.caveats import resources_dir
from tests.ui.wizard_driver import save_sample_profile
from ui.main_window import MainWindow
from ui.widgets.icons import ENTITY_ICONS, STATE_ICONS, icon

STATE_COLOURS = {"#2e7d4f", "#d08a00", "#c0392b"}       # good, attention, broken


def test_every_entity_and_state_has_an_icon_that_renders(qtbot):
    for name in (*ENTITY_ICONS, *STATE_ICONS):
        assert (resources_dir() / "icons" / "ui" / f"{name}.svg").exists(), name
        assert not icon(name).pixmap(20, 20).isNull(), name


def test_state_colours_appear_only_on_state_selectors():
    """Green/amber/red mean a state: the style sheet uses them nowhere else."""
    qss = (resources_dir() / "styles" / "shopsync.qss").read_text(encoding="utf-8")
    for rule in re.findall(r"([^{}]+)\{([^}]*)\}", qss):
        selector, body = rule
        for colour in STATE_COLOURS:
            if colour in body.lower():
                assert "state=" in selector, (selector.strip(), colour)


def test_window_fits_a_1366x768_screen_at_150_percent(qtbot, services):
    """QT_SCALE_FACTOR=1.5 on a 1366×768 screen leaves 911×512 points for the window."""
    profile = save_sample_profile(services, "kiotviet-fnb")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.refresh_profiles(profile.name)
    QApplication.instance().setStyleSheet(
        (resources_dir() / "styles" / "shopsync.qss").read_text(encoding="utf-8"))
    try:
        for row in range(window.nav.count()):
            window.nav.setCurrentRow(row)
            hint = window.minimumSizeHint()
            assert hint.width() <= 911 and hint.height() <= 512, (row, hint)
        window.resize(911, 512)
        window.show()
        window.nav.setCurrentRow(0)
        QApplication.processEvents()
        title = window.home_page.title
        assert title.width() >= title.sizeHint().width(), "the health title is cut"
    finally:
        QApplication.instance().setStyleSheet("")


def test_health_card_carries_its_state_for_the_style_sheet(qtbot, services):
    profile = save_sample_profile(services, "sapo")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.refresh_profiles(profile.name)
    assert window.home_page.card.property("state") in {"good", "attention", "broken"}
