"""NH-13 in the window: with a loopback Redirect URL the login page catches the access code
the browser brings back to this PC and exchanges it at once; the paste field stays the
fallback (a busy port says so), and leaving the page stops listening."""
from __future__ import annotations

import html
import re
import socket
import threading
import time
from dataclasses import replace
from urllib.parse import urlsplit

import httpx
import pytest

from connectors.nhanh.sandbox import SANDBOX_APP_ID, SANDBOX_SECRET_KEY, nhanh_sandbox
from connectors.registry import get_platform
from connectors.sandbox_base import serve
from ui.controllers.background import BackgroundJobs
from ui.controllers.shop import ShopServices
from ui.wizard import nhanh_login_page
from ui.wizard.nhanh_login_page import NhanhLoginPage
from ui.wizard.state import WizardState

TIMEOUT = 20_000


def free_loopback_redirect() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/shopsync/nhanh"


def listening(redirect: str) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", urlsplit(redirect).port)) == 0


@pytest.fixture
def nhanh_shop(home, store, secrets):
    """A real (not sample) Nhanh connection whose hosts all point at a served sandbox and
    whose Redirect URL is a free loopback port."""
    box = nhanh_sandbox(version="3", rate_limits=False)
    server = serve(box)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    redirect = free_loopback_redirect()
    box.registered_redirects = (redirect,)

    def lookup(key: str):
        platform = get_platform(key)
        if platform.login is None:
            return platform
        return replace(platform, hosts={**platform.hosts, "api_base": url, "oauth_base": url,
                                        "redirect_url": redirect})

    services = ShopServices(home, store, secrets, platform_lookup=lookup)
    box.url, box.redirect = url, redirect
    yield box, services
    server.shutdown()


def login_page(qtbot, services):
    state = WizardState(platform_key="nhanh-v3", fields={"app_id": SANDBOX_APP_ID},
                        secrets={"secret_key": SANDBOX_SECRET_KEY})
    jobs = BackgroundJobs()
    page = NhanhLoginPage(state, services, jobs)
    qtbot.addWidget(page)
    page.initializePage()
    page.show()
    return page, state, jobs


def test_nh13_login_page_catches_the_code_the_browser_brings_back(qtbot, nhanh_shop,
                                                                  monkeypatch):
    box, services = nhanh_shop
    landed: list[str] = []

    def browser(url) -> bool:
        """The owner's browser: consent page, "Đồng ý", Nhanh's redirect to this PC."""
        def run() -> None:
            with httpx.Client(follow_redirects=True, timeout=10) as client:
                page = client.get(url.toString())
                approve = html.unescape(re.search(r'href="([^"]+)"', page.text).group(1))
                landed.append(str(client.get(box.url + approve).url))
        threading.Thread(target=run, daemon=True).start()
        return True

    monkeypatch.setattr(nhanh_login_page.QDesktopServices, "openUrl", browser)
    page, state, jobs = login_page(qtbot, services)
    assert page.redirect.value() == box.redirect
    page.open_button.click()
    assert page.catching()
    qtbot.waitUntil(lambda: state.info is not None, timeout=TIMEOUT)
    assert landed and landed[0].startswith(box.redirect + "?accessCode=")
    assert page.code_edit.text() in landed[0]                 # filled in for the owner
    assert state.secrets.get("access_token")                  # exchanged at once
    assert "access_code" not in state.secrets                 # used once, dropped
    assert not page.catching() and not listening(box.redirect)
    jobs.wait_all()


def test_nh13_login_page_keeps_the_paste_field_when_the_port_is_busy(qtbot, nhanh_shop,
                                                                     monkeypatch):
    box, services = nhanh_shop
    monkeypatch.setattr(nhanh_login_page.QDesktopServices, "openUrl", lambda url: True)
    page, state, jobs = login_page(qtbot, services)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", urlsplit(box.redirect).port))
        squatter.listen()
        page.open_button.click()
        qtbot.waitUntil(lambda: not page.catching(), timeout=TIMEOUT)
    assert "đang bận" in page.code_status.text() and "dán địa chỉ" in page.code_status.text()
    code = box.mint_access_code()
    page.code_edit.setText(f"https://shop.example/x?accessCode={code}")
    assert page.read_code() and state.secrets["access_code"] == code
    jobs.wait_all()


def test_nh13_leaving_the_login_page_stops_listening(qtbot, nhanh_shop, monkeypatch):
    box, services = nhanh_shop
    monkeypatch.setattr(nhanh_login_page.QDesktopServices, "openUrl", lambda url: True)
    page, state, jobs = login_page(qtbot, services)
    page.open_button.click()
    qtbot.waitUntil(lambda: listening(box.redirect), timeout=TIMEOUT)
    page.hide()
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=TIMEOUT)
    assert not listening(box.redirect)
    assert state.info is None


def test_nh13_an_https_redirect_is_paste_only(qtbot, home, store, secrets, monkeypatch):
    def lookup(key: str):
        platform = get_platform(key)
        if platform.login is None:
            return platform
        return replace(platform, hosts={**platform.hosts,
                                        "redirect_url": "https://shop.example/nhanh"})
    services = ShopServices(home, store, secrets, platform_lookup=lookup)
    monkeypatch.setattr(nhanh_login_page.QDesktopServices, "openUrl", lambda url: True)
    page, state, jobs = login_page(qtbot, services)
    page.open_button.click()
    assert not page.catching() and not jobs.busy()
