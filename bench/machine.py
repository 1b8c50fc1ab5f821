"""The machine a benchmark ran on, named in every figure it produces."""
from __future__ import annotations

import os
import platform


def machine() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((line.split(":", 1)[1].strip() for line in info
                          if line.startswith("model name")), "")
    except OSError:
        pass
    ram_gb = 0.0
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
            ram_gb = round(kib / 2 ** 20, 1)
    except (OSError, StopIteration):
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"nproc": usable, "cpu": model or platform.processor(), "ram_gb": ram_gb,
            "python": platform.python_version(), "os": platform.platform(terse=True)}


def peak_mb() -> float:
    """This process's own high-water RSS (VmHWM). Not ru_maxrss: Linux keeps that across
    fork and exec, so a child started by a parent holding a big workbook would report the
    parent's memory."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    """The 1-minute load average (and cores), printed beside every timing: a figure taken
    while the machine was busy says so."""
    try:
        one = os.getloadavg()[0]
    except OSError:
        return "load ?"
    return f"load {one:.2f}/{os.cpu_count()}"


def describe(info: dict) -> str:
    return (f"{info['nproc']} CPU · {info['cpu']} · {info['ram_gb']} GB RAM · "
            f"Python {info['python']}")
