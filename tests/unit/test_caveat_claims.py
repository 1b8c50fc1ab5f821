"""Caveats true to what the app does (issue 20 pt 8): every direction a caveat text states is
written down as a claim next to it in resources/caveats.json and checked here against the
platform descriptor the engine obeys. The Sapo order caveat once said "App chỉ đẩy đơn hàng
sang Sapo" while the first sync pulled Sapo's orders: its claim (pull none) would fail."""
from __future__ import annotations

import json
import re

import pytest

from app.caveats import resources_dir
from connectors.registry import all_platforms, get_platform
from contract.records import Entity

CAVEATS = {k: v for k, v in json.loads((resources_dir() / "caveats.json").read_text(
    encoding="utf-8")).items() if not k.startswith("_")}
CLAIMS = [(rule, claim) for rule, entry in CAVEATS.items() for claim in entry.get("claims", ())]
# Words that state a direction; a caveat using them must carry a claim to be checked.
DIRECTION_WORDS = re.compile(r"một chiều|hai chiều|chỉ đẩy|về App|sang (Sapo|KiotViet|Nhanh)|"
                             r"từ (Sapo|KiotViet|Nhanh)", re.IGNORECASE)
# Platform-wide or option texts whose directions are claims of the entity caveats above.
NO_DIRECTION_CLAIM = {"COM-01", "COM-10", "SAPO-07", "SAPO-08", "SAPO-09", "KVF-05", "KVF-06",
                      "KVF-09", "KVF-10", "KVF-11", "KVF-12", "KVF-13", "NH-03", "NH-04",
                      "NH-09", "NH-11", "NH-12", "NH-13", "COM-02", "COM-05", "COM-08", "B-01",
                      "KVF-07", "KVF-03", "NH-07", "NH-10", "SAPO-10", "SAPO-11", "KVF-14",
                      "B-02", "B-05"}


@pytest.mark.parametrize("rule,claim", CLAIMS, ids=[f"{r}-{c['entity']}" for r, c in CLAIMS])
def test_caveat_claim_matches_the_capability_it_describes(rule, claim):
    for key in claim["platforms"]:
        cap = get_platform(key).capability(Entity(claim["entity"]))
        for side in ("pull", "push"):
            if side in claim:
                actual = getattr(cap, side).value
                assert actual == claim[side], (
                    f"{rule} says {claim['entity']} {side} is {claim[side]} on {key}, "
                    f"the app does {actual}")


def test_every_caveat_that_states_a_direction_has_a_checked_claim():
    unchecked = [rule for rule, entry in CAVEATS.items()
                 if DIRECTION_WORDS.search(entry["vi"]) and "claims" not in entry
                 and rule not in NO_DIRECTION_CLAIM]
    assert not unchecked, f"caveats stating a direction without a claim: {unchecked}"


def test_sapo04_claim_would_catch_the_old_push_only_text():
    """The check can fail: the old SAPO-04 claim (orders push only) disagrees with Sapo."""
    cap = get_platform("sapo").capability(Entity.ORDER)
    assert cap.pull.value != "none"


def test_each_entity_caveat_is_about_a_platform_that_has_that_rule_family():
    for platform in all_platforms():
        for cap in platform.entities.values():
            for rule in cap.caveats:
                assert rule in CAVEATS, f"{platform.key}: {rule} has no text"


def test_vietnamese_texts_say_ten_where_the_field_hint_says_ten():
    sapo = get_platform("sapo")
    hint = next(f for f in sapo.credential_fields if f.name == "shop").help_vi
    assert "TÊN" in hint and "TÊN" in CAVEATS["SAPO-11"]["vi"]
    assert "NAME" not in CAVEATS["SAPO-11"]["vi"]


def test_nh01_does_not_ask_for_a_webhook_url_the_steps_say_is_not_needed():
    nhanh = get_platform("nhanh-v3")
    assert nhanh.hosts.get("webhook_callback_url", "") == ""
    text = CAVEATS["NH-01"]["vi"]
    assert "không cần Webhooks" in text
    assert "Dán Redirect URL và Webhooks callback URL" not in text
