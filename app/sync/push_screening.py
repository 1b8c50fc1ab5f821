"""Before a product push: App products that would create two POS products with one code.

Two App products that are not yet on the POS and share a SKU (or a barcode) would each be
created by `push --all-new` — two Sapo or KiotViet products with the same SKU, which is the
duplicate COM-02 forbids. Matching cannot help: neither exists on the POS yet. Both are
blocked, and the message names both, so the owner knows which one to change.

The engine's push step (app/sync/pushing.py) and the App data page's push preview call
`shared_code_blocks` with the products about to be created.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from app.store.catalog import match_value
from contract.records import Entity, Product

RULE = "COM-02"


@dataclass(frozen=True)
class SharedCode:
    """Why one App product is blocked: `code` ("sku"/"barcode") `value` is also on `others`."""

    app_id: str
    code: str
    value: str
    others: tuple[tuple[str, str], ...]      # (App id, name) of the other products
    rule: str = RULE

    @property
    def message_vi(self) -> str:
        names = ", ".join(f"{app_id} ({name})" for app_id, name in self.others)
        label = "SKU" if self.code == "sku" else "mã vạch"
        return (f"Chưa đẩy: {label} “{self.value}” cũng là của {names}, chưa có trên POS. Đẩy "
                f"cả hai sẽ tạo hai sản phẩm cùng mã ({RULE}); đổi mã của một sản phẩm rồi "
                "đẩy lại.")

    @property
    def message_en(self) -> str:
        names = ", ".join(f"{app_id} ({name})" for app_id, name in self.others)
        label = "SKU" if self.code == "sku" else "barcode"
        return (f"Not pushed: {label} “{self.value}” also belongs to {names}, not on the POS "
                f"yet. Pushing both would create two products with one code ({RULE}); change "
                "the code of one of them and push again.")


def shared_code_blocks(catalog: Any, products: Iterable[Product],
                       is_linked: Callable[[str], bool]) -> dict[str, SharedCode]:
    """App id → SharedCode for each of `products` whose SKU or barcode another unlinked App
    product also has (`is_linked(app_id)` says whether a product is already on the POS)."""
    products = list(products)
    wanted: dict[tuple[str, str], list[tuple[Product, str]]] = {}
    for product in products:
        for variant in product.variants:
            for code, shown in (("sku", variant.sku), ("barcode", variant.barcode)):
                value = match_value(code, shown)
                if value:
                    wanted.setdefault((code, value), []).append((product, shown))
    if not wanted:
        return {}
    owners = catalog.find_many(Entity.PRODUCT, list(wanted))
    names = {p.key: p.name for p in products}
    blocks: dict[str, SharedCode] = {}
    for pair, holders in wanted.items():
        for product, shown in holders:
            if product.key in blocks:
                continue
            others = [app_id for app_id in owners.get(pair, []) if app_id != product.key
                      and not is_linked(app_id)]
            if not others:
                continue
            named = []
            for app_id in others:
                if app_id not in names:
                    record = catalog.get(Entity.PRODUCT, app_id)
                    names[app_id] = record.name if record is not None else ""
                named.append((app_id, names[app_id]))
            blocks[product.key] = SharedCode(product.key, pair[0], shown, tuple(named))
    return blocks
