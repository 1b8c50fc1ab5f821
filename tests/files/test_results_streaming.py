"""`shopsync results` of a large run streams (issue 21 point 5, COM-06): the results are read a
chunk at a time and each row is written before the next chunk is read, so a 100,000-row run
starts printing at once and never sits whole in memory; a small run's output is byte for byte
what it was before the change (CSV, JSON lines, table)."""
from __future__ import annotations

import inspect
from datetime import datetime, timezone

import pytest

from app.redaction import learn
from app.store import models as m
from app.store import queries

SECRET = "tok-9f8e7d6c5b4a"
SLACK = 3


def small_run() -> int:
    """Two runs; the second (the one `results` shows) has 7 results: Vietnamese, a formula,
    a line break, a secret, empty ids, a failure with its rule. Also used to record the
    expected output from the code before streaming."""
    at = datetime(2026, 12, 6, 3, 4, 5, tzinfo=timezone.utc)
    profile = m.Profile.create(name="shop", platform="sapo", created_at=at)
    other = m.Run.create(profile=profile, started_at=at)
    m.ItemResult.create(run=other, entity="product", direction="pos_to_app", name="Khác",
                        action="create", outcome="ok", at=at)
    run = m.Run.create(profile=profile, started_at=at)
    rows = [("product", "pos_to_app", "P1", "101", "Cà phê sữa đá", "create", "ok", "",
             "Đã tạo.", "Created."),
            ("product", "app_to_pos", "P2", "", "=HYPERLINK(\"x\")", "create", "failed",
             "SAPO-04", "Không gửi được [SAPO-04]. Sửa rồi chạy lại.",
             "Could not send [SAPO-04]. Fix it and run again."),
            ("customer", "pos_to_app", "", "C7", "Nguyễn Văn A\nchi nhánh 2", "update", "ok",
             "", "Dòng 1\r\ndòng 2", "Line 1\r\nline 2"),
            ("order", "app_to_pos", "O1", "", "-5", "skip", "skipped", "COM-02",
             f"POS trả lời: token={SECRET}", f"The POS said: token={SECRET}"),
            ("product", "pos_to_app", "P3", "103", "Trà đào", "conflict", "ok", "COM-04",
             "", ""),
            ("product", "pos_to_app", "P4", "104", "@SUM(A1)", "create", "ok", "", "a,b", "c\"d"),
            ("product", "pos_to_app", "P5", "105", "Bánh mì", "deleted_on_pos", "ok", "", "", "")]
    for i, (entity, direction, app_id, pos_id, name, action, outcome, rule, vi, en) in \
            enumerate(rows):
        m.ItemResult.create(run=run, entity=entity, direction=direction, app_id=app_id,
                            pos_id=pos_id, name=name, action=action, outcome=outcome, rule=rule,
                            message_vi=vi, message_en=en,
                            at=datetime(2026, 12, 6, 3, 4, i, tzinfo=timezone.utc))
    return run.id


# Recorded from main at b14802a (before streaming) with small_run() and the same commands.
# The CSV and the table as a person reads them (words in --lang, times with their zone):
# pinned so streaming changes nothing a reader sees; the JSON keeps the stored values.
BEFORE_CSV = (
    'Lần chạy,Loại,Chiều,Mã App,Mã POS,Tên,Việc,Kết quả,Luật,Thông báo (tiếng Việt),Thông báo (tiếng Anh),"Thời điểm (giờ Việt Nam, UTC+7)"\n'
    '2,sản phẩm,POS → App,P1,101,Cà phê sữa đá,tạo,xong,,Đã tạo.,Created.,2026-12-06 10:04:00+07:00\n'
    '2,sản phẩm,App → POS,P2,,"\'=HYPERLINK(""x"")",tạo,lỗi,SAPO-04,Không gửi được [SAPO-04]. Sửa rồi chạy lại.,Could not send [SAPO-04]. Fix it and run again.,2026-12-06 10:04:01+07:00\n'
    '2,khách hàng,POS → App,,C7,"Nguyễn Văn A\n'
    'chi nhánh 2",cập nhật,xong,,"Dòng 1\n'
    'dòng 2","Line 1\n'
    'line 2",2026-12-06 10:04:02+07:00\n'
    "2,đơn hàng,App → POS,O1,,'-5,bỏ qua,bỏ qua,COM-02,POS trả lời: token=***,The POS said: token=***,2026-12-06 10:04:03+07:00\n"
    '2,sản phẩm,POS → App,P3,103,Trà đào,xung đột,xong,COM-04,,,2026-12-06 10:04:04+07:00\n'
    '2,sản phẩm,POS → App,P4,104,\'@SUM(A1),tạo,xong,,"a,b","c""d",2026-12-06 10:04:05+07:00\n'
    '2,sản phẩm,POS → App,P5,105,Bánh mì,đã xoá trên POS,xong,,,,2026-12-06 10:04:06+07:00\n'
)
BEFORE_JSON = (
    '{"run": 2, "entity": "product", "direction": "pos_to_app", "app_id": "P1", "pos_id": "101", "name": "Cà phê sữa đá", "action": "create", "outcome": "ok", "rule": "", "message_vi": "Đã tạo.", "message_en": "Created."}\n'
    '{"run": 2, "entity": "product", "direction": "app_to_pos", "app_id": "P2", "pos_id": "", "name": "=HYPERLINK(\\"x\\")", "action": "create", "outcome": "failed", "rule": "SAPO-04", "message_vi": "Không gửi được [SAPO-04]. Sửa rồi chạy lại.", "message_en": "Could not send [SAPO-04]. Fix it and run again."}\n'
    '{"run": 2, "entity": "customer", "direction": "pos_to_app", "app_id": "", "pos_id": "C7", "name": "Nguyễn Văn A\\nchi nhánh 2", "action": "update", "outcome": "ok", "rule": "", "message_vi": "Dòng 1\\r\\ndòng 2", "message_en": "Line 1\\r\\nline 2"}\n'
    '{"run": 2, "entity": "order", "direction": "app_to_pos", "app_id": "O1", "pos_id": "", "name": "-5", "action": "skip", "outcome": "skipped", "rule": "COM-02", "message_vi": "POS trả lời: token=***", "message_en": "The POS said: token=***"}\n'
    '{"run": 2, "entity": "product", "direction": "pos_to_app", "app_id": "P3", "pos_id": "103", "name": "Trà đào", "action": "conflict", "outcome": "ok", "rule": "COM-04", "message_vi": "", "message_en": ""}\n'
    '{"run": 2, "entity": "product", "direction": "pos_to_app", "app_id": "P4", "pos_id": "104", "name": "@SUM(A1)", "action": "create", "outcome": "ok", "rule": "", "message_vi": "a,b", "message_en": "c\\"d"}\n'
    '{"run": 2, "entity": "product", "direction": "pos_to_app", "app_id": "P5", "pos_id": "105", "name": "Bánh mì", "action": "deleted_on_pos", "outcome": "ok", "rule": "", "message_vi": "", "message_en": ""}\n'
)
BEFORE_TABLE = (
    'Loại        Việc             Kết quả  Mã App     Mã POS     Tên                            │ Thông báo\n'
    'sản phẩm    tạo              xong     P1         101        Cà phê sữa đá                  │ Đã tạo.\n'
    'sản phẩm    tạo              lỗi      P2         -          =HYPERLINK("x")                │ [SAPO-04] Không gửi được [SAPO-04]. Sửa rồi chạy lại.\n'
    'khách hàng  cập nhật         xong     -          C7         Nguyễn Văn A\n'
    'chi nhánh 2       │ Dòng 1\r\n'
    'dòng 2\n'
    'đơn hàng    bỏ qua           bỏ qua   O1         -          -5                             │ [COM-02] POS trả lời: token=***\n'
    'sản phẩm    xung đột         xong     P3         103        Trà đào                        │ [COM-04] \n'
    'sản phẩm    tạo              xong     P4         104        @SUM(A1)                       │ a,b\n'
    'sản phẩm    đã xoá trên POS  xong     P5         105        Bánh mì                        │ \n'
)

@pytest.fixture
def run_id(shop, store):
    learn(SECRET)
    run = small_run()
    store.close()
    return run


def test_com06_results_of_a_small_run_are_byte_for_byte_what_they_were_before_streaming(
        shop, run_id):
    code, out, err = shop.cli("results", "--format", "csv")
    assert code == 0, err
    assert out == BEFORE_CSV
    code, out, err = shop.cli("results", "--format", "json")
    assert code == 0, err
    assert out == BEFORE_JSON
    code, out, err = shop.cli("results")
    assert code == 0, err
    assert out == BEFORE_TABLE
    assert SECRET not in BEFORE_CSV + BEFORE_JSON + BEFORE_TABLE          # COM-07


def test_com06_results_csv_file_of_a_small_run_is_what_it_was_before_streaming(shop, run_id,
                                                                            tmp_path):
    target = tmp_path / "kq.csv"
    code, _, err = shop.cli("results", "--format", "csv", "--out", str(target))
    assert code == 0, err
    assert target.read_bytes() == b"\xef\xbb\xbf" + BEFORE_CSV.encode("utf-8")


class ReadCounter:
    """Counts the rows read from the store (every peewee cursor: however the results are
    read), and notes how many had been read when each line reached the output."""

    def __init__(self, monkeypatch) -> None:
        import peewee
        self.read = 0
        self.at_line: list[int] = []
        counter, iterate = self, peewee.CursorWrapper.iterate

        def counted(cursor, *args, **kwargs):
            row = iterate(cursor, *args, **kwargs)      # StopIteration: nothing read
            counter.read += 1
            return row
        monkeypatch.setattr(peewee.CursorWrapper, "iterate", counted)

    def write(self, text: str) -> int:
        self.at_line += [self.read] * text.count("\n")
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_com06_results_of_a_large_run_stream_each_line_before_the_next_chunk_is_read(
        shop, store, monkeypatch, fmt):
    """A run of 25 results read 4 at a time: the first line is out after at most one chunk
    was read, and no line waits for more than the chunk it is in (all rows built first —
    the old way — would have read 25 before the first line)."""
    at = datetime(2026, 12, 6, tzinfo=timezone.utc)
    run = m.Run.create(profile=m.Profile.create(name="p", platform="sapo", created_at=at),
                       started_at=at)
    for i in range(25):
        m.ItemResult.create(run=run, entity="product", direction="pos_to_app", name=f"SP {i}",
                            action="create", outcome="ok", at=at)
    store.close()
    monkeypatch.setattr(queries, "RESULT_CHUNK", 4)
    counter = ReadCounter(monkeypatch)
    from app.cli import main
    code = main(["--home", str(shop.home.home), "results", "--format", fmt], out=counter,
                environ={}, stdin_is_tty=False)
    assert code == 0
    data_lines = counter.at_line[1:] if fmt in ("csv", "table") else counter.at_line   # header
    assert len(data_lines) == 25
    for number, read_before in enumerate(data_lines, start=1):
        # line n is written once its chunk (ceil(n / 4) × 4 rows) is read, never later
        # (+ SLACK: the run and the profiles the command looks up first)
        assert read_before <= -(-number // 4) * 4 + SLACK, (number, read_before)


def test_com06_results_xlsx_writer_receives_a_generator_not_a_list(shop, run_id, tmp_path,
                                                                  monkeypatch):
    import app.file_commands as files
    seen = {}
    real = files.write_table

    def spy(path, cols, rows, **kwargs):
        seen["rows"] = rows
        return real(path, cols, rows, **kwargs)
    monkeypatch.setattr(files, "write_table", spy)
    code, _, err = shop.cli("results", "--format", "xlsx", "--out", str(tmp_path / "kq.xlsx"))
    assert code == 0, err
    assert inspect.isgenerator(seen["rows"])


def test_com06_result_chunks_read_by_id_a_chunk_at_a_time(store):
    at = datetime(2026, 12, 6, tzinfo=timezone.utc)
    run = m.Run.create(profile=m.Profile.create(name="p", platform="sapo", created_at=at),
                       started_at=at)
    ids = [m.ItemResult.create(run=run, entity="product", direction="pos_to_app",
                               action="create", outcome="ok", at=at).id for _ in range(7)]
    wanted = queries.ResultFilter(run_id=run.id)
    oldest_first = list(queries.result_chunks(wanted, newest_first=False, size=3))
    assert [[r.id for r in chunk] for chunk in oldest_first] == [ids[:3], ids[3:6], ids[6:]]
    newest = [r.id for chunk in queries.result_chunks(wanted, size=3) for r in chunk]
    assert newest == ids[::-1]


def test_com06_streamed_xlsx_keeps_frozen_header_filter_fitted_widths_money_and_dates(
        tmp_path, monkeypatch):
    """Write-only mode streams the rows; the workbook is still the one app/tables.py
    promises. Widths are fitted to the first WIDTH_SAMPLE rows (written before any row)."""
    from decimal import Decimal

    from openpyxl import load_workbook

    import app.tables as tables
    from app.tables import Column, ColumnKind, write_table
    monkeypatch.setattr(tables, "WIDTH_SAMPLE", 3)
    cols = [Column("name"), Column("price", ColumnKind.MONEY), Column("at", ColumnKind.DATE)]
    at = datetime(2026, 12, 6, 3, 4, tzinfo=timezone.utc)
    rows = ({"name": "=1+2" if i == 0 else ("x" * 40 if i == 2 else ("y" * 55 if i == 4
                                                                       else "Cà phê")),
             "price": Decimal("25000"), "at": at} for i in range(6))
    assert write_table(tmp_path / "t.xlsx", cols, rows) == 6
    ws = load_workbook(tmp_path / "t.xlsx").active
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:C7"
    assert ws["A2"].value == "=1+2" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 25000 and ws["B2"].number_format == tables.MONEY_FORMAT
    assert ws["C2"].value == datetime(2026, 12, 6, 10, 4)
    assert ws["C2"].number_format == tables.DATE_FORMAT
    # fitted to the 40-wide cell of the first 3 rows, not the 55-wide one further down
    assert ws.column_dimensions["A"].width == 42
    assert ws["A6"].value == "y" * 55                    # shown narrower, never cut


def test_b03_streamed_xlsx_keeps_texts_that_look_like_formulas_or_errors_as_text(tmp_path):
    from openpyxl import load_workbook

    from app.tables import Column, ColumnKind, write_table
    texts = ["=1+2", "#N/A", "#REF!", "Cà phê", "-5", "@SUM(A1)"]
    write_table(tmp_path / "t.xlsx", [Column("name"), Column("n", ColumnKind.NUMBER)],
                [{"name": text, "n": 3} for text in texts])
    ws = load_workbook(tmp_path / "t.xlsx").active
    assert [(ws.cell(row, 1).value, ws.cell(row, 1).data_type) for row in range(2, 8)] == \
        [(text, "s") for text in texts]
    assert ws["B2"].value == 3 and ws["B2"].data_type == "n"


@pytest.mark.parametrize("wanted", [
    queries.ResultFilter(run_id=3), queries.ResultFilter(profile_id=1),
    queries.ResultFilter(profile_id=1, run_id=3),
    queries.ResultFilter(profile_id=1, outcome="failed"),
    queries.ResultFilter(profile_id=1, rule="COM-02"),
    queries.ResultFilter(profile_id=1, search="cà")])
@pytest.mark.parametrize("newest_first", [True, False])
def test_com06_each_result_chunk_is_read_in_id_order_without_sorting_the_run(store, wanted,
                                                                            newest_first):
    """A chunk that sorted every earlier result would make chunk 50 cost 50 times chunk 1
    (the whole export quadratic): SQLite must walk an index in id order."""
    query = queries.result_chunk_query(wanted, newest_first, after=5000, size=2000)
    sql, params = query.sql()
    plan = " ".join(str(row) for row in store.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    assert "TEMP B-TREE" not in plan, plan
