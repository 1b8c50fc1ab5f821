"""Reduce whatever the shop owner pastes to the bare Sapo shop name (SAPO-11, SAPO-01).

Owners copy the address bar of their Sapo admin, the storefront address or just the name, with
stray spaces and capitals; the API only answers on `https://NAME.mysapo.net`, so the name is
the one thing worth keeping.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from contract.connector import InvalidInput

# Hosts whose first label is the shop name. `sapo.net` is the form the seed shows
# (UNVERIFIED as an API host: we only keep the name and always call mysapo.net).
SHOP_DOMAINS = (".mysapo.net", ".sapo.net")
# Sapo GO / Sapo Express speak a different API (SAPO-01).
OTHER_SAPO_PRODUCTS = ("mysapogo.com", "sapogo", "sapoexpress")
_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def shop_name(pasted: str) -> str:
    """`banhangonline`, `https://BanHangOnline.sapo.net`, `banhangonline.mysapo.net/admin`
    → `banhangonline`; raises InvalidInput with a bilingual reason otherwise."""
    raw = "".join((pasted or "").split()).lower()
    if not raw:
        raise InvalidInput("Hãy nhập tên cửa hàng Sapo (ví dụ: banhangonline).",
                           "Enter the Sapo shop name (for example: banhangonline).", rule="SAPO-11")
    host = urlsplit(raw if "//" in raw else "//" + raw).hostname or ""
    if any(marker in host for marker in OTHER_SAPO_PRODUCTS):
        raise InvalidInput(
            "Địa chỉ này là của Sapo GO (mysapogo.com). ShopSync chỉ hỗ trợ Sapo Web và Sapo Omni; "
            "Sapo GO, Sapo Express… dùng một API khác nên chưa đồng bộ được.",
            "This is a Sapo GO address (mysapogo.com). ShopSync supports Sapo Web and Sapo Omni "
            "only; Sapo GO, Sapo Express etc. use a different API and cannot be synced.",
            rule="SAPO-01")
    name = host
    for domain in SHOP_DOMAINS:
        if host.endswith(domain):
            name = host[: -len(domain)]
            break
    else:
        if "." in host:
            raise InvalidInput(
                f"“{host}” là tên miền riêng. Hãy nhập tên cửa hàng trong địa chỉ quản trị Sapo "
                "dạng TÊN.mysapo.net (chỉ phần TÊN).",
                f"“{host}” is a custom domain. Enter the shop name from the Sapo admin address "
                "NAME.mysapo.net (just the NAME part).", rule="SAPO-11")
    if name.startswith("www."):
        name = name[4:]
    if not _NAME.match(name):
        raise InvalidInput(
            f"“{pasted.strip()}” không phải tên cửa hàng Sapo hợp lệ: chỉ gồm chữ không dấu, số và "
            "dấu gạch ngang, như trong địa chỉ TÊN.mysapo.net.",
            f"“{pasted.strip()}” is not a valid Sapo shop name: only letters without accents, "
            "digits and hyphens, as in the address NAME.mysapo.net.", rule="SAPO-11")
    return name


def api_base(template: str, shop: str) -> str:
    """The API root for a shop: the host setting is a template (`https://{shop}.mysapo.net`) or,
    for a sandbox or proxy, a fixed address used as is."""
    base = template.format(shop=shop) if "{shop}" in template else template
    return base.rstrip("/")
