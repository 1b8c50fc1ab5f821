"""Vietnamese for Qt's own widget texts (wizard buttons, standard dialog buttons, line-edit
menu). Qt ships no Vietnamese catalogue, so ours is written here and compiled to
resources/i18n/shopsync_vi.qm by `python -m ui.qt_strings` (needs pyside6-lrelease)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

QT_VI: dict[str, dict[str, str]] = {
    "QWizard": {"< &Back": "< &Quay lại", "&Next >": "&Tiếp >", "&Finish": "&Hoàn tất",
                "Cancel": "Huỷ", "&Help": "Trợ &giúp", "Go Back": "Quay lại",
                "Continue": "Tiếp tục", "Commit": "Xác nhận", "Done": "Xong", "Help": "Trợ giúp",
                "Back": "Quay lại", "Next": "Tiếp", "Finish": "Hoàn tất"},
    "QPlatformTheme": {"OK": "Đồng ý", "Save": "Lưu", "Save All": "Lưu tất cả",
                       "Open": "Mở", "&Yes": "&Có", "Yes to &All": "Có với &tất cả",
                       "&No": "&Không", "N&o to All": "K&hông với tất cả", "Abort": "Huỷ bỏ",
                       "Retry": "Thử lại", "Ignore": "Bỏ qua", "Close": "Đóng",
                       "Cancel": "Huỷ", "Discard": "Bỏ", "Help": "Trợ giúp",
                       "Apply": "Áp dụng", "Reset": "Đặt lại",
                       "Restore Defaults": "Khôi phục mặc định"},
    "QLineEdit": {"&Undo": "&Hoàn tác", "&Redo": "&Làm lại", "Cu&t": "Cắ&t",
                  "&Copy": "&Chép", "&Paste": "&Dán", "Delete": "Xoá",
                  "Select All": "Chọn tất cả"},
    "QFileDialog": {"File &name:": "&Tên tệp:", "Files of type:": "Loại tệp:",
                    "Look in:": "Tìm trong:", "&Save": "&Lưu", "&Open": "&Mở",
                    "Cancel": "Huỷ", "Save As": "Lưu thành"},
}


def ts_text(catalogue: dict[str, dict[str, str]], language: str = "vi_VN") -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>",
             f'<TS version="2.1" language="{language}">']
    for context, messages in catalogue.items():
        parts.append(f"<context>\n    <name>{escape(context)}</name>")
        for source, translation in messages.items():
            parts.append(f"    <message>\n        <source>{escape(source)}</source>\n"
                         f"        <translation>{escape(translation)}</translation>\n"
                         "    </message>")
        parts.append("</context>")
    parts.append("</TS>")
    return "\n".join(parts) + "\n"


def build(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    ts = out_dir / "shopsync_vi.ts"
    ts.write_text(ts_text(QT_VI), encoding="utf-8")
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    subprocess.run([str(lrelease), str(ts), "-qm", str(out_dir / "shopsync_vi.qm")], check=True)
    return ts


if __name__ == "__main__":
    from app.caveats import resources_dir
    print(build(resources_dir() / "i18n"))
