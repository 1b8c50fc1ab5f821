"""Issue 20 point 1 (COM-07, B-01): on a computer with no system keyring the window opens, the
sample shop works (it needs no secret, also after a restart), and a real connection says in
plain words what is missing and how to get it — in Vietnamese and English. The command line
works there too."""
from __future__ import annotations

import io

import pytest
from keyring.backends import fail

from app.secrets import KeyringMissing, NoKeyringStore


@pytest.fixture
def no_keyring(monkeypatch):
    import app.secrets as secrets_module
    monkeypatch.delenv("SHOPSYNC_KEYRING", raising=False)
    monkeypatch.setattr(secrets_module, "default_backend", lambda *a, **k: fail.Keyring())


def _sample_state(services, platform_key="sapo"):
    from ui.wizard.state import WizardState
    platform = services.platform(platform_key)
    state = WizardState(sample=True, platform_key=platform_key, profile_name="Cửa hàng mẫu")
    state.fields, state.secrets = services.initial_values(state, platform)
    return state


def test_com07_b01_window_starts_without_a_keyring_and_the_sample_shop_syncs(qtbot, home,
                                                                           no_keyring,
                                                                           monkeypatch):
    import ui.app as ui_app
    from ui.controllers.shop import ShopServices
    errors: list[str] = []
    monkeypatch.setattr(ui_app, "_error_box", lambda title, text: errors.append(text))
    services = ui_app.open_services(home, ask=None)
    assert services is not None and errors == []          # no dead end, no box
    assert isinstance(services.secrets, NoKeyringStore)
    services.sandbox_options = {"rate_limits": False}
    profile = services.save(_sample_state(services))
    from PySide6.QtWidgets import QApplication
    desktop = ui_app.DesktopApp(QApplication.instance(), home, services)
    window = desktop.show()                                # the window, not a dead end
    qtbot.addWidget(window)
    assert window.isVisible()

    import asyncio
    from app.sync.engine import SyncEngine
    from app.store.catalog import Catalog

    async def sync_once(svc):
        connector = svc.connector_for_profile(profile)
        try:
            engine = SyncEngine(Catalog(svc.db), profile, connector)
            return await engine.run()
        finally:
            await connector.aclose()
    assert asyncio.run(sync_once(services)).status == "done"
    # After a restart nothing of the sample shop was kept outside the process, and it still
    # works: its values are public and never asked of the keyring.
    restarted = ShopServices(home, services.db, NoKeyringStore(KeyringMissing("fail")),
                             sandbox_options={"rate_limits": False})
    assert asyncio.run(sync_once(restarted)).status == "done"
    services.db.close()


def test_com07_a_real_connection_without_a_keyring_says_what_is_missing(qtbot, home, no_keyring):
    import ui.app as ui_app
    from ui.i18n import set_language
    from ui.wizard.state import WizardState
    services = ui_app.open_services(home, ask=None)
    state = WizardState(platform_key="sapo", profile_name="Cửa hàng thật",
                        fields={"shop": "cuahang", "api_key": "k-1"},
                        secrets={"api_secret": "real-secret-123"})
    with pytest.raises(KeyringMissing) as missing:
        services.save(state)
    assert "kho khoá" in missing.value.message_vi and "Cửa hàng mẫu vẫn dùng được" in missing.value.message_vi
    assert "no system keyring" in missing.value.message_en
    assert "GNOME Keyring" in missing.value.message_en and "Credential Manager" in missing.value.message_en
    assert services.list_profiles() == []                  # nothing half-saved
    set_language("vi")
    services.db.close()


def test_com07_an_unsafe_keyring_the_user_declines_still_opens_for_the_sample_shop(
        qtbot, home, monkeypatch):
    import app.secrets as secrets_module
    import ui.app as ui_app
    from tests.ui.test_app_shell import _plain_backend
    monkeypatch.setattr(secrets_module, "default_backend", lambda *a, **k: _plain_backend())
    monkeypatch.setattr(ui_app, "_error_box", lambda title, text: None)
    questions: list[str] = []
    services = ui_app.open_services(home, ask=lambda q: questions.append(q) or False)
    assert questions and isinstance(services.secrets, NoKeyringStore)
    with pytest.raises(KeyringMissing):
        services.secrets.set("x", "api_secret", "real-secret-123")
    services.db.close()


def test_com07_cli_without_a_keyring_sample_works_real_connection_explains(home, no_keyring):
    from app.cli import main

    def shopsync(*argv, env=None):
        out, err = io.StringIO(), io.StringIO()
        code = main(["--home", str(home.home), *argv], out=out, err=err, environ=env or {},
                    stdin_is_tty=False)
        return code, out.getvalue(), err.getvalue()
    assert shopsync("profile", "add", "demo", "--platform", "sapo", "--set", "sandbox=on")[0] == 0
    code, out, err = shopsync("sync", "demo")
    assert code == 0, out + err
    for command in (("profile", "list"), ("results",), ("profile", "show", "demo")):
        assert shopsync(*command)[0] == 0
    code, _, err = shopsync("--lang", "en", "profile", "add", "real", "--platform", "sapo",
                            "--set", "shop=abc", "--set", "api_key=k",
                            env={"SHOPSYNC_SECRET_API_SECRET": "real-secret-123"})
    assert code == 2 and "no system keyring" in err and "sample shop works" in err
    assert "Unexpected" not in err


def test_window_start_on_a_read_only_data_home_names_the_folder(qtbot, home, monkeypatch):
    """Issue 18.6 in the window: a data folder that cannot be written is named, no traceback."""
    import app.store.connection as connection
    import ui.app as ui_app
    from app.store.errors import DatabaseUnavailable

    def refuse(*args, **kwargs):
        raise DatabaseUnavailable(home.database, "attempt to write a readonly database")
    monkeypatch.setattr(connection, "open_store", refuse)
    shown: list[str] = []
    monkeypatch.setattr(ui_app, "_error_box", lambda title, text: shown.append(text))
    assert ui_app.open_services(home, ask=None) is None
    assert shown and str(home.home) in shown[0] and "chỉ đọc" in shown[0]
