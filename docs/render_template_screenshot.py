"""Render the Excel import template (`shopsync catalog template`) as a spreadsheet program
shows it, for docs/catalog-import.md: LibreOffice (headless) prints the workbook to PDF,
pdftoppm turns each page into a PNG, and Qt crops the printed table out of the page and
stacks it in two halves so the text stays readable.

    apt-get install libreoffice-calc-nogui poppler-utils    # Debian packages, once
    QT_QPA_PLATFORM=offscreen python docs/render_template_screenshot.py
writes docs/screenshots/template-01-sheet.png and template-02-guide.png.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def _content_box(image, step: int = 2) -> tuple[int, int, int, int]:
    """Left, top, right, bottom of everything that is not white on the page."""
    width, height = image.width(), image.height()
    rows = [y for y in range(0, height, step)
            if any(image.pixelColor(x, y).lightness() < 200 for x in range(0, width, 8))]
    cols = [x for x in range(0, width, step)
            if any(image.pixelColor(x, y).lightness() < 200 for y in rows[::2] or [0])]
    return min(cols), min(rows), max(cols) + step, max(rows) + step


def main() -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
    from app.sync.catalog_excel import write_template
    app = QGuiApplication.instance() or QGuiApplication([])   # noqa: F841 - QImage needs it
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="template-shot-") as folder:
        work = Path(folder)
        book = write_template(work / "mau-nhap-lieu.xlsx")
        subprocess.run([shutil.which("soffice") or "soffice", "--headless", "--convert-to",
                        "pdf", "--outdir", str(work), str(book)], check=True,
                       capture_output=True, timeout=180)
        subprocess.run(["pdftoppm", "-png", "-r", "220", str(work / "mau-nhap-lieu.pdf"),
                        str(work / "page")], check=True, timeout=180)
        pages = sorted(work.glob("page-*.png"))
        sheet = QImage(str(pages[0]))
        left, top, right, bottom = _content_box(sheet)
        half = left + (right - left) // 2
        # Split at a column border near the middle: the darkest vertical line.
        border = min(range(half - 150, half + 150),
                     key=lambda x: sum(sheet.pixelColor(x, y).lightness()
                                       for y in range(top, bottom, 3)))
        parts = [sheet.copy(QRect(left, top, border - left + 2, bottom - top)),
                 sheet.copy(QRect(border, top, right - border, bottom - top))]
        width = max(p.width() for p in parts) + 40
        stacked = QImage(width, sum(p.height() for p in parts) + 60, QImage.Format.Format_RGB32)
        stacked.fill(QColor("white"))
        painter = QPainter(stacked)
        y = 20
        for part in parts:
            painter.drawImage(20, y, part)
            y += part.height() + 20
        painter.end()
        stacked.save(str(OUT / "template-01-sheet.png"))
        guide = QImage(str(pages[1]))
        left, top, right, bottom = _content_box(guide)
        guide.copy(QRect(left - 20, top - 20, right - left + 40, bottom - top + 40)).save(
            str(OUT / "template-02-guide.png"))
    print(f"wrote {OUT / 'template-01-sheet.png'} and {OUT / 'template-02-guide.png'}")


if __name__ == "__main__":
    main()
