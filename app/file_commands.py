"""`shopsync catalog import|export|template` and the file side of `shopsync results`: kept
out of app/cli.py, which only registers them (build_parser calls add_catalog_parser; the
command table points at cmd_catalog)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Iterable, Iterator

from app.tables import Column, ColumnKind, write_csv, write_table

EXIT_OK, EXIT_USAGE = 0, 2
# A file with thousands of bad rows: the first errors say what to fix; the count says the rest.
SHOWN_ERRORS = 200

RESULT_COLUMNS = (Column("run", ColumnKind.NUMBER), Column("entity"), Column("direction"),
                  Column("app_id"), Column("pos_id"), Column("name"), Column("action"),
                  Column("outcome"), Column("rule"), Column("message_vi"),
                  Column("message_en"), Column("at", ColumnKind.DATE))



def result_columns(lang: str) -> tuple[Column, ...]:
    """The result columns titled for a person in `lang` (finding 9); `--format json` keeps
    the field names for scripts."""
    from app.words import title
    return tuple(Column(c.key, c.kind, title(c.key, lang)) for c in RESULT_COLUMNS)


def add_catalog_parser(sub: Any) -> None:
    from app.sync.catalog_files import IMPORT_HELP
    catalog = sub.add_parser("catalog", help="App catalog files").add_subparsers(dest="action")
    imp = catalog.add_parser("import", help="import products/customers/orders (Excel .xlsx, "
                             "CSV or JSON; KiotViet/Sapo/Nhanh product exports)",
                             description=IMPORT_HELP,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    imp.add_argument("file")
    exp = catalog.add_parser("export", help="export the App catalog (JSON files, or one "
                             "CSV/Excel table in the import columns)")
    exp.add_argument("dir")
    exp.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    template = catalog.add_parser("template", help="write an Excel import template (header, "
                                  "notes, example rows, validation)")
    template.add_argument("file", help="FILE.xlsx")


def cmd_catalog(cli: Any, usage_error: type) -> int:
    from app.sync.catalog_files import ImportRefused, export_catalog, import_file
    action = cli.args.action
    if action == "import":
        try:
            report = import_file(cli.catalog, cli.args.file)
        except ImportRefused as refused:
            cli.error("Không nhập gì cả: tệp có lỗi, sửa rồi nhập lại.",
                      "Nothing imported: the file has errors; fix them and import again.")
            for problem in refused.errors[:SHOWN_ERRORS]:
                cli.error(problem.line("vi"), problem.line("en"))
            more = len(refused.errors) - SHOWN_ERRORS
            if more > 0:
                cli.error(f"… và {more} lỗi nữa.", f"… and {more} more errors.")
            return EXIT_USAGE
        for vi, en in report.notes:
            cli.say(vi, en)
        from app.words import counted
        cli.say(f"Đã nhập: {counted(report.counts, 'vi')}.",
                f"Imported: {counted(report.counts, 'en')}.")
        return EXIT_OK
    if action == "export":
        cli.know_all_secrets()
        for path in export_catalog(cli.catalog, cli.args.dir, cli.args.format):
            cli.print(str(path))
        return EXIT_OK
    if action == "template":
        from app.sync.catalog_excel import write_template
        target = Path(cli.args.file)
        if target.suffix.lower() != ".xlsx":
            raise usage_error("Tên tệp mẫu phải kết thúc bằng .xlsx.",
                              "The template's file name must end in .xlsx.")
        try:
            write_template(target)
        except OSError as exc:
            raise usage_error(f"Không ghi được {target}: {exc.strerror or exc}.",
                              f"Cannot write {target}: {exc.strerror or exc}.") from None
        cli.say(f"Đã ghi mẫu nhập: {target}", f"Import template written: {target}")
        return EXIT_OK
    raise usage_error("Thiếu lệnh con: import, export, template.",
                      "Missing subcommand: import, export, template.")


def result_table_rows(wanted: Any, newest_first: bool = True) -> Iterator[dict[str, Any]]:
    """The export rows of the results matching `wanted` (app.store.queries.ResultFilter),
    read a chunk at a time (COM-06: a 100,000-row run streams; nothing holds every row)."""
    from app.store.queries import result_chunks
    for chunk in result_chunks(wanted, newest_first=newest_first):
        for r in chunk:
            yield {"run": r.run_id, "entity": r.entity, "direction": r.direction,
                   "app_id": r.app_id, "pos_id": r.pos_id, "name": r.name,
                   "action": r.action, "outcome": r.outcome, "rule": r.rule,
                   "message_vi": r.message_vi, "message_en": r.message_en, "at": r.at}


def write_results(cli: Any, rows: Iterable[dict[str, Any]], fmt: str, out: str | None,
                  usage_error: type) -> None:
    """`results --format csv` to stdout (or --out), `--format xlsx --out FILE.xlsx`; every
    cell through the redactor (COM-07) and the one table writer (formula-safe). `rows` is
    streamed: the first line is written before the last row is read. Column titles follow
    --lang (`result_columns`); `--format json` keeps the field names for scripts."""
    cols = result_columns(cli.lang)
    if fmt == "csv" and not out:
        write_csv(cli.out_stream, cols, rows, redact=cli.redact)
        cli.out_stream.flush()
        return
    if not out:
        raise usage_error("Xuất Excel cần --out TỆP.xlsx.",
                          "An Excel export needs --out FILE.xlsx.")
    target = Path(out)
    if fmt == "xlsx" and target.suffix.lower() != ".xlsx":
        target = target.with_suffix(".xlsx")
    try:
        count = write_table(target, cols, rows,
                            sheet="Kết quả" if cli.lang == "vi" else "Results",
                            redact=cli.redact)
    except OSError as exc:
        raise usage_error(f"Không ghi được {target}: {exc.strerror or exc}.",
                          f"Cannot write {target}: {exc.strerror or exc}.") from None
    if count:
        cli.say(f"Đã ghi {count} dòng vào {target}.", f"Wrote {count} rows to {target}.")
    else:
        cli.say(f"Đã ghi {target}: 0 dòng (chỉ có dòng tiêu đề).",
                f"Wrote {target}: 0 rows (the header only).")
