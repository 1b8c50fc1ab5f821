"""NH-13 from the command line: support staff log a Nhanh.vn connection in without the window.
`shopsync login NAME` prints the consent page, takes the redirected address (or the code)
and exchanges it within its 10 minutes; the token goes to the keyring only."""
from __future__ import annotations

import html
import io
import re
import socket
import threading
import time
from urllib.parse import urlsplit

import httpx
import pytest

from app.store.profiles import get_profile
from connectors.nhanh.login import authorize_url
from connectors.nhanh.sandbox import (SANDBOX_APP_ID, SANDBOX_BUSINESS_ID, SANDBOX_SECRET_KEY,
                                      nhanh_sandbox)
from connectors.sandbox_base import serve


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


def free_loopback_redirect() -> str:
    """A loopback Redirect URL on a port nobody uses (never the shared default 53682)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/shopsync/nhanh"


def port_is_free(redirect: str) -> bool:
    """Nobody listens there (a connection is refused)."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", urlsplit(redirect).port)) != 0


class SilentTerminal:
    """stdin of a terminal where nobody types: readline blocks until the test ends."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def readline(self) -> str:
        self.closed.wait(30)
        return ""


@pytest.fixture
def nhanh(shopsync):
    clock = Clock()
    box = nhanh_sandbox(version="3", clock=clock, rate_limits=False)
    server = serve(box)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    redirect = free_loopback_redirect()
    box.registered_redirects = (redirect,)
    code, _, err = shopsync("profile", "add", "Shop Nhanh", "--platform", "nhanh-v3",
                            "--set", f"app_id={SANDBOX_APP_ID}", "--set", f"api_base={url}",
                            "--set", f"oauth_base={url}", "--set", f"redirect_url={redirect}",
                            env={"SHOPSYNC_SECRET_SECRET_KEY": SANDBOX_SECRET_KEY})
    assert code == 0, err
    box.clock_now = clock
    box.url, box.redirect = url, redirect
    yield box
    server.shutdown()


def browser_approves(box, pages: list[str]) -> threading.Thread:
    """A fake browser: once ShopSync listens on the loopback Redirect URL, it opens the
    consent page on the Nhanh sandbox, clicks "Đồng ý" and follows Nhanh's redirect home."""
    def run() -> None:
        port = urlsplit(box.redirect).port
        for _ in range(200):
            if not port_is_free(box.redirect):
                break
            time.sleep(0.05)
        consent = authorize_url(SANDBOX_APP_ID, box.redirect, "3", box.url)
        with httpx.Client(follow_redirects=True, timeout=10) as browser:
            page = browser.get(consent)
            approve = html.unescape(re.search(r'href="([^"]+)"', page.text).group(1))
            landed = browser.get(box.url + approve)
            pages.extend([consent, str(landed.url), landed.text])
        assert port
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_nh13_login_from_the_command_line_stores_the_token_in_the_keyring(shopsync, nhanh):
    code = nhanh.mint_access_code()
    pasted = f"https://example.com/shopsync/nhanh?accessCode={code}&other=1"
    status, out, err = shopsync("--lang", "en", "login", "Shop Nhanh", "--code", pasted)
    assert status == 0, err
    assert "Logged Shop Nhanh in to Nhanh.vn" in out
    token = shopsync.keyring.get("Shop Nhanh", "access_token")
    assert token and token not in out + err                          # COM-07
    profile = get_profile("Shop Nhanh")
    assert profile.fields["business_id"] == SANDBOX_BUSINESS_ID
    assert profile.token_expires_at is not None and "access_token" in profile.secret_names
    assert "access_token" not in profile.fields                      # never in the database
    status, out, err = shopsync("--lang", "en", "test", "Shop Nhanh")
    assert status == 0, err


def test_nh13_login_prints_the_consent_page_and_reads_the_pasted_address(shopsync, nhanh,
                                                                         monkeypatch):
    code = nhanh.mint_access_code()
    monkeypatch.setattr("sys.stdin", io.StringIO(
        f"https://example.com/shopsync/nhanh?accessCode={code}\n"))
    status, out, err = shopsync("--lang", "en", "login", "Shop Nhanh")
    assert status == 0, err
    assert f"oauth?appId={SANDBOX_APP_ID}" in out and "within 10 minutes" in out


def test_nh13_login_catches_the_code_when_the_browser_comes_back_to_this_pc(
        shopsync, nhanh, monkeypatch):
    terminal = SilentTerminal()
    monkeypatch.setattr("sys.stdin", terminal)
    pages: list[str] = []
    browser = browser_approves(nhanh, pages)
    try:
        status, out, err = shopsync("--lang", "en", "login", "Shop Nhanh")
    finally:
        terminal.closed.set()
    browser.join(10)
    assert status == 0, err
    consent, landed, answer = pages
    assert consent in out                        # the address printed is the one that works
    assert landed.startswith(nhanh.redirect + "?accessCode=")
    assert "You can close this tab" in answer
    assert "Received the login code from the browser" in out
    assert shopsync.keyring.get("Shop Nhanh", "access_token")
    assert get_profile("Shop Nhanh").fields["business_id"] == SANDBOX_BUSINESS_ID
    assert port_is_free(nhanh.redirect)          # nothing keeps listening afterwards


def test_nh13_a_pasted_address_still_works_while_shopsync_listens(shopsync, nhanh, monkeypatch):
    code = nhanh.mint_access_code()
    monkeypatch.setattr("sys.stdin", io.StringIO(
        f"\nhttps://shop.example/after-login?accessCode={code}\n"))
    status, out, err = shopsync("--lang", "en", "login", "Shop Nhanh")
    assert status == 0, err
    assert "ShopSync is waiting for Nhanh.vn" in out and nhanh.redirect in out
    assert shopsync.keyring.get("Shop Nhanh", "access_token")
    assert port_is_free(nhanh.redirect)


def test_nh13_a_busy_loopback_port_falls_back_to_pasting(shopsync, nhanh, monkeypatch):
    code = nhanh.mint_access_code()
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{code}\n"))
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", urlsplit(nhanh.redirect).port))
        squatter.listen()
        status, out, err = shopsync("--lang", "en", "login", "Shop Nhanh")
    assert status == 0, err
    assert "is busy" in err and "Paste the address" in err
    assert "Paste here the address the browser was sent to" in out
    assert shopsync.keyring.get("Shop Nhanh", "access_token")


def test_nh13_a_redirect_to_the_shops_own_https_page_is_paste_only(shopsync, nhanh,
                                                                    monkeypatch):
    nhanh.registered_redirects = ("https://shop.example/nhanh",)
    from app.store.profiles import update_profile
    hosts = dict(get_profile("Shop Nhanh").hosts)
    update_profile("Shop Nhanh", hosts={**hosts, "redirect_url": "https://shop.example/nhanh"})
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    status, out, err = shopsync("--lang", "en", "login", "Shop Nhanh")
    assert status == 2 and "Nothing was pasted" in err           # no waiting on this PC
    assert "waiting" not in out and "Paste here the address" in out


def test_nh13_a_declined_consent_says_to_log_in_again(shopsync, nhanh, monkeypatch):
    terminal = SilentTerminal()
    monkeypatch.setattr("sys.stdin", terminal)

    def decline() -> None:
        while port_is_free(nhanh.redirect):
            time.sleep(0.05)
        httpx.get(nhanh.redirect + "?error=access_denied", timeout=10)
    threading.Thread(target=decline, daemon=True).start()
    try:
        status, _, err = shopsync("--lang", "en", "login", "Shop Nhanh")
    finally:
        terminal.closed.set()
    assert status == 3 and "consent may not have been given" in err
    assert shopsync.keyring.get("Shop Nhanh", "access_token") is None


def test_nh13_a_code_older_than_ten_minutes_is_refused_with_what_to_do(shopsync, nhanh):
    code = nhanh.mint_access_code()
    nhanh.clock_now.now += 11 * 60
    status, _, err = shopsync("--lang", "en", "login", "Shop Nhanh", "--code", code)
    assert status == 3
    assert "expired" in err and "shopsync login Shop Nhanh" in err
    assert shopsync.keyring.get("Shop Nhanh", "access_token") is None


def test_login_on_a_typed_credentials_platform_says_there_is_none(shopsync, fake_profile):
    status, _, err = shopsync("--lang", "en", "login", fake_profile, "--code", "abcdefgh12")
    assert status == 2 and "no browser login" in err


def test_nh13_an_expired_login_points_at_the_login_command(shopsync, nhanh):
    status, _, err = shopsync("--lang", "en", "test", "Shop Nhanh")
    assert status == 3 and "shopsync login Shop Nhanh" in err


def test_nh13_commands_warn_a_month_before_the_login_ends(shopsync, nhanh):
    from datetime import datetime, timedelta, timezone
    from app.store.profiles import update_profile
    update_profile("Shop Nhanh", token_expires_at=datetime.now(timezone.utc) + timedelta(days=5))
    _, _, err = shopsync("--lang", "en", "profile", "show", "Shop Nhanh")
    assert "ends in 4 days" in err or "ends in 5 days" in err
    assert "shopsync login Shop Nhanh" in err
    update_profile("Shop Nhanh", token_expires_at=datetime.now(timezone.utc) + timedelta(days=90))
    _, _, err = shopsync("--lang", "en", "profile", "show", "Shop Nhanh")
    assert "login" not in err
