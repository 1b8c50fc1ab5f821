"""The command line: the same engine and events as the desktop app, for support staff,
schedulers and tests. `shopsync` alone opens the desktop app.

Every line printed goes through one Redactor that knows the profile's secrets (COM-07).
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import signal
import sys
import threading
from typing import Any, Callable, Sequence

from connectors.http import Redactor

EXIT_OK, EXIT_FAILED_ITEMS, EXIT_USAGE, EXIT_CONNECTION, EXIT_INTERRUPTED = 0, 1, 2, 3, 4
SECRET_ENV_PREFIX = "SHOPSYNC_SECRET_"

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
    add.add_argument("--platform", required=True,
                     help="sapo | kiotviet-fnb | kiotviet-retail | nhanh-v3 | nhanh-v2")
    add.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
    profile.add_parser("list", help="list connections")
    show = profile.add_parser("show", help="show a connection (never its secrets)")
    show.add_argument("name")
    remove = profile.add_parser("remove", help="delete a connection and its keyring entries")
    remove.add_argument("name")

    test = sub.add_parser("test", help="test a connection")
    test.add_argument("name")

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
        self.redact = Redactor()
        self.stdin_is_tty = sys.stdin.isatty() if stdin_is_tty is None else stdin_is_tty
        self._db = None
        self._log = None

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
            self._db = open_store(self.paths)
        return self._db

    @property
    def catalog(self):
        from app.store.catalog import Catalog
        return Catalog(self.db)

    @property
    def secrets(self):
        if self._secrets is None:
            from app.secrets import SecretStore
            self._secrets = SecretStore.for_home(self.paths)
        return self._secrets

    def profile(self, name: str):
        from app.store.profiles import get_profile
        from app.sync.connect import redactor_for
        self.db
        profile = get_profile(name)
        if not _sandbox(profile):
            redactor_for(profile, self.secrets, redactor=self.redact)
        return profile

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
            cli.print(f"secret.{name}: " + ("(trong kho khoá)" if cli.lang == "vi"
                                            else "(in the keyring)"))
        cli.print(f"schedule_minutes: {profile.schedule_minutes}")
        return EXIT_OK
    if action == "remove":
        remove_profile(cli.args.name, cli.secrets)
        cli.say(f"Đã xoá kết nối {cli.args.name}.", f"Removed connection {cli.args.name}.")
        return EXIT_OK
    raise UsageError("Thiếu lệnh con: add, list, show, remove.",
                     "Missing subcommand: add, list, show, remove.")


def _profile_add(cli: Cli) -> int:
    from app.store.profiles import create_profile
    from app.sync.connect import SANDBOX_OPTION, SANDBOX_SEED_OPTION
    from contract.connector import InvalidInput
    from connectors.registry import UnknownPlatform, get_platform, platform_keys
    try:
        platform = get_platform(cli.args.platform)
    except (UnknownPlatform, ImportError):
        raise UsageError(f"Không có nền tảng “{cli.args.platform}”. Chọn: "
                         f"{', '.join(platform_keys())}.",
                         f"No platform “{cli.args.platform}”. Choose: "
                         f"{', '.join(platform_keys())}.") from None
    fields_by_name = {f.name: f for f in platform.credential_fields}
    option_specs = {o.name: o for o in platform.options}
    fields: dict[str, str] = {}
    options: dict[str, Any] = {}
    hosts: dict[str, str] = {}
    schedule = 0
    for item in cli.args.set:
        key, sep, value = item.partition("=")
        key = key.strip()
        for prefix in ("option.", "host.", "field."):
            if key.startswith(prefix):
                key = key[len(prefix):]
        if not sep or not key:
            raise UsageError(f"“{item}” phải có dạng KEY=VALUE.", f"“{item}” must be KEY=VALUE.")
        if key in fields_by_name:
            spec = fields_by_name[key]
            if spec.secret:
                raise UsageError(
                    f"“{key}” là bí mật: không nhập trên dòng lệnh. Dùng biến môi trường "
                    f"{SECRET_ENV_PREFIX}{key.upper()} hoặc nhập ở lời nhắc ẩn.",
                    f"“{key}” is a secret: never on the command line. Use the environment "
                    f"variable {SECRET_ENV_PREFIX}{key.upper()} or the hidden prompt.")
            try:
                fields[key] = spec.validate(value)
            except InvalidInput as exc:
                raise UsageError(f"{spec.label_vi}: {exc.message_vi}",
                                 f"{spec.label_en}: {exc.message_en}") from None
        elif key in option_specs or key in (SANDBOX_OPTION, SANDBOX_SEED_OPTION):
            spec = option_specs.get(key)
            if spec is not None and spec.locked:
                raise UsageError(f"Tuỳ chọn “{key}” bị khoá ({spec.lock_rule}).",
                                 f"Option “{key}” is locked ({spec.lock_rule}).")
            wants_bool = key == SANDBOX_OPTION or (spec is not None
                                                   and isinstance(spec.default, bool))
            if wants_bool:
                parsed = _parse_bool(value)
                if parsed is None:
                    raise UsageError(f"“{key}” nhận on/off/true/false.",
                                     f"“{key}” takes on/off/true/false.")
                options[key] = parsed
            elif spec is not None and spec.choices and value not in [c[0] for c in spec.choices]:
                allowed = ", ".join(c[0] for c in spec.choices)
                raise UsageError(f"“{key}” nhận: {allowed}.", f"“{key}” takes: {allowed}.")
            else:
                options[key] = value
        elif key in platform.hosts:
            if not value.startswith(("http://", "https://")):
                raise UsageError(f"“{key}” phải là địa chỉ http(s)://.",
                                 f"“{key}” must be an http(s):// address.")
            hosts[key] = value.rstrip("/")
        elif key == "schedule_minutes":
            if not value.isdigit():
                raise UsageError("schedule_minutes là số phút (0 = chỉ chạy khi bấm).",
                                 "schedule_minutes is a number of minutes (0 = on demand).")
            schedule = int(value)
        else:
            known = sorted(set(fields_by_name) | set(option_specs) | set(platform.hosts)
                           | {SANDBOX_OPTION, "schedule_minutes"})
            raise UsageError(f"Không biết “{key}”. Có thể dùng: {', '.join(known)}.",
                             f"Unknown “{key}”. Known keys: {', '.join(known)}.")
    sandbox = bool(options.get(SANDBOX_OPTION))
    secrets: dict[str, str] = {}
    for spec in platform.credential_fields:
        if spec.secret:
            value = cli.environ.get(f"{SECRET_ENV_PREFIX}{spec.name.upper()}", "")
            if not value and cli.stdin_is_tty and not sandbox:
                value = getpass.getpass(f"{spec.label_vi if cli.lang == 'vi' else spec.label_en}: ")
            if value:
                try:
                    secrets[spec.name] = spec.validate(value)
                except InvalidInput as exc:
                    raise UsageError(f"{spec.label_vi}: {exc.message_vi}",
                                     f"{spec.label_en}: {exc.message_en}") from None
                cli.redact.add(secrets[spec.name])
            elif spec.required and not sandbox:
                raise UsageError(
                    f"Thiếu “{spec.label_vi}”: đặt biến {SECRET_ENV_PREFIX}{spec.name.upper()} "
                    f"hoặc chạy trong cửa sổ lệnh để nhập.",
                    f"Missing “{spec.label_en}”: set {SECRET_ENV_PREFIX}{spec.name.upper()} or "
                    f"run in a terminal to type it.")
        elif spec.required and not sandbox and spec.name not in fields:
            raise UsageError(f"Thiếu “{spec.label_vi}”: thêm --set {spec.name}=…",
                             f"Missing “{spec.label_en}”: add --set {spec.name}=…")
    cli.db
    for name, value in secrets.items():
        cli.secrets.set(cli.args.name, name, value)
    profile = create_profile(cli.args.name, platform.key, fields, options, hosts,
                             secret_names=secrets, schedule_minutes=schedule)
    cli.say(f"Đã lưu kết nối {profile.name} ({platform.name_vi}).",
            f"Saved connection {profile.name} ({platform.name_en}).")
    return EXIT_OK


def _connector(cli: Cli, profile):
    from app.sync.connect import open_connector
    return open_connector(profile, cli.secrets)


def cmd_test(cli: Cli) -> int:
    profile = cli.profile(cli.args.name)

    async def go():
        connector = _connector(cli, profile)
        try:
            return await connector.test_connection()
        finally:
            await connector.aclose()
    info = asyncio.run(go())
    cli.say(f"Kết nối được: {info.shop_name}", f"Connected: {info.shop_name}")
    for branch in info.branches:
        cli.print(f"  - {branch.key}\t{branch.name}")
    for vi, en in zip(info.warnings_vi, info.warnings_en):
        cli.say(f"Lưu ý: {vi}", f"Note: {en}")
    return EXIT_OK


def _printer(cli: Cli, as_json: bool) -> Callable[[Any], None]:
    from app.sync import events as ev

    def emit(event: Any) -> None:
        if as_json:
            if isinstance(event, ev.ItemResult):
                cli.print(json.dumps({
                    "event": "item_result", "entity": event.entity,
                    "direction": event.direction, "app_id": event.app_id,
                    "pos_id": event.pos_id, "action": event.action, "outcome": event.outcome,
                    "rule": event.rule, "message_vi": event.message_vi,
                    "message_en": event.message_en}, ensure_ascii=False))
            elif isinstance(event, ev.RunFinished):
                cli.print(ev.to_json(event))
            elif isinstance(event, ev.ConflictRaised):
                cli.print(ev.to_json(event))
            return
        if isinstance(event, ev.ItemResult):
            message = event.message_vi if cli.lang == "vi" else event.message_en
            rule = f" [{event.rule}]" if event.rule else ""
            ids = event.app_id or "-"
            cli.print(f"{event.entity:<9} {event.action:<14} {event.outcome:<8} {ids:<10} "
                      f"{event.pos_id or '-':<10} {event.name[:30]}{rule} {message}")
        elif isinstance(event, ev.RunFinished):
            message = event.message_vi if cli.lang == "vi" else event.message_en
            counts = {k: v for k, v in event.counts.items() if k != "by_action"}
            cli.print(f"{message} ({event.status}; {counts}; "
                      f"{event.request_count} requests; {event.seconds}s)")
    return emit


def _exit_code(finished) -> int:
    if finished.status == "done":
        return EXIT_FAILED_ITEMS if finished.counts.get("failed") else EXIT_OK
    if finished.status in ("interrupted", "cancelled"):
        return EXIT_INTERRUPTED
    return EXIT_CONNECTION


def _with_engine(cli: Cli, profile, work: Callable[[Any], Any], as_json: bool = False) -> Any:
    """Run `work(engine)` in a fresh event loop; the first Ctrl-C stops between items, the
    checkpoint kept (a second one stops at once; the next run resumes either way)."""
    from app.sync.engine import SyncEngine
    from app.sync.run_lock import run_lock
    cancel = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_interrupt(signum, frame):
            if cancel.is_set():
                raise KeyboardInterrupt
            cancel.set()
        previous = signal.signal(signal.SIGINT, on_interrupt)

    async def go():
        connector = _connector(cli, profile)
        try:
            engine = SyncEngine(cli.catalog, profile, connector, _printer(cli, as_json),
                                cancel=cancel)
            return await work(engine)
        finally:
            await connector.aclose()
    try:
        with run_lock(cli.paths.home, profile.name):
            return asyncio.run(go())
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _run_engine(cli: Cli, profile, work: Callable[[Any], Any], as_json: bool = False) -> int:
    return _exit_code(_with_engine(cli, profile, work, as_json))


def cmd_sync(cli: Cli) -> int:
    profile = cli.profile(cli.args.name)
    entities = cli.args.entity
    return _run_engine(cli, profile, lambda e: e.run(entities, dry_run=cli.args.dry_run,
                                                     full=cli.args.full), cli.args.json)


def cmd_push(cli: Cli) -> int:
    profile = cli.profile(cli.args.name)
    return _run_engine(cli, profile, lambda e: e.push_products(
        cli.args.product, all_new=cli.args.all_new, dry_run=cli.args.dry_run), cli.args.json)


def cmd_retry(cli: Cli) -> int:
    from app.store import models as m
    profile = cli.profile(cli.args.name)
    run_id = cli.args.run
    if run_id is None:
        row = (m.Run.select().join(m.ItemResult, on=(m.ItemResult.run == m.Run.id))
               .where((m.Run.profile == profile.id) & (m.ItemResult.outcome == "failed"))
               .order_by(m.Run.id.desc()).first())
        if row is None:
            cli.say("Không có mục lỗi nào để chạy lại.", "There are no failed items to retry.")
            return EXIT_OK
        run_id = row.id
    return _run_engine(cli, profile, lambda e: e.retry_failed(run_id))


def cmd_undo(cli: Cli) -> int:
    from app.sync.engine import SyncEngine
    from connectors.registry import get_platform
    profile = cli.profile(cli.args.name)
    # Undo touches only the App: no connection to the POS is opened.
    engine = SyncEngine(cli.catalog, profile, None, _printer(cli, False),
                        platform=get_platform(profile.platform))
    engine.undo_last_run()
    return EXIT_OK



def cmd_results(cli: Cli) -> int:
    from app.store import models as m
    cli.know_all_secrets()
    run_id = cli.args.run
    if run_id is None:
        last = m.Run.select().order_by(m.Run.id.desc()).first()
        if last is None:
            cli.say("Chưa có lần chạy nào.", "No runs yet.")
            return EXIT_OK
        run_id = last.id
    rows = [{"run": r.run_id, "entity": r.entity, "direction": r.direction, "app_id": r.app_id,
             "pos_id": r.pos_id, "name": r.name, "action": r.action, "outcome": r.outcome,
             "rule": r.rule, "message_vi": r.message_vi, "message_en": r.message_en,
             "at": r.at}
            for r in m.ItemResult.select().where(m.ItemResult.run == run_id)
            .order_by(m.ItemResult.id)]
    fmt = cli.args.format
    if fmt == "json":
        for row in rows:
            cli.print(json.dumps({k: v for k, v in row.items() if k != "at"},
                                 ensure_ascii=False))
    elif fmt in ("csv", "xlsx"):
        from app.file_commands import write_results
        write_results(cli, rows, fmt, cli.args.out, UsageError)
    else:
        message = "message_vi" if cli.lang == "vi" else "message_en"
        for row in rows:
            rule = f" [{row['rule']}]" if row["rule"] else ""
            cli.print(f"{row['entity']:<9} {row['action']:<14} {row['outcome']:<8} "
                      f"{row['app_id'] or '-':<10} {row['pos_id'] or '-':<10} "
                      f"{row['name'][:30]}{rule} {row[message]}")
    return EXIT_OK


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
    result = _with_engine(cli, profile,
                          lambda engine: engine.resolve_conflict(cli.args.conflict_id,
                                                                 cli.args.keep))
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
    cli.say(f"Đơn {order.key}: {cli.args.status}. Lần đồng bộ sau sẽ xử lý theo luật của POS.",
            f"Order {order.key}: {cli.args.status}. The next sync handles it by the POS's rules.")
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
    host_setting = next(iter(platform.hosts), "api_base")
    cli.say(f"Cửa hàng mẫu {platform.name_vi} đang chạy tại {url}",
            f"Sample {platform.name_en} shop running at {url}")
    cli.print(f"--set {host_setting}={url}")
    for name, value in platform.sandbox_settings.items():
        if name not in platform.hosts:
            cli.print(f"--set {name}={value}")
    cli.say("Bấm Ctrl-C để dừng.", "Press Ctrl-C to stop.")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        server.shutdown()
    return EXIT_OK


def cmd_diagnostics(cli: Cli) -> int:
    from app.diagnostics import diagnostics_command
    return diagnostics_command(cli.args, cli.out_stream, cli.err_stream, cli.redact)


def cmd_selfcheck(cli: Cli) -> int:
    from app.selfcheck import selfcheck_command
    return selfcheck_command(cli.args, cli.out_stream)


COMMANDS: dict[str, Callable[[Cli], int]] = {
    "profile": cmd_profile, "test": cmd_test, "sync": cmd_sync, "push": cmd_push,
    "results": cmd_results, "conflicts": cmd_conflicts, "resolve": cmd_resolve,
    "undo": cmd_undo, "retry": cmd_retry, "catalog": cmd_catalog, "order": cmd_order,
    "sandbox": cmd_sandbox, "diagnostics": cmd_diagnostics, "selfcheck": cmd_selfcheck,
}


def main(argv: Sequence[str] | None = None, *, secrets: Any = None, out: Any = None,
         err: Any = None, environ: dict | None = None, stdin_is_tty: bool | None = None) -> int:
    _utf8_console()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return EXIT_USAGE if stop.code not in (0, None) else EXIT_OK
    if args.command is None:
        return gui_main(args.home)
    cli = Cli(args, secrets, out, err, environ, stdin_is_tty)
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
    if isinstance(exc, RunInProgress):
        cli.error(vi, en)
        return EXIT_INTERRUPTED
    if isinstance(exc, (UsageError, InvalidInput)):
        cli.error(vi, en)
        return EXIT_USAGE
    if isinstance(exc, (AuthError, PermissionDenied)):
        cli.error(vi, en)
        return EXIT_CONNECTION
    if isinstance(exc, PosError):
        cli.error(vi, en)
        return EXIT_CONNECTION if not exc.retryable else EXIT_INTERRUPTED
    if isinstance(exc, (SecretsUnavailable, StoreError)) and vi:
        cli.error(vi, en)
        return EXIT_USAGE
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    import logging
    logging.getLogger("shopsync.cli").exception("unexpected error")
    cli.error(f"Lỗi không mong đợi: {type(exc).__name__}. Xem nhật ký trong {cli.paths.logs}.",
              f"Unexpected error: {type(exc).__name__}. See the log in {cli.paths.logs}.")
    return EXIT_USAGE


def gui_main(home: str | None = None) -> int:
    """The desktop app."""
    from app.config import get_paths
    from ui.app import run_app
    return int(run_app(get_paths(home)) or 0)


if __name__ == "__main__":
    sys.exit(main())
