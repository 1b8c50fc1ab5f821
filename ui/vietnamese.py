"""Money, dates and alphabetical order as a Vietnamese shop writes them.

* Money: "42.000 ₫" — dots between thousands, a comma before any fraction, the đồng sign after.
* Dates: "06/12/2026 14:05" (dd/MM/yyyy HH:mm), local time.
* Order: the Vietnamese alphabet (a ă â b c d đ e ê g … o ô ơ … u ư …), tones after letters
  (ngang, huyền, hỏi, ngã, sắc, nặng), so "Áo thun" and "Đồ ăn nhẹ" come before "Trà" — byte
  order puts every accented capital after "Z".
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

# -- money ------------------------------------------------------------------------------------


def money_text(value) -> str:
    """'42.000 ₫' for 42000 / Decimal('42000') / '42000'; '' for nothing; text that is not a
    number is returned unchanged (shown as the POS sent it rather than hidden)."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    whole = int(amount)
    fraction = amount - whole
    grouped = f"{whole:,}".replace(",", ".")
    text = grouped
    if fraction:
        digits = format(fraction.normalize(), "f").split(".")[1]
        text = f"{grouped},{digits}"
    return f"{sign}{text} ₫"


_THOUSANDS_DOT = re.compile(r"^-?\d{1,3}(\.\d{3})+$")
_THOUSANDS_COMMA = re.compile(r"^-?\d{1,3}(,\d{3})+$")


def parse_money(text: str) -> Decimal:
    """'42.000 ₫', '42.000', '42000', '42,000', '1.234,5', '150000đ' → Decimal. A dot or comma
    before exactly three digits groups thousands, as the shop writes; otherwise it is the
    decimal mark. Raises ValueError for text that is not an amount."""
    cleaned = re.sub(r"[\s₫đĐ]|VND|vnd", "", text or "")
    if not cleaned:
        raise ValueError("empty amount")
    if "." in cleaned and "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif _THOUSANDS_DOT.match(cleaned):
        cleaned = cleaned.replace(".", "")
    elif _THOUSANDS_COMMA.match(cleaned):
        cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not amount.is_finite():
        raise ValueError(text)
    return amount


# -- dates ------------------------------------------------------------------------------------

DATE_TIME = "%d/%m/%Y %H:%M"


def when_text(value: datetime | None, empty: str = "") -> str:
    """A stored moment (aware, or naive UTC as the store writes it) in local dd/MM/yyyy HH:mm."""
    if value is None or not hasattr(value, "astimezone"):
        return empty if value is None else str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone().strftime(DATE_TIME)


def clock_text(value: datetime) -> str:
    """Only the local time of day (a wait that ends within the hour: "14:05")."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone().strftime("%H:%M")


# -- alphabetical order -------------------------------------------------------------------------

_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
# Letters outside the Vietnamese alphabet (f, j, w, z in foreign names) go where English puts
# them: f after e, j after i, w after v, z after y.
_FOREIGN_AFTER = {"e": "f", "i": "j", "v": "w", "y": "z"}
_ORDERED = []
for _letter in _ALPHABET:
    _ORDERED.append(_letter)
    if _letter in _FOREIGN_AFTER:
        _ORDERED.append(_FOREIGN_AFTER[_letter])
_RANK = {letter: index for index, letter in enumerate(_ORDERED)}

# Marks that make a different LETTER (ă â ê ô ơ ư) versus marks that are a TONE.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}   # huyền hỏi ngã sắc nặng
_WITH_MARK = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
              ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}


def _letters(text: str):
    """(base letter with its letter marks, tone, is_upper) per character of `text`."""
    decomposed = unicodedata.normalize("NFD", text)
    current = None
    for char in decomposed:
        if unicodedata.combining(char):
            if current is None:
                continue
            base, tone, upper = current
            if char in _TONES:
                current = (base, _TONES[char], upper)
            else:
                current = (_WITH_MARK.get((base, char), base), tone, upper)
            continue
        if current is not None:
            yield current
        lower = char.lower()
        current = (lower, 0, char != lower)
    if current is not None:
        yield current


def _primary(base: str) -> tuple[int, int | str]:
    """Spaces and punctuation first, then digits, then letters in Vietnamese order."""
    if base in _RANK:
        return (3, _RANK[base])
    if base.isdigit():
        return (2, int(base))
    if base.isspace():
        return (0, 0)
    if base.isalpha():
        return (4, base)           # other scripts after Vietnamese letters, by code point
    return (1, base)


def vietnamese_sort_key(text: str) -> tuple:
    """A sort key in Vietnamese dictionary order: letters first, then tones, then case; a run
    of digits counts as one number ("Áo 44" before "Áo 108")."""
    letters = list(_letters(text or ""))
    primary: list[tuple] = []
    digits = ""
    for base, _tone, _upper in letters:
        if base.isdigit():
            digits += base
            continue
        if digits:
            primary.append((2, int(digits)))
            digits = ""
        primary.append(_primary(base))
    if digits:
        primary.append((2, int(digits)))
    return (tuple(primary), tuple(tone for _base, tone, _upper in letters),
            tuple(upper for _base, _tone, upper in letters))


def sorted_vietnamese(items, key=lambda item: item):
    return sorted(items, key=lambda item: vietnamese_sort_key(key(item)))
