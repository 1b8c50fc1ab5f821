"""KiotViet incremental product pulls complete changed families from what the App holds
(`know_records`, issue 21): no `masterProductId` read per family, the same products a whole
read gives, and a resumed incremental pull re-reads pages, not families one by one."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from contract.connector import KnownRecord
from contract.records import Entity, fingerprint
from connectors.kiotviet.sandbox import kiotviet_sandbox

from .conftest import FakeClock, build_connector, collect, run


def _records(pages):
    return [record for page in pages for record in page.records]


def _family_reads(sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.url.params.get("masterProductId"))


def _shop(changed_families: int):
    """2,000 rows; after a whole read, one variant row of `changed_families` families
    changes alone on KiotViet."""
    clock = FakeClock()
    sandbox = kiotviet_sandbox(kind="fnb", clock=clock, products=2000)
    whole = {p.key: p for p in _records(run(collect(
        build_connector("fnb", sandbox.transport(), clock=clock), Entity.PRODUCT)))}
    since = datetime.fromtimestamp(clock(), timezone.utc)
    clock.advance(600)
    rows = sandbox.tables["products"]
    firsts: dict[int, int] = {}
    for row_id in sorted(r for r, row in rows.items() if row.get("masterProductId")):
        firsts.setdefault(rows[row_id]["masterProductId"], row_id)
    changed = sorted(firsts.values())[:changed_families]
    for row_id in changed:
        sandbox.touch("products", row_id, basePrice=rows[row_id]["basePrice"] + 700)
    clock.advance(600)
    after = {p.key: p for p in _records(run(collect(
        build_connector("fnb", sandbox.transport(), clock=clock), Entity.PRODUCT)))}
    sandbox.requests.clear()
    return clock, sandbox, whole, after, since, {str(rows[r]["masterProductId"]) for r in changed}


def _knowing(connector, whole):
    connector.know_records(lambda entity, keys: {k: KnownRecord(whole[k], True)
                                                 for k in keys if k in whole})
    return connector


def test_com10_kvf_changed_variants_complete_from_the_app_copy_as_a_whole_read_gives():
    clock, sandbox, whole, after, since, families = _shop(250)
    connector = _knowing(build_connector("fnb", sandbox.transport(), clock=clock), whole)
    got = _records(run(collect(connector, Entity.PRODUCT, since)))
    assert {p.key for p in got} == families
    assert all(fingerprint(p) == fingerprint(after[p.key]) for p in got)
    assert _family_reads(sandbox) == 0
    assert sandbox.count("GET", "/products") == 3          # 250 changed rows, 100 a page


def test_com10_kvf_without_the_hook_each_changed_family_is_read_whole():
    """The default (a connector the engine told nothing): as before issue 21."""
    clock, sandbox, whole, after, since, families = _shop(20)
    got = _records(run(collect(build_connector("fnb", sandbox.transport(), clock=clock),
                               Entity.PRODUCT, since)))
    assert all(fingerprint(p) == fingerprint(after[p.key]) for p in got)
    assert _family_reads(sandbox) == 20


def test_com09_kvf_resumed_incremental_pull_re_reads_pages_not_families():
    clock, sandbox, whole, after, since, families = _shop(250)

    async def until_crash():
        got = []
        connector = _knowing(build_connector("fnb", sandbox.transport(), clock=clock), whole)
        async for page in connector.pull(Entity.PRODUCT, since):
            got.append(page)
            return got        # killed once the first page's results are saved
    before = run(until_crash())
    assert len(json.loads(before[-1].resume)["held"]) > 1
    connector = _knowing(build_connector("fnb", sandbox.transport(), clock=clock), whole)
    rest = run(collect(connector, Entity.PRODUCT, since, before[-1].resume))
    got = _records(before) + _records(rest)
    assert sorted(p.key for p in got) == sorted(families)
    assert all(fingerprint(p) == fingerprint(after[p.key]) for p in got)
    assert _family_reads(sandbox) == 0
