"""The run's vocabulary in the shop's words, for what the command line prints and exports.

The store and `--format json` keep the machine values ("customer", "create", "ok"): scripts
read those. A person reading `shopsync results`, an import summary or an exported sheet reads
these words, in the language chosen with --lang (B-04). The window has its own table
(ui/i18n.py); the two say the same things.
"""
from __future__ import annotations

from contract.records import ORDER_STATUS_VI, Entity, OrderStatus

# (vi, en singular, en plural): Vietnamese counts do not change the noun ("2 sản phẩm").
_ENTITIES: dict[str, tuple[str, str, str]] = {
    Entity.BRANCH.value: ("chi nhánh", "branch", "branches"),
    Entity.CATEGORY.value: ("danh mục", "category", "categories"),
    Entity.PRODUCT.value: ("sản phẩm", "product", "products"),
    Entity.CUSTOMER.value: ("khách hàng", "customer", "customers"),
    Entity.ORDER.value: ("đơn hàng", "order", "orders"),
    Entity.NEWS.value: ("tin tức", "news item", "news items"),
}

_WORDS: dict[str, tuple[str, str]] = {
    # directions
    "pos_to_app": ("POS → App", "POS → App"),
    "app_to_pos": ("App → POS", "App → POS"),
    # actions
    "create": ("tạo", "create"),
    "update": ("cập nhật", "update"),
    "skip": ("bỏ qua", "skip"),
    "conflict": ("xung đột", "conflict"),
    "blocked": ("bị chặn", "blocked"),
    "deleted_on_pos": ("đã xoá trên POS", "deleted on POS"),
    "manual": ("cần tự làm", "do by hand"),
    "status": ("trạng thái", "status"),
    "removed": ("đã gỡ", "removed"),
    "restored": ("đã khôi phục", "restored"),
    # outcomes
    "planned": ("dự kiến", "planned"),
    "ok": ("xong", "done"),
    "failed": ("lỗi", "failed"),
    "skipped": ("bỏ qua", "skipped"),
}

# Column titles of the results table and its exports (key = the JSON / stored field name).
RESULT_TITLES: dict[str, tuple[str, str]] = {
    "run": ("Lần chạy", "Run"),
    "entity": ("Loại", "Type"),
    "direction": ("Chiều", "Direction"),
    "app_id": ("Mã App", "App ID"),
    "pos_id": ("Mã POS", "POS ID"),
    "name": ("Tên", "Name"),
    "action": ("Việc", "Action"),
    "outcome": ("Kết quả", "Outcome"),
    "rule": ("Luật", "Rule"),
    "message_vi": ("Thông báo (tiếng Việt)", "Message (Vietnamese)"),
    "message_en": ("Thông báo (tiếng Anh)", "Message (English)"),
    "message": ("Thông báo", "Message"),
    "at": ("Thời điểm (giờ Việt Nam, UTC+7)", "Time (Vietnam, UTC+7)"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "vi" else pair[1]


def entity_word(entity: str, lang: str, count: int = 1) -> str:
    vi, one, many = _ENTITIES.get(str(entity), (str(entity),) * 3)
    return vi if lang == "vi" else (one if count == 1 else many)


def counted(counts: dict, lang: str) -> str:
    """"1 sản phẩm, 2 khách hàng" / "1 product, 2 customers"; "0" when empty."""
    return ", ".join(f"{n} {entity_word(entity, lang, n)}" for entity, n in counts.items()) \
        or "0"


def word(value: str, lang: str) -> str:
    """An action, outcome or direction in words; an unknown value as it is."""
    pair = _WORDS.get(str(value))
    return _pick(pair, lang) if pair else str(value)


def status_word(status: OrderStatus | str, lang: str) -> str:
    status = OrderStatus(status)
    return ORDER_STATUS_VI[status].lower() if lang == "vi" \
        else status.value.replace("_", " ")


def title(key: str, lang: str) -> str:
    return _pick(RESULT_TITLES.get(key, (key, key)), lang)
