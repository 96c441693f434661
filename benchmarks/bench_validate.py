"""Benchmark: validate many filled workbooks end to end, beside the plain approach.

    python benchmarks/bench_validate.py [--n 1000] [--plain-n 100] [--jobs 2] [--workdir DIR] [--keep]
                                        [--seed 2020] [--profile] [--profile-n 200]

Builds N filled workbooks from documents made from the form (benchmarks/corpus.py; cached in a work
folder, reused on the next run), then measures, each in a fresh Python process so that peak memory
figures are its own (benchmarks/measure.py):

* ``validate_paths(files, jobs=J)`` on N files and on N/4 files (does memory grow with N?),
* ``validate_paths(files, jobs=1)`` on N/4 files (what the second core buys),
* the plain approach on ``--plain-n`` files: openpyxl in normal mode, values read by hand through the
  same defined names and tables, a new ``cerberus.Validator(schema)`` per document with Cerberus's
  default normalisation.

Run by hand; not part of the test suite. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from corpus import FORM, make_document
from measure import (
    busy_cores,
    cores_used,
    cpu_seconds,
    cpu_ticks,
    finish_memory,
    machine,
    mib,
    print_table,
    start_memory,
    timed,
)

HERE = Path(__file__).resolve()
GENERATOR_VERSION = 2  # bump when the generated documents change, so old caches are not reused


# --- the work folder of generated workbooks -----------------------------------------------------
def _generate_chunk(args: tuple[str, list[int], int]) -> list[bool]:
    from workbook.generate import generate

    folder, indexes, seed = args
    faulty = []
    for index in indexes:
        doc, bad = make_document(index, seed)
        generate(Path(folder) / f"wb-{index:05d}.xlsx", prefill=doc)
        faulty.append(bad)
    return faulty


def prepare(folder: Path, n: int, seed: int, jobs: int) -> tuple[list[Path], float, int, bool]:
    """The N workbooks in ``folder`` (made in parallel unless already there): files, seconds, faulty, reused."""
    stamp = folder / "bench.json"
    files = [folder / f"wb-{i:05d}.xlsx" for i in range(n)]
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("n") == n and info.get("seed") == seed and info.get("version") == GENERATOR_VERSION \
                and all(f.exists() for f in files):
            return files, info["seconds"], info["faulty"], True
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    chunks = [(str(folder), list(range(i, min(n, i + 10))), seed) for i in range(0, n, 10)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        faulty = sum(sum(part) for part in pool.map(_generate_chunk, chunks))
    seconds = time.perf_counter() - start
    stamp.write_text(json.dumps({"n": n, "seed": seed, "version": GENERATOR_VERSION, "seconds": seconds,
                                 "faulty": faulty}))
    return files, seconds, faulty, False


# --- measurements (each run in its own process: `--_measure KIND`) --------------------------------
def measure_ours(files: list[str], jobs: int) -> dict[str, Any]:
    import multiprocessing

    import workbook.workers
    from workbook.validate import validate_paths

    # The tool starts its workers from a fork server, so they are not this process's children and
    # their CPU time and memory would not be counted: here they are forked from this process (the
    # same code and the same work; only the start differs, once per worker).
    workbook.workers._context = lambda: multiprocessing.get_context("fork")

    sampler = start_memory()
    cpu, ticks = cpu_seconds(), cpu_ticks()
    seconds, results = timed(validate_paths, files, jobs=jobs)
    cpu, machine = cpu_seconds() - cpu, cores_used(ticks)
    parent, workers = finish_memory(sampler)
    return {"seconds": seconds, "cpu": cpu, "others": None if machine is None else max(0.0, machine - cpu / seconds), "files": len(results), "valid": sum(r.valid for r in results),
            "problems": sum(len(r.problems) for r in results), "internal": sum(
                any(p.code == "internal-error" for p in r.problems) for r in results),
            "parent_mib": parent, "workers_mib": workers}


def _plain_value(value: Any) -> Any:
    """The minimal normalisation a plain approach does: strip texts, Ja/Nei as booleans, 5.0 as 5."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if value.casefold() in ("ja", "nei"):
            return value.casefold() == "ja"
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def plain_read(path: str, form: Any, by_label: dict[str, dict[str, str]]) -> dict[str, Any]:
    """openpyxl in normal mode, values through the defined names and tables, by hand."""
    import openpyxl
    from openpyxl.utils.cell import range_boundaries

    wb = openpyxl.load_workbook(path, data_only=False)
    tables = {name: (ws, ws.tables[name]) for ws in wb.worksheets for name in ws.tables}
    doc: dict[str, Any] = {}
    for key in (f.key for f in form.metadata if f.key in wb.defined_names):
        for sheet, coord in wb.defined_names[key].destinations:
            doc[key] = _plain_value(wb[sheet][coord.replace("$", "")].value)
    for field in form.questions():
        if field.is_table:
            ws, table = tables[field.key]
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            rows = list(ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col,
                                     values_only=True))
            keys = [by_label[field.key].get(str(h).removesuffix(" *")) for h in rows[0]]
            records = []
            for values in rows[1:]:
                record = {k: _plain_value(v) for k, v in zip(keys, values) if k is not None}
                if any(v is not None for v in record.values()):
                    records.append({k: v for k, v in record.items() if v is not None})
            doc[field.key] = records
        else:
            for sheet, coord in wb.defined_names[field.key].destinations:
                cells = wb[sheet][coord.replace("$", "")]
                if field.kind == "choices":
                    chosen = [opt for opt, row in zip(field.allowed, cells) if _plain_value(row[0].value) is True]
                    doc[field.key] = chosen
                else:
                    value = _plain_value(cells.value)
                    if value is not None:
                        doc[field.key] = value
    wb.close()
    return doc


def measure_plain(files: list[str]) -> dict[str, Any]:
    import cerberus

    from workbook.form import load_form

    form = load_form(*FORM)
    schema = form.schema
    by_label = {f.key: {c.label: c.key for c in f.columns} for f in form.questions() if f.is_table}
    sampler = start_memory()
    read_s = check_s = 0.0
    valid = errors = 0
    cpu, ticks = cpu_seconds(), cpu_ticks()
    start = time.perf_counter()
    for path in files:
        t0 = time.perf_counter()
        doc = plain_read(path, form, by_label)
        t1 = time.perf_counter()
        validator = cerberus.Validator(schema)  # a new validator per document, default normalisation
        ok = validator.validate(doc)
        t2 = time.perf_counter()
        read_s += t1 - t0
        check_s += t2 - t1
        valid += ok
        errors += len(validator.errors)
    seconds = time.perf_counter() - start
    cpu, machine = cpu_seconds() - cpu, cores_used(ticks)
    parent, _ = finish_memory(sampler)
    return {"seconds": seconds, "cpu": cpu, "others": None if machine is None else max(0.0, machine - cpu / seconds),
            "files": len(files), "valid": valid, "problems": errors,
            "read_seconds": read_s, "check_seconds": check_s, "parent_mib": parent, "workers_mib": None}


def best_of(repeat: int, wait_quiet: float, kind: str, files: list[Path], jobs: int) -> dict[str, Any]:
    """The fastest of ``repeat`` runs (peak memory: the largest seen), each after waiting up to
    ``wait_quiet`` seconds for the other processes of the machine to leave the cores idle."""
    runs = []
    for _ in range(max(1, repeat)):
        waited = 0.0
        while wait_quiet > waited:
            busy = busy_cores(0.5)
            if busy is None or busy < 0.2:
                break
            waited += 0.5
        runs.append(run_measurement(kind, files, jobs))
    best = min(runs, key=lambda r: r["seconds"])
    for key in ("parent_mib", "workers_mib"):
        seen = [r[key] for r in runs if r[key] is not None]
        best[key] = max(seen) if seen else None
    return best


def run_measurement(kind: str, files: list[Path], jobs: int) -> dict[str, Any]:
    """Run one measurement in a fresh Python process and return its figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump([str(f) for f in files], handle)
        listing = handle.name
    try:
        out = subprocess.run([sys.executable, str(HERE), "--_measure", kind, "--_files", listing,
                              "--jobs", str(jobs)], capture_output=True, text=True)
    finally:
        os.unlink(listing)
    if out.returncode:
        sys.exit(f"the {kind} measurement failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- profile ------------------------------------------------------------------------------------
def profile(files: list[Path]) -> None:
    from workbook.validate import validate_paths

    validate_paths([str(f) for f in files[:5]], jobs=1)  # warm: imports, form, validator
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    validate_paths([str(f) for f in files], jobs=1)
    profiler.disable()
    seconds = time.perf_counter() - start
    print(f"\n## Profile: validate_paths(jobs=1) on {len(files)} files, {seconds:.2f} s under cProfile "
          f"({1000 * seconds / len(files):.1f} ms/workbook)")
    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(order).print_stats(15)
        text = buffer.getvalue()
        print(f"\n### top 15 by {order}\n" + text[text.index("   ncalls"):].rstrip())


def row(name: str, m: dict[str, Any], extrapolate_to: int | None = None) -> list[str]:
    per = m["seconds"] / m["files"]
    total = f"{m['seconds']:.2f} s" + (f" (~{per * extrapolate_to:.0f} s for {extrapolate_to})"
                                      if extrapolate_to else "")
    return [name, str(m["files"]), total, f"{1000 * per:.1f}", f"{1000 * m['cpu'] / m['files']:.1f}", f"{1 / per:.0f}",
            mib(m["parent_mib"]), mib(m["workers_mib"]), f"{m['valid']}/{m['files']}",
            "n/a" if m["others"] is None else f"{m['others']:.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="workbooks to validate (default 1000)")
    parser.add_argument("--plain-n", type=int, default=100, help="workbooks for the plain approach (default 100; 0 skips it)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: every core)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--workdir", type=Path, help="where the workbooks are made and cached "
                        "(default: <temp>/workbook-bench-n<N>-s<seed>)")
    parser.add_argument("--keep", action=argparse.BooleanOptionalAction, default=True,
                        help="keep the work folder for the next run (default); --no-keep removes it")
    parser.add_argument("--repeat", type=int, default=1, help="run each measurement this often, report the "
                        "fastest (default 1)")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each run, wait up to this long for other processes to leave the cores idle")
    parser.add_argument("--profile", action="store_true", help="also cProfile our pipeline on one process")
    parser.add_argument("--profile-n", type=int, default=200)
    parser.add_argument("--_measure", help=argparse.SUPPRESS)
    parser.add_argument("--_files", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args._measure:  # a child run: one measurement, JSON on the last line of stdout
        files = json.loads(Path(args._files).read_text())
        result = measure_plain(files) if args._measure == "plain" else measure_ours(files, args.jobs)
        print(json.dumps(result))
        return

    folder = args.workdir or Path(tempfile.gettempdir()) / f"workbook-bench-n{args.n}-s{args.seed}"
    files, gen_seconds, faulty, reused = prepare(folder, args.n, args.seed, args.jobs)
    sizes = [f.stat().st_size for f in files]
    print("# Workbook validation benchmark\n")
    print(f"{args.n} workbooks in {folder} ({sum(sizes) / 2**20:.1f} MiB, {sum(sizes) / len(sizes) / 1024:.0f} KiB "
          f"each on average; {faulty} with deliberate mistakes); "
          + (f"reused, made earlier in {gen_seconds:.1f} s" if reused else
             f"made in {gen_seconds:.1f} s on {args.jobs} processes") + " (not measured below).\n")
    print_table(["machine", ""], [list(item) for item in machine()])
    print()

    busy = busy_cores()
    if busy is not None and busy > 0.3:
        print(f"WARNING: other processes keep {busy:.1f} of {os.cpu_count()} cores busy: wall times suffer "
              "(the CPU column less so). Rerun on a quiet machine for figures to publish.\n")
    quarter = max(8, args.n // 4)
    measure = functools.partial(best_of, args.repeat, args.wait_quiet)
    runs: list[list[str]] = []
    main_run = measure("ours", files, args.jobs)
    runs.append(row(f"ours, jobs={args.jobs}", main_run))
    runs.append(row(f"ours, jobs={args.jobs}, N/4", measure("ours", files[:quarter], args.jobs)))
    runs.append(row("ours, jobs=1, N/4", measure("ours", files[:quarter], 1)))
    plain = measure("plain", files[:args.plain_n], 1) if args.plain_n > 0 else None
    if plain:
        runs.append(row("plain (openpyxl + Cerberus), jobs=1", plain, extrapolate_to=args.n))
    print_table(["run", "files", "wall time", "ms/workbook", "CPU ms/workbook", "workbooks/s", "peak RSS parent",
                 "peak RSS per worker", "valid", "other load"], runs)
    rate = main_run["files"] / main_run["seconds"]
    print(f"\nours: {rate:.0f} workbooks/s on {args.jobs} processes "
          f"({'meets' if rate >= 200 else 'BELOW'} the target of 200/s)"
          + (f"; {rate * plain['seconds'] / plain['files']:.0f}x the plain approach." if plain else "."))
    if plain:
        print(f"plain approach split: openpyxl read {1000 * plain['read_seconds'] / plain['files']:.1f} ms, "
              f"Cerberus {1000 * plain['check_seconds'] / plain['files']:.1f} ms per workbook.")
    if main_run["internal"]:
        print(f"WARNING: {main_run['internal']} files ended in internal-error.")
    print("Peak RSS is the largest resident size reached (parent: the process calling validate_paths; "
          "per worker: the largest pool process). CPU ms/workbook counts every process of the run. Other load: "
          "cores kept busy by other programs during the run (above ~0.2, wall times are not to be trusted).")

    if args.profile:
        profile(files[:args.profile_n])
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"\n(removed {folder})")


if __name__ == "__main__":
    main()
