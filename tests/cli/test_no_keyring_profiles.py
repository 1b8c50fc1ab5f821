"""Finding 2: without a system keyring a real connection is refused at `profile add` (exit 2,
the no-keyring message), `profile show` never claims a secret is in the keyring, and
`sandbox serve` prints the whole `profile add` line (COM-07, B-01)."""
from __future__ import annotations

import shlex

from app.secrets import InsecureKeyring, NoKeyringStore
from connectors.registry import get_platform
from connectors.sandbox_base import serve


def _no_keyring(shopsync):
    shopsync.keyring = NoKeyringStore(InsecureKeyring("keyring.backends.fail.Keyring",
                                                      can_accept=False))


def test_com07_profile_add_of_a_real_connection_without_a_keyring_exits_2(shopsync):
    _no_keyring(shopsync)
    # Even with the sample shop's public secret: a real connection needs the keyring.
    code, out, err = shopsync("profile", "add", "srv", "--platform", "sapo",
                              "--set", "api_base=http://127.0.0.1:9", "--set", "shop=cuahangmau",
                              "--set", "api_key=sandbox-api-key",
                              env={"SHOPSYNC_SECRET_API_SECRET": "sandbox-api-secret"})
    assert code == 2
    assert "kho khoá" in err and "Đã lưu" not in out
    assert shopsync("profile", "list")[1] == ""
    # The sample shop still works without one.
    assert shopsync("profile", "add", "demo", "--platform", "sapo", "--set", "sandbox=on")[0] == 0


def test_com07_profile_show_never_claims_a_missing_secret_is_in_the_keyring(shopsync):
    code, _, err = shopsync("profile", "add", "srv", "--platform", "sapo",
                            "--set", "api_base=http://127.0.0.1:9", "--set", "shop=cuahangmau",
                            "--set", "api_key=sandbox-api-key",
                            env={"SHOPSYNC_SECRET_API_SECRET": "sandbox-api-secret"})
    assert code == 0, err
    code, out, _ = shopsync("profile", "show", "srv")
    assert "secret.api_secret: (trong kho khoá)" in out
    # Same data home, on a computer without a keyring.
    _no_keyring(shopsync)
    code, out, _ = shopsync("profile", "show", "srv")
    assert "secret.api_secret:" in out and "(trong kho khoá)" not in out
    assert "sandbox-api-secret" not in out


def test_b01_sandbox_serve_prints_a_profile_add_line_that_connects(shopsync):
    from app.cli import _sandbox_profile_command
    platform = get_platform("kiotviet-fnb")
    box = platform.sandbox(seed=1, products=5)
    server = serve(box)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        words = shlex.split(_sandbox_profile_command(platform, url))
        env = dict(w.split("=", 1) for w in words if "=" in w and w.isupper() is False
                   and w.split("=", 1)[0].isupper())
        argv = words[words.index("shopsync") + 1:]
        code, out, err = shopsync(*argv, env=env)
        assert code == 0, err
        code, out, err = shopsync("test", "srv")
        assert code == 0, out + err
    finally:
        server.shutdown()
