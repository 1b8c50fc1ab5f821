"""Large results stream (issue 21 point 5): `shopsync results` (table, json, csv, xlsx) and the
window's results export of a 100,000-row run start writing in < 1 s and stay < 100 MB.

A store with one run of N item results is built first (fixed seed: Vietnamese names, a few
failed items with rule IDs and two-language messages). Each path then runs in its own child
process, so its peak RSS (VmHWM: interpreter, peewee, openpyxl — and Qt for the window —
included) is its own; "added" is that peak minus the RSS just before the export began.

Time to first byte: for what goes to stdout (table, json, csv), the moment the command first
writes to its output stream; for files (the CLI's --out, the window's export), the moment a
byte first reaches the disk, watched every 2 ms — for .xlsx that is openpyxl's sheet file
(write-only mode streams the rows into a temporary sheet, zipped into the .xlsx at the end:
the .xlsx itself appears only then). The load average is printed beside every figure.

The window's streamed export (`export_later`) runs off the window's thread; its child also
ticks a 10 ms timer on the window's thread and reports the longest gap (how long the window
froze). `--code DIR` runs the children against another checkout (e.g. /work/main: the figures
from before the change).

    PYTHONPATH=. python bench/bench_streaming.py [--rows 100000] [--code /work/main] \
        [--tracemalloc]
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
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GOAL_FIRST_BYTE_S, GOAL_ADDED_MB = 1.0, 100.0
SEED = 20261206
CASES = ("csv", "json", "table", "xlsx", "window-csv", "window-xlsx")
NAMES = ("Cà phê sữa đá", "Trà đào cam sả", "Bánh mì thịt", "Sữa chua", "Nước ép cam",
         "Kem dừa", "Bún bò Huế", "Phở gà", "Chè đậu đỏ", "Xôi gấc")
SIZES = ("nhỏ", "vừa", "lớn", "ly 500ml", "hộp 1kg")


def peak_mb() -> float:
    """This process's own high-water RSS (VmHWM; ru_maxrss survives fork and exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# -- the store: one run of N item results ---------------------------------------------------

def build(home: Path, rows: int, seed: int = SEED) -> int:
    from app.config import get_paths
    from app.store import models as m
    from app.store.connection import open_store
    rng = random.Random(seed)
    db = open_store(get_paths(home))
    began = datetime(2026, 12, 6, 1, 0, tzinfo=timezone.utc)
    profile = m.Profile.create(name="shop", platform="sapo", created_at=began)
    run = m.Run.create(profile=profile, started_at=began)
    batch = []
    with db.atomic():
        for i in range(rows):
            failed = rng.random() < 0.05
            name = f"{rng.choice(NAMES)} {rng.choice(SIZES)} #{i}"
            rule = rng.choice(("SAPO-04", "COM-02", "COM-05")) if failed else ""
            vi = (f"Không gửi được {name} lên POS: mã SKU trùng [{rule}]. Sửa SKU rồi chạy lại."
                  if failed else f"Đã tạo {name} trong App.")
            en = (f"Could not send {name} to the POS: duplicate SKU [{rule}]. Fix the SKU "
                  "and run again." if failed else f"Created {name} in the App.")
            batch.append({"run": run.id, "entity": "product", "direction": "pos_to_app",
                          "app_id": f"P{i:06d}", "pos_id": str(1_000_000 + i), "name": name,
                          "action": "create", "outcome": "failed" if failed else "ok",
                          "rule": rule, "message_vi": vi, "message_en": en,
                          "at": began + timedelta(milliseconds=40 * i)})
            if len(batch) == 1000:
                m.ItemResult.insert_many(batch).execute()
                batch = []
        if batch:
            m.ItemResult.insert_many(batch).execute()
    db.close()
    return run.id


# -- one path, in a child process ----------------------------------------------------------

class FirstWrite:
    """An output stream that notes when it is first written to."""

    def __init__(self, handle) -> None:
        self.handle, self.first = handle, None

    def write(self, text: str) -> int:
        if self.first is None and text:
            self.first = time.perf_counter()
        return self.handle.write(text)

    def flush(self) -> None:
        self.handle.flush()


class DiskWatch(threading.Thread):
    """Notes when a byte first reaches any of `paths` or a file under `folder`."""

    def __init__(self, paths: list[Path], folder: Path) -> None:
        super().__init__(daemon=True)
        self.paths, self.folder, self.first = paths, folder, None
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.first is None:
            sizes = [p.stat().st_size for p in self.paths if p.exists()]
            sizes += [p.stat().st_size for p in self.folder.iterdir() if p.is_file()]
            if any(sizes):
                self.first = time.perf_counter()
                return
            time.sleep(0.002)


def child(case: str, home: Path, run_id: int, out: Path) -> dict:
    import app.cli  # noqa: F401 - imports belong to the baseline, not the export
    import openpyxl  # noqa: F401
    scratch = Path(tempfile.mkdtemp(prefix="sheet-", dir=out.parent))
    tempfile.tempdir = str(scratch)                # openpyxl's streamed sheet goes here
    result: dict = {"case": case}
    if case.startswith("window"):
        return window_child(case, home, run_id, out, scratch, result)
    before = rss_mb()
    argv = ["--home", str(home), "results", "--run", str(run_id), "--format", case]
    stream = FirstWrite(open(out, "w", encoding="utf-8", newline=""))
    watch = DiskWatch([out], scratch)
    if case == "xlsx":
        argv += ["--out", str(out)]
        stream = FirstWrite(open(os.devnull, "w"))
        watch.start()
    began = time.perf_counter()
    code = app.cli.main(argv, out=stream, err=sys.stderr)
    ended = time.perf_counter()
    watch.stop.set()
    stream.handle.close()
    first = watch.first if case == "xlsx" else stream.first
    result.update(exit=code, rss_before_mb=round(before, 1))
    return finish(result, began, first, ended, out)


def window_child(case, home, run_id, out, scratch, result) -> dict:
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication
    from app.config import get_paths
    from app.store.connection import open_store
    from app.store import models as m
    app = QApplication.instance() or QApplication([])
    open_store(get_paths(home))
    from ui.pages.results_page import ResultsPage
    page = ResultsPage()
    profile_id = m.Run.get_by_id(run_id).profile_id
    page.model.set_filter(profile_id=profile_id, run_id=run_id)
    target = out.with_suffix(".xlsx" if case.endswith("xlsx") else ".csv")
    before = rss_mb()
    watch = DiskWatch([target], scratch)
    watch.start()
    streamed = hasattr(page, "export_later")
    gaps = []
    if streamed:
        clock, timer, done = QElapsedTimer(), QTimer(), []
        timer.setInterval(10)
        timer.timeout.connect(lambda: (gaps.append(clock.restart())))
        page.export_finished.connect(lambda n: (done.append(n), app.quit()))
        clock.start()
        timer.start()
        began = time.perf_counter()
        page.export_later(target)
        app.exec()
        timer.stop()
        page._export_jobs.wait_all(60_000)
        result["rows"] = done[0] if done else None
    else:
        began = time.perf_counter()
        result["rows"] = page.export_to(target)
    ended = time.perf_counter()
    watch.stop.set()
    ordered = sorted(gaps)
    result.update(exit=0, rss_before_mb=round(before, 1), off_ui_thread=streamed,
                  longest_ui_stall_ms=(ordered[-1] if gaps else None),
                  p99_ui_tick_ms=(ordered[int(len(ordered) * 0.99)] if gaps else None))
    return finish(result, began, watch.first, ended, target)


def finish(result: dict, began: float, first: float | None, ended: float, out: Path) -> dict:
    peak = peak_mb()
    result.update(first_byte_s=round(first - began, 3) if first else None,
                  total_s=round(ended - began, 2), peak_mb=round(peak, 1),
                  added_mb=round(peak - result["rss_before_mb"], 1),
                  bytes=out.stat().st_size if out.exists() else 0,
                  load_after=load_text())
    return result


def load_text() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}/{os.cpu_count()}"
    except OSError:
        return "?"


# -- the parent ------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--code", default=str(ROOT), help="checkout the children import")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="run each case again with tracemalloc: the Python heap's peak "
                             "during the export (RSS also holds SQLite's 32 MB page cache)")
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, args.code)
        if args.tracemalloc:
            import tracemalloc
            import app.cli  # noqa: F401 - imports are not the export's
            import openpyxl  # noqa: F401
            tracemalloc.start()
        result = child(args.child, Path(args.home), args.run, Path(args.out))
        if args.tracemalloc:
            result = {"case": args.child,
                      "python_heap_peak_mb": round(tracemalloc.get_traced_memory()[1] / 2**20, 1)}
        print(json.dumps(result))
        return
    sys.path.insert(0, str(ROOT))
    from bench.machine import describe, load, machine
    work = Path(tempfile.mkdtemp(prefix="bench-streaming-"))
    env = {**os.environ, "PYTHONPATH": args.code, "QT_QPA_PLATFORM": "offscreen",
           "SHOPSYNC_KEYRING": "memory"}
    began = time.perf_counter()
    run_id = build(work / "home", args.rows)
    print(f"store with one run of {args.rows:,} item results built in "
          f"{time.perf_counter() - began:.1f} s ({load()}); code: {args.code}")
    results = []
    for case in args.cases.split(","):
        out = work / f"out-{case}.{'xlsx' if 'xlsx' in case else 'txt'}"
        load_before = load()
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", case,
                               "--home", str(work / "home"), "--run", str(run_id),
                               "--out", str(out), "--code", args.code],
                              capture_output=True, text=True, env=env, cwd=args.code)
        line = next((l for l in reversed(done.stdout.splitlines()) if l.startswith("{")), None)
        if done.returncode != 0 or line is None:
            print(f"{case}: failed\n{done.stderr[-2000:]}")
            results.append({"case": case, "failed": done.stderr[-500:]})
            continue
        item = json.loads(line)
        item["load_before"] = load_before
        if args.tracemalloc:
            traced = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child",
                                     case, "--home", str(work / "home"), "--run", str(run_id),
                                     "--out", str(out), "--code", args.code, "--tracemalloc"],
                                    capture_output=True, text=True, env=env, cwd=args.code)
            heap = next((l for l in reversed(traced.stdout.splitlines())
                         if l.startswith("{")), None)
            item["python_heap_peak_mb"] = json.loads(heap)["python_heap_peak_mb"] if heap \
                else None
        results.append(item)
        heap = (f"; Python heap peak {item['python_heap_peak_mb']} MB"
                if item.get("python_heap_peak_mb") is not None else "")
        stall = (f" · window's 10 ms tick: p99 {item['p99_ui_tick_ms']} ms, longest "
                 f"{item['longest_ui_stall_ms']} ms"
                 if item.get("longest_ui_stall_ms") is not None else "")
        print(f"{case:<12} first byte {item['first_byte_s']} s · total {item['total_s']} s · "
              f"peak {item['peak_mb']} MB (+{item['added_mb']} MB over "
              f"{item['rss_before_mb']} MB before{heap}) · {item['bytes']:,} bytes{stall} · "
              f"{load_before} → load {item['load_after']}")
    verdicts = {r["case"]: {"first_byte_ok": (r.get("first_byte_s") or 99) < GOAL_FIRST_BYTE_S,
                            "memory_ok": r.get("added_mb", 999) < GOAL_ADDED_MB}
                for r in results if "failed" not in r}
    print(json.dumps({"bench": "streaming", "rows": args.rows, "seed": SEED,
                      "code": args.code, "machine": machine(), "results": results,
                      "verdicts": verdicts}, ensure_ascii=False))


if __name__ == "__main__":
    main()
