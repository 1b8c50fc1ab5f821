"""The contract between the sync engine and a POS connector.

A platform is described by data (a `Platform`): its credential fields, options, hosts and what
each entity may do. The engine reads that description and never asks which platform it is
talking to. A connector (`Connector`) is the async object that speaks the POS API and returns
canonical records from `contract.records`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import (TYPE_CHECKING, Any, AsyncIterator, Callable, Collection, Mapping, Protocol,
                    Sequence)

from contract.records import Branch, Entity, OrderStatus, Record

if TYPE_CHECKING:
    import httpx


# --------------------------------------------------------------------------------------------
# What an entity may do on a platform (RULES.md as data)
# --------------------------------------------------------------------------------------------

_TRUE = {"1", "on", "true", "yes", "bật", "có"}
_FALSE = {"0", "off", "false", "no", "tắt", "không", ""}


def is_on(value: Any) -> bool:
    """An option value as a switch: True/'on'/'true'/1 are on."""
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)



class Direction(str, Enum):
    POS_TO_APP = "pos_to_app"
    APP_TO_POS = "app_to_pos"
    BOTH = "both"
    NONE = "none"

    @property
    def pulls(self) -> bool:
        return self in (Direction.POS_TO_APP, Direction.BOTH)

    @property
    def pushes(self) -> bool:
        return self in (Direction.APP_TO_POS, Direction.BOTH)


class Mode(str, Enum):
    FULL = "full"                # create + update
    CREATE_ONLY = "create_only"  # first appearance only; later edits and deletes ignored
    NONE = "none"


class StatusChange(str, Enum):
    """What happens when an App order that is already on the POS changes status."""

    PUSH = "push"        # send the new status to the POS
    MANUAL = "manual"    # not sent: an item tells the user to do it on the POS (e.g. KVF-05)
    IGNORE = "ignore"    # not sent, nothing to do (e.g. NH-04 intermediate statuses)
    CONFLICT = "conflict"  # the App must not change it (SAPO-09): reported as a conflict


@dataclass(frozen=True)
class EntityCapability:
    """Direction and mode of one entity on one platform, and the rules that shape it."""

    entity: Entity
    pull: Mode = Mode.NONE                 # POS→App
    push: Mode = Mode.NONE                 # App→POS
    caveats: tuple[str, ...] = ()          # rule IDs shown next to this entity's toggle
    rule: str = ""                         # the rule that defines the direction (e.g. SAPO-02)
    enabled_by: str = ""                   # option name that switches the entity on/off (NH-02)
    unavailable_reason: str = ""           # rule ID explaining why push/pull is not offered
    # Orders only: statuses an App order must have to be pushed at all (KVF-04, NH-04) …
    push_statuses: frozenset[OrderStatus] = frozenset()
    # … and what a later App-side status change becomes once the order is on the POS.
    status_changes: Mapping[OrderStatus, StatusChange] = field(default_factory=dict)
    status_change_rules: Mapping[OrderStatus, str] = field(default_factory=dict)
    # An App-side edit (not a status change) of a pushed record: CONFLICT for SAPO-09/KVF-10.
    app_edit_after_push: StatusChange = StatusChange.PUSH
    app_edit_rule: str = ""
    # Fields the POS owns even when the entity syncs both ways, and fields an option gates:
    # e.g. {"stock": "sync_stock_price"} for NH-03.
    gated_fields: Mapping[str, str] = field(default_factory=dict)
    # Fields whose later changes are taken only when an option is on (NH-09 "keep updating").
    update_fields_option: Mapping[str, str] = field(default_factory=dict)
    # Checks an App record (already carrying POS ids) before it is CREATED on the POS, without
    # any request: returns the InvalidData that blocks it (SAPO-08 "exactly one category"), or
    # None. Updates of records already on the POS are not checked.
    validate_push: Callable[[Record], "PosError | None"] | None = None
    # An App-side deletion of a record already on the POS: MANUAL = a result row tells the user
    # to act on the POS (NH-04: Nhanh has no order-delete call); IGNORE = nothing to do.
    app_delete: StatusChange = StatusChange.IGNORE
    app_delete_rule: str = ""

    @property
    def direction(self) -> Direction:
        pulls, pushes = self.pull is not Mode.NONE, self.push is not Mode.NONE
        if pulls and pushes:
            return Direction.BOTH
        if pulls:
            return Direction.POS_TO_APP
        if pushes:
            return Direction.APP_TO_POS
        return Direction.NONE


# --------------------------------------------------------------------------------------------
# What the wizard asks for
# --------------------------------------------------------------------------------------------

class InvalidInput(ValueError):
    """A value the user typed that cannot be used; carries a message in both languages."""

    def __init__(self, message_vi: str, message_en: str, rule: str = "") -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.rule = rule


def _as_is(value: str) -> str:
    return value.strip()


@dataclass(frozen=True)
class CredentialField:
    """One field of the connection form. `validate` returns the cleaned value or raises
    InvalidInput (e.g. a pasted Sapo address reduced to the shop name, SAPO-11)."""

    name: str
    label_vi: str
    label_en: str
    secret: bool = False
    required: bool = True
    help_vi: str = ""
    help_en: str = ""
    caveats: tuple[str, ...] = ()
    choices: tuple[tuple[str, str, str], ...] = ()   # (value, label_vi, label_en)
    validate: Callable[[str], str] = _as_is
    placeholder: str = ""


@dataclass(frozen=True)
class OptionSpec:
    """A toggle or choice of a connection. Locked options show their value and the reason."""

    name: str
    label_vi: str
    label_en: str
    default: Any = False
    locked: bool = False
    lock_rule: str = ""                    # rule ID whose caveat explains the lock (KVF-03)
    caveats: tuple[str, ...] = ()
    choices: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class SetupStep:
    """One of the platform's own steps shown beside the connection fields."""

    text_vi: str
    text_en: str


@dataclass(frozen=True)
class LoginOutcome:
    """What a browser login learned: plain fields kept with the profile, secrets for the keyring."""

    fields: Mapping[str, str]
    secrets: Mapping[str, str]
    expires_at: datetime | None = None       # aware UTC; None = the POS did not say


@dataclass(frozen=True)
class LoginAddresses:
    """Where the owner goes to give consent, and what to register on the POS's app page."""

    authorize_url: str                       # "" while a field it needs is still empty
    redirect_url: str
    webhook_url: str = ""
    note_vi: str = ""
    note_en: str = ""


@dataclass(frozen=True)
class BrowserLogin:
    """A POS whose token comes from consent in a browser: open `addresses().authorize_url`,
    approve, and the redirect brings the code back — caught on this PC when the redirect is an
    address here (`catches`/`catch`), otherwise pasted back — then `exchange` it in time."""

    # (fields, hosts) → the consent page and the addresses to register.
    addresses: Callable[[Mapping[str, str], Mapping[str, str]], LoginAddresses]
    # Pasted address or bare code → the code; raises InvalidInput with what to do.
    read_code: Callable[[str], str]
    # (code, fields, secrets, hosts, transport) → LoginOutcome; raises AuthError kinds.
    exchange: Callable[..., Any]
    code_minutes: int = 10                   # how long a code stays usable
    # The secret the owner pastes in the wizard (used once, never stored).
    code_secret: str = "access_code"
    # The secret the exchange yields; with it present the profile is logged in.
    token_secret: str = "access_token"
    # redirect_url → whether ShopSync itself can catch the redirect there (an address on this
    # PC); when False, the owner pastes the address back (the fallback that always works).
    catches: Callable[[str], bool] = lambda redirect_url: False
    # (redirect_url, timeout=, ready=) → awaitable code, caught on this PC; raises AuthError
    # kinds whose message says to paste instead (declined, nothing arrived, port busy).
    catch: Callable[..., Any] | None = None


@dataclass(frozen=True)
class Platform:
    key: str                                # "sapo", "kiotviet-fnb", "nhanh-v3" …
    name_vi: str
    name_en: str
    credential_fields: tuple[CredentialField, ...]
    options: tuple[OptionSpec, ...]
    hosts: Mapping[str, str]                # setting name → real default ("api_base": "https://…")
    entities: Mapping[Entity, EntityCapability]
    caveats: tuple[str, ...] = ()           # platform-wide caveat rule IDs (SAPO-01, NH-12)
    setup_steps: tuple[SetupStep, ...] = ()
    # Builds the connector for a saved profile: (settings, secrets, transport) → Connector.
    connect: Callable[["ConnectionSettings", Mapping[str, str], "httpx.AsyncBaseTransport | None"],
                      "Connector"] | None = None
    # Builds this platform's in-process sandbox (an httpx transport with state).
    sandbox: Callable[..., Any] | None = None
    # Field → value a sample-shop profile uses against the sandbox (B-01).
    sandbox_settings: Mapping[str, str] = field(default_factory=dict)
    sandbox_secrets: Mapping[str, str] = field(default_factory=dict)
    deprecated: bool = False                # NH-12: selectable with a warning
    # Set when the token comes from browser consent (Nhanh); None = typed credentials only.
    login: BrowserLogin | None = None
    # The credential field that names the branch the App's stock follows ("" = none).
    branch_field: str = ""
    # Shown with the branch choice (e.g. KVF-14: pick the central branch); "" = none.
    branch_rule: str = ""
    # The last day the platform supports this API (NH-12: 30/11/2026); after it the wizard
    # calls it retired rather than retiring.
    retired_after: "date | None" = None

    def option_defaults(self) -> dict[str, Any]:
        return {option.name: option.default for option in self.options}

    def capability(self, entity: Entity) -> EntityCapability:
        return self.entities.get(entity, EntityCapability(entity))


@dataclass(frozen=True)
class ConnectionSettings:
    """Non-secret part of a saved connection profile, as the connector receives it."""

    platform: str
    fields: Mapping[str, str]
    options: Mapping[str, Any]
    hosts: Mapping[str, str]


# --------------------------------------------------------------------------------------------
# Errors a user can meet: one taxonomy, a message in both languages that says what to do
# --------------------------------------------------------------------------------------------

class ErrorKind(str, Enum):
    AUTH = "auth"                  # wrong key / secret / expired token
    PERMISSION = "permission"      # key valid but lacks a permission
    THROTTLED = "throttled"        # rate limited; retried automatically
    TRANSIENT = "transient"        # network, timeout, 5xx; retried automatically
    INVALID = "invalid"            # the POS refused the data (422, validation)
    SETTING_OFF = "setting_off"    # a POS store setting must be switched on
    NOT_SUPPORTED = "not_supported"
    NOT_FOUND = "not_found"        # shop / record does not exist


class PosError(Exception):
    kind: ErrorKind = ErrorKind.TRANSIENT

    def __init__(self, message_vi: str, message_en: str, *, rule: str = "",
                 retry_after: float | None = None, detail: str = "",
                 status: int | None = None) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.rule = rule
        self.retry_after = retry_after
        self.detail = detail          # already redacted technical detail for logs
        self.status = status

    @property
    def retryable(self) -> bool:
        return self.kind in (ErrorKind.THROTTLED, ErrorKind.TRANSIENT)


class AuthError(PosError):
    kind = ErrorKind.AUTH


class PermissionDenied(PosError):
    kind = ErrorKind.PERMISSION


class RateLimited(PosError):
    kind = ErrorKind.THROTTLED


class TransientError(PosError):
    kind = ErrorKind.TRANSIENT


class InvalidData(PosError):
    kind = ErrorKind.INVALID


class SettingOff(PosError):
    kind = ErrorKind.SETTING_OFF


class NotSupported(PosError):
    kind = ErrorKind.NOT_SUPPORTED


class NotFound(PosError):
    kind = ErrorKind.NOT_FOUND


# --------------------------------------------------------------------------------------------
# The connector protocol
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectionInfo:
    """What a successful connection test tells the user."""

    shop_name: str
    branches: tuple[Branch, ...] = ()
    permissions: tuple[str, ...] = ()       # human-readable: what the key may do
    warnings_vi: tuple[str, ...] = ()
    warnings_en: tuple[str, ...] = ()
    token_expires_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    """One page of POS records. `resume` is an opaque token: given back to `pull` it continues
    after this page (the engine stores it only once the page's results are committed)."""

    records: tuple[Record, ...]
    resume: str | None = None               # None = this was the last page
    total: int | None = None                # total items of this pull, when the POS says
    deleted_keys: tuple[str, ...] = ()      # POS ids reported deleted (KiotViet removedIds)
    # POS id → App id that ShopSync created the POS record from, as the record itself says
    # (Sapo: the App order id in a note attribute). The pull links the two instead of
    # creating the POS record in the App a second time when the create's answer was lost.
    made_from: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class KnownRecord:
    """A POS record the App already holds (it is linked), as the engine tells a connector
    before a pull (`Connector.know_records`).

    `record` is the App's copy keyed by the POS id, with the POS's ids inside (categories,
    branches; a pulled product keeps the POS's variant ids). `as_last_synced` is True only
    when that copy can stand in for the POS's own: nothing was edited in the App since the
    last sync, it then equalled the POS's copy on every synced field, and every id in it is
    linked. A connector may build a changed record from the POS rows that changed plus this
    copy instead of reading the whole record again; with `as_last_synced` False it may use it
    only where the App's values decide nothing (a create-only record's "skipped" row)."""

    record: Record
    as_last_synced: bool


# (entity, POS ids) → the KnownRecord of each of those ids the App holds; ids the App does
# not hold (new on the POS) are absent. Reads the App store only, never the POS.
KnownRecords = Callable[[Entity, Collection[str]], Mapping[str, KnownRecord]]


def nothing_known(entity: Entity, pos_keys: Collection[str]) -> Mapping[str, KnownRecord]:
    """What a connector knows before (or without) the engine telling it: nothing, so every
    changed record is read whole, as before the hook existed."""
    return {}


@dataclass(frozen=True)
class PushOutcome:
    """Result of writing one App record to the POS."""

    app_key: str
    pos_key: str = ""
    record: Record | None = None            # the record as the POS now has it
    error: PosError | None = None


class Connector(Protocol):
    platform: Platform

    @property
    def request_count(self) -> int: ...

    async def test_connection(self) -> ConnectionInfo: ...

    def pull(self, entity: Entity, since: datetime | None,
             resume: str | None = None) -> AsyncIterator[Page]:
        """Records of `entity` changed since `since` (None = all), largest pages first."""
        ...

    async def list_keys(self, entity: Entity) -> set[str] | None:
        """Every POS id of `entity` (deletion detection by id scan); None if not possible."""
        ...

    async def prepare_find(self, entity: Entity, records: Sequence[Record]) -> None:
        """`find` is about to be called for each of `records` (before creating them): a
        connector may read what those look-ups need in fewer calls now. May do nothing."""
        ...

    def know_branches(self, branches: Sequence[Branch]) -> None:
        """The POS branches the App holds from its last branch pull (keyed by POS id), told
        before the run's first create. A connector may use them instead of reading its branch
        list where a stale list cannot write data to the wrong place. May ignore them."""
        ...

    def know_records(self, known: KnownRecords) -> None:
        """Told before each pull: how to ask which POS records the App already holds
        (`KnownRecords`). An incremental pull may then skip re-reading what the App needs of
        a changed, already-linked record (KiotViet: a family's unchanged variant rows; Nhanh:
        a create-only product's children). May ignore it (the default): the engine calls it
        only where a connector defines it, and records are then read whole, as before."""
        ...

    async def find(self, entity: Entity, record: Record) -> Record | None:
        """Look the App record up on the POS by its natural key (SKU, barcode, phone, email,
        App order id) — used before a create (COM-02) and to resolve an unfinished intent."""
        ...

    # Optional, so not declared here (a connector without it still fits the protocol):
    #
    #     async def get(self, entity: Entity, pos_key: str) -> Record | None
    #
    # The record the POS holds under its own id, as `pull` would map it (an order or a
    # customer in one request); None when the POS says it does not exist (404). It raises
    # NotSupported, before any request, for an entity the POS cannot read by id. The engine
    # reads a linked record's POS copy with it (a conflict's POS side, the current values an
    # App edit is merged into) and uses `find` where a connector has no `get` or refuses the
    # entity.

    async def create(self, entity: Entity, records: Sequence[Record]) -> list[PushOutcome]:
        """Create App records on the POS in the largest batches the POS allows."""
        ...

    async def update(self, entity: Entity, pos_key: str, record: Record) -> Record:
        ...

    async def set_order_status(self, pos_key: str, status: OrderStatus) -> Record | None:
        ...

    async def aclose(self) -> None: ...
