"""NH-13 from the command line: support staff log a Nhanh.vn connection in without the window.
`shopsync login NAME` prints the consent page, takes the redirected address (or the code)
and exchanges it within its 10 minutes; the token goes to the keyring only."""
from __future__ import annotations

import io

import pytest

from app.store.profiles import get_profile
from connectors.nhanh.sandbox import (SANDBOX_APP_ID, SANDBOX_BUSINESS_ID, SANDBOX_SECRET_KEY,
                                      nhanh_sandbox)
from connectors.sandbox_base import serve


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def nhanh(shopsync):
    clock = Clock()
    box = nhanh_sandbox(version="3", clock=clock, rate_limits=False)
    server = serve(box)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    code, _, err = shopsync("profile", "add", "Shop Nhanh", "--platform", "nhanh-v3",
                            "--set", f"app_id={SANDBOX_APP_ID}", "--set", f"api_base={url}",
                            env={"SHOPSYNC_SECRET_SECRET_KEY": SANDBOX_SECRET_KEY})
    assert code == 0, err
    box.clock_now = clock
    yield box
    server.shutdown()


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
