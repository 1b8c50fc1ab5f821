"""The sandbox's sample shop: a seeded Vietnamese café/fashion shop (B-01).

Products are derived from their index on demand, so a 100,000-product shop costs nothing until a
page of it is read; only records that were written are kept as dicts.
"""
from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass
from typing import Any

PRODUCT_BASE = 100_000          # generated product i has id PRODUCT_BASE + i
VARIANT_BASE = 1_000_000        # … its variants VARIANT_BASE + 4i + j
ITEM_BASE = 3_000_000           # … their inventory items ITEM_BASE + 4i + j
COLLECT_BASE = 4_000_000        # … and its one collect COLLECT_BASE + i
COLLECTION_BASE = 1_001
LOCATION_BASE = 501
SLOTS = 4                       # variant ids reserved per generated product
# Every PACK_EVERY-th simple product is also sold as a pack ("đơn vị quy đổi"): a Sapo variant
# of type "packsize" whose stock is made of the base variant's (requires_components).
PACK_EVERY, PACK_UNIT, PACK_SIZE = 4, "Lốc 6", 6
PACK_LABEL = f"{PACK_UNIT} - Phiên bản gốc"      # Sapo's option1 for such a variant


@dataclass(frozen=True)
class Group:
    name: str
    kind: str                   # "size" | "color_size" | "simple"
    names: tuple[str, ...]
    prices: tuple[int, ...]


GROUPS = (
    Group("Cà phê", "size", ("Cà phê sữa đá", "Cà phê đen đá", "Bạc xỉu", "Cà phê muối",
                             "Cà phê trứng", "Cold brew cam sả"), (25000, 29000, 35000, 39000)),
    Group("Trà", "size", ("Trà đào cam sả", "Trà vải", "Trà sen vàng", "Trà ô long sữa",
                          "Trà xanh nhài"), (30000, 35000, 42000, 45000)),
    Group("Bánh ngọt", "simple", ("Bánh mì bơ tỏi", "Bánh bông lan trứng muối", "Bánh croissant",
                                  "Bánh su kem", "Bánh flan", "Bánh tiramisu"), (15000, 22000, 35000)),
    Group("Nước ép", "size", ("Nước ép cam", "Nước ép dưa hấu", "Nước ép ổi", "Nước ép cà rốt"),
          (32000, 38000, 45000)),
    Group("Sinh tố", "size", ("Sinh tố bơ", "Sinh tố xoài", "Sinh tố mãng cầu", "Sinh tố dâu"),
          (40000, 45000, 50000)),
    Group("Đồ ăn nhẹ", "simple", ("Hạt điều rang muối", "Khô gà lá chanh", "Bánh tráng trộn",
                                  "Hướng dương vị dừa"), (20000, 25000, 55000)),
    Group("Áo thun", "color_size", ("Áo thun cổ tròn", "Áo phông in chữ Sài Gòn",
                                    "Áo polo đồng phục"), (149000, 189000, 229000)),
    Group("Quà tặng", "simple", ("Hộp quà Tết an khang", "Túi vải canvas", "Ly sứ Bát Tràng"),
          (99000, 159000, 350000)),
)
SIZES = ("S", "M", "L")
SIZE_EXTRA = {"S": 0, "M": 5000, "L": 10000}
COLOURS = ("Đen", "Trắng", "Đỏ đô", "Xanh rêu")
LOCATIONS = (("Chi nhánh Hà Nội", "12 Hàng Bài", "Hà Nội", "02439360000"),
             ("Chi nhánh Hồ Chí Minh", "65 Lê Lợi", "Hồ Chí Minh", "02838290000"),
             ("Chi nhánh Đà Nẵng", "20 Bạch Đằng", "Đà Nẵng", "02363820000"))
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Thu", "Đức", "Thanh", "Hoài", "Quốc", "Bảo")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Long",
         "Mai", "Nam", "Phương", "Quân", "Trang", "Tuấn", "Vy", "Yến", "Thảo")
PHONE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "032", "033", "035", "037",
                  "038", "039", "086")
ADDRESSES = (("Hà Nội", "Quận Ba Đình", "Phường Điện Biên", "25 Điện Biên Phủ"),
             ("Hồ Chí Minh", "Quận 1", "Phường Bến Nghé", "102 Nguyễn Huệ"),
             ("Đà Nẵng", "Quận Hải Châu", "Phường Thạch Thang", "8 Trần Phú"),
             ("Cần Thơ", "Quận Ninh Kiều", "Phường An Hội", "41 Hai Bà Trưng"),
             ("Huế", "Thành phố Huế", "Phường Phú Hội", "17 Lê Lợi"))
BLOGS = (("Tin tức", ("Khai trương chi nhánh Đà Nẵng", "Thực đơn mùa hè 2026",
                      "Câu chuyện hạt cà phê Cầu Đất", "Tuyển nhân viên pha chế")),
         ("Khuyến mãi", ("Mua 2 tặng 1 thứ Ba hằng tuần", "Giảm 20% cho hội viên",
                         "Quà Trung thu cho khách quen", "Miễn phí giao hàng dưới 3 km")))


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def category_index(i: int, seed: int) -> int:
    """Which group product i belongs to, without a random generator (cheap at 100,000)."""
    return (i * 7 + seed) % len(GROUPS)


def generated_stock(item_index: int, location_index: int) -> int:
    return (item_index * 7 + location_index * 11) % 60


def _shape(i: int, seed: int) -> tuple[random.Random, Any, str, int, tuple, list[tuple]]:
    """Product i's group, name, price, option names and variant combinations; the generator
    is returned where it stopped so the rest of the product draws the same numbers."""
    rng = random.Random(seed * 1_000_003 + i)
    group = GROUPS[category_index(i, seed)]
    name = rng.choice(group.names)
    if i >= 40:
        name = f"{name} {i + 1}"
    price = rng.choice(group.prices)
    if group.kind == "size":
        option_names, combos = ("Kích cỡ",), [(s,) for s in SIZES[: rng.randint(1, 3)]]
    elif group.kind == "color_size":
        colours = rng.sample(COLOURS, 2)
        option_names, combos = ("Màu", "Kích cỡ"), [(c, s) for c in colours for s in ("M", "L")][:SLOTS]
    else:
        option_names, combos = ("Tiêu đề",), [("Default Title",)]
        if i % PACK_EVERY == 1:
            combos.append((PACK_LABEL,))
    return rng, group, name, price, option_names, combos


@functools.lru_cache(maxsize=4096)
def variant_count(i: int, seed: int) -> int:
    """How many variants product i has, without building it (stock reads need only this).
    Kept for the last few thousand products: each location's stock reads ask again for the
    same page of products, and seeding a generator per ask was a tenth of this sandbox."""
    return len(_shape(i, seed)[5])


def generate_product(i: int, seed: int, base_time: float, span: float,
                     location_count: int) -> dict:
    rng, group, name, price, option_names, combos = _shape(i, seed)
    pid = PRODUCT_BASE + i
    modified = base_time + span * (i + 1) / 100_000 % span
    stamp = iso(modified)
    variants = []
    for j, combo in enumerate(combos):
        item_index = i * SLOTS + j
        extra = SIZE_EXTRA.get(combo[-1], 0) if group.kind == "size" else 0
        pack = combo == (PACK_LABEL,)
        sku = f"SP{i + 1:06d}" if group.kind == "simple" else f"SP{i + 1:06d}-{j + 1}"
        if pack:
            sku, extra = f"SP{i + 1:06d}-L6", price * (PACK_SIZE - 1) - 5000
        variant = {
            "id": VARIANT_BASE + item_index, "product_id": pid,
            "inventory_item_id": ITEM_BASE + item_index, "sku": sku,
            "barcode": f"893{seed % 10}{item_index:09d}", "price": float(price + extra),
            "compare_at_price": float(price + extra + 10000) if rng.random() < 0.2 else 0.0,
            "title": " / ".join(combo), "taxable": False, "inventory_management": "bizweb",
            "inventory_policy": "deny",
            "inventory_quantity": float(sum(generated_stock(item_index, k)
                                            for k in range(location_count))),
            "requires_shipping": True, "weight": 250.0, "weight_unit": "g", "grams": 250,
            "unit": (PACK_UNIT if pack else "ly" if group.kind == "size" else "cái"),
            "image_id": None, "position": j + 1, "type": "packsize" if pack else "normal",
            "requires_components": pack, "created_on": stamp, "modified_on": stamp}
        for k in range(3):
            variant[f"option{k + 1}"] = combo[k] if k < len(combo) else None
        variants.append(variant)
    images = [{"id": 7_000_000 + i, "product_id": pid, "position": 1, "variant_ids": [],
               "src": f"https://bizweb.dktcdn.net/100/{seed}/products/sp-{i + 1}.jpg",
               "alt": None, "filename": f"sp-{i + 1}.jpg", "width": 800, "height": 800}]
    return {
        "id": pid, "name": name, "alias": f"sp-{i + 1}", "vendor": "Cửa hàng mẫu",
        "product_type": group.name, "summary": None,
        "content": f"<p>{name} – hương vị Việt, làm mới mỗi ngày.</p>", "tags": group.name,
        "status": "active", "type": "normal",
        "published_on": None if rng.random() < 0.08 else stamp, "template_layout": "product",
        "meta_title": None, "meta_description": None, "created_on": stamp, "modified_on": stamp,
        "options": [{"id": 8_000_000 + i * 3 + k, "name": n, "position": k + 1,
                     "values": list(dict.fromkeys(c[k] for c in combos))}
                    for k, n in enumerate(option_names)],
        "images": images, "image": images[0], "variants": variants}


def person(rng: random.Random) -> tuple[str, str]:
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    local = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10_000_000):07d}"
    phone = "+84" + local[1:] if rng.random() < 0.3 else local
    return name, phone
