"""KiotViet's datetimes and its inconsistent JSON (platforms/kiotviet.md §3, §6)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from connectors.kiotviet import payload
from connectors.kiotviet.dates import parse_datetime, vietnam_wall_clock


def test_seven_fractional_digits_without_offset_are_vietnam_time():
    parsed = parse_datetime("2024-03-04T23:39:24.1470000")
    assert parsed == datetime(2024, 3, 4, 16, 39, 24, 147000, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, expected", [
    ("2024-03-04T23:39:24", datetime(2024, 3, 4, 16, 39, 24, tzinfo=timezone.utc)),
    ("2024-03-04T23:39:24.1", datetime(2024, 3, 4, 16, 39, 24, 100000, tzinfo=timezone.utc)),
    ("2024-03-04T23:39:24.1234567", datetime(2024, 3, 4, 16, 39, 24, 123456,
                                             tzinfo=timezone.utc)),
    ("2024-03-04T23:39:24.147+07:00", datetime(2024, 3, 4, 16, 39, 24, 147000,
                                               tzinfo=timezone.utc)),
    ("2024-03-04T16:39:24Z", datetime(2024, 3, 4, 16, 39, 24, tzinfo=timezone.utc)),
    ("2024-03-04", datetime(2024, 3, 3, 17, 0, tzinfo=timezone.utc)),
])
def test_datetimes_with_zero_to_seven_digits_and_optional_offset(raw, expected):
    assert parse_datetime(raw) == expected
    assert parse_datetime(raw).tzinfo is timezone.utc


def test_empty_datetime_is_none_and_garbage_is_refused():
    assert parse_datetime(None) is None and parse_datetime("") is None
    with pytest.raises(ValueError):
        parse_datetime("04/03/2024")


def test_last_modified_from_is_vietnam_wall_clock_without_offset():
    moment = datetime(2026, 11, 23, 17, 30, 5, 999, tzinfo=timezone.utc)
    assert vietnam_wall_clock(moment) == "2026-11-24T00:30:05"


@pytest.mark.parametrize("key", ["removedIds", "removeIds", "removeId"])
def test_removed_ids_are_read_under_every_spelling(key):
    assert payload.removed_ids({"data": [], key: [11, 12]}) == ("11", "12")


def test_removed_ids_of_several_spellings_are_merged_once():
    body = {"removedIds": [1], "removeId": [1, 2], "RemoveIds": 3}
    assert sorted(payload.removed_ids(body)) == ["1", "2", "3"]


def test_keys_are_read_whatever_their_case():
    assert payload.get({"ResponseStatus": {"ErrorCode": "X"}}, "responseStatus") == \
        {"ErrorCode": "X"}
    assert payload.get({"isActive": False, "IsActive": True}, "isActive") is False


def test_write_answers_unwrap_wrapped_and_bare():
    assert payload.unwrap({"message": "ok", "data": {"id": 5}}) == {"id": 5}
    assert payload.unwrap({"id": 6, "name": "x"}) == {"id": 6, "name": "x"}
