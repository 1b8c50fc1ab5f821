"""Run every benchmark (or reuse their saved JSON lines) and write docs/performance.md.

Each bench prints a table and ONE JSON line; that line is saved to bench/results/<name>.json
and the document is generated from those files only, so every figure in it was produced by a
script in this folder on the machine it names.

    PYTHONPATH=. python bench/run_all.py                 # full sizes (long: 100k products)
    PYTHONPATH=. python bench/run_all.py --quick         # the reduced sizes (minutes)
    PYTHONPATH=. python bench/run_all.py --docs-only     # regenerate the doc from results/
    PYTHONPATH=. python bench/run_all.py --only engine   # one bench
    PYTHONPATH=. python bench/run_all.py --only engine --tag nhanh \
        --args "--sizes 10000 --platforms nhanh-v3,nhanh-v2"   # a part, merged into engine
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
RESULTS = BENCH / "results"
DOC = ROOT / "docs" / "performance.md"

from bench.limits import minutes_text  # noqa: E402
from bench.machine import describe  # noqa: E402

FULL = {"engine": ["--sizes", "10000,100000", "--repeat", "3"], "rate_limits": [],
        "incremental": ["--n", "100000"], "ui": ["--products", "100000"],
        "excel_import": ["--rows", "100000", "--repeat", "3"],
        "schedule": ["--n", "10000", "--minutes", "30"]}
QUICK = {"engine": ["--sizes", "10000"], "rate_limits": [],
         "incremental": ["--n", "10000"], "ui": ["--products", "3000"],
         "excel_import": ["--rows", "10000", "--repeat", "1"],
         "schedule": ["--n", "2000", "--minutes", "15"]}


def run(name: str, args: list[str], tag: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "SHOPSYNC_KEYRING": "memory"}
    done = subprocess.run([sys.executable, str(BENCH / f"bench_{name}.py"), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    sys.stdout.write(done.stdout)
    line = next((l for l in reversed(done.stdout.splitlines()) if l.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"bench_{name} failed:\n{done.stderr[-3000:]}")
    result = json.loads(line)
    result["args"] = args
    result["ran_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}{'-' + tag if tag else ''}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                          encoding="utf-8")
    return result


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("pass" if ok else "**fail**")


def engine_rows(r: dict) -> list[list[str]]:
    rows = []
    for item in r["results"]:
        if "seconds" not in item or "products" not in item:
            rows.append([f"first pull {item['platform']} N={item['requested']}",
                         item["status"], "", "", ""])
            continue
        rows.append([f"first pull, {item['platform']}, {item['products']:,} products / "
                     f"{item['variants']:,} variants (engine + store, limits off)",
                     f"{item['seconds']} s" + (
                         f" (of which {item['sandbox_seconds']} s inside the sandbox POS)"
                         if "sandbox_seconds" in item else "") + (
                         f", median of {len(item['runs_seconds'])} runs "
                         f"({' / '.join(str(x) for x in item['runs_seconds'])} s)"
                         if len(item.get("runs_seconds") or ()) > 1 else "") +
                     f" · {item['items_per_s']} items/s · peak "
                     f"{item['peak_rss_mb']} MB · {item['kib_per_product']} KiB/product"
                     + (f" · {item['requests']:,} requests → at the POS's real limit "
                        f"{minutes_text(item['real_limit_seconds'])}"
                        if "real_limit_seconds" in item else "")
                     + (f" · {item['load']}" if "load" in item else ""),
                     "100k < 30 s, < 500 MB", "", r["machine_text"]])
    for key, v in r["verdicts"].items():
        rows.append([f"{key}: 100,000 products (goal)",
                     ("no run" if not v["measured_at"] else
                      f"{v['projected_100k_seconds']:.0f} s per 100,000 products (measured at "
                      f"N={v['measured_at']:,})" if v["measured_at"] >= 100_000 else
                      f"measured at N={v['measured_at']:,} only; linear projection to 100k: "
                      f"{v['projected_100k_seconds']:.0f} s"),
                     "< 30 s", verdict(v["seconds_ok"]) if v["seconds_ok"] is not None else
                     ("**fail** (projected)" if v["projected_100k_seconds"]
                      and v["projected_100k_seconds"] >= 30 else "n/a"),
                     r["machine_text"]])
        sizes = sorted((i["requested"], i) for i in r["results"]
                       if i["platform"] == key and "kib_per_product" in i)
        rows.append([f"{key}: memory flat as N grows",
                     " → ".join(f"{i['kib_per_product']} KiB/product at N={n:,}"
                                for n, i in sizes) or "no run",
                     "no growth", verdict(v["memory_flat"]), r["machine_text"]])
        big = sizes[-1][1] if sizes else None
        rows.append([f"{key}: memory at 100k (added by the sync; sandbox excluded)",
                     f"+{round(big['peak_rss_mb'] - big['rss_before_mb'], 1)} MB over "
                     f"{big['rss_before_mb']} MB before (peak {big['peak_rss_mb']} MB) at "
                     f"N={big['requested']:,}" if big else "no run",
                     "< 500 MB", verdict(v["memory_ok"]), r["machine_text"]])
    return rows


def rate_rows(r: dict) -> list[list[str]]:
    rows = []
    for item in r["results"]:
        v = dict(r["verdicts"][item["case"]])
        if not item["min_seconds"]:        # the limit asks for no wait: a ratio means nothing
            v["time_ok"] = None
            item["time_ratio"] = (f"n/a (limit needs no wait; connector spread minimum "
                                  f"{item.get('spread_min_seconds', 0)} s)")
        rows.append([f"{item['platform']}: {item['work']} — time ÷ limit's minimum",
                     f"{item['seconds']} s ÷ {item['min_seconds']} s = {item['time_ratio']}",
                     "≤ 1.1", verdict(v["time_ok"]), r["machine_text"]])
        rows.append([f"{item['platform']}: {item['work']} — requests ÷ fewest possible",
                     f"{item['requests']} ÷ {item['min_requests']} = {item['request_ratio']} "
                     f"({', '.join(f'{k}×{n}' for k, n in item['by_path'].items())})",
                     "1.0", verdict(v["requests_ok"]), r["machine_text"]])
    return rows


def incremental_rows(r: dict) -> list[list[str]]:
    """Each case judged as issue 21 asks: requests ÷ fewest possible (formula in
    bench_incremental.FEWEST_FORMULA, written out in docs/performance/incremental.md)."""
    rows = []
    for i in r["results"]:
        figure = (f"{i['requests']} requests · {i['seconds']} s own work · {i['paced_seconds']} s "
                  f"pacing · {i['products_updated']} products updated"
                  + (f" ({i['products_create_only_skipped']} changed but create-only, NH-08)"
                     if i.get("products_create_only_skipped") else ""))
        if "fewest" in i:
            figure += f" · fewest {i['fewest']} → ratio {i['ratio']}"
            goal, result = f"requests ÷ fewest ≤ {i.get('goal', 1.1)}", verdict(i["goal_ok"])
        else:      # a result saved before the ratio was computed
            goal, result = "requests ∝ k", "not judged (re-run bench_incremental.py)"
        rows.append([f"{i['platform']}: incremental run, k={i['k']:,} changed of {i['n']:,}",
                     figure, goal, result, r["machine_text"]])
    return rows


def ui_rows(r: dict) -> list[list[str]]:
    s, c, v = r["stalls"], r["cold_start"], r["verdicts"]
    return [[f"main-thread stalls during a {s['products']:,}-product sync in the window "
             f"({s['platform']}, {s['sync_seconds']} s, {s['gaps_measured']:,} ticks)",
             f"p99 {s['p99_stall_ms']} ms · longest {s['longest_stall_ms']} ms",
             "p99 < 50 ms", verdict(v["p99_ok"]), r["machine_text"]],
            ["cold start to first window shown",
             f"median {c.get('median_s')} s (max {c.get('max_s')} s, {c.get('runs')} runs, "
             f"{c.get('first_window')})", "< 3 s", verdict(v["cold_start_ok"]),
             r["machine_text"]]]


def excel_import_rows(r: dict) -> list[list[str]]:
    v = r["verdicts"]
    load = f"load average {r['loadavg_before']} → {r['loadavg_after']} (2 cores)"
    return [[f"Excel import, {r['rows']:,}-row sheet ({r['file_mb']} MB, {r.get('shape')}): "
             "streaming read + all-or-nothing check",
             f"median {r['read_median_s']} s wall of {r['read_seconds']} (CPU "
             f"{r.get('read_cpu_s')} s) · peak {r['read_peak_mb']} MB · {load}", "< 10 s", verdict(v["time_ok"]), r["machine_text"]],
            [f"Excel import, {r['rows']:,} rows: memory", f"peak {r['read_peak_mb']} MB "
             "(interpreter and openpyxl included)", "< 200 MB", verdict(v["memory_ok"]),
             r["machine_text"]],
            [f"Excel import, {r['rows']:,} rows as openpyxl saves them (inline strings, the "
             "slower shape to read)", f"{r.get('inline_read_s')} s · peak "
             f"{r.get('inline_peak_mb')} MB", "reported", "", r["machine_text"]],
            [f"Excel import, {r['rows']:,} rows: whole import into a fresh store (duplicate "
             "check and write)", f"{r['import_seconds']} s · peak {r['import_peak_mb']} MB",
             "reported", "", r["machine_text"]]]


def schedule_rows(r: dict) -> list[list[str]]:
    """Issue 21 point 4: a run every minute, nothing changed."""
    rows = []
    for i in r["results"]:
        rows.append([f"{i['platform']}: 1-minute schedule, nothing changed, {i['n']:,} products "
                     f"({i['minutes']} runs)",
                     f"{i['per_run']} requests/run ({', '.join(f'{k}×{n}' for k, n in i['by_path'].items())}) "
                     f"= {i['share_how']} = {i['share'] * 100:.1f} % of the budget · {i['load']}",
                     "≤ 5 % of the POS's rate budget", verdict(i["share_goal_met"]),
                     r["machine_text"]])
        rows.append([f"{i['platform']}: a change on the POS reaches the App",
                     f"{i['delay_s']} s (longest run {i['longest_run_s']} s)",
                     "≤ 2 minutes", verdict(i["delay_goal_met"]), r["machine_text"]])
    return rows


def write_doc(results: dict[str, dict]) -> None:
    lines = ["# Performance", "",
             "Generated by `bench/run_all.py` from the JSON lines the benchmarks in `bench/` "
             "printed (saved in `bench/results/`). Every figure names the machine it ran on. "
             "Do not edit by hand; re-run the script.", "",
             "The machine is shared (2 cores, other work running at the same time), so times "
             "are upper bounds; request counts and ratios do not depend on it. Sizes below "
             "the goals' (e.g. 10,000 instead of 100,000 products) are what was actually run; "
             "the 100,000-product figure is then a linear projection and marked so. A "
             "first pull's time includes the sandbox POS answering in the same process and "
             "thread (it stands in for the POS's servers); the part spent inside it is shown "
             "in brackets, and the goal is judged on the whole time. Find the "
             "engine's hot spots with `PYTHONPATH=. python bench/bench_engine.py --profile "
             "sapo:2000` (cProfile, top functions by cumulative and own time).", ""]
    makers = {"engine": engine_rows, "rate_limits": rate_rows,
              "incremental": incremental_rows, "ui": ui_rows,
              "excel_import": excel_import_rows, "schedule": schedule_rows}
    titles = {"engine": "Full first pull through the engine (`bench_engine.py`)",
              "rate_limits": "Rate limits on the real clock (`bench_rate_limits.py`)",
              "incremental": "Incremental runs (`bench_incremental.py`)",
              "ui": "Window responsiveness and cold start (`bench_ui.py`)",
              "excel_import": "Excel import of a 100,000-row sheet (`bench_excel_import.py`)",
              "schedule": "Near real time: a run every minute (`bench_schedule.py`)"}
    for name in ("engine", "rate_limits", "incremental", "schedule", "ui", "excel_import"):
        if name not in results:
            continue
        result = results[name]
        result["machine_text"] = describe(result["machine"])
        lines += [f"## {titles[name]}", "",
                  f"Ran {result.get('ran_at', '?')} with "
                  f"`{' '.join(result.get('args', [])) or '(default sizes)'}`.",
                  "", "| What was measured | Figure | Goal | Result | Machine |",
                  "|---|---|---|---|---|"]
        for row in makers[name](result):
            lines.append("| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |")
        lines.append("")
    # Hand-written per-platform notes (docs/performance/<platform>.md), kept across re-runs.
    for note in sorted((DOC.parent / "performance").glob("*.md")):
        lines += [note.read_text(encoding="utf-8").rstrip(), ""]
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {DOC}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--docs-only", action="store_true")
    parser.add_argument("--only",
                        default="engine,rate_limits,incremental,schedule,ui,excel_import")
    parser.add_argument("--args", help="arguments for the one bench named by --only")
    parser.add_argument("--tag", default="", help="save as <bench>-<tag>.json (a part)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if not args.docs_only:
        for name in args.only.split(","):
            run(name, args.args.split() if args.args else plan[name], args.tag)
    write_doc(load_results())


def load_results() -> dict[str, dict]:
    """bench/results/<bench>.json, plus <bench>-<tag>.json parts (e.g. engine-100k.json run
    separately) merged into it; engine verdicts are recomputed over all its rows."""
    results: dict[str, dict] = {}
    for path in sorted(RESULTS.glob("*.json")):
        name = path.stem.split("-")[0]
        data = json.loads(path.read_text(encoding="utf-8"))
        if name in results and "results" in data:
            results[name]["results"] = results[name]["results"] + data["results"]
            results[name]["args"] = results[name].get("args", []) + ["+"] + data.get("args", [])
        else:
            results[name] = data
    if "engine" in results:
        from bench.bench_engine import judge
        results["engine"]["verdicts"] = judge(results["engine"]["results"])
    return results


if __name__ == "__main__":
    main()
