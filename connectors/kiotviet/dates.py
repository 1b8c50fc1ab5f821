"""KiotViet's datetimes: REST answers carry no offset and up to 7 fractional digits.

The offset-less values are Vietnam wall-clock time (platforms/kiotviet.md §6, UNVERIFIED but
consistent with every payload seen); webhooks and `timestamp` carry `+07:00`. Python's
fromisoformat before 3.11 cannot read 7 digits, and even 3.11 refuses some variants, so the
parsing is done here by hand.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from contract.records import VIETNAM

_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$")


def parse_datetime(value: object) -> datetime | None:
    """A KiotViet date/time → aware UTC; no offset means Vietnam time. None/'' → None.

    Accepts 0–7 (and more) fractional digits (the 7th is 100 ns and is dropped) and an
    optional `Z`/`±HH:MM` offset."""
    if value is None:
        return None
    raw = str(value).strip()
    if not raw:
        return None
    match = _PATTERN.match(raw)
    if match is None:
        raise ValueError(f"not a KiotViet date/time: {raw!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    naive = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                     int(second or 0), micro)
    if offset is None:
        return naive.replace(tzinfo=VIETNAM).astimezone(timezone.utc)
    if offset == "Z":
        zone = timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))
    return naive.replace(tzinfo=zone).astimezone(timezone.utc)


def vietnam_wall_clock(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS` in Vietnam time, the form KiotViet filters expect
    (`lastModifiedFrom`) and the form it writes back (`ExpectedDelivery`)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a zone first")
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M:%S")
