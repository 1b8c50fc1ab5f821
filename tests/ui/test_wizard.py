"""The connection wizard, driven end to end against each platform's sample shop (B-01)."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox

from app.caveats import caveat_rules
from app.store import profiles
from connectors.registry import get_platform
from tests.ui.wizard_driver import (pass_connection, run_connection_test, run_preview,
                                    start_sample, to_preview)
from ui.wizard import setup_wizard as W

PLATFORMS = ["sapo", "kiotviet-fnb", "kiotviet-retail", "nhanh-v3", "nhanh-v2"]


@pytest.mark.parametrize("platform_key", PLATFORMS)
def test_b01_sample_shop_wizard_end_to_end_saves_profile_and_secrets(qtbot, services,
                                                                     platform_key):
    """B-01/COM-03/COM-07: sample shop → test → branch → options → schedule → preview → save."""
    wizard = start_sample(qtbot, services, platform_key)
    pass_connection(qtbot, wizard)
    to_preview(qtbot, wizard)
    counts = run_preview(qtbot, wizard)
    assert counts, wizard.pages[W.PREVIEW].status.text()
    assert sum(sum(c.values()) for c in counts.values()) > 0
    # The preview wrote nothing (COM-03): no profile, no run rows.
    assert profiles.list_profiles() == []
    wizard.next()
    assert wizard.currentId() == W.FINISH
    saved = []
    wizard.profile_saved.connect(lambda profile, start: saved.append((profile, start)))
    wizard.accept()
    assert saved, wizard.pages[W.FINISH].error.text()
    profile = saved[0][0]
    assert profile.platform == platform_key
    assert profile.options["sandbox"] is True
    platform = get_platform(platform_key)
    secret_names = {f.name for f in platform.credential_fields if f.secret}
    assert not secret_names & set(profile.fields)          # COM-07: no secret in the DB
    for name in profile.secret_names:
        assert services.secrets.get(profile.name, name)


def test_wizard_back_works_everywhere(qtbot, services):
    wizard = start_sample(qtbot, services, "sapo")
    pass_connection(qtbot, wizard)
    to_preview(qtbot, wizard)
    visited = []
    while wizard.currentId() != W.WELCOME:
        visited.append(wizard.currentId())
        wizard.back()
    assert visited == [W.PREVIEW, W.SCHEDULE, W.OPTIONS, W.BRANCH, W.CONNECTION, W.PLATFORM]


def test_sapo11_wrong_secret_fails_the_connection_test_in_plain_words(qtbot, services):
    wizard = start_sample(qtbot, services, "sapo")
    page = wizard.pages[W.CONNECTION]
    page.editors["api_secret"].input.setText("sai-ma-bi-mat")
    run_connection_test(qtbot, wizard, W.CONNECTION)
    assert wizard.state.info is None
    text = page.test_panel.status.text()
    assert text.startswith("✖")
    assert "Traceback" not in text and len(text) > 20
    wizard.next()
    assert wizard.currentId() == W.CONNECTION            # cannot go on without a good test


def test_sapo11_pasted_address_is_reduced_to_shop_name_inline(qtbot, services):
    wizard = start_sample(qtbot, services, "sapo")
    editor = wizard.pages[W.CONNECTION].editors["shop"]
    editor.input.setText("https://banhangonline.mysapo.net/admin")
    assert editor.check() == "banhangonline"
    assert editor.input.text() == "banhangonline"
    editor.input.setText("https://abc.mysapogo.com")
    assert editor.check() is None                          # SAPO-01: refused inline
    assert editor.error.isVisibleTo(wizard) and editor.error.text()


def test_kvf14_secret_field_is_password_echo_and_branch_comes_from_the_test(qtbot, services):
    from PySide6.QtWidgets import QLineEdit
    real = start_sample(qtbot, services, "kiotviet-fnb", sample=False)
    assert real.pages[W.CONNECTION].editors["client_secret"].input.echoMode() == \
        QLineEdit.EchoMode.Password
    # The sample shop's secret is no secret: shown so the owner can change it (issue 20 pt 2).
    wizard = start_sample(qtbot, services, "kiotviet-fnb")
    page = wizard.pages[W.CONNECTION]
    assert page.editors["client_secret"].input.echoMode() == QLineEdit.EchoMode.Normal
    assert "branch" not in page.editors
    pass_connection(qtbot, wizard)
    combo = wizard.pages[W.BRANCH].combo
    assert combo.count() == len(wizard.state.info.branches) > 0


def test_kvf03_option_is_locked_on_with_its_reason(qtbot, services):
    wizard = start_sample(qtbot, services, "kiotviet-fnb")
    pass_connection(qtbot, wizard)
    wizard.next()
    page = wizard.pages[W.OPTIONS]
    box = page.option_widgets["keep_app_product_status"]
    assert isinstance(box, QCheckBox)
    assert box.isChecked() and not box.isEnabled()
    reason = page.findChild(type(page.notes["KVF-03"]), "caveatNoteWarning")
    assert reason is not None
    assert "KVF-03" in page.notes
    wizard.next()
    assert wizard.state.options["keep_app_product_status"] is True


@pytest.mark.parametrize("platform_key", PLATFORMS)
def test_caveats_of_the_platform_are_shown_inline_in_the_wizard(qtbot, services, platform_key):
    """Every caveat rule a platform names (fields, options, entities, platform) is on a page."""
    platform = get_platform(platform_key)
    wanted = set(platform.caveats)
    for spec in platform.credential_fields:
        wanted |= set(spec.caveats)
    for spec in platform.options:
        wanted |= set(spec.caveats) | ({spec.lock_rule} - {""})
    for cap in platform.entities.values():
        wanted |= set(cap.caveats)
    wanted &= set(caveat_rules())
    wizard = start_sample(qtbot, services, platform_key)
    pass_connection(qtbot, wizard)
    wizard.next()
    from ui.widgets.caveat_note import CaveatNote
    shown = {note.rule for page in wizard.pages.values()
             for note in page.findChildren(CaveatNote)}
    assert wanted <= shown, wanted - shown


def test_every_caveat_rule_appears_in_some_wizard(qtbot, services):
    """RULES.md: each **caveat** rule is shown inline in the wizard of at least one platform."""
    from ui.widgets.caveat_note import CaveatNote
    shown = set()
    for key in PLATFORMS:
        wizard = start_sample(qtbot, services, key)
        pass_connection(qtbot, wizard)
        wizard.next()
        shown |= {note.rule for page in wizard.pages.values()
                  for note in page.findChildren(CaveatNote)}
    assert set(caveat_rules()) <= shown, set(caveat_rules()) - shown


def test_nh12_v2_is_selectable_with_the_retirement_warning(qtbot, services):
    from ui.widgets.caveat_note import CaveatNote
    wizard = W.SetupWizard(services)
    qtbot.addWidget(wizard)
    wizard.next()
    page = wizard.pages[W.PLATFORM]
    assert page.buttons["nhanh-v2"].isEnabled()
    assert "NH-12" in {n.rule for n in page.findChildren(CaveatNote)}


def test_nh01_login_page_shows_urls_with_copy_and_reads_pasted_address(qtbot, services):
    from PySide6.QtGui import QGuiApplication
    wizard = start_sample(qtbot, services, "nhanh-v3", sample=True)
    wizard.next()
    assert wizard.currentId() == W.NHANH_LOGIN
    page = wizard.pages[W.NHANH_LOGIN]
    assert page.redirect.value().startswith("http://127.0.0.1:")   # this PC, issue 19.8
    page.redirect.button.click()
    assert QGuiApplication.clipboard().text() == page.redirect.value()
    QGuiApplication.clipboard().setText("https://example.com/cb?foo=1&accessCode=abcdef123456")
    page.paste_from_clipboard()
    assert wizard.state.secrets["access_code"] == "abcdef123456"
    QGuiApplication.clipboard().setText("https://example.com/cb?foo=1")
    page.paste_from_clipboard()
    assert "accessCode" in page.code_status.text()


def test_nh01_verify_token_is_validated_on_leave(qtbot, services):
    wizard = start_sample(qtbot, services, "nhanh-v3")
    editor = wizard.pages[W.CONNECTION].editors["webhook_verify_token"]
    editor.input.setText("short")
    assert editor.check() is None and editor.error.text()
    editor.input.setText("a" * 20)
    assert editor.check() == "a" * 20


def test_com10_the_schedule_page_offers_near_real_time_every_minute(qtbot, services):
    """COM-10: "real-time if the customer needs it" is a choice the owner can read, not a
    number to guess; it saves a run every minute and comes back chosen on the page."""
    wizard = start_sample(qtbot, services, "sapo")
    pass_connection(qtbot, wizard)
    wizard.next()                  # branch → options
    wizard.next()                  # options → schedule
    assert wizard.currentId() == W.SCHEDULE
    page = wizard.pages[W.SCHEDULE]
    assert "thời gian thực" in page.realtime.text()
    page.realtime.setChecked(True)
    wizard.next()
    assert wizard.state.schedule_minutes == 1
    wizard.back()
    assert page.realtime.isChecked() and not page.every.isChecked()
