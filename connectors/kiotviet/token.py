"""The KiotViet access token: client-credentials form POST, cached, one refresh at a time.

Tokens last `expires_in` seconds (86400 in the docs); a new one is fetched a margin before that
so a long first sync never sends an expired one, and when the API still says the token is dead
(401 / `TokenException`) the caller invalidates it and exactly one refresh runs even when many
requests noticed at once.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol

from contract.connector import AuthError
from connectors.http import PosHttp
from connectors.kiotviet import payload

RETAIL_SCOPE = "PublicApi.Access"
FNB_SCOPE = "PublicApi.Access.FNB"

# FnB identity host: not in KiotViet's official text (platforms/kiotviet.md §1, UNVERIFIED).
FNB_TOKEN_URL = "https://api.fnb.kiotviet.vn/identity/connect/token"
RETAIL_TOKEN_URL = "https://id.kiotviet.vn/connect/token"
FNB_TOKEN_URL_CANDIDATES = (FNB_TOKEN_URL, RETAIL_TOKEN_URL)

# Also send the OAuth-standard `scope` next to KiotViet's documented `scopes`? UNVERIFIED
# whether any FnB identity host needs it; off until a real store says otherwise.
SEND_STANDARD_SCOPE_TOO = False


def token_form(kind: str, client_id: str, client_secret: str,
               send_standard_scope: bool = SEND_STANDARD_SCOPE_TOO) -> dict[str, str]:
    """The token request body. KiotViet's docs and SDK spell the field `scopes`; whether the
    FnB host also wants `scope` is the one UNVERIFIED choice, kept in this function."""
    scope = FNB_SCOPE if kind == "fnb" else RETAIL_SCOPE
    form = {"scopes": scope, "grant_type": "client_credentials",
            "client_id": client_id, "client_secret": client_secret}
    if send_standard_scope:
        form["scope"] = scope
    return form


def token_fingerprint(token: str | None) -> str:
    """Names a token in errors without carrying the secret itself (COM-07)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else ""


def refresh_margin(expires_in: float) -> float:
    """Refresh an hour early for day-long tokens (as KiotViet's own plugin does), a tenth
    early for short ones."""
    return min(3600.0, expires_in / 10)


class TokenShelf(Protocol):
    """Where a token outlives the process (app.secrets.TokenShelf: the OS keyring)."""

    def load(self, owner: str = "") -> "tuple[str, datetime, float] | None": ...

    def save(self, token: str, expires_at: datetime, lifetime: float,
             owner: str = "") -> None: ...

    def forget(self) -> None: ...


@dataclass
class TokenKeeper:
    http: PosHttp                      # shares the API client's redactor
    token_url: str
    kind: str
    client_id: str
    client_secret: str
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
    _token: str | None = None
    _valid_until: float = 0.0
    expires_at: datetime | None = None
    refreshes: int = 0
    shelf: Any = None                  # a TokenShelf: the token is reused by later runs
    _shelf_read: bool = False
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def owner(self) -> str:
        """Whom a kept token was issued to: another Client ID or token address never reuses
        it. A fingerprint, so the keyring entry names no identifier in clear."""
        return token_fingerprint(f"{self.kind}|{self.token_url}|{self.client_id}")

    def _from_shelf(self) -> None:
        """A token an earlier run kept, while it is valid for a while yet (issue 19/13)."""
        self._shelf_read = True
        kept = self.shelf.load(self.owner) if self.shelf is not None else None
        if kept is None:
            return
        token, expires_at, lifetime = kept
        left = (expires_at - self.wall_clock()).total_seconds()
        margin = refresh_margin(lifetime or left)
        if left <= margin:
            return
        self.http.redact.add(token)
        self._token = token
        self._valid_until = self.clock() + left - margin
        self.expires_at = expires_at

    async def token(self) -> str:
        """A token valid for a while yet; concurrent callers share one refresh."""
        if self._token is not None and self.clock() < self._valid_until:
            return self._token
        if not self._shelf_read:
            self._from_shelf()
            if self._token is not None and self.clock() < self._valid_until:
                return self._token
        async with self._lock:
            if self._token is not None and self.clock() < self._valid_until:
                return self._token
            await self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, rejected: str) -> None:
        """The API refused the token with fingerprint `rejected`; forget it unless a newer
        token already replaced it (then the retry simply uses the newer one)."""
        if rejected and rejected == token_fingerprint(self._token):
            self._token = None
            self._valid_until = 0.0
            if self.shelf is not None:
                self.shelf.forget()

    async def _fetch(self) -> None:
        body = await self.http.json(
            "POST", self.token_url, data=token_form(self.kind, self.client_id, self.client_secret))
        access = payload.get(body, "access_token")
        if not access:
            raise AuthError(
                "KiotViet không cấp mã truy cập. Hãy kiểm tra Client ID, Mã bảo mật và loại tài "
                "khoản (Cửa hàng ăn uống hay Bán lẻ).",
                "KiotViet issued no access token. Check the Client ID, secret and account type "
                "(FnB or Retail).", detail=str(sorted(body))[:200] if isinstance(body, dict)
                else "")
        try:
            expires_in = float(payload.get(body, "expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600.0
        self.http.redact.add(str(access))
        self._token = str(access)
        self._valid_until = self.clock() + expires_in - refresh_margin(expires_in)
        self.expires_at = self.wall_clock() + timedelta(seconds=expires_in)
        self.refreshes += 1
        if self.shelf is not None:
            self.shelf.save(self._token, self.expires_at, expires_in, self.owner)
