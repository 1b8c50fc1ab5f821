"""What a Nhanh API version must provide: the operations the connector uses, in the common
record shape of mapping.py. Everything that differs between v3 and v2 (URLs, auth, encoding,
paging, dates, status names, response shapes) lives in v3.py / v2.py behind this interface.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import Any, Iterator

from contract.records import text
from connectors.nhanh.client import NhanhClient

def pos_id(value: Any) -> str:
    """A Nhanh id as text ("" when absent): ids arrive as numbers or strings."""
    return "" if value in (None, "") else text(value)


# A cursor is the adapter's own JSON-able paging state (v3: the `next` object verbatim;
# v2: the page number). None = first page.
Cursor = Any


class NhanhApi(ABC):
    version: str                   # "3" | "2"
    order_window: timedelta        # longest order/list date window Nhanh accepts
    product_batch: int             # product/add items per request
    customer_batch: int            # customer/add items per request

    def __init__(self, client: NhanhClient, *, app_id: str, business_id: str,
                 access_token: str) -> None:
        self.client = client
        self.app_id, self.business_id, self.access_token = app_id, business_id, access_token

    @abstractmethod
    async def call(self, endpoint: str, body: Any, *, write: bool,
                   idempotent: bool = False) -> dict:
        """POST one endpoint ("product/list") and return the success envelope.

        Every Nhanh call is a POST, so each says what it is: a read (`write=False`) is
        retried after a lost answer; a write is not, unless Nhanh documents it as
        `idempotent` (v2's upserts): its lost answer raises WriteOutcomeUnknown and the
        connector looks the record up before sending again (COM-02)."""

    # -- reads ----------------------------------------------------------------------------
    @abstractmethod
    async def depots(self) -> list[dict]: ...

    @abstractmethod
    async def categories(self) -> list[dict]:
        """All categories, the tree flattened (parents before children)."""

    @abstractmethod
    async def products_page(self, cursor: Cursor, since: datetime | None
                            ) -> tuple[list[dict], Cursor]: ...

    @abstractmethod
    async def product_children(self, parent_id: str) -> list[dict]:
        """All children (variants) of a parent product."""

    @abstractmethod
    async def product_parent(self, parent_id: str) -> list[dict]:
        """The parent product alone (empty when it is gone)."""

    async def product_family(self, parent_id: str) -> list[dict]:
        """The parent product and all its children (variants)."""
        return [*await self.product_parent(parent_id), *await self.product_children(parent_id)]

    @abstractmethod
    async def products_by_code(self, code: str) -> list[dict]:
        """Products whose name, code or barcode matches (Nhanh's `name` filter)."""

    @abstractmethod
    async def customers_page(self, cursor: Cursor, since: datetime | None
                             ) -> tuple[list[dict], Cursor]: ...

    @abstractmethod
    async def customers_by_mobile(self, mobile: str) -> list[dict]: ...

    @abstractmethod
    async def orders_page(self, start: datetime, end: datetime, cursor: Cursor
                          ) -> tuple[list[dict], Cursor]:
        """Orders created in [start, end); the window must be one of `order_windows`."""

    @abstractmethod
    async def orders_by_ids(self, ids: list[str]) -> list[dict]:
        """Orders by Nhanh id, however old: an id filter lifts the 31/10-day rule (DOC)."""

    @abstractmethod
    async def orders_updated_page(self, start: datetime, end: datetime, cursor: Cursor
                                  ) -> tuple[list[dict], Cursor]:
        """Orders updated in [start, end) (one window, ≤ order_window): a just-sent order is
        among them whatever its creation date."""

    @abstractmethod
    async def deleted_order_ids(self, since: datetime, until: datetime) -> list[str] | None:
        """Orders deleted on Nhanh since then; None when the version cannot tell."""

    @abstractmethod
    async def token_status(self, secret_key: str) -> dict | None:
        """{expiresAt (aware UTC), depotIds, permissions} of the current token; None when the
        version cannot tell."""

    def order_windows(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """[start, end) cut into windows Nhanh accepts, oldest first."""
        cursor = start
        while cursor < end:
            stop = min(cursor + self.order_window, end)
            yield cursor, stop
            cursor = stop

    # -- writes ---------------------------------------------------------------------------
    @abstractmethod
    async def add_order(self, order: dict) -> str:
        """Create one order (common shape, see mapping.new_order); returns the Nhanh id."""

    @abstractmethod
    async def set_order_status(self, order_id: str, status: int) -> None: ...

    @abstractmethod
    async def add_products(self, batch: list[dict]) -> dict[str, str]:
        """≤ product_batch items {appId, name, code, barcode, price, categoryId};
        returns App id → Nhanh id."""

    @abstractmethod
    async def add_customers(self, batch: list[dict]) -> dict[str, str]:
        """≤ customer_batch items {name, mobile, email, address}; returns mobile → Nhanh id."""
