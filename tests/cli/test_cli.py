"""`shopsync` commands, exit codes and output (in-process, against a fake POS over HTTP)."""
from __future__ import annotations

import json
from decimal import Decimal

import dataclasses

from contract.records import Customer, Entity, Product, Variant
from tests.cli.conftest import SECRET


def seed_pos(box, n=3):
    for i in range(n):
        box.state.put(Entity.PRODUCT, Product(key="", name=f"Cà phê {i}", variants=(
            Variant(key=f"v{i}", sku=f"CF-{i}", price=Decimal(20000 + i)),)))


def test_profile_add_refuses_a_secret_on_the_command_line(shopsync, fake_pos):
    code, out, err = shopsync("profile", "add", "A", "--platform", "fake-http",
                              "--set", f"api_secret={SECRET}")
    assert code == 2 and "SHOPSYNC_SECRET_API_SECRET" in err
    code, out, err = shopsync("profile", "list")
    assert "A" not in out


def test_profile_add_validates_keys_and_values(shopsync, fake_pos):
    code, _, err = shopsync("profile", "add", "A", "--platform", "fake-http",
                            "--set", "nonsense=1")
    assert code == 2 and "api_base" in err
    code, _, err = shopsync("profile", "add", "A", "--platform", "nowhere")
    assert code == 2
    code, _, err = shopsync("--lang", "en", "profile", "add", "A", "--platform", "fake-http",
                            "--set", "api_base=ftp://x")
    assert code == 2 and "https://" in err


def test_profile_show_never_prints_secrets(shopsync, fake_profile):
    code, out, _ = shopsync("profile", "show", fake_profile)
    assert code == 0 and "api_base" in out and "secret.api_secret" in out
    assert SECRET not in out


def test_test_command_checks_the_connection(shopsync, fake_profile):
    code, out, _ = shopsync("test", fake_profile)
    assert code == 0 and "Cửa hàng giả" in out


def test_wrong_secret_exits_3(shopsync, fake_pos):
    code, _, err = shopsync("profile", "add", "B", "--platform", "fake-http", "--set", "shop=b",
                            "--set", f"api_base={fake_pos.url}",
                            env={"SHOPSYNC_SECRET_API_SECRET": "wrong-secret-value"})
    assert code == 0, err
    code, _, err = shopsync("test", "B")
    assert code == 3, err


def test_sync_json_lines_and_exit_0(shopsync, fake_profile, fake_pos):
    seed_pos(fake_pos, 3)
    code, out, _ = shopsync("sync", fake_profile, "--entity", "product", "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    items = [line for line in lines if line["event"] == "item_result"]
    assert len(items) == 3
    assert set(items[0]) == {"event", "run_id", "entity", "direction", "app_id", "pos_id",
                             "name", "action", "outcome", "rule", "message_vi", "message_en"}
    # Every line is an event's own serialisation: one name per event, the run named on each.
    started = lines[0]
    assert started["event"] == "run_started" and started["profile"] == fake_profile
    assert {line["run_id"] for line in lines} == {started["run_id"]}
    assert {line["event"] for line in lines} <= {"run_started", "item_result", "conflict",
                                                 "run_finished"}
    final = lines[-1]
    assert final["event"] == "run_finished" and final["counts"]["ok"] == 3
    assert final["request_count"] >= 2 and "seconds" in final


def test_com03_sync_dry_run_from_the_command_line_writes_nothing(shopsync, fake_profile,
                                                                 fake_pos, catalog):
    """COM-03."""
    seed_pos(fake_pos, 2)
    code, out, _ = shopsync("sync", fake_profile, "--dry-run", "--json")
    assert code == 0 and '"planned"' in out
    assert catalog.count(Entity.PRODUCT) == 0


def test_results_formats(shopsync, fake_profile, fake_pos):
    seed_pos(fake_pos, 2)
    shopsync("sync", fake_profile)
    code, out, _ = shopsync("results", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("Lần chạy,Loại,Chiều")
    assert len(out.splitlines()) == 3
    code, out, _ = shopsync("results", "--format", "json")
    assert [json.loads(line)["action"] for line in out.splitlines()] == ["create", "create"]
    code, out, _ = shopsync("--lang", "en", "results")
    assert "Created in the App." in out


def test_failed_items_exit_1_and_retry_runs_them_alone(shopsync, fake_profile, fake_pos,
                                                        catalog):
    catalog.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    fake_pos.refuse("/create", 422)
    code, out, _ = shopsync("sync", fake_profile, "--entity", "customer")
    assert code == 1 and fake_pos.state.created == []
    code, out, _ = shopsync("retry", fake_profile)
    assert code == 0 and len(fake_pos.state.created) == 1


def test_server_errors_that_outlast_retries_exit_4_and_the_next_run_resumes(
        shopsync, fake_profile, fake_pos, catalog):
    catalog.put(Entity.CUSTOMER, Customer(key="", name="Lan", phone="0912345678"))
    # A create whose answer is a 503 is not sent again blindly (COM-02): the run stops,
    # and the next one looks it up before creating it.
    fake_pos.refuse("/create", 503, times=1)
    code, out, _ = shopsync("sync", fake_profile, "--entity", "customer")
    assert code == 4
    code, out, _ = shopsync("sync", fake_profile, "--entity", "customer")
    assert code == 0 and len(fake_pos.state.created) == 1


def test_push_all_new_and_undo(shopsync, fake_profile, fake_pos, catalog):
    catalog.put(Entity.PRODUCT, Product(key="", name="Bánh mì", variants=(
        Variant(key="a", sku="BM-1"),)))
    code, out, _ = shopsync("push", fake_profile, "--all-new", "--json")
    assert code == 0 and [r.name for _, r in fake_pos.state.created] == ["Bánh mì"]
    # A push changes nothing in the App: undo says so and reaches no further (B-02).
    code, out, _ = shopsync("--lang", "en", "undo", fake_profile)
    assert code == 0 and "changed nothing in the App" in out
    shopsync("sync", fake_profile, "--entity", "product")      # the first pull
    seed_pos(fake_pos, 1)
    shopsync("sync", fake_profile, "--entity", "product")
    assert catalog.count(Entity.PRODUCT) == 2
    code, out, _ = shopsync("undo", fake_profile)
    assert code == 0 and catalog.count(Entity.PRODUCT) == 1


def test_catalog_import_is_all_or_nothing_with_row_numbers(shopsync, home, catalog, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("entity,name,sku,price,phone\nproduct,Trà đá,TD-1,5000,\n"
                   "product,,TD-2,abc,\ncustomer,Lan,,,\n", encoding="utf-8")
    code, out, err = shopsync("--lang", "en", "catalog", "import", str(bad))
    assert code == 2
    assert "Row 3, name" in err and "Row 3, price" in err and "Row 4, phone/email" in err
    assert catalog.count(Entity.PRODUCT) == 0
    good = tmp_path / "good.csv"
    good.write_text("entity,name,sku,price,category,phone,number,quantity\n"
                    "product,Trà đá,TD-1,5000,Đồ uống,,,\n"
                    "customer,Lan,,,,0912345678,,\n"
                    "order,Bánh,TD-1,5000,,,DH-9,2\norder,Trà,TD-1,5000,,,DH-9,1\n",
                    encoding="utf-8")
    code, out, err = shopsync("catalog", "import", str(good))
    assert code == 0, err
    [order] = list(catalog.iter_records(Entity.ORDER))
    assert len(order.lines) == 2 and order.total == Decimal(15000)
    product = next(catalog.iter_records(Entity.PRODUCT))
    assert catalog.get(Entity.CATEGORY, product.category_keys[0]).name == "Đồ uống"
    code, out, _ = shopsync("catalog", "export", str(tmp_path / "out"))
    assert code == 0
    exported = json.loads((tmp_path / "out" / "order.json").read_text(encoding="utf-8"))
    assert exported[0]["number"] == "DH-9"


def test_order_status_command_changes_the_app_order(shopsync, catalog, tmp_path):
    data = tmp_path / "o.json"
    data.write_text(json.dumps({"orders": [{"number": "DH-1", "status": "placed"}]}),
                    encoding="utf-8")
    shopsync("catalog", "import", str(data))
    order = next(catalog.iter_records(Entity.ORDER))
    code, _, _ = shopsync("order", "status", order.key, "cancelled")
    assert code == 0 and catalog.get(Entity.ORDER, order.key).status.value == "cancelled"
    code, _, _ = shopsync("order", "status", "O999999", "cancelled")
    assert code == 2


def test_conflicts_and_resolve(shopsync, fake_profile, fake_pos, catalog):
    seed_pos(fake_pos, 1)
    shopsync("sync", fake_profile, "--entity", "product")
    app = next(catalog.iter_records(Entity.PRODUCT))
    catalog.put(Entity.PRODUCT, dataclasses.replace(app, description="App"))
    pos_product = next(iter(fake_pos.state.records[Entity.PRODUCT].values()))
    fake_pos.state.put(Entity.PRODUCT, dataclasses.replace(pos_product, description="POS"))
    shopsync("sync", fake_profile, "--entity", "product")
    code, out, _ = shopsync("conflicts", fake_profile, "--json")
    [conflict] = [json.loads(line) for line in out.splitlines()]
    assert conflict["differing"] == ["description"]
    code, _, _ = shopsync("resolve", str(conflict["id"]), "--keep", "pos")
    assert code == 0 and catalog.get(Entity.PRODUCT, app.key).description == "POS"
    code, out, _ = shopsync("conflicts", fake_profile)
    assert out == ""


def test_com07_no_secret_in_database_logs_exports_or_output(shopsync, fake_profile, fake_pos,
                                                            home, tmp_path, catalog):
    """COM-07."""
    import base64
    from urllib.parse import quote
    seed_pos(fake_pos, 2)
    catalog.put(Entity.PRODUCT, Product(key="", name="Bánh", variants=(Variant(key="b",
                                                                                sku="B-1"),)))
    for argv in (("test", fake_profile), ("sync", fake_profile, "--json"),
                 ("push", fake_profile, "--all-new"), ("results", "--format", "csv"),
                 ("results", "--format", "json"), ("profile", "show", fake_profile),
                 ("profile", "list"), ("conflicts", fake_profile),
                 ("catalog", "export", str(home.exports))):
        code, _, _ = shopsync(*argv)
        assert code == 0, argv
    assert shopsync.keyring.get(fake_profile, "api_secret") == SECRET   # it is in the keyring
    forms = [SECRET.encode(), quote(SECRET).encode(), base64.b64encode(SECRET.encode())[:20]]
    files = [p for p in home.home.rglob("*") if p.is_file()]
    assert any(p.name.startswith("shopsync.db") for p in files)
    for path in files:
        data = path.read_bytes()
        for form in forms:
            assert form not in data, path
    for text in shopsync.transcript:
        assert SECRET not in text


def test_com09_sync_refused_with_exit_4_while_another_process_holds_the_connection(
        shopsync, fake_profile, fake_pos, home):
    """COM-09 across two processes (the window or a second scheduler holds the lock)."""
    from tests.run_lock_holder import held_elsewhere
    seed_pos(fake_pos, 2)
    with held_elsewhere(home.home, fake_profile):
        for command in (("sync", fake_profile), ("undo", fake_profile),
                        ("push", fake_profile, "--all-new")):
            code, out, err = shopsync("--lang", "en", *command)
            assert code == 4 and "already syncing elsewhere" in err, (command, err)
        assert fake_pos.count() == 0                       # the POS was not even asked
    code, _, _ = shopsync("sync", fake_profile)
    assert code == 0


def test_a_second_sync_of_the_same_shop_is_refused_while_one_runs(shopsync, fake_profile,
                                                                   home):
    """COM-09: two processes resuming one checkpoint could send a create twice."""
    from app.sync.run_lock import run_lock
    with run_lock(home.home, fake_profile):
        code, _, err = shopsync("--lang", "en", "sync", fake_profile)
    assert code == 4 and "already syncing" in err
    code, _, _ = shopsync("sync", fake_profile)
    assert code == 0


def test_shopsync_alone_opens_the_window_through_the_launcher(monkeypatch, home):
    """README: `shopsync` with no command starts the desktop app; app/ itself never imports
    the window (the launcher hands it over)."""
    import shopsync as launcher
    opened = []
    monkeypatch.setattr(launcher, "open_window", lambda home=None: opened.append(home) or 0)
    assert launcher.main(["--home", str(home.home)]) == 0
    assert opened == [str(home.home)]
    assert launcher.main(["--home", str(home.home), "--version"]) == 0 and len(opened) == 1


def test_com10_near_real_time_is_offered_on_the_command_line(shopsync):
    """COM-10: `--set schedule=realtime` (gần thời gian thực) saves a run every minute."""
    from app.store.profiles import get_profile
    code, _, err = shopsync("profile", "add", "nhanh-lien-tuc", "--platform", "sapo",
                            "--set", "sandbox=on", "--set", "schedule=realtime")
    assert code == 0, err
    assert get_profile("nhanh-lien-tuc").schedule_minutes == 1
