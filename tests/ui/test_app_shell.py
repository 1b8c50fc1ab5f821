"""Language (B-04), notices (B-05), schedule (COM-10), caveat texts, UI strings."""
from __future__ import annotations

import ast
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.caveats import all_rules, caveat, caveat_rules
from tests.ui.wizard_driver import save_sample_profile
from ui import i18n
from ui.controllers.notices import repeated_failure_notice, run_notice, token_notice
from ui.controllers.schedule import AutoSync
from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
RULES_MD = Path("/work/shared/RULES.md")


def test_caveats_json_has_vi_and_en_for_every_caveat_rule():
    """RULES.md: every rule marked **caveat** has a Vietnamese and an English text."""
    expected = {"COM-01", "SAPO-01", "SAPO-02", "SAPO-04", "SAPO-07", "SAPO-08", "SAPO-09",
                "SAPO-11", "KVF-02", "KVF-03", "KVF-05", "KVF-06", "KVF-08", "KVF-09",
                "KVF-10", "KVF-11", "KVF-12", "KVF-13", "KVF-14", "NH-01", "NH-06", "NH-07",
                "NH-08", "NH-09", "NH-10", "NH-12", "NH-13"}
    if RULES_MD.is_file():
        marked = set(re.findall(r"^\| ([A-Z]+-\d+) \|.*\*\*caveat\*\*", RULES_MD.read_text(),
                                re.M))
        assert marked == expected
    assert set(caveat_rules()) == expected
    for rule in all_rules():
        for lang in ("vi", "en"):
            note = caveat(rule, lang)
            assert note.title and len(note.text) > 20, (rule, lang)
        assert caveat(rule, "vi").text != caveat(rule, "en").text


def test_caveat_texts_are_nfc_vietnamese():
    import unicodedata
    for rule in all_rules():
        text = caveat(rule, "vi").text
        assert unicodedata.normalize("NFC", text) == text


def test_caveats_load_from_pyinstaller_bundle_folder(monkeypatch, tmp_path):
    import shutil
    import sys
    from app import caveats as module
    (tmp_path / "resources").mkdir()
    shutil.copy(ROOT / "resources" / "caveats.json", tmp_path / "resources" / "caveats.json")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert module.resources_dir() == tmp_path / "resources"
    assert module.caveat("KVF-03", "en").title


def test_b04_every_ui_text_used_exists_in_both_languages():
    used = set()
    for path in (ROOT / "ui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                used.add(node.args[0].value)
    missing = used - set(i18n.TEXTS)
    assert not missing
    for key, (vi, en) in i18n.TEXTS.items():
        assert vi and en, key


def test_b04_language_switch_rebuilds_window_in_english_and_is_saved(qtbot, services, home):
    from ui.app import DesktopApp
    from ui.settings import UiSettings
    desktop = DesktopApp(QApplication.instance(), home, services)
    window = desktop.show()
    qtbot.addWidget(window)
    assert window.nav.item(0).text() == "Tổng quan"              # Vietnamese by default
    if window.wizard is not None:
        window.wizard.reject()
    window.settings_page.language_changed.emit("en")
    new = desktop.window
    qtbot.addWidget(new)
    assert new is not window
    assert new.nav.item(0).text() == "Overview"
    assert UiSettings(home).language == "en"
    assert DesktopApp(QApplication.instance(), home, services).settings.language == "en"


def test_b05_token_expiry_notice_in_banner(qtbot, services):
    from app.store.profiles import update_profile
    profile = save_sample_profile(services, "nhanh-v3")
    update_profile(profile.name, token_expires_at=datetime.now(timezone.utc) + timedelta(days=5))
    window = MainWindow(services)
    qtbot.addWidget(window)
    notices = window.banner.notices()
    assert f"token:{profile.name}" in notices
    assert "5" in notices[f"token:{profile.name}"] or "4" in notices[f"token:{profile.name}"]


def test_b05_expired_and_far_tokens():
    class P:
        name = "X"
        token_expires_at = datetime.now(timezone.utc) - timedelta(days=1)
    assert token_notice(P()).level == "error"
    P.token_expires_at = datetime.now(timezone.utc) + timedelta(days=200)
    assert token_notice(P()) is None


def test_b05_repeated_failures_are_notified_after_three_in_a_row():
    failed = ("failed", "Sai mã", "Wrong key")
    assert repeated_failure_notice("X", [failed, failed]) is None
    notice = repeated_failure_notice("X", [failed, failed, failed, ("done", "", "")])
    assert notice is not None and notice.level == "error" and "3" in notice.text
    assert repeated_failure_notice("X", [("done", "", ""), failed, failed, failed]) is None


def test_b05_finished_run_with_conflicts_is_a_warning():
    from app.sync.events import RunFinished
    notice = run_notice("X", RunFinished(1, "done", {"ok": 3, "by_action": {"conflict": 2}}))
    assert notice.level == "warning" and "2" in notice.title


def test_com10_schedule_starts_due_connection_once_and_waits_while_busy(qtbot):
    class P:
        def __init__(self, name, minutes):
            self.name, self.schedule_minutes = name, minutes
    profiles = [P("A", 15), P("B", 0)]
    now = [datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)]
    busy = [False]
    auto = AutoSync(lambda: profiles, lambda: busy[0], clock=lambda: now[0])
    due = []
    auto.due.connect(lambda p: due.append(p.name))
    auto.reschedule_all()
    assert auto.next_run("B") is None                      # off = on demand only
    now[0] += timedelta(minutes=14)
    auto.tick()
    assert due == []
    now[0] += timedelta(minutes=2)
    busy[0] = True
    auto.tick()
    assert due == []                                       # waits for the running sync
    busy[0] = False
    auto.tick()
    assert due == ["A"]
    auto.tick()
    assert due == ["A"]                                    # rescheduled 15 minutes later


def test_com10_settings_schedule_change_is_saved(qtbot, services):
    profile = save_sample_profile(services, "sapo")
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.select_profile(profile.name)
    window.settings_page.schedule.setValue(30)
    window.settings_page.schedule_changed.emit(30)
    assert services.get_profile(profile.name).schedule_minutes == 30
    assert window.autosync.next_run(profile.name) is not None


def test_b03_diagnostics_export_from_settings(qtbot, services, tmp_path):
    window = MainWindow(services)
    qtbot.addWidget(window)
    out = tmp_path / "chan-doan.zip"
    assert window.settings_page.export_diagnostics(out)
    assert out.is_file()


def test_ctrl_r_and_f5_shortcuts_exist(qtbot, services):
    from PySide6.QtGui import QShortcut
    window = MainWindow(services)
    qtbot.addWidget(window)
    keys = {s.key().toString() for s in window.findChildren(QShortcut)}
    assert {"Ctrl+R", "F5"} <= keys


def test_b04_qt_own_buttons_are_vietnamese(qtbot, services, home):
    from PySide6.QtWidgets import QWizard
    from ui.app import DesktopApp
    desktop = DesktopApp(QApplication.instance(), home, services)
    try:
        wizard = QWizard()
        qtbot.addWidget(wizard)
        assert wizard.buttonText(QWizard.WizardButton.NextButton) == "&Tiếp >"
    finally:
        desktop.apply_language("en")
        for translator in desktop.translators:
            QApplication.instance().removeTranslator(translator)



def _plain_backend():
    import keyring.backend

    class PlainTextKeyring(keyring.backend.KeyringBackend):
        priority = 1
        store: dict = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)
    return PlainTextKeyring()


def test_com07_insecure_keyring_is_refused_unless_the_user_accepts(qtbot, home, monkeypatch):
    import app.secrets as secrets_module
    import ui.app as ui_app
    monkeypatch.setattr(secrets_module, "default_backend", lambda *a, **k: _plain_backend())
    errors = []
    monkeypatch.setattr(ui_app, "_error_box", lambda title, text: errors.append(text))
    questions = []
    declined = ui_app.open_services(home, ask=lambda q: questions.append(q) or False)
    # Declined: never used, yet the window opens for the sample shop (issue 20 point 1).
    assert questions and type(declined.secrets).__name__ == "NoKeyringStore"
    declined.db.close()
    services = ui_app.open_services(home, ask=lambda q: True)
    assert services is not None
    services.db.close()
