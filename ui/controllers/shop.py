"""What the wizard and the main window ask of the rest of the app, in one place.

Widgets never import the store, the keyring or a connector: they call a `ShopServices`, a thin
Qt-side face over `app.session.ShopSession`, which builds connectors, takes the run lock and
runs everything (the command line calls the same session). This keeps the widgets synchronous
and testable, and keeps the knowledge of how a profile, its secrets and its connector fit
together out of the UI.

Sample shops (B-01): a profile with option `sandbox` on talks to the platform's in-process
sandbox through an httpx transport. One sandbox per platform lives as long as the session, so
the wizard's test, the preview, the first sync and later runs all see the same shop.
"""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from app.config import Paths
from app.session import SANDBOX_OPTION, Draft, ShopSession
from app.store import profiles as store_profiles
from contract.records import parse_stored_time
from contract.connector import ConnectionInfo, CredentialField, InvalidInput, Platform
from connectors.registry import get_platform
from ui.i18n import pick, tr

# Fields a login writes (not typed by the user), kept with the profile.
LOGIN_FIELDS = frozenset({"business_id", "token_expires_at"})
SAMPLE_NAMES = {"vi": "Cửa hàng mẫu", "en": "Sample shop"}


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
    session: ShopSession = field(init=False)

    def __post_init__(self) -> None:
        self.session = ShopSession(self.paths.home, self.db, self.secrets,
                                   sandbox_options=self.sandbox_options,
                                   connect_options=self.connect_options,
                                   platform_lookup=self.platform_lookup)

    # -- platforms ----------------------------------------------------------------------------
    def platforms(self) -> list[Platform]:
        return self.session.platforms()

    def platform(self, key: str) -> Platform:
        return self.session.platform(key)

    @staticmethod
    def uses_browser_login(platform: Platform) -> bool:
        return platform.login is not None

    def is_branch_field(self, spec: CredentialField) -> bool:
        return spec.name in self._branch_fields()

    def _branch_fields(self) -> frozenset[str]:
        return frozenset(p.branch_field for p in self.platforms() if p.branch_field)

    def branch_rule(self, platform_key: str) -> str:
        """The rule shown with the branch choice (KVF-14), or ''."""
        return self.platform(platform_key).branch_rule if platform_key else ""

    def suggest_name(self, platform: Platform, sample: bool) -> str:
        from ui.i18n import language
        base = SAMPLE_NAMES[language()] if sample else pick(platform.name_vi, platform.name_en)
        # "Sapo Web / Sapo Omni" stays readable as "Sapo Web - Sapo Omni": a connection name
        # takes letters, digits, spaces, "-" and "_" only (app/store/profiles.py), and
        # dropping the slash ran the two names together.
        base = base.replace("/", "-")
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

    # -- sample shops (B-01) ----------------------------------------------------------------------
    def sandbox_for(self, platform: Platform) -> Any:
        return self.session.sample_shop(platform)

    def draft(self, state) -> Draft:
        """The wizard's values as the session's draft (secrets in use, branch in its field)."""
        platform = self.platform(state.platform_key)
        return Draft(platform=platform.key, fields=self._fields_with_branch(state, platform),
                     secrets=dict(state.secrets), options=dict(state.options),
                     sample=state.sample, entities=tuple(state.entities))

    # -- wizard: connection test, browser login, preview, save -------------------------------
    async def test_connection(self, state) -> ConnectionInfo:
        """Runs on the job's own copy of the state: a login writes its token into it."""
        platform = self.platform(state.platform_key)
        draft = self.draft(state)
        flow = platform.login
        if flow is not None:
            # A profile being edited is logged in already (a token, no fresh code): no login.
            logged_in = (draft.secrets.get(flow.token_secret)
                         and not draft.secrets.get(flow.code_secret))
            if not logged_in:
                await self.session.login_draft(draft)
            state.fields.update({k: v for k, v in draft.fields.items() if k in LOGIN_FIELDS})
            state.secrets.clear()
            state.secrets.update(draft.secrets)
        return await self.session.test_draft(draft)

    def after_test(self, state, snapshot) -> None:
        """Runs on the main thread after a successful test: keep what the login learned (the
        test ran on the job's own copy of the state)."""
        for key in LOGIN_FIELDS:
            if snapshot.fields.get(key):
                state.fields[key] = snapshot.fields[key]
        flow = self.platform(state.platform_key).login if state.platform_key else None
        if flow is not None and snapshot.secrets.get(flow.token_secret):
            state.secrets[flow.token_secret] = snapshot.secrets[flow.token_secret]
            state.secrets.pop(flow.code_secret, None)

    def login_urls(self, state) -> dict[str, str]:
        platform = self.platform(state.platform_key)
        found = self.session.login_addresses(platform, state.fields)
        return {"redirect": found.redirect_url, "webhook": found.webhook_url,
                "authorize": found.authorize_url, "note": pick(found.note_vi, found.note_en)}

    nhanh_urls = login_urls          # the name the login page calls

    def catches_login(self, state) -> bool:
        """The consent's redirect comes back to this PC (NH-13): the page listens for it."""
        platform = self.platform(state.platform_key)
        redirect = self.session.login_addresses(platform, state.fields).redirect_url
        return self.session.catches_login(platform, redirect)

    async def catch_login_code(self, state, stop: threading.Event) -> str:
        """Runs in a background job: the code the browser brings back to this PC, or "" when
        `stop` is set first (the owner left the page or closed the wizard; the port is
        freed at once). Failures carry the message saying to paste instead."""
        platform = self.platform(state.platform_key)
        redirect = self.session.login_addresses(platform, state.fields).redirect_url
        catching = asyncio.ensure_future(self.session.catch_login_code(platform, redirect))
        try:
            while not stop.is_set():
                done, _ = await asyncio.wait({catching}, timeout=0.1)
                if done:
                    return catching.result()
            return ""
        finally:
            if not catching.done():
                catching.cancel()
                await asyncio.gather(catching, return_exceptions=True)

    def parse_access_code(self, pasted: str, platform_key: str = "") -> str:
        platforms = ([self.platform(platform_key)] if platform_key
                     else [p for p in self.platforms() if p.login is not None])
        for platform in platforms:
            if platform.login is None:
                continue
            try:
                return platform.login.read_code(pasted)
            except InvalidInput:
                continue
        return ""

    def sample_access_code(self, state) -> str:
        """What the sample shop's consent page would hand out (B-01: no browser needed)."""
        return self.session.sample_login_code(self.platform(state.platform_key))

    async def preview(self, state) -> dict[str, dict[str, int]]:
        """A dry run of the unsaved connection: nothing is written, so nothing is saved
        before Finish (COM-03) and no other sync waits for it."""
        draft = self.draft(state)
        draft.secrets = self._secrets_for(state)
        return await self.session.preview_draft(draft)

    def _options(self, state) -> dict[str, Any]:
        options = dict(state.options)
        options["entities"] = list(state.entities)
        if state.sample:
            options[SANDBOX_OPTION] = True
        return options

    @staticmethod
    def _fields_with_branch(state, platform: Platform) -> dict[str, str]:
        fields = dict(state.fields)
        if platform.branch_field and state.branch_key:
            fields[platform.branch_field] = state.branch_key
        return fields

    def _secrets_for(self, state) -> dict[str, str]:
        """The secrets to keep: a login code is used once and never stored (NH-13)."""
        flow = self.platform(state.platform_key).login if state.platform_key else None
        used_once = flow.code_secret if flow is not None else None
        return {k: v for k, v in state.secrets.items() if k != used_once and v}

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

    def enabled_entities(self, profile) -> list[str] | None:
        entities = profile.options.get("entities")
        return list(entities) if entities else None

    def catalog(self):
        from app.store.catalog import Catalog
        return Catalog(self.db)

    def edit_state(self, profile):
        """A WizardState for editing a saved profile (secrets read back from the keyring)."""
        from ui.wizard.state import WizardState
        platform = self.platform(profile.platform)
        options = {k: v for k, v in profile.options.items()
                   if k not in ("entities", SANDBOX_OPTION)}
        branch = profile.fields.get(platform.branch_field, "") if platform.branch_field else ""
        fields = {k: v for k, v in profile.fields.items() if k != platform.branch_field}
        return WizardState(sample=self.is_sample(profile), platform_key=platform.key,
                           profile_name=profile.name, fields=fields,
                           secrets=self.profile_secrets(profile), options=options,
                           entities=list(profile.options.get("entities") or []),
                           branch_key=branch or "", schedule_minutes=profile.schedule_minutes,
                           editing=profile.name)

