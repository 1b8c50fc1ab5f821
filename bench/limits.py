"""The time a POS's own rate limit makes a run take, whatever the machine (issue 21 point 7).

Sustained rates from shared/platforms (and each platform's notes):
- Sapo: a 40-call bucket leaking 2 calls/s → R requests take at least (R − 40) ÷ 2 s.
- KiotViet: 5,000 GET per hour → the connector spends a burst of 50, then 4,950 per hour
  (1.375/s) so a long run never runs dry; writes are not limited by the docs.
- Nhanh: 150 requests per 30 s per URL → a URL asked c times needs (⌈c ÷ 150⌉ − 1) × 30 s;
  URLs are paced independently, so the slowest URL decides.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Iterable


def real_limit_seconds(platform_key: str, requests: Iterable[tuple[str, str]]) -> float:
    """`requests`: (method, path) of every request a run made."""
    requests = list(requests)
    if platform_key == "sapo":
        return max(0.0, (len(requests) - 40) / 2)
    if platform_key.startswith("kiotviet"):
        gets = sum(1 for method, _ in requests if method == "GET")
        return max(0.0, (gets - 50) / (4950 / 3600))
    per_url = Counter(path for _, path in requests)
    return max(((math.ceil(c / 150) - 1) * 30 for c in per_url.values()), default=0.0)


def minutes_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
