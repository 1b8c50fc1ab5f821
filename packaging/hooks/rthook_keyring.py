"""Frozen Windows build: use the Windows Credential Manager, never keyring's guesswork.

In a frozen app keyring's entry-point discovery can come up empty and silently fall back to the
'fail' backend, so secrets could not be saved. Pinning WinVaultKeyring avoids that. A test or
support override (SHOPSYNC_KEYRING, e.g. `memory`) is left to app.secrets to honour.
"""
import os
import sys


def _pin_windows_keyring() -> None:
    if sys.platform != "win32" or os.environ.get("SHOPSYNC_KEYRING"):
        return
    import keyring
    from keyring.backends.Windows import WinVaultKeyring
    keyring.set_keyring(WinVaultKeyring())


_pin_windows_keyring()
del _pin_windows_keyring
