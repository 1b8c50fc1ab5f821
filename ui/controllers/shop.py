"""What the wizard and the main window ask of the rest of the app, in one place.

Widgets never import the store, the keyring or a connector: they call a `ShopServices`. This
keeps the widgets synchronous and testable, and keeps the knowledge of how a profile, its
secrets and its connector fit together out of the UI.

Sample shops (B-01): a profile with option `sandbox` on talks to the platform's in-process
sandbox through an httpx transport. One sandbox per platform lives as long as this object, so
the wizard's test, the preview, the first sync and later runs all see the same shop.
"""
from __future__ import annotations

import gc
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from app.config import Paths
from app.store import models as m
from app.store import profiles as store_profiles
from contract.records import parse_stored_time
from contract.connector import (ConnectionInfo, ConnectionSettings, CredentialField, InvalidInput,
                             Platform)
from connectors.registry import get_platform
from ui.i18n import pick, tr

SANDBOX_OPTION = "sandbox"
BRANCH_FIELDS = frozenset({"branch", "branch_id", "depot", "depot_id"})
# Fields a login writes (not typed by the user), kept with the profile.
LOGIN_FIELDS = frozenset({"business_id", "token_expires_at"})
SAMPLE_NAMES = {"vi": "Cửa hàng mẫu", "en": "Sample shop"}


class NotReady(InvalidInput):
    """A part of the app this build does not have yet (e.g. a connector module missing)."""


@dataclass
class ShopServices:
    paths: Paths
    db: Any
    secrets: Any                                   # app.secrets.SecretStore
    # Passed to platform.sandbox(); tests switch rate limits off.
    sandbox_options: Mapping[str, Any] = field(default_factory=dict)
    # Passed to platform.connect() (e.g. an instant sleep in tests).
    connect_options: Mapping[str, Any] = field(default_factory=dict)
    platform_lookup: Callable[[str], Platform] = get_platform
    _sandboxes: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- platforms ----------------------------------------------------------------------------
    def platforms(self) -> list[Platform]:
        found = []
        for platform in self._all_platforms():
            found.append(platform)
        # The retiring API v2 goes last (NH-12).
        return sorted(found, key=lambda p: p.deprecated)

    def _all_platforms(self) -> list[Platform]:
        from connectors.registry import platform_keys
        result = []
        for key in platform_keys():
            try:
                result.append(self.platform_lookup(key))
            except ImportError:      # a connector not built in this version
                continue
        return result

    def platform(self, key: str) -> Platform:
        return self.platform_lookup(key)

    @staticmethod
    def uses_browser_login(platform: Platform) -> bool:
        return platform.key.startswith("nhanh")

    @staticmethod
    def is_branch_field(spec: CredentialField) -> bool:
        return spec.name in BRANCH_FIELDS

    def suggest_name(self, platform: Platform, sample: bool) -> str:
        from ui.i18n import language
        base = SAMPLE_NAMES[language()] if sample else pick(platform.name_vi, platform.name_en)
        base = "".join(ch if ch.isalnum() or ch in " -_" else " " for ch in base)
        base = " ".join(base.split())[:50]
        name, number = base, 2
        while store_profiles.find_profile(name) is not None:
            name, number = f"{base} {number}", number + 1
        return name

    def check_profile_name(self, name: str, editing: str = "") -> str:
        """An error sentence for a bad or taken name, or ''."""
        try:
            cleaned = store_profiles.validate_profile_name(name)
        except InvalidInput as exc:
            return pick(exc.message_vi, exc.message_en)
        if cleaned != editing and store_profiles.find_profile(cleaned) is not None:
            return tr("wizard.connection.profile_taken")
        return ""

    def initial_values(self, state, platform: Platform) -> tuple[dict, dict]:
        if state.fields or state.secrets:
            return dict(state.fields), dict(state.secrets)
        if state.sample:
            return dict(platform.sandbox_settings), dict(platform.sandbox_secrets)
        return {}, {}

    # -- sandboxes (B-01) ------------------------------------------------------------------------
    def sandbox_for(self, platform: Platform) -> Any:
        with self._lock:
            box = self._sandboxes.get(platform.key)
            if box is None:
                if platform.sandbox is None:
                    raise NotReady("Phần mềm này chưa có cửa hàng mẫu.",
                                   "This POS has no sample shop yet.", "B-01")
                # Built in the sync worker; thousands of long-lived sample rows would otherwise
                # trigger full collector passes that hold the GIL and stall the window.
                collecting = gc.isenabled()
                gc.disable()
                try:
                    box = platform.sandbox(**dict(self.sandbox_options))
                finally:
                    if collecting:
                        gc.enable()
                self._sandboxes[platform.key] = box
            return box

    def _transport(self, platform: Platform, sample: bool):
        return self.sandbox_for(platform).transport() if sample else None

    def build_connector(self, platform: Platform, fields: Mapping[str, str],
                        secrets: Mapping[str, str], options: Mapping[str, Any],
                        hosts: Mapping[str, str] | None = None, sample: bool = False):
        if platform.connect is None:
            raise NotReady("Bản này chưa kết nối được với phần mềm này.",
                           "This build cannot connect to this POS yet.")
        merged = platform.option_defaults()
        merged.update(options)
        for spec in platform.options:
            if spec.locked:
                merged[spec.name] = spec.default
        settings = ConnectionSettings(platform=platform.key, fields=dict(fields),
                                      options=merged,
                                      hosts={**platform.hosts, **dict(hosts or {})})
        return platform.connect(settings, dict(secrets), self._transport(platform, sample),
                                **dict(self.connect_options))

    # -- wizard: connection test, Nhanh login, preview, save ---------------------------------
    async def test_connection(self, state) -> ConnectionInfo:
        platform = self.platform(state.platform_key)
        if self.uses_browser_login(platform):
            await self._nhanh_login(state, platform)
        connector = self.build_connector(platform, state.fields, state.secrets, state.options,
                                         sample=state.sample)
        try:
            return await connector.test_connection()
        finally:
            await connector.aclose()

    def after_test(self, state, snapshot) -> None:
        """Runs on the main thread after a successful test: keep what the login learned (the
        test ran on the job's own copy of the state)."""
        for key in LOGIN_FIELDS:
            if snapshot.fields.get(key):
                state.fields[key] = snapshot.fields[key]
        if snapshot.secrets.get("access_token"):
            state.secrets["access_token"] = snapshot.secrets["access_token"]
            state.secrets.pop("access_code", None)

    async def _nhanh_login(self, state, platform: Platform) -> None:
        from connectors.nhanh import login
        if state.secrets.get("access_token") and not state.secrets.get("access_code"):
            return                                  # already logged in (editing a profile)
        version = "2" if platform.key.endswith("v2") else "3"
        api_base = platform.hosts.get("api_base") or login.API_BASE
        transport = self._transport(platform, state.sample)
        result = await login.exchange(state.secrets.get("access_code", ""),
                                      state.fields.get("app_id", ""),
                                      state.secrets.get("secret_key", ""), version=version,
                                      api_base=api_base, transport=transport)
        # The connector below needs the token; the snapshot is this job's own copy.
        state.fields["business_id"] = result.business_id
        if result.expires_at is not None:
            state.fields["token_expires_at"] = result.expires_at.isoformat()
        state.secrets["access_token"] = result.access_token
        state.secrets.pop("access_code", None)     # single use (NH-13)

    def nhanh_urls(self, state) -> dict[str, str]:
        from connectors.nhanh import login
        platform = self.platform(state.platform_key)
        urls = login.callback_urls(platform.hosts)
        result = {"redirect": urls.redirect_url, "webhook": urls.webhook_url, "authorize": "",
                  "note": pick(urls.note_vi, urls.note_en)}
        try:
            result["authorize"] = login.authorize_url(
                state.fields.get("app_id", ""), urls.redirect_url,
                "2" if platform.key.endswith("v2") else "3")
        except InvalidInput:
            pass
        return result

    @staticmethod
    def parse_access_code(pasted: str) -> str:
        from connectors.nhanh import login
        try:
            return login.extract_access_code(pasted)
        except InvalidInput:
            return ""

    def sample_access_code(self, state) -> str:
        """What the sample shop's consent page would hand out (B-01: no browser needed)."""
        platform = self.platform(state.platform_key)
        box = self.sandbox_for(platform)
        mint = getattr(box, "mint_access_code", None)
        return mint() if callable(mint) else ""

    async def preview(self, state) -> dict[str, dict[str, int]]:
        """A dry run with a throw-away profile row: everything it writes is rolled back, so
        nothing is saved before Finish (COM-03)."""
        from app.sync.engine import SyncEngine
        platform = self.platform(state.platform_key)
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

        def collect(event) -> None:
            if type(event).__name__ == "ItemResult":
                counts[event.entity][event.action] += 1

        connector = self.build_connector(platform, self._fields_with_branch(state, platform),
                                         self._secrets_for(state), state.options,
                                         sample=state.sample)
        try:
            with self.db.atomic() as transaction:
                row = m.Profile.create(
                    name=f"__preview__{id(state)}", platform=platform.key,
                    fields=json.dumps({}), options=json.dumps(self._options(state)),
                    created_at=datetime.now(timezone.utc))
                engine = SyncEngine(_catalog(self.db), row, connector, collect)
                await engine.run(state.entities or None, dry_run=True)
                transaction.rollback()
        finally:
            await connector.aclose()
        return {entity: dict(by_action) for entity, by_action in counts.items()}

    def _options(self, state) -> dict[str, Any]:
        options = dict(state.options)
        options["entities"] = list(state.entities)
        if state.sample:
            options[SANDBOX_OPTION] = True
        return options

    def _fields_with_branch(self, state, platform: Platform) -> dict[str, str]:
        fields = dict(state.fields)
        for spec in platform.credential_fields:
            if spec.name in BRANCH_FIELDS and state.branch_key:
                fields[spec.name] = state.branch_key
        return fields

    @staticmethod
    def _secrets_for(state) -> dict[str, str]:
        return {k: v for k, v in state.secrets.items() if k != "access_code" and v}

    def save(self, state):
        """Store the profile (secrets to the keyring first, so a locked keyring stops the save
        before a half-made profile exists)."""
        platform = self.platform(state.platform_key)
        fields = self._fields_with_branch(state, platform)
        secret_fields = {spec.name for spec in platform.credential_fields if spec.secret}
        secrets = self._secrets_for(state)
        # Login results the connector needs (NH-13) are secrets too, never DB fields.
        plain_fields = {k: v for k, v in fields.items() if k not in secret_fields}
        name = store_profiles.validate_profile_name(state.profile_name)
        for key, value in secrets.items():
            self.secrets.set(name, key, value)
        expires = parse_stored_time(plain_fields.get("token_expires_at"))
        if state.editing:
            if state.editing != name:
                for key in secrets:
                    self.secrets.delete(state.editing, key)
            profile = store_profiles.update_profile(
                state.editing, new_name=name, fields=plain_fields, options=self._options(state),
                secret_names=sorted(secrets), schedule_minutes=state.schedule_minutes,
                token_expires_at=expires)
        else:
            profile = store_profiles.create_profile(
                name, platform.key, plain_fields, self._options(state),
                secret_names=sorted(secrets), schedule_minutes=state.schedule_minutes)
            if expires is not None:
                profile = store_profiles.update_profile(name, token_expires_at=expires)
        return profile

    # -- saved profiles ---------------------------------------------------------------------------
    def list_profiles(self):
        return store_profiles.list_profiles()

    def get_profile(self, name: str):
        return store_profiles.get_profile(name)

    def remove_profile(self, name: str) -> None:
        store_profiles.remove_profile(name, self.secrets)

    def is_sample(self, profile) -> bool:
        return bool(profile.options.get(SANDBOX_OPTION))

    def profile_secrets(self, profile) -> dict[str, str]:
        values = {}
        for key in profile.secret_names:
            value = self.secrets.get(profile.name, key)
            if value:
                values[key] = value
        return values

    def connector_for_profile(self, profile):
        """Called inside a worker thread: reads the keyring and builds the connector."""
        platform = self.platform(profile.platform)
        settings = store_profiles.connection_settings(profile, self.platform_lookup)
        # The sample shop's values are public (B-01): never read from the keyring, so it
        # works on a computer that has none (issue 20 point 1).
        secrets = (dict(platform.sandbox_secrets) if self.is_sample(profile)
                   else self.profile_secrets(profile))
        return self.build_connector(platform, settings.fields, secrets,
                                    settings.options, settings.hosts,
                                    sample=self.is_sample(profile))

    def profile_row(self, profile) -> m.Profile:
        return m.Profile.get_by_id(profile.id)

    def enabled_entities(self, profile) -> list[str] | None:
        entities = profile.options.get("entities")
        return list(entities) if entities else None

    def make_engine(self, profile, connector, emit, cancel: threading.Event):
        from app.sync.engine import SyncEngine
        return SyncEngine(_catalog(self.db), self.profile_row(profile), connector, emit,
                          cancel=cancel)

    def catalog(self):
        return _catalog(self.db)

    def edit_state(self, profile):
        """A WizardState for editing a saved profile (secrets read back from the keyring)."""
        from ui.wizard.state import WizardState
        platform = self.platform(profile.platform)
        options = {k: v for k, v in profile.options.items()
                   if k not in ("entities", SANDBOX_OPTION)}
        branch = next((profile.fields.get(name) for name in BRANCH_FIELDS
                       if profile.fields.get(name)), "")
        fields = {k: v for k, v in profile.fields.items() if k not in BRANCH_FIELDS}
        return WizardState(sample=self.is_sample(profile), platform_key=platform.key,
                           profile_name=profile.name, fields=fields,
                           secrets=self.profile_secrets(profile), options=options,
                           entities=list(profile.options.get("entities") or []),
                           branch_key=branch or "", schedule_minutes=profile.schedule_minutes,
                           editing=profile.name)


def _catalog(db):
    from app.store.catalog import Catalog
    return Catalog(db)
