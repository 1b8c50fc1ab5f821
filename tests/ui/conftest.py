"""UI test fixtures: offscreen Qt, in-memory keyring, a fresh data home, sample shops with the
sandboxes' rate limits off so runs finish at once."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from ui.controllers.shop import ShopServices
from ui.i18n import set_language


@pytest.fixture(autouse=True)
def vietnamese():
    set_language("vi")
    yield
    set_language("vi")


@pytest.fixture
def services(home, store, secrets) -> ShopServices:
    return ShopServices(home, store, secrets, sandbox_options={"rate_limits": False})


@pytest.fixture
def window(qtbot, services):
    """The main window over `services`; every question it asks is answered yes."""
    from ui.main_window import MainWindow
    win = MainWindow(services)
    qtbot.addWidget(win)
    win.ask = lambda _text: True
    yield win
    win.controller.cancel()
    win.controller.wait(10_000)
