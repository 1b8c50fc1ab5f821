"""Draws the ShopSync icon and writes resources/icons/shopsync.png and shopsync.ico.

Generated files are committed; rerun after changing the drawing:
    QT_QPA_PLATFORM=offscreen python packaging/make_icon.py

Qt paints every size itself (small sizes get thicker strokes, not a blurry downscale). The .ico
is assembled here with PNG-compressed entries, the form Windows has read since Vista, because
Qt's own ICO writer stores only one size.
"""
from __future__ import annotations

import math
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (QBrush, QColor, QFont, QGuiApplication, QImage, QLinearGradient,
                           QPainter, QPainterPath, QPen)

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)

    gradient = QLinearGradient(0, 0, 0, s)
    gradient.setColorAt(0.0, QColor("#1fa37a"))
    gradient.setColorAt(1.0, QColor("#0e6b5c"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(gradient))
    p.drawRoundedRect(QRectF(0.03 * s, 0.03 * s, 0.94 * s, 0.94 * s), 0.2 * s, 0.2 * s)

    # Two arrows chasing each other round a circle: "sync".
    stroke = max(1.6, s * (0.085 if size >= 48 else 0.11))
    pen = QPen(QColor("white"), stroke, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    ring = QRectF(0.2 * s, 0.2 * s, 0.6 * s, 0.6 * s)
    for start in (30, 210):
        p.drawArc(ring, start * 16, 120 * 16)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("white"))
    head = 0.13 * s
    centre, radius = QPointF(0.5 * s, 0.5 * s), 0.3 * s
    for end in (150, 330):   # each arc ends here, moving anticlockwise
        angle = math.radians(end)
        at = centre + QPointF(radius * math.cos(angle), -radius * math.sin(angle))
        ahead = QPointF(-math.sin(angle), -math.cos(angle))
        outward = QPointF(math.cos(angle), -math.sin(angle))
        arrow = QPainterPath(at + ahead * head * 0.7)
        arrow.lineTo(at + outward * head * 0.75 - ahead * head * 0.3)
        arrow.lineTo(at - outward * head * 0.75 - ahead * head * 0.3)
        arrow.closeSubpath()
        p.drawPath(arrow)

    if size >= 32:
        font = QFont("DejaVu Sans")
        font.setBold(True)
        font.setPixelSize(int(0.34 * s))
        p.setFont(font)
        p.setPen(QColor("white"))
        p.drawText(QRectF(0, 0, s, s), Qt.AlignmentFlag.AlignCenter, "S")
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def ico_bytes(images: list[QImage]) -> bytes:
    """An ICO container: 6-byte header, 16-byte entry per image, then PNG payloads."""
    payloads = [png_bytes(image) for image in images]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries = b""
    for image, payload in zip(images, payloads):
        side = image.width() if image.width() < 256 else 0   # 0 means 256 in ICO
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(payload), offset)
        offset += len(payload)
    return header + entries + b"".join(payloads)


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1] + ["-platform", "offscreen"])
    ICONS_DIR.mkdir(parents=True, exist_ok=True)
    images = [draw(size) for size in ICON_SIZES]
    (ICONS_DIR / "shopsync.png").write_bytes(png_bytes(images[-1]))
    (ICONS_DIR / "shopsync.ico").write_bytes(ico_bytes(images))
    print(f"wrote {ICONS_DIR / 'shopsync.png'} and {ICONS_DIR / 'shopsync.ico'}")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
