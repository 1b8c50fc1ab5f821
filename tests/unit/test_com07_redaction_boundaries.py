"""COM-07 at each boundary on its own: once a secret has come out of the keyring, the process's
one redactor (app.redaction) masks it in database writes of messages, the log file and the
command line's output, even when the text reached that boundary unmasked."""
from __future__ import annotations

import io
import json
import logging
import sqlite3
import uuid

from app.logs import setup_logging
from app.redaction import SECRETS, learn_profile, redact
from app.secrets import MemoryKeyring, SecretStore
from app.store.profiles import create_profile
from app.sync.ledger import Ledger
from connectors.http import PosHttp, Redactor


def _secret() -> str:
    return 'k"e\\y-' + uuid.uuid4().hex


def test_com07_a_secret_read_from_the_keyring_is_masked_everywhere_from_then_on():
    secret = _secret()
    store = SecretStore(backend=MemoryKeyring())
    store._backend.set_password(store.service, store.key("shop", "api_secret"), secret)
    assert secret in redact(f"x {secret}")                 # not read yet: unknown
    assert store.get("shop", "api_secret") == secret
    assert redact(f"x {secret}") == "x ***"
    assert redact(json.dumps({"m": secret})) == '{"m": "***"}'


def test_com07_database_writes_of_run_errors_and_result_messages_are_masked(store):
    secret = _secret()
    SECRETS.add(secret)
    profile_row = create_profile("p", "sapo", fields={"shop": "x", "api_key": "k"})
    ledger = Ledger(profile_row)
    run = ledger.start_run("sync", [], False)
    ledger.add_results([(run.id, "product", "pos_to_app", "1", "2", "n", "create", "failed",
                         "", f"lỗi {secret}", f"error {secret}", run.started_at)])
    ledger.add_result(run, entity="product", direction="pos_to_app", action="create",
                      outcome="failed", message_vi=f"vi {secret}", message_en=f"en {secret}")
    ledger.finish_run(run, "interrupted", {}, 1, f"POS said: Basic {secret}")
    path = store.database
    store.close()
    raw = sqlite3.connect(path).execute(
        "SELECT group_concat(message_vi || message_en) FROM item_result").fetchone()[0]
    error = sqlite3.connect(path).execute("SELECT error FROM run").fetchone()[0]
    assert secret not in raw and "***" in raw
    assert secret not in error and error == "POS said: Basic ***"


def test_com07_log_lines_are_masked_even_by_a_handler_set_up_before_the_secret_was_known(home):
    handle = setup_logging(home, Redactor(), logging.INFO)
    secret = _secret()
    try:
        SECRETS.add(secret)
        logging.getLogger("shopsync.test").error("body was %s", json.dumps({"s": secret}))
        handle.handler.flush()
        text = handle.file.read_text(encoding="utf-8")
    finally:
        handle.close()
    assert secret not in text and json.dumps(secret)[1:-1] not in text
    assert 'body was {"s": "***"}' in text


def test_com07_basic_pairs_of_a_profile_are_masked_whole():
    import base64
    secret = _secret()
    learn_profile({"api_secret": secret}, {"api_key": "the-api-key"})
    basic = base64.b64encode(f"the-api-key:{secret}".encode()).decode()
    assert redact(f"Authorization: Basic {basic}") == "Authorization: Basic ***"


def test_com07_a_token_a_connector_learns_mid_run_is_masked_by_the_app_too():
    token = "tok-" + uuid.uuid4().hex
    PosHttp(base_url="http://127.0.0.1:1", redact=Redactor()).redact.add(token)
    assert redact(f"Bearer {token}") == "Bearer ***"


def test_com07_sync_json_never_prints_a_secret_in_its_escaped_form(home):
    from app.cli import Cli, build_parser
    secret = _secret()
    out = io.StringIO()
    cli = Cli(build_parser().parse_args(["--home", str(home.home), "profile", "list"]),
              secrets=SecretStore(backend=MemoryKeyring()), out=out, err=out)
    cli.secrets.set("p", "api_secret", secret)
    cli.print(json.dumps({"message_en": f"echo {secret}"}))
    assert json.dumps(secret)[1:-1] not in out.getvalue()
    assert out.getvalue().strip() == '{"message_en": "echo ***"}'
