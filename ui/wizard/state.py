"""What the wizard has gathered so far; pages read and write it, the services consume it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contract.connector import ConnectionInfo


@dataclass
class WizardState:
    sample: bool = False                      # B-01: a sample shop on the platform's sandbox
    platform_key: str = ""
    profile_name: str = ""
    fields: dict[str, str] = field(default_factory=dict)      # non-secret credential fields
    secrets: dict[str, str] = field(default_factory=dict)     # secret fields (keyring only)
    options: dict[str, Any] = field(default_factory=dict)
    entities: list[str] = field(default_factory=list)          # entities switched on
    branch_key: str = ""
    schedule_minutes: int = 0
    info: ConnectionInfo | None = None        # last successful connection test
    tested_signature: tuple = ()              # what the successful test was run with
    preview_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    start_first_sync: bool = True
    editing: str = ""                         # name of the profile being edited, if any

    def signature(self) -> tuple:
        return (self.platform_key, tuple(sorted(self.fields.items())),
                tuple(sorted(self.secrets.items())))

    def connection_is_tested(self) -> bool:
        return self.info is not None and self.tested_signature == self.signature()
