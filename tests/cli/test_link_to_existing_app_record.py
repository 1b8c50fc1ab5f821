"""Finding 1: a pull that links a POS record to an App record another connection (or the
shop itself) already owns must not rename it quietly (COM-02 with COM-04)."""
from __future__ import annotations

import json

from contract.records import Entity


def _walk(shopsync, tmp_path):
    """The walk-through: an App customer from an import, the Sapo sample shop, then the
    KiotViet FnB sample shop whose customer K-1014 has the same phone and another name."""
    csv = tmp_path / "customers.csv"
    csv.write_text("entity,name,phone\ncustomer,Chị Nguyễn Thị Lan,0912345678\n",
                   encoding="utf-8")
    assert shopsync("profile", "add", "demo", "--platform", "sapo", "--set", "sandbox=on")[0] == 0
    assert shopsync("profile", "add", "kv", "--platform", "kiotviet-fnb",
                    "--set", "sandbox=on")[0] == 0
    assert shopsync("catalog", "import", str(csv))[0] == 0
    assert shopsync("sync", "demo")[0] == 0


def _lan(catalog):
    [lan] = [c for c in catalog.iter_records(Entity.CUSTOMER) if c.phone == "0912345678"]
    return lan


def test_com04_linking_a_differing_app_customer_by_phone_raises_a_conflict_and_renames_nothing(
        shopsync, catalog, tmp_path):
    _walk(shopsync, tmp_path)
    before = _lan(catalog)

    code, out, _ = shopsync("sync", "kv", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    mine = [r for r in rows if r.get("app_id") == before.key and r.get("entity") == "customer"
            and r.get("direction") == "pos_to_app"]
    assert [r["action"] for r in mine] == ["conflict"], mine
    assert _lan(catalog).name == "Chị Nguyễn Thị Lan"          # nothing overwritten

    # Sapo is not told to rename its customer.
    code, out, _ = shopsync("sync", "demo", "--dry-run", "--json")
    planned = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert not [r for r in planned if r.get("app_id") == before.key
                and r.get("action") == "update"], planned

    # Both sides are kept; the owner chooses. A second KiotViet run asks nothing new.
    code, out, _ = shopsync("conflicts", "kv", "--json")
    [conflict] = [json.loads(line) for line in out.splitlines()]
    assert "name" in conflict["differing"] and conflict["app_id"] == before.key
    assert shopsync("sync", "kv")[0] == 0
    code, out, _ = shopsync("conflicts", "kv", "--json")
    assert len(out.splitlines()) == 1
    code, _, _ = shopsync("resolve", str(conflict["id"]), "--keep", "pos")
    assert code == 0 and _lan(catalog).name != "Chị Nguyễn Thị Lan"


def test_com02_linking_an_equal_app_record_stays_a_quiet_link(shopsync, catalog, tmp_path):
    """Same values on both sides (the sample shops share their category names): linked,
    no conflict."""
    _walk(shopsync, tmp_path)
    code, out, _ = shopsync("sync", "kv", "--json", "--entity", "category")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    linked = [r for r in rows if r.get("rule") == "COM-02" and r.get("entity") == "category"]
    assert linked and all(r["action"] in ("skip", "update") for r in linked)
    assert not [r for r in rows if r.get("action") == "conflict"]


def test_com05_linking_only_fills_blank_app_fields_without_a_conflict(shopsync, catalog,
                                                                     tmp_path):
    """The App customer has the POS's name but no address: the link fills the blank (nothing
    of the shop's is lost) and asks nothing."""
    csv = tmp_path / "customers.csv"
    csv.write_text("entity,name,phone\ncustomer,Trần Văn Minh,0912345678\n", encoding="utf-8")
    assert shopsync("profile", "add", "kv", "--platform", "kiotviet-fnb",
                    "--set", "sandbox=on")[0] == 0
    assert shopsync("catalog", "import", str(csv))[0] == 0
    code, out, _ = shopsync("sync", "kv", "--json", "--entity", "customer")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert not [r for r in rows if r.get("action") == "conflict"], rows
    lan = _lan(catalog)
    assert lan.name == "Trần Văn Minh" and lan.address
