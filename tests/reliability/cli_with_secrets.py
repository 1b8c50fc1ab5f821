"""`shopsync` in a child process whose keyring holds the profile's secrets (an in-memory keyring
cannot be shared between processes). Secrets arrive as JSON in SHOPSYNC_TEST_SECRETS, never on
the command line:

    SHOPSYNC_TEST_SECRETS='{"profile": {"field": "value"}}' python -m tests.reliability.cli_with_secrets sync NAME
"""
from __future__ import annotations

import json
import os
import sys

from app.cli import main
from app.secrets import MemoryKeyring, SecretStore


def run() -> int:
    store = SecretStore(backend=MemoryKeyring())
    for profile, fields in json.loads(os.environ.get("SHOPSYNC_TEST_SECRETS", "{}")).items():
        for field, value in fields.items():
            store.set(profile, field, value)
    return main(sys.argv[1:], secrets=store)


if __name__ == "__main__":
    sys.exit(run())
