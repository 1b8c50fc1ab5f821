"""Nhanh Open API v3.0 (DOC /v3): POST raw JSON to /v3.0/<module>/<action>, appId and
businessId in the query, `Authorization: <token>` (no "Bearer"), opaque cursor paging,
numeric statuses, unix-second times, order windows of at most 31 days.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from connectors.nhanh.adapter import Cursor, NhanhApi
from connectors.nhanh.adapter import pos_id as _id

PAGE_SIZE = 100


def unix(value: datetime) -> int:
    return int(value.timestamp())


def from_unix(value: Any) -> datetime | None:
    if value in (None, "", 0):
        return None
    return datetime.fromtimestamp(int(value), tz=timezone.utc)



def _product(item: dict) -> dict:
    inventory = item.get("inventory") or {}
    images = item.get("images") or {}
    pictures = [images.get("avatar")] + list(images.get("others") or []) \
        if isinstance(images, dict) else list(images)
    prices = item.get("prices") or {}
    return {
        "id": _id(item.get("id")), "parentId": _id(item.get("parentId")),
        "code": item.get("code"), "barcode": item.get("barcode"), "name": item.get("name"),
        "status": item.get("status"), "categoryId": _id(item.get("categoryId")),
        "prices": {"retail": prices.get("retail"), "old": prices.get("old")},
        "images": [p for p in pictures if p],
        "depots": [{"id": _id(d.get("id")), "available": d.get("available")}
                   for d in inventory.get("depots") or ()],
        "updatedAt": from_unix(item.get("updatedAt")),
        "description": item.get("description"), "attributes": item.get("attributes") or [],
        "unit": (item.get("units") or {}).get("name") if isinstance(item.get("units"), dict)
        else item.get("unit"),
    }


def order_discount(payment: Any) -> Any:
    """UNVERIFIED: the order-level discount of a v3 order. The docs show `payment.discount`
    as an object without naming its fields; `amount` (or `value`) is read, a plain number is
    taken as is. One function, so the live key is fixed here only."""
    raw = (payment or {}).get("discount") if isinstance(payment, dict) else None
    if isinstance(raw, dict):
        return raw.get("amount", raw.get("value", 0))
    return raw or 0


def _customer(item: dict) -> dict:
    return {"id": _id(item.get("id")), "name": item.get("name"), "mobile": item.get("mobile"),
            "email": item.get("email"), "address": item.get("address"),
            "gender": item.get("gender"), "birthday": item.get("birthday"),
            "updatedAt": from_unix(item.get("updatedAt"))}


def _order(item: dict) -> dict:
    info, channel = item.get("info") or {}, item.get("channel") or {}
    address = item.get("shippingAddress") or {}
    carrier = item.get("carrier") if isinstance(item.get("carrier"), dict) else {}
    return {
        "id": _id(info.get("id")), "appOrderId": _id(channel.get("appOrderId")),
        "status": info.get("status"), "depotId": _id(info.get("depotId")),
        "createdAt": from_unix(info.get("createdAt")),
        "updatedAt": from_unix(info.get("updatedAt")),
        "name": address.get("name"), "mobile": address.get("mobile"),
        "address": address.get("address"), "description": info.get("description"),
        "customerId": _id(address.get("id")),
        "discount": order_discount(item.get("payment")),
        "shipFee": carrier.get("customerShipFee") or 0,
        "products": [{"id": _id(p.get("productId") or p.get("id")),
                      "quantity": p.get("quantity"), "price": p.get("price"),
                      "discount": p.get("discount") or 0, "vat": p.get("vatPercent") or 0,
                      "name": p.get("name"), "code": p.get("code")}
                     for p in item.get("products") or ()],
    }


class V3Api(NhanhApi):
    version = "3"
    order_window = timedelta(days=31)
    product_batch = 100
    customer_batch = 100

    async def call(self, endpoint: str, body: Any, *, write: bool,
                   idempotent: bool = False) -> dict:
        return await self.client.post(
            f"/v3.0/{endpoint}", params={"appId": self.app_id, "businessId": self.business_id},
            json=body, headers={"Authorization": self.access_token},
            idempotent=not write or idempotent)

    async def _page(self, endpoint: str, filters: dict, cursor: Cursor,
                    size: int = PAGE_SIZE) -> tuple[list, Cursor]:
        paginator: dict[str, Any] = {"size": size, "sort": {"id": "asc"}}
        if cursor is not None:
            paginator["next"] = cursor  # echoed exactly as received ({"id": 123}, not 123)
        envelope = await self.call(endpoint, {"filters": filters, "paginator": paginator},
                                   write=False)
        following = (envelope.get("paginator") or {}).get("next")
        # A short page that still carries `next` is not the end; only a missing next is.
        return list(envelope.get("data") or []), following if following else None

    async def depots(self) -> list[dict]:
        envelope = await self.call("business/depot", {"filters": {}}, write=False)
        return [{"id": _id(d.get("id")), "name": d.get("name"), "mobile": d.get("mobile"),
                 "address": ((d.get("locationV2") or d.get("location") or {}).get("address"))}
                for d in envelope.get("data") or ()]

    async def categories(self) -> list[dict]:
        envelope = await self.call("product/category", {"filters": {}}, write=False)
        return [{"id": _id(c.get("id")), "parentId": _id(c.get("parentId")),
                 "name": c.get("name"), "code": c.get("code"), "order": c.get("order"),
                 "status": c.get("status")}
                for c in envelope.get("data") or ()]

    async def products_page(self, cursor: Cursor, since: datetime | None
                            ) -> tuple[list[dict], Cursor]:
        filters = {"updatedAtFrom": unix(since)} if since else {}
        items, following = await self._page("product/list", filters, cursor)
        return [_product(item) for item in items], following

    async def product_parent(self, parent_id: str) -> list[dict]:
        items, _ = await self._page("product/list", {"ids": [int(parent_id)]}, None)
        return [_product(item) for item in items]

    async def product_children(self, parent_id: str) -> list[dict]:
        children: list[dict] = []
        cursor: Cursor = None
        while True:
            items, cursor = await self._page("product/list", {"parentId": int(parent_id)},
                                             cursor)
            children.extend(_product(item) for item in items)
            if cursor is None:
                return children

    async def products_by_code(self, code: str) -> list[dict]:
        items, _ = await self._page("product/list", {"name": code}, None)
        return [_product(item) for item in items]

    async def customers_page(self, cursor: Cursor, since: datetime | None
                             ) -> tuple[list[dict], Cursor]:
        filters = {"updatedAtFrom": unix(since)} if since else {}
        items, following = await self._page("customer/list", filters, cursor)
        return [_customer(item) for item in items], following

    async def customers_by_mobile(self, mobile: str) -> list[dict]:
        items, _ = await self._page("customer/list", {"mobile": mobile}, None)
        return [_customer(item) for item in items]

    async def orders_page(self, start: datetime, end: datetime, cursor: Cursor
                          ) -> tuple[list[dict], Cursor]:
        filters = {"createdAtFrom": unix(start), "createdAtTo": unix(end) - 1}
        items, following = await self._page("order/list", filters, cursor)
        return [_order(item) for item in items], following

    async def orders_updated_page(self, start: datetime, end: datetime, cursor: Cursor
                                  ) -> tuple[list[dict], Cursor]:
        filters = {"updatedAtFrom": unix(start), "updatedAtTo": unix(end) - 1}
        items, following = await self._page("order/list", filters, cursor)
        return [_order(item) for item in items], following

    async def orders_by_ids(self, ids: list[str]) -> list[dict]:
        found: list[dict] = []
        for start in range(0, len(ids), PAGE_SIZE):
            items, _ = await self._page("order/list",
                                        {"ids": [int(i) for i in ids[start:start + PAGE_SIZE]]},
                                        None)
            found.extend(_order(item) for item in items)
        return found

    async def deleted_order_ids(self, since: datetime, until: datetime) -> list[str] | None:
        ids: list[str] = []
        for start, end in self.order_windows(since, until):
            cursor: Cursor = None
            while True:
                items, cursor = await self._page(
                    "order/deleted", {"createdAtFrom": unix(start), "createdAtTo": unix(end) - 1},
                    cursor)
                ids.extend(_id(item.get("id")) for item in items)
                if cursor is None:
                    break
        return ids

    async def token_status(self, secret_key: str) -> dict | None:
        envelope = await self.call("app/checkaccesstoken", {"secretKey": secret_key},
                                   write=False)
        data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
        return {"raw": envelope.get("data"), "expiresAt": from_unix(data.get("expiredAt")),
                "depotIds": [_id(d) for d in data.get("depotIds") or () if _id(d) != "All"],
                "permissions": list(data.get("permissions") or ())}

    async def add_order(self, order: dict) -> str:
        body = {
            "info": {"type": 1, "status": order["status"],
                     **({"depotId": int(order["depotId"])} if order.get("depotId") else {}),
                     **({"description": order["description"]} if order.get("description")
                        else {})},
            "channel": {"appOrderId": order["appOrderId"]},
            "shippingAddress": {"name": order["name"], "mobile": order["mobile"],
                                **({"address": order["address"]} if order.get("address")
                                   else {})},
            "products": [{"id": int(p["id"]), "price": p["price"], "quantity": p["quantity"],
                          **({"discount": p["discount"]} if p.get("discount") else {})}
                         for p in order["products"]],
            # Pro-rated to the lines by Nhanh (DOC /v3/order/add).
            **({"payment": {"discountAmount": order["discount"]}} if order.get("discount")
               else {}),
            # The fee charged to the customer (see mapping.SEND_CUSTOMER_FEE).
            **({"carrier": {"customerShipFee": order["shipFee"]}} if order.get("shipFee")
               else {}),
        }
        envelope = await self.call("order/add", body, write=True)
        return _id((envelope.get("data") or {}).get("id"))

    async def set_order_status(self, order_id: str, status: int) -> None:
        await self.call("order/edit", {"info": {"id": int(order_id), "status": status}},
                        write=True)

    async def add_products(self, batch: list[dict]) -> dict[str, str]:
        body = [{"appProductId": p["appId"], "name": p["name"], "code": p.get("code"),
                 "barcode": p.get("barcode"), "price": p.get("price"),
                 **({"categoryId": int(p["categoryId"])} if p.get("categoryId") else {})}
                for p in batch]
        envelope = await self.call("product/add", body, write=True)
        return {_id(row.get("appProductId")): _id(row.get("id"))
                for row in envelope.get("data") or ()}

    async def add_customers(self, batch: list[dict]) -> dict[str, str]:
        body = [{key: c[key] for key in ("name", "mobile", "email", "address") if c.get(key)}
                for c in batch]
        envelope = await self.call("customer/add", body, write=True)
        return {_id(row.get("mobile")): _id(row.get("id")) for row in envelope.get("data") or ()}
