"""Drives the connection wizard like a keyboard user would, for the UI tests."""
from __future__ import annotations

from ui.wizard import setup_wizard as W

TIMEOUT = 30_000


def start_sample(qtbot, services, platform_key: str, *, sample: bool = True):
    wizard = W.SetupWizard(services)
    qtbot.addWidget(wizard)
    wizard.show()
    welcome = wizard.pages[W.WELCOME]
    (welcome.sample if sample else welcome.real).setChecked(True)
    wizard.next()
    assert wizard.currentId() == W.PLATFORM
    wizard.pages[W.PLATFORM].select(platform_key)
    wizard.next()
    assert wizard.currentId() == W.CONNECTION
    return wizard


def run_connection_test(qtbot, wizard, page_id: int) -> None:
    page = wizard.pages[page_id]
    panel = page.test_panel
    with qtbot.waitSignal(panel.tested, timeout=TIMEOUT):
        panel.button.click()


def pass_connection(qtbot, wizard) -> None:
    """Test the connection (Nhanh: through the login page) and go on to the branch page."""
    if wizard.pages[W.CONNECTION].test_panel is not None:
        run_connection_test(qtbot, wizard, W.CONNECTION)
        assert wizard.state.info is not None, wizard.pages[W.CONNECTION].test_panel.status.text()
        wizard.next()
    else:
        wizard.next()
        assert wizard.currentId() == W.NHANH_LOGIN
        run_connection_test(qtbot, wizard, W.NHANH_LOGIN)
        assert wizard.state.info is not None, wizard.pages[W.NHANH_LOGIN].test_panel.status.text()
        wizard.next()
    assert wizard.currentId() == W.BRANCH


def to_preview(qtbot, wizard) -> None:
    wizard.next()                  # branch → options
    assert wizard.currentId() == W.OPTIONS
    wizard.next()                  # options → schedule
    assert wizard.currentId() == W.SCHEDULE
    wizard.next()
    assert wizard.currentId() == W.PREVIEW


def run_preview(qtbot, wizard) -> dict:
    page = wizard.pages[W.PREVIEW]
    page.button.click()
    qtbot.waitUntil(lambda: not page.running, timeout=TIMEOUT)
    return wizard.state.preview_counts


def save_sample_profile(services, platform_key: str, name: str = "Cửa hàng mẫu",
                        **options):
    """A saved sample-shop profile without going through the pages (for main-window tests)."""
    import asyncio

    from ui.wizard.state import WizardState
    platform = services.platform(platform_key)
    state = WizardState(sample=True, platform_key=platform_key, profile_name=name,
                        fields={k: v for k, v in platform.sandbox_settings.items()
                                if k not in {f.name for f in platform.credential_fields
                                             if f.secret}},
                        secrets=dict(platform.sandbox_secrets))
    state.options = {**platform.option_defaults(), **options}
    info = asyncio.run(services.test_connection(state))
    if info.branches:
        state.branch_key = info.branches[0].key
    return services.save(state)
