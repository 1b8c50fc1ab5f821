"""The one writer of every table ShopSync hands to a person: CSV for scripts, .xlsx for Excel.

The CLI (`results --format csv|xlsx`, `catalog export --format csv|xlsx`) and the window's
exports (results, conflicts) all write through here, so two promises hold everywhere:

* CSV is safe to open in a spreadsheet: a text cell that starts with =, +, -, @, a tab or a
  carriage return would be run as a formula (CSV injection: `=HYPERLINK(...)`, `+cmd|...`).
  Such a cell gets a leading apostrophe, which spreadsheets treat as "this is text" and do
  not show, so a person reads the same words. Numbers in a numeric column (MONEY, NUMBER),
  including a negative stock of -5, are numbers we formatted ourselves, never formulas: they
  are written as they are, so a script still reads -5.
* .xlsx is a real workbook: frozen header, filters, widths that fit, money as numbers
  formatted `#,##0 ₫`, dates as dates, and every text cell stored as text (never a formula).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from enum import Enum
from itertools import chain, islice
from pathlib import Path
from typing import Any, Iterable, Sequence

from contract.records import VIETNAM

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = '#,##0 "₫"'
DATE_FORMAT = "dd/mm/yyyy hh:mm"
_MAX_WIDTH = 60
# An .xlsx streams its rows, and its column widths must be written before the first row: they
# are fitted to this many first rows (a results export's first chunk).
WIDTH_SAMPLE = 2000


class ColumnKind(str, Enum):
    TEXT = "text"
    MONEY = "money"      # đồng
    NUMBER = "number"    # quantities, counts, ids that are numbers
    DATE = "date"        # aware datetimes, shown in Vietnam time


@dataclass(frozen=True)
class Column:
    key: str
    kind: ColumnKind = ColumnKind.TEXT
    title: str = ""       # header shown; the key when empty

    @property
    def header(self) -> str:
        return self.title or self.key


def columns(*keys: str) -> tuple[Column, ...]:
    return tuple(Column(key) for key in keys)


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (what a person reads is unchanged:
    the leading apostrophe is the spreadsheet's own "text" mark)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _number(value: Any) -> Decimal | int | float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, Decimal)):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _moment(value: Any) -> datetime | None:
    """A naive Vietnam wall-clock time (spreadsheets have no zones); stored naive times are
    UTC (models' convention)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(VIETNAM).replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


def _csv_cell(column: Column, value: Any) -> str:
    if column.kind in (ColumnKind.MONEY, ColumnKind.NUMBER):
        number = _number(value)
        if number is not None:
            return format(number, "f") if isinstance(number, Decimal) else str(number)
    if column.kind is ColumnKind.DATE:
        moment = _moment(value)
        if moment is not None:
            # Written with its offset (finding 13): "2026-12-07 05:13:41+07:00" cannot be
            # read as another zone's time by a person or a script (the import reads it back).
            return moment.replace(tzinfo=VIETNAM).isoformat(sep=" ", timespec="seconds")
    if value is None:
        return ""
    # A bare CR inside a cell would end the record for most readers (the csv module quotes
    # only LF with our "\n" line ending): it becomes LF, which is quoted and reads the same.
    return safe_text(str(value)).replace("\r\n", "\n").replace("\r", "\n")


def csv_text(cols: Sequence[Column], rows: Iterable[dict[str, Any]]) -> str:
    """The CSV of `rows` (dicts by column key), header first, every text cell made safe."""
    buffer = io.StringIO()
    _write_csv(buffer, cols, rows)
    return buffer.getvalue()


def write_csv(handle, cols: Sequence[Column], rows: Iterable[dict[str, Any]],
              redact=None) -> int:
    """Stream `rows` as CSV into an open text `handle` (stdout), one row at a time: the
    first line goes out before the last row is read. `redact` masks secrets in every text
    cell. Returns the number of rows."""
    if redact is not None:
        rows = (_redacted(row, redact) for row in rows)
    return _write_csv(handle, cols, rows)


def _write_csv(handle, cols: Sequence[Column], rows: Iterable[dict[str, Any]]) -> int:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([_csv_cell(Column(c.key), c.header) for c in cols])
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(c, row.get(c.key)) for c in cols])
        count += 1
    return count


def write_table(path: Path | str, cols: Sequence[Column], rows: Iterable[dict[str, Any]],
                sheet: str = "ShopSync", redact=None) -> int:
    """Write `rows` as CSV (UTF-8 with BOM, so Excel reads Vietnamese) or .xlsx, chosen by the
    file's suffix; returns the number of rows. `redact` masks secrets in every text cell."""
    path = Path(path)
    if redact is not None:
        rows = (_redacted(row, redact) for row in rows)
    if path.suffix.lower() == ".xlsx":
        return _write_xlsx(path, cols, rows, sheet)
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        return _write_csv(handle, cols, rows)


def _redacted(row: dict[str, Any], redact) -> dict[str, Any]:
    return {k: redact(v) if isinstance(v, str) else v for k, v in row.items()}


def xlsx_bytes(cols: Sequence[Column], rows: Iterable[dict[str, Any]],
               sheet: str = "ShopSync") -> bytes:
    buffer = io.BytesIO()
    _write_xlsx(buffer, cols, rows, sheet)
    return buffer.getvalue()


def _write_xlsx(target, cols: Sequence[Column], rows: Iterable[dict[str, Any]],
                sheet: str) -> int:
    """Write-only mode, rows streamed: a 100,000-row export holds one chunk of rows, never
    the whole table. What write-only mode allows is kept: the frozen header (sheet view,
    written first), filters (written after the rows, so the last row is known), widths (the
    column list goes out before the first row, so they are fitted to the header and the first
    WIDTH_SAMPLE rows; a longer cell further down is shown cut, never lost), money as numbers
    formatted `#,##0 ₫` and dates as dates (cell styles), text as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    lines = (_xlsx_line(cols, row) for row in rows)
    sample = list(islice(lines, WIDTH_SAMPLE))
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    widths = [len(c.header) + 4 for c in cols]          # + room for the filter button
    for line in sample:
        for position, value in enumerate(line):
            widths[position] = max(widths[position], _shown_width(cols[position], value))
    for position, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(position)].width = min(width + 2, _MAX_WIDTH)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    header = []
    for c in cols:
        cell = WriteOnlyCell(ws, value=c.header)
        cell.data_type = "s"
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    ws.append(header)
    count = 0
    for line in chain(sample, lines):
        out = []
        for c, value in zip(cols, line):
            if _plain(c, value):
                out.append(value)             # openpyxl stores it as it is: no cell needed
                continue
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"          # "=1+2" stays text: never a formula
            elif c.kind is ColumnKind.MONEY:
                cell.number_format = MONEY_FORMAT
            elif c.kind is ColumnKind.DATE:
                cell.number_format = DATE_FORMAT
            out.append(cell)
        ws.append(out)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{count + 1}"
    book.save(target)
    return count


def _plain(column: Column, value: Any) -> bool:
    """A value openpyxl writes as we mean it without a cell of its own (a third of the time
    of a 100,000-row export goes to cells): nothing, a number outside money, or a text that
    openpyxl would not read as a formula ("=…") or an error ("#N/A")."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.startswith(("=", "#"))
    return column.kind is ColumnKind.NUMBER


def _xlsx_line(cols: Sequence[Column], row: dict[str, Any]) -> list:
    return [_xlsx_value(c, row.get(c.key)) for c in cols]


def _xlsx_value(column: Column, value: Any):
    if column.kind in (ColumnKind.MONEY, ColumnKind.NUMBER):
        number = _number(value)
        if number is not None:
            # Whole amounts as int: Excel shows 25000, not 25000.0; fractions as float
            # (Excel's own number type; đồng amounts have at most a few decimals).
            if isinstance(number, Decimal):
                return int(number) if number == number.to_integral_value() else float(number)
            return number
    if column.kind is ColumnKind.DATE:
        moment = _moment(value)
        if moment is not None:
            return moment
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _shown_width(column: Column, value: Any) -> int:
    if value is None:
        return 0
    if column.kind is ColumnKind.MONEY and isinstance(value, (int, float)):
        return len(f"{value:,.0f}") + 2
    if isinstance(value, datetime):
        return 16
    return max((len(part) for part in str(value).splitlines()), default=0)
