"""What the benchmarks share: the machine table, timing, peak memory and CPU use.

- ``machine()`` the machine as (name, value) rows: platform, CPU, cores, RAM, Python, libraries;
  ``print_table(headers, rows)`` prints rows as a Markdown table;
- ``timed(function, *args)`` the wall time of one call and its result;
- ``start_memory()`` / ``finish_memory(sampler)`` peak resident memory of this process and of its
  largest child (``ru_maxrss`` on Linux and macOS; on Windows psutil if installed, else None);
- ``cpu_seconds()`` CPU time of this process and its children; ``cpu_ticks()``, ``cores_used(since)``
  and ``busy_cores()`` how busy the whole machine is (Linux), to tell when other programs spoil
  the wall times.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import resource  # not on Windows
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

LIBRARIES = ("python-calamine", "openpyxl", "Cerberus", "XlsxWriter")


# --- timing ------------------------------------------------------------------------------------
def timed(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    """Seconds (wall time) one call of ``function`` takes, and what it returns."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


# --- peak memory -------------------------------------------------------------------------------
def maxrss_mib(who: int) -> float | None:
    if resource is None:
        return None
    value = resource.getrusage(who).ru_maxrss
    return value / (1024 * 1024) if sys.platform == "darwin" else value / 1024  # bytes on macOS, KiB on Linux


class PsutilSampler:
    """Where ``resource`` is missing (Windows): sample this process and its children with psutil."""

    def __init__(self) -> None:
        import threading

        import psutil

        self.me = psutil.Process()
        self.parent = 0
        self.children = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(0.05):
            try:
                self.parent = max(self.parent, self.me.memory_info().rss)
                for child in self.me.children(recursive=True):
                    self.children = max(self.children, child.memory_info().rss)
            except Exception:  # a child that just exited
                pass

    def finish(self) -> tuple[float, float]:
        self.stop.set()
        self.thread.join()
        peak = getattr(self.me.memory_info(), "peak_wset", self.parent)
        return max(peak, self.parent) / 2**20, self.children / 2**20


def start_memory() -> Any:
    if resource is not None:
        return None
    try:
        return PsutilSampler()
    except ImportError:
        return None


def finish_memory(sampler: Any) -> tuple[float | None, float | None]:
    if resource is not None:
        return maxrss_mib(resource.RUSAGE_SELF), maxrss_mib(resource.RUSAGE_CHILDREN)
    if sampler is not None:
        return sampler.finish()
    return None, None


# --- CPU ---------------------------------------------------------------------------------------
def cpu_ticks() -> tuple[int, int] | None:
    """All and idle CPU ticks of the machine so far (Linux: /proc/stat), else None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # idle + iowait
    except (OSError, ValueError, IndexError):
        return None


def cores_used(since: tuple[int, int] | None) -> float | None:
    """How many cores the whole machine kept busy since ``since`` (a :func:`cpu_ticks`)."""
    now = cpu_ticks()
    if since is None or now is None:
        return None
    return (os.cpu_count() or 1) * (1 - (now[1] - since[1]) / max(1, now[0] - since[0]))


def busy_cores(seconds: float = 1.0) -> float | None:
    """How many cores other processes keep busy while this one sleeps, else None."""
    start = cpu_ticks()
    time.sleep(seconds)
    return cores_used(start)


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children."""
    if resource is None:
        times = os.times()
        return times.user + times.system + times.children_user + times.children_system
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


# --- the machine ------------------------------------------------------------------------------
def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "n/a"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    from importlib.metadata import version

    return [("platform", platform.platform()), ("cpu", cpu), ("cores (os.cpu_count)", str(os.cpu_count())),
            ("RAM", ram), ("python", platform.python_version()),
            ("libraries", ", ".join(f"{name} {version(name)}" for name in LIBRARIES))]


def mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for r in [headers, ["-" * w for w in widths], *rows]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
