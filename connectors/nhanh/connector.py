"""NhanhConnector: the Connector protocol over either Nhanh API version.

The version adapter (v3.py / v2.py) does the talking; this module decides what to ask for and
turns the answers into canonical records (mapping.py), the same way for both versions.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator, Callable, Mapping, Sequence

import httpx

from contract.records import (Branch, Customer, Entity, InvalidValue, Order, OrderStatus, Product, Record,
                        parse_stored_time, text)
from contract.connector import is_on
from contract.connector import (AuthError, ConnectionInfo, ConnectionSettings, ErrorKind,
                             InvalidData, KnownRecords, NotFound, NotSupported, Page,
                             PermissionDenied, Platform, PosError, PushOutcome, nothing_known)
from connectors.http import Clock, Sleep, WriteOutcomeUnknown
from connectors.nhanh import mapping
from connectors.nhanh.adapter import NhanhApi
from connectors.nhanh.client import API_BASE, NhanhClient
from connectors.nhanh.errors import is_duplicate_order
from connectors.nhanh.v2 import V2Api
from connectors.nhanh.v3 import V3Api

# find() looks for an order pushed before a crash among the orders Nhanh created this recently:
# Nhanh cannot filter by our App order id, so the look-up scans a window (limit, see below).
FIND_ORDER_LOOKBACK = timedelta(days=3)
FIND_ORDER_MAX_SPAN = timedelta(days=62)

# An order/add whose answer was lost is looked up, then sent again, at most this many times.
ORDER_SEND_ATTEMPTS = 3
# The look-up after a lost answer reads the orders Nhanh updated since a little before the
# send (a documented filter that needs no creation window): clocks differ by this much at most.
LOST_ANSWER_MARGIN = timedelta(minutes=10)

# Errors that stop the whole run rather than one item: every next item would meet them too.
_RUN_STOPPING = (ErrorKind.AUTH, ErrorKind.SETTING_OFF, ErrorKind.TRANSIENT, ErrorKind.THROTTLED)


def _not_logged_in() -> AuthError:
    return AuthError(
        "Chưa đăng nhập Nhanh.vn (thiếu mã đăng nhập hoặc mã doanh nghiệp). Hãy bấm "
        "\"Đăng nhập Nhanh.vn\" trong phần kết nối.",
        "Not logged in to Nhanh.vn (no access token or business id). Click \"Log in to "
        "Nhanh.vn\" in the connection settings.", rule="NH-13")


class NhanhConnector:
    def __init__(self, platform: Platform, settings: ConnectionSettings,
                 secrets: Mapping[str, str], transport: httpx.AsyncBaseTransport | None = None,
                 *, version: str, clock: Clock = time.monotonic, wall_clock: Clock = time.time,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.platform = platform
        self.options = dict(settings.options)
        fields = settings.fields
        app_id = text(fields.get("app_id"))
        business_id = text(fields.get("business_id"))
        token = text(secrets.get("access_token"))
        if not (app_id and business_id and token):
            raise _not_logged_in()
        self.wall_clock = wall_clock
        self.token_expires_at = parse_stored_time(fields.get("token_expires_at"))
        self.client = NhanhClient(
            api_base=settings.hosts.get("api_base") or API_BASE, transport=transport,
            clock=clock, wall_clock=wall_clock, sleep=sleep,
            secrets=(token, text(secrets.get("secret_key")),
                     text(secrets.get("webhook_verify_token"))))
        api_class = V3Api if version == "3" else V2Api
        self.api: NhanhApi = api_class(self.client, app_id=app_id, business_id=business_id,
                                       access_token=token)
        self.business_id = business_id
        self.secret_key = text(secrets.get("secret_key"))
        self._rng = random.Random(0)
        # Session caches: orders seen on Nhanh by App order id (find), Nhanh ids by SKU.
        self._orders_by_app_id: dict[str, dict] = {}
        self._orders_since: datetime | None = None
        self._ids_by_sku: dict[str, str] = {}
        # Linked Nhanh product id → {SKU: the child (variant) id that sells}, or {} for a
        # product without children: one read per product per run, not one search per line.
        self._sellable: dict[str, dict[str, str]] = {}
        # What the App holds of linked products (the engine tells it before a pull, issue 21).
        self._known: KnownRecords = nothing_known

    @property
    def request_count(self) -> int:
        return self.client.request_count

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.wall_clock(), tz=timezone.utc)

    # -- connection test ------------------------------------------------------------------
    async def test_connection(self) -> ConnectionInfo:
        from connectors.nhanh.login import token_warning
        depots = await self.api.depots()
        permissions: tuple[str, ...] = ()
        warnings_vi: list[str] = []
        warnings_en: list[str] = []
        checked = await self._check_token() if self.api.version == "3" else None
        if checked is not None:
            self.token_expires_at = checked["expiresAt"] or self.token_expires_at
            permissions = tuple(checked["permissions"])
            if checked["expiresAt"] is None:
                # An answer this code does not recognise is shown, never taken as "all fine".
                shown = self.client.http.redact(json.dumps(checked.get("raw"),
                                                           ensure_ascii=False))[:300]
                warnings_vi.append("Nhanh.vn trả lời kiểm tra mã đăng nhập theo dạng ShopSync "
                                   f"chưa biết, nên chưa xác nhận được hạn dùng: {shown}. Hãy "
                                   "báo bộ phận hỗ trợ ShopSync nội dung này.")
                warnings_en.append("Nhanh.vn answered the login check in a shape ShopSync does "
                                   f"not know, so the expiry is not confirmed: {shown}. Send "
                                   "this to ShopSync support.")
        elif self.api.version == "2":
            # v2 has no check endpoint: what it cannot tell is said, not assumed.
            warnings_vi.append("API v2 của Nhanh.vn không có cách kiểm tra Secret key và quyền "
                               "đã cấp: ShopSync chỉ xác nhận được mã đăng nhập đọc được danh "
                               "sách kho. Secret key sai sẽ chỉ lộ ra khi đăng nhập lại.")
            warnings_en.append("Nhanh.vn API v2 has no way to check the secret key or the "
                               "granted permissions: ShopSync only confirmed that the login "
                               "token reads the depot list. A wrong secret key shows only at "
                               "the next login.")
        if self.platform.deprecated:   # NH-12
            warnings_vi.append("Nhanh.vn ngừng hỗ trợ API v2 sau ngày 30/11/2026. Hãy tạo kết "
                               "nối mới với Nhanh.vn (API v3).")
            warnings_en.append("Nhanh.vn ends API v2 support after 2026-11-30. Create a new "
                               "Nhanh.vn (API v3) connection.")
        warning = token_warning(self.token_expires_at, self._now())
        if warning is not None:
            warnings_vi.append(warning.message_vi)
            warnings_en.append(warning.message_en)
        return ConnectionInfo(
            shop_name=f"Nhanh.vn – doanh nghiệp {self.business_id}",
            branches=tuple(mapping.branch(d) for d in depots),
            permissions=permissions or ("Đọc chi nhánh, danh mục, sản phẩm, khách hàng; tạo "
                                        "và cập nhật đơn hàng (theo quyền đã cấp khi đăng "
                                        "nhập)",),
            warnings_vi=tuple(warnings_vi), warnings_en=tuple(warnings_en),
            token_expires_at=self.token_expires_at)

    async def _check_token(self) -> dict | None:
        """v3 app/checkaccesstoken with the stored secret key (NH-01). A refusal is the
        connection test's answer: a wrong secret key is never reported as "Connected"."""
        if not self.secret_key:
            raise AuthError(
                "Chưa có Secret key của ứng dụng Nhanh.vn. Hãy sao chép Secret key trên "
                "open.nhanh.vn/apps vào phần kết nối rồi kiểm tra lại.",
                "The Nhanh.vn app's secret key is missing. Copy it from open.nhanh.vn/apps into "
                "the connection settings and test again.", rule="NH-01")
        try:
            return await self.api.token_status(self.secret_key)
        except (InvalidData, NotFound) as refused:
            secret = "secret" in (refused.detail or "").lower()
            reason_vi = ("Secret key không đúng" if secret
                         else f"Nhanh.vn từ chối kiểm tra mã đăng nhập ({refused.detail})")
            reason_en = ("The secret key is wrong" if secret
                         else f"Nhanh.vn refused the login check ({refused.detail})")
            raise AuthError(
                f"{reason_vi}: chưa kết nối được. Hãy sao chép lại Secret key trên "
                "open.nhanh.vn/apps (đúng ứng dụng có App ID này) rồi kiểm tra lại.",
                f"{reason_en}: not connected. Copy the secret key again from "
                "open.nhanh.vn/apps (the app with this App ID) and test again.",
                rule="NH-01", detail=refused.detail, status=refused.status) from refused

    # -- reads ----------------------------------------------------------------------------
    def pull(self, entity: Entity, since: datetime | None,
             resume: str | None = None) -> AsyncIterator[Page]:
        if entity is Entity.BRANCH:
            return self._one_page(self._branches)
        if entity is Entity.CATEGORY:
            return self._one_page(self._categories)
        if entity is Entity.PRODUCT:
            # Nhanh's product updatedAt ignores stock moves: keeping stock updated (NH-09)
            # needs the full list every run.
            if is_on(self.options.get("keep_stock_price_updated")):
                since = None
            return self._pull_products(since, resume)
        if entity is Entity.CUSTOMER:
            return self._pull_customers(since, resume)
        raise _not_supported(entity, "pull")

    async def _one_page(self, load: Callable[[], Any]) -> AsyncIterator[Page]:
        yield Page(records=tuple(await load()))

    async def _branches(self) -> list[Record]:
        return [mapping.branch(d) for d in await self.api.depots()]

    async def _categories(self) -> list[Record]:
        return [mapping.category(c) for c in await self.api.categories()]

    async def _pull_customers(self, since: datetime | None,
                              resume: str | None) -> AsyncIterator[Page]:
        cursor = json.loads(resume)["cursor"] if resume else None
        while True:
            items, following = await self.api.customers_page(cursor, since)
            yield Page(records=tuple(mapping.customer(c) for c in items),
                       resume=json.dumps({"cursor": following}) if following else None)
            if following is None:
                return
            cursor = following

    async def _pull_products(self, since: datetime | None,
                             resume: str | None) -> AsyncIterator[Page]:
        """Pages of whole products: Nhanh lists parents and their children (variants) as
        separate rows, so a family cut by a page end is held back to the next page, and a
        child whose parent is elsewhere is completed with one family look-up. Cost: one or
        two extra requests per such family, none for a full list read in id order."""
        state = json.loads(resume) if resume else {"cursor": None, "held": []}
        cursor = state.get("cursor")
        held: dict[str, _Family] = {}
        for parent_id in state.get("held") or ():
            held[parent_id] = _Family.of(await self.api.product_family(parent_id))
        emitted: set[str] = set()
        while True:
            items, following = await self.api.products_page(cursor, since)
            families, held = held, {}
            for item in items:
                child = mapping.is_variant(item)
                family_id = item["parentId"] if child else item["id"]
                family = families.get(family_id)
                if family is None:
                    family = families[family_id] = _Family()
                family.add(item, child)
            if following is not None and items:
                last = items[-1]
                last_id = last["parentId"] if mapping.is_variant(last) else last["id"]
                held[last_id] = families.pop(last_id)
            records = []
            # A linked product listed without its children needs no children read: products
            # are create-only (NH-08) and an incremental read happens only with "keep stock
            # and price updated" off (see `pull`), so only its "skipped" row comes of it and
            # the App's variants stand in for the unchanged children (issue 21).
            known = self._known(Entity.PRODUCT, [
                family_id for family_id, family in families.items()
                if family.parent is not None and not family.children
                and family_id not in emitted]) if since is not None else {}
            for family_id, family in families.items():
                if family_id in emitted:
                    continue
                linked = known.get(family_id)
                if family.parent is None:
                    family = _Family.of(await self.api.product_family(family_id))
                    if family.parent is None:
                        continue  # parent gone on Nhanh since the child was listed
                elif linked is not None and isinstance(linked.record, Product):
                    records.append(mapping.product_beside_known(family.parent, linked.record))
                    emitted.add(family_id)
                    continue
                elif since is not None and not family.children:
                    # An incremental list shows a parent whose variants did not change
                    # without them: read them, or the product would look variant-less.
                    for row in await self.api.product_children(family_id):
                        family.add(row, mapping.is_variant(row))
                records.append(mapping.product(family.parent, family.children.values()))
                emitted.add(family_id)
            token = json.dumps({"cursor": following, "held": list(held)}) if following else None
            yield Page(records=tuple(records), resume=token)
            if following is None:
                return
            cursor = following

    async def list_keys(self, entity: Entity) -> set[str] | None:
        if entity is Entity.BRANCH:
            return {d["id"] for d in await self.api.depots()}
        if entity is Entity.CATEGORY:
            return {c["id"] for c in await self.api.categories()}
        if entity is Entity.PRODUCT:
            keys: set[str] = set()
            cursor = None
            while True:
                items, cursor = await self.api.products_page(cursor, None)
                keys.update(i["parentId"] if mapping.is_variant(i) else i["id"] for i in items)
                if cursor is None:
                    return keys
        if entity is Entity.CUSTOMER:
            keys = set()
            cursor = None
            while True:
                items, cursor = await self.api.customers_page(cursor, None)
                keys.update(c["id"] for c in items)
                if cursor is None:
                    return keys
        return None

    async def deleted_order_keys(self, since: datetime) -> tuple[str, ...] | None:
        """Nhanh ids of orders deleted on Nhanh since then (v3 order/deleted); None on v2."""
        found = await self.api.deleted_order_ids(since, self._now() + timedelta(seconds=1))
        return None if found is None else tuple(found)

    async def prepare_find(self, entity: Entity, records: Sequence[Record]) -> None:
        """Nhanh's look-ups use run caches built on first use (SKU ids, recent orders)."""

    async def get(self, entity: Entity, pos_key: str) -> Record | None:
        """An order by its Nhanh id, however old (an id filter lifts Nhanh's 31/10-day order
        window); other entities are looked up by their natural key."""
        if entity is not Entity.ORDER:
            raise _not_supported(entity, "get")
        found = await self.api.orders_by_ids([pos_key]) if text(pos_key).isdigit() else []
        return mapping.order(found[0]) if found else None

    def know_branches(self, branches: Sequence[Branch]) -> None:
        """Nhanh's creates do not depend on the depot list."""

    def know_records(self, known: KnownRecords) -> None:
        """Used by an incremental product pull (see `_pull_products`)."""
        self._known = known

    async def find(self, entity: Entity, record: Record) -> Record | None:
        if entity is Entity.PRODUCT and isinstance(record, Product):
            return await self._find_product(record)
        if entity is Entity.CUSTOMER and isinstance(record, Customer):
            phone = text(record.phone)
            if not phone:
                return None
            for item in await self.api.customers_by_mobile(phone):
                if text(item.get("mobile")) == phone:
                    return mapping.customer(item)
            return None
        if entity is Entity.CATEGORY:
            for item in await self.api.categories():
                category = mapping.category(item)
                if category.name == text(record.name) and \
                        category.parent_key == getattr(record, "parent_key", None):
                    return category
            return None
        if entity is Entity.BRANCH:
            for item in await self.api.depots():
                if text(item.get("name")) == text(record.name):
                    return mapping.branch(item)
            return None
        if entity is Entity.ORDER and isinstance(record, Order):
            return await self._find_order(record)
        return None

    async def _find_product(self, record: Product) -> Product | None:
        for kind in ("sku", "barcode"):
            for variant in record.variants:
                value = text(getattr(variant, kind))
                if not value:
                    continue
                field = "code" if kind == "sku" else "barcode"
                for item in await self.api.products_by_code(value):
                    if text(item.get(field)) == value:
                        family_id = item["parentId"] if mapping.is_variant(item) else item["id"]
                        family = _Family.of(await self.api.product_family(family_id))
                        if family.parent is not None:
                            return mapping.product(family.parent, family.children.values())
        return None

    async def _find_order(self, record: Order) -> Order | None:
        """The Nhanh order carrying this App order id (v3 channel.appOrderId, v2 shopOrderId).

        Limit: Nhanh cannot filter orders by it, so the orders Nhanh created recently are read
        once per session into an index (the last 3 days, reaching back to the App order's
        creation, at most 62 days) and extended only backwards when an older App order asks.
        An order pushed earlier than that is not found. v3 also deduplicates order/add on
        appOrderId, so a repeated create there is harmless anyway; v2 does not (UNVERIFIED)."""
        now = self._now()
        start = now - FIND_ORDER_LOOKBACK
        if record.created_at is not None:
            start = max(min(start, record.created_at - timedelta(hours=1)),
                        now - FIND_ORDER_MAX_SPAN)
        if self._orders_since is None:
            await self._index_orders(start, now + timedelta(seconds=1))
        elif start < self._orders_since:
            await self._index_orders(start, self._orders_since)
        found = self._orders_by_app_id.get(text(record.key))
        return mapping.order(found) if found is not None else None

    async def _index_orders(self, start: datetime, end: datetime) -> None:
        for window_start, window_end in self.api.order_windows(start, end):
            cursor = None
            while True:
                items, cursor = await self.api.orders_page(window_start, window_end, cursor)
                for item in items:
                    if item.get("appOrderId"):
                        self._orders_by_app_id[item["appOrderId"]] = item
                if cursor is None:
                    break
        self._orders_since = start if self._orders_since is None else \
            min(start, self._orders_since)

    # -- writes ---------------------------------------------------------------------------
    async def create(self, entity: Entity, records: Sequence[Record]) -> list[PushOutcome]:
        if entity is Entity.ORDER:
            return [await self._create_order(r) for r in records]  # type: ignore[arg-type]
        if entity is Entity.PRODUCT:
            return await self._create_batches(records, self.api.product_batch,
                                              self._product_row, self.api.add_products,
                                              key_of=lambda r: r.key)
        if entity is Entity.CUSTOMER:
            return await self._create_batches(records, self.api.customer_batch,
                                              self._customer_row, self.api.add_customers,
                                              key_of=lambda r: text(r.phone))
        raise _not_supported(entity, "push")

    async def _create_order(self, record: Order) -> PushOutcome:
        try:
            ids = {index: await self._nhanh_product_id(line)
                   for index, line in enumerate(record.lines)}
            payload = mapping.new_order(record, ids)
            order_id = await self._add_order_once(record, payload)
        except InvalidValue as exc:
            return PushOutcome(app_key=record.key, error=InvalidData(
                f"Đơn hàng chưa gửi được sang Nhanh.vn: {_vi_reason(str(exc))}. Hãy bổ sung "
                "trong App rồi đồng bộ lại.",
                f"The order could not be sent to Nhanh.vn: {exc}. Complete it in the App and "
                "sync again.", rule="NH-04"))
        except PosError as exc:
            if exc.kind in _RUN_STOPPING:
                raise
            return PushOutcome(app_key=record.key, error=exc)
        if self._orders_since is not None:
            self._orders_by_app_id[payload["appOrderId"]] = {**payload, "id": order_id}
        return PushOutcome(app_key=record.key, pos_key=order_id)

    async def _add_order_once(self, record: Order, payload: dict) -> str:
        """order/add without ever making a second order (COM-02).

        When the answer is lost (502, timeout, reset) Nhanh may have created the order: it is
        looked up by its App order id among the orders Nhanh updated since just before the
        send, and sent again only when it is not there. A repeat that Nhanh refuses as a
        duplicate App order id (v3 de-duplicates) means the first one arrived: it is looked up
        again, never reported as "fields are invalid"."""
        app_order_id = payload["appOrderId"]
        sent_at = self._now()
        lost: PosError | None = None
        for attempt in range(ORDER_SEND_ATTEMPTS):
            try:
                return await self.api.add_order(payload)
            except WriteOutcomeUnknown as error:
                lost = error
            except InvalidData as error:
                if not is_duplicate_order(error):
                    raise
                found = await self._order_sent_since(app_order_id, sent_at)
                if found is None:   # sent by an earlier run: the wider look-up of find()
                    earlier = await self._find_order(record)
                    found = earlier.key if earlier is not None else None
                if found is not None:
                    return found
                raise InvalidData(
                    "Nhanh.vn đã có một đơn mang mã đơn App này nhưng ShopSync không đọc lại "
                    "được. Hãy tìm đơn trên Nhanh.vn theo mã đơn App rồi đồng bộ lại; đừng tạo "
                    "lại đơn trong App.",
                    "Nhanh.vn already has an order with this App order id, but ShopSync could "
                    "not read it back. Look the order up on Nhanh.vn by its App order id and "
                    "sync again; do not re-create the order in the App.", rule="COM-02",
                    detail=error.detail, status=error.status) from error
            found_id = await self._order_sent_since(app_order_id, sent_at)
            if found_id is not None:
                return found_id
            if attempt + 1 < ORDER_SEND_ATTEMPTS:
                await self.client.http.sleep(self.client.http.retry.backoff(attempt,
                                                                           self._rng))
        assert lost is not None
        raise lost

    async def _order_sent_since(self, app_order_id: str, since: datetime) -> str | None:
        """The Nhanh id of the order carrying `app_order_id` among the orders updated since
        `since` (minus a margin), or None."""
        start, end = since - LOST_ANSWER_MARGIN, self._now() + timedelta(seconds=1)
        for window_start, window_end in self.api.order_windows(start, end):
            cursor = None
            while True:
                items, cursor = await self.api.orders_updated_page(window_start, window_end,
                                                                   cursor)
                for item in items:
                    if text(item.get("appOrderId")) == app_order_id:
                        return text(item["id"])
                if cursor is None:
                    break
        return None

    async def _nhanh_product_id(self, line: Any) -> str:
        """The Nhanh id of what a line sells. The engine gives a line the linked Nhanh
        product id and the variant's SKU; a product with variants is a Nhanh parent, and
        Nhanh sells the child. Each linked product's children are read once per run (none
        when it has none: then it sells itself), so no SKU search is made per line (issue
        19.10); a SKU search is left only for a line whose product is not linked."""
        product_id = text(line.product_key)
        sku = text(line.sku)
        if text(line.variant_key).isdigit():
            return text(line.variant_key)
        if product_id.isdigit():
            if product_id not in self._sellable:
                # Rows of another parent are dropped: v2's parentId filter is UNVERIFIED, and
                # a list that ignored it must not make a stranger's SKU look like a child.
                self._sellable[product_id] = {
                    text(child.get("code")): child["id"]
                    for child in await self.api.product_children(product_id)
                    if text(child.get("parentId")) == product_id}
            children = self._sellable[product_id]
            if not children:
                return product_id
            if sku in children:
                return children[sku]
            if len(children) == 1:
                return next(iter(children.values()))
            raise InvalidValue(f"product {sku or line.name!r} is not on Nhanh")
        if sku:
            if sku not in self._ids_by_sku:
                for item in await self.api.products_by_code(sku):
                    if text(item.get("code")) == sku:
                        self._ids_by_sku[sku] = item["id"]
                        break
            if sku in self._ids_by_sku:
                return self._ids_by_sku[sku]
        raise InvalidValue(f"product {sku or line.name!r} is not on Nhanh")

    @staticmethod
    def _product_row(record: Product) -> dict:
        if len(record.variants) != 1:
            raise InvalidValue("a product with several variants cannot be added through the API")
        variant = record.variants[0]
        return {"appId": record.key, "name": record.name, "code": variant.sku,
                "barcode": variant.barcode, "price": variant.price,
                "categoryId": record.category_keys[0] if record.category_keys else ""}

    @staticmethod
    def _customer_row(record: Customer) -> dict:
        if not text(record.phone) or not text(record.name):
            raise InvalidValue("customer needs a name and a mobile")
        return {"name": record.name, "mobile": text(record.phone), "email": record.email,
                "address": record.address}

    async def _create_batches(self, records: Sequence[Any], size: int, row: Callable,
                              send: Callable, key_of: Callable) -> list[PushOutcome]:
        outcomes: dict[str, PushOutcome] = {}
        ready: list[tuple[Any, dict]] = []
        for record in records:
            try:
                ready.append((record, row(record)))
            except InvalidValue as exc:
                outcomes[record.key] = PushOutcome(app_key=record.key, error=InvalidData(
                    f"Chưa gửi được sang Nhanh.vn: {_vi_reason(str(exc))}.",
                    f"Could not be sent to Nhanh.vn: {exc}."))
        for start in range(0, len(ready), size):
            chunk = ready[start:start + size]
            try:
                ids = await send([payload for _, payload in chunk])
            except PosError as exc:
                if exc.kind in _RUN_STOPPING:
                    raise
                for record, _ in chunk:
                    outcomes[record.key] = PushOutcome(app_key=record.key, error=exc)
                continue
            for record, _ in chunk:
                pos_key = ids.get(text(key_of(record)), "")
                outcomes[record.key] = PushOutcome(app_key=record.key, pos_key=pos_key)
        return [outcomes[r.key] for r in records]

    async def update(self, entity: Entity, pos_key: str, record: Record) -> Record:
        raise _not_supported(entity, "update")

    async def set_order_status(self, pos_key: str, status: OrderStatus) -> Record | None:
        code = mapping.PUSHED_STATUS.get(status)
        if code is None:
            raise NotSupported(
                "Trạng thái này không được gửi sang Nhanh.vn: chỉ \"Đã đối soát\" và \"Đã huỷ\" "
                "được gửi (NH-04).",
                "This status is not sent to Nhanh.vn: only \"reconciled\" and \"cancelled\" "
                "are (NH-04).", rule="NH-04")
        try:
            await self._set_status_once(pos_key, code)
        except (InvalidData, NotFound) as exc:
            if status is OrderStatus.CANCELLED:
                raise InvalidData(
                    "Nhanh.vn không cho huỷ đơn này qua API: đơn đã qua bước xác nhận (đang "
                    "đóng gói, giao hàng hoặc đã xong). Hãy huỷ hoặc xử lý hoàn đơn trực tiếp "
                    "trên Nhanh.vn.",
                    "Nhanh.vn refuses to cancel this order through the API: it is past "
                    "confirmation (packing, shipping or done). Cancel or return it on Nhanh.vn "
                    "directly.", rule="NH-04", detail=exc.detail, status=exc.status) from exc
            raise InvalidData(
                "Nhanh.vn không nhận trạng thái \"Thành công\" cho đơn này (ví dụ đơn đã huỷ "
                "hoặc đã hoàn). Hãy kiểm tra đơn trên Nhanh.vn.",
                "Nhanh.vn refused to mark this order successful (e.g. it was cancelled or "
                "returned). Check the order on Nhanh.vn.", rule="NH-04", detail=exc.detail,
                status=exc.status) from exc
        return None

    async def _set_status_once(self, pos_key: str, code: int) -> None:
        """order/edit (v2 order/update) whose lost answer is checked by reading the order by
        its id (no date window, so an order pushed months ago is read too) before sending it
        again: a second send of a status that took would be refused ("already finished")."""
        for attempt in range(ORDER_SEND_ATTEMPTS):
            try:
                await self.api.set_order_status(pos_key, code)
                return
            except WriteOutcomeUnknown as lost:
                found = await self.api.orders_by_ids([pos_key])
                if found and int(found[0].get("status") or 0) == code:
                    return
                if attempt + 1 == ORDER_SEND_ATTEMPTS:
                    raise lost
                await self.client.http.sleep(self.client.http.retry.backoff(attempt,
                                                                           self._rng))

    async def aclose(self) -> None:
        await self.client.aclose()


class _Family:
    """A Nhanh parent product and its children, children kept once by id."""

    def __init__(self) -> None:
        self.parent: dict | None = None
        self.children: dict[str, dict] = {}

    def add(self, item: dict, child: bool) -> None:
        """`child`: mapping.is_variant(item), which the caller has already asked."""
        if child:
            self.children[item["id"]] = item
        else:
            self.parent = item

    @classmethod
    def of(cls, items: list[dict]) -> "_Family":
        family = cls()
        for item in items:
            family.add(item, mapping.is_variant(item))
        return family




_REASONS_VI = {
    "order needs the customer's name and mobile": "đơn cần tên và số điện thoại khách",
    "order has no lines": "đơn chưa có sản phẩm",
    "v2 order needs the city and district at the end of the address":
        "Nhanh.vn (API v2) cần địa chỉ giao hàng ghi rõ quận/huyện và tỉnh/thành ở cuối "
        "(ví dụ \"12 Lê Lợi, Quận 1, TP. Hồ Chí Minh\")",
    "customer needs a name and a mobile": "khách hàng cần tên và số điện thoại",
    "a product with several variants cannot be added through the API":
        "sản phẩm nhiều phiên bản không thêm được qua API",
}


def _vi_reason(reason: str) -> str:
    if reason.startswith("product ") and reason.endswith(" is not on Nhanh"):
        return f"sản phẩm {reason[8:-16]} chưa có trên Nhanh.vn (hãy đồng bộ sản phẩm trước)"
    return _REASONS_VI.get(reason, reason)


def _not_supported(entity: Entity, action: str) -> NotSupported:
    rules = {Entity.PRODUCT: "NH-08", Entity.CATEGORY: "NH-08", Entity.CUSTOMER: "NH-06",
             Entity.BRANCH: "NH-05", Entity.ORDER: "NH-04"}
    return NotSupported(
        f"Nhanh.vn không hỗ trợ thao tác này cho {entity.value} (xem quy tắc "
        f"{rules.get(entity, 'NH')}).",
        f"Nhanh.vn does not support {action} for {entity.value} (see rule "
        f"{rules.get(entity, 'NH')}).", rule=rules.get(entity, ""))
