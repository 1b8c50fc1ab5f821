"""Where a run is put together: the one service the window and the command line both call.

For a saved connection it builds the connector (settings from the store, secrets from the
keyring, the sample shop for B-01), takes the cross-process run lock (COM-09: the window and a
scheduled `shopsync sync` never run the same connection at once), runs test / preview / sync /
push / retry / resolve / undo / delete / login, and reports the engine's events through
`emit`. Neither face builds a connector, a transport or an engine itself.

Platform differences reach this module only through the platform descriptor (its login flow,
its branch field, its sample shop), never through platform names.
"""
from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator, Mapping

from app.store import profiles as store_profiles
from app.sync import events as ev
from app.sync.events import RunKind
from app.sync.connect import (SANDBOX_OPTION, NotBuilt, SampleShops, is_sandbox, open_connector,
                              profile_secrets)
from app.sync.run_lock import RunInProgress, run_lock
from contract.connector import (BrowserLogin, ConnectionInfo, ConnectionSettings, Connector,
                                InvalidInput, LoginAddresses, LoginOutcome, Platform)
from contract.records import parse_stored_time
from connectors.registry import get_platform, platform_keys

__all__ = ["Draft", "LoginNeeded", "RunInProgress", "RunKind", "RunRequest", "ShopSession",
           "SANDBOX_OPTION"]

# Option saved with a profile: the entities the owner ticked.
ENTITIES_OPTION = "entities"


# Runs that only touch the App: no connection to the POS is opened for them.
APP_ONLY = frozenset({RunKind.UNDO, RunKind.RESTORE, RunKind.DELETE})


@dataclass(frozen=True)
class RunRequest:
    """What to run; built on the caller's thread (pure, testable), executed by `ShopSession.run`."""

    profile: Any                          # ConnectionProfile
    kind: RunKind = RunKind.SYNC
    entities: tuple[str, ...] | None = None
    dry_run: bool = False
    app_ids: tuple[str, ...] = ()
    run_id: int | None = None
    conflict_ids: tuple[int, ...] = ()
    keep: str = ""
    entity: str = ""
    # The owner pressed a sync button: look for POS deletions now, not only when the
    # scheduled id scan is due (COM-01).
    scan_deletions: bool | None = None
    full: bool = False
    all_new: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RunKind(self.kind))


@dataclass
class Draft:
    """A connection being set up and not saved yet (the wizard's values)."""

    platform: str
    fields: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    sample: bool = False
    entities: tuple[str, ...] = ()


class LoginNeeded(InvalidInput):
    """A login step asked of a platform whose credentials are typed, not given in a browser."""

    def __init__(self) -> None:
        super().__init__("Kết nối này không cần đăng nhập qua trình duyệt: hãy nhập khoá API "
                         "trong kết nối.",
                         "This connection has no browser login: enter its API keys in the "
                         "connection instead.")


class ShopSession:
    """See the module docstring. One per window or command; safe to share across threads
    (each run opens its own connector; the sample shops are shared on purpose)."""

    def __init__(self, home: Path | str, db: Any, secrets: Any, *,
                 sandbox_options: Mapping[str, Any] | None = None,
                 connect_options: Mapping[str, Any] | None = None,
                 platform_lookup: Callable[[str], Platform] = get_platform) -> None:
        self.home = Path(home)              # the data home: the run lock lives there
        self.db = db
        self.secrets = secrets
        self.connect_options = dict(connect_options or {})
        self.platform_lookup = platform_lookup
        self.sample_shops = SampleShops(**dict(sandbox_options or {}))

    # -- platforms ----------------------------------------------------------------------------
    def platforms(self) -> list[Platform]:
        """Every platform this build can connect to; the retiring ones last (NH-12)."""
        found = []
        for key in platform_keys():
            try:
                found.append(self.platform_lookup(key))
            except ImportError:      # a connector not built in this version
                continue
        return sorted(found, key=lambda p: p.deprecated)

    def platform(self, key: str) -> Platform:
        return self.platform_lookup(key)

    def sample_shop(self, platform: Platform, seed: int = 1) -> Any:
        return self.sample_shops.shop(platform, seed)

    # -- connectors ---------------------------------------------------------------------------
    def connect(self, profile: Any) -> Connector:
        """The connector of a saved profile (reads the keyring: call it off the UI thread)."""
        return open_connector(profile, self.secrets, lookup=self.platform_lookup,
                              sample_shops=self.sample_shops,
                              connect_options=self.connect_options)

    def connect_draft(self, draft: Draft) -> Connector:
        platform = self.platform(draft.platform)
        if platform.connect is None:
            raise NotBuilt()
        settings = self.draft_settings(draft)
        transport = self.sample_shop(platform).transport() if draft.sample else None
        return platform.connect(settings, dict(draft.secrets), transport,
                                **self.connect_options)

    def draft_settings(self, draft: Draft) -> ConnectionSettings:
        """What a connector receives for a draft: defaults, then the draft, locked options
        always at their platform value (KVF-03)."""
        platform = self.platform(draft.platform)
        options = platform.option_defaults()
        options.update(draft.options)
        for spec in platform.options:
            if spec.locked:
                options[spec.name] = spec.default
        return ConnectionSettings(platform=platform.key, fields=dict(draft.fields),
                                  options=options, hosts={**platform.hosts, **draft.hosts})

    def profile_secrets(self, profile: Any) -> dict[str, str]:
        return profile_secrets(profile, self.secrets, self.platform(profile.platform))

    # -- the run lock (COM-09) ----------------------------------------------------------------
    @contextmanager
    def holding_lock(self, profile: Any) -> Iterator[None]:
        """Raises RunInProgress at once when another process (or window) runs `profile`."""
        with run_lock(self.home, profile.name):
            yield

    # -- test ---------------------------------------------------------------------------------
    async def test(self, profile: Any) -> ConnectionInfo:
        connector = self.connect(profile)
        try:
            return await connector.test_connection()
        finally:
            await connector.aclose()

    async def test_draft(self, draft: Draft) -> ConnectionInfo:
        """Logs in first when the draft carries a fresh code (the wizard's Test button)."""
        platform = self.platform(draft.platform)
        if platform.login is not None and draft.secrets.get(platform.login.code_secret):
            await self.login_draft(draft)
        connector = self.connect_draft(draft)
        try:
            return await connector.test_connection()
        finally:
            await connector.aclose()

    # -- preview (COM-03) ---------------------------------------------------------------------
    async def preview_draft(self, draft: Draft,
                            emit: ev.Emit = ev.ignore) -> dict[str, dict[str, str | int]]:
        """A dry run for a connection not saved yet: counts per entity and action. Nothing is
        written and no write transaction is held while the POS answers."""
        from app.store.catalog import Catalog
        from app.store.profiles import ConnectionProfile
        from app.sync.engine import SyncEngine
        from app.sync.preview import UNSAVED_PROFILE_ID, PreviewLedger
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

        def collect(event: ev.Event) -> None:
            if isinstance(event, ev.ItemResult):
                counts[event.entity][event.action] += 1
            emit(event)

        settings = self.draft_settings(draft)
        unsaved = ConnectionProfile(
            id=UNSAVED_PROFILE_ID, name="", platform=draft.platform, fields=settings.fields,
            options={**draft.options, ENTITIES_OPTION: list(draft.entities)}, hosts=draft.hosts,
            secret_names=(), schedule_minutes=0, token_expires_at=None,
            created_at=datetime.now().astimezone())
        connector = self.connect_draft(draft)
        try:
            engine = SyncEngine(Catalog(self.db), unsaved, connector, collect,
                                ledger=PreviewLedger(unsaved))
            await engine.run(draft.entities or None, dry_run=True)
        finally:
            await connector.aclose()
        return {entity: dict(by_action) for entity, by_action in counts.items()}

    # -- runs ---------------------------------------------------------------------------------
    async def run(self, request: RunRequest, emit: ev.Emit = ev.ignore,
                  cancel: threading.Event | None = None) -> Any:
        """Run `request` under the run lock; returns what the engine returned (a RunFinished,
        or the last ItemResult of a resolve / delete). Raises RunInProgress when another
        process runs the same connection."""
        with self.holding_lock(request.profile):
            return await self._run_locked(request, emit, cancel or threading.Event())

    async def events(self, request: RunRequest,
                     cancel: threading.Event | None = None) -> AsyncIterator[ev.Event]:
        """The same run as `run`, its events yielded as they happen (for scripts and tests;
        the faces pass an `emit` to `run` instead). RunInProgress is raised from here."""
        queue: asyncio.Queue = asyncio.Queue()
        done = object()

        async def produce() -> None:
            try:
                await self.run(request, queue.put_nowait, cancel)
            finally:
                queue.put_nowait(done)

        task = asyncio.ensure_future(produce())
        try:
            while (event := await queue.get()) is not done:
                yield event
            await task                       # re-raises what stopped the run
        finally:
            if not task.done():
                task.cancel()

    async def _run_locked(self, request: RunRequest, emit: ev.Emit,
                          cancel: threading.Event) -> Any:
        from app.store.catalog import Catalog
        from app.sync.engine import SyncEngine
        profile = request.profile
        connector = None if request.kind in APP_ONLY else self.connect(profile)
        try:
            engine = SyncEngine(Catalog(self.db), profile, connector, emit, cancel=cancel,
                                platform=self.platform(profile.platform))
            return await _perform(engine, request, cancel)
        finally:
            if connector is not None:
                await connector.aclose()

    # -- login (a platform whose token comes from browser consent) ---------------------------
    def login_flow(self, platform: Platform) -> BrowserLogin:
        if platform.login is None:
            raise LoginNeeded()
        return platform.login

    def login_addresses(self, platform: Platform, fields: Mapping[str, str],
                        hosts: Mapping[str, str] | None = None) -> LoginAddresses:
        return self.login_flow(platform).addresses(fields, {**platform.hosts, **(hosts or {})})

    def catches_login(self, platform: Platform, redirect_url: str) -> bool:
        """Whether the consent's redirect comes back to this PC, where ShopSync can catch the
        code itself (NH-13); otherwise the owner pastes the address back."""
        flow = self.login_flow(platform)
        return flow.catch is not None and flow.catches(redirect_url)

    async def catch_login_code(self, platform: Platform, redirect_url: str, *,
                               timeout: float | None = None,
                               ready: "asyncio.Event | None" = None) -> str:
        """Wait on this PC for the browser's redirect and return its code (used once, never
        stored). `timeout` defaults to the code's own lifetime; raises the flow's AuthError
        kinds (declined, nothing arrived, port busy), each saying to paste instead."""
        flow = self.login_flow(platform)
        if flow.catch is None:
            raise LoginNeeded()
        return await flow.catch(redirect_url, timeout=timeout or flow.code_minutes * 60,
                                ready=ready)

    def sample_login_code(self, platform: Platform) -> str:
        """What the sample shop's consent page would hand out (B-01: no browser needed)."""
        mint = getattr(self.sample_shop(platform), "mint_access_code", None)
        return mint() if callable(mint) else ""

    async def login_draft(self, draft: Draft) -> LoginOutcome:
        """Exchange the draft's pasted code; the draft then holds the token (the code is used
        once and dropped)."""
        platform = self.platform(draft.platform)
        flow = self.login_flow(platform)
        transport = self.sample_shop(platform).transport() if draft.sample else None
        outcome = await flow.exchange(draft.secrets.get(flow.code_secret, ""), draft.fields,
                                      draft.secrets, {**platform.hosts, **draft.hosts},
                                      transport)
        draft.fields.update(outcome.fields)
        draft.secrets.update(outcome.secrets)
        draft.secrets.pop(flow.code_secret, None)
        return outcome

    async def login(self, profile: Any, pasted: str, **exchange_options: Any) -> LoginOutcome:
        """Log a saved profile in again with the pasted address or code: the token goes to
        the keyring, what the login learned to the profile."""
        platform = self.platform(profile.platform)
        flow = self.login_flow(platform)
        code = flow.read_code(pasted)
        settings = store_profiles.connection_settings(profile, self.platform_lookup)
        secrets = {k: v for k, v in self.profile_secrets(profile).items()
                   if k != flow.token_secret}
        transport = (self.sample_shop(platform).transport() if is_sandbox(profile) else None)
        outcome = await flow.exchange(code, settings.fields, secrets, settings.hosts, transport,
                                      **exchange_options)
        for key, value in outcome.secrets.items():
            self.secrets.set(profile.name, key, value)
        fields = {**profile.fields, **{k: v for k, v in outcome.fields.items()
                                       if k != "token_expires_at"}}
        store_profiles.update_profile(
            profile.name, fields=fields,
            secret_names=sorted(set(profile.secret_names) | set(outcome.secrets)),
            token_expires_at=outcome.expires_at or parse_stored_time(
                outcome.fields.get("token_expires_at")),
            lookup=self.platform_lookup)
        return outcome


async def _perform(engine: Any, request: RunRequest, cancel: threading.Event) -> Any:
    """One request on a ready engine (the lock is held and the connector open)."""
    kind = request.kind
    if kind is RunKind.SYNC:
        entities = request.entities
        if entities is None:
            entities = request.profile.options.get(ENTITIES_OPTION) or None
        # A run nobody narrowed (the schedule, `shopsync sync NAME`) reads branches,
        # categories and news only when due (COM-10, app/sync/schedule.py).
        scheduled = (request.entities is None and request.scan_deletions is None
                     and not request.full)
        return await engine.run(entities, dry_run=request.dry_run, full=request.full,
                                scan_deletions=request.scan_deletions, defer_slow=scheduled)
    if kind is RunKind.PUSH:
        return await engine.push_products(list(request.app_ids) or None,
                                          all_new=request.all_new, dry_run=request.dry_run)
    if kind is RunKind.RETRY:
        return await engine.retry_failed(request.run_id)
    if kind is RunKind.RESOLVE:
        result = None
        for conflict_id in request.conflict_ids:
            if cancel.is_set():
                break
            result = await engine.resolve_conflict(conflict_id, request.keep)
        return result
    if kind is RunKind.UNDO:
        return engine.undo_last_run()
    if kind is RunKind.RESTORE:
        return engine.restore_last_undo()
    if kind is RunKind.DELETE:
        result = None
        for app_id in request.app_ids:
            result = engine.delete_in_app(request.entity, app_id)
        return result
    raise ValueError(f"unknown run kind {kind!r}")
