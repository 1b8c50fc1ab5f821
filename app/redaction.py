"""The one redactor of the process (COM-07): whatever the POS says, no secret leaves the keyring.

Every boundary where text leaves the program passes through `redact`: database writes of
messages (a run's error, result rows), the log file, exports, the diagnostics bundle and every
line the command line prints. It knows each profile's secrets because they are taught to it
where they come into the program:

- `app.secrets.SecretStore` teaches every value it reads from or writes to the keyring;
- `learn_profile` adds the pairs a POS sends as HTTP Basic (`api_key:api_secret`), which the
  keyring alone cannot know (the key is a plain connection field);
- a connector's own Redactor teaches every token it learns mid-run (a KiotViet access token),
  through `connectors.http.share_secrets_with`.

The forms masked (raw, URL-encoded, Base64 at any offset, JSON/Python-escaped, HTML-escaped)
are listed in `connectors.http.Redactor.forms`.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from connectors.http import Redactor, share_secrets_with

SECRETS = Redactor()
share_secrets_with(SECRETS)


def redact(value: object) -> str:
    """`value` as text with every secret known to this process masked."""
    return SECRETS(value)


def redact_optional(value: Any) -> Any:
    """Like `redact` for a text column that may hold None (kept as None)."""
    return value if value is None else SECRETS(value)


def forget_all() -> None:
    """Start over as a new process would (tests: one test's secrets are not the next's)."""
    SECRETS.clear()


def learn(secret: str | None) -> None:
    SECRETS.add(secret)


def learn_all(secrets: Iterable[str | None]) -> None:
    for secret in secrets:
        SECRETS.add(secret)


def learn_profile(secrets: Mapping[str, str | None], fields: Mapping[str, Any]) -> None:
    """A connection's secrets, and each `field:secret` pair a POS may get as Basic auth
    (user part = any plain connection field: Sapo's api_key, a client id)."""
    for secret in secrets.values():
        SECRETS.add(secret)
        for value in fields.values():
            if isinstance(value, str) and value:
                SECRETS.add_pair(value, secret)
