"""Log files: secrets never reach the disk (COM-07), and the files rotate."""
from __future__ import annotations

import logging

import pytest

from app.logs import LOG_FILE_NAME, setup_logging
from connectors.http import Redactor

SECRET = "sk_live_Abc123Secret"


@pytest.fixture
def logging_into(home):
    handles = []

    def start(**kwargs):
        handle = setup_logging(home, Redactor([SECRET]), logging.DEBUG, **kwargs)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.close()


def _all_log_bytes(home) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(home.logs.iterdir()))


def test_com07_secret_passed_as_log_argument_never_reaches_the_file(home, logging_into):
    handle = logging_into()
    logging.getLogger("shopsync.test").info("connecting with key %s", SECRET)
    handle.handler.flush()
    data = _all_log_bytes(home)
    assert SECRET.encode() not in data
    assert b"connecting with key ***" in data


def test_com07_secret_inside_an_exception_traceback_never_reaches_the_file(home, logging_into):
    handle = logging_into()
    try:
        raise RuntimeError(f"token rejected: {SECRET}")
    except RuntimeError:
        logging.getLogger("shopsync.test").exception("push failed for %s", "order 7")
    handle.handler.flush()
    data = _all_log_bytes(home)
    assert SECRET.encode() not in data
    assert b"RuntimeError: token rejected: ***" in data
    assert b"Traceback" in data


def test_com07_secret_learned_after_setup_is_masked_from_then_on(home, logging_into):
    handle = logging_into()
    late = "nhanh-token-XYZ-987654"
    handle.add(late)
    logging.getLogger("shopsync.test").warning("token %s expires soon", late)
    handle.handler.flush()
    data = _all_log_bytes(home)
    assert late.encode() not in data
    assert b"token *** expires soon" in data


def test_com07_url_encoded_secret_in_a_logged_url_is_masked(home, logging_into):
    handle = logging_into()
    secret = "p@ss/word+42"
    handle.add(secret)
    logging.getLogger("shopsync.test").info("GET /token?secret=p%40ss%2Fword%2B42")
    handle.handler.flush()
    assert b"p%40ss%2Fword%2B42" not in _all_log_bytes(home)


def test_log_files_rotate_and_keep_a_bounded_number(home, logging_into):
    handle = logging_into(max_bytes=2_000, backup_count=2)
    log = logging.getLogger("shopsync.test")
    for number in range(200):
        log.info("line %04d %s", number, "x" * 40)
    handle.handler.flush()
    names = sorted(p.name for p in home.logs.iterdir())
    assert names == [LOG_FILE_NAME, f"{LOG_FILE_NAME}.1", f"{LOG_FILE_NAME}.2"]
    assert all(p.stat().st_size <= 2_100 for p in home.logs.iterdir())
    assert b"line 0199" in (home.logs / LOG_FILE_NAME).read_bytes()


def test_setting_up_twice_writes_each_line_once(home, logging_into):
    logging_into()
    handle = logging_into()
    logging.getLogger("shopsync.test").info("only once")
    handle.handler.flush()
    assert _all_log_bytes(home).count(b"only once") == 1


def test_com07_sql_statements_with_customer_data_never_reach_the_log_file(home, logging_into):
    handle = logging_into()
    logging.getLogger("peewee").debug("('INSERT INTO customer ...', ['Nguyễn Văn An', '0901234567'])")
    logging.getLogger("shopsync.test").debug("a debug line of our own")
    handle.handler.flush()
    data = _all_log_bytes(home)
    assert b"a debug line of our own" in data
    assert b"0901234567" not in data


def test_closing_the_log_restores_the_levels_it_found(home):
    root, sql = logging.getLogger(), logging.getLogger("peewee")
    before = root.level, sql.level
    first = setup_logging(home, Redactor(), logging.DEBUG)
    second = setup_logging(home, Redactor(), logging.DEBUG)
    assert root.level == logging.DEBUG and sql.level == logging.INFO
    second.close()
    first.close()
    assert (root.level, sql.level) == before
