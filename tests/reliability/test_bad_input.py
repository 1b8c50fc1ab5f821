"""Bad input at the two doors a user types into: catalog files and `profile add`.

A file that is not entirely valid writes nothing (the DB is byte-for-byte the same catalog), and
every refusal says in Vietnamese (default) and English what to fix, with exit code 2.
"""
from __future__ import annotations

import io
import json

import pytest

from app.cli import main
from contract.records import Entity, to_plain
from app.store.catalog import Catalog
from app.store.connection import open_store
from app.store.models import Profile

EXIT_USAGE = 2
GOOD_CSV = ("entity,name,sku,price,category\n"
            "product,Cà phê sữa đá,CF-01,25000,Đồ uống\n"
            "product,Trà đào cam sả,TR-01,35000,Đồ uống\n")


def cli(home, *argv, lang="vi", environ=None):
    out, err = io.StringIO(), io.StringIO()
    code = main(["--home", str(home.home), "--lang", lang, *argv], out=out, err=err, environ=environ or {}, stdin_is_tty=False)
    return code, out.getvalue(), err.getvalue()


def snapshot(home) -> dict:
    db = open_store(home)
    try:
        catalog = Catalog(db)
        return {entity: sorted((json.dumps(to_plain(r), sort_keys=True, ensure_ascii=False)
                                for r in catalog.iter_records(entity)))
                for entity in Entity}
    finally:
        db.close()


@pytest.fixture
def seeded(home, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    code, _, err = cli(home, "catalog", "import", str(good))
    assert code == 0, err
    return home


def _bad_files() -> dict[str, bytes]:
    huge = "Bánh " * 400_000                                  # ~2.4 MB in one cell
    return {
        "wrong_columns.csv": "ten,gia\nCà phê,25000\n".encode(),
        "no_entity_value.csv": "entity,name,price\n,Cà phê,25000\n".encode(),
        "price_not_a_number.csv": "entity,name,sku,price\nproduct,Cà phê,CF-9,hai mươi\n".encode(),
        "half_valid.csv": (GOOD_CSV.replace("CF-01", "CF-02").replace("TR-01", "TR-02")
                           + "product,,XX-01,1000,Đồ uống\n").encode(),
        "half_valid_then_garbage_quantity.csv": (
            "entity,number,sku,quantity,price\n"
            "order,DH-1,CF-01,1,25000\n"
            "order,DH-2,CF-01,một,25000\n").encode(),
        "huge_cell_then_bad_row.csv": (f"entity,name,sku,price\nproduct,{huge},BIG-1,1000\n"
                                       "product,Hỏng,BIG-2,-x-\n").encode(),
        "latin1.csv": "entity,name,price\nproduct,Cà phê,25000\n".encode("latin-1",
                                                                         errors="replace"),
        "cp1258_bytes.csv": b"entity,name,price\nproduct,C\xe0 ph\xea \xd2\xff,25000\n",
        "utf16.csv": "entity,name,price\nproduct,Cà phê,25000\n".encode("utf-16"),
        "binary.csv": bytes(range(256)) * 40,
        "truncated.json": b'{"products": [{"name": "C\xc3\xa0 ph\xc3\xaa", "variants": [',
        "json_list_not_object.json": b'[{"name": "x"}]',
        "json_wrong_types.json": json.dumps({"products": [
            {"name": "Cà phê", "variants": [{"sku": "J-1", "price": 25000}]},
            {"name": "Trà", "variants": [{"sku": "J-2", "price": "rẻ"}]}]}).encode(),
        "json_bool_as_text.json": json.dumps({"products": [
            {"name": "Cà phê", "visible": "yes"}]}).encode(),
    }


@pytest.mark.parametrize("name", sorted(_bad_files()))
def test_b03_bad_catalog_file_writes_nothing_and_says_what_to_fix(seeded, tmp_path, name):
    before = snapshot(seeded)
    path = tmp_path / name
    path.write_bytes(_bad_files()[name])
    code, out, err = cli(seeded, "catalog", "import", str(path))
    assert code == EXIT_USAGE, (code, out, err[:500])
    assert "Traceback" not in err and err.strip()
    assert snapshot(seeded) == before


def test_b03_bad_catalog_file_is_explained_in_english_too(seeded, tmp_path):
    path = tmp_path / "half.csv"
    path.write_bytes(_bad_files()["half_valid.csv"])
    code, _, err = cli(seeded, "catalog", "import", str(path), lang="en")
    assert code == EXIT_USAGE and "Nothing imported" in err


def test_b03_excel_utf8_bom_csv_with_nfd_text_imports_as_nfc(home, tmp_path):
    path = tmp_path / "excel.csv"
    decomposed = "entity,name,sku,price\nproduct,Ca\u0300 phe\u0302,NFD-1,25000\n"
    path.write_bytes(b"\xef\xbb\xbf" + decomposed.encode("utf-8"))
    code, _, err = cli(home, "catalog", "import", str(path))
    assert code == 0, err
    names = [p for p in snapshot(home)[Entity.PRODUCT] if "NFD-1" in p]
    assert names and "Cà phê" in names[0]


def test_b03_missing_catalog_file_is_a_clear_usage_error(home, tmp_path):
    code, _, err = cli(home, "catalog", "import", str(tmp_path / "khong-co.csv"))
    assert code == EXIT_USAGE and err.strip() and "Traceback" not in err


# -------------------------------------------------------------------------------------------
# profile add
# -------------------------------------------------------------------------------------------

def _profiles(home) -> list[str]:
    db = open_store(home)
    try:
        return [p.name for p in Profile.select()]
    finally:
        db.close()


SAPO_SECRET = {"SHOPSYNC_SECRET_API_SECRET": "s3cr3t-sapo-value-123"}
KV_SECRET = {"SHOPSYNC_SECRET_CLIENT_SECRET": "kv-secret-value-456"}
NHANH_SECRETS = {"SHOPSYNC_SECRET_SECRET_KEY": "nhanh-secret-789",
                 "SHOPSYNC_SECRET_ACCESS_TOKEN": "nhanh-token-abcdef"}

BAD_PROFILES = {
    "empty_name": ("", "sapo", ["--set", "shop=banhmi", "--set", "api_key=k"], SAPO_SECRET),
    "name_too_long": ("x" * 65, "sapo", ["--set", "shop=banhmi", "--set", "api_key=k"],
                      SAPO_SECRET),
    "name_with_slash": ("Cửa/hàng", "sapo", ["--set", "shop=banhmi", "--set", "api_key=k"],
                        SAPO_SECRET),
    "name_with_newline": ("Cửa hàng\nmới", "sapo", ["--set", "shop=banhmi", "--set",
                                                     "api_key=k"], SAPO_SECRET),
    "sapo01_sapogo_address": ("Sapo GO", "sapo", ["--set", "shop=https://banhmi.mysapogo.com",
                                                  "--set", "api_key=k"], SAPO_SECRET),
    "sapo11_shop_with_spaces": ("Sapo xấu", "sapo", ["--set", "shop=bánh mì ngon",
                                                     "--set", "api_key=k"], SAPO_SECRET),
    "sapo11_missing_secret": ("Sapo thiếu", "sapo", ["--set", "shop=banhmi",
                                                     "--set", "api_key=k"], {}),
    "com07_secret_on_command_line": ("Sapo lộ", "sapo", [
        "--set", "shop=banhmi", "--set", "api_key=k",
        "--set", "api_secret=s3cr3t-on-cli-999"], SAPO_SECRET),
    "kvf14_retailer_with_accents": ("KiotViet", "kiotviet-fnb", [
        "--set", "retailer=Cà phê Mộc", "--set", "client_id=abc", "--set", "branch=1"],
        KV_SECRET),
    "kvf14_client_id_with_space": ("KiotViet 2", "kiotviet-fnb", [
        "--set", "retailer=caphemoc", "--set", "client_id=abc def", "--set", "branch=1"],
        KV_SECRET),
    "nh01_verify_token_too_short": ("Nhanh", "nhanh-v3", ["--set", "app_id=73021"],
                                    {**NHANH_SECRETS,
                                     "SHOPSYNC_SECRET_WEBHOOK_VERIFY_TOKEN": "short1"}),
    "nh01_verify_token_not_alnum": ("Nhanh 2", "nhanh-v3", ["--set", "app_id=73021"],
                                    {**NHANH_SECRETS,
                                     "SHOPSYNC_SECRET_WEBHOOK_VERIFY_TOKEN":
                                         "token with spaces!!1234"}),
    "unknown_platform": ("Lạ", "sapogo", ["--set", "shop=x"], {}),
    "unknown_key": ("Sapo lạ", "sapo", ["--set", "shop=banhmi", "--set", "api_key=k",
                                         "--set", "colour=red"], SAPO_SECRET),
    "bad_host": ("Sapo host", "sapo", ["--set", "shop=banhmi", "--set", "api_key=k",
                                        "--set", "api_base=ftp://x"], SAPO_SECRET),
    "locked_option_kvf03": ("KiotViet 3", "kiotviet-fnb", [
        "--set", "retailer=caphemoc", "--set", "client_id=abc", "--set", "branch=1",
        "--set", "keep_app_product_status=off"], KV_SECRET),
}


@pytest.mark.parametrize("case", sorted(BAD_PROFILES))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_com07_sapo11_kvf14_nh01_invalid_profile_is_refused_with_exit_2_and_no_row(home, case,
                                                                                   lang):
    name, platform, sets, environ = BAD_PROFILES[case]
    code, out, err = cli(home, "profile", "add", "--platform", platform, *sets, name,
                         lang=lang, environ=environ)
    assert code == EXIT_USAGE, (code, out, err)
    assert err.strip() and "Traceback" not in err
    assert _profiles(home) == []
    for secret in ("s3cr3t-on-cli-999", *SAPO_SECRET.values(), *KV_SECRET.values(),
                   *NHANH_SECRETS.values()):
        assert secret not in out + err


def test_profile_add_refusal_speaks_vietnamese_by_default_and_english_on_request(home):
    _, _, vi = cli(home, "profile", "add", "--platform", "sapo", "--set", "shop=-ab",
                   "--set", "api_key=k", "Sai", environ=SAPO_SECRET)
    _, _, en = cli(home, "profile", "add", "--platform", "sapo", "--set", "shop=-ab",
                   "--set", "api_key=k", "Sai", lang="en", environ=SAPO_SECRET)
    assert vi != en
    assert any(ch in vi for ch in "ăâđêôơưàáảãạ")
    assert en.isascii() or "“" in en
