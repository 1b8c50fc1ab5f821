"""The command line: the same run service (app/session.py) and events as the desktop app, for
support staff, schedulers and tests. `shopsync` alone opens the desktop app (shopsync.py).

Every line printed goes through one Redactor that knows the profile's secrets (COM-07).
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import itertools
import json
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from connectors.http import Redactor

EXIT_OK, EXIT_FAILED_ITEMS, EXIT_USAGE, EXIT_CONNECTION, EXIT_INTERRUPTED = 0, 1, 2, 3, 4
SECRET_ENV_PREFIX = "SHOPSYNC_SECRET_"
LOGIN_WARN_DAYS = 30            # a browser login ending this soon is mentioned (NH-13)
BUSY_WAIT_ENV = "SHOPSYNC_BUSY_SECONDS"
DEFAULT_BUSY_WAIT = 30.0
WAIT_LINE_AFTER = 10.0          # seconds: a POS pause this long gets its own line (COM-08)

EPILOG = """\
Exit codes / Mã thoát:
  0  done / xong
  1  done, some items failed / xong, có mục lỗi (see `shopsync results`)
  2  usage or configuration error / sai cú pháp hoặc cấu hình
  3  connection or authentication error / lỗi kết nối hoặc xác thực
  4  interrupted, cancelled or already running elsewhere (run again to resume)
     / bị gián đoạn, đã dừng hoặc đang chạy ở nơi khác (chạy lại để tiếp tục)

Secrets are never taken from the command line: set SHOPSYNC_SECRET_<FIELD> (e.g.
SHOPSYNC_SECRET_API_SECRET) or type them at the hidden prompt.
"""

SET_HELP = """KEY=VALUE: a connection field (shop, client_id …), an option (sync_orders=on,
sandbox=on), a host (api_base=http://127.0.0.1:8080) or schedule_minutes=N. Booleans:
on/off/true/false. Secret fields are refused here."""


def _version() -> str:
    # app.__version__, not importlib.metadata: the frozen Windows build carries no dist-info.
    from app import __version__
    return __version__


class UsageError(Exception):
    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_vi, self.message_en = message_vi, message_en


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    from contract.records import Entity, OrderStatus
    from connectors.registry import platform_keys
    entities = [e.value for e in Entity]
    parser = argparse.ArgumentParser(
        prog="shopsync", description="ShopSync — đồng bộ App bán hàng với POS / sync your "
        "sales App with your POS.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", help="data folder (default: per-user, or SHOPSYNC_HOME)")
    parser.add_argument("--lang", choices=("vi", "en"), default="vi",
                        help="language of human output (default vi)")
    parser.add_argument("--version", action="version", version=f"shopsync {_version()}")
    sub = parser.add_subparsers(dest="command")

    profile = sub.add_parser("profile", help="saved connections").add_subparsers(dest="action")
    add = profile.add_parser("add", help="save a connection", description=SET_HELP)
    add.add_argument("name")
    add.add_argument("--platform", required=True, help=" | ".join(platform_keys()))
    add.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
    profile.add_parser("list", help="list connections")
    show = profile.add_parser("show", help="show a connection (never its secrets)")
    show.add_argument("name")
    remove = profile.add_parser("remove", help="delete a connection and its keyring entries")
    remove.add_argument("name")

    test = sub.add_parser("test", help="test a connection")
    test.add_argument("name")

    login = sub.add_parser("login", help="log a connection in again in the browser (Nhanh.vn): "
                                         "prints the address to open, then takes the address "
                                         "the browser was sent to (or the code)")
    login.add_argument("name")
    login.add_argument("--code", metavar="ADDRESS_OR_CODE",
                       help="the redirected address or the accessCode (default: asked for)")

    sync = sub.add_parser("sync", help="sync a connection (all entities or --entity)")
    sync.add_argument("name")
    sync.add_argument("--entity", action="append", choices=entities)
    sync.add_argument("--dry-run", action="store_true", help="preview; write nothing")
    sync.add_argument("--full", action="store_true",
                      help="read everything, not only the changes since the last run")
    sync.add_argument("--json", action="store_true", help="one JSON object per line")

    push = sub.add_parser("push", help="push App-created products to the POS")
    push.add_argument("name")
    which = push.add_mutually_exclusive_group(required=True)
    which.add_argument("--product", action="append", metavar="APP_ID")
    which.add_argument("--all-new", action="store_true")
    push.add_argument("--dry-run", action="store_true")
    push.add_argument("--json", action="store_true")

    results = sub.add_parser("results", help="item results of a run (default: the last)")
    results.add_argument("--run", type=int)
    results.add_argument("--format", choices=("table", "csv", "json", "xlsx"), default="table")
    results.add_argument("--out", metavar="FILE", help="write csv/xlsx to FILE (xlsx needs it)")

    conflicts = sub.add_parser("conflicts", help="open conflicts of a connection")
    conflicts.add_argument("name")
    conflicts.add_argument("--json", action="store_true")

    resolve = sub.add_parser("resolve", help="resolve a conflict")
    resolve.add_argument("conflict_id", type=int)
    resolve.add_argument("--keep", choices=("app", "pos", "skip"), required=True)

    undo = sub.add_parser("undo", help="undo the App-side changes of the last run")
    undo.add_argument("name")
    undo.add_argument("--dry-run", action="store_true",
                      help="show per entity what would change, change nothing")
    restore = sub.add_parser("restore", help="bring back the records the last undo removed")
    restore.add_argument("name")

    backup = sub.add_parser("backup", help="copies of the database to come back to").add_subparsers(
        dest="action")
    backup.add_parser("list", help="list the copies, newest first")
    backup.add_parser("now", help="take a copy now")
    back = backup.add_parser("restore", help="put a copy in place of the database (default: "
                                             "the newest good one); the replaced file is kept")
    back.add_argument("file", nargs="?", help="a copy's file name from `backup list`")

    retry = sub.add_parser("retry", help="run again only the failed items of a run")
    retry.add_argument("name")
    retry.add_argument("--run", type=int, help="default: the last run with failed items")

    from app.file_commands import add_catalog_parser
    add_catalog_parser(sub)

    order = sub.add_parser("order", help="App orders").add_subparsers(dest="action")
    status = order.add_parser("status", help="change an App order's status (as in the App)")
    status.add_argument("app_order_id")
    status.add_argument("status", choices=[s.value for s in OrderStatus])

    diagnostics = sub.add_parser("diagnostics", help="support bundle without secrets (zip)")
    diagnostics.add_argument("out", nargs="?")
    selfcheck = sub.add_parser("selfcheck", help="check this installation (Qt, database, "
                                                 "keyring, resources, platforms)")
    selfcheck.add_argument("--json", action="store_true")

    sandbox = sub.add_parser("sandbox", help="sample shops").add_subparsers(dest="action")
    serve = sandbox.add_parser("serve", help="serve a platform sandbox on 127.0.0.1")
    serve.add_argument("--platform", required=True)
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--products", type=int, default=50)
    serve.add_argument("--seed", type=int, default=1)
    return parser


# ---------------------------------------------------------------------------------------------
# Context shared by the commands
# ---------------------------------------------------------------------------------------------

class Cli:
    def __init__(self, args: argparse.Namespace, secrets: Any = None,
                 out: Any = None, err: Any = None, environ: dict | None = None,
                 stdin_is_tty: bool | None = None) -> None:
        from app.config import get_paths
        self.args = args
        self.lang = args.lang
        self.environ = os.environ if environ is None else environ
        self.paths = get_paths(args.home)
        self._secrets = secrets
        self.out_stream = out or sys.stdout
        self.err_stream = err or sys.stderr
        from app.redaction import SECRETS
        self.redact: Redactor = SECRETS
        self.stdin_is_tty = sys.stdin.isatty() if stdin_is_tty is None else stdin_is_tty
        self._db = None
        self._log = None
        self._session = None
        # How long a command waits for another ShopSync process (an import, another
        # connection's sync) to release the database before exiting 4.
        self.busy_wait = float(self.environ.get(BUSY_WAIT_ENV, "") or DEFAULT_BUSY_WAIT)

    # -- output (always redacted) -----------------------------------------------------------
    def say(self, vi: str, en: str = "") -> None:
        self.print(vi if self.lang == "vi" or not en else en)

    def print(self, line: str) -> None:
        self.out_stream.write(self.redact(line) + "\n")
        self.out_stream.flush()

    def error(self, vi: str, en: str) -> None:
        self.err_stream.write(self.redact(vi if self.lang == "vi" else en) + "\n")
        self.err_stream.flush()

    # -- resources ------------------------------------------------------------------------------
    @property
    def db(self):
        if self._db is None:
            from app.logs import setup_logging
            from app.store.connection import open_store
            self._log = setup_logging(self.paths, self.redact)
            self._db = open_store(self.paths, busy_timeout=self.busy_wait)
        return self._db

    @property
    def catalog(self):
        from app.store.catalog import Catalog
        return Catalog(self.db)

    @property
    def secrets(self):
        if self._secrets is None:
            from app.secrets import secrets_for_home
            # Without a system keyring the sample shop still works; a real connection is
            # told what is missing when it needs its secret (issue 20 point 1).
            self._secrets = secrets_for_home(self.paths)
        return self._secrets

    @property
    def session(self):
        """The run service the window uses too (app/session.py)."""
        if self._session is None:
            from app.session import ShopSession
            self._session = ShopSession(self.paths.home, self.db, self.secrets)
        return self._session

    def profile(self, name: str):
        from app.store.profiles import get_profile
        from app.sync.connect import redactor_for
        self.db
        profile = get_profile(name)
        if not _sandbox(profile):
            redactor_for(profile, self.secrets, redactor=self.redact)
            self.warn_login_ending(profile)
        return profile

    def warn_login_ending(self, profile) -> None:
        """A browser login cannot be refreshed (NH-13): within a month of its end, every
        command on the connection says how to log in again from here."""
        expires = profile.token_expires_at
        if expires is None or self.args.command == "login":
            return
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=timezone.utc)
        days = (expires - datetime.now(timezone.utc)).total_seconds() / 86400
        if days > LOGIN_WARN_DAYS:
            return
        if days <= 0:
            self.error(f"Đăng nhập của kết nối {profile.name} đã hết hạn: chạy “shopsync login "
                       f"{profile.name}” để đăng nhập lại.",
                       f"The login of connection {profile.name} has ended: run “shopsync login "
                       f"{profile.name}” to log in again.")
        else:
            self.error(f"Đăng nhập của kết nối {profile.name} hết hạn sau {max(1, int(days))} "
                       f"ngày: chạy “shopsync login {profile.name}” trước ngày đó.",
                       f"The login of connection {profile.name} ends in {max(1, int(days))} "
                       f"days: run “shopsync login {profile.name}” before then.")

    def know_all_secrets(self) -> None:
        """Output not tied to one profile (results, exports) is masked for every profile."""
        from app.store.profiles import list_profiles
        from app.sync.connect import redactor_for
        self.db
        for profile in list_profiles():
            try:
                redactor_for(profile, self.secrets, redactor=self.redact)
            except Exception:   # an unknown platform or a locked keyring: mask what we can
                continue

    def log_writable(self) -> bool:
        if self._log is not None:
            return self._log.writable
        return self.paths.logs.is_dir() and os.access(self.paths.logs, os.W_OK)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        if self._log is not None:
            self._log.close()


def _sandbox(profile) -> bool:
    from app.sync.connect import is_sandbox
    return is_sandbox(profile)


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

def _parse_bool(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("on", "true", "yes", "1"):
        return True
    if lowered in ("off", "false", "no", "0"):
        return False
    return None


def cmd_profile(cli: Cli) -> int:
    from app.store.profiles import list_profiles, remove_profile
    action = cli.args.action
    if action == "add":
        return _profile_add(cli)
    cli.db
    if action == "list":
        for profile in list_profiles():
            tag = " (sandbox)" if _sandbox(profile) else ""
            cli.print(f"{profile.name}\t{profile.platform}{tag}")
        return EXIT_OK
    if action == "show":
        profile = cli.profile(cli.args.name)
        cli.print(f"name: {profile.name}\nplatform: {profile.platform}")
        for title, values in (("fields", profile.fields), ("options", profile.options),
                              ("hosts", profile.hosts)):
            for key, value in sorted(values.items()):
                cli.print(f"{title}.{key}: {value}")
        for name in profile.secret_names:
            cli.print(f"secret.{name}: " + _secret_state(cli, profile.name, name))
        cli.print(f"schedule_minutes: {profile.schedule_minutes}")
        return EXIT_OK
    if action == "remove":
        remove_profile(cli.args.name, cli.secrets)
        cli.say(f"Đã xoá kết nối {cli.args.name}.", f"Removed connection {cli.args.name}.")
        return EXIT_OK
    raise UsageError("Thiếu lệnh con: add, list, show, remove.",
                     "Missing subcommand: add, list, show, remove.")


def _secret_state(cli: Cli, profile: str, name: str) -> str:
    """Where a connection's secret is, as it is now, never its value (COM-07): `profile
    show` must not say "in the keyring" when there is no keyring or the entry is gone."""
    from app.secrets import SecretsUnavailable
    vi = cli.lang == "vi"
    try:
        value = cli.secrets.get(profile, name)
    except SecretsUnavailable:
        return ("(không đọc được: máy này không có kho khoá dùng được — xem “shopsync selfcheck”)"
                if vi else "(cannot be read: no usable keyring here — see “shopsync selfcheck”)")
    if not value:
        return (f"(không có trong kho khoá — chạy lại “shopsync profile add {profile} …”)"
                if vi else f"(not in the keyring — run “shopsync profile add {profile} …” again)")
    return "(trong kho khoá)" if vi else "(in the keyring)"


def _profile_add(cli: Cli) -> int:
    from app.connection_values import check_credential, check_host
    from app.store.profiles import create_profile
    from app.sync.connect import SANDBOX_OPTION
    platform = _platform_named(cli.args.platform)
    wanted = _read_settings(cli.args.set, platform)
    sample = bool(wanted.options.get(SANDBOX_OPTION))
    _check_required_fields(platform, wanted.fields, sample)
    if not sample and not cli.secrets.persistent and any(
            spec.secret for spec in platform.credential_fields):
        # Finding 2: "saved" into a store that forgets on exit, the next command would fail.
        raise cli.secrets.problem
    secrets = _read_secrets(cli, platform, sample)
    if platform.branch_field and wanted.fields.get(platform.branch_field) and not sample:
        _check_branch(cli, platform, wanted, secrets)
    cli.db
    for name, value in secrets.items():
        cli.secrets.set(cli.args.name, name, value)
    profile = create_profile(cli.args.name, platform.key, wanted.fields, wanted.options,
                             wanted.hosts, secret_names=secrets,
                             schedule_minutes=wanted.schedule_minutes)
    cli.say(f"Đã lưu kết nối {profile.name} ({platform.name_vi}).",
            f"Saved connection {profile.name} ({platform.name_en}).")
    return EXIT_OK


@dataclass
class _Settings:
    """What `profile add --set KEY=VALUE …` asked for, sorted by kind."""

    fields: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    hosts: dict[str, str] = field(default_factory=dict)
    schedule_minutes: int = 0


def _check_branch(cli: Cli, platform, wanted: "_Settings", secrets: dict[str, str]) -> None:
    """KVF-14: a branch given on the command line is checked against the shop's own list
    (the connection test refuses one that is not the shop's) before the profile is saved.
    When the POS cannot be reached now, the profile is saved with a note to test it later."""
    from app.session import Draft
    from contract.connector import InvalidInput, PosError
    draft = Draft(platform.key, fields=dict(wanted.fields), secrets=dict(secrets),
                  options=dict(wanted.options), hosts=dict(wanted.hosts))
    try:
        asyncio.run(cli.session.test_draft(draft))
    except InvalidInput as exc:
        raise UsageError(exc.message_vi, exc.message_en) from None
    except PosError as exc:
        if exc.kind.value in ("auth", "permission"):
            raise
        cli.say(f"Chưa kiểm tra được chi nhánh lúc này ({exc.message_vi}). Hãy chạy "
                f"“shopsync test” sau khi lưu.",
                f"The branch could not be checked now ({exc.message_en}). Run “shopsync test” "
                f"after saving.")


def _platform_named(key: str):
    from connectors.registry import UnknownPlatform, get_platform, platform_keys
    try:
        return get_platform(key)
    except (UnknownPlatform, ImportError):
        keys = ", ".join(platform_keys())
        raise UsageError(f"Không có nền tảng “{key}”. Chọn: {keys}.",
                         f"No platform “{key}”. Choose: {keys}.") from None


def _read_settings(items: Sequence[str], platform) -> _Settings:
    from app.sync.connect import SANDBOX_OPTION, SANDBOX_SEED_OPTION
    fields_by_name = {f.name: f for f in platform.credential_fields}
    option_specs = {o.name: o for o in platform.options}
    wanted = _Settings()
    for item in items:
        key, value = _key_value(item)
        if key in fields_by_name:
            wanted.fields[key] = _field_value(fields_by_name[key], value)
        elif key in option_specs or key in (SANDBOX_OPTION, SANDBOX_SEED_OPTION):
            wanted.options[key] = _option_value(key, option_specs.get(key), value)
        elif key in platform.hosts:
            wanted.hosts[key] = _host_value(key, value)
        elif key in ("schedule_minutes", "schedule"):
            wanted.schedule_minutes = _schedule_value(value)
        else:
            known = sorted(set(fields_by_name) | set(option_specs) | set(platform.hosts)
                           | {SANDBOX_OPTION, "schedule_minutes", "schedule"})
            raise UsageError(f"Không biết “{key}”. Có thể dùng: {', '.join(known)}.",
                             f"Unknown “{key}”. Known keys: {', '.join(known)}.")
    return wanted


def _key_value(item: str) -> tuple[str, str]:
    """`KEY=VALUE`; an `option.`, `host.` or `field.` prefix on KEY is allowed."""
    key, sep, value = item.partition("=")
    key = key.strip()
    for prefix in ("option.", "host.", "field."):
        if key.startswith(prefix):
            key = key[len(prefix):]
    if not sep or not key:
        raise UsageError(f"“{item}” phải có dạng KEY=VALUE.", f"“{item}” must be KEY=VALUE.")
    return key, value


def _field_value(spec, value: str) -> str:
    from contract.connector import InvalidInput
    if spec.secret:
        key = spec.name
        raise UsageError(
            f"“{key}” là bí mật: không nhập trên dòng lệnh. Dùng biến môi trường "
            f"{SECRET_ENV_PREFIX}{key.upper()} hoặc nhập ở lời nhắc ẩn.",
            f"“{key}” is a secret: never on the command line. Use the environment "
            f"variable {SECRET_ENV_PREFIX}{key.upper()} or the hidden prompt.")
    from app.connection_values import check_credential
    try:
        return check_credential(spec, spec.validate(value))
    except InvalidInput as exc:
        raise UsageError(f"{spec.label_vi}: {exc.message_vi}",
                         f"{spec.label_en}: {exc.message_en}") from None


def _option_value(key: str, spec, value: str) -> Any:
    if spec is not None and spec.locked:
        raise UsageError(f"Tuỳ chọn “{key}” bị khoá ({spec.lock_rule}).",
                         f"Option “{key}” is locked ({spec.lock_rule}).")
    from app.sync.connect import SANDBOX_OPTION
    if key == SANDBOX_OPTION or (spec is not None and isinstance(spec.default, bool)):
        parsed = _parse_bool(value)
        if parsed is None:
            raise UsageError(f"“{key}” nhận on/off/true/false.",
                             f"“{key}” takes on/off/true/false.")
        return parsed
    if spec is not None and spec.choices and value not in [c[0] for c in spec.choices]:
        allowed = ", ".join(c[0] for c in spec.choices)
        raise UsageError(f"“{key}” nhận: {allowed}.", f"“{key}” takes: {allowed}.")
    return value


def _host_value(key: str, value: str) -> str:
    from app.connection_values import check_host
    return check_host(key, value)


def _schedule_value(value: str) -> int:
    from app.sync.schedule import REALTIME_MINUTES
    if value.strip().lower() in ("realtime", "real-time", "gan-thoi-gian-thuc"):
        return REALTIME_MINUTES           # near real time (COM-10): a run every minute
    if not value.isdigit():
        raise UsageError("schedule_minutes là số phút (0 = chỉ chạy khi bấm; realtime = mỗi "
                         "phút, gần thời gian thực).",
                         "schedule_minutes is a number of minutes (0 = on demand; realtime = "
                         "every minute, near real time).")
    return int(value)


def _read_secrets(cli: Cli, platform, sample: bool) -> dict[str, str]:
    """Each secret field from SHOPSYNC_SECRET_<FIELD> or the hidden prompt (COM-07); the
    sample shop needs none."""
    from contract.connector import InvalidInput
    secrets: dict[str, str] = {}
    for spec in platform.credential_fields:
        if not spec.secret:
            continue
        variable = f"{SECRET_ENV_PREFIX}{spec.name.upper()}"
        value = cli.environ.get(variable, "")
        if not value and cli.stdin_is_tty and not sample:
            value = getpass.getpass(f"{spec.label_vi if cli.lang == 'vi' else spec.label_en}: ")
        if value:
            from app.connection_values import check_credential
            try:
                secrets[spec.name] = check_credential(spec, spec.validate(value))
            except InvalidInput as exc:
                raise UsageError(f"{spec.label_vi}: {exc.message_vi}",
                                 f"{spec.label_en}: {exc.message_en}") from None
            cli.redact.add(secrets[spec.name])
        elif spec.required and not sample:
            raise UsageError(
                f"Thiếu “{spec.label_vi}”: đặt biến {variable} hoặc chạy trong cửa sổ lệnh để "
                f"nhập.",
                f"Missing “{spec.label_en}”: set {variable} or run in a terminal to type it.")
    return secrets


def _check_required_fields(platform, fields: dict[str, str], sample: bool) -> None:
    for spec in platform.credential_fields:
        if not spec.secret and spec.required and not sample and spec.name not in fields:
            raise UsageError(f"Thiếu “{spec.label_vi}”: thêm --set {spec.name}=…",
                             f"Missing “{spec.label_en}”: add --set {spec.name}=…")


def cmd_test(cli: Cli) -> int:
    profile = cli.profile(cli.args.name)
    info = asyncio.run(cli.session.test(profile))
    cli.say(f"Kết nối được: {info.shop_name}", f"Connected: {info.shop_name}")
    for branch in info.branches:
        cli.print(f"  - {branch.key}\t{branch.name}")
    for vi, en in zip(info.warnings_vi, info.warnings_en):
        cli.say(f"Lưu ý: {vi}", f"Note: {en}")
    return EXIT_OK


def _printer(cli: Cli, as_json: bool) -> Callable[[Any], None]:
    """`--json`: each event as it serialises itself (app/sync/events.py), progress left out;
    otherwise one readable line per item and a summary."""
    from app.sync import events as ev

    def emit(event: Any) -> None:
        if as_json:
            if not isinstance(event, ev.Progress):
                cli.print(ev.to_json(event))
            return
        if isinstance(event, ev.Waiting):
            if event.reason == ev.WaitReason.RETRY or event.seconds < WAIT_LINE_AFTER:
                return      # short pauses and retries: the log has them, the terminal need not
            minutes = max(1, round(event.seconds / 60))
            if event.reason == "pacing":
                cli.say(f"Đang chờ để không vượt giới hạn số lượt gọi của POS; tự tiếp tục lúc "
                        f"{event.until_clock} (khoảng {minutes} phút). Bấm Ctrl-C để dừng; lần "
                        f"chạy sau tiếp tục từ chỗ này.",
                        f"Waiting to stay within the POS's request limit; continuing by itself "
                        f"at {event.until_clock} (about {minutes} min). Press Ctrl-C to stop; "
                        f"the next run continues from here.")
                return
            cli.say(f"POS yêu cầu tạm ngừng gửi yêu cầu: ShopSync chờ rồi tự tiếp tục lúc "
                    f"{event.until_clock} (khoảng {minutes} phút). Bấm Ctrl-C để dừng; lần chạy "
                    f"sau tiếp tục từ chỗ này.",
                    f"The POS asked for a pause: ShopSync waits and continues by itself at "
                    f"{event.until_clock} (about {minutes} min). Press Ctrl-C to stop; the next "
                    f"run continues from here.")
            return
        if isinstance(event, ev.ItemResult):
            from app.words import entity_word, word
            lang = cli.lang
            message = event.message_vi if lang == "vi" else event.message_en
            rule = f"[{event.rule}] " if event.rule else ""
            cli.print(_ITEM_LINE.format(entity_word(event.entity, lang), word(event.action, lang),
                                        word(event.outcome, lang), event.app_id or "-",
                                        event.pos_id or "-", event.name[:30],
                                        f"{rule}{message}"))
        elif isinstance(event, ev.RunFinished):
            _print_finished(cli, event)
    return emit


# One item per line, the same columns as `shopsync results` (finding 9): the name never runs
# into the message.
_ITEM_LINE = "{:<11} {:<16} {:<8} {:<10} {:<10} {:<30} │ {}"


def _print_finished(cli: Cli, event: Any) -> None:
    """The run's sentence, then what it counted in words and, when items wait for the owner,
    the commands that deal with them (the window's tables are not here)."""
    from app.words import word
    vi = cli.lang == "vi"
    message = event.message_vi if vi else event.message_en
    counts = {getattr(k, "value", k): v for k, v in event.counts.items()
              if k != "by_action" and v}
    if event.status == "refused" and not counts:
        cli.print(message)      # finding 3: nothing was done; one plain sentence
        return
    counted = ", ".join(f"{word(k, cli.lang)} {v}" for k, v in counts.items())
    seconds = f"{event.seconds:.1f}".replace(".", "," if vi else ".")
    calls = (f"{event.request_count} lượt gọi POS; {seconds} giây" if vi
             else f"{event.request_count} POS requests; {seconds} s")
    cli.print(f"{message} ({counted + '; ' if counted else ''}{calls})")
    name = getattr(cli.args, "name", None) or ("TÊN" if vi else "NAME")
    if counts.get("failed"):
        cli.say(f"Xem các mục lỗi: shopsync results — chạy lại riêng chúng: shopsync retry "
                f"{name}",
                f"See the failed items: shopsync results — retry only them: shopsync retry "
                f"{name}")
    by_action = event.counts.get("by_action") or {}
    if by_action.get("conflict") and not getattr(cli.args, "dry_run", False):
        cli.say(f"Xung đột chờ bạn chọn: shopsync conflicts {name}, rồi shopsync resolve SỐ "
                f"--keep app|pos|skip",
                f"Conflicts wait for your choice: shopsync conflicts {name}, then shopsync "
                f"resolve ID --keep app|pos|skip")


def _exit_code(finished) -> int:
    from app.sync.events import RunStatus
    if finished.status == RunStatus.DONE:
        return EXIT_FAILED_ITEMS if finished.counts.get("failed") else EXIT_OK
    if finished.status in (RunStatus.INTERRUPTED, RunStatus.CANCELLED):
        return EXIT_INTERRUPTED
    return EXIT_CONNECTION


def _run(cli: Cli, request, as_json: bool = False) -> Any:
    """Run `request` through the session (run lock included) in a fresh event loop; the first
    Ctrl-C stops between items, the checkpoint kept (a second one stops at once; the next run
    resumes either way)."""
    cancel = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_interrupt(signum, frame):
            if cancel.is_set():
                raise KeyboardInterrupt
            cancel.set()
        previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return asyncio.run(cli.session.run(request, _printer(cli, as_json), cancel))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def cmd_sync(cli: Cli) -> int:
    from app.session import RunKind, RunRequest
    profile = cli.profile(cli.args.name)
    entities = tuple(cli.args.entity) if cli.args.entity else None
    return _exit_code(_run(cli, RunRequest(profile, RunKind.SYNC, entities=entities,
                                           dry_run=cli.args.dry_run, full=cli.args.full),
                           cli.args.json))


def cmd_push(cli: Cli) -> int:
    from app.session import RunKind, RunRequest
    profile = cli.profile(cli.args.name)
    request = RunRequest(profile, RunKind.PUSH, app_ids=tuple(cli.args.product or ()),
                         all_new=cli.args.all_new, dry_run=cli.args.dry_run)
    return _exit_code(_run(cli, request, cli.args.json))


def cmd_retry(cli: Cli) -> int:
    from app.session import RunKind, RunRequest
    from app.store.queries import last_run_with_failures
    profile = cli.profile(cli.args.name)
    run_id = cli.args.run
    if run_id is None:
        run_id = last_run_with_failures(profile.id)
        if run_id is None:
            cli.say("Không có mục lỗi nào để chạy lại.", "There are no failed items to retry.")
            return EXIT_OK
    return _exit_code(_run(cli, RunRequest(profile, RunKind.RETRY, run_id=run_id)))


def cmd_undo(cli: Cli) -> int:
    """The plan first (B-02: what will change, per entity), then the undo itself through the
    session (run lock; App side only, no connection to the POS)."""
    from app.session import RunKind, RunRequest
    from app.sync.undo import plan_undo, undo_words
    profile = cli.profile(cli.args.name)
    with cli.session.holding_lock(profile):   # not planned while another process runs it
        plan = plan_undo(profile)
    for vi, en in undo_words(plan, cli.args.dry_run):
        cli.say(vi, en)
    if cli.args.dry_run or not plan.allowed:
        return EXIT_USAGE if plan.refused_for_safety else EXIT_OK
    return _exit_code(_run(cli, RunRequest(profile, RunKind.UNDO)))


def cmd_restore(cli: Cli) -> int:
    from app.session import RunKind, RunRequest
    profile = cli.profile(cli.args.name)
    finished = _run(cli, RunRequest(profile, RunKind.RESTORE))
    return EXIT_OK if finished.status == "refused" else _exit_code(finished)


def cmd_backup(cli: Cli) -> int:
    """Database copies (issue 18 §7). `restore` works on a damaged file: it never opens it."""
    from app.store.backups import is_good_copy, newest_good_backup
    from app.store.migrations import backup_database, list_backups
    paths, action = cli.paths, cli.args.action
    if action == "list":
        copies = list_backups(paths.backups, paths.database.stem)
        if not copies:
            cli.say(f"Chưa có bản sao nào trong {paths.backups}.",
                    f"No copies yet in {paths.backups}.")
        for copy in copies:
            good = is_good_copy(copy)
            cli.print(f"{copy.name}\t{copy.stat().st_size}\t"
                      + (("đọc được" if good else "HỎNG") if cli.lang == "vi"
                         else ("good" if good else "DAMAGED")))
        return EXIT_OK
    if action == "now":
        cli.db
        copy = backup_database(paths.database, paths.backups, "manual")
        cli.say(f"Đã sao lưu: {copy}", f"Copy taken: {copy}")
        return EXIT_OK
    if action == "restore":
        from app.store.connection import open_store, restore_backup
        if cli.args.file:
            chosen = paths.backups / cli.args.file
            if not is_good_copy(chosen):
                raise UsageError(f"“{cli.args.file}” không phải bản sao đọc được trong "
                                 f"{paths.backups}. Xem: shopsync backup list.",
                                 f"“{cli.args.file}” is not a readable copy in "
                                 f"{paths.backups}. See: shopsync backup list.")
        else:
            chosen = newest_good_backup(paths.backups, paths.database.stem)
            if chosen is None:
                raise UsageError(f"Chưa có bản sao đọc được nào trong {paths.backups}.",
                                 f"There is no readable copy in {paths.backups} yet.")
        kept = restore_backup(paths, chosen)
        open_store(paths, daily_copy=False).close()     # it opens: say so only then
        cli.say(f"Đã khôi phục {chosen.name} vào {paths.database}. Tệp cũ được giữ ở {kept}.",
                f"Restored {chosen.name} to {paths.database}. The old file is kept as {kept}.")
        return EXIT_OK
    raise UsageError("Thiếu lệnh con: list, now, restore.",
                     "Missing subcommand: list, now, restore.")


def cmd_login(cli: Cli) -> int:
    """Nhanh.vn's browser login for support staff without the window (NH-13)."""
    profile = cli.profile(cli.args.name)
    if _sandbox(profile):
        cli.say("Cửa hàng mẫu không cần đăng nhập.", "The sample shop needs no login.")
        return EXIT_OK
    platform = cli.session.platform(profile.platform)
    flow = cli.session.login_flow(platform)
    addresses = cli.session.login_addresses(platform, profile.fields, profile.hosts)
    if not addresses.authorize_url:
        raise UsageError(f"Kết nối {profile.name} chưa có App ID: thêm nó rồi đăng nhập lại.",
                         f"Connection {profile.name} has no App ID: add it, then log in again.")
    authorized_at = datetime.now(timezone.utc)
    pasted = cli.args.code
    if not pasted and cli.session.catches_login(platform, addresses.redirect_url):
        pasted = asyncio.run(_catch_or_paste(cli, platform, addresses, flow.code_minutes))
    if not pasted:
        pasted = _ask_login_code(cli, addresses.authorize_url, flow.code_minutes)
    outcome = asyncio.run(cli.session.login(profile, pasted, authorized_at=authorized_at))
    until = outcome.expires_at.astimezone().strftime("%d/%m/%Y") if outcome.expires_at else "?"
    cli.say(f"Đã đăng nhập {platform.name_vi} cho {profile.name}; mã đăng nhập dùng đến {until}.",
            f"Logged {profile.name} in to {platform.name_en}; the login lasts until {until}.")
    return EXIT_OK


async def _catch_or_paste(cli: Cli, platform, addresses, minutes: int) -> str:
    """The redirect comes back to this PC (NH-13): ShopSync listens for it and, meanwhile,
    still reads a pasted address or code (a browser on another machine, a blocked page) —
    whichever comes first. "" when the catcher could not start (port busy): paste instead."""
    ready = asyncio.Event()
    catching = asyncio.ensure_future(
        cli.session.catch_login_code(platform, addresses.redirect_url, ready=ready))
    listening = asyncio.ensure_future(ready.wait())
    await asyncio.wait({catching, listening}, return_when=asyncio.FIRST_COMPLETED)
    listening.cancel()
    if catching.done() and catching.exception() is not None:
        failure = catching.exception()
        cli.error(getattr(failure, "message_vi", str(failure)),
                  getattr(failure, "message_en", str(failure)))
        return ""
    cli.say("1. Mở địa chỉ này trong trình duyệt, đăng nhập và bấm đồng ý:",
            "1. Open this address in a browser, sign in and approve:")
    cli.print(f"   {addresses.authorize_url}")
    cli.say(f"2. ShopSync đang chờ Nhanh.vn chuyển trình duyệt về {addresses.redirect_url} "
            f"(trong vòng {minutes} phút) và sẽ tự nhận mã. Nếu trình duyệt ở máy khác hoặc "
            "báo không mở được trang đó, hãy dán địa chỉ trình duyệt hiện ra (hoặc mã "
            "accessCode) vào đây:",
            f"2. ShopSync is waiting for Nhanh.vn to send the browser back to "
            f"{addresses.redirect_url} (within {minutes} minutes) and will take the code "
            "itself. If the browser is on another machine or cannot open that page, paste the "
            "address it shows (or the accessCode) here:")
    pasted = _pasted_line(asyncio.get_running_loop())
    try:
        done, _ = await asyncio.wait({catching, pasted}, return_when=asyncio.FIRST_COMPLETED)
        if catching in done:
            code = catching.result()           # LoginError (declined, 10 minutes) → exit 3
            cli.say("Đã nhận mã đăng nhập từ trình duyệt.",
                    "Received the login code from the browser.")
            return code
        return pasted.result()
    finally:
        if not catching.done():
            catching.cancel()                  # the port is freed at once
            await asyncio.gather(catching, return_exceptions=True)


def _pasted_line(loop: asyncio.AbstractEventLoop) -> "asyncio.Future[str]":
    """The first non-empty line typed or pasted on stdin, read by a daemon thread: the
    catcher may win while nobody types, and the process must not wait for a line to exit.
    At the end of input (a script, /dev/null) the future never completes: the browser's
    redirect is then the only way in."""
    line: asyncio.Future[str] = loop.create_future()

    def deliver(value: str) -> None:
        if not line.done():
            line.set_result(value)

    def read() -> None:
        try:
            for raw in iter(sys.stdin.readline, ""):
                if raw.strip():
                    loop.call_soon_threadsafe(deliver, raw.strip())
                    return
        except (OSError, ValueError, RuntimeError):   # stdin closed, or the loop already ended
            return

    threading.Thread(target=read, name="shopsync-login-paste", daemon=True).start()
    return line


def _ask_login_code(cli: Cli, authorize_url: str, minutes: int) -> str:
    """Print the consent page and read back what the browser was sent to."""
    cli.say("1. Mở địa chỉ này trong trình duyệt, đăng nhập và bấm đồng ý:",
            "1. Open this address in a browser, sign in and approve:")
    cli.print(f"   {authorize_url}")
    cli.say(f"2. Dán vào đây địa chỉ trình duyệt được chuyển tới (hoặc mã accessCode), "
            f"trong vòng {minutes} phút:",
            f"2. Paste here the address the browser was sent to (or the accessCode), within "
            f"{minutes} minutes:")
    line = sys.stdin.readline()
    if not line.strip():
        raise UsageError("Chưa dán gì: chạy lại lệnh và dán địa chỉ sau khi đồng ý.",
                         "Nothing was pasted: run the command again and paste the address "
                         "after approving.")
    return line.strip()



def cmd_results(cli: Cli) -> int:
    from app.store import models as m
    from app.words import title, word, entity_word
    cli.know_all_secrets()
    run_id = cli.args.run
    if run_id is None:
        last = m.Run.select().order_by(m.Run.id.desc()).first()
        if last is None:
            cli.say("Chưa có lần chạy nào.", "No runs yet.")
            return EXIT_OK
        run_id = last.id
    from app.file_commands import result_table_rows
    from app.store.queries import ResultFilter
    # A generator read 2,000 results at a time (COM-06): a 100,000-row run starts printing
    # at once and never sits whole in memory.
    rows = result_table_rows(ResultFilter(run_id=run_id), newest_first=False)
    first = next(rows, None)          # peeked: the rest still streams
    if first is not None:
        rows = itertools.chain([first], rows)
    fmt = cli.args.format
    if first is None and fmt != "json":
        # Finding 10: an empty answer must say it is empty and where the rows are (on stderr
        # when stdout carries the CSV itself).
        _say_no_rows(cli, run_id, to_stderr=fmt == "csv" and not cli.args.out)
    if fmt == "json":
        for row in rows:
            cli.print(json.dumps({k: v for k, v in row.items() if k != "at"},
                                 ensure_ascii=False))
    elif fmt in ("csv", "xlsx"):
        from app.file_commands import write_results
        write_results(cli, (_readable(row, cli.lang) for row in rows), fmt, cli.args.out,
                      UsageError)
    elif first is not None:
        message = "message_vi" if cli.lang == "vi" else "message_en"
        lang = cli.lang
        line = ("{:<11} {:<16} {:<8} {:<10} {:<10} {:<30} │ {}")
        cli.print(line.format(title("entity", lang), title("action", lang),
                              title("outcome", lang), title("app_id", lang),
                              title("pos_id", lang), title("name", lang),
                              title("message", lang)))
        for row in rows:
            rule = f"[{row['rule']}] " if row["rule"] else ""
            cli.print(line.format(entity_word(row["entity"], lang), word(row["action"], lang),
                                  word(row["outcome"], lang), row["app_id"] or "-",
                                  row["pos_id"] or "-", row["name"][:30],
                                  f"{rule}{row[message]}"))
    return EXIT_OK


def _readable(row: dict, lang: str) -> dict:
    """A result row as a person reads it in a sheet (the JSON keeps the stored values)."""
    from app.words import entity_word, word
    return {**row, "entity": entity_word(row["entity"], lang),
            "direction": word(row["direction"], lang), "action": word(row["action"], lang),
            "outcome": word(row["outcome"], lang)}


def _say_no_rows(cli: Cli, run_id: int, to_stderr: bool = False) -> None:
    from app.store import models as m
    say = cli.error if to_stderr else cli.say
    latest = (m.ItemResult.select(m.ItemResult.run).where(m.ItemResult.run < run_id)
              .order_by(m.ItemResult.run.desc()).first())
    if latest is None:
        say(f"Lần chạy #{run_id} không có dòng kết quả nào, và chưa lần chạy nào trước đó "
                f"có.",
                f"Run #{run_id} has no result rows, and no earlier run has any.")
        return
    found = latest.run_id
    say(f"Lần chạy #{run_id} không có dòng kết quả nào (không có gì thay đổi). Lần gần "
            f"nhất có kết quả là #{found}: shopsync results --run {found}",
            f"Run #{run_id} has no result rows (nothing changed). The latest run with rows is "
            f"#{found}: shopsync results --run {found}")


def cmd_conflicts(cli: Cli) -> int:
    from app.sync.conflicts import open_conflicts
    profile = cli.profile(cli.args.name)
    for view in open_conflicts(profile.id):
        if cli.args.json:
            cli.print(json.dumps({"id": view.id, "entity": view.entity, "app_id": view.app_id,
                                  "pos_id": view.pos_id, "rule": view.rule,
                                  "differing": view.differing, "app": view.app_data,
                                  "pos": view.pos_data}, ensure_ascii=False))
        else:
            cli.print(f"#{view.id}\t{view.entity}\t{view.app_id}\t{view.pos_id}\t{view.rule}\t"
                      f"{', '.join(view.differing)}")
    return EXIT_OK


def cmd_resolve(cli: Cli) -> int:
    from app.store import models as m
    cli.db
    row = m.Conflict.get_or_none(m.Conflict.id == cli.args.conflict_id)
    if row is None:
        raise UsageError(f"Không có xung đột #{cli.args.conflict_id}.",
                         f"There is no conflict #{cli.args.conflict_id}.")
    profile = cli.profile(m.Profile.get_by_id(row.profile_id).name)
    from app.session import RunKind, RunRequest
    result = _run(cli, RunRequest(profile, RunKind.RESOLVE, conflict_ids=(cli.args.conflict_id,),
                                  keep=cli.args.keep))
    return EXIT_OK if result.outcome == "ok" else EXIT_FAILED_ITEMS


def cmd_catalog(cli: Cli) -> int:
    from app.file_commands import cmd_catalog as catalog_files
    return catalog_files(cli, UsageError)


def cmd_order(cli: Cli) -> int:
    import dataclasses
    from contract.records import Entity, OrderStatus
    catalog = cli.catalog
    order = catalog.get(Entity.ORDER, cli.args.app_order_id)
    if order is None:
        raise UsageError(f"Không có đơn {cli.args.app_order_id} trong App.",
                         f"There is no order {cli.args.app_order_id} in the App.")
    catalog.put(Entity.ORDER, dataclasses.replace(order, status=OrderStatus(cli.args.status)))
    from app.words import status_word
    cli.say(f"Đơn {order.key}: {status_word(cli.args.status, 'vi')}. Lần đồng bộ sau sẽ xử lý "
            f"theo luật của POS.",
            f"Order {order.key}: {status_word(cli.args.status, 'en')}. The next sync handles it "
            f"by the POS's rules.")
    return EXIT_OK


def cmd_sandbox(cli: Cli) -> int:
    import time
    from connectors.registry import get_platform
    from connectors.sandbox_base import serve
    platform = get_platform(cli.args.platform)
    if platform.sandbox is None:
        raise UsageError(f"{platform.key} chưa có cửa hàng mẫu.",
                         f"{platform.key} has no sandbox yet.")
    box = platform.sandbox(seed=cli.args.seed, products=cli.args.products)
    server = serve(box, cli.args.port)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    cli.say(f"Cửa hàng mẫu {platform.name_vi} đang chạy tại {url}",
            f"Sample {platform.name_en} shop running at {url}")
    cli.say("Nối tới nó như tới một cửa hàng thật (cần kho khoá của hệ thống; xem "
            "“shopsync selfcheck”) — trong cửa sổ lệnh khác:",
            "Connect to it as to a real shop (needs the system keyring; see "
            "“shopsync selfcheck”) — in another terminal:")
    cli.print("  " + _sandbox_profile_command(platform, url))
    cli.say(f"Chỉ cần tập dùng thử? Không cần máy chủ này: shopsync profile add mau "
            f"--platform {platform.key} --set sandbox=on",
            f"Only trying things out? No server needed: shopsync profile add sample "
            f"--platform {platform.key} --set sandbox=on")
    cli.say("Bấm Ctrl-C để dừng.", "Press Ctrl-C to stop.")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        server.shutdown()
    return EXIT_OK


def _sandbox_profile_command(platform, url: str) -> str:
    """The whole `profile add` line for a connection to a served sample shop (finding 2):
    every POS address pointed at it (keeping a path such as KiotViet's /connect/token), its
    settings, and its secrets given the way the CLI takes them (SHOPSYNC_SECRET_<FIELD>).
    The secrets are the sample shop's published ones (B-01), never a real shop's."""
    from urllib.parse import urlsplit
    parts: list[str] = []
    for name, value in platform.sandbox_secrets.items():
        if any(f.name == name and f.secret for f in platform.credential_fields):
            parts.append(f"{SECRET_ENV_PREFIX}{name.upper()}={value}")
    parts += ["shopsync", "profile", "add", "srv", "--platform", platform.key]
    for name, default in platform.hosts.items():
        where = urlsplit(default)
        if where.scheme != "https":        # a loopback redirect or an unset callback: ours
            continue
        path = where.path if "{" not in where.netloc and where.path not in ("", "/") else ""
        parts += ["--set", f"{name}={url}{path}"]
    for name, value in platform.sandbox_settings.items():
        if name not in platform.hosts:
            parts += ["--set", f"{name}={value}"]
    return " ".join(parts)


def cmd_diagnostics(cli: Cli) -> int:
    from app.diagnostics import diagnostics_command
    return diagnostics_command(cli.args, cli.out_stream, cli.err_stream, cli.redact)


def cmd_selfcheck(cli: Cli) -> int:
    from app.selfcheck import selfcheck_command
    return selfcheck_command(cli.args, cli.out_stream)


COMMANDS: dict[str, Callable[[Cli], int]] = {
    "profile": cmd_profile, "test": cmd_test, "sync": cmd_sync, "push": cmd_push,
    "results": cmd_results, "conflicts": cmd_conflicts, "resolve": cmd_resolve,
    "undo": cmd_undo, "restore": cmd_restore, "backup": cmd_backup, "retry": cmd_retry,
    "login": cmd_login, "catalog": cmd_catalog,
    "order": cmd_order,
    "sandbox": cmd_sandbox, "diagnostics": cmd_diagnostics, "selfcheck": cmd_selfcheck,
}


def main(argv: Sequence[str] | None = None, *, secrets: Any = None, out: Any = None,
         err: Any = None, environ: dict | None = None, stdin_is_tty: bool | None = None,
         window: Callable[[str | None], int] | None = None) -> int:
    """`window(home)` opens the desktop app when no command is given; the launcher
    (shopsync.py) passes it, so this module never imports the window's package."""
    _utf8_console()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return EXIT_USAGE if stop.code not in (0, None) else EXIT_OK
    if args.command is None:
        if window is not None:          # `shopsync` alone opens the desktop app
            return int(window(args.home) or 0)
        parser.print_help()
        return EXIT_USAGE
    try:
        cli = Cli(args, secrets, out, err, environ, stdin_is_tty)
    except OSError as exc:            # the data home cannot even be created
        return _home_unusable(args, exc, err)
    try:
        return COMMANDS[args.command](cli)
    except Exception as exc:  # one place turns every known error into a message and a code
        return _report(cli, exc)
    finally:
        cli.close()


def _utf8_console() -> None:
    """Vietnamese output must not fail on a Windows console or a redirected pipe that uses
    the legacy code page."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (getattr(stream, "encoding", "") or "").lower() != "utf-8":
            try:
                reconfigure(encoding="utf-8", errors="replace")
            except (ValueError, OSError):
                pass


def _report(cli: Cli, exc: Exception) -> int:
    from app.secrets import SecretsUnavailable
    from app.store.errors import StoreError
    from contract.connector import AuthError, InvalidInput, PermissionDenied, PosError
    vi, en = getattr(exc, "message_vi", None), getattr(exc, "message_en", None)
    from app.sync.run_lock import RunInProgress
    from app.store.errors import DatabaseBusy, DatabaseUnavailable, is_busy
    if isinstance(exc, RunInProgress):
        cli.error(vi, en)
        return EXIT_INTERRUPTED
    if isinstance(exc, DatabaseBusy) or (
            is_busy(exc) and (isinstance(exc, DatabaseUnavailable)
                              or not isinstance(exc, StoreError))):
        busy = exc if isinstance(exc, DatabaseBusy) else DatabaseBusy(cli.paths.database,
                                                                      cli.busy_wait)
        import logging
        logging.getLogger("shopsync.cli").warning("database busy: %s", type(exc).__name__)
        cli.error(busy.message_vi, busy.message_en)
        return EXIT_INTERRUPTED
    from app.store.errors import DiskFull, FolderNotWritable, storage_problem
    if not isinstance(exc, (UsageError, InvalidInput, PosError)):
        problem = storage_problem(exc, cli.paths.home)
        if isinstance(problem, (DiskFull, FolderNotWritable)):
            import logging
            logging.getLogger("shopsync.cli").warning("data folder problem: %s",
                                                      type(problem).__name__)
            cli.error(problem.message_vi, problem.message_en)
            # A full disk interrupts (run again once there is space); a folder that cannot
            # be written is configuration.
            return EXIT_INTERRUPTED if isinstance(problem, DiskFull) else EXIT_USAGE
    if isinstance(exc, (UsageError, InvalidInput)):
        cli.error(vi, en)
        return EXIT_USAGE
    if isinstance(exc, (AuthError, PermissionDenied)):
        cli.error(vi, en)
        _point_at_login(cli)
        return EXIT_CONNECTION
    if isinstance(exc, PosError):
        cli.error(vi, en)
        return EXIT_CONNECTION if not exc.retryable else EXIT_INTERRUPTED
    if isinstance(exc, (SecretsUnavailable, StoreError)) and vi:
        cli.error(vi, en)
        return EXIT_USAGE
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):    # `shopsync sync … | head`: the reader left
        return EXIT_INTERRUPTED
    import logging
    logging.getLogger("shopsync.cli").exception("unexpected error")
    if cli.log_writable():
        cli.error(f"Lỗi không mong đợi: {type(exc).__name__}. Xem nhật ký trong {cli.paths.logs}.",
                  f"Unexpected error: {type(exc).__name__}. See the log in {cli.paths.logs}.")
    else:   # never point at a log that could not be written
        cli.error(f"Lỗi không mong đợi: {type(exc).__name__}. Không ghi được nhật ký vào "
                  f"{cli.paths.logs}; hãy chạy `shopsync diagnostics` rồi gửi cho bộ phận hỗ trợ.",
                  f"Unexpected error: {type(exc).__name__}. The log could not be written to "
                  f"{cli.paths.logs}; run `shopsync diagnostics` and send it to support.")
    return EXIT_USAGE


def _home_unusable(args: argparse.Namespace, exc: OSError, err: Any) -> int:
    """The data home cannot be created or entered: say which folder and why, nothing else."""
    from app.config import resolve_home
    from app.store.errors import DiskFull, FolderNotWritable, storage_problem
    try:
        folder = resolve_home(args.home)
    except Exception:
        folder = None
    problem = storage_problem(exc, folder) or FolderNotWritable(folder)
    stream = err or sys.stderr
    stream.write((problem.message_vi if args.lang == "vi" else problem.message_en) + "\n")
    stream.flush()
    return EXIT_INTERRUPTED if isinstance(problem, DiskFull) else EXIT_USAGE


def _point_at_login(cli: Cli) -> None:
    """An auth failure of a browser-login connection: the window has a login button, the
    command line has `shopsync login NAME` (NH-13)."""
    name = getattr(cli.args, "name", None)
    if not name:
        return
    try:
        profile = cli.profile(name)
        has_login = cli.session.platform(profile.platform).login is not None
    except Exception:  # noqa: BLE001 - the error above is what matters; this is a hint
        return
    if has_login and not _sandbox(profile):
        cli.error(f"Trên dòng lệnh: chạy “shopsync login {name}” để đăng nhập lại.",
                  f"From the command line: run “shopsync login {name}” to log in again.")


if __name__ == "__main__":
    sys.exit(main())
