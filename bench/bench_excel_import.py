"""Excel import of a 100,000-row sheet (issue 22 §5): streaming (read_only) read and the
all-or-nothing check in < 10 s and < 200 MB peak; then the whole import into a fresh store.

The workbook is generated first (fixed seed 1: Vietnamese names, text SKUs with leading
zeros, barcodes, prices as numbers and as "25.000" text). Each measurement runs in its own
child process, so peak RSS (VmHWM, includes the interpreter and openpyxl) belongs to it
alone. The load average is printed before and after, and the CPU time beside the wall time:
the machine is shared, and on a busy one the wall time grows while the CPU time does not.

    PYTHONPATH=. python bench/bench_excel_import.py [--rows 100000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import machine, peak_mb  # noqa: E402

GOAL_SECONDS, GOAL_MB = 10.0, 200.0
WORDS = ("Cà phê", "Trà", "Bánh", "Sữa", "Nước", "Kem", "Bún", "Phở", "Chè", "Xôi")
KINDS = ("sữa đá", "đào cam sả", "mì thịt", "chua", "ép cam", "dừa", "bò", "gà", "đậu", "gấc")


def build(path: Path, rows: int, seed: int = 1) -> float:
    """The workbook as openpyxl saves it: the sheet's size (<dimension>) first, every text in
    its cell (inline strings). Excel and LibreOffice keep texts in a shared table instead,
    which reads no slower."""
    from openpyxl import Workbook
    rng = random.Random(seed)
    began = time.perf_counter()
    book = Workbook()
    ws = book.active
    ws.title = "Sản phẩm"
    ws.append(["entity", "name", "sku", "barcode", "price", "category", "description",
               "visible"])
    for i in range(rows):
        price = rng.randrange(5, 500) * 1000
        ws.append(["product", f"{rng.choice(WORDS)} {rng.choice(KINDS)} {i}", f"{i:07d}",
                   f"893{i:010d}", price if i % 2 else f"{price:,}".replace(",", "."),
                   rng.choice(WORDS), "Hàng mẫu", "true"])
    book.save(path)
    return time.perf_counter() - began


def as_spreadsheet_saves(path: Path) -> Path | None:
    """The same workbook re-saved by LibreOffice (texts in the shared-strings table, as
    Excel and LibreOffice save them), when LibreOffice is installed; else None."""
    import shutil
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        return None
    out = path.parent / "resaved"
    out.mkdir(exist_ok=True)
    subprocess.run([office, "--headless", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
                    "--outdir", str(out), str(path)], check=True, capture_output=True,
                   timeout=900)
    return out / path.name


def child_build(path: str, rows: str) -> None:
    print(json.dumps({"seconds": round(build(Path(path), int(rows)), 1)}))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_read(path: str) -> None:
    from app.sync.catalog_files import scan_file
    before = peak_mb()
    began, cpu = time.perf_counter(), cpu_seconds()
    scan = scan_file(Path(path))
    count = sum(1 for _item in scan.items)     # checked one by one, as the import does
    seconds, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    print(json.dumps({"rows": count, "errors": len(scan.errors), "seconds": round(seconds, 2),
                      "cpu_seconds": round(cpu, 2), "peak_mb": round(peak_mb(), 1),
                      "before_mb": round(before, 1)}))


def child_import(path: str, home: str) -> None:
    from app.config import get_paths
    from app.store.catalog import Catalog
    from app.store.connection import open_store
    from app.sync.catalog_files import import_file
    db = open_store(get_paths(home))
    before = peak_mb()
    began = time.perf_counter()
    report = import_file(Catalog(db), path)
    seconds = time.perf_counter() - began
    db.close()
    print(json.dumps({"rows": sum(report.counts.values()), "seconds": round(seconds, 2),
                      "peak_mb": round(peak_mb(), 1), "before_mb": round(before, 1)}))


def in_child(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SHOPSYNC_KEYRING": "memory"}
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--read", help=argparse.SUPPRESS)
    parser.add_argument("--import-into", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        return child_build(*args.build)
    if args.read:
        return child_read(args.read)
    if args.import_into:
        return child_import(*args.import_into)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-xlsx-") as folder:
        written = Path(folder) / "catalog.xlsx"
        built = in_child("--build", str(written), str(args.rows))["seconds"]
        resaved = as_spreadsheet_saves(written)
        path = resaved or written
        shape = ("re-saved by LibreOffice (shared strings, as Excel saves)" if resaved
                 else "as openpyxl saves (inline strings)")
        size_mb = path.stat().st_size / 2 ** 20
        reads = [in_child("--read", str(path)) for _ in range(args.repeat)]
        imported = in_child("--import-into", str(path), str(Path(folder) / "home"))
        inline = in_child("--read", str(written)) if resaved else reads[0]
    load_after = os.getloadavg()
    times = sorted(r["seconds"] for r in reads)
    median = times[len(times) // 2]
    cpu = sorted(r["cpu_seconds"] for r in reads)[len(reads) // 2]
    peak = max(r["peak_mb"] for r in reads)
    assert all(r["rows"] == args.rows and r["errors"] == 0 for r in reads), reads
    print(f"workbook: {args.rows:,} rows, {size_mb:.1f} MB, {shape}; built in {built:.1f} s")
    print(f"read + check (streaming): median {median} s of {times} (CPU {cpu} s), peak "
          f"{peak} MB (goal < {GOAL_SECONDS} s, < {GOAL_MB} MB)")
    print(f"the openpyxl-saved file (inline strings): {inline['seconds']} s, peak "
          f"{inline['peak_mb']} MB")
    print(f"whole import into a fresh store: {imported['seconds']} s, peak "
          f"{imported['peak_mb']} MB")
    print(f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f}")
    print(json.dumps({
        "machine": machine(), "rows": args.rows, "file_mb": round(size_mb, 1),
        "shape": shape, "inline_read_s": inline["seconds"], "inline_peak_mb": inline["peak_mb"],
        "read_seconds": times, "read_median_s": median, "read_cpu_s": cpu,
        "read_peak_mb": peak,
        "import_seconds": imported["seconds"], "import_peak_mb": imported["peak_mb"],
        "loadavg_before": round(load_before[0], 2), "loadavg_after": round(load_after[0], 2),
        "verdicts": {"time_ok": median < GOAL_SECONDS, "memory_ok": peak < GOAL_MB}},
        ensure_ascii=False))


if __name__ == "__main__":
    main()
